/**
 * Renders `src/commands/methods.generated.ts`: one typed descriptor builder per command and subcommand of the
 * catalogue, its parameter types from the `COMMAND DOCS` argument tree (the rules of `Arguments.ts`) and its reply
 * transform from `ReplyKinds.ts`. `pnpm gen:commands` writes it (through `biome format`); the staleness test in
 * `Catalogue.test.ts` renders it again and compares.
 *
 * Not generated (each listed in `notGenerated` with why): containers whose subcommands are methods of their own,
 * and the commands a shared connection refuses (`internal/refuse.ts`), which no method could run.
 */
import type { RawArgument, RawCommand } from "../RawCommand.ts"
import {
  camel,
  children,
  fieldKey,
  fields,
  isMultiple,
  isScalarOneof,
  isTupleBlock,
  positional,
  takesRest
} from "./Arguments.ts"
import { type ReplyKind, transforms } from "./ReplySchema.ts"

/**
 * Commands with no generated method, and why. Connection-state commands are refused on every connection a method
 * runs on (the rotation, a transaction); the others have a method of the `Redis` service or `Transaction` already.
 */
export const notGenerated: Readonly<Record<string, string>> = {
  multi: "refused on shared connections: use redis.transaction and tx.exec",
  exec: "refused on shared connections: use tx.exec",
  discard: "refused on shared connections: tx.exec sends MULTI and EXEC together",
  watch: "refused on shared connections: use tx.watch",
  unwatch: "refused on shared connections: a transaction releases its WATCH on exit",
  select: "refused: the database is the client's `database` option",
  reset: "refused: use redis.dedicated",
  auth: "refused: credentials are the client's options",
  hello: "refused: the protocol is the client's option",
  quit: "refused: close the client's scope",
  monitor: "refused: use redis.dedicated",
  readonly: "refused: use redis.dedicated",
  readwrite: "refused: use redis.dedicated",
  asking: "refused: use redis.dedicated",
  subscribe: "refused: use redis.subscribe (a Stream)",
  psubscribe: "refused: use redis.psubscribe (a Stream)",
  ssubscribe: "refused: subscriptions run on a connection of their own",
  unsubscribe: "refused: end the redis.subscribe stream",
  punsubscribe: "refused: end the redis.psubscribe stream",
  sunsubscribe: "refused: subscriptions run on a connection of their own",
  "client|reply": "refused: use redis.dedicated",
  "client|setname": "refused: use redis.dedicated",
  "client|caching": "refused: use redis.dedicated",
  "client|no-evict": "refused: use redis.dedicated",
  "client|no-touch": "refused: use redis.dedicated",
  eval: "redis.eval (script cache) and the curated evalScript cover EVAL",
  publish: "a method of the Redis service already (redis.publish)",
  spublish: "a method of the Redis service already (redis.spublish)"
}

/** Method names that differ from the camelCase of the command (the plain name is a `Redis` member already). */
export const renamed: Readonly<Record<string, string>> = {
  scan: "scanPage",
  hscan: "hscanPage",
  sscan: "sscanPage",
  zscan: "zscanPage"
}

/** The method name of a catalogue row (`"xgroup|create"` → `"xgroupCreate"`). */
export const methodName = (name: string): string => renamed[name] ?? camel(name)

/** The rows that get a method: no containers, nothing of `notGenerated`. */
export const generated = (commands: ReadonlyArray<RawCommand>): Array<RawCommand> => {
  const containers = new Set(commands.filter((c) => c[0].includes("|")).map((c) => c[0].split("|")[0]))
  return commands.filter((c) => !containers.has(c[0]) && notGenerated[c[0]] === undefined)
}

// ---------------------------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------------------------

const unique = (parts: ReadonlyArray<string>): string => [...new Set(parts)].join(" | ")

const valueType = (a: RawArgument): string => {
  switch (a[1]) {
    case "key":
      return "Key"
    case "string":
      return "Value"
    case "integer":
    case "unix-time":
      return "number"
    case "double":
      return "number | string"
    case "pattern":
      return "string"
    case "pure-token":
      return "true"
    case "oneof":
      return isScalarOneof(a)
        ? unique(children(a).map((c) => (c[1] === "pure-token" ? JSON.stringify(c[2]) : valueType(c))))
        : unique(children(a).map((c) => `{ readonly ${fieldKey(c)}: ${argType(c)} }`))
    case "block": {
      const parts = children(a)
      if (isTupleBlock(a))
        return parts.length === 1 ? valueType(parts[0]) : `readonly [${parts.map(valueType).join(", ")}]`
      return objectType(fields(parts), a[0])
    }
    default:
      throw new Error(`unknown argument type ${a[1]} (${a[0]})`)
  }
}

const argType = (a: RawArgument): string => (isMultiple(a) ? `ReadonlyArray<${valueType(a)}>` : valueType(a))

const fieldType = (a: RawArgument): string => (a[1] === "pure-token" ? "boolean" : argType(a))

const checkUnique = (keys: ReadonlyArray<string>, where: string) => {
  const seen = new Set<string>()
  for (const k of keys) {
    if (seen.has(k)) throw new Error(`two fields named ${k} in ${where}: refine the naming rules`)
    seen.add(k)
  }
}

const objectType = (fs: ReadonlyArray<readonly [RawArgument, boolean]>, where: string): string => {
  checkUnique(
    fs.map(([a]) => fieldKey(a)),
    where
  )
  return `{ ${fs
    .map(([a, required]) =>
      required ? `readonly ${fieldKey(a)}: ${fieldType(a)}` : `readonly ${fieldKey(a)}?: ${fieldType(a)} | undefined`
    )
    .join("; ")} }`
}

const RESERVED = new Set([
  "arguments",
  "break",
  "case",
  "catch",
  "class",
  "const",
  "continue",
  "debugger",
  "default",
  "delete",
  "do",
  "else",
  "enum",
  "eval",
  "export",
  "extends",
  "false",
  "finally",
  "for",
  "function",
  "if",
  "import",
  "in",
  "instanceof",
  "new",
  "null",
  "options",
  "return",
  "super",
  "switch",
  "this",
  "throw",
  "true",
  "try",
  "typeof",
  "var",
  "void",
  "while",
  "with",
  "yield"
])

const paramName = (a: RawArgument): string => {
  const k = fieldKey(a)
  return RESERVED.has(k) ? `${k}Arg` : k
}

// ---------------------------------------------------------------------------------------------------------------
// Examples (documentation and tests)
// ---------------------------------------------------------------------------------------------------------------

/** A plausible value for an argument (the first choice of a `oneof`, a pure token where there is one). */
export const exampleValue = (a: RawArgument, fresh: (prefix: string) => string): unknown => {
  const one = (): unknown => {
    switch (a[1]) {
      case "key":
        return fresh("key:")
      case "integer":
        return 1
      case "double":
        return a[0].includes("timeout") ? 0.01 : 1.5
      case "unix-time":
        return 1700000000
      case "pattern":
        return "*"
      case "pure-token":
        return true
      case "oneof": {
        const cs = children(a)
        if (isScalarOneof(a)) {
          const token = cs.find((c) => c[1] === "pure-token")
          return token !== undefined ? token[2] : exampleValue(cs[0], fresh)
        }
        return { [fieldKey(cs[0])]: exampleValue(cs[0], fresh) }
      }
      case "block": {
        const parts = children(a)
        if (isTupleBlock(a)) {
          return parts.length === 1 ? exampleValue(parts[0], fresh) : parts.map((p) => exampleValue(p, fresh))
        }
        return exampleObject(fields(parts), fresh)
      }
      default:
        return a[0]
    }
  }
  return isMultiple(a) ? [one()] : one()
}

const exampleObject = (
  fs: ReadonlyArray<readonly [RawArgument, boolean]>,
  fresh: (prefix: string) => string
): Record<string, unknown> =>
  Object.fromEntries(fs.filter(([, required]) => required).map(([a]) => [fieldKey(a), exampleValue(a, fresh)]))

/** Example positional parameters of a command (its required arguments). */
export const exampleParams = (args: ReadonlyArray<RawArgument>, fresh: (prefix: string) => string): Array<unknown> =>
  positional(args).map((a) => exampleValue(a, fresh))

/** The options a command's method takes, each with an example value. */
export const exampleOptions = (
  args: ReadonlyArray<RawArgument>,
  fresh: (prefix: string) => string
): Array<readonly [string, unknown]> =>
  fields(args)
    .filter(([, required]) => !required)
    .map(([a]) => [fieldKey(a), a[1] === "pure-token" ? true : exampleValue(a, fresh)] as const)

const literal = (v: unknown): string =>
  Array.isArray(v)
    ? `[${v.map(literal).join(", ")}]`
    : typeof v === "object" && v !== null
      ? `{ ${Object.entries(v)
          .map(([k, x]) => `${k}: ${literal(x)}`)
          .join(", ")} }`
      : JSON.stringify(v)

// ---------------------------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------------------------

const comment = (text: string): string => text.replaceAll("*/", "*\\/")

const method = (command: RawCommand, kinds: Readonly<Record<string, ReplyKind>>): string => {
  const [name, , flags, , , , , , , , since, summary, args, extra] = command
  const display = name.toUpperCase().replace("|", " ")
  const pos = positional(args)
  const all = fields(args)
  checkUnique(
    all.map(([a]) => fieldKey(a)),
    name
  )
  const optional = all.filter(([, required]) => !required)
  const params = pos.map((a) => `${paramName(a)}: ${argType(a)}`)
  const rest = takesRest(command)
  if (rest) params.push(`args${Math.abs(command[1]) > name.split("|").length ? "" : "?"}: ReadonlyArray<Value>`)
  if (optional.length > 0) params.push(`options?: ${objectType(optional, name)}`)
  const kind = kinds[name] ?? "raw"
  let counter = 0
  const fresh = (prefix: string) => `${prefix}${++counter}`
  const example = rest ? '["GET", "key"]' : exampleParams(args, fresh).map(literal).join(", ")
  const m = methodName(name)
  const lines = [
    `${display}: ${comment(summary)}${/\.\s*$/.test(summary) ? "" : "."} Since Redis ${since}.`,
    ...(extra?.deprecatedSince !== undefined
      ? [
          "",
          `Deprecated since Redis ${extra.deprecatedSince}${extra.replacedBy !== undefined ? `: use ${comment(extra.replacedBy)}` : ""}.`
        ]
      : []),
    ...(flags.split(" ").includes("blocking")
      ? ["", "Blocking: runs on a connection of its own, with no command timeout."]
      : []),
    "",
    `Reply: ${kind === "raw" ? "`RespValue`, as the server sent it" : `\`Command.${transforms[kind]}\``}.`,
    "",
    "@example",
    "```ts",
    'import { Redis } from "@fxredis/client"',
    "",
    `const reply = Redis.use((redis) => redis.${m}(${example}))`,
    "```",
    "",
    "@category commands",
    "@since 0.1.0"
  ]
  const doc = `/**\n${lines.map((l) => (l === "" ? " *" : ` * ${l}`)).join("\n")}\n */`
  const call = [JSON.stringify(name), `C.${transforms[kind]}`, rest ? "[args]" : `[${pos.map(paramName).join(", ")}]`]
  if (optional.length > 0) call.push("options")
  return `${doc}\nexport const ${m} = (${params.join(", ")}) => build(${call.join(", ")})\n`
}

const HEADER = `/**
 * A typed method for every command and subcommand of the catalogue, generated by \`pnpm gen:commands\` from the
 * \`COMMAND DOCS\` argument trees (\`catalogue.generated.ts\`) and the reply shapes of \`internal/ReplyKinds.ts\`. Do
 * not edit: regenerate. A test renders it again and fails when it is stale.
 *
 * Each export is a descriptor builder (a \`Command\`), bound onto \`Redis\`, transactions (\`tx.*\`) and \`tx.exec\`'s
 * queue (\`q.*\`) under the curated methods, which win where both exist. Parameters: required arguments in order,
 * optional ones in one options object; \`multiple\` arguments are arrays; \`numkeys\` is computed. The full rules are in
 * \`internal/Arguments.ts\`.
 *
 * @since 0.1.0
 */
import * as C from "../Command.ts"
import type { Key, Value } from "../internal/commands/Strings.ts"
import { build } from "./internal/Arguments.ts"
`

/** The text of `methods.generated.ts` (before `biome format`). */
export const renderMethods = (
  commands: ReadonlyArray<RawCommand>,
  kinds: Readonly<Record<string, ReplyKind>>
): string => {
  const rows = generated(commands)
  checkUnique(
    rows.map((c) => methodName(c[0])),
    "methods"
  )
  return `${HEADER}\n${rows.map((c) => method(c, kinds)).join("\n")}`
}
