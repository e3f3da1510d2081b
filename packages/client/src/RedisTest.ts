/**
 * An in-memory fake of the `Redis` service, for unit tests of code that uses `Redis`: no server, no sockets, no
 * timers of its own. It provides the very same service (`RedisShape`): the typed methods, `send`, scans, transactions
 * with `WATCH`, pub/sub and `dedicated` all run on one interpreter over a `Map`, and its replies have the shapes a
 * server sends, so they decode exactly as they would from Redis.
 *
 * - **Time** is Effect's `Clock` of the fiber that runs each command: under `it.effect` that is `TestClock`, so a
 *   key set with `{ expire: "1 minute" }` is gone after `TestClock.adjust("1 minute")`, and a `BLPOP` with a timeout
 *   answers nil once the clock has passed it (before, a push from another fiber wakes it).
 * - **Deterministic**: collections keep insertion order, `SPOP`/`SRANDMEMBER`/`RANDOMKEY` take the oldest members
 *   (no randomness), and the SCAN family answers everything in one page.
 * - **Errors** are the server's: `WRONGTYPE`, `ERR value is not an integer or out of range`, `EXECABORT`, a
 *   `TransactionAbortedError` when a watched key changed, … A command the fake does not implement (scripts: `EVAL`,
 *   `EVALSHA`; `OBJECT`, `CLIENT`, `INFO`, …) fails with a `ReplyError` whose message reads
 *   `ERR unknown command '<name>' (not supported by the in-memory fake)`, never a throw.
 * - **Supported**: strings (`GET`, `SET` with `EX`/`PX`/`EXAT`/`PXAT`/`NX`/`XX`/`KEEPTTL`/`GET`, `SETNX`, `SETEX`,
 *   `PSETEX`, `GETDEL`, `GETEX`, `MGET`, `MSET`, `MSETNX`, `INCR`, `INCRBY`, `INCRBYFLOAT`, `DECR`, `DECRBY`,
 *   `APPEND`, `STRLEN`, `GETRANGE`, `SETRANGE`); keys (`DEL`, `UNLINK`, `EXISTS`, `TOUCH`, `EXPIRE`, `PEXPIRE`,
 *   `EXPIREAT`, `PEXPIREAT`, `TTL`, `PTTL`, `PERSIST`, `TYPE`, `RENAME`, `RENAMENX`, `KEYS`, `SCAN`, `RANDOMKEY`,
 *   `DBSIZE`, `FLUSHDB`, `FLUSHALL`); hashes (`HSET`, `HMSET`, `HSETNX`, `HGET`, `HMGET`, `HGETALL`, `HDEL`,
 *   `HEXISTS`, `HINCRBY`, `HINCRBYFLOAT`, `HKEYS`, `HVALS`, `HLEN`, `HSTRLEN`, `HSCAN`); lists (`LPUSH`, `RPUSH`,
 *   `LPUSHX`, `RPUSHX`, `LPOP`/`RPOP` with a count, `LRANGE`, `LLEN`, `LINDEX`, `LSET`, `LREM`, `LTRIM`, `LMOVE`,
 *   `RPOPLPUSH`, `BLPOP`, `BRPOP`, `BLMOVE`, `BRPOPLPUSH`); sets (`SADD`, `SREM`, `SMEMBERS`, `SISMEMBER`,
 *   `SMISMEMBER`, `SCARD`, `SINTER`, `SUNION`, `SDIFF` and their `…STORE`, `SPOP`, `SRANDMEMBER`, `SMOVE`, `SSCAN`);
 *   sorted sets (`ZADD` with `NX`/`XX`/`GT`/`LT`/`CH`/`INCR`, `ZINCRBY`, `ZSCORE`, `ZMSCORE`, `ZREM`, `ZCARD`,
 *   `ZCOUNT`, `ZRANK`, `ZREVRANK`, `ZRANGE` by rank or `BYSCORE` with `REV`/`LIMIT`/`WITHSCORES`, `ZREVRANGE`,
 *   `ZRANGEBYSCORE`, `ZREVRANGEBYSCORE`, `ZPOPMIN`, `ZPOPMAX`, `ZSCAN`); streams (`XADD` with `*`, `ms-*` or
 *   explicit ids and `MAXLEN`/`MINID`, `XLEN`, `XRANGE`, `XREVRANGE`, `XDEL`, `XTRIM`, `XREAD` with `COUNT` and
 *   `BLOCK`); `PING`, `ECHO`, `TIME`; `PUBLISH`/`SPUBLISH` delivered in memory to `subscribe`, `psubscribe`,
 *   `ssubscribe` and `subscription` (subscribed at once); `MULTI`/`EXEC`/`DISCARD`/`WATCH`/`UNWATCH` through
 *   `redis.transaction`.
 *
 * What it deliberately does not do: persistence, eviction, several databases, Lua, consumer groups, cluster
 * behaviour, or any timing of a real server. `WATCH` is a little stricter than Redis: any write command naming a
 * watched key aborts the transaction, even one that changed nothing (a `DEL` of a missing key). Approximate trimming
 * (`MAXLEN ~`) trims exactly.
 *
 * @since 0.2.0
 */
import { Effect, type Layer } from "effect"
import { Redis, type RedisShape } from "./Redis.ts"

/**
 * Options of the in-memory fake.
 *
 * @example
 * ```ts
 * import { RedisTest } from "@fxredis/client"
 *
 * const RedisFake = RedisTest.layer({ keyPrefix: "app:" }) // keys live under "app:", as with a real client
 * ```
 *
 * @category models
 * @since 0.2.0
 */
export interface RedisTestOptions {
  /** prepended to every key argument, as the real client's `keyPrefix` does */
  readonly keyPrefix?: string | undefined
}

/**
 * The `Redis` service backed by an in-memory fake: each time the layer is built it starts with an empty keyspace.
 * The same as `Redis.layerTest(options)`.
 *
 * @example
 * ```ts
 * import { Redis, RedisTest } from "@fxredis/client"
 * import { assert, it } from "@effect/vitest"
 * import { Effect, Option } from "effect"
 * import { TestClock } from "effect/testing"
 *
 * it.effect("a cached value expires", () =>
 *   Effect.gen(function* () {
 *     const redis = yield* Redis
 *     yield* redis.set("session", "ada", { expire: "10 minutes" })
 *     yield* TestClock.adjust("10 minutes")
 *     assert.isTrue(Option.isNone(yield* redis.get("session")))
 *   }).pipe(Effect.provide(RedisTest.layer()))
 * )
 * ```
 *
 * @category layers
 * @since 0.2.0
 */
export const layer = (options: RedisTestOptions = {}): Layer.Layer<Redis> => Redis.layerTest(options)

/**
 * The fake service value itself, without a layer: a fresh keyspace each time it runs.
 *
 * @example
 * ```ts
 * import { RedisTest } from "@fxredis/client"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function* () {
 *   const redis = yield* RedisTest.make()
 *   yield* redis.incr("hits")
 *   return yield* redis.incr("hits") // 2
 * })
 * ```
 *
 * @category constructors
 * @since 0.2.0
 */
export const make = (options: RedisTestOptions = {}): Effect.Effect<RedisShape> =>
  Effect.provide(
    Effect.gen(function* () {
      return yield* Redis
    }),
    Redis.layerTest(options)
  )
