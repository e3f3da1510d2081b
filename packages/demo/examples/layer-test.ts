import { Redis } from "@fxredis/client"
import { Effect } from "effect"
import { TestClock } from "effect/testing"

// the code under test needs only the `Redis` service
const recordVisit = (user: string) =>
  Effect.gen(function* () {
    const redis = yield* Redis
    yield* redis.set(`online:${user}`, "1", { expire: "5 minutes" })
    return yield* redis.incr(`visits:${user}`)
  })

// its test: no server, no sockets, and time moves only when the test moves it
const test = Effect.gen(function* () {
  const redis = yield* Redis
  yield* recordVisit("ada")
  const visits = yield* recordVisit("ada")
  const online = yield* redis.exists(["online:ada"])
  yield* TestClock.adjust("5 minutes")
  const later = yield* redis.exists(["online:ada"])
  console.log(`visits: ${visits}, online: ${online}, online 5 minutes later: ${later}`) // 2, 1, 0
})

// in @effect/vitest: it.effect("…", () => test.pipe(Effect.provide(Redis.layerTest()))), TestClock included
Effect.runPromise(test.pipe(Effect.provide([Redis.layerTest(), TestClock.layer()])))
