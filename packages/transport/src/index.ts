/**
 * `@fxredis/transport`: endpoints, URL parsing, and links to a Redis server over UNIX sockets, TCP and TLS.
 *
 * @since 0.1.0
 */
export * from "./ConnectionError.ts"
export * from "./Endpoint.ts"
export * as NodeTransport from "./NodeTransport.ts"
export * as SocketTransport from "./SocketTransport.ts"
export * from "./Transport.ts"
