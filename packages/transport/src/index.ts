/**
 * `@fxredis/transport`: endpoints, URL parsing, and links to a Redis server over UNIX sockets, TCP and TLS.
 *
 * `SocketTransport` is not re-exported here: it needs the optional peer `@effect/platform-node-shared`, so it has its
 * own entry point, `@fxredis/transport/SocketTransport`, and this barrel loads without that package.
 *
 * @since 0.1.0
 */
export * from "./ConnectionError.ts"
export * from "./Endpoint.ts"
export * as NodeTransport from "./NodeTransport.ts"
export * from "./Transport.ts"
