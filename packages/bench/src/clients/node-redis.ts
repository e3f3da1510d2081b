/** node-redis (`redis`), with its own client pool for the pool workload. Loaded only by the worker that measures it. */
import { createClient, createClientPool } from "redis"
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

export const run = (job: Job) => runPeer(job, open, openPool)
