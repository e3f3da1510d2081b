import { assert, describe, it } from "@effect/vitest"
import { Redis, RedisSharded, ShardingError } from "@fxredis/client"
import { RedisServer } from "@fxredis/testing"
import { Context, Effect, Layer, Option } from "effect"
import { eventually, transports } from "./helpers.ts"

const keys = (n: number, prefix = "key") => Array.from({ length: n }, (_, i) => `${prefix}:${i}`)

describe("consistent hashing", () => {
  const node = (name: string) => ({ name, run: () => Effect.void })
  it("spreads 100,000 keys within ±15% of even over 3 shards", () => {
    const ring = RedisSharded.make([node("a"), node("b"), node("c")])
    const counts = new Map<string, number>()
    for (const key of keys(100_000)) {
      const name = ring.nodeOf(key).name
      counts.set(name, (counts.get(name) ?? 0) + 1)
    }
    for (const n of counts.values())
      assert.isTrue(Math.abs(n - 100_000 / 3) <= 0.15 * (100_000 / 3), `${n} keys on a shard`)
  })
  it("adding a fourth shard remaps only about a quarter of the keys, all to the new shard", () => {
    const three = RedisSharded.make([node("a"), node("b"), node("c")])
    const four = RedisSharded.make([node("a"), node("b"), node("c"), node("d")])
    let moved = 0
    for (const key of keys(100_000)) {
      const before = three.nodeOf(key).name
      const after = four.nodeOf(key).name
      if (before !== after) {
        moved++
        assert.strictEqual(after, "d")
      }
    }
    assert.isTrue(moved / 100_000 <= 1 / 3, `${moved} keys moved`)
  })
  it("hashes only the hash tag: the text in the first non-empty {…}", () => {
    const ring = RedisSharded.make([node("a"), node("b"), node("c"), node("d"), node("e")])
    const tagged = ["{user:1}:name", "{user:1}:email", "x{user:1}y", "{user:1}"].map((k) => ring.nodeOf(k).name)
    assert.strictEqual(new Set(tagged).size, 1)
    assert.strictEqual(ring.nodeOf("{user:1}").name, ring.nodeOf("user:1").name)
    // an empty tag does not count: the whole key is hashed (were "" hashed, every "{}…" key would share one shard)
    assert.isAbove(new Set(keys(100, "{}").map((k) => ring.nodeOf(k).name)).size, 1)
  })
})

for (const kind of transports) {
  describe(`sharded over ${kind}`, () => {
    const setup = (poolSize = 1) =>
      Effect.gen(function* () {
        const servers = yield* Effect.forEach([0, 1, 2], () => RedisServer.make(), { concurrency: "unbounded" })
        const redis = yield* Redis.make({
          endpoints: servers.map((s) => s.urls[kind]),
          poolSize,
          commandTimeout: "500 millis"
        })
        const byName = new Map(
          servers.map((s) => [kind === "unix" ? `unix:${s.unix.path}` : `127.0.0.1:${s.tcp.port}`, s])
        )
        return { servers, redis, serverOf: (key: string) => byName.get(redis.shardOf(key))! }
      })

    it.live("each key lives on the shard the client reports; MSET/MGET/DEL of 1,000 keys keep the caller's order", () =>
      Effect.gen(function* () {
        const { redis, serverOf, servers } = yield* setup()
        const all = keys(1000)
        yield* redis.mset(all.map((k, i) => [k, `v${i}`] as const))
        // read directly from each server with a plain connection
        for (const key of all.slice(0, 100))
          assert.strictEqual(yield* serverOf(key).cli("GET", key), `v${all.indexOf(key)}`)
        const sizes = yield* Effect.forEach(servers, (s) => Effect.map(s.cli("DBSIZE"), Number))
        assert.strictEqual(
          sizes.reduce((a, b) => a + b, 0),
          1000
        )
        for (const size of sizes) assert.isTrue(size > 200, `a shard holds ${size} keys`)
        assert.strictEqual(yield* redis.dbsize(), 1000)
        const reversed = [...all].reverse()
        const values = yield* redis.mget([...reversed, "missing"])
        assert.deepStrictEqual(values, [...reversed.map((k) => Option.some(`v${all.indexOf(k)}`)), Option.none()])
        assert.strictEqual(yield* redis.exists([...all.slice(0, 10), "missing"]), 10)
        assert.strictEqual(yield* redis.del(all.slice(0, 500)), 500)
        assert.strictEqual(yield* redis.unlink(all.slice(500)), 500)
        assert.strictEqual(yield* redis.dbsize(), 0)
      })
    )

    it.live(
      "keys that must live together: hash tags colocate; a cross-shard RENAME fails before anything is sent",
      () =>
        Effect.gen(function* () {
          const { redis, servers } = yield* setup()
          yield* redis.set("{acct:7}:balance", "10")
          yield* redis.rename("{acct:7}:balance", "{acct:7}:old")
          assert.deepStrictEqual(yield* redis.get("{acct:7}:old"), Option.some("10"))
          // find two keys on different shards
          const a = "alpha"
          const b = keys(50, "beta").find((k) => redis.shardOf(k) !== redis.shardOf(a))!
          yield* redis.set(a, "1")
          const renames = Effect.map(
            Effect.forEach(servers, (s) => s.cli("INFO", "commandstats")),
            (stats) => stats.reduce((n, text) => n + Number(/cmdstat_rename:calls=(\d+)/.exec(text)?.[1] ?? 0), 0)
          )
          const before = yield* renames
          assert.strictEqual(before, 1)
          const error = yield* Effect.flip(redis.rename(a, b))
          assert.instanceOf(error, ShardingError)
          if (error._tag === "ShardingError") {
            assert.strictEqual(error.command, "RENAME")
            assert.sameMembers([...error.shards], [redis.shardOf(a), redis.shardOf(b)])
          }
          // nothing was sent: no server counted another RENAME
          assert.strictEqual(yield* renames, before)
          assert.deepStrictEqual(yield* redis.get(a), Option.some("1"))
          // a transaction on one shard (hash tag) works; across shards it is refused
          const [n, m] = yield* redis.transaction((tx) => tx.exec((q) => [q.incr("{t}:a"), q.incr("{t}:b")]))
          assert.deepStrictEqual([n, m], [1, 1])
          const crossTx = yield* Effect.flip(redis.transaction((tx) => tx.exec((q) => [q.incr(a), q.incr(b)])))
          assert.strictEqual(crossTx._tag, "ShardingError")
          // keyless commands: broadcast where meaningful, else refused
          assert.strictEqual(yield* redis.ping(), "PONG")
          assert.strictEqual((yield* Effect.flip(redis.info()))._tag, "ShardingError")
          assert.strictEqual(yield* redis.eval("return redis.call('GET', KEYS[1])", [a]), "1")
          assert.strictEqual((yield* Effect.flip(redis.eval("return 1", [a, b])))._tag, "ShardingError")
        })
    )

    it.live("the seed's sharded pool keeps a pool per shard", () =>
      Effect.gen(function* () {
        const servers = yield* Effect.forEach([0, 1, 2], () => RedisServer.make())
        const layer =
          kind === "unix"
            ? Redis.shardedUnixConnectionPool({ paths: servers.map((s) => s.unix.path), poolsize: 3, dbid: 1 })
            : Redis.shardedConnectionPool({
                hosts: servers.map((s) => `127.0.0.1:${s.tcp.port}`),
                poolsize: 3,
                dbid: 1
              })
        const redis = yield* Layer.build(layer).pipe(Effect.map((ctx) => Context.get(ctx, Redis)))
        yield* redis.mset(keys(30).map((k) => [k, "v"] as const))
        for (const server of servers) {
          const list = yield* server.cli("CLIENT", "LIST")
          assert.strictEqual(list.split("\n").filter((l) => l.includes(" db=1 ")).length, 3)
          assert.isTrue(Number(yield* server.cli("-n", "1", "DBSIZE")) > 0)
        }
        const bad = yield* Effect.flip(Layer.build(Redis.shardedConnection({ hosts: ["127.0.0.1:99999"] })))
        assert.strictEqual(bad._tag, "EndpointError")
      })
    )

    it.live("a dead shard fails only its own keys; after restart every key serves", () =>
      Effect.gen(function* () {
        const { redis, servers, serverOf } = yield* setup(2)
        const all = keys(300)
        yield* redis.mset(all.map((k) => [k, "x"] as const))
        const victim = servers[1]
        yield* victim.kill
        let failed = 0
        const results = yield* Effect.forEach(all, (key) => Effect.result(redis.get(key)), { concurrency: "unbounded" })
        for (const [i, key] of all.entries()) {
          const r = results[i]
          if (serverOf(key) === victim) {
            assert.strictEqual(r._tag, "Failure")
            if (r._tag === "Failure") assert.include(["ConnectionError", "CommandTimeoutError"], r.failure._tag)
            failed++
          } else {
            assert.deepStrictEqual(r._tag === "Success" ? r.success : undefined, Option.some("x"))
          }
        }
        assert.isTrue(failed > 0 && failed < 300)
        yield* victim.start
        yield* eventually(
          Effect.map(
            Effect.result(redis.set(all.find((k) => serverOf(k) === victim)!, "back")),
            (r) => r._tag === "Success"
          )
        )
        // the restarted shard lost its keys (a fresh server); the others kept theirs, all in the caller's order
        const back = all.find((k) => serverOf(k) === victim)!
        const values = yield* redis.mget(all)
        assert.deepStrictEqual(
          values,
          all.map((k) => (k === back ? Option.some("back") : serverOf(k) === victim ? Option.none() : Option.some("x")))
        )
      })
    )
  })
}
