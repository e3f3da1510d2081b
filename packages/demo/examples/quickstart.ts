import { Redis } from "@fxredis/client"
import { Effect, Option } from "effect"

const program = Effect.gen(function* () {
  const redis = yield* Redis
  yield* redis.set("greeting", "hello", { expire: "1 minute" })
  const greeting = yield* redis.get("greeting") // Option<string>
  const visits = yield* redis.incr("visits") // number
  console.log(
    Option.getOrElse(greeting, () => "(none)"),
    visits
  )
})

// REDIS_URL: redis://host:6379/0, rediss://…, unix:///var/run/redis/redis.sock?db=0; default: a stock local Redis
const url = process.env["REDIS_URL"] ?? "redis://localhost:6379"
Effect.runPromise(program.pipe(Effect.provide(Redis.layer({ endpoint: url }))))
