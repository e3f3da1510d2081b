/**
 * `SENTINEL FAILOVER` under load, against a real Sentinel deployment: fibers write distinct keys without pause through
 * the switch; every key whose SET was acknowledged must be on the new primary afterwards.
 */
import { assert, describe, it } from "@effect/vitest"
import { Redis } from "@fxredis/client"
import { RedisSentinel as Deployment } from "@fxredis/testing"
import { Clock, Effect, Exit, Fiber, Ref } from "effect"

describe("Redis.sentinel under load", () => {
  it.live(
    "SENTINEL FAILOVER while fibers write: every acknowledged write is on the new primary",
    () =>
      Effect.gen(function* () {
        const deployment = yield* Deployment.make({ replicas: 2, sentinels: 3 })
        const redis = yield* Redis.makeSentinel({
          sentinels: deployment.sentinels.map((s) => s.tcp),
          name: deployment.name,
          poolSize: 2,
          commandTimeout: "2 seconds"
        })
        const acknowledged: Array<string> = []
        const failed = new Map<string, number>()
        let lastFailureAt = 0
        let firstFailureAt = 0
        let resumedAt = 0
        const stop = yield* Ref.make(false)
        const writer = (id: number) =>
          Effect.gen(function* () {
            let n = 0
            while (!(yield* Ref.get(stop))) {
              const key = `load:${id}:${n++}`
              const exit = yield* Effect.exit(redis.set(key, key))
              if (Exit.isSuccess(exit)) {
                acknowledged.push(key)
                if (firstFailureAt !== 0 && resumedAt === 0) resumedAt = yield* Clock.currentTimeMillis
              } else {
                const reason = exit.cause.reasons[0]
                const tag = reason?._tag === "Fail" ? reason.error._tag : String(reason?._tag)
                failed.set(tag, (failed.get(tag) ?? 0) + 1)
                const now = yield* Clock.currentTimeMillis
                if (firstFailureAt === 0) firstFailureAt = now
                lastFailureAt = now
              }
            }
          })
        const writers = yield* Effect.forEach([0, 1, 2, 3], (id) => Effect.forkChild(writer(id)))
        // some load first
        while (acknowledged.length < 500) yield* Effect.yieldNow
        const started = yield* Clock.currentTimeMillis
        const failover = yield* deployment.failover
        // keep writing a little on the settled deployment, then stop
        const settledCount = acknowledged.length
        while (acknowledged.length < settledCount + 500) yield* Effect.yieldNow
        yield* Ref.set(stop, true)
        yield* Effect.forEach(writers, Fiber.join, { discard: true })

        // every acknowledged key, read back on the new primary (one connection of its own, not through Sentinel)
        const check = yield* Redis.make({ endpoint: failover.primary.urls.unix })
        const missing: Array<string> = []
        for (let i = 0; i < acknowledged.length; i += 1000) {
          const batch = acknowledged.slice(i, i + 1000)
          const values = yield* check.mget(batch)
          values.forEach((v, j) => {
            if (v._tag === "None") missing.push(batch[j]!)
          })
        }
        const failures = [...failed.values()].reduce((a, b) => a + b, 0)
        console.log(
          `sentinel failover under load: ${acknowledged.length + failures} writes, ${acknowledged.length} acknowledged, ` +
            `${failures} failed typed (${[...failed].map(([t, n]) => `${t} ${n}`).join(", ")}), ` +
            `writes failing from ${firstFailureAt === 0 ? "-" : firstFailureAt - started} ms to ` +
            `${lastFailureAt === 0 ? "-" : lastFailureAt - started} ms after SENTINEL FAILOVER ` +
            `first acknowledged write after the switch at ${resumedAt === 0 ? "-" : resumedAt - started} ms ` +
            `(sentinels agreed after ${failover.agreed}, settled after ${failover.settled}); ${missing.length} acknowledged writes missing`
        )
        assert.deepStrictEqual(missing.slice(0, 10), [])
        assert.isTrue([...failed.keys()].every((t) => t === "ConnectionError" || t === "CommandTimeoutError"))
      }),
    { timeout: 60_000 }
  )
})
