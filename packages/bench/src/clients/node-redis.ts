/**
 * node-redis (`redis`), with its own client pool for the pool workload and `createCluster` over a cluster (whose
 * `mGet`/`mSet` split keys of different slots by themselves: node-redis 6 routes MGET/MSET by the `multi_shard`
 * request policy of Redis' command tips). Loaded only by the worker that measures it.
 */
import { createClient, createClientPool, createCluster } from "redis"
import { type Driver, type Job, runPeer, tcpPort, unixPath } from "../harness.ts"

const options = (url: string) => {
  const path = unixPath(url)
  return path ? { socket: { path } } : { socket: { host: "127.0.0.1", port: tcpPort(url) } }
}

const open = async (url: string): Promise<Driver> => {
  const client = createClient(options(url))
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

const openPool = async (url: string, size: number): Promise<Driver> => {
  const pool = createClientPool(options(url), { minimum: size, maximum: size })
  await pool.connect()
  return {
    set: (k, v) => pool.set(k, v),
    get: (k) => pool.get(k),
    mget: (keys) => pool.mGet([...keys]),
    mset: (pairs) => pool.mSet(pairs.map(([k, v]) => [k, v] as [string, string])),
    close: async () => {
      pool.destroy()
    }
  }
}

const openCluster = async (seeds: ReadonlyArray<string>): Promise<Driver> => {
  const cluster = createCluster({ rootNodes: seeds.map((url) => ({ url })) })
  await cluster.connect()
  return {
    set: (k, v) => cluster.set(k, v),
    get: (k) => cluster.get(k),
    mget: (keys) => cluster.mGet([...keys]),
    mset: (pairs) => cluster.mSet(pairs.map(([k, v]) => [k, v] as [string, string])),
    close: async () => {
      cluster.destroy()
    }
  }
}

export const run = (job: Job) => runPeer(job, { open, openPool, openCluster })
