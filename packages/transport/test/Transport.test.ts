import * as Net from "node:net"
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { eventually, FakeServer, RedisServer } from "@fxredis/testing"
import { type ConnectionError, type Endpoint, type Link, NodeTransport, Transport } from "@fxredis/transport"
import * as SocketTransport from "@fxredis/transport/SocketTransport"
import { Deferred, Effect, Exit, Scope } from "effect"

/** sends an inline command on a link and waits for the first reply chunk */
const roundTrip = (link: Link, command: string) =>
  Effect.callback<string, ConnectionError>((resume) => {
    link.listen({
      onData: (chunk) => resume(Effect.succeed(Buffer.from(chunk).toString("latin1"))),
      onDrain: () => {},
      onClose: (error) => resume(Effect.fail(error))
    })
    link.write(`${command}\r\n`)
  })

const transports = { node: NodeTransport.make, "effect/socket": SocketTransport.make }

/** a TCP listener that accepts and never says a word */
const silentListener = Effect.acquireRelease(
  Effect.callback<Net.Server>((resume) => {
    const server = Net.createServer((socket) => {
      socket.on("error", () => {})
      socket.resume() // read (and drop) so that the peer's close is seen
    })
    server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
  }),
  (server) => Effect.sync(() => server.close())
)
const portOf = (server: Net.Server) => {
  const address = server.address()
  return typeof address === "object" && address !== null ? address.port : 0
}

for (const [name, transport] of Object.entries(transports)) {
  describe(`${name} transport`, () => {
    it.live("talks to a real server over UNIX, TCP and TLS", () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make({ tls: true })
        const endpoints: Array<Endpoint> = [server.unix, server.tcp, server.tls!]
        for (const endpoint of endpoints) {
          const reply = yield* Effect.scoped(
            Effect.flatMap(transport.connect(endpoint), (link) => roundTrip(link, "PING"))
          )
          assert.strictEqual(reply, "+PONG\r\n")
        }
      })
    )
    it.live("a missing socket path is NotFound, a closed port is Refused", () =>
      Effect.gen(function* () {
        const missing = yield* Effect.flip(
          Effect.scoped(
            transport.connect({ _tag: "Unix", path: Path.join("/tmp", `fxredis-missing-${process.pid}.sock`) })
          )
        )
        assert.strictEqual(missing.reason, "NotFound")
        const refused = yield* Effect.flip(
          Effect.scoped(transport.connect({ _tag: "Tcp", host: "127.0.0.1", port: 1 }))
        )
        assert.strictEqual(refused.reason, "Refused")
        assert.strictEqual(refused.endpoint, "127.0.0.1:1")
      })
    )
    it.live("a TLS endpoint that never answers the handshake times out", () =>
      Effect.gen(function* () {
        const silent = yield* silentListener
        const timedOut = yield* Effect.flip(
          Effect.scoped(
            transport.connect(
              { _tag: "Tls", host: "127.0.0.1", port: portOf(silent) },
              { connectTimeout: "200 millis" }
            )
          )
        )
        assert.strictEqual(timedOut.reason, "Timeout")
      })
    )
    it.live("a server certificate the client does not trust fails with reason Tls", () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make({ tls: true })
        const { ca: _ca, ...untrusted } = server.tls!
        const rejected = yield* Effect.flip(Effect.scoped(transport.connect(untrusted)))
        assert.include(["Tls", "Unknown"], rejected.reason)
        if (name === "node") assert.strictEqual(rejected.reason, "Tls")
      })
    )
    it.live("the peer closing mid-stream is reported once, as Closed", () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make()
        const scope = yield* Scope.make()
        const link = yield* transport.connect(server.unix).pipe(Scope.provide(scope))
        const closed = yield* Deferred.make<ConnectionError>()
        let closes = 0
        link.listen({
          onData: () => {},
          onDrain: () => {},
          onClose: (error) => {
            closes++
            Deferred.doneUnsafe(closed, Exit.succeed(error))
          }
        })
        link.write("QUIT\r\n")
        const error = yield* Deferred.await(closed)
        assert.strictEqual(error.reason, "Closed")
        yield* Scope.close(scope, Exit.void)
        assert.strictEqual(closes, 1)
      })
    )

    it.live("close() closes the socket at once, before its scope ends, and reports no onClose", () =>
      Effect.gen(function* () {
        const fake = yield* FakeServer.make({ reply: () => "silent" })
        let closes = 0
        const link = yield* transport.connect(fake.tcp)
        link.listen({ onData: () => {}, onDrain: () => {}, onClose: () => closes++ })
        yield* eventually(Effect.sync(() => fake.open() === 1))
        link.close()
        // the scope of this test is still open: only close() can have closed it
        yield* eventually(Effect.sync(() => fake.open() === 0))
        assert.strictEqual(fake.open(), 0)
        assert.strictEqual(closes, 0)
      })
    )
  })
}

describe("node transport", () => {
  it.live("interrupting a connect destroys the half-open socket", () =>
    Effect.gen(function* () {
      const silent = yield* silentListener
      const connections = () =>
        Effect.callback<number>((resume) => {
          silent.getConnections((_, n) => resume(Effect.succeed(n)))
        })
      const exit = yield* Effect.exit(
        Effect.scoped(NodeTransport.connect({ _tag: "Tls", host: "127.0.0.1", port: portOf(silent) })).pipe(
          Effect.timeout("100 millis")
        )
      )
      assert.isTrue(Exit.isFailure(exit))
      yield* eventually(Effect.map(connections(), (n) => n === 0))
    })
  )
  it.live("the kind-specific layers refuse other kinds", () =>
    Effect.gen(function* () {
      const server = yield* RedisServer.make()
      const connect = (endpoint: Endpoint) => Transport.use((t) => Effect.scoped(Effect.as(t.connect(endpoint), "ok")))
      assert.strictEqual(yield* Effect.provide(connect(server.unix), NodeTransport.layerUnix), "ok")
      const refused = yield* Effect.flip(Effect.provide(connect(server.tcp), NodeTransport.layerUnix))
      assert.include(refused.message, "only opens Unix")
      assert.strictEqual(yield* Effect.provide(connect(server.tcp), NodeTransport.layerTcp), "ok")
      assert.strictEqual(yield* Effect.provide(connect(server.unix), SocketTransport.layer), "ok")
    })
  )
})
