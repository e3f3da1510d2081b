import { assert, describe, it } from "@effect/vitest"
import { PersistenceRedis, Redis } from "@fxredis/client"
import { RedisServer } from "@fxredis/testing"
import { Effect, Exit, Layer, Queue, Schema } from "effect"
import * as Persistable from "effect/persistence/Persistable"
import * as PersistedCache from "effect/persistence/PersistedCache"
import * as Persistence from "effect/persistence/Persistence"
import * as RateLimiter from "effect/persistence/RateLimiter"
import * as PRedis from "effect/persistence/Redis"
import { eventually, transports } from "./helpers.ts"

class GetUser extends Persistable.Class<{ payload: { readonly id: number } }>()("GetUser", {
  primaryKey: (p) => `user-${p.id}`,
  success: Schema.Struct({ name: Schema.String }),
  error: Schema.String
}) {}

/** Effect's Redis service on a fresh fxredis client for `urls` (one: a connection; several: sharded) */
const effectRedis = (urls: ReadonlyArray<string>) =>
  PersistenceRedis.layer.pipe(
    Layer.provide(Layer.fresh(Redis.layer(urls.length === 1 ? { endpoint: urls[0] } : { endpoints: urls })))
  )

for (const kind of transports) {
  describe(`effect/persistence/Redis on fxredis over ${kind}`, () => {
    it.live("replies in the shapes Effect's stores expect; errors carry the server's text", () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make()
        yield* Effect.gen(function* () {
          const redis = yield* PRedis.Redis
          assert.strictEqual(yield* redis.send("SET", "k", "42"), "OK")
          assert.strictEqual(yield* redis.send("GET", "k"), "42") // never converted to a number
          assert.strictEqual(yield* redis.send("GET", "missing"), null)
          assert.strictEqual(yield* redis.send("INCR", "n"), 1)
          yield* redis.send("HSET", "h", "a", "1")
          assert.deepStrictEqual(yield* redis.send("HGETALL", "h"), ["a", "1"])
          const failed = yield* Effect.flip(redis.send("EVALSHA", "0".repeat(40), "0"))
          assert.include(String(failed.cause), "NOSCRIPT")
          // reserve: a dedicated connection, closed with its scope
          const reply = yield* Effect.scoped(Effect.flatMap(redis.reserve, (c) => c.send("PING")))
          assert.strictEqual(reply, "PONG")
          // subscribe delivers
          const queue = yield* redis.subscribe("events")
          yield* eventually(Effect.map(redis.send("PUBLISH", "events", "hello"), (n) => Number(n) > 0))
          assert.deepStrictEqual(yield* Queue.take(queue), { channel: "events", message: "hello" })
        }).pipe(Effect.scoped, Effect.provide(effectRedis([server.urls[kind]])))
      })
    )

    it.live("a PersistedCache looks up once and a second cache reads the persisted Exit", () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make()
        let lookups = 0
        const lookup = (key: GetUser) =>
          Effect.suspend(() => {
            lookups++
            return key.id < 0 ? Effect.fail(`no user ${key.id}`) : Effect.succeed({ name: `user ${key.id}` })
          })
        const persistence = Persistence.layerRedis.pipe(Layer.provide(effectRedis([server.urls[kind]])))
        const useCache = Effect.scoped(
          Effect.gen(function* () {
            const cache = yield* PersistedCache.make(lookup, { storeId: "users", timeToLive: () => "1 minute" })
            return [
              yield* cache.get(new GetUser({ id: 1 })),
              yield* Effect.exit(cache.get(new GetUser({ id: -1 })))
            ] as const
          })
        ).pipe(Effect.provide(Layer.fresh(persistence)))
        const [first, failure] = yield* useCache
        assert.deepStrictEqual(first, { name: "user 1" })
        assert.isTrue(Exit.isFailure(failure))
        assert.strictEqual(lookups, 2)
        const [again, failureAgain] = yield* useCache
        assert.deepStrictEqual(again, { name: "user 1" })
        assert.deepStrictEqual(failureAgain, failure)
        assert.strictEqual(lookups, 2) // both came from Redis, Exit values included
      })
    )

    it.live("RateLimiter: fixed window and token bucket deny the request past the limit", () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make()
        yield* Effect.gen(function* () {
          const limiter = yield* RateLimiter.make
          for (const algorithm of ["fixed-window", "token-bucket"] as const) {
            for (let i = 0; i < 3; i++) {
              yield* limiter.consume({ algorithm, key: `api-${algorithm}`, limit: 3, window: "1 minute" })
            }
            const denied = yield* Effect.flip(
              limiter.consume({ algorithm, key: `api-${algorithm}`, limit: 3, window: "1 minute" })
            )
            assert.strictEqual(denied._tag, "RateLimiterError")
          }
        }).pipe(
          Effect.provide(RateLimiter.layerStoreRedis({ prefix: "{ratelimit}:" })),
          Effect.provide(effectRedis([server.urls[kind]]))
        )
      })
    )

    it.live("on a sharded client, hash-tagged prefixes keep the stores' scripts on one shard", () =>
      Effect.gen(function* () {
        const servers = yield* Effect.forEach([0, 1, 2], () => RedisServer.make())
        const urls = servers.map((s) => s.urls[kind])
        yield* Effect.gen(function* () {
          const limiter = yield* RateLimiter.make
          for (const key of ["a", "b", "c", "d"]) {
            yield* limiter.consume({ algorithm: "token-bucket", key, limit: 1, window: "1 minute" })
            const denied = yield* Effect.flip(
              limiter.consume({ algorithm: "token-bucket", key, limit: 1, window: "1 minute" })
            )
            assert.strictEqual(denied._tag, "RateLimiterError")
          }
          // a script whose keys span shards fails with ShardingError, mapped to Effect's RedisError
          const redis = yield* PRedis.Redis
          const spread = ["k1", "k2", "k3", "k4", "k5", "k6"]
          const failed = yield* Effect.flip(redis.send("EVAL", "return 1", String(spread.length), ...spread))
          assert.strictEqual((failed.cause as { _tag: string })._tag, "ShardingError")
        }).pipe(
          Effect.provide(RateLimiter.layerStoreRedis({ prefix: "{ratelimit}:" })),
          Effect.provide(effectRedis(urls))
        )
      })
    )
  })
}
