/**
 * The facade: `makeShape` turns a router (see `router.ts`) into the `Redis` service. Everything here is the same for
 * every shape: the typed methods, `send` and `run`, the key prefix, the script cache, the SCAN Streams, the pub/sub
 * Streams and subscriptions, transactions (on the router's pin) and dedicated connections (the router's, prefixed).
 *
 * `run` is the router's own `run` (or, with a key prefix, one function call before it): no Effect is added per
 * command.
 *
 * @internal
 */
import { createHash } from "node:crypto"
import type { CommandArg, RespValue } from "@fxredis/protocol"
import { type Cause, Effect, Option, Queue, Stream } from "effect"
import * as C from "../Command.ts"
import { keys as keyPositions } from "../commands/Catalogue.ts"
import type {
  Dedicated,
  Message,
  RedisShape,
  ScanOptions,
  Script,
  Subscription,
  SubscriptionOptions
} from "../Redis.ts"
import type { RedisError, ReplyError } from "../RedisErrors.ts"
import { bind } from "./commands.ts"
import type { Transform } from "./pipeline.ts"
import type { Router } from "./router.ts"
import type * as Subscriber from "./subscriber.ts"
import * as TransactionImpl from "./transaction.ts"

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

/**
 * The `Redis` service of a router; `prefix` is the validated `keyPrefix` (empty: none).
 *
 * @internal
 */
export const makeShape = (router: Router, prefix: string): RedisShape => {
  const prefixed = prefix === "" ? undefined : keyPrefixer(prefix)
  const run = (prefixed === undefined ? router.run : (command) => router.run(prefixed(command))) as <A>(
    command: C.Command<A>
  ) => Effect.Effect<A, RedisError>
  const select: Router["select"] =
    prefixed === undefined
      ? router.select
      : (commands) =>
          Effect.map(router.select(commands.map(prefixed)), (selection) => ({
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
  const dedicated: Effect.Effect<Dedicated, RedisError> = Effect.map(router.dedicated, (opened) => {
    const route = prefixed === undefined ? opened.run : (command: C.Command<unknown>) => opened.run(prefixed(command))
    return {
      send: (command, ...args) => route(C.make([command, ...args], C.raw)) as Effect.Effect<RespValue, RedisError>,
      close: opened.close
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
      router.listen(kind, names, (m) => {
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
        if (names !== undefined && names.length > 0) lives.push(yield* router.listen(kind, names, listener))
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
        Stream.fromIterable(router.nodes),
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
    shardOf: prefix === "" ? router.shardOf : (key) => router.shardOf(prefix + key),
    dedicated,
    // read when asked: a cluster's primaries change with its topology
    get endpoints() {
      return router.nodes.map((n) => n.name)
    }
  }
}
