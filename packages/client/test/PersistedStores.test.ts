import { assert, describe, it } from "@effect/vitest"
import { PersistenceRedis, Redis } from "@fxredis/client"
import { RedisServer } from "@fxredis/testing"
import { Deferred, Effect, Fiber, Layer, Schedule, Schema } from "effect"
import * as CircuitBreaker from "effect/persistence/CircuitBreaker"
import * as PersistedQueue from "effect/persistence/PersistedQueue"
import { eventually, transports } from "./helpers.ts"

const effectRedis = (url: string) =>
  PersistenceRedis.layer.pipe(Layer.provide(Layer.fresh(Redis.layer({ endpoint: url }))))

const queues = (url: string) =>
  PersistedQueue.layer.pipe(
    Layer.provide(
      PersistedQueue.layerStoreRedis({ prefix: "{q}:", pollInterval: "20 millis", lockExpiration: "2 seconds" })
    ),
    Layer.provide(effectRedis(url))
  )

for (const kind of transports) {
  describe(`Effect's PersistedQueue and CircuitBreaker on fxredis over ${kind}`, () => {
    it.live(
      "PersistedQueue: offer/take, idempotent ids, retries counted, an interrupted taker's element redelivered",
      () =>
        Effect.gen(function* () {
          const server = yield* RedisServer.make()
          yield* Effect.gen(function* () {
            const queue = yield* PersistedQueue.make({
              name: "jobs",
              schema: Schema.String,
              retrySchedule: Schedule.spaced("10 millis")
            })
            yield* queue.offer("first", { id: "job-1" })
            yield* queue.offer("duplicate", { id: "job-1" }) // the same id: not delivered twice
            yield* queue.offer("second")
            assert.deepStrictEqual(
              yield* queue.take((value, meta) => Effect.succeed([value, meta.attempts] as const)),
              ["first", 1]
            )
            // a failed handler: the element comes back, with its attempts counted
            const failed = yield* Effect.flip(queue.take(() => Effect.fail("boom" as const)))
            assert.strictEqual(failed, "boom")
            const retried = yield* queue.take((value, meta) => Effect.succeed([value, meta.attempts] as const))
            assert.deepStrictEqual(retried, ["second", 2])
            // an interrupted taker: its element is delivered again
            yield* queue.offer("third")
            const started = yield* Deferred.make<string>()
            const taker = yield* Effect.forkChild(
              queue.take((value) => Effect.andThen(Deferred.succeed(started, value), Effect.never))
            )
            assert.strictEqual(yield* Deferred.await(started), "third")
            yield* Fiber.interrupt(taker)
            assert.strictEqual(yield* queue.take((value) => Effect.succeed(value)), "third")
          }).pipe(Effect.provide(queues(server.urls[kind])))
        })
    )

    it.live("PersistedQueue: maxAttempts ends delivery", () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make()
        yield* Effect.gen(function* () {
          const queue = yield* PersistedQueue.make({
            name: "once",
            schema: Schema.String,
            maxAttempts: 1,
            retrySchedule: Schedule.spaced("10 millis")
          })
          yield* queue.offer("doomed")
          yield* Effect.flip(queue.take(() => Effect.fail("no")))
          yield* queue.offer("next")
          assert.strictEqual(yield* queue.take((value) => Effect.succeed(value)), "next")
        }).pipe(Effect.provide(queues(server.urls[kind])))
      })
    )

    it.live("CircuitBreaker: closed → open after consecutive failures → half-open → closed on success", () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make()
        yield* Effect.gen(function* () {
          const breaker = yield* CircuitBreaker.make({
            tripPolicy: CircuitBreaker.consecutive(2),
            openDuration: "200 millis"
          })
          const key = "payments"
          assert.strictEqual((yield* breaker.state(key))._tag, "Closed")
          for (let i = 0; i < 2; i++) yield* Effect.flip(breaker.execute(Effect.fail("down"), { key }))
          assert.strictEqual((yield* breaker.state(key))._tag, "Open")
          const rejected = yield* Effect.flip(breaker.execute(Effect.succeed("never runs"), { key }))
          assert.strictEqual(
            typeof rejected === "object" && rejected !== null && "_tag" in rejected ? rejected._tag : rejected,
            "CircuitBreakerError"
          )
          // once openDuration has passed, the next call is the half-open probe; its success closes the circuit
          yield* eventually(
            Effect.map(Effect.result(breaker.execute(Effect.succeed("probe"), { key })), (r) => r._tag === "Success")
          )
          assert.strictEqual((yield* breaker.state(key))._tag, "Closed")
        }).pipe(
          Effect.scoped,
          Effect.provide(CircuitBreaker.layerStoreRedis({ prefix: "{cb}:" })),
          Effect.provide(effectRedis(server.urls[kind]))
        )
      })
    )
  })
}
