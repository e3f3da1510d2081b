/**
 * What every measured client shares: the workloads, the timing loop and the result a worker prints. No imports, so
 * that loading it adds nothing to a worker's peak RSS beyond its own client's modules.
 */

/** the clients `pnpm bench` knows, in the default order; `fxredis@<rev>` (the baseline) is added by `--baseline` */
export const CLIENTS = [
  "fxredis",
  "fxredis+effect-tracer",
  "fxredis+otel",
  "fxredis+metrics",
  "ioredis",
  "ioredis-auto",
  "node-redis",
  "glide"
] as const

/** seq (SET+GET awaited one by one), inflight100 (100 GETs always in flight), mget100 (MGET of 100 keys, one at a
 * time), pool (100 in flight over 4 connections), sharded (MGET and MSET of 100 keys alternately over 3 servers) */
export const WORKLOADS = ["seq", "inflight100", "mget100", "pool", "sharded"] as const

export type Workload = (typeof WORKLOADS)[number]

/** what a worker is asked to measure */
export interface Job {
  readonly client: string
  readonly workload: Workload
  readonly duration: number
  readonly urls: ReadonlyArray<string>
}

/** what a worker prints (one JSON line); `spans` and `metricSamples` only where the client records them */
export interface Measured {
  readonly ops: number
  readonly seconds: number
  /** commands sent by the measured loops, warmup included (the denominator of spans per command) */
  readonly commands: number
  readonly spans?: number | undefined
  readonly metricSamples?: number | undefined
  /** for fxredis: which copy of its packages ran (`workspace`, `snapshot`, `baseline`) */
  readonly source?: string | undefined
}

/** a client that cannot run this job (GLIDE over a UNIX socket): the row says n/a */
export interface Unsupported {
  readonly unsupported: string
}

export const KEYS = Array.from({ length: 100 }, (_, i) => `bench:key:${i}`)
export const VALUE = "x".repeat(32)
export const PAIRS: ReadonlyArray<readonly [string, string]> = KEYS.map((k) => [k, VALUE] as const)

export const warmupOf = (duration: number) => Math.min(300, duration / 3)
/** loops running at once */
export const concurrencyOf = (workload: Workload) => (workload === "inflight100" || workload === "pool" ? 100 : 1)
/** commands (and counted ops) per step */
export const weightOf = (workload: Workload) => (workload === "seq" ? 2 : 1)

export const unixPath = (url: string) => (url.startsWith("unix://") ? url.slice("unix://".length) : undefined)
export const tcpPort = (url: string) => Number(new URL(url).port)

/** the interface every promise-based client is driven through */
export interface Driver {
  readonly set: (key: string, value: string) => Promise<unknown>
  readonly get: (key: string) => Promise<unknown>
  readonly mget: (keys: ReadonlyArray<string>) => Promise<unknown>
  readonly mset: (pairs: ReadonlyArray<readonly [string, string]>) => Promise<unknown>
  readonly close: () => Promise<void>
}

/** the same cheap hash for the peers' hand-made sharding (FNV-1a) */
const shardOf = (key: string, n: number) => {
  let h = 0x811c9dc5
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193)
  return (h >>> 0) % n
}

/** fan-out MGET/MSET by hand over several drivers, reassembled in order */
export const sharded = (shards: ReadonlyArray<Driver>): Driver => ({
  set: (k, v) => shards[shardOf(k, shards.length)].set(k, v),
  get: (k) => shards[shardOf(k, shards.length)].get(k),
  mget: async (keys) => {
    const groups = shards.map(() => [] as Array<number>)
    keys.forEach((k, i) => {
      groups[shardOf(k, shards.length)].push(i)
    })
    const replies = await Promise.all(
      groups.map((g, s) => (g.length === 0 ? Promise.resolve([]) : shards[s].mget(g.map((i) => keys[i]))))
    )
    const out = new Array(keys.length)
    groups.forEach((g, s) => {
      g.forEach((i, j) => {
        out[i] = (replies[s] as Array<unknown>)[j]
      })
    })
    return out
  },
  mset: (pairs) => {
    const groups = shards.map(() => [] as Array<readonly [string, string]>)
    for (const p of pairs) groups[shardOf(p[0], shards.length)].push(p)
    return Promise.all(groups.map((g, s) => (g.length === 0 ? Promise.resolve() : shards[s].mset(g))))
  },
  close: async () => {
    await Promise.all(shards.map((s) => s.close()))
  }
})

/** several connections used in turn */
export const roundRobin = (drivers: ReadonlyArray<Driver>): Driver => {
  let next = 0
  const pick = () => drivers[next++ % drivers.length]
  return {
    set: (k, v) => pick().set(k, v),
    get: (k) => pick().get(k),
    mget: (keys) => pick().mget(keys),
    mset: (pairs) => pick().mset(pairs),
    close: async () => {
      await Promise.all(drivers.map((d) => d.close()))
    }
  }
}

/** runs `step` (one call = `weight` ops) from `concurrency` loops for warmup + duration; ops/s of the timed part */
const drive = async (step: () => Promise<unknown>, job: Job): Promise<Measured> => {
  const weight = weightOf(job.workload)
  let counting = false
  let ops = 0
  let commands = 0
  let stop = false
  const loop = async () => {
    while (!stop) {
      await step()
      commands += weight
      if (counting) ops += weight
    }
  }
  const loops = Array.from({ length: concurrencyOf(job.workload) }, loop)
  await new Promise((r) => setTimeout(r, warmupOf(job.duration)))
  counting = true
  const start = performance.now()
  await new Promise((r) => setTimeout(r, job.duration))
  const seconds = (performance.now() - start) / 1000
  counting = false
  stop = true
  await Promise.all(loops)
  return { ops, seconds, commands }
}

/**
 * Measures a promise-based client: `open` dials one connection; `openPool` (when the client has its own pool) dials
 * `size` connections behind one driver, else the pool workload uses `open` four times round-robin.
 */
export const runPeer = async (
  job: Job,
  open: (url: string) => Promise<Driver | Unsupported>,
  openPool?: (url: string, size: number) => Promise<Driver>
): Promise<Measured | Unsupported> => {
  const connect = async (): Promise<Driver | Unsupported> => {
    if (job.workload === "pool" && openPool !== undefined) return openPool(job.urls[0], 4)
    const urls =
      job.workload === "sharded"
        ? job.urls
        : job.workload === "pool"
          ? [0, 1, 2, 3].map(() => job.urls[0])
          : [job.urls[0]]
    const opened = await Promise.all(urls.map(open))
    const unsupported = opened.find((d): d is Unsupported => "unsupported" in d)
    if (unsupported !== undefined) return unsupported
    const drivers = opened as Array<Driver>
    return job.workload === "sharded" ? sharded(drivers) : job.workload === "pool" ? roundRobin(drivers) : drivers[0]
  }
  const driver = await connect()
  if ("unsupported" in driver) return driver
  await driver.mset(PAIRS)
  let i = 0
  const step: () => Promise<unknown> =
    job.workload === "seq"
      ? async () => {
          await driver.set("bench:seq", VALUE)
          await driver.get("bench:seq")
        }
      : job.workload === "mget100"
        ? () => driver.mget(KEYS)
        : job.workload === "sharded"
          ? () => (i++ % 2 === 0 ? driver.mget(KEYS) : driver.mset(PAIRS))
          : () => driver.get(KEYS[i++ % 100])
  const result = await drive(step, job)
  await driver.close()
  return result
}
