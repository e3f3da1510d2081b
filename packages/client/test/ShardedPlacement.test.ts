/**
 * Where a sharded client places keys is the user's to control: shards have names (default `shard-<position>`), so
 * spelling a host differently or reaching the servers over UNIX instead of TCP moves nothing; `{ name, endpoint }`
 * names a shard; `placement: "txredisapi"` places keys exactly as txredisapi's `HashRing`, checked against vectors
 * computed from that algorithm (fixtures/txredisapi-ring.json, see its `source`).
 */
import * as Fs from "node:fs"
import { assert, describe, it } from "@effect/vitest"
import { Redis, type RedisOptions, type RedisShape, RedisSharded } from "@fxredis/client"
import { RedisServer } from "@fxredis/testing"
import { Context, Effect, Layer, Option } from "effect"
import { transports } from "./helpers.ts"

interface Vectors {
  readonly source: string
  readonly rings: ReadonlyArray<{
    readonly nodes: ReadonlyArray<string>
    readonly placements: ReadonlyArray<readonly [string | ReadonlyArray<number>, number]>
  }>
}
const vectors: Vectors = JSON.parse(
  Fs.readFileSync(new URL("./fixtures/txredisapi-ring.json", import.meta.url), "utf8")
)
const keyOf = (k: string | ReadonlyArray<number>) => (typeof k === "string" ? k : Uint8Array.from(k))

/**
 * Options with named shards and a placement. RedisOptions' `endpoints` type does not list `NamedEndpoint` (nor
 * `placement`) yet; the client reads both (see Redis.ts `make`).
 */
const sharded = (
  options: Omit<RedisOptions, "endpoints"> & {
    readonly endpoints: ReadonlyArray<string | RedisSharded.NamedEndpoint>
    readonly placement?: RedisSharded.Placement
  }
) => options as RedisOptions

const keys = (n: number) => Array.from({ length: n }, (_, i) => `key:${i}`)
const node = (name: string) => ({ name, run: () => Effect.void })
/** the position (in `endpoints`) of the server each key is placed on */
const positions = (redis: RedisShape, all: ReadonlyArray<string>) =>
  all.map((k) => redis.endpoints.indexOf(redis.shardOf(k)))

describe("txredisapi placement", () => {
  it("places every vector key on the node txredisapi's HashRing picks", () => {
    let checked = 0
    for (const ring of vectors.rings) {
      const nodes = ring.nodes.map(node)
      const sharded = RedisSharded.make(nodes, { placement: "txredisapi" })
      const wrong = ring.placements.filter(([key, index]) => sharded.nodeOf(keyOf(key)) !== nodes[index])
      assert.deepStrictEqual(wrong.slice(0, 5), [], `${wrong.length} of ${ring.placements.length} misplaced`)
      checked += ring.placements.length
    }
    assert.isTrue(checked > 3000)
  })

  it("differs from fxredis' own placement (the option matters)", () => {
    const nodes = vectors.rings[0].nodes.map(node)
    const tx = RedisSharded.make(nodes, { placement: "txredisapi" })
    const fx = RedisSharded.make(nodes, { names: vectors.rings[0].nodes })
    const same = keys(3000).filter((k) => tx.nodeOf(k) === fx.nodeOf(k)).length
    assert.isTrue(same < 2000, `${same} of 3000 placed alike`)
  })

  it("defaults node names to what txredisapi hashed: host:port as written, or the socket path", () => {
    assert.strictEqual(RedisSharded.txredisapiName({ _tag: "Tcp", host: "localhost", port: 6379 }), "localhost:6379")
    assert.strictEqual(RedisSharded.txredisapiName({ _tag: "Unix", path: "/tmp/redis.sock" }), "/tmp/redis.sock")
  })
})

describe("shard names", () => {
  it("default to shard-<position>, whatever the servers are called", () => {
    const a = RedisSharded.make([node("127.0.0.1:1"), node("127.0.0.1:2"), node("127.0.0.1:3")])
    const b = RedisSharded.make([node("unix:/x"), node("LOCALHOST:2"), node("other")])
    const named = RedisSharded.make([node("p"), node("q"), node("r")], { names: ["shard-0", "shard-1", "shard-2"] })
    assert.deepStrictEqual(a.names, ["shard-0", "shard-1", "shard-2"])
    for (const key of keys(10_000)) {
      const i = a.nodes.indexOf(a.nodeOf(key))
      assert.strictEqual(b.nodes.indexOf(b.nodeOf(key)), i)
      assert.strictEqual(named.nodes.indexOf(named.nodeOf(key)), i)
    }
  })

  it("given names place keys by name, in any order", () => {
    const one = RedisSharded.make([node("x"), node("y"), node("z")], { names: ["users", "sessions", "carts"] })
    const other = RedisSharded.make([node("z"), node("x"), node("y")], { names: ["carts", "users", "sessions"] })
    const nameOf = (r: RedisSharded.Sharded<ReturnType<typeof node>>, k: string) => r.nodeOf(k).name
    for (const key of keys(10_000)) assert.strictEqual(nameOf(one, key), nameOf(other, key))
  })

  it("must be unique and not empty", () =>
    Effect.gen(function* () {
      const servers = [
        { _tag: "Tcp", host: "a", port: 1 },
        { _tag: "Tcp", host: "b", port: 1 }
      ] as const
      const dup = yield* Effect.flip(
        RedisSharded.shardNames(
          [
            { name: "x", endpoint: "redis://a:1" },
            { name: "x", endpoint: "redis://b:1" }
          ],
          servers
        )
      )
      assert.strictEqual(dup._tag, "EndpointError")
      const clash = yield* Effect.flip(
        RedisSharded.shardNames(["redis://a:1", { name: "shard-0", endpoint: "redis://b:1" }], servers)
      )
      assert.include(clash.message, "shard-0")
      const empty = yield* Effect.flip(
        RedisSharded.shardNames([{ name: "", endpoint: "redis://a:1" }, "redis://b:1"], servers)
      )
      assert.strictEqual(empty._tag, "EndpointError")
    }).pipe(Effect.runSync))
})

describe("placement on real servers", () => {
  const three = Effect.forEach([0, 1, 2], () => RedisServer.make(), { concurrency: "unbounded" })

  it.live("UNIX and TCP, upper and lower case, another spelling of a path: 10,000 keys placed alike", () =>
    Effect.gen(function* () {
      const servers = yield* three
      const ports = servers.map((s) => s.tcp.port)
      const spellings = [
        servers.map((s) => s.urls.tcp),
        ports.map((p) => `REDIS://LOCALHOST:${p}`),
        servers.map((s) => s.urls.unix),
        servers.map((s) => `unix://${s.dir}/./${s.unix.path.slice(s.dir.length + 1)}`)
      ]
      const clients = yield* Effect.forEach(spellings, (endpoints) => Redis.make({ endpoints }))
      const all = keys(10_000)
      const expected = positions(clients[0], all)
      for (const client of clients.slice(1)) assert.deepStrictEqual(positions(client, all), expected)
      // and the data agrees: written over TCP, every key is read back over each other spelling
      yield* clients[0].mset(all.map((k, i) => [k, `v${i}`] as const))
      for (const client of clients.slice(1)) {
        const values = yield* client.mget(all)
        assert.strictEqual(values.filter((v, i) => Option.getOrUndefined(v) === `v${i}`).length, 10_000)
      }
      const sizes = yield* Effect.forEach(servers, (s) => Effect.map(s.cli("DBSIZE"), Number))
      assert.deepStrictEqual(
        sizes,
        [0, 1, 2].map((i) => expected.filter((p) => p === i).length)
      )
    })
  )

  for (const kind of transports) {
    it.live(`named shards over ${kind}: keys follow the names, whatever the order of the list`, () =>
      Effect.gen(function* () {
        const servers = yield* three
        const names = ["users", "sessions", "carts"]
        const byName = new Map(names.map((n, i) => [n, servers[i]]))
        const listed = yield* Redis.make(
          sharded({ endpoints: names.map((name, i) => ({ name, endpoint: servers[i].urls[kind] })) })
        )
        const reordered = yield* Redis.make(
          sharded({ endpoints: [2, 0, 1].map((i) => ({ name: names[i], endpoint: servers[i].urls[kind] })) })
        )
        const all = keys(1000)
        yield* listed.mset(all.map((k) => [k, k] as const))
        assert.deepStrictEqual((yield* reordered.mget(all)).map(Option.getOrUndefined), all)
        // the ring hashes the names: the same as RedisSharded.make with those names
        const ring = RedisSharded.make(names.map(node), { names })
        for (const key of all.slice(0, 50)) {
          assert.strictEqual(yield* byName.get(ring.nodeOf(key).name)!.cli("GET", key), key)
        }
      })
    )

    it.live(`placement "txredisapi" over ${kind}: data lands where txredisapi put it`, () =>
      Effect.gen(function* () {
        const servers = yield* three
        const ring = vectors.rings[0]
        // the old node names, reproduced by naming the shards (the servers now listen elsewhere)
        const redis = yield* Redis.make(
          sharded({
            endpoints: ring.nodes.map((name, i) => ({ name, endpoint: servers[i].urls[kind] })),
            placement: "txredisapi"
          })
        )
        const sample = ring.placements.filter(([k]) => typeof k === "string" && !k.includes("\n")).slice(0, 60)
        yield* redis.mset(sample.map(([k]) => [k as string, "v"] as const))
        for (const [key, index] of sample) {
          assert.strictEqual(yield* servers[index].cli("EXISTS", key as string), "1", `${key} on node ${index}`)
        }
        // by default the names are what txredisapi hashed for these servers: host:port, or the socket path
        const plain = yield* Redis.make(
          sharded({ endpoints: servers.map((s) => s.urls[kind]), placement: "txredisapi" })
        )
        const names = servers.map((s) => (kind === "unix" ? s.unix.path : `127.0.0.1:${s.tcp.port}`))
        const reference = RedisSharded.make(names.map(node), { placement: "txredisapi" })
        for (const key of keys(2000)) {
          assert.strictEqual(
            plain.endpoints.indexOf(plain.shardOf(key)),
            names.indexOf(reference.nodeOf(key).name),
            key
          )
        }
      })
    )
  }

  it.live('the txredisapi-named sharded constructors take placement: "txredisapi" too', () =>
    Effect.gen(function* () {
      const servers = yield* Effect.forEach([0, 1, 2], () => RedisServer.make())
      const hosts = servers.map((s) => `127.0.0.1:${s.tcp.port}`)
      const seed = yield* Layer.build(Redis.shardedConnection({ hosts, placement: "txredisapi" })).pipe(
        Effect.map((context) => Context.get(context, Redis))
      )
      const direct = yield* Redis.make({ endpoints: hosts.map((h) => `redis://${h}`), placement: "txredisapi" })
      const fxredis = yield* Redis.make({ endpoints: hosts.map((h) => `redis://${h}`) })
      const keys = Array.from({ length: 2000 }, (_, i) => `user:${i}`)
      assert.deepStrictEqual(
        keys.map((k) => seed.shardOf(k)),
        keys.map((k) => direct.shardOf(k))
      )
      // and it is not the default placement
      assert.notDeepEqual(
        keys.map((k) => seed.shardOf(k)),
        keys.map((k) => fxredis.shardOf(k))
      )
    })
  )

  it.live("a bad placement or a repeated name fails before anything connects", () =>
    Effect.gen(function* () {
      const servers = yield* Effect.forEach([0, 1], () => RedisServer.make())
      const bad = yield* Effect.flip(
        Redis.make(sharded({ endpoints: servers.map((s) => s.urls.unix), placement: "nope" as "fxredis" }))
      )
      assert.strictEqual(bad._tag, "RedisConfigError")
      const dup = yield* Effect.flip(
        Redis.make(sharded({ endpoints: servers.map((s) => ({ name: "same", endpoint: s.urls.unix })) }))
      )
      assert.strictEqual(dup._tag, "EndpointError")
      for (const s of servers) {
        const clients = (yield* s.cli("CLIENT", "LIST")).split("\n").filter((l) => l.includes("cmd=")).length
        assert.strictEqual(clients, 1) // only the cli asking
      }
    })
  )
})
