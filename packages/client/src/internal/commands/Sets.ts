/**
 * Set and sorted-set commands as descriptors (see `Command.ts`).
 *
 * @since 0.1.0
 */
import type { CommandArg } from "@fxredis/protocol"
import * as C from "../../Command.ts"
import type { Key, Value } from "./Strings.ts"

/** @since 0.1.0 */
export const sadd = (key: Key, members: ReadonlyArray<Value>) => C.make(["SADD", key, ...members], C.number)
/** @since 0.1.0 */
export const srem = (key: Key, members: ReadonlyArray<Value>) => C.make(["SREM", key, ...members], C.number)
/** @since 0.1.0 */
export const smembers = (key: Key) => C.make(["SMEMBERS", key], C.strings)
/** @since 0.1.0 */
export const sismember = (key: Key, member: Value) => C.make(["SISMEMBER", key, member], C.boolean)
/** @since 0.1.0 */
export const smismember = (key: Key, members: ReadonlyArray<Value>) =>
  C.make(["SMISMEMBER", key, ...members], C.booleans)
/** @since 0.1.0 */
export const scard = (key: Key) => C.make(["SCARD", key], C.number)
/** @since 0.1.0 */
export const spop = (key: Key) => C.make(["SPOP", key], C.optionString)
/** @since 0.1.0 */
export const smove = (from: Key, to: Key, member: Value) => C.make(["SMOVE", from, to, member], C.boolean)
/** @since 0.1.0 */
export const sinter = (keys: ReadonlyArray<Key>) => C.make(["SINTER", ...keys], C.strings)
/** @since 0.1.0 */
export const sunion = (keys: ReadonlyArray<Key>) => C.make(["SUNION", ...keys], C.strings)
/** @since 0.1.0 */
export const sdiff = (keys: ReadonlyArray<Key>) => C.make(["SDIFF", ...keys], C.strings)
/** @since 0.1.0 */
export const sinterstore = (destination: Key, keys: ReadonlyArray<Key>) =>
  C.make(["SINTERSTORE", destination, ...keys], C.number)
/** @since 0.1.0 */
export const sunionstore = (destination: Key, keys: ReadonlyArray<Key>) =>
  C.make(["SUNIONSTORE", destination, ...keys], C.number)

/**
 * Options of `ZADD`.
 *
 * @category models
 * @since 0.1.0
 */
export interface ZAddOptions {
  readonly nx?: boolean | undefined
  readonly xx?: boolean | undefined
  readonly gt?: boolean | undefined
  readonly lt?: boolean | undefined
  /** count changed members, not only added ones */
  readonly ch?: boolean | undefined
}

/** adds members with scores; the number added (or changed, with `ch`) @since 0.1.0 */
export const zadd = (
  key: Key,
  members: ReadonlyArray<{ readonly score: number; readonly member: Value }>,
  options?: ZAddOptions
) => {
  const args: Array<CommandArg> = ["ZADD", key]
  if (options?.nx) args.push("NX")
  if (options?.xx) args.push("XX")
  if (options?.gt) args.push("GT")
  if (options?.lt) args.push("LT")
  if (options?.ch) args.push("CH")
  for (const m of members) args.push(m.score, m.member)
  return C.make(args, C.number)
}
/** @since 0.1.0 */
export const zrem = (key: Key, members: ReadonlyArray<Value>) => C.make(["ZREM", key, ...members], C.number)
/** @since 0.1.0 */
export const zscore = (key: Key, member: Value) => C.make(["ZSCORE", key, member], C.optionFloat)
/** @since 0.1.0 */
export const zincrby = (key: Key, by: number, member: Value) => C.make(["ZINCRBY", key, by, member], C.float)
/** @since 0.1.0 */
export const zcard = (key: Key) => C.make(["ZCARD", key], C.number)
/** @since 0.1.0 */
export const zcount = (key: Key, min: number | string, max: number | string) =>
  C.make(["ZCOUNT", key, min, max], C.number)
/** @since 0.1.0 */
export const zrank = (key: Key, member: Value) => C.make(["ZRANK", key, member], C.optionNumber)
/** members by rank, lowest score first (`rev` for highest first) @since 0.1.0 */
export const zrange = (key: Key, start: number, stop: number, options?: { readonly rev?: boolean | undefined }) =>
  C.make(options?.rev ? ["ZRANGE", key, start, stop, "REV"] : ["ZRANGE", key, start, stop], C.strings)
/** @since 0.1.0 */
export const zrangeWithScores = (
  key: Key,
  start: number,
  stop: number,
  options?: { readonly rev?: boolean | undefined }
) =>
  C.make(
    options?.rev ? ["ZRANGE", key, start, stop, "REV", "WITHSCORES"] : ["ZRANGE", key, start, stop, "WITHSCORES"],
    C.scored
  )
/** members with `min ≤ score ≤ max` (`"-inf"`, `"+inf"`, `"(5"` for exclusive) @since 0.1.0 */
export const zrangeByScore = (
  key: Key,
  min: number | string,
  max: number | string,
  options?: { readonly offset: number; readonly count: number }
) =>
  C.make(
    options === undefined
      ? ["ZRANGE", key, min, max, "BYSCORE"]
      : ["ZRANGE", key, min, max, "BYSCORE", "LIMIT", options.offset, options.count],
    C.strings
  )
/** @since 0.1.0 */
export const zpopmin = (key: Key, count = 1) => C.make(["ZPOPMIN", key, count], C.scored)
