/**
 * ioredis, with (`ioredis-auto`) or without auto-pipelining; over a cluster its `Cluster`, which refuses an MGET or
 * MSET whose keys are in different slots (the server's CROSSSLOT): those are split by slot by hand and the parts run
 * concurrently (`splitBySlot`), as its users do. Loaded only by the worker that measures it.
 */
import { Cluster, Redis } from "ioredis"
import { type Driver, type Job, runPeer, splitBySlot, tcpPort, unixPath } from "../harness.ts"

const open =
  (auto: boolean) =>
  async (url: string): Promise<Driver> => {
    const path = unixPath(url)
    const client = path
      ? new Redis({ path, enableAutoPipelining: auto, lazyConnect: true })
      : new Redis({ host: "127.0.0.1", port: tcpPort(url), enableAutoPipelining: auto, lazyConnect: true })
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

/** ioredis' `Cluster` over the seeds, its MGET and MSET split by slot (exported for a test of the split) */
export const openCluster =
  (auto: boolean) =>
  async (seeds: ReadonlyArray<string>): Promise<Driver> => {
    const cluster = new Cluster(
      seeds.map((url) => ({ host: new URL(url).hostname, port: tcpPort(url) })),
      { enableAutoPipelining: auto, lazyConnect: true }
    )
    await cluster.connect()
    return splitBySlot({
      set: (k, v) => cluster.set(k, v),
      get: (k) => cluster.get(k),
      mget: (keys) => cluster.mget(...keys),
      mset: (pairs) => cluster.mset(...pairs.flat()),
      close: async () => {
        cluster.disconnect()
      }
    })
  }

export const run = (job: Job) => {
  const auto = job.client === "ioredis-auto"
  return runPeer(job, { open: open(auto), openCluster: openCluster(auto) })
}
