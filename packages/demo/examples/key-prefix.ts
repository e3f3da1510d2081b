import { Redis } from "@fxredis/client"
import { Effect, Option, Stream } from "effect"

const program = Effect.gen(function* () {
  const redis = yield* Redis
  // keys are stored as "billing:user:1", "billing:user:2"; values are never touched
  yield* redis.mset([
    ["user:1", "ada"],
    ["user:2", "grace"]
  ])
  console.log((yield* redis.mget(["user:1", "user:2"])).map(Option.getOrNull)) // ["ada", "grace"]
  // SCAN and KEYS list the keys under the prefix, without it, ready to pass back
  console.log(yield* Stream.runCollect(redis.scan({ match: "user:*" }))) // user:1 and user:2
  console.log(yield* redis.keys("*")) // user:1 and user:2
})

const url = process.env["REDIS_URL"] ?? "redis://localhost:6379"
Effect.runPromise(program.pipe(Effect.provide(Redis.layer({ endpoint: url, keyPrefix: "billing:" }))))
