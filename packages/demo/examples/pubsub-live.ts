import { Redis } from "@fxredis/client"
import { Effect, Fiber, Stream } from "effect"

const program = Effect.gen(function* () {
  const redis = yield* Redis
  // subscribed while the scope is open, on a connection of its own, re-subscribed after reconnects
  const news = yield* redis.subscription({ channels: ["news"] })
  // succeeds once the server has subscribed: what is published from now on is delivered
  yield* news.subscribed
  const firstTwo = yield* Effect.forkChild(Stream.runCollect(Stream.take(news.messages, 2)))
  console.log("receivers:", yield* redis.publish("news", "hello")) // 1
  yield* redis.publish("news", "world")
  console.log(yield* Fiber.join(firstTwo))
}).pipe(Effect.scoped) // closing the scope unsubscribes

const url = process.env["REDIS_URL"] ?? "redis://localhost:6379"
Effect.runPromise(program.pipe(Effect.provide(Redis.layer({ endpoint: url }))))
