import { Redis } from "@fxredis/client"
import { Effect, Schedule } from "effect"

const program = Effect.gen(function* () {
  const redis = yield* Redis
  yield* redis.set("not-a-number", "abc")
  return yield* redis.incr("not-a-number")
}).pipe(
  // every failure is a typed value: catch the ones you care about by tag
  Effect.catchTag("ReplyError", (e) =>
    Effect.succeed(`the server refused (${e.code}): ${e.message.slice(e.code.length + 1)}`)
  ),
  Effect.catchTag("CommandTimeoutError", () => Effect.succeed("too slow")),
  Effect.catchTag("ConnectionError", (e) => Effect.succeed(`unavailable (${e.reason})`))
)

const url = process.env["REDIS_URL"] ?? "redis://localhost:6379"
const layer = Redis.layer({
  endpoint: url,
  commandTimeout: "2 seconds",
  // reconnect with a Schedule of your own: here 10 tries, 100 ms apart
  reconnect: Schedule.max([Schedule.spaced("100 millis"), Schedule.recurs(10)])
})
Effect.runPromise(program.pipe(Effect.provide(layer))).then(console.log)
