/**
 * Valkey GLIDE (`@valkey/valkey-glide`: a Rust core behind a native binding). It dials TCP only (its addresses are
 * host and port), so over a UNIX socket the row says n/a. Over a cluster its `GlideClusterClient`, whose `mget`/`mset`
 * split keys of different slots by themselves. Loaded only by the worker that measures it.
 */
import { GlideClient, GlideClusterClient } from "@valkey/valkey-glide"
import { type Driver, type Job, runPeer, tcpPort, type Unsupported, unixPath } from "../harness.ts"

type Client = GlideClient | GlideClusterClient

const driverOf = (client: Client): Driver => ({
  set: (k, v) => client.set(k, v),
  get: (k) => client.get(k),
  mget: (keys) => client.mget([...keys]),
  mset: (pairs) => client.mset(pairs.map(([key, value]) => ({ key, value }))),
  close: async () => {
    client.close()
  }
})

const open = async (url: string): Promise<Driver | Unsupported> => {
  if (unixPath(url) !== undefined) return { unsupported: "GLIDE connects over TCP only" }
  const client = await GlideClient.createClient({
    addresses: [{ host: "127.0.0.1", port: tcpPort(url) }],
    requestTimeout: 5_000
  })
  return driverOf(client)
}

const openCluster = async (seeds: ReadonlyArray<string>): Promise<Driver> => {
  const client = await GlideClusterClient.createClient({
    addresses: seeds.map((url) => ({ host: new URL(url).hostname, port: tcpPort(url) })),
    requestTimeout: 5_000
  })
  return driverOf(client)
}

export const run = (job: Job) => runPeer(job, { open, openCluster })
