/**
 * Redis Cluster (first version): the `Redis` service over a cluster's primaries, routed by hash slot.
 *
 * - The slot map comes from `CLUSTER SLOTS`, asked of the `seeds` in turn; the client keeps one node (a pool of
 *   `poolSize` connections, blocking connections, a subscriber) per primary and a table of the 16384 slots.
 * - A command goes to the primary of its keys' slot. Keys in different slots: MGET, MSET, DEL, UNLINK, EXISTS and
 *   TOUCH are split per slot, sent concurrently and reassembled in the caller's order (counts summed; not atomic
 *   across slots); any other command fails with `ShardingError` before anything is sent (Redis' CROSSSLOT). Use
 *   hash tags (`{user:1}:name`, `{user:1}:email`) to keep related keys in one slot.
 * - Keyless commands: PING, DBSIZE (summed), FLUSHDB, FLUSHALL, KEYS (merged) and SCRIPT LOAD/EXISTS/FLUSH go to
 *   every primary; other keyless commands that neither write nor administer (INFO, TIME, CLUSTER INFO…) go to one
 *   primary; the rest (CONFIG SET, CLIENT …, unknown commands) fail with `ShardingError`.
 * - `MOVED slot host:port`: the slot's owner is updated at once (a node is created for a new address), one
 *   coalesced `CLUSTER SLOTS` refresh runs in the background, and the command is retried on the new owner.
 *   `ASK slot host:port`: `ASKING` and the command go together, in one write, on a connection of the target; the
 *   slot map is left alone. More than `maxRedirects` redirects fail the command with `ShardingError`.
 * - `TRYAGAIN`, `CLUSTERDOWN` are `ReplyError`s (retried only with the `retry` option, for readonly commands).
 * - Transactions run on the primary of their first keyed command's slot; a command of another slot fails with
 *   `ShardingError` before it is sent.
 * - Cluster nodes announce TCP addresses: the cluster client speaks TCP (seeds may be URLs or `Tcp` endpoints).
 *
 * Not in this version: reads from replicas, a periodic refresh, address mapping (NAT), `CLUSTER SHARDS`, dropping
 * nodes that left the cluster, `dedicated` connections, MOVED/ASK inside a transaction (they fail it).
 *
 * @since 0.3.0
 */
import type { Endpoint } from "@fxredis/transport"
import type { RedisOptions } from "./RedisOptions.ts"

/**
 * The options of a cluster client: `seeds` (any reachable nodes of the cluster, as URLs or TCP endpoints) plus the
 * connection options of `RedisOptions`, which apply to every node (`poolSize` is per node). `database` must be 0
 * (a cluster has one database). `maxRedirects` bounds MOVED/ASK redirects per command (default 5).
 *
 * @example
 * ```ts
 * import { Redis } from "@fxredis/client"
 *
 * const RedisLive = Redis.cluster({
 *   seeds: ["redis://10.0.0.5:7000", "redis://10.0.0.6:7000"],
 *   password: "secret",
 *   poolSize: 2,
 *   maxRedirects: 5
 * })
 * ```
 *
 * @category models
 * @since 0.3.0
 */
export interface ClusterOptions extends Omit<RedisOptions, "endpoint" | "endpoints" | "placement"> {
  /** nodes asked for the slot map, in turn */
  readonly seeds: ReadonlyArray<string | Endpoint>
  /** MOVED/ASK redirects followed per command before it fails with `ShardingError`; default 5 */
  readonly maxRedirects?: number | undefined
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
