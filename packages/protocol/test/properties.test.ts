import { assert, describe, it } from "@effect/vitest"
import {
  bulkText,
  decodeAll,
  ErrorReply,
  encodeValue,
  type ProtocolError,
  Push,
  RespDecoder,
  RespMap,
  RespSet,
  type RespValue,
  VerbatimString
} from "@fxredis/protocol"
import { Result } from "effect"
import * as fc from "fast-check"

const leaf: fc.Arbitrary<RespValue> = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.integer(),
  fc
    .bigInt({ min: -(2n ** 80n), max: 2n ** 80n })
    .filter((n) => n > BigInt(Number.MAX_SAFE_INTEGER) || n < -BigInt(Number.MAX_SAFE_INTEGER)),
  fc.double({ noNaN: true }).filter((d) => !Number.isInteger(d)),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 20 }).map((s) => new ErrorReply(`ERR ${s.replace(/[\r\n]/g, " ")}`)),
  fc.string({ maxLength: 20 }).map((s) => new VerbatimString("txt", s))
)

const value: fc.Arbitrary<RespValue> = fc.letrec<{ v: RespValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.array(tie("v"), { maxLength: 5 }),
    fc.array(fc.tuple(tie("v"), tie("v")), { maxLength: 4 }).map((e) => new RespMap(e)),
    fc.array(tie("v"), { maxLength: 4 }).map((v) => new RespSet(v)),
    fc.array(tie("v"), { maxLength: 4 }).map((v) => new Push(v))
  )
})).v

/** the same value as the decoder gives back (for comparison): bulk strings as text (non-ASCII ones come as bytes) */
const normalise = (v: RespValue): unknown =>
  v instanceof ErrorReply
    ? { error: v.message }
    : v instanceof Uint8Array
      ? bulkText(v)
      : v instanceof VerbatimString
        ? { verbatim: v.format, text: bulkText(v.text) }
        : v instanceof RespMap
          ? { map: v.entries.map(([k, x]) => [normalise(k), normalise(x)]) }
          : v instanceof RespSet
            ? { set: v.values.map(normalise) }
            : v instanceof Push
              ? { push: v.values.map(normalise) }
              : Array.isArray(v)
                ? (v as ReadonlyArray<RespValue>).map(normalise)
                : v

const splits = (length: number) =>
  fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, length - 1) }), { maxLength: 12 })

describe("properties", () => {
  it("encode → decode round-trips any RESP3 value", () => {
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 5 }), (values) => {
        const bytes = Buffer.concat(values.map((v) => encodeValue(v, 3)))
        const decoded = decodeAll(bytes)
        assert.isTrue(Result.isSuccess(decoded))
        if (Result.isSuccess(decoded)) assert.deepStrictEqual(decoded.success.map(normalise), values.map(normalise))
      }),
      { numRuns: 300 }
    )
  })
  it("any chunking of a valid stream gives the same replies", () => {
    fc.assert(
      fc.property(
        fc.array(value, { minLength: 1, maxLength: 5 }).chain((values) => {
          const bytes = Buffer.concat(values.map((v) => encodeValue(v, 3)))
          return fc.tuple(fc.constant(bytes), splits(bytes.length))
        }),
        ([bytes, cuts]) => {
          const whole = decodeAll(bytes)
          const decoder = new RespDecoder()
          const out: Array<RespValue> = []
          const points = [0, ...[...cuts].sort((a, b) => a - b).filter((c) => c < bytes.length), bytes.length]
          for (let i = 0; i + 1 < points.length; i++) {
            assert.isUndefined(decoder.feed(bytes.subarray(points[i], points[i + 1]), (v) => out.push(v)))
          }
          assert.isTrue(Result.isSuccess(whole))
          if (Result.isSuccess(whole)) assert.deepStrictEqual(out.map(normalise), whole.success.map(normalise))
          assert.strictEqual(decoder.pending, 0)
        }
      ),
      { numRuns: 300 }
    )
  })
  it("arbitrary and mutated bytes give replies or a ProtocolError, never another exception", () => {
    const mutated = fc
      .tuple(value, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }))
      .map(([v, edits]) => {
        const bytes = Buffer.from(encodeValue(v, 3))
        for (const [at, byte] of edits) if (bytes.length > 0) bytes[at % bytes.length] = byte
        return bytes
      })
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), mutated), (bytes) => {
        const options = { maxDepth: 16, maxBulkLength: 1024 }
        const decoder = new RespDecoder(options)
        const replies: Array<RespValue> = []
        let error: ProtocolError | undefined
        for (let i = 0; i < bytes.length && error === undefined; i += 7) {
          error = decoder.feed(bytes.subarray(i, i + 7), (v) => replies.push(v))
        }
        const whole = decodeAll(bytes, options)
        if (error !== undefined) {
          // a ProtocolError, at an offset inside the input, the same one whatever the chunking
          assert.strictEqual(error._tag, "ProtocolError")
          assert.isTrue(error.offset >= 0 && error.offset <= bytes.length)
          assert.isUndefined(error.cause, "malformed input, not an unexpected failure")
          assert.isTrue(Result.isFailure(whole))
          if (Result.isFailure(whole))
            assert.deepStrictEqual([whole.failure.offset, whole.failure.expected], [error.offset, error.expected])
        } else if (decoder.pending === 0) {
          // every byte consumed: replies, the same as decoding the input whole
          assert.isTrue(bytes.length === 0 || replies.length > 0)
          assert.isTrue(Result.isSuccess(whole))
          if (Result.isSuccess(whole)) assert.deepStrictEqual(whole.success.map(normalise), replies.map(normalise))
        } else {
          // the rest of a reply is missing: decoding it whole says so
          assert.isTrue(Result.isFailure(whole))
          if (Result.isFailure(whole)) assert.strictEqual(whole.failure.expected, "the rest of a reply")
        }
      }),
      { numRuns: 1000 }
    )
  })
})
