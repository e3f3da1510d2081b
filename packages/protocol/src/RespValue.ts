/**
 * The decoded value model: plain JavaScript values where RESP has an obvious one, small classes for the rest.
 *
 * | RESP                               | value                                              |
 * |------------------------------------|----------------------------------------------------|
 * | simple string, bulk string         | `string` (`Uint8Array` for bulk strings in binary mode) |
 * | integer                            | `number` (a `bigint` when outside the safe range)  |
 * | double                             | `number` (incl. `Infinity`, `-Infinity`, `NaN`)    |
 * | big number                         | `bigint`                                           |
 * | boolean                            | `boolean`                                          |
 * | null, null bulk, null array        | `null`                                             |
 * | array                              | `ReadonlyArray<RespValue>`                         |
 * | simple error, bulk error           | `ErrorReply` — a value, not a failure              |
 * | map, set, verbatim, push, attribute| `RespMap`, `RespSet`, `VerbatimString`, `Push`, `Attributed` |
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
    return typeof this.text === "string" ? this.text : Buffer.from(this.text).toString("utf8")
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
