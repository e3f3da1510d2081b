import { Redis } from "@fxredis/client"
import { Effect, Fiber, Stream } from "effect"

const program = Effect.gen(function* () {
  const redis = yield* Redis
  // the subscription lives as long as the stream runs, on a connection of its own, re-subscribed after reconnects
  const firstTwo = yield* Effect.forkChild(Stream.runCollect(Stream.take(redis.subscribe("news"), 2)))
  // publish until both messages were delivered (PUBLISH answers how many subscribers got it)
  for (const text of ["hello", "world"]) {
    while (Number(yield* redis.send("PUBLISH", "news", text)) === 0) yield* Effect.yieldNow
  }
  console.log(yield* Fiber.join(firstTwo))
})

const url = process.env["REDIS_URL"] ?? "redis://localhost:6379"
Effect.runPromise(program.pipe(Effect.provide(Redis.layer({ endpoint: url }))))
