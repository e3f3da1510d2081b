/**
 * One measurement in its own process: one client, one workload, against the servers named on the command line.
 * Only that client's modules are loaded (a dynamic import per client), so the peak RSS it reports is its own.
 * Prints one JSON line: `{ ops, seconds, commands, spans?, metricSamples?, rss_mb }`, or `{ unsupported }`. Run with
 * `node --import ./loaded-packages.ts` it also lists the packages it loaded, which is how a test checks the above.
 *
 *   node worker.ts <client> <workload> <durationMs> <url> [<url> …]
 *
 * Clients: see `CLIENTS` in harness.ts, and `fxredis@<rev>`; the fxredis ones load the copy of the packages named by
 * `BENCH_FXREDIS_DIR` (the run's snapshot, or the baseline) when it is set.
 */
import { type Job, type Measured, type Unsupported, WORKLOADS, type Workload } from "./harness.ts"

const load = (client: string): Promise<{ readonly run: (job: Job) => Promise<Measured | Unsupported> }> => {
  if (client === "fxredis" || client.startsWith("fxredis+") || client.startsWith("fxredis@"))
    return import("./clients/fxredis.ts")
  if (client === "ioredis" || client === "ioredis-auto") return import("./clients/ioredis.ts")
  if (client === "node-redis") return import("./clients/node-redis.ts")
  if (client === "glide") return import("./clients/glide.ts")
  return Promise.reject(new Error(`unknown client ${client}`))
}

const main = async () => {
  const [client, workload, durationText, ...urls] = process.argv.slice(2)
  if (!(WORKLOADS as ReadonlyArray<string>).includes(workload)) throw new Error(`unknown workload ${workload}`)
  const module = await load(client)
  const result = await module.run({ client, workload: workload as Workload, duration: Number(durationText), urls })
  const rss_mb = Math.round(process.resourceUsage().maxRSS / 1024)
  process.stdout.write(`${JSON.stringify("unsupported" in result ? result : { ...result, rss_mb })}\n`)
  process.exit(0)
}

main().catch((error) => {
  process.stderr.write(`${String(error?.stack ?? error)}\n`)
  process.exit(1)
})
