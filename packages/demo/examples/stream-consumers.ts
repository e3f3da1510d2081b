import { Redis, RedisStreams } from "@fxredis/client"
import { Effect, Exit, Stream } from "effect"

const program = Effect.gen(function* () {
  const redis = yield* Redis
  for (const order of ["o-1", "o-2", "o-3"]) yield* redis.xadd("orders", { order })
  // a consumer of the group "billing" (created if missing): each entry's handler runs, and the entry is
  // acknowledged (XACK) when it succeeds; a failed entry stays pending and is claimed again after claimAfter
  const handled = yield* RedisStreams.consume(
    { stream: "orders", group: "billing", consumer: "billing-1", claimAfter: "30 seconds", concurrency: 2 },
    (entry) => Effect.succeed(`billed ${entry.fields["order"]}`)
  ).pipe(Stream.take(3), Stream.runCollect)
  console.log(handled.map((p) => (Exit.isSuccess(p.result) ? p.result.value : "left pending")))
  console.log("pending:", yield* redis.send("XPENDING", "orders", "billing")) // [0, null, null, null]
})

const url = process.env["REDIS_URL"] ?? "redis://localhost:6379"
Effect.runPromise(program.pipe(Effect.provide(Redis.layer({ endpoint: url }))))
