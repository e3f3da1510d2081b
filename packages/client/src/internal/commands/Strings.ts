/**
 * String commands as descriptors (see `Command.ts`).
 *
 * @since 0.1.0
 */
import type { CommandArg } from "@fxredis/protocol"
import type { Duration } from "effect"
import * as C from "../../Command.ts"
import { ttlMillis } from "./units.ts"

/** a key: text or bytes @category models @since 0.1.0 */
export type Key = string | Uint8Array
/** a value: text, a number (written as its decimal text) or bytes @category models @since 0.1.0 */
export type Value = string | number | Uint8Array

/**
 * Options of `SET`. Bare numbers follow Redis: `expire: 60` is `EX 60` (seconds) and `expireAt: 1700000000` is
 * `EXAT` (Unix seconds); a `Duration` or duration string is sent as `PX` milliseconds and a `Date` as `PXAT`.
 *
 * @example
 * ```ts
 * import { Redis } from "@fxredis/client"
 *
 * const cache = Redis.use((redis) => redis.set("page:/", "<html>", { expire: "5 minutes" })) // PX 300000
 * const session = Redis.use((redis) => redis.set("session:1", "u1", { expire: 3600, nx: true })) // EX 3600 NX
 * const until = Redis.use((redis) => redis.set("promo", "on", { expireAt: new Date("2030-01-01") })) // PXAT …
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface SetOptions {
  /** expire after this long: a `Duration` (sent as `PX` milliseconds) or a number of **seconds** (`EX`, as in Redis) */
  readonly expire?: Duration.Input | undefined
  /** expire at this time: a `Date` (sent as `PXAT` milliseconds) or a Unix time in **seconds** (`EXAT`, as in Redis) */
  readonly expireAt?: Date | number | undefined
  /** only set if the key does not exist */
  readonly nx?: boolean | undefined
  /** only set if the key exists */
  readonly xx?: boolean | undefined
  /** keep the key's time to live */
  readonly keepTtl?: boolean | undefined
}

const setArgs = (key: Key, value: Value, options: SetOptions | undefined): Array<CommandArg> => {
  const args: Array<CommandArg> = ["SET", key, value]
  if (options !== undefined) {
    const { expire, expireAt } = options
    if (expire !== undefined) {
      if (typeof expire === "number") args.push("EX", expire)
      else args.push("PX", ttlMillis(expire))
    }
    if (expireAt !== undefined) {
      if (expireAt instanceof Date) args.push("PXAT", expireAt.getTime())
      else args.push("EXAT", expireAt)
    }
    if (options.nx) args.push("NX")
    if (options.xx) args.push("XX")
    if (options.keepTtl) args.push("KEEPTTL")
  }
  return args
}

/** @since 0.1.0 */
export const get = (key: Key) => C.make(["GET", key], C.optionString)
/** GET as bytes, exactly as stored @since 0.1.0 */
export const getBuffer = (key: Key) => C.make(["GET", key], C.optionBytes)
/** `true` when the value was set, `false` when `nx`/`xx` prevented it. @since 0.1.0 */
export const set = (key: Key, value: Value, options?: SetOptions) => C.make(setArgs(key, value, options), C.okOrNil)
/** `SET … GET`: sets and returns the old value. @since 0.1.0 */
export const setGet = (key: Key, value: Value, options?: SetOptions) =>
  C.make([...setArgs(key, value, options), "GET"], C.optionString)
/** @since 0.1.0 */
export const setnx = (key: Key, value: Value) => C.make(["SETNX", key, value], C.boolean)
/** @since 0.1.0 */
export const getdel = (key: Key) => C.make(["GETDEL", key], C.optionString)
/** @since 0.1.0 */
export const mget = (keys: ReadonlyArray<Key>) => C.make(["MGET", ...keys], C.optionStrings)
/** @since 0.1.0 */
export const mset = (entries: ReadonlyArray<readonly [Key, Value]> | Record<string, Value>) => {
  const args: Array<CommandArg> = ["MSET"]
  const pairs = Array.isArray(entries) ? entries : Object.entries(entries)
  for (const [k, v] of pairs) args.push(k, v)
  return C.make(args, C.ok)
}
/** @since 0.1.0 */
export const msetnx = (entries: ReadonlyArray<readonly [Key, Value]>) => {
  const args: Array<CommandArg> = ["MSETNX"]
  for (const [k, v] of entries) args.push(k, v)
  return C.make(args, C.boolean)
}
/** @since 0.1.0 */
export const incr = (key: Key) => C.make(["INCR", key], C.number)
/** @since 0.1.0 */
export const incrby = (key: Key, by: number) => C.make(["INCRBY", key, by], C.number)
/** @since 0.1.0 */
export const incrbyfloat = (key: Key, by: number) => C.make(["INCRBYFLOAT", key, by], C.float)
/** @since 0.1.0 */
export const decr = (key: Key) => C.make(["DECR", key], C.number)
/** @since 0.1.0 */
export const decrby = (key: Key, by: number) => C.make(["DECRBY", key, by], C.number)
/** @since 0.1.0 */
export const append = (key: Key, value: Value) => C.make(["APPEND", key, value], C.number)
/** @since 0.1.0 */
export const strlen = (key: Key) => C.make(["STRLEN", key], C.number)
/** @since 0.1.0 */
export const getrange = (key: Key, start: number, end: number) => C.make(["GETRANGE", key, start, end], C.string)
