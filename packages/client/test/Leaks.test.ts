/**
 * Closing a client's scope closes every socket it opened, whenever that happens: during the connect, the
 * handshake, a subscription or a reconnect. Many build/teardown cycles per layer kind, each closed at a random
 * moment; afterwards the servers list no client of ours and the process holds no extra socket or timer.
 */
import { assert, describe, it } from "@effect/vitest"
import { Redis, type RedisOptions } from "@fxredis/client"
import { FakeServer, RedisServer } from "@fxredis/testing"
import { Effect, Exit, Fiber, Scope, Stream } from "effect"
import { eventually, handles } from "./helpers.ts"

const cycles = 40

/** clients connected to `server`, other than the redis-cli asking */
const clients = (server: RedisServer.RedisServer) =>
  Effect.map(
    server.cli("CLIENT", "LIST"),
    (list) => list.split("\n").filter((line) => line.includes("id=") && !line.includes("cmd=client|list")).length
  )

/** one build/teardown: the client's scope closes after a random moment (0–4 ms, spread over connect and handshake) */
const cycle = (build: Effect.Effect<unknown, unknown, Scope.Scope>) =>
  Effect.gen(function* () {
    const scope = yield* Scope.make()
    const building = yield* Effect.forkChild(Effect.exit(Scope.provide(build, scope)))
    // not a synchronisation: the random moment at which the scope closes
    yield* Effect.sleep(Math.floor(Math.random() * 5))
    yield* Scope.close(scope, Exit.void)
    yield* Fiber.interrupt(building)
  })

describe("no socket outlives its scope", () => {
  it.live(`${cycles} cycles of each layer kind, closed at random moments, leave nothing behind`, () =>
    Effect.gen(function* () {
      const a = yield* RedisServer.make()
      const b = yield* RedisServer.make()
      const c = yield* RedisServer.make()
      const before = handles()
      const one: RedisOptions = { endpoint: a.urls.unix, clientName: "leak" }
      const kinds: ReadonlyArray<readonly [string, Effect.Effect<unknown, unknown, Scope.Scope>]> = [
        ["eager", Redis.make(one)],
        ["lazy", Redis.make(one, { lazy: true })],
        ["eager pool", Redis.make({ ...one, poolSize: 3 })],
        [
          "eager + subscribe",
          Effect.flatMap(Redis.make(one), (redis) => Effect.forkScoped(Stream.runDrain(redis.subscribe("news"))))
        ],
        [
          "lazy + blocking",
          Effect.flatMap(Redis.make(one, { lazy: true }), (redis) => Effect.forkScoped(redis.send("BLPOP", "q", "1")))
        ],
        ["sharded", Redis.make({ endpoints: [a.urls.unix, b.urls.tcp, c.urls.unix], clientName: "leak" })],
        ["lazy sharded", Redis.make({ endpoints: [a.urls.tcp, b.urls.unix, c.urls.tcp] }, { lazy: true })]
      ]
      for (const [, build] of kinds) {
        for (let i = 0; i < cycles; i++) yield* cycle(build)
      }
      for (const server of [a, b, c]) {
        yield* eventually(Effect.map(clients(server), (n) => n === 0))
        assert.strictEqual(yield* clients(server), 0)
      }
      yield* eventually(Effect.sync(() => handles() <= before))
      assert.isAtMost(handles(), before)
    })
  )

  it.live("closing while the handshake waits on a server that never answers closes the socket", () =>
    Effect.gen(function* () {
      const fake = yield* FakeServer.make({ reply: () => "silent" })
      for (let i = 0; i < 10; i++) {
        const scope = yield* Scope.make()
        yield* Scope.provide(
          Redis.make({ endpoint: i % 2 === 0 ? fake.urls.unix : fake.urls.tcp }, { lazy: true }),
          scope
        )
        // the link is open and its handshake pending when the scope closes
        yield* eventually(Effect.sync(() => fake.connections() > i))
        yield* Scope.close(scope, Exit.void)
      }
      yield* eventually(Effect.sync(() => fake.open() === 0))
      assert.strictEqual(fake.open(), 0)
    })
  )

  it.live("a build whose scope closes while it connects ends at once, leaving no timer", () =>
    Effect.gen(function* () {
      const server = yield* RedisServer.make()
      const before = handles()
      for (const options of [
        { endpoint: server.urls.unix, connectTimeout: "infinity" },
        { endpoint: server.urls.tcp, connectTimeout: "1 hour" },
        { endpoint: server.urls.unix, poolSize: 3, connectTimeout: "1 hour" }
      ] as const) {
        for (let i = 0; i < 10; i++) {
          const scope = yield* Scope.make()
          const building = yield* Effect.forkChild(Effect.exit(Scope.provide(Redis.make(options), scope)))
          yield* Scope.close(scope, Exit.void)
          // bounded, not a synchronisation: before the fix the build waited for connectTimeout (here: for ever)
          const ended = yield* Effect.timeoutOption(Fiber.join(building), "5 seconds")
          assert.isTrue(ended._tag === "Some", "the build ended after its scope closed")
        }
      }
      yield* eventually(Effect.sync(() => handles() <= before))
      assert.isAtMost(handles(), before)
      yield* eventually(Effect.map(clients(server), (n) => n === 0))
    })
  )

  it.live("closing during reconnects leaves nothing behind", () =>
    Effect.gen(function* () {
      const server = yield* RedisServer.make()
      for (let i = 0; i < cycles; i++) {
        yield* cycle(
          Effect.gen(function* () {
            const redis = yield* Redis.make({ endpoint: server.urls.tcp })
            // the link drops: the client reconnects while its scope closes
            yield* server.cli("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")
            yield* Effect.exit(redis.ping())
          })
        )
      }
      yield* eventually(Effect.map(clients(server), (n) => n === 0))
      assert.strictEqual(yield* clients(server), 0)
    })
  )
})
