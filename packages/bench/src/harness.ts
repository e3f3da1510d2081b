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
export const SERVER_WORKLOADS = ["seq", "inflight100", "mget100", "pool", "sharded"] as const

/** the same shapes over a Redis Cluster of 3 primaries (TCP only: cluster nodes announce TCP addresses), with the
 * keys spread over slots: 100 GETs in flight, MGET of 100 keys across slots, SET+GET one at a time */
export const CLUSTER_WORKLOADS = ["cluster-inflight100", "cluster-mget100", "cluster-seq"] as const

export const WORKLOADS = [...SERVER_WORKLOADS, ...CLUSTER_WORKLOADS] as const

export type Workload = (typeof WORKLOADS)[number]

/** a workload over a Redis Cluster (`cluster-…`) */
export const isCluster = (workload: string): boolean => workload.startsWith("cluster-")

/** the single-server workload whose steps a workload repeats: `cluster-seq` → `seq` */
export const shapeOf = (workload: Workload): (typeof SERVER_WORKLOADS)[number] =>
  isCluster(workload)
    ? (workload.slice("cluster-".length) as (typeof SERVER_WORKLOADS)[number])
    : (workload as (typeof SERVER_WORKLOADS)[number])

/** the primaries of the cluster workloads' cluster */
export const CLUSTER_PRIMARIES = 3

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
  /** CPU seconds (user + system, every thread of the process) spent during the timed part: with `ops`, the client's
   * CPU cost per operation, which shared-machine noise (steal, a neighbour on the core) moves far less than ops/s */
  readonly cpu_seconds?: number | undefined
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

/**
 * The untimed start of each measurement, as long as its timed part up to 1 s: long enough for V8 to optimise the hot
 * path of every client. With 300 ms, the 1-s timed part still included part of the warmup, and a client with more code
 * to optimise (fxredis today beside ff182a9) measured 0.88–0.93× in it while measuring 0.99× over 3 s (pinned).
 */
export const warmupOf = (duration: number) => Math.min(1000, duration)
/** loops running at once */
export const concurrencyOf = (workload: Workload) =>
  shapeOf(workload) === "inflight100" || shapeOf(workload) === "pool" ? 100 : 1
/** commands (and counted ops) per step */
export const weightOf = (workload: Workload) => (shapeOf(workload) === "seq" ? 2 : 1)

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

const CRC16_TABLE = (() => {
  const table = new Uint16Array(256)
  for (let n = 0; n < 256; n++) {
    let crc = n << 8
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff
    table[n] = crc
  }
  return table
})()

const utf8 = new TextEncoder()

/**
 * The hash slot of a key, as Redis Cluster computes it (CRC16/XMODEM of the key, or of its `{hash tag}`, mod 16384):
 * what an ioredis user splits a cross-slot MGET with (ioredis itself uses the `cluster-key-slot` package).
 */
export const slotOf = (key: string): number => {
  const bytes = utf8.encode(key)
  let start = 0
  let end = bytes.length
  const open = bytes.indexOf(123)
  if (open >= 0) {
    const close = bytes.indexOf(125, open + 1)
    if (close > open + 1) {
      start = open + 1
      end = close
    }
  }
  let crc = 0
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ bytes[i]) & 0xff]
  return crc % 16384
}

/**
 * MGET/MSET split by hash slot, the parts run concurrently and MGET's replies put back in order: what a user of a
 * cluster client that refuses cross-slot commands (ioredis' `Cluster`) writes. Redis refuses a cross-slot MGET
 * even when every slot is on one node, so the parts are per slot, not per node.
 */
export const splitBySlot = (driver: Driver): Driver => {
  const groupsOf = (keys: ReadonlyArray<string>) => {
    const groups = new Map<number, Array<number>>()
    keys.forEach((key, i) => {
      const slot = slotOf(key)
      const group = groups.get(slot)
      if (group === undefined) groups.set(slot, [i])
      else group.push(i)
    })
    return [...groups.values()]
  }
  return {
    set: driver.set,
    get: driver.get,
    mget: async (keys) => {
      const groups = groupsOf(keys)
      const replies = await Promise.all(groups.map((g) => driver.mget(g.map((i) => keys[i]))))
      const out = new Array(keys.length)
      groups.forEach((g, p) => {
        g.forEach((i, j) => {
          out[i] = (replies[p] as Array<unknown>)[j]
        })
      })
      return out
    },
    mset: (pairs) => {
      const groups = groupsOf(pairs.map((p) => p[0]))
      return Promise.all(groups.map((g) => driver.mset(g.map((i) => pairs[i]))))
    },
    close: driver.close
  }
}

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
  const cpu = process.cpuUsage()
  await new Promise((r) => setTimeout(r, job.duration))
  const seconds = (performance.now() - start) / 1000
  const cpu_seconds = cpuSecondsSince(cpu)
  counting = false
  stop = true
  await Promise.all(loops)
  return { ops, seconds, commands, cpu_seconds }
}

/** CPU seconds (user + system) this process spent since `start` (a `process.cpuUsage()`) */
export const cpuSecondsSince = (start: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(start)
  return (used.user + used.system) / 1e6
}

/** how a promise-based client connects */
export interface Openers {
  /** one connection */
  readonly open: (url: string) => Promise<Driver | Unsupported>
  /** the client's own pool of `size` connections behind one driver, when it has one (else the pool workload uses
   * `open` four times round-robin) */
  readonly openPool?: ((url: string, size: number) => Promise<Driver>) | undefined
  /** the client's cluster client, given the seeds (the cluster's primaries, as `redis://host:port`) */
  readonly openCluster: (seeds: ReadonlyArray<string>) => Promise<Driver | Unsupported>
}

/** Measures a promise-based client. */
export const runPeer = async (job: Job, { open, openPool, openCluster }: Openers): Promise<Measured | Unsupported> => {
  const shape = shapeOf(job.workload)
  const connect = async (): Promise<Driver | Unsupported> => {
    if (isCluster(job.workload)) return openCluster(job.urls)
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
    shape === "seq"
      ? async () => {
          await driver.set("bench:seq", VALUE)
          await driver.get("bench:seq")
        }
      : shape === "mget100"
        ? () => driver.mget(KEYS)
        : shape === "sharded"
          ? () => (i++ % 2 === 0 ? driver.mget(KEYS) : driver.mset(PAIRS))
          : () => driver.get(KEYS[i++ % 100])
  const result = await drive(step, job)
  await driver.close()
  return result
}
