/**
 * The conformance suite: every typed command against a real server, run for each shape (connection, pool, sharded,
 * sharded pool) over each transport. Keys use one hash tag per test so that multi-key commands stay on one shard.
 */
import { assert } from "@effect/vitest"
import type { RedisShape } from "@fxredis/client"
import { Duration, Effect, Option, Stream } from "effect"

type Check = (redis: RedisShape, prefix: string) => Effect.Effect<void, unknown>

export const checks: Record<string, Check> = {
  "binary replies, plain and inside a transaction": (redis, p) =>
    Effect.gen(function* () {
      const bytes = new Uint8Array([0, 255, 128, 13, 10, 200])
      const k = `{${p}}:bin`
      yield* redis.set(k, bytes)
      assert.deepStrictEqual(
        Option.map(yield* redis.getBuffer(k), (b) => Array.from(b)),
        Option.some(Array.from(bytes))
      )
      yield* redis.set(`{${p}}:text`, "é")
      const [b, t, n] = yield* redis.transaction((tx) =>
        tx.exec((q) => [q.getBuffer(k), q.get(`{${p}}:text`), q.incr(`{${p}}:n`)])
      )
      assert.deepStrictEqual(
        Option.map(b, (x) => Array.from(x)),
        Option.some(Array.from(bytes))
      )
      assert.deepStrictEqual(t, Option.some("é"))
      assert.strictEqual(n, 1)
    }),
  strings: (redis, p) =>
    Effect.gen(function* () {
      const k = `{${p}}:s`
      assert.isTrue(yield* redis.set(k, "v1"))
      assert.deepStrictEqual(yield* redis.get(k), Option.some("v1"))
      assert.deepStrictEqual(yield* redis.get(`{${p}}:missing`), Option.none())
      assert.isFalse(yield* redis.set(k, "v2", { nx: true }))
      assert.isTrue(yield* redis.set(k, "v2", { xx: true, expire: "1 minute" }))
      const ttl = yield* redis.pttl(k)
      assert.isTrue(ttl > 0 && ttl <= 60_000)
      assert.isTrue(yield* redis.set(k, "v3", { keepTtl: true }))
      assert.isTrue((yield* redis.pttl(k)) > 0)
      assert.deepStrictEqual(yield* redis.setGet(k, "v4"), Option.some("v3"))
      assert.isTrue(yield* redis.setnx(`{${p}}:nx`, "x"))
      assert.isFalse(yield* redis.setnx(`{${p}}:nx`, "y"))
      assert.deepStrictEqual(yield* redis.getdel(`{${p}}:nx`), Option.some("x"))
      assert.deepStrictEqual(yield* redis.get(`{${p}}:nx`), Option.none())
      yield* redis.mset([
        [`{${p}}:a`, "1"],
        [`{${p}}:b`, 2]
      ])
      assert.deepStrictEqual(yield* redis.mget([`{${p}}:a`, `{${p}}:nope`, `{${p}}:b`]), [
        Option.some("1"),
        Option.none(),
        Option.some("2")
      ])
      assert.strictEqual(yield* redis.incr(`{${p}}:n`), 1)
      assert.strictEqual(yield* redis.incrby(`{${p}}:n`, 10), 11)
      assert.strictEqual(yield* redis.decr(`{${p}}:n`), 10)
      assert.strictEqual(yield* redis.decrby(`{${p}}:n`, 3), 7)
      assert.strictEqual(yield* redis.incrbyfloat(`{${p}}:f`, 1.5), 1.5)
      assert.strictEqual(yield* redis.append(`{${p}}:app`, "ab"), 2)
      assert.strictEqual(yield* redis.append(`{${p}}:app`, "cd"), 4)
      assert.strictEqual(yield* redis.strlen(`{${p}}:app`), 4)
      assert.strictEqual(yield* redis.getrange(`{${p}}:app`, 1, 2), "bc")
      // unicode and binary values keep their bytes
      yield* redis.set(`{${p}}:u`, "héllo ✓")
      assert.deepStrictEqual(yield* redis.get(`{${p}}:u`), Option.some("héllo ✓"))
      const bin = yield* redis.send("SET", `{${p}}:bin`, new Uint8Array([0, 255, 13, 10]))
      assert.strictEqual(bin, "OK")
      assert.strictEqual(yield* redis.strlen(`{${p}}:bin`), 4)
      // binary values round-trip byte for byte, interleaved with text replies in the same pipeline
      const all = new Uint8Array(256).map((_, i) => i)
      yield* redis.set(`{${p}}:bytes`, all)
      const [bytes, text, none] = yield* Effect.all(
        [redis.getBuffer(`{${p}}:bytes`), redis.get(`{${p}}:u`), redis.getBuffer(`{${p}}:nope`)],
        { concurrency: "unbounded" }
      )
      assert.deepStrictEqual(
        Option.map(bytes, (b) => [...b]),
        Option.some([...all])
      )
      assert.deepStrictEqual(text, Option.some("héllo ✓"))
      assert.deepStrictEqual(none, Option.none())
      // WRONGTYPE is a ReplyError with its code
      yield* redis.lpush(`{${p}}:list`, ["x"])
      const wrong = yield* Effect.flip(redis.incr(`{${p}}:list`))
      assert.strictEqual(wrong._tag, "ReplyError")
      if (wrong._tag === "ReplyError") {
        assert.strictEqual(wrong.code, "WRONGTYPE")
        assert.strictEqual(wrong.command, "INCR")
      }
    }),
  keys: (redis, p) =>
    Effect.gen(function* () {
      const a = `{${p}}:a`
      const b = `{${p}}:b`
      yield* redis.mset([
        [a, "1"],
        [b, "2"]
      ])
      assert.strictEqual(yield* redis.exists([a, b, `{${p}}:c`]), 2)
      assert.strictEqual(yield* redis.touch([a, b]), 2)
      assert.isTrue(yield* redis.expire(a, "10 seconds"))
      const ttl = yield* redis.ttl(a)
      assert.isTrue(ttl > 0 && ttl <= 10)
      assert.isTrue(yield* redis.pexpire(a, 20_000))
      assert.isTrue(yield* redis.expireSeconds(a, 30))
      assert.isTrue(yield* redis.persist(a))
      assert.strictEqual(yield* redis.ttl(a), -1)
      assert.strictEqual(yield* redis.ttl(`{${p}}:none`), -2)
      assert.strictEqual(yield* redis.type(a), "string")
      assert.strictEqual(yield* redis.type(`{${p}}:none`), "none")
      yield* redis.rename(a, `{${p}}:renamed`)
      assert.isFalse(yield* redis.renamenx(b, `{${p}}:renamed`))
      assert.strictEqual(yield* redis.del([`{${p}}:renamed`, b, `{${p}}:none`]), 2)
      yield* redis.set(a, "x")
      assert.strictEqual(yield* redis.unlink([a]), 1)
    }),
  hashes: (redis, p) =>
    Effect.gen(function* () {
      const h = `{${p}}:h`
      assert.strictEqual(yield* redis.hset(h, { f1: "a", f2: 2 }), 2)
      assert.isFalse(yield* redis.hsetnx(h, "f1", "b"))
      assert.isTrue(yield* redis.hsetnx(h, "f3", "c"))
      assert.deepStrictEqual(yield* redis.hget(h, "f1"), Option.some("a"))
      assert.deepStrictEqual(yield* redis.hget(h, "zz"), Option.none())
      assert.deepStrictEqual(yield* redis.hmget(h, ["f2", "zz"]), [Option.some("2"), Option.none()])
      assert.deepStrictEqual(yield* redis.hgetall(h), { f1: "a", f2: "2", f3: "c" })
      assert.deepStrictEqual(yield* redis.hgetall(`{${p}}:none`), {})
      assert.isTrue(yield* redis.hexists(h, "f1"))
      assert.strictEqual(yield* redis.hincrby(h, "n", 5), 5)
      assert.strictEqual(yield* redis.hincrbyfloat(h, "x", 0.5), 0.5)
      assert.deepStrictEqual((yield* redis.hkeys(h)).sort(), ["f1", "f2", "f3", "n", "x"])
      assert.strictEqual((yield* redis.hvals(h)).length, 5)
      assert.strictEqual(yield* redis.hlen(h), 5)
      assert.strictEqual(yield* redis.hdel(h, ["f1", "zz"]), 1)
      const scanned = yield* Stream.runCollect(redis.hscan(h, { count: 2 }))
      assert.strictEqual(scanned.length, 4)
    }),
  lists: (redis, p) =>
    Effect.gen(function* () {
      const l = `{${p}}:l`
      assert.strictEqual(yield* redis.rpush(l, ["a", "b", "c"]), 3)
      assert.strictEqual(yield* redis.lpush(l, ["z"]), 4)
      assert.deepStrictEqual(yield* redis.lrange(l, 0, -1), ["z", "a", "b", "c"])
      assert.strictEqual(yield* redis.llen(l), 4)
      assert.deepStrictEqual(yield* redis.lindex(l, 1), Option.some("a"))
      assert.deepStrictEqual(yield* redis.lindex(l, 99), Option.none())
      yield* redis.lset(l, 0, "y")
      assert.deepStrictEqual(yield* redis.lpop(l), Option.some("y"))
      assert.deepStrictEqual(yield* redis.rpop(l), Option.some("c"))
      assert.strictEqual(yield* redis.lrem(l, 0, "a"), 1)
      yield* redis.rpush(l, ["1", "2", "3"])
      yield* redis.ltrim(l, 1, -1)
      assert.deepStrictEqual(yield* redis.lrange(l, 0, -1), ["1", "2", "3"])
      assert.deepStrictEqual(yield* redis.lmove(l, `{${p}}:l2`, "LEFT", "RIGHT"), Option.some("1"))
      assert.deepStrictEqual(yield* redis.blpop([l], "1 second"), Option.some([l, "2"] as const))
      assert.deepStrictEqual(yield* redis.brpop([l], "1 second"), Option.some([l, "3"] as const))
      assert.deepStrictEqual(yield* redis.blpop([l], "0.05 seconds"), Option.none())
      assert.deepStrictEqual(yield* redis.blmove(`{${p}}:l2`, l, "RIGHT", "LEFT", "1 second"), Option.some("1"))
      assert.deepStrictEqual(yield* redis.lpop(`{${p}}:none`), Option.none())
    }),
  sets: (redis, p) =>
    Effect.gen(function* () {
      const s1 = `{${p}}:s1`
      const s2 = `{${p}}:s2`
      assert.strictEqual(yield* redis.sadd(s1, ["a", "b", "c"]), 3)
      assert.strictEqual(yield* redis.sadd(s2, ["b", "c", "d"]), 3)
      assert.deepStrictEqual((yield* redis.smembers(s1)).sort(), ["a", "b", "c"])
      assert.isTrue(yield* redis.sismember(s1, "a"))
      assert.deepStrictEqual(yield* redis.smismember(s1, ["a", "z"]), [true, false])
      assert.strictEqual(yield* redis.scard(s1), 3)
      assert.deepStrictEqual((yield* redis.sinter([s1, s2])).sort(), ["b", "c"])
      assert.deepStrictEqual((yield* redis.sunion([s1, s2])).sort(), ["a", "b", "c", "d"])
      assert.deepStrictEqual(yield* redis.sdiff([s1, s2]), ["a"])
      assert.strictEqual(yield* redis.sinterstore(`{${p}}:s3`, [s1, s2]), 2)
      assert.strictEqual(yield* redis.sunionstore(`{${p}}:s4`, [s1, s2]), 4)
      assert.isTrue(yield* redis.smove(s1, s2, "a"))
      assert.strictEqual(yield* redis.srem(s2, ["a", "zz"]), 1)
      assert.isTrue(Option.isSome(yield* redis.spop(s1)))
      assert.deepStrictEqual((yield* Stream.runCollect(redis.sscan(s2))).sort(), ["b", "c", "d"])
    }),
  sortedSets: (redis, p) =>
    Effect.gen(function* () {
      const z = `{${p}}:z`
      assert.strictEqual(
        yield* redis.zadd(z, [
          { score: 1, member: "a" },
          { score: 2.5, member: "b" },
          { score: 3, member: "c" }
        ]),
        3
      )
      assert.strictEqual(yield* redis.zadd(z, [{ score: 10, member: "a" }], { xx: true, ch: true }), 1)
      assert.deepStrictEqual(yield* redis.zscore(z, "b"), Option.some(2.5))
      assert.deepStrictEqual(yield* redis.zscore(z, "zz"), Option.none())
      assert.strictEqual(yield* redis.zincrby(z, 0.5, "b"), 3)
      assert.strictEqual(yield* redis.zcard(z), 3)
      assert.strictEqual(yield* redis.zcount(z, 3, "+inf"), 3)
      assert.deepStrictEqual(yield* redis.zrank(z, "c"), Option.some(1))
      assert.deepStrictEqual(yield* redis.zrank(z, "zz"), Option.none())
      assert.deepStrictEqual(yield* redis.zrange(z, 0, -1), ["b", "c", "a"])
      assert.deepStrictEqual(yield* redis.zrange(z, 0, 0, { rev: true }), ["a"])
      assert.deepStrictEqual(yield* redis.zrangeWithScores(z, 0, 1), [
        { member: "b", score: 3 },
        { member: "c", score: 3 }
      ])
      assert.deepStrictEqual(yield* redis.zrangeByScore(z, "(3", "+inf"), ["a"])
      assert.deepStrictEqual(yield* redis.zrangeByScore(z, "-inf", "+inf", { offset: 1, count: 1 }), ["c"])
      assert.strictEqual(yield* redis.zrem(z, ["a"]), 1)
      assert.deepStrictEqual(yield* redis.zpopmin(z), [{ member: "b", score: 3 }])
      const scanned = yield* Stream.runCollect(redis.zscan(z))
      assert.deepStrictEqual(scanned, [{ member: "c", score: 3 }])
    }),
  streams: (redis, p) =>
    Effect.gen(function* () {
      const s = `{${p}}:stream`
      const id1 = yield* redis.xadd(s, { a: "1" })
      const id2 = yield* redis.xadd(s, [["b", "2"]], { maxLen: 1000 })
      assert.strictEqual(yield* redis.xlen(s), 2)
      assert.deepStrictEqual(yield* redis.xrange(s), [
        { id: id1, fields: { a: "1" } },
        { id: id2, fields: { b: "2" } }
      ])
      assert.deepStrictEqual(yield* redis.xrange(s, "-", "+", { count: 1 }), [{ id: id1, fields: { a: "1" } }])
      assert.deepStrictEqual(yield* redis.xread([[s, id1]]), [
        { stream: s, entries: [{ id: id2, fields: { b: "2" } }] }
      ])
      assert.deepStrictEqual(yield* redis.xread([[s, id2]], { block: "50 millis" }), [])
    }),
  scripting: (redis, p) =>
    Effect.gen(function* () {
      const k = `{${p}}:script`
      const source = "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('GET', KEYS[1])"
      assert.strictEqual(yield* redis.eval(source, [k], ["v"]), "v")
      // the cache reloads the script after SCRIPT FLUSH (NOSCRIPT), on every server: one key on each shard
      const script = redis.script("return tonumber(ARGV[1]) + 1")
      assert.strictEqual(yield* script.run([k], [41]), 42)
      yield* redis.send("SCRIPT", "FLUSH")
      const onEachShard = new Map<string, string>()
      for (let i = 0; i < 200 && onEachShard.size < redis.endpoints.length; i++) {
        const key = `{${p}-${i}}:script`
        if (!onEachShard.has(redis.shardOf(key))) onEachShard.set(redis.shardOf(key), key)
      }
      assert.strictEqual(onEachShard.size, redis.endpoints.length)
      for (const key of onEachShard.values()) assert.strictEqual(yield* script.run([key], [41]), 42)
      assert.strictEqual(script.sha.length, 40)
      assert.strictEqual(yield* redis.evalsha(script.sha, [k], [1]), 2)
      assert.strictEqual(yield* redis.scriptLoad("return 1"), "e0e1f9fabfc9d4800c877a703b823ac0578ff8db")
      const failed = yield* Effect.flip(redis.evalsha("0".repeat(40), [k], []))
      assert.strictEqual(failed._tag === "ReplyError" ? failed.code : failed._tag, "NOSCRIPT")
    }),
  "time to live and timeouts in Redis' units": (redis, p) =>
    Effect.gen(function* () {
      const k = `{${p}}:ttl`
      const near = (actual: number, expected: number, slack: number) =>
        assert.isTrue(actual <= expected && actual >= expected - slack, `${actual} is not ~${expected}`)
      yield* redis.set(k, "v")
      // a Duration is what it says; a bare number is the unit of the Redis command of the same name
      assert.isTrue(yield* redis.expire(k, "60 seconds"))
      near(yield* redis.ttl(k), 60, 2)
      assert.isTrue(yield* redis.expire(k, 90)) // EXPIRE: seconds
      near(yield* redis.ttl(k), 90, 2)
      assert.isTrue(yield* redis.pexpire(k, 70_000)) // PEXPIRE: milliseconds
      near(yield* redis.pttl(k), 70_000, 2_000)
      assert.isTrue(yield* redis.pexpire(k, "2 minutes"))
      near(yield* redis.ttl(k), 120, 2)
      assert.isTrue(yield* redis.expire(k, { minutes: 3 }))
      near(yield* redis.ttl(k), 180, 2)
      // SET: `expire` as EX (seconds) for a number, `expireAt` as EXAT (Unix seconds) for a number, PXAT for a Date
      assert.isTrue(yield* redis.set(k, "v", { expire: 60 }))
      near(yield* redis.ttl(k), 60, 2)
      assert.isTrue(yield* redis.set(k, "v", { expire: "45 seconds" }))
      near(yield* redis.ttl(k), 45, 2)
      assert.isTrue(yield* redis.set(k, "v", { expireAt: Math.floor(Date.now() / 1000) + 100 }))
      near(yield* redis.ttl(k), 100, 3)
      assert.isTrue(yield* redis.set(k, "v", { expireAt: new Date(Date.now() + 200_000) }))
      near(yield* redis.ttl(k), 200, 3)
      // what the server would reject is rejected as a typed error, never a throw, and deletes nothing
      const nan = yield* Effect.flip(redis.expire(k, Number.NaN))
      assert.include(["ReplyError", "InvalidCommandError"], nan._tag) // refused by the server or before sending
      const bogus = yield* Effect.flip(redis.expire(k, "soon" as never))
      assert.strictEqual(bogus._tag, "ReplyError")
      const fraction = yield* Effect.flip(redis.expire(k, 1.5)) // EXPIRE takes whole seconds, as in Redis
      assert.strictEqual(fraction._tag, "ReplyError")
      assert.isTrue((yield* redis.ttl(k)) > 0)
      // BLPOP's timeout: a number is seconds (as BLPOP's); XREAD's block: a number is milliseconds (as BLOCK's)
      const [popWait, popped] = yield* Effect.timed(redis.blpop([`{${p}}:empty`], 0.3))
      assert.deepStrictEqual(popped, Option.none())
      assert.isTrue(Duration.toMillis(popWait) >= 250, `BLPOP 0.3 returned after ${Duration.format(popWait)}`)
      const [moveWait] = yield* Effect.timed(redis.blmove(`{${p}}:empty`, `{${p}}:to`, "LEFT", "RIGHT", "200 millis"))
      assert.isTrue(Duration.toMillis(moveWait) >= 150, `BLMOVE returned after ${Duration.format(moveWait)}`)
      yield* redis.xadd(`{${p}}:stream`, { a: "1" })
      const [readWait, read] = yield* Effect.timed(redis.xread([[`{${p}}:stream`, "$"]], { block: 200 }))
      assert.deepStrictEqual(read, [])
      const waited = Duration.toMillis(readWait)
      assert.isTrue(waited >= 150 && waited < 5_000, `XREAD BLOCK 200 returned after ${waited} ms`)
    }),
  server: (redis, p) =>
    Effect.gen(function* () {
      assert.strictEqual(yield* redis.ping(), "PONG")
      assert.isTrue((yield* redis.dbsize()) >= 0)
      yield* redis.set(`{${p}}:scan-a`, "1")
      yield* redis.set(`{${p}}:scan-b`, "1")
      const keys = yield* Stream.runCollect(redis.scan({ match: `{${p}}:scan-*`, count: 100 }))
      assert.deepStrictEqual([...keys].sort(), [`{${p}}:scan-a`, `{${p}}:scan-b`])
      assert.deepStrictEqual((yield* redis.keys(`{${p}}:scan-*`)).sort(), [`{${p}}:scan-a`, `{${p}}:scan-b`])
    })
}

/** Commands a single server (connection or pool) also answers; a sharded client refuses them. */
export const singleServerChecks: Record<string, Check> = {
  server: (redis) =>
    Effect.gen(function* () {
      assert.strictEqual(yield* redis.echo("héllo"), "héllo")
      assert.include(yield* redis.info("server"), "redis_version")
      const [seconds, micros] = yield* redis.time()
      assert.isTrue(seconds > 1_600_000_000 && micros >= 0)
      const unknown = yield* Effect.flip(redis.send("NOSUCHCOMMAND"))
      assert.strictEqual(unknown._tag, "ReplyError")
    })
}
