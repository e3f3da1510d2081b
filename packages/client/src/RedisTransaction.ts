/**
 * Transactions as a service of their own: `transaction(body)` runs `body` on one pinned connection (see
 * `Transaction`: `watch`, the commands, `exec`), for code that only needs transactions and should say so in its type.
 *
 * - `layer`, `layerLazy`, `layerConfig`: a pool of its own over one server, with the options of `RedisPool`: `size`
 *   (default 4) is how many transactions run at once; one more waits, interruptibly, up to `commandTimeout`, then
 *   fails with `PoolExhaustedError`. Keeping transactions on connections of their own leaves the command rotation of
 *   the `Redis` service untouched.
 * - `layerFromRedis`: the transactions of the `Redis` service already provided (its pool, its shape: on a sharded
 *   client a transaction runs on the shard of its keys).
 * - `layerTest`: the in-memory fake (see `RedisTest`), `WATCH` included.
 *
 * `transaction` behaves as `RedisShape.transaction` (see there for interruption, timeouts and scope close): whatever
 * ends the body (success, failure, defect, interruption), an open `WATCH` is undone and the connection goes back.
 *
 * @since 0.4.0
 */
import type { EndpointError } from "@fxredis/transport"
import { type Config, Context, Effect, Layer, type Scope } from "effect"
import { lazyBuild } from "./internal/router.ts"
import { Redis, type RedisShape } from "./Redis.ts"
import type { ConnectionError, RedisConfigError } from "./RedisErrors.ts"
import * as RedisPool from "./RedisPool.ts"
import type { RedisTestOptions } from "./RedisTest.ts"

/**
 * The transaction member of `RedisShape`.
 *
 * @example
 * ```ts
 * import { RedisTransaction } from "@fxredis/client"
 * import { Effect } from "effect"
 *
 * const swap = Effect.gen(function* () {
 *   const transactions = yield* RedisTransaction.RedisTransaction
 *   return yield* transactions.transaction((tx) =>
 *     Effect.gen(function* () {
 *       yield* tx.watch("a", "b")
 *       return yield* tx.exec((q) => [q.rename("a", "tmp"), q.rename("b", "a"), q.rename("tmp", "b")])
 *     })
 *   )
 * })
 * ```
 *
 * @category models
 * @since 0.4.0
 */
export interface RedisTransaction extends Pick<RedisShape, "transaction"> {}

/**
 * The service.
 *
 * @example
 * ```ts
 * import { RedisTransaction } from "@fxredis/client"
 *
 * const count = RedisTransaction.RedisTransaction.use(({ transaction }) =>
 *   transaction((tx) => tx.exec((q) => [q.incr("a"), q.incr("b")]))
 * )
 * ```
 *
 * @category services
 * @since 0.4.0
 */
export const RedisTransaction = Context.Service<RedisTransaction>("@fxredis/client/RedisTransaction")

/**
 * The transactions of a `Redis` service value.
 *
 * @example
 * ```ts
 * import { Redis, RedisTransaction } from "@fxredis/client"
 *
 * const transactions = Redis.useSync(RedisTransaction.fromRedis)
 * ```
 *
 * @category constructors
 * @since 0.4.0
 */
export const fromRedis = (redis: RedisShape): RedisTransaction => ({ transaction: redis.transaction })

/**
 * The service over a pool of its own, in the current Scope: eager by default, or `{ lazy: true }`; fails as
 * `RedisPool.make`.
 *
 * @example
 * ```ts
 * import { RedisTransaction } from "@fxredis/client"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function* () {
 *   const { transaction } = yield* RedisTransaction.make({ endpoint: "redis://localhost:6379", size: 2 })
 *   return yield* transaction((tx) => tx.exec((q) => [q.incr("n")]))
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category constructors
 * @since 0.4.0
 */
export const make = (
  options: RedisPool.RedisPoolOptions = {},
  mode: { readonly lazy?: boolean | undefined } = {}
): Effect.Effect<RedisTransaction, ConnectionError | EndpointError | RedisConfigError, Scope.Scope> =>
  Effect.map(RedisPool.make(options, mode), fromRedis)

/**
 * `make` as a layer: connects while it is built.
 *
 * @example
 * ```ts
 * import { RedisTransaction } from "@fxredis/client"
 *
 * const TransactionsLive = RedisTransaction.layer({ endpoint: "redis://localhost:6379", size: 2 })
 * ```
 *
 * @category layers
 * @since 0.4.0
 */
export const layer = (
  options: RedisPool.RedisPoolOptions = {}
): Layer.Layer<RedisTransaction, ConnectionError | EndpointError | RedisConfigError> =>
  Layer.effect(RedisTransaction, make(options))

/**
 * `layer` that builds at once and connects in the background. Fails only for a bad option.
 *
 * @example
 * ```ts
 * import { RedisTransaction } from "@fxredis/client"
 *
 * const TransactionsLive = RedisTransaction.layerLazy({ endpoint: process.env["REDIS_URL"] ?? "redis://localhost:6379" })
 * ```
 *
 * @category layers
 * @since 0.4.0
 */
export const layerLazy = (
  options: RedisPool.RedisPoolOptions = {}
): Layer.Layer<RedisTransaction, EndpointError | RedisConfigError> =>
  Layer.effect(RedisTransaction, lazyBuild(make(options, { lazy: true })))

/**
 * The options from `Config` (by default `RedisPool.poolOptionsConfig`: `REDIS_URL`, `REDIS_POOL_SIZE` as `size`, …);
 * lazy unless `lazy: false`.
 *
 * @example
 * ```ts
 * import { RedisTransaction } from "@fxredis/client"
 *
 * const TransactionsLive = RedisTransaction.layerConfig()
 * ```
 *
 * @category layers
 * @since 0.4.0
 */
export const layerConfig = (
  config: Config.Config<RedisPool.RedisPoolOptions> = RedisPool.poolOptionsConfig,
  options: { readonly lazy?: boolean | undefined } = {}
): Layer.Layer<RedisTransaction, ConnectionError | EndpointError | RedisConfigError | Config.ConfigError> =>
  Layer.effect(
    RedisTransaction,
    Effect.gen(function* () {
      return yield* make(yield* config, { lazy: options.lazy ?? true })
    })
  )

/**
 * The transactions of the `Redis` service in the context: no connection of its own.
 *
 * @example
 * ```ts
 * import { Redis, RedisTransaction } from "@fxredis/client"
 * import { Layer } from "effect"
 *
 * const Live = RedisTransaction.layerFromRedis.pipe(Layer.provideMerge(Redis.layer({ endpoint: "redis://localhost:6379" })))
 * ```
 *
 * @category layers
 * @since 0.4.0
 */
export const layerFromRedis: Layer.Layer<RedisTransaction, never, Redis> = Layer.effect(
  RedisTransaction,
  Redis.useSync(fromRedis)
)

/**
 * The in-memory fake (see `RedisTest`), for unit tests of code that uses `RedisTransaction`: each transaction is a
 * session of its own, `WATCH` aborts `exec` with `TransactionAbortedError` when another writer changed a watched key.
 * It provides `Redis` too, over the same fake, so a test can set keys up and check them. Each layer built starts
 * empty.
 *
 * @example
 * ```ts
 * import { Redis, RedisTransaction } from "@fxredis/client"
 * import { Effect } from "effect"
 *
 * const test = Effect.gen(function* () {
 *   const redis = yield* Redis
 *   const { transaction } = yield* RedisTransaction.RedisTransaction
 *   yield* transaction((tx) => tx.exec((q) => [q.set("k", "v")]))
 *   return yield* redis.get("k")
 * }).pipe(Effect.provide(RedisTransaction.layerTest()))
 * ```
 *
 * @category layers
 * @since 0.4.0
 */
export const layerTest = (options: RedisTestOptions = {}): Layer.Layer<RedisTransaction | Redis> =>
  layerFromRedis.pipe(Layer.provideMerge(Redis.layerTest(options)))
