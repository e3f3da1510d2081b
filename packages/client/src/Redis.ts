/**
 * The `Redis` service: typed commands, any command with `send`, scans as Streams, Lua scripts with a cache,
 * pub/sub as Streams, and transactions pinned to one connection; provided by layers for one connection or a pool.
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
 * the scope closes every socket and stops every fiber and timer the client started.
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import type { CommandArg, RespValue } from "@fxredis/protocol"
import { type Endpoint, type EndpointError, Transport } from "@fxredis/transport"
import * as NodeTransport from "@fxredis/transport/NodeTransport"
import {
  type Cause,
  type Config,
  Context,
  Effect,
  Layer,
  Option,
  Queue,
  type Redacted,
  type Scope,
  Stream
} from "effect"
import * as C from "./Command.ts"
import { keys as keyPositions } from "./commands/Catalogue.ts"
import * as ClusterImpl from "./internal/cluster.ts"
import type { Value } from "./internal/commands/Strings.ts"
import { type Bound, bind, type Table } from "./internal/commands.ts"
import { listenGrouped } from "./internal/fanout.ts"
import * as Memory from "./internal/memory.ts"
import * as Node from "./internal/node.ts"
import { commandName, type Transform } from "./internal/pipeline.ts"
import * as ReplicatedImpl from "./internal/replicated.ts"
import type * as Subscriber from "./internal/subscriber.ts"
import * as TransactionImpl from "./internal/transaction.ts"
import type { ClusterOptions } from "./RedisCluster.ts"
import * as RedisCluster from "./RedisCluster.ts"
import {
  type ConnectionError,
  RedisConfigError,
  type RedisError,
  type ReplyError,
  ShardingError
} from "./RedisErrors.ts"
import { type RedisOptions, type ResolvedOptions, redisOptionsConfig, resolve } from "./RedisOptions.ts"
import * as RedisReplicated from "./RedisReplicated.ts"
import * as RedisSentinel from "./RedisSentinel.ts"
import * as RedisSharded from "./RedisSharded.ts"
import type { RedisTestOptions } from "./RedisTest.ts"

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
  /** any command, its reply as the server sent it */
  readonly send: (command: string, ...args: ReadonlyArray<CommandArg>) => Effect.Effect<RespValue, RedisError>
  /** runs a command descriptor (see `Command`) */
  readonly run: <A>(command: C.Command<A>) => Effect.Effect<A, RedisError>
  /** every key, lazily, with `SCAN` */
  readonly scan: (options?: ScanOptions) => Stream.Stream<string, RedisError>
  readonly hscan: (key: string, options?: ScanOptions) => Stream.Stream<readonly [string, string], RedisError>
  readonly sscan: (key: string, options?: ScanOptions) => Stream.Stream<string, RedisError>
  readonly zscan: (key: string, options?: ScanOptions) => Stream.Stream<C.ScoredMember, RedisError>
  /** a script with its SHA1, run with `EVALSHA` and loaded on `NOSCRIPT` */
  readonly script: (source: string) => Script
  /** `EVAL` through the script cache: `EVALSHA`, and on `NOSCRIPT` the full `EVAL` (which also caches the script on the server) */
  readonly eval: (
    source: string,
    keys: ReadonlyArray<string>,
    args?: ReadonlyArray<CommandArg>
  ) => Effect.Effect<RespValue, RedisError>
  /** messages on these channels for as long as the stream runs, on a connection of its own */
  readonly subscribe: (...channels: ReadonlyArray<string>) => Stream.Stream<Message, RedisError>
  /** messages on channels matching these patterns */
  readonly psubscribe: (...patterns: ReadonlyArray<string>) => Stream.Stream<Message, RedisError>
  /** messages on these shard channels (`SSUBSCRIBE`, Redis 7); on a sharded client each on its channel's shard */
  readonly ssubscribe: (...shardChannels: ReadonlyArray<string>) => Stream.Stream<Message, RedisError>
  /**
   * a subscription held by the current Scope, with a `subscribed` signal (see `Subscription`): subscribe, await
   * `subscribed`, then publish knowing the message is delivered
   */
  readonly subscription: (options: SubscriptionOptions) => Effect.Effect<Subscription, never, Scope.Scope>
  /** `PUBLISH`: how many subscribers received the message (on a sharded client, on the channel's shard) */
  readonly publish: (channel: string, message: Value) => Effect.Effect<number, RedisError>
  /** `SPUBLISH` (Redis 7): how many shard-channel subscribers received the message */
  readonly spublish: (shardChannel: string, message: Value) => Effect.Effect<number, RedisError>
  /** runs `body` on one connection that leaves the rotation until it ends (see `Transaction`) */
  readonly transaction: <A, E, R>(
    body: (tx: Transaction) => Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | RedisError, R>
  /** the servers this client talks to */
  readonly endpoints: ReadonlyArray<string>
  /** the server a key is routed to (always the one server unless sharded) */
  readonly shardOf: (key: string) => string
  /**
   * Connections of their own, outside the rotation (one per shard when sharded, routed the same way), until
   * `close`: what `effect/persistence/Redis`' `reserve` needs. They close with the client too.
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
  readonly send: (command: string, ...args: ReadonlyArray<CommandArg>) => Effect.Effect<RespValue, RedisError>
  /** closes the connection; commands in flight on it fail with `ConnectionError` */
  readonly close: Effect.Effect<void>
}

const sha1 = (source: string) => createHash("sha1").update(source).digest("hex")

const scanStream = <A>(
  run: <B>(command: C.Command<B>) => Effect.Effect<B, RedisError>,
  head: ReadonlyArray<CommandArg>,
  options: ScanOptions | undefined,
  items: (raw: Array<string>) => Array<A>
): Stream.Stream<A, RedisError> =>
  Stream.paginate("0", (cursor: string) => {
    const args: Array<CommandArg> = [...head, cursor]
    if (options?.match !== undefined) args.push("MATCH", options.match)
    if (options?.count !== undefined) args.push("COUNT", options.count)
    if (options?.type !== undefined) args.push("TYPE", options.type)
    return Effect.map(run(C.make(args, C.scanPage)), ([next, page]) => [
      items(page),
      next === "0" ? Option.none() : Option.some(next)
    ])
  })

const pairs = (raw: Array<string>): Array<readonly [string, string]> => {
  const out: Array<readonly [string, string]> = []
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i], raw[i + 1]])
  return out
}

const scoredPairs = (raw: Array<string>): Array<C.ScoredMember> =>
  pairs(raw).map(([member, score]) => ({ member, score: parseFloat(score) }))

/** a glob that matches `text` literally (SCAN's MATCH) */
const escapeGlob = (text: string): string => text.replace(/[\\*?[\]]/g, "\\$&")

/**
 * Prepends `prefix` to the key arguments of a command, where the command catalogue locates keys (Redis' key specs:
 * `not_key` arguments such as SPUBLISH's channel are left alone). A command the catalogue does not know, or whose
 * keys cannot be located (the server will reject it), is sent as it is.
 *
 * `KEYS pattern` and `SCAN … [MATCH pattern]` list keys: their pattern is put under the prefix (escaped, so that
 * the prefix matches literally; a SCAN without MATCH gets `MATCH <prefix>*`) and the keys they return are given back
 * without it, so that the client sees the keyspace under its prefix and what it lists can be passed back to it.
 */
const keyPrefixer = (prefix: string) => {
  const bytes = new TextEncoder().encode(prefix)
  const glob = escapeGlob(prefix)
  const add = (arg: CommandArg): CommandArg => {
    if (arg instanceof Uint8Array) {
      const out = new Uint8Array(bytes.length + arg.length)
      out.set(bytes, 0)
      out.set(arg, bytes.length)
      return out
    }
    return prefix + String(arg)
  }
  const strip = (key: RespValue): RespValue => {
    if (typeof key === "string") return key.startsWith(prefix) ? key.slice(prefix.length) : key
    if (key instanceof Uint8Array && key.length >= bytes.length && bytes.every((b, i) => key[i] === b)) {
      return key.subarray(bytes.length)
    }
    return key
  }
  const stripKeys = (value: RespValue): RespValue =>
    Array.isArray(value) ? (value as ReadonlyArray<RespValue>).map(strip) : value
  const listing =
    (transform: Transform, reshape: (value: RespValue) => RespValue): Transform =>
    (value: RespValue, command?: CommandArg) =>
      transform(reshape(value), command)
  const text = (arg: CommandArg | undefined) =>
    typeof arg === "string" ? arg : arg instanceof Uint8Array ? new TextDecoder().decode(arg) : String(arg)
  const word = (arg: CommandArg | undefined) =>
    typeof arg === "string"
      ? arg.toUpperCase()
      : arg instanceof Uint8Array
        ? new TextDecoder().decode(arg).toUpperCase()
        : ""
  return <T extends { readonly args: ReadonlyArray<CommandArg>; readonly transform: Transform }>(command: T): T => {
    const name = word(command.args[0])
    if (name === "KEYS" && command.args.length === 2) {
      return {
        ...command,
        args: ["KEYS", glob + text(command.args[1])],
        transform: listing(command.transform, stripKeys)
      }
    }
    if (name === "SCAN" && command.args.length >= 2) {
      const args = command.args.slice()
      let matched = false
      for (let i = 2; i + 1 < args.length; i += 2) {
        if (word(args[i]) === "MATCH") {
          args[i + 1] = glob + text(args[i + 1])
          matched = true
        }
      }
      if (!matched) args.push("MATCH", `${glob}*`)
      const page = (value: RespValue): RespValue =>
        Array.isArray(value) && value.length === 2 ? [value[0], stripKeys(value[1])] : value
      return { ...command, args, transform: listing(command.transform, page) }
    }
    const at = keyPositions(command.args)
    if (at === undefined || at.length === 0) return command
    const args = command.args.slice()
    for (const i of at) args[i] = add(args[i])
    return { ...command, args }
  }
}

/** The transport to use: a `Transport` in the context, else Node's. */
const currentTransport = Effect.map(Effect.serviceOption(Transport), (t) =>
  Option.getOrElse(t, () => NodeTransport.make)
)

/**
 * Assembles the service from how to run a command.
 *
 * @category constructors
 * @since 0.1.0
 */
const makeShape = (parts: {
  readonly run: (command: C.Command<unknown>) => Effect.Effect<unknown, RedisError>
  /** each server's own `run`, for SCAN over all of them */
  readonly nodes: ReadonlyArray<Node.Node>
  readonly shardOf: (key: string) => string
  /** a sharded client's shard names and placement (its dedicated connections route the same way) */
  readonly ring?: RedisSharded.Options | undefined
  readonly listen: Subscriber.Subscriber["listen"]
  readonly select: (commands: ReadonlyArray<C.Command<unknown>>) => Effect.Effect<TransactionImpl.Selection, RedisError>
  /** `keyPrefix` (empty: none) */
  readonly prefix: string
  /** a client that routes its dedicated connections itself (a cluster's: a connection per primary, by slot) */
  readonly dedicated?: Effect.Effect<ClusterImpl.DedicatedSet, RedisError> | undefined
}): RedisShape => {
  const prefix = parts.prefix
  const prefixed = prefix === "" ? undefined : keyPrefixer(prefix)
  const run = (prefixed === undefined ? parts.run : (command) => parts.run(prefixed(command))) as <A>(
    command: C.Command<A>
  ) => Effect.Effect<A, RedisError>
  const select: typeof parts.select =
    prefixed === undefined
      ? parts.select
      : (commands) =>
          Effect.map(parts.select(commands.map(prefixed)), (selection) => ({
            id: selection.id,
            pin: Effect.map(selection.pin, (pinned) => ({
              ...pinned,
              run: (command: C.Command<unknown>) => pinned.run(prefixed(command)),
              connection: {
                ...pinned.connection,
                runBatch: (commands, binding) => pinned.connection.runBatch(commands.map(prefixed), binding)
              }
            }))
          }))
  const dedicated: Effect.Effect<Dedicated, RedisError> = Effect.gen(function* () {
    const own = parts.dedicated === undefined ? undefined : yield* parts.dedicated
    const opened: Array<Node.Dedicated> = []
    const closeAll = own?.close ?? Effect.forEach(opened, (d) => d.close, { discard: true })
    if (own === undefined) {
      yield* Effect.forEach(parts.nodes, (node) => Effect.map(node.dedicated, (d) => opened.push(d)), {
        discard: true
      }).pipe(Effect.onError(() => closeAll))
    }
    const routed = own?.run ?? (opened.length === 1 ? opened[0].run : RedisSharded.make(opened, parts.ring).run)
    const route = prefixed === undefined ? routed : (command: C.Command<unknown>) => routed(prefixed(command))
    return {
      send: (command, ...args) => route(C.make([command, ...args], C.raw)) as Effect.Effect<RespValue, RedisError>,
      close: closeAll
    }
  })
  const scripts = new Map<string, Script>()
  const script = (source: string): Script => {
    const cached = scripts.get(source)
    if (cached !== undefined) return cached
    const sha = sha1(source)
    const made: Script = {
      source,
      sha,
      run: (keys, args = []) =>
        run(C.make(["EVALSHA", sha, keys.length, ...keys, ...args], C.raw)).pipe(
          Effect.catchIf(
            (e): e is ReplyError => e._tag === "ReplyError" && e.code === "NOSCRIPT",
            () => run(C.make(["EVAL", source, keys.length, ...keys, ...args], C.raw))
          )
        )
    }
    scripts.set(source, made)
    return made
  }
  const stream = (kind: Subscriber.Kind, names: ReadonlyArray<string>) =>
    Stream.callback<Message, RedisError>((queue) =>
      parts.listen(kind, names, (m) => {
        Queue.offerUnsafe(queue, m)
      })
    )
  const subscription = (options: SubscriptionOptions) =>
    Effect.gen(function* () {
      const queue = yield* Queue.unbounded<Message, Cause.Done>()
      yield* Effect.addFinalizer(() => Queue.end(queue))
      const listener = (m: Message) => {
        Queue.offerUnsafe(queue, m)
      }
      const lives: Array<Effect.Effect<void, RedisError>> = []
      const kinds = [
        ["channel", options.channels],
        ["pattern", options.patterns],
        ["shard", options.shardChannels]
      ] as const
      for (const [kind, names] of kinds) {
        if (names !== undefined && names.length > 0) lives.push(yield* parts.listen(kind, names, listener))
      }
      return {
        messages: Stream.fromQueue(queue) as Stream.Stream<Message, RedisError>,
        subscribed: Effect.all(lives, { concurrency: "unbounded", discard: true })
      } satisfies Subscription
    })
  return {
    ...bind(run as (command: C.Command<unknown>) => Effect.Effect<unknown, RedisError>),
    run,
    send: (command, ...args) => run(C.make([command, ...args], C.raw)),
    // every server's keys in turn; with a prefix, SCAN is put under it (see keyPrefixer)
    scan: (options) =>
      Stream.flatMap(
        Stream.fromIterable(parts.nodes),
        (node) =>
          scanStream(
            (prefixed === undefined ? node.run : (command) => node.run(prefixed(command))) as <A>(
              command: C.Command<A>
            ) => Effect.Effect<A, RedisError>,
            ["SCAN"],
            options,
            (raw) => raw
          ),
        { concurrency: 1 }
      ),
    hscan: (key, options) => scanStream(run, ["HSCAN", key], options, pairs),
    sscan: (key, options) => scanStream(run, ["SSCAN", key], options, (raw) => raw),
    zscan: (key, options) => scanStream(run, ["ZSCAN", key], options, scoredPairs),
    script,
    eval: (source, keys, args) => script(source).run(keys, args),
    subscribe: (...channels) => stream("channel", channels),
    psubscribe: (...patterns) => stream("pattern", patterns),
    ssubscribe: (...shardChannels) => stream("shard", shardChannels),
    subscription,
    publish: (channel, message) => run(C.make(["PUBLISH", channel, message], C.number)),
    spublish: (shardChannel, message) => run(C.make(["SPUBLISH", shardChannel, message], C.number)),
    transaction: (body) => TransactionImpl.run(select, body),
    shardOf: prefix === "" ? parts.shardOf : (key) => parts.shardOf(prefix + key),
    dedicated,
    // read when asked: a cluster's primaries change with its topology
    get endpoints() {
      return parts.nodes.map((n) => n.name)
    }
  }
}

/**
 * Builds the service from options (validated first): the body of every layer.
 *
 * @category constructors
 * @since 0.1.0
 */
const make = (
  options: RedisOptions,
  lazy: boolean
): Effect.Effect<RedisShape, ConnectionError | EndpointError | RedisConfigError, Scope.Scope> =>
  Effect.gen(function* () {
    // a named shard ({ name, endpoint }) is resolved by its endpoint; its name only places keys
    const entries = options.endpoints
    const resolved = yield* resolve(
      Array.isArray(entries)
        ? { ...options, endpoints: entries.map((e) => (RedisSharded.isNamed(e) ? e.endpoint : e)) }
        : options
    )
    const ring = resolved.length === 1 ? undefined : yield* shardLayout(options, resolved)
    const prefix = options.keyPrefix ?? "" // validated by resolve
    const transport = yield* currentTransport
    const nodes = yield* Effect.forEach(resolved, (o) => Node.make(o, transport, lazy), { concurrency: "unbounded" })
    if (ring === undefined || nodes.length === 1) {
      const node = nodes[0]
      return makeShape({
        run: node.run,
        nodes,
        shardOf: () => node.name,
        listen: node.subscriber.listen,
        select: () => Effect.succeed({ id: node.name, pin: node.pin }),
        prefix
      })
    }
    const sharded = RedisSharded.make(nodes, ring)
    return makeShape({
      run: sharded.run,
      nodes,
      ring,
      shardOf: (key) => sharded.nodeOf(key).name,
      prefix,
      // a channel (or shard channel) lives on the shard its name routes to, as PUBLISH/SPUBLISH are routed; a
      // pattern may match channels of any shard
      listen: (kind, names, listener) =>
        listenGrouped(kind, names, listener, (name) => (kind === "pattern" ? nodes : [sharded.nodeOf(name)])),
      select: (commands) =>
        Effect.map(sharded.select(commands), (node) =>
          node === undefined
            ? {
                id: undefined,
                pin: Effect.fail(
                  new ShardingError({
                    command: commandName(commands[0]?.args[0]),
                    shards: nodes.map((n) => n.name),
                    message: "a transaction on a sharded client must start with a command that names a key"
                  })
                )
              }
            : { id: node.name, pin: node.pin }
        )
    })
  })

/**
 * The names and placement of a sharded client's shards, checked before anything connects: `placement` must be
 * `"fxredis"` or `"txredisapi"`, names unique and not empty.
 */
const shardLayout = (
  options: RedisOptions,
  resolved: ReadonlyArray<{ readonly endpoint: Endpoint }>
): Effect.Effect<RedisSharded.Options, EndpointError | RedisConfigError> => {
  // `placement` is read structurally until RedisOptions declares it
  const placement: unknown = (options as { readonly placement?: unknown }).placement
  if (placement !== undefined && placement !== "fxredis" && placement !== "txredisapi") {
    return Effect.fail(
      new RedisConfigError({
        option: "placement",
        value: typeof placement === "string" ? placement : typeof placement,
        message: 'placement must be "fxredis" (the default) or "txredisapi"'
      })
    )
  }
  const entries = (options.endpoints ?? []) as ReadonlyArray<string | Endpoint | RedisSharded.NamedEndpoint>
  return Effect.map(
    RedisSharded.shardNames(
      entries,
      resolved.map((r) => r.endpoint),
      placement
    ),
    (names) => ({ names, placement })
  )
}

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
    return makeShape(ReplicatedImpl.make(primaryNode, replicaNodes, readFrom, prefix, onReadonly))
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
      return makeShape(ReplicatedImpl.make(node, [], "primary", prefix))
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
 * The options of the seed's (txredisapi's) constructors.
 *
 * @example
 * ```ts
 * import { Redis } from "@fxredis/client"
 *
 * const RedisLive = Redis.unixConnectionPool({ path: "/tmp/redis.sock", dbid: 1, poolsize: 4, reconnect: true })
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface SeedOptions {
  readonly dbid?: number | undefined
  readonly reconnect?: RedisOptions["reconnect"]
  readonly password?: string | Redacted.Redacted<string> | undefined
  /** sharded constructors: `"txredisapi"` finds keys where txredisapi's `HashRing` put them; default `"fxredis"` */
  readonly placement?: RedisOptions["placement"]
}

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
    Layer.effect(
      Redis,
      make(options, true).pipe(
        Effect.catchTag("ConnectionError", (e) => Effect.die(e)) // unreachable: a lazy build does not connect
      )
    )

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
      Effect.map(Memory.node, (node) =>
        makeShape({
          run: node.run,
          nodes: [node],
          shardOf: () => node.name,
          listen: node.subscriber.listen,
          select: () => Effect.succeed({ id: node.name, pin: node.pin }),
          prefix: options.keyPrefix ?? ""
        })
      )
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
      Effect.map(ClusterImpl.make(options, transport, mode.lazy ?? false), makeShape)
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
    Layer.effect(
      Redis,
      Redis.makeCluster(options, { lazy: true }).pipe(
        Effect.catchTag("ConnectionError", (e) => Effect.die(e)) // unreachable: a lazy build does not connect
      )
    )

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
  ): Layer.Layer<Redis, EndpointError | RedisConfigError> =>
    Layer.effect(
      Redis,
      makeSentinel(options, true).pipe(
        Effect.catchTag("ConnectionError", (e) => Effect.die(e)) // unreachable: a lazy build does not connect
      )
    )

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

  /** txredisapi's `UnixConnection(path="/tmp/redis.sock", dbid=0, reconnect=True)` */
  static readonly unixConnection = (options: UnixSeed = {}) => Redis.layer(seedUnix(options))
  /** txredisapi's `Connection(host="localhost", port=6379, dbid=0, reconnect=True)` */
  static readonly connection = (options: TcpSeed = {}) => Redis.layer(seedTcp(options))
  /** txredisapi's `lazyUnixConnection` */
  static readonly lazyUnixConnection = (options: UnixSeed = {}) => Redis.layerLazy(seedUnix(options))
  /** txredisapi's `lazyConnection` */
  static readonly lazyConnection = (options: TcpSeed = {}) => Redis.layerLazy(seedTcp(options))
  /** txredisapi's `UnixConnectionPool(path, dbid, poolsize=10, reconnect)` */
  static readonly unixConnectionPool = (options: UnixSeed & PoolSeed = {}) =>
    Redis.layer(seedUnix(options, options?.poolsize ?? 10))
  /** txredisapi's `ConnectionPool(host, port, dbid, poolsize=10, reconnect)` */
  static readonly connectionPool = (options: TcpSeed & PoolSeed = {}) =>
    Redis.layer(seedTcp(options, options?.poolsize ?? 10))
  /** txredisapi's `lazyUnixConnectionPool` */
  static readonly lazyUnixConnectionPool = (options: UnixSeed & PoolSeed = {}) =>
    Redis.layerLazy(seedUnix(options, options?.poolsize ?? 10))
  /** txredisapi's `lazyConnectionPool` */
  static readonly lazyConnectionPool = (options: TcpSeed & PoolSeed = {}) =>
    Redis.layerLazy(seedTcp(options, options?.poolsize ?? 10))

  /** txredisapi's `ShardedUnixConnection(paths, dbid, reconnect)`: a shard per socket, keys by consistent hash */
  static readonly shardedUnixConnection = (options: SeedOptions & { readonly paths: ReadonlyArray<string> }) =>
    Redis.layer(sharded(listOf(options?.paths, unixEndpoint), options))
  /** txredisapi's `ShardedUnixConnectionPool(paths, dbid, poolsize=10, reconnect)` */
  static readonly shardedUnixConnectionPool = (
    options: SeedOptions & { readonly paths: ReadonlyArray<string>; readonly poolsize?: number | undefined }
  ) => Redis.layer(sharded(listOf(options?.paths, unixEndpoint), options, options?.poolsize ?? 10))
  /** txredisapi's `ShardedConnection(hosts=["host:port", …], dbid, reconnect)` */
  static readonly shardedConnection = (options: SeedOptions & { readonly hosts: ReadonlyArray<string> }) =>
    Redis.layer(sharded(listOf(options?.hosts, tcpEndpoint), options))
  /** txredisapi's `ShardedConnectionPool(hosts, dbid, poolsize=10, reconnect)` */
  static readonly shardedConnectionPool = (
    options: SeedOptions & { readonly hosts: ReadonlyArray<string>; readonly poolsize?: number | undefined }
  ) => Redis.layer(sharded(listOf(options?.hosts, tcpEndpoint), options, options?.poolsize ?? 10))
  /** txredisapi's `lazyShardedUnixConnection` */
  static readonly lazyShardedUnixConnection = (options: SeedOptions & { readonly paths: ReadonlyArray<string> }) =>
    Redis.layerLazy(sharded(listOf(options?.paths, unixEndpoint), options))
  /** txredisapi's `lazyShardedUnixConnectionPool` */
  static readonly lazyShardedUnixConnectionPool = (
    options: SeedOptions & { readonly paths: ReadonlyArray<string>; readonly poolsize?: number | undefined }
  ) => Redis.layerLazy(sharded(listOf(options?.paths, unixEndpoint), options, options?.poolsize ?? 10))
  /** txredisapi's `lazyShardedConnection` */
  static readonly lazyShardedConnection = (options: SeedOptions & { readonly hosts: ReadonlyArray<string> }) =>
    Redis.layerLazy(sharded(listOf(options?.hosts, tcpEndpoint), options))
  /** txredisapi's `lazyShardedConnectionPool` */
  static readonly lazyShardedConnectionPool = (
    options: SeedOptions & { readonly hosts: ReadonlyArray<string>; readonly poolsize?: number | undefined }
  ) => Redis.layerLazy(sharded(listOf(options?.hosts, tcpEndpoint), options, options?.poolsize ?? 10))
}

type UnixSeed = SeedOptions & { readonly path?: string | undefined }
type TcpSeed = SeedOptions & { readonly host?: string | undefined; readonly port?: number | undefined }
type PoolSeed = { readonly poolsize?: number | undefined }
const seedUnix = (given: UnixSeed | null, poolSize?: number) => {
  const options = given ?? {}
  return seed({ _tag: "Unix", path: options.path ?? "/tmp/redis.sock" }, options, poolSize)
}
const seedTcp = (given: TcpSeed | null, poolSize?: number) => {
  const options = given ?? {}
  return seed({ _tag: "Tcp", host: options.host ?? "localhost", port: options.port ?? 6379 }, options, poolSize)
}

/**
 * The endpoints of a seed's `paths` or `hosts`. Whatever a JavaScript caller passed that is not a list of strings is
 * handed on as it is, so that resolving the options fails with a typed `EndpointError` (never a throw here).
 */
const listOf = (list: unknown, endpoint: (s: string) => Endpoint): ReadonlyArray<Endpoint> =>
  (Array.isArray(list)
    ? list.map((item: unknown) => (typeof item === "string" ? endpoint(item) : item))
    : (list ?? null)) as ReadonlyArray<Endpoint>

const unixEndpoint = (path: string): Endpoint => ({ _tag: "Unix", path })
/** "host:port" (or "host", port 6379); a bad port is caught when the options are resolved */
const tcpEndpoint = (hostPort: string): Endpoint => {
  const at = hostPort.lastIndexOf(":")
  return at < 0
    ? { _tag: "Tcp", host: hostPort, port: 6379 }
    : { _tag: "Tcp", host: hostPort.slice(0, at).replace(/^\[(.*)\]$/, "$1"), port: Number(hostPort.slice(at + 1)) }
}

const sharded = (endpoints: ReadonlyArray<Endpoint>, given: SeedOptions | undefined, poolSize?: number) => ({
  ...seedOptions({ endpoints }, given ?? {}, poolSize),
  placement: given?.placement
})

const seed = (endpoint: Endpoint, options: SeedOptions, poolSize?: number) =>
  seedOptions({ endpoint }, options, poolSize)

const seedOptions = (
  where: Pick<RedisOptions, "endpoint" | "endpoints">,
  options: SeedOptions,
  poolSize?: number
): RedisOptions => ({
  ...where,
  database: options.dbid ?? 0,
  reconnect: options.reconnect ?? true,
  password: options.password,
  poolSize
})
