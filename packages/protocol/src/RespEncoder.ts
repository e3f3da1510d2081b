/**
 * Encodes commands (and, for tests and fake servers, any reply) as RESP bytes.
 *
 * - A command is `ReadonlyArray<string | number | Uint8Array>`; lengths are UTF-8 byte lengths; binary arguments
 *   are written as they are; numbers as their decimal text.
 * - `CommandBuffer` is the write path of a connection: commands appended during a tick come out as one chunk. While
 *   every argument is text it builds one string (Node encodes it to UTF-8 once, inside `socket.write`); a binary
 *   argument switches that command to Buffer pieces.
 * - It builds Node `Buffer`s (also provided by Bun and Deno); the `Uint8Array`s it returns are `Buffer`s.
 *
 * @since 0.1.0
 */
import { Attributed, ErrorReply, Push, RespMap, RespSet, type RespValue, VerbatimString } from "./RespValue.ts"

/**
 * An argument of a command.
 *
 * @example
 * ```ts
 * import { type CommandArg, encodeCommand } from "@fxredis/protocol"
 *
 * const args: ReadonlyArray<CommandArg> = ["SET", "blob", new Uint8Array([0, 255]), "PX", 1000]
 * const bytes = encodeCommand(args)
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export type CommandArg = string | number | Uint8Array

const toBuffer = (bytes: Uint8Array): Buffer =>
  Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)

/** a text argument as a bulk string */
const bulkText = (arg: string | number): string => {
  const text = typeof arg === "string" ? arg : String(arg)
  return `$${typeof arg === "string" ? Buffer.byteLength(text, "utf8") : text.length}\r\n${text}\r\n`
}

/** the command as a string, or undefined when an argument is binary */
const commandText = (args: ReadonlyArray<CommandArg>): string | undefined => {
  let out = `*${args.length}\r\n`
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]
    if (typeof arg !== "string" && typeof arg !== "number") return undefined
    out += bulkText(arg)
  }
  return out
}

/** the command as Buffer pieces (any arguments) */
const commandPieces = (args: ReadonlyArray<CommandArg>, pieces: Array<Buffer>): void => {
  let text = `*${args.length}\r\n`
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]
    if (typeof arg === "string" || typeof arg === "number") text += bulkText(arg)
    else {
      pieces.push(Buffer.from(`${text}$${arg.byteLength}\r\n`, "utf8"), toBuffer(arg))
      text = "\r\n"
    }
  }
  pieces.push(Buffer.from(text, "utf8"))
}

/**
 * One command as RESP bytes.
 *
 * @example
 * ```ts
 * import { encodeCommand } from "@fxredis/protocol"
 *
 * encodeCommand(["SET", "key", "välue"]) // *3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$6\r\nvälue\r\n
 * ```
 *
 * @category encoding
 * @since 0.1.0
 */
export const encodeCommand = (args: ReadonlyArray<CommandArg>): Uint8Array => {
  const text = commandText(args)
  if (text !== undefined) return Buffer.from(text, "utf8")
  const pieces: Array<Buffer> = []
  commandPieces(args, pieces)
  return Buffer.concat(pieces)
}

/**
 * Many commands into one buffer, in one pass (what pipelining writes).
 *
 * @example
 * ```ts
 * import { encodeCommands } from "@fxredis/protocol"
 *
 * const pipeline = encodeCommands([["MULTI"], ["INCR", "n"], ["EXEC"]]) // one buffer
 * ```
 *
 * @category encoding
 * @since 0.1.0
 */
export const encodeCommands = (commands: ReadonlyArray<ReadonlyArray<CommandArg>>): Uint8Array => {
  const buffer = new CommandBuffer()
  for (let i = 0; i < commands.length; i++) buffer.push(commands[i])
  const out = buffer.take()
  return typeof out === "string" ? Buffer.from(out, "utf8") : out
}

/**
 * Accumulates commands during a tick; `take` returns them as one chunk for `socket.write`.
 *
 * @example
 * ```ts
 * import { CommandBuffer } from "@fxredis/protocol"
 *
 * const buffer = new CommandBuffer()
 * buffer.push(["GET", "a"])
 * buffer.push(["GET", "b"])
 * const chunk = buffer.take() // both commands, ready for one socket.write
 * ```
 *
 * @category encoding
 * @since 0.1.0
 */
export class CommandBuffer {
  private text = ""
  private pieces: Array<Buffer> = []

  get isEmpty(): boolean {
    return this.text.length === 0 && this.pieces.length === 0
  }

  push(args: ReadonlyArray<CommandArg>): void {
    const text = commandText(args)
    if (text !== undefined) {
      this.text += text
      return
    }
    if (this.text.length > 0) {
      this.pieces.push(Buffer.from(this.text, "utf8"))
      this.text = ""
    }
    commandPieces(args, this.pieces)
  }

  /** everything pushed since the last take, as one string or Buffer; empties the buffer */
  take(): string | Uint8Array {
    if (this.pieces.length === 0) {
      const text = this.text
      this.text = ""
      return text
    }
    if (this.text.length > 0) this.pieces.push(Buffer.from(this.text, "utf8"))
    const out = Buffer.concat(this.pieces)
    this.pieces = []
    this.text = ""
    return out
  }
}

const bulk = (bytes: Buffer, prefix = "$"): Array<Buffer> => [
  Buffer.from(`${prefix}${bytes.length}\r\n`, "latin1"),
  bytes,
  Buffer.from("\r\n", "latin1")
]

const encodeInto = (value: RespValue, protocol: 2 | 3, out: Array<Buffer>): void => {
  const line = (text: string): void => {
    out.push(Buffer.from(text, "utf8"))
  }
  if (value === null) return line(protocol === 3 ? "_\r\n" : "$-1\r\n")
  if (typeof value === "string") return void out.push(...bulk(Buffer.from(value, "utf8")))
  if (value instanceof Uint8Array) return void out.push(...bulk(toBuffer(value)))
  if (typeof value === "number") {
    if (Number.isSafeInteger(value) && !Object.is(value, -0)) return line(`:${value}\r\n`)
    if (protocol === 2) return void out.push(...bulk(Buffer.from(String(value), "latin1")))
    const text = Number.isNaN(value) ? "nan" : value === Infinity ? "inf" : value === -Infinity ? "-inf" : String(value)
    return line(`,${text}\r\n`)
  }
  if (typeof value === "bigint") return line(protocol === 3 ? `(${value}\r\n` : `:${value}\r\n`)
  if (typeof value === "boolean") return line(protocol === 3 ? `#${value ? "t" : "f"}\r\n` : `:${value ? 1 : 0}\r\n`)
  if (Array.isArray(value)) {
    line(`*${value.length}\r\n`)
    for (const item of value as ReadonlyArray<RespValue>) encodeInto(item, protocol, out)
    return
  }
  if (value instanceof ErrorReply) {
    if (!/[\r\n]/.test(value.message)) return line(`-${value.message}\r\n`)
    // RESP2 has no bulk error: a simple error cannot hold CR or LF, so they become spaces
    if (protocol === 2) return line(`-${value.message.replace(/[\r\n]/g, " ")}\r\n`)
    return void out.push(...bulk(Buffer.from(value.message, "utf8"), "!"))
  }
  if (value instanceof RespMap) {
    line(protocol === 3 ? `%${value.entries.length}\r\n` : `*${value.entries.length * 2}\r\n`)
    for (const [k, v] of value.entries) {
      encodeInto(k, protocol, out)
      encodeInto(v, protocol, out)
    }
    return
  }
  if (value instanceof RespSet || value instanceof Push) {
    const prefix = protocol === 2 ? "*" : value instanceof RespSet ? "~" : ">"
    line(`${prefix}${value.values.length}\r\n`)
    for (const item of value.values) encodeInto(item, protocol, out)
    return
  }
  if (value instanceof VerbatimString) {
    const text = typeof value.text === "string" ? Buffer.from(value.text, "utf8") : toBuffer(value.text)
    if (protocol === 2) return void out.push(...bulk(text))
    return void out.push(...bulk(Buffer.concat([Buffer.from(`${value.format}:`, "latin1"), text]), "="))
  }
  if (value instanceof Attributed) {
    if (protocol === 3) {
      line(`|${value.attributes.entries.length}\r\n`)
      for (const [k, v] of value.attributes.entries) {
        encodeInto(k, protocol, out)
        encodeInto(v, protocol, out)
      }
    }
    return encodeInto(value.value, protocol, out)
  }
}

/**
 * Any value as a server would send it (RESP3 types degrade to their RESP2 forms when `protocol` is 2).
 *
 * An error whose message holds CR or LF is a RESP3 bulk error (`!`); RESP2 has none, so there each CR and LF
 * becomes a space in a simple error (`-`). Attributes are dropped in RESP2, maps become flat arrays, sets and pushes
 * arrays, doubles bulk strings, booleans the integers 1 and 0, and nulls the null bulk string.
 *
 * @example
 * ```ts
 * import { encodeValue, RespMap } from "@fxredis/protocol"
 *
 * const resp3 = encodeValue(new RespMap([["role", "master"]])) // %1\r\n$4\r\nrole\r\n$6\r\nmaster\r\n
 * const resp2 = encodeValue([1, null], 2) // *2\r\n:1\r\n$-1\r\n
 * ```
 *
 * @category encoding
 * @since 0.1.0
 */
export const encodeValue = (value: RespValue, protocol: 2 | 3 = 3): Uint8Array => {
  const out: Array<Buffer> = []
  encodeInto(value, protocol, out)
  return Buffer.concat(out)
}
