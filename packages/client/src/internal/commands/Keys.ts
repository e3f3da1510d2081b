/**
 * Key commands as descriptors (see `Command.ts`).
 *
 * @since 0.1.0
 */
import type { Duration } from "effect"
import * as C from "../../Command.ts"
import type { Key } from "./Strings.ts"
import { ttlMillis } from "./units.ts"

/** the number of keys removed @since 0.1.0 */
export const del = (keys: ReadonlyArray<Key>) => C.make(["DEL", ...keys], C.number)
/** @since 0.1.0 */
export const unlink = (keys: ReadonlyArray<Key>) => C.make(["UNLINK", ...keys], C.number)
/** how many of the keys exist (a key named twice counts twice) @since 0.1.0 */
export const exists = (keys: ReadonlyArray<Key>) => C.make(["EXISTS", ...keys], C.number)
/** @since 0.1.0 */
export const touch = (keys: ReadonlyArray<Key>) => C.make(["TOUCH", ...keys], C.number)
/**
 * Sets a time to live; `false` when the key does not exist. A bare number is **seconds**, as in Redis' `EXPIRE`
 * (`expire(k, 60)` sends `EXPIRE k 60`; a fraction is rejected by the server, as there); a `Duration` or duration
 * string is exact (`expire(k, "1.5 seconds")` sends `PEXPIRE k 1500`).
 *
 * @since 0.1.0
 */
export const expire = (key: Key, ttl: Duration.Input) =>
  C.make(typeof ttl === "number" ? ["EXPIRE", key, ttl] : ["PEXPIRE", key, ttlMillis(ttl)], C.boolean)
/** `EXPIRE key seconds` as the server has it (the same as `expire` with a number) @since 0.1.0 */
export const expireSeconds = (key: Key, seconds: number) => C.make(["EXPIRE", key, seconds], C.boolean)
/**
 * Sets a time to live in milliseconds, as Redis' `PEXPIRE`: a bare number is **milliseconds** (`pexpire(k, 1500)`);
 * a `Duration` or duration string is exact.
 *
 * @since 0.1.0
 */
export const pexpire = (key: Key, ttl: Duration.Input) =>
  C.make(["PEXPIRE", key, typeof ttl === "number" ? ttl : ttlMillis(ttl)], C.boolean)
/** seconds to live; -1 without expiry, -2 when the key does not exist @since 0.1.0 */
export const ttl = (key: Key) => C.make(["TTL", key], C.number)
/** milliseconds to live; -1 without expiry, -2 when the key does not exist @since 0.1.0 */
export const pttl = (key: Key) => C.make(["PTTL", key], C.number)
/** `"string"`, `"list"`, …, or `"none"` @since 0.1.0 */
export const type = (key: Key) => C.make(["TYPE", key], C.string)
/** @since 0.1.0 */
export const rename = (key: Key, to: Key) => C.make(["RENAME", key, to], C.ok)
/** @since 0.1.0 */
export const renamenx = (key: Key, to: Key) => C.make(["RENAMENX", key, to], C.boolean)
/** @since 0.1.0 */
export const persist = (key: Key) => C.make(["PERSIST", key], C.boolean)
