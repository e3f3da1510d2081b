/**
 * Stream commands as descriptors (see `Command.ts`). `XREAD` with `block` runs on a connection of its own.
 *
 * @since 0.1.0
 */
import type { CommandArg } from "@fxredis/protocol"
import type { Duration } from "effect"
import * as C from "../../Command.ts"
import type { Key, Value } from "./Strings.ts"
import { blockingTimeout } from "./units.ts"

/** appends an entry; its id (`"*"` by default: the server picks one) @since 0.1.0 */
export const xadd = (
  key: Key,
  fields: Record<string, Value> | ReadonlyArray<readonly [string, Value]>,
  options?: { readonly id?: string | undefined; readonly maxLen?: number | undefined }
) => {
  const args: Array<CommandArg> = ["XADD", key]
  if (options?.maxLen !== undefined) args.push("MAXLEN", "~", options.maxLen)
  args.push(options?.id ?? "*")
  for (const [f, v] of Array.isArray(fields) ? fields : Object.entries(fields)) args.push(f, v)
  return C.make(args, C.string)
}
/** entries with `start ≤ id ≤ end` (`"-"` and `"+"` for the ends) @since 0.1.0 */
export const xrange = (key: Key, start = "-", end = "+", options?: { readonly count?: number | undefined }) =>
  C.make(
    options?.count === undefined ? ["XRANGE", key, start, end] : ["XRANGE", key, start, end, "COUNT", options.count],
    C.streamEntries
  )
/** @since 0.1.0 */
export const xlen = (key: Key) => C.make(["XLEN", key], C.number)
/**
 * Reads entries after the given ids (`"$"`: only new ones). With `block`, waits that long on a connection of its
 * own; an empty result means the wait ended with nothing. `block` is a `Duration` (`"5 seconds"`; `"Infinity"` for
 * ever) or, as Redis' `BLOCK`, a number of **milliseconds** (`block: 100`; 0: for ever).
 *
 * @since 0.1.0
 */
export const xread = (
  streams: ReadonlyArray<readonly [Key, string]>,
  options?: { readonly count?: number | undefined; readonly block?: Duration.Input | undefined }
) => {
  const args: Array<CommandArg> = ["XREAD"]
  if (options?.count !== undefined) args.push("COUNT", options.count)
  if (options?.block !== undefined) args.push("BLOCK", blockingTimeout(options.block, "millis"))
  args.push("STREAMS")
  for (const [k] of streams) args.push(k)
  for (const [, id] of streams) args.push(id)
  return options?.block === undefined ? C.make(args, C.streamRead) : C.blocking(args, C.streamRead)
}
