/**
 * `Redis.replicated` (a primary and replicas at fixed addresses, no Sentinel) against real servers: readonly commands
 * go to the replicas in turn, everything else to the primary; `"preferReplica"` falls back to the primary while no
 * replica is up, `"replica"` waits offline for one.
 */
import { assert, describe, it } from "@effect/vitest"
import { Redis } from "@fxredis/client"
import { RedisServer } from "@fxredis/testing"
import { Effect, Fiber, Option } from "effect"
import { eventually } from "./helpers.ts"

/** `cmdstat_<command>` calls on a node since its last `CONFIG RESETSTAT` */
const calls = (node: RedisServer.RedisServer, command: string) =>
  Effect.map(node.cli("INFO", "commandstats"), (info) => {
    const match = new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info)
    return match === null ? 0 : Number(match[1])
  })

/** a primary and two replicas, replication up */
const deployment = Effect.gen(function* () {
  const primary = yield* RedisServer.make()
  const replicas = yield* Effect.forEach([0, 1], () =>
    RedisServer.make({ config: [`replicaof 127.0.0.1 ${primary.tcp.port}`] })
  )
  for (const r of replicas) {
    yield* eventually(Effect.map(r.cli("INFO", "replication"), (info) => info.includes("master_link_status:up")))
  }
  return { primary, replicas }
})

const resetStats = (nodes: ReadonlyArray<RedisServer.RedisServer>) =>
  Effect.forEach(nodes, (n) => n.cli("CONFIG", "RESETSTAT"), { discard: true })

describe("Redis.replicated", () => {
  it.live(
    "readFrom replica: reads on the replicas round-robin, writes, blocking commands and scripts on the primary",
    () =>
      Effect.gen(function* () {
        const { primary, replicas } = yield* deployment
        const redis = yield* Redis.makeReplicated({
          primary: primary.urls.unix,
          replicas: replicas.map((r) => r.urls.unix),
          readFrom: "replica"
        })
        yield* redis.set("k", "v")
        yield* eventually(Effect.map(redis.get("k"), Option.isSome)) // replicated, and the replicas connected
        yield* resetStats([primary, ...replicas])
        for (let i = 0; i < 10; i++) yield* redis.get("k")
        yield* redis.mget(["k", "k2"])
        yield* redis.del(["k2"])
        yield* redis.send("EVAL", "return 1", "0")
        yield* redis.send("EVAL_RO", "return 1", "0")
        yield* redis.blpop(["empty-list"], "100 millis")
        // XREAD BLOCK is readonly, but blocking: the primary
        yield* redis.xread([["empty-stream", "$"]], { block: "100 millis" })
        assert.strictEqual(yield* calls(replicas[0]!, "get"), 5)
        assert.strictEqual(yield* calls(replicas[1]!, "get"), 5)
        assert.strictEqual((yield* calls(replicas[0]!, "mget")) + (yield* calls(replicas[1]!, "mget")), 1)
        assert.strictEqual((yield* calls(replicas[0]!, "eval_ro")) + (yield* calls(replicas[1]!, "eval_ro")), 1)
        assert.strictEqual(yield* calls(primary, "get"), 0)
        assert.strictEqual(yield* calls(primary, "del"), 1)
        assert.strictEqual(yield* calls(primary, "eval"), 1)
        assert.strictEqual(yield* calls(primary, "blpop"), 1)
        assert.strictEqual(yield* calls(primary, "xread"), 1)
      })
  )

  it.live('"preferReplica" reads from the primary while no replica is up; "replica" waits for one', () =>
    Effect.gen(function* () {
      const { primary, replicas } = yield* deployment
      yield* primary.cli("SET", "k", "v")
      for (const r of replicas) yield* eventually(Effect.map(r.cli("GET", "k"), (v) => v === "v"))
      for (const r of replicas) yield* r.stop
      const prefer = yield* Redis.makeReplicated({
        primary: primary.urls.unix,
        replicas: replicas.map((r) => r.urls.unix),
        readFrom: "preferReplica"
      })
      const strict = yield* Redis.makeReplicated({
        primary: primary.urls.unix,
        replicas: replicas.map((r) => r.urls.unix),
        readFrom: "replica",
        commandTimeout: "20 seconds"
      })
      yield* resetStats([primary])
      assert.deepStrictEqual(yield* prefer.get("k"), Option.some("v"))
      assert.strictEqual(yield* calls(primary, "get"), 1)
      // "replica": the read waits offline until a replica is back, and never goes to the primary
      const waiting = yield* Effect.forkChild(strict.get("k"))
      yield* replicas[1]!.start
      // served by the restarted replica (which may answer before its resync: the value is not asserted)
      yield* Fiber.join(waiting)
      assert.strictEqual(yield* calls(primary, "get"), 1)
      assert.strictEqual(yield* calls(replicas[1]!, "get"), 1)
      // a bad readFrom is a typed error
      const bad = yield* Effect.flip(
        Redis.makeReplicated({ primary: primary.urls.unix, replicas: [], readFrom: "nearest" as never })
      )
      assert.strictEqual(bad._tag, "RedisConfigError")
    })
  )
})
