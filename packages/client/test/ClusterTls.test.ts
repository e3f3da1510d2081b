import { assert, layer } from "@effect/vitest"
import { Redis } from "@fxredis/client"
import { RedisCluster } from "@fxredis/testing"
import { Effect, Option } from "effect"

/** a key (with a hash tag) whose slot is owned by primary `index` as the cluster was formed */
const keyOn = (cluster: RedisCluster.RedisCluster, index: number, prefix: string) => {
  const start = Math.floor((index * RedisCluster.SLOTS) / cluster.primaries.length)
  const end = Math.floor(((index + 1) * RedisCluster.SLOTS) / cluster.primaries.length) - 1
  for (let i = 0; ; i++) {
    const key = `{${prefix}${i}}`
    const slot = RedisCluster.keySlot(key)
    if (slot >= start && slot <= end) return { key, slot }
  }
}

const tlsOf = (node: RedisCluster.ClusterNode) => node.tls as NonNullable<RedisCluster.ClusterNode["tls"]>

/** the local ports (`laddr`) of a node's connections named `name` (CLIENT LIST): the port each one came in on */
const portsNamed = (node: RedisCluster.ClusterNode, name: string) =>
  Effect.map(node.cli("CLIENT", "LIST"), (list) =>
    list
      .split("\n")
      .filter((line) => line.includes(` name=${name} `))
      .map((line) => Number(/\bladdr=\S+:(\d+)/.exec(line)?.[1] ?? "0"))
  )

/** a counter of `INFO` on a node; 0 when absent */
const stat = (node: RedisCluster.ClusterNode, section: string, line: string, field: string) =>
  Effect.map(node.cli("INFO", section), (info) => {
    const match = new RegExp(`^${line}:.*\\b${field}=(\\d+)`, "m").exec(info)
    return match === null ? 0 : Number(match[1])
  })

layer(RedisCluster.layer({ primaries: 3, tls: true }), { excludeTestServices: true, timeout: "60 seconds" })(
  "a cluster client over a TLS cluster (tls-cluster yes)",
  (it) => {
    it.effect(
      "Tls seeds with the CA: GET/SET/MGET over every primary, each connection on the node's TLS port, none on the plain one",
      () =>
        Effect.gen(function* () {
          const cluster = yield* RedisCluster.RedisCluster
          assert.strictEqual(cluster.tlsSeeds.length, 3)
          const redis = yield* Redis.makeCluster({ seeds: cluster.tlsSeeds, clientName: "over-tls" })
          assert.sameMembers(
            [...redis.endpoints],
            cluster.primaries.map((p) => `tls://127.0.0.1:${tlsOf(p).port}`)
          )
          const keys = [0, 1, 2].map((i) => keyOn(cluster, i, "tls:").key)
          yield* Effect.forEach(keys, (key, i) => redis.set(key, `v${i}`))
          assert.deepStrictEqual(
            yield* redis.mget(keys),
            keys.map((_, i) => Option.some(`v${i}`))
          )
          for (const [i, p] of cluster.primaries.entries()) {
            assert.strictEqual(yield* p.cli("GET", keys[i]), `v${i}`)
            const ports = yield* portsNamed(p, "over-tls")
            assert.isAbove(ports.length, 0)
            for (const port of ports) assert.strictEqual(port, tlsOf(p).port)
          }
        }).pipe(Effect.scoped)
    )

    it.effect(
      "rediss:// seeds get the CA from the tls option (without it the certificate is refused); mixed seeds are refused",
      () =>
        Effect.gen(function* () {
          const cluster = yield* RedisCluster.RedisCluster
          const first = tlsOf(cluster.primaries[0])
          const url = `rediss://127.0.0.1:${first.port}`
          const untrusted = yield* Effect.flip(Redis.makeCluster({ seeds: [url], connectTimeout: "2 seconds" }))
          assert.strictEqual(untrusted._tag, "ConnectionError")
          const redis = yield* Redis.makeCluster({ seeds: [url], tls: { ca: first.ca }, clientName: "by-url" })
          yield* redis.set("by-url", "ok")
          assert.deepStrictEqual(yield* redis.get("by-url"), Option.some("ok"))
          // a plain address with `tls` is dialled with TLS too
          const plain = yield* Redis.makeCluster({
            seeds: [{ _tag: "Tcp", host: "127.0.0.1", port: first.port }],
            tls: { ca: first.ca, servername: "localhost" }
          })
          assert.strictEqual(yield* plain.dbsize(), yield* redis.dbsize())
          for (const p of cluster.primaries) {
            for (const port of yield* portsNamed(p, "by-url")) assert.strictEqual(port, tlsOf(p).port)
          }
          const mixed = yield* Effect.flip(Redis.makeCluster({ seeds: [first, cluster.seeds[1]] }))
          assert.strictEqual(mixed._tag, "RedisConfigError")
          const badTls = yield* Effect.flip(Redis.makeCluster({ seeds: [first], tls: "yes" as unknown as boolean }))
          assert.strictEqual(badTls._tag, "RedisConfigError")
        }).pipe(Effect.scoped)
    )

    it.effect("CLUSTER SLOTS over TLS (a user denied CLUSTER SHARDS) gives the TLS ports the client dials", () =>
      Effect.gen(function* () {
        const cluster = yield* RedisCluster.RedisCluster
        yield* Effect.forEach(cluster.primaries, (p) =>
          p.cli("ACL", "SETUSER", "noshards", "on", ">pw", "~*", "&*", "+@all", "-cluster|shards")
        )
        yield* Effect.forEach(cluster.primaries, (p) => p.cli("CONFIG", "RESETSTAT"))
        const redis = yield* Redis.makeCluster({
          seeds: cluster.tlsSeeds,
          username: "noshards",
          password: "pw",
          clientName: "by-slots"
        })
        const slots = yield* Effect.forEach(cluster.primaries, (p) =>
          stat(p, "commandstats", "cmdstat_cluster\\|slots", "calls")
        )
        assert.isAtLeast(
          slots.reduce((a, b) => a + b, 0),
          1
        )
        const keys = [0, 1, 2].map((i) => keyOn(cluster, i, "slots:").key)
        yield* Effect.forEach(keys, (key) => redis.set(key, "s"))
        for (const p of cluster.primaries) {
          const ports = yield* portsNamed(p, "by-slots")
          assert.isAbove(ports.length, 0)
          for (const port of ports) assert.strictEqual(port, tlsOf(p).port)
        }
      }).pipe(Effect.scoped)
    )

    it.effect("MOVED and ASK between TLS nodes name TLS ports: both are followed over TLS", () =>
      Effect.gen(function* () {
        const cluster = yield* RedisCluster.RedisCluster
        const redis = yield* Redis.makeCluster({ seeds: cluster.tlsSeeds, refresh: false, clientName: "redirected" })
        const moved = keyOn(cluster, 0, "tls-moved:")
        const asked = keyOn(cluster, 1, "tls-asked:")
        yield* redis.set(moved.key, "m")
        yield* redis.set(asked.key, "a")
        const [from, to] = [cluster.primaries[0], cluster.primaries[2]]
        yield* cluster.migrateSlot(moved.slot, to)
        yield* from.cli("CONFIG", "RESETSTAT")
        assert.deepStrictEqual(yield* redis.get(moved.key), Option.some("m"))
        assert.strictEqual(yield* stat(from, "errorstats", "errorstat_MOVED", "count"), 1)
        assert.strictEqual(redis.shardOf(moved.key), `tls://127.0.0.1:${tlsOf(to).port}`)
        const migration = yield* cluster.startMigration(asked.slot, cluster.primaries[0])
        assert.strictEqual(yield* migration.moveKeys(), 1)
        yield* cluster.primaries[0].cli("CONFIG", "RESETSTAT")
        assert.deepStrictEqual(yield* redis.get(asked.key), Option.some("a"))
        assert.strictEqual(yield* stat(cluster.primaries[0], "commandstats", "cmdstat_asking", "calls"), 1)
        yield* migration.finish
        // the client only ever dialled TLS ports
        for (const p of cluster.primaries) {
          for (const port of yield* portsNamed(p, "redirected")) assert.strictEqual(port, tlsOf(p).port)
        }
      }).pipe(Effect.scoped)
    )

    it.effect("FLUSHDB reaches every primary over TLS", () =>
      Effect.gen(function* () {
        const cluster = yield* RedisCluster.RedisCluster
        const redis = yield* Redis.makeCluster({ seeds: cluster.tlsSeeds })
        yield* redis.send("MSET", ...[0, 1, 2].flatMap((i) => [keyOn(cluster, i, "flushed:").key, "x"]))
        for (const p of cluster.primaries) assert.isAbove(Number(yield* p.cli("DBSIZE")), 0)
        assert.strictEqual(yield* redis.send("FLUSHDB"), "OK")
        for (const p of cluster.primaries) assert.strictEqual(yield* p.cli("DBSIZE"), "0")
      }).pipe(Effect.scoped)
    )
  }
)
