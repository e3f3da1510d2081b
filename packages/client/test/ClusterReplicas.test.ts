import { assert, layer } from "@effect/vitest"
import { Redis, type RedisError } from "@fxredis/client"
import { eventually, RedisCluster } from "@fxredis/testing"
import { Clock, Deferred, Effect, Fiber, Option, Schedule, Stream } from "effect"

/** a key (with a hash tag) whose slot is owned by primary `index` as the cluster was formed */
const keyOn = (cluster: RedisCluster.RedisCluster, index: number, prefix: string) => {
  const start = Math.floor((index * RedisCluster.SLOTS) / cluster.primaries.length)
  const end = Math.floor(((index + 1) * RedisCluster.SLOTS) / cluster.primaries.length) - 1
  for (let i = 0; ; i++) {
    const key = `{${prefix}${i}}`
    const slot = RedisCluster.keySlot(key)
    if (slot >= start && slot <= end) return { key, slot }
  }
}

const calls = (node: RedisCluster.ClusterNode, command: string) =>
  Effect.map(node.cli("INFO", "commandstats"), (info) => {
    const match = new RegExp(`^cmdstat_${command}:calls=(\\d+)`, "m").exec(info)
    return match === null ? 0 : Number(match[1])
  })

const sum = (nodes: ReadonlyArray<RedisCluster.ClusterNode>, command: string) =>
  Effect.map(
    Effect.forEach(nodes, (n) => calls(n, command)),
    (all) => all.reduce((a, b) => a + b, 0)
  )

layer(RedisCluster.layer({ primaries: 3, replicasPerPrimary: 1, nodeTimeout: 1000 }), {
  excludeTestServices: true,
  timeout: "90 seconds"
})("a cluster client over 3 primaries with a replica each", (it) => {
  it.effect("readFrom replica: reads are served by replicas (after READONLY), writes by primaries", () =>
    Effect.gen(function* () {
      const cluster = yield* RedisCluster.RedisCluster
      const redis = yield* Redis.makeCluster({ seeds: cluster.seeds, readFrom: "replica" })
      const keys = Array.from({ length: 60 }, (_, i) => `replica-read:${i}`)
      yield* Effect.forEach(keys, (k) => redis.set(k, k), { concurrency: "unbounded" })
      // replicas apply the writes asynchronously; wait until every replica has them
      yield* eventually(
        Effect.map(
          Effect.forEach(cluster.replicas, (r) => Effect.map(r.cli("DBSIZE"), Number)),
          (sizes) => sizes.reduce((a, b) => a + b, 0) >= keys.length
        )
      )
      yield* Effect.forEach(cluster.nodes, (n) => n.cli("CONFIG", "RESETSTAT"))
      const values = yield* Effect.forEach(keys, (k) => redis.get(k), { concurrency: "unbounded" })
      assert.deepStrictEqual(values, keys.map(Option.some))
      assert.deepStrictEqual(yield* redis.mget(keys.slice(0, 10)), keys.slice(0, 10).map(Option.some))
      yield* redis.set("replica-read:write", "w")
      assert.strictEqual(yield* sum(cluster.primaries, "get"), 0)
      assert.strictEqual(yield* sum(cluster.primaries, "mget"), 0)
      assert.strictEqual(yield* sum(cluster.replicas, "get"), keys.length)
      assert.isAtLeast(yield* sum(cluster.replicas, "mget"), 1)
      for (const r of cluster.replicas) assert.isAbove(yield* calls(r, "get"), 0) // every replica served some
      assert.strictEqual(yield* sum(cluster.primaries, "set"), 1)
      // (a replica's commandstats count the SET it replicated, so only the primaries' count tells who served it)
      // the primary (default) reads nothing from replicas
      const primary = yield* Redis.makeCluster({ seeds: cluster.seeds })
      yield* Effect.forEach(cluster.nodes, (n) => n.cli("CONFIG", "RESETSTAT"))
      yield* Effect.forEach(keys, (k) => primary.get(k), { concurrency: "unbounded" })
      assert.strictEqual(yield* sum(cluster.replicas, "get"), 0)
      assert.strictEqual(yield* sum(cluster.primaries, "get"), keys.length)
    }).pipe(Effect.scoped)
  )

  it.effect("readFrom preferReplica: reads go to connected replicas", () =>
    Effect.gen(function* () {
      const cluster = yield* RedisCluster.RedisCluster
      const redis = yield* Redis.makeCluster({ seeds: cluster.seeds, readFrom: "preferReplica" })
      // replicas connect in the background: once they are up, reads go there
      yield* Effect.forEach(cluster.nodes, (n) => n.cli("CONFIG", "RESETSTAT"))
      yield* eventually(
        Effect.andThen(
          redis.get("prefer:k"),
          Effect.map(sum(cluster.replicas, "get"), (n) => n > 0)
        )
      )
      yield* Effect.forEach(cluster.nodes, (n) => n.cli("CONFIG", "RESETSTAT"))
      yield* Effect.forEach(
        Array.from({ length: 30 }, (_, i) => `prefer:${i}`),
        (k) => redis.get(k)
      )
      assert.strictEqual(yield* sum(cluster.primaries, "get"), 0)
      assert.strictEqual(yield* sum(cluster.replicas, "get"), 30)
    }).pipe(Effect.scoped)
  )

  it.effect("a shard-channel subscription survives a failover of its primary (re-subscribed on the new one)", () =>
    Effect.gen(function* () {
      const cluster = yield* RedisCluster.RedisCluster
      // after CLUSTER FAILOVER the old primary (now a replica) drops the subscription and still answers SPUBLISH for
      // its shard (no MOVED): the client learns of the change from its next refresh, here every 200 ms
      const redis = yield* Redis.makeCluster({ seeds: cluster.seeds, refresh: Schedule.spaced("200 millis") })
      const { key: channel } = keyOn(cluster, 0, "sch:")
      const primary = cluster.primaries[0]
      const replica = cluster.replicasOf(primary)[0]
      const sub = yield* redis.subscription({ shardChannels: [channel] })
      yield* sub.subscribed
      const received = yield* Effect.forkChild(
        Stream.runCollect(Stream.takeUntil(sub.messages, (m) => m.message === "after"))
      )
      assert.strictEqual(yield* redis.spublish(channel, "before"), 1)
      yield* cluster.failover(replica)
      // once refreshed, the client subscribes the channel on the new primary, where its SPUBLISH now goes
      yield* eventually(Effect.map(redis.spublish(channel, "probe"), (n) => n === 1))
      assert.strictEqual(yield* redis.spublish(channel, "after"), 1)
      const messages = (yield* Fiber.join(received)).map((m) => m.message)
      assert.strictEqual(messages[0], "before")
      assert.strictEqual(messages[messages.length - 1], "after")
      assert.strictEqual(redis.shardOf(channel), `127.0.0.1:${replica.tcp.port}`)
    }).pipe(Effect.scoped)
  )

  it.effect(
    "a primary killed under load: only commands in flight on it fail (ConnectionError, sent); service resumes after the failover",
    () =>
      Effect.gen(function* () {
        const cluster = yield* RedisCluster.RedisCluster
        const redis = yield* Redis.makeCluster({ seeds: cluster.seeds, commandTimeout: "20 seconds" })
        const victimSlots = yield* Effect.map(cluster.slots, (ranges) => ranges)
        const victim = yield* cluster.primaryOf(keyOn(cluster, 2, "victim:").slot)
        const onVictim = (key: string) => {
          const slot = RedisCluster.keySlot(key)
          return victimSlots.some((r) => r.primary.id === victim.id && r.start <= slot && slot <= r.end)
        }
        const keys = Array.from({ length: 300 }, (_, i) => `load:${i}`)
        assert.isTrue(keys.some(onVictim) && keys.some((k) => !onVictim(k)))
        const failures: Array<{ readonly key: string; readonly error: RedisError }> = []
        let served = 0
        const stop = yield* Deferred.make<void>()
        const worker = (w: number) =>
          Effect.gen(function* () {
            for (let i = 0; !Deferred.isDoneUnsafe(stop); i++) {
              const key = keys[(i * 7 + w * 13) % keys.length]
              const result = yield* Effect.result<unknown, RedisError, never>(
                i % 2 === 0 ? redis.set(key, `${i}`) : redis.get(key)
              )
              if (result._tag === "Failure") failures.push({ key, error: result.failure })
              else served++
            }
          })
        const workers = yield* Effect.forkChild(
          Effect.all([0, 1, 2, 3].map(worker), { concurrency: "unbounded", discard: true })
        )
        yield* eventually(Effect.sync(() => served > 500))
        const killedAt = yield* Clock.currentTimeMillis
        yield* victim.server.kill
        // a key of the victim's slots: resumes once a replica is promoted and the client has followed it
        const probe = Array.from({ length: 1000 }, (_, i) => `probe:${i}`).find(onVictim)!
        yield* eventually(
          Effect.map(Effect.result(redis.set(probe, "after")), (r) => r._tag === "Success"),
          {
            times: 1000
          }
        )
        const resumedAfter = (yield* Clock.currentTimeMillis) - killedAt
        const servedThen = served
        yield* eventually(Effect.sync(() => served > servedThen + 500))
        yield* Deferred.succeed(stop, undefined)
        yield* Fiber.join(workers)
        yield* Effect.log(`cluster: service on the killed primary's slots resumed ${resumedAfter} ms after the kill`)
        for (const { key, error } of failures) {
          assert.isTrue(onVictim(key), `${key} is not on the killed primary: ${error.message}`)
          assert.strictEqual(error._tag, "ConnectionError", error.message)
          assert.isTrue(error._tag === "ConnectionError" && error.sent, error.message)
        }
        assert.deepStrictEqual(yield* redis.get(probe), Option.some("after"))
      }).pipe(Effect.scoped)
  )
})
