/**
 * The errors of `@fxredis/client`, all typed values in the error channel.
 *
 * - `ConnectionError` (from `@fxredis/transport`): the link could not be opened, dropped, or the client is offline.
 *   For a command that was written before the link dropped, `sent` is `true`: it may or may not have run.
 * - `ReplyError`: the server answered `-ERR …`; `code` is the first word (`ERR`, `WRONGTYPE`, `NOSCRIPT`, …).
 * - `ProtocolError` (from `@fxredis/protocol`): the server sent bytes that are not RESP; the connection was closed.
 * - `CommandTimeoutError`: no reply within `commandTimeout` (distinct from `Effect.timeout`'s `TimeoutError`).
 * - `ShardingError`: a sharded client cannot route a command (its keys live on different shards, or it has no key).
 * - `TransactionAbortedError`: `EXEC` returned nil because a `WATCH`ed key changed.
 * - `RedisConfigError`: an option other than the endpoint is invalid (a layer fails with it while it is built);
 *   a bad endpoint or URL is an `EndpointError` (from `@fxredis/transport`).
 *
 * Nothing here is thrown: every public function puts these in the error channel.
 *
 * @since 0.1.0
 */
import { ProtocolError } from "@fxredis/protocol"
import { ConnectionError, EndpointError } from "@fxredis/transport"
import { Schema } from "effect"

export { ConnectionError, EndpointError, ProtocolError }

/**
 * The server answered a command with an error reply.
 *
 * @example
 * ```ts
 * import { Redis, ReplyError } from "@fxredis/client"
 * import { Effect } from "effect"
 *
 * const safe = Effect.gen(function*() {
 *   const redis = yield* Redis
 *   return yield* redis.incr("not-a-number")
 * }).pipe(Effect.catchTag("ReplyError", (e: ReplyError) => Effect.succeed(e.code)))
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class ReplyError extends Schema.TaggedError<ReplyError>()("ReplyError", {
  /** the error code: the first word of the reply when it is upper case (`ERR`, `WRONGTYPE`, `NOSCRIPT`, `MOVED`…) */
  code: Schema.String,
  /** the whole error text as the server sent it (without the leading `-`) */
  message: Schema.String,
  /** the command's name, upper case */
  command: Schema.String
}) {}

/**
 * No reply came within the client's `commandTimeout`. The connection stays consistent: the late reply, if it ever
 * comes, is discarded, and the next command gets its own reply.
 *
 * @example
 * ```ts
 * import { Redis } from "@fxredis/client"
 * import { Effect } from "effect"
 *
 * const slow = Redis.use((redis) => redis.send("DEBUG", "SLEEP", "5")).pipe(
 *   Effect.catchTag("CommandTimeoutError", (e) => Effect.succeed(`gave up after ${e.timeout} ms (sent: ${e.sent})`))
 * )
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class CommandTimeoutError extends Schema.TaggedError<CommandTimeoutError>()("CommandTimeoutError", {
  command: Schema.String,
  /** the timeout in milliseconds */
  timeout: Schema.Number,
  /** `true` when the command had been written to the server (it may still run), `false` when it waited offline */
  sent: Schema.Boolean,
  message: Schema.String,
  /** when it waited offline: why the client was not connected (the last failed attempt, such as a wrong password) */
  cause: Schema.optional(Schema.Defect())
}) {}

/**
 * A sharded client could not route a command: its keys hash to different shards, or it has no key and cannot be
 * sent to every shard. Nothing was sent.
 *
 * @example
 * ```ts
 * import { Redis } from "@fxredis/client"
 * import { Effect } from "effect"
 *
 * // keys on different shards cannot be renamed into each other: nothing is sent
 * const moved = Redis.use((redis) => redis.rename("user:1", "user:2")).pipe(
 *   Effect.catchTag("ShardingError", (e) => Effect.succeed(`refused: ${e.shards.join(", ")}`))
 * )
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class ShardingError extends Schema.TaggedError<ShardingError>()("ShardingError", {
  command: Schema.String,
  /** the shards involved (endpoint names) */
  shards: Schema.Array(Schema.String),
  message: Schema.String
}) {}

/**
 * `EXEC` returned nil: a key under `WATCH` changed, so the transaction did not run. Retry it with `Effect.retry`.
 *
 * @example
 * ```ts
 * import { Redis } from "@fxredis/client"
 * import { Effect, Schedule } from "effect"
 *
 * const bump = Redis.use((redis) =>
 *   redis.transaction((tx) => Effect.andThen(tx.watch("n"), tx.exec((q) => [q.incr("n")])))
 * ).pipe(Effect.retry({ while: (e) => e._tag === "TransactionAbortedError", schedule: Schedule.spaced("5 millis") }))
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class TransactionAbortedError extends Schema.TaggedError<TransactionAbortedError>()("TransactionAbortedError", {
  message: Schema.String
}) {}

/**
 * The client refused to send a command, and nothing of it was written: an argument that is not a string, a number
 * or bytes (`null`, `undefined`, an object), or a command that would change the state of a connection other
 * fibers share (`MULTI`, `SELECT`, `CLIENT REPLY`, `RESET`, `SUBSCRIBE`, …). `message` names the API to use instead.
 *
 * @example
 * ```ts
 * import { Redis } from "@fxredis/client"
 * import { Effect } from "effect"
 *
 * // SELECT on a shared, pipelined connection would switch the database of every other fiber
 * const refused = Redis.use((redis) => redis.send("SELECT", "5")).pipe(
 *   Effect.catchTag("InvalidCommandError", (e) => Effect.succeed(e.message))
 * )
 * ```
 *
 * @category errors
 * @since 0.2.0
 */
export class InvalidCommandError extends Schema.TaggedError<InvalidCommandError>()("InvalidCommandError", {
  command: Schema.String,
  message: Schema.String
}) {}

/**
 * An option is invalid: a negative or NaN duration, a pool size that is not a whole number ≥ 1, a protocol other than
 * 2 or 3, a value of the wrong type passed from JavaScript, … Raised while options are resolved (so by every layer
 * and `Redis.make` before anything connects), never thrown. The endpoint options (`endpoint`, `endpoints`, a URL)
 * fail with `EndpointError` instead.
 *
 * `value` describes what was given without secrets: a password is never shown, and only the type of a value that
 * is not a plain number, boolean or short string.
 *
 * @example
 * ```ts
 * import { Redis } from "@fxredis/client"
 * import { Effect, Layer } from "effect"
 *
 * const checked = Layer.build(Redis.layer({ poolSize: 0 })).pipe(
 *   Effect.catchTag("RedisConfigError", (e) => Effect.succeed(`${e.option}: ${e.message}`))
 * )
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class RedisConfigError extends Schema.TaggedError<RedisConfigError>()("RedisConfigError", {
  /** the option's name, as in `RedisOptions` (`"poolSize"`, `"commandTimeout"`, …) */
  option: Schema.String,
  /** what was given, described without secrets (`"0"`, `"a string"`, `"NaN"`, …) */
  value: Schema.String,
  message: Schema.String
}) {}

/**
 * Every connection of a server's pool stayed pinned (by transactions) for `commandTimeout`: the command or
 * transaction waited for a free connection and gave up. Nothing was sent. A sign that transactions hold
 * connections too long, or that `poolSize` is too small for how many run at once.
 *
 * @example
 * ```ts
 * import { Redis } from "@fxredis/client"
 * import { Effect } from "effect"
 *
 * const bump = Redis.use((redis) => redis.transaction((tx) => tx.exec((q) => [q.incr("n")]))).pipe(
 *   Effect.catchTag("PoolExhaustedError", (e) => Effect.succeed(`no free connection to ${e.server} in ${e.timeout} ms`))
 * )
 * ```
 *
 * @category errors
 * @since 0.2.0
 */
export class PoolExhaustedError extends Schema.TaggedError<PoolExhaustedError>()("PoolExhaustedError", {
  /** the server whose pool was exhausted */
  server: Schema.String,
  /** how long it waited, in milliseconds */
  timeout: Schema.Number,
  message: Schema.String
}) {}

/**
 * Every error a command of the `Redis` service can fail with.
 *
 * @example
 * ```ts
 * import type { RedisError } from "@fxredis/client"
 *
 * const describe = (e: RedisError): string => `${e._tag}: ${e.message}`
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export type RedisError =
  | ConnectionError
  | ReplyError
  | ProtocolError
  | CommandTimeoutError
  | ShardingError
  | TransactionAbortedError
  | InvalidCommandError
  | PoolExhaustedError
