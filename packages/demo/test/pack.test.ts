import { execFile } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"

const root = fileURLToPath(new URL("../../../", import.meta.url))
const exec = (file: string, args: ReadonlyArray<string>, cwd: string) =>
  Effect.callback<string, Error>((resume) => {
    execFile(file, [...args], { cwd, timeout: 120_000 }, (error, stdout, stderr) =>
      resume(
        error === null
          ? Effect.succeed(stdout)
          : Effect.fail(new Error(`${file} ${args.join(" ")}: ${stderr || error.message}`))
      )
    )
  })

const published = ["protocol", "transport", "testing", "client"]

describe("publishing", () => {
  it.live(
    "pnpm build, then pnpm pack: each package ships its dist with types, an exports map into it, and no tests",
    () =>
      Effect.gen(function* () {
        yield* exec("pnpm", ["build"], root)
        const destination = Fs.mkdtempSync(Path.join(Os.tmpdir(), "fxredis-pack-"))
        try {
          for (const name of published) {
            const dir = Path.join(root, "packages", name)
            yield* exec("pnpm", ["pack", "--pack-destination", destination], dir)
            const tarball = Path.join(destination, `fxredis-${name}-0.1.0.tgz`)
            const files = (yield* exec("tar", ["-tzf", tarball], destination)).trim().split("\n")
            const manifest = JSON.parse(yield* exec("tar", ["-xzOf", tarball, "package/package.json"], destination))
            assert.deepStrictEqual(manifest.exports["."], { types: "./dist/index.d.ts", default: "./dist/index.js" })
            assert.strictEqual(manifest.exports["./internal/*"], null)
            assert.include(files, "package/dist/index.js")
            assert.include(files, "package/dist/index.d.ts")
            for (const file of files) {
              assert.notMatch(file, /\/test\/|\.test\.|tsbuildinfo/, `${name} ships ${file}`)
            }
            for (const [dep, version] of Object.entries({ ...manifest.dependencies })) {
              assert.notInclude(String(version), "workspace:", `${name} depends on ${dep}@${version}`)
            }
          }
          // the built JavaScript loads on Node as it is
          const loaded = yield* exec(
            process.execPath,
            ["-e", 'import("./packages/client/dist/index.js").then((m) => console.log(typeof m.Redis.layer))'],
            root
          )
          assert.strictEqual(loaded.trim(), "function")
        } finally {
          Fs.rmSync(destination, { recursive: true, force: true })
        }
      }),
    120_000
  )
})
