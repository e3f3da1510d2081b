import { assert, describe, it } from "@effect/vitest"
import { Redis, TransactionAbortedError } from "@fxredis/client"
import { RedisServer } from "@fxredis/testing"
import { Deferred, Effect, Fiber, Option, Schedule } from "effect"
import { client, eventually, transports } from "./helpers.ts"

const connectedClients = (server: RedisServer.RedisServer, name: string) =>
  Effect.map(
    server.cli("CLIENT", "LIST"),
    (list) => list.split("\n").filter((l) => l.includes(` name=${name} `)).length
  )

for (const kind of transports) {
  describe(`pool over ${kind}`, () => {
    it.live("spreads commands round-robin: with 4 connections each serves about a quarter", () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make()
        const redis = yield* client(server, kind, { poolSize: 4, clientName: "pool" })
        assert.strictEqual(yield* connectedClients(server, "pool"), 4)
        const ids = yield* Effect.forEach(Array.from({ length: 4000 }), () => redis.send("CLIENT", "ID"), {
          concurrency: "unbounded"
        })
        const counts = new Map<unknown, number>()
        for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1)
        assert.strictEqual(counts.size, 4)
        for (const n of counts.values()) assert.isTrue(n >= 900 && n <= 1100, `a connection served ${n}`)
      })
    )

    it.live("500 transactions among 50,000 plain commands: each EXEC is its own, the counter exact", () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make()
        const redis = yield* client(server, kind, { poolSize: 4, commandTimeout: "20 seconds" })
        const transaction = (i: number) =>
          redis
            .transaction((tx) =>
              Effect.gen(function* () {
                yield* tx.watch("counter")
                const current = Option.getOrElse(yield* tx.get("counter"), () => "0")
                const [set, tag, id] = yield* tx.exec((q) => [
                  q.set("counter", String(Number(current) + 1)),
                  q.echo(`tx-${i}`),
                  q.ping()
                ])
                assert.isTrue(set)
                assert.strictEqual(tag, `tx-${i}`)
                assert.strictEqual(id, "PONG")
              })
            )
            .pipe(Effect.retry({ while: (e) => e._tag === "TransactionAbortedError", schedule: Schedule.forever }))
        const plain = (i: number) =>
          Effect.map(redis.echo(`plain-${i}`), (reply) => {
            // a plain command that ran inside someone's MULTI would have answered QUEUED
            assert.strictEqual(reply, `plain-${i}`)
          })
        yield* Effect.forEach(
          Array.from({ length: 50_500 }, (_, i) => i),
          (i) => (i % 101 === 0 ? transaction(i) : plain(i)),
          { concurrency: 600, discard: true }
        )
        assert.deepStrictEqual(yield* redis.get("counter"), Option.some("500"))
      })
    )

    it.live("a failure, abort or interruption inside a transaction releases the connection cleanly", () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make()
        const redis = yield* client(server, kind, { poolSize: 2 })
        // a failure after WATCH: UNWATCH, and the connection is back
        const failed = yield* Effect.flip(
          redis.transaction((tx) => Effect.andThen(tx.watch("w"), () => Effect.fail("boom" as const)))
        )
        assert.strictEqual(failed, "boom")
        // an abort: the watched key changed
        const aborted = yield* Effect.flip(
          redis.transaction((tx) =>
            Effect.gen(function* () {
              yield* tx.watch("w")
              yield* redis.set("w", "changed")
              return yield* tx.exec((q) => [q.set("w", "mine")])
            })
          )
        )
        assert.instanceOf(aborted, TransactionAbortedError)
        assert.deepStrictEqual(yield* redis.get("w"), Option.some("changed"))
        // a command the server rejects while queueing: EXECABORT, nothing ran
        const rejected = yield* Effect.flip(
          redis.transaction((tx) => tx.exec((q) => [q.set("x", "1"), q.send("SET", "only-a-key")]))
        )
        assert.strictEqual(rejected._tag, "ReplyError")
        assert.deepStrictEqual(yield* redis.get("x"), Option.none())
        // an interruption while the body waits
        const started = yield* Deferred.make<void>()
        const fiber = yield* Effect.forkChild(
          redis.transaction((tx) =>
            Effect.gen(function* () {
              yield* tx.watch("w")
              yield* Deferred.succeed(started, undefined)
              return yield* Effect.never
            })
          )
        )
        yield* Deferred.await(started)
        yield* Fiber.interrupt(fiber)
        // every connection serves again, none is left in WATCH or MULTI
        for (let i = 0; i < 10; i++) {
          const [n] = yield* redis.transaction((tx) => tx.exec((q) => [q.incr("after")]))
          assert.strictEqual(n, i + 1)
        }
        const list = yield* server.cli("CLIENT", "LIST")
        assert.notInclude(list, "multi=0")
        assert.notInclude(list, "flags=x")
      })
    )

    it.live("when every connection is pinned a new transaction waits, bounded by commandTimeout", () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make()
        const redis = yield* client(server, kind, { poolSize: 2, commandTimeout: "200 millis" })
        const hold = yield* Deferred.make<void>()
        const pinned = yield* Deferred.make<void>()
        let pins = 0
        const holders = yield* Effect.forkChild(
          Effect.all(
            [0, 1].map(() =>
              redis.transaction(() =>
                Effect.andThen(
                  Effect.sync(() => ++pins === 2),
                  (both) =>
                    Effect.andThen(both ? Deferred.succeed(pinned, undefined) : Effect.void, Deferred.await(hold))
                )
              )
            ),
            { concurrency: "unbounded" }
          )
        )
        yield* Deferred.await(pinned)
        const exhausted = yield* Effect.flip(redis.transaction((tx) => tx.ping()))
        assert.strictEqual(exhausted._tag, "PoolExhaustedError")
        assert.include(exhausted.message, "exhausted")
        yield* Deferred.succeed(hold, undefined)
        yield* Fiber.join(holders)
        assert.strictEqual(yield* redis.transaction((tx) => tx.ping()), "PONG")
      })
    )

    it.live("a killed pool connection is skipped while it reconnects, and the pool heals back to N", () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make()
        const redis = yield* client(server, kind, { poolSize: 3, clientName: "heal" })
        const victim = String(yield* redis.send("CLIENT", "ID"))
        yield* server.cli("CLIENT", "KILL", "ID", victim)
        for (let i = 0; i < 300; i++) {
          const r = yield* Effect.result(redis.incr("n"))
          // at most the commands already on the victim fail; later ones go to the others
          if (r._tag === "Failure") assert.strictEqual(r.failure._tag, "ConnectionError")
        }
        yield* eventually(Effect.map(connectedClients(server, "heal"), (n) => n === 3))
        const ids = new Set(
          yield* Effect.forEach(Array.from({ length: 30 }), () => redis.send("CLIENT", "ID"), {
            concurrency: "unbounded"
          })
        )
        assert.strictEqual(ids.size, 3)
      })
    )

    it.live("a killed server gives typed errors, then the pool recovers after restart", () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make()
        const redis = yield* client(server, kind, { poolSize: 3, commandTimeout: "300 millis" })
        yield* redis.set("k", "1")
        yield* server.kill
        const down = yield* Effect.flip(redis.get("k"))
        assert.isTrue(down._tag === "ConnectionError" || down._tag === "CommandTimeoutError")
        yield* server.start
        yield* eventually(Effect.map(Effect.result(redis.ping()), (r) => r._tag === "Success"))
        const replies = yield* Effect.forEach(
          Array.from({ length: 30 }, (_, i) => i),
          (i) => redis.echo(String(i)),
          {
            concurrency: "unbounded"
          }
        )
        assert.deepStrictEqual(
          replies,
          replies.map((_, i) => String(i))
        )
      })
    )

    it.live("a lazy pool builds before the server exists (the seed's names)", () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make()
        yield* server.stop
        const layer =
          kind === "unix"
            ? Redis.lazyUnixConnectionPool({ path: server.unix.path, poolsize: 3, dbid: 2 })
            : Redis.lazyConnectionPool({ host: server.tcp.host, port: server.tcp.port, poolsize: 3, dbid: 2 })
        const waiting = yield* Effect.forkChild(
          Effect.provide(
            Redis.use((r) => r.incr("lazy")),
            layer
          )
        )
        yield* server.start
        assert.strictEqual(yield* Fiber.join(waiting), 1)
        assert.strictEqual(yield* server.cli("-n", "2", "GET", "lazy"), "1")
      })
    )
  })
}
