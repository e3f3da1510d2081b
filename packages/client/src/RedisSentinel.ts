/**
 * A Sentinel-managed primary: `Redis.sentinel({ sentinels, name })` is the ordinary client (one connection or a pool)
 * whose every connect — the first and each reconnect — asks the sentinels in turn
 * (`SENTINEL GET-MASTER-ADDR-BY-NAME <name>`, each on a short connection of its own, with the sentinel credentials),
 * connects to the address named and checks `ROLE` on that very link before the client's handshake: a node that is
 * not (or no longer) the primary is refused with a `ConnectionError` and the reconnect policy tries again. One
 * sentinel connection is subscribed to `+switch-master`: when it fires for `name`, the links to the old primary are
 * dropped at once, so the client reconnects to the new primary without waiting for the old one to go away.
 *
 * Only `role: "primary"` for now (no replica reads).
 *
 * @since 0.2.0
 */
import { type Endpoint, EndpointError, parseUrl, Transport } from "@fxredis/transport"
import * as NodeTransport from "@fxredis/transport/NodeTransport"
import { Effect, Option, type Redacted, type Scope } from "effect"
import * as Impl from "./internal/sentinel.ts"
import type { RedisOptions } from "./RedisOptions.ts"

/**
 * The options of `Redis.sentinel`: every `RedisOptions` field but the endpoints (`password`/`username` are the data
 * nodes' credentials), plus where the sentinels are and what they call the primary.
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
 *   poolSize: 4
 * }
 * ```
 *
 * @category models
 * @since 0.2.0
 */
export interface SentinelOptions extends Omit<RedisOptions, "endpoint" | "endpoints"> {
  /** the sentinels, asked in this order: `"host:port"`, `"redis://[:password@]host:port"` or an `Endpoint` */
  readonly sentinels: ReadonlyArray<string | Endpoint>
  /** the monitored master name (`sentinel monitor <name> …`) */
  readonly name: string
  /** `"primary"` (the only role for now) */
  readonly role?: "primary" | undefined
  /** the sentinels' ACL user, if any */
  readonly sentinelUsername?: string | undefined
  /** the sentinels' `requirepass` (separate from the data nodes' `password`) */
  readonly sentinelPassword?: string | Redacted.Redacted<string> | undefined
}

const sentinelEndpoint = (entry: string | Endpoint): Effect.Effect<Endpoint, EndpointError> => {
  if (typeof entry !== "string") return Effect.succeed(entry)
  if (entry.includes("://")) return Effect.map(parseUrl(entry), (url) => url.endpoint)
  const at = entry.lastIndexOf(":")
  const host = at < 0 ? entry : entry.slice(0, at)
  const port = at < 0 ? 26379 : Number(entry.slice(at + 1))
  if (host === "" || !Number.isInteger(port) || port < 1 || port > 65535) {
    return Effect.fail(new EndpointError({ input: entry, message: `a sentinel must be host:port, got ${entry}` }))
  }
  return Effect.succeed({ _tag: "Tcp", host, port })
}

/**
 * The `RedisOptions` and `Transport` that make an ordinary client follow the primary: the options name a
 * placeholder endpoint (`sentinel-<name>:6379`, seen in error messages); the transport ignores it and connects
 * where the sentinels say. The `+switch-master` watcher runs until the Scope closes. `Redis.makeSentinel` uses it.
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
): Effect.Effect<
  { readonly options: RedisOptions; readonly transport: Transport["Service"] },
  EndpointError,
  Scope.Scope
> =>
  Effect.gen(function* () {
    const { sentinels, name, role: _role, sentinelUsername, sentinelPassword, ...rest } = options
    const endpoints = yield* Effect.forEach(sentinels, sentinelEndpoint)
    if (endpoints.length === 0) {
      return yield* new EndpointError({ input: "", message: "Redis.sentinel needs at least one sentinel" })
    }
    const inner = Option.getOrElse(yield* Effect.serviceOption(Transport), () => NodeTransport.make)
    const transport = yield* Impl.make(inner, {
      name,
      sentinels: endpoints,
      sentinelUsername,
      sentinelPassword: Impl.secret(sentinelPassword),
      username: rest.username,
      password: Impl.secret(rest.password)
    })
    return {
      options: { ...rest, endpoint: { _tag: "Tcp", host: `sentinel-${name}`, port: 6379 } },
      transport
    }
  })
