import { execFile } from "node:child_process"
import * as Fs from "node:fs"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import { RedisServer } from "@fxredis/testing"
import { Effect } from "effect"

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url))
const examples = Fs.readdirSync(here("../examples")).filter((f) => f.endsWith(".ts"))

const run = (file: string, env: Record<string, string>) =>
  Effect.callback<string, Error>((resume) => {
    const { REDIS_URL: _url, ...base } = process.env
    execFile(process.execPath, [file], { timeout: 30_000, env: { ...base, ...env } }, (error, stdout, stderr) =>
      resume(error === null ? Effect.succeed(stdout) : Effect.fail(new Error(`${file}: ${stderr || error.message}`)))
    )
  })

describe("README", () => {
  it("every TypeScript block in the README is one of the examples, which the tests type-check and run", () => {
    const readme = Fs.readFileSync(here("../../../README.md"), "utf8")
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1].trim())
    assert.isTrue(blocks.length >= examples.length)
    const sources = examples.map((f) => Fs.readFileSync(here(`../examples/${f}`), "utf8").trim())
    for (const block of blocks) assert.include(sources, block, `a README block is not an example file:\n${block}`)
    for (const [i, source] of sources.entries()) assert.include(blocks, source, `${examples[i]} is not in the README`)
  })
})

describe("examples run against a real server", () => {
  for (const example of examples) {
    it.live(example, () =>
      Effect.gen(function* () {
        const servers = yield* Effect.forEach([0, 1, 2], () => RedisServer.make())
        const out = yield* run(here(`../examples/${example}`), {
          REDIS_URL: servers[0].urls.unix,
          REDIS_URLS: servers.map((s) => s.urls.tcp).join(" ")
        })
        assert.isAbove(out.trim().length, 0)
      })
    )
  }
})

describe("pnpm demo", () => {
  it.live(
    "serves HTTP on a lazy Redis layer: 429 past the rate limit, 503 while Redis is dead, recovers, exits 0",
    () =>
      Effect.gen(function* () {
        const out = yield* run(here("../src/main.ts"), {})
        assert.match(out, /GET {2}\/health +→ 200/)
        assert.match(out, /POST \/counter +→ 200 \{"count":3\}/)
        assert.match(out, /GET {2}\/kv\/greeting +→ 200 .*hello from fxredis/)
        assert.match(out, /GET {2}\/kv\/missing +→ 404/)
        assert.match(out, /GET {2}\/limited +→ 429/)
        assert.match(out, /GET {2}\/health +→ 503/)
        assert.match(out, /POST \/counter +→ 503 .*"reason":"(ConnectionError|CommandTimeoutError)"/)
        assert.match(out, /Redis is back[\s\S]*GET {2}\/health +→ 200[\s\S]*POST \/counter +→ 200/)
        assert.include(out, "— done")
      })
  )
})
