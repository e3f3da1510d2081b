import { Redis, RedisPool, RedisSharded, RedisTransaction } from "@fxredis/client"
import { Effect } from "effect"

// code that needs only the Redis service runs unchanged on every shape
const visit = Effect.gen(function* () {
  const redis = yield* Redis
  const visits = yield* redis.incr("{user:1}:visits")
  return `${visits} visit(s) of user 1, on ${redis.shardOf("{user:1}:visits")}`
})

// code that only runs transactions says so in its type
const transfer = RedisTransaction.RedisTransaction.use(({ transaction }) =>
  transaction((tx) => tx.exec((q) => [q.decrby("{acct}:alice", 1), q.incrby("{acct}:bob", 1)]))
)

const url = process.env["REDIS_URL"] ?? "redis://localhost:6379"
const urls = (process.env["REDIS_URLS"] ?? "redis://localhost:6379 redis://localhost:6380").split(" ")

const program = Effect.gen(function* () {
  console.log("pool:", yield* visit.pipe(Effect.provide(RedisPool.layer({ endpoint: url, size: 4 }))))
  console.log("sharded:", yield* visit.pipe(Effect.provide(RedisSharded.layer({ endpoints: urls }))))
  console.log("transfer:", yield* transfer.pipe(Effect.provide(RedisTransaction.layer({ endpoint: url, size: 2 }))))
})

Effect.runPromise(program)
