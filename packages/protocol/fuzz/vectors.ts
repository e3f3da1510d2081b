/**
 * The fuzzer's vectors and invariants, shared by `fuzz.ts` (which generates vectors) and
 * `test/fuzzCrashers.test.ts` (which replays the saved ones).
 *
 * A vector is bytes, how to chunk them, decoder options and what kind of input it is:
 * - `valid`: whole frames as `encodeValue` writes them (RESP2 or RESP3). Under any chunking they decode without
 *   error, one reply per frame, and each reply encodes back to its frame's bytes (so it is the encoded value). In
 *   RESP2 no reply holds a RESP3-only value.
 * - `truncated`: a valid stream cut inside a frame. The frames before the cut come out, the rest is pending, never
 *   reported complete; `decodeAll` fails with "the rest of a reply".
 * - `garbage`: random or mutated bytes. Decoding never throws; the result is replies, a pending rest, or a
 *   `ProtocolError` at an offset inside the input, and it is the same whether fed whole or in chunks.
 *
 * Every vector may name an `expectError` (part of the `expected` of the `ProtocolError` it must give).
 */
import {
  Attributed,
  decodeAll,
  ErrorReply,
  encodeValue,
  type ProtocolError,
  Push,
  RespDecoder,
  type RespDecoderOptions,
  RespMap,
  RespSet,
  type RespValue,
  VerbatimString
} from "@fxredis/protocol"
import { Result } from "effect"

export interface Vector {
  readonly kind: "valid" | "truncated" | "garbage"
  /** why it was saved */
  readonly note?: string | undefined
  readonly hex: string
  /** chunk boundaries, ascending, inside (0, length) */
  readonly cuts: ReadonlyArray<number>
  readonly options: RespDecoderOptions
  /** valid: the protocol the frames were encoded with */
  readonly protocol?: 2 | 3 | undefined
  /** valid and truncated: the byte length of each whole frame */
  readonly frames?: ReadonlyArray<number> | undefined
  readonly expectError?: string | undefined
}

// ---------------------------------------------------------------------------------------------------------------
// invariants

interface Fed {
  readonly replies: Array<RespValue>
  readonly error: ProtocolError | undefined
  readonly pending: number
}

const feed = (bytes: Uint8Array, cuts: ReadonlyArray<number>, options: RespDecoderOptions): Fed => {
  const decoder = new RespDecoder(options)
  const replies: Array<RespValue> = []
  let error: ProtocolError | undefined
  let start = 0
  for (const cut of [...cuts, bytes.length]) {
    if (error !== undefined) break
    error = decoder.feed(bytes.subarray(start, cut), (v) => {
      replies.push(v)
    })
    start = cut
  }
  return { replies, error, pending: decoder.pending }
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")

/** a canonical text of a decoded value, to compare two decodings */
export const canon = (v: RespValue): string => {
  if (v === null) return "null"
  if (typeof v === "string") return JSON.stringify(v)
  if (typeof v === "number") return Object.is(v, -0) ? "-0" : String(v)
  if (typeof v === "bigint") return `${v}n`
  if (typeof v === "boolean") return String(v)
  if (v instanceof Uint8Array) return `<${hex(v)}>`
  if (Array.isArray(v)) return `[${(v as ReadonlyArray<RespValue>).map(canon).join(",")}]`
  if (v instanceof ErrorReply) return `!${JSON.stringify(v.message)}`
  if (v instanceof RespMap) return `%{${v.entries.map(([k, x]) => `${canon(k)}:${canon(x)}`).join(",")}}`
  if (v instanceof RespSet) return `~{${v.values.map(canon).join(",")}}`
  if (v instanceof Push) return `>[${v.values.map(canon).join(",")}]`
  if (v instanceof VerbatimString) return `=${v.format}:${canon(v.text)}`
  if (v instanceof Attributed) return `|${canon(v.attributes)}|${canon(v.value)}`
  return `?${String(v)}`
}

/** a value RESP2 can carry (what a RESP2 server can send) */
const isResp2 = (v: RespValue): boolean =>
  v === null ||
  typeof v === "string" ||
  v instanceof Uint8Array ||
  typeof v === "bigint" ||
  (typeof v === "number" && Number.isInteger(v)) ||
  (v instanceof ErrorReply && !/[\r\n]/.test(v.message)) ||
  (Array.isArray(v) && (v as ReadonlyArray<RespValue>).every(isResp2))

const describe = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e))

/** The invariants a vector breaks: empty when it holds them all. Never throws. */
export const check = (vector: Vector): Array<string> => {
  const broken: Array<string> = []
  const bytes = Buffer.from(vector.hex, "hex")
  let fed: Fed
  let whole: Result.Result<Array<RespValue>, ProtocolError>
  try {
    fed = feed(bytes, vector.cuts, vector.options)
    whole = decodeAll(bytes, vector.options)
  } catch (e) {
    return [`the decoder threw ${describe(e)}`]
  }
  const wholeError = Result.isFailure(whole) ? whole.failure : undefined
  for (const error of [fed.error, wholeError]) {
    if (error === undefined) continue
    if (error._tag !== "ProtocolError") broken.push(`an error that is not a ProtocolError: ${describe(error)}`)
    if (!(error.offset >= 0 && error.offset <= bytes.length)) broken.push(`error offset ${error.offset} outside`)
    if (error.cause !== undefined) broken.push(`the decoder failed unexpectedly: ${error.message}`)
  }
  if (vector.expectError !== undefined) {
    if (wholeError === undefined || !wholeError.expected.includes(vector.expectError)) {
      broken.push(`expected an error "${vector.expectError}", got ${wholeError?.message ?? "none"}`)
    }
  }
  switch (vector.kind) {
    case "valid": {
      const frames = vector.frames ?? []
      if (fed.error !== undefined) broken.push(`chunked: ${fed.error.message}`)
      if (wholeError !== undefined) broken.push(`whole: ${wholeError.message}`)
      if (fed.pending !== 0) broken.push(`chunked: ${fed.pending} pending after whole frames`)
      if (fed.replies.length !== frames.length) broken.push(`${fed.replies.length} replies of ${frames.length} frames`)
      let at = 0
      for (let i = 0; i < Math.min(frames.length, fed.replies.length); i++) {
        const frame = bytes.subarray(at, at + frames[i])
        at += frames[i]
        const reply = fed.replies[i]
        let again: Uint8Array
        try {
          again = encodeValue(reply, vector.protocol ?? 3)
        } catch (e) {
          broken.push(`re-encoding reply ${i} threw ${describe(e)}`)
          continue
        }
        if (!Buffer.from(frame).equals(Buffer.from(again))) broken.push(`reply ${i} is not its frame: ${canon(reply)}`)
        if (vector.protocol === 2 && !isResp2(reply)) broken.push(`RESP2 frame ${i} holds a RESP3 value`)
      }
      if (Result.isSuccess(whole) && whole.success.map(canon).join() !== fed.replies.map(canon).join()) {
        broken.push("whole and chunked decodings differ")
      }
      break
    }
    case "truncated": {
      const frames = vector.frames ?? []
      if (fed.error !== undefined) broken.push(`chunked: ${fed.error.message}`)
      if (fed.replies.length !== frames.length) broken.push(`${fed.replies.length} replies of ${frames.length} frames`)
      if (fed.pending <= 0) broken.push("a cut reply is not pending")
      if (wholeError === undefined) broken.push("decodeAll succeeded on a truncated reply")
      else if (wholeError.expected !== "the rest of a reply" || wholeError.offset !== bytes.length) {
        broken.push(`decodeAll: ${wholeError.message}`)
      }
      break
    }
    case "garbage": {
      if (wholeError !== undefined && wholeError.expected !== "the rest of a reply") {
        if (fed.error === undefined) broken.push(`chunked: no error where whole gave ${wholeError.message}`)
        else if (fed.error.offset !== wholeError.offset || fed.error.expected !== wholeError.expected) {
          broken.push(`chunked error "${fed.error.message}" differs from whole "${wholeError.message}"`)
        }
      } else if (fed.error !== undefined) {
        broken.push(`chunked: ${fed.error.message} where whole gave none`)
      } else if (wholeError !== undefined) {
        if (fed.pending <= 0) broken.push("whole: the rest of a reply missing, chunked: nothing pending")
      } else {
        if (fed.pending !== 0) broken.push("whole: complete, chunked: pending")
        if (Result.isSuccess(whole) && whole.success.map(canon).join() !== fed.replies.map(canon).join()) {
          broken.push("whole and chunked decodings differ")
        }
      }
      break
    }
  }
  return broken
}

// ---------------------------------------------------------------------------------------------------------------
// generators

/** a small seeded PRNG (mulberry32): the same seed gives the same vector */
export class Rng {
  private state: number
  constructor(seed: number) {
    this.state = seed >>> 0
  }
  /** [0, 1) */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  /** an integer in [min, max] */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }
  chance(p: number): boolean {
    return this.next() < p
  }
  pick<A>(items: ReadonlyArray<A>): A {
    return items[Math.floor(this.next() * items.length)]
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n)
    for (let i = 0; i < n; i++) out[i] = Math.floor(this.next() * 256)
    return out
  }
}

const UNICODE = ["a", "Z", "0", " ", "é", "✓", "😀", "\r", "\n", "\r\n", "\u0000", "\ud800", "ß", "中", "$", "*", ":"]

const shortText = (rng: Rng, max = 24): string => {
  const n = rng.int(0, max)
  let out = ""
  if (rng.chance(0.6)) {
    for (let i = 0; i < n; i++) out += String.fromCharCode(rng.int(32, 126))
  } else for (let i = 0; i < n; i++) out += rng.pick(UNICODE)
  return out
}

/** a bulk around or above the 16 KiB streaming threshold, with multi-byte characters at its edges */
const largeText = (rng: Rng): string => {
  const target = rng.pick([16 * 1024 - 1, 16 * 1024, 16 * 1024 + 1, rng.int(16 * 1024, 70 * 1024)])
  const filler = rng.pick(["x", "é", "✓", "😀", "ab"])
  const head = rng.chance(0.5) ? "😀" : ""
  const out = head + filler.repeat(Math.ceil((target - Buffer.byteLength(head)) / Buffer.byteLength(filler)))
  return rng.chance(0.5) ? `${out}é` : out
}

interface GenContext {
  readonly rng: Rng
  readonly binary: boolean
  readonly protocol: 2 | 3
  /** bytes still allowed in this vector (roughly) */
  budget: number
}

const leaf = (c: GenContext): RespValue => {
  const { rng } = c
  switch (rng.int(0, 12)) {
    case 0:
      return shortText(rng)
    case 1: {
      if (c.budget < 80 * 1024 || !rng.chance(0.3)) return shortText(rng, 40)
      const text = largeText(rng)
      c.budget -= text.length * 4
      return c.binary && rng.chance(0.5) ? Buffer.from(text, "utf8") : text
    }
    case 2:
      return c.binary ? rng.bytes(rng.int(0, 40)) : shortText(rng)
    case 3:
      return rng.int(-1_000_000, 1_000_000)
    case 4:
      return rng.pick([0, -1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 31, -(2 ** 31)])
    case 5:
      return rng.pick([1n, -1n]) * (2n ** BigInt(rng.int(54, 200)) + BigInt(rng.int(0, 1000)))
    case 6:
      return rng.pick([0.5, -1.25, 1e-7, 1.5e300, -2.5e-300, Infinity, -Infinity, Number.NaN, 2 ** 60, rng.next()])
    case 7:
      return rng.chance(0.5)
    case 8:
      return null
    case 9:
      return new ErrorReply(`${rng.pick(["ERR", "WRONGTYPE", "MOVED", "x"])} ${shortText(rng, 30)}`)
    case 10:
      return new ErrorReply(`ERR line one\r\nline ${rng.int(0, 9)}\n${shortText(rng, 10)}`)
    case 11:
      return new VerbatimString(rng.pick(["txt", "mkd"]), shortText(rng, 30))
    default:
      return ""
  }
}

const value = (c: GenContext, depth: number): RespValue => {
  const { rng } = c
  if (depth <= 0 || c.budget <= 0 || rng.chance(0.45)) return leaf(c)
  c.budget -= 8
  const size = rng.chance(0.03) && c.budget > 20_000 ? rng.int(1000, 1500) : rng.int(0, 5)
  const items = (n: number) => Array.from({ length: n }, () => value(c, size > 100 ? 0 : depth - 1))
  switch (rng.int(0, 5)) {
    case 0:
    case 1:
      return items(size)
    case 2:
      return new RespMap(Array.from({ length: Math.min(size, 200) }, () => [value(c, depth - 1), value(c, depth - 1)]))
    case 3:
      return new RespSet(items(size))
    case 4:
      return new Push(items(size))
    default: {
      // attributes wrap a value that is not itself attributed (two attribute frames in a row are not a reply)
      const inner = value(c, depth - 1)
      if (inner instanceof Attributed) return inner
      return new Attributed(new RespMap([[shortText(rng, 8), value(c, 1)]]), inner)
    }
  }
}

/** one value nested `depth` aggregates deep */
const deep = (c: GenContext, depth: number): RespValue => {
  let v: RespValue = leaf(c)
  for (let i = 0; i < depth; i++) {
    const kind = c.rng.int(0, 3)
    v = kind === 0 ? [v] : kind === 1 ? new RespMap([[c.rng.int(0, 9), v]]) : kind === 2 ? new RespSet([v]) : [1, v]
  }
  return v
}

const chunking = (rng: Rng, length: number): Array<number> => {
  if (length <= 1) return []
  const cuts = new Set<number>()
  switch (rng.int(0, 5)) {
    case 0:
      return []
    case 1: {
      if (length > 4000) break
      for (let i = 1; i < length; i++) cuts.add(i)
      break
    }
    case 2: {
      const size = rng.pick([1, 2, 3, 7, 1000, 4096, 16 * 1024, 65_536, rng.int(1, 20_000)])
      if (length / size > 20_000) break
      for (let i = size; i < length; i += size) cuts.add(i)
      break
    }
    default:
      for (let n = rng.int(1, 16); n > 0; n--) cuts.add(rng.int(1, length - 1))
  }
  return [...cuts].sort((a, b) => a - b)
}

const decoderOptions = (rng: Rng, lenient: boolean): RespDecoderOptions => {
  if (lenient) {
    // what valid frames need: room for the generated depth; a small maxStringLength turns long texts into bytes
    return rng.chance(0.2) ? { maxStringLength: rng.int(64, 30_000) } : {}
  }
  return {
    ...(rng.chance(0.3) ? { maxDepth: rng.int(1, 20) } : {}),
    ...(rng.chance(0.3) ? { maxBulkLength: rng.int(0, 100_000) } : {}),
    ...(rng.chance(0.3) ? { maxAggregateLength: rng.int(0, 2000) } : {}),
    ...(rng.chance(0.3) ? { maxLineLength: rng.int(1, 200) } : {}),
    ...(rng.chance(0.2) ? { maxStringLength: rng.int(1, 30_000) } : {})
  }
}

const frames = (rng: Rng, binary: boolean, protocol: 2 | 3): Array<Uint8Array> => {
  const c: GenContext = { rng, binary, protocol, budget: 300 * 1024 }
  const out: Array<Uint8Array> = []
  for (let n = rng.int(1, 6); n > 0; n--) {
    const v = rng.chance(0.05) ? deep(c, rng.int(20, 100)) : value(c, rng.int(0, 6))
    out.push(encodeValue(v, protocol))
  }
  return out
}

const TOKENS = ["*", "%", "~", ">", "|", "$", "!", "=", "+", "-", ":", ",", "(", "#", "_", "\r\n", "\r", "\n"].concat(
  ["0", "1", "2", "-1", "-2", "3", "16384", "16385", "2147483647", "2147483648", "99999999999999999999", "inf", "t"],
  ["txt:", "nan", "1e5", "OK", "x", "é", "😀"]
)

const mutate = (rng: Rng, bytes: Uint8Array): Uint8Array => {
  const out = Array.from(bytes)
  for (let n = rng.int(1, 4); n > 0 && out.length > 0; n--) {
    const at = rng.int(0, out.length - 1)
    switch (rng.int(0, 4)) {
      case 0:
        out[at] = rng.int(0, 255)
        break
      case 1:
        out.splice(at, rng.int(1, 8))
        break
      case 2:
        out.splice(at, 0, ...Buffer.from(rng.pick(TOKENS)))
        break
      case 3:
        out.splice(at, 0, ...out.slice(at, at + rng.int(1, 50)))
        break
      default:
        out[at] = rng.pick([13, 10, 48, 57, 45, 36, 42])
    }
  }
  return Uint8Array.from(out)
}

/** A random vector: all its randomness comes from `rng`. */
export const generate = (rng: Rng): Vector => {
  const binary = rng.chance(0.3)
  const protocol = rng.chance(0.3) ? 2 : 3
  const kind = rng.pick(["valid", "valid", "truncated", "garbage", "garbage"] as const)
  if (kind === "valid" || kind === "truncated") {
    const parts = frames(rng, binary, protocol)
    const bytes = Buffer.concat(parts)
    const lengths = parts.map((p) => p.length)
    if (kind === "valid") {
      const options = decoderOptions(rng, true)
      return { kind, hex: hex(bytes), cuts: chunking(rng, bytes.length), options, protocol, frames: lengths }
    }
    // cut inside a frame (never on a boundary): the frames wholly before the cut come out
    const ends = new Set<number>()
    let at = 0
    for (const n of lengths) ends.add((at += n))
    let cut = rng.chance(0.5) ? rng.int(1, bytes.length - 1) : bytes.length - rng.int(1, Math.min(3, bytes.length - 1))
    while (ends.has(cut) && cut > 1) cut--
    if (ends.has(cut)) cut = lengths[0] > 1 ? 1 : 0
    if (cut <= 0) return generate(rng)
    const complete: Array<number> = []
    let end = 0
    for (const n of lengths) {
      if (end + n > cut) break
      end += n
      complete.push(n)
    }
    const prefix = bytes.subarray(0, cut)
    const options = decoderOptions(rng, true)
    return { kind, hex: hex(prefix), cuts: chunking(rng, cut), options, frames: complete }
  }
  let bytes: Uint8Array
  switch (rng.int(0, 3)) {
    case 0:
      bytes = rng.bytes(rng.int(0, 300))
      break
    case 1: {
      let text = ""
      for (let n = rng.int(1, 40); n > 0; n--) text += rng.pick(TOKENS)
      bytes = Buffer.from(text, "utf8")
      break
    }
    default:
      bytes = mutate(rng, Buffer.concat(frames(rng, binary, protocol)))
  }
  return { kind, hex: hex(bytes), cuts: chunking(rng, bytes.length), options: decoderOptions(rng, false) }
}

/** what a broken invariant is about, without its particulars (offsets, values): failures alike share it */
export const signature = (broken: string): string =>
  broken
    .replace(/"[^"]*"/g, "…")
    .replace(/\d+/g, "N")
    .slice(0, 80)

/**
 * A smaller vector that still breaks the same invariant (fewer cuts; for garbage, fewer bytes), within `ms`: what
 * the fuzzer saves, so that a crasher reads at a glance.
 */
export const shrink = (vector: Vector, ms = 1000): Vector => {
  const until = Date.now() + ms
  const first = check(vector)
  if (first.length === 0) return vector
  const same = signature(first[0])
  const breaks = (v: Vector) => {
    const broken = check(v)
    return broken.length > 0 && signature(broken[0]) === same
  }
  let best = vector
  for (let i = best.cuts.length - 1; i >= 0 && Date.now() < until; i--) {
    const fewer = { ...best, cuts: best.cuts.filter((_, j) => j !== i) }
    if (breaks(fewer)) best = fewer
  }
  if (best.kind !== "garbage") return best
  let bytes = Buffer.from(best.hex, "hex")
  for (let size = bytes.length >> 1; size >= 1 && Date.now() < until; size >>= 1) {
    for (let at = 0; at + size <= bytes.length && Date.now() < until; ) {
      const smaller = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + size)])
      const candidate = { ...best, hex: hex(smaller), cuts: best.cuts.filter((c) => c > 0 && c < smaller.length) }
      if (breaks(candidate)) {
        best = candidate
        bytes = smaller
      } else at += size
    }
  }
  return best
}
