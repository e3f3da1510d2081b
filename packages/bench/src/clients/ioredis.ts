/** ioredis, with (`ioredis-auto`) or without auto-pipelining. Loaded only by the worker that measures it. */
import { Redis } from "ioredis"
import { type Driver, type Job, runPeer, tcpPort, unixPath } from "../harness.ts"

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

export const run = (job: Job) => runPeer(job, open(job.client === "ioredis-auto"))
