/**
 * The in-memory fake behind `Redis.layerTest`: a `Node` (see `internal/node.ts`) whose connections are sessions of
 * one interpreter over a `Map`, so that `makeShape` builds the whole service on it unchanged (typed methods, scans,
 * transactions, pub/sub, dedicated connections).
 *
 * - Replies have the shapes a RESP2 server sends (bulk strings, nil, integers, flat arrays, `"OK"`), so the same
 *   transforms decode them; a server error is an `ErrorReply` value and becomes a `ReplyError` at the command
 *   boundary, as on a socket. A command the fake does not know fails with `ERR unknown command`, typed.
 * - Values are kept as byte strings (one char per byte), so lengths, ranges and binary values behave as in Redis.
 * - Time is Effect's `Clock` of the fiber that runs each command (TestClock in `it.effect`): TTLs, `TIME`, stream
 *   ids and the timeouts of blocking commands all follow it. Expired keys are removed when they are next touched.
 * - Deterministic: no randomness (SPOP, SRANDMEMBER and RANDOMKEY take the oldest members), collections keep
 *   insertion order, and SCAN-family commands answer everything in one page.
 * - WATCH: every write command bumps a version of the keys it names (so a write that changes nothing, such as DEL of
 *   a missing key, aborts a watcher too), as does the removal of an expired key, and FLUSHDB/FLUSHALL.
 *
 * @internal
 */
import { type CommandArg, ErrorReply, type RespValue } from "@fxredis/protocol"
import { ConnectionError } from "@fxredis/transport"
import { Duration, Effect, Exit, type Scope } from "effect"
import type { Command } from "../Command.ts"
import * as Catalogue from "../commands/Catalogue.ts"
import { InvalidCommandError, type RedisError, ReplyError } from "../RedisErrors.ts"
import { type ResolvedOptions, resolve } from "../RedisOptions.ts"
import type { RedisConnection } from "./connection.ts"
import type { Dedicated, Node, Pinned } from "./node.ts"
import { commandName, invalidArgument, type LinkBinding, type Transform } from "./pipeline.ts"
import { refuseOnShared } from "./refuse.ts"
import type { Kind, Message } from "./subscriber.ts"

/** a byte string: one char per byte (latin1), as Redis compares and measures values */
type Bytes = string

type Id = readonly [number, number]
interface Stream {
  readonly entries: Array<{ readonly id: Id; readonly fields: ReadonlyArray<Bytes> }>
  last: Id
}
interface Types {
  string: Bytes
  hash: Map<Bytes, Bytes>
  list: Array<Bytes>
  set: Set<Bytes>
  zset: Map<Bytes, number>
  stream: Stream
}
type Type = keyof Types
interface Entry {
  type: Type
  value: Types[Type]
  expiresAt: number | undefined
}

/** a client connection's state: its transaction and watched keys */
export interface Session {
  multi: Array<Array<Bytes>> | undefined
  aborted: boolean
  readonly watched: Map<Bytes, number>
}
const session = (): Session => ({ multi: undefined, aborted: false, watched: new Map() })

/** a command that would block: try `args` again after each write, until `timeout` ms (0: for ever) */
class Blocked {
  readonly args: ReadonlyArray<Bytes>
  readonly timeout: number
  constructor(args: ReadonlyArray<Bytes>, timeout: number) {
    this.args = args
    this.timeout = timeout
  }
}

/** a server error, thrown inside a command and answered as an `ErrorReply` (it never leaves the interpreter) */
class Failure {
  readonly reply: ErrorReply
  constructor(reply: ErrorReply) {
    this.reply = reply
  }
}
const fail = (message: string): never => {
  throw new Failure(new ErrorReply(message))
}

const OK = "OK"
const WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
const NOT_INT = "ERR value is not an integer or out of range"
const NOT_FLOAT = "ERR value is not a valid float"
const SYNTAX = "ERR syntax error"
const INT64_MAX = 9223372036854775807n
const INT64_MIN = -9223372036854775808n

const bigint = (s: Bytes, message = NOT_INT): bigint => {
  if (!/^-?(0|[1-9]\d*)$/.test(s)) return fail(message)
  const n = BigInt(s)
  return n > INT64_MAX || n < INT64_MIN ? fail(message) : n
}
const int = (s: Bytes, message = NOT_INT): number => Number(bigint(s, message))
const integer = (n: bigint): number | bigint => (Number.isSafeInteger(Number(n)) ? Number(n) : n)
const float = (s: Bytes, message = NOT_FLOAT): number => {
  const lower = s.toLowerCase()
  if (lower === "inf" || lower === "+inf" || lower === "infinity") return Infinity
  if (lower === "-inf" || lower === "-infinity") return -Infinity
  const n = s.trim() === s && s !== "" ? Number(s) : NaN
  return Number.isNaN(n) ? fail(message) : n
}
const formatFloat = (n: number): string => (n === Infinity ? "inf" : n === -Infinity ? "-inf" : String(n))

/** Redis' glob: `*`, `?`, `[abc]`, `[^a]`, `[a-z]` and `\` escapes */
const glob = (pattern: string): RegExp => {
  const lit = (c: string) => c.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&")
  let re = "^"
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]
    if (c === "*") re += "[\\s\\S]*"
    else if (c === "?") re += "[\\s\\S]"
    else if (c === "\\" && i + 1 < pattern.length) re += lit(pattern[++i])
    else if (c === "[" && pattern.indexOf("]", i + 2) > 0) {
      let j = i + 1
      let cls = ""
      if (pattern[j] === "^") {
        cls = "^"
        j++
      }
      for (; j < pattern.length && pattern[j] !== "]"; j++) {
        if (pattern[j] === "\\" && j + 1 < pattern.length) cls += lit(pattern[++j])
        else if (pattern[j + 1] === "-" && j + 2 < pattern.length && pattern[j + 2] !== "]") {
          const [a, b] = [pattern[j], pattern[j + 2]].sort()
          cls += `${lit(a)}-${lit(b)}`
          j += 2
        } else cls += lit(pattern[j])
      }
      re += cls === "" || cls === "^" ? (cls === "^" ? "[\\s\\S]" : "(?!)") : `[${cls}]`
      i = j
    } else re += lit(c)
  }
  return new RegExp(`${re}$`)
}

/** no byte above 0x7f: the same in UTF-8 and in latin1 */
const ascii = /^[^\u0080-\uffff]*$/
const utf8ToBytes = (s: string): Bytes => (ascii.test(s) ? s : Buffer.from(s, "utf8").toString("latin1"))
const bytesToUtf8 = (s: Bytes): string => (ascii.test(s) ? s : Buffer.from(s, "latin1").toString("utf8"))
const argBytes = (arg: CommandArg): Bytes =>
  typeof arg === "string"
    ? utf8ToBytes(arg)
    : typeof arg === "number"
      ? String(arg)
      : Buffer.from(arg.buffer, arg.byteOffset, arg.byteLength).toString("latin1")

/**
 * the reply as the decoder gives it (see `RespValue`): a bulk string of ASCII bytes as that string, any other as its
 * bytes; the command's decoder then reads it as text or bytes, as it does a server's reply
 */
const output = (value: RespValue): RespValue =>
  typeof value === "string"
    ? ascii.test(value)
      ? value
      : Buffer.from(value, "latin1")
    : Array.isArray(value)
      ? (value as ReadonlyArray<RespValue>).map(output)
      : value

const compareIds = (a: Id, b: Id) => a[0] - b[0] || a[1] - b[1]
const formatId = (id: Id) => `${id[0]}-${id[1]}`
const parseId = (s: Bytes, missingSeq: number): Id => {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s)
  if (m === null) return fail("ERR Invalid stream ID specified as stream command argument")
  return [Number(m[1]), m[2] === undefined ? missingSeq : Number(m[2])]
}

/** Redis' index range over a length: negative from the end, clamped; undefined when empty */
const range = (start: number, stop: number, length: number): readonly [number, number] | undefined => {
  let s = start < 0 ? length + start : start
  let e = stop < 0 ? length + stop : stop
  if (s < 0) s = 0
  if (e >= length) e = length - 1
  return s > e || s >= length ? undefined : [s, e]
}

interface Bound {
  readonly value: number
  readonly exclusive: boolean
}
const scoreBound = (s: Bytes): Bound => {
  const exclusive = s.startsWith("(")
  return { value: float(exclusive ? s.slice(1) : s, "ERR min or max is not a float"), exclusive }
}
const above = (n: number, b: Bound) => (b.exclusive ? n > b.value : n >= b.value)
const below = (n: number, b: Bound) => (b.exclusive ? n < b.value : n <= b.value)

/** The keyspace and the command interpreter, shared by every session of one fake. @internal */
export const makeServer = () => {
  const data = new Map<Bytes, Entry>()
  const versions = new Map<Bytes, number>()
  let version = 0
  /** bumped on every write: blocked commands try again */
  let changes = 0
  const waiters = new Set<() => void>()
  const subscriptions: Record<Kind, Map<string, Set<(m: Message) => void>>> = {
    channel: new Map(),
    pattern: new Map(),
    shard: new Map()
  }
  /** the current command's time (Clock millis) and whether it may block (not inside EXEC) */
  let now = 0
  let canBlock = true

  const touch = (key: Bytes) => versions.set(key, ++version)
  const entry = (key: Bytes): Entry | undefined => {
    const e = data.get(key)
    if (e !== undefined && e.expiresAt !== undefined && e.expiresAt <= now) {
      data.delete(key)
      touch(key)
      return undefined
    }
    return e
  }
  const get = <T extends Type>(key: Bytes, type: T): Types[T] | undefined => {
    const e = entry(key)
    if (e === undefined) return undefined
    return e.type === type ? (e.value as Types[T]) : fail(WRONGTYPE)
  }
  const obtain = <T extends Type>(key: Bytes, type: T, make: () => Types[T]): Types[T] => {
    const found = get(key, type)
    if (found !== undefined) return found
    const value = make()
    data.set(key, { type, value, expiresAt: undefined })
    return value
  }
  const put = (key: Bytes, value: Bytes, keepTtl: boolean, expiresAt?: number) =>
    data.set(key, {
      type: "string",
      value,
      expiresAt: keepTtl ? entry(key)?.expiresAt : expiresAt
    })
  const liveKeys = (): Array<Bytes> => [...data.keys()].filter((k) => entry(k) !== undefined)
  const sizeOf = (e: Entry): number =>
    e.type === "string"
      ? 1
      : e.type === "list"
        ? (e.value as Array<Bytes>).length
        : e.type === "stream"
          ? 1
          : (e.value as Map<Bytes, unknown>).size

  /** EX/PX/EXAT/PXAT → absolute milliseconds */
  const expiry = (unit: string, arg: Bytes, command: string): number => {
    const n = int(arg)
    if (n <= 0) fail(`ERR invalid expire time in '${command}' command`)
    return unit === "EX" ? now + n * 1000 : unit === "PX" ? now + n : unit === "EXAT" ? n * 1000 : n
  }
  const timeoutSeconds = (arg: Bytes): number => {
    const t = float(arg, "ERR timeout is not a float or out of range")
    return t < 0 ? fail("ERR timeout is negative") : Math.round(t * 1000)
  }
  const block = (args: ReadonlyArray<Bytes>, timeout: number) => (canBlock ? new Blocked(args, timeout) : null)

  const incrBy = (key: Bytes, by: bigint) => {
    const current = get(key, "string")
    const n = (current === undefined ? 0n : bigint(current)) + by
    if (n > INT64_MAX || n < INT64_MIN) fail("ERR increment or decrement would overflow")
    put(key, String(n), true)
    return integer(n)
  }
  const setOptions = (a: ReadonlyArray<Bytes>, from: number, command: string) => {
    const o = { nx: false, xx: false, get: false, keep: false, persist: false, at: undefined as number | undefined }
    for (let i = from; i < a.length; i++) {
      const word = a[i].toUpperCase()
      if (word === "NX" && command === "set") o.nx = true
      else if (word === "XX" && command === "set") o.xx = true
      else if (word === "GET" && command === "set") o.get = true
      else if (word === "KEEPTTL" && command === "set") o.keep = true
      else if (word === "PERSIST" && command === "getex") o.persist = true
      else if ((word === "EX" || word === "PX" || word === "EXAT" || word === "PXAT") && i + 1 < a.length) {
        if (o.at !== undefined) fail(SYNTAX)
        o.at = expiry(word, a[++i], command)
      } else fail(SYNTAX)
    }
    if ((o.nx && o.xx) || ((o.keep || o.persist) && o.at !== undefined)) fail(SYNTAX)
    return o
  }

  // lists
  const pop = (key: Bytes, left: boolean): Bytes | undefined => {
    const list = get(key, "list")
    return list === undefined ? undefined : left ? list.shift() : list.pop()
  }
  const push = (key: Bytes, values: ReadonlyArray<Bytes>, left: boolean) => {
    const list = obtain(key, "list", () => [])
    for (const v of values) left ? list.unshift(v) : list.push(v)
    return list.length
  }
  const popCount = (a: ReadonlyArray<Bytes>, left: boolean) => {
    if (a.length > 3) fail(SYNTAX)
    if (a.length === 2) return pop(a[1], left) ?? null
    const count = int(a[2], "ERR value is out of range, must be positive")
    if (count < 0) fail("ERR value is out of range, must be positive")
    const list = get(a[1], "list")
    if (list === undefined) return null
    return left ? list.splice(0, count) : list.splice(Math.max(0, list.length - count)).reverse()
  }
  const side = (s: Bytes) => {
    const word = s.toUpperCase()
    return word === "LEFT" ? true : word === "RIGHT" ? false : fail(SYNTAX)
  }
  const move = (from: Bytes, to: Bytes, fromLeft: boolean, toLeft: boolean): Bytes | null => {
    if (get(from, "list") === undefined) return null
    get(to, "list") // WRONGTYPE before anything moves
    const value = pop(from, fromLeft)!
    push(to, [value], toLeft)
    return value
  }
  const blockingPop = (a: ReadonlyArray<Bytes>, left: boolean) => {
    const timeout = timeoutSeconds(a[a.length - 1])
    for (const key of a.slice(1, -1)) {
      const value = pop(key, left)
      if (value !== undefined) return [key, value]
    }
    return block(a, timeout)
  }

  // sets
  const setOf = (key: Bytes) => get(key, "set") ?? new Set<Bytes>()
  const combine = (keys: ReadonlyArray<Bytes>, op: "inter" | "union" | "diff"): Array<Bytes> => {
    const sets = keys.map(setOf)
    const [first, ...rest] = sets
    if (op === "union") return [...new Set(sets.flatMap((s) => [...s]))]
    return [...first].filter((m) => (op === "inter" ? rest.every((s) => s.has(m)) : !rest.some((s) => s.has(m))))
  }
  const store = (destination: Bytes, members: Array<Bytes>) => {
    data.delete(destination)
    if (members.length > 0) data.set(destination, { type: "set", value: new Set(members), expiresAt: undefined })
    return members.length
  }

  // sorted sets
  const sorted = (key: Bytes): Array<readonly [Bytes, number]> =>
    [...(get(key, "zset") ?? new Map<Bytes, number>())].sort(
      (x, y) => x[1] - y[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0)
    )
  const scores = (items: ReadonlyArray<readonly [Bytes, number]>, withScores: boolean) =>
    withScores ? items.flatMap(([m, s]) => [m, formatFloat(s)]) : items.map(([m]) => m)
  /** ZRANGE and its older forms: `by` ranks or scores, `rev`, LIMIT, WITHSCORES */
  const zrange = (a: ReadonlyArray<Bytes>, by: "rank" | "score", rev: boolean, from: number) => {
    let withScores = false
    let limit: readonly [number, number] | undefined
    for (let i = from; i < a.length; i++) {
      const word = a[i].toUpperCase()
      if (word === "WITHSCORES") withScores = true
      else if (word === "BYSCORE") by = "score"
      else if (word === "REV") rev = true
      else if (word === "LIMIT" && i + 2 < a.length) {
        limit = [int(a[i + 1]), int(a[i + 2])]
        i += 2
      } else fail(SYNTAX)
    }
    if (limit !== undefined && by === "rank") {
      fail("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
    }
    const all = sorted(a[1])
    if (rev) all.reverse()
    if (by === "rank") {
      const r = range(int(a[2]), int(a[3]), all.length)
      return r === undefined ? [] : scores(all.slice(r[0], r[1] + 1), withScores)
    }
    const [min, max] = rev ? [scoreBound(a[3]), scoreBound(a[2])] : [scoreBound(a[2]), scoreBound(a[3])]
    const matched = all.filter(([, s]) => above(s, min) && below(s, max))
    const [offset, count] = limit ?? [0, -1]
    if (offset < 0) return []
    return scores(matched.slice(offset, count < 0 ? undefined : offset + count), withScores)
  }
  const zpop = (a: ReadonlyArray<Bytes>, max: boolean) => {
    const count = a.length > 2 ? int(a[2]) : 1
    const all = sorted(a[1])
    if (max) all.reverse()
    const taken = all.slice(0, Math.max(0, count))
    const z = get(a[1], "zset")
    for (const [m] of taken) z?.delete(m)
    return scores(taken, true)
  }
  const rank = (a: ReadonlyArray<Bytes>, rev: boolean) => {
    const all = sorted(a[1])
    if (rev) all.reverse()
    const i = all.findIndex(([m]) => m === a[2])
    return i < 0 ? null : i
  }

  // streams
  const streamRange = (key: Bytes, start: Bytes, end: Bytes, count: number | undefined, rev: boolean) => {
    const s = get(key, "stream")
    if (s === undefined) return []
    const lo =
      start === "-" ? ([0, 0] as const) : start.startsWith("(") ? next(parseId(start.slice(1), 0)) : parseId(start, 0)
    const hi = end === "+" ? ([Infinity, Infinity] as const) : parseId(end, Number.MAX_SAFE_INTEGER)
    let items = s.entries.filter((e) => compareIds(e.id, lo) >= 0 && compareIds(e.id, hi) <= 0)
    if (rev) items = items.reverse()
    return items.slice(0, count).map((e) => [formatId(e.id), [...e.fields]])
  }
  const next = (id: Id): Id => [id[0], id[1] + 1]
  const trim = (s: Stream, a: ReadonlyArray<Bytes>, i: number): number => {
    const strategy = a[i].toUpperCase()
    let j = i + 1
    if (a[j] === "=" || a[j] === "~") j++
    const threshold = a[j]
    const before = s.entries.length
    if (strategy === "MAXLEN") {
      const max = int(threshold)
      if (s.entries.length > max) s.entries.splice(0, s.entries.length - max)
    } else {
      const min = parseId(threshold, 0)
      while (s.entries.length > 0 && compareIds(s.entries[0].id, min) < 0) s.entries.shift()
    }
    return before - s.entries.length
  }
  const xread = (a: ReadonlyArray<Bytes>) => {
    let count: number | undefined
    let timeout: number | undefined
    let i = 1
    for (; i < a.length; i++) {
      const word = a[i].toUpperCase()
      if (word === "COUNT" && i + 1 < a.length) count = int(a[++i])
      else if (word === "BLOCK" && i + 1 < a.length) {
        timeout = int(a[++i], "ERR timeout is not an integer or out of range")
        if (timeout < 0) fail("ERR timeout is negative")
      } else if (word === "STREAMS") break
      else fail(SYNTAX)
    }
    const rest = a.slice(i + 1)
    if (i >= a.length || rest.length === 0 || rest.length % 2 !== 0) {
      fail("ERR Unbalanced 'xread' list of streams: for each stream key an ID or '$' must be specified.")
    }
    const keys = rest.slice(0, rest.length / 2)
    const ids = rest
      .slice(rest.length / 2)
      .map((id, k) => (id === "$" ? formatId(get(keys[k], "stream")?.last ?? [0, 0]) : id))
    const out: Array<RespValue> = []
    keys.forEach((key, k) => {
      const s = get(key, "stream")
      const after = parseId(ids[k], 0)
      const entries = (s?.entries ?? []).filter((e) => compareIds(e.id, after) > 0).slice(0, count)
      if (entries.length > 0) out.push([key, entries.map((e) => [formatId(e.id), [...e.fields]])])
    })
    if (out.length > 0) return out
    return timeout === undefined ? null : block([...a.slice(0, i + 1), ...keys, ...ids], timeout)
  }

  const publish = (kind: "channel" | "shard", channelBytes: Bytes, messageBytes: Bytes) => {
    const channel = bytesToUtf8(channelBytes)
    const message = bytesToUtf8(messageBytes)
    let receivers = 0
    const direct = subscriptions[kind].get(channel)
    if (direct !== undefined) {
      receivers++
      for (const listener of direct) listener({ channel, message })
    }
    if (kind === "channel") {
      for (const [pattern, listeners] of subscriptions.pattern) {
        if (!glob(pattern).test(channel)) continue
        receivers++
        for (const listener of listeners) listener({ pattern, channel, message })
      }
    }
    return receivers
  }

  const scan = (
    a: ReadonlyArray<Bytes>,
    from: number,
    items: (match: RegExp, type: string | undefined) => Array<Bytes>
  ) => {
    if (!/^\d+$/.test(a[from - 1])) fail("ERR invalid cursor")
    let match = /[\s\S]*/
    let type: string | undefined
    for (let i = from; i < a.length; i++) {
      const word = a[i].toUpperCase()
      if (word === "MATCH" && i + 1 < a.length) match = glob(a[++i])
      else if (word === "COUNT" && i + 1 < a.length) {
        if (int(a[++i]) < 1) fail(SYNTAX)
      } else if (word === "TYPE" && i + 1 < a.length && from === 2) type = a[++i].toLowerCase()
      else fail(SYNTAX)
    }
    return ["0", items(match, type)]
  }

  type Handler = (a: ReadonlyArray<Bytes>) => RespValue | Blocked
  const expireCommand =
    (unit: number, absolute: boolean): Handler =>
    (a) => {
      const n = int(a[2])
      const at = absolute ? n * unit : now + n * unit
      const flags = new Set(a.slice(3).map((w) => w.toUpperCase()))
      for (const f of flags) if (!["NX", "XX", "GT", "LT"].includes(f)) fail(`ERR Unsupported option ${f}`)
      const e = entry(a[1])
      if (e === undefined) return 0
      const current = e.expiresAt ?? Infinity
      if (flags.has("NX") && e.expiresAt !== undefined) return 0
      if (flags.has("XX") && e.expiresAt === undefined) return 0
      if (flags.has("GT") && !(at > current)) return 0
      if (flags.has("LT") && !(at < current)) return 0
      if (at <= now) data.delete(a[1])
      else e.expiresAt = at
      return 1
    }

  const commands: Record<string, Handler> = {
    // connection and server
    PING: (a) => (a.length > 1 ? a[1] : "PONG"),
    ECHO: (a) => a[1],
    TIME: () => [String(Math.floor(now / 1000)), String((now % 1000) * 1000)],
    DBSIZE: () => liveKeys().length,
    FLUSHDB: () => {
      for (const key of data.keys()) touch(key)
      data.clear()
      return OK
    },
    INFO: () => "# Server\r\nredis_version:7.0.0\r\nredis_mode:standalone\r\nfxredis_in_memory_fake:1\r\n",
    PUBLISH: (a) => publish("channel", a[1], a[2]),
    SPUBLISH: (a) => publish("shard", a[1], a[2]),
    // strings
    GET: (a) => get(a[1], "string") ?? null,
    SET: (a) => {
      const o = setOptions(a, 3, "set")
      const old = o.get ? (get(a[1], "string") ?? null) : OK
      const exists = entry(a[1]) !== undefined
      if ((o.nx && exists) || (o.xx && !exists)) return o.get ? old : null
      put(a[1], a[2], o.keep, o.at)
      return old
    },
    SETNX: (a) => {
      if (entry(a[1]) !== undefined) return 0
      put(a[1], a[2], false)
      return 1
    },
    SETEX: (a) => {
      put(a[1], a[3], false, expiry("EX", a[2], "setex"))
      return OK
    },
    PSETEX: (a) => {
      put(a[1], a[3], false, expiry("PX", a[2], "psetex"))
      return OK
    },
    GETDEL: (a) => {
      const value = get(a[1], "string")
      if (value !== undefined) data.delete(a[1])
      return value ?? null
    },
    GETEX: (a) => {
      const o = setOptions(a, 2, "getex")
      const value = get(a[1], "string")
      if (value === undefined) return null
      if (o.persist) put(a[1], value, false)
      else if (o.at !== undefined) put(a[1], value, false, o.at)
      return value
    },
    MGET: (a) =>
      a.slice(1).map((k) => {
        const e = entry(k)
        return e?.type === "string" ? (e.value as Bytes) : null
      }),
    MSET: (a) => {
      if (a.length % 2 === 0) fail("ERR wrong number of arguments for 'mset' command")
      for (let i = 1; i < a.length; i += 2) put(a[i], a[i + 1], false)
      return OK
    },
    MSETNX: (a) => {
      if (a.length % 2 === 0) fail("ERR wrong number of arguments for 'msetnx' command")
      for (let i = 1; i < a.length; i += 2) if (entry(a[i]) !== undefined) return 0
      for (let i = 1; i < a.length; i += 2) put(a[i], a[i + 1], false)
      return 1
    },
    INCR: (a) => incrBy(a[1], 1n),
    DECR: (a) => incrBy(a[1], -1n),
    INCRBY: (a) => incrBy(a[1], bigint(a[2])),
    DECRBY: (a) => incrBy(a[1], -bigint(a[2])),
    INCRBYFLOAT: (a) => {
      const current = get(a[1], "string")
      const n = (current === undefined ? 0 : float(current)) + float(a[2])
      if (!Number.isFinite(n)) fail("ERR increment would produce NaN or Infinity")
      put(a[1], formatFloat(n), true)
      return formatFloat(n)
    },
    APPEND: (a) => {
      const value = (get(a[1], "string") ?? "") + a[2]
      put(a[1], value, true)
      return value.length
    },
    STRLEN: (a) => (get(a[1], "string") ?? "").length,
    GETRANGE: (a) => {
      const value = get(a[1], "string") ?? ""
      const r = range(int(a[2]), int(a[3]), value.length)
      return r === undefined ? "" : value.slice(r[0], r[1] + 1)
    },
    SETRANGE: (a) => {
      const offset = int(a[2])
      if (offset < 0) fail("ERR offset is out of range")
      const current = get(a[1], "string") ?? ""
      if (a[3].length === 0) return current.length
      const value = current.padEnd(offset, "\0").slice(0, offset) + a[3] + current.slice(offset + a[3].length)
      put(a[1], value, true)
      return value.length
    },
    // keys
    DEL: (a) => a.slice(1).filter((k) => entry(k) !== undefined && data.delete(k)).length,
    EXISTS: (a) => a.slice(1).filter((k) => entry(k) !== undefined).length,
    TOUCH: (a) => a.slice(1).filter((k) => entry(k) !== undefined).length,
    EXPIRE: expireCommand(1000, false),
    PEXPIRE: expireCommand(1, false),
    EXPIREAT: expireCommand(1000, true),
    PEXPIREAT: expireCommand(1, true),
    TTL: (a) => {
      const e = entry(a[1])
      return e === undefined ? -2 : e.expiresAt === undefined ? -1 : Math.floor((e.expiresAt - now + 500) / 1000)
    },
    PTTL: (a) => {
      const e = entry(a[1])
      return e === undefined ? -2 : e.expiresAt === undefined ? -1 : e.expiresAt - now
    },
    PERSIST: (a) => {
      const e = entry(a[1])
      if (e === undefined || e.expiresAt === undefined) return 0
      e.expiresAt = undefined
      return 1
    },
    TYPE: (a) => entry(a[1])?.type ?? "none",
    RENAME: (a) => {
      const e = entry(a[1]) ?? fail("ERR no such key")
      data.delete(a[1])
      data.set(a[2], e)
      return OK
    },
    RENAMENX: (a) => {
      const e = entry(a[1]) ?? fail("ERR no such key")
      if (entry(a[2]) !== undefined) return 0
      data.delete(a[1])
      data.set(a[2], e)
      return 1
    },
    KEYS: (a) => {
      const match = glob(a[1])
      return liveKeys().filter((k) => match.test(k))
    },
    SCAN: (a) =>
      scan(a, 2, (match, type) =>
        liveKeys().filter((k) => match.test(k) && (type === undefined || data.get(k)?.type === type))
      ),
    RANDOMKEY: () => liveKeys()[0] ?? null,
    // hashes
    HSET: (a) => {
      if (a.length % 2 !== 0) fail(`ERR wrong number of arguments for '${a[0].toLowerCase()}' command`)
      const hash = obtain(a[1], "hash", () => new Map())
      let added = 0
      for (let i = 2; i < a.length; i += 2) {
        if (!hash.has(a[i])) added++
        hash.set(a[i], a[i + 1])
      }
      return a[0].toUpperCase() === "HMSET" ? OK : added
    },
    HSETNX: (a) => {
      const hash = obtain(a[1], "hash", () => new Map())
      if (hash.has(a[2])) return 0
      hash.set(a[2], a[3])
      return 1
    },
    HGET: (a) => get(a[1], "hash")?.get(a[2]) ?? null,
    HMGET: (a) => {
      const hash = get(a[1], "hash")
      return a.slice(2).map((f) => hash?.get(f) ?? null)
    },
    HGETALL: (a) => [...(get(a[1], "hash") ?? [])].flat(),
    HDEL: (a) => {
      const hash = get(a[1], "hash")
      return hash === undefined ? 0 : a.slice(2).filter((f) => hash.delete(f)).length
    },
    HEXISTS: (a) => (get(a[1], "hash")?.has(a[2]) ? 1 : 0),
    HINCRBY: (a) => {
      const by = bigint(a[3])
      const hash = obtain(a[1], "hash", () => new Map())
      const current = hash.get(a[2])
      const n = (current === undefined ? 0n : bigint(current, "ERR hash value is not an integer")) + by
      if (n > INT64_MAX || n < INT64_MIN) fail("ERR increment or decrement would overflow")
      hash.set(a[2], String(n))
      return integer(n)
    },
    HINCRBYFLOAT: (a) => {
      const by = float(a[3])
      const hash = obtain(a[1], "hash", () => new Map())
      const current = hash.get(a[2])
      const n = (current === undefined ? 0 : float(current, "ERR hash value is not a float")) + by
      if (!Number.isFinite(n)) fail("ERR increment would produce NaN or Infinity")
      hash.set(a[2], formatFloat(n))
      return formatFloat(n)
    },
    HKEYS: (a) => [...(get(a[1], "hash")?.keys() ?? [])],
    HVALS: (a) => [...(get(a[1], "hash")?.values() ?? [])],
    HLEN: (a) => get(a[1], "hash")?.size ?? 0,
    HSTRLEN: (a) => get(a[1], "hash")?.get(a[2])?.length ?? 0,
    HSCAN: (a) => scan(a, 3, (match) => [...(get(a[1], "hash") ?? [])].filter(([f]) => match.test(f)).flat()),
    // lists
    LPUSH: (a) => push(a[1], a.slice(2), true),
    RPUSH: (a) => push(a[1], a.slice(2), false),
    LPUSHX: (a) => (get(a[1], "list") === undefined ? 0 : push(a[1], a.slice(2), true)),
    RPUSHX: (a) => (get(a[1], "list") === undefined ? 0 : push(a[1], a.slice(2), false)),
    LPOP: (a) => popCount(a, true),
    RPOP: (a) => popCount(a, false),
    LLEN: (a) => get(a[1], "list")?.length ?? 0,
    LRANGE: (a) => {
      const list = get(a[1], "list") ?? []
      const r = range(int(a[2]), int(a[3]), list.length)
      return r === undefined ? [] : list.slice(r[0], r[1] + 1)
    },
    LINDEX: (a) => {
      const list = get(a[1], "list") ?? []
      const i = int(a[2])
      return list[i < 0 ? list.length + i : i] ?? null
    },
    LSET: (a) => {
      const list = get(a[1], "list") ?? fail("ERR no such key")
      const i = int(a[2])
      const at = i < 0 ? list.length + i : i
      if (at < 0 || at >= list.length) fail("ERR index out of range")
      list[at] = a[3]
      return OK
    },
    LREM: (a) => {
      const list = get(a[1], "list")
      if (list === undefined) return 0
      const count = int(a[2])
      const limit = count === 0 ? Infinity : Math.abs(count)
      let removed = 0
      const order = count < 0 ? [...list.keys()].reverse() : [...list.keys()]
      const drop = new Set<number>()
      for (const i of order) {
        if (removed >= limit) break
        if (list[i] === a[3]) {
          drop.add(i)
          removed++
        }
      }
      const kept = list.filter((_, i) => !drop.has(i))
      list.splice(0, list.length, ...kept)
      return removed
    },
    LTRIM: (a) => {
      const list = get(a[1], "list")
      if (list === undefined) return OK
      const r = range(int(a[2]), int(a[3]), list.length)
      list.splice(0, list.length, ...(r === undefined ? [] : list.slice(r[0], r[1] + 1)))
      return OK
    },
    LMOVE: (a) => move(a[1], a[2], side(a[3]), side(a[4])),
    RPOPLPUSH: (a) => move(a[1], a[2], false, true),
    BLPOP: (a) => blockingPop(a, true),
    BRPOP: (a) => blockingPop(a, false),
    BLMOVE: (a) => {
      const timeout = timeoutSeconds(a[5])
      return get(a[1], "list") === undefined ? block(a, timeout) : move(a[1], a[2], side(a[3]), side(a[4]))
    },
    BRPOPLPUSH: (a) => {
      const timeout = timeoutSeconds(a[3])
      return get(a[1], "list") === undefined ? block(a, timeout) : move(a[1], a[2], false, true)
    },
    // sets
    SADD: (a) => {
      const set = obtain(a[1], "set", () => new Set())
      const before = set.size
      for (const m of a.slice(2)) set.add(m)
      return set.size - before
    },
    SREM: (a) => {
      const set = get(a[1], "set")
      return set === undefined ? 0 : a.slice(2).filter((m) => set.delete(m)).length
    },
    SMEMBERS: (a) => [...setOf(a[1])],
    SISMEMBER: (a) => (setOf(a[1]).has(a[2]) ? 1 : 0),
    SMISMEMBER: (a) => {
      const set = setOf(a[1])
      return a.slice(2).map((m) => (set.has(m) ? 1 : 0))
    },
    SCARD: (a) => setOf(a[1]).size,
    SINTER: (a) => combine(a.slice(1), "inter"),
    SUNION: (a) => combine(a.slice(1), "union"),
    SDIFF: (a) => combine(a.slice(1), "diff"),
    SINTERSTORE: (a) => store(a[1], combine(a.slice(2), "inter")),
    SUNIONSTORE: (a) => store(a[1], combine(a.slice(2), "union")),
    SDIFFSTORE: (a) => store(a[1], combine(a.slice(2), "diff")),
    SPOP: (a) => {
      const set = get(a[1], "set")
      const taken = [...(set ?? [])].slice(0, a.length > 2 ? Math.max(0, int(a[2])) : 1)
      for (const m of taken) set?.delete(m)
      return a.length > 2 ? (set === undefined ? [] : taken) : (taken[0] ?? null)
    },
    SRANDMEMBER: (a) => {
      const members = [...setOf(a[1])]
      return a.length > 2 ? members.slice(0, Math.abs(int(a[2]))) : (members[0] ?? null)
    },
    SMOVE: (a) => {
      const from = get(a[1], "set")
      get(a[2], "set")
      if (from === undefined || !from.has(a[3])) return 0
      from.delete(a[3])
      obtain(a[2], "set", () => new Set()).add(a[3])
      return 1
    },
    SSCAN: (a) => scan(a, 3, (match) => [...setOf(a[1])].filter((m) => match.test(m))),
    // sorted sets
    ZADD: (a) => {
      const flags = new Set<string>()
      let i = 2
      while (i < a.length && ["NX", "XX", "GT", "LT", "CH", "INCR"].includes(a[i].toUpperCase())) {
        flags.add(a[i++].toUpperCase())
      }
      const pairs = a.slice(i)
      if (pairs.length === 0 || pairs.length % 2 !== 0) fail(SYNTAX)
      if (flags.has("NX") && flags.has("XX")) fail("ERR XX and NX options at the same time are not compatible")
      if ((flags.has("GT") && flags.has("LT")) || ((flags.has("GT") || flags.has("LT")) && flags.has("NX"))) {
        fail("ERR GT, LT, and/or NX options at the same time are not compatible")
      }
      const incr = flags.has("INCR")
      if (incr && pairs.length > 2) fail("ERR INCR option supports a single increment-element pair")
      const parsed = pairs.flatMap((s, k) => (k % 2 === 0 ? [[float(s), pairs[k + 1]] as const] : []))
      const z = obtain(a[1], "zset", () => new Map())
      let added = 0
      let changed = 0
      let result: number | null = null
      for (const [score, member] of parsed) {
        const old = z.get(member)
        if ((flags.has("NX") && old !== undefined) || (flags.has("XX") && old === undefined)) continue
        const value = incr ? (old ?? 0) + score : score
        if (Number.isNaN(value)) fail("ERR resulting score is not a number (NaN)")
        if (old !== undefined && ((flags.has("GT") && !(value > old)) || (flags.has("LT") && !(value < old)))) continue
        if (old === undefined) added++
        else if (old !== value) changed++
        z.set(member, value)
        result = value
      }
      return incr ? (result === null ? null : formatFloat(result)) : flags.has("CH") ? added + changed : added
    },
    ZINCRBY: (a) => {
      const z = obtain(a[1], "zset", () => new Map())
      const value = (z.get(a[3]) ?? 0) + float(a[2])
      if (Number.isNaN(value)) fail("ERR resulting score is not a number (NaN)")
      z.set(a[3], value)
      return formatFloat(value)
    },
    ZSCORE: (a) => {
      const score = get(a[1], "zset")?.get(a[2])
      return score === undefined ? null : formatFloat(score)
    },
    ZMSCORE: (a) => {
      const z = get(a[1], "zset")
      return a.slice(2).map((m) => {
        const score = z?.get(m)
        return score === undefined ? null : formatFloat(score)
      })
    },
    ZREM: (a) => {
      const z = get(a[1], "zset")
      return z === undefined ? 0 : a.slice(2).filter((m) => z.delete(m)).length
    },
    ZCARD: (a) => get(a[1], "zset")?.size ?? 0,
    ZCOUNT: (a) => {
      const [min, max] = [scoreBound(a[2]), scoreBound(a[3])]
      return sorted(a[1]).filter(([, s]) => above(s, min) && below(s, max)).length
    },
    ZRANK: (a) => rank(a, false),
    ZREVRANK: (a) => rank(a, true),
    ZRANGE: (a) => zrange(a, "rank", false, 4),
    ZREVRANGE: (a) => zrange(a, "rank", true, 4),
    ZRANGEBYSCORE: (a) => zrange(a, "score", false, 4),
    ZREVRANGEBYSCORE: (a) => zrange(a, "score", true, 4),
    ZPOPMIN: (a) => zpop(a, false),
    ZPOPMAX: (a) => zpop(a, true),
    ZSCAN: (a) =>
      scan(a, 3, (match) =>
        scores(
          sorted(a[1]).filter(([m]) => match.test(m)),
          true
        )
      ),
    // streams
    XADD: (a) => {
      let i = 2
      let noMake = false
      let trimAt: number | undefined
      for (; i < a.length; i++) {
        const word = a[i].toUpperCase()
        if (word === "NOMKSTREAM") noMake = true
        else if (word === "MAXLEN" || word === "MINID") {
          trimAt = i
          i += a[i + 1] === "=" || a[i + 1] === "~" ? 2 : 1
          if (a[i + 1]?.toUpperCase() === "LIMIT") i += 2
        } else break
      }
      const fields = a.slice(i + 1)
      if (i >= a.length || fields.length === 0 || fields.length % 2 !== 0) {
        fail("ERR wrong number of arguments for 'xadd' command")
      }
      if (noMake && get(a[1], "stream") === undefined) return null
      const s = get(a[1], "stream") ?? { entries: [], last: [0, 0] as Id }
      const spec = a[i]
      let id: Id
      if (spec === "*") {
        const ms = Math.max(now, s.last[0])
        id = [ms, ms === s.last[0] ? s.last[1] + 1 : 0]
      } else if (spec.endsWith("-*")) {
        const ms = int(spec.slice(0, -2), "ERR Invalid stream ID specified as stream command argument")
        id = [ms, ms === s.last[0] ? s.last[1] + 1 : 0]
      } else id = parseId(spec, 0)
      if (compareIds(id, [0, 0]) === 0) fail("ERR The ID specified in XADD must be greater than 0-0")
      if (compareIds(id, s.last) <= 0) {
        fail("ERR The ID specified in XADD is equal or smaller than the target stream top item")
      }
      s.entries.push({ id, fields })
      s.last = id
      if (trimAt !== undefined) trim(s, a, trimAt)
      data.set(a[1], { type: "stream", value: s, expiresAt: entry(a[1])?.expiresAt })
      return formatId(id)
    },
    XLEN: (a) => get(a[1], "stream")?.entries.length ?? 0,
    XRANGE: (a) => streamRange(a[1], a[2], a[3], a.length > 5 ? int(a[5]) : undefined, false),
    XREVRANGE: (a) => streamRange(a[1], a[3], a[2], a.length > 5 ? int(a[5]) : undefined, true),
    XDEL: (a) => {
      const s = get(a[1], "stream")
      if (s === undefined) return 0
      const ids = new Set(a.slice(2).map((id) => formatId(parseId(id, 0))))
      const before = s.entries.length
      s.entries.splice(0, s.entries.length, ...s.entries.filter((e) => !ids.has(formatId(e.id))))
      return before - s.entries.length
    },
    XTRIM: (a) => {
      const s = get(a[1], "stream")
      return s === undefined ? 0 : trim(s, a, 2)
    },
    XREAD: xread
  }
  commands.UNLINK = commands.DEL
  commands.HMSET = commands.HSET
  commands.FLUSHALL = commands.FLUSHDB

  const unknown = (name: Bytes) =>
    new ErrorReply(`ERR unknown command '${bytesToUtf8(name)}' (not supported by the in-memory fake)`)
  /** undefined when `a` is a command the fake runs, with the right number of arguments */
  const refused = (a: ReadonlyArray<Bytes>): ErrorReply | undefined => {
    const name = a[0].toUpperCase()
    if (!Object.hasOwn(commands, name)) return unknown(a[0])
    const arity = Catalogue.byName(name)?.arity ?? -1
    if (arity > 0 ? a.length !== arity : a.length < -arity) {
      return new ErrorReply(`ERR wrong number of arguments for '${name.toLowerCase()}' command`)
    }
    return undefined
  }

  /** one command, outside MULTI's queueing; a write bumps the versions of its keys and wakes blocked commands */
  const dispatch = (a: ReadonlyArray<Bytes>): RespValue | Blocked => {
    const bad = refused(a)
    if (bad !== undefined) return bad
    const write = Catalogue.isWrite(a)
    let reply: RespValue | Blocked
    try {
      reply = commands[a[0].toUpperCase()](a)
    } catch (e) {
      reply =
        e instanceof Failure
          ? e.reply
          : new ErrorReply(`ERR the in-memory fake failed: ${e instanceof Error ? e.message : String(e)}`)
    }
    if (!write) return reply
    const succeeded = !(reply instanceof Blocked) && !(reply instanceof ErrorReply)
    for (const i of Catalogue.keys(a) ?? []) {
      const e = data.get(a[i])
      // an emptied (or, after a failure, an empty new) collection is no key at all
      if (e !== undefined && sizeOf(e) === 0) data.delete(a[i])
      if (succeeded) touch(a[i])
    }
    if (succeeded) {
      changes++
      for (const wake of waiters) wake()
    }
    return reply
  }

  /** one command on a session: MULTI/EXEC/WATCH here, the others queued or dispatched */
  const execute = (s: Session, a: ReadonlyArray<Bytes>, time: number): RespValue | Blocked => {
    now = time
    const name = a[0].toUpperCase()
    const reset = () => {
      s.multi = undefined
      s.aborted = false
      s.watched.clear()
    }
    switch (name) {
      case "MULTI":
        if (s.multi !== undefined) return new ErrorReply("ERR MULTI calls can not be nested")
        s.multi = []
        return OK
      case "DISCARD":
        if (s.multi === undefined) return new ErrorReply("ERR DISCARD without MULTI")
        reset()
        return OK
      case "WATCH":
        if (s.multi !== undefined) return new ErrorReply("ERR WATCH inside MULTI is not allowed")
        if (a.length < 2) return new ErrorReply("ERR wrong number of arguments for 'watch' command")
        for (const key of a.slice(1)) {
          entry(key)
          s.watched.set(key, versions.get(key) ?? 0)
        }
        return OK
      case "UNWATCH":
        s.watched.clear()
        return OK
      case "EXEC": {
        if (s.multi === undefined) return new ErrorReply("ERR EXEC without MULTI")
        const queued = s.multi
        if (s.aborted) {
          reset()
          return new ErrorReply("EXECABORT Transaction discarded because of previous errors.")
        }
        for (const [key, seen] of s.watched) {
          entry(key)
          if ((versions.get(key) ?? 0) !== seen) {
            reset()
            return null
          }
        }
        reset()
        canBlock = false
        try {
          // nothing blocks inside EXEC: a blocking command with nothing to take answers nil
          return queued.map((q) => dispatch(q) as RespValue)
        } finally {
          canBlock = true
        }
      }
    }
    if (s.multi !== undefined) {
      const bad = refused(a)
      if (bad !== undefined) {
        s.aborted = true
        return bad
      }
      s.multi.push([...a])
      return "QUEUED"
    }
    return dispatch(a)
  }

  /** waits until a write happens after `seen` writes */
  const changed = (seen: number): Effect.Effect<void> =>
    Effect.suspend(() =>
      changes !== seen
        ? Effect.void
        : Effect.callback<void>((resume) => {
            const wake = () => resume(Effect.void)
            waiters.add(wake)
            return Effect.sync(() => waiters.delete(wake))
          })
    )

  /**
   * Runs `args` on `s` at the time of the running fiber's Clock; a blocking command with nothing to take waits for
   * writes until its timeout passes on that Clock (then nil).
   */
  const run = (s: Session, args: ReadonlyArray<Bytes>): Effect.Effect<RespValue> =>
    Effect.clockWith((clock) => {
      const seen = changes
      const reply = execute(s, args, clock.currentTimeMillisUnsafe())
      if (!(reply instanceof Blocked)) return Effect.succeed(reply)
      const retry = (blocked: Blocked, seen: number): Effect.Effect<RespValue> =>
        Effect.andThen(
          changed(seen),
          Effect.clockWith((clock) => {
            const seen = changes
            const again = execute(s, blocked.args, clock.currentTimeMillisUnsafe())
            return again instanceof Blocked ? retry(again, seen) : Effect.succeed(again)
          })
        )
      const waiting = retry(reply, seen)
      return reply.timeout === 0
        ? waiting
        : Effect.timeoutOrElse(waiting, {
            duration: Duration.millis(reply.timeout),
            orElse: () => Effect.succeed(null)
          })
    })

  return { run, subscriptions, session }
}

/**
 * A `Node` backed by one in-memory server: the rotation, every transaction's pin and every dedicated connection are
 * sessions of it (so a transaction's MULTI/WATCH state is its own), and pub/sub delivers at once, in memory.
 *
 * @internal
 */
export const make = (options: ResolvedOptions): Node => {
  const server = makeServer()
  const name = options.name

  const decode = (args: ReadonlyArray<CommandArg>, transform: Transform, reply: RespValue) => {
    if (reply instanceof ErrorReply) {
      return Exit.fail(new ReplyError({ code: reply.code, message: reply.message, command: commandName(args[0]) }))
    }
    try {
      return transform(output(reply), args[0])
    } catch (cause) {
      return Exit.fail(
        new ReplyError({
          code: "UNEXPECTED",
          message: `the reply could not be read: ${String(cause)}`,
          command: commandName(args[0])
        })
      )
    }
  }
  const runOn = (
    s: Session,
    args: ReadonlyArray<CommandArg>,
    transform: Transform
  ): Effect.Effect<unknown, RedisError> => {
    const invalid = invalidArgument(args)
    if (invalid !== undefined) {
      return Effect.fail(new InvalidCommandError({ command: commandName(args?.[0]), message: invalid }))
    }
    return Effect.flatMap(server.run(s, args.map(argBytes)), (reply) => decode(args, transform, reply))
  }
  const guarded =
    (s: Session, pinned: boolean) =>
    (command: Command<unknown>): Effect.Effect<unknown, RedisError> => {
      const refused = refuseOnShared(command.args, pinned)
      return refused !== undefined ? Effect.fail(refused) : runOn(s, command.args, command.transform)
    }

  const connection = (s: Session, isOpen: () => boolean): RedisConnection => {
    const closed = () =>
      Effect.fail(
        new ConnectionError({ endpoint: name, reason: "Closed", message: "the dedicated connection was closed" })
      )
    return {
      name,
      options,
      run: (args, transform) => (isOpen() ? runOn(s, args, transform) : closed()),
      runBatch: (commands) =>
        Effect.forEach(commands, (c) => Effect.exit(isOpen() ? runOn(s, c.args, c.transform) : closed())),
      writeOnly: () => false,
      isReady: isOpen,
      inFlight: () => 0,
      dropLink: () => {},
      close: () => {}
    }
  }

  const shared = server.session()
  const pin: Effect.Effect<Pinned, RedisError> = Effect.sync(() => {
    const s = server.session()
    const binding: LinkBinding = { id: undefined }
    return {
      connection: connection(s, () => true),
      binding,
      run: guarded(s, true),
      release: Effect.void
    }
  })
  const dedicated: Effect.Effect<Dedicated, ConnectionError> = Effect.sync(() => {
    const s = server.session()
    let open = true
    const conn = connection(s, () => open)
    return {
      name,
      run: (command: Command<unknown>) => conn.run(command.args, command.transform),
      close: Effect.sync(() => {
        open = false
      })
    }
  })

  const listen = (
    kind: Kind,
    names: ReadonlyArray<string>,
    listener: (m: Message) => void
  ): Effect.Effect<Effect.Effect<void, RedisError>, never, Scope.Scope> =>
    Effect.as(
      Effect.acquireRelease(
        Effect.sync(() => {
          const registry = server.subscriptions[kind]
          for (const n of names) {
            const set = registry.get(n) ?? new Set()
            set.add(listener)
            registry.set(n, set)
          }
        }),
        () =>
          Effect.sync(() => {
            const registry = server.subscriptions[kind]
            for (const n of names) {
              const set = registry.get(n)
              set?.delete(listener)
              if (set?.size === 0) registry.delete(n)
            }
          })
      ),
      Effect.void
    )

  return {
    name,
    dedicated,
    connections: [connection(shared, () => true)],
    run: guarded(shared, false),
    pin,
    subscriber: { listen }
  }
}

/** A fresh in-memory server as a `Node` named `"memory"` (its options are the defaults; nothing connects). @internal */
export const node: Effect.Effect<Node> = Effect.map(Effect.orDie(resolve({})), ([options]) =>
  make({ ...options, name: "memory" })
)
