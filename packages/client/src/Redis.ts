/**
 * The `Redis` service: typed commands, any command with `send`, scans as Streams, Lua scripts with a cache,
 * pub/sub as Streams, and transactions pinned to one connection. It is a facade over one small router (run a
 * command, pin a connection, subscribe, open dedicated connections) that every shape provides:
 *
 * - one connection (`RedisConnection`), a pool of N pipelined connections (`RedisPool`), shards placed by a hash ring
 *   (`RedisSharded`), a Redis Cluster (`RedisCluster`), Sentinel (`RedisSentinel`), a primary with replicas
 *   (`RedisReplicated`), and the in-memory fake (`RedisTest`);
 * - `Redis.layer(options)` picks the shape from the options, as it always has: `endpoints` makes a sharded client,
 *   `poolSize > 1` a pool, anything else one connection; the shape modules are the explicit entry points;
 * - txredisapi's constructors (`Redis.unixConnection`, `Redis.lazyShardedConnectionPool`, …) are in `Txredisapi`.
 *
 * What every shape shares:
 *
 * - Commands from any number of fibers in the same tick go out in one write per connection (pipelining).
 * - A pool (`poolSize > 1`) sends each command to the next connection that is up, round-robin.
 * - Blocking commands (BLPOP, BRPOP, BLMOVE, XREAD BLOCK) take a connection of their own from a small pool, so they
 *   never stall other commands; interrupting one closes its connection (it may still be blocked on the server).
 * - Pub/sub runs on a connection of its own (RESP3), re-subscribed after every reconnect: `subscribe`, `psubscribe`
 *   and `ssubscribe` (Redis 7 shard channels) are Streams; `subscription` is held by a Scope and says when the
 *   server has subscribed (`subscribed`), so that a message published after it is delivered. `publish` and
 *   `spublish` answer how many subscribers received the message.
 * - `keyPrefix` is prepended to every key argument, where the command catalogue's key specs locate keys, before
 *   routing (a sharded client places the prefixed key); never to values, channels or script bodies. `KEYS` and
 *   `SCAN` match under the prefix and return keys without it. Replies that carry key names otherwise (BLPOP's key,
 *   XREAD's stream names, KEYS inside a transaction) carry the full, prefixed name.
 * - Transactions pin one connection, which leaves the rotation until the transaction ends.
 *
 * Interrupting a command, timing it out or closing the layer's scope never desynchronises a connection; closing
 * the scope closes every socket and stops every fiber and timer the client started. Each member of `RedisShape`
 * says what interruption, a timeout and the scope's close do to it.
 *
 * @since 0.1.0
 */
import type { CommandArg, RespValue } from "@fxredis/protocol"
import type { EndpointError, Transport } from "@fxredis/transport"
import { type Config, Context, Effect, Layer, type Scope, type Stream } from "effect"
import type * as C from "./Command.ts"
import * as ClusterImpl from "./internal/cluster.ts"
import type { Value } from "./internal/commands/Strings.ts"
import type { Bound, Table } from "./internal/commands.ts"
import * as Memory from "./internal/memory.ts"
import * as Node from "./internal/node.ts"
import * as ReplicatedImpl from "./internal/replicated.ts"
import { currentTransport, lazyBuild, type Router, server, single } from "./internal/router.ts"
import { makeShape } from "./internal/shape.ts"
import * as ShardedImpl from "./internal/sharded.ts"
import type * as Subscriber from "./internal/subscriber.ts"
import type * as TransactionImpl from "./internal/transaction.ts"
import type { ClusterOptions } from "./RedisCluster.ts"
import * as RedisCluster from "./RedisCluster.ts"
import { type ConnectionError, RedisConfigError, type RedisError } from "./RedisErrors.ts"
import { type RedisOptions, type ResolvedOptions, redisOptionsConfig, resolve } from "./RedisOptions.ts"
import * as RedisReplicated from "./RedisReplicated.ts"
import * as RedisSentinel from "./RedisSentinel.ts"
import type { RedisTestOptions } from "./RedisTest.ts"
import * as Txredisapi from "./Txredisapi.ts"

/**
 * A Lua script with its SHA1: `run` sends `EVALSHA`, and loads the script when the server answers `NOSCRIPT`.
 *
 * @example
 * ```ts
 * import { Redis } from "@fxredis/client"
 * import { Effect } from "effect"
 *
 * const bumpIfBelow = Effect.gen(function* () {
 *   const redis = yield* Redis
 *   const script = redis.script("if tonumber(redis.call('GET', KEYS[1]) or 0) < tonumber(ARGV[1]) then return redis.call('INCR', KEYS[1]) end return false")
 *   return yield* script.run(["counter"], [10])
 * })
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface Script {
  readonly source: string
  readonly sha: string
  readonly run: (keys: ReadonlyArray<string>, args?: ReadonlyArray<CommandArg>) => Effect.Effect<RespValue, RedisError>
}

/**
 * Options of the SCAN family.
 *
 * @example
 * ```ts
 * import { Redis } from "@fxredis/client"
 * import { Stream } from "effect"
 *
 * const sessions = Redis.use((redis) => Stream.runCollect(redis.scan({ match: "session:*", count: 500, type: "hash" })))
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface ScanOptions {
  readonly match?: string | undefined
  readonly count?: number | undefined
  /** SCAN only: keys of this type */
  readonly type?: string | undefined
}

/**
 * Commands on a pinned connection, plus `watch` and `exec`: `exec` sends `MULTI`, the queued commands and `EXEC`
 * in one write and types each reply in order. A command the server rejects while queueing fails the whole
 * transaction (`EXECABORT`: nothing ran); a command that fails while running fails `exec` with its `ReplyError`
 * (the others did run, as Redis does). `exec` fails with `TransactionAbortedError` when a watched key changed.
 *
 * @example
 * ```ts
 * import { Redis } from "@fxredis/client"
 * import { Effect } from "effect"
 *
 * const swap = Redis.use((redis) =>
 *   redis.transaction((tx) =>
 *     Effect.gen(function* () {
 *       yield* tx.watch("a", "b")
 *       return yield* tx.exec((q) => [q.rename("a", "tmp"), q.rename("b", "a"), q.rename("tmp", "b")])
 *     })
 *   )
 * )
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export type Transaction = TransactionImpl.Transaction

/**
 * A pub/sub message.
 *
 * @example
 * ```ts
 * import { Redis } from "@fxredis/client"
 * import { Effect, Stream } from "effect"
 *
 * const log = Redis.use((redis) =>
 *   Stream.runForEach(redis.psubscribe("orders:*"), (m) => Effect.log(`${m.channel}: ${m.message}`))
 * )
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export type Message = Subscriber.Message

/**
 * What a `redis.subscription` listens to: channels (`SUBSCRIBE`), patterns (`PSUBSCRIBE`) and shard channels
 * (`SSUBSCRIBE`, Redis 7), in any mix.
 *
 * @example
 * ```ts
 * import type { SubscriptionOptions } from "@fxredis/client"
 *
 * const orders: SubscriptionOptions = { channels: ["orders"], patterns: ["orders:*"], shardChannels: ["{eu}:orders"] }
 * ```
 *
 * @category models
 * @since 0.2.0
 */
export interface SubscriptionOptions {
  readonly channels?: ReadonlyArray<string> | undefined
  readonly patterns?: ReadonlyArray<string> | undefined
  readonly shardChannels?: ReadonlyArray<string> | undefined
}

/**
 * A subscription held by a Scope (see `RedisShape.subscription`).
 *
 * - It is registered when it is made: messages published from the moment the server has subscribed are kept for
 *   `messages` (in memory, unbounded: consume them), even before `messages` runs.
 * - `subscribed` succeeds once the server has subscribed every name on the subscriber connection's current link:
 *   a message published after it succeeds is delivered (no retries, no sleeps). It can be run at any time: after a
 *   reconnect (when every name is subscribed again) it waits for the re-subscription. It fails with
 *   `CommandTimeoutError` or `ConnectionError` when the server cannot be reached in time.
 * - `messages` is meant for one consumer; it ends when the Scope closes. Closing the Scope unsubscribes.
 *
 * @example
 * ```ts
 * import { Redis } from "@fxredis/client"
 * import { Effect, Fiber, Stream } from "effect"
 *
 * const program = Effect.gen(function* () {
 *   const redis = yield* Redis
 *   const news = yield* redis.subscription({ channels: ["news"] })
 *   yield* news.subscribed // live: what is published from now on is delivered
 *   const firstTwo = yield* Effect.forkChild(Stream.runCollect(Stream.take(news.messages, 2)))
 *   yield* redis.publish("news", "hello")
 *   yield* redis.publish("news", "world")
 *   return yield* Fiber.join(firstTwo)
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category models
 * @since 0.2.0
 */
export interface Subscription {
  readonly messages: Stream.Stream<Message, RedisError>
  readonly subscribed: Effect.Effect<void, RedisError>
}

/**
 * The shape of the `Redis` service.
 *
 * **Details: interruption, timeouts and scope close, for every command** (the typed methods, `send`, `run`,
 * `publish`, `eval`, and each page of a scan):
 *
 * - Interrupted before it is written (while it waits offline, or between its call and the tick's write), a command
 *   is dropped and never reaches the server. Interrupted after it is written, it has run or will run: its reply is
 *   read and discarded, so the connection stays aligned for every other command.
 * - `commandTimeout` (default 10 seconds) bounds the wait for the reply, offline time included: it fails with
 *   `CommandTimeoutError`, whose `sent` says whether the command may have reached the server. Blocking commands
 *   (BLPOP, XREAD BLOCK, …) are bounded by their own timeout argument instead; interrupting one closes its connection.
 * - While the server is down a command waits offline (up to `commandTimeout`, at most `maxOfflineCommands` per
 *   connection) unless `offlineQueue: false`, which fails it at once with `ConnectionError`.
 * - Closing the layer's scope fails every command in flight or waiting with `ConnectionError` (reason `"Closed"`),
 *   closes every socket and stops every fiber and timer of the client; a command issued afterwards fails the same.
 *
 * @example
 * ```ts
 * import { Redis, type RedisShape } from "@fxredis/client"
 * import { Effect } from "effect"
 *
 * const touch = (redis: RedisShape, key: string) => redis.expire(key, "10 minutes")
 * const program = Effect.flatMap(Redis.asEffect(), (redis) => touch(redis, "session:1"))
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface RedisShape extends Bound<Table> {
  /**
   * Any command, its reply as the server sent it. Interruption, timeout and scope close: as every command (above).
   */
  readonly send: (command: string, ...args: ReadonlyArray<CommandArg>) => Effect.Effect<RespValue, RedisError>
  /** Runs a command descriptor (see `Command`); interruption, timeout and scope close as every command (above). */
  readonly run: <A>(command: C.Command<A>) => Effect.Effect<A, RedisError>
  /**
   * Every key, lazily, with `SCAN` (every server's in turn on a sharded or cluster client). Each page is one command
   * (above): interrupting the Stream interrupts the page in flight, and no cursor is held on the server. A key may
   * be listed twice if the keyspace changes meanwhile (SCAN's guarantee).
   */
  readonly scan: (options?: ScanOptions) => Stream.Stream<string, RedisError>
  /** `HSCAN` as a Stream of pairs; each page is one command (see `scan`) */
  readonly hscan: (key: string, options?: ScanOptions) => Stream.Stream<readonly [string, string], RedisError>
  /** `SSCAN` as a Stream; each page is one command (see `scan`) */
  readonly sscan: (key: string, options?: ScanOptions) => Stream.Stream<string, RedisError>
  /** `ZSCAN` as a Stream of members with scores; each page is one command (see `scan`) */
  readonly zscan: (key: string, options?: ScanOptions) => Stream.Stream<C.ScoredMember, RedisError>
  /**
   * A script with its SHA1, run with `EVALSHA`, and with `EVAL` (which also caches it on the server) on `NOSCRIPT`.
   * `run` is one or two commands (above): interrupted between them, the script did not run; a timeout of the `EVAL`
   * leaves unknown whether it ran (`sent: true`). Scripts are cached per client, kept until the scope closes.
   */
  readonly script: (source: string) => Script
  /** `EVAL` through the script cache (see `script`): `EVALSHA`, and on `NOSCRIPT` the full `EVAL` */
  readonly eval: (
    source: string,
    keys: ReadonlyArray<string>,
    args?: ReadonlyArray<CommandArg>
  ) => Effect.Effect<RespValue, RedisError>
  /**
   * Messages on these channels for as long as the Stream runs, on the subscriber connection (re-subscribed after
   * every reconnect; messages published while the link is down are lost, as Redis' pub/sub is at most once).
   * Interrupting the Stream unsubscribes (when no other subscription holds the channel); once the layer's scope is
   * closed the subscriber connection is closed and no message arrives. No timeout applies while it listens.
   */
  readonly subscribe: (...channels: ReadonlyArray<string>) => Stream.Stream<Message, RedisError>
  /** Messages on channels matching these patterns; interruption and scope close as `subscribe` */
  readonly psubscribe: (...patterns: ReadonlyArray<string>) => Stream.Stream<Message, RedisError>
  /**
   * Messages on these shard channels (`SSUBSCRIBE`, Redis 7); on a sharded client each on its channel's shard.
   * Interruption and scope close as `subscribe`.
   */
  readonly ssubscribe: (...shardChannels: ReadonlyArray<string>) => Stream.Stream<Message, RedisError>
  /**
   * A subscription held by the current Scope, with a `subscribed` signal (see `Subscription`): subscribe, await
   * `subscribed`, then publish knowing the message is delivered. Closing that Scope unsubscribes and ends
   * `messages`; `subscribed` is bounded by `commandTimeout` (`CommandTimeoutError`) and may be interrupted freely.
   */
  readonly subscription: (options: SubscriptionOptions) => Effect.Effect<Subscription, never, Scope.Scope>
  /** `PUBLISH`: how many subscribers received the message (on a sharded client, on the channel's shard); a command */
  readonly publish: (channel: string, message: Value) => Effect.Effect<number, RedisError>
  /** `SPUBLISH` (Redis 7): how many shard-channel subscribers received the message; a command */
  readonly spublish: (shardChannel: string, message: Value) => Effect.Effect<number, RedisError>
  /**
   * Runs `body` on one connection that leaves the rotation until it ends (see `Transaction`).
   *
   * - Waiting for a free connection (every one pinned) is interruptible and bounded by `commandTimeout`
   *   (`PoolExhaustedError`); a connection pinned is always released.
   * - However the body ends (success, failure, defect, interruption, a timeout around it), an open `WATCH` is undone
   *   with `UNWATCH` and the connection returns to the rotation. `MULTI`, the queued commands and `EXEC` are written
   *   together, so a connection is never left inside `MULTI`; an `exec` interrupted after its write has run or will
   *   run on the server.
   * - A pin holds one link: if it drops during the transaction, every later command of the body (its `EXEC` too)
   *   fails with `ConnectionError` rather than run without its `WATCH` on a new link.
   * - Closing the layer's scope fails the body's commands with `ConnectionError`.
   */
  readonly transaction: <A, E, R>(
    body: (tx: Transaction) => Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | RedisError, R>
  /** the servers this client talks to (a cluster's primaries: read when asked, they change with its topology) */
  readonly endpoints: ReadonlyArray<string>
  /** the server a key is routed to (always the one server unless sharded); pure, no I/O */
  readonly shardOf: (key: string) => string
  /**
   * Connections of their own, outside the rotation (one per shard when sharded, routed the same way), until
   * `close`: what `effect/persistence/Redis`' `reserve` needs. Opening connects at once (`ConnectionError` when the
   * server cannot be reached); interrupted or failed while it opens, nothing is left open. A
   * dedicated connection keeps its state on one link: after a drop its commands fail with `ConnectionError`. It
   * closes with `close`, or with the client's scope; a cluster client has none yet (`ShardingError`).
   */
  readonly dedicated: Effect.Effect<Dedicated, RedisError>
}

/**
 * A dedicated connection (see `RedisShape.dedicated`).
 *
 * @example
 * ```ts
 * import { Redis } from "@fxredis/client"
 * import { Effect } from "effect"
 *
 * const monitorBriefly = Effect.gen(function* () {
 *   const redis = yield* Redis
 *   const own = yield* redis.dedicated // outside the rotation
 *   yield* own.send("CLIENT", "SETNAME", "worker-1")
 *   yield* own.close
 * })
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface Dedicated {
  /**
   * A command on this connection (routed by its keys when sharded). Interruption and `commandTimeout` as for every
   * command (see `RedisShape`); once the link it opened on drops, it fails with `ConnectionError` (its state is gone).
   */
  readonly send: (command: string, ...args: ReadonlyArray<CommandArg>) => Effect.Effect<RespValue, RedisError>
  /** closes the connection; commands in flight on it fail with `ConnectionError` */
  readonly close: Effect.Effect<void>
}

/**
 * The router `Redis.layer(options)` builds: shards for `endpoints`, else one server (a pool when `poolSize > 1`).
 */
const routerOf = (
  options: RedisOptions,
  lazy: boolean
): Effect.Effect<Router, ConnectionError | EndpointError | RedisConfigError, Scope.Scope> =>
  options !== null && typeof options === "object" && options.endpoints !== undefined
    ? ShardedImpl.make(options, lazy)
    : server(options, lazy)

/**
 * Builds the service from options (validated first): the body of every layer.
 */
const make = (
  options: RedisOptions,
  lazy: boolean
): Effect.Effect<RedisShape, ConnectionError | EndpointError | RedisConfigError, Scope.Scope> =>
  Effect.map(routerOf(options, lazy), (router) => makeShape(router, options.keyPrefix ?? ""))

/** a primary node and, per `readFrom`, replica nodes (always lazy), routed by `internal/replicated.ts` */
const replicatedShape = (
  primary: ResolvedOptions,
  primaryTransport: Transport["Service"],
  replicas: ReadonlyArray<{ readonly options: ResolvedOptions; readonly transport: Transport["Service"] }>,
  readFrom: RedisReplicated.ReadFrom,
  prefix: string,
  lazy: boolean,
  onReadonly?: (() => void) | undefined
): Effect.Effect<RedisShape, ConnectionError, Scope.Scope> =>
  Effect.gen(function* () {
    const primaryNode = yield* Node.make(primary, primaryTransport, lazy)
    const replicaNodes =
      readFrom === "primary"
        ? []
        : yield* Effect.forEach(replicas, (r) => Node.make(r.options, r.transport, true), { concurrency: "unbounded" })
    return makeShape(ReplicatedImpl.make(primaryNode, replicaNodes, readFrom, onReadonly), prefix)
  })

const badReadFrom = (readFrom: unknown) =>
  new RedisConfigError({
    option: "readFrom",
    value: String(readFrom),
    message: `readFrom must be "primary", "replica" or "preferReplica", got ${String(readFrom)}`
  })

const makeSentinel = (
  options: RedisSentinel.SentinelOptions,
  lazy: boolean
): Effect.Effect<RedisShape, ConnectionError | EndpointError | RedisConfigError, Scope.Scope> =>
  Effect.gen(function* () {
    const prepared = yield* RedisSentinel.prepare(options)
    const [resolved] = yield* resolve(prepared.options)
    const prefix = options.keyPrefix ?? ""
    if (prepared.role === "replica") {
      const node = yield* Node.make(
        { ...resolved, name: `sentinel-${options.name}-replica` },
        prepared.replicaTransport,
        lazy
      )
      return makeShape(ReplicatedImpl.make(node, [], "primary"), prefix)
    }
    return yield* replicatedShape(
      resolved,
      prepared.primaryTransport,
      [{ options: { ...resolved, name: `sentinel-${options.name}-replica` }, transport: prepared.replicaTransport }],
      prepared.readFrom,
      prefix,
      lazy,
      prepared.demoted
    )
  })

const makeReplicated = (
  options: RedisReplicated.ReplicatedOptions,
  lazy: boolean
): Effect.Effect<RedisShape, ConnectionError | EndpointError | RedisConfigError, Scope.Scope> =>
  Effect.gen(function* () {
    const { primary, replicas, readFrom, ...rest } = options
    if (readFrom !== undefined && !RedisReplicated.isReadFrom(readFrom)) return yield* badReadFrom(readFrom)
    if (!Array.isArray(replicas)) {
      return yield* configErrorOf("replicas", "an array of servers (URLs or Endpoints)", replicas)
    }
    const [first, ...others] = yield* resolve({ ...rest, endpoints: [primary, ...replicas] })
    const transport = yield* currentTransport
    return yield* replicatedShape(
      first,
      transport,
      others.map((o) => ({ options: o, transport })),
      readFrom ?? "primary",
      options.keyPrefix ?? "",
      lazy
    )
  })

const configErrorOf = (option: string, expected: string, value: unknown) =>
  new RedisConfigError({
    option,
    value: typeof value,
    message: `${option} must be ${expected}, got ${typeof value}`
  })

/**
 * The `Redis` service, with its layers.
 *
 * @example
 * ```ts
 * import { Redis } from "@fxredis/client"
 * import { Effect, Option } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const redis = yield* Redis
 *   yield* redis.set("greeting", "hello", { expire: "1 minute" })
 *   return Option.getOrElse(yield* redis.get("greeting"), () => "none")
 * })
 *
 * Effect.runPromise(program.pipe(Effect.provide(Redis.layer({ endpoint: "unix:///tmp/redis.sock" }))))
 * ```
 *
 * @category services
 * @since 0.1.0
 */
export class Redis extends Context.Service<Redis, RedisShape>()("@fxredis/client/Redis") {
  /**
   * The service value in the current Scope, without a layer (closed with the Scope): eager by default, or
   * `{ lazy: true }`.
   */
  static readonly make = (
    options: RedisOptions = {},
    mode: { readonly lazy?: boolean | undefined } = {}
  ): Effect.Effect<RedisShape, ConnectionError | EndpointError | RedisConfigError, Scope.Scope> =>
    make(options, mode.lazy ?? false)

  /**
   * Connects while the layer is built; fails with `ConnectionError`, or for a bad option with `EndpointError` (the
   * endpoint or URL) or `RedisConfigError` (any other option).
   */
  static readonly layer = (
    options: RedisOptions = {}
  ): Layer.Layer<Redis, ConnectionError | EndpointError | RedisConfigError> => Layer.effect(Redis, make(options, false))

  /**
   * Builds at once and connects in the background, reconnecting for ever (what an HTTP service wants at start-up):
   * commands wait offline until connected, up to `commandTimeout`. Fails only for a bad option (`EndpointError` or
   * `RedisConfigError`).
   */
  static readonly layerLazy = (options: RedisOptions = {}): Layer.Layer<Redis, EndpointError | RedisConfigError> =>
    Layer.effect(Redis, lazyBuild(make(options, true)))

  /**
   * Reads the options from `Config` (by default `redisOptionsConfig`): `REDIS_URL` (default
   * `redis://localhost:6379`), `REDIS_PASSWORD` (redacted), `REDIS_DATABASE`, `REDIS_POOL_SIZE`,
   * `REDIS_COMMAND_TIMEOUT` and `REDIS_CONNECT_TIMEOUT` (a bare number is milliseconds, or a duration such as
   * `"2 seconds"`, or `"infinity"`); lazy unless `lazy: false`.
   */
  static readonly layerConfig = (
    config: Config.Config<RedisOptions> = redisOptionsConfig,
    options: { readonly lazy?: boolean | undefined } = {}
  ): Layer.Layer<Redis, ConnectionError | EndpointError | RedisConfigError | Config.ConfigError> =>
    Layer.effect(
      Redis,
      Effect.gen(function* () {
        return yield* make(yield* config, options.lazy ?? true)
      })
    )

  /**
   * An in-memory fake of the service for unit tests of code that uses `Redis`: no server, no sockets,
   * deterministic, with TTLs and blocking timeouts on Effect's Clock (TestClock in `it.effect`). Each layer built
   * has a keyspace of its own. See `RedisTest` for what it supports.
   */
  static readonly layerTest = (options: RedisTestOptions = {}): Layer.Layer<Redis> =>
    Layer.effect(
      Redis,
      Effect.map(Memory.node, (node) => makeShape(single(node), options.keyPrefix ?? ""))
    )

  /**
   * A Redis Cluster client in the current Scope (see `RedisCluster`): reads the topology from `seeds` and connects
   * to every primary before it returns; fails with `ConnectionError` (every seed unreachable), or for a bad option
   * with `EndpointError` or `RedisConfigError` (also when no seed gives a topology). `{ lazy: true }`: returns at once
   * and reads the topology in the background (see `clusterLazy`).
   */
  static readonly makeCluster = (
    options: ClusterOptions,
    mode: { readonly lazy?: boolean | undefined } = {}
  ): Effect.Effect<RedisShape, ConnectionError | EndpointError | RedisConfigError, Scope.Scope> =>
    Effect.flatMap(currentTransport, (transport) =>
      Effect.map(ClusterImpl.make(options, transport, mode.lazy ?? false), (router) =>
        makeShape(router, options.keyPrefix ?? "")
      )
    )

  /** `makeCluster` as a layer: `Redis.cluster({ seeds: ["redis://10.0.0.5:7000"] })` */
  static readonly cluster = (
    options: ClusterOptions
  ): Layer.Layer<Redis, ConnectionError | EndpointError | RedisConfigError> =>
    Layer.effect(Redis, Redis.makeCluster(options))

  /**
   * A cluster layer that builds at once and reads the topology in the background, from the seeds in turn, retried on
   * `reconnect` (default: for ever): commands issued meanwhile wait for it up to `commandTimeout`, then fail with
   * `CommandTimeoutError` (`sent: false`). Fails only for a bad option (`EndpointError` or `RedisConfigError`).
   *
   * @since 0.3.0
   */
  static readonly clusterLazy = (options: ClusterOptions): Layer.Layer<Redis, EndpointError | RedisConfigError> =>
    Layer.effect(Redis, lazyBuild(Redis.makeCluster(options, { lazy: true })))

  /**
   * A cluster layer from `Config` (by default `RedisCluster.clusterOptionsConfig`: `REDIS_CLUSTER_NODES`, a comma list
   * of `host:port` or URLs, plus `REDIS_PASSWORD`, `REDIS_POOL_SIZE`, `REDIS_READ_FROM`, …); lazy unless `lazy: false`.
   *
   * @since 0.3.0
   */
  static readonly clusterConfig = (
    config: Config.Config<ClusterOptions> = RedisCluster.clusterOptionsConfig,
    options: { readonly lazy?: boolean | undefined } = {}
  ): Layer.Layer<Redis, ConnectionError | EndpointError | RedisConfigError | Config.ConfigError> =>
    Layer.effect(
      Redis,
      Effect.gen(function* () {
        return yield* Redis.makeCluster(yield* config, { lazy: options.lazy ?? true })
      })
    )

  /**
   * A client of a Sentinel-managed deployment in the current Scope (see `RedisSentinel`): each connect asks the
   * sentinels for the primary (or, with `role: "replica"`, a replica) and checks its `ROLE`; failover events drop the
   * links to the old primary. With `readFrom`, readonly commands go to replicas (see `RedisReplicated`). Connects
   * before it returns, like `make`, or in the background with `{ lazy: true }`.
   *
   * @since 0.2.0
   */
  static readonly makeSentinel = (
    options: RedisSentinel.SentinelOptions,
    mode: { readonly lazy?: boolean | undefined } = {}
  ): Effect.Effect<RedisShape, ConnectionError | EndpointError | RedisConfigError, Scope.Scope> =>
    makeSentinel(options, mode.lazy ?? false)

  /**
   * `makeSentinel` as a layer: `Redis.sentinel({ sentinels: ["10.0.0.1:26379"], name: "mymaster" })`. Connects while
   * the layer is built: fails with `ConnectionError` when no sentinel answers or the node it names cannot be used.
   *
   * @since 0.2.0
   */
  static readonly sentinel = (
    options: RedisSentinel.SentinelOptions
  ): Layer.Layer<Redis, ConnectionError | EndpointError | RedisConfigError> =>
    Layer.effect(Redis, makeSentinel(options, false))

  /**
   * `sentinel`, lazy: builds at once and connects in the background, asking the sentinels on every attempt and
   * reconnecting for ever (commands wait offline until connected, up to `commandTimeout`). Fails only for a bad
   * option.
   *
   * @since 0.3.0
   */
  static readonly sentinelLazy = (
    options: RedisSentinel.SentinelOptions
  ): Layer.Layer<Redis, EndpointError | RedisConfigError> => Layer.effect(Redis, lazyBuild(makeSentinel(options, true)))

  /**
   * `sentinel` with its options read from `Config` (by default `RedisSentinel.sentinelOptionsConfig`:
   * `REDIS_SENTINELS`, `REDIS_SENTINEL_NAME`, …); lazy unless `lazy: false`.
   *
   * @since 0.3.0
   */
  static readonly sentinelConfig = (
    config: Config.Config<RedisSentinel.SentinelOptions> = RedisSentinel.sentinelOptionsConfig,
    options: { readonly lazy?: boolean | undefined } = {}
  ): Layer.Layer<Redis, ConnectionError | EndpointError | RedisConfigError | Config.ConfigError> =>
    Layer.effect(
      Redis,
      Effect.gen(function* () {
        return yield* makeSentinel(yield* config, options.lazy ?? true)
      })
    )

  /**
   * A client of a primary with replicas at fixed addresses (no Sentinel) in the current Scope: readonly commands go
   * to the replicas per `readFrom`, everything else to the primary (see `RedisReplicated`). Connects to the primary
   * before it returns (or in the background with `{ lazy: true }`); the replicas always connect in the background.
   *
   * @since 0.3.0
   */
  static readonly makeReplicated = (
    options: RedisReplicated.ReplicatedOptions,
    mode: { readonly lazy?: boolean | undefined } = {}
  ): Effect.Effect<RedisShape, ConnectionError | EndpointError | RedisConfigError, Scope.Scope> =>
    makeReplicated(options, mode.lazy ?? false)

  /**
   * `makeReplicated` as a layer: `Redis.replicated({ primary, replicas, readFrom: "preferReplica" })`.
   *
   * @since 0.3.0
   */
  static readonly replicated = (
    options: RedisReplicated.ReplicatedOptions
  ): Layer.Layer<Redis, ConnectionError | EndpointError | RedisConfigError> =>
    Layer.effect(Redis, makeReplicated(options, false))

  /** txredisapi's `UnixConnection(path="/tmp/redis.sock", dbid=0, reconnect=True)` (see `Txredisapi`) */
  static get unixConnection() {
    return Txredisapi.unixConnection
  }
  /** txredisapi's `Connection(host="localhost", port=6379, dbid=0, reconnect=True)` */
  static get connection() {
    return Txredisapi.connection
  }
  /** txredisapi's `lazyUnixConnection` */
  static get lazyUnixConnection() {
    return Txredisapi.lazyUnixConnection
  }
  /** txredisapi's `lazyConnection` */
  static get lazyConnection() {
    return Txredisapi.lazyConnection
  }
  /** txredisapi's `UnixConnectionPool(path, dbid, poolsize=10, reconnect)` */
  static get unixConnectionPool() {
    return Txredisapi.unixConnectionPool
  }
  /** txredisapi's `ConnectionPool(host, port, dbid, poolsize=10, reconnect)` */
  static get connectionPool() {
    return Txredisapi.connectionPool
  }
  /** txredisapi's `lazyUnixConnectionPool` */
  static get lazyUnixConnectionPool() {
    return Txredisapi.lazyUnixConnectionPool
  }
  /** txredisapi's `lazyConnectionPool` */
  static get lazyConnectionPool() {
    return Txredisapi.lazyConnectionPool
  }
  /** txredisapi's `ShardedUnixConnection(paths, dbid, reconnect)`: a shard per socket, keys by consistent hash */
  static get shardedUnixConnection() {
    return Txredisapi.shardedUnixConnection
  }
  /** txredisapi's `ShardedUnixConnectionPool(paths, dbid, poolsize=10, reconnect)` */
  static get shardedUnixConnectionPool() {
    return Txredisapi.shardedUnixConnectionPool
  }
  /** txredisapi's `ShardedConnection(hosts=["host:port", …], dbid, reconnect)` */
  static get shardedConnection() {
    return Txredisapi.shardedConnection
  }
  /** txredisapi's `ShardedConnectionPool(hosts, dbid, poolsize=10, reconnect)` */
  static get shardedConnectionPool() {
    return Txredisapi.shardedConnectionPool
  }
  /** txredisapi's `lazyShardedUnixConnection` */
  static get lazyShardedUnixConnection() {
    return Txredisapi.lazyShardedUnixConnection
  }
  /** txredisapi's `lazyShardedUnixConnectionPool` */
  static get lazyShardedUnixConnectionPool() {
    return Txredisapi.lazyShardedUnixConnectionPool
  }
  /** txredisapi's `lazyShardedConnection` */
  static get lazyShardedConnection() {
    return Txredisapi.lazyShardedConnection
  }
  /** txredisapi's `lazyShardedConnectionPool` */
  static get lazyShardedConnectionPool() {
    return Txredisapi.lazyShardedConnectionPool
  }
}
