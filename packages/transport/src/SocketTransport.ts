/**
 * A `Transport` on Effect's own socket abstraction (`effect/socket/Socket`, through `NodeSocket` from
 * `@effect/platform-node-shared`): for other runtimes, for tests, or to compare. It costs more CPU per command than
 * `NodeTransport` (a read-loop fiber and an Effect per pulled batch), which is why it is not the default.
 *
 * Writes are queued in order, without bound, for a writer fiber: `write` always returns true, so this transport
 * applies no backpressure (`NodeTransport` does). `close` closes the socket at once, as a drop would, but reports no
 * `onClose` for it.
 *
 * This module is its own entry point, `@fxredis/transport/SocketTransport`, and is not re-exported by
 * `@fxredis/transport`: it needs `@effect/platform-node-shared`, an optional peer dependency that only its users
 * install (`npm install @effect/platform-node-shared`).
 *
 * @since 0.1.0
 */
import * as NodeSocket from "@effect/platform-node-shared/NodeSocket"
import { Duration, Effect, Exit, Layer, Queue, Scope } from "effect"
import * as Socket from "effect/socket/Socket"
import { ConnectionError, reasonOf } from "./ConnectionError.ts"
import { type Endpoint, format } from "./Endpoint.ts"
import { tlsOptions } from "./internal/tls.ts"
import { type ConnectOptions, type Link, type LinkHandlers, Transport } from "./Transport.ts"

const toConnectionError = (endpoint: Endpoint, error: Socket.SocketError): ConnectionError => {
  const reason = error.reason
  const name = format(endpoint)
  return new ConnectionError({
    endpoint: name,
    reason:
      reason._tag === "SocketOpenError"
        ? reason.kind === "Timeout"
          ? "Timeout"
          : reasonOf("cause" in reason ? reason.cause : undefined)
        : reason._tag === "SocketCloseError"
          ? "Closed"
          : "Unknown",
    message: `${name}: ${error.message}`,
    cause: error
  })
}

/**
 * Opens a link over `effect/socket`.
 *
 * @example
 * ```ts
 * import * as SocketTransport from "@fxredis/transport/SocketTransport"
 * import { Effect } from "effect"
 *
 * const open = Effect.scoped(SocketTransport.connect({ _tag: "Tcp", host: "127.0.0.1", port: 6379 }))
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const connect = (endpoint: Endpoint, options?: ConnectOptions) =>
  Effect.gen(function* () {
    const openTimeout = options?.connectTimeout ?? Duration.seconds(10)
    const socket = yield* endpoint._tag === "Unix"
      ? NodeSocket.makeNet({ path: endpoint.path, openTimeout })
      : endpoint._tag === "Tcp"
        ? NodeSocket.makeNet({
            host: endpoint.host,
            port: endpoint.port,
            noDelay: options?.noDelay ?? true,
            openTimeout
          })
        : NodeSocket.makeTls({ ...tlsOptions(endpoint), openTimeout })
    // the socket lives in a scope of its own, so that `close` can close it before the caller's scope ends
    const scope = yield* Scope.fork(yield* Effect.scope)
    const pull = yield* Socket.readerBytes(socket).pipe(
      Scope.provide(scope),
      Effect.mapError((e) => toConnectionError(endpoint, e))
    )
    const writer = yield* Scope.provide(socket.writer, scope)
    const outbox = yield* Queue.unbounded<string | Uint8Array>()
    let handlers: LinkHandlers | undefined
    let closed = false
    const early: Array<Uint8Array> = []
    let earlyClose: ConnectionError | undefined
    const deliverClose = (error: ConnectionError) => {
      if (closed) return
      closed = true
      if (handlers === undefined) earlyClose = error
      else handlers.onClose(error)
    }
    yield* Effect.gen(function* () {
      while (true) {
        const chunks = yield* pull
        for (const chunk of chunks) {
          if (handlers === undefined) early.push(chunk)
          else handlers.onData(chunk)
        }
      }
    }).pipe(
      Effect.catch((e) => Effect.sync(() => deliverClose(toConnectionError(endpoint, e)))),
      Effect.forkIn(scope)
    )
    yield* Effect.gen(function* () {
      while (true) {
        yield* writer.writeAll(yield* Queue.takeAll(outbox))
      }
    }).pipe(
      Effect.catch((e) => Effect.sync(() => deliverClose(toConnectionError(endpoint, e)))),
      Effect.forkIn(scope)
    )
    const link: Link = {
      endpoint,
      write: (chunk) => {
        Queue.offerUnsafe(outbox, chunk)
        return true
      },
      listen: (h) => {
        handlers = h
        for (const chunk of early.splice(0)) h.onData(chunk)
        if (earlyClose !== undefined) h.onClose(earlyClose)
      },
      close: () => {
        if (closed) return
        closed = true
        Effect.runFork(Scope.close(scope, Exit.void))
      }
    }
    return link
  })

/**
 * @example
 * ```ts
 * import { Transport } from "@fxredis/transport"
 * import * as SocketTransport from "@fxredis/transport/SocketTransport"
 * import { Layer } from "effect"
 *
 * const onEffectSockets = Layer.succeed(Transport, SocketTransport.make)
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make: Transport["Service"] = { connect }

/**
 * `Transport` over `effect/socket`.
 *
 * @example
 * ```ts
 * import { Redis } from "@fxredis/client"
 * import * as SocketTransport from "@fxredis/transport/SocketTransport"
 * import { Layer } from "effect"
 *
 * const RedisOnEffectSockets = Redis.layer({ endpoint: "unix:///tmp/redis.sock" }).pipe(Layer.provide(SocketTransport.layer))
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layer: Layer.Layer<Transport> = Layer.succeed(Transport, make)
