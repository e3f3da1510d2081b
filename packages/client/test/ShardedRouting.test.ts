/**
 * A sharded client routes every command by the keys Redis declares for it (the command catalogue), on three real
 * servers: the commands the old first-argument guess sent to the wrong shard (BITOP, XGROUP CREATE, LMPOP,
 * SINTERCARD, ZUNIONSTORE) either run on the shard of their keys — checked on each server directly — or fail with
 * `ShardingError` before anything is sent. WATCH routes by its keys, so the README's transfer runs sharded.
 */
import { assert, describe, it } from "@effect/vitest"
import { Redis, type RedisShape, ShardingError } from "@fxredis/client"
import * as Catalogue from "@fxredis/client/commands/Catalogue"
import { routing } from "@fxredis/client/RedisSharded"
import { RedisServer } from "@fxredis/testing"
import { Effect, Option, Schedule } from "effect"
import { transports } from "./helpers.ts"

const setup = (kind: (typeof transports)[number], poolSize = 1) =>
  Effect.gen(function* () {
    const servers = yield* Effect.forEach([0, 1, 2], () => RedisServer.make(), { concurrency: "unbounded" })
    const redis = yield* Redis.make({
      endpoints: servers.map((s) => s.urls[kind]),
      poolSize,
      commandTimeout: "2 seconds"
    })
    /** the server a key lives on, by the client's own report */
    const serverOf = (key: string) => servers[redis.endpoints.indexOf(redis.shardOf(key))]
    return { servers, redis, serverOf }
  })

/** a hash tag (`{tN}`) whose shard is not `avoid`'s: a command routed by `avoid` would miss its keys */
const tagAwayFrom = (redis: RedisShape, avoid: string) => {
  for (let i = 0; ; i++) if (redis.shardOf(`{t${i}}`) !== redis.shardOf(avoid)) return `{t${i}}`
}

/** `n` keys on `n` different shards */
const spread = (redis: RedisShape, n: number, prefix = "k") => {
  const out: Array<string> = []
  for (let i = 0; out.length < n; i++) {
    const key = `${prefix}${i}`
    if (!out.some((k) => redis.shardOf(k) === redis.shardOf(key))) out.push(key)
  }
  return out
}

/** how many times the servers ran `command` (lower case), all together */
const callsOf = (servers: ReadonlyArray<RedisServer.RedisServer>, command: string) =>
  Effect.map(
    Effect.forEach(servers, (s) => s.cli("INFO", "commandstats")),
    (all) =>
      all.reduce((n, stats) => n + Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats)?.[1] ?? 0), 0)
  )

/** `effect` fails with `ShardingError` and the servers never ran `command` for it */
const refusedUnsent = <A, E, R>(
  servers: ReadonlyArray<RedisServer.RedisServer>,
  command: string,
  effect: Effect.Effect<A, E, R>
) =>
  Effect.gen(function* () {
    const before = yield* callsOf(servers, command)
    const error = yield* refused(effect)
    assert.strictEqual(yield* callsOf(servers, command), before, `${command} reached a server`)
    return error
  })

/** the servers hold `key` exactly on `owner` */
const onlyOn = (servers: ReadonlyArray<RedisServer.RedisServer>, owner: RedisServer.RedisServer, key: string) =>
  Effect.forEach(servers, (s) =>
    Effect.map(s.cli("EXISTS", key), (n) => assert.strictEqual(n, s === owner ? "1" : "0", `${key} on ${s.dir}`))
  )

const refused = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.map(Effect.flip(effect), (error) => {
    assert.instanceOf(error, ShardingError)
    return error as ShardingError
  })

describe("routing table", () => {
  it("routes every catalogue command by the keys the catalogue finds, for every argument count", () => {
    const special = new Set(["mget", "mset", "del", "unlink", "exists", "touch", "publish", "spublish", "ping"])
    const special2 = new Set(["dbsize", "flushdb", "flushall", "keys", "script|load", "script|flush", "script|exists"])
    let compared = 0
    for (const spec of Catalogue.all()) {
      const name = spec.name
      if (special.has(name) || special2.has(name) || name.startsWith("ssubscribe") || name.startsWith("sunsubscribe"))
        continue
      const head = spec.container === undefined ? [name.toUpperCase()] : name.toUpperCase().split("|")
      for (let argc = Math.max(head.length, Math.abs(spec.arity) - 1); argc <= Math.abs(spec.arity) + 5; argc++) {
        const line = [...head, ...Array.from({ length: argc - head.length }, () => "1")]
        const expected = Catalogue.keys(line)
        const route = routing(line)
        if (expected === undefined || expected.length === 0) assert.strictEqual(route._tag, "Refused", line.join(" "))
        else assert.deepStrictEqual(route, { _tag: "Keys", indexes: expected }, line.join(" "))
        compared++
      }
    }
    assert.isTrue(compared > 2000, `${compared} lines`)
  })
})

for (const kind of transports) {
  describe(`routing by key specs over ${kind}`, () => {
    it.live("BITOP AND dest a b: by dest, a and b (not by AND)", () =>
      Effect.gen(function* () {
        const { redis, servers, serverOf } = yield* setup(kind)
        const tag = tagAwayFrom(redis, "AND")
        yield* redis.send("SET", `${tag}a`, "a")
        yield* redis.send("SET", `${tag}b`, "c")
        assert.strictEqual(yield* redis.send("BITOP", "AND", `${tag}dest`, `${tag}a`, `${tag}b`), 1)
        yield* onlyOn(servers, serverOf(tag), `${tag}dest`)
        assert.strictEqual(yield* serverOf(tag).cli("GET", `${tag}dest`), "a") // 0x61 & 0x63
        const [dest, a, b] = spread(redis, 3)
        const error = yield* refusedUnsent(servers, "bitop", redis.send("BITOP", "AND", dest, a, b))
        assert.strictEqual(error.command, "BITOP")
        assert.sameMembers([...error.shards], [dest, a, b].map(redis.shardOf))
        yield* Effect.forEach(servers, (s) => Effect.map(s.cli("EXISTS", dest), (n) => assert.strictEqual(n, "0")))
      })
    )

    it.live("XGROUP CREATE stream g $: on the stream's shard, so XREADGROUP finds the group", () =>
      Effect.gen(function* () {
        const { redis, servers, serverOf } = yield* setup(kind)
        const tag = tagAwayFrom(redis, "CREATE")
        const stream = `${tag}orders`
        yield* redis.send("XADD", stream, "*", "n", "0")
        assert.strictEqual(yield* redis.send("XGROUP", "CREATE", stream, "workers", "$"), "OK")
        assert.include(yield* serverOf(stream).cli("XINFO", "GROUPS", stream), "workers")
        yield* onlyOn(servers, serverOf(stream), stream)
        yield* redis.send("XADD", stream, "*", "n", "1")
        const read = yield* redis.send("XREADGROUP", "GROUP", "workers", "w1", "COUNT", "10", "STREAMS", stream, ">")
        assert.isTrue(Array.isArray(read) && read.length === 1, JSON.stringify(read))
        // two streams on different shards cannot be read together
        const [s1, s2] = spread(redis, 2, "stream")
        const error = yield* refusedUnsent(
          servers,
          "xreadgroup",
          redis.send("XREADGROUP", "GROUP", "g", "c", "STREAMS", s1, s2, ">", ">")
        )
        assert.sameMembers([...error.shards], [s1, s2].map(redis.shardOf))
      })
    )

    it.live("LMPOP 2 a b LEFT: by a and b (not by 2)", () =>
      Effect.gen(function* () {
        const { redis, servers, serverOf } = yield* setup(kind)
        const tag = tagAwayFrom(redis, "2")
        yield* redis.send("RPUSH", `${tag}b`, "x", "y")
        assert.deepStrictEqual(yield* redis.send("LMPOP", "2", `${tag}a`, `${tag}b`, "LEFT"), [`${tag}b`, ["x"]])
        assert.strictEqual(yield* serverOf(tag).cli("LLEN", `${tag}b`), "1")
        const [a, b] = spread(redis, 2)
        yield* refusedUnsent(servers, "lmpop", redis.send("LMPOP", "2", a, b, "LEFT"))
      })
    )

    it.live("SINTERCARD 2 a b: by a and b (not by 2)", () =>
      Effect.gen(function* () {
        const { redis, servers } = yield* setup(kind)
        const tag = tagAwayFrom(redis, "2")
        yield* redis.send("SADD", `${tag}a`, "1", "2", "3")
        yield* redis.send("SADD", `${tag}b`, "2", "3", "4")
        assert.strictEqual(yield* redis.send("SINTERCARD", "2", `${tag}a`, `${tag}b`), 2)
        const [a, b] = spread(redis, 2)
        yield* redis.send("SADD", a, "1")
        yield* redis.send("SADD", b, "1")
        yield* refusedUnsent(servers, "sintercard", redis.send("SINTERCARD", "2", a, b))
      })
    )

    it.live("ZUNIONSTORE dest 2 a b: by every key; across shards refused, colocated the full union", () =>
      Effect.gen(function* () {
        const { redis, servers, serverOf } = yield* setup(kind)
        // a on dest's shard, b elsewhere: the old routing (by dest) stored 1 member instead of 2
        const [dest, b] = spread(redis, 2)
        let a = "a0"
        for (let i = 0; redis.shardOf(a) !== redis.shardOf(dest); i++) a = `a${i}`
        yield* redis.send("ZADD", a, "1", "x")
        yield* redis.send("ZADD", b, "2", "y")
        const error = yield* refusedUnsent(servers, "zunionstore", redis.send("ZUNIONSTORE", dest, "2", a, b))
        assert.sameMembers([...error.shards], [redis.shardOf(dest), redis.shardOf(b)])
        const tag = "{z}"
        yield* redis.send("ZADD", `${tag}a`, "1", "x")
        yield* redis.send("ZADD", `${tag}b`, "2", "y")
        assert.strictEqual(yield* redis.send("ZUNIONSTORE", `${tag}dest`, "2", `${tag}a`, `${tag}b`), 2)
        assert.strictEqual(yield* serverOf(tag).cli("ZCARD", `${tag}dest`), "2")
        yield* onlyOn(servers, serverOf(tag), `${tag}dest`)
      })
    )

    it.live("WATCH routes by its keys: the README's transfer runs on a sharded pool with hash-tagged keys", () =>
      Effect.gen(function* () {
        const { redis, servers, serverOf } = yield* setup(kind, 4)
        const transfer = (from: string, to: string) =>
          redis
            .transaction((tx) =>
              Effect.gen(function* () {
                yield* tx.watch(from, to)
                const balance = Number(Option.getOrElse(yield* tx.get(from), () => "0"))
                if (balance < 1) return "insufficient funds"
                const [left, right] = yield* tx.exec((q) => [q.decr(from), q.incr(to)])
                return `${from}=${left} ${to}=${right}`
              })
            )
            .pipe(
              Effect.retry({
                while: (e) => e._tag === "TransactionAbortedError",
                schedule: Schedule.spaced("5 millis")
              })
            )
        yield* redis.mset([
          ["{acct}:alice", "3"],
          ["{acct}:bob", "0"]
        ])
        const results = yield* Effect.all(
          [1, 2, 3, 4].map(() => transfer("{acct}:alice", "{acct}:bob")),
          { concurrency: "unbounded" }
        )
        assert.strictEqual(results.filter((r) => r === "insufficient funds").length, 1)
        const owner = serverOf("{acct}")
        assert.strictEqual(yield* owner.cli("GET", "{acct}:alice"), "0")
        assert.strictEqual(yield* owner.cli("GET", "{acct}:bob"), "3")
        yield* onlyOn(servers, owner, "{acct}:bob")
        // WATCH over keys on different shards is refused, nothing is pinned or sent
        const [x, y] = spread(redis, 2)
        const error = yield* refusedUnsent(
          servers,
          "watch",
          redis.transaction((tx) => tx.watch(x, y))
        )
        assert.sameMembers([...error.shards], [x, y].map(redis.shardOf))
        // the transfers' WATCHes ran on the owner only
        for (const s of servers) {
          if (s !== owner) assert.strictEqual(yield* callsOf([s], "watch"), 0)
        }
      })
    )

    it.live("unknown and keyless commands are refused, never guessed; broadcasts stay explicit", () =>
      Effect.gen(function* () {
        const { redis, servers } = yield* setup(kind)
        const unknown = yield* refused(redis.send("MYMODULE.GET", "some-key"))
        assert.strictEqual(unknown.command, "MYMODULE.GET")
        assert.include(unknown.message, "Redis.make({ endpoint })")
        assert.sameMembers([...unknown.shards], [...redis.endpoints])
        for (const line of [["TIME"], ["RANDOMKEY"], ["ECHO", "hi"], ["EVAL", "return 1", "0"], ["CLIENT", "LIST"]]) {
          const [name, ...args] = line
          yield* refused(redis.send(name, ...args))
        }
        // a subcommand the catalogue does not know, and a line whose keys cannot be located
        yield* refused(redis.send("XGROUP", "NOPE", "s"))
        yield* refused(redis.send("SINTERCARD", "x", "a"))
        yield* Effect.forEach(servers, (s) =>
          Effect.map(s.cli("INFO", "errorstats"), (stats) => assert.notInclude(stats, "errorstat_ERR"))
        )
        assert.strictEqual(yield* callsOf(servers, "time"), 0)
        assert.strictEqual(yield* callsOf(servers, "eval"), 0)
        // the explicit broadcasts still go everywhere
        yield* Effect.forEach(spread(redis, 3), (k) => redis.set(k, "v"))
        assert.strictEqual(yield* redis.dbsize(), 3)
        const all = yield* redis.send("KEYS", "*")
        assert.isTrue(Array.isArray(all) && all.length === 3)
        const sha = yield* redis.send("SCRIPT", "LOAD", "return 1")
        assert.deepStrictEqual(yield* redis.send("SCRIPT", "EXISTS", String(sha), "0000"), [1, 0])
        // commands the old table refused outright now route by their key
        assert.strictEqual(yield* redis.send("OBJECT", "ENCODING", spread(redis, 1)[0]), "embstr")
      })
    )
  })
}
