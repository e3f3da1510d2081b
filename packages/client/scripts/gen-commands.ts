/**
 * `pnpm gen:commands`: starts a throwaway redis-server (`@fxredis/testing`), reads its command table and writes
 * `packages/client/src/commands/catalogue.generated.ts` (then checks that `biome format` leaves it unchanged), and the
 * typed methods generated from it, `packages/client/src/commands/methods.generated.ts` (written through `biome format`;
 * reply shapes from `src/commands/internal/ReplyKinds.ts`, see `derive-replies.ts`).
 *
 * Run with Node 24 (it runs .ts directly): `node packages/client/scripts/gen-commands.ts`.
 */
import { execFileSync } from "node:child_process"
import * as Fs from "node:fs"
import { fileURLToPath } from "node:url"
import { RedisServer } from "@fxredis/testing"
import { Effect } from "effect"
import { fetchSpecs, render } from "../src/commands/internal/CommandSpecs.ts"
import { formatMethods } from "../src/commands/internal/FormatMethods.ts"
import { generated, renderMethods } from "../src/commands/internal/RenderMethods.ts"
import { replyKinds } from "../src/commands/internal/ReplyKinds.ts"

const target = fileURLToPath(new URL("../src/commands/catalogue.generated.ts", import.meta.url))
const methodsTarget = fileURLToPath(new URL("../src/commands/methods.generated.ts", import.meta.url))
const root = fileURLToPath(new URL("../../../", import.meta.url))

const program = Effect.gen(function* () {
  const server = yield* RedisServer.make()
  const specs = yield* fetchSpecs(server.unix.path)
  const text = render(specs)
  Fs.writeFileSync(target, text)
  const formatted = execFileSync("pnpm", ["exec", "biome", "format", `--stdin-file-path=${target}`], {
    cwd: root,
    input: text,
    encoding: "utf8",
    stdio: ["pipe", "pipe", "ignore"]
  })
  if (formatted !== text) {
    return yield* Effect.die(new Error("render() is not in biome's format: fix render() so the output is stable"))
  }
  const methods = formatMethods(renderMethods(specs.commands, replyKinds))
  Fs.writeFileSync(methodsTarget, methods)
  const rows = generated(specs.commands)
  const typed = rows.filter((c) => replyKinds[c[0]] !== undefined).length
  yield* Effect.log(
    `wrote ${methodsTarget}: ${rows.length} methods, ${typed} with typed replies, ${methods.length} bytes`
  )
  const top = specs.commands.filter((c) => !c[0].includes("|")).length
  yield* Effect.log(
    `wrote ${target}: redis ${specs.version}, ${top} commands, ${specs.commands.length - top} subcommands, ${text.length} bytes`
  )
}).pipe(Effect.scoped)

Effect.runPromise(program).catch((error) => {
  console.error(error)
  process.exitCode = 1
})
