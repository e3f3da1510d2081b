/**
 * `biome format` for the generated methods (Node only: the generator and the staleness test run it; nothing at run
 * time imports this module).
 */
import { execFileSync } from "node:child_process"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("../../../../../", import.meta.url))
const target = fileURLToPath(new URL("../methods.generated.ts", import.meta.url))

/** `text` as `biome format` writes `methods.generated.ts`. */
export const formatMethods = (text: string): string =>
  execFileSync("pnpm", ["exec", "biome", "format", `--stdin-file-path=${target}`], {
    cwd: root,
    input: text,
    encoding: "utf8",
    stdio: ["pipe", "pipe", "pipe"],
    maxBuffer: 64 * 1024 * 1024
  })
