/**
 * A command as data: its arguments and how its reply becomes a typed value. The typed methods of the `Redis`
 * service are built from these descriptors, so the same table serves a connection, a pool, a sharded client
 * (which routes by the arguments) and a transaction (which queues them and types the `EXEC` replies).
 *
 * The reply decoders (`Command.raw`, `Command.number`, `Command.optionString`, …) live in `RedisReply`, the reply
 * layer, and are re-exported here under the names they have always had. They are strict: a reply of an unexpected
 * shape is a `ReplyError` with code `"UNEXPECTED"` that names the command and what was expected, never a wrong value
 * and never a throw.
 *
 * @since 0.1.0
 */
import type { CommandArg } from "@fxredis/protocol"
import type { Transform } from "./internal/pipeline.ts"
import type { Decoder } from "./RedisReply.ts"

export {
  bigint,
  binary,
  boolean,
  booleans,
  float,
  keyValue,
  number,
  numbers,
  ok,
  okOrNil,
  optionBytes,
  optionFloat,
  optionFloats,
  optionNumber,
  optionString,
  optionStrings,
  raw,
  record,
  type ScoredMember,
  type StreamEntry,
  type StreamRead,
  scanPage,
  scored,
  streamEntries,
  streamRead,
  string,
  strings,
  time
} from "./RedisReply.ts"

/**
 * @example
 * ```ts
 * import { Command, Redis } from "@fxredis/client"
 *
 * const hits: Command.Command<number> = Command.make(["INCR", "hits"], Command.number)
 * const n = Redis.use((redis) => redis.run(hits)) // Effect<number, RedisError>
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface Command<A> {
  readonly args: ReadonlyArray<CommandArg>
  readonly transform: Transform
  /** blocking commands run on a connection of their own and have no command timeout */
  readonly blocking: boolean
  /** phantom: the reply type */
  readonly _A?: (_: never) => A
}

/**
 * The reply type of a command descriptor.
 *
 * @example
 * ```ts
 * import { Command } from "@fxredis/client"
 *
 * const get = Command.make(["GET", "k"], Command.optionString)
 * type Reply = Command.CommandResult<typeof get> // Option<string>
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export type CommandResult<C> = C extends Command<infer A> ? A : never

/**
 * @example
 * ```ts
 * import { Command, Redis } from "@fxredis/client"
 * import { Exit } from "effect"
 *
 * // a command the typed API lacks, with its own reply conversion
 * const objectFreq = (key: string) => Command.make(["OBJECT", "FREQ", key], Command.number)
 * const freq = Redis.use((redis) => redis.run(objectFreq("hot-key")))
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = <A>(args: ReadonlyArray<CommandArg>, transform: Decoder<A>) =>
  ({ args, transform, blocking: false }) as Command<A>

/**
 * @example
 * ```ts
 * import { Command, Redis } from "@fxredis/client"
 *
 * // runs on a connection of its own, with no command timeout
 * const pop = Command.blocking(["BRPOPLPUSH", "jobs", "working", "5"], Command.optionString)
 * const job = Redis.use((redis) => redis.run(pop))
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const blocking = <A>(args: ReadonlyArray<CommandArg>, transform: Decoder<A>) =>
  ({ args, transform, blocking: true }) as Command<A>
