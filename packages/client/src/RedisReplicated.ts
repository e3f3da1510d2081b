/**
 * A primary with replicas: `Redis.replicated({ primary, replicas, readFrom })` (fixed addresses, no Sentinel) and
 * `Redis.sentinel({ …, readFrom })` (addresses from Sentinel) route each command by the command catalogue's flags.
 *
 * - **Reads**: commands Redis flags `readonly` (GET, MGET, HGETALL, SCAN, EVAL_RO, …) go to the replicas, round-robin
 *   over those with a connection up, when `readFrom` is `"replica"` or `"preferReplica"`.
 * - **Everything else** goes to the primary: writes, transactions (`redis.transaction`), pub/sub, blocking commands
 *   (BLPOP, XREAD BLOCK, … even when readonly), `dedicated` connections, `redis.scan()`, scripts (`EVALSHA`, `EVAL`)
 *   and commands the catalogue does not know.
 * - **No replica up**: `"preferReplica"` sends reads to the primary until a replica is connected. `"replica"` keeps
 *   them for the replicas: they wait offline (like any command while its server is down, bounded by `commandTimeout`
 *   and `maxOfflineCommands`; with `offlineQueue: false` they fail at once with `ConnectionError`), and fail with
 *   `CommandTimeoutError` if no replica comes up in time. They never fall back to the primary.
 * - Replicas connect in the background (as a lazy layer does): a replica that is down never fails the layer's build,
 *   only the primary's connection does (in the eager forms).
 *
 * Replication is asynchronous: a read from a replica may not see a write the primary has just acknowledged.
 *
 * @since 0.3.0
 */
import type { Endpoint } from "@fxredis/transport"
import type { RedisOptions } from "./RedisOptions.ts"

/**
 * Where readonly commands go: `"primary"` (all commands on the primary; the default), `"replica"` (replicas only,
 * waiting offline when none is up) or `"preferReplica"` (replicas, or the primary while none is up).
 *
 * @example
 * ```ts
 * import type { RedisReplicated } from "@fxredis/client"
 *
 * const readFrom: RedisReplicated.ReadFrom = "preferReplica"
 * ```
 *
 * @category models
 * @since 0.3.0
 */
export type ReadFrom = "primary" | "replica" | "preferReplica"

/**
 * The options of `Redis.replicated`: the primary, its replicas, `readFrom`, and every `RedisOptions` field but the
 * endpoints (they apply to every node; `poolSize` is per node).
 *
 * @example
 * ```ts
 * import { Redis } from "@fxredis/client"
 *
 * const RedisLive = Redis.replicated({
 *   primary: "redis://10.0.0.1:6379",
 *   replicas: ["redis://10.0.0.2:6379", "redis://10.0.0.3:6379"],
 *   readFrom: "preferReplica",
 *   password: "secret"
 * })
 * ```
 *
 * @category models
 * @since 0.3.0
 */
export interface ReplicatedOptions extends Omit<RedisOptions, "endpoint" | "endpoints" | "placement"> {
  /** the primary: a URL or an `Endpoint` */
  readonly primary: string | Endpoint
  /** the replicas: URLs or `Endpoint`s */
  readonly replicas: ReadonlyArray<string | Endpoint>
  /** where readonly commands go; default `"primary"` */
  readonly readFrom?: ReadFrom | undefined
}

/**
 * Whether `value` is a `ReadFrom`.
 *
 * @example
 * ```ts
 * import { RedisReplicated } from "@fxredis/client"
 *
 * RedisReplicated.isReadFrom("replica") // true
 * RedisReplicated.isReadFrom("master") // false
 * ```
 *
 * @category models
 * @since 0.3.0
 */
export const isReadFrom = (value: unknown): value is ReadFrom =>
  value === "primary" || value === "replica" || value === "preferReplica"
