/**
 * A command as data: its arguments and how its reply becomes a typed value. The typed methods of the `Redis`
 * service are built from these descriptors, so the same table serves a connection, a pool, a sharded client
 * (which routes by the arguments) and a transaction (which queues them and types the `EXEC` replies).
 *
 * Reply conversions are strict: a reply of an unexpected shape is a `ReplyError` with code `"UNEXPECTED"`, never a
 * wrong value and never a throw. Values are returned as the server sent them (no number guessing): a bulk string is a
 * `string`, nil is `Option.none()`.
 *
 * @since 0.1.0
 */
import { type CommandArg, RespMap, type RespValue } from "@fxredis/protocol"
import { Exit, Option } from "effect"
import type { Transform } from "./internal/pipeline.ts"
import { textOf } from "./internal/reply.ts"
import { type RedisError, ReplyError } from "./RedisErrors.ts"

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
export const make = <A>(args: ReadonlyArray<CommandArg>, transform: (value: RespValue) => Exit.Exit<A, RedisError>) =>
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
export const blocking = <A>(
  args: ReadonlyArray<CommandArg>,
  transform: (value: RespValue) => Exit.Exit<A, RedisError>
) => ({ args, transform, blocking: true }) as Command<A>

const unexpected = (value: RespValue, expected: string): Exit.Exit<never, RedisError> =>
  Exit.fail(
    new ReplyError({
      code: "UNEXPECTED",
      message: `expected ${expected}, got ${describe(value)}`,
      command: ""
    })
  )

const describe = (value: RespValue): string =>
  value === null
    ? "nil"
    : Array.isArray(value)
      ? "an array"
      : typeof value === "object"
        ? value.constructor.name
        : typeof value

const text = textOf

/**
 * @example
 * ```ts
 * import { Command, Redis } from "@fxredis/client"
 *
 * const command = Command.make(["OBJECT", "ENCODING", "key"], Command.raw) // reply: RespValue, as sent
 * const result = Redis.use((redis) => redis.run(command))
 * ```
 *
 * @category transforms
 * @since 0.1.0
 */
export const raw = (value: RespValue): Exit.Exit<RespValue, RedisError> => Exit.succeed(value)

/**
 * `+OK` (or any status) → void.
 *
 * @example
 * ```ts
 * import { Command, Redis } from "@fxredis/client"
 *
 * const command = Command.make(["LTRIM", "list", "0", "99"], Command.ok) // reply: void
 * const result = Redis.use((redis) => redis.run(command))
 * ```
 *
 * @category transforms
 * @since 0.1.0
 */
export const ok = (_: RespValue): Exit.Exit<void, RedisError> => Exit.void

/**
 * Marks a transform as binary: its reply's bulk strings arrive as `Uint8Array`, byte for byte.
 *
 * @example
 * ```ts
 * import { Command, Redis } from "@fxredis/client"
 *
 * const dump = Command.make(["DUMP", "key"], Command.binary(Command.raw)) // the serialized value, as bytes
 * const bytes = Redis.use((redis) => redis.run(dump))
 * ```
 *
 * @category transforms
 * @since 0.1.0
 */
export const binary = <A>(
  transform: (value: RespValue) => Exit.Exit<A, RedisError>
): ((value: RespValue) => Exit.Exit<A, RedisError>) & { readonly binary: true } =>
  Object.assign((value: RespValue) => transform(value), { binary: true as const })

/**
 * Bytes or nil (GET of binary data).
 *
 * @example
 * ```ts
 * import { Redis } from "@fxredis/client"
 *
 * const image = Redis.use((redis) => redis.getBuffer("avatar:1")) // Option<Uint8Array>
 * ```
 *
 * @category transforms
 * @since 0.1.0
 */
export const optionBytes = binary(
  (value: RespValue): Exit.Exit<Option.Option<Uint8Array>, RedisError> =>
    value === null
      ? Exit.succeed(Option.none())
      : value instanceof Uint8Array
        ? Exit.succeed(Option.some(value))
        : unexpected(value, "bytes or nil")
)

/**
 * a string reply.
 *
 * @example
 * ```ts
 * import { Command, Redis } from "@fxredis/client"
 *
 * const command = Command.make(["TYPE", "key"], Command.string) // reply: "string", "list", …
 * const result = Redis.use((redis) => redis.run(command))
 * ```
 *
 * @category transforms
 * @since 0.1.0
 */
export const string = (value: RespValue): Exit.Exit<string, RedisError> => {
  const s = text(value)
  return s === undefined ? unexpected(value, "a string") : Exit.succeed(s)
}

/**
 * a string or nil.
 *
 * @example
 * ```ts
 * import { Command, Redis } from "@fxredis/client"
 *
 * const command = Command.make(["GET", "key"], Command.optionString) // reply: Option<string>
 * const result = Redis.use((redis) => redis.run(command))
 * ```
 *
 * @category transforms
 * @since 0.1.0
 */
export const optionString = (value: RespValue): Exit.Exit<Option.Option<string>, RedisError> => {
  if (value === null) return Exit.succeed(Option.none())
  const s = text(value)
  return s === undefined ? unexpected(value, "a string or nil") : Exit.succeed(Option.some(s))
}

/**
 * an integer reply.
 *
 * @example
 * ```ts
 * import { Command, Redis } from "@fxredis/client"
 *
 * const command = Command.make(["STRLEN", "key"], Command.number) // reply: number
 * const result = Redis.use((redis) => redis.run(command))
 * ```
 *
 * @category transforms
 * @since 0.1.0
 */
export const number = (value: RespValue): Exit.Exit<number, RedisError> =>
  typeof value === "number"
    ? Exit.succeed(value)
    : typeof value === "bigint"
      ? Exit.succeed(Number(value))
      : unexpected(value, "an integer")

/**
 * a float sent as a bulk string (RESP2) or a double (RESP3), or nil.
 *
 * @example
 * ```ts
 * import { Command, Redis } from "@fxredis/client"
 *
 * const command = Command.make(["ZSCORE", "board", "ada"], Command.optionFloat) // reply: Option<number>
 * const result = Redis.use((redis) => redis.run(command))
 * ```
 *
 * @category transforms
 * @since 0.1.0
 */
export const optionFloat = (value: RespValue): Exit.Exit<Option.Option<number>, RedisError> => {
  if (value === null) return Exit.succeed(Option.none())
  if (typeof value === "number") return Exit.succeed(Option.some(value))
  const s = text(value)
  return s === undefined ? unexpected(value, "a float or nil") : Exit.succeed(Option.some(parseFloat(s)))
}

/**
 * a float that is always there.
 *
 * @example
 * ```ts
 * import { Command, Redis } from "@fxredis/client"
 *
 * const command = Command.make(["INCRBYFLOAT", "price", "0.5"], Command.float) // reply: number
 * const result = Redis.use((redis) => redis.run(command))
 * ```
 *
 * @category transforms
 * @since 0.1.0
 */
export const float = (value: RespValue): Exit.Exit<number, RedisError> => {
  if (typeof value === "number") return Exit.succeed(value)
  const s = text(value)
  return s === undefined ? unexpected(value, "a float") : Exit.succeed(parseFloat(s))
}

/**
 * an integer or nil.
 *
 * @example
 * ```ts
 * import { Command, Redis } from "@fxredis/client"
 *
 * const command = Command.make(["ZRANK", "board", "ada"], Command.optionNumber) // reply: Option<number>
 * const result = Redis.use((redis) => redis.run(command))
 * ```
 *
 * @category transforms
 * @since 0.1.0
 */
export const optionNumber = (value: RespValue): Exit.Exit<Option.Option<number>, RedisError> =>
  value === null ? Exit.succeed(Option.none()) : Exit.map(number(value), Option.some)

/**
 * `:1` / `:0` (or a RESP3 boolean) → boolean.
 *
 * @example
 * ```ts
 * import { Command, Redis } from "@fxredis/client"
 *
 * const command = Command.make(["EXISTS", "key"], Command.boolean) // reply: boolean
 * const result = Redis.use((redis) => redis.run(command))
 * ```
 *
 * @category transforms
 * @since 0.1.0
 */
export const boolean = (value: RespValue): Exit.Exit<boolean, RedisError> =>
  typeof value === "number" || typeof value === "boolean"
    ? Exit.succeed(value === 1 || value === true)
    : unexpected(value, "0 or 1")

/**
 * `+OK` → true, nil → false (SET NX/XX).
 *
 * @example
 * ```ts
 * import { Command, Redis } from "@fxredis/client"
 *
 * const command = Command.make(["SET", "lock", "me", "NX", "PX", "3000"], Command.okOrNil) // reply: true when set
 * const result = Redis.use((redis) => redis.run(command))
 * ```
 *
 * @category transforms
 * @since 0.1.0
 */
export const okOrNil = (value: RespValue): Exit.Exit<boolean, RedisError> => Exit.succeed(value !== null)

const arrayOf = (value: RespValue): ReadonlyArray<RespValue> | undefined =>
  Array.isArray(value) ? value : value instanceof RespMap ? value.entries.flat() : undefined

/**
 * an array of strings.
 *
 * @example
 * ```ts
 * import { Command, Redis } from "@fxredis/client"
 *
 * const command = Command.make(["SMEMBERS", "tags"], Command.strings) // reply: Array<string>
 * const result = Redis.use((redis) => redis.run(command))
 * ```
 *
 * @category transforms
 * @since 0.1.0
 */
export const strings = (value: RespValue): Exit.Exit<Array<string>, RedisError> => {
  const items = Array.isArray(value)
    ? value
    : value !== null && typeof value === "object" && "values" in value
      ? (value.values as ReadonlyArray<RespValue>)
      : undefined
  if (items === undefined) return unexpected(value, "an array")
  const out: Array<string> = new Array(items.length)
  for (let i = 0; i < items.length; i++) {
    const s = text(items[i])
    if (s === undefined) return unexpected(items[i], "a string")
    out[i] = s
  }
  return Exit.succeed(out)
}

/**
 * an array of strings or nils (MGET, HMGET).
 *
 * @example
 * ```ts
 * import { Command, Redis } from "@fxredis/client"
 *
 * const command = Command.make(["MGET", "a", "b"], Command.optionStrings) // reply: Array<Option<string>>
 * const result = Redis.use((redis) => redis.run(command))
 * ```
 *
 * @category transforms
 * @since 0.1.0
 */
export const optionStrings = (value: RespValue): Exit.Exit<Array<Option.Option<string>>, RedisError> => {
  if (!Array.isArray(value)) return unexpected(value, "an array")
  const items: ReadonlyArray<RespValue> = value
  const out: Array<Option.Option<string>> = new Array(items.length)
  for (let i = 0; i < items.length; i++) {
    const item = items[i]
    if (item === null) out[i] = Option.none()
    else {
      const s = text(item)
      if (s === undefined) return unexpected(item, "a string or nil")
      out[i] = Option.some(s)
    }
  }
  return Exit.succeed(out)
}

/**
 * an array of 0/1 → booleans (SMISMEMBER).
 *
 * @example
 * ```ts
 * import { Command, Redis } from "@fxredis/client"
 *
 * const command = Command.make(["SMISMEMBER", "tags", "x", "y"], Command.booleans) // reply: Array<boolean>
 * const result = Redis.use((redis) => redis.run(command))
 * ```
 *
 * @category transforms
 * @since 0.1.0
 */
export const booleans = (value: RespValue): Exit.Exit<Array<boolean>, RedisError> => {
  if (!Array.isArray(value)) return unexpected(value, "an array")
  return Exit.succeed((value as ReadonlyArray<RespValue>).map((v) => v === 1 || v === true))
}

/**
 * a field/value map: a flat array (RESP2) or a map (RESP3) → a record.
 *
 * @example
 * ```ts
 * import { Command, Redis } from "@fxredis/client"
 *
 * const command = Command.make(["HGETALL", "user:1"], Command.record) // reply: Record<string, string>
 * const result = Redis.use((redis) => redis.run(command))
 * ```
 *
 * @category transforms
 * @since 0.1.0
 */
export const record = (value: RespValue): Exit.Exit<Record<string, string>, RedisError> => {
  const items = arrayOf(value)
  if (items === undefined || items.length % 2 !== 0) return unexpected(value, "a map")
  const out: Record<string, string> = {}
  for (let i = 0; i < items.length; i += 2) {
    const k = text(items[i])
    const v = text(items[i + 1])
    if (k === undefined || v === undefined) return unexpected(value, "a map of strings")
    out[k] = v
  }
  return Exit.succeed(out)
}

/**
 * A member with its score (ZRANGE … WITHSCORES, ZPOPMIN).
 *
 * @example
 * ```ts
 * import { Command, Redis } from "@fxredis/client"
 *
 * const top = Redis.use((redis) => redis.zrangeWithScores("board", 0, 2)) // Array<ScoredMember>: { member, score }
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface ScoredMember {
  readonly member: string
  readonly score: number
}

/**
 * flat `member score …` (RESP2) or pairs (RESP3) → scored members.
 *
 * @example
 * ```ts
 * import { Command, Redis } from "@fxredis/client"
 *
 * const command = Command.make(["ZRANGE", "board", "0", "9", "WITHSCORES"], Command.scored) // reply: Array<ScoredMember>
 * const result = Redis.use((redis) => redis.run(command))
 * ```
 *
 * @category transforms
 * @since 0.1.0
 */
export const scored = (value: RespValue): Exit.Exit<Array<ScoredMember>, RedisError> => {
  if (!Array.isArray(value)) return unexpected(value, "an array")
  const items: ReadonlyArray<RespValue> = value
  const out: Array<ScoredMember> = []
  if (items.length > 0 && Array.isArray(items[0])) {
    for (const pair of items as ReadonlyArray<ReadonlyArray<RespValue>>) {
      const member = text(pair[0])
      const score = Exit.getSuccess(float(pair[1]))
      if (member === undefined || Option.isNone(score)) return unexpected(value, "member/score pairs")
      out.push({ member, score: score.value })
    }
    return Exit.succeed(out)
  }
  if (items.length % 2 !== 0) return unexpected(value, "member/score pairs")
  for (let i = 0; i < items.length; i += 2) {
    const member = text(items[i])
    const score = Exit.getSuccess(float(items[i + 1]))
    if (member === undefined || Option.isNone(score)) return unexpected(value, "member/score pairs")
    out.push({ member, score: score.value })
  }
  return Exit.succeed(out)
}

/**
 * `[key, value]` or nil (BLPOP, BRPOP).
 *
 * @example
 * ```ts
 * import { Command, Redis } from "@fxredis/client"
 *
 * const command = Command.make(["BLPOP", "jobs", "1"], Command.keyValue) // reply: Option<[key, value]>
 * const result = Redis.use((redis) => redis.run(command))
 * ```
 *
 * @category transforms
 * @since 0.1.0
 */
export const keyValue = (value: RespValue): Exit.Exit<Option.Option<readonly [string, string]>, RedisError> => {
  if (value === null) return Exit.succeed(Option.none())
  if (!Array.isArray(value) || value.length !== 2) return unexpected(value, "a [key, value] pair or nil")
  const k = text(value[0])
  const v = text(value[1])
  return k === undefined || v === undefined
    ? unexpected(value, "a [key, value] pair")
    : Exit.succeed(Option.some([k, v] as const))
}

/**
 * A stream entry: its id and field/value pairs.
 *
 * @example
 * ```ts
 * import { Command, Redis } from "@fxredis/client"
 *
 * const entries = Redis.use((redis) => redis.xrange("events")) // Array<StreamEntry>: { id, fields }
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface StreamEntry {
  readonly id: string
  readonly fields: Record<string, string>
}

const entry = (value: RespValue): StreamEntry | undefined => {
  if (!Array.isArray(value) || value.length !== 2) return undefined
  const id = text(value[0])
  const fields = Exit.getSuccess(record(value[1]))
  return id === undefined || Option.isNone(fields) ? undefined : { id, fields: fields.value }
}

/**
 * XRANGE → entries.
 *
 * @example
 * ```ts
 * import { Command, Redis } from "@fxredis/client"
 *
 * const command = Command.make(["XRANGE", "events", "-", "+"], Command.streamEntries) // reply: Array<StreamEntry>
 * const result = Redis.use((redis) => redis.run(command))
 * ```
 *
 * @category transforms
 * @since 0.1.0
 */
export const streamEntries = (value: RespValue): Exit.Exit<Array<StreamEntry>, RedisError> => {
  if (!Array.isArray(value)) return unexpected(value, "an array of stream entries")
  const out: Array<StreamEntry> = []
  for (const item of value as ReadonlyArray<RespValue>) {
    const e = entry(item)
    if (e === undefined) return unexpected(item, "a stream entry")
    out.push(e)
  }
  return Exit.succeed(out)
}

/**
 * XREAD's reply: the entries per stream, in the order of the request; nil (a timeout) is an empty array.
 *
 * @example
 * ```ts
 * import { Command, Redis } from "@fxredis/client"
 *
 * const fresh = Redis.use((redis) => redis.xread([["events", "$"]], { block: "5 seconds" })) // StreamRead
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export type StreamRead = Array<{ readonly stream: string; readonly entries: Array<StreamEntry> }>

/**
 * XREAD → entries per stream (RESP2 array of pairs or RESP3 map).
 *
 * @example
 * ```ts
 * import { Command, Redis } from "@fxredis/client"
 *
 * const command = Command.make(["XREAD", "STREAMS", "events", "0"], Command.streamRead) // reply: StreamRead
 * const result = Redis.use((redis) => redis.run(command))
 * ```
 *
 * @category transforms
 * @since 0.1.0
 */
export const streamRead = (value: RespValue): Exit.Exit<StreamRead, RedisError> => {
  if (value === null) return Exit.succeed([])
  const pairs: ReadonlyArray<readonly [RespValue, RespValue]> | undefined = Array.isArray(value)
    ? (value as ReadonlyArray<RespValue>).map((p) =>
        Array.isArray(p) ? ([p[0], p[1]] as const) : ([null, null] as const)
      )
    : value instanceof RespMap
      ? value.entries
      : undefined
  if (pairs === undefined) return unexpected(value, "XREAD's reply")
  const out: StreamRead = []
  for (const [name, entries] of pairs) {
    const stream = text(name)
    const parsed = Exit.getSuccess(streamEntries(entries))
    if (stream === undefined || Option.isNone(parsed)) return unexpected(value, "XREAD's reply")
    out.push({ stream, entries: parsed.value })
  }
  return Exit.succeed(out)
}

/**
 * `[cursor, items]` (SCAN family).
 *
 * @example
 * ```ts
 * import { Command, Redis } from "@fxredis/client"
 *
 * const command = Command.make(["SCAN", "0", "COUNT", "100"], Command.scanPage) // reply: [cursor, keys]
 * const result = Redis.use((redis) => redis.run(command))
 * ```
 *
 * @category transforms
 * @since 0.1.0
 */
export const scanPage = (value: RespValue): Exit.Exit<readonly [string, Array<string>], RedisError> => {
  if (!Array.isArray(value) || value.length !== 2) return unexpected(value, "a SCAN page")
  const cursor = text(value[0])
  const items = Exit.getSuccess(strings(value[1]))
  return cursor === undefined || Option.isNone(items)
    ? unexpected(value, "a SCAN page")
    : Exit.succeed([cursor, items.value] as const)
}

/**
 * TIME → [seconds, microseconds].
 *
 * @example
 * ```ts
 * import { Command, Redis } from "@fxredis/client"
 *
 * const command = Command.make(["TIME"], Command.time) // reply: [seconds, microseconds]
 * const result = Redis.use((redis) => redis.run(command))
 * ```
 *
 * @category transforms
 * @since 0.1.0
 */
export const time = (value: RespValue): Exit.Exit<readonly [number, number], RedisError> =>
  Exit.map(strings(value), (parts) => [Number(parts[0]), Number(parts[1])] as const)

/**
 * an array of integers (BITFIELD_RO).
 *
 * @example
 * ```ts
 * import { Command, Redis } from "@fxredis/client"
 *
 * const command = Command.make(["BITFIELD_RO", "flags", "GET", "u4", "0"], Command.numbers) // reply: Array<number>
 * const result = Redis.use((redis) => redis.run(command))
 * ```
 *
 * @category transforms
 * @since 0.1.0
 */
export const numbers = (value: RespValue): Exit.Exit<Array<number>, RedisError> => {
  if (!Array.isArray(value)) return unexpected(value, "an array")
  const items: ReadonlyArray<RespValue> = value
  const out: Array<number> = new Array(items.length)
  for (let i = 0; i < items.length; i++) {
    const item = items[i]
    if (typeof item === "number") out[i] = item
    else if (typeof item === "bigint") out[i] = Number(item)
    else return unexpected(item, "an integer")
  }
  return Exit.succeed(out)
}

/**
 * an array of floats or nils (ZMSCORE).
 *
 * @example
 * ```ts
 * import { Command, Redis } from "@fxredis/client"
 *
 * const command = Command.make(["ZMSCORE", "board", "ada", "bob"], Command.optionFloats) // reply: Array<Option<number>>
 * const result = Redis.use((redis) => redis.run(command))
 * ```
 *
 * @category transforms
 * @since 0.1.0
 */
export const optionFloats = (value: RespValue): Exit.Exit<Array<Option.Option<number>>, RedisError> => {
  if (!Array.isArray(value)) return unexpected(value, "an array")
  const items: ReadonlyArray<RespValue> = value
  const out: Array<Option.Option<number>> = new Array(items.length)
  for (let i = 0; i < items.length; i++) {
    const item = Exit.getSuccess(optionFloat(items[i]))
    if (Option.isNone(item)) return unexpected(items[i], "a float or nil")
    out[i] = item.value
  }
  return Exit.succeed(out)
}
