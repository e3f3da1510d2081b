/**
 * One connection: every command of the client goes to one server over one pipelined connection (commands from
 * every fiber in the same tick share one write). The `Redis` service it provides is the same as every other shape's, so code
 * written against `yield* Redis` runs unchanged on a pool, a sharded client or a cluster.
 *
 * - Blocking commands (BLPOP, XREAD BLOCK, …) still take a connection of their own from a small pool
 *   (`maxBlockingConnections`), and pub/sub a connection of its own, so neither stalls the one connection.
 * - A transaction pins the connection: other commands wait (interruptibly, up to `commandTimeout`, then
 *   `PoolExhaustedError`) until it ends. Use `RedisPool` when transactions and other commands run side by side.
 * - It is `Redis.layer({ endpoint })` without `poolSize` or `endpoints`, which this module refuses
 *   (`RedisConfigError`): the shape is chosen by the module, not by the options.
 *
 * @since 0.4.0
 */
import type { EndpointError } from "@fxredis/transport"
import { Config, Effect, Layer, type Scope } from "effect"
import { lazyBuild, refuseShapeOptions, server } from "./internal/router.ts"
import { makeShape } from "./internal/shape.ts"
import { Redis, type RedisShape } from "./Redis.ts"
import type { ConnectionError, RedisConfigError } from "./RedisErrors.ts"
import { type RedisOptions, redisOptionsConfig } from "./RedisOptions.ts"
import type { RedisTestOptions } from "./RedisTest.ts"

/**
 * The options of one connection: every `RedisOptions` field but the ones that choose another shape (`endpoints`,
 * `placement`, `poolSize`).
 *
 * @example
 * ```ts
 * import type { RedisConnection } from "@fxredis/client"
 *
 * const options: RedisConnection.RedisConnectionOptions = {
 *   endpoint: "unix:///var/run/redis/redis.sock",
 *   database: 2,
 *   commandTimeout: "2 seconds"
 * }
 * ```
 *
 * @category models
 * @since 0.4.0
 */
export interface RedisConnectionOptions extends Omit<RedisOptions, "endpoints" | "placement" | "poolSize"> {}

/**
 * The service over one connection, in the current Scope (closed with it). Eager by default: connects before it
 * succeeds, or fails with `ConnectionError`; `{ lazy: true }` succeeds at once and connects in the background. A bad
 * option fails with `EndpointError` (the endpoint) or `RedisConfigError` (any other, `poolSize` and `endpoints`
 * included).
 *
 * @example
 * ```ts
 * import { RedisConnection } from "@fxredis/client"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function* () {
 *   const redis = yield* RedisConnection.make({ endpoint: "redis://localhost:6379" })
 *   return yield* redis.ping()
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category constructors
 * @since 0.4.0
 */
export const make = (
  options: RedisConnectionOptions = {},
  mode: { readonly lazy?: boolean | undefined } = {}
): Effect.Effect<RedisShape, ConnectionError | EndpointError | RedisConfigError, Scope.Scope> =>
  Effect.suspend(() => {
    const refused = refuseShapeOptions(
      options,
      ["endpoints", "placement", "poolSize"],
      "RedisConnection",
      "use RedisPool for a pool, RedisSharded for several servers"
    )
    if (refused !== undefined) return Effect.fail(refused)
    return Effect.map(server(options, mode.lazy ?? false), (router) => makeShape(router, options.keyPrefix ?? ""))
  })

/**
 * The `Redis` service over one connection, connected while the layer is built: fails with `ConnectionError` when the
 * server cannot be reached (after `reconnect`'s retries), or for a bad option.
 *
 * @example
 * ```ts
 * import { Redis, RedisConnection } from "@fxredis/client"
 * import { Effect } from "effect"
 *
 * const program = Redis.use((redis) => redis.incr("visits"))
 * Effect.runPromise(program.pipe(Effect.provide(RedisConnection.layer({ endpoint: "redis://localhost:6379" }))))
 * ```
 *
 * @category layers
 * @since 0.4.0
 */
export const layer = (
  options: RedisConnectionOptions = {}
): Layer.Layer<Redis, ConnectionError | EndpointError | RedisConfigError> => Layer.effect(Redis, make(options))

/**
 * `layer` that builds at once and connects in the background, reconnecting for ever: commands wait offline until
 * connected, up to `commandTimeout`. Fails only for a bad option.
 *
 * @example
 * ```ts
 * import { RedisConnection } from "@fxredis/client"
 *
 * const RedisLive = RedisConnection.layerLazy({ endpoint: process.env["REDIS_URL"] ?? "redis://localhost:6379" })
 * ```
 *
 * @category layers
 * @since 0.4.0
 */
export const layerLazy = (options: RedisConnectionOptions = {}): Layer.Layer<Redis, EndpointError | RedisConfigError> =>
  Layer.effect(Redis, lazyBuild(make(options, { lazy: true })))

/**
 * What `layerConfig` reads by default: `redisOptionsConfig` (`REDIS_URL`, `REDIS_PASSWORD`, `REDIS_DATABASE`,
 * `REDIS_COMMAND_TIMEOUT`, `REDIS_CONNECT_TIMEOUT`, `REDIS_KEY_PREFIX`) without `REDIS_POOL_SIZE`, which a single
 * connection does not read.
 *
 * @example
 * ```ts
 * import { RedisConnection } from "@fxredis/client"
 * import { Config } from "effect"
 *
 * const withName = Config.map(RedisConnection.connectionOptionsConfig, (o) => ({ ...o, clientName: "worker" }))
 * const RedisLive = RedisConnection.layerConfig(withName)
 * ```
 *
 * @category constructors
 * @since 0.4.0
 */
export const connectionOptionsConfig: Config.Config<RedisConnectionOptions> = Config.map(
  redisOptionsConfig,
  ({ poolSize: _poolSize, endpoints: _endpoints, placement: _placement, ...options }) => options
)

/**
 * The options from `Config` (by default `connectionOptionsConfig`); lazy unless `lazy: false`. A variable set but
 * malformed fails the layer with `ConfigError` or `RedisConfigError`.
 *
 * @example
 * ```ts
 * import { RedisConnection } from "@fxredis/client"
 *
 * const RedisLive = RedisConnection.layerConfig() // REDIS_URL, REDIS_PASSWORD, …
 * ```
 *
 * @category layers
 * @since 0.4.0
 */
export const layerConfig = (
  config: Config.Config<RedisConnectionOptions> = connectionOptionsConfig,
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
 * that uses `Redis`: no server, no sockets, TTLs on Effect's Clock; each layer built has a keyspace of its own. It
 * models one server, as this shape is.
 *
 * @example
 * ```ts
 * import { Redis, RedisConnection } from "@fxredis/client"
 * import { Effect } from "effect"
 *
 * const test = Redis.use((redis) => redis.incr("hits")).pipe(Effect.provide(RedisConnection.layerTest()))
 * ```
 *
 * @category layers
 * @since 0.4.0
 */
export const layerTest = (options: RedisTestOptions = {}): Layer.Layer<Redis> => Redis.layerTest(options)
