/**
 * The shape modules' layers (`layer`, `layerLazy`, `layerConfig`, `layerTest`) against real servers, and
 * txredisapi's constructors (`Txredisapi`, `Redis.…`).
 */
import { assert, describe, it } from "@effect/vitest"
import {
  Redis,
  RedisConnection,
  type RedisError,
  RedisPool,
  type RedisShape,
  RedisSharded,
  RedisSubscriber,
  RedisTransaction,
  Txredisapi
} from "@fxredis/client"
import { RedisServer } from "@fxredis/testing"
import { Config, ConfigProvider, Context, Effect, Exit, Fiber, Layer, Option, Stream } from "effect"

/** connections the server has with this client name */
const connections = (server: RedisServer.RedisServer, name: string) =>
  Effect.map(
    server.cli("CLIENT", "LIST"),
    (list) => list.split("\n").filter((l) => l.includes(` name=${name} `)).length
  )

/** the service a layer builds, in the test's scope */
const build = <E>(layer: Layer.Layer<Redis, E>) =>
  Effect.map(Layer.build(layer), (context) => Context.get(context, Redis))

/** the failure a layer's build ends with */
const buildFailure = <E>(layer: Layer.Layer<Redis, E>) =>
  Effect.flatMap(Effect.exit(Effect.scoped(build(layer))), (exit) =>
    Exit.isFailure(exit) ? Effect.succeed(exit.cause) : Effect.die("the layer was built")
  )

const failureOf = <E>(cause: import("effect").Cause.Cause<E>): E | undefined => {
  for (const reason of cause.reasons) if (reason._tag === "Fail") return reason.error
  return undefined
}

/** a socket path where nothing listens */
const nowhere = "unix:///tmp/fxredis-shapes-nothing-listens-here.sock"

/** a key of each shard of a two-shard client, by `shardOf` */
const keysPerShard = (redis: RedisShape) => {
  const byShard = new Map<string, string>()
  for (let i = 0; byShard.size < 2 && i < 1000; i++) {
    const key = `k${i}`
    if (!byShard.has(redis.shardOf(key))) byShard.set(redis.shardOf(key), key)
  }
  return byShard
}

describe("RedisConnection", () => {
  it.live("layer: one connection carries every command", () =>
    Effect.gen(function* () {
      const server = yield* RedisServer.make()
      const redis = yield* build(RedisConnection.layer({ endpoint: server.urls.unix, clientName: "one" }))
      yield* Effect.forEach(Array.from({ length: 200 }), () => redis.incr("n"), { concurrency: "unbounded" })
      assert.strictEqual(yield* connections(server, "one"), 1)
      assert.strictEqual(yield* server.cli("GET", "n"), "200")
    })
  )

  it.live("layer fails with ConnectionError when nothing listens; layerLazy builds and serves once it is up", () =>
    Effect.gen(function* () {
      const error = failureOf(yield* buildFailure(RedisConnection.layer({ endpoint: nowhere, reconnect: false })))
      assert.strictEqual(error?._tag, "ConnectionError")
      const server = yield* RedisServer.make()
      yield* server.stop
      const redis = yield* build(
        RedisConnection.layerLazy({ endpoint: server.urls.unix, commandTimeout: "20 seconds" })
      )
      yield* server.start
      assert.strictEqual(yield* redis.ping(), "PONG")
    })
  )

  it.live("layerConfig reads REDIS_URL (and not REDIS_POOL_SIZE: one connection)", () =>
    Effect.gen(function* () {
      const server = yield* RedisServer.make()
      const provider = ConfigProvider.fromUnknown({ REDIS_URL: server.urls.tcp, REDIS_POOL_SIZE: "3" })
      const named = Config.map(RedisConnection.connectionOptionsConfig, (o) => ({ ...o, clientName: "configured" }))
      const redis = yield* build(RedisConnection.layerConfig(named, { lazy: false })).pipe(
        Effect.provide(ConfigProvider.layer(provider))
      )
      yield* redis.set("k", "v")
      assert.strictEqual(yield* server.cli("GET", "k"), "v")
      assert.strictEqual(yield* connections(server, "configured"), 1)
    })
  )

  it.effect("layerTest: the in-memory fake, no server", () =>
    Effect.gen(function* () {
      const redis = yield* build(RedisConnection.layerTest({ keyPrefix: "app:" }))
      yield* redis.rpush("q", ["x"])
      // a reply that names the key carries its full, prefixed name
      assert.deepStrictEqual(yield* redis.send("BLPOP", "q", 1), ["app:q", "x"])
      assert.strictEqual(redis.endpoints.length, 1)
    })
  )

  it.effect("refuses the options of another shape with RedisConfigError", () =>
    Effect.gen(function* () {
      for (const [field, value] of [
        ["poolSize", 2],
        ["endpoints", ["redis://a:6379"]]
      ] as const) {
        const error = failureOf(
          yield* buildFailure(
            RedisConnection.layer({ endpoint: nowhere, [field]: value } as RedisConnection.RedisConnectionOptions)
          )
        )
        assert.strictEqual(error?._tag, "RedisConfigError")
        if (error?._tag === "RedisConfigError") assert.strictEqual(error.option, field)
      }
    })
  )
})

describe("RedisPool", () => {
  it.live("layer: `size` connections, used round-robin", () =>
    Effect.gen(function* () {
      const server = yield* RedisServer.make()
      const redis = yield* build(RedisPool.layer({ endpoint: server.urls.unix, size: 3, clientName: "pool" }))
      assert.strictEqual(yield* connections(server, "pool"), 3)
      const ids = yield* Effect.forEach(Array.from({ length: 300 }), () => redis.send("CLIENT", "ID"), {
        concurrency: "unbounded"
      })
      assert.strictEqual(new Set(ids).size, 3)
    })
  )

  it.live("the default size is 4; layerLazy builds while the server is down", () =>
    Effect.gen(function* () {
      const server = yield* RedisServer.make()
      yield* build(RedisPool.layer({ endpoint: server.urls.tcp, clientName: "default" }))
      assert.strictEqual(yield* connections(server, "default"), RedisPool.defaultSize)
      yield* server.stop
      const redis = yield* build(RedisPool.layerLazy({ endpoint: server.urls.unix, size: 2, clientName: "lazy" }))
      yield* server.start
      assert.strictEqual(yield* redis.ping(), "PONG")
      assert.strictEqual(yield* connections(server, "lazy"), 2)
    })
  )

  it.live("layerConfig: REDIS_POOL_SIZE is the size", () =>
    Effect.gen(function* () {
      const server = yield* RedisServer.make()
      const provider = ConfigProvider.fromUnknown({ REDIS_URL: server.urls.unix, REDIS_POOL_SIZE: "3" })
      const redis = yield* build(RedisPool.layerConfig(undefined, { lazy: false })).pipe(
        Effect.provide(ConfigProvider.layer(provider))
      )
      const ids = yield* Effect.forEach(Array.from({ length: 300 }), () => redis.send("CLIENT", "ID"), {
        concurrency: "unbounded"
      })
      assert.strictEqual(new Set(ids).size, 3)
    })
  )

  it.effect("layerTest: transactions on the fake", () =>
    Effect.gen(function* () {
      const redis = yield* build(RedisPool.layerTest())
      const [a, b] = yield* redis.transaction((tx) => tx.exec((q) => [q.incr("a"), q.incr("a")]))
      assert.deepStrictEqual([a, b], [1, 2])
    })
  )

  it.effect("a size that is not a whole number from 1, or a poolSize, fails with RedisConfigError", () =>
    Effect.gen(function* () {
      for (const options of [{ size: 0 }, { size: 1.5 }, { size: "4" }, { poolSize: 4 }]) {
        const error = failureOf(
          yield* buildFailure(RedisPool.layer({ endpoint: nowhere, ...options } as RedisPool.RedisPoolOptions))
        )
        assert.strictEqual(error?._tag, "RedisConfigError", JSON.stringify(options))
        if (error?._tag === "RedisConfigError") assert.strictEqual(error.option, Object.keys(options)[0])
      }
    })
  )
})

describe("RedisSharded", () => {
  it.live("layer: keys live on the shard shardOf names, as with Redis.layer({ endpoints })", () =>
    Effect.gen(function* () {
      const servers = [yield* RedisServer.make(), yield* RedisServer.make()]
      const endpoints = servers.map((s) => s.urls.unix)
      const redis = yield* build(RedisSharded.layer({ endpoints }))
      const classic = yield* Redis.make({ endpoints })
      const byShard = keysPerShard(redis)
      assert.strictEqual(byShard.size, 2)
      for (const [shard, key] of byShard) {
        assert.strictEqual(classic.shardOf(key), shard)
        yield* redis.set(key, shard)
        const owner = servers[redis.endpoints.indexOf(shard)]
        assert.strictEqual(yield* owner.cli("GET", key), shard)
      }
      const error = yield* Effect.flip(redis.rename([...byShard.values()][0], [...byShard.values()][1]))
      assert.strictEqual(error._tag, "ShardingError")
    })
  )

  it.live("layerLazy builds while a shard is down; layerConfig reads REDIS_URLS", () =>
    Effect.gen(function* () {
      const servers = [yield* RedisServer.make(), yield* RedisServer.make()]
      yield* servers[1].stop
      const lazy = yield* build(
        RedisSharded.layerLazy({ endpoints: servers.map((s) => s.urls.unix), commandTimeout: "20 seconds" })
      )
      yield* servers[1].start
      for (const key of keysPerShard(lazy).values()) yield* lazy.set(key, "lazy")
      const provider = ConfigProvider.fromUnknown({ REDIS_URLS: servers.map((s) => s.urls.tcp).join(" ") })
      const configured = yield* build(RedisSharded.layerConfig(undefined, { lazy: false })).pipe(
        Effect.provide(ConfigProvider.layer(provider))
      )
      assert.strictEqual(configured.endpoints.length, 2)
      for (const key of keysPerShard(lazy).values()) {
        // the same shard, reached over TCP instead of UNIX
        assert.strictEqual(
          configured.endpoints.indexOf(configured.shardOf(key)),
          lazy.endpoints.indexOf(lazy.shardOf(key))
        )
        assert.strictEqual(yield* configured.send("GET", key), "lazy")
      }
    })
  )

  it.effect("layerTest: one in-memory server per shard, routed by the real ring", () =>
    Effect.gen(function* () {
      const fake = yield* build(RedisSharded.layerTest({ shards: 2 }))
      // the ring a real client over two shards places keys with
      const ring = RedisSharded.make(["a", "b"].map((name) => ({ name, run: () => Effect.void })))
      const byShard = keysPerShard(fake)
      assert.strictEqual(byShard.size, 2)
      for (const [shard, key] of byShard) assert.strictEqual(ring.names[ring.nodes.indexOf(ring.nodeOf(key))], shard)
      const [a, b] = [...byShard.values()]
      yield* fake.mset([
        [a, "1"],
        [b, "2"]
      ])
      assert.deepStrictEqual(yield* fake.send("MGET", a, b), ["1", "2"])
      assert.strictEqual(yield* fake.send("DBSIZE"), 2) // summed over the shards
      const refused: RedisError = yield* Effect.flip(fake.rename(a, b))
      assert.strictEqual(refused._tag, "ShardingError")
    })
  )

  it.effect("without endpoints: EndpointError; with endpoint: RedisConfigError", () =>
    Effect.gen(function* () {
      const none = failureOf(yield* buildFailure(RedisSharded.layer({} as RedisSharded.RedisShardedOptions)))
      assert.strictEqual(none?._tag, "EndpointError")
      const single = failureOf(
        yield* buildFailure(
          RedisSharded.layer({ endpoint: nowhere, endpoints: [nowhere] } as RedisSharded.RedisShardedOptions)
        )
      )
      assert.strictEqual(single?._tag, "RedisConfigError")
    })
  )
})

describe("Txredisapi", () => {
  it.live("Redis' statics are the module's constructors, and connect as documented", () =>
    Effect.gen(function* () {
      assert.strictEqual(Redis.unixConnection, Txredisapi.unixConnection)
      assert.strictEqual(Redis.lazyShardedConnectionPool, Txredisapi.lazyShardedConnectionPool)
      const server = yield* RedisServer.make()
      const redis = yield* build(Txredisapi.unixConnectionPool({ path: server.unix.path, dbid: 3, poolsize: 2 }))
      yield* redis.set("k", "db3")
      assert.strictEqual(yield* server.cli("-n", "3", "GET", "k"), "db3")
      const tcp = yield* build(Txredisapi.shardedConnection({ hosts: [`127.0.0.1:${server.tcp.port}`] }))
      assert.strictEqual(yield* tcp.ping(), "PONG")
    })
  )
})

/** a layer's services, in the test's scope */
const services = <I, E>(layer: Layer.Layer<I, E>) => Layer.build(layer)

/** publishes on `pubsub` once `subscription` is live and returns the first message */
const roundTrip = (pubsub: RedisSubscriber.RedisSubscriber, channel: string) =>
  Effect.gen(function* () {
    const sub = yield* pubsub.subscription({ channels: [channel] })
    yield* sub.subscribed
    const first = yield* Effect.forkChild(Stream.runHead(sub.messages))
    assert.strictEqual(yield* pubsub.publish(channel, "hello"), 1)
    return Option.map(yield* Fiber.join(first), (m) => m.message)
  }).pipe(Effect.scoped)

describe("RedisSubscriber", () => {
  it.live("layer, layerLazy, layerConfig: a message published after `subscribed` is delivered", () =>
    Effect.gen(function* () {
      const server = yield* RedisServer.make()
      const provider = ConfigProvider.fromUnknown({ REDIS_URL: server.urls.tcp })
      for (const layer of [
        RedisSubscriber.layer({ endpoint: server.urls.unix }),
        RedisSubscriber.layerLazy({ endpoint: server.urls.unix }),
        RedisSubscriber.layerConfig(undefined, { lazy: false }).pipe(Layer.provide(ConfigProvider.layer(provider)))
      ]) {
        const pubsub = Context.get(yield* services(layer), RedisSubscriber.RedisSubscriber)
        assert.deepStrictEqual(yield* roundTrip(pubsub, "news"), Option.some("hello"))
      }
      const error = yield* Effect.flip(
        Effect.scoped(services(RedisSubscriber.layer({ endpoint: nowhere, reconnect: false })))
      )
      assert.strictEqual(error._tag, "ConnectionError")
    })
  )

  it.live("layerFromRedis: the pub/sub of the Redis service provided", () =>
    Effect.gen(function* () {
      const server = yield* RedisServer.make()
      const context = yield* services(
        RedisSubscriber.layerFromRedis.pipe(Layer.provideMerge(Redis.layer({ endpoint: server.urls.unix })))
      )
      const pubsub = Context.get(context, RedisSubscriber.RedisSubscriber)
      assert.deepStrictEqual(yield* roundTrip(pubsub, "news"), Option.some("hello"))
    })
  )

  it.effect("layerTest: delivered in memory; Redis over the same fake", () =>
    Effect.gen(function* () {
      const context = yield* services(RedisSubscriber.layerTest())
      const pubsub = Context.get(context, RedisSubscriber.RedisSubscriber)
      const sub = yield* pubsub.subscription({ channels: ["news"] })
      yield* sub.subscribed
      const first = yield* Effect.forkChild(Stream.runHead(sub.messages))
      assert.strictEqual(yield* Context.get(context, Redis).publish("news", "from redis"), 1)
      assert.deepStrictEqual(
        Option.map(yield* Fiber.join(first), (m) => m.message),
        Option.some("from redis")
      )
    })
  )
})

describe("RedisTransaction", () => {
  it.live("layer: transactions on a pool of their own, `size` of them at once", () =>
    Effect.gen(function* () {
      const server = yield* RedisServer.make()
      const { transaction } = Context.get(
        yield* services(RedisTransaction.layer({ endpoint: server.urls.unix, size: 2, clientName: "tx" })),
        RedisTransaction.RedisTransaction
      )
      assert.strictEqual(yield* connections(server, "tx"), 2)
      const [a, b] = yield* transaction((tx) =>
        Effect.gen(function* () {
          yield* tx.watch("n")
          return yield* tx.exec((q) => [q.incr("n"), q.incr("n")])
        })
      )
      assert.deepStrictEqual([a, b], [1, 2])
      assert.strictEqual(yield* server.cli("GET", "n"), "2")
    })
  )

  it.live("layerLazy and layerConfig build; layerFromRedis runs on the Redis service's shape", () =>
    Effect.gen(function* () {
      const server = yield* RedisServer.make()
      yield* server.stop
      const lazy = Context.get(
        yield* services(RedisTransaction.layerLazy({ endpoint: server.urls.unix, commandTimeout: "20 seconds" })),
        RedisTransaction.RedisTransaction
      )
      yield* server.start
      yield* lazy.transaction((tx) => tx.exec((q) => [q.set("k", "lazy")]))
      const provider = ConfigProvider.fromUnknown({ REDIS_URL: server.urls.tcp, REDIS_POOL_SIZE: "1" })
      const configured = Context.get(
        yield* services(
          RedisTransaction.layerConfig(undefined, { lazy: false }).pipe(Layer.provide(ConfigProvider.layer(provider)))
        ),
        RedisTransaction.RedisTransaction
      )
      const [value] = yield* configured.transaction((tx) => tx.exec((q) => [q.get("k")]))
      assert.deepStrictEqual(value, Option.some("lazy"))
      // on a sharded client, a transaction whose keys span shards is refused
      const servers = [server, yield* RedisServer.make()]
      const sharded = Context.get(
        yield* services(
          RedisTransaction.layerFromRedis.pipe(
            Layer.provide(RedisSharded.layer({ endpoints: servers.map((s) => s.urls.unix) }))
          )
        ),
        RedisTransaction.RedisTransaction
      )
      const keys = [...keysPerShard(yield* Redis.make({ endpoints: servers.map((s) => s.urls.unix) })).values()]
      const refused = yield* Effect.flip(
        sharded.transaction((tx) => tx.exec((q) => [q.incr(keys[0]), q.incr(keys[1])]))
      )
      assert.strictEqual(refused._tag, "ShardingError")
    })
  )

  it.effect("layerTest: WATCH on the fake aborts exec when another writer changed the key", () =>
    Effect.gen(function* () {
      const context = yield* services(RedisTransaction.layerTest())
      const redis = Context.get(context, Redis)
      const { transaction } = Context.get(context, RedisTransaction.RedisTransaction)
      const error = yield* Effect.flip(
        transaction((tx) =>
          Effect.gen(function* () {
            yield* tx.watch("k")
            yield* redis.set("k", "other writer")
            return yield* tx.exec((q) => [q.set("k", "mine")])
          })
        )
      )
      assert.strictEqual(error._tag, "TransactionAbortedError")
      assert.deepStrictEqual(yield* redis.get("k"), Option.some("other writer"))
    })
  )
})
