/**
 * An incremental RESP2/RESP3 decoder: feed it chunks split at any byte, and it calls back once per complete
 * top-level reply, in order, keeping the partial rest.
 *
 * - It never throws (it runs inside a socket's `'data'` handler, where a throw would take the process down) and never
 *   allocates up front from a declared length: aggregates grow as their elements arrive; a bulk string under 16 KiB
 *   waits until its bytes are all there, a longer one is taken piece by piece as chunks arrive.
 * - Every declared length is capped (`maxBulkLength`, `maxAggregateLength`, `maxLineLength`, `maxDepth`); a
 *   header over a cap is a `ProtocolError`. A partial reply is never reported complete (`pending` > 0 until it is).
 * - Aggregates are parsed with an explicit stack, so a reply split across many chunks resumes where it stopped
 *   (no re-parsing from the start).
 * - It has no modes: the same bytes always decode to the same value. A bulk string (and a verbatim string's text) is
 *   bytes, in one of two lossless forms (see `RespValue`): a `string` when every byte is ASCII, where the string *is*
 *   the bytes, one character per byte (and the text under any ASCII-compatible encoding); otherwise a `Uint8Array`
 *   view of the received chunk (no copy unless the string spans chunks). Whether bytes become text, and how, is for
 *   the reader of the reply to decide (`bulkText`, `bulkBytes`; the client's reply layer). The ASCII form is what
 *   keeps the common case fast: a typed-array view per bulk string costs about three times what the string costs,
 *   and most replies are ASCII. A bulk longer than `maxStringLength` is always a `Uint8Array`.
 * - Malformed input yields a `ProtocolError` naming the absolute offset and what was expected; from then on the
 *   decoder returns that error for every chunk until `reset()`.
 * - It works on Node's `Buffer` (also provided by Bun and Deno), not on bare `Uint8Array`s: `Buffer`'s native
 *   slicing and UTF-8 decoding are where its speed comes from. It is not a browser-portable decoder.
 *
 * @since 0.1.0
 */
import { constants } from "node:buffer"
import { Result } from "effect"
import { ProtocolError } from "./ProtocolError.ts"
import { Attributed, ErrorReply, Push, RespMap, RespSet, type RespValue, VerbatimString } from "./RespValue.ts"

/**
 * @example
 * ```ts
 * import { RespDecoder } from "@fxredis/protocol"
 *
 * const decoder = new RespDecoder({ maxBulkLength: 64 * 1024 * 1024, maxDepth: 32 })
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface RespDecoderOptions {
  /** the largest bulk string accepted; default 512 MiB (Redis' `proto-max-bulk-len`) */
  readonly maxBulkLength?: number | undefined
  /** the deepest nesting of aggregates accepted; default 128 */
  readonly maxDepth?: number | undefined
  /** the longest line (simple string, error, number) accepted; default 1 MiB (at most `maxStringLength`) */
  readonly maxLineLength?: number | undefined
  /**
   * the largest declared aggregate length accepted (elements of an array, set or push; pairs of a map or
   * attribute); default 2^31 - 1, the multibulk length Redis itself accepts. A longer header is a `ProtocolError`.
   */
  readonly maxAggregateLength?: number | undefined
  /**
   * the longest bulk string, in bytes, that may come as a JavaScript string (when it is ASCII); a longer one is
   * always a `Uint8Array`, because it may not fit in a string. It also bounds simple strings and errors (lines).
   * Default: the engine's limit, `buffer.constants.MAX_STRING_LENGTH` (2^29 - 24 in V8). A UTF-8 text of n bytes
   * has at most n UTF-16 units, so a bulk within this limit always fits.
   */
  readonly maxStringLength?: number | undefined
}

/** the longest string the engine can make (V8: 2^29 - 24 UTF-16 units) */
const MAX_STRING_LENGTH = constants.MAX_STRING_LENGTH

/** Redis' own cap on a multibulk length (`INT_MAX`) */
const MAX_AGGREGATE_LENGTH = 2 ** 31 - 1

/** bulk strings at least this long are streamed across chunks rather than joined */
const STREAM_BULK = 16 * 1024

/**
 * Node's native slicing methods, which `toString(encoding, start, end)` calls after checking its arguments (absent
 * from `@types/node`, present on every `Buffer` since Node 0.x).
 */
type Buffer = globalThis.Buffer & {
  utf8Slice(start: number, end: number): string
  latin1Slice(start: number, end: number): string
}

const CR = 13
const LF = 10

const enum_ = { Array: 0, Map: 1, Set: 2, Push: 3, Attribute: 4 } as const
type FrameKind = (typeof enum_)[keyof typeof enum_]

interface Frame {
  readonly kind: FrameKind
  readonly items: Array<RespValue>
  /** elements received */
  filled: number
  /** elements still to come */
  remaining: number
  /** attributes that preceded this aggregate */
  readonly attributes: RespMap | undefined
}

/** Returned by the element parser when the buffer ends inside the element. */
const INCOMPLETE = -1
/** Returned by the element parser on malformed input (see `error`). */
const MALFORMED = -2

const fromCharCode = String.fromCharCode

/**
 * UTF-8 text of [s, e). Short ASCII runs (most replies are short) become one string in one call, without a native
 * decode: an explicit `String.fromCharCode(a, b, …)` per length is several times faster there than `toString` (or
 * than appending one character at a time, which makes a string per character).
 */
const text = (b: Buffer, s: number, e: number): string => {
  const n = e - s
  if (n > 16) return b.utf8Slice(s, e)
  let or = 0
  for (let i = s; i < e; i++) or |= b[i]
  if (or > 127) return b.utf8Slice(s, e)
  const f = fromCharCode
  // biome-ignore format: one line per length
  switch (n) {
    case 0: return ""
    case 1: return f(b[s])
    case 2: return b[s] === 79 && b[s + 1] === 75 ? "OK" : f(b[s], b[s + 1])
    case 3: return f(b[s], b[s + 1], b[s + 2])
    case 4: return f(b[s], b[s + 1], b[s + 2], b[s + 3])
    case 5: return f(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4])
    case 6: return f(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5])
    case 7: return f(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6])
    case 8: return f(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7])
    case 9: return f(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8])
    case 10: return f(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9])
    case 11: return f(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10])
    case 12: return f(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11])
    case 13: return f(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12])
    case 14: return f(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13])
    case 15: return f(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14])
    case 16: return f(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15])
  }
  return b.utf8Slice(s, e)
}

/**
 * The bytes [s, e) of a bulk string in their one decoded form: the string of its bytes when all are ASCII, else a
 * view of them. Short runs are checked and built without a native call (as in `text`); longer ones are decoded once
 * natively and kept as a string only when the result shows every byte was ASCII: as many UTF-16 units as bytes
 * (every multi-byte character makes fewer) and no U+FFFD (an invalid byte becomes one unit of U+FFFD). That check
 * costs next to nothing on an ASCII string, whose characters are all one byte wide. The short path repeats
 * `text`'s switch rather than calling a shared one: measured, a shared helper cost about 5% on small replies.
 */
const bulk = (b: Buffer, s: number, e: number): string | Uint8Array => {
  const n = e - s
  if (n > 16) {
    const t = b.utf8Slice(s, e)
    return t.length === n && t.indexOf("\ufffd") === -1 ? t : b.subarray(s, e)
  }
  let or = 0
  for (let i = s; i < e; i++) or |= b[i]
  if (or > 127) return b.subarray(s, e)
  const f = fromCharCode
  // biome-ignore format: one line per length
  switch (n) {
    case 0: return ""
    case 1: return f(b[s])
    case 2: return b[s] === 79 && b[s + 1] === 75 ? "OK" : f(b[s], b[s + 1])
    case 3: return f(b[s], b[s + 1], b[s + 2])
    case 4: return f(b[s], b[s + 1], b[s + 2], b[s + 3])
    case 5: return f(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4])
    case 6: return f(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5])
    case 7: return f(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6])
    case 8: return f(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7])
    case 9: return f(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8])
    case 10: return f(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9])
    case 11: return f(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10])
    case 12: return f(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11])
    case 13: return f(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12])
    case 14: return f(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13])
    case 15: return f(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14])
    case 16: return f(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15])
  }
  return b.latin1Slice(s, e)
}

const toBuffer = (chunk: Uint8Array): Buffer =>
  (Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)) as Buffer

/**
 * @example
 * ```ts
 * import { RespDecoder } from "@fxredis/protocol"
 *
 * const decoder = new RespDecoder()
 * const replies: Array<unknown> = []
 * decoder.feed(new TextEncoder().encode("+OK\r\n$5\r\nhel"), (v) => replies.push(v)) // ["OK"]
 * decoder.feed(new TextEncoder().encode("lo\r\n"), (v) => replies.push(v)) // ["OK", "hello"]
 * ```
 *
 * @category decoding
 * @since 0.1.0
 */
export class RespDecoder {
  private readonly maxBulkLength: number
  private readonly maxDepth: number
  private readonly maxLineLength: number
  private readonly maxAggregateLength: number
  private readonly maxStringLength: number

  /** chunks held back because they end inside an element */
  private parts: Array<Buffer> = []
  private partsLength = 0
  /** how many held-back bytes are needed before parsing is worth trying again */
  private need = 0
  /** the held-back bytes are one element whose first line has no CR yet: parse again only once a CR comes */
  private lineWait = false
  /** absolute stream offset of the first held-back byte (or of the next chunk) */
  private base = 0

  private stack: Array<Frame> = []
  private attributes: RespMap | undefined = undefined
  private error: ProtocolError | undefined = undefined
  /** a large bulk string being received across chunks */
  private bulk:
    | {
        remaining: number
        /** bytes received so far, header excluded */
        received: number
        /** the string of its bytes while every piece so far was ASCII (and it may be a string); else undefined */
        text: string | undefined
        /** its bytes so far, once `text` is undefined (a bulk that is not ASCII, or too long for a string) */
        readonly pieces: Array<Buffer>
        readonly tail: Array<number>
      }
    | undefined = undefined

  // the element parser's outputs
  private value: RespValue = null
  private aggregate: FrameKind | -1 = -1
  private count = 0

  constructor(options?: RespDecoderOptions) {
    this.maxBulkLength = options?.maxBulkLength ?? 512 * 1024 * 1024
    this.maxDepth = options?.maxDepth ?? 128
    this.maxStringLength = Math.min(options?.maxStringLength ?? MAX_STRING_LENGTH, MAX_STRING_LENGTH)
    // a line becomes a string whole: it must fit in one
    this.maxLineLength = Math.min(options?.maxLineLength ?? 1024 * 1024, this.maxStringLength)
    this.maxAggregateLength = options?.maxAggregateLength ?? MAX_AGGREGATE_LENGTH
  }

  /**
   * bytes buffered plus aggregates open plus a bulk string in progress, waiting for the rest of a reply; 0 exactly
   * between replies
   */
  get pending(): number {
    return (
      this.partsLength +
      this.stack.length +
      (this.attributes === undefined ? 0 : 1) +
      (this.bulk === undefined ? 0 : this.bulk.received + 1)
    )
  }

  /** Forgets any partial reply and a previous error: ready for a new stream. */
  reset(): void {
    this.parts = []
    this.partsLength = 0
    this.need = 0
    this.lineWait = false
    this.base = 0
    this.stack = []
    this.attributes = undefined
    this.error = undefined
    this.bulk = undefined
  }

  /**
   * Feeds one chunk. Calls `onReply` once per complete top-level reply, in order, synchronously. Returns
   * `undefined`, or the `ProtocolError` that poisoned the decoder (then, and for every later call until `reset`).
   *
   * Never throws. Should `onReply` throw, the rest of the chunk is lost with it, so the stream cannot stay aligned:
   * the decoder is poisoned with a `ProtocolError` whose `cause` is what was thrown.
   */
  feed(chunk: Uint8Array, onReply: (value: RespValue) => void): ProtocolError | undefined {
    if (this.error !== undefined) return this.error
    if (chunk.length === 0) return undefined
    try {
      return this.parse(chunk, onReply)
    } catch (cause) {
      // a bug, an allocation failure or a throwing callback: the decoder does not know where it is any more
      this.fail(this.base, "input the decoder can take (it failed unexpectedly)", undefined, cause)
      return this.error
    }
  }

  private parse(chunk: Uint8Array, onReply: (value: RespValue) => void): ProtocolError | undefined {
    let buf: Buffer = toBuffer(chunk)
    let pos = 0
    if (this.bulk !== undefined) {
      // a large bulk string in progress: take its bytes straight from the chunk, no joining
      pos = this.continueBulk(buf)
      if (pos === MALFORMED) return this.error
      if (pos === INCOMPLETE) {
        this.base += buf.length
        return undefined
      }
      if (!this.emit(this.value, onReply)) return this.error
    } else if (this.partsLength > 0) {
      this.parts.push(buf)
      this.partsLength += buf.length
      if (this.partsLength < this.need) return undefined
      if (this.lineWait && buf.indexOf(CR) === -1) {
        // still no end of line: re-joining and re-scanning what came before would make a slow line quadratic
        if (this.partsLength - 1 > this.maxLineLength) {
          this.fail(this.base + 1, `a line of at most ${this.maxLineLength} bytes`)
          return this.error
        }
        return undefined
      }
      this.lineWait = false
      buf = this.parts.length === 1 ? this.parts[0] : (Buffer.concat(this.parts, this.partsLength) as Buffer)
      this.parts = []
      this.partsLength = 0
    }
    const end = buf.length
    while (pos < end) {
      const next = this.element(buf, pos, end)
      if (next === INCOMPLETE) {
        if (this.bulk !== undefined) {
          this.base += end
          return undefined
        }
        const rest = buf.subarray(pos) as Buffer
        this.parts.push(rest)
        this.partsLength = rest.length
        this.base += pos
        return undefined
      }
      if (next === MALFORMED) return this.error
      pos = next
      if (this.aggregate !== -1) {
        if (this.stack.length >= this.maxDepth) {
          this.fail(this.base + pos, `nesting of at most ${this.maxDepth} aggregates`)
          return this.error
        }
        if (this.count > 0) {
          const attributes = this.attributes
          this.attributes = undefined
          // preallocate small aggregates only: a declared huge length allocates nothing up front
          const items: Array<RespValue> = this.count <= 1024 ? new Array(this.count) : []
          this.stack.push({ kind: this.aggregate, items, filled: 0, remaining: this.count, attributes })
          continue
        }
        this.value = this.complete({ kind: this.aggregate, items: [], filled: 0, remaining: 0, attributes: undefined })
        if (this.aggregate === enum_.Attribute) {
          this.attributes = this.value as RespMap
          continue
        }
      }
      if (this.stack.length === 0 && this.attributes === undefined) onReply(this.value)
      else if (!this.emit(this.value, onReply)) return this.error
    }
    this.base += end
    this.need = 0
    return undefined
  }

  /** a complete value: attach pending attributes, then hand it to its parent (or out) */
  private emit(complete: RespValue, onReply: (value: RespValue) => void): boolean {
    let value = complete
    if (this.attributes !== undefined) {
      value = new Attributed(this.attributes, value)
      this.attributes = undefined
    }
    while (true) {
      const top = this.stack.length === 0 ? undefined : this.stack[this.stack.length - 1]
      if (top === undefined) {
        onReply(value)
        return true
      }
      top.items[top.filled++] = value
      if (--top.remaining > 0) return true
      this.stack.pop()
      const done = this.complete(top)
      if (top.kind === enum_.Attribute) {
        this.attributes = done as RespMap
        return true
      }
      value = top.attributes === undefined ? done : new Attributed(top.attributes, done)
    }
  }

  /** feeds a chunk to the bulk string in progress; the position after it, INCOMPLETE or MALFORMED */
  private continueBulk(buf: Buffer): number {
    const bulk = this.bulk!
    const take = Math.min(bulk.remaining, buf.length)
    bulk.remaining -= take
    bulk.received += take
    // the payload is everything but the final CRLF
    const payloadEnd = Math.max(0, take - Math.max(0, 2 - bulk.remaining))
    if (payloadEnd > 0) {
      if (bulk.text !== undefined) {
        // while the pieces are ASCII, their text is the bulk's one string form (and no bytes are kept): one native
        // pass decides and decodes, as in `bulk` (one UTF-16 unit per byte and no U+FFFD is ASCII)
        const piece = buf.utf8Slice(0, payloadEnd)
        if (piece.length === payloadEnd && piece.indexOf("\ufffd") === -1) bulk.text += piece
        else {
          // the first piece that is not ASCII: the bulk is bytes from now on, and the text so far its first bytes
          bulk.pieces.push(Buffer.from(bulk.text, "latin1") as Buffer, buf.subarray(0, payloadEnd) as Buffer)
          bulk.text = undefined
        }
      } else bulk.pieces.push(buf.subarray(0, payloadEnd) as Buffer)
    }
    for (let i = payloadEnd; i < take; i++) bulk.tail.push(buf[i])
    if (bulk.remaining > 0) return INCOMPLETE
    this.bulk = undefined
    if (bulk.tail[0] !== CR || bulk.tail[1] !== LF) {
      return this.fail(this.base + take - 2, "CRLF after the bulk string", show(bulk.tail[0]))
    }
    this.value = bulk.text !== undefined ? bulk.text : Buffer.concat(bulk.pieces)
    return take
  }

  private complete(frame: Frame): RespValue {
    const items = frame.items
    switch (frame.kind) {
      case enum_.Array:
        return items
      case enum_.Set:
        return new RespSet(items)
      case enum_.Push:
        return new Push(items)
      default: {
        const entries: Array<readonly [RespValue, RespValue]> = []
        for (let i = 0; i + 1 < items.length; i += 2) entries.push([items[i], items[i + 1]])
        return new RespMap(entries)
      }
    }
  }

  private fail(offset: number, expected: string, found?: string, cause?: unknown): number {
    const message = `invalid RESP at byte ${offset}: expected ${expected}${found === undefined ? "" : `, found ${found}`}`
    this.error =
      cause === undefined
        ? new ProtocolError({ offset, expected, message })
        : new ProtocolError({ offset, expected, message: `${message} (${describe(cause)})`, cause })
    this.parts = []
    this.partsLength = 0
    this.lineWait = false
    this.stack = []
    this.attributes = undefined
    this.bulk = undefined
    return MALFORMED
  }

  /** the index of the CR ending the line that starts at `from`, INCOMPLETE, or MALFORMED */
  private lineEnd(buf: Buffer, from: number, end: number): number {
    let cr = from
    const limit = from + 32 < end ? from + 32 : end
    while (cr < limit && buf[cr] !== CR) cr++
    if (cr === limit) cr = limit === end ? -1 : buf.indexOf(CR, limit)
    if (cr === -1 || cr + 1 >= end) {
      const length = cr === -1 ? end - from : cr - from
      if (length > this.maxLineLength)
        return this.fail(this.base + from, `a line of at most ${this.maxLineLength} bytes`)
      this.need = this.partsLength + (end - from) + 1
      this.lineWait = cr === -1
      return INCOMPLETE
    }
    // the length first: a chunk that ends inside the line can only tell that it is too long
    if (cr - from > this.maxLineLength) {
      return this.fail(this.base + from, `a line of at most ${this.maxLineLength} bytes`)
    }
    if (buf[cr + 1] !== LF) return this.fail(this.base + cr + 1, "LF after CR", show(buf[cr + 1]))
    return cr
  }

  /** parses a signed decimal integer in [from, to); NaN when it is not one */
  private integer(buf: Buffer, from: number, to: number): number {
    let i = from
    let negative = false
    if (i < to && (buf[i] === 45 || buf[i] === 43)) {
      negative = buf[i] === 45
      i++
    }
    if (i === to) return NaN
    if (to - i > 15) {
      const text = buf.toString("latin1", from, to)
      if (!/^[-+]?\d+$/.test(text)) return NaN
      const big = BigInt(text)
      return Number.isSafeInteger(Number(big)) ? Number(big) : NaN
    }
    let n = 0
    for (; i < to; i++) {
      const d = buf[i] - 48
      if (d < 0 || d > 9) return NaN
      n = n * 10 + d
    }
    return negative ? -n : n
  }

  /**
   * Parses one element at `pos`: sets `value` (a scalar) or `aggregate` + `count` (a header), and returns the
   * position after it, INCOMPLETE or MALFORMED.
   */
  private element(buf: Buffer, pos: number, end: number): number {
    this.aggregate = -1
    const type = buf[pos]
    if (!isType[type]) return this.fail(this.base + pos, "a RESP type byte", show(type))
    const start = pos + 1
    const cr = this.lineEnd(buf, start, end)
    if (cr < 0) return cr
    const after = cr + 2
    switch (type) {
      case 43: // + simple string
        this.value = text(buf, start, cr)
        return after
      case 45: // - error
        this.value = new ErrorReply(buf.toString("utf8", start, cr))
        return after
      case 58: {
        // : integer
        const n = this.integer(buf, start, cr)
        if (Number.isNaN(n)) {
          const text = buf.toString("latin1", start, cr)
          if (/^[-+]?\d+$/.test(text)) {
            this.value = BigInt(text)
            return after
          }
          return this.fail(this.base + start, "an integer", JSON.stringify(text))
        }
        this.value = n
        return after
      }
      case 36: // $ bulk string
      case 33: // ! bulk error
      case 61: {
        // = verbatim string
        const length = this.integer(buf, start, cr)
        if (Number.isNaN(length) || length < -1) {
          return this.fail(this.base + start, "a bulk length", JSON.stringify(buf.toString("latin1", start, cr)))
        }
        if (length === -1) {
          if (type !== 36) return this.fail(this.base + start, "a non-negative length")
          this.value = null
          return after
        }
        if (length > this.maxBulkLength) {
          return this.fail(this.base + start, `a bulk length of at most ${this.maxBulkLength}`, String(length))
        }
        const stop = after + length
        if (stop + 2 > end) {
          if (type === 36 && length >= STREAM_BULK) {
            // stream it: collect the pieces as they come instead of joining chunks
            const text = length > this.maxStringLength ? undefined : ""
            this.bulk = { remaining: length + 2, received: 0, text, pieces: [], tail: [] }
            const consumed = this.continueBulk(buf.subarray(after, end) as Buffer)
            if (consumed === MALFORMED) return MALFORMED
            return INCOMPLETE
          }
          this.need = stop + 2 - pos
          return INCOMPLETE
        }
        if (buf[stop] !== CR || buf[stop + 1] !== LF) {
          return this.fail(this.base + stop, "CRLF after the bulk string", show(buf[stop]))
        }
        if (type === 36) {
          this.value = length > this.maxStringLength ? buf.subarray(after, stop) : bulk(buf, after, stop)
        } else if (type === 33) {
          // an error's message must be a string: one too long for a string keeps its beginning
          const cut = length > this.maxStringLength ? after + this.maxStringLength : stop
          this.value = new ErrorReply(buf.toString("utf8", after, cut))
        } else {
          if (length < 4 || buf[after + 3] !== 58) return this.fail(this.base + after, "a verbatim format such as txt:")
          const format = buf.toString("latin1", after, after + 3)
          this.value = new VerbatimString(
            format,
            length - 4 > this.maxStringLength ? buf.subarray(after + 4, stop) : bulk(buf, after + 4, stop)
          )
        }
        return stop + 2
      }
      case 42: // * array
      case 37: // % map
      case 126: // ~ set
      case 62: // > push
      case 124: {
        // | attribute
        const n = this.integer(buf, start, cr)
        if (Number.isNaN(n) || n < -1 || (n === -1 && type !== 42)) {
          return this.fail(this.base + start, "an aggregate length", JSON.stringify(buf.toString("latin1", start, cr)))
        }
        if (n === -1) {
          this.value = null
          return after
        }
        if (n > this.maxAggregateLength) {
          return this.fail(this.base + start, `an aggregate length of at most ${this.maxAggregateLength}`, String(n))
        }
        this.aggregate =
          type === 42
            ? enum_.Array
            : type === 37
              ? enum_.Map
              : type === 126
                ? enum_.Set
                : type === 62
                  ? enum_.Push
                  : enum_.Attribute
        this.count = type === 37 || type === 124 ? n * 2 : n
        return after
      }
      case 95: // _ null
        if (cr !== start) return this.fail(this.base + start, "CRLF after _")
        this.value = null
        return after
      case 35: // # boolean
        if (cr !== start + 1 || (buf[start] !== 116 && buf[start] !== 102)) {
          return this.fail(this.base + start, "t or f", JSON.stringify(buf.toString("latin1", start, cr)))
        }
        this.value = buf[start] === 116
        return after
      case 44: {
        // , double
        const text = buf.toString("latin1", start, cr)
        const lower = text.toLowerCase()
        const n =
          lower === "inf" || lower === "+inf"
            ? Infinity
            : lower === "-inf"
              ? -Infinity
              : lower === "nan" || lower === "-nan"
                ? NaN
                : /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)
                  ? Number(text)
                  : undefined
        if (n === undefined) return this.fail(this.base + start, "a double", JSON.stringify(text))
        this.value = n
        return after
      }
      case 40: {
        // ( big number
        const text = buf.toString("latin1", start, cr)
        if (!/^[-+]?\d+$/.test(text)) return this.fail(this.base + start, "a big number", JSON.stringify(text))
        this.value = BigInt(text)
        return after
      }
      default:
        return this.fail(this.base + pos, "a RESP type byte", show(type))
    }
  }
}

const isType: ReadonlyArray<boolean> = (() => {
  const table: Array<boolean> = new Array(256).fill(false)
  for (const c of "+-:$!=*%~>|_#,(") table[c.charCodeAt(0)] = true
  return table
})()

/** what was thrown, as text (without throwing again) */
const describe = (cause: unknown): string => {
  try {
    return cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)
  } catch {
    return "an unprintable value"
  }
}

const show = (byte: number | undefined): string =>
  byte === undefined
    ? "end of input"
    : byte >= 32 && byte < 127
      ? JSON.stringify(String.fromCharCode(byte))
      : `byte 0x${byte.toString(16)}`

/**
 * Decodes a whole buffer: every complete reply, or the `ProtocolError`. A trailing partial reply is an error too.
 *
 * @example
 * ```ts
 * import { decodeAll } from "@fxredis/protocol"
 * import { Result } from "effect"
 *
 * const replies = decodeAll(new TextEncoder().encode("*2\r\n$1\r\na\r\n:1\r\n"))
 * Result.isSuccess(replies) // true: [["a", 1]]
 * ```
 *
 * @category decoding
 * @since 0.1.0
 */
export const decodeAll = (
  bytes: Uint8Array,
  options?: RespDecoderOptions
): Result.Result<Array<RespValue>, ProtocolError> => {
  const decoder = new RespDecoder(options)
  const replies: Array<RespValue> = []
  const error = decoder.feed(bytes, (value) => {
    replies.push(value)
  })
  if (error !== undefined) return Result.fail(error)
  if (decoder.pending > 0) {
    return Result.fail(
      new ProtocolError({
        offset: bytes.length,
        expected: "the rest of a reply",
        message: `invalid RESP at byte ${bytes.length}: expected the rest of a reply, found end of input`
      })
    )
  }
  return Result.succeed(replies)
}
