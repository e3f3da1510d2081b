/**
 * The `Transport` service: opens a `Link` (a byte stream) to an endpoint within a Scope.
 *
 * A `Link` is the hot path: the client writes with `write` (plain `socket.write`, respecting backpressure) and
 * reads in the `onData` callback, synchronously, with no Effect per chunk. Effect owns the lifecycle: the Link is
 * opened by an interruptible Effect with a connect timeout and closed when its Scope closes.
 *
 * @since 0.1.0
 */
import { Context, type Duration, type Effect, type Scope } from "effect"
import type { ConnectionError } from "./ConnectionError.ts"
import type { Endpoint } from "./Endpoint.ts"

/**
 * What a Link calls back with.
 *
 * @example
 * ```ts
 * import type { LinkHandlers } from "@fxredis/transport"
 *
 * const handlers: LinkHandlers = {
 *   onData: (chunk) => console.log(chunk.length, "bytes"),
 *   onDrain: () => {},
 *   onClose: (error) => console.log("closed:", error.reason)
 * }
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface LinkHandlers {
  /** a chunk of bytes, delivered synchronously from the socket's 'data' event */
  readonly onData: (chunk: Uint8Array) => void
  /** the kernel buffer has room again after `write` returned false */
  readonly onDrain: () => void
  /** the link ended for any reason other than `close()`: called once */
  readonly onClose: (error: ConnectionError) => void
}

/**
 * One open byte stream to a server.
 *
 * @example
 * ```ts
 * import type { Link } from "@fxredis/transport"
 *
 * const ping = (link: Link) => link.write("PING\r\n") // false: wait for onDrain before writing more
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface Link {
  readonly endpoint: Endpoint
  /** writes bytes; returns false when the kernel buffer is full (then wait for `onDrain` before writing more) */
  readonly write: (chunk: string | Uint8Array) => boolean
  /** attaches the handlers (once). Data that arrived before is not lost; a close that happened before is reported. */
  readonly listen: (handlers: LinkHandlers) => void
  /** destroys the stream now; idempotent; `onClose` is not called for it */
  readonly close: () => void
}

/**
 * @example
 * ```ts
 * import type { ConnectOptions } from "@fxredis/transport"
 *
 * const options: ConnectOptions = { connectTimeout: "2 seconds", noDelay: true, keepAlive: "60 seconds" }
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface ConnectOptions {
  /** how long the connect (and TLS handshake) may take; default 10 seconds */
  readonly connectTimeout?: Duration.Input | undefined
  /** TCP_NODELAY; default true */
  readonly noDelay?: boolean | undefined
  /** TCP keep-alive probes after this much idle time; default 30 seconds; 0 disables */
  readonly keepAlive?: Duration.Input | undefined
}

/**
 * Opens links. The default implementation (`NodeTransport.layer`) uses `node:net` and `node:tls` for all three
 * kinds of endpoint; `SocketTransport.layer` adapts Effect's `effect/socket` for other runtimes and tests.
 *
 * @example
 * ```ts
 * import { Transport } from "@fxredis/transport"
 * import { Effect } from "effect"
 *
 * const ping = Effect.scoped(
 *   Effect.gen(function* () {
 *     const transport = yield* Transport
 *     const link = yield* transport.connect({ _tag: "Unix", path: "/tmp/redis.sock" }, { connectTimeout: "1 second" })
 *     link.write("PING\r\n")
 *   })
 * )
 * ```
 *
 * @category services
 * @since 0.1.0
 */
export class Transport extends Context.Service<
  Transport,
  {
    /**
     * Opens a Link, closed when the Scope closes. Fails with `ConnectionError` (refused, not found, permission
     * denied, timed out, TLS). Interrupting it destroys the half-open socket.
     */
    readonly connect: (
      endpoint: Endpoint,
      options?: ConnectOptions
    ) => Effect.Effect<Link, ConnectionError, Scope.Scope>
  }
>()("@fxredis/transport/Transport") {}
