import { Redis } from "@fxredis/client"
import { Effect, Layer } from "effect"

// a lazy layer builds at once and connects in the background, reconnecting for ever: commands issued meanwhile
// wait (up to commandTimeout) instead of failing the start-up of your service
const RedisLive = Redis.layerLazy({ endpoint: process.env["REDIS_URL"] ?? "redis://localhost:6379" })

const handler = Redis.use((redis) => redis.incr("requests")).pipe(
  Effect.catchTag("ConnectionError", () => Effect.succeed(-1)),
  Effect.catchTag("CommandTimeoutError", () => Effect.succeed(-1))
)

Effect.runPromise(Effect.provide(handler, Layer.fresh(RedisLive))).then((n) => console.log("request number", n))
