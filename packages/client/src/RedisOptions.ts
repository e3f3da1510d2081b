/**
 * The options of every fxredis layer, and their validation into a resolved form.
 *
 * Options are plain data: an endpoint (a URL string such as `redis://:secret@host:6379/2`, `rediss://…`,
 * `unix:///tmp/redis.sock?db=2`, or an `Endpoint` value), the handshake (`database`, `username`, `password`,
 * `clientName`, `protocol`), and the behaviour (`reconnect`, `connectTimeout`, `commandTimeout`, `offlineQueue`,
 * `maxOfflineCommands`, `poolSize`). A bad option is a typed `EndpointError` naming it, never a throw.
 *
 * @since 0.1.0
 */
import { type Endpoint, EndpointError, format, parseUrl, validate } from "@fxredis/transport"
import { Duration, Effect, Option, Redacted, Schedule } from "effect"
import type { ConnectionError } from "./RedisErrors.ts"

/**
 * A reconnect policy: `true` for the default (capped exponential backoff with jitter, for ever), `false` for none,
 * or any `Schedule` fed with the `ConnectionError` of each failed attempt.
 *
 * @example
 * ```ts
 * import { Redis } from "@fxredis/client"
 * import { Schedule } from "effect"
 *
 * const a = Redis.layer({ reconnect: false }) // fail for good on the first drop
 * const b = Redis.layer({ reconnect: Schedule.exponential("100 millis").pipe(Schedule.jittered) })
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export type ReconnectOption = boolean | Schedule.Schedule<unknown, ConnectionError>

/**
 * @example
 * ```ts
 * import { Redis, type RedisOptions } from "@fxredis/client"
 * import { Schedule } from "effect"
 *
 * const options: RedisOptions = {
 *   endpoint: "unix:///var/run/redis/redis.sock",
 *   database: 2,
 *   poolSize: 4,
 *   commandTimeout: "2 seconds",
 *   reconnect: Schedule.spaced("500 millis")
 * }
 * const RedisLive = Redis.layer(options)
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface RedisOptions {
  /** the server: a URL (`redis://`, `rediss://`, `unix://`, `redis+unix://`) or an `Endpoint`; default `redis://localhost:6379` */
  readonly endpoint?: string | Endpoint | undefined
  /** several servers: a sharded client (each key routed by consistent hashing) */
  readonly endpoints?: ReadonlyArray<string | Endpoint> | undefined
  /** the database to `SELECT` (overrides the URL's); default 0 */
  readonly database?: number | undefined
  readonly username?: string | undefined
  readonly password?: string | Redacted.Redacted<string> | undefined
  /** sent with `CLIENT SETNAME` (or `HELLO … SETNAME`) on every connect */
  readonly clientName?: string | undefined
  /** RESP version: 2 (default) or 3 (negotiated with `HELLO 3`) */
  readonly protocol?: 2 | 3 | undefined
  /** reconnect policy; default `true` */
  readonly reconnect?: ReconnectOption | undefined
  /** default 10 seconds */
  readonly connectTimeout?: Duration.Input | undefined
  /** how long a command may wait for its reply (or offline, for a connection); default 10 seconds; `"infinity"` for none. Blocking commands are exempt. */
  readonly commandTimeout?: Duration.Input | undefined
  /** while disconnected, hold commands (up to `commandTimeout`) instead of failing them at once; default `true` */
  readonly offlineQueue?: boolean | undefined
  /** how many commands may wait offline before new ones fail at once with `QueueFull`; default 10,000 */
  readonly maxOfflineCommands?: number | undefined
  /** connections per server, used round-robin; default 1 */
  readonly poolSize?: number | undefined
  /** connections kept for blocking commands (BLPOP, XREAD BLOCK, …) per server; default 8 */
  readonly maxBlockingConnections?: number | undefined
  /** spans per command: `"auto"` (default: when a tracer other than Effect's native one is installed), true, false */
  readonly tracing?: boolean | "auto" | undefined
  /** per-command metrics (duration histogram, in-flight count); default false */
  readonly commandMetrics?: boolean | undefined
}

/**
 * The options of one server connection, validated.
 *
 * @example
 * ```ts
 * import { resolve } from "@fxredis/client"
 * import { Effect } from "effect"
 *
 * const resolved = Effect.map(resolve({ endpoint: "redis://:pw@cache:6380/3" }), ([o]) => `${o.name} db ${o.database}`)
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface ResolvedOptions {
  readonly endpoint: Endpoint
  readonly name: string
  readonly database: number
  readonly username: string | undefined
  readonly password: Redacted.Redacted<string> | undefined
  readonly clientName: string | undefined
  readonly protocol: 2 | 3
  readonly reconnect: Schedule.Schedule<unknown, ConnectionError> | undefined
  /** `reconnect` was given as a Schedule (an eager layer then retries its first connect with it too) */
  readonly reconnectExplicit: boolean
  readonly connectTimeout: Duration.Duration
  /** milliseconds, `Infinity` for none */
  readonly commandTimeout: number
  readonly offlineQueue: boolean
  readonly maxOfflineCommands: number
  readonly poolSize: number
  readonly maxBlockingConnections: number
  readonly tracing: boolean | "auto"
  readonly commandMetrics: boolean
}

/**
 * The default reconnect policy: exponential from 50 ms, capped at 2 s, jittered (×0.8–1.2), for ever.
 *
 * @example
 * ```ts
 * import { defaultReconnect, Redis } from "@fxredis/client"
 * import { Schedule } from "effect"
 *
 * // the default, but giving up after 20 attempts
 * const RedisLive = Redis.layer({ reconnect: Schedule.max([defaultReconnect, Schedule.recurs(20)]) })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const defaultReconnect: Schedule.Schedule<unknown, ConnectionError> = Schedule.min([
  Schedule.exponential("50 millis"),
  Schedule.spaced("2 seconds")
]).pipe(Schedule.jittered)

const invalid = (input: string, message: string) => new EndpointError({ input, message })

const wholeNumber = (name: string, value: number | undefined, fallback: number, min: number) =>
  value === undefined
    ? Effect.succeed(fallback)
    : Number.isInteger(value) && value >= min
      ? Effect.succeed(value)
      : Effect.fail(invalid(`${name}=${value}`, `${name} must be a whole number ≥ ${min}`))

const duration = (name: string, value: Duration.Input | undefined, fallback: Duration.Duration) => {
  if (value === undefined) return Effect.succeed(fallback)
  const decoded = Duration.fromInput(value)
  return Option.isNone(decoded) || Duration.isNegative(decoded.value)
    ? Effect.fail(invalid(`${name}=${String(value)}`, `${name} must be a non-negative duration`))
    : Effect.succeed(decoded.value)
}

/**
 * Validates the options for each server they name (one for a single connection or pool, several when sharded).
 *
 * @example
 * ```ts
 * import { resolve } from "@fxredis/client"
 *
 * const checked = resolve({ endpoints: ["redis://a:6379", "redis://b:6379"], poolSize: 2 }) // one ResolvedOptions per server
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const resolve = (options: RedisOptions): Effect.Effect<ReadonlyArray<ResolvedOptions>, EndpointError> =>
  Effect.gen(function* () {
    const targets: ReadonlyArray<string | Endpoint> =
      options.endpoints !== undefined ? options.endpoints : [options.endpoint ?? "redis://localhost:6379"]
    if (targets.length === 0) return yield* invalid("endpoints=[]", "endpoints must name at least one server")
    const poolSize = yield* wholeNumber("poolSize", options.poolSize, 1, 1)
    const maxOfflineCommands = yield* wholeNumber("maxOfflineCommands", options.maxOfflineCommands, 10_000, 0)
    const maxBlockingConnections = yield* wholeNumber("maxBlockingConnections", options.maxBlockingConnections, 8, 1)
    const optionDatabase =
      options.database === undefined ? undefined : yield* wholeNumber("database", options.database, 0, 0)
    if (options.protocol !== undefined && options.protocol !== 2 && options.protocol !== 3) {
      return yield* invalid(`protocol=${String(options.protocol)}`, "protocol must be 2 or 3")
    }
    const connectTimeout = yield* duration("connectTimeout", options.connectTimeout, Duration.seconds(10))
    const commandTimeout = yield* duration("commandTimeout", options.commandTimeout, Duration.seconds(10))
    const reconnect =
      options.reconnect === undefined || options.reconnect === true
        ? defaultReconnect
        : options.reconnect === false
          ? undefined
          : options.reconnect
    const resolved: Array<ResolvedOptions> = []
    for (const target of targets) {
      const url =
        typeof target === "string"
          ? yield* parseUrl(target)
          : { endpoint: yield* validate(target), database: 0, username: undefined, password: undefined }
      const password =
        options.password === undefined
          ? url.password
          : typeof options.password === "string"
            ? Redacted.make(options.password)
            : options.password
      resolved.push({
        endpoint: url.endpoint,
        name: format(url.endpoint),
        database: optionDatabase ?? url.database,
        username: options.username ?? url.username,
        password,
        clientName: options.clientName,
        protocol: options.protocol ?? 2,
        reconnect,
        reconnectExplicit: options.reconnect !== undefined && typeof options.reconnect !== "boolean",
        connectTimeout,
        commandTimeout: Duration.isFinite(commandTimeout) ? Duration.toMillis(commandTimeout) : Infinity,
        offlineQueue: options.offlineQueue ?? true,
        maxOfflineCommands,
        poolSize,
        maxBlockingConnections,
        tracing: options.tracing ?? "auto",
        commandMetrics: options.commandMetrics ?? false
      })
    }
    return resolved
  })
