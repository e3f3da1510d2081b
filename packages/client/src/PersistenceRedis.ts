/**
 * Effect's own Redis service (`effect/persistence/Redis`) on fxredis, so that `Persistence.layerRedis`
 * (and `PersistedCache`), `PersistedQueue.layerStoreRedis`, `RateLimiter.layerStoreRedis` and
 * `CircuitBreaker.layerStoreRedis` run on any fxredis shape: a connection, a pool, or sharded.
 *
 * - Replies come in the shapes those stores expect (node-redis' RESP2 shapes): bulk → `string`, nil → `null`,
 *   integer → `number`, arrays as arrays (RESP3 maps and sets flattened to arrays); strings are never converted to
 *   numbers.
 * - Every failure is a `RedisError` whose `cause` is the fxredis error (`ReplyError`, `ConnectionError`,
 *   `ShardingError`…); a missing script's `ReplyError` carries `NOSCRIPT` in its text, which is how Effect's
 *   script cache knows to reload.
 * - `reserve` takes dedicated connections (outside the rotation); `subscribe` is fxredis' pub/sub, re-subscribed
 *   after a reconnect.
 * - On a sharded client, store scripts that touch several keys must keep them on one shard: give the stores a
 *   hash-tagged prefix (`prefix: "{effectq}:"`), else their scripts fail with `ShardingError`.
 *
 * @since 0.1.0
 */
import { RespMap, RespSet, type RespValue, VerbatimString } from "@fxredis/protocol"
import type { EndpointError } from "@fxredis/transport"
import { Effect, Layer, Stream } from "effect"
import * as PRedis from "effect/persistence/Redis"
import { Redis } from "./Redis.ts"
import type { ConnectionError, RedisConfigError, RedisError } from "./RedisErrors.ts"
import type { RedisOptions } from "./RedisOptions.ts"

/** A reply in the shape node-redis gives in RESP2. */
const toPlain = (value: RespValue): unknown => {
  if (value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
    return value
  }
  if (typeof value === "bigint") return Number(value)
  if (Array.isArray(value)) return (value as ReadonlyArray<RespValue>).map(toPlain)
  if (value instanceof Uint8Array) return Buffer.from(value).toString("utf8")
  if (value instanceof RespMap) return value.entries.flatMap(([k, v]) => [toPlain(k), toPlain(v)])
  if (value instanceof RespSet) return value.values.map(toPlain)
  if (value instanceof VerbatimString) return toPlain(value.text)
  return value
}

const wrap = (cause: RedisError) => new PRedis.RedisError({ cause })

const sendWith =
  (send: (command: string, ...args: ReadonlyArray<string>) => Effect.Effect<RespValue, RedisError>) =>
  <A = unknown>(command: string, ...args: ReadonlyArray<string>): Effect.Effect<A, PRedis.RedisError> =>
    send(command, ...args).pipe(
      Effect.map((reply) => toPlain(reply) as A),
      Effect.mapError(wrap)
    )

/**
 * Provides `effect/persistence/Redis` from the fxredis `Redis` service in context.
 *
 * @example
 * ```ts
 * import { Redis, PersistenceRedis } from "@fxredis/client"
 * import { Layer } from "effect"
 * import * as RateLimiter from "effect/persistence/RateLimiter"
 *
 * const limiter = RateLimiter.layerStoreRedis({ prefix: "{ratelimit}:" }).pipe(
 *   Layer.provide(PersistenceRedis.layer),
 *   Layer.provide(Redis.layerLazy({ endpoint: "redis://localhost:6379" }))
 * )
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layer: Layer.Layer<PRedis.Redis, never, Redis> = Layer.effect(
  PRedis.Redis,
  Effect.gen(function* () {
    const redis = yield* Redis
    return yield* PRedis.make({
      send: sendWith(redis.send),
      subscribe: (channel, onMessage) =>
        Effect.succeed(
          Stream.runForEach(redis.subscribe(channel), (m) =>
            Effect.sync(() => onMessage({ channel: m.channel, message: m.message }))
          ).pipe(Effect.mapError(wrap))
        ),
      connect: Effect.map(redis.dedicated, (d) => ({ send: sendWith(d.send), close: d.close })).pipe(
        Effect.mapError(wrap)
      ),
      pool: { maxConnections: 8 }
    })
  })
)

/**
 * `effect/persistence/Redis` on a new fxredis client (lazy: it connects in the background).
 *
 * @example
 * ```ts
 * import { PersistenceRedis } from "@fxredis/client"
 * import { Layer } from "effect"
 * import * as Persistence from "effect/persistence/Persistence"
 *
 * const PersistenceLive = Persistence.layerRedis.pipe(
 *   Layer.provide(PersistenceRedis.layerOptions({ endpoint: "unix:///tmp/redis.sock" }))
 * )
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layerOptions = (
  options: RedisOptions,
  config: { readonly lazy?: boolean | undefined } = {}
): Layer.Layer<PRedis.Redis | Redis, ConnectionError | EndpointError | RedisConfigError> =>
  Layer.provideMerge(layer, config.lazy === false ? Redis.layer(options) : Redis.layerLazy(options))
