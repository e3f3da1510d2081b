import { assert, describe, it } from "@effect/vitest"
import {
  Attributed,
  bulkBytes,
  bulkText,
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
const ok = (s: string): Array<RespValue> => {
  const r = decodeAll(bytes(s))
  if (Result.isFailure(r)) throw new Error(r.failure.message)
  return r.success
}
const ok2 = (s: string, options: ConstructorParameters<typeof RespDecoder>[0]): Array<RespValue> => {
  const r = decodeAll(bytes(s), options)
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
  it("bulk strings: ASCII as its string, anything else as its bytes; empty, null", () => {
    assert.deepStrictEqual(ok("$5\r\nhello\r\n$0\r\n\r\n$-1\r\n"), ["hello", "", null])
    assert.deepStrictEqual(ok("$4\r\na\r\nb\r\n"), ["a\r\nb"])
    // ASCII control bytes are ASCII: the string is the bytes
    const [control] = ok("$3\r\n\x00\x01\x02\r\n") as [string]
    assert.strictEqual(control, "\x00\x01\x02")
    assert.deepStrictEqual([...bulkBytes(control)], [0, 1, 2])
    // UTF-8 text and bytes over 0x7f, short and long, come as bytes; bulkText reads them as text
    for (const text of ["héllo ✓", `${"a".repeat(40)}é`, "😀"]) {
      const [b] = ok(`$${Buffer.byteLength(text)}\r\n${text}\r\n`) as [Uint8Array]
      assert.instanceOf(b, Uint8Array)
      assert.strictEqual(bulkText(b), text)
    }
    const raw = Buffer.from([36, 51, 13, 10, 0xff, 0x80, 0x41, 13, 10])
    const [b] = Result.getOrThrow(decodeAll(raw)) as [Uint8Array]
    assert.deepStrictEqual([...b], [0xff, 0x80, 0x41])
    // a long bulk whose bytes are invalid UTF-8 (decoded natively, U+FFFD one for one) is still bytes
    const invalid = Buffer.concat([Buffer.from("$20\r\n"), Buffer.alloc(20, 0x80), Buffer.from("\r\n")])
    assert.deepStrictEqual([...(Result.getOrThrow(decodeAll(invalid))[0] as Uint8Array)], Array(20).fill(0x80))
    // and a long ASCII bulk is its string
    assert.deepStrictEqual(ok(`$40\r\n${"b".repeat(40)}\r\n`), ["b".repeat(40)])
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
  it("a large UTF-8 bulk split inside multi-byte characters comes whole as its bytes, at any chunking", () => {
    const payload = "é✓😀a".repeat(10_000)
    const stream = bytes(`$${Buffer.byteLength(payload)}\r\n${payload}\r\n:1\r\n`)
    for (const size of [1, 2, 3, 5, 777, 4096, 65536]) {
      const decoder = new RespDecoder()
      const out: Array<RespValue> = []
      for (let i = 0; i < stream.length; i += size) {
        assert.isUndefined(decoder.feed(stream.subarray(i, i + size), (v) => out.push(v)))
      }
      assert.instanceOf(out[0], Uint8Array)
      assert.strictEqual(bulkText(out[0] as Uint8Array), payload)
      assert.strictEqual(out[1], 1)
    }
  })
  it("a large bulk that is ASCII until its last piece comes as bytes; one ASCII throughout as its string", () => {
    const payload = `${"x".repeat(40_000)}é`
    const stream = bytes(`$${Buffer.byteLength(payload)}\r\n${payload}\r\n$40000\r\n${"y".repeat(40_000)}\r\n`)
    for (const size of [1000, 16_384, stream.length]) {
      const decoder = new RespDecoder()
      const out: Array<RespValue> = []
      for (let i = 0; i < stream.length; i += size) decoder.feed(stream.subarray(i, i + size), (v) => out.push(v))
      assert.instanceOf(out[0], Uint8Array)
      assert.strictEqual(bulkText(out[0] as Uint8Array), payload)
      assert.strictEqual(out[1], "y".repeat(40_000))
    }
  })
  it("a large bulk without its CRLF is an error", () => {
    const decoder = new RespDecoder()
    const body = "y".repeat(20_000)
    decoder.feed(bytes(`$20000\r\n${body.slice(0, 100)}`), () => {})
    const error = decoder.feed(bytes(`${body.slice(100)}XY`), () => {})
    assert.strictEqual(error?.expected, "CRLF after the bulk string")
  })
  it("has no modes: the same bytes decode the same, whatever came before", () => {
    const decoder = new RespDecoder()
    const out: Array<RespValue> = []
    decoder.feed(bytes("$1\r\na\r\n$2\r\né\r\n$1\r\na\r\n"), (v) => out.push(v))
    assert.strictEqual(out[0], "a")
    assert.instanceOf(out[1], Uint8Array)
    assert.strictEqual(out[2], "a")
    assert.notProperty(decoder, "binary")
  })
})

describe("RespDecoder: text too long for a JavaScript string", () => {
  it("a text bulk longer than maxStringLength comes as bytes, and the stream stays aligned", () => {
    const options = { maxStringLength: 10 }
    const [fits, long, next] = ok2("$10\r\n0123456789\r\n$11\r\nhello world\r\n+next\r\n", options)
    assert.strictEqual(fits, "0123456789")
    assert.instanceOf(long, Uint8Array)
    assert.strictEqual(Buffer.from(long as Uint8Array).toString("utf8"), "hello world")
    assert.strictEqual(next, "next")
    // verbatim text likewise; a bulk error keeps the beginning of its message (it must be a string)
    const [v, e] = ok2("=15\r\ntxt:hello world\r\n!15\r\nERR hello world\r\n", options) as [VerbatimString, ErrorReply]
    assert.instanceOf(v.text, Uint8Array)
    assert.strictEqual(String(v), "hello world")
    assert.strictEqual(e.message, "ERR hello ")
  })
  it("a streamed text bulk (>= 16 KiB) longer than maxStringLength comes as bytes, at any chunking", () => {
    const payload = "é✓😀a".repeat(5_000)
    const stream = bytes(`*2\r\n$${Buffer.byteLength(payload)}\r\n${payload}\r\n:7\r\n+after\r\n`)
    for (const size of [1, 3, 4096, stream.length]) {
      const decoder = new RespDecoder({ maxStringLength: 20_000 })
      const out: Array<RespValue> = []
      for (let i = 0; i < stream.length; i += size) {
        assert.isUndefined(decoder.feed(stream.subarray(i, i + size), (v) => out.push(v)))
      }
      const [[big, seven], after] = out as [[Uint8Array, number], string]
      assert.instanceOf(big, Uint8Array)
      assert.strictEqual(Buffer.from(big).toString("utf8"), payload)
      assert.strictEqual(seven, 7)
      assert.strictEqual(after, "after")
      assert.strictEqual(decoder.pending, 0)
    }
  })
  it("a line must fit in a string: maxLineLength is at most maxStringLength", () => {
    const e = bad(`+${"a".repeat(20)}\r\n`, { maxStringLength: 10, maxLineLength: 100 })
    assert.strictEqual(e.expected, "a line of at most 10 bytes")
  })
  it("a throwing callback poisons the decoder with a ProtocolError instead of throwing", () => {
    const decoder = new RespDecoder()
    const boom = new Error("boom")
    const e = decoder.feed(bytes("+a\r\n+b\r\n"), () => {
      throw boom
    })
    assert.strictEqual(e?._tag, "ProtocolError")
    assert.strictEqual(e?.cause, boom)
    assert.include(e?.message, "boom")
    assert.strictEqual(
      decoder.feed(bytes("+c\r\n"), () => {}),
      e
    )
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
  it("an aggregate length over the limit (2^31 - 1 by default), for every aggregate type", () => {
    for (const type of ["*", "%", "~", ">", "|"]) {
      const e = bad(`+OK\r\n${type}2147483648\r\n`)
      assert.strictEqual(e.offset, 6)
      assert.strictEqual(e.expected, "an aggregate length of at most 2147483647")
      assert.include(e.message, "found 2147483648")
      const small = bad(`${type}11\r\n`, { maxAggregateLength: 10 })
      assert.strictEqual(small.expected, "an aggregate length of at most 10")
      assert.strictEqual(small.offset, 1)
    }
    // at the limit it is accepted (and waits for its elements)
    assert.deepStrictEqual(ok("*3\r\n:1\r\n:2\r\n:3\r\n"), [[1, 2, 3]])
    const decoder = new RespDecoder({ maxAggregateLength: 10 })
    assert.isUndefined(decoder.feed(bytes("%10\r\n"), () => {}))
  })
  it("a line longer than the limit", () => {
    const e = bad(`+${"a".repeat(100)}`, { maxLineLength: 50 })
    assert.include(e.expected, "a line of at most")
    // a whole line too: the limit holds whether or not the line arrived complete
    const whole = bad(`+OK\r\n-${"a".repeat(51)}\r\n`, { maxLineLength: 50 })
    assert.strictEqual(whole.expected, "a line of at most 50 bytes")
    assert.strictEqual(whole.offset, 6)
    assert.deepStrictEqual(ok2(`+${"a".repeat(50)}\r\n`, { maxLineLength: 50 }), ["a".repeat(50)])
  })
  it("a line arriving a byte at a time is not re-scanned from its start each time (linear, not quadratic)", () => {
    // 256 KiB in 1-byte chunks takes well under a second; re-joining the held bytes per chunk (quadratic) would
    // copy ~3 * 10^10 bytes. The loop stops at a budget of 10 s, so that a regression fails instead of hanging.
    const line = Buffer.from(`+${"a".repeat(256 * 1024)}\r\n:1\r\n`)
    const decoder = new RespDecoder()
    const out: Array<RespValue> = []
    const push = (v: RespValue) => {
      out.push(v)
    }
    const budget = performance.now() + 10_000
    let error: ProtocolError | undefined
    let i = 0
    for (; i < line.length && error === undefined; i++) {
      error = decoder.feed(line.subarray(i, i + 1), push)
      if ((i & 4095) === 0 && performance.now() > budget) break
    }
    assert.isUndefined(error)
    assert.strictEqual(i, line.length, "fed every byte within the budget")
    assert.deepStrictEqual([(out[0] as string).length, out[1]], [256 * 1024, 1])
    // and the limit still holds, at the offset a whole feed reports
    const over = new RespDecoder({ maxLineLength: 100 })
    const long = Buffer.from(`+OK\r\n-${"b".repeat(200)}`)
    error = undefined
    for (let i = 0; i < long.length && error === undefined; i++) error = over.feed(long.subarray(i, i + 1), () => {})
    assert.strictEqual(error?.expected, "a line of at most 100 bytes")
    assert.strictEqual(error?.offset, 6)
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
  it("a truncated large bulk (streamed, >= 16 KiB) is never a success, at any cut", () => {
    const body = "z".repeat(20_000)
    const whole = `*2\r\n:1\r\n$20000\r\n${body}\r\n`
    for (const cut of [13, 14, 100, 16_384, 20_013, 20_014]) {
      const e = bad(whole.slice(0, cut))
      assert.strictEqual(e.expected, "the rest of a reply")
      assert.strictEqual(e.offset, cut)
      const top = bad(`$20000\r\n${body.slice(0, cut)}`)
      assert.strictEqual(top.expected, "the rest of a reply")
    }
    const decoder = new RespDecoder()
    decoder.feed(bytes(`$20000\r\n${body.slice(0, 10)}`), () => {})
    assert.isTrue(decoder.pending > 0)
    decoder.feed(bytes(`${body.slice(10)}\r`), () => {})
    assert.isTrue(decoder.pending > 0)
    const out: Array<RespValue> = []
    decoder.feed(bytes("\n"), (v) => out.push(v))
    assert.deepStrictEqual(out, [body])
    assert.strictEqual(decoder.pending, 0)
  })
})
