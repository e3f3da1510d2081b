/**
 * Tracing and metrics of fxredis.
 *
 * - **Spans** are opt-in: with `tracing: true` each command runs in a client span named by the command (`GET`,
 *   `HSET`, …); with `tracing: "auto"` only when a tracer other than Effect's built-in native one is installed where
 *   the client is built (an OpenTelemetry layer, say). With `false` (the default) the command path has no span code
 *   at all. A span is not free: with Effect's native tracer, measured on this project's 2-core machine, 100 commands
 *   in flight ran at about 0.5× the untraced rate and sequential commands at about 0.93× (see the README). Attributes follow OpenTelemetry's database conventions: `db.system.name`
 *   (`redis`), `db.operation.name`, `db.namespace` (the database index), `server.address`/`server.port` or, over a
 *   UNIX socket, `network.transport` (`unix`) and `server.address` (the path). Arguments are never recorded.
 * - **Metrics** (`effect/Metric`): `fxredis.connections.up` and `fxredis.reconnects` always (they move on connect
 *   and drop only); `fxredis.pool.waits` when a transaction waits for a free connection; with `commandMetrics: true`
 *   also `fxredis.command.duration` (seconds, by `command` and `outcome`) and `fxredis.commands.in_flight`. A cluster
 *   client counts `fxredis.cluster.redirects` (by `kind`: `moved` or `ask`) and `fxredis.cluster.refreshes` (by
 *   `outcome`: `ok` or `failed`).
 *
 * @since 0.1.0
 */
import { Metric } from "effect"

/**
 * Connections past their handshake, by server.
 *
 * @example
 * ```ts
 * import { RedisTelemetry } from "@fxredis/client"
 * import { Effect, Metric } from "effect"
 *
 * const up = Metric.value(RedisTelemetry.connectionsUp) // { count }, summed over servers
 * ```
 *
 * @category metrics
 * @since 0.1.0
 */
export const connectionsUp = Metric.counter("fxredis.connections.up", {
  description: "connections to Redis that are up (past the handshake)"
})

/**
 * Reconnections after a lost link, by server.
 *
 * @example
 * ```ts
 * import { RedisTelemetry } from "@fxredis/client"
 * import { Metric } from "effect"
 *
 * const current = Metric.value(RedisTelemetry.reconnects)
 * ```
 *
 * @category metrics
 * @since 0.1.0
 */
export const reconnects = Metric.counter("fxredis.reconnects", {
  description: "links to Redis re-established after a drop",
  incremental: true
})

/**
 * Failed attempts to connect (the connect itself or its handshake: a refused connection, a wrong password…). Each
 * failure is also logged at warning level, at most once every 10 seconds per server.
 *
 * @example
 * ```ts
 * import { RedisTelemetry } from "@fxredis/client"
 * import { Metric } from "effect"
 *
 * const current = Metric.value(RedisTelemetry.connectFailures)
 * ```
 *
 * @category metrics
 * @since 0.2.0
 */
export const connectFailures = Metric.counter("fxredis.connect.failures", {
  description: "failed attempts to connect or to complete the handshake",
  incremental: true
})

/**
 * Transactions that had to wait because every pool connection was pinned.
 *
 * @example
 * ```ts
 * import { RedisTelemetry } from "@fxredis/client"
 * import { Metric } from "effect"
 *
 * const current = Metric.value(RedisTelemetry.poolWaits)
 * ```
 *
 * @category metrics
 * @since 0.1.0
 */
export const poolWaits = Metric.counter("fxredis.pool.waits", {
  description: "waits for a free connection while every one was pinned by a transaction",
  incremental: true
})

/**
 * Command duration in seconds, by `command` and `outcome` (`ok`, or the error's tag).
 *
 * @example
 * ```ts
 * import { RedisTelemetry } from "@fxredis/client"
 * import { Metric } from "effect"
 *
 * const current = Metric.value(RedisTelemetry.commandDuration)
 * ```
 *
 * @category metrics
 * @since 0.1.0
 */
export const commandDuration = Metric.histogram("fxredis.command.duration", {
  description: "duration of Redis commands, in seconds",
  boundaries: Metric.exponentialBoundaries({ start: 0.00005, factor: 2, count: 20 })
})

/**
 * Commands sent and not yet answered.
 *
 * @example
 * ```ts
 * import { RedisTelemetry } from "@fxredis/client"
 * import { Metric } from "effect"
 *
 * const current = Metric.value(RedisTelemetry.commandsInFlight)
 * ```
 *
 * @category metrics
 * @since 0.1.0
 */
export const commandsInFlight = Metric.counter("fxredis.commands.in_flight", {
  description: "Redis commands waiting for their reply"
})

/**
 * MOVED and ASK redirects a cluster client followed, by `kind` (`moved` or `ask`).
 *
 * @example
 * ```ts
 * import { RedisTelemetry } from "@fxredis/client"
 * import { Metric } from "effect"
 *
 * const asks = Metric.value(Metric.withAttributes(RedisTelemetry.clusterRedirects, { kind: "ask" }))
 * ```
 *
 * @category metrics
 * @since 0.3.0
 */
export const clusterRedirects = Metric.counter("fxredis.cluster.redirects", {
  description: "MOVED and ASK redirects followed by a cluster client",
  incremental: true
})

/**
 * Topology refreshes of a cluster client (`CLUSTER SHARDS`, or `CLUSTER SLOTS` before Redis 7), by `outcome`
 * (`ok` or `failed`): periodic, after a MOVED, or while a node is unreachable.
 *
 * @example
 * ```ts
 * import { RedisTelemetry } from "@fxredis/client"
 * import { Metric } from "effect"
 *
 * const done = Metric.value(Metric.withAttributes(RedisTelemetry.clusterRefreshes, { outcome: "ok" }))
 * ```
 *
 * @category metrics
 * @since 0.3.0
 */
export const clusterRefreshes = Metric.counter("fxredis.cluster.refreshes", {
  description: "topology refreshes of a cluster client",
  incremental: true
})
