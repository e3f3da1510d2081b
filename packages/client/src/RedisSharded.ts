/**
 * Client-side sharding over several independent Redis servers (txredisapi's `ShardedConnection`): each key is
 * placed on a shard by a consistent hash ring of its hash tag, and each command is routed by the keys Redis
 * declares for it (the command catalogue's key specs, the table of `COMMAND INFO`).
 *
 * - A command whose keys all live on one shard goes to that shard (`ZUNIONSTORE dest 2 a b`, `BITOP AND dest a b`,
 *   `XGROUP CREATE stream g $`, `LMPOP 2 a b LEFT`, `WATCH a b`… by all their keys).
 * - MGET, MSET, DEL, UNLINK, EXISTS and TOUCH are split per shard, sent concurrently and reassembled in the
 *   caller's order (counts summed). A split command is not atomic across shards: if one shard fails, the command
 *   fails with that error although the other shards may have applied their part.
 * - Any other command whose keys live on different shards (RENAME, SMOVE, ZUNIONSTORE, EVAL, a transaction…)
 *   fails with `ShardingError` before anything is sent. Use hash tags (`{user:1}:name`, `{user:1}:email`) to keep
 *   related keys together.
 * - PING, DBSIZE (summed), FLUSHDB, FLUSHALL, KEYS (merged) and SCRIPT LOAD/EXISTS/FLUSH go to every shard; SCAN is
 *   one merged Stream (`redis.scan()`); other commands without a key (INFO, TIME, SELECT, CLIENT…, EVAL with no
 *   key) fail with `ShardingError`, and so does a command the catalogue does not know (a module's): it is never
 *   guessed.
 * - Shards have names, and the ring hashes names, not addresses: by default `shard-0`, `shard-1`… by position in
 *   `endpoints`, so spelling a host differently or reaching a server over UNIX instead of TCP places every key the
 *   same. Name them (`{ name, endpoint }`) to reorder, remove or replace servers freely.
 * - `placement: "txredisapi"` places keys exactly as txredisapi's `HashRing` does, for data written by it.
 * - A shard that is down fails only the commands routed to it; the ring never moves keys to another shard (that
 *   would split the data), so its keys fail (typed) until it is back.
 *
 * @since 0.1.0
 */
import type { CommandArg } from "@fxredis/protocol"
import { type Endpoint, EndpointError } from "@fxredis/transport"
import { Config, Effect, Layer, Option, type Scope } from "effect"
import type * as C from "./Command.ts"
import { runBroadcast, runSplit } from "./internal/fanout.ts"
import { hashTag, routing } from "./internal/keys.ts"
import * as Memory from "./internal/memory.ts"
import type { Node } from "./internal/node.ts"
import { commandName } from "./internal/pipeline.ts"
import { lazyBuild, refuseShapeOptions } from "./internal/router.ts"
import { makeShape } from "./internal/shape.ts"
import * as ShardedImpl from "./internal/sharded.ts"
import { Redis, type RedisShape } from "./Redis.ts"
import { type ConnectionError, type RedisConfigError, type RedisError, ShardingError } from "./RedisErrors.ts"
import { type RedisOptions, redisOptionsConfig, resolve } from "./RedisOptions.ts"

/** What routing needs of a server. */
type Routable = Pick<Node, "name" | "run">

/**
 * How keys are placed on shards.
 *
 * - `"fxredis"` (the default): a ring of 160 points per shard placed by MurmurHash3 of the shard's name; a key is
 *   hashed by its Redis hash tag (the text in the first non-empty `{…}`).
 * - `"txredisapi"`: byte for byte txredisapi's `HashRing` — 160 points per shard at CRC-32 of `"<name>:<i>"`, a key
 *   hashed by CRC-32 of its UTF-8 bytes, or of txredisapi's tag: the text between the last `{` that is not the
 *   first character and the last `}` after it, on the key's first line (`user{1}:name` → `1`; `{user:1}:name` is
 *   hashed whole). Shard names default to what txredisapi hashed: `host:port` as written, or the socket path.
 *
 * @example
 * ```ts
 * import { Redis } from "@fxredis/client"
 *
 * // the data a txredisapi ShardedConnection(["cache-a:6379", "cache-b:6379"]) wrote is found where it is
 * const RedisLive = Redis.layer({
 *   endpoints: ["redis://cache-a:6379", "redis://cache-b:6379"],
 *   placement: "txredisapi"
 * })
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export type Placement = "fxredis" | "txredisapi"

/**
 * A shard with a name of its own: the ring hashes the name, so the server behind it can move (another host, UNIX
 * instead of TCP) without moving any key, and shards can be listed in any order.
 *
 * @example
 * ```ts
 * import { Redis } from "@fxredis/client"
 *
 * const RedisLive = Redis.layer({
 *   endpoints: [
 *     { name: "users", endpoint: "redis://10.0.0.5:6379" },
 *     { name: "sessions", endpoint: "unix:///var/run/redis/sessions.sock" }
 *   ]
 * })
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface NamedEndpoint {
  readonly name: string
  readonly endpoint: string | Endpoint
}

/**
 * How a sharded client is set up: the shards' names (in the order of its servers) and the placement.
 *
 * @example
 * ```ts
 * import { RedisSharded } from "@fxredis/client"
 * import { Effect } from "effect"
 *
 * const servers = ["10.0.0.5:6379", "10.0.0.6:6379"].map((name) => ({ name, run: () => Effect.void }))
 * const ring = RedisSharded.make(servers, { names: ["users", "sessions"] })
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface Options {
  /** one per server, unique; default `shard-0`, `shard-1`… (`"txredisapi"`: the servers' own names) */
  readonly names?: ReadonlyArray<string> | undefined
  readonly placement?: Placement | undefined
}

// ---------------------------------------------------------------------------------------------------------------
// fxredis' ring
// ---------------------------------------------------------------------------------------------------------------

/** MurmurHash3 (x86, 32-bit) of a string's UTF-16 code units: fast and well mixed. */
const murmur3 = (key: string, seed = 0): number => {
  let h = seed >>> 0
  const length = key.length
  let i = 0
  for (; i + 1 < length; i += 2) {
    let k = (key.charCodeAt(i) & 0xffff) | ((key.charCodeAt(i + 1) & 0xffff) << 16)
    k = Math.imul(k, 0xcc9e2d51)
    k = (k << 15) | (k >>> 17)
    k = Math.imul(k, 0x1b873593)
    h ^= k
    h = (h << 13) | (h >>> 19)
    h = (Math.imul(h, 5) + 0xe6546b64) | 0
  }
  if (i < length) {
    let k = key.charCodeAt(i) & 0xffff
    k = Math.imul(k, 0xcc9e2d51)
    k = (k << 15) | (k >>> 17)
    k = Math.imul(k, 0x1b873593)
    h ^= k
  }
  h ^= length
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** virtual points per shard on the ring (txredisapi's `replicas` too) */
const POINTS = 160

/**
 * A consistent hash ring: each shard owns `POINTS` points placed by MurmurHash3 of `name#i`; a key belongs to the
 * first point at or after its own hash. Effect's `HashRing` hashes with a djb2-style function that clusters short,
 * similar names (we measured 2% of 100,000 keys on one of three shards), so the ring is ours.
 */
const fxredisRing = <N>(nodes: ReadonlyArray<N>, names: ReadonlyArray<string>): ((key: CommandArg) => N) => {
  const points: Array<{ readonly hash: number; readonly node: N }> = []
  nodes.forEach((node, n) => {
    for (let i = 0; i < POINTS; i++) points.push({ hash: murmur3(`${names[n]}#${i}`), node })
  })
  points.sort((a, b) => a.hash - b.hash)
  const hashes = Uint32Array.from(points.map((p) => p.hash))
  return (key) => {
    const h = murmur3(hashTag(key))
    let lo = 0
    let hi = hashes.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (hashes[mid] < h) lo = mid + 1
      else hi = mid
    }
    return points[lo === hashes.length ? 0 : lo].node
  }
}

// ---------------------------------------------------------------------------------------------------------------
// txredisapi's ring, reimplemented from its description (see `Placement`)
// ---------------------------------------------------------------------------------------------------------------

const CRC32_TABLE = (() => {
  const table = new Int32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c
  }
  return table
})()

/** zlib's CRC-32 of `bytes[start, end)`, as a signed 32-bit integer (what Python 2's `zlib.crc32` returns) */
const crc32 = (bytes: Uint8Array, start = 0, end = bytes.length): number => {
  let c = -1
  for (let i = start; i < end; i++) c = CRC32_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8)
  return ~c
}

const encoder = new TextEncoder()
const bytesOf = (key: CommandArg): Uint8Array =>
  key instanceof Uint8Array ? key : encoder.encode(typeof key === "string" ? key : String(key))

/**
 * CRC-32 of the part of a key txredisapi hashes: it matches `.+\{(.*)\}.*` from the start of the key, where `.` is
 * any byte but a newline — so, on the first line, the last `{` after at least one byte that has a `}` after it,
 * up to the last `}`; the whole key when there is none. An empty tag is hashed as the empty string.
 */
const txredisapiHash = (key: CommandArg): number => {
  const bytes = bytesOf(key)
  let line = bytes.indexOf(10)
  if (line < 0) line = bytes.length
  const close = line < 2 ? -1 : bytes.lastIndexOf(125, line - 1)
  if (close > 1) {
    const open = bytes.lastIndexOf(123, close - 1)
    if (open >= 1) return crc32(bytes, open + 1, close)
  }
  return crc32(bytes)
}

/**
 * txredisapi's `HashRing`: point `i` of a node at CRC-32 of `"<name>:<i>"`; a key goes to the first point strictly
 * after its hash (Python's `bisect`), and past the last point to the last point (not around the ring); when two
 * points collide the node added later owns both.
 */
const txredisapiRing = <N>(nodes: ReadonlyArray<N>, names: ReadonlyArray<string>): ((key: CommandArg) => N) => {
  const owners = new Map<number, N>()
  const all: Array<number> = []
  nodes.forEach((node, n) => {
    for (let i = 0; i < POINTS; i++) {
      const point = crc32(encoder.encode(`${names[n]}:${i}`))
      owners.set(point, node)
      all.push(point)
    }
  })
  const points = Int32Array.from(all).sort()
  const byIndex = Array.from(points, (p) => owners.get(p) as N)
  return (key) => {
    const h = txredisapiHash(key)
    let lo = 0
    let hi = points.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (points[mid] <= h) lo = mid + 1
      else hi = mid
    }
    return byIndex[Math.min(lo, points.length - 1)]
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Shard names
// ---------------------------------------------------------------------------------------------------------------

/**
 * The name txredisapi hashed for a server: `host:port` as written (`ShardedConnection(["localhost:6379"])`), or the
 * socket path (`ShardedUnixConnection(["/tmp/redis.sock"])`).
 *
 * @example
 * ```ts
 * import { RedisSharded } from "@fxredis/client"
 *
 * RedisSharded.txredisapiName({ _tag: "Tcp", host: "localhost", port: 6379 }) // "localhost:6379"
 * RedisSharded.txredisapiName({ _tag: "Unix", path: "/tmp/redis.sock" }) // "/tmp/redis.sock"
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const txredisapiName = (endpoint: Endpoint): string =>
  endpoint._tag === "Unix" ? endpoint.path : `${endpoint.host}:${endpoint.port}`

/**
 * Whether an entry of `endpoints` names its shard.
 *
 * @example
 * ```ts
 * import { RedisSharded } from "@fxredis/client"
 *
 * RedisSharded.isNamed({ name: "users", endpoint: "redis://10.0.0.5:6379" }) // true
 * RedisSharded.isNamed("redis://10.0.0.5:6379") // false
 * ```
 *
 * @category guards
 * @since 0.1.0
 */
export const isNamed = (entry: string | Endpoint | NamedEndpoint): entry is NamedEndpoint =>
  typeof entry === "object" && entry !== null && "endpoint" in entry && "name" in entry

/**
 * The names of the shards of `endpoints` (resolved to `servers`, in the same order): each entry's own name, else
 * `shard-<position>` (`"txredisapi"`: `txredisapiName` of the server). Fails with `EndpointError` on an empty or
 * repeated name.
 *
 * @example
 * ```ts
 * import { RedisSharded } from "@fxredis/client"
 *
 * const names = RedisSharded.shardNames(
 *   ["redis://a:6379", { name: "b", endpoint: "redis://b:6379" }],
 *   [{ _tag: "Tcp", host: "a", port: 6379 }, { _tag: "Tcp", host: "b", port: 6379 }],
 *   "fxredis"
 * ) // Effect succeeding with ["shard-0", "b"]
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const shardNames = (
  endpoints: ReadonlyArray<string | Endpoint | NamedEndpoint>,
  servers: ReadonlyArray<Endpoint>,
  placement: Placement = "fxredis"
): Effect.Effect<ReadonlyArray<string>, EndpointError> => {
  const names = endpoints.map((entry, i) =>
    isNamed(entry) ? entry.name : placement === "txredisapi" ? txredisapiName(servers[i]) : `shard-${i}`
  )
  const seen = new Set<string>()
  for (const [i, name] of names.entries()) {
    if (typeof name !== "string" || name === "") {
      return Effect.fail(
        new EndpointError({ input: `endpoints[${i}].name`, message: "a shard's name must not be empty" })
      )
    }
    if (seen.has(name)) {
      return Effect.fail(
        new EndpointError({
          input: `endpoints[${i}].name=${name}`,
          message: `two shards are named "${name}": each shard needs a name of its own`
        })
      )
    }
    seen.add(name)
  }
  return Effect.succeed(names)
}

// ---------------------------------------------------------------------------------------------------------------
// Routing
// ---------------------------------------------------------------------------------------------------------------

/**
 * The routing table of a sharded client.
 *
 * @example
 * ```ts
 * import { RedisSharded } from "@fxredis/client"
 * import { Effect } from "effect"
 *
 * const ring: RedisSharded.Sharded<{ name: string; run: () => Effect.Effect<void> }> = RedisSharded.make(
 *   ["a", "b"].map((name) => ({ name, run: () => Effect.void }))
 * )
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface Sharded<N extends Routable = Node> {
  readonly nodes: ReadonlyArray<N>
  /** the shards' names, in the order of `nodes` (what the ring hashes) */
  readonly names: ReadonlyArray<string>
  readonly placement: Placement
  /** the node a key lives on (by its hash tag) */
  readonly nodeOf: (key: CommandArg) => N
  readonly run: (command: C.Command<unknown>) => Effect.Effect<unknown, RedisError>
  /**
   * The one node that can run these commands together (a transaction): the owner of all their keys; `undefined`
   * when none names a key (an empty list, PING). Fails with `ShardingError` when the keys span shards, or a
   * command cannot be routed or would need every shard.
   */
  readonly select: (commands: ReadonlyArray<C.Command<unknown>>) => Effect.Effect<N | undefined, ShardingError>
}

const refuse = (args: ReadonlyArray<CommandArg>, shards: ReadonlyArray<string>, message: string) =>
  Effect.fail(new ShardingError({ command: commandName(args[0]), shards: [...shards], message }))

const spread = "its keys live on different shards (use a hash tag such as {user:1} to keep them together)"

/**
 * Routes commands over `nodes`, placing keys by the shards' names (default `shard-0`, `shard-1`…: by position).
 *
 * @example
 * ```ts
 * import { RedisSharded } from "@fxredis/client"
 * import { Effect } from "effect"
 *
 * const servers = ["a", "b", "c"].map((name) => ({ name, run: () => Effect.void }))
 * const ring = RedisSharded.make(servers)
 * ring.nodeOf("{user:1}:name").name === ring.nodeOf("{user:1}:email").name // true: same hash tag
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = <N extends Routable>(nodes: ReadonlyArray<N>, options: Options = {}): Sharded<N> => {
  const placement = options.placement ?? "fxredis"
  const names = options.names ?? nodes.map((node, i) => (placement === "txredisapi" ? node.name : `shard-${i}`))
  const nodeOf = placement === "txredisapi" ? txredisapiRing(nodes, names) : fxredisRing(nodes, names)
  const servers = nodes.map((n) => n.name)

  const run = (command: C.Command<unknown>): Effect.Effect<unknown, RedisError> => {
    const args = command.args
    const route = routing(args)
    switch (route._tag) {
      case "Keys": {
        const node = nodeOf(args[route.indexes[0]])
        for (let i = 1; i < route.indexes.length; i++) {
          if (nodeOf(args[route.indexes[i]]) !== node) {
            return refuse(args, [...new Set(route.indexes.map((j) => nodeOf(args[j]).name))], spread)
          }
        }
        return node.run(command)
      }
      case "Split":
        return runSplit(
          command,
          route,
          (i) => nodeOf(args[i]),
          (node, c) => node.run(c)
        )
      case "Broadcast":
        return runBroadcast(command, route, nodes, (node, c) => node.run(c))
      case "Refused":
        return refuse(args, servers, route.message)
    }
  }

  const select = (commands: ReadonlyArray<C.Command<unknown>>): Effect.Effect<N | undefined, ShardingError> => {
    const owners = new Set<N>()
    for (const command of commands) {
      const args = command.args
      const route = routing(args)
      switch (route._tag) {
        case "Keys":
          for (const i of route.indexes) owners.add(nodeOf(args[i]))
          break
        case "Split":
          for (let i = 1; i < args.length; i += route.step) owners.add(nodeOf(args[i]))
          break
        case "Broadcast":
          // PING, SCRIPT LOAD: harmless on the transaction's shard; DBSIZE, KEYS, FLUSHDB would answer for one shard
          if (route.combine !== "first") {
            return refuse(
              args,
              servers,
              "in a transaction it would reach one shard only, but it is meant for every shard"
            )
          }
          break
        case "Refused":
          return refuse(args, servers, route.message)
      }
    }
    if (owners.size > 1) {
      return refuse(
        commands[0]?.args ?? [],
        [...owners].map((n) => n.name),
        "a transaction runs on one shard: its keys live on different shards (use a hash tag such as {user:1})"
      )
    }
    return Effect.succeed(owners.values().next().value)
  }

  return { nodes, names, placement, nodeOf, run, select }
}

/**
 * How a sharded client routes a command line, from the command catalogue's key specs: its keys' positions, a split
 * (MGET, MSET, DEL…), a broadcast (PING, DBSIZE…), or why it is refused before anything is sent. Exposed for
 * inspection and tests; the client applies it to every command.
 */
export { routing } from "./internal/keys.ts"

// ---------------------------------------------------------------------------------------------------------------
// The shape: options and layers
// ---------------------------------------------------------------------------------------------------------------

/**
 * The options of a sharded client: its shards (`endpoints`: URLs, `Endpoint`s or named shards, see
 * `NamedEndpoint`), `placement`, `poolSize` (connections per shard, default 1) and every other `RedisOptions` field
 * (they apply to every shard). `endpoint` is refused (`RedisConfigError`): the shape is chosen by the module.
 *
 * @example
 * ```ts
 * import type { RedisSharded } from "@fxredis/client"
 *
 * const options: RedisSharded.RedisShardedOptions = {
 *   endpoints: [{ name: "users", endpoint: "redis://10.0.0.5:6379" }, { name: "sessions", endpoint: "redis://10.0.0.6:6379" }],
 *   poolSize: 2
 * }
 * ```
 *
 * @category models
 * @since 0.4.0
 */
export interface RedisShardedOptions extends Omit<RedisOptions, "endpoint" | "endpoints"> {
  /** the shards, at least one; the ring hashes their names (see `NamedEndpoint`) */
  readonly endpoints: ReadonlyArray<string | Endpoint | NamedEndpoint>
}

/**
 * The sharded service in the current Scope (closed with it). Eager by default: connects to every shard before it
 * succeeds, or fails with `ConnectionError`; `{ lazy: true }` succeeds at once and connects in the background. A bad
 * option fails with `EndpointError` (an endpoint, a shard's name, no `endpoints`) or `RedisConfigError` (any other:
 * `placement`, `endpoint`, …). One endpoint makes a client of that one server.
 *
 * @example
 * ```ts
 * import { RedisSharded } from "@fxredis/client"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function* () {
 *   const redis = yield* RedisSharded.makeClient({ endpoints: ["redis://10.0.0.5:6379", "redis://10.0.0.6:6379"] })
 *   return redis.shardOf("user:1")
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category constructors
 * @since 0.4.0
 */
export const makeClient = (
  options: RedisShardedOptions,
  mode: { readonly lazy?: boolean | undefined } = {}
): Effect.Effect<RedisShape, ConnectionError | EndpointError | RedisConfigError, Scope.Scope> =>
  Effect.suspend(() => {
    const refused = refuseShapeOptions(options, ["endpoint"], "RedisSharded", "its servers are `endpoints`")
    if (refused !== undefined) return Effect.fail(refused)
    if (typeof options === "object" && options !== null && options.endpoints === undefined) {
      return Effect.fail(
        new EndpointError({ input: "endpoints", message: "RedisSharded needs endpoints: a list of its shards" })
      )
    }
    return Effect.map(ShardedImpl.make(options as RedisOptions, mode.lazy ?? false), (router) =>
      makeShape(router, options.keyPrefix ?? "")
    )
  })

/**
 * The `Redis` service over shards, connected to every shard while the layer is built: fails with `ConnectionError`
 * when a shard cannot be reached, or for a bad option.
 *
 * @example
 * ```ts
 * import { Redis, RedisSharded } from "@fxredis/client"
 * import { Effect } from "effect"
 *
 * const program = Redis.use((redis) => redis.mget(["user:1", "user:2"]))
 * const RedisLive = RedisSharded.layer({ endpoints: ["redis://10.0.0.5:6379", "redis://10.0.0.6:6379"] })
 * Effect.runPromise(program.pipe(Effect.provide(RedisLive)))
 * ```
 *
 * @category layers
 * @since 0.4.0
 */
export const layer = (
  options: RedisShardedOptions
): Layer.Layer<Redis, ConnectionError | EndpointError | RedisConfigError> => Layer.effect(Redis, makeClient(options))

/**
 * `layer` that builds at once and connects to the shards in the background, reconnecting for ever: commands wait
 * offline for their shard, up to `commandTimeout`. Fails only for a bad option.
 *
 * @example
 * ```ts
 * import { RedisSharded } from "@fxredis/client"
 *
 * const RedisLive = RedisSharded.layerLazy({ endpoints: ["redis://10.0.0.5:6379", "redis://10.0.0.6:6379"] })
 * ```
 *
 * @category layers
 * @since 0.4.0
 */
export const layerLazy = (options: RedisShardedOptions): Layer.Layer<Redis, EndpointError | RedisConfigError> =>
  Layer.effect(Redis, lazyBuild(makeClient(options, { lazy: true })))

const optional = <A>(config: Config.Config<A>) => config.pipe(Config.option, Config.map(Option.getOrUndefined))

/**
 * What `layerConfig` reads by default: `REDIS_URLS`, the shards (URLs, or `host:port`, separated by commas or spaces;
 * required), `REDIS_PLACEMENT` (`fxredis` or `txredisapi`), and the rest of `redisOptionsConfig` but `REDIS_URL`
 * (`REDIS_PASSWORD`, `REDIS_DATABASE`, `REDIS_POOL_SIZE` per shard, `REDIS_COMMAND_TIMEOUT`, `REDIS_CONNECT_TIMEOUT`,
 * `REDIS_KEY_PREFIX`).
 *
 * @example
 * ```ts
 * import { RedisSharded } from "@fxredis/client"
 * import { Config } from "effect"
 *
 * const withName = Config.map(RedisSharded.shardedOptionsConfig, (o) => ({ ...o, clientName: "web" }))
 * const RedisLive = RedisSharded.layerConfig(withName)
 * ```
 *
 * @category constructors
 * @since 0.4.0
 */
export const shardedOptionsConfig: Config.Config<RedisShardedOptions> = Config.all({
  base: redisOptionsConfig,
  urls: Config.String("REDIS_URLS"),
  placement: optional(Config.String("REDIS_PLACEMENT"))
}).pipe(
  Config.map(({ base: { endpoint: _endpoint, ...base }, urls, placement }) => ({
    ...base,
    endpoints: urls
      .split(/[\s,]+/)
      .filter((s) => s.length > 0)
      .map((s) => (s.includes("://") ? s : `redis://${s}`)),
    // checked when the client is made: anything else fails with RedisConfigError
    placement: placement as Placement | undefined
  }))
)

/**
 * The options from `Config` (by default `shardedOptionsConfig`); lazy unless `lazy: false`. A variable set but
 * malformed fails the layer with `ConfigError`, `EndpointError` or `RedisConfigError`.
 *
 * @example
 * ```ts
 * import { RedisSharded } from "@fxredis/client"
 *
 * const RedisLive = RedisSharded.layerConfig() // REDIS_URLS, REDIS_PLACEMENT, …
 * ```
 *
 * @category layers
 * @since 0.4.0
 */
export const layerConfig = (
  config: Config.Config<RedisShardedOptions> = shardedOptionsConfig,
  options: { readonly lazy?: boolean | undefined } = {}
): Layer.Layer<Redis, ConnectionError | EndpointError | RedisConfigError | Config.ConfigError> =>
  Layer.effect(
    Redis,
    Effect.gen(function* () {
      return yield* makeClient(yield* config, { lazy: options.lazy ?? true })
    })
  )

/**
 * Options of the sharded in-memory fake: its shards (a count, default 2, named `shard-0`, `shard-1`…, or their
 * names), `placement` and `keyPrefix`.
 *
 * @example
 * ```ts
 * import { RedisSharded } from "@fxredis/client"
 *
 * const RedisFake = RedisSharded.layerTest({ shards: ["users", "sessions"], keyPrefix: "app:" })
 * ```
 *
 * @category models
 * @since 0.4.0
 */
export interface ShardedTestOptions {
  readonly shards?: number | ReadonlyArray<string> | undefined
  readonly placement?: Placement | undefined
  readonly keyPrefix?: string | undefined
}

/**
 * An in-memory fake of a sharded client, for unit tests of code that uses `Redis` on shards: one in-memory server
 * (see `RedisTest`) per shard, routed by this module's own ring and routing table, so keys are placed where a real
 * sharded client with the same shard names places them, MGET/MSET/DEL are split, and a command or transaction whose
 * keys span shards fails with `ShardingError`, as it would against servers. Each layer built starts empty.
 *
 * @example
 * ```ts
 * import { Redis, RedisSharded } from "@fxredis/client"
 * import { Effect } from "effect"
 *
 * // fails with ShardingError unless both keys share a hash tag
 * const test = Redis.use((redis) => redis.rename("{user:1}:a", "{user:1}:b")).pipe(
 *   Effect.provide(RedisSharded.layerTest({ shards: 3 }))
 * )
 * ```
 *
 * @category layers
 * @since 0.4.0
 */
export const layerTest = (options: ShardedTestOptions = {}): Layer.Layer<Redis> =>
  Layer.effect(
    Redis,
    Effect.map(Effect.orDie(resolve({})), ([defaults]) => {
      const given = options.shards ?? 2
      const names = typeof given === "number" ? Array.from({ length: given }, (_, i) => `shard-${i}`) : [...given]
      const nodes = names.map((name) => Memory.make({ ...defaults, name }))
      return makeShape(ShardedImpl.router(nodes, { names, placement: options.placement }), options.keyPrefix ?? "")
    })
  )
