/**
 * The options of every fxredis layer, and their validation into a resolved form.
 *
 * Options are plain data: an endpoint (a URL string such as `redis://:secret@host:6379/2`, `rediss://…`,
 * `unix:///tmp/redis.sock?db=2`, or an `Endpoint` value), the handshake (`database`, `username`, `password`,
 * `clientName`, `protocol`), and the behaviour (`reconnect`, `connectTimeout`, `commandTimeout`, `offlineQueue`,
 * `maxOfflineCommands`, `poolSize`). Nothing here throws: a bad endpoint or URL (`endpoint`, `endpoints`) fails with
 * `EndpointError`, any other bad option (a negative or NaN duration, `poolSize: 0`, `protocol: 4`, a value of the
 * wrong type from JavaScript, …) with `RedisConfigError` naming it. Errors never show a password.
 *
 * Timeouts (`connectTimeout`, `commandTimeout`) take a `Duration.Input` (a bare number is milliseconds) or
 * `"infinity"`; one of `maxTimeoutMillis` (2^31-1 ms, about 24.8 days) or more means no timeout, since Node cannot arm
 * a longer timer.
 *
 * @since 0.1.0
 */
import { type Endpoint, EndpointError, format, parseUrl, validate } from "@fxredis/transport"
import { Config, Duration, Effect, Option, Redacted, Schedule } from "effect"
import { type ConnectionError, RedisConfigError, type ReplyError } from "./RedisErrors.ts"
import type { NamedEndpoint, Placement } from "./RedisSharded.ts"

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
  readonly endpoints?: ReadonlyArray<string | Endpoint | NamedEndpoint> | undefined
  /** how a sharded client places keys: `"fxredis"` (default: its own ring over the shards' names) or `"txredisapi"` (byte-for-byte txredisapi's HashRing) */
  readonly placement?: Placement | undefined
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
  /**
   * how long opening a connection (and its handshake) may take; default 10 seconds. A `Duration.Input` (a bare number
   * is milliseconds) or `"infinity"` for none; 2^31-1 ms (about 24.8 days) or more also means none.
   */
  readonly connectTimeout?: Duration.Input | "infinity" | undefined
  /**
   * how long a command may wait for its reply (or offline, for a connection); default 10 seconds. A `Duration.Input`
   * (a bare number is milliseconds) or `"infinity"` for none; 2^31-1 ms (about 24.8 days) or more also means none.
   * Blocking commands (BLPOP, XREAD BLOCK, …) are exempt: their own timeout argument bounds them.
   */
  readonly commandTimeout?: Duration.Input | "infinity" | undefined
  /** while disconnected, hold commands (up to `commandTimeout`) instead of failing them at once; default `true` */
  readonly offlineQueue?: boolean | undefined
  /** how many commands may wait offline on each connection before new ones fail at once with `QueueFull`; default 10,000 (a pool of N holds N times as many, queued round-robin and replayed over every connection) */
  readonly maxOfflineCommands?: number | undefined
  /** connections per server, used round-robin; default 1 */
  readonly poolSize?: number | undefined
  /** connections kept for blocking commands (BLPOP, XREAD BLOCK, …) per server; default 8 */
  readonly maxBlockingConnections?: number | undefined
  /** spans per command: `false` (default), `true`, or `"auto"` (when a tracer other than Effect's native one is installed). A span costs: see the README's tracing section */
  readonly tracing?: boolean | "auto" | undefined
  /** per-command metrics (duration histogram, in-flight count); default false */
  readonly commandMetrics?: boolean | undefined
  /**
   * prepended to every key argument (found by the command catalogue's key specs, as Redis finds keys) before
   * routing, never to values, channels or script bodies; `KEYS`, `SCAN` and `redis.scan()` match under the prefix
   * and return keys without it. See the README's "Key prefix" section. Default: none. (Since 0.2.0.)
   */
  readonly keyPrefix?: string | undefined
  /**
   * retries a command that fails with a transient server error (`LOADING`, `BUSY`, `TRYAGAIN`, `CLUSTERDOWN`,
   * `MASTERDOWN`) on this Schedule, fed the `ReplyError`. Only commands Redis flags `readonly` are retried, unless
   * `retryWrites` is true: a write may have been applied before the error. Default: no retry. (Since 0.2.0.)
   */
  readonly retry?: Schedule.Schedule<unknown, ReplyError> | undefined
  /** with `retry`, retry writes too (only for idempotent use); default false. (Since 0.2.0.) */
  readonly retryWrites?: boolean | undefined
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
  /** `Duration.infinity` for none (also for anything of `maxTimeoutMillis` or more) */
  readonly connectTimeout: Duration.Duration
  /** milliseconds, `Infinity` for none (also for anything of `maxTimeoutMillis` or more) */
  readonly commandTimeout: number
  readonly offlineQueue: boolean
  readonly maxOfflineCommands: number
  readonly poolSize: number
  readonly maxBlockingConnections: number
  readonly tracing: boolean | "auto"
  readonly commandMetrics: boolean
  readonly retry: Schedule.Schedule<unknown, ReplyError> | undefined
  readonly retryWrites: boolean
  /** sends `READONLY` in every handshake (a cluster client that reads from replicas); set by the cluster client only */
  readonly readOnly?: boolean | undefined
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

/**
 * The longest timer Node can arm (2^31-1 ms, about 24.8 days). `connectTimeout` and `commandTimeout` at or above it
 * mean "no timeout": a longer `setTimeout` would overflow and fire after 1 ms.
 *
 * @example
 * ```ts
 * import { maxTimeoutMillis, resolve } from "@fxredis/client"
 * import { Effect } from "effect"
 *
 * // 30 days is beyond a timer's range: it resolves to no timeout at all
 * const none = Effect.map(resolve({ commandTimeout: "30 days" }), ([o]) => o.commandTimeout === Infinity) // true
 * const limit = maxTimeoutMillis // 2147483647
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export const maxTimeoutMillis = 2 ** 31 - 1

/** a value as an error may show it: never a secret, and only the type of anything that is not a plain scalar */
const describeValue = (value: unknown, secret = false): string => {
  if (secret) return value === null ? "null" : `a ${Array.isArray(value) ? "array" : typeof value} (not shown)`
  switch (typeof value) {
    case "number":
    case "boolean":
    case "bigint":
      return String(value)
    case "undefined":
      return "undefined"
    case "string":
      return value.length <= 40 ? JSON.stringify(value) : `${JSON.stringify(value.slice(0, 40))}…`
    case "function":
      return "a function"
    case "symbol":
      return "a symbol"
  }
  if (value === null) return "null"
  if (Array.isArray(value)) return `an array of ${value.length}`
  if (Duration.isDuration(value)) return `Duration(${Duration.format(value)})`
  const tag = (value as { readonly _tag?: unknown })._tag
  return typeof tag === "string" ? `an object with _tag ${describeValue(tag)}` : "an object"
}

const configError = (option: string, value: unknown, expected: string, secret = false) => {
  const shown = describeValue(value, secret)
  return new RedisConfigError({ option, value: shown, message: `${option} must be ${expected}, got ${shown}` })
}

const wholeNumber = (name: string, value: unknown, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER) =>
  value === undefined
    ? Effect.succeed(fallback)
    : typeof value === "number" && Number.isInteger(value) && value >= min && value <= max
      ? Effect.succeed(value)
      : Effect.fail(configError(name, value, `a whole number from ${min}${max < 2 ** 53 - 1 ? ` to ${max}` : " up"}`))

const boolean = (name: string, value: unknown, fallback: boolean) =>
  value === undefined
    ? Effect.succeed(fallback)
    : typeof value === "boolean"
      ? Effect.succeed(value)
      : Effect.fail(configError(name, value, "true or false"))

const optionalString = (name: string, value: unknown, secret = false) =>
  value === undefined || typeof value === "string"
    ? Effect.succeed(value)
    : Effect.fail(configError(name, value, "a string", secret))

const durationFields = new Set([
  "weeks",
  "days",
  "hours",
  "minutes",
  "seconds",
  "milliseconds",
  "microseconds",
  "nanoseconds"
])

/** an object Effect would read as a duration of 0 although it names none of a duration's fields (`{}`, `{ ms: 5 }`) */
const isForeignObject = (value: unknown): boolean =>
  typeof value === "object" &&
  value !== null &&
  !Array.isArray(value) &&
  !Duration.isDuration(value) &&
  (Object.keys(value).length === 0 || Object.keys(value).some((key) => !durationFields.has(key)))

/** NaN anywhere in a duration input (Effect would read it as 0) */
const hasNaN = (value: unknown): boolean =>
  typeof value === "number"
    ? Number.isNaN(value)
    : Array.isArray(value)
      ? value.some((v) => typeof v === "number" && Number.isNaN(v))
      : typeof value === "object" && value !== null && !Duration.isDuration(value)
        ? Object.values(value).some((v) => typeof v === "number" && Number.isNaN(v))
        : false

const durationExpected = 'a duration ≥ 0 (milliseconds, "10 seconds", "infinity" or a Duration)'

/**
 * A timeout option: `Duration.Input` or `"infinity"` (any case); NaN and negative durations are rejected, and
 * anything at or above `maxTimeoutMillis` becomes `Duration.infinity`.
 */
const timeout = (name: string, value: unknown, fallback: Duration.Duration) => {
  if (value === undefined) return Effect.succeed(fallback)
  if (typeof value === "string" && value.trim().toLowerCase() === "infinity") return Effect.succeed(Duration.infinity)
  if (hasNaN(value) || isForeignObject(value)) return Effect.fail(configError(name, value, durationExpected))
  const decoded = Duration.fromInput((typeof value === "string" ? value.trim() : value) as Duration.Input)
  if (Option.isNone(decoded) || Duration.isNegative(decoded.value)) {
    return Effect.fail(configError(name, value, durationExpected))
  }
  return Effect.succeed(
    !Duration.isFinite(decoded.value) || Duration.toMillis(decoded.value) >= maxTimeoutMillis
      ? Duration.infinity
      : decoded.value
  )
}

const endpointShapes =
  'a URL string (redis://, rediss://, unix://) or an Endpoint ({ _tag: "Unix", path }, { _tag: "Tcp", host, port } or { _tag: "Tls", host, port })'

/** an endpoint value with the fields its tag needs, of the right types (the transport checks their values) */
const isEndpoint = (value: unknown): value is Endpoint => {
  if (typeof value !== "object" || value === null) return false
  const e = value as Record<string, unknown>
  switch (e._tag) {
    case "Unix":
      return typeof e.path === "string"
    case "Tcp":
    case "Tls":
      return typeof e.host === "string" && typeof e.port === "number"
    default:
      return false
  }
}

const target = (option: string, value: unknown) =>
  typeof value === "string"
    ? parseUrl(value)
    : isEndpoint(value)
      ? Effect.map(validate(value), (endpoint) => ({
          endpoint,
          database: 0,
          username: undefined,
          password: undefined
        }))
      : Effect.fail(
          new EndpointError({
            input: `${option}=${describeValue(value)}`,
            message: `${option} must be ${endpointShapes}, got ${describeValue(value)}`
          })
        )

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
export const resolve = (
  options: RedisOptions
): Effect.Effect<ReadonlyArray<ResolvedOptions>, RedisConfigError | EndpointError> =>
  Effect.gen(function* () {
    if (typeof options !== "object" || options === null || Array.isArray(options)) {
      return yield* configError("options", options, "an object of RedisOptions")
    }
    const poolSize = yield* wholeNumber("poolSize", options.poolSize, 1, 1)
    const maxOfflineCommands = yield* wholeNumber("maxOfflineCommands", options.maxOfflineCommands, 10_000, 0)
    const maxBlockingConnections = yield* wholeNumber("maxBlockingConnections", options.maxBlockingConnections, 8, 1)
    const optionDatabase =
      options.database === undefined ? undefined : yield* wholeNumber("database", options.database, 0, 0, 2 ** 31 - 1)
    if (options.protocol !== undefined && options.protocol !== 2 && options.protocol !== 3) {
      return yield* configError("protocol", options.protocol, "2 or 3")
    }
    const connectTimeout = yield* timeout("connectTimeout", options.connectTimeout, Duration.seconds(10))
    const commandTimeout = yield* timeout("commandTimeout", options.commandTimeout, Duration.seconds(10))
    const option = options.reconnect as unknown
    if (option !== undefined && typeof option !== "boolean" && !Schedule.isSchedule(option)) {
      return yield* configError("reconnect", option, "true, false or a Schedule")
    }
    const reconnect =
      option === undefined || option === true
        ? defaultReconnect
        : option === false
          ? undefined
          : (options.reconnect as Schedule.Schedule<unknown, ConnectionError>)
    const offlineQueue = yield* boolean("offlineQueue", options.offlineQueue, true)
    const commandMetrics = yield* boolean("commandMetrics", options.commandMetrics, false)
    if (options.tracing !== undefined && typeof options.tracing !== "boolean" && options.tracing !== "auto") {
      return yield* configError("tracing", options.tracing, 'true, false or "auto"')
    }
    yield* optionalString("keyPrefix", options.keyPrefix)
    if (options.retry !== undefined && !Schedule.isSchedule(options.retry)) {
      return yield* configError("retry", options.retry, "a Schedule")
    }
    const retryWrites = yield* boolean("retryWrites", options.retryWrites, false)
    const clientName = yield* optionalString("clientName", options.clientName)
    if (clientName !== undefined && !/^[!-~]*$/.test(clientName)) {
      return yield* configError("clientName", clientName, "printable ASCII without spaces (Redis' rule)")
    }
    const username = yield* optionalString("username", options.username)
    if (
      options.password !== undefined &&
      typeof options.password !== "string" &&
      !Redacted.isRedacted(options.password)
    ) {
      return yield* configError("password", options.password, "a string or a Redacted string", true)
    }
    const targets: ReadonlyArray<unknown> =
      options.endpoints !== undefined
        ? Array.isArray(options.endpoints)
          ? options.endpoints
          : yield* new EndpointError({
              input: `endpoints=${describeValue(options.endpoints)}`,
              message: `endpoints must be an array of servers (each ${endpointShapes}), got ${describeValue(options.endpoints)}`
            })
        : [options.endpoint === undefined ? "redis://localhost:6379" : options.endpoint]
    if (targets.length === 0) {
      return yield* new EndpointError({ input: "endpoints=[]", message: "endpoints must name at least one server" })
    }
    const resolved: Array<ResolvedOptions> = []
    for (const value of targets) {
      const url = yield* target(options.endpoints !== undefined ? "endpoints" : "endpoint", value)
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
        username: username ?? url.username,
        password,
        clientName,
        protocol: options.protocol ?? 2,
        reconnect,
        reconnectExplicit: option !== undefined && typeof option !== "boolean",
        connectTimeout,
        commandTimeout: Duration.isFinite(commandTimeout) ? Duration.toMillis(commandTimeout) : Infinity,
        offlineQueue,
        maxOfflineCommands,
        poolSize,
        maxBlockingConnections,
        tracing: options.tracing ?? false,
        commandMetrics,
        retry: options.retry,
        retryWrites
      })
    }
    return resolved
  })

/** a duration read from config text: a bare number is milliseconds; anything else is left for `resolve` to check */
const durationText = (text: string): Duration.Input => {
  const trimmed = text.trim()
  return (/^\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : trimmed) as Duration.Input
}

const optional = <A>(config: Config.Config<A>) => config.pipe(Config.option, Config.map(Option.getOrUndefined))

/**
 * The options `Redis.layerConfig()` reads by default:
 *
 * - `REDIS_URL`: the endpoint (default `redis://localhost:6379`)
 * - `REDIS_PASSWORD` (read as `Redacted`), `REDIS_DATABASE`, `REDIS_POOL_SIZE` (whole numbers)
 * - `REDIS_COMMAND_TIMEOUT`, `REDIS_CONNECT_TIMEOUT`: a bare number is milliseconds (`2000`, `1.5`), or an Effect
 *   duration string (`"2 seconds"`, `"500 millis"`, `"1 minute"`), or `"infinity"` for none
 *
 * A variable that is set but malformed fails the layer with `ConfigError` (not a whole number) or
 * `RedisConfigError` (a bad duration, a pool size of 0, …).
 *
 * @example
 * ```ts
 * import { Redis, redisOptionsConfig } from "@fxredis/client"
 * import { Config } from "effect"
 *
 * // the defaults, plus a client name from the environment
 * const RedisLive = Redis.layerConfig(
 *   Config.all({ base: redisOptionsConfig, clientName: Config.String("APP_NAME") }).pipe(
 *     Config.map(({ base, clientName }) => ({ ...base, clientName }))
 *   )
 * )
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const redisOptionsConfig: Config.Config<RedisOptions> = Config.all({
  endpoint: Config.String("REDIS_URL").pipe(Config.withDefault("redis://localhost:6379")),
  password: optional(Config.Redacted("REDIS_PASSWORD")),
  database: optional(Config.Int("REDIS_DATABASE")),
  poolSize: optional(Config.Int("REDIS_POOL_SIZE")),
  commandTimeout: optional(Config.String("REDIS_COMMAND_TIMEOUT").pipe(Config.map(durationText))),
  connectTimeout: optional(Config.String("REDIS_CONNECT_TIMEOUT").pipe(Config.map(durationText))),
  keyPrefix: optional(Config.String("REDIS_KEY_PREFIX"))
})
