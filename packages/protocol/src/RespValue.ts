/**
 * The decoded value model: plain JavaScript values where RESP has an obvious one, small classes for the rest.
 *
 * | RESP                               | value                                              |
 * |------------------------------------|----------------------------------------------------|
 * | simple string                      | `string` (its UTF-8 text)                          |
 * | bulk string, verbatim text         | bytes: a `string` when every byte is ASCII, else a `Uint8Array` (see below) |
 * | integer                            | `number` (a `bigint` when outside the safe range)  |
 * | double                             | `number` (incl. `Infinity`, `-Infinity`, `NaN`)    |
 * | big number                         | `bigint`                                           |
 * | boolean                            | `boolean`                                          |
 * | null, null bulk, null array        | `null`                                             |
 * | array                              | `ReadonlyArray<RespValue>`                         |
 * | simple error, bulk error           | `ErrorReply` — a value, not a failure              |
 * | map, set, verbatim, push, attribute| `RespMap`, `RespSet`, `VerbatimString`, `Push`, `Attributed` |
 *
 * A bulk string is bytes, and the decoder has one form for it, whatever the command: when every byte is ASCII it is
 * the `string` of those bytes (one character per byte: the bytes are exactly `Buffer.from(s, "latin1")`, and the
 * text is the same under UTF-8), otherwise a `Uint8Array`. Text that is not ASCII (UTF-8 `"héllo"`) therefore
 * arrives as bytes: read a bulk as text with `bulkText`, as bytes with `bulkBytes`. `@fxredis/client` does this in
 * its reply layer, so its users see text (or bytes, for the binary commands) and never this form.
 *
 * @since 0.1.0
 */
import { errorCode } from "./ServerError.ts"

/**
 * A decoded RESP2/RESP3 reply.
 *
 * @example
 * ```ts
 * import { decodeAll, type RespValue } from "@fxredis/protocol"
 *
 * const describe = (v: RespValue): string => (v === null ? "nil" : Array.isArray(v) ? `array of ${v.length}` : typeof v)
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export type RespValue =
  | string
  | Uint8Array
  | number
  | bigint
  | boolean
  | null
  | ReadonlyArray<RespValue>
  | ErrorReply
  | RespMap
  | RespSet
  | VerbatimString
  | Push
  | Attributed

/**
 * A server error reply (`-ERR …` or a RESP3 bulk error). `message` is the whole text; `code` its first word.
 *
 * @example
 * ```ts
 * import { decodeAll, ErrorReply } from "@fxredis/protocol"
 *
 * // an error reply is a value among the others (EXEC keeps per-command errors)
 * const replies = decodeAll(new TextEncoder().encode("*2\r\n:1\r\n-WRONGTYPE no\r\n"))
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export class ErrorReply {
  readonly code: string
  readonly message: string
  constructor(message: string, code: string = errorCode(message)) {
    this.code = code
    this.message = message
  }
  toString(): string {
    return this.message
  }
}

/**
 * A RESP3 map, its entries in the order the server sent them.
 *
 * @example
 * ```ts
 * import { Attributed, Push, RespMap, RespSet, VerbatimString } from "@fxredis/protocol"
 *
 * const map = new RespMap([["name", "ada"]])
 * map.entries[0] // ["name", "ada"]
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export class RespMap {
  readonly entries: ReadonlyArray<readonly [RespValue, RespValue]>
  constructor(entries: ReadonlyArray<readonly [RespValue, RespValue]>) {
    this.entries = entries
  }
}

/**
 * A RESP3 set.
 *
 * @example
 * ```ts
 * import { Attributed, Push, RespMap, RespSet, VerbatimString } from "@fxredis/protocol"
 *
 * const set = new RespSet(["a", "b"])
 * set.values.length // 2
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export class RespSet {
  readonly values: ReadonlyArray<RespValue>
  constructor(values: ReadonlyArray<RespValue>) {
    this.values = values
  }
}

/**
 * A RESP3 verbatim string: its format (`txt`, `mkd`) and text.
 *
 * @example
 * ```ts
 * import { Attributed, Push, RespMap, RespSet, VerbatimString } from "@fxredis/protocol"
 *
 * const info = new VerbatimString("txt", "# Server")
 * String(info) // "# Server"
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export class VerbatimString {
  readonly format: string
  readonly text: string | Uint8Array
  constructor(format: string, text: string | Uint8Array) {
    this.format = format
    this.text = text
  }
  toString(): string {
    return bulkText(this.text)
  }
}

/**
 * A RESP3 push frame: out-of-band data (pub/sub messages, client-side caching invalidations).
 *
 * @example
 * ```ts
 * import { Attributed, Push, RespMap, RespSet, VerbatimString } from "@fxredis/protocol"
 *
 * const message = new Push(["message", "news", "hello"])
 * message.values[2] // "hello"
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export class Push {
  readonly values: ReadonlyArray<RespValue>
  constructor(values: ReadonlyArray<RespValue>) {
    this.values = values
  }
}

/**
 * A reply preceded by a RESP3 attribute frame.
 *
 * @example
 * ```ts
 * import { Attributed, Push, RespMap, RespSet, VerbatimString } from "@fxredis/protocol"
 *
 * const withTtl = new Attributed(new RespMap([["ttl", 3600]]), "value")
 * withTtl.value // "value"
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export class Attributed {
  readonly attributes: RespMap
  readonly value: RespValue
  constructor(attributes: RespMap, value: RespValue) {
    this.attributes = attributes
    this.value = value
  }
}

const utf8 = new TextDecoder()
const encoder = new TextEncoder()

/**
 * A bulk string's UTF-8 text: its ASCII string form as it is, its bytes decoded (invalid sequences become U+FFFD).
 * A `Uint8Array` longer than the engine's longest string throws `RangeError`.
 *
 * @example
 * ```ts
 * import { bulkText, decodeAll } from "@fxredis/protocol"
 * import { Result } from "effect"
 *
 * const replies = decodeAll(new TextEncoder().encode("$6\r\nhéllo\r\n"))
 * if (Result.isSuccess(replies)) bulkText(replies.success[0] as Uint8Array) // "héllo"
 * ```
 *
 * @category conversions
 * @since 0.2.0
 */
export const bulkText = (bulk: string | Uint8Array): string => (typeof bulk === "string" ? bulk : utf8.decode(bulk))

/**
 * A bulk string's bytes: its bytes form as it is, the bytes of its ASCII string form. A string that is not ASCII (a
 * simple string, which the decoder gives as text) becomes its UTF-8 bytes, which are the bytes the server sent.
 *
 * @example
 * ```ts
 * import { bulkBytes } from "@fxredis/protocol"
 *
 * bulkBytes("abc") // Uint8Array [97, 98, 99]
 * ```
 *
 * @category conversions
 * @since 0.2.0
 */
export const bulkBytes = (bulk: string | Uint8Array): Uint8Array =>
  typeof bulk === "string" ? encoder.encode(bulk) : bulk
