/**
 * A pool of `size` pipelined connections to one server: each command goes to the next connection that is up,
 * round-robin (one that is down is skipped while it reconnects), and a transaction pins one connection, which leaves
 * the rotation until the transaction ends, while the others keep serving.
 *
 * - While every connection is pinned, a new transaction (or a command) waits, interruptibly, up to `commandTimeout`,
 *   then fails with `PoolExhaustedError`.
 * - While the server is down, commands queue offline round-robin on every connection (each holds up to
 *   `maxOfflineCommands`) and are replayed over all of them once they reconnect.
 * - Blocking commands and pub/sub have connections of their own, outside the pool.
 * - It is `Redis.layer({ endpoint, poolSize: size })`. The pool's size is `size` here (the shape is the pool, so it
 *   needs no `pool` in its name); `poolSize` and `endpoints` are refused (`RedisConfigError`).
 *
 * @since 0.4.0
 */
import type { EndpointError } from "@fxredis/transport"
import { Config, Effect, Layer, type Scope } from "effect"
import { lazyBuild, refuseShapeOptions, server } from "./internal/router.ts"
import { makeShape } from "./internal/shape.ts"
import { Redis, type RedisShape } from "./Redis.ts"
import { type ConnectionError, RedisConfigError } from "./RedisErrors.ts"
import { type RedisOptions, redisOptionsConfig } from "./RedisOptions.ts"
import type { RedisTestOptions } from "./RedisTest.ts"

/**
 * The options of a pool: `size` (default 4) and every `RedisOptions` field but the ones that choose another shape
 * (`endpoints`, `placement`, and `poolSize`, which `size` replaces).
 *
 * @example
 * ```ts
 * import type { RedisPool } from "@fxredis/client"
 *
 * const options: RedisPool.RedisPoolOptions = { endpoint: "redis://10.0.0.5:6379", size: 8, commandTimeout: "2 seconds" }
 * ```
 *
 * @category models
 * @since 0.4.0
 */
export interface RedisPoolOptions extends Omit<RedisOptions, "endpoints" | "placement" | "poolSize"> {
  /** connections in the pool, a whole number from 1; default 4 (pipelining makes a few connections go far) */
  readonly size?: number | undefined
}

/**
 * The default `size`: four pipelined connections.
 *
 * @example
 * ```ts
 * import { RedisPool } from "@fxredis/client"
 *
 * const RedisLive = RedisPool.layer({ size: RedisPool.defaultSize * 2 })
 * ```
 *
 * @category models
 * @since 0.4.0
 */
export const defaultSize = 4

/**
 * The service over a pool, in the current Scope (closed with it). Eager by default: connects every connection before
 * it succeeds, or fails with `ConnectionError`; `{ lazy: true }` succeeds at once and connects in the background. A
 * bad option fails with `EndpointError` (the endpoint) or `RedisConfigError` (any other: a `size` that is not a whole
 * number from 1, `poolSize`, `endpoints`, …).
 *
 * @example
 * ```ts
 * import { RedisPool } from "@fxredis/client"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function* () {
 *   const redis = yield* RedisPool.make({ endpoint: "redis://localhost:6379", size: 2 })
 *   return yield* redis.ping()
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category constructors
 * @since 0.4.0
 */
export const make = (
  options: RedisPoolOptions = {},
  mode: { readonly lazy?: boolean | undefined } = {}
): Effect.Effect<RedisShape, ConnectionError | EndpointError | RedisConfigError, Scope.Scope> =>
  Effect.suspend(() => {
    const refused = refuseShapeOptions(
      options,
      ["endpoints", "placement", "poolSize"],
      "RedisPool",
      "its size is `size`; use RedisSharded for several servers"
    )
    if (refused !== undefined) return Effect.fail(refused)
    // not an object (from JavaScript): resolving it fails with the typed error
    if (typeof options !== "object" || options === null) {
      return Effect.map(server(options as RedisOptions, false), (router) => makeShape(router, ""))
    }
    const size: unknown = options.size
    if (size !== undefined && !(typeof size === "number" && Number.isInteger(size) && size >= 1)) {
      return Effect.fail(
        new RedisConfigError({
          option: "size",
          value: typeof size === "number" ? String(size) : typeof size,
          message: "size must be a whole number from 1: the connections in the pool"
        })
      )
    }
    const { size: _size, ...rest } = options
    return Effect.map(
      server({ ...rest, poolSize: (size as number | undefined) ?? defaultSize }, mode.lazy ?? false),
      (router) => makeShape(router, options.keyPrefix ?? "")
    )
  })

/**
 * The `Redis` service over a pool, connected while the layer is built: fails with `ConnectionError` when the server
 * cannot be reached, or for a bad option.
 *
 * @example
 * ```ts
 * import { Redis, RedisPool } from "@fxredis/client"
 * import { Effect } from "effect"
 *
 * const program = Redis.use((redis) => redis.incr("visits"))
 * Effect.runPromise(program.pipe(Effect.provide(RedisPool.layer({ endpoint: "redis://localhost:6379", size: 4 }))))
 * ```
 *
 * @category layers
 * @since 0.4.0
 */
export const layer = (
  options: RedisPoolOptions = {}
): Layer.Layer<Redis, ConnectionError | EndpointError | RedisConfigError> => Layer.effect(Redis, make(options))

/**
 * `layer` that builds at once and connects in the background, reconnecting for ever: commands wait offline until
 * connected, up to `commandTimeout`. Fails only for a bad option.
 *
 * @example
 * ```ts
 * import { RedisPool } from "@fxredis/client"
 *
 * const RedisLive = RedisPool.layerLazy({ endpoint: process.env["REDIS_URL"] ?? "redis://localhost:6379", size: 4 })
 * ```
 *
 * @category layers
 * @since 0.4.0
 */
export const layerLazy = (options: RedisPoolOptions = {}): Layer.Layer<Redis, EndpointError | RedisConfigError> =>
  Layer.effect(Redis, lazyBuild(make(options, { lazy: true })))

/**
 * What `layerConfig` reads by default: `redisOptionsConfig` (`REDIS_URL`, `REDIS_PASSWORD`, `REDIS_DATABASE`,
 * `REDIS_COMMAND_TIMEOUT`, `REDIS_CONNECT_TIMEOUT`, `REDIS_KEY_PREFIX`), with `REDIS_POOL_SIZE` as `size`.
 *
 * @example
 * ```ts
 * import { RedisPool } from "@fxredis/client"
 * import { Config } from "effect"
 *
 * const withName = Config.map(RedisPool.poolOptionsConfig, (o) => ({ ...o, clientName: "web" }))
 * const RedisLive = RedisPool.layerConfig(withName)
 * ```
 *
 * @category constructors
 * @since 0.4.0
 */
export const poolOptionsConfig: Config.Config<RedisPoolOptions> = Config.map(
  redisOptionsConfig,
  ({ poolSize, endpoints: _endpoints, placement: _placement, ...options }) => ({ ...options, size: poolSize })
)

/**
 * The options from `Config` (by default `poolOptionsConfig`); lazy unless `lazy: false`. A variable set but
 * malformed fails the layer with `ConfigError` or `RedisConfigError`.
 *
 * @example
 * ```ts
 * import { RedisPool } from "@fxredis/client"
 *
 * const RedisLive = RedisPool.layerConfig() // REDIS_URL, REDIS_POOL_SIZE, …
 * ```
 *
 * @category layers
 * @since 0.4.0
 */
export const layerConfig = (
  config: Config.Config<RedisPoolOptions> = poolOptionsConfig,
  options: { readonly lazy?: boolean | undefined } = {}
): Layer.Layer<Redis, ConnectionError | EndpointError | RedisConfigError | Config.ConfigError> =>
  Layer.effect(
    Redis,
    Effect.gen(function* () {
      return yield* make(yield* config, { lazy: options.lazy ?? true })
    })
  )

/**
 * The in-memory fake of the `Redis` service (the same as `Redis.layerTest`, see `RedisTest`), for unit tests of code
 * that uses `Redis`: no server, no sockets, TTLs on Effect's Clock; each layer built has a keyspace of its own.
 * Transactions each get a session of their own, as each would pin a connection of the pool.
 *
 * @example
 * ```ts
 * import { Redis, RedisPool } from "@fxredis/client"
 * import { Effect } from "effect"
 *
 * const test = Redis.use((redis) => redis.incr("hits")).pipe(Effect.provide(RedisPool.layerTest()))
 * ```
 *
 * @category layers
 * @since 0.4.0
 */
export const layerTest = (options: RedisTestOptions = {}): Layer.Layer<Redis> => Redis.layerTest(options)
