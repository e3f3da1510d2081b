/**
 * Redis Cluster: the `Redis` service over a cluster, routed by hash slot.
 *
 * - **Topology** comes from `CLUSTER SHARDS` (Redis 7), falling back to `CLUSTER SLOTS` (older servers), asked of a
 *   node the client is connected to, else of the `seeds` in turn. Replicas reported `failed` are left out; on Redis
 *   7.0 a replica is reported `loading` until its first replicated write, so `loading` replicas are used (a read a
 *   replica answers `LOADING` is sent to the primary).
 * - **Nodes.** The client keeps a node (`poolSize` connections, blocking connections, a subscriber) per primary, and
 *   per replica when `readFrom` is not `"primary"`; nodes learnt after the start connect in the background. A node that
 *   leaves the topology (no slots, failed, or a replica no longer read from) is closed: commands queued on it that were
 *   never sent are routed again, commands in flight fail with `ConnectionError` (`sent: true`).
 * - **Refresh**: on the `refresh` Schedule (default every 30 seconds; `false` for none), after a `MOVED`, after a
 *   `CLUSTERDOWN` or a lost connection, and again (100 ms, doubling to 1 s) while a primary is unreachable, so that a
 *   failover is followed. One refresh runs at a time: a request while one runs joins it.
 * - **Routing.** A command goes to its keys' slot. Keys in different slots: MGET, MSET, DEL, UNLINK, EXISTS and TOUCH
 *   are split per slot, sent concurrently and reassembled in the caller's order (counts summed; not atomic across
 *   slots); any other command fails with `ShardingError` before anything is sent (and a `CROSSSLOT` reply is turned
 *   into the same error). Use hash tags (`{user:1}:name`, `{user:1}:email`) to keep related keys in one slot.
 *   Commands Redis flags `readonly` follow `readFrom`: `"primary"` (default), `"replica"` (a replica of the slot, in
 *   turn; the primary when the slot has none) or `"preferReplica"` (a connected replica, else the primary). Replica
 *   connections send `READONLY` on every connect.
 * - Keyless commands: PING, DBSIZE (summed), FLUSHDB, FLUSHALL, KEYS (merged) and SCRIPT LOAD/EXISTS/FLUSH go to
 *   every primary; other keyless commands that neither write nor administer (INFO, TIME, CLUSTER INFO…) go to one
 *   primary; the rest (CONFIG SET, CLIENT …, unknown commands) fail with `ShardingError`.
 * - **Redirects.** `MOVED slot host:port`: the slot's owner is updated at once, one coalesced refresh runs in the
 *   background, and the command is retried on the new owner. `ASK slot host:port`: `ASKING` and the command go together,
 *   in one write, on a connection of the target; the slot map is left alone. More than `maxRedirects` redirects fail
 *   the command with `ShardingError`. Both are counted by `RedisTelemetry.clusterRedirects`.
 * - **Retry.** With `retry` (a Schedule), a command that fails with `TRYAGAIN`, `CLUSTERDOWN` (or another transient
 *   error: `LOADING`, `BUSY`, `MASTERDOWN`) is routed and sent again, if Redis flags it readonly or `retryWrites` is set.
 * - **Transactions** run on the primary of their keys' slot; a command of another slot fails with `ShardingError`
 *   before it is sent; a MOVED or ASK inside a transaction fails it.
 * - **Pub/sub**: channels and patterns on one primary; shard channels (`SSUBSCRIBE`) on their slot's primary,
 *   subscribed again on the new owner when the topology changes (after a failover or a resharding).
 * - **Addresses**: nodes are dialled where they announce themselves, over TCP, or TLS when the seeds are `rediss://`
 *   or `Tls` endpoints (or with the `tls` option); `natMap` translates announced addresses (`"10.0.0.5:7000"`) to what
 *   the client can reach.
 * - **TLS**: every node is dialled with the same TLS settings (CA, client certificate, `servername`) at its TLS port:
 *   `tls-port` from `CLUSTER SHARDS`; from `CLUSTER SLOTS` and redirects, the port the node announces, which is its
 *   TLS port on a cluster run with `tls-cluster yes` (Redis answers TLS clients with TLS ports). Without
 *   `servername`, each node's certificate is checked against the address it is dialled at.
 * - **Dedicated connections** (`redis.dedicated`): a set of connections of its own, one per primary, each opened
 *   (blocking-capable) the first time a command of that primary's slots needs it, closed by `close` or with the
 *   client. Commands are routed by slot, as on the client: keys of several slots fail with `ShardingError` before
 *   anything is sent, and MGET/MSET/DEL/EXISTS/UNLINK/TOUCH are split; PING, DBSIZE, KEYS, FLUSHDB… go to every
 *   primary's connection. `CLIENT SETNAME`/`SETINFO`/`NO-EVICT`/`NO-TOUCH` apply to the whole set: sent to every
 *   open connection and replayed on each one opened later. Other connection commands without a key (`CLIENT
 *   GETNAME`, `MULTI`, `SUBSCRIBE`…) have no single connection to go to and fail with `ShardingError` (use
 *   `redis.transaction` for transactions). A `MOVED` or `ASK` on a dedicated connection is not followed: the command
 *   did not run, and it fails with `ShardingError` naming the new owner; after a `MOVED` the slot is routed to its new
 *   owner (a fresh dedicated connection there), so running the command again goes where it belongs. Like any
 *   dedicated connection, a connection of the set that drops is not reopened: its commands fail with
 *   `ConnectionError`.
 *
 * @since 0.3.0
 */
import type { Endpoint, TlsEndpoint } from "@fxredis/transport"
import { Config, type Duration, Option, type Schedule } from "effect"
import type { RedisOptions } from "./RedisOptions.ts"

/**
 * Where a cluster client sends commands Redis flags `readonly`.
 *
 * @example
 * ```ts
 * import type { RedisCluster } from "@fxredis/client"
 *
 * const reads: RedisCluster.ReadFrom = "preferReplica"
 * ```
 *
 * @category models
 * @since 0.3.0
 */
export type ReadFrom = "primary" | "replica" | "preferReplica"

/**
 * An address the cluster announces, translated (as ioredis' `natMap`): a `host:port` string (`"203.0.113.7:7000"`), a
 * URL (`"redis://203.0.113.7:7000"`, `"unix:///var/run/redis-7000.sock"`), an `Endpoint`, or `{ host, port }`.
 *
 * @example
 * ```ts
 * import type { RedisCluster } from "@fxredis/client"
 *
 * const target: RedisCluster.NatTarget = { host: "203.0.113.7", port: 7000 }
 * ```
 *
 * @category models
 * @since 0.3.0
 */
export type NatTarget = string | Endpoint | { readonly host: string; readonly port: number }

/**
 * Address translation: announced `"host:port"` (as `CLUSTER SHARDS` and redirects give it; IPv6 in brackets) → where
 * to connect. A record, or a function (`undefined`: dial the announced address).
 *
 * @example
 * ```ts
 * import type { RedisCluster } from "@fxredis/client"
 *
 * const natMap: RedisCluster.NatMap = {
 *   "10.0.1.1:7000": "203.0.113.7:7000",
 *   "10.0.1.2:7000": { host: "203.0.113.8", port: 7000 }
 * }
 * ```
 *
 * @category models
 * @since 0.3.0
 */
export type NatMap = { readonly [announced: string]: NatTarget } | ((announced: string) => NatTarget | undefined)

/**
 * TLS settings for every node of a cluster (the fields of a `TlsEndpoint` but its address): the CA that signed the
 * nodes' certificates, a client certificate and key (mutual TLS), the name to verify (`servername`; default: the
 * address each node is dialled at), `rejectUnauthorized`.
 *
 * @example
 * ```ts
 * import type { RedisCluster } from "@fxredis/client"
 * import { readFileSync } from "node:fs"
 *
 * const tls: RedisCluster.ClusterTls = { ca: readFileSync("ca.pem"), servername: "redis.internal" }
 * ```
 *
 * @category models
 * @since 0.3.0
 */
export type ClusterTls = Omit<TlsEndpoint, "_tag" | "host" | "port">

/**
 * The options of a cluster client: `seeds` (any reachable nodes of the cluster, as URLs or TCP/TLS endpoints) plus
 * the connection options of `RedisOptions`, which apply to every node (`poolSize` is per node). `database` must be 0
 * (a cluster has one database).
 *
 * @example
 * ```ts
 * import { Redis } from "@fxredis/client"
 * import { Schedule } from "effect"
 *
 * const RedisLive = Redis.cluster({
 *   seeds: ["redis://10.0.0.5:7000", "redis://10.0.0.6:7000"],
 *   password: "secret",
 *   poolSize: 2,
 *   readFrom: "preferReplica",
 *   refresh: Schedule.spaced("10 seconds"),
 *   retry: Schedule.exponential("50 millis").pipe(Schedule.take(5)),
 *   maxRedirects: 5
 * })
 * ```
 *
 * @category models
 * @since 0.3.0
 */
export interface ClusterOptions extends Omit<RedisOptions, "endpoint" | "endpoints" | "placement"> {
  /** nodes asked for the topology, in turn, when no connected node answers */
  readonly seeds: ReadonlyArray<string | Endpoint>
  /** MOVED/ASK redirects (and re-routings off a node that left) per command before it fails with `ShardingError`; default 5 */
  readonly maxRedirects?: number | undefined
  /** where readonly commands go; default `"primary"` */
  readonly readFrom?: ReadFrom | undefined
  /** periodic topology refresh; default every 30 seconds; `false` for none (refreshes on demand still run) */
  readonly refresh?: Schedule.Schedule<unknown> | false | undefined
  /** translates the addresses the cluster announces (see `NatMap`) */
  readonly natMap?: NatMap | undefined
  /**
   * TLS for every seed and node: `true` (Node's trusted roots) or `ClusterTls` settings, which fill in what a `Tls`
   * seed does not give itself (so `rediss://` seeds get the CA). Without it, the seeds decide: all `rediss://`/`Tls`
   * (every node is dialled with TLS and the first seed's settings) or none; a mix fails with `RedisConfigError`.
   */
  readonly tls?: boolean | ClusterTls | undefined
}

/**
 * The number of hash slots of a Redis Cluster.
 *
 * @example
 * ```ts
 * import { RedisCluster } from "@fxredis/client"
 *
 * const everySlot = Array.from({ length: RedisCluster.SLOTS }, (_, slot) => slot)
 * ```
 *
 * @category constants
 * @since 0.3.0
 */
export const SLOTS = 16384

const optional = <A>(config: Config.Config<A>) => config.pipe(Config.option, Config.map(Option.getOrUndefined))

/** a duration read from config text: a bare number is milliseconds; anything else is checked when resolved */
const durationText = (text: string) => {
  const trimmed = text.trim()
  return (/^\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : trimmed) as Duration.Input
}

/** `host:port` becomes `redis://host:port`; URLs are kept */
const seedText = (entry: string): string => (entry.includes("://") ? entry : `redis://${entry}`)

/**
 * The options `Redis.clusterConfig()` reads by default:
 *
 * - `REDIS_CLUSTER_NODES`: the seeds, comma-separated (`"10.0.0.5:7000,10.0.0.6:7000"`; URLs such as
 *   `rediss://10.0.0.5:7000` too); required
 * - `REDIS_PASSWORD` (read as `Redacted`), `REDIS_USERNAME`, `REDIS_POOL_SIZE` (per node), `REDIS_READ_FROM`
 *   (`primary`, `replica` or `preferReplica`), `REDIS_KEY_PREFIX`
 * - `REDIS_COMMAND_TIMEOUT`, `REDIS_CONNECT_TIMEOUT`: a bare number is milliseconds, or an Effect duration string
 *
 * A variable that is set but malformed fails the layer with `ConfigError` or `RedisConfigError`.
 *
 * @example
 * ```ts
 * import { Redis, RedisCluster } from "@fxredis/client"
 * import { Config } from "effect"
 *
 * // the defaults, plus a client name from the environment
 * const RedisLive = Redis.clusterConfig(
 *   Config.all({ base: RedisCluster.clusterOptionsConfig, clientName: Config.String("APP_NAME") }).pipe(
 *     Config.map(({ base, clientName }) => ({ ...base, clientName }))
 *   )
 * )
 * ```
 *
 * @category constructors
 * @since 0.3.0
 */
export const clusterOptionsConfig: Config.Config<ClusterOptions> = Config.all({
  seeds: Config.String("REDIS_CLUSTER_NODES").pipe(
    Config.map((text) =>
      text
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s.length > 0)
        .map(seedText)
    )
  ),
  username: optional(Config.String("REDIS_USERNAME")),
  password: optional(Config.Redacted("REDIS_PASSWORD")),
  poolSize: optional(Config.Int("REDIS_POOL_SIZE")),
  readFrom: optional(Config.Literals(["primary", "replica", "preferReplica"], "REDIS_READ_FROM")),
  commandTimeout: optional(Config.String("REDIS_COMMAND_TIMEOUT").pipe(Config.map(durationText))),
  connectTimeout: optional(Config.String("REDIS_CONNECT_TIMEOUT").pipe(Config.map(durationText))),
  keyPrefix: optional(Config.String("REDIS_KEY_PREFIX"))
})
