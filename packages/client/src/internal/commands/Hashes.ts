/**
 * Hash commands as descriptors (see `Command.ts`).
 *
 * @since 0.1.0
 */
import type { CommandArg } from "@fxredis/protocol"
import * as C from "../../Command.ts"
import type { Key, Value } from "./Strings.ts"

/** sets fields; the number of fields added @since 0.1.0 */
export const hset = (key: Key, fields: Record<string, Value> | ReadonlyArray<readonly [string, Value]>) => {
  const args: Array<CommandArg> = ["HSET", key]
  for (const [f, v] of Array.isArray(fields) ? fields : Object.entries(fields)) args.push(f, v)
  return C.make(args, C.number)
}
/** @since 0.1.0 */
export const hsetnx = (key: Key, field: string, value: Value) => C.make(["HSETNX", key, field, value], C.boolean)
/** @since 0.1.0 */
export const hget = (key: Key, field: string) => C.make(["HGET", key, field], C.optionString)
/** @since 0.1.0 */
export const hmget = (key: Key, fields: ReadonlyArray<string>) => C.make(["HMGET", key, ...fields], C.optionStrings)
/** @since 0.1.0 */
export const hgetall = (key: Key) => C.make(["HGETALL", key], C.record)
/** @since 0.1.0 */
export const hdel = (key: Key, fields: ReadonlyArray<string>) => C.make(["HDEL", key, ...fields], C.number)
/** @since 0.1.0 */
export const hexists = (key: Key, field: string) => C.make(["HEXISTS", key, field], C.boolean)
/** @since 0.1.0 */
export const hincrby = (key: Key, field: string, by: number) => C.make(["HINCRBY", key, field, by], C.number)
/** @since 0.1.0 */
export const hincrbyfloat = (key: Key, field: string, by: number) => C.make(["HINCRBYFLOAT", key, field, by], C.float)
/** @since 0.1.0 */
export const hkeys = (key: Key) => C.make(["HKEYS", key], C.strings)
/** @since 0.1.0 */
export const hvals = (key: Key) => C.make(["HVALS", key], C.strings)
/** @since 0.1.0 */
export const hlen = (key: Key) => C.make(["HLEN", key], C.number)
