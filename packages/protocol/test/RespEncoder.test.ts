import { assert, describe, it } from "@effect/vitest"
import {
  CommandBuffer,
  decodeAll,
  ErrorReply,
  encodeCommand,
  encodeCommands,
  encodeValue,
  errorCode
} from "@fxredis/protocol"
import { Result } from "effect"

const text = (b: string | Uint8Array) => (typeof b === "string" ? b : Buffer.from(b).toString("latin1"))

describe("RespEncoder", () => {
  it("encodes a command with UTF-8 byte lengths, numbers and binary arguments", () => {
    assert.strictEqual(text(encodeCommand(["SET", "k", "v"])), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n")
    assert.strictEqual(text(encodeCommand(["INCRBY", "k", 42])), "*3\r\n$6\r\nINCRBY\r\n$1\r\nk\r\n$2\r\n42\r\n")
    assert.strictEqual(Buffer.from(encodeCommand(["SET", "é"])).toString("utf8"), "*2\r\n$3\r\nSET\r\n$2\r\né\r\n")
    const bin = encodeCommand(["SET", "k", new Uint8Array([0, 13, 10, 255])])
    assert.deepStrictEqual([...bin.subarray(bin.length - 6)], [0, 13, 10, 255, 13, 10])
    assert.strictEqual(text(encodeCommand(["GET", ""])), "*2\r\n$3\r\nGET\r\n$0\r\n\r\n")
  })
  it("encodes many commands into one buffer; CommandBuffer gives the same bytes", () => {
    const commands = [["PING"], ["SET", "a", new Uint8Array([1, 2])], ["GET", "a"]]
    const one = Buffer.from(encodeCommands(commands))
    const buffer = new CommandBuffer()
    assert.isTrue(buffer.isEmpty)
    for (const c of commands) buffer.push(c)
    assert.isFalse(buffer.isEmpty)
    const taken = buffer.take()
    assert.isTrue(buffer.isEmpty)
    assert.deepStrictEqual(Buffer.from(taken as Uint8Array), one)
    assert.strictEqual(text(encodeCommands([["PING"], ["PING"]])), "*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n")
    buffer.push(["PING"])
    assert.strictEqual(buffer.take(), "*1\r\n$4\r\nPING\r\n")
  })
  it("a command decodes back to its arguments (as a server would read it)", () => {
    const decoded = decodeAll(encodeCommand(["HSET", "h", "f", "v"]))
    assert.isTrue(Result.isSuccess(decoded))
    if (Result.isSuccess(decoded)) assert.deepStrictEqual(decoded.success, [["HSET", "h", "f", "v"]])
  })
  it("an error with CR or LF is a bulk error in RESP3 and a simple error with spaces in RESP2 (no RESP3 frame)", () => {
    const error = new ErrorReply("ERR one\r\ntwo\nthree\rfour")
    assert.strictEqual(text(encodeValue(error, 2)), "-ERR one  two three four\r\n")
    assert.strictEqual(text(encodeValue([error], 2)), "*1\r\n-ERR one  two three four\r\n")
    assert.strictEqual(text(encodeValue(error, 3)), "!23\r\nERR one\r\ntwo\nthree\rfour\r\n")
    assert.strictEqual(text(encodeValue(new ErrorReply("ERR plain"), 2)), "-ERR plain\r\n")
  })
  it("classifies error codes", () => {
    assert.strictEqual(errorCode("ERR unknown command"), "ERR")
    assert.strictEqual(errorCode("NOSCRIPT No matching script"), "NOSCRIPT")
    assert.strictEqual(errorCode("MOVED 3999 127.0.0.1:6381"), "MOVED")
    assert.strictEqual(errorCode("WRONGPASS invalid username-password pair"), "WRONGPASS")
    assert.strictEqual(errorCode("oops"), "ERR")
    assert.strictEqual(errorCode("BUSYKEY"), "BUSYKEY")
  })
})
