import { Redis } from "@fxredis/client"
import { RedisCluster } from "@fxredis/testing"
import { Effect, Layer } from "effect"

const program = Effect.gen(function* () {
  const redis = yield* Redis
  // keys in different slots (and nodes): MSET and MGET are split by slot and come back in your order
  yield* redis.mset({ "user:1": "ada", "user:2": "grace", "user:3": "barbara" })
  console.log("users:", yield* redis.mget(["user:3", "user:1", "user:2"]))
  // a transaction needs one slot: a hash tag puts both keys there
  const [balance] = yield* redis.transaction((tx) =>
    tx.exec((q) => [q.incrby("{account:7}:balance", 100), q.set("{account:7}:updated", "now")])
  )
  console.log("balance:", balance, "served by", redis.endpoints.length, "primaries")
})

// a real Redis Cluster on loopback (3 primaries), from @fxredis/testing
const main = Effect.gen(function* () {
  const cluster = yield* RedisCluster.make({ primaries: 3 })
  const RedisLive = Redis.cluster({
    seeds: cluster.seeds.map((s) => `redis://${s.host}:${s.port}`), // one reachable seed is enough
    poolSize: 1, // per node
    readFrom: "primary" // or "replica", "preferReplica" for readonly commands
  })
  yield* Effect.provide(program, Layer.fresh(RedisLive))
}).pipe(Effect.scoped)

Effect.runPromise(main)
