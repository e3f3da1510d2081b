import { assert, describe, it, layer } from "@effect/vitest"
import { PersistenceRedis, Redis, RedisTelemetry } from "@fxredis/client"
import { slot as catalogueSlot } from "@fxredis/client/commands/Catalogue"
import { eventually, RedisCluster, RedisServer } from "@fxredis/testing"
import { ConfigProvider, Deferred, Effect, Exit, Fiber, Layer, Metric, Option, Schedule, Schema, Stream } from "effect"
import * as Persistable from "effect/persistence/Persistable"
import * as PersistedCache from "effect/persistence/PersistedCache"
import * as Persistence from "effect/persistence/Persistence"
import * as RateLimiter from "effect/persistence/RateLimiter"

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

const nameOf = (node: RedisCluster.ClusterNode) => `127.0.0.1:${node.tcp.port}`

/** a counter of `INFO` (`errorstat_MOVED` → `count`, `cmdstat_get` → `calls`) on a node; 0 when absent */
const stat = (node: RedisCluster.ClusterNode, section: string, line: string, field: string) =>
  Effect.map(node.cli("INFO", section), (info) => {
    const match = new RegExp(`^${line}:.*\\b${field}=(\\d+)`, "m").exec(info)
    return match === null ? 0 : Number(match[1])
  })

const client = (cluster: RedisCluster.RedisCluster, maxRedirects?: number) =>
  Redis.makeCluster({ seeds: cluster.seeds, commandTimeout: "5 seconds", maxRedirects })

/** the current value of a counter of RedisTelemetry with these attributes */
const count = (
  metric: Metric.Metric<number, { readonly count: number | bigint }>,
  attributes: Record<string, string>
) => Effect.map(Metric.value(Metric.withAttributes(metric, attributes)), (state) => Number(state.count))

/** how many connections named `name` a node has (CLIENT LIST), and their addresses */
const clientsNamed = (node: RedisCluster.ClusterNode, name: string) =>
  Effect.map(node.cli("CLIENT", "LIST"), (list) =>
    list
      .split("\n")
      .filter((line) => line.includes(` name=${name} `))
      .map((line) => /\baddr=(\S+)/.exec(line)?.[1] ?? "")
  )

/** random keys: printable ASCII, some with hash tags (empty, nested, unclosed) */
const randomKey = (i: number) => {
  const chars = "abcdefghijklmnopqrstuvwxyz0123456789:{}_-"
  let key = ""
  const length = 1 + ((i * 7919) % 24)
  for (let j = 0; j < length; j++) key += chars[Math.floor(Math.random() * chars.length)]
  return i % 5 === 0 ? `{user${i % 97}}:${key}` : key
}

class GetUser extends Persistable.Class<{ payload: { readonly id: number } }>()("GetUser", {
  primaryKey: (p) => `user-${p.id}`,
  success: Schema.Struct({ name: Schema.String }),
  error: Schema.String
}) {}

describe("cluster options", () => {
  it.effect("a database other than 0, or a UNIX seed, fails with RedisConfigError before connecting", () =>
    Effect.gen(function* () {
      const readFrom = yield* Effect.flip(
        Redis.makeCluster({ seeds: ["redis://127.0.0.1:1"], readFrom: "replicas" as "replica" })
      )
      assert.strictEqual(readFrom._tag, "RedisConfigError")
      const nat = yield* Effect.flip(
        Redis.makeCluster({ seeds: ["redis://127.0.0.1:1"], natMap: { "10.0.0.1:7000": "nowhere" } })
      )
      assert.strictEqual(nat._tag, "RedisConfigError")
      const refresh = yield* Effect.flip(
        Redis.makeCluster({ seeds: ["redis://127.0.0.1:1"], refresh: "often" as unknown as false })
      )
      assert.strictEqual(refresh._tag, "RedisConfigError")
      const database = yield* Effect.flip(Redis.makeCluster({ seeds: ["redis://127.0.0.1:1"], database: 2 }))
      assert.strictEqual(database._tag, "RedisConfigError")
      const unix = yield* Effect.flip(Redis.makeCluster({ seeds: ["unix:///tmp/nowhere.sock"] }))
      assert.strictEqual(unix._tag, "RedisConfigError")
      const redirects = yield* Effect.flip(Redis.makeCluster({ seeds: ["redis://127.0.0.1:1"], maxRedirects: -1 }))
      assert.strictEqual(redirects._tag, "RedisConfigError")
    }).pipe(Effect.scoped)
  )
})

describe("unreachable seeds", () => {
  it.live("eager: every seed down fails with ConnectionError; lazy: commands wait, then fail typed and unsent", () =>
    Effect.gen(function* () {
      const dead = yield* RedisServer.make()
      yield* dead.stop
      const eager = yield* Effect.flip(Redis.makeCluster({ seeds: [dead.tcp, dead.urls.tcp] }))
      assert.strictEqual(eager._tag, "ConnectionError")
      const lazy = yield* Redis.makeCluster({ seeds: [dead.tcp], commandTimeout: "300 millis" }, { lazy: true })
      const failed = yield* Effect.flip(lazy.get("k"))
      assert.strictEqual(failed._tag, "CommandTimeoutError")
      assert.isFalse(failed._tag === "CommandTimeoutError" && failed.sent)
    }).pipe(Effect.scoped)
  )
})

layer(RedisCluster.layer({ primaries: 3 }), { excludeTestServices: true, timeout: "60 seconds" })(
  "a cluster client over 3 primaries",
  (it) => {
    it.effect("GET/SET by slot over many slots: each key on its slot's primary; DBSIZE sums every primary", () =>
      Effect.gen(function* () {
        const cluster = yield* RedisCluster.RedisCluster
        const redis = yield* client(cluster)
        assert.sameMembers([...redis.endpoints], cluster.primaries.map(nameOf))
        const keys = Array.from({ length: 200 }, (_, i) => `many:${i}`)
        yield* Effect.forEach(keys, (key, i) => redis.set(key, `v${i}`), { concurrency: "unbounded" })
        const values = yield* Effect.forEach(keys, (key) => redis.get(key), { concurrency: "unbounded" })
        assert.deepStrictEqual(
          values,
          keys.map((_, i) => Option.some(`v${i}`))
        )
        // every primary got some of them, each key is on its slot's owner
        assert.strictEqual(new Set(keys.map((k) => redis.shardOf(k))).size, 3)
        for (const key of keys.slice(0, 10)) {
          const owner = yield* cluster.primaryOf(cluster.slotOf(key))
          assert.strictEqual(redis.shardOf(key), nameOf(owner))
          assert.strictEqual(yield* owner.cli("GET", key), `v${keys.indexOf(key)}`)
        }
        const sizes = yield* Effect.forEach(cluster.primaries, (p) => Effect.map(p.cli("DBSIZE"), Number))
        assert.strictEqual(
          yield* redis.dbsize(),
          sizes.reduce((a, b) => a + b, 0)
        )
        assert.strictEqual(yield* redis.send("PING"), "PONG")
        // a keyless command that neither writes nor administers goes to one primary; CONFIG SET is refused
        assert.include(String(yield* redis.send("CLUSTER", "INFO")), "cluster_state:ok")
        const config = yield* Effect.flip(redis.send("CONFIG", "SET", "maxmemory", "0"))
        assert.strictEqual(config._tag, "ShardingError")
      }).pipe(Effect.scoped)
    )

    it.effect(
      "the seeds are asked in turn: an unreachable first seed is skipped; a server without cluster mode is refused",
      () =>
        Effect.gen(function* () {
          const cluster = yield* RedisCluster.RedisCluster
          const dead = yield* RedisServer.make()
          // a server without cluster mode gives no slot map: RedisConfigError
          const plain = yield* Effect.flip(Redis.makeCluster({ seeds: [dead.tcp] }))
          assert.strictEqual(plain._tag, "RedisConfigError")
          yield* dead.stop
          const redis = yield* Redis.makeCluster({ seeds: [dead.tcp, ...cluster.seeds.slice(1)] })
          assert.sameMembers([...redis.endpoints], cluster.primaries.map(nameOf))
          yield* redis.set("seeded", "yes")
          assert.deepStrictEqual(yield* redis.get("seeded"), Option.some("yes"))
        }).pipe(Effect.scoped)
    )

    it.effect("MSET/MGET/DEL over keys of all 3 primaries: split per slot, reassembled in order", () =>
      Effect.gen(function* () {
        const cluster = yield* RedisCluster.RedisCluster
        const redis = yield* client(cluster)
        const [a, b, c] = [0, 1, 2].map((i) => keyOn(cluster, i, `multi${i}:`).key)
        assert.strictEqual(new Set([a, b, c].map((k) => redis.shardOf(k))).size, 3)
        yield* redis.mset({ [c]: "C", [a]: "A", [b]: "B" })
        assert.deepStrictEqual(yield* redis.mget([b, "multi:missing", c, a]), [
          Option.some("B"),
          Option.none(),
          Option.some("C"),
          Option.some("A")
        ])
        assert.strictEqual(yield* redis.exists([a, b, c, "multi:missing"]), 3)
        assert.strictEqual(yield* redis.del([a, b, c]), 3)
        assert.deepStrictEqual(yield* redis.mget([a, b, c]), [Option.none(), Option.none(), Option.none()])
      }).pipe(Effect.scoped)
    )

    it.effect("a cross-slot RENAME fails with ShardingError and never reaches a server", () =>
      Effect.gen(function* () {
        const cluster = yield* RedisCluster.RedisCluster
        const redis = yield* client(cluster)
        const from = keyOn(cluster, 0, "rename-from:").key
        const to = keyOn(cluster, 1, "rename-to:").key
        yield* redis.set(from, "x")
        yield* Effect.forEach(cluster.primaries, (p) => p.cli("CONFIG", "RESETSTAT"))
        const error = yield* Effect.flip(redis.send("RENAME", from, to))
        assert.strictEqual(error._tag, "ShardingError")
        for (const p of cluster.primaries) {
          assert.strictEqual(yield* stat(p, "commandstats", "cmdstat_rename", "calls"), 0)
          assert.strictEqual(yield* stat(p, "errorstats", "errorstat_CROSSSLOT", "count"), 0)
        }
        assert.deepStrictEqual(yield* redis.get(from), Option.some("x"))
      }).pipe(Effect.scoped)
    )

    it.effect("a hash-tagged transaction with WATCH runs on its slot's primary; another slot is refused", () =>
      Effect.gen(function* () {
        const cluster = yield* RedisCluster.RedisCluster
        const redis = yield* client(cluster)
        const a = "{acct:7}:a"
        const b = "{acct:7}:b"
        yield* redis.set(a, "10")
        const owner = yield* cluster.primaryOf(cluster.slotOf(a))
        const [x, y] = yield* redis.transaction((tx) =>
          Effect.gen(function* () {
            yield* tx.watch(a, b)
            const balance = Number(Option.getOrElse(yield* tx.get(a), () => "0"))
            return yield* tx.exec((q) => [q.decrby(a, 3), q.incrby(b, balance - 7)])
          })
        )
        assert.deepStrictEqual([x, y], [7, 3])
        // a write to a watched key between WATCH and EXEC aborts it
        const aborted = yield* Effect.flip(
          redis.transaction((tx) =>
            Effect.gen(function* () {
              yield* tx.watch(a)
              yield* owner.cli("SET", a, "changed") // another client
              return yield* tx.exec((q) => [q.set(a, "mine")])
            })
          )
        )
        assert.strictEqual(aborted._tag, "TransactionAbortedError")
        assert.deepStrictEqual(yield* redis.get(a), Option.some("changed"))
        // another slot of the same primary: the transaction is refused by slot, not only by node
        const elsewhere = keyOn(
          cluster,
          cluster.primaries.findIndex((p) => nameOf(p) === redis.shardOf(a)),
          "tx:"
        ).key
        assert.notStrictEqual(cluster.slotOf(elsewhere), cluster.slotOf(a))
        assert.strictEqual(redis.shardOf(elsewhere), redis.shardOf(a))
        const refused = yield* Effect.flip(
          redis.transaction((tx) =>
            Effect.andThen(
              tx.watch(a),
              tx.exec((q) => [q.set(elsewhere, "1")])
            )
          )
        )
        assert.strictEqual(refused._tag, "ShardingError")
        assert.deepStrictEqual(yield* redis.get(elsewhere), Option.none())
      }).pipe(Effect.scoped)
    )

    it.effect(
      "pub/sub: channels and patterns on one primary (PUBLISH crosses the bus), shard channels on their slot's",
      () =>
        Effect.gen(function* () {
          const cluster = yield* RedisCluster.RedisCluster
          const redis = yield* client(cluster)
          const shardChannel = keyOn(cluster, 2, "sc:").key
          assert.strictEqual(redis.shardOf(shardChannel), nameOf(cluster.primaries[2]))
          const sub = yield* redis.subscription({
            channels: ["news"],
            patterns: ["p:*"],
            shardChannels: [shardChannel]
          })
          yield* sub.subscribed
          const three = yield* Effect.forkChild(Stream.runCollect(Stream.take(sub.messages, 3)))
          yield* redis.publish("news", "1")
          yield* redis.publish("p:x", "2")
          // the shard channel's subscriber is on its slot's primary, where SPUBLISH goes
          assert.strictEqual(yield* redis.spublish(shardChannel, "3"), 1)
          const messages = yield* Fiber.join(three)
          assert.sameDeepMembers(
            [...messages],
            [
              { channel: "news", message: "1" },
              { pattern: "p:*", channel: "p:x", message: "2" },
              { channel: shardChannel, message: "3" }
            ]
          )
        }).pipe(Effect.scoped)
    )

    it.effect("keyPrefix: keys are prefixed before their slot is computed", () =>
      Effect.gen(function* () {
        const cluster = yield* RedisCluster.RedisCluster
        const redis = yield* Redis.makeCluster({ seeds: cluster.seeds, keyPrefix: "app:" })
        const keys = Array.from({ length: 30 }, (_, i) => `prefixed:${i}`)
        yield* redis.mset(keys.map((k, i) => [k, `v${i}`] as const))
        for (const [i, key] of keys.entries()) {
          const owner = yield* cluster.primaryOf(cluster.slotOf(`app:${key}`))
          assert.strictEqual(redis.shardOf(key), nameOf(owner))
          assert.strictEqual(yield* owner.cli("GET", `app:${key}`), `v${i}`)
        }
        assert.deepStrictEqual(
          yield* redis.mget(keys),
          keys.map((_, i) => Option.some(`v${i}`))
        )
      }).pipe(Effect.scoped)
    )

    it.effect("after a slot moves, MOVED is followed once and the next command goes straight to the new owner", () =>
      Effect.gen(function* () {
        const cluster = yield* RedisCluster.RedisCluster
        const redis = yield* client(cluster)
        const strict = yield* client(cluster, 0)
        const { key, slot } = keyOn(cluster, 0, "moved:")
        const from = cluster.primaries[0]
        const to = cluster.primaries[1]
        yield* redis.set(key, "v")
        assert.strictEqual(redis.shardOf(key), nameOf(from))
        yield* cluster.migrateSlot(slot, to)
        yield* Effect.forEach([from, to], (p) => p.cli("CONFIG", "RESETSTAT"))
        assert.deepStrictEqual(yield* redis.get(key), Option.some("v"))
        assert.strictEqual(yield* stat(from, "errorstats", "errorstat_MOVED", "count"), 1)
        assert.strictEqual(redis.shardOf(key), nameOf(to))
        assert.deepStrictEqual(yield* redis.get(key), Option.some("v"))
        assert.strictEqual(yield* stat(from, "errorstats", "errorstat_MOVED", "count"), 1)
        assert.strictEqual(yield* stat(to, "commandstats", "cmdstat_get", "calls"), 2)
        // maxRedirects: 0 gives up at the first redirect, typed
        const gaveUp = yield* Effect.flip(strict.get(key))
        assert.strictEqual(gaveUp._tag, "ShardingError")
      }).pipe(Effect.scoped)
    )

    it.effect("mid-migration, a GET of a key already moved succeeds through ASK without changing the slot map", () =>
      Effect.gen(function* () {
        const cluster = yield* RedisCluster.RedisCluster
        const redis = yield* client(cluster)
        const { key, slot } = keyOn(cluster, 2, "asked:")
        const from = cluster.primaries[2]
        const to = cluster.primaries[0]
        yield* redis.set(key, "here")
        const migration = yield* cluster.startMigration(slot, to)
        assert.strictEqual(yield* migration.moveKeys(1), 1)
        yield* Effect.forEach([from, to], (p) => p.cli("CONFIG", "RESETSTAT"))
        assert.deepStrictEqual(yield* redis.get(key), Option.some("here"))
        assert.strictEqual(yield* stat(from, "errorstats", "errorstat_ASK", "count"), 1)
        assert.strictEqual(yield* stat(to, "commandstats", "cmdstat_asking", "calls"), 1)
        assert.strictEqual(yield* stat(to, "commandstats", "cmdstat_get", "calls"), 1)
        // ASK is for one command: the slot still belongs to the source
        assert.strictEqual(redis.shardOf(key), nameOf(from))
        yield* migration.finish
        assert.deepStrictEqual(yield* redis.get(key), Option.some("here"))
        assert.strictEqual(redis.shardOf(key), nameOf(to))
      }).pipe(Effect.scoped)
    )

    it.effect("the topology comes from CLUSTER SHARDS; a user denied it gets the map from CLUSTER SLOTS", () =>
      Effect.gen(function* () {
        const cluster = yield* RedisCluster.RedisCluster
        yield* Effect.forEach(cluster.primaries, (p) => p.cli("CONFIG", "RESETSTAT"))
        const redis = yield* client(cluster)
        const shards = yield* Effect.map(
          Effect.forEach(cluster.primaries, (p) => stat(p, "commandstats", "cmdstat_cluster\\|shards", "calls")),
          (calls) => calls.reduce((a, b) => a + b, 0)
        )
        assert.isAtLeast(shards, 1)
        // ACL: a user who may not run CLUSTER SHARDS (as a server before Redis 7 could not)
        yield* Effect.forEach(cluster.primaries, (p) =>
          p.cli("ACL", "SETUSER", "noshards", "on", ">pw", "~*", "&*", "+@all", "-cluster|shards")
        )
        yield* Effect.forEach(cluster.primaries, (p) => p.cli("CONFIG", "RESETSTAT"))
        const limited = yield* Redis.makeCluster({ seeds: cluster.seeds, username: "noshards", password: "pw" })
        const calls = yield* Effect.forEach(cluster.primaries, (p) =>
          Effect.all([
            stat(p, "commandstats", "cmdstat_cluster\\|shards", "calls"),
            stat(p, "commandstats", "cmdstat_cluster\\|slots", "calls")
          ])
        )
        assert.isAtLeast(
          calls.reduce((n, [, slots]) => n + slots, 0),
          1
        )
        assert.sameMembers([...limited.endpoints], cluster.primaries.map(nameOf))
        yield* limited.set("acl:key", "v")
        assert.deepStrictEqual(yield* redis.get("acl:key"), Option.some("v"))
      }).pipe(Effect.scoped)
    )

    it.effect(
      "slot routing equals CLUSTER KEYSLOT for 10,000 random keys and hash tags; each goes to its slot's owner",
      () =>
        Effect.gen(function* () {
          const cluster = yield* RedisCluster.RedisCluster
          const redis = yield* client(cluster)
          const keys = Array.from({ length: 10_000 }, (_, i) => randomKey(i))
          keys.push("{}", "{}a", "a{}", "{a", "a}", "{{a}}", "{a}{b}", "x{a}y", "{user1000}.following", "")
          // pipelined: 10,000 CLUSTER KEYSLOT in flight at once
          const server = yield* Effect.forEach(keys, (key) => redis.send("CLUSTER", "KEYSLOT", key), {
            concurrency: "unbounded"
          })
          const ranges = yield* cluster.slots
          for (const [i, key] of keys.entries()) {
            const slot = catalogueSlot(key)
            assert.strictEqual(slot, Number(server[i]), key)
            const owner = ranges.find((r) => r.start <= slot && slot <= r.end)!
            assert.strictEqual(redis.shardOf(key), nameOf(owner.primary), key)
          }
        }).pipe(Effect.scoped)
    )

    it.effect("MGET of 1,000 keys spread over every primary comes back in order", () =>
      Effect.gen(function* () {
        const cluster = yield* RedisCluster.RedisCluster
        const redis = yield* client(cluster)
        // half in slots of their own, half 10 to a slot (hash tags): each part of the split carries several keys
        const keys = Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? `mget1000:${i}` : `{mget${i % 50}}:${i}`))
        yield* redis.mset(keys.map((k, i) => [k, `v${i}`] as const))
        const slots = new Set(keys.map((k) => catalogueSlot(k)))
        assert.isAbove(slots.size, 500)
        assert.strictEqual(
          new Set([...slots].map((s) => redis.shardOf(keys.find((k) => catalogueSlot(k) === s)!))).size,
          3
        )
        const order = [...keys.keys()].sort((a, b) => ((a * 7919) % 1000) - ((b * 7919) % 1000))
        const values = yield* redis.mget([...order.map((i) => keys[i]), "mget1000:missing"])
        assert.deepStrictEqual(values, [...order.map((i) => Option.some(`v${i}`)), Option.none()])
      }).pipe(Effect.scoped)
    )

    it.effect(
      "a slot migrated under 4 fibers of mixed commands: every command succeeds; ASK and MOVED are counted",
      () =>
        Effect.gen(function* () {
          const cluster = yield* RedisCluster.RedisCluster
          const redis = yield* client(cluster)
          const { slot } = keyOn(cluster, 1, "busy:")
          const tag = keyOn(cluster, 1, "busy:").key
          const keys = Array.from({ length: 40 }, (_, i) => `${tag}:${i}`)
          yield* Effect.forEach(keys, (k) => redis.set(k, "0"), { concurrency: "unbounded" })
          const asks = yield* count(RedisTelemetry.clusterRedirects, { kind: "ask" })
          const moves = yield* count(RedisTelemetry.clusterRedirects, { kind: "moved" })
          const stop = yield* Deferred.make<void>()
          let done = 0
          const worker = (w: number) =>
            Effect.gen(function* () {
              for (let i = 0; ; i++) {
                const key = keys[(i * 4 + w) % keys.length]
                switch (i % 4) {
                  case 0:
                    yield* redis.get(key)
                    break
                  case 1:
                    yield* redis.set(key, `${w}:${i}`)
                    break
                  case 2:
                    yield* redis.send("APPEND", key, "x")
                    break
                  case 3:
                    yield* redis.exists([key])
                }
                done++
                if (Deferred.isDoneUnsafe(stop) && i % 4 === 3) return
              }
            })
          const workers = yield* Effect.forkChild(
            Effect.all([0, 1, 2, 3].map(worker), { concurrency: "unbounded", discard: true })
          )
          const migration = yield* cluster.startMigration(slot, cluster.primaries[2])
          // a few keys at a time, so that the workers meet moved keys (ASK) while others are still at the source
          while ((yield* migration.moveKeys(5)) > 0) yield* Effect.yieldNow
          yield* migration.finish
          const after = done
          yield* eventually(
            Effect.sync(() => done > after + 200),
            { times: 500 }
          )
          yield* Deferred.succeed(stop, undefined)
          const exit = yield* Fiber.await(workers)
          assert.isTrue(Exit.isSuccess(exit), String(exit))
          assert.isAbove(yield* count(RedisTelemetry.clusterRedirects, { kind: "ask" }), asks)
          assert.isAbove(yield* count(RedisTelemetry.clusterRedirects, { kind: "moved" }), moves)
          assert.strictEqual(redis.shardOf(tag), nameOf(cluster.primaries[2]))
        }).pipe(Effect.scoped)
    )

    it.effect("concurrent MOVEDs start one coalesced refresh, not one each", () =>
      Effect.gen(function* () {
        const cluster = yield* RedisCluster.RedisCluster
        const redis = yield* Redis.makeCluster({ seeds: cluster.seeds, refresh: false })
        const { key, slot } = keyOn(cluster, 2, "coalesce:")
        yield* redis.set(key, "v")
        yield* cluster.migrateSlot(slot, cluster.primaries[0])
        const before = yield* count(RedisTelemetry.clusterRefreshes, { outcome: "ok" })
        const moves = yield* count(RedisTelemetry.clusterRedirects, { kind: "moved" })
        const values = yield* Effect.forEach(
          Array.from({ length: 50 }, () => key),
          (k) => redis.get(k),
          { concurrency: "unbounded" }
        )
        assert.deepStrictEqual(
          values,
          values.map(() => Option.some("v"))
        )
        assert.strictEqual((yield* count(RedisTelemetry.clusterRedirects, { kind: "moved" })) - moves, 50)
        yield* eventually(Effect.map(count(RedisTelemetry.clusterRefreshes, { outcome: "ok" }), (n) => n > before))
        assert.isAtMost((yield* count(RedisTelemetry.clusterRefreshes, { outcome: "ok" })) - before, 2)
      }).pipe(Effect.scoped)
    )

    it.effect("the periodic refresh learns of a slot moved behind the client's back, with no command sent", () =>
      Effect.gen(function* () {
        const cluster = yield* RedisCluster.RedisCluster
        const redis = yield* Redis.makeCluster({ seeds: cluster.seeds, refresh: Schedule.spaced("100 millis") })
        const { key, slot } = keyOn(cluster, 0, "periodic:")
        assert.strictEqual(redis.shardOf(key), nameOf(yield* cluster.primaryOf(slot)))
        const to = cluster.primaries.find((p) => nameOf(p) !== redis.shardOf(key))!
        yield* cluster.migrateSlot(slot, to)
        yield* eventually(
          Effect.sync(() => redis.shardOf(key) === nameOf(to)),
          { times: 100 }
        )
      }).pipe(Effect.scoped)
    )

    it.effect("natMap: the announced 127.0.0.1:port is dialled where the map says (each node's UNIX socket)", () =>
      Effect.gen(function* () {
        const cluster = yield* RedisCluster.RedisCluster
        const natMap = Object.fromEntries(cluster.nodes.map((n) => [nameOf(n), `unix://${n.server.unix.path}`]))
        const redis = yield* Redis.makeCluster({ seeds: cluster.seeds, natMap, clientName: "natmapped" })
        assert.sameMembers(
          [...redis.endpoints],
          cluster.primaries.map((p) => `unix:${p.server.unix.path}`)
        )
        const keys = Array.from({ length: 30 }, (_, i) => `nat:${i}`)
        yield* redis.mset(keys.map((k) => [k, k] as const))
        assert.deepStrictEqual(yield* redis.mget(keys), keys.map(Option.some))
        for (const p of cluster.primaries) {
          const addresses = yield* clientsNamed(p, "natmapped")
          assert.isAbove(addresses.length, 0)
          for (const address of addresses) assert.isTrue(address.startsWith("/"), address) // a UNIX socket peer
        }
        // a function works too; undefined keeps the announced address
        const plain = yield* Redis.makeCluster({ seeds: cluster.seeds, natMap: () => undefined })
        assert.sameMembers([...plain.endpoints], cluster.primaries.map(nameOf))
      }).pipe(Effect.scoped)
    )

    it.effect(
      "retry: a multi-key read met by TRYAGAIN mid-migration is retried and succeeds once the slot has moved",
      () =>
        Effect.gen(function* () {
          const cluster = yield* RedisCluster.RedisCluster
          const { key: tag, slot } = keyOn(cluster, 0, "tryagain:")
          const [a, b] = [`${tag}:a`, `${tag}:b`]
          const redis = yield* Redis.makeCluster({ seeds: cluster.seeds, retry: Schedule.spaced("20 millis") })
          const strict = yield* client(cluster)
          yield* redis.mset([
            [a, "A"],
            [b, "B"]
          ])
          const from = yield* cluster.primaryOf(slot)
          const migration = yield* cluster.startMigration(slot, cluster.primaries.find((p) => p.id !== from.id)!)
          assert.strictEqual(yield* migration.moveKeys(1), 1)
          // without retry: TRYAGAIN, typed
          const failed = yield* Effect.flip(strict.mget([a, b]))
          assert.strictEqual(failed._tag === "ReplyError" ? failed.code : failed._tag, "TRYAGAIN")
          // a write is not retried without retryWrites
          const write = yield* Effect.flip(redis.send("MSET", a, "1", b, "2"))
          assert.strictEqual(write._tag === "ReplyError" ? write.code : write._tag, "TRYAGAIN")
          const tries = yield* Effect.map(
            from.cli("INFO", "errorstats"),
            (i) => /errorstat_TRYAGAIN:count=(\d+)/.exec(i)?.[1]
          )
          const read = yield* Effect.forkChild(redis.mget([a, b]))
          yield* eventually(
            Effect.map(from.cli("INFO", "errorstats"), (i) => /errorstat_TRYAGAIN:count=(\d+)/.exec(i)?.[1] !== tries)
          )
          yield* migration.finish
          assert.deepStrictEqual(yield* Fiber.join(read), [Option.some("A"), Option.some("B")])
        }).pipe(Effect.scoped)
    )

    it.effect("poolSize is per node: each primary gets that many connections", () =>
      Effect.gen(function* () {
        const cluster = yield* RedisCluster.RedisCluster
        yield* Redis.makeCluster({ seeds: cluster.seeds, poolSize: 3, clientName: "pooled3" })
        for (const p of cluster.primaries) assert.strictEqual((yield* clientsNamed(p, "pooled3")).length, 3)
      }).pipe(Effect.scoped)
    )

    it.effect("clusterConfig reads REDIS_CLUSTER_NODES (a comma list) and friends from Config", () =>
      Effect.gen(function* () {
        const cluster = yield* RedisCluster.RedisCluster
        const nodes = cluster.seeds.map((s) => `${s.host}:${s.port}`).join(" , ")
        const provider = (env: Record<string, string>) => ConfigProvider.layer(ConfigProvider.fromUnknown(env))
        const program = Effect.gen(function* () {
          const redis = yield* Redis
          yield* redis.set("config:key", "v")
          return [yield* redis.get("config:key"), [...redis.endpoints]] as const
        })
        const [value, endpoints] = yield* program.pipe(
          Effect.provide(
            Redis.clusterConfig(undefined, { lazy: false }).pipe(
              Layer.provide(provider({ REDIS_CLUSTER_NODES: nodes, REDIS_POOL_SIZE: "2", REDIS_READ_FROM: "primary" }))
            )
          )
        )
        assert.deepStrictEqual(value, Option.some("v"))
        assert.sameMembers([...endpoints], cluster.primaries.map(nameOf))
        // the lazy default serves too
        const [lazyValue] = yield* program.pipe(
          Effect.provide(Redis.clusterConfig().pipe(Layer.provide(provider({ REDIS_CLUSTER_NODES: nodes }))))
        )
        assert.deepStrictEqual(lazyValue, Option.some("v"))
        const bad = yield* Effect.flip(
          program.pipe(
            Effect.provide(
              Redis.clusterConfig().pipe(
                Layer.provide(provider({ REDIS_CLUSTER_NODES: nodes, REDIS_READ_FROM: "sometimes" }))
              )
            )
          )
        )
        assert.strictEqual(bad._tag, "ConfigError")
      }).pipe(Effect.scoped)
    )

    it.effect("clusterLazy builds while its only seed is frozen and serves once the node answers", () =>
      Effect.gen(function* () {
        const cluster = yield* RedisCluster.RedisCluster
        const seed = cluster.primaries[1]
        yield* seed.server.pause
        const resumed = yield* Effect.forkChild(Effect.never.pipe(Effect.ensuring(seed.server.resume)))
        const value = yield* Effect.gen(function* () {
          const redis = yield* Redis
          assert.deepStrictEqual([...redis.endpoints], [])
          const read = yield* Effect.forkChild(
            redis.set("lazy:key", "served").pipe(Effect.andThen(redis.get("lazy:key")))
          )
          yield* seed.server.resume
          return yield* Fiber.join(read)
        }).pipe(
          Effect.provide(
            Redis.clusterLazy({ seeds: [seed.tcp], connectTimeout: "200 millis", commandTimeout: "10 seconds" })
          )
        )
        yield* Fiber.interrupt(resumed)
        assert.deepStrictEqual(value, Option.some("served"))
      }).pipe(Effect.scoped)
    )

    it.effect(
      "Effect's RateLimiter and PersistedCache run on the cluster with hash-tagged prefixes and store ids",
      () =>
        Effect.gen(function* () {
          const cluster = yield* RedisCluster.RedisCluster
          const effectRedis = PersistenceRedis.layer.pipe(
            Layer.provide(Layer.fresh(Redis.cluster({ seeds: cluster.seeds })))
          )
          yield* Effect.gen(function* () {
            const limiter = yield* RateLimiter.make
            for (const key of ["a", "b", "c", "d"]) {
              for (const algorithm of ["fixed-window", "token-bucket"] as const) {
                yield* limiter.consume({ algorithm, key: `${algorithm}-${key}`, limit: 2, window: "1 minute" })
                yield* limiter.consume({ algorithm, key: `${algorithm}-${key}`, limit: 2, window: "1 minute" })
                const denied = yield* Effect.flip(
                  limiter.consume({ algorithm, key: `${algorithm}-${key}`, limit: 2, window: "1 minute" })
                )
                assert.strictEqual(denied._tag, "RateLimiterError")
              }
            }
          }).pipe(Effect.provide(RateLimiter.layerStoreRedis({ prefix: "{ratelimit}:" })), Effect.provide(effectRedis))
          let lookups = 0
          const lookup = (key: GetUser) =>
            Effect.suspend(() => {
              lookups++
              return key.id % 3 === 0 ? Effect.fail(`no user ${key.id}`) : Effect.succeed({ name: `user ${key.id}` })
            })
          const users = Array.from({ length: 20 }, (_, i) => new GetUser({ id: i }))
          const useCache = Effect.gen(function* () {
            const cache = yield* PersistedCache.make(lookup, { storeId: "{cache}", timeToLive: () => "1 minute" })
            return yield* Effect.forEach(users, (u) => Effect.exit(cache.get(u)), { concurrency: "unbounded" })
          }).pipe(Effect.scoped, Effect.provide(Layer.fresh(Persistence.layerRedis.pipe(Layer.provide(effectRedis)))))
          const first = yield* useCache
          assert.strictEqual(lookups, users.length)
          assert.deepStrictEqual(yield* useCache, first)
          assert.strictEqual(lookups, users.length)
        })
    )

    it.effect("SCAN walks every primary into one Stream; KEYS merges every primary's keys", () =>
      Effect.gen(function* () {
        const cluster = yield* RedisCluster.RedisCluster
        const redis = yield* client(cluster)
        const keys = Array.from({ length: 300 }, (_, i) => `scanned:${i}`)
        yield* redis.send("MSET", ...keys.flatMap((k) => [k, "v"]))
        const owners = yield* Effect.forEach(cluster.primaries, (p) =>
          Effect.map(p.cli("KEYS", "scanned:*"), (out) => out.split("\n").filter((k) => k !== ""))
        )
        // the keys are spread over every primary: a SCAN of one primary would miss some
        for (const own of owners) assert.isAbove(own.length, 0)
        const scanned = yield* Stream.runCollect(redis.scan({ match: "scanned:*", count: 20 }))
        assert.strictEqual(scanned.length, keys.length) // no key twice
        assert.sameMembers(scanned, keys)
        assert.sameMembers((yield* redis.send("KEYS", "scanned:*")) as Array<string>, keys)
      }).pipe(Effect.scoped)
    )

    it.effect(
      "dedicated: a connection per primary, opened on first use and routed by slot; BLPOP blocks only its own; CLIENT SETNAME names the whole set; cross-slot refused",
      () =>
        Effect.gen(function* () {
          const cluster = yield* RedisCluster.RedisCluster
          const redis = yield* client(cluster)
          const own = yield* redis.dedicated
          const name = "dedicated-set"
          const named = Effect.forEach(cluster.primaries, (p) => Effect.map(clientsNamed(p, name), (c) => c.length))
          assert.strictEqual(yield* own.send("CLIENT", "SETNAME", name), "OK")
          // opened on first use: one connection so far
          assert.strictEqual(
            (yield* named).reduce((a, b) => a + b, 0),
            1
          )
          const a = keyOn(cluster, 1, "blocked:")
          const b = keyOn(cluster, 2, "blocked:")
          const owner = yield* cluster.primaryOf(a.slot)
          const blocked = Effect.map(owner.cli("INFO", "clients"), (info) => /^blocked_clients:1\r?$/m.test(info))
          const popped = yield* Effect.forkChild(own.send("BLPOP", a.key, "10"))
          yield* eventually(blocked)
          // the client's own connections to that primary are not held by it
          yield* redis.set(b.key, "free")
          yield* redis.send("RPUSH", a.key, "x")
          assert.deepStrictEqual(yield* Fiber.join(popped), [a.key, "x"])
          assert.deepStrictEqual(yield* own.send("GET", b.key), "free")
          // the connections the set opened after CLIENT SETNAME carry the name too: one per primary used
          for (const count of yield* named) assert.isAtMost(count, 1)
          for (const used of [owner, yield* cluster.primaryOf(b.slot)]) {
            assert.strictEqual((yield* clientsNamed(used, name)).length, 1)
          }
          // keys of two slots: refused before anything is sent; MGET is split per slot, as on the client
          const crossSlots = Effect.map(
            Effect.forEach(cluster.primaries, (p) => stat(p, "errorstats", "errorstat_CROSSSLOT", "count")),
            (counts) => counts.reduce((x, y) => x + y, 0)
          )
          const before = yield* crossSlots
          const cross = yield* Effect.flip(own.send("BLPOP", a.key, b.key, "1"))
          assert.strictEqual(cross._tag, "ShardingError")
          assert.strictEqual(yield* crossSlots, before)
          assert.deepStrictEqual(yield* own.send("MGET", b.key, a.key), ["free", null])
          // a connection command without a key has no one connection to go to
          const getname = yield* Effect.flip(own.send("CLIENT", "GETNAME"))
          assert.strictEqual(getname._tag, "ShardingError")
          yield* own.close
          yield* eventually(Effect.map(named, (c) => c.every((n) => n === 0)))
          const closed = yield* Effect.flip(own.send("GET", b.key))
          assert.strictEqual(closed._tag, "ConnectionError")
        }).pipe(Effect.scoped)
    )

    it.effect(
      "dedicated: a MOVED is not followed (typed, the command did not run); the next command goes to the new owner",
      () =>
        Effect.gen(function* () {
          const cluster = yield* RedisCluster.RedisCluster
          const redis = yield* Redis.makeCluster({ seeds: cluster.seeds, refresh: false })
          const own = yield* redis.dedicated
          const { key, slot } = keyOn(cluster, 0, "dedicated-moved:")
          const from = yield* cluster.primaryOf(slot)
          const to = cluster.primaries.find((p) => p.id !== from.id) as RedisCluster.ClusterNode
          yield* own.send("SET", key, "1")
          yield* cluster.migrateSlot(slot, to)
          yield* to.cli("CONFIG", "RESETSTAT")
          const moved = yield* Effect.flip(own.send("INCR", key))
          assert.strictEqual(moved._tag, "ShardingError")
          assert.include(moved.message, "MOVED")
          assert.strictEqual(yield* stat(to, "commandstats", "cmdstat_incr", "calls"), 0)
          assert.strictEqual(yield* own.send("INCR", key), 2)
          assert.strictEqual(yield* to.cli("GET", key), "2")
          yield* own.close
        }).pipe(Effect.scoped)
    )

    it.effect("a node added and given a slot is used without a restart; once it owns no slot, it is closed", () =>
      Effect.gen(function* () {
        const cluster = yield* RedisCluster.RedisCluster
        const redis = yield* Redis.makeCluster({ seeds: cluster.seeds, clientName: "grows" })
        const { key, slot } = keyOn(cluster, 1, "grown:")
        yield* redis.set(key, "before")
        const from = yield* cluster.primaryOf(slot)
        const added = yield* cluster.addPrimary
        yield* cluster.migrateSlot(slot, added)
        assert.deepStrictEqual(yield* redis.get(key), Option.some("before"))
        yield* redis.set(key, "after")
        assert.strictEqual(yield* added.cli("GET", key), "after")
        assert.strictEqual(redis.shardOf(key), nameOf(added))
        yield* eventually(Effect.sync(() => redis.endpoints.includes(nameOf(added))))
        assert.isAbove((yield* clientsNamed(added, "grows")).length, 0)
        // the slot goes back: the added node leaves the client's topology and its connections are closed
        yield* cluster.migrateSlot(slot, from)
        assert.deepStrictEqual(yield* redis.get(key), Option.some("after")) // MOVED, then a refresh
        yield* eventually(Effect.map(clientsNamed(added, "grows"), (c) => c.length === 0))
        assert.notInclude([...redis.endpoints], nameOf(added))
      }).pipe(Effect.scoped)
    )
  }
)
