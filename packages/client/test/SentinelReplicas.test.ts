/**
 * `Redis.sentinel` beyond the primary, against real Sentinel deployments (`RedisSentinel.make` from
 * `@fxredis/testing`): replica connections (`role: "replica"`), replica reads (`readFrom`), rediscovery on `READONLY`,
 * sentinels learned from `SENTINEL SENTINELS`, the lazy and `Config` forms, and AUTH failures through the sentinel
 * transport.
 */
import { assert, describe, it } from "@effect/vitest"
import { Redis, type RedisError, type RedisSentinel, type RedisShape } from "@fxredis/client"
import { RedisSentinel as Deployment, type RedisServer } from "@fxredis/testing"
import { ConfigProvider, Context, Effect, Exit, Fiber, Layer } from "effect"
import { eventually } from "./helpers.ts"

const optionsOf = (
  deployment: Deployment.RedisSentinel,
  extra: Partial<RedisSentinel.SentinelOptions> = {}
): RedisSentinel.SentinelOptions => ({
  sentinels: deployment.sentinels.map((s) => s.tcp),
  name: deployment.name,
  sentinelPassword: deployment.sentinelPassword,
  password: deployment.password,
  commandTimeout: "1 second",
  ...extra
})

/** how many connections named `name` a node has (CLIENT LIST) */
const connectionsNamed = (node: RedisServer.RedisServer, name: string) =>
  Effect.map(node.cli("CLIENT", "LIST"), (list) => list.split("\n").filter((l) => l.includes(` name=${name} `)).length)

/** `cmdstat_<command>` calls on a node since its last `CONFIG RESETSTAT` */
const calls = (node: RedisServer.RedisServer, command: string) =>
  Effect.map(node.cli("INFO", "commandstats"), (info) => {
    const match = new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info)
    return match === null ? 0 : Number(match[1])
  })

const replicated = (node: RedisServer.RedisServer, key: string, value: string) =>
  eventually(Effect.map(node.cli("GET", key), (v) => v === value))

/** writes `key` until a write is acknowledged (the client may be reconnecting) */
const writeUntilAcknowledged = (redis: RedisShape, key: string, value: string) =>
  eventually(Effect.map(Effect.exit(redis.set(key, value)), Exit.isSuccess), 500)

describe("Redis.sentinel replicas", () => {
  it.live(
    'role: "replica" connects every pool connection to a replica the sentinels list as up, spread over them',
    () =>
      Effect.gen(function* () {
        const deployment = yield* Deployment.make({ replicas: 2, sentinels: 1, downAfter: "500 millis" })
        const [r1, r2] = deployment.replicas
        yield* deployment.primary.cli("SET", "k", "v")
        yield* replicated(r1!, "k", "v")
        yield* replicated(r2!, "k", "v")
        const redis = yield* Redis.makeSentinel(
          optionsOf(deployment, { role: "replica", poolSize: 4, clientName: "fx-replica" })
        )
        for (let i = 0; i < 8; i++) assert.strictEqual(yield* redis.send("GET", "k"), "v")
        // a replica refuses writes: the error is the server's, typed
        const write = yield* Effect.flip(redis.set("k", "w"))
        assert.strictEqual(write._tag, "ReplyError")
        assert.strictEqual(write._tag === "ReplyError" && write.code, "READONLY")
        assert.strictEqual(yield* connectionsNamed(deployment.primary, "fx-replica"), 0)
        assert.strictEqual(yield* connectionsNamed(r1!, "fx-replica"), 2)
        assert.strictEqual(yield* connectionsNamed(r2!, "fx-replica"), 2)

        // a replica the sentinels flag s_down is skipped
        yield* r1!.kill
        yield* eventually(
          Effect.map(deployment.sentinels[0]!.cli("SENTINEL", "REPLICAS", deployment.name), (out) =>
            out.includes("s_down")
          ),
          250
        )
        const second = yield* Redis.makeSentinel(
          optionsOf(deployment, { role: "replica", poolSize: 3, clientName: "fx-replica-2" })
        )
        assert.strictEqual(yield* second.send("GET", "k"), "v")
        assert.strictEqual(yield* connectionsNamed(r2!, "fx-replica-2"), 3)
      }),
    { timeout: 30_000 }
  )

  it.live(
    'readFrom: "replica" sends readonly commands to the replicas (INFO commandstats) and the rest to the primary',
    () =>
      Effect.gen(function* () {
        const deployment = yield* Deployment.make({ replicas: 2, sentinels: 1 })
        const redis = yield* Redis.makeSentinel(optionsOf(deployment, { readFrom: "replica", poolSize: 2 }))
        assert.isTrue(yield* redis.set("k", "v"))
        for (const r of deployment.replicas) yield* replicated(r, "k", "v")
        // the replica connections connect in the background: wait until reads reach a replica
        yield* eventually(Effect.map(redis.get("k"), (v) => v._tag === "Some"))
        for (const node of deployment.nodes) yield* node.cli("CONFIG", "RESETSTAT")
        for (let i = 0; i < 20; i++) yield* redis.get("k")
        yield* redis.incr("counter")
        const onReplicas =
          (yield* calls(deployment.replicas[0]!, "get")) + (yield* calls(deployment.replicas[1]!, "get"))
        assert.strictEqual(onReplicas, 20)
        assert.strictEqual(yield* calls(deployment.primary, "get"), 0)
        assert.strictEqual(yield* calls(deployment.primary, "incr"), 1)
        // both replicas served reads (the pool's two connections went one to each)
        assert.isAbove(yield* calls(deployment.replicas[0]!, "get"), 0)
        assert.isAbove(yield* calls(deployment.replicas[1]!, "get"), 0)
        // a transaction and a script run on the primary
        yield* redis.transaction((tx) => tx.exec((q) => [q.get("k"), q.set("t", "1")]))
        yield* redis.eval("return redis.call('GET', KEYS[1])", ["k"])
        assert.strictEqual(yield* calls(deployment.primary, "exec"), 1)
        const scripts = (yield* calls(deployment.primary, "evalsha")) + (yield* calls(deployment.primary, "eval"))
        assert.strictEqual(scripts, 2)
      }),
    { timeout: 30_000 }
  )

  it.live(
    "a READONLY reply (the primary demoted behind the sentinels' back) reaches the caller once, then the client rediscovers",
    () =>
      Effect.gen(function* () {
        const deployment = yield* Deployment.make({ replicas: 1, sentinels: 1 })
        const old = deployment.primary
        const next = deployment.replicas[0]!
        const redis = yield* Redis.makeSentinel(optionsOf(deployment, { commandTimeout: "300 millis" }))
        assert.isTrue(yield* redis.set("before", "1"))
        // demote the primary without telling the sentinel: it keeps naming the old node
        yield* next.cli("REPLICAOF", "NO", "ONE")
        yield* old.cli("REPLICAOF", "127.0.0.1", String(next.tcp.port))
        yield* eventually(Effect.map(deployment.role(old), (r) => r._tag === "Replica"))
        const errors: Array<RedisError> = []
        const attempt = (value: string) =>
          Effect.flatMap(Effect.exit(redis.set("after", value)), (exit) =>
            Effect.sync(() => {
              if (Exit.isFailure(exit)) {
                const e = exit.cause.reasons[0]
                if (e !== undefined && e._tag === "Fail") errors.push(e.error)
              }
              return Exit.isSuccess(exit)
            })
          )
        // while the sentinel still names the demoted node, writes fail typed; READONLY only once (not in a loop)
        for (let i = 0; i < 5; i++) assert.isFalse(yield* attempt(`x${i}`))
        const readonly = () => errors.filter((e) => e._tag === "ReplyError" && e.code === "READONLY").length
        assert.strictEqual(errors[0]?._tag === "ReplyError" && errors[0].code, "READONLY")
        assert.strictEqual(readonly(), 1)
        // the sentinel now names the new primary: the client follows on its own
        const sentinel = deployment.sentinels[0]!
        yield* sentinel.cli("SENTINEL", "REMOVE", deployment.name)
        yield* sentinel.cli("SENTINEL", "MONITOR", deployment.name, "127.0.0.1", String(next.tcp.port), "1")
        let n = 0
        yield* eventually(attempt(`ok${++n}`), 500)
        assert.strictEqual(yield* next.cli("GET", "after"), `ok${n}`)
        assert.strictEqual(readonly(), 1)
        assert.isTrue(errors.every((e) => e._tag !== "ReplyError" || e.code === "READONLY"))
      }),
    { timeout: 30_000 }
  )

  it.live(
    "a client given one sentinel learns the others (SENTINEL SENTINELS) and keeps working when that one is killed",
    () =>
      Effect.gen(function* () {
        const deployment = yield* Deployment.make({ replicas: 1, sentinels: 3 })
        const [first] = deployment.sentinels
        const redis = yield* Redis.makeSentinel(
          optionsOf(deployment, { sentinels: [first!.tcp], clientName: "fx-learner" })
        )
        assert.isTrue(yield* redis.set("k", "1"))
        yield* first!.kill
        // drop the client's link: the reconnect must ask a sentinel it was not given
        const list = yield* deployment.primary.cli("CLIENT", "LIST")
        const ids = list
          .split("\n")
          .filter((l) => l.includes(" name=fx-learner "))
          .map((l) => /id=(\d+)/.exec(l)![1]!)
        assert.isAbove(ids.length, 0)
        for (const id of ids) yield* deployment.primary.cli("CLIENT", "KILL", "ID", id)
        yield* writeUntilAcknowledged(redis, "k", "2")
        assert.strictEqual(yield* deployment.primary.cli("GET", "k"), "2")
      }),
    { timeout: 30_000 }
  )

  it.live(
    "every sentinel down at start: the eager layer fails typed; the lazy layer builds and serves once they are back",
    () =>
      Effect.gen(function* () {
        const deployment = yield* Deployment.make({ replicas: 1, sentinels: 2 })
        for (const s of deployment.sentinels) yield* s.kill
        const options = optionsOf(deployment, { connectTimeout: "500 millis", commandTimeout: "20 seconds" })
        const eager = yield* Effect.flip(Layer.build(Redis.sentinel(options)))
        assert.strictEqual(eager._tag, "ConnectionError")
        assert.include(eager.message, "no sentinel named the primary")

        const context = yield* Layer.build(Redis.sentinelLazy(options))
        const redis = Context.get(context, Redis)
        const write = yield* Effect.forkChild(redis.set("lazy", "served"))
        for (const s of deployment.sentinels) yield* s.start
        assert.isTrue(yield* Fiber.join(write))
        assert.strictEqual(yield* deployment.primary.cli("GET", "lazy"), "served")
      }),
    { timeout: 40_000 }
  )

  it.live(
    "Redis.sentinelConfig reads REDIS_SENTINELS and REDIS_SENTINEL_NAME from Effect's Config",
    () =>
      Effect.gen(function* () {
        const deployment = yield* Deployment.make({ replicas: 1, sentinels: 2 })
        const env = {
          REDIS_SENTINELS: deployment.sentinels.map((s) => `127.0.0.1:${s.tcp.port}`).join(","),
          REDIS_SENTINEL_NAME: deployment.name,
          REDIS_READ_FROM: "preferReplica",
          REDIS_POOL_SIZE: "2"
        }
        yield* Redis.use((redis) => redis.set("from-config", "yes")).pipe(
          Effect.provide(Redis.sentinelConfig()),
          Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown(env)))
        )
        assert.strictEqual(yield* deployment.primary.cli("GET", "from-config"), "yes")
        const bad = yield* Effect.flip(
          Layer.build(Redis.sentinelConfig()).pipe(
            Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ ...env, REDIS_READ_FROM: "nearest" })))
          )
        )
        assert.strictEqual(bad._tag, "RedisConfigError")
        const missing = yield* Effect.flip(
          Layer.build(Redis.sentinelConfig()).pipe(
            Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ REDIS_SENTINEL_NAME: "x" })))
          )
        )
        assert.strictEqual(missing._tag, "ConfigError")
      }),
    { timeout: 30_000 }
  )

  it.live(
    "a data node's AUTH refusal through the sentinel transport is an auth failure: not retried, a clear ConnectionError",
    () =>
      Effect.gen(function* () {
        const deployment = yield* Deployment.make({
          replicas: 1,
          sentinels: 1,
          password: "data-pw",
          sentinelPassword: "sentinel-pw"
        })
        // lazy: without the classification the client would retry for ever and the command time out offline
        for (const wrong of [{ password: "wrong-pw" }, { sentinelPassword: "wrong-pw" }]) {
          const context = yield* Layer.build(
            Redis.sentinelLazy(optionsOf(deployment, { ...wrong, commandTimeout: "10 seconds" }))
          )
          const error = yield* Effect.flip(Context.get(context, Redis).get("k"))
          assert.strictEqual(error._tag, "ConnectionError")
          assert.strictEqual(error._tag === "ConnectionError" && error.reason, "Handshake")
          assert.include(error.message, "WRONGPASS")
          // and it stays failed at once (the client gave up: no endless reconnects)
          const again = yield* Effect.flip(Context.get(context, Redis).get("k"))
          assert.strictEqual(again._tag, "ConnectionError")
        }
      }),
    { timeout: 30_000 }
  )
})
