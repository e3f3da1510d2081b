import { assert, describe, it } from "@effect/vitest"
import { PersistenceRedis, Redis } from "@fxredis/client"
import { RedisServer } from "@fxredis/testing"
import { Effect, Exit, Layer, Option, Schema, Stream } from "effect"
import * as Persistable from "effect/persistence/Persistable"
import * as Persistence from "effect/persistence/Persistence"
import { client, transports } from "./helpers.ts"

const sorted = (lines: string) =>
  lines
    .split("\n")
    .filter((l) => l !== "")
    .sort()

class GetUser extends Persistable.Class<{ payload: { readonly id: number } }>()("GetUser", {
  primaryKey: (p) => `user-${p.id}`,
  success: Schema.Struct({ name: Schema.String }),
  error: Schema.String
}) {}

for (const kind of transports) {
  describe(`keyPrefix over ${kind}`, () => {
    it.live("prefixes every key argument the catalogue locates, never values; multi-key commands too", () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make()
        const redis = yield* client(server, kind, { keyPrefix: "app:" })
        // a value that looks like a key is not touched
        yield* redis.set("greeting", "greeting")
        assert.strictEqual(yield* server.cli("GET", "app:greeting"), "greeting")
        assert.deepStrictEqual(yield* redis.get("greeting"), Option.some("greeting"))
        // MSET / MGET: every other argument is a key
        yield* redis.mset([
          ["a", "a"],
          ["b", "b"]
        ])
        assert.deepStrictEqual(yield* redis.mget(["b", "a", "missing"]), [
          Option.some("b"),
          Option.some("a"),
          Option.none()
        ])
        // ZUNIONSTORE dest numkeys key…: the destination and the numkeys keys, not the count or WEIGHTS
        yield* redis.zadd("z1", [{ score: 1, member: "x" }])
        yield* redis.zadd("z2", [{ score: 2, member: "x" }])
        assert.strictEqual(yield* redis.send("ZUNIONSTORE", "zu", 2, "z1", "z2", "WEIGHTS", 1, 10), 1)
        assert.strictEqual(yield* server.cli("ZSCORE", "app:zu", "x"), "21")
        // XREAD … STREAMS k1 k2 id1 id2: the keys, not the ids
        const id = yield* redis.xadd("s1", { f: "s1" })
        yield* redis.xadd("s2", { f: "s2" })
        const read = yield* redis.send("XREAD", "COUNT", 5, "STREAMS", "s1", "s2", "0", "0")
        assert.strictEqual(JSON.stringify(read).includes(id), true)
        // EVAL: KEYS are prefixed, ARGV and the script body are not
        assert.deepStrictEqual(yield* redis.eval("return {KEYS[1], ARGV[1]}", ["k"], ["k"]), ["app:k", "k"])
        // SPUBLISH's channel is not a key (a not_key spec): not prefixed, like PUBLISH's
        const sub = yield* redis.subscription({ channels: ["news"], shardChannels: ["snews"] })
        yield* sub.subscribed
        assert.strictEqual(yield* server.cli("PUBSUB", "CHANNELS"), "news")
        assert.strictEqual(yield* redis.publish("news", "n"), 1)
        assert.strictEqual(yield* redis.spublish("snews", "s"), 1)
        // a dedicated connection prefixes too
        const own = yield* redis.dedicated
        assert.strictEqual(yield* own.send("GET", "a"), "a")
        yield* own.close
        assert.deepStrictEqual(sorted(yield* server.cli("KEYS", "*")), [
          "app:a",
          "app:b",
          "app:greeting",
          "app:s1",
          "app:s2",
          "app:z1",
          "app:z2",
          "app:zu"
        ])
      })
    )

    it.live("a transaction with WATCH watches the prefixed key; EXEC's commands are prefixed", () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make()
        const redis = yield* client(server, kind, { keyPrefix: "app:" })
        yield* redis.set("balance", "10")
        const [, after] = yield* redis.transaction((tx) =>
          Effect.gen(function* () {
            yield* tx.watch("balance")
            const balance = Option.getOrElse(yield* tx.get("balance"), () => "0")
            return yield* tx.exec((q) => [q.set("balance", String(Number(balance) + 5)), q.get("balance")])
          })
        )
        assert.deepStrictEqual(after, Option.some("15"))
        assert.strictEqual(yield* server.cli("GET", "app:balance"), "15")
        // the watched key is app:balance: a change to it (and only to it) aborts the transaction
        const aborted = yield* redis
          .transaction((tx) =>
            Effect.gen(function* () {
              yield* tx.watch("balance")
              yield* server.cli("SET", "balance", "unprefixed") // another key: no effect
              yield* server.cli("SET", "app:balance", "changed")
              return yield* tx.exec((q) => [q.set("balance", "mine")])
            })
          )
          .pipe(Effect.flip)
        assert.strictEqual(aborted._tag, "TransactionAbortedError")
        assert.strictEqual(yield* server.cli("GET", "app:balance"), "changed")
      })
    )

    it.live("redis.scan() lists only the prefixed keys, without the prefix; MATCH applies after it", () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make()
        const redis = yield* client(server, kind, { keyPrefix: "a*[p]:" })
        yield* server.cli("SET", "other", "1")
        yield* server.cli("SET", "a*[p]other", "1") // not the prefix (no colon)
        yield* redis.mset([
          ["user:1", "x"],
          ["user:2", "y"],
          ["session:1", "z"]
        ])
        assert.deepStrictEqual((yield* Stream.runCollect(redis.scan())).sort(), ["session:1", "user:1", "user:2"])
        assert.deepStrictEqual((yield* Stream.runCollect(redis.scan({ match: "user:*" }))).sort(), ["user:1", "user:2"])
        // what scan returns goes straight back into commands
        for (const key of yield* Stream.runCollect(redis.scan())) assert.isTrue(Option.isSome(yield* redis.get(key)))
        // KEYS and SCAN sent as commands are put under the prefix the same way
        assert.deepStrictEqual((yield* redis.keys("user:*")).sort(), ["user:1", "user:2"])
        assert.deepStrictEqual(((yield* redis.send("KEYS", "*")) as Array<string>).sort(), [
          "session:1",
          "user:1",
          "user:2"
        ])
        const page = (yield* redis.send("SCAN", "0", "COUNT", 1000)) as [string, Array<string>]
        assert.deepStrictEqual([page[0], page[1].sort()], ["0", ["session:1", "user:1", "user:2"]])
        const matched = (yield* redis.send("SCAN", "0", "match", "s*", "COUNT", 1000)) as [string, Array<string>]
        assert.deepStrictEqual(matched[1], ["session:1"])
      })
    )
  })
}

describe("keyPrefix with Effect's stores", () => {
  it.live("Persistence.layerRedis on a prefixed client: entries under the prefix, clear (KEYS + DEL) works", () =>
    Effect.gen(function* () {
      const server = yield* RedisServer.make()
      yield* server.cli("SET", "users:outside", "untouched")
      yield* Effect.gen(function* () {
        const store = yield* (yield* Persistence.Persistence).make({ storeId: "users" })
        const ada = new GetUser({ id: 1 })
        yield* store.setMany([[ada, Exit.succeed({ name: "ada" })]])
        assert.deepStrictEqual(yield* store.get(ada), Exit.succeed({ name: "ada" }))
        assert.deepStrictEqual(sorted(yield* server.cli("KEYS", "*")), ["app:users:user-1", "users:outside"])
        yield* store.clear
        assert.isUndefined(yield* store.get(ada))
      }).pipe(
        Effect.scoped,
        Effect.provide(
          Persistence.layerRedis.pipe(
            Layer.provide(PersistenceRedis.layer),
            Layer.provide(Layer.fresh(Redis.layer({ endpoint: server.urls.unix, keyPrefix: "app:" })))
          )
        )
      )
      assert.deepStrictEqual(sorted(yield* server.cli("KEYS", "*")), ["users:outside"])
    })
  )
})

describe("keyPrefix on a sharded client", () => {
  it.live("routes by the prefixed key: each key is on the shard shardOf names, under its prefixed name", () =>
    Effect.gen(function* () {
      const servers = yield* Effect.forEach([0, 1, 2], () => RedisServer.make())
      const redis = yield* Redis.make({ endpoints: servers.map((s) => s.urls.unix), keyPrefix: "app:" })
      const keys = Array.from({ length: 30 }, (_, i) => `key-${i}`)
      yield* redis.mset(keys.map((k) => [k, k] as const))
      const homes = new Set<number>()
      for (const key of keys) {
        const home = redis.endpoints.indexOf(redis.shardOf(key))
        homes.add(home)
        assert.strictEqual(yield* servers[home].cli("GET", `app:${key}`), key)
      }
      assert.strictEqual(homes.size, 3)
      assert.deepStrictEqual(
        (yield* redis.mget(keys)).map((v) => Option.getOrElse(v, () => "")),
        keys
      )
      assert.deepStrictEqual((yield* Stream.runCollect(redis.scan())).sort(), [...keys].sort())
      // a hash tag inside the key still groups keys behind the prefix
      yield* redis.transaction((tx) =>
        Effect.gen(function* () {
          yield* tx.watch("{u1}:a", "{u1}:b")
          return yield* tx.exec((q) => [q.set("{u1}:a", "1"), q.set("{u1}:b", "2")])
        })
      )
      const home = redis.endpoints.indexOf(redis.shardOf("{u1}:a"))
      assert.strictEqual(yield* servers[home].cli("GET", "app:{u1}:b"), "2")
    })
  )
})
