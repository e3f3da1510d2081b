import { Redis } from "@fxredis/client"
import { Effect } from "effect"

const program = Effect.gen(function* () {
  const redis = yield* Redis
  // generated from the server's command docs: XGROUP CREATE is redis.xgroupCreate, OBJECT ENCODING redis.objectEncoding
  yield* redis.xgroupCreate("orders", "workers", "$", { mkstream: true })
  yield* redis.xadd("orders", { sku: "A-1" })
  const batch = yield* redis.xreadgroup(
    { group: "workers", consumer: "w1" },
    { keys: ["orders"], ids: [">"] },
    { count: 10 }
  )
  yield* redis.zadd("board:eu", [{ score: 3, member: "ada" }])
  yield* redis.zadd("board:us", [{ score: 5, member: "ada" }])
  const merged = yield* redis.zunionstore("board:all", ["board:eu", "board:us"], { aggregate: "MAX" }) // numkeys computed
  const encoding = yield* redis.objectEncoding("board:all") // Option<string>
  console.log(batch, merged, encoding)
})

const url = process.env["REDIS_URL"] ?? "redis://localhost:6379"
Effect.runPromise(program.pipe(Effect.provide(Redis.layer({ endpoint: url }))))
