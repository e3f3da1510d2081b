/**
 * `pnpm bench`: fxredis beside ioredis (with and without auto-pipelining) and node-redis, the same workloads over
 * UNIX and over TCP, in one run. Each measurement runs in its own process against its own fresh redis-server(s);
 * clients are interleaved (A B C D A B C D …) over several rounds and the median is reported, with each process'
 * peak RSS. Not a test: absolute numbers on a shared 2-core machine are noise, the ratios are the result.
 *
 *   node packages/bench/src/client.ts [--rounds 3] [--duration 1000] [--workloads seq,inflight100,mget100,pool,sharded]
 *                                     [--transports unix,tcp] [--clients fxredis,ioredis,ioredis-auto,node-redis]
 *                                     [--json] [--quick] [--cpu-prof]
 */
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import { RedisServer } from "@fxredis/testing"
import { Effect } from "effect"

const argv = process.argv.slice(2)
const flag = (name: string) => argv.includes(`--${name}`)
const option = (name: string, fallback: string) => {
  const at = argv.indexOf(`--${name}`)
  return at >= 0 && at + 1 < argv.length ? argv[at + 1] : fallback
}
const quick = flag("quick")
const json = flag("json")
const rounds = Number(option("rounds", quick ? "1" : "3"))
const duration = Number(option("duration", quick ? "150" : "1000"))
const workloads = option("workloads", quick ? "seq,inflight100" : "seq,inflight100,mget100,pool,sharded").split(",")
const transports = option("transports", quick ? "unix" : "unix,tcp").split(",") as Array<"unix" | "tcp">
const clients = option("clients", "fxredis,ioredis,ioredis-auto,node-redis").split(",")
const worker = fileURLToPath(new URL("./worker.ts", import.meta.url))

interface Sample {
  readonly ops: number
  readonly seconds: number
  readonly rss_mb: number
}

const measure = (client: string, workload: string, kind: "unix" | "tcp") =>
  Effect.scoped(
    Effect.gen(function* () {
      const servers = yield* Effect.forEach(Array.from({ length: workload === "sharded" ? 3 : 1 }), () =>
        RedisServer.make()
      )
      const nodeArgs = client === "fxredis" && flag("cpu-prof") ? ["--cpu-prof", "--cpu-prof-dir=bench-profiles"] : []
      const args = [...nodeArgs, worker, client, workload, String(duration), ...servers.map((s) => s.urls[kind])]
      return yield* Effect.callback<Sample, Error>((resume) => {
        execFile(process.execPath, args, { timeout: duration * 10 + 30_000 }, (error, stdout, stderr) => {
          if (error !== null)
            resume(Effect.fail(new Error(`${client} ${workload} ${kind}: ${stderr || error.message}`)))
          else resume(Effect.succeed(JSON.parse(stdout.trim().split("\n").pop()!) as Sample))
        })
      })
    })
  )

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

const program = Effect.gen(function* () {
  const samples = new Map<string, Array<Sample>>()
  const total = rounds * workloads.length * transports.length * clients.length
  let done = 0
  for (let round = 0; round < rounds; round++) {
    for (const workload of workloads) {
      for (const kind of transports) {
        for (const client of clients) {
          const sample = yield* measure(client, workload, kind)
          const key = `${workload}|${kind}|${client}`
          samples.set(key, [...(samples.get(key) ?? []), sample])
          done++
          process.stderr.write(
            `[${done}/${total}] round ${round + 1} ${workload} ${kind} ${client}: ${Math.round(sample.ops / sample.seconds).toLocaleString("en-US")} ops/s\n`
          )
        }
      }
    }
  }
  const rows = []
  for (const workload of workloads) {
    for (const kind of transports) {
      const opsOf = (client: string) => {
        const s = samples.get(`${workload}|${kind}|${client}`) ?? []
        return median(s.map((x) => x.ops / x.seconds))
      }
      const peers = clients.filter((c) => !c.startsWith("fxredis"))
      const best = peers.length === 0 ? Number.NaN : Math.max(...peers.map(opsOf))
      for (const client of clients) {
        const s = samples.get(`${workload}|${kind}|${client}`) ?? []
        const ops = opsOf(client)
        const unixOps = median((samples.get(`${workload}|unix|${client}`) ?? []).map((x) => x.ops / x.seconds))
        const tcpOps = median((samples.get(`${workload}|tcp|${client}`) ?? []).map((x) => x.ops / x.seconds))
        rows.push({
          workload,
          transport: kind,
          client,
          ops_per_sec: Math.round(ops),
          peak_rss_mb: median(s.map((x) => x.rss_mb)),
          unix_over_tcp: unixOps !== undefined && tcpOps !== undefined ? Number((unixOps / tcpOps).toFixed(2)) : null,
          fxredis_over_best_peer: client === "fxredis" && Number.isFinite(best) ? Number((ops / best).toFixed(2)) : null
        })
      }
    }
  }
  if (json) {
    for (const row of rows) process.stdout.write(`${JSON.stringify(row)}\n`)
    return
  }
  const header = ["workload", "transport", "client", "ops/s", "peak RSS MB", "UNIX/TCP", "fxredis/best peer"]
  const lines = rows.map((r) => [
    r.workload,
    r.transport,
    r.client,
    r.ops_per_sec.toLocaleString("en-US"),
    String(r.peak_rss_mb),
    r.unix_over_tcp === null ? "" : `${r.unix_over_tcp.toFixed(2)}×`,
    r.fxredis_over_best_peer === null ? "" : `${r.fxredis_over_best_peer.toFixed(2)}×`
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)))
  const print = (cells: ReadonlyArray<string>) =>
    process.stdout.write(
      `| ${cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" | ")} |\n`
    )
  print(header)
  process.stdout.write(`|${widths.map((w, i) => (i < 3 ? "-".repeat(w + 2) : `${"-".repeat(w + 1)}:`)).join("|")}|\n`)
  for (const l of lines) print(l)
  process.stdout.write(
    `\nmedians of ${rounds} interleaved rounds of ${duration} ms, each client in its own process against its own server; Node ${process.versions.node}\n`
  )
})

Effect.runPromise(program).catch((error) => {
  process.stderr.write(`${String(error)}\n`)
  process.exit(1)
})
