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

// REDIS_URL: redis://host:6379/0, rediss://…, unix:///tmp/redis.sock?db=0
const url = process.env["REDIS_URL"] ?? "unix:///tmp/redis.sock"
Effect.runPromise(program.pipe(Effect.provide(Redis.layer({ endpoint: url }))))
