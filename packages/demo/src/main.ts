/**
 * `pnpm demo`: an Effect HTTP service on a lazy fxredis layer, and a scripted tour of it. Without `REDIS_URL` it
 * starts its own `redis-server` on a temp UNIX socket (through `@fxredis/testing`). The tour prints a few requests,
 * kills Redis to show the 503s (the service itself stays up), restarts it and shows the lazy layer recover, then
 * exits 0. `pnpm demo --serve` keeps serving on `PORT` (default 3000) until Ctrl-C.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { RedisServer } from "@fxredis/testing"
import { Console, Context, Effect, Layer } from "effect"
import { HttpServer } from "effect/http"
import * as App from "./App.ts"

const request = (base: string, method: string, path: string, body?: string) =>
  Effect.promise(async () => {
    const response = await fetch(`${base}${path}`, body === undefined ? { method } : { method, body })
    return { status: response.status, body: await response.text() }
  })

const show = (base: string, method: string, path: string, body?: string) =>
  Effect.tap(request(base, method, path, body), (r) =>
    Console.log(`${method.padEnd(4)} ${path.padEnd(22)} → ${r.status} ${r.body}`)
  )

const tour = (base: string, redis: RedisServer.RedisServer | undefined) =>
  Effect.gen(function* () {
    yield* Console.log(`\n— the service answers on ${base}`)
    yield* show(base, "GET", "/health")
    for (let i = 0; i < 3; i++) yield* show(base, "POST", "/counter")
    yield* show(base, "PUT", "/kv/greeting?ttl=30", "hello from fxredis")
    yield* show(base, "GET", "/kv/greeting")
    yield* show(base, "GET", "/kv/missing")
    yield* Console.log("\n— a route limited to 5 requests per 10 seconds (Effect's RateLimiter on fxredis)")
    for (let i = 0; i < 6; i++) yield* show(base, "GET", "/limited")
    if (redis === undefined) return
    yield* Console.log("\n— Redis dies: the service stays up and answers 503, typed, nothing crashes")
    yield* redis.kill
    yield* show(base, "GET", "/health")
    yield* show(base, "POST", "/counter")
    yield* Console.log("\n— Redis is back: the lazy layer reconnects on its own")
    yield* redis.start
    for (let i = 0; i < 100; i++) {
      if ((yield* request(base, "GET", "/health")).status === 200) break
      yield* Effect.sleep("50 millis")
    }
    yield* show(base, "GET", "/health")
    yield* show(base, "POST", "/counter")
    yield* Console.log("\n— done")
  })

const program = Effect.gen(function* () {
  const serve = process.argv.includes("--serve")
  const external = process.env["REDIS_URL"]
  const redis =
    external === undefined
      ? yield* RedisServer.make().pipe(
          Effect.catchTag("RedisServerError", (e) =>
            Effect.andThen(Console.error(e.message), Effect.fail(new Error("redis-server is needed for the demo")))
          )
        )
      : undefined
  const url = external ?? redis!.urls.unix
  const port = Number(process.env["PORT"] ?? (serve ? 3000 : 0))
  const context = yield* Layer.build(App.layer({ url, port }))
  const address = Context.get(context, HttpServer.HttpServer).address
  const base = address._tag === "UnixPathAddress" ? "http://localhost" : `http://127.0.0.1:${address.port}`
  if (serve) {
    yield* Console.log(`listening on ${base} (Redis: ${url}); Ctrl-C to stop`)
    return yield* Effect.never
  }
  yield* tour(base, redis)
}).pipe(Effect.scoped)

NodeRuntime.runMain(program)
