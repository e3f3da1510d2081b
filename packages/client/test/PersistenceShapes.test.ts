import { assert, describe, it } from "@effect/vitest"
import { PersistenceRedis, Redis, type RedisOptions } from "@fxredis/client"
import { RedisServer } from "@fxredis/testing"
import { Effect, Exit, Layer, Schema } from "effect"
import * as Persistable from "effect/persistence/Persistable"
import * as PersistedCache from "effect/persistence/PersistedCache"
import * as Persistence from "effect/persistence/Persistence"

class GetUser extends Persistable.Class<{ payload: { readonly id: number } }>()("GetUser", {
  primaryKey: (p) => `user-${p.id}`,
  success: Schema.Struct({ name: Schema.String }),
  error: Schema.String
}) {}

const shapes = ["single", "pool", "sharded"] as const

/** Effect's Persistence.layerRedis on a fresh fxredis client of the given shape */
const persistence = (options: RedisOptions) =>
  Persistence.layerRedis.pipe(Layer.provide(PersistenceRedis.layer), Layer.provide(Layer.fresh(Redis.layer(options))))

const optionsFor = (shape: (typeof shapes)[number], servers: ReadonlyArray<RedisServer.RedisServer>): RedisOptions =>
  shape === "single"
    ? { endpoint: servers[0].urls.unix }
    : shape === "pool"
      ? { endpoint: servers[0].urls.tcp, poolSize: 3 }
      : { endpoints: servers.map((s) => s.urls.unix) }

const users = Array.from({ length: 12 }, (_, i) => new GetUser({ id: i }))

describe("Effect's Persistence.layerRedis on every fxredis shape (hash-tagged store ids)", () => {
  for (const shape of shapes) {
    it.live(`${shape}: get/set, setMany/getMany with TTLs, remove, clear per store; PersistedCache persists`, () =>
      Effect.gen(function* () {
        const servers = yield* Effect.forEach(shape === "sharded" ? [0, 1, 2] : [0], () => RedisServer.make())
        const layer = persistence(optionsFor(shape, servers))
        yield* Effect.gen(function* () {
          const p = yield* Persistence.Persistence
          const store = yield* p.make({
            storeId: "{users}",
            timeToLive: (_, key) => (key === users[0] ? "1 minute" : "Infinity")
          })
          const other = yield* p.make({ storeId: "{sessions}" })
          yield* store.set(users[0], Exit.succeed({ name: "ada" }))
          assert.deepStrictEqual(yield* store.get(users[0]), Exit.succeed({ name: "ada" }))
          // setMany: one script over every key of the batch, which a hash-tagged store keeps on one shard
          yield* store.setMany(
            users.map(
              (u) => [u, u.id % 2 === 0 ? Exit.succeed({ name: `u${u.id}` }) : Exit.fail(`no ${u.id}`)] as const
            )
          )
          yield* other.setMany(users.map((u) => [u, Exit.succeed({ name: `session of ${u.id}` })] as const))
          const many = yield* store.getMany(users)
          assert.deepStrictEqual(
            many,
            users.map((u) => (u.id % 2 === 0 ? Exit.succeed({ name: `u${u.id}` }) : Exit.fail(`no ${u.id}`)))
          )
          yield* store.remove(users[1])
          assert.isUndefined(yield* store.get(users[1]))
          yield* store.clear
          assert.deepStrictEqual(
            yield* store.getMany(users),
            users.map(() => undefined)
          )
          // clearing one store leaves the other
          assert.deepStrictEqual(yield* other.get(users[3]), Exit.succeed({ name: "session of 3" }))
        }).pipe(Effect.scoped, Effect.provide(layer))

        // a PersistedCache looks up once; a second cache on a fresh client reads the persisted Exit
        let lookups = 0
        const lookup = (key: GetUser) =>
          Effect.suspend(() => {
            lookups++
            return key.id % 3 === 0 ? Effect.fail(`no user ${key.id}`) : Effect.succeed({ name: `user ${key.id}` })
          })
        const useCache = Effect.gen(function* () {
          const cache = yield* PersistedCache.make(lookup, { storeId: "{cache}", timeToLive: () => "1 minute" })
          return yield* Effect.forEach(users, (u) => Effect.exit(cache.get(u)), { concurrency: "unbounded" })
        }).pipe(Effect.scoped, Effect.provide(persistence(optionsFor(shape, servers))))
        const first = yield* useCache
        assert.strictEqual(lookups, users.length)
        assert.deepStrictEqual(yield* useCache, first)
        assert.strictEqual(lookups, users.length)
      })
    )
  }

  it.live("sharded, a store id without a hash tag: setMany's script spans shards and fails with ShardingError", () =>
    Effect.gen(function* () {
      const servers = yield* Effect.forEach([0, 1, 2], () => RedisServer.make())
      const failure = yield* Effect.gen(function* () {
        const store = yield* (yield* Persistence.Persistence).make({ storeId: "users" })
        return yield* Effect.flip(store.setMany(users.map((u) => [u, Exit.succeed({ name: "x" })] as const)))
      }).pipe(Effect.scoped, Effect.provide(persistence(optionsFor("sharded", servers))))
      assert.strictEqual(failure._tag, "PersistenceError")
      // Effect's script runner hands on the cause of the Redis failure: fxredis' ShardingError, before anything was sent
      assert.strictEqual((failure.cause as { readonly _tag?: string } | undefined)?._tag, "ShardingError")
    })
  )
})
