/**
 * Reply values between their decoded form and text or bytes. The decoder gives a bulk string as its bytes: an ASCII
 * `string` (the bytes, one character each) or a `Uint8Array` (see `RespValue` in `@fxredis/protocol`); these are the
 * client's only conversions from that form.
 *
 * @internal
 */
import { Attributed, type ErrorReply, Push, RespMap, RespSet, type RespValue, VerbatimString } from "@fxredis/protocol"
import { ReplyError } from "../RedisErrors.ts"
import { commandName } from "./pipeline.ts"

/** UTF-8 text of bytes; the decoder's views are `Buffer`s already, so no wrapper is made for them */
const utf8 = (bytes: Uint8Array): string =>
  Buffer.isBuffer(bytes)
    ? bytes.toString("utf8")
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8")

/**
 * A reply's text: a string as it is, bytes as UTF-8, a verbatim string's text; undefined for anything else. The one
 * reply-to-text conversion of the client. Text too long for a JS string throws here: callers run inside the
 * pipeline's guard, which turns that into a typed failure of the command.
 */
export const textOf = (value: RespValue | undefined): string | undefined =>
  typeof value === "string"
    ? value
    : value instanceof Uint8Array
      ? utf8(value)
      : value instanceof VerbatimString
        ? textOf(value.text)
        : undefined

/**
 * A reply's bytes: bytes as they are, a string's UTF-8 bytes (for the decoder's ASCII form, exactly the bytes the
 * server sent), a verbatim string's; undefined for anything else.
 */
export const bytesOf = (value: RespValue | undefined): Uint8Array | undefined =>
  value instanceof Uint8Array
    ? value
    : typeof value === "string"
      ? Buffer.from(value, "utf8")
      : value instanceof VerbatimString
        ? bytesOf(value.text)
        : undefined

/** `items` with `f` applied, the same array when `f` changed nothing (no copy on the common all-text reply) */
const mapItems = (items: ReadonlyArray<RespValue>, f: (v: RespValue) => RespValue): ReadonlyArray<RespValue> => {
  let out: Array<RespValue> | undefined
  for (let i = 0; i < items.length; i++) {
    const v = items[i]
    const w = f(v)
    if (w !== v) {
      out ??= items.slice()
      out[i] = w
    }
  }
  return out ?? items
}

const mapEntries = (
  entries: ReadonlyArray<readonly [RespValue, RespValue]>,
  f: (v: RespValue) => RespValue
): ReadonlyArray<readonly [RespValue, RespValue]> | undefined => {
  let out: Array<readonly [RespValue, RespValue]> | undefined
  for (let i = 0; i < entries.length; i++) {
    const [k, v] = entries[i]
    const k2 = f(k)
    const v2 = f(v)
    if (k2 !== k || v2 !== v) {
      out ??= entries.slice()
      out[i] = [k2, v2]
    }
  }
  return out
}

/** the structure of `value` with `f` applied to every leaf (a new object only where something changed) */
const deep = (value: RespValue, leaf: (v: string | Uint8Array) => RespValue): RespValue => {
  if (typeof value === "string" || value instanceof Uint8Array) return leaf(value)
  if (value === null || typeof value !== "object") return value
  const f = (v: RespValue): RespValue => deep(v, leaf)
  if (Array.isArray(value)) return mapItems(value, f)
  if (value instanceof RespMap) {
    const entries = mapEntries(value.entries, f)
    return entries === undefined ? value : new RespMap(entries)
  }
  if (value instanceof RespSet) {
    const values = mapItems(value.values, f)
    return values === value.values ? value : new RespSet(values)
  }
  if (value instanceof Push) {
    const values = mapItems(value.values, f)
    return values === value.values ? value : new Push(values)
  }
  if (value instanceof Attributed) {
    const inner = f(value.value)
    return inner === value.value ? value : new Attributed(value.attributes, inner)
  }
  if (value instanceof VerbatimString) {
    const t = leaf(value.text)
    return t === value.text ? value : new VerbatimString(value.format, t as string | Uint8Array)
  }
  return value
}

const toText = (v: string | Uint8Array): RespValue => {
  if (typeof v === "string") return v
  try {
    return utf8(v)
  } catch {
    // text too long for a JavaScript string stays bytes, so the command's own decoder reports it
    return v
  }
}

const toBytes = (v: string | Uint8Array): RespValue => (typeof v === "string" ? Buffer.from(v, "utf8") : v)

/**
 * The reply with every bulk string as UTF-8 text, inside aggregates too (`Command.raw`). Scalars and flat arrays of
 * scalars (the common replies) are checked in one tight loop and returned as they are.
 */
export const textual = (value: RespValue): RespValue => {
  if (typeof value !== "object" || value === null) return value
  if (Array.isArray(value)) {
    const items: ReadonlyArray<RespValue> = value
    for (let i = 0; i < items.length; i++) {
      const item = items[i]
      if (typeof item === "object" && item !== null) return deep(value, toText)
    }
    return value
  }
  return deep(value, toText)
}

/** The reply with every string as bytes, inside aggregates too (`Command.binary(Command.raw)`). */
export const bytesDeep = (value: RespValue): RespValue => deep(value, toBytes)

/** A server's error reply as the command's typed failure. */
export const replyError = (reply: ErrorReply, name: Parameters<typeof commandName>[0]): ReplyError =>
  new ReplyError({ code: reply.code, message: reply.message, command: commandName(name) })
