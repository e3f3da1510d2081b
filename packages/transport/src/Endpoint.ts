/**
 * Where a Redis server listens, as data: a UNIX socket, a TCP address, or TCP with TLS; and the URLs users write
 * for them (`redis://`, `rediss://`, `unix://`, `redis+unix://`).
 *
 * Passwords taken from a URL are `Redacted`: they never appear in `format`, errors, logs or `toString`.
 *
 * @since 0.1.0
 */
import { Effect, Redacted, Result, Schema } from "effect"

/**
 * @example
 * ```ts
 * import type { UnixEndpoint } from "@fxredis/transport"
 *
 * const local: UnixEndpoint = { _tag: "Unix", path: "/var/run/redis/redis.sock" }
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface UnixEndpoint {
  readonly _tag: "Unix"
  readonly path: string
}

/**
 * @example
 * ```ts
 * import type { TcpEndpoint } from "@fxredis/transport"
 *
 * const cache: TcpEndpoint = { _tag: "Tcp", host: "10.0.0.5", port: 6379 }
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface TcpEndpoint {
  readonly _tag: "Tcp"
  readonly host: string
  readonly port: number
}

/**
 * @example
 * ```ts
 * import type { TlsEndpoint } from "@fxredis/transport"
 * import { readFileSync } from "node:fs"
 *
 * const managed: TlsEndpoint = { _tag: "Tls", host: "cache.example.com", port: 6380, ca: readFileSync("ca.pem") }
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface TlsEndpoint {
  readonly _tag: "Tls"
  readonly host: string
  readonly port: number
  /** trusted CA certificate(s), PEM; default: Node's bundled roots */
  readonly ca?: string | Uint8Array | undefined
  /** client certificate and key, PEM (mutual TLS) */
  readonly cert?: string | Uint8Array | undefined
  readonly key?: string | Uint8Array | undefined
  /** the name to verify the certificate against (SNI); default `host` */
  readonly servername?: string | undefined
  /** default true: an untrusted certificate fails the connect with reason `Tls` */
  readonly rejectUnauthorized?: boolean | undefined
}

/**
 * @example
 * ```ts
 * import { type Endpoint, format } from "@fxredis/transport"
 *
 * const label = (e: Endpoint) => (e._tag === "Unix" ? `socket ${e.path}` : format(e))
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export type Endpoint = UnixEndpoint | TcpEndpoint | TlsEndpoint

/**
 * @example
 * ```ts
 * import { unix } from "@fxredis/transport"
 *
 * unix() // { _tag: "Unix", path: "/tmp/redis.sock" }
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const unix = (path = "/tmp/redis.sock"): UnixEndpoint => ({ _tag: "Unix", path })

/**
 * @example
 * ```ts
 * import { tcp } from "@fxredis/transport"
 *
 * tcp() // { _tag: "Tcp", host: "localhost", port: 6379 }
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const tcp = (host = "localhost", port = 6379): TcpEndpoint => ({ _tag: "Tcp", host, port })

/**
 * @example
 * ```ts
 * import { tls } from "@fxredis/transport"
 *
 * const endpoint = tls({ host: "cache.example.com", servername: "cache.example.com" }) // port 6379
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const tls = (
  options: Omit<TlsEndpoint, "_tag" | "port"> & { readonly port?: number | undefined }
): TlsEndpoint => ({
  ...options,
  _tag: "Tls",
  port: options.port ?? 6379
})

/**
 * A printable name for the endpoint, without secrets: `unix:/tmp/redis.sock`, `127.0.0.1:6379`, `tls://host:6380`.
 *
 * @example
 * ```ts
 * import { format, tcp, unix } from "@fxredis/transport"
 *
 * format(unix("/tmp/redis.sock")) // "unix:/tmp/redis.sock"
 * format(tcp("10.0.0.5", 6380)) // "10.0.0.5:6380"
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export const format = (endpoint: Endpoint): string =>
  endpoint._tag === "Unix"
    ? `unix:${endpoint.path}`
    : endpoint._tag === "Tcp"
      ? `${hostPart(endpoint.host)}:${endpoint.port}`
      : `tls://${hostPart(endpoint.host)}:${endpoint.port}`

const hostPart = (host: string) => (host.includes(":") ? `[${host}]` : host)

/**
 * What a URL carries besides the endpoint.
 *
 * @example
 * ```ts
 * import { parseUrl } from "@fxredis/transport"
 * import { Effect } from "effect"
 *
 * const db = Effect.map(parseUrl("redis://:pw@cache:6379/2"), (url) => url.database) // 2
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface RedisUrl {
  readonly endpoint: Endpoint
  readonly database: number
  readonly username: string | undefined
  readonly password: Redacted.Redacted<string> | undefined
}

/**
 * A bad URL or option; `input` has any password masked.
 *
 * @example
 * ```ts
 * import { parseUrl } from "@fxredis/transport"
 * import { Effect } from "effect"
 *
 * const checked = parseUrl("http://oops").pipe(Effect.catchTag("EndpointError", (e) => Effect.succeed(e.message)))
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class EndpointError extends Schema.TaggedError<EndpointError>()("EndpointError", {
  input: Schema.String,
  message: Schema.String
}) {}

/**
 * The URL without its secrets, for errors: everything between `scheme://user:` and the *last* `@` (a password may
 * hold `/`, `@` or `%`-escapes, and a URL that failed to parse cannot be trusted to split where a parser would),
 * and every `password=` query value.
 */
const mask = (url: string): string => {
  const start = url.indexOf("//")
  const at = url.lastIndexOf("@")
  let masked = url
  if (start >= 0 && at > start) {
    const userinfo = url.slice(start + 2, at)
    const colon = userinfo.indexOf(":")
    masked = `${url.slice(0, start + 2)}${colon >= 0 ? `${userinfo.slice(0, colon)}:***` : "***"}${url.slice(at)}`
  }
  return masked.replace(/(password=)[^&]*/gi, "$1***")
}

const databaseOf = (text: string | null | undefined, input: string): Result.Result<number, EndpointError> => {
  if (text === null || text === undefined || text === "") return Result.succeed(0)
  return /^\d+$/.test(text) && Number(text) < 2 ** 31
    ? Result.succeed(Number(text))
    : Result.fail(
        new EndpointError({ input: mask(input), message: `the database must be a whole number, got "${text}"` })
      )
}

/**
 * Parses a Redis URL, synchronously.
 *
 * - `redis://[[user]:password@]host[:port][/db]` (TCP, default `localhost:6379`, db 0)
 * - `rediss://…` (TLS; `?servername=…&rejectUnauthorized=false` optional)
 * - `unix:///path/to/redis.sock[?db=2&password=…&username=…]`, `redis+unix://…` the same; an empty path means
 *   `/tmp/redis.sock`
 *
 * @example
 * ```ts
 * import { parseUrlResult } from "@fxredis/transport"
 * import { Result } from "effect"
 *
 * Result.isSuccess(parseUrlResult("unix:///tmp/redis.sock?db=1")) // true
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const parseUrlResult = (input: string): Result.Result<RedisUrl, EndpointError> => {
  const bad = (message: string) => Result.fail(new EndpointError({ input: mask(input), message }))
  let url: URL
  try {
    url = new URL(input)
  } catch {
    return bad("not a URL (expected redis://host:port, rediss://host:port or unix:///path/to/redis.sock)")
  }
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s)
    } catch {
      return s
    }
  }
  const params = url.searchParams
  const user = url.username !== "" ? decode(url.username) : (params.get("username") ?? undefined)
  const secret = url.password !== "" ? decode(url.password) : (params.get("password") ?? undefined)
  const password = secret === undefined ? undefined : Redacted.make(secret)
  switch (url.protocol) {
    case "redis:":
    case "rediss:": {
      const host = url.hostname === "" ? "localhost" : url.hostname.replace(/^\[(.*)\]$/, "$1")
      const port = url.port === "" ? 6379 : Number(url.port)
      if (!Number.isInteger(port) || port < 1 || port > 65535) return bad(`the port must be 1–65535, got "${url.port}"`)
      const path = url.pathname.replace(/^\//, "")
      const database = databaseOf(path !== "" ? path : params.get("db"), input)
      if (Result.isFailure(database)) return Result.fail(database.failure)
      const reject = params.get("rejectUnauthorized")
      const servername = params.get("servername")
      const endpoint: Endpoint =
        url.protocol === "redis:"
          ? { _tag: "Tcp", host, port }
          : {
              _tag: "Tls",
              host,
              port,
              ...(servername === null ? {} : { servername }),
              ...(reject === null ? {} : { rejectUnauthorized: reject !== "false" && reject !== "0" })
            }
      return Result.succeed({ endpoint, database: database.success, username: user, password })
    }
    case "unix:":
    case "redis+unix:": {
      const path = decode(url.hostname === "" ? url.pathname : `/${url.hostname}${url.pathname}`)
      const database = databaseOf(params.get("db"), input)
      if (Result.isFailure(database)) return Result.fail(database.failure)
      return Result.succeed({
        endpoint: { _tag: "Unix", path: path === "" || path === "/" ? "/tmp/redis.sock" : path },
        database: database.success,
        username: user,
        password
      })
    }
    default:
      return bad(`unsupported scheme "${url.protocol}" (use redis:, rediss:, unix: or redis+unix:)`)
  }
}

/**
 * Parses a Redis URL (see `parseUrlResult`).
 *
 * @example
 * ```ts
 * import { parseUrl } from "@fxredis/transport"
 *
 * const url = parseUrl("unix:///tmp/redis.sock?db=2") // Effect<RedisUrl, EndpointError>
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const parseUrl = (input: string): Effect.Effect<RedisUrl, EndpointError> =>
  Effect.suspend(() => Effect.fromResult(parseUrlResult(input)))

/**
 * Checks an endpoint value: a non-empty path or host, a port in 1–65535.
 *
 * @example
 * ```ts
 * import { validate } from "@fxredis/transport"
 *
 * const bad = validate({ _tag: "Tcp", host: "cache", port: 70000 }) // fails: the port must be 1–65535
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const validate = (endpoint: Endpoint): Effect.Effect<Endpoint, EndpointError> => {
  const bad = (message: string) => Effect.fail(new EndpointError({ input: format(endpoint), message }))
  if (endpoint._tag === "Unix") return endpoint.path === "" ? bad("the socket path is empty") : Effect.succeed(endpoint)
  if (endpoint.host === "") return bad("the host is empty")
  if (!Number.isInteger(endpoint.port) || endpoint.port < 1 || endpoint.port > 65535) {
    return bad(`the port must be 1–65535, got ${endpoint.port}`)
  }
  return Effect.succeed(endpoint)
}
