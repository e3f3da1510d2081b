/**
 * List commands as descriptors (see `Command.ts`). `BLPOP`, `BRPOP` and `BLMOVE` are blocking: they run on a
 * connection of their own and have no command timeout (their own timeout argument bounds them; 0 waits for ever).
 * Their timeout is a `Duration` (`"5 seconds"`; `"Infinity"` waits for ever) or, as in Redis, a number of
 * **seconds** (`blpop(keys, 5)` waits 5 seconds, `0.5` half a second, `0` for ever).
 *
 * @since 0.1.0
 */
import type { Duration } from "effect"
import * as C from "../../Command.ts"
import type { Key, Value } from "./Strings.ts"
import { blockingTimeout } from "./units.ts"

const seconds = (timeout: Duration.Input) => blockingTimeout(timeout, "seconds")

/** @since 0.1.0 */
export type Side = "LEFT" | "RIGHT"

/** the list's new length @since 0.1.0 */
export const lpush = (key: Key, values: ReadonlyArray<Value>) => C.make(["LPUSH", key, ...values], C.number)
/** @since 0.1.0 */
export const rpush = (key: Key, values: ReadonlyArray<Value>) => C.make(["RPUSH", key, ...values], C.number)
/** @since 0.1.0 */
export const lpop = (key: Key) => C.make(["LPOP", key], C.optionString)
/** @since 0.1.0 */
export const rpop = (key: Key) => C.make(["RPOP", key], C.optionString)
/** @since 0.1.0 */
export const lrange = (key: Key, start: number, stop: number) => C.make(["LRANGE", key, start, stop], C.strings)
/** @since 0.1.0 */
export const llen = (key: Key) => C.make(["LLEN", key], C.number)
/** @since 0.1.0 */
export const lindex = (key: Key, index: number) => C.make(["LINDEX", key, index], C.optionString)
/** @since 0.1.0 */
export const lrem = (key: Key, count: number, value: Value) => C.make(["LREM", key, count, value], C.number)
/** @since 0.1.0 */
export const ltrim = (key: Key, start: number, stop: number) => C.make(["LTRIM", key, start, stop], C.ok)
/** @since 0.1.0 */
export const lset = (key: Key, index: number, value: Value) => C.make(["LSET", key, index, value], C.ok)
/** @since 0.1.0 */
export const lmove = (from: Key, to: Key, whereFrom: Side, whereTo: Side) =>
  C.make(["LMOVE", from, to, whereFrom, whereTo], C.optionString)
/**
 * Waits up to `timeout` for an element; `[key, value]` or none. A number is seconds, as in Redis (0: for ever).
 *
 * @since 0.1.0
 */
export const blpop = (keys: ReadonlyArray<Key>, timeout: Duration.Input) =>
  C.blocking(["BLPOP", ...keys, seconds(timeout)], C.keyValue)
/** as `blpop`, from the tail; a number `timeout` is seconds, as in Redis @since 0.1.0 */
export const brpop = (keys: ReadonlyArray<Key>, timeout: Duration.Input) =>
  C.blocking(["BRPOP", ...keys, seconds(timeout)], C.keyValue)
/** `LMOVE` that waits up to `timeout` (a number is seconds, as in Redis; 0: for ever) @since 0.1.0 */
export const blmove = (from: Key, to: Key, whereFrom: Side, whereTo: Side, timeout: Duration.Input) =>
  C.blocking(["BLMOVE", from, to, whereFrom, whereTo, seconds(timeout)], C.optionString)
