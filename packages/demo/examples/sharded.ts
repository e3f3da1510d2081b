import { Redis } from "@fxredis/client"
import { Effect, Option } from "effect"

const program = Effect.gen(function* () {
  const redis = yield* Redis
  // MSET/MGET/DEL are split per shard, sent concurrently and put back in your order
  yield* redis.mset([
    ["user:1", "ada"],
    ["user:2", "grace"],
    ["user:3", "barbara"]
  ])
  const names = yield* redis.mget(["user:3", "user:1", "user:2"]) // Option<string> each
  console.log(names.map((name) => Option.getOrElse(name, () => "(none)")))
  // keys with the same hash tag live on the same shard, so they can be used together
  yield* redis.set("{user:1}:name", "ada")
  yield* redis.rename("{user:1}:name", "{user:1}:display")
  console.log("user:1 lives on", redis.shardOf("user:1"))
})

// several endpoints make a sharded client (REDIS_URLS: space-separated)
const urls = (process.env["REDIS_URLS"] ?? "redis://localhost:6379 redis://localhost:6380").split(" ")
Effect.runPromise(program.pipe(Effect.provide(Redis.layer({ endpoints: urls }))))
