import { Redis } from "@fxredis/client"
import { Effect, Option, Schedule } from "effect"

// move one unit from one account to another, atomically, retried while a watched key changes
const transfer = (from: string, to: string) =>
  Effect.gen(function* () {
    const redis = yield* Redis
    return yield* redis.transaction((tx) =>
      Effect.gen(function* () {
        yield* tx.watch(from, to)
        const balance = Number(Option.getOrElse(yield* tx.get(from), () => "0"))
        if (balance < 1) return "insufficient funds"
        const [left, right] = yield* tx.exec((q) => [q.decr(from), q.incr(to)])
        return `${from}=${left} ${to}=${right}`
      })
    )
  }).pipe(Effect.retry({ while: (e) => e._tag === "TransactionAbortedError", schedule: Schedule.spaced("5 millis") }))

const program = Effect.gen(function* () {
  const redis = yield* Redis
  yield* redis.mset([
    ["{acct}:alice", "3"],
    ["{acct}:bob", "0"]
  ])
  const results = yield* Effect.all(
    [1, 2, 3, 4].map(() => transfer("{acct}:alice", "{acct}:bob")),
    {
      concurrency: "unbounded"
    }
  )
  console.log(results)
})

const url = process.env["REDIS_URL"] ?? "redis://localhost:6379"
// four connections, used round-robin; a transaction takes one out of the rotation until it ends
Effect.runPromise(program.pipe(Effect.provide(Redis.layer({ endpoint: url, poolSize: 4 }))))
