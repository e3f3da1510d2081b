/**
 * The reply layer: how a decoded reply becomes a typed value. The decoder (`@fxredis/protocol`) has no modes: a bulk
 * string always comes as its bytes, as an ASCII `string` or a `Uint8Array` (see `RespValue`). Each decoder here
 * decides what the command's reply means: text (UTF-8), bytes, numbers, booleans, `Option`s, returned as an `Exit`.
 * `Command.ts` re-exports every decoder under the names it has always had (`Command.number`, `Command.raw`, …).
 *
 * Decoders are strict: a reply of another shape is a `ReplyError` with code `"UNEXPECTED"` whose `command` names
 * the command and whose message says what was expected and what came, never a wrong value and never a throw. Values
 * are returned as the server sent them (no number guessing): a bulk string is a `string`, nil is `Option.none()`.
 * An integer beyond `Number.MAX_SAFE_INTEGER` is never rounded: `number` fails on it, `bigint` reads it whole.
 *
 * Each decoder takes the reply and the command's name (its first argument), which the client passes and uses
 * only to name the command in an error.
 *
 * @since 0.2.0
 */
import { type CommandArg, RespMap, type RespValue } from "@fxredis/protocol"
import { Exit, Option } from "effect"
import { commandName } from "./internal/pipeline.ts"
import { bytesDeep, bytesOf, textOf, textual as textualDeep } from "./internal/reply.ts"
import { type RedisError, ReplyError } from "./RedisErrors.ts"

/**
 * A reply decoder: the decoded reply (and the command's name, for errors) to a typed value or a typed failure.
 *
 * @example
 * ```ts
 * import { Command, RedisReply } from "@fxredis/client"
 * import { Exit } from "effect"
 *
 * // a decoder of your own: reuse the library's, then refine
 * const percent: RedisReply.Decoder<number> = (value, command) =>
 *   Exit.map(RedisReply.number(value, command), (n) => n / 100)
 * const command = Command.make(["GET", "ratio"], percent)
 * ```
 *
 * @category models
 * @since 0.2.0
 */
export type Decoder<A> = (value: RespValue, command?: CommandArg) => Exit.Exit<A, RedisError>

/**
 * The typed failure of a reply of the wrong shape: code `"UNEXPECTED"`, the command's name, what was expected and
 * what came.
 *
 * @example
 * ```ts
 * import { RedisReply } from "@fxredis/client"
 *
 * const exit = RedisReply.unexpected(["a"], "an integer", "STRLEN") // Exit.fail(ReplyError { command: "STRLEN", … })
 * ```
 *
 * @category constructors
 * @since 0.2.0
 */
export const unexpected = (value: RespValue, expected: string, command?: CommandArg): Exit.Exit<never, RedisError> => {
  const name = command === undefined ? "UNKNOWN" : commandName(command)
  return Exit.fail(
    new ReplyError({
      code: "UNEXPECTED",
      message: `${name} replied ${describe(value)}: expected ${expected}`,
      command: name
    })
  )
}

const describe = (value: RespValue): string =>
  value === null
    ? "nil"
    : Array.isArray(value)
      ? "an array"
      : typeof value === "string"
        ? `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`
        : typeof value === "number" || typeof value === "bigint"
          ? `the number ${String(value)}`
          : value instanceof Uint8Array
            ? `${value.length} bytes`
            : typeof value === "object"
              ? `a ${value.constructor.name}`
              : typeof value

const text = textOf

/** shared: a boolean decoder allocates nothing */
const exitTrue: Exit.Exit<boolean> = Exit.succeed(true)
const exitFalse: Exit.Exit<boolean> = Exit.succeed(false)

/**
 * The reply as the server sent it, with its bulk strings as UTF-8 text (inside arrays, maps, sets and attributes
 * too). A bulk too long for a JavaScript string stays a `Uint8Array`. `binary(raw)` keeps every string as bytes.
 *
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
export const raw: Decoder<RespValue> = (value) => Exit.succeed(textualDeep(value))

/**
 * The reply with every bulk string as UTF-8 text, inside aggregates too (what `raw` succeeds with); the same object
 * when it holds no bytes. A bulk too long for a JavaScript string stays a `Uint8Array`.
 *
 * @example
 * ```ts
 * import { RedisReply } from "@fxredis/client"
 *
 * RedisReply.textual([new TextEncoder().encode("héllo"), 1]) // ["héllo", 1]
 * ```
 *
 * @category transforms
 * @since 0.2.0
 */
export const textual: (value: RespValue) => RespValue = textualDeep

/**
 * A status reply (`+OK`, `+QUEUED`, any status) → void. Anything else (nil, a number, an array) is an `UNEXPECTED`
 * `ReplyError`.
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
export const ok = (value: RespValue, command?: CommandArg): Exit.Exit<void, RedisError> =>
  typeof value === "string" ? Exit.void : unexpected(value, "a status such as OK", command)

/**
 * The binary variant of a decoder: it reads the reply with every string as bytes (`Uint8Array`), byte for byte.
 * `binary(raw)` is the reply as sent with its strings as bytes (status replies too); other decoders get the bytes
 * and convert them as they do (`binary(optionString)` still gives text).
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
export const binary = <A>(decoder: Decoder<A>): Decoder<A> =>
  (decoder as Decoder<unknown>) === raw
    ? (rawBytes as Decoder<unknown> as Decoder<A>)
    : (value, command) => decoder(bytesDeep(value), command)

const rawBytes: Decoder<RespValue> = (value) => Exit.succeed(bytesDeep(value))

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
export const optionBytes = (
  value: RespValue,
  command?: CommandArg
): Exit.Exit<Option.Option<Uint8Array>, RedisError> => {
  if (value === null) return Exit.succeed(Option.none())
  const bytes = bytesOf(value)
  return bytes === undefined ? unexpected(value, "bytes or nil", command) : Exit.succeed(Option.some(bytes))
}

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
export const string = (value: RespValue, command?: CommandArg): Exit.Exit<string, RedisError> => {
  const s = typeof value === "string" ? value : text(value)
  return s === undefined ? unexpected(value, "a string", command) : Exit.succeed(s)
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
export const optionString = (value: RespValue, command?: CommandArg): Exit.Exit<Option.Option<string>, RedisError> => {
  if (value === null) return Exit.succeed(Option.none())
  const s = typeof value === "string" ? value : text(value)
  return s === undefined ? unexpected(value, "a string or nil", command) : Exit.succeed(Option.some(s))
}

/**
 * an integer reply, as a `number`. An integer beyond `Number.MAX_SAFE_INTEGER` (±2^53 - 1), which a `number`
 * cannot hold exactly, is an `UNEXPECTED` `ReplyError` rather than a rounded value: read such replies with `bigint`.
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
export const number = (value: RespValue, command?: CommandArg): Exit.Exit<number, RedisError> => {
  if (typeof value === "number") return Exit.succeed(value)
  const n = safe(value)
  return n === undefined ? unexpected(value, expectedInteger, command) : Exit.succeed(n)
}

const expectedInteger = "an integer within ±Number.MAX_SAFE_INTEGER (read larger ones with Command.bigint)"

/** a bigint that a number holds exactly, as that number */
const safe = (value: RespValue): number | undefined => {
  if (typeof value !== "bigint") return undefined
  const n = Number(value)
  return Number.isSafeInteger(n) && BigInt(n) === value ? n : undefined
}

/**
 * an integer reply (or a RESP3 big number), whole, as a `bigint`: for counters that may pass 2^53.
 *
 * @example
 * ```ts
 * import { Command, Redis } from "@fxredis/client"
 *
 * const command = Command.make(["INCRBY", "big", "9007199254740993"], Command.bigint) // reply: bigint
 * const result = Redis.use((redis) => redis.run(command))
 * ```
 *
 * @category transforms
 * @since 0.2.0
 */
export const bigint = (value: RespValue, command?: CommandArg): Exit.Exit<bigint, RedisError> =>
  typeof value === "bigint"
    ? Exit.succeed(value)
    : typeof value === "number" && Number.isInteger(value)
      ? Exit.succeed(BigInt(value))
      : unexpected(value, "an integer", command)

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
export const optionFloat = (value: RespValue, command?: CommandArg): Exit.Exit<Option.Option<number>, RedisError> => {
  if (value === null) return Exit.succeed(Option.none())
  const n = floatOf(value)
  return n === undefined ? unexpected(value, "a float or nil", command) : Exit.succeed(Option.some(n))
}

/** a float reply's value: a RESP3 double, or the text of one (`"1.5"`, `"inf"`, `"-inf"`, `"nan"`) */
const floatOf = (value: RespValue): number | undefined => {
  if (typeof value === "number") return value
  const s = text(value)
  if (s === undefined) return undefined
  const n = Number(s)
  if (!Number.isNaN(n) && s.trim() !== "") return n
  const lower = s.toLowerCase()
  return lower === "inf" || lower === "+inf"
    ? Infinity
    : lower === "-inf"
      ? -Infinity
      : lower === "nan" || lower === "-nan"
        ? NaN
        : undefined
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
export const float = (value: RespValue, command?: CommandArg): Exit.Exit<number, RedisError> => {
  const n = floatOf(value)
  return n === undefined ? unexpected(value, "a float", command) : Exit.succeed(n)
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
export const optionNumber = (value: RespValue, command?: CommandArg): Exit.Exit<Option.Option<number>, RedisError> =>
  value === null ? Exit.succeed(Option.none()) : Exit.map(number(value, command), Option.some)

/**
 * `:1` / `:0` (or a RESP3 boolean) → boolean. Any other reply (2, nil, a string) is an `UNEXPECTED` `ReplyError`.
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
export const boolean = (value: RespValue, command?: CommandArg): Exit.Exit<boolean, RedisError> =>
  value === 1 || value === true
    ? exitTrue
    : value === 0 || value === false
      ? exitFalse
      : unexpected(value, "0 or 1", command)

/**
 * `+OK` → true, nil → false (SET NX/XX). Any other reply is an `UNEXPECTED` `ReplyError`.
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
export const okOrNil = (value: RespValue, command?: CommandArg): Exit.Exit<boolean, RedisError> =>
  value === "OK" ? exitTrue : value === null ? exitFalse : unexpected(value, "OK or nil", command)

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
export const strings = (value: RespValue, command?: CommandArg): Exit.Exit<Array<string>, RedisError> => {
  const items = Array.isArray(value)
    ? value
    : value !== null && typeof value === "object" && "values" in value
      ? (value.values as ReadonlyArray<RespValue>)
      : undefined
  if (items === undefined) return unexpected(value, "an array", command)
  const out: Array<string> = new Array(items.length)
  for (let i = 0; i < items.length; i++) {
    const item = items[i]
    const s = typeof item === "string" ? item : text(item)
    if (s === undefined) return unexpected(item, "an array of strings", command)
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
export const optionStrings = (
  value: RespValue,
  command?: CommandArg
): Exit.Exit<Array<Option.Option<string>>, RedisError> => {
  if (!Array.isArray(value)) return unexpected(value, "an array", command)
  const items: ReadonlyArray<RespValue> = value
  const out: Array<Option.Option<string>> = new Array(items.length)
  for (let i = 0; i < items.length; i++) {
    const item = items[i]
    if (item === null) out[i] = Option.none()
    else if (typeof item === "string") out[i] = Option.some(item)
    else {
      const s = text(item)
      if (s === undefined) return unexpected(item, "an array of strings or nils", command)
      out[i] = Option.some(s)
    }
  }
  return Exit.succeed(out)
}

/**
 * an array of 0/1 (or RESP3 booleans) → booleans (SMISMEMBER). Any other reply, or any other element, is an
 * `UNEXPECTED` `ReplyError`.
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
export const booleans = (value: RespValue, command?: CommandArg): Exit.Exit<Array<boolean>, RedisError> => {
  if (!Array.isArray(value)) return unexpected(value, "an array of 0 and 1", command)
  const items: ReadonlyArray<RespValue> = value
  const out: Array<boolean> = new Array(items.length)
  for (let i = 0; i < items.length; i++) {
    const item = items[i]
    if (item === 1 || item === true) out[i] = true
    else if (item === 0 || item === false) out[i] = false
    else return unexpected(item, "an array of 0 and 1", command)
  }
  return Exit.succeed(out)
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
export const record = (value: RespValue, command?: CommandArg): Exit.Exit<Record<string, string>, RedisError> => {
  const items = arrayOf(value)
  if (items === undefined || items.length % 2 !== 0) return unexpected(value, "a map", command)
  const out: Record<string, string> = {}
  for (let i = 0; i < items.length; i += 2) {
    const k = text(items[i])
    const v = text(items[i + 1])
    if (k === undefined || v === undefined) return unexpected(value, "a map of strings", command)
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
export const scored = (value: RespValue, command?: CommandArg): Exit.Exit<Array<ScoredMember>, RedisError> => {
  if (!Array.isArray(value)) return unexpected(value, "an array", command)
  const items: ReadonlyArray<RespValue> = value
  const out: Array<ScoredMember> = []
  if (items.length > 0 && Array.isArray(items[0])) {
    for (const pair of items as ReadonlyArray<ReadonlyArray<RespValue>>) {
      const member = text(pair[0])
      const score = floatOf(pair[1])
      if (member === undefined || score === undefined) return unexpected(value, "member/score pairs", command)
      out.push({ member, score })
    }
    return Exit.succeed(out)
  }
  if (items.length % 2 !== 0) return unexpected(value, "member/score pairs", command)
  for (let i = 0; i < items.length; i += 2) {
    const member = text(items[i])
    const score = floatOf(items[i + 1])
    if (member === undefined || score === undefined) return unexpected(value, "member/score pairs", command)
    out.push({ member, score })
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
export const keyValue = (
  value: RespValue,
  command?: CommandArg
): Exit.Exit<Option.Option<readonly [string, string]>, RedisError> => {
  if (value === null) return Exit.succeed(Option.none())
  if (!Array.isArray(value) || value.length !== 2) return unexpected(value, "a [key, value] pair or nil", command)
  const k = text(value[0])
  const v = text(value[1])
  return k === undefined || v === undefined
    ? unexpected(value, "a [key, value] pair", command)
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
export const streamEntries = (value: RespValue, command?: CommandArg): Exit.Exit<Array<StreamEntry>, RedisError> => {
  if (!Array.isArray(value)) return unexpected(value, "an array of stream entries", command)
  const out: Array<StreamEntry> = []
  for (const item of value as ReadonlyArray<RespValue>) {
    const e = entry(item)
    if (e === undefined) return unexpected(item, "a stream entry", command)
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
export const streamRead = (value: RespValue, command?: CommandArg): Exit.Exit<StreamRead, RedisError> => {
  if (value === null) return Exit.succeed([])
  const pairs: ReadonlyArray<readonly [RespValue, RespValue]> | undefined = Array.isArray(value)
    ? (value as ReadonlyArray<RespValue>).map((p) =>
        Array.isArray(p) ? ([p[0], p[1]] as const) : ([null, null] as const)
      )
    : value instanceof RespMap
      ? value.entries
      : undefined
  if (pairs === undefined) return unexpected(value, "XREAD's reply", command)
  const out: StreamRead = []
  for (const [name, entries] of pairs) {
    const stream = text(name)
    const parsed = Exit.getSuccess(streamEntries(entries))
    if (stream === undefined || Option.isNone(parsed)) return unexpected(value, "XREAD's reply", command)
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
export const scanPage = (
  value: RespValue,
  command?: CommandArg
): Exit.Exit<readonly [string, Array<string>], RedisError> => {
  if (!Array.isArray(value) || value.length !== 2) return unexpected(value, "a SCAN page", command)
  const cursor = text(value[0])
  const items = Exit.getSuccess(strings(value[1]))
  return cursor === undefined || Option.isNone(items)
    ? unexpected(value, "a SCAN page", command)
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
export const time = (value: RespValue, command?: CommandArg): Exit.Exit<readonly [number, number], RedisError> => {
  const parts = Exit.getSuccess(strings(value))
  const seconds = Option.isSome(parts) && parts.value.length === 2 ? Number(parts.value[0]) : NaN
  const micros = Option.isSome(parts) && parts.value.length === 2 ? Number(parts.value[1]) : NaN
  return Number.isSafeInteger(seconds) && Number.isSafeInteger(micros)
    ? Exit.succeed([seconds, micros] as const)
    : unexpected(value, "[seconds, microseconds]", command)
}

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
export const numbers = (value: RespValue, command?: CommandArg): Exit.Exit<Array<number>, RedisError> => {
  if (!Array.isArray(value)) return unexpected(value, "an array", command)
  const items: ReadonlyArray<RespValue> = value
  const out: Array<number> = new Array(items.length)
  for (let i = 0; i < items.length; i++) {
    const item = items[i]
    if (typeof item === "number") out[i] = item
    else {
      const n = safe(item)
      if (n === undefined) return unexpected(item, expectedInteger, command)
      out[i] = n
    }
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
export const optionFloats = (
  value: RespValue,
  command?: CommandArg
): Exit.Exit<Array<Option.Option<number>>, RedisError> => {
  if (!Array.isArray(value)) return unexpected(value, "an array", command)
  const items: ReadonlyArray<RespValue> = value
  const out: Array<Option.Option<number>> = new Array(items.length)
  for (let i = 0; i < items.length; i++) {
    const item = items[i]
    if (item === null) out[i] = Option.none()
    else {
      const n = floatOf(item)
      if (n === undefined) return unexpected(item, "an array of floats or nils", command)
      out[i] = Option.some(n)
    }
  }
  return Exit.succeed(out)
}
