/**
 * A Sentinel-managed primary: `Redis.sentinel({ sentinels, name })` is the ordinary client (one connection or a pool)
 * whose every connect — the first and each reconnect — asks the sentinels in turn
 * (`SENTINEL GET-MASTER-ADDR-BY-NAME <name>`, each on a short connection of its own, with the sentinel credentials),
 * connects to the address named and checks `ROLE` on that very link before the client's handshake: a node that is
 * not (or no longer) the primary is refused with a `ConnectionError` and the reconnect policy tries again. A
 * connection to each known sentinel is subscribed to `+switch-master`: when it fires for `name`, the links to the old
 * primary are dropped at once, so the client reconnects to the new primary without waiting for the old one to go
 * away.
 *
 * - `role: "replica"`: every connect asks `SENTINEL REPLICAS <name>` instead, skips replicas flagged `s_down`,
 *   `o_down` or `disconnected`, takes the next one in turn (a pool spreads over them) and checks that `ROLE` says
 *   `slave`.
 * - `readFrom` (with the primary role): readonly commands go to the replicas (see `RedisReplicated`).
 * - A `-READONLY` reply from the primary (it was demoted behind the client's back) drops every link to it: the
 *   caller gets that one `ReplyError`, and the reconnects ask the sentinels again.
 * - Every conversation with a sentinel also asks `SENTINEL SENTINELS <name>`: the sentinels learned join the walk
 *   and are watched too, so that a client given one sentinel survives its loss.
 * - Every known sentinel is watched: `+failover-state-send-slaveof-noone` (a replica is about to be promoted) drops
 *   the links to the old primary at once and holds new connects until `+switch-master` names the new one (or
 *   30 s pass, or the failover aborts), so that no write is acknowledged by a primary whose replica has stopped
 *   following it. Sentinels that have not yet heard of a switch, and still name the old primary, are passed over.
 * - An AUTH refusal (WRONGPASS, NOAUTH) by a data node, or by every sentinel, is an auth failure as on a single
 *   connection: not retried by the default reconnect policy, the `ConnectionError` (reason `Handshake`) names it.
 *
 * @since 0.2.0
 */
import { type Endpoint, EndpointError, parseUrl, Transport } from "@fxredis/transport"
import * as NodeTransport from "@fxredis/transport/NodeTransport"
import { Config, Effect, Option, type Redacted, type Scope } from "effect"
import * as Impl from "./internal/sentinel.ts"
import { RedisConfigError } from "./RedisErrors.ts"
import { type RedisOptions, redisOptionsConfig } from "./RedisOptions.ts"
import { isReadFrom, type ReadFrom } from "./RedisReplicated.ts"

/**
 * The options of `Redis.sentinel`: every `RedisOptions` field but the endpoints (`password`/`username` are the data
 * nodes' credentials), plus where the sentinels are, what they call the primary, and where reads go.
 *
 * @example
 * ```ts
 * import type { RedisSentinel } from "@fxredis/client"
 *
 * const options: RedisSentinel.SentinelOptions = {
 *   sentinels: ["10.0.0.1:26379", "redis://10.0.0.2:26379"],
 *   name: "mymaster",
 *   password: "data-pw",
 *   sentinelPassword: "sentinel-pw",
 *   readFrom: "preferReplica",
 *   poolSize: 4
 * }
 * ```
 *
 * @category models
 * @since 0.2.0
 */
export interface SentinelOptions extends Omit<RedisOptions, "endpoint" | "endpoints" | "placement"> {
  /** the sentinels, asked in this order: `"host:port"`, `"redis://[:password@]host:port"` or an `Endpoint` */
  readonly sentinels: ReadonlyArray<string | Endpoint>
  /** the monitored master name (`sentinel monitor <name> …`) */
  readonly name: string
  /**
   * `"primary"` (default): every connection goes to the primary. `"replica"`: every connection goes to a replica the
   * sentinels list as up (`SENTINEL REPLICAS`), in turn, so that a pool spreads over them; writes then fail with
   * `READONLY`. (Since 0.3.0.)
   */
  readonly role?: "primary" | "replica" | undefined
  /**
   * with `role: "primary"`: where readonly commands go (see `RedisReplicated`): `"primary"` (default), `"replica"` or
   * `"preferReplica"`; the replicas are those the sentinels list as up. (Since 0.3.0.)
   */
  readonly readFrom?: ReadFrom | undefined
  /** the sentinels' ACL user, if any */
  readonly sentinelUsername?: string | undefined
  /** the sentinels' `requirepass` (separate from the data nodes' `password`) */
  readonly sentinelPassword?: string | Redacted.Redacted<string> | undefined
}

const sentinelEndpoint = (entry: unknown): Effect.Effect<Endpoint, EndpointError> => {
  if (typeof entry !== "string") {
    return typeof entry === "object" && entry !== null && "_tag" in entry
      ? Effect.succeed(entry as Endpoint)
      : Effect.fail(new EndpointError({ input: String(entry), message: "a sentinel must be host:port or an Endpoint" }))
  }
  if (entry.includes("://")) return Effect.map(parseUrl(entry), (url) => url.endpoint)
  const at = entry.lastIndexOf(":")
  const host = (at < 0 ? entry : entry.slice(0, at)).replace(/^\[(.*)\]$/, "$1")
  const port = at < 0 ? 26379 : Number(entry.slice(at + 1))
  if (host === "" || !Number.isInteger(port) || port < 1 || port > 65535) {
    return Effect.fail(new EndpointError({ input: entry, message: `a sentinel must be host:port, got ${entry}` }))
  }
  return Effect.succeed({ _tag: "Tcp", host, port })
}

/**
 * What `prepare` gives: the options of the data nodes (with a placeholder endpoint), a transport per role, and the
 * routing choices.
 *
 * @example
 * ```ts
 * import type { RedisSentinel } from "@fxredis/client"
 *
 * const describe = (p: RedisSentinel.Prepared) => `${p.role}, reads from ${p.readFrom}`
 * ```
 *
 * @category models
 * @since 0.3.0
 */
export interface Prepared {
  /** the options of the data nodes: the placeholder endpoint `sentinel-<name>:6379` (seen in error messages) */
  readonly options: RedisOptions
  /** the transport of `role`: to the primary, or to a replica */
  readonly transport: Transport["Service"]
  /** to the primary */
  readonly primaryTransport: Transport["Service"]
  /** to a replica the sentinels list as up, in turn */
  readonly replicaTransport: Transport["Service"]
  readonly role: "primary" | "replica"
  readonly readFrom: ReadFrom
  /** drops every link to the primary (it answered `READONLY`): the next connects ask the sentinels again */
  readonly demoted: () => void
  /** the sentinels known now (`host:port`): the given ones, then those learned from `SENTINEL SENTINELS` */
  readonly knownSentinels: () => ReadonlyArray<string>
}

/**
 * The `RedisOptions` and `Transport`s that make an ordinary client follow the deployment: the options name a
 * placeholder endpoint (`sentinel-<name>:6379`, seen in error messages); the transports ignore it and connect where
 * the sentinels say. The failover watchers run until the Scope closes. `Redis.makeSentinel` uses it. Fails with
 * `EndpointError` for a bad sentinel address, `RedisConfigError` for a bad `name`, `role` or `readFrom`.
 *
 * @example
 * ```ts
 * import { Redis, RedisSentinel } from "@fxredis/client"
 * import { Transport } from "@fxredis/transport"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function* () {
 *   const { options, transport } = yield* RedisSentinel.prepare({ sentinels: ["127.0.0.1:26379"], name: "mymaster" })
 *   const redis = yield* Redis.make(options).pipe(Effect.provideService(Transport, transport))
 *   yield* redis.set("k", "v")
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category constructors
 * @since 0.2.0
 */
export const prepare = (
  options: SentinelOptions
): Effect.Effect<Prepared, EndpointError | RedisConfigError, Scope.Scope> =>
  Effect.gen(function* () {
    const { sentinels, name, role, readFrom, sentinelUsername, sentinelPassword, ...rest } = options
    if (typeof name !== "string" || name === "") {
      return yield* new RedisConfigError({
        option: "name",
        value: typeof name === "string" ? '""' : typeof name,
        message: "name must be the master name the sentinels monitor (a string that is not empty)"
      })
    }
    if (role !== undefined && role !== "primary" && role !== "replica") {
      return yield* new RedisConfigError({
        option: "role",
        value: String(role),
        message: `role must be "primary" or "replica", got ${String(role)}`
      })
    }
    if (readFrom !== undefined && !isReadFrom(readFrom)) {
      return yield* new RedisConfigError({
        option: "readFrom",
        value: String(readFrom),
        message: `readFrom must be "primary", "replica" or "preferReplica", got ${String(readFrom)}`
      })
    }
    if (role === "replica" && readFrom !== undefined && readFrom !== "replica") {
      return yield* new RedisConfigError({
        option: "readFrom",
        value: readFrom,
        message: `role "replica" connects to replicas only: readFrom ${readFrom} contradicts it`
      })
    }
    if (!Array.isArray(sentinels)) {
      return yield* new EndpointError({ input: String(sentinels), message: "sentinels must be an array" })
    }
    const endpoints = yield* Effect.forEach(sentinels, sentinelEndpoint)
    if (endpoints.length === 0) {
      return yield* new EndpointError({ input: "", message: "Redis.sentinel needs at least one sentinel" })
    }
    const inner = Option.getOrElse(yield* Effect.serviceOption(Transport), () => NodeTransport.make)
    const sentinel = yield* Impl.make(inner, {
      name,
      sentinels: endpoints,
      sentinelUsername,
      sentinelPassword: Impl.secret(sentinelPassword),
      username: rest.username,
      password: Impl.secret(rest.password)
    })
    const chosen = role ?? "primary"
    return {
      options: { ...rest, endpoint: { _tag: "Tcp", host: `sentinel-${name}`, port: 6379 } },
      transport: chosen === "primary" ? sentinel.primary : sentinel.replica,
      primaryTransport: sentinel.primary,
      replicaTransport: sentinel.replica,
      role: chosen,
      readFrom: chosen === "replica" ? "replica" : (readFrom ?? "primary"),
      demoted: sentinel.demoted,
      knownSentinels: sentinel.known
    } satisfies Prepared
  })

/** `"a:1,b:2"` or `"a:1 b:2"` */
const list = (text: string) => text.split(/[\s,]+/).filter((s) => s !== "")

/**
 * The options `Redis.sentinelConfig()` reads by default:
 *
 * - `REDIS_SENTINELS`: the sentinels, `host:port` (or URLs), separated by commas or spaces (required)
 * - `REDIS_SENTINEL_NAME`: the master name (required)
 * - `REDIS_SENTINEL_PASSWORD` (read as `Redacted`), `REDIS_SENTINEL_USERNAME`: the sentinels' credentials
 * - `REDIS_SENTINEL_ROLE` (`primary` or `replica`), `REDIS_READ_FROM` (`primary`, `replica` or `preferReplica`)
 * - the data nodes' options as `redisOptionsConfig` reads them (but `REDIS_URL`): `REDIS_PASSWORD`,
 *   `REDIS_DATABASE`, `REDIS_POOL_SIZE`, `REDIS_COMMAND_TIMEOUT`, `REDIS_CONNECT_TIMEOUT`, `REDIS_KEY_PREFIX`
 *
 * A missing required variable fails with `ConfigError`; a bad role or readFrom with `RedisConfigError`.
 *
 * @example
 * ```ts
 * import { Redis, RedisSentinel } from "@fxredis/client"
 *
 * // REDIS_SENTINELS="10.0.0.1:26379,10.0.0.2:26379" REDIS_SENTINEL_NAME=mymaster
 * const RedisLive = Redis.sentinelConfig(RedisSentinel.sentinelOptionsConfig)
 * ```
 *
 * @category constructors
 * @since 0.3.0
 */
export const sentinelOptionsConfig: Config.Config<SentinelOptions> = Config.all({
  base: redisOptionsConfig,
  sentinels: Config.String("REDIS_SENTINELS").pipe(Config.map(list)),
  name: Config.String("REDIS_SENTINEL_NAME"),
  sentinelPassword: Config.option(Config.Redacted("REDIS_SENTINEL_PASSWORD")),
  sentinelUsername: Config.option(Config.String("REDIS_SENTINEL_USERNAME")),
  role: Config.option(Config.String("REDIS_SENTINEL_ROLE")),
  readFrom: Config.option(Config.String("REDIS_READ_FROM"))
}).pipe(
  Config.map(({ base, sentinels, name, sentinelPassword, sentinelUsername, role, readFrom }): SentinelOptions => {
    const { endpoint: _endpoint, ...rest } = base
    return {
      ...rest,
      sentinels,
      name,
      sentinelPassword: Option.getOrUndefined(sentinelPassword),
      sentinelUsername: Option.getOrUndefined(sentinelUsername),
      // checked by `prepare` (a RedisConfigError names a bad value)
      role: Option.getOrUndefined(role) as SentinelOptions["role"],
      readFrom: Option.getOrUndefined(readFrom) as SentinelOptions["readFrom"]
    }
  })
)
