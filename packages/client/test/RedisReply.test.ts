/**
 * The reply layer: decoders exactly as strict as their doc comments say, integers never rounded, and a reply of the
 * wrong shape always a typed error that names the command and what was expected, on every path a reply takes (a
 * connection, a transaction's EXEC, a sharded client's split, the in-memory fake). The decoder has no modes, so text
 * and bytes are decided here: text by default, bytes for the binary variants, wherever the reply came from.
 */
import { assert, describe, it } from "@effect/vitest"
import { Command, Redis, RedisReply, type RedisShape, RedisTest, ReplyError } from "@fxredis/client"
import type { RespValue } from "@fxredis/protocol"
import { RedisServer } from "@fxredis/testing"
import { Effect, Exit, Option } from "effect"
import { client } from "./helpers.ts"

const big = 2n ** 53n + 1n

/** the failure of a decoder's exit: a ReplyError UNEXPECTED naming `command` */
const unexpectedOf = (exit: Exit.Exit<unknown, unknown>, command: string): ReplyError => {
  assert.isTrue(Exit.isFailure(exit), "the decoder accepted the reply")
  const error = Exit.isFailure(exit) ? Option.getOrUndefined(Exit.findErrorOption(exit)) : undefined
  assert.instanceOf(error, ReplyError)
  const e = error as ReplyError
  assert.strictEqual(e.code, "UNEXPECTED")
  assert.strictEqual(e.command, command)
  assert.include(e.message, "expected")
  return e
}

const succeeds = <A>(exit: Exit.Exit<A, unknown>): A => {
  assert.isTrue(Exit.isSuccess(exit), `the decoder refused the reply: ${String(exit)}`)
  return (exit as Exit.Success<A, unknown>).value
}

describe("decoders are as strict as their doc comments", () => {
  it("ok: any status → void; nil, a number or an array is UNEXPECTED", () => {
    succeeds(Command.ok("OK", "SET"))
    succeeds(Command.ok("QUEUED", "SET"))
    for (const reply of [null, 1, ["OK"], true] as ReadonlyArray<RespValue>) {
      assert.include(unexpectedOf(Command.ok(reply, "ltrim"), "LTRIM").message, "expected a status such as OK")
    }
  })
  it("okOrNil: OK → true, nil → false; anything else is UNEXPECTED", () => {
    assert.isTrue(succeeds(Command.okOrNil("OK", "SET")))
    assert.isFalse(succeeds(Command.okOrNil(null, "SET")))
    for (const reply of ["QUEUED", "old value", 1, 0, [], new Uint8Array([1])] as ReadonlyArray<RespValue>) {
      assert.include(unexpectedOf(Command.okOrNil(reply, "SET"), "SET").message, "expected OK or nil")
    }
  })
  it("boolean and booleans: 0 and 1 (or RESP3 booleans) only", () => {
    assert.isTrue(succeeds(Command.boolean(1, "EXISTS")))
    assert.isFalse(succeeds(Command.boolean(0, "EXISTS")))
    assert.isTrue(succeeds(Command.boolean(true, "EXISTS")))
    assert.isFalse(succeeds(Command.boolean(false, "EXISTS")))
    for (const reply of [2, -1, null, "1", [1]] as ReadonlyArray<RespValue>) {
      unexpectedOf(Command.boolean(reply, "EXISTS"), "EXISTS")
    }
    assert.deepStrictEqual(succeeds(Command.booleans([1, 0, true, false], "SMISMEMBER")), [true, false, true, false])
    assert.deepStrictEqual(succeeds(Command.booleans([], "SMISMEMBER")), [])
    for (const reply of [[1, 2], [null], ["1"], 1, null] as ReadonlyArray<RespValue>) {
      assert.include(
        unexpectedOf(Command.booleans(reply, "smismember"), "SMISMEMBER").message,
        "expected an array of 0 and 1"
      )
    }
  })
  it("number never rounds: an integer beyond ±2^53 - 1 is UNEXPECTED, bigint reads it whole", () => {
    assert.strictEqual(succeeds(Command.number(42, "INCR")), 42)
    // a RESP3 big number that fits is a number
    assert.strictEqual(succeeds(Command.number(42n, "INCR")), 42)
    for (const n of [big, -big, 2n ** 64n]) {
      assert.include(unexpectedOf(Command.number(n, "INCR"), "INCR").message, "Command.bigint")
      unexpectedOf(Command.optionNumber(n, "INCR"), "INCR")
      unexpectedOf(Command.numbers([1, n], "BITFIELD"), "BITFIELD")
      assert.strictEqual(succeeds(Command.bigint(n, "INCR")), n)
    }
    assert.strictEqual(succeeds(Command.bigint(7, "INCR")), 7n)
    unexpectedOf(Command.bigint(1.5, "INCR"), "INCR")
    unexpectedOf(Command.number("1", "INCR"), "INCR")
  })
  it("a decoder called without the command's name still names something", () => {
    assert.strictEqual(unexpectedOf(Command.number(null), "UNKNOWN").command, "UNKNOWN")
  })
  it("text by default, bytes for the binary variants, from either form of a bulk string", () => {
    const e = new TextEncoder().encode("héllo")
    assert.deepStrictEqual(succeeds(Command.raw([e, "abc", 1, null], "MGET")), ["héllo", "abc", 1, null])
    const bytes = succeeds(Command.binary(Command.raw)(["abc", e], "MGET")) as ReadonlyArray<Uint8Array>
    assert.deepStrictEqual(
      bytes.map((b) => Array.from(b)),
      [[97, 98, 99], Array.from(e)]
    )
    assert.deepStrictEqual(
      succeeds(Command.optionBytes("abc", "GET")).pipe(Option.map(Array.from)),
      Option.some([97, 98, 99])
    )
    assert.deepStrictEqual(succeeds(Command.optionString(e, "GET")), Option.some("héllo"))
    // an all-text reply is not copied
    const text = ["a", ["b", 1]]
    assert.strictEqual(RedisReply.textual(text), text)
  })
})

/** a command whose reply has the wrong shape for its decoder fails typed, naming it and what was expected */
const wrongShape = (redis: RedisShape) =>
  Effect.gen(function* () {
    const echo = yield* Effect.flip(redis.run(Command.make(["ECHO", "not a number"], Command.number)))
    assert.instanceOf(echo, ReplyError)
    assert.strictEqual((echo as ReplyError).command, "ECHO")
    assert.include((echo as ReplyError).message, "expected an integer")
    const inTx = yield* Effect.flip(
      redis.transaction((tx) => tx.exec(() => [Command.make(["PING"], Command.okOrNil)] as const))
    )
    assert.instanceOf(inTx, ReplyError)
    assert.strictEqual((inTx as ReplyError).command, "PING")
    assert.include((inTx as ReplyError).message, "expected OK or nil")
    // and the connection stays usable
    assert.strictEqual(yield* redis.echo("aligned"), "aligned")
  })

describe("a reply of the wrong shape names the command and what was expected", () => {
  it.live("on a connection and in a transaction", () =>
    Effect.gen(function* () {
      const server = yield* RedisServer.make()
      yield* wrongShape(yield* client(server, "unix"))
    })
  )
  it.live("on the in-memory fake", () => Effect.flatMap(RedisTest.make(), wrongShape))
  it.live("on a sharded client, for a command split over shards", () =>
    Effect.gen(function* () {
      const servers = yield* Effect.forEach([0, 1, 2], () => RedisServer.make())
      const redis = yield* Redis.make({ endpoints: servers.map((s) => s.urls.unix) })
      const keys = Array.from({ length: 12 }, (_, i) => `k-${i}`)
      assert.isAbove(new Set(keys.map((k) => redis.shardOf(k))).size, 1)
      const failure = yield* Effect.flip(redis.run(Command.make(["MGET", ...keys], Command.booleans)))
      assert.instanceOf(failure, ReplyError)
      assert.strictEqual((failure as ReplyError).command, "MGET")
      assert.include((failure as ReplyError).message, "expected an array of 0 and 1")
    })
  )
})

describe("integers beyond 2^53 on a real server", () => {
  it.live("number fails typed instead of rounding; bigint reads the integer whole", () =>
    Effect.gen(function* () {
      const server = yield* RedisServer.make()
      const redis = yield* client(server, "unix")
      yield* redis.set("big", String(big))
      const failure = yield* Effect.flip(redis.incr("big"))
      assert.instanceOf(failure, ReplyError)
      assert.strictEqual((failure as ReplyError).command, "INCR")
      assert.strictEqual(yield* redis.run(Command.make(["INCRBY", "big", "0"], Command.bigint)), big + 1n)
      assert.strictEqual(yield* redis.run(Command.make(["INCRBY", "big", "-1"], Command.bigint)), big)
    })
  )
})

describe("text and bytes are decided by the command, not by a decoder mode", () => {
  it.live("send and raw give text, UTF-8 included; the binary variants give bytes, ASCII included", () =>
    Effect.gen(function* () {
      const server = yield* RedisServer.make()
      const redis = yield* client(server, "unix")
      yield* redis.set("u", "héllo ✓")
      yield* redis.set("a", "abc")
      assert.strictEqual(yield* redis.send("GET", "u"), "héllo ✓")
      assert.deepStrictEqual(yield* redis.send("MGET", "u", "a", "missing"), ["héllo ✓", "abc", null])
      const [asBytes, asText, ascii] = yield* redis.transaction((tx) =>
        tx.exec((q) => [q.getBuffer("a"), q.get("u"), Command.make(["GET", "a"], Command.binary(Command.raw))])
      )
      assert.deepStrictEqual(Option.map(asBytes, Array.from), Option.some([97, 98, 99]))
      assert.deepStrictEqual(asText, Option.some("héllo ✓"))
      assert.instanceOf(ascii, Uint8Array)
      assert.deepStrictEqual(Array.from(ascii as Uint8Array), [97, 98, 99])
    })
  )
})
