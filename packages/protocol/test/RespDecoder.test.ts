import { assert, describe, it } from "@effect/vitest"
import {
  Attributed,
  decodeAll,
  ErrorReply,
  type ProtocolError,
  Push,
  RespDecoder,
  RespMap,
  RespSet,
  type RespValue,
  VerbatimString
} from "@fxredis/protocol"
import { Result } from "effect"

const bytes = (s: string) => Buffer.from(s, "utf8")
const ok = (s: string, binary = false): Array<RespValue> => {
  const r = decodeAll(bytes(s), { binary })
  if (Result.isFailure(r)) throw new Error(r.failure.message)
  return r.success
}
const bad = (s: string, options?: ConstructorParameters<typeof RespDecoder>[0]): ProtocolError => {
  const r = decodeAll(bytes(s), options)
  if (Result.isSuccess(r)) throw new Error(`decoded ${JSON.stringify(r.success)}`)
  return r.failure
}

describe("RespDecoder: every type", () => {
  it("simple string, error, integer", () => {
    assert.deepStrictEqual(ok("+OK\r\n"), ["OK"])
    const [e] = ok("-WRONGTYPE Operation against a key\r\n") as [ErrorReply]
    assert.instanceOf(e, ErrorReply)
    assert.strictEqual(e.code, "WRONGTYPE")
    assert.strictEqual(e.message, "WRONGTYPE Operation against a key")
    assert.strictEqual((ok("-some lower case error\r\n")[0] as ErrorReply).code, "ERR")
    assert.deepStrictEqual(ok(":0\r\n:-12\r\n:+7\r\n"), [0, -12, 7])
    assert.deepStrictEqual(ok(":9007199254740993\r\n"), [9007199254740993n])
    assert.deepStrictEqual(ok(":-9223372036854775808\r\n"), [-9223372036854775808n])
  })
  it("bulk strings: text, empty, null, binary, unicode", () => {
    assert.deepStrictEqual(ok("$5\r\nhello\r\n$0\r\n\r\n$-1\r\n"), ["hello", "", null])
    assert.deepStrictEqual(ok("$4\r\na\r\nb\r\n"), ["a\r\nb"])
    assert.deepStrictEqual(ok(`$${Buffer.byteLength("héllo ✓")}\r\nhéllo ✓\r\n`), ["héllo ✓"])
    const [b] = ok("$3\r\n\x00\x01\x02\r\n", true) as [Uint8Array]
    assert.instanceOf(b, Uint8Array)
    assert.deepStrictEqual([...b], [0, 1, 2])
  })
  it("arrays: empty, null, nested, with nulls and errors", () => {
    assert.deepStrictEqual(ok("*0\r\n*-1\r\n"), [[], null])
    assert.deepStrictEqual(ok("*3\r\n:1\r\n*2\r\n+a\r\n$-1\r\n-ERR x\r\n"), [[1, ["a", null], new ErrorReply("ERR x")]])
  })
  it("RESP3: null, boolean, double, big number, bulk error, verbatim", () => {
    assert.deepStrictEqual(ok("_\r\n#t\r\n#f\r\n"), [null, true, false])
    assert.deepStrictEqual(ok(",1.5\r\n,-2\r\n,inf\r\n,-inf\r\n,1e3\r\n"), [1.5, -2, Infinity, -Infinity, 1000])
    assert.isTrue(Number.isNaN(ok(",nan\r\n")[0] as number))
    assert.deepStrictEqual(ok("(3492890328409238509324850943850943825024385\r\n"), [
      3492890328409238509324850943850943825024385n
    ])
    const [e] = ok("!21\r\nSYNTAX invalid syntax\r\n") as [ErrorReply]
    assert.strictEqual(e.code, "SYNTAX")
    const [v] = ok("=15\r\ntxt:Some string\r\n") as [VerbatimString]
    assert.instanceOf(v, VerbatimString)
    assert.strictEqual(v.format, "txt")
    assert.strictEqual(v.text, "Some string")
  })
  it("RESP3: map, set, push, attribute", () => {
    const [m] = ok("%2\r\n+first\r\n:1\r\n+second\r\n*1\r\n:2\r\n") as [RespMap]
    assert.instanceOf(m, RespMap)
    assert.deepStrictEqual(m.entries, [
      ["first", 1],
      ["second", [2]]
    ])
    const [s] = ok("~3\r\n+a\r\n+b\r\n:1\r\n") as [RespSet]
    assert.deepStrictEqual(s.values, ["a", "b", 1])
    const [p] = ok(">3\r\n+message\r\n+chan\r\n$2\r\nhi\r\n") as [Push]
    assert.instanceOf(p, Push)
    assert.deepStrictEqual(p.values, ["message", "chan", "hi"])
    const [a] = ok("|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n*2\r\n:2039123\r\n:9543892\r\n") as [Attributed]
    assert.instanceOf(a, Attributed)
    assert.deepStrictEqual(a.value, [2039123, 9543892])
    assert.strictEqual(a.attributes.entries[0][0], "key-popularity")
    // an attribute inside an aggregate wraps the element that follows it
    const [nested] = ok("*2\r\n:1\r\n|1\r\n+ttl\r\n:3\r\n:2\r\n") as [Array<RespValue>]
    assert.strictEqual(nested[0], 1)
    assert.instanceOf(nested[1], Attributed)
    assert.strictEqual((nested[1] as Attributed).value, 2)
    assert.deepStrictEqual(ok("%0\r\n~0\r\n"), [new RespMap([]), new RespSet([])])
  })
  it("replies split at every byte come out once, in order", () => {
    const stream = bytes("+OK\r\n*2\r\n$3\r\nfoo\r\n:42\r\n%1\r\n+k\r\n~1\r\n,2.5\r\n$-1\r\n")
    const decoder = new RespDecoder()
    const out: Array<RespValue> = []
    for (let i = 0; i < stream.length; i++) {
      assert.isUndefined(decoder.feed(stream.subarray(i, i + 1), (v) => out.push(v)))
    }
    assert.deepStrictEqual(out, ["OK", ["foo", 42], new RespMap([["k", new RespSet([2.5])]]), null])
    assert.strictEqual(decoder.pending, 0)
  })
  it("a large bulk string over many chunks is joined once", () => {
    const payload = "x".repeat(300_000)
    const stream = bytes(`$${payload.length}\r\n${payload}\r\n+next\r\n`)
    const decoder = new RespDecoder()
    const out: Array<RespValue> = []
    for (let i = 0; i < stream.length; i += 1000) decoder.feed(stream.subarray(i, i + 1000), (v) => out.push(v))
    assert.deepStrictEqual(out, [payload, "next"])
  })
  it("a large UTF-8 bulk split inside multi-byte characters decodes whole, in text and binary mode", () => {
    const payload = "é✓😀a".repeat(10_000)
    const stream = bytes(`$${Buffer.byteLength(payload)}\r\n${payload}\r\n:1\r\n`)
    for (const size of [1, 2, 3, 5, 4096, 65536]) {
      const decoder = new RespDecoder()
      const out: Array<RespValue> = []
      for (let i = 0; i < stream.length; i += size) {
        assert.isUndefined(decoder.feed(stream.subarray(i, i + size), (v) => out.push(v)))
      }
      assert.strictEqual(out[0], payload)
      assert.strictEqual(out[1], 1)
    }
    const decoder = new RespDecoder({ binary: true })
    const out: Array<RespValue> = []
    for (let i = 0; i < stream.length; i += 777) decoder.feed(stream.subarray(i, i + 777), (v) => out.push(v))
    assert.strictEqual(Buffer.from(out[0] as Uint8Array).toString("utf8"), payload)
  })
  it("a large bulk without its CRLF is an error", () => {
    const decoder = new RespDecoder()
    const body = "y".repeat(20_000)
    decoder.feed(bytes(`$20000\r\n${body.slice(0, 100)}`), () => {})
    const error = decoder.feed(bytes(`${body.slice(100)}XY`), () => {})
    assert.strictEqual(error?.expected, "CRLF after the bulk string")
  })
  it("binary mode can be switched between replies", () => {
    const decoder = new RespDecoder()
    const out: Array<RespValue> = []
    decoder.feed(bytes("$1\r\na\r\n"), (v) => out.push(v))
    decoder.binary = true
    decoder.feed(bytes("$1\r\nb\r\n"), (v) => out.push(v))
    assert.strictEqual(out[0], "a")
    assert.instanceOf(out[1], Uint8Array)
  })
})

describe("RespDecoder: malformed input is a ProtocolError", () => {
  it("unknown type byte, with its offset", () => {
    const e = bad("+OK\r\n?what\r\n")
    assert.strictEqual(e._tag, "ProtocolError")
    assert.strictEqual(e.offset, 5)
    assert.strictEqual(e.expected, "a RESP type byte")
  })
  it("bad lengths", () => {
    assert.strictEqual(bad("$abc\r\n").expected, "a bulk length")
    assert.strictEqual(bad("$-2\r\n").expected, "a bulk length")
    assert.strictEqual(bad("*x\r\n").expected, "an aggregate length")
    assert.strictEqual(bad("%-1\r\n").expected, "an aggregate length")
    assert.strictEqual(bad("!-1\r\n").expected, "a non-negative length")
  })
  it("missing CRLF", () => {
    assert.strictEqual(bad("+OK\rX").expected, "LF after CR")
    assert.strictEqual(bad("$3\r\nfooXY").expected, "CRLF after the bulk string")
  })
  it("non-numeric integer, bad double, bad boolean, bad big number", () => {
    assert.strictEqual(bad(":12a\r\n").expected, "an integer")
    assert.strictEqual(bad(":\r\n").expected, "an integer")
    assert.strictEqual(bad(",1.2.3\r\n").expected, "a double")
    assert.strictEqual(bad("#x\r\n").expected, "t or f")
    assert.strictEqual(bad("(12x\r\n").expected, "a big number")
  })
  it("nesting deeper than the limit", () => {
    const e = bad(`${"*1\r\n".repeat(10)}:1\r\n`, { maxDepth: 5 })
    assert.include(e.expected, "nesting")
  })
  it("a bulk length over the limit, without allocating it", () => {
    const e = bad("$99999999999\r\n")
    assert.include(e.expected, "bulk length of at most")
    const small = bad("$11\r\n", { maxBulkLength: 10 })
    assert.include(small.expected, "at most 10")
    // a huge declared aggregate allocates nothing up front: it just waits for elements
    const decoder = new RespDecoder()
    assert.isUndefined(decoder.feed(bytes("*2147483647\r\n:1\r\n"), () => {}))
  })
  it("a line longer than the limit", () => {
    const e = bad(`+${"a".repeat(100)}`, { maxLineLength: 50 })
    assert.include(e.expected, "a line of at most")
  })
  it("after an error the decoder refuses input until reset", () => {
    const decoder = new RespDecoder()
    const first = decoder.feed(bytes("?"), () => {})
    assert.isDefined(first)
    assert.strictEqual(
      decoder.feed(bytes("+OK\r\n"), () => assert.fail("must not decode")),
      first
    )
    decoder.reset()
    const out: Array<RespValue> = []
    assert.isUndefined(decoder.feed(bytes("+OK\r\n"), (v) => out.push(v)))
    assert.deepStrictEqual(out, ["OK"])
  })
  it("a truncated stream is an error for decodeAll", () => {
    assert.strictEqual(bad("*2\r\n:1\r\n").expected, "the rest of a reply")
  })
})
