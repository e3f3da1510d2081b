/**
 * One measurement in its own process (so that its peak RSS is its own): one client, one workload, against the
 * servers named on the command line. Prints one JSON line: `{ ops, seconds, rss_mb }`.
 *
 *   node worker.ts <client> <workload> <durationMs> <url> [<url> …]
 *
 * Clients: fxredis, fxredis-traced (a span per command), ioredis, ioredis-auto (enableAutoPipelining), node-redis.
 * Workloads: seq (SET+GET awaited one by one; each command counts), inflight100 (100 GETs always in flight),
 * mget100 (MGET of 100 keys, one at a time), pool (100 in flight over 4 connections), sharded (MGET and MSET of
 * 100 keys alternately over 3 servers; each call counts).
 */
import { Redis as Fx } from "@fxredis/client"
import { Effect, Fiber } from "effect"
import { Redis as IORedis } from "ioredis"
import { createClient, createClientPool } from "redis"

const [clientName, workload, durationText, ...urls] = process.argv.slice(2)
const duration = Number(durationText)
const WARMUP = Math.min(300, duration / 3)
const KEYS = Array.from({ length: 100 }, (_, i) => `bench:key:${i}`)
const VALUE = "x".repeat(32)

/** the interface every client is driven through */
interface Driver {
  readonly set: (key: string, value: string) => Promise<unknown>
  readonly get: (key: string) => Promise<unknown>
  readonly mget: (keys: ReadonlyArray<string>) => Promise<unknown>
  readonly mset: (pairs: ReadonlyArray<readonly [string, string]>) => Promise<unknown>
  readonly close: () => Promise<void>
}

const unixPath = (url: string) => (url.startsWith("unix://") ? url.slice("unix://".length) : undefined)
const tcpPort = (url: string) => Number(new URL(url).port)

/** the same cheap hash for the peers' hand-made sharding (FNV-1a) */
const shardOf = (key: string, n: number) => {
  let h = 0x811c9dc5
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193)
  return (h >>> 0) % n
}

/** fan-out MGET/MSET by hand over several drivers, reassembled in order */
const sharded = (shards: ReadonlyArray<Driver>): Driver => ({
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

const ioredis = async (url: string, auto: boolean): Promise<Driver> => {
  const path = unixPath(url)
  const client = path
    ? new IORedis({ path, enableAutoPipelining: auto, lazyConnect: true })
    : new IORedis({ host: "127.0.0.1", port: tcpPort(url), enableAutoPipelining: auto, lazyConnect: true })
  await client.connect()
  return {
    set: (k, v) => client.set(k, v),
    get: (k) => client.get(k),
    mget: (keys) => client.mget(...keys),
    mset: (pairs) => client.mset(...pairs.flat()),
    close: async () => {
      client.disconnect()
    }
  }
}

const nodeRedisOptions = (url: string) => {
  const path = unixPath(url)
  return path ? { socket: { path } } : { socket: { host: "127.0.0.1", port: tcpPort(url) } }
}

const nodeRedis = async (url: string): Promise<Driver> => {
  const client = createClient(nodeRedisOptions(url))
  await client.connect()
  return {
    set: (k, v) => client.set(k, v),
    get: (k) => client.get(k),
    mget: (keys) => client.mGet([...keys]),
    mset: (pairs) => client.mSet(pairs.map(([k, v]) => [k, v] as [string, string])),
    close: async () => {
      client.destroy()
    }
  }
}

const roundRobin = (drivers: ReadonlyArray<Driver>): Driver => {
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
const drive = async (step: () => Promise<unknown>, concurrency: number, weight: number) => {
  let counting = false
  let ops = 0
  let stop = false
  const loop = async () => {
    while (!stop) {
      await step()
      if (counting) ops += weight
    }
  }
  const loops = Array.from({ length: concurrency }, loop)
  await new Promise((r) => setTimeout(r, WARMUP))
  counting = true
  const start = performance.now()
  await new Promise((r) => setTimeout(r, duration))
  const seconds = (performance.now() - start) / 1000
  counting = false
  stop = true
  await Promise.all(loops)
  return { ops, seconds }
}

const peerWorkload = async (driver: Driver) => {
  await driver.mset(KEYS.map((k) => [k, VALUE] as const))
  let i = 0
  switch (workload) {
    case "seq":
      return drive(
        async () => {
          await driver.set("bench:seq", VALUE)
          await driver.get("bench:seq")
        },
        1,
        2
      )
    case "inflight100":
    case "pool":
      return drive(() => driver.get(KEYS[i++ % 100]), 100, 1)
    case "mget100":
      return drive(() => driver.mget(KEYS), 1, 1)
    case "sharded":
      return drive(() => (i++ % 2 === 0 ? driver.mget(KEYS) : driver.mset(KEYS.map((k) => [k, VALUE] as const))), 1, 1)
    default:
      throw new Error(`unknown workload ${workload}`)
  }
}

/** fxredis driven natively: fibers instead of promises (what an Effect program does) */
const fxredisNative = () =>
  Effect.gen(function* () {
    const redis = yield* Fx.make(
      workload === "sharded" ? { endpoints: urls } : { endpoint: urls[0], poolSize: workload === "pool" ? 4 : 1 }
    )
    const pairs = KEYS.map((k) => [k, VALUE] as const)
    yield* redis.mset(pairs)
    let i = 0
    const step: Effect.Effect<unknown, unknown> =
      workload === "seq"
        ? Effect.andThen(redis.set("bench:seq", VALUE), redis.get("bench:seq"))
        : workload === "mget100"
          ? redis.mget(KEYS)
          : workload === "sharded"
            ? Effect.suspend(() => (i++ % 2 === 0 ? redis.mget(KEYS) : redis.mset(pairs)))
            : Effect.suspend(() => redis.get(KEYS[i++ % 100]))
    const concurrency = workload === "inflight100" || workload === "pool" ? 100 : 1
    const weight = workload === "seq" ? 2 : 1
    let counting = false
    let stop = false
    let ops = 0
    const loop = Effect.whileLoop({
      while: () => !stop,
      body: () => step,
      step: () => {
        if (counting) ops += weight
      }
    })
    const fibers = yield* Effect.forEach(Array.from({ length: concurrency }), () => Effect.forkChild(loop))
    yield* Effect.sleep(WARMUP)
    counting = true
    const start = performance.now()
    yield* Effect.sleep(duration)
    const seconds = (performance.now() - start) / 1000
    counting = false
    stop = true
    yield* Fiber.awaitAll(fibers)
    return { ops, seconds }
  }).pipe(Effect.scoped)

const main = async () => {
  let result: { ops: number; seconds: number }
  if (clientName === "fxredis" || clientName === "fxredis-traced") {
    result = await Effect.runPromise(fxredisNative() as Effect.Effect<{ ops: number; seconds: number }>)
  } else {
    const open = (url: string) =>
      clientName === "node-redis" ? nodeRedis(url) : ioredis(url, clientName === "ioredis-auto")
    let driver: Driver
    if (workload === "sharded") driver = sharded(await Promise.all(urls.map(open)))
    else if (workload === "pool") {
      if (clientName === "node-redis") {
        const pool = createClientPool(nodeRedisOptions(urls[0]), { minimum: 4, maximum: 4 })
        await pool.connect()
        driver = {
          set: (k, v) => pool.set(k, v),
          get: (k) => pool.get(k),
          mget: (keys) => pool.mGet([...keys]),
          mset: (pairs) => pool.mSet(pairs.map(([k, v]) => [k, v] as [string, string])),
          close: async () => {
            pool.destroy()
          }
        }
      } else driver = roundRobin(await Promise.all([0, 1, 2, 3].map(() => open(urls[0]))))
    } else driver = await open(urls[0])
    result = await peerWorkload(driver)
    await driver.close()
  }
  const rss = process.resourceUsage().maxRSS / 1024
  process.stdout.write(`${JSON.stringify({ ops: result.ops, seconds: result.seconds, rss_mb: Math.round(rss) })}\n`)
  process.exit(0)
}

main().catch((error) => {
  process.stderr.write(`${String(error?.stack ?? error)}\n`)
  process.exit(1)
})
