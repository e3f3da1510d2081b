/**
 * A scripted peer that speaks arbitrary bytes, for protocol-violation tests: it listens on a UNIX socket and a
 * free port on 127.0.0.1 and answers each chunk a client sends with what `reply` returns — bytes to write,
 * `"close"` to close that connection, or `"silent"` to say nothing.
 *
 * @since 0.1.0
 */
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import { Effect, type Scope } from "effect"
import type { TcpEndpoint, UnixEndpoint } from "./internal/endpoints.ts"

/**
 * What to do with a request.
 *
 * @example
 * ```ts
 * import { FakeServer } from "@fxredis/testing"
 *
 * // PONG to the first request of each connection, then hang up
 * const fake = FakeServer.make({ reply: (_, connection) => (connection === 0 ? "+PONG\r\n" : "close") })
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export type Answer = string | Uint8Array | "close" | "silent"

/**
 * @example
 * ```ts
 * import { FakeServer } from "@fxredis/testing"
 * import { Effect } from "effect"
 *
 * const accepted = Effect.map(FakeServer.make({ reply: () => "silent" }), (fake) => fake.connections())
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface FakeServer {
  readonly unix: UnixEndpoint
  readonly tcp: TcpEndpoint
  readonly urls: { readonly unix: string; readonly tcp: string }
  /** connections accepted so far */
  readonly connections: () => number
  /** connections open now (accepted and not yet closed by either side) */
  readonly open: () => number
}

/**
 * @example
 * ```ts
 * import { FakeServer } from "@fxredis/testing"
 *
 * const echo = FakeServer.make({ reply: (request) => `+${request.length} bytes\r\n` })
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface FakeServerOptions {
  /** the answer to one chunk received on connection number `connection` (0-based) */
  readonly reply: (request: Uint8Array, connection: number) => Answer
}

const listen = (server: Net.Server, target: { path: string } | { port: number; host: string }) =>
  Effect.callback<void, Error>((resume) => {
    server.once("error", (e) => resume(Effect.fail(e)))
    server.listen(target, () => resume(Effect.void))
  })

/**
 * Starts a fake server in the current Scope; it closes (with every connection) when the Scope closes.
 *
 * @example
 * ```ts
 * import { Redis } from "@fxredis/client"
 * import { FakeServer } from "@fxredis/testing"
 * import { Effect } from "effect"
 *
 * const garbage = Effect.gen(function* () {
 *   const fake = yield* FakeServer.make({ reply: () => "?? not RESP\r\n" })
 *   const redis = yield* Redis.make({ endpoint: fake.urls.unix }, { lazy: true })
 *   return yield* Effect.flip(redis.ping()) // ProtocolError
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (options: FakeServerOptions): Effect.Effect<FakeServer, Error, Scope.Scope> =>
  Effect.gen(function* () {
    const dir = yield* Effect.acquireRelease(
      Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "fxredis-fake-"))),
      (d) => Effect.sync(() => Fs.rmSync(d, { recursive: true, force: true }))
    )
    let accepted = 0
    const sockets = new Set<Net.Socket>()
    const onConnection = (socket: Net.Socket) => {
      const index = accepted++
      sockets.add(socket)
      socket.on("close", () => sockets.delete(socket))
      socket.on("error", () => {})
      socket.on("data", (chunk) => {
        const answer = options.reply(chunk, index)
        if (answer === "close") socket.destroy()
        else if (answer !== "silent") socket.write(answer)
      })
    }
    const unixServer = Net.createServer(onConnection)
    const tcpServer = Net.createServer(onConnection)
    const path = Path.join(dir, "fake.sock")
    yield* Effect.acquireRelease(listen(unixServer, { path }), () =>
      Effect.sync(() => {
        for (const s of sockets) s.destroy()
        unixServer.close()
      })
    )
    yield* Effect.acquireRelease(listen(tcpServer, { port: 0, host: "127.0.0.1" }), () =>
      Effect.sync(() => {
        for (const s of sockets) s.destroy()
        tcpServer.close()
      })
    )
    const address = tcpServer.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    return {
      unix: { _tag: "Unix", path },
      tcp: { _tag: "Tcp", host: "127.0.0.1", port },
      urls: { unix: `unix://${path}`, tcp: `redis://127.0.0.1:${port}` },
      connections: () => accepted,
      open: () => sockets.size
    }
  })
