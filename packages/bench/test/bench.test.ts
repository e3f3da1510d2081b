import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"

const run = (script: string, args: ReadonlyArray<string>) =>
  Effect.callback<string, Error>((resume) => {
    execFile(
      process.execPath,
      [fileURLToPath(new URL(`../src/${script}`, import.meta.url)), ...args],
      { timeout: 60_000 },
      (error, stdout, stderr) =>
        resume(error === null ? Effect.succeed(stdout) : Effect.fail(new Error(stderr || error.message)))
    )
  })

describe("benchmarks stay runnable", () => {
  it.live(
    "pnpm bench --quick --json prints one row per workload, transport and client",
    () =>
      Effect.gen(function* () {
        const out = yield* run("client.ts", ["--quick", "--json", "--workloads", "seq,pool", "--duration", "100"])
        const rows = out
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l))
        assert.strictEqual(rows.length, 2 * 4)
        for (const row of rows) {
          assert.containsAllKeys(row, ["workload", "transport", "client", "ops_per_sec", "peak_rss_mb"])
          assert.isTrue(row.ops_per_sec > 0)
        }
        assert.isNumber(rows.find((r) => r.client === "fxredis").fxredis_over_best_peer)
      }),
    60_000
  )
  it.live(
    "pnpm bench:codec --json prints the ratio of every case against both peers",
    () =>
      Effect.gen(function* () {
        const out = yield* run("codec.ts", ["--json", "--rounds", "1"])
        const rows = out
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l))
        assert.isTrue(rows.length >= 8)
        for (const row of rows) {
          assert.containsAllKeys(row, ["case", "peer", "ratio"])
          assert.isTrue(row.ratio > 0)
        }
      }),
    60_000
  )
})
