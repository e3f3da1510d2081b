/**
 * The demo's HTTP service: an Effect HTTP server whose Redis layer is lazy, so the service starts (and answers
 * `/health`) whether Redis is up or not, and recovers on its own when Redis comes back.
 *
 * Routes: `GET /health`, `POST /counter` (INCR), `PUT /kv/:key?ttl=60` and `GET /kv/:key` (a value with a time to
 * live), `GET /limited` (5 requests per 10 seconds per client, by Effect's `RateLimiter` on fxredis).
 * `ConnectionError` and `CommandTimeoutError` become `503` with a JSON body, `ReplyError` `500`; nothing crashes.
 */
import { createServer } from "node:http"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { PersistenceRedis, Redis, type RedisError } from "@fxredis/client"
import { Effect, Layer, Option } from "effect"
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import * as RateLimiter from "effect/persistence/RateLimiter"

/** the JSON error response for a Redis failure */
const failure = (error: RedisError | RateLimiter.RateLimiterError) => {
  switch (error._tag) {
    case "ConnectionError":
    case "CommandTimeoutError":
      return HttpServerResponse.jsonUnsafe(
        { error: "redis unavailable", reason: error._tag, detail: error.message },
        { status: 503 }
      )
    case "RateLimiterError":
      return error.reason._tag === "RateLimitExceeded"
        ? HttpServerResponse.jsonUnsafe({ error: "too many requests" }, { status: 429 })
        : HttpServerResponse.jsonUnsafe({ error: "redis unavailable", reason: error.reason._tag }, { status: 503 })
    default:
      return HttpServerResponse.jsonUnsafe(
        { error: "redis error", reason: error._tag, detail: error.message },
        { status: 500 }
      )
  }
}

const handled = <E extends RedisError | RateLimiter.RateLimiterError, R>(
  effect: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
) => Effect.catch(effect, (e: E) => Effect.succeed(failure(e)))

const Routes = Layer.mergeAll(
  HttpRouter.add(
    "GET",
    "/health",
    Redis.use((redis) => redis.ping()).pipe(
      Effect.as(HttpServerResponse.jsonUnsafe({ status: "ok", redis: "up" })),
      Effect.catch(() =>
        Effect.succeed(HttpServerResponse.jsonUnsafe({ status: "degraded", redis: "down" }, { status: 503 }))
      )
    )
  ),
  HttpRouter.add(
    "POST",
    "/counter",
    handled(
      Redis.use((redis) => Effect.map(redis.incr("demo:counter"), (count) => HttpServerResponse.jsonUnsafe({ count })))
    )
  ),
  HttpRouter.add(
    "PUT",
    "/kv/:key",
    handled(
      Effect.gen(function* () {
        const { key } = yield* HttpRouter.params
        const request = yield* HttpServerRequest.HttpServerRequest
        const ttl = Number(new URL(request.url, "http://demo").searchParams.get("ttl") ?? "60")
        const value = yield* Effect.orElseSucceed(request.text, () => "")
        const redis = yield* Redis
        yield* redis.set(`demo:kv:${key}`, value, { expire: `${Math.max(1, ttl)} seconds` })
        return HttpServerResponse.jsonUnsafe({ key, value, ttl })
      })
    )
  ),
  HttpRouter.add(
    "GET",
    "/kv/:key",
    handled(
      Effect.gen(function* () {
        const { key } = yield* HttpRouter.params
        const redis = yield* Redis
        const value = yield* redis.get(`demo:kv:${key}`)
        const ttl = yield* redis.ttl(`demo:kv:${key}`)
        return Option.match(value, {
          onNone: () => HttpServerResponse.jsonUnsafe({ error: "not found", key }, { status: 404 }),
          onSome: (v) => HttpServerResponse.jsonUnsafe({ key, value: v, ttl })
        })
      })
    )
  ),
  HttpRouter.add(
    "GET",
    "/limited",
    handled(
      Effect.gen(function* () {
        const request = yield* HttpServerRequest.HttpServerRequest
        const client = Option.getOrElse(request.remoteAddress, () => "unknown")
        const limiter = yield* RateLimiter.RateLimiter
        const result = yield* limiter.consume({ key: `limited:${client}`, limit: 5, window: "10 seconds" })
        return HttpServerResponse.jsonUnsafe({ ok: true, remaining: result.remaining })
      })
    )
  )
)

/**
 * The service on `port` (0: any free port), talking to Redis at `url` through a lazy layer.
 */
export const layer = (options: { readonly url: string; readonly port: number }) => {
  const RedisLive = Redis.layerLazy({ endpoint: options.url, commandTimeout: "500 millis", reconnect: true })
  const Limiter = Layer.effect(RateLimiter.RateLimiter, RateLimiter.make).pipe(
    Layer.provide(RateLimiter.layerStoreRedis({ prefix: "{demo-ratelimit}:" })),
    Layer.provide(PersistenceRedis.layer)
  )
  return HttpRouter.serve(Routes, { disableLogger: true, disableListenLog: true }).pipe(
    Layer.provide(Limiter),
    Layer.provideMerge(RedisLive),
    Layer.provideMerge(NodeHttpServer.layer(createServer, { port: options.port, host: "127.0.0.1" }))
  )
}
