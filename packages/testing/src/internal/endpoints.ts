/**
 * The endpoint shapes the fixtures hand out. They are structurally the same as `@fxredis/transport`'s
 * `UnixEndpoint`/`TcpEndpoint`/`TlsEndpoint` (plain tagged objects), declared here so that `@fxredis/testing` does
 * not depend on the transport package, whose own tests use these fixtures (no workspace cycle).
 */

/** A UNIX domain socket. */
export interface UnixEndpoint {
  readonly _tag: "Unix"
  readonly path: string
}

/** A TCP address. */
export interface TcpEndpoint {
  readonly _tag: "Tcp"
  readonly host: string
  readonly port: number
}

/** A TLS address with the test CA that signed the server's certificate. */
export interface TlsEndpoint {
  readonly _tag: "Tls"
  readonly host: string
  readonly port: number
  readonly ca?: string | Uint8Array | undefined
  readonly servername?: string | undefined
  readonly rejectUnauthorized?: boolean | undefined
}
