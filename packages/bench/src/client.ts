/**
 * `pnpm bench`: fxredis beside its previous landed version (the baseline), its traced and metered variants, and
 * the peers — ioredis (with and without auto-pipelining), node-redis and Valkey GLIDE — the same workloads over UNIX
 * and over TCP, in one run, and (`--cluster`) over a Redis Cluster of 3 primaries, TCP only. Each measurement runs in
 * its own process (which loads only its own client) against its own fresh redis-server(s) or cluster; clients are interleaved (A B C … A B C …) over several rounds and the median is
 * reported, with each process' peak RSS, as ratios: against the best peer, against the baseline, and (for the
 * variants) against plain fxredis. Also writes a bar chart of the ratios as SVG. Not a test: absolute numbers on a
 * shared 2-core machine are noise, the ratios are the result. `--help` for the options.
 */
import { execFile, execFileSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { RedisCluster, RedisServer } from "@fxredis/testing"
import { Effect } from "effect"
import { prepareBaseline, prepareSnapshot, workTreeState } from "./baseline.ts"
import { renderChart } from "./chart.ts"
import {
  CLIENTS,
  CLUSTER_PRIMARIES,
  CLUSTER_WORKLOADS,
  isCluster,
  type Measured,
  SERVER_WORKLOADS,
  type Unsupported,
  WORKLOADS
} from "./harness.ts"

const ROOT = fileURLToPath(new URL("../../../", import.meta.url))
const TRANSPORTS = ["unix", "tcp"] as const
type Transport = (typeof TRANSPORTS)[number]
const DEFAULT_BASELINE = "ff182a9"

const USAGE = `Usage: pnpm bench [options]

Runs every client on every workload and transport, each measurement in its own process against its own
redis-server (or Redis Cluster), interleaved over rounds; prints medians, peak RSS and ratios, and writes a bar
chart (SVG).

Options:
  --rounds N          interleaved rounds (default 3; 1 with --quick)
  --duration MS       timed part of each measurement in ms, after an untimed warmup of min(1000, MS) (default 1000; 150 with --quick)
  --workloads LIST    comma-separated, of: ${SERVER_WORKLOADS.join(", ")},
                      ${CLUSTER_WORKLOADS.join(", ")}
                      (default the single-server ones; seq,inflight100 with --quick)
  --cluster           add the cluster workloads (${CLUSTER_WORKLOADS.join(", ")}) to the others
                      (not in the default run: each cluster measurement forms its own cluster, about 8 more minutes)
  --transports LIST   of: ${TRANSPORTS.join(", ")} (default both; unix with --quick); for the single-server workloads:
                      the cluster ones run over TCP only (cluster nodes announce TCP addresses), and a --transports
                      without tcp refuses them
  --clients LIST      of: ${CLIENTS.join(", ")}, baseline (or fxredis@<rev>)
                      (default all; glide is n/a over UNIX: it dials TCP only)
  --baseline REV      the earlier fxredis the baseline column runs, extracted from git (default ${DEFAULT_BASELINE})
  --no-baseline       leave the baseline column out
  --json              one JSON object per row on stdout instead of the table
  --svg PATH          where the chart goes (default build/bench.svg)
  --no-svg            write no chart
  --live              run the fxredis rows on the live work tree, not on a snapshot of it taken when the run
                      starts (the snapshot keeps a run on one state while others edit the client)
  --quick             a smoke run (see the defaults above)
  --cpu-prof          CPU profiles of the fxredis workers, in bench-profiles/
  --pin               every client on the first core and its server(s) on the last (taskset): on a small machine the
                      two otherwise compete for cores and ratios swing by 20%; refused where taskset or a second core
                      is missing
  --help              this text

Clients: fxredis (defaults: no tracer, no command metrics); fxredis+effect-tracer (tracing: true, Effect's own spans,
recorded by a counting sink); fxredis+otel (tracing: true, @effect/opentelemetry on an OpenTelemetry SDK provider
exporting every span to a counting exporter); fxredis+metrics (commandMetrics: true); fxredis@<rev> (the baseline);
ioredis; ioredis-auto (enableAutoPipelining); node-redis; glide (@valkey/valkey-glide).
Workloads: seq (SET+GET awaited one by one), inflight100 (100 GETs always in flight), mget100 (MGET of 100 keys),
pool (100 in flight over 4 connections), sharded (MGET and MSET of 100 keys alternately over 3 servers).
Cluster workloads, each against its own fresh cluster of ${CLUSTER_PRIMARIES} primaries (about 3 s to form): cluster-inflight100
(100 GETs in flight, the keys spread over slots), cluster-mget100 (MGET of 100 keys across slots), cluster-seq (SET+GET
one at a time). fxredis runs Redis.cluster, ioredis and ioredis-auto its Cluster (which refuses cross-slot MGET: split
by slot by hand, the parts run concurrently), node-redis createCluster and glide GlideClusterClient (both split
cross-slot MGET by themselves). A baseline without a cluster client is n/a there.
`

class UsageError extends Error {}

interface Settings {
  readonly rounds: number
  readonly duration: number
  readonly workloads: ReadonlyArray<(typeof WORKLOADS)[number]>
  readonly transports: ReadonlyArray<Transport>
  /** the clients, the baseline written as `baseline` */
  readonly clients: ReadonlyArray<string>
  readonly baseline: string | undefined
  readonly json: boolean
  readonly svg: string | undefined
  readonly cpuProf: boolean
  readonly live: boolean
  /** the client on the first core, the servers on the last (`--pin`) */
  readonly pin: boolean
}

const FLAGS = new Set(["json", "quick", "cpu-prof", "help", "no-baseline", "no-svg", "live", "cluster", "pin"])
const OPTIONS = new Set(["rounds", "duration", "workloads", "transports", "clients", "baseline", "svg"])

const parse = (argv: ReadonlyArray<string>): Settings | "help" => {
  const flags = new Set<string>()
  const options = new Map<string, string>()
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    const name = arg.startsWith("--") ? arg.slice(2) : undefined
    if (name !== undefined && FLAGS.has(name)) flags.add(name)
    else if (name !== undefined && OPTIONS.has(name)) {
      const value = argv[i + 1]
      if (value === undefined || value.startsWith("--")) throw new UsageError(`--${name} needs a value`)
      options.set(name, value)
      i++
    } else throw new UsageError(`unknown argument ${arg}`)
  }
  if (flags.has("help")) return "help"
  const quick = flags.has("quick")
  const count = (name: string, fallback: number) => {
    const text = options.get(name)
    if (text === undefined) return fallback
    const n = Number(text)
    if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${name} must be a positive integer, not ${text}`)
    return n
  }
  const list = <A extends string>(
    name: string,
    known: ReadonlyArray<A>,
    fallback: string,
    given = options.get(name)
  ) => {
    const values = (given ?? fallback).split(",").filter((v) => v !== "")
    const unknown = values.filter((v) => !(known as ReadonlyArray<string>).includes(v))
    if (unknown.length > 0)
      throw new UsageError(`unknown ${name} ${unknown.map((v) => `"${v}"`).join(", ")}; known: ${known.join(", ")}`)
    if (values.length === 0) throw new UsageError(`--${name} is empty`)
    return [...new Set(values)] as Array<A>
  }
  let baseline: string | undefined = flags.has("no-baseline")
    ? undefined
    : (options.get("baseline") ?? DEFAULT_BASELINE)
  if (flags.has("no-baseline") && options.has("baseline")) throw new UsageError("--baseline and --no-baseline conflict")
  if (flags.has("pin") && !canPin()) throw new UsageError("--pin needs taskset and at least two cores")
  const requested = (options.get("clients") ?? [...CLIENTS.slice(0, 1), "baseline", ...CLIENTS.slice(1)].join(","))
    .split(",")
    .filter((v) => v !== "")
    .map((client) => {
      if (!client.startsWith("fxredis@")) return client
      const rev = client.slice("fxredis@".length)
      if (options.has("baseline") && rev !== options.get("baseline"))
        throw new UsageError(`--clients ${client} and --baseline ${options.get("baseline")} name different baselines`)
      if (rev === "") throw new UsageError(`--clients ${client}: which commit?`)
      baseline = rev
      return "baseline"
    })
  const clients = list("clients", [...CLIENTS, "baseline"], "", requested.join(","))
  if (options.has("clients") && clients.includes("baseline") && baseline === undefined)
    throw new UsageError("--clients names the baseline but --no-baseline leaves it out")
  const named = list("workloads", WORKLOADS, quick ? "seq,inflight100" : SERVER_WORKLOADS.join(","))
  const workloads = flags.has("cluster") ? [...new Set([...named, ...CLUSTER_WORKLOADS])] : named
  const clustered = workloads.some(isCluster)
  const transports = list("transports", TRANSPORTS, quick ? "unix" : TRANSPORTS.join(","))
  if (clustered && options.has("transports") && !transports.includes("tcp"))
    throw new UsageError(
      "the cluster workloads run over TCP only (cluster nodes announce TCP addresses): add tcp to --transports"
    )
  return {
    rounds: count("rounds", quick ? 1 : 3),
    duration: count("duration", quick ? 150 : 1000),
    workloads,
    transports,
    clients: baseline === undefined ? clients.filter((c) => c !== "baseline") : clients,
    baseline,
    json: flags.has("json"),
    svg: flags.has("no-svg") ? undefined : Path.resolve(options.get("svg") ?? Path.join(ROOT, "build", "bench.svg")),
    cpuProf: flags.has("cpu-prof"),
    pin: flags.has("pin"),
    live: flags.has("live")
  }
}

type Sample = (Measured & { readonly rss_mb: number }) | Unsupported | { readonly failed: string }

const worker = fileURLToPath(new URL("./worker.ts", import.meta.url))

/** moves a running process to one core (`taskset -cp`) */
const pinTo = (core: string, pid: number) => {
  execFileSync("taskset", ["-cp", core, String(pid)], { stdio: "ignore" })
}

/** whether `--pin` can work here: `taskset` present and at least two cores */
const canPin = (): boolean => {
  if (Os.availableParallelism() < 2) return false
  try {
    execFileSync("taskset", ["-p", String(process.pid)], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
}

const measure = (
  settings: Settings,
  client: string,
  workload: string,
  kind: Transport,
  env: Record<string, string | undefined>
) =>
  Effect.scoped(
    Effect.gen(function* () {
      const cluster = isCluster(workload) ? yield* RedisCluster.make({ primaries: CLUSTER_PRIMARIES }) : undefined
      const servers =
        cluster !== undefined
          ? cluster.nodes.map((n) => n.server)
          : yield* Effect.forEach(Array.from({ length: workload === "sharded" ? 3 : 1 }), () => RedisServer.make())
      const urls =
        cluster !== undefined
          ? cluster.seeds.map((s) => `redis://${s.host}:${s.port}`)
          : servers.map((s) => s.urls[kind])
      // --pin: the servers on the last core, the client on the first, so that neither takes the other's core
      if (settings.pin) for (const s of servers) pinTo(String(Os.availableParallelism() - 1), s.pid())
      const nodeArgs = client === "fxredis" && settings.cpuProf ? ["--cpu-prof", "--cpu-prof-dir=bench-profiles"] : []
      const args = [...nodeArgs, worker, client, workload, String(settings.duration), ...urls]
      return yield* Effect.callback<Sample>((resume) => {
        execFile(
          settings.pin ? "taskset" : process.execPath,
          settings.pin ? ["-c", "0", process.execPath, ...args] : args,
          { timeout: settings.duration * 10 + 30_000, env: { ...process.env, ...env } },
          (error, stdout, stderr) => {
            const last = stdout.trim().split("\n").pop() ?? ""
            if (error === null && last.startsWith("{")) resume(Effect.succeed(JSON.parse(last) as Sample))
            else {
              const why = (stderr.trim().split("\n").slice(-3).join(" | ") || error?.message || "no output").slice(
                0,
                400
              )
              resume(Effect.succeed({ failed: why }))
            }
          }
        )
      })
    })
  )

/** the transports a workload runs over: cluster workloads over TCP only (`parse` refuses `--transports` without it) */
const transportsOf = (settings: Settings, workload: string): ReadonlyArray<Transport> =>
  isCluster(workload) ? ["tcp"] : settings.transports

const median = (xs: ReadonlyArray<number>) =>
  xs.length === 0 ? Number.NaN : [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const ratio = (a: number, b: number) =>
  Number.isFinite(a) && Number.isFinite(b) && b > 0 ? Number((a / b).toFixed(3)) : null

/** one row of the result (one JSON line with `--json`) */
interface Row {
  readonly workload: string
  readonly transport: Transport
  readonly client: string
  readonly status: "ok" | "n/a" | "failed"
  readonly note: string | null
  readonly ops_per_sec: number | null
  readonly peak_rss_mb: number | null
  /** the ratios are medians over rounds of the ratio within each round (measured seconds apart) */
  readonly unix_over_tcp: number | null
  /** ops/s ÷ the best peer's (non-fxredis clients) on the same workload and transport */
  readonly vs_best_peer: number | null
  /** ops/s ÷ the baseline's (`fxredis@<rev>`) */
  readonly vs_baseline: number | null
  /** operations per CPU-second of the client process (median over rounds): what each operation costs the client */
  readonly ops_per_cpu_sec: number | null
  /** ops per CPU-second ÷ the baseline's, paired by round as the others: > 1 means fewer CPU cycles per operation */
  readonly cpu_vs_baseline: number | null
  /** for the variants (`fxredis+…`): ops/s ÷ plain fxredis' */
  readonly vs_fxredis: number | null
  /** for the traced variants: spans recorded ÷ commands sent */
  readonly spans_per_command: number | null
  /** for `fxredis+metrics`: samples in `fxredis.command.duration` ÷ commands sent */
  readonly metric_samples_per_command: number | null
  /** for the fxredis rows: which copy of its packages ran (`snapshot` of the work tree, `baseline`, `workspace`) */
  readonly source: string | null
}

const rowsOf = (
  settings: Settings,
  samples: Map<string, Array<Sample>>,
  clients: ReadonlyArray<string>,
  baselineClient: string | undefined
): Array<Row> => {
  const measured = (workload: string, kind: string, client: string) =>
    (samples.get(`${workload}|${kind}|${client}`) ?? []).filter((s): s is Measured & { rss_mb: number } => "ops" in s)
  const opsOf = (workload: string, kind: string, client: string) =>
    median(measured(workload, kind, client).map((x) => x.ops / x.seconds))
  /** ops/s of each round (NaN where not measured): rounds line up, since every client runs once per round */
  const perRound = (
    workload: string,
    kind: string,
    client: string,
    seconds: (m: Measured) => number | undefined = (m) => m.seconds
  ) =>
    (samples.get(`${workload}|${kind}|${client}`) ?? []).map((s) => {
      if (!("ops" in s)) return Number.NaN
      const t = seconds(s)
      return t !== undefined && t > 0 ? s.ops / t : Number.NaN
    })
  /** ops per CPU-second of each round (NaN where not measured, or the client reported no CPU time) */
  const perCpuRound = (workload: string, kind: string, client: string) =>
    perRound(workload, kind, client, (m) => m.cpu_seconds)
  /** the median over rounds of x ÷ ref in the same round: neighbours in time share the machine's load */
  const paired = (xs: ReadonlyArray<number>, refs: ReadonlyArray<number>) => {
    const rs = xs.map((x, i) => (refs[i] > 0 ? x / refs[i] : Number.NaN)).filter(Number.isFinite)
    return rs.length === 0 ? null : ratio(median(rs), 1)
  }
  const perCommand = (xs: ReadonlyArray<Measured>, pick: (m: Measured) => number | undefined) => {
    const values = xs.map((m) => pick(m)).filter((v): v is number => v !== undefined)
    return values.length === 0 ? null : ratio(median(xs.map((m) => (pick(m) ?? 0) / Math.max(1, m.commands))), 1)
  }
  const rows: Array<Row> = []
  for (const workload of settings.workloads) {
    for (const kind of transportsOf(settings, workload)) {
      const peers = clients.filter((c) => !c.startsWith("fxredis")).map((p) => perRound(workload, kind, p))
      const best = Array.from({ length: settings.rounds }, (_, r) => {
        const ops = peers.map((p) => p[r]).filter((x) => x !== undefined && Number.isFinite(x))
        return ops.length === 0 ? Number.NaN : Math.max(...ops)
      })
      const plain = perRound(workload, kind, "fxredis")
      const base = baselineClient === undefined ? [] : perRound(workload, kind, baselineClient)
      const baseCpu = baselineClient === undefined ? [] : perCpuRound(workload, kind, baselineClient)
      for (const client of clients) {
        const all = samples.get(`${workload}|${kind}|${client}`) ?? []
        const ok = measured(workload, kind, client)
        const unsupported = all.find((s): s is Unsupported => "unsupported" in s)
        const failed = all.find((s): s is { failed: string } => "failed" in s)
        const ops = opsOf(workload, kind, client)
        const rounds = perRound(workload, kind, client)
        const cpuRounds = perCpuRound(workload, kind, client)
        const perCpu = median(cpuRounds.filter(Number.isFinite))
        rows.push({
          workload,
          transport: kind,
          client,
          status: ok.length > 0 ? "ok" : unsupported !== undefined ? "n/a" : "failed",
          note: unsupported?.unsupported ?? failed?.failed ?? null,
          ops_per_sec: Number.isFinite(ops) ? Math.round(ops) : null,
          peak_rss_mb: ok.length > 0 ? median(ok.map((x) => x.rss_mb)) : null,
          unix_over_tcp: paired(perRound(workload, "unix", client), perRound(workload, "tcp", client)),
          vs_best_peer: paired(rounds, best),
          vs_baseline: paired(rounds, base),
          ops_per_cpu_sec: Number.isFinite(perCpu) ? Math.round(perCpu) : null,
          cpu_vs_baseline: paired(cpuRounds, baseCpu),
          vs_fxredis: client.startsWith("fxredis+") ? paired(rounds, plain) : null,
          spans_per_command: perCommand(ok, (m) => m.spans),
          metric_samples_per_command: perCommand(ok, (m) => m.metricSamples),
          source: ok[0]?.source ?? null
        })
      }
    }
  }
  return rows
}

const times = (x: number | null) => (x === null ? "" : `${x.toFixed(2)}×`)

const markdown = (header: ReadonlyArray<string>, lines: ReadonlyArray<ReadonlyArray<string>>, leftColumns: number) => {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)))
  const line = (cells: ReadonlyArray<string>) =>
    `| ${cells.map((c, i) => (i < leftColumns ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" | ")} |\n`
  return [
    line(header),
    `|${widths.map((w, i) => (i < leftColumns ? "-".repeat(w + 2) : `${"-".repeat(w + 1)}:`)).join("|")}|\n`,
    ...lines.map(line)
  ].join("")
}

const table = (rows: ReadonlyArray<Row>, baselineClient: string | undefined) =>
  markdown(
    [
      "workload",
      "transport",
      "client",
      "ops/s",
      "peak RSS MB",
      "UNIX/TCP",
      "÷ best peer",
      `÷ ${baselineClient ?? "baseline"}`,
      "ops/CPU-s",
      "ops/CPU-s ÷ baseline",
      "÷ fxredis",
      "recorded/cmd"
    ],
    rows.map((r) => [
      r.workload,
      r.transport,
      r.client,
      r.status === "ok" ? (r.ops_per_sec ?? 0).toLocaleString("en-US") : r.status,
      r.peak_rss_mb === null ? "" : String(r.peak_rss_mb),
      times(r.unix_over_tcp),
      times(r.vs_best_peer),
      times(r.vs_baseline),
      r.ops_per_cpu_sec === null ? "" : r.ops_per_cpu_sec.toLocaleString("en-US"),
      times(r.cpu_vs_baseline),
      times(r.vs_fxredis),
      (r.spans_per_command ?? r.metric_samples_per_command)?.toFixed(2) ?? ""
    ]),
    3
  )

/** per workload and transport: fxredis against the best peer and the baseline, and what each variant costs */
const summary = (rows: ReadonlyArray<Row>, clients: ReadonlyArray<string>, baselineClient: string | undefined) => {
  const variants = clients.filter((c) => c.startsWith("fxredis+"))
  const groups = [...new Set(rows.map((r) => `${r.workload}|${r.transport}`))]
  const find = (group: string, client: string) =>
    rows.find((r) => `${r.workload}|${r.transport}` === group && r.client === client)
  return markdown(
    [
      "workload",
      "transport",
      "fxredis ÷ best peer",
      ...(baselineClient === undefined ? [] : [`fxredis ÷ ${baselineClient}`, `ops/CPU-s ÷ ${baselineClient}`]),
      ...variants.map((v) => `${v} ÷ fxredis`)
    ],
    groups.map((group) => {
      const fx = find(group, "fxredis")
      return [
        ...group.split("|"),
        times(fx?.vs_best_peer ?? null),
        ...(baselineClient === undefined ? [] : [times(fx?.vs_baseline ?? null), times(fx?.cpu_vs_baseline ?? null)]),
        ...variants.map((v) => times(find(group, v)?.vs_fxredis ?? null))
      ]
    }),
    2
  )
}

const program = (settings: Settings) =>
  Effect.gen(function* () {
    let baselineClient: string | undefined
    const dirs = new Map<string, string>()
    if (settings.baseline !== undefined && settings.clients.includes("baseline")) {
      const prepared = prepareBaseline(ROOT, settings.baseline)
      if ("skipped" in prepared) process.stderr.write(`${prepared.skipped}\n`)
      else {
        baselineClient = prepared.client
        dirs.set(prepared.client, prepared.dir)
        process.stderr.write(`baseline ${prepared.client} = ${prepared.state.slice(0, 12)}, from ${prepared.dir}\n`)
      }
    }
    const clients = settings.clients.flatMap((c) =>
      c !== "baseline" ? [c] : baselineClient === undefined ? [] : [baselineClient]
    )
    let measured = `live work tree at ${workTreeState(ROOT)}`
    if (!settings.live && clients.some((c) => c === "fxredis" || c.startsWith("fxredis+"))) {
      const snapshot = prepareSnapshot(ROOT)
      if ("skipped" in snapshot) process.stderr.write(`${snapshot.skipped}\n`)
      else {
        for (const c of clients) if (c === "fxredis" || c.startsWith("fxredis+")) dirs.set(c, snapshot.dir)
        measured = `snapshot of ${snapshot.state}`
      }
    }
    process.stderr.write(`fxredis: ${measured}\n`)
    const samples = new Map<string, Array<Sample>>()
    const total =
      settings.rounds *
      clients.length *
      settings.workloads.reduce((n, workload) => n + transportsOf(settings, workload).length, 0)
    let done = 0
    for (let round = 0; round < settings.rounds; round++) {
      for (const workload of settings.workloads) {
        for (const kind of transportsOf(settings, workload)) {
          for (const client of clients) {
            const key = `${workload}|${kind}|${client}`
            const previous = samples.get(key) ?? []
            done++
            if (previous.some((s) => "unsupported" in s)) continue
            const sample = yield* measure(settings, client, workload, kind, { BENCH_FXREDIS_DIR: dirs.get(client) })
            samples.set(key, [...previous, sample])
            const what =
              "ops" in sample
                ? `${Math.round(sample.ops / sample.seconds).toLocaleString("en-US")} ops/s`
                : "unsupported" in sample
                  ? `n/a (${sample.unsupported})`
                  : `FAILED: ${sample.failed}`
            process.stderr.write(`[${done}/${total}] round ${round + 1} ${workload} ${kind} ${client}: ${what}\n`)
          }
        }
      }
    }
    const rows = rowsOf(settings, samples, clients, baselineClient)
    if (measured.startsWith("live")) {
      const after = `live work tree at ${workTreeState(ROOT)}`
      if (after !== measured)
        measured = `${measured} (CHANGED during the run, now ${after.slice("live work tree at ".length)})`
    }
    const about = `fxredis: ${measured}; ops/s: medians of ${settings.rounds} interleaved round(s) of ${settings.duration} ms; ratios: medians of the per-round ratios; each client in its own process against its own server${settings.workloads.some(isCluster) ? ` (cluster rows: its own cluster of ${CLUSTER_PRIMARIES} primaries, TCP)` : ""}${settings.pin ? `; pinned: clients on core 0, servers on core ${Os.availableParallelism() - 1}` : ""}; Node ${process.versions.node}`
    if (settings.json) for (const row of rows) process.stdout.write(`${JSON.stringify(row)}\n`)
    else {
      const summed = clients.includes("fxredis") ? `${summary(rows, clients, baselineClient)}\n` : ""
      process.stdout.write(`${table(rows, baselineClient)}\n${summed}${about}\n`)
    }
    if (settings.svg !== undefined) {
      Fs.mkdirSync(Path.dirname(settings.svg), { recursive: true })
      Fs.writeFileSync(settings.svg, renderChart(rows, "fxredis and its peers: throughput ÷ best peer", about))
      ;(settings.json ? process.stderr : process.stdout).write(`chart: ${settings.svg}\n`)
    }
    return rows.some((r) => r.status === "failed") ? 1 : 0
  })

const main = () => {
  let settings: Settings | "help"
  try {
    settings = parse(process.argv.slice(2))
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    process.stderr.write(`pnpm bench: ${error.message}\n(pnpm bench --help for the options)\n`)
    process.exit(2)
  }
  if (settings === "help") {
    process.stdout.write(USAGE)
    process.exit(0)
  }
  Effect.runPromise(program(settings)).then(
    (code) => process.exit(code),
    (error) => {
      process.stderr.write(`${String(error)}\n`)
      process.exit(1)
    }
  )
}

main()
