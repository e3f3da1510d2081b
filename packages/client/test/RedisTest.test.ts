/**
 * The in-memory fake (`Redis.layerTest` / `RedisTest`): user-style programs under TestClock, the conformance suite
 * that every real shape passes, and a differential run of the same commands on the fake and on a real redis-server.
 */
import { assert, describe, it } from "@effect/vitest"
import { Redis, type RedisShape, RedisTest } from "@fxredis/client"
import { RedisServer } from "@fxredis/testing"
import { Deferred, Effect, Exit, Fiber, Option, Ref, Stream } from "effect"
import { TestClock } from "effect/testing"
import { checks, singleServerChecks } from "./suites/Commands.ts"

const fake = <A, E>(body: (redis: RedisShape) => Effect.Effect<A, E>) => Effect.flatMap(RedisTest.make(), body)

describe("RedisTest: a user's unit tests", () => {
  it.effect("a counter: INCR from any number of fibers, typed errors for a value that is not a number", () =>
    fake((redis) =>
      Effect.gen(function* () {
        yield* Effect.forEach(Array.from({ length: 10 }), () => redis.incr("visits"), { concurrency: "unbounded" })
        assert.strictEqual(yield* redis.incrby("visits", 5), 15)
        assert.deepStrictEqual(yield* redis.get("visits"), Option.some("15"))
        yield* redis.set("name", "ada")
        const error = yield* Effect.flip(redis.incr("name"))
        assert.strictEqual(error._tag, "ReplyError")
        assert.strictEqual(error._tag === "ReplyError" && error.message, "ERR value is not an integer or out of range")
        const wrong = yield* Effect.flip(redis.lpush("name", ["x"]))
        assert.strictEqual(wrong._tag === "ReplyError" && wrong.code, "WRONGTYPE")
      })
    )
  )

  it.effect("a cache: a value set with a TTL is there until TestClock passes it, then gone", () =>
    Effect.gen(function* () {
      const redis = yield* Redis
      const cached = (key: string, compute: Effect.Effect<string>) =>
        Effect.flatMap(redis.get(key), (hit) =>
          Option.match(hit, {
            onSome: Effect.succeed,
            onNone: () => Effect.tap(compute, (v) => redis.set(key, v, { expire: "1 minute" }))
          })
        )
      const computed = yield* Ref.make(0)
      const compute = Effect.as(
        Ref.update(computed, (n) => n + 1),
        "fresh"
      )
      assert.strictEqual(yield* cached("page", compute), "fresh")
      yield* TestClock.adjust("59 seconds")
      assert.strictEqual(yield* cached("page", compute), "fresh")
      assert.strictEqual(yield* Ref.get(computed), 1)
      assert.strictEqual(yield* redis.ttl("page"), 1)
      assert.strictEqual(yield* redis.pttl("page"), 1_000)
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* redis.exists(["page"]), 0)
      assert.strictEqual(yield* cached("page", compute), "fresh")
      assert.strictEqual(yield* Ref.get(computed), 2)
      // PERSIST keeps it for good
      assert.isTrue(yield* redis.persist("page"))
      yield* TestClock.adjust("1 hour")
      assert.deepStrictEqual(yield* redis.get("page"), Option.some("fresh"))
    }).pipe(Effect.provide(Redis.layerTest()))
  )

  it.effect("a WATCH transaction is retried on TransactionAbortedError when another fiber changed the key", () =>
    fake((redis) =>
      Effect.gen(function* () {
        yield* redis.set("balance", "100")
        const watched = yield* Deferred.make<void>()
        const changed = yield* Deferred.make<void>()
        const attempts = yield* Ref.make(0)
        // another fiber deposits 50 between the first attempt's WATCH and its EXEC
        const other = yield* Effect.forkChild(
          Effect.andThen(Deferred.await(watched), redis.incrby("balance", 50)).pipe(
            Effect.andThen(Deferred.succeed(changed, undefined))
          )
        )
        const withdraw = (amount: number) =>
          redis.transaction((tx) =>
            Effect.gen(function* () {
              const attempt = yield* Ref.updateAndGet(attempts, (n) => n + 1)
              yield* tx.watch("balance")
              const balance = Number(Option.getOrElse(yield* tx.get("balance"), () => "0"))
              if (attempt === 1) {
                yield* Deferred.succeed(watched, undefined)
                yield* Deferred.await(changed)
              }
              const [set] = yield* tx.exec((q) => [q.set("balance", balance - amount)])
              return set
            })
          )
        const result = yield* withdraw(30).pipe(
          Effect.retry({ while: (e) => e._tag === "TransactionAbortedError", times: 3 })
        )
        yield* Fiber.join(other)
        assert.isTrue(result)
        assert.strictEqual(yield* Ref.get(attempts), 2)
        assert.deepStrictEqual(yield* redis.get("balance"), Option.some("120"))
      })
    )
  )

  it.effect("pub/sub: a message published after `subscribed` is delivered, to channels and patterns", () =>
    fake((redis) =>
      Effect.gen(function* () {
        assert.strictEqual(yield* redis.publish("news", "nobody listens"), 0)
        const sub = yield* redis.subscription({ channels: ["news"], patterns: ["orders:*"] })
        yield* sub.subscribed
        const three = yield* Effect.forkChild(Stream.runCollect(Stream.take(sub.messages, 3)))
        assert.strictEqual(yield* redis.publish("news", "hello"), 1)
        assert.strictEqual(yield* redis.publish("orders:eu", "order 1"), 1)
        assert.strictEqual(yield* redis.publish("elsewhere", "dropped"), 0)
        assert.strictEqual(yield* redis.publish("news", "world"), 1)
        assert.deepStrictEqual(yield* Fiber.join(three), [
          { channel: "news", message: "hello" },
          { pattern: "orders:*", channel: "orders:eu", message: "order 1" },
          { channel: "news", message: "world" }
        ])
      }).pipe(Effect.scoped)
    )
  )

  it.effect("hashes and sorted sets decode through the typed methods", () =>
    fake((redis) =>
      Effect.gen(function* () {
        assert.strictEqual(yield* redis.hset("user:1", { name: "ada", born: "1815" }), 2)
        assert.strictEqual(yield* redis.hincrby("user:1", "visits", 3), 3)
        assert.deepStrictEqual(yield* redis.hgetall("user:1"), { name: "ada", born: "1815", visits: "3" })
        assert.deepStrictEqual(yield* redis.hmget("user:1", ["name", "nope"]), [Option.some("ada"), Option.none()])
        yield* redis.zadd("board", [
          { member: "bob", score: 12 },
          { member: "ada", score: 7.5 },
          { member: "cy", score: 30 }
        ])
        assert.deepStrictEqual(yield* redis.zrangeWithScores("board", 0, -1, { rev: true }), [
          { member: "cy", score: 30 },
          { member: "bob", score: 12 },
          { member: "ada", score: 7.5 }
        ])
        assert.deepStrictEqual(yield* redis.zrangeByScore("board", "(7.5", "+inf"), ["bob", "cy"])
        assert.deepStrictEqual(yield* redis.zscore("board", "ada"), Option.some(7.5))
        assert.deepStrictEqual(yield* redis.zrank("board", "cy"), Option.some(2))
        assert.deepStrictEqual(yield* Stream.runCollect(redis.zscan("board")), [
          { member: "ada", score: 7.5 },
          { member: "bob", score: 12 },
          { member: "cy", score: 30 }
        ])
      })
    )
  )

  it.effect("a command the fake does not implement fails with a typed ReplyError, scripts too", () =>
    fake((redis) =>
      Effect.gen(function* () {
        const unknown = yield* Effect.flip(redis.send("OBJECT", "FREQ", "k"))
        assert.strictEqual(unknown._tag, "ReplyError")
        assert.strictEqual(unknown.message, "ERR unknown command 'OBJECT' (not supported by the in-memory fake)")
        const script = yield* Effect.flip(redis.eval("return 1", [], []))
        assert.strictEqual(script._tag === "ReplyError" && script.code, "ERR")
        assert.include(script.message, "not supported by the in-memory fake")
        // a transaction that queued one fails with it, and nothing of it ran (Redis' EXECABORT)
        const aborted = yield* Effect.flip(redis.transaction((tx) => tx.exec((q) => [q.incr("n"), q.send("NOPE")])))
        assert.strictEqual(aborted.message, "ERR unknown command 'NOPE' (not supported by the in-memory fake)")
        assert.deepStrictEqual(yield* redis.get("n"), Option.none())
      })
    )
  )

  it.effect("BLPOP waits for a push from another fiber, and answers nil once TestClock passes its timeout", () =>
    fake((redis) =>
      Effect.gen(function* () {
        const waiting = yield* Effect.forkChild(redis.blpop(["jobs"], "10 seconds"))
        yield* TestClock.adjust("5 seconds")
        assert.strictEqual(yield* redis.rpush("jobs", ["job-1"]), 1)
        assert.deepStrictEqual(yield* Fiber.join(waiting), Option.some(["jobs", "job-1"] as const))
        assert.strictEqual(yield* redis.llen("jobs"), 0)
        const idle = yield* Effect.forkChild(redis.blpop(["jobs"], "10 seconds"))
        yield* TestClock.adjust("9 seconds")
        assert.isUndefined(idle.pollUnsafe())
        yield* TestClock.adjust("1 second")
        assert.deepStrictEqual(yield* Fiber.join(idle), Option.none())
      })
    )
  )

  it.effect("keyPrefix, binary values and byte lengths behave as with a server; each layer has its own keyspace", () =>
    Effect.gen(function* () {
      const app = yield* RedisTest.make({ keyPrefix: "app:" })
      yield* app.set("k", "héllo")
      assert.strictEqual(yield* app.strlen("k"), 6) // bytes, as Redis counts
      assert.deepStrictEqual(yield* app.keys("*"), ["k"])
      assert.deepStrictEqual(yield* app.send("KEYS", "app:*"), [])
      const bytes = new Uint8Array([0, 255, 128, 13, 10])
      yield* app.set("bin", bytes)
      assert.deepStrictEqual(
        Option.map(yield* app.getBuffer("bin"), (b) => Array.from(b)),
        Option.some(Array.from(bytes))
      )
      const other = yield* RedisTest.make()
      assert.strictEqual(yield* other.dbsize(), 0)
      const own = yield* app.dedicated
      assert.deepStrictEqual(yield* own.send("GET", "k"), "héllo")
      yield* own.close
      const closed = yield* Effect.flip(own.send("GET", "k"))
      assert.strictEqual(closed._tag, "ConnectionError")
    })
  )
})

describe("RedisTest: the conformance suite every real shape passes", () => {
  for (const [name, check] of Object.entries({ ...checks, ...singleServerChecks })) {
    if (name === "scripting") continue // Lua is not supported: checked above to fail typed
    // it.live: some checks compare TTLs with Date.now() and time blocking commands on the real clock
    it.live(name, () => fake((redis) => check(redis, name)))
  }
})

/** the same commands, their replies compared one by one; `sort` for replies whose order Redis leaves open */
const script: ReadonlyArray<readonly [ReadonlyArray<string>, "sort"?]> = [
  [["SET", "s", "hello"]],
  [["GET", "s"]],
  [["APPEND", "s", " world"]],
  [["STRLEN", "s"]],
  [["GETRANGE", "s", "0", "4"]],
  [["GETRANGE", "s", "-5", "-1"]],
  [["SETRANGE", "s", "6", "W"]],
  [["GET", "s"]],
  [["SET", "n", "10"]],
  [["INCR", "n"]],
  [["INCRBY", "n", "5"]],
  [["DECRBY", "n", "3"]],
  [["INCRBYFLOAT", "n", "1.5"]],
  [["INCR", "s"]],
  [["GET"]],
  [["SET", "n2", "x", "NX"]],
  [["SET", "n2", "y", "NX"]],
  [["SET", "n2", "z", "XX", "GET"]],
  [["SET", "n2", "z", "NX", "XX"]],
  [["MSET", "a", "1", "b", "2"]],
  [["MGET", "a", "b", "missing", "s"]],
  [["MSETNX", "a", "3", "c", "4"]],
  [["GETDEL", "a"]],
  [["EXISTS", "a", "b", "b"]],
  [["DEL", "b", "c"]],
  [["TYPE", "s"]],
  [["TYPE", "missing"]],
  [["SET", "t", "v", "EX", "100"]],
  [["TTL", "t"]],
  [["PERSIST", "t"]],
  [["TTL", "t"]],
  [["TTL", "missing"]],
  [["SET", "t", "v", "EX", "0"]],
  [["RENAME", "s", "s2"]],
  [["RENAMENX", "s2", "n"]],
  [["RENAME", "nokey", "x"]],
  [["HSET", "h", "f1", "v1", "f2", "v2"]],
  [["HSET", "h", "f1", "v3"]],
  [["HGET", "h", "f1"]],
  [["HMGET", "h", "f1", "nope"]],
  [["HGETALL", "h"]],
  [["HINCRBY", "h", "c", "3"]],
  [["HINCRBY", "h", "f1", "1"]],
  [["HDEL", "h", "f2", "nope"]],
  [["HLEN", "h"]],
  [["HKEYS", "h"]],
  [["LPUSH", "l", "a", "b", "c"]],
  [["RPUSH", "l", "d"]],
  [["LRANGE", "l", "0", "-1"]],
  [["LPOP", "l"]],
  [["RPOP", "l", "2"]],
  [["LLEN", "l"]],
  [["LINDEX", "l", "-1"]],
  [["LREM", "l", "0", "a"]],
  [["LMOVE", "l", "l2", "LEFT", "RIGHT"]],
  [["LRANGE", "l2", "0", "-1"]],
  [["EXISTS", "l"]],
  [["LPUSH", "s2", "x"]],
  [["SADD", "st", "a", "b", "c", "a"]],
  [["SMEMBERS", "st"], "sort"],
  [["SISMEMBER", "st", "b"]],
  [["SREM", "st", "b"]],
  [["SCARD", "st"]],
  [["SADD", "st2", "c", "d"]],
  [["SINTER", "st", "st2"], "sort"],
  [["SUNION", "st", "st2"], "sort"],
  [["SDIFF", "st", "st2"], "sort"],
  [["ZADD", "z", "1", "a", "2", "b", "3", "c"]],
  [["ZADD", "z", "XX", "CH", "5", "a"]],
  [["ZADD", "z", "GT", "1", "c"]],
  [["ZADD", "z", "NX", "XX", "1", "c"]],
  [["ZSCORE", "z", "a"]],
  [["ZRANGE", "z", "0", "-1", "WITHSCORES"]],
  [["ZRANGE", "z", "2", "5", "BYSCORE"]],
  [["ZRANGE", "z", "+inf", "(2", "BYSCORE", "REV", "LIMIT", "0", "1"]],
  [["ZRANGE", "z", "0", "0", "REV"]],
  [["ZRANK", "z", "a"]],
  [["ZCOUNT", "z", "(1", "+inf"]],
  [["ZINCRBY", "z", "0.5", "b"]],
  [["ZREM", "z", "b"]],
  [["ZCARD", "z"]],
  [["ZADD", "z", "nope", "a"]],
  [["XADD", "x", "1-1", "f", "v"]],
  [["XADD", "x", "1-2", "g", "w"]],
  [["XADD", "x", "1-1", "f", "v"]],
  [["XLEN", "x"]],
  [["XRANGE", "x", "-", "+"]],
  [["XRANGE", "x", "(1-1", "+"]],
  [["XREAD", "COUNT", "1", "STREAMS", "x", "0"]],
  [["XREAD", "STREAMS", "x", "$"]],
  [["KEYS", "*"], "sort"],
  [["KEYS", "s?"], "sort"],
  [["DBSIZE"]],
  [["PING"]],
  [["ECHO", "héllo"]],
  [["FLUSHDB"]],
  [["DBSIZE"]]
]

describe("RedisTest: differential, against a real redis-server", () => {
  it.live(`${script.length} mixed commands give the same replies on the fake and on Redis`, () =>
    Effect.gen(function* () {
      const server = yield* RedisServer.make()
      const real = yield* Redis.make({ endpoint: server.urls.unix })
      const memory = yield* RedisTest.make()
      const reply = (redis: RedisShape, [command, ...args]: ReadonlyArray<string>, sort: boolean) =>
        Effect.map(Effect.exit(redis.send(command, ...args)), (exit) =>
          Exit.isFailure(exit)
            ? { error: exit.cause.reasons.map((r) => (r._tag === "Fail" ? r.error.message : r._tag)).join() }
            : sort && Array.isArray(exit.value)
              ? [...exit.value].sort()
              : exit.value
        )
      for (const [args, sort] of script) {
        const expected = yield* reply(real, args, sort === "sort")
        const actual = yield* reply(memory, args, sort === "sort")
        assert.deepStrictEqual(actual, expected, args.join(" "))
      }
    })
  )

  it.live("MULTI/EXEC/WATCH on a dedicated connection: the same replies, queueing errors and aborts", () =>
    Effect.gen(function* () {
      const server = yield* RedisServer.make()
      const real = yield* Redis.make({ endpoint: server.urls.unix })
      const memory = yield* RedisTest.make()
      const steps: ReadonlyArray<readonly ["own" | "other", ReadonlyArray<string>]> = [
        ["other", ["SET", "k", "1"]],
        ["own", ["WATCH", "k"]],
        ["other", ["INCR", "k"]],
        ["own", ["MULTI"]],
        ["own", ["INCR", "k"]],
        ["own", ["EXEC"]],
        ["own", ["WATCH", "k"]],
        ["own", ["MULTI"]],
        ["own", ["INCR", "k"]],
        ["own", ["SET", "s", "text"]],
        ["own", ["INCR", "s"]],
        ["own", ["BLPOP", "empty", "0"]],
        ["own", ["GET", "k"]],
        ["own", ["EXEC"]],
        ["own", ["MULTI"]],
        ["own", ["INCR", "k"]],
        ["own", ["GET"]],
        ["own", ["EXEC"]],
        ["own", ["EXEC"]],
        ["own", ["DISCARD"]],
        ["own", ["MULTI"]],
        ["own", ["MULTI"]],
        ["own", ["WATCH", "k"]],
        ["own", ["DISCARD"]],
        ["other", ["GET", "k"]]
      ]
      const run = (redis: RedisShape) =>
        Effect.gen(function* () {
          const own = yield* redis.dedicated
          const replies: Array<unknown> = []
          for (const [on, [command, ...args]] of steps) {
            const exit = yield* Effect.exit(on === "own" ? own.send(command, ...args) : redis.send(command, ...args))
            replies.push(
              Exit.isSuccess(exit)
                ? exit.value
                : exit.cause.reasons.map((r) => (r._tag === "Fail" ? r.error.message : r._tag)).join()
            )
          }
          yield* own.close
          return replies
        })
      const expected = yield* run(real)
      const actual = yield* run(memory)
      for (let i = 0; i < steps.length; i++) assert.deepStrictEqual(actual[i], expected[i], steps[i][1].join(" "))
    })
  )
})
