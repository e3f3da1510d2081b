/**
 * Reads Redis' own command table from a running server (`COMMAND INFO` and `COMMAND DOCS`, over a plain socket in
 * RESP3 with `@fxredis/protocol`'s decoder: no dependency on the client) and renders it as the checked-in module
 * `src/commands/catalogue.generated.ts`.
 *
 * The output is deterministic: commands and subcommands sorted by name, key specs and arguments in the server's
 * order, one command per line, so a new server version shows as a readable diff. The same `render` runs in the
 * staleness test, which compares it with the checked-in file.
 */
import * as Net from "node:net"
import {
  type CommandArg,
  ErrorReply,
  encodeCommand,
  RespDecoder,
  RespMap,
  RespSet,
  type RespValue,
  VerbatimString
} from "@fxredis/protocol"
import { Data, Effect } from "effect"
import type { RawArgument, RawCommand, RawExtra, RawKeySpec } from "../RawCommand.ts"

/** A failure talking to the server or reading its command table. */
export class SpecsError extends Data.TaggedError("SpecsError")<{
  readonly message: string
  readonly cause?: unknown
}> {}

/**
 * Sends `commands` pipelined on one fresh connection to the UNIX socket `path` (after `HELLO 3`) and returns their
 * replies in order. Error replies are values (`ErrorReply`).
 */
export const query = (
  path: string,
  commands: ReadonlyArray<ReadonlyArray<CommandArg>>
): Effect.Effect<ReadonlyArray<RespValue>, SpecsError> =>
  Effect.callback<ReadonlyArray<RespValue>, SpecsError>((resume) => {
    const socket = Net.createConnection({ path })
    const decoder = new RespDecoder()
    const replies: Array<RespValue> = []
    const expected = commands.length + 1
    let done = false
    const finish = (outcome: Effect.Effect<ReadonlyArray<RespValue>, SpecsError>) => {
      if (done) return
      done = true
      socket.destroy()
      resume(outcome)
    }
    socket.once("error", (cause) => finish(Effect.fail(new SpecsError({ message: `cannot reach ${path}`, cause }))))
    socket.once("close", () => finish(Effect.fail(new SpecsError({ message: "connection closed early" }))))
    socket.on("data", (chunk) => {
      const error = decoder.feed(chunk, (reply) => {
        replies.push(reply)
      })
      if (error !== undefined) finish(Effect.fail(new SpecsError({ message: "malformed reply", cause: error })))
      else if (replies.length >= expected) finish(Effect.succeed(replies.slice(1)))
    })
    socket.once("connect", () => {
      socket.write(encodeCommand(["HELLO", "3"]))
      for (const command of commands) socket.write(encodeCommand(command))
    })
    return Effect.sync(() => {
      done = true
      socket.destroy()
    })
  })

// ---------------------------------------------------------------------------------------------------------------
// The raw model: the shapes of the generated module (kept in sync with the types `render` writes into it)
// ---------------------------------------------------------------------------------------------------------------

/** Argument flags, as a bit set: 1 optional, 2 multiple, 4 multiple_token. */
const ARG_OPTIONAL = 1
const ARG_MULTIPLE = 2
const ARG_MULTIPLE_TOKEN = 4

/** What `fetchSpecs` reads: the server's version and its commands, sorted, subcommands flattened. */
export interface Specs {
  readonly version: string
  readonly commands: ReadonlyArray<RawCommand>
}

// ---------------------------------------------------------------------------------------------------------------
// RESP3 replies → the raw model
// ---------------------------------------------------------------------------------------------------------------

const fail = (message: string): never => {
  throw new SpecsError({ message })
}

const str = (v: RespValue | undefined): string =>
  typeof v === "string"
    ? v
    : v instanceof Uint8Array
      ? new TextDecoder().decode(v)
      : fail(`expected a string, got ${String(v)}`)
const num = (v: RespValue | undefined): number =>
  typeof v === "number" ? v : fail(`expected a number, got ${String(v)}`)
const list = (v: RespValue | undefined): ReadonlyArray<RespValue> =>
  Array.isArray(v)
    ? v
    : v instanceof RespSet
      ? v.values
      : v === undefined || v === null
        ? []
        : fail("expected an array")
const entries = (v: RespValue | undefined): ReadonlyArray<readonly [string, RespValue]> =>
  v instanceof RespMap
    ? v.entries.map(([k, x]) => [str(k), x] as const)
    : Array.isArray(v)
      ? Array.from({ length: v.length / 2 }, (_, i) => [str(v[2 * i]), v[2 * i + 1]] as const)
      : v === undefined || v === null
        ? []
        : fail("expected a map")
const field = (v: RespValue | undefined, name: string): RespValue | undefined =>
  entries(v).find(([k]) => k === name)?.[1]
const words = (v: RespValue | undefined): string => list(v).map(str).join(" ")

const keySpec = (v: RespValue): RawKeySpec => {
  const bs = field(v, "begin_search")
  const fk = field(v, "find_keys")
  const bsSpec = field(bs, "spec")
  const fkSpec = field(fk, "spec")
  const begin: RawKeySpec[0] =
    str(field(bs, "type")) === "index"
      ? num(field(bsSpec, "index"))
      : str(field(bs, "type")) === "keyword"
        ? [str(field(bsSpec, "keyword")), num(field(bsSpec, "startfrom"))]
        : null
  const fkType = str(field(fk, "type"))
  const find: RawKeySpec[1] =
    fkType === "range"
      ? ["range", num(field(fkSpec, "lastkey")), num(field(fkSpec, "keystep")), num(field(fkSpec, "limit"))]
      : fkType === "keynum"
        ? ["keynum", num(field(fkSpec, "keynumidx")), num(field(fkSpec, "firstkey")), num(field(fkSpec, "keystep"))]
        : null
  return [begin, find, words(field(v, "flags"))]
}

const argFlags = (v: RespValue | undefined): number =>
  list(v)
    .map(str)
    .reduce(
      (acc, f) =>
        acc |
        (f === "optional"
          ? ARG_OPTIONAL
          : f === "multiple"
            ? ARG_MULTIPLE
            : f === "multiple_token"
              ? ARG_MULTIPLE_TOKEN
              : 0),
      0
    )

const argument = (v: RespValue): RawArgument => {
  const name = str(field(v, "name"))
  const type = str(field(v, "type"))
  const token = field(v, "token")
  const flags = argFlags(field(v, "flags"))
  const children = field(v, "arguments")
  const keySpecIndex = field(v, "key_spec_index")
  const head = [name, type, token === undefined ? null : str(token), flags] as const
  if (children !== undefined) return [...head, list(children).map(argument)]
  if (keySpecIndex !== undefined) return [...head, num(keySpecIndex)]
  return head
}

const info = (v: RespValue, docs: (name: string) => RespValue | undefined, out: Array<RawCommand>): void => {
  const row = list(v)
  const name = str(row[0])
  const doc = docs(name)
  const extra: { -readonly [K in keyof RawExtra]: RawExtra[K] } = {}
  const deprecated = field(doc, "deprecated_since")
  const replaced = field(doc, "replaced_by")
  const docFlags = field(doc, "doc_flags")
  if (deprecated !== undefined) extra.deprecatedSince = str(deprecated)
  if (replaced !== undefined) extra.replacedBy = str(replaced)
  if (docFlags !== undefined && list(docFlags).length > 0) extra.docFlags = words(docFlags)
  const base = [
    name,
    num(row[1]),
    words(row[2]),
    num(row[3]),
    num(row[4]),
    num(row[5]),
    words(row[6]),
    words(row[7]),
    list(row[8]).map(keySpec),
    doc === undefined ? "" : str(field(doc, "group")),
    doc === undefined ? "" : str(field(doc, "since")),
    doc === undefined ? "" : str(field(doc, "summary")),
    list(field(doc, "arguments")).map(argument)
  ] as const
  out.push(Object.keys(extra).length > 0 ? [...base, extra] : base)
  for (const sub of list(row[9])) info(sub, docs, out)
}

const byName = (a: RawCommand, b: RawCommand) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)

/** Turns the replies of `COMMAND INFO`, `COMMAND DOCS` and `INFO server` into `Specs` (throws `SpecsError`). */
export const parseSpecs = (infoReply: RespValue, docsReply: RespValue, serverInfo: RespValue): Specs => {
  const docs = new Map<string, RespValue>()
  for (const [name, doc] of entries(docsReply)) {
    docs.set(name, doc)
    for (const [sub, subDoc] of entries(field(doc, "subcommands"))) docs.set(sub, subDoc)
  }
  const out: Array<RawCommand> = []
  for (const row of list(infoReply)) info(row, (name) => docs.get(name), out)
  const version = /redis_version:([^\r\n]+)/.exec(
    serverInfo instanceof VerbatimString ? serverInfo.toString() : str(serverInfo)
  )?.[1]
  return { version: version ?? "unknown", commands: out.sort(byName) }
}

/** Reads the command table of the server listening on the UNIX socket `path`. */
export const fetchSpecs = (path: string): Effect.Effect<Specs, SpecsError> =>
  Effect.flatMap(
    query(path, [
      ["COMMAND", "INFO"],
      ["COMMAND", "DOCS"],
      ["INFO", "server"]
    ]),
    ([infoReply, docsReply, serverInfo]) =>
      Effect.try({
        try: () => {
          for (const reply of [infoReply, docsReply, serverInfo]) {
            if (reply instanceof ErrorReply) throw new SpecsError({ message: reply.message })
          }
          return parseSpecs(infoReply, docsReply, serverInfo)
        },
        catch: (cause) =>
          cause instanceof SpecsError ? cause : new SpecsError({ message: "cannot read the command table", cause })
      })
  )

// ---------------------------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------------------------

const HEADER = `/**
 * Redis' command table, generated by \`pnpm gen:commands\` (packages/client/scripts/gen-commands.ts) from a real
 * redis-server's \`COMMAND INFO\` and \`COMMAND DOCS\`. Do not edit: regenerate. A test regenerates it from the
 * installed server and fails when this file is stale.
 *
 * Plain data, one command or subcommand (\`"container|sub"\`) per line, sorted by name. \`Catalogue.ts\` reads it; typed
 * methods can be generated from the argument trees.
 *
 * @since 0.1.0
 */
import type { RawCommand } from "./RawCommand.ts"
`

/** The text of `catalogue.generated.ts` for `specs` (already in the form `biome format` keeps). */
export const render = (specs: Specs): string => {
  // JSON in a raw template literal: parsed by V8's JSON parser and skipped whole by type stripping (several times
  // faster to import than an array literal); a backtick or "${" inside a string is written as a JSON escape
  const lines = specs.commands.map((command) =>
    JSON.stringify(command).replaceAll("`", "\\u0060").replaceAll("${", "$\\u007b")
  )
  return `${HEADER}
/**
 * The redis-server version this table was read from.
 *
 * @example
 * \`\`\`ts
 * import { serverVersion } from "@fxredis/client/commands/catalogue.generated"
 *
 * console.log(serverVersion) // "${specs.version}"
 * \`\`\`
 *
 * @category models
 * @since 0.1.0
 */
export const serverVersion = ${JSON.stringify(specs.version)}

/**
 * Every command and subcommand, sorted by name (JSON, one per line: quicker to import than a literal).
 *
 * @example
 * \`\`\`ts
 * import { commands } from "@fxredis/client/commands/catalogue.generated"
 *
 * const topLevel = commands.filter((c) => !c[0].includes("|")).length
 * \`\`\`
 *
 * @category models
 * @since 0.1.0
 */
export const commands: ReadonlyArray<RawCommand> = JSON.parse(String.raw\`[
${lines.join(",\n")}
]\`)
`
}
