/**
 * The default `Transport`: `node:net` for UNIX sockets and TCP, `node:tls` for TLS. Reads with a flowing `'data'`
 * handler and writes with `socket.write`; every socket error is caught and reported as a typed `ConnectionError`
 * (no unhandled `'error'` event can crash the process).
 *
 * @since 0.1.0
 */
import * as Net from "node:net"
import * as Tls from "node:tls"
import { Duration, Effect, Exit, Layer } from "effect"
import { ConnectionError, fromNodeError } from "./ConnectionError.ts"
import { type Endpoint, format } from "./Endpoint.ts"
import { tlsOptions } from "./internal/tls.ts"
import { type ConnectOptions, type Link, type LinkHandlers, Transport } from "./Transport.ts"

/** the longest delay `setTimeout` honours; a longer one overflows and fires after 1 ms */
const maxTimerMillis = 2 ** 31 - 1

const open = (endpoint: Endpoint, noDelay: boolean): Net.Socket => {
  switch (endpoint._tag) {
    case "Unix":
      return Net.createConnection({ path: endpoint.path })
    case "Tcp":
      return Net.createConnection({ host: endpoint.host, port: endpoint.port, noDelay })
    case "Tls":
      return Tls.connect(tlsOptions(endpoint))
  }
}

/** Wraps a connected socket as a Link. */
const link = (endpoint: Endpoint, socket: Net.Socket): Link => {
  let handlers: LinkHandlers | undefined
  let closedLocally = false
  let lastError: unknown
  let pendingClose: ConnectionError | undefined
  socket.on("error", (error) => {
    lastError = error
  })
  socket.on("close", () => {
    if (closedLocally) return
    closedLocally = true
    const error =
      lastError === undefined
        ? new ConnectionError({
            endpoint: format(endpoint),
            reason: "Closed",
            message: `${format(endpoint)}: the server closed the connection`
          })
        : fromNodeError(endpoint, lastError)
    if (handlers === undefined) pendingClose = error
    else handlers.onClose(error)
  })
  return {
    endpoint,
    write: (chunk) => socket.write(chunk),
    listen: (h) => {
      handlers = h
      socket.on("data", h.onData)
      socket.on("drain", h.onDrain)
      if (pendingClose !== undefined) h.onClose(pendingClose)
    },
    close: () => {
      if (closedLocally) return
      closedLocally = true
      socket.destroy()
    }
  }
}

/**
 * Opens a link with `node:net` / `node:tls`. `connectTimeout` (default 10 seconds) bounds the connect; one of
 * 2^31-1 ms (about 24.8 days) or more, or `Duration.infinity`, means no timeout. Interrupting a pending connect
 * destroys its socket at once.
 *
 * @example
 * ```ts
 * import { NodeTransport } from "@fxredis/transport"
 * import { Effect } from "effect"
 *
 * const open = Effect.scoped(NodeTransport.connect({ _tag: "Unix", path: "/tmp/redis.sock" }, { connectTimeout: "1 second" }))
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const connect = (endpoint: Endpoint, options?: ConnectOptions) =>
  Effect.acquireRelease(
    Effect.callback<Link, ConnectionError>((resume) => {
      const timeout = Duration.toMillis(options?.connectTimeout ?? Duration.seconds(10))
      // Node cannot arm a timer longer than 2^31-1 ms (it would fire after 1 ms): that long, or infinite, is no timer
      const timed = timeout < maxTimerMillis
      const noDelay = options?.noDelay ?? true
      let socket: Net.Socket
      try {
        socket = open(endpoint, noDelay)
      } catch (error) {
        resume(Exit.fail(fromNodeError(endpoint, error)))
        return
      }
      let settled = false
      const settle = () => {
        settled = true
        if (timer !== undefined) clearTimeout(timer)
        socket.off("error", onError)
      }
      const onError = (error: unknown) => {
        if (settled) return
        settle()
        socket.destroy()
        resume(Exit.fail(fromNodeError(endpoint, error)))
      }
      const timer = !timed
        ? undefined
        : setTimeout(() => {
            if (settled) return
            settle()
            socket.destroy()
            resume(
              Exit.fail(
                new ConnectionError({
                  endpoint: format(endpoint),
                  reason: "Timeout",
                  message: `${format(endpoint)}: no connection within ${timeout} ms`
                })
              )
            )
          }, timeout)
      socket.on("error", onError)
      socket.once(endpoint._tag === "Tls" ? "secureConnect" : "connect", () => {
        if (settled) return
        settle()
        if (endpoint._tag !== "Unix") {
          const keepAlive = Duration.toMillis(options?.keepAlive ?? Duration.seconds(30))
          if (keepAlive > 0) socket.setKeepAlive(true, keepAlive)
          socket.setNoDelay(noDelay)
        }
        resume(Exit.succeed(link(endpoint, socket)))
      })
      return Effect.sync(() => {
        if (settled) return
        settle()
        socket.destroy()
      })
    }),
    (l) => Effect.sync(() => l.close()),
    // a pending connect can be interrupted (it destroys its socket), also one without a timeout
    { interruptible: true }
  )

/**
 * @example
 * ```ts
 * import { NodeTransport, Transport } from "@fxredis/transport"
 * import { Layer } from "effect"
 *
 * const custom = Layer.succeed(Transport, NodeTransport.make)
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make: Transport["Service"] = { connect }

/**
 * The Node transport for every kind of endpoint.
 *
 * @example
 * ```ts
 * import { Redis } from "@fxredis/client"
 * import { NodeTransport } from "@fxredis/transport"
 * import { Layer } from "effect"
 *
 * // the default; provide another Transport (SocketTransport.layer, say) the same way
 * const RedisLive = Redis.layer({ endpoint: "redis://localhost:6379" }).pipe(Layer.provide(NodeTransport.layer))
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layer: Layer.Layer<Transport> = Layer.succeed(Transport, make)

const only = (tag: Endpoint["_tag"]): Transport["Service"] => ({
  connect: (endpoint, options) =>
    endpoint._tag === tag
      ? connect(endpoint, options)
      : Effect.fail(
          new ConnectionError({
            endpoint: format(endpoint),
            reason: "Unknown",
            message: `${format(endpoint)}: this transport only opens ${tag} endpoints`
          })
        )
})

/**
 * A transport that opens only UNIX sockets (others fail with reason `Unknown`).
 *
 * @example
 * ```ts
 * import { Redis } from "@fxredis/client"
 * import { NodeTransport } from "@fxredis/transport"
 * import { Layer } from "effect"
 *
 * // only Unix endpoints may be opened through this client
 * const strict = Redis.layer({ endpoint: "unix:///tmp/redis.sock" }).pipe(Layer.provide(NodeTransport.layerUnix))
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layerUnix: Layer.Layer<Transport> = Layer.succeed(Transport, only("Unix"))

/**
 * A transport that opens only TCP endpoints.
 *
 * @example
 * ```ts
 * import { Redis } from "@fxredis/client"
 * import { NodeTransport } from "@fxredis/transport"
 * import { Layer } from "effect"
 *
 * // only Tcp endpoints may be opened through this client
 * const strict = Redis.layer({ endpoint: "redis://127.0.0.1:6379" }).pipe(Layer.provide(NodeTransport.layerTcp))
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layerTcp: Layer.Layer<Transport> = Layer.succeed(Transport, only("Tcp"))

/**
 * A transport that opens only TLS endpoints.
 *
 * @example
 * ```ts
 * import { Redis } from "@fxredis/client"
 * import { NodeTransport } from "@fxredis/transport"
 * import { Layer } from "effect"
 *
 * // only Tls endpoints may be opened through this client
 * const strict = Redis.layer({ endpoint: "rediss://cache:6380" }).pipe(Layer.provide(NodeTransport.layerTls))
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layerTls: Layer.Layer<Transport> = Layer.succeed(Transport, only("Tls"))
