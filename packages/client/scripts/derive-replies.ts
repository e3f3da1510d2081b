/**
 * Derives `src/commands/internal/ReplyKinds.ts` (the reply shape of each command, as one of a few kinds) from the
 * `reply_schema` of Redis' JSON command specs. Redis 7.0's `COMMAND DOCS` has no reply schemas; Redis 7.2 ships
 * them in `src/commands/*.json`. Only the derived kinds are checked in, not Redis' files.
 *
 * Run with Node 24: `node packages/client/scripts/derive-replies.ts <redis git dir> <tag>` (e.g. a clone of
 * github.com/redis/redis and `7.2.6`). It reads the files with `git show <tag>:src/commands/<file>.json`.
 */
import { execFileSync } from "node:child_process"
import * as Fs from "node:fs"
import { fileURLToPath } from "node:url"
import { commands } from "../src/commands/catalogue.generated.ts"
import { classify, type ReplyKind } from "../src/commands/internal/ReplySchema.ts"

const [gitDir, tag] = process.argv.slice(2)
if (gitDir === undefined || tag === undefined) {
  console.error("usage: derive-replies.ts <redis git dir> <tag>")
  process.exit(2)
}
const git = (...args: Array<string>) => execFileSync("git", ["--git-dir", gitDir, ...args], { encoding: "utf8" })
const commit = git("rev-parse", `${tag}^{commit}`).trim()
const files = git("ls-tree", "--name-only", `${tag}`, "src/commands/")
  .split("\n")
  .filter((f) => f.endsWith(".json"))

/** reply schemas by catalogue name (`"xgroup|create"`) */
const schemas = new Map<string, unknown>()
for (const file of files) {
  const doc = JSON.parse(git("show", `${tag}:${file}`)) as Record<string, Record<string, unknown>>
  for (const [name, spec] of Object.entries(doc)) {
    const container = spec.container as string | undefined
    const key = (container === undefined ? name : `${container}|${name}`).toLowerCase()
    if ("reply_schema" in spec) schemas.set(key, spec.reply_schema)
  }
}

/**
 * Where the schema is narrower than what the server replies, as `GeneratedCommands.test.ts` found against 7.0.15:
 * nil for a missing key or member.
 */
const corrections: Readonly<Record<string, ReplyKind>> = {
  geohash: "optionStrings",
  lmove: "optionString",
  "object|freq": "optionNumber",
  "object|idletime": "optionNumber",
  "object|refcount": "optionNumber"
}

const kinds: Array<[string, string]> = []
for (const command of commands) {
  const schema = schemas.get(command[0])
  if (schema === undefined) continue
  const kind = corrections[command[0]] ?? classify(schema)
  if (kind !== "raw") kinds.push([command[0], kind])
}

const target = fileURLToPath(new URL("../src/commands/internal/ReplyKinds.ts", import.meta.url))
const text = `/**
 * The reply shape of each command, derived by \`packages/client/scripts/derive-replies.ts\` from the \`reply_schema\`
 * of Redis ${tag}'s JSON command specs (github.com/redis/redis, commit ${commit.slice(0, 12)}): our own derived
 * data, one kind per command whose reply has a single shape, with a few corrections (see the script). A command
 * absent here replies \`RespValue\` (no schema, or a shape that depends on the arguments). Regenerate with the
 * script; \`pnpm gen:commands\` reads it.
 */
import type { ReplyKind } from "./ReplySchema.ts"

/** reply kinds by catalogue name */
export const replyKinds: Readonly<Record<string, ReplyKind>> = {
${kinds.map(([name, kind]) => `  ${JSON.stringify(name)}: ${JSON.stringify(kind)}`).join(",\n")}
}
`
Fs.writeFileSync(target, text)
execFileSync("pnpm", ["exec", "biome", "format", "--write", target], { stdio: "ignore" })
console.log(`wrote ${target}: ${kinds.length} typed of ${commands.length} rows (${schemas.size} schemas in ${tag})`)
