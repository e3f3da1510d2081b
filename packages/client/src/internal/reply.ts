/**
 * Reply values between their binary and text forms.
 *
 * @internal
 */
import { Attributed, type ErrorReply, Push, RespMap, RespSet, type RespValue, VerbatimString } from "@fxredis/protocol"
import { ReplyError } from "../RedisErrors.ts"
import { commandName } from "./pipeline.ts"

const utf8 = new TextDecoder()

/**
 * A reply's text: a string as it is, bytes as UTF-8, a verbatim string's text; undefined for anything else. The one
 * reply-to-text conversion of the client. Text too long for a JS string throws here: callers run inside the
 * pipeline's guard, which turns that into a typed failure of the command.
 */
export const textOf = (value: RespValue | undefined): string | undefined =>
  typeof value === "string"
    ? value
    : value instanceof Uint8Array
      ? Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("utf8")
      : value instanceof VerbatimString
        ? textOf(value.text)
        : undefined

/** A server's error reply as the command's typed failure. */
export const replyError = (reply: ErrorReply, name: Parameters<typeof commandName>[0]): ReplyError =>
  new ReplyError({ code: reply.code, message: reply.message, command: commandName(name) })

/**
 * The reply as a text-mode decode would have given it: every bulk string (`Uint8Array`) becomes UTF-8 text, inside
 * arrays, maps, sets, pushes and attributes too. Used where one reply carries the answers of commands that read in
 * different modes (`EXEC`). Text that cannot become a JS string stays bytes, so the command's own decoder reports it.
 */
export const textual = (value: RespValue): RespValue => {
  if (value instanceof Uint8Array) {
    try {
      return utf8.decode(value)
    } catch {
      return value
    }
  }
  if (Array.isArray(value)) return (value as ReadonlyArray<RespValue>).map(textual)
  if (value === null || typeof value !== "object") return value
  if (value instanceof RespMap) return new RespMap(value.entries.map(([k, v]) => [textual(k), textual(v)] as const))
  if (value instanceof RespSet) return new RespSet(value.values.map(textual))
  if (value instanceof Push) return new Push(value.values.map(textual))
  if (value instanceof Attributed) return new Attributed(value.attributes, textual(value.value))
  if (value instanceof VerbatimString && value.text instanceof Uint8Array) {
    return new VerbatimString(value.format, textual(value.text) as string)
  }
  return value
}
