/**
 * Transactions and pins: interruptible waits for a pin, binary replies inside EXEC, a pin that holds one link (a
 * WATCH never silently disappears across a reconnect), and no stale WATCH left for the next transaction.
 */
import { assert, describe, it } from "@effect/vitest"
import { Command, Redis } from "@fxredis/client"
import { RedisServer } from "@fxredis/testing"
import { Deferred, Effect, Exit, Fiber, Option } from "effect"
import { client, eventually, transports } from "./helpers.ts"

const named = (server: RedisServer.RedisServer, name: string) =>
  Effect.map(
    server.cli("CLIENT", "LIST"),
    (list) => list.split("\n").filter((line) => line.includes(` name=${name} `)).length
  )

for (const kind of transports) {
  describe(`transactions over ${kind}`, () => {
    it.live("a transaction waiting for a pinned connection is interrupted at once, and nothing stays pinned", () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make()
        const redis = yield* client(server, kind, { poolSize: 1, commandTimeout: "30 seconds" })
        const holding = yield* Deferred.make<void>()
        const release = yield* Deferred.make<void>()
        const holder = yield* Effect.forkChild(
          redis.transaction((tx) =>
            Effect.gen(function* () {
              yield* tx.set("held", "1")
              yield* Deferred.succeed(holding, undefined)
              yield* Deferred.await(release)
            })
          )
        )
        yield* Deferred.await(holding)
        const waiter = yield* Effect.forkChild(redis.transaction((tx) => tx.set("waiter", "1")))
        yield* Effect.yieldNow
        // the interruption must not wait for the holder (before the fix it waited until the release)
        const interrupted = yield* Effect.exit(Fiber.interrupt(waiter).pipe(Effect.timeout("5 seconds")))
        assert.isTrue(Exit.isSuccess(interrupted), "interrupting the waiting transaction returned at once")
        yield* Deferred.succeed(release, undefined)
        yield* Fiber.join(holder)
        // the pool serves transactions again: nothing leaked a pin
        yield* redis.transaction((tx) => tx.set("after", "1"))
        assert.strictEqual(yield* server.cli("EXISTS", "waiter"), "0")
        assert.strictEqual(yield* server.cli("GET", "after"), "1")
      })
    )

    it.live("binary replies inside a transaction arrive as bytes, beside text replies", () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make()
        const redis = yield* client(server, kind)
        const bytes = new Uint8Array([0, 255, 254, 10, 13, 128])
        yield* redis.set("bin", bytes)
        yield* redis.set("text", "héllo")
        const [b, t, n] = yield* redis.transaction((tx) =>
          tx.exec((q) => [q.getBuffer("bin"), q.get("text"), q.incr("n")])
        )
        assert.deepStrictEqual(
          Option.map(b, (x) => Array.from(x)),
          Option.some(Array.from(bytes))
        )
        assert.deepStrictEqual(t, Option.some("héllo"))
        assert.strictEqual(n, 1)
      })
    )

    it.live("a WATCH is never lost across a reconnect: EXEC after a link drop fails typed and writes nothing", () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make()
        const redis = yield* client(server, kind, { poolSize: 2, clientName: "watcher" })
        yield* redis.set("balance", "100")
        const result = yield* Effect.exit(
          redis.transaction((tx) =>
            Effect.gen(function* () {
              yield* tx.watch("balance")
              // the link drops under the transaction, and the pool reconnects
              yield* server.cli("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")
              yield* eventually(Effect.map(named(server, "watcher"), (n) => n === 2))
              // another writer changes the watched key
              yield* server.cli("SET", "balance", "0")
              return yield* tx.exec((q) => [q.set("balance", "90")])
            })
          )
        )
        assert.isTrue(Exit.isFailure(result))
        if (Exit.isFailure(result)) assert.include(String(result.cause), "ConnectionError")
        assert.strictEqual(yield* server.cli("GET", "balance"), "0")
      })
    )

    it.live("a WATCH interrupted in flight is undone: the next transaction on that connection is not aborted", () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make()
        const redis = yield* client(server, kind, { poolSize: 1 })
        yield* redis.set("k", "1")
        yield* server.cli("CLIENT", "PAUSE", "300", "ALL")
        // times out while WATCH waits for its reply
        const timedOut = yield* Effect.exit(redis.transaction((tx) => tx.watch("k")).pipe(Effect.timeout("50 millis")))
        assert.isTrue(Exit.isFailure(timedOut))
        // on the same (only) connection: its reply comes after WATCH's, so WATCH has run by now
        assert.strictEqual(yield* redis.ping(), "PONG")
        yield* server.cli("SET", "k", "changed")
        const [set] = yield* redis.transaction((tx) => tx.exec((q) => [q.set("unrelated", "1")]))
        assert.isTrue(set)
      })
    )

    it.live("a dedicated connection stays on its link: after a drop its commands fail instead of losing SELECT", () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make()
        const redis = yield* client(server, kind, { clientName: "dedicated" })
        const dedicated = yield* redis.dedicated
        assert.strictEqual(yield* dedicated.send("SELECT", "5"), "OK")
        yield* dedicated.send("SET", "where", "db5")
        yield* server.cli("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")
        yield* eventually(Effect.map(Effect.exit(redis.ping()), Exit.isSuccess))
        const after = yield* Effect.flip(dedicated.send("SET", "where", "db0?"))
        assert.strictEqual(after._tag, "ConnectionError")
        assert.strictEqual(yield* server.cli("-n", "0", "EXISTS", "where"), "0")
        assert.strictEqual(yield* server.cli("-n", "5", "GET", "where"), "db5")
      })
    )
  })
}

describe("a pool while the server is down", () => {
  it.live("queues offline on every connection (maxOfflineCommands each) and replays over all of them", () =>
    Effect.gen(function* () {
      const server = yield* RedisServer.make()
      const redis = yield* client(server, "unix", { poolSize: 4, maxOfflineCommands: 10, commandTimeout: "20 seconds" })
      yield* server.stop
      yield* eventually(Effect.map(Effect.exit(Effect.timeout(redis.ping(), "50 millis")), Exit.isFailure))
      // 40 commands fit: 10 on each of the 4 connections
      const waiting = yield* Effect.forkChild(
        Effect.forEach(Array.from({ length: 40 }), () => redis.send("CLIENT", "ID"), { concurrency: "unbounded" })
      )
      yield* Effect.yieldNow
      // the 41st finds every connection's queue full
      const full = yield* Effect.flip(redis.send("CLIENT", "ID"))
      assert.strictEqual(full._tag, "ConnectionError")
      if (full._tag === "ConnectionError") assert.strictEqual(full.reason, "QueueFull")
      yield* server.start
      const ids = yield* Fiber.join(waiting)
      const counts = new Map<unknown, number>()
      for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1)
      assert.deepStrictEqual([...counts.values()], [10, 10, 10, 10])
    })
  )
})

describe("binary replies on a sharded client", () => {
  it.live("a binary MGET split over shards returns the bytes of every key, in order", () =>
    Effect.gen(function* () {
      const servers = yield* Effect.forEach([0, 1, 2], () => RedisServer.make())
      const redis = yield* Redis.make({ endpoints: servers.map((s) => s.urls.unix) })
      const keys = Array.from({ length: 12 }, (_, i) => `bin-${i}`)
      const values = keys.map((_, i) => new Uint8Array([i, 0, 255, 200 + i, 10, 13]))
      yield* Effect.forEach(keys, (k, i) => redis.set(k, values[i]))
      // the keys span the shards: the command is split, and each part must be read as bytes
      assert.isAbove(new Set(keys.map((k) => redis.shardOf(k))).size, 1)
      const replies = (yield* redis.run(
        Command.make(["MGET", ...keys], Command.binary(Command.raw))
      )) as ReadonlyArray<Uint8Array>
      assert.deepStrictEqual(
        replies.map((r) => Array.from(r)),
        values.map((v) => Array.from(v))
      )
      assert.deepStrictEqual(
        Option.map(yield* redis.getBuffer("bin-3"), (b) => Array.from(b)),
        Option.some(Array.from(values[3]))
      )
    })
  )
})
