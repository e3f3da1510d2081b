import { Redis } from "@fxredis/client"
import { RedisSentinel } from "@fxredis/testing"
import { Effect, Layer, Option } from "effect"

const program = Effect.gen(function* () {
  const redis = yield* Redis
  yield* redis.set("greeting", "hello from the primary") // writes: the primary
  // reads: a replica when one is up (replication is asynchronous: a read may lag a write by a moment)
  const read = yield* redis.get("greeting")
  console.log(
    "read:",
    Option.getOrElse(read, () => "(not replicated yet)")
  )
})

// a real Sentinel deployment on loopback (a primary, a replica, a sentinel), from @fxredis/testing
const main = Effect.gen(function* () {
  const deployment = yield* RedisSentinel.make({ replicas: 1, sentinels: 1, downAfter: "500 millis" })
  const RedisLive = Redis.sentinel({
    sentinels: deployment.sentinels.map((s) => `127.0.0.1:${s.tcp.port}`), // others are learned
    name: deployment.name, // "mymaster"
    readFrom: "preferReplica", // or "primary" (default), "replica"; role: "replica" for a replica-only client
    poolSize: 2
  })
  yield* Effect.provide(program, Layer.fresh(RedisLive))
  // the primary dies: the sentinels promote a replica, and a client finds it by itself
  const { primary } = yield* deployment.killPrimary
  yield* Effect.provide(program, Layer.fresh(RedisLive))
  console.log("after the failover, the primary is", primary.tcp.port)
}).pipe(Effect.scoped)

Effect.runPromise(main)
