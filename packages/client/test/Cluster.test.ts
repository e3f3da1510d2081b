import { assert, describe, it, layer } from "@effect/vitest"
import { Redis } from "@fxredis/client"
import { RedisCluster, RedisServer } from "@fxredis/testing"
import { Effect, Fiber, Option, Stream } from "effect"

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

describe("cluster options", () => {
  it.effect("a database other than 0, or a UNIX seed, fails with RedisConfigError before connecting", () =>
    Effect.gen(function* () {
      const database = yield* Effect.flip(Redis.makeCluster({ seeds: ["redis://127.0.0.1:1"], database: 2 }))
      assert.strictEqual(database._tag, "RedisConfigError")
      const unix = yield* Effect.flip(Redis.makeCluster({ seeds: ["unix:///tmp/nowhere.sock"] }))
      assert.strictEqual(unix._tag, "RedisConfigError")
      const redirects = yield* Effect.flip(Redis.makeCluster({ seeds: ["redis://127.0.0.1:1"], maxRedirects: -1 }))
      assert.strictEqual(redirects._tag, "RedisConfigError")
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
  }
)
