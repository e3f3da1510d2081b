/**
 * Command timeouts, offline expiry and pool waits run on Effect's Clock: `TestClock` moves them, with no real
 * sleep. The server is a scripted `FakeServer` (it needs no clock of its own).
 */
import { assert, describe, it } from "@effect/vitest"
import { Redis } from "@fxredis/client"
import { FakeServer } from "@fxredis/testing"
import { Deferred, Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"

/** answers the handshake's PING and SET; holds every GET for ever */
const answersAllButGet = FakeServer.make({
  reply: (request) => {
    const text = new TextDecoder().decode(request)
    if (text.includes("GET")) return "silent"
    return text.includes("PING") ? "+PONG\r\n" : "+OK\r\n"
  }
})

/** lets the fibers and I/O callbacks of this tick run (a socket's events arrive as macrotasks) */
const settle = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

describe("deadlines on Effect's Clock", () => {
  it.effect("a command with no reply fails with CommandTimeoutError once the TestClock passes commandTimeout", () =>
    Effect.gen(function* () {
      const fake = yield* answersAllButGet
      const redis = yield* Redis.make({ endpoint: fake.urls.unix, commandTimeout: "1 hour" })
      const get = yield* Effect.forkChild(Effect.flip(redis.get("k")))
      yield* settle
      yield* TestClock.adjust("59 minutes")
      assert.isTrue(get.pollUnsafe() === undefined, "still waiting after 59 minutes")
      yield* TestClock.adjust("2 minutes")
      const error = yield* Fiber.join(get)
      assert.strictEqual(error._tag, "CommandTimeoutError")
      if (error._tag === "CommandTimeoutError") assert.isTrue(error.sent)
    })
  )

  it.effect("a command waiting offline expires after commandTimeout on the TestClock, unsent", () =>
    Effect.gen(function* () {
      // a server that hangs up at once: the lazy client stays offline, reconnecting on the TestClock
      const fake = yield* FakeServer.make({ reply: () => "close" })
      const redis = yield* Redis.make({ endpoint: fake.urls.unix, commandTimeout: "2 hours" }, { lazy: true })
      const get = yield* Effect.forkChild(Effect.flip(redis.get("k")))
      yield* settle
      yield* TestClock.adjust("119 minutes")
      assert.isTrue(get.pollUnsafe() === undefined, "still waiting offline after 119 minutes")
      yield* TestClock.adjust("2 minutes")
      const error = yield* Fiber.join(get)
      assert.strictEqual(error._tag, "CommandTimeoutError")
      if (error._tag === "CommandTimeoutError") assert.isFalse(error.sent)
    })
  )

  it.effect("waiting for a pinned pool gives PoolExhaustedError after commandTimeout on the TestClock", () =>
    Effect.gen(function* () {
      const fake = yield* answersAllButGet
      const redis = yield* Redis.make({ endpoint: fake.urls.unix, poolSize: 1, commandTimeout: "1 hour" })
      const holding = yield* Deferred.make<void>()
      const holder = yield* Effect.forkChild(
        redis.transaction(() => Effect.andThen(Deferred.succeed(holding, undefined), Effect.never))
      )
      yield* Deferred.await(holding)
      const waiter = yield* Effect.forkChild(Effect.flip(redis.transaction((tx) => tx.set("k", "v"))))
      yield* settle
      yield* TestClock.adjust("59 minutes")
      assert.isTrue(waiter.pollUnsafe() === undefined, "still waiting after 59 minutes")
      yield* TestClock.adjust("2 minutes")
      const error = yield* Fiber.join(waiter)
      assert.strictEqual(error._tag, "PoolExhaustedError")
      yield* Fiber.interrupt(holder)
    })
  )
})

describe("a link that stops making progress on a frame", () => {
  it.effect("is reset when the command waiting for that frame times out", () =>
    Effect.gen(function* () {
      // the first connection answers GET with half an array, then nothing; later connections answer in full
      const fake = yield* FakeServer.make({
        reply: (request, connection) => {
          const text = new TextDecoder().decode(request)
          if (text.includes("PING")) return "+PONG\r\n"
          return connection === 0 ? "*2\r\n$1\r\na\r\n" : "$1\r\nb\r\n"
        }
      })
      const redis = yield* Redis.make({ endpoint: fake.urls.unix, commandTimeout: "1 hour" })
      const stuck = yield* Effect.forkChild(Effect.flip(redis.send("GET", "a")))
      yield* settle
      yield* TestClock.adjust("61 minutes")
      const error = yield* Fiber.join(stuck)
      assert.strictEqual(error._tag, "CommandTimeoutError")
      // the link was reset: the next command runs on a new connection, which answers in full
      const reply = yield* Effect.forkChild(redis.send("GET", "b"))
      for (let i = 0; i < 20 && reply.pollUnsafe() === undefined; i++) {
        yield* settle
        yield* TestClock.adjust("100 millis")
      }
      assert.strictEqual(yield* Fiber.join(reply), "b")
      assert.isAtLeast(fake.connections(), 2)
    })
  )
})
