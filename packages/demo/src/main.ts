/**
 * `pnpm demo`: a short scripted tour of fxredis against a real Redis — its own `redis-server` on a temp UNIX
 * socket (through `@fxredis/testing`) unless `REDIS_URL` names one. It exits 0 when the tour is done.
 *
 * (The HTTP service with a lazy Redis layer, rate limiting and health checks comes with the ecosystem work.)
 */
import { Redis } from "@fxredis/client"
import { RedisServer } from "@fxredis/testing"
import { Console, Effect, Fiber, Option, Stream } from "effect"

const step = (title: string) => Console.log(`\n— ${title}`)

const tour = (url: string, server: RedisServer.RedisServer | undefined) =>
  Effect.gen(function* () {
    yield* step(
      `a lazy, pooled client over ${url.startsWith("unix") ? "a UNIX socket" : "TCP"}: ${url.replace(/:[^:@/]*@/, ":***@")}`
    )
    const redis = yield* Redis.make({ endpoint: url, poolSize: 4, commandTimeout: "1 second" }, { lazy: true })

    yield* step("typed commands")
    yield* redis.set("demo:greeting", "hello from fxredis", { expire: "1 minute" })
    yield* Console.log(
      "GET demo:greeting →",
      Option.getOrElse(yield* redis.get("demo:greeting"), () => "(nil)")
    )
    yield* Console.log("INCR demo:visits →", yield* redis.incr("demo:visits"))
    yield* redis.hset("demo:user:1", { name: "Ada", lang: "TypeScript" })
    yield* Console.log("HGETALL demo:user:1 →", yield* redis.hgetall("demo:user:1"))

    yield* step("pipelining: 10,000 commands from 1,000 fibers")
    const started = Date.now()
    const replies = yield* Effect.forEach(
      Array.from({ length: 10_000 }, (_, i) => i),
      (i) => redis.echo(String(i)),
      {
        concurrency: 1000
      }
    )
    yield* Console.log(
      `${replies.length} replies, all in order: ${replies.every((r, i) => r === String(i))} (${Date.now() - started} ms)`
    )

    yield* step("errors are typed values")
    const wrong = yield* redis
      .incr("demo:greeting")
      .pipe(Effect.catchTag("ReplyError", (e) => Effect.succeed(`ReplyError ${e.code}: ${e.message}`)))
    yield* Console.log("INCR on a string →", wrong)

    yield* step("a transaction pinned to one connection")
    const [a, b] = yield* redis.transaction((tx) => tx.exec((q) => [q.incr("demo:tx"), q.incrby("demo:tx", 10)]))
    yield* Console.log("MULTI INCR INCRBY EXEC →", [a, b])

    yield* step("pub/sub as a Stream")
    const received = yield* Effect.forkChild(Stream.runCollect(Stream.take(redis.subscribe("demo:news"), 1)))
    while (Number(yield* redis.send("PUBLISH", "demo:news", "extra! extra!")) === 0) yield* Effect.yieldNow
    yield* Console.log("received →", yield* Fiber.join(received))

    if (server !== undefined) {
      yield* step("the server dies: commands fail typed, nothing crashes")
      yield* server.kill
      const down = yield* redis.get("demo:greeting").pipe(
        Effect.map(() => "served"),
        Effect.catchTag("ConnectionError", (e) => Effect.succeed(`ConnectionError (${e.reason})`)),
        Effect.catchTag("CommandTimeoutError", (e) => Effect.succeed(`CommandTimeoutError after ${e.timeout} ms`))
      )
      yield* Console.log("GET while down →", down)
      yield* step("the server is back: the client reconnects on its own")
      yield* server.start
      const back = yield* redis
        .incr("demo:after-restart")
        .pipe(Effect.retry({ times: 50, while: (e) => e._tag !== "ReplyError" }))
      yield* Console.log("INCR after the restart →", back)
    }
    yield* step("done: closing the scope closes every socket, fiber and timer")
  })

const program = Effect.gen(function* () {
  const external = process.env["REDIS_URL"]
  if (external !== undefined) return yield* tour(external, undefined)
  const server = yield* RedisServer.make().pipe(
    Effect.catchTag("RedisServerError", (e) => Effect.die(new Error(e.message)))
  )
  return yield* tour(server.urls.unix, server)
}).pipe(Effect.scoped)

Effect.runPromise(program).then(
  () => process.exit(0),
  (error) => {
    console.error(String(error))
    process.exit(1)
  }
)
