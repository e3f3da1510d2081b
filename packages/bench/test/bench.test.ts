import { execFile } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import { RedisSharded } from "@fxredis/client"
import { RedisCluster, RedisServer } from "@fxredis/testing"
import { Effect } from "effect"
import { type Copy, prepareBaseline, prepareSnapshot, type Skipped } from "../src/baseline.ts"
import { shardsOf } from "../src/clients/fxredis.ts"
import { openCluster as ioredisCluster } from "../src/clients/ioredis.ts"
import { CLIENTS, KEYS, slotOf, WORKLOADS } from "../src/harness.ts"

interface Ran {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

const src = (file: string) => fileURLToPath(new URL(`../src/${file}`, import.meta.url))

/** runs a script of src/ to its end; its exit code, never a failure */
const run = (
  script: string,
  args: ReadonlyArray<string>,
  nodeArgs: ReadonlyArray<string> = [],
  env: Record<string, string> = {}
) =>
  Effect.callback<Ran>((resume) => {
    execFile(
      process.execPath,
      [...nodeArgs, src(script), ...args],
      { timeout: 60_000, env: { ...process.env, ...env } },
      (error, stdout, stderr) =>
        resume(
          Effect.succeed({
            code: error === null ? 0 : typeof error.code === "number" ? error.code : -1,
            stdout,
            stderr
          })
        )
    )
  })

const jsonLines = (out: string) =>
  out
    .trim()
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l))

const tempDir = Effect.acquireRelease(
  Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "fxredis-bench-"))),
  (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
)

describe("pnpm bench's command line", () => {
  it.live("--help prints the usage, every client and workload, and exits 0 without measuring", () =>
    Effect.gen(function* () {
      const ran = yield* run("client.ts", ["--help"])
      assert.strictEqual(ran.code, 0)
      assert.include(ran.stdout, "Usage: pnpm bench")
      for (const name of [...CLIENTS, ...WORKLOADS, "--baseline", "--json", "--svg", "--cluster"])
        assert.include(ran.stdout, name)
      assert.notInclude(ran.stderr, "round 1")
    })
  )

  it.live("unknown --clients or --workloads values are refused with a message and a non-zero exit", () =>
    Effect.gen(function* () {
      const clients = yield* run("client.ts", ["--quick", "--clients", "fxredis,fxredis-typo"])
      assert.notStrictEqual(clients.code, 0)
      assert.include(clients.stderr, `unknown clients "fxredis-typo"`)
      assert.include(clients.stderr, "known: fxredis,")
      assert.notInclude(clients.stderr, "round 1")
      assert.strictEqual(clients.stdout, "")
      const workloads = yield* run("client.ts", ["--quick", "--workloads", "seq,seqq"])
      assert.notStrictEqual(workloads.code, 0)
      assert.include(workloads.stderr, `unknown workloads "seqq"`)
      assert.notInclude(workloads.stderr, "round 1")
      const option = yield* run("client.ts", ["--quick", "--client", "fxredis"])
      assert.notStrictEqual(option.code, 0)
      assert.include(option.stderr, "unknown argument --client")
    })
  )

  it.live("cluster workloads over --transports without tcp are refused: cluster nodes announce TCP addresses", () =>
    Effect.gen(function* () {
      for (const args of [
        ["--workloads", "seq,cluster-seq", "--transports", "unix"],
        ["--cluster", "--transports", "unix"]
      ]) {
        const ran = yield* run("client.ts", ["--quick", ...args])
        assert.notStrictEqual(ran.code, 0, args.join(" "))
        assert.include(ran.stderr, "the cluster workloads run over TCP only")
        assert.notInclude(ran.stderr, "round 1")
        assert.strictEqual(ran.stdout, "")
      }
    })
  )
})

describe("the peers' hand-made split of cross-slot commands", () => {
  it("slotOf agrees with Redis Cluster's hash slot (CRC16 mod 16384, hash tags included)", () => {
    const keys = [
      ...Array.from({ length: 2000 }, (_, i) => `bench:key:${i}`),
      ...Array.from({ length: 200 }, (_, i) => `{user${i}}.following`),
      ...["{}", "{}x", "a{}b{c}", "{a", "a}b{", "é{ü}", "", "foo", "bar"]
    ]
    for (const key of keys) assert.strictEqual(slotOf(key), RedisCluster.keySlot(key), key)
  })

  it.live(
    "ioredis' Cluster refuses an MGET across slots; split by slot, MGET and MSET of 100 keys come back in order",
    () =>
      Effect.gen(function* () {
        const cluster = yield* RedisCluster.make({ primaries: 3 })
        const seeds = cluster.seeds.map((s) => `redis://${s.host}:${s.port}`)
        // keys of 50 slots, and keys of 3 hash tags among them: a slot's keys are not next to each other
        const keys = Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? `split:${i}` : `{tag${i % 3}}:${i}`))
        assert.isAbove(new Set(keys.map(slotOf)).size, 45)
        const driver = yield* Effect.promise(() => ioredisCluster(true)(seeds))
        yield* Effect.addFinalizer(() => Effect.promise(() => driver.close()))
        yield* Effect.promise(() => driver.mset(keys.map((k, i) => [k, `v${i}`] as const)))
        const values = yield* Effect.promise(() => driver.mget(keys))
        assert.deepStrictEqual(
          values,
          keys.map((_, i) => `v${i}`)
        )
        // the same MGET, unsplit, is refused by the server (why the bench splits it for ioredis)
        const { Cluster } = yield* Effect.promise(() => import("ioredis"))
        const raw = new Cluster(cluster.seeds.map((s) => ({ host: s.host, port: s.port })))
        yield* Effect.addFinalizer(() => Effect.sync(() => raw.disconnect()))
        const refused = yield* Effect.promise(() => raw.mget(...keys).then(String, (e: Error) => e.message))
        assert.include(refused, "CROSSSLOT")
      }).pipe(Effect.scoped),
    60_000
  )
})

describe("pnpm bench runs (a tiny run: one round of 100 ms)", () => {
  it.live(
    "every client gets a row per transport, with ratios, real spans and metrics, the baseline, and a chart",
    () =>
      Effect.gen(function* () {
        const dir = yield* tempDir
        const svg = Path.join(dir, "bench.svg")
        const args = ["--quick", "--json", "--workloads", "seq", "--transports", "unix,tcp", "--duration", "100"]
        const ran = yield* run("client.ts", [...args, "--svg", svg])
        assert.strictEqual(ran.code, 0, ran.stderr)
        const rows = jsonLines(ran.stdout)
        const names = [...CLIENTS.slice(0, 1), "fxredis@ff182a9", ...CLIENTS.slice(1)]
        assert.deepStrictEqual(
          rows.map((r) => `${r.transport} ${r.client}`),
          ["unix", "tcp"].flatMap((t) => names.map((c) => `${t} ${c}`))
        )
        const row = (transport: string, client: string) =>
          rows.find((r) => r.transport === transport && r.client === client)
        // GLIDE dials TCP only: n/a over UNIX, measured over TCP
        assert.strictEqual(row("unix", "glide").status, "n/a")
        assert.isNull(row("unix", "glide").ops_per_sec)
        assert.isTrue(row("tcp", "glide").ops_per_sec > 0)
        for (const r of rows.filter((r) => r.status !== "n/a")) {
          assert.strictEqual(r.status, "ok", `${r.transport} ${r.client}: ${r.note}`)
          assert.isTrue(r.ops_per_sec > 0)
          assert.isTrue(r.peak_rss_mb > 0)
          assert.isNumber(r.vs_best_peer)
          assert.isNumber(r.vs_baseline)
          // the client's CPU time in the timed part: operations per CPU-second, of every client
          assert.isTrue(r.ops_per_cpu_sec > 0, `${r.transport} ${r.client}`)
          assert.isNumber(r.cpu_vs_baseline)
        }
        for (const transport of ["unix", "tcp"]) {
          // the best peer is one of the peers, at 1×
          const peers = rows.filter(
            (r) => r.transport === transport && !r.client.startsWith("fxredis") && r.status === "ok"
          )
          assert.strictEqual(Math.max(...peers.map((r) => r.vs_best_peer)), 1)
          assert.strictEqual(row(transport, "fxredis@ff182a9").vs_baseline, 1)
          assert.strictEqual(row(transport, "fxredis@ff182a9").cpu_vs_baseline, 1)
          // each traced row records a span per command (plus the setup MSET), exported to its sink
          for (const traced of ["fxredis+effect-tracer", "fxredis+otel"]) {
            const r = row(transport, traced)
            assert.isNumber(r.vs_fxredis)
            assert.approximately(r.spans_per_command, 1, 0.05, `${transport} ${traced}`)
          }
          assert.approximately(row(transport, "fxredis+metrics").metric_samples_per_command, 1, 0.05)
          // plain fxredis and the baseline record nothing
          assert.isNull(row(transport, "fxredis").spans_per_command)
          assert.isNull(row(transport, "fxredis@ff182a9").spans_per_command)
        }
        // the fxredis rows ran on a snapshot of the work tree taken when the run started, the baseline on its copy
        assert.match(ran.stderr, /fxredis: snapshot of [0-9a-f]+/)
        for (const r of rows.filter((r) => r.client.startsWith("fxredis")))
          assert.strictEqual(r.source, r.client === "fxredis@ff182a9" ? "baseline" : "snapshot", r.client)
        assert.include(ran.stderr, `chart: ${svg}`)
        const chart = Fs.readFileSync(svg, "utf8")
        assert.match(chart, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/)
        assert.match(chart, /<\/svg>\n$/)
        for (const name of names) assert.include(chart, `>${name}</text>`)
        assert.include(chart, "TCP — ops/s ÷ best peer")
      }),
    60_000
  )

  it.live(
    "sharded rows: today's client names its shards as the baseline's ring placed them, so both split every key alike",
    () =>
      Effect.gen(function* () {
        const args = ["--json", "--no-svg", "--rounds", "1", "--duration", "100", "--clients", "fxredis,baseline"]
        const ran = yield* run("client.ts", [...args, "--workloads", "sharded", "--transports", "unix,tcp"])
        assert.strictEqual(ran.code, 0, ran.stderr)
        const rows = jsonLines(ran.stdout)
        assert.deepStrictEqual(
          rows.map((r) => `${r.transport} ${r.client} ${r.status}`),
          ["unix fxredis ok", "unix fxredis@ff182a9 ok", "tcp fxredis ok", "tcp fxredis@ff182a9 ok"],
          JSON.stringify(rows.map((r) => r.note))
        )
        for (const r of rows) assert.isTrue(r.ops_per_sec > 0)
        // the same ring: today's client, with the shards named as the worker names them, puts every key of the
        // workload on the server the baseline's ring (which hashed each shard's endpoint) puts it on
        const dir = /from (\S+)/.exec(ran.stderr)?.[1]
        assert.isDefined(dir, ran.stderr)
        const urls = ["redis://127.0.0.1:6390", "unix:///tmp/fx/a.sock", "redis://127.0.0.1:6391"]
        const job = { client: "fxredis", workload: "sharded", duration: 100, urls } as const
        const shards = shardsOf(job).map((s) => (typeof s === "string" ? s : s.name))
        const nodes = shards.map((name) => ({ name, run: () => Effect.void }))
        const today = RedisSharded.make(nodes, { names: shards })
        const placed = KEYS.map((k) => today.nodeOf(k).name)
        // the baseline's ring, in a Node process of its own (its sources are not part of this build), over nodes named
        // as the baseline named them: its own format of each URL's endpoint
        const script = `
          const { make } = await import(${JSON.stringify(`${dir}/packages/client/src/RedisSharded.ts`)})
          const { format, parseUrlResult } = await import(${JSON.stringify(`${dir}/packages/transport/src/Endpoint.ts`)})
          const nodes = ${JSON.stringify(urls)}.map((url) => ({ name: format(parseUrlResult(url).success.endpoint), run: () => undefined }))
          const ring = make(nodes)
          console.log(JSON.stringify(${JSON.stringify(KEYS)}.map((k) => ring.nodeOf(k).name)))`
        const before = yield* Effect.promise(
          () =>
            new Promise<string>((resolve, reject) =>
              execFile(process.execPath, ["--input-type=module", "-e", script], (error, stdout) =>
                error === null ? resolve(stdout) : reject(error)
              )
            )
        )
        assert.deepStrictEqual(placed, JSON.parse(before))
        // and the keys are spread: every shard gets some
        assert.strictEqual(new Set(placed).size, 3)
      }),
    60_000
  )

  it.live(
    "cluster rows: TCP only, on a fresh 3-primary cluster per measurement; the baseline (no cluster client) is n/a",
    () =>
      Effect.gen(function* () {
        const clients = "fxredis,baseline,ioredis,node-redis,glide"
        const args = ["--json", "--no-svg", "--rounds", "1", "--duration", "100", "--clients", clients]
        const ran = yield* run("client.ts", [...args, "--workloads", "seq,cluster-mget100"])
        assert.strictEqual(ran.code, 0, ran.stderr)
        const rows = jsonLines(ran.stdout)
        const names = ["fxredis", "fxredis@ff182a9", "ioredis", "node-redis", "glide"]
        assert.deepStrictEqual(
          rows.map((r) => `${r.workload} ${r.transport} ${r.client}`),
          [
            ...["unix", "tcp"].flatMap((t) => names.map((c) => `seq ${t} ${c}`)),
            ...names.map((c) => `cluster-mget100 tcp ${c}`)
          ]
        )
        const clustered = rows.filter((r) => r.workload === "cluster-mget100")
        const baseline = clustered.find((r) => r.client === "fxredis@ff182a9")
        assert.strictEqual(baseline.status, "n/a")
        assert.strictEqual(baseline.note, "this version has no cluster client")
        for (const r of clustered.filter((r) => r !== baseline)) {
          assert.strictEqual(r.status, "ok", `${r.client}: ${r.note}`)
          assert.isTrue(r.ops_per_sec > 0)
          assert.isNumber(r.vs_best_peer)
          assert.isNull(r.vs_baseline)
        }
        assert.strictEqual(
          Math.max(...clustered.filter((r) => !r.client.startsWith("fxredis")).map((r) => r.vs_best_peer)),
          1
        )
        assert.include(ran.stderr, "round 1 cluster-mget100 tcp glide")
      }),
    120_000
  )

  it.live("an unknown baseline is skipped with a message; the run goes on without its column", () =>
    Effect.gen(function* () {
      const args = ["--quick", "--json", "--no-svg", "--workloads", "seq", "--duration", "50"]
      const ran = yield* run("client.ts", [...args, "--clients", "fxredis,baseline", "--baseline", "no-such-rev"])
      assert.strictEqual(ran.code, 0, ran.stderr)
      assert.include(ran.stderr, "baseline fxredis@no-such-rev skipped: no-such-rev is not a commit")
      const rows = jsonLines(ran.stdout)
      assert.deepStrictEqual(
        rows.map((r) => r.client),
        ["fxredis"]
      )
      assert.isNull(rows[0].vs_baseline)
    })
  )

  it.live(
    "each worker loads only its own client's packages",
    () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make()
        const root = fileURLToPath(new URL("../../../", import.meta.url))
        const packagesOf = (client: string, copy?: Copy | Skipped) =>
          Effect.map(
            run(
              "worker.ts",
              [client, "seq", "30", server.urls.tcp],
              ["--import", src("loaded-packages.ts")],
              copy === undefined ? {} : "dir" in copy ? { BENCH_FXREDIS_DIR: copy.dir } : assert.fail(copy.skipped)
            ),
            (ran) => {
              assert.strictEqual(ran.code, 0, ran.stderr)
              assert.isTrue(jsonLines(ran.stdout)[0].ops > 0)
              return new Set<string>(jsonLines(ran.stderr).find((l) => "packages" in l).packages)
            }
          )
        /** the fxredis packages loaded, and where from */
        const fxredisOf = (loaded: Set<string>) =>
          [...loaded].filter((p) => p.startsWith("@fxredis/") && p !== "@fxredis/bench").sort()
        const clientPackages = ["ioredis", "redis", "@valkey/valkey-glide", "@fxredis/client", "@opentelemetry/api"]
        const only = (loaded: Set<string>, own: ReadonlyArray<string>) =>
          assert.deepStrictEqual(
            clientPackages.filter((p) => loaded.has(p)),
            own
          )
        const ioredis = yield* packagesOf("ioredis")
        only(ioredis, ["ioredis"])
        assert.isFalse(ioredis.has("effect"))
        only(yield* packagesOf("node-redis"), ["redis"])
        only(yield* packagesOf("glide"), ["@valkey/valkey-glide"])
        only(yield* packagesOf("fxredis"), ["@fxredis/client"])
        only(yield* packagesOf("fxredis+otel"), ["@fxredis/client", "@opentelemetry/api"])
        // the baseline runs the extracted copy of every fxredis package, the snapshot the copied work tree
        const old = yield* packagesOf("fxredis@ff182a9", prepareBaseline(root, "ff182a9"))
        only(old, [])
        assert.deepStrictEqual(fxredisOf(old), [
          "@fxredis/client@baseline",
          "@fxredis/protocol@baseline",
          "@fxredis/transport@baseline"
        ])
        const snapshot = yield* packagesOf("fxredis", prepareSnapshot(root))
        only(snapshot, [])
        assert.deepStrictEqual(fxredisOf(snapshot), [
          "@fxredis/client@snapshot",
          "@fxredis/protocol@snapshot",
          "@fxredis/transport@snapshot"
        ])
      }),
    60_000
  )
})

describe("pnpm bench:codec", () => {
  it.live(
    "--json prints the ratio of every case against both peers",
    () =>
      Effect.gen(function* () {
        const ran = yield* run("codec.ts", ["--json", "--rounds", "1", "--quick"])
        assert.strictEqual(ran.code, 0, ran.stderr)
        const rows = jsonLines(ran.stdout)
        assert.isTrue(rows.length >= 8)
        for (const row of rows) {
          assert.containsAllKeys(row, ["case", "peer", "ratio"])
          assert.isTrue(row.ratio > 0)
        }
      }),
    60_000
  )
})
