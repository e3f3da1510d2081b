/**
 * Interruption in the pipeline: a command interrupted before it was written never reaches the server; one
 * interrupted after it was written keeps a dead slot, so replies stay aligned. Bad arguments and misaligned
 * replies are refused or detected without harming other fibers' commands.
 */
import { assert, describe, it } from "@effect/vitest"
import { Command, Redis } from "@fxredis/client"
import type { CommandArg } from "@fxredis/protocol"
import { FakeServer, RedisServer } from "@fxredis/testing"
import { Effect, Exit, Fiber, Option } from "effect"
import { client, eventually, transports } from "./helpers.ts"

for (const kind of transports) {
  describe(`interruption over ${kind}`, () => {
    it.live("a command interrupted while it waits offline is never sent after the reconnect", () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make()
        const redis = yield* client(server, kind, { commandTimeout: "20 seconds" })
        yield* server.stop
        // wait until the client knows the link is down, so the next commands queue offline
        yield* eventually(Effect.map(Effect.exit(Effect.timeout(redis.ping(), "50 millis")), Exit.isFailure))
        const interrupted = yield* Effect.forkChild(redis.set("interrupted", "1"), { startImmediately: true })
        const kept = yield* Effect.forkChild(redis.set("kept", "1"), { startImmediately: true })
        yield* Fiber.interrupt(interrupted)
        yield* server.start
        assert.isTrue(yield* Fiber.join(kept))
        assert.strictEqual(yield* server.cli("EXISTS", "kept"), "1")
        assert.strictEqual(yield* server.cli("EXISTS", "interrupted"), "0")
      })
    )

    it.live("a command interrupted between its enqueue and the tick's flush is never written", () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make()
        const redis = yield* client(server, kind)
        yield* redis.ping()
        // both start at once and enqueue in this tick; the first is interrupted before the microtask flush
        const interrupted = yield* Effect.forkChild(redis.incr("counter"), { startImmediately: true })
        const kept = yield* Effect.forkChild(redis.incr("other"), { startImmediately: true })
        interrupted.interruptUnsafe()
        assert.strictEqual(yield* Fiber.join(kept), 1)
        assert.isTrue(Exit.hasInterrupts(yield* Fiber.await(interrupted)))
        assert.strictEqual(yield* server.cli("EXISTS", "counter"), "0")
        // and the connection stays aligned
        for (let i = 0; i < 10; i++) assert.strictEqual(yield* redis.echo(`e${i}`), `e${i}`)
      })
    )

    it.live(
      "an uninterruptible command whose fiber is interrupted before the flush still runs and gets its reply",
      () =>
        Effect.gen(function* () {
          const server = yield* RedisServer.make()
          const redis = yield* client(server, kind)
          yield* redis.ping()
          // the interruption is only requested: the fiber waits for its reply, which must come (no hang, no lost reply)
          const shielded = yield* Effect.forkChild(Effect.uninterruptible(redis.incr("shielded")), {
            startImmediately: true
          })
          shielded.interruptUnsafe()
          const exit = yield* Fiber.await(shielded)
          assert.isTrue(Exit.hasInterrupts(exit))
          assert.strictEqual(yield* server.cli("GET", "shielded"), "1")
          for (let i = 0; i < 10; i++) assert.strictEqual(yield* redis.echo(`e${i}`), `e${i}`)
        })
    )

    it.live("a command interrupted after it was written runs, and its reply is dropped without misaligning", () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make()
        const redis = yield* client(server, kind)
        yield* server.cli("CLIENT", "PAUSE", "300", "WRITE")
        // written (the flush ran) but not answered: the server holds writes during the pause
        const sent = yield* Effect.forkChild(redis.incr("written"))
        yield* eventually(Effect.map(server.cli("CLIENT", "LIST"), (list) => /cmd=incr/.test(list)))
        yield* Fiber.interrupt(sent)
        assert.strictEqual(yield* redis.echo("next"), "next")
        assert.strictEqual(yield* server.cli("GET", "written"), "1")
        assert.deepStrictEqual(yield* redis.get("written"), Option.some("1"))
      })
    )

    it.live("one bad argument fails its own command, typed, and none of the 99 others in flight", () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make()
        const redis = yield* client(server, kind)
        const bad: ReadonlyArray<ReadonlyArray<unknown>> = [
          [new Uint8Array([1]), null],
          [new Uint8Array([1]), undefined],
          [new Uint8Array([1]), { a: 1 }],
          ["x", Number.NaN]
        ]
        const results = yield* Effect.forEach(
          Array.from({ length: 100 }, (_, i) => i),
          (i) =>
            Effect.exit(
              i % 25 === 7
                ? redis.send("SET", ...(bad[(i - 7) / 25] as ReadonlyArray<CommandArg>))
                : redis.echo(`ok-${i}`)
            ),
          { concurrency: "unbounded" }
        )
        results.forEach((exit, i) => {
          if (i % 25 === 7) {
            assert.isTrue(Exit.isFailure(exit))
            if (Exit.isFailure(exit)) assert.include(String(exit.cause), "InvalidCommandError")
          } else {
            assert.deepStrictEqual(exit, Exit.succeed(`ok-${i}`))
          }
        })
        // wrong-typed inputs from JavaScript callers: typed failures, never a defect or a throw
        const nullKey = yield* Effect.flip(redis.get(null as unknown as string))
        assert.strictEqual(nullKey._tag, "InvalidCommandError")
        const undefinedValue = yield* Effect.flip(redis.set("k", undefined as unknown as string))
        assert.strictEqual(undefinedValue._tag, "InvalidCommandError")
        assert.strictEqual(yield* redis.echo("still aligned"), "still aligned")
      })
    )
  })
}

describe("misaligned replies", () => {
  it.live("an extra reply from the server is a ProtocolError that resets the link, not someone else's answer", () =>
    Effect.gen(function* () {
      // answers every request with its own reply plus an extra one
      const fake = yield* FakeServer.make({
        reply: (request) => {
          const text = new TextDecoder().decode(request)
          if (text.includes("PING")) return "+PONG\r\n"
          return "$1\r\na\r\n+EXTRA\r\n"
        }
      })
      const redis = yield* Redis.make({ endpoint: fake.unix, reconnect: false })
      // the first GET's fiber resumes inside the socket callback and enqueues the second GET before "+EXTRA" is
      // decoded: that reply belongs to no written command
      const first = yield* redis.send("GET", "a")
      assert.strictEqual(first, "a")
      const second = yield* Effect.flip(redis.send("GET", "b"))
      assert.strictEqual(second._tag, "ProtocolError")
    })
  )
})

describe("connection-state commands on a shared connection", () => {
  it.live("are refused, typed, before anything is written: other fibers' replies stay theirs", () =>
    Effect.gen(function* () {
      const server = yield* RedisServer.make()
      const redis = yield* client(server, "unix", { poolSize: 2 })
      yield* redis.set("a", "A")
      yield* redis.set("b", "B")
      for (const args of [
        ["CLIENT", "REPLY", "SKIP"],
        ["client", "reply", "off"],
        ["MULTI"],
        ["SELECT", "5"],
        ["RESET"],
        ["SUBSCRIBE", "x"],
        ["WATCH", "a"]
      ]) {
        const [name, ...rest] = args
        const refused = yield* Effect.flip(redis.send(name, ...rest))
        assert.strictEqual(refused._tag, "InvalidCommandError", args.join(" "))
        // everyone else still gets their own reply, from database 0
        const [a, b] = yield* Effect.all([redis.get("a"), redis.get("b")], { concurrency: "unbounded" })
        assert.deepStrictEqual([a, b], [Option.some("A"), Option.some("B")], args.join(" "))
      }
      // inside a transaction, WATCH is the transaction's own; SELECT would outlive it and stays refused
      const selected = yield* Effect.flip(redis.transaction((tx) => tx.send("SELECT", "5")))
      assert.strictEqual(selected._tag, "InvalidCommandError")
      // a dedicated connection is the place for connection state
      const own = yield* redis.dedicated
      assert.strictEqual(yield* own.send("SELECT", "5"), "OK")
      assert.strictEqual(yield* own.send("CLIENT", "SETNAME", "mine"), "OK")
    })
  )
})

describe("a command descriptor without a reply transform", () => {
  it.live("is a defect of that command alone; the connection keeps serving", () =>
    Effect.gen(function* () {
      const server = yield* RedisServer.make()
      const redis = yield* client(server, "unix", { commandTimeout: "20 seconds" })
      const broken = Command.make(["PING"], undefined as unknown as typeof Command.raw)
      const exit = yield* Effect.exit(redis.run(broken))
      assert.isTrue(Exit.hasDies(exit))
      assert.strictEqual(yield* redis.echo("still serving"), "still serving")
    })
  )
})
