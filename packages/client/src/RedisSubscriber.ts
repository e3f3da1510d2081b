/**
 * Pub/sub as a service of its own: `subscribe`, `psubscribe`, `ssubscribe` and `subscription` on a subscriber
 * connection, with `publish` and `spublish`, for code that only listens and publishes and should say so in its
 * type (`RedisSubscriber` in its requirements, not all of `Redis`).
 *
 * - `layer`, `layerLazy`, `layerConfig`: a client of its own over one server (a subscriber connection, opened on the
 *   first subscription and re-subscribed after every reconnect, plus one connection for `PUBLISH`), with the options
 *   of `RedisConnection`.
 * - `layerFromRedis`: the pub/sub of the `Redis` service already provided (its connections, its shape: a sharded
 *   client subscribes each channel on its shard).
 * - `layerTest`: the in-memory fake (see `RedisTest`): messages published are delivered at once, in memory.
 *
 * Every member behaves as the `RedisShape` member of the same name (see there for interruption, timeouts and scope
 * close): a Stream ends and unsubscribes when it is interrupted; closing the layer's scope closes the connections and
 * ends every Stream.
 *
 * @since 0.4.0
 */
import type { EndpointError } from "@fxredis/transport"
import { type Config, Context, Effect, Layer, type Scope } from "effect"
import { lazyBuild } from "./internal/router.ts"
import { Redis, type RedisShape } from "./Redis.ts"
import * as RedisConnection from "./RedisConnection.ts"
import type { ConnectionError, RedisConfigError } from "./RedisErrors.ts"
import type { RedisTestOptions } from "./RedisTest.ts"

/**
 * The pub/sub members of `RedisShape`.
 *
 * @example
 * ```ts
 * import { RedisSubscriber } from "@fxredis/client"
 * import { Effect, Stream } from "effect"
 *
 * const logOrders = Effect.gen(function* () {
 *   const pubsub = yield* RedisSubscriber.RedisSubscriber
 *   yield* Stream.runForEach(pubsub.psubscribe("orders:*"), (m) => Effect.log(`${m.channel}: ${m.message}`))
 * })
 * ```
 *
 * @category models
 * @since 0.4.0
 */
export interface RedisSubscriber
  extends Pick<RedisShape, "subscribe" | "psubscribe" | "ssubscribe" | "subscription" | "publish" | "spublish"> {}

/**
 * The service.
 *
 * @example
 * ```ts
 * import { RedisSubscriber } from "@fxredis/client"
 *
 * const publishHello = RedisSubscriber.RedisSubscriber.use((pubsub) => pubsub.publish("news", "hello"))
 * ```
 *
 * @category services
 * @since 0.4.0
 */
export const RedisSubscriber = Context.Service<RedisSubscriber>("@fxredis/client/RedisSubscriber")

/**
 * The pub/sub members of a `Redis` service value.
 *
 * @example
 * ```ts
 * import { Redis, RedisSubscriber } from "@fxredis/client"
 *
 * const pubsub = Redis.useSync(RedisSubscriber.fromRedis)
 * ```
 *
 * @category constructors
 * @since 0.4.0
 */
export const fromRedis = (redis: RedisShape): RedisSubscriber => ({
  subscribe: redis.subscribe,
  psubscribe: redis.psubscribe,
  ssubscribe: redis.ssubscribe,
  subscription: redis.subscription,
  publish: redis.publish,
  spublish: redis.spublish
})

/**
 * The service over one server, in the current Scope: eager by default (the publishing connection connects before it
 * succeeds, or it fails with `ConnectionError`), or `{ lazy: true }`; a bad option fails with `EndpointError` or
 * `RedisConfigError`, as `RedisConnection.make`.
 *
 * @example
 * ```ts
 * import { RedisSubscriber } from "@fxredis/client"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function* () {
 *   const pubsub = yield* RedisSubscriber.make({ endpoint: "redis://localhost:6379" })
 *   return yield* pubsub.publish("news", "hello")
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category constructors
 * @since 0.4.0
 */
export const make = (
  options: RedisConnection.RedisConnectionOptions = {},
  mode: { readonly lazy?: boolean | undefined } = {}
): Effect.Effect<RedisSubscriber, ConnectionError | EndpointError | RedisConfigError, Scope.Scope> =>
  Effect.map(RedisConnection.make(options, mode), fromRedis)

/**
 * `make` as a layer: connects while it is built.
 *
 * @example
 * ```ts
 * import { RedisSubscriber } from "@fxredis/client"
 *
 * const PubSubLive = RedisSubscriber.layer({ endpoint: "redis://localhost:6379" })
 * ```
 *
 * @category layers
 * @since 0.4.0
 */
export const layer = (
  options: RedisConnection.RedisConnectionOptions = {}
): Layer.Layer<RedisSubscriber, ConnectionError | EndpointError | RedisConfigError> =>
  Layer.effect(RedisSubscriber, make(options))

/**
 * `layer` that builds at once and connects in the background: subscriptions and publishes wait offline until
 * connected, up to `commandTimeout`. Fails only for a bad option.
 *
 * @example
 * ```ts
 * import { RedisSubscriber } from "@fxredis/client"
 *
 * const PubSubLive = RedisSubscriber.layerLazy({ endpoint: process.env["REDIS_URL"] ?? "redis://localhost:6379" })
 * ```
 *
 * @category layers
 * @since 0.4.0
 */
export const layerLazy = (
  options: RedisConnection.RedisConnectionOptions = {}
): Layer.Layer<RedisSubscriber, EndpointError | RedisConfigError> =>
  Layer.effect(RedisSubscriber, lazyBuild(make(options, { lazy: true })))

/**
 * The options from `Config` (by default `RedisConnection.connectionOptionsConfig`: `REDIS_URL`, `REDIS_PASSWORD`, …);
 * lazy unless `lazy: false`.
 *
 * @example
 * ```ts
 * import { RedisSubscriber } from "@fxredis/client"
 *
 * const PubSubLive = RedisSubscriber.layerConfig()
 * ```
 *
 * @category layers
 * @since 0.4.0
 */
export const layerConfig = (
  config: Config.Config<RedisConnection.RedisConnectionOptions> = RedisConnection.connectionOptionsConfig,
  options: { readonly lazy?: boolean | undefined } = {}
): Layer.Layer<RedisSubscriber, ConnectionError | EndpointError | RedisConfigError | Config.ConfigError> =>
  Layer.effect(
    RedisSubscriber,
    Effect.gen(function* () {
      return yield* make(yield* config, { lazy: options.lazy ?? true })
    })
  )

/**
 * The pub/sub of the `Redis` service in the context: no connection of its own beyond what that service opens.
 *
 * @example
 * ```ts
 * import { Redis, RedisSubscriber } from "@fxredis/client"
 * import { Layer } from "effect"
 *
 * const Live = RedisSubscriber.layerFromRedis.pipe(Layer.provideMerge(Redis.layer({ endpoint: "redis://localhost:6379" })))
 * ```
 *
 * @category layers
 * @since 0.4.0
 */
export const layerFromRedis: Layer.Layer<RedisSubscriber, never, Redis> = Layer.effect(
  RedisSubscriber,
  Redis.useSync(fromRedis)
)

/**
 * The in-memory fake (see `RedisTest`), for unit tests of code that uses `RedisSubscriber`: messages published are
 * delivered at once, in memory, and `subscribed` succeeds at once. It provides `Redis` too, over the same fake, so a
 * test can publish or inspect keys with it. Each layer built is a server of its own.
 *
 * @example
 * ```ts
 * import { RedisSubscriber } from "@fxredis/client"
 * import { Effect, Fiber, Stream } from "effect"
 *
 * const test = Effect.gen(function* () {
 *   const pubsub = yield* RedisSubscriber.RedisSubscriber
 *   const news = yield* pubsub.subscription({ channels: ["news"] })
 *   const first = yield* Effect.forkChild(Stream.runHead(news.messages))
 *   yield* pubsub.publish("news", "hello")
 *   return yield* Fiber.join(first)
 * }).pipe(Effect.scoped, Effect.provide(RedisSubscriber.layerTest()))
 * ```
 *
 * @category layers
 * @since 0.4.0
 */
export const layerTest = (options: RedisTestOptions = {}): Layer.Layer<RedisSubscriber | Redis> =>
  layerFromRedis.pipe(Layer.provideMerge(Redis.layerTest(options)))
