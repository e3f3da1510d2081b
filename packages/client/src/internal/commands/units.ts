/**
 * Time arguments of the typed commands. The rule: a `Duration` (or a duration string such as `"60 seconds"`) means
 * what it says, and a bare number is in the unit of the Redis command of the same name (`expire(k, 60)` is
 * `EXPIRE k 60`: 60 seconds; `pexpire(k, 60)` is 60 milliseconds; `blpop(keys, 5)` waits 5 seconds; `xread`'s
 * `block: 100` 100 milliseconds), so a call never reads like Redis and does something else.
 *
 * Nothing here throws: an input that is not a duration (`NaN`, `"soon"` from a JavaScript caller) is sent as its
 * text, and the server rejects it with a typed `ReplyError` ("value is not an integer"). Nothing is clamped either:
 * a negative time to live deletes the key, as it does in Redis.
 *
 * @internal
 */
import type { CommandArg } from "@fxredis/protocol"
import { Duration, Option } from "effect"

/** the input as a Duration, or undefined when it is not one (NaN counts as not one: Effect would read it as 0) */
const decode = (input: Duration.Input): Duration.Duration | undefined => {
  if (typeof input === "number" && Number.isNaN(input)) return undefined
  const decoded = Duration.fromInput(input)
  return Option.isSome(decoded) ? decoded.value : undefined
}

/** the text the server gets for an input it must reject */
const rejected = (input: unknown): string => (typeof input === "string" ? input : String(input))

/**
 * A time to live as whole milliseconds (for `PEXPIRE`, `PX`): rounded, and at least 1 when positive (a positive
 * time to live never becomes 0, which would delete the key). An infinite one is sent as `Infinity`, which the server
 * rejects.
 *
 * @internal
 */
export const ttlMillis = (input: Duration.Input): CommandArg => {
  const d = decode(input)
  if (d === undefined) return rejected(input)
  if (!Duration.isFinite(d)) return Duration.isNegative(d) ? -1 : "Infinity"
  const ms = Math.round(Duration.toMillis(d))
  return ms === 0 && Duration.isPositive(d) ? 1 : ms
}

/**
 * A blocking command's timeout: a number is passed as it is (its Redis unit), a Duration is converted to `unit`
 * (`"seconds"` for BLPOP, BRPOP, BLMOVE; `"millis"` for XREAD BLOCK). An infinite Duration is 0, Redis' "for ever".
 *
 * @internal
 */
export const blockingTimeout = (input: Duration.Input, unit: "seconds" | "millis"): CommandArg => {
  if (typeof input === "number") return input
  const d = decode(input)
  if (d === undefined) return rejected(input)
  if (!Duration.isFinite(d)) return Duration.isNegative(d) ? -1 : 0
  const ms = Duration.toMillis(d)
  return unit === "seconds" ? ms / 1000 : Math.round(ms)
}
