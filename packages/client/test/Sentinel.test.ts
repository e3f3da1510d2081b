/**
 * `Redis.sentinel` against real Sentinel deployments (`RedisSentinel.make` from `@fxredis/testing`): commands reach
 * the primary; after `SENTINEL FAILOVER` and after the primary is killed, the client follows to the new primary;
 * sentinel and data-node credentials are separate.
 */
import { assert, describe, it } from "@effect/vitest"
import { Redis, type RedisSentinel, type RedisShape } from "@fxredis/client"
import { RedisSentinel as Deployment, type RedisServer } from "@fxredis/testing"
import { Clock, Effect, Exit, Fiber } from "effect"
import { eventually } from "./helpers.ts"

const clientOf = (deployment: Deployment.RedisSentinel, extra: Partial<RedisSentinel.SentinelOptions> = {}) =>
  Redis.makeSentinel({
    sentinels: deployment.sentinels.map((s) => s.tcp),
    name: deployment.name,
    sentinelPassword: deployment.sentinelPassword,
    password: deployment.password,
    commandTimeout: "1 second",
    ...extra
  })

/** writes `key` until a write is acknowledged (the client may be reconnecting) */
const writeUntilAcknowledged = (redis: RedisShape, key: string, value: string) =>
  eventually(Effect.map(Effect.exit(redis.set(key, value)), Exit.isSuccess), 500)

describe("Redis.sentinel", () => {
  it.live(
    "commands reach the primary the sentinels name (a dead and a paused sentinel first in the list are skipped)",
    () =>
      Effect.gen(function* () {
        const deployment = yield* Deployment.make({ replicas: 1, sentinels: 2 })
        const [paused, live] = deployment.sentinels
        yield* paused!.pause
        const redis = yield* clientOf(deployment, {
          sentinels: [{ _tag: "Tcp", host: "127.0.0.1", port: 1 }, paused!.tcp, live!.tcp],
          connectTimeout: "300 millis"
        })
        assert.isTrue(yield* redis.set("steady", "v1"))
        assert.strictEqual(yield* deployment.primary.cli("GET", "steady"), "v1")
        // and not on a replica by way of a write: the replica only has it through replication
        const role = yield* deployment.role(deployment.primary)
        assert.strictEqual(role._tag, "Master")
      }),
    { timeout: 30_000 }
  )

  it.live(
    "follows SENTINEL FAILOVER at once: a write acknowledged after the switch is on the new primary",
    () =>
      Effect.gen(function* () {
        const deployment = yield* Deployment.make({ replicas: 1, sentinels: 1 })
        const redis = yield* clientOf(deployment)
        assert.isTrue(yield* redis.set("before", "1"))
        const old = deployment.primary
        const failing = yield* Effect.forkChild(deployment.failover)
        // the moment the sentinel names another primary (the old one still takes writes for ~10 s after this)
        let next: RedisServer.RedisServer | undefined
        yield* eventually(
          Effect.map(deployment.sentinels[0]!.cli("SENTINEL", "GET-MASTER-ADDR-BY-NAME", deployment.name), (out) => {
            next = deployment.nodes.find((n) => n !== old && out.endsWith(String(n.tcp.port)))
            return next !== undefined
          }),
          1000
        )
        const switchedAt = yield* Clock.currentTimeMillis
        // within 2 s (well before the old primary is demoted), a write acknowledged by the client is on the new one
        let i = 0
        yield* eventually(
          Effect.gen(function* () {
            const value = String(++i)
            const ok = Exit.isSuccess(yield* Effect.exit(redis.set("after", value)))
            return ok && (yield* next!.cli("GET", "after")) === value
          }),
          100
        )
        const followed = (yield* Clock.currentTimeMillis) - switchedAt
        const failover = yield* Fiber.join(failing)
        assert.strictEqual(failover.primary, next)
        // and once settled, writes keep landing there
        assert.isTrue(yield* redis.set("settled", "2"))
        assert.strictEqual(yield* next!.cli("GET", "settled"), "2")
        console.log(`sentinel failover: followed ${followed} ms after the switch; settled after ${failover.settled}`)
      }),
    { timeout: 30_000 }
  )

  it.live(
    "resumes on the promoted replica when the primary is killed",
    () =>
      Effect.gen(function* () {
        const deployment = yield* Deployment.make({ replicas: 1, sentinels: 1, downAfter: "500 millis" })
        const redis = yield* clientOf(deployment)
        assert.isTrue(yield* redis.set("before", "1"))
        const killedAt = yield* Clock.currentTimeMillis
        const promotion = yield* deployment.killPrimary
        yield* writeUntilAcknowledged(redis, "after-kill", "3")
        const resumed = (yield* Clock.currentTimeMillis) - killedAt
        assert.strictEqual(yield* promotion.primary.cli("GET", "after-kill"), "3")
        console.log(`sentinel kill: promoted after ${promotion.elapsed}, first write acknowledged after ${resumed} ms`)
      }),
    { timeout: 30_000 }
  )

  it.live(
    "refuses a node the sentinels name when its ROLE is not master",
    () =>
      Effect.gen(function* () {
        const deployment = yield* Deployment.make({ replicas: 1, sentinels: 1 })
        const replica = deployment.replicas[0]!
        // demote the primary behind the sentinel's back: the sentinel still names it for a while
        yield* replica.cli("REPLICAOF", "NO", "ONE")
        yield* deployment.primary.cli("REPLICAOF", "127.0.0.1", String(replica.tcp.port))
        const error = yield* Effect.flip(clientOf(deployment))
        assert.strictEqual(error._tag, "ConnectionError")
        assert.include(error.message, "its ROLE is slave")
      }),
    { timeout: 30_000 }
  )

  it.live(
    "sentinel and data-node credentials are separate",
    () =>
      Effect.gen(function* () {
        const deployment = yield* Deployment.make({
          replicas: 1,
          sentinels: 1,
          password: "data-pw",
          sentinelPassword: "sentinel-pw"
        })
        const redis = yield* clientOf(deployment)
        assert.isTrue(yield* redis.set("secured", "ok"))
        assert.strictEqual(yield* deployment.primary.cli("GET", "secured"), "ok")
        // the data password is not accepted by the sentinel, nor the sentinel's by the data node
        const wrongSentinel = yield* Effect.flip(clientOf(deployment, { sentinelPassword: "data-pw" }))
        assert.strictEqual(wrongSentinel._tag, "ConnectionError")
        assert.include(wrongSentinel.message, "sentinel AUTH failed: WRONGPASS")
        const wrongData = yield* Effect.flip(clientOf(deployment, { password: "sentinel-pw" }))
        assert.strictEqual(wrongData._tag, "ConnectionError")
        assert.include(wrongData.message, "AUTH failed: WRONGPASS")
        assert.notInclude(wrongData.message, "sentinel AUTH")
      }),
    { timeout: 30_000 }
  )
})
