import { assert, describe, it } from "@effect/vitest"
import { Redis, type RedisOptions, type RedisShape, RedisStreams } from "@fxredis/client"
import { RedisServer } from "@fxredis/testing"
import { Deferred, Effect, Exit, Fiber, Layer, Scope, Stream } from "effect"
import { transports } from "./helpers.ts"

/** how many entries of the group are pending (XPENDING's summary) */
const pendingCount = (redis: RedisShape, stream: string, group: string) =>
  Effect.map(redis.send("XPENDING", stream, group), (reply) => Number((reply as ReadonlyArray<unknown>)[0]))

const produce = (redis: RedisShape, stream: string, n: number) =>
  Effect.forEach(
    Array.from({ length: n }, (_, i) => i),
    (i) => redis.xadd(stream, { n: String(i) })
  )

for (const kind of transports) {
  describe(`RedisStreams.consume over ${kind}`, () => {
    it.live("creates the group, hands every entry to the handler, acknowledges it: nothing left pending", () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make()
        const redis = yield* Redis.make({ endpoint: server.urls[kind] })
        const ids = yield* produce(redis, "jobs", 25) // before the group exists: startId "0" takes them too
        const processed = yield* RedisStreams.consume(
          { stream: "jobs", group: "workers", consumer: "w1", count: 4, block: "50 millis", concurrency: 3 },
          (entry) => Effect.succeed(entry.fields["n"])
        ).pipe(Stream.take(25), Stream.runCollect, Effect.timeout("10 seconds"), Effect.provideService(Redis, redis))
        assert.deepStrictEqual(processed.map((p) => p.entry.id).sort(), [...ids].sort())
        assert.isTrue(processed.every((p) => Exit.isSuccess(p.result) && !p.claimed))
        assert.strictEqual(yield* pendingCount(redis, "jobs", "workers"), 0)
        // the group already exists: createGroup says so, consume uses it as it is
        assert.isFalse(yield* RedisStreams.createGroup("jobs", "workers").pipe(Effect.provideService(Redis, redis)))
      })
    )

    it.live("a failed handler leaves its entry pending; it is claimed again after claimAfter and acked", () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make()
        const redis = yield* Redis.make({ endpoint: server.urls[kind] })
        const [poison] = yield* produce(redis, "jobs", 3)
        let attempts = 0
        const results = yield* RedisStreams.consume(
          { stream: "jobs", group: "g", consumer: "only", block: "20 millis", claimAfter: "100 millis" },
          (entry) =>
            entry.id === poison && attempts++ === 0 ? Effect.fail("not yet" as const) : Effect.succeed(entry.id)
        ).pipe(Stream.take(4), Stream.runCollect, Effect.timeout("10 seconds"), Effect.provideService(Redis, redis))
        const forPoison = results.filter((p) => p.entry.id === poison)
        assert.deepStrictEqual(
          forPoison.map((p) => [Exit.isSuccess(p.result), p.claimed]),
          [
            [false, false],
            [true, true]
          ]
        )
        assert.strictEqual(yield* pendingCount(redis, "jobs", "g"), 0)
      })
    )
  })
}

describe("RedisStreams.consume: at least once", () => {
  for (const shape of ["single", "sharded"] as const) {
    it.live(`${shape}: a consumer killed mid-batch; another claims its entries; every entry handled and acked`, () =>
      Effect.gen(function* () {
        const servers = yield* Effect.forEach(shape === "single" ? [0] : [0, 1, 2], () => RedisServer.make())
        const options: RedisOptions =
          shape === "single" ? { endpoint: servers[0].urls.unix } : { endpoints: servers.map((s) => s.urls.tcp) }
        const producer = yield* Redis.make(options)
        const stream = "{orders}:stream"
        const ids = yield* produce(producer, stream, 30)
        const settings = {
          stream,
          group: "billing",
          count: 5,
          block: "30 millis",
          claimAfter: "200 millis"
        } satisfies Partial<RedisStreams.ConsumerOptions>

        // consumer A: its own client; its handler stops mid-way on the first entry of its first batch
        const scopeA = yield* Scope.make()
        const clientA = yield* Redis.make(options).pipe(Scope.provide(scopeA))
        const midway = yield* Deferred.make<string>()
        const handledByA: Array<string> = []
        const fiberA = yield* RedisStreams.consume({ ...settings, consumer: "a" }, (entry) =>
          Effect.gen(function* () {
            if (handledByA.length === 2) {
              yield* Deferred.succeed(midway, entry.id)
              return yield* Effect.never
            }
            handledByA.push(entry.id)
          })
        ).pipe(Stream.runDrain, Effect.provideService(Redis, clientA), Effect.forkChild)
        const stuck = yield* Deferred.await(midway)
        // kill A: interrupt its fiber while its handler is mid-way, and close its client
        yield* Fiber.interrupt(fiberA)
        yield* Scope.close(scopeA, Exit.void)
        const pendingAfterA = yield* pendingCount(producer, stream, "billing")
        assert.isAbove(pendingAfterA, 2) // the stuck entry and the rest of A's batch (read, never acked)

        // consumer B: takes the new entries and, after claimAfter, A's pending ones
        const seen = new Set<string>(handledByA)
        const claimedByB: Array<string> = []
        yield* RedisStreams.consume({ ...settings, consumer: "b" }, (entry) => Effect.succeed(entry.id)).pipe(
          Stream.tap((p) =>
            Effect.sync(() => {
              seen.add(p.entry.id)
              if (p.claimed) claimedByB.push(p.entry.id)
            })
          ),
          Stream.takeUntil(() => ids.every((id) => seen.has(id))),
          Stream.runDrain,
          Effect.timeout("10 seconds"), // a bound, not a synchronisation: it normally ends within a second
          Effect.provide(Layer.succeed(Redis, producer))
        )
        assert.include(claimedByB, stuck)
        assert.strictEqual(claimedByB.length, pendingAfterA)
        assert.isTrue(ids.every((id) => seen.has(id)))
        assert.strictEqual(yield* pendingCount(producer, stream, "billing"), 0)
      })
    )
  }
})
