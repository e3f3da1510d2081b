/**
 * String commands as descriptors (see `Command.ts`).
 *
 * @since 0.1.0
 */
import type { CommandArg } from "@fxredis/protocol"
import type { Duration } from "effect"
import { Duration as D } from "effect"
import * as C from "../../Command.ts"

/** a key: text or bytes @category models @since 0.1.0 */
export type Key = string | Uint8Array
/** a value: text, a number (written as its decimal text) or bytes @category models @since 0.1.0 */
export type Value = string | number | Uint8Array

/**
 * Options of `SET`.
 *
 * @category models
 * @since 0.1.0
 */
export interface SetOptions {
  /** expire after this long (sent as `PX` milliseconds) */
  readonly expire?: Duration.Input | undefined
  /** expire at this Unix time in milliseconds (`PXAT`) */
  readonly expireAt?: number | undefined
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
    if (options.expire !== undefined) args.push("PX", Math.max(1, Math.round(D.toMillis(options.expire))))
    if (options.expireAt !== undefined) args.push("PXAT", options.expireAt)
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
