import { execFileSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { assert, describe, it, layer } from "@effect/vitest"
import { eventually, RedisCluster } from "@fxredis/testing"
import { Effect, Exit, Fiber, Scope } from "effect"

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/**
 * The pid and dir of every running redis-server announcing `marker` as its cluster hostname (redis-server rewrites
 * its command line, so it is found by its working directory, which is its `--dir`, and asked over its socket).
 */
const serversWith = (marker: string): ReadonlyArray<{ readonly pid: number; readonly dir: string }> =>
  Fs.readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p))
    .flatMap((p) => {
      try {
        if (Fs.readFileSync(`/proc/${p}/comm`, "utf8").trim() !== "redis-server") return []
        const dir = Fs.readlinkSync(`/proc/${p}/cwd`)
        if (!Path.basename(dir).startsWith("fxredis-") || !Fs.existsSync(Path.join(dir, "nodes.conf"))) return []
        const socket = Path.join(dir, "redis.sock")
        const hostname = execFileSync("redis-cli", ["-s", socket, "CONFIG", "GET", "cluster-announce-hostname"], {
          timeout: 1000
        }).toString()
        return hostname.includes(marker) ? [{ pid: Number(p), dir }] : []
      } catch {
        return []
      }
    })

/** a key whose slot is owned by `primary` (as the cluster was formed), with a hash tag */
const keyOn = (cluster: RedisCluster.RedisCluster, index: number, prefix: string) => {
  const start = Math.floor((index * RedisCluster.SLOTS) / cluster.primaries.length)
  const end = Math.floor(((index + 1) * RedisCluster.SLOTS) / cluster.primaries.length) - 1
  for (let i = 0; ; i++) {
    const tag = `${prefix}${i}`
    const slot = RedisCluster.keySlot(tag)
    if (slot >= start && slot <= end) return { tag, slot }
  }
}

layer(RedisCluster.layer({ primaries: 3 }), { excludeTestServices: true, timeout: "60 seconds" })(
  "RedisCluster with 3 primaries",
  (it) => {
    it.effect("forms and every node reports cluster_state:ok", () =>
      Effect.gen(function* () {
        const cluster = yield* RedisCluster.RedisCluster
        assert.strictEqual(cluster.nodes.length, 3)
        assert.deepStrictEqual(
          cluster.seeds,
          cluster.primaries.map((p) => p.tcp)
        )
        for (const node of cluster.nodes) {
          const info = yield* node.cli("CLUSTER", "INFO")
          assert.include(info, "cluster_state:ok")
          assert.include(info, "cluster_known_nodes:3")
          assert.include(info, "cluster_size:3")
          assert.strictEqual(yield* node.role, "primary")
          assert.strictEqual(node.id, yield* node.cli("CLUSTER", "MYID"))
        }
      })
    )
    it.effect("every slot is covered exactly once, evenly, and slotOf agrees with CLUSTER KEYSLOT", () =>
      Effect.gen(function* () {
        const cluster = yield* RedisCluster.RedisCluster
        const owners = new Array<number>(RedisCluster.SLOTS).fill(0)
        const ranges = yield* cluster.slots
        for (const range of ranges) for (let s = range.start; s <= range.end; s++) owners[s] = (owners[s] ?? 0) + 1
        assert.isTrue(owners.every((n) => n === 1))
        assert.deepStrictEqual(
          ranges.map((r) => [r.start, r.end, r.primary.id]),
          [
            [0, 5460, cluster.primaries[0]?.id],
            [5461, 10921, cluster.primaries[1]?.id],
            [10922, 16383, cluster.primaries[2]?.id]
          ]
        )
        assert.strictEqual((yield* cluster.primaryOf(16383)).id, cluster.primaries[2]?.id)
        for (const key of ["foo", "123456789", "{user1000}.following", "foo{}{bar}", "ключ", "{a}b", "x{y}z{w}"]) {
          assert.strictEqual(String(cluster.slotOf(key)), yield* cluster.nodes[0]!.cli("CLUSTER", "KEYSLOT", key))
        }
        assert.strictEqual(cluster.slotOf("123456789"), 0x31c3 % 16384)
      })
    )
    it.effect("redis-cli -c sets and gets keys on every primary; the owner answers, the others say MOVED", () =>
      Effect.gen(function* () {
        const cluster = yield* RedisCluster.RedisCluster
        for (let i = 0; i < 3; i++) {
          const { tag, slot } = keyOn(cluster, i, "cli")
          const key = `{${tag}}:k`
          assert.strictEqual(yield* cluster.cli("SET", key, `v${i}`), "OK")
          assert.strictEqual(yield* cluster.cli("GET", key), `v${i}`)
          const owner = yield* cluster.primaryOf(slot)
          assert.strictEqual(owner.id, cluster.primaries[i]?.id)
          assert.strictEqual(yield* owner.cli("GET", key), `v${i}`)
          const other = cluster.primaries[(i + 1) % 3]!
          assert.strictEqual(yield* other.cli("GET", key), `MOVED ${slot} 127.0.0.1:${owner.tcp.port}`)
        }
      })
    )
    it.effect("migrateSlot moves a slot with its keys: ASK while migrating, MOVED after", () =>
      Effect.gen(function* () {
        const cluster = yield* RedisCluster.RedisCluster
        const { tag, slot } = keyOn(cluster, 0, "mig")
        const [from, , to] = cluster.primaries as [RedisCluster.ClusterNode, unknown, RedisCluster.ClusterNode]
        for (const k of ["a", "b", "c"]) assert.strictEqual(yield* from.cli("SET", `{${tag}}${k}`, k), "OK")
        const migration = yield* cluster.startMigration(slot, to)
        assert.strictEqual(yield* migration.moveKeys(1), 1)
        const moved = (yield* to.cli("CLUSTER", "GETKEYSINSLOT", String(slot), "10")).split("\n")
        assert.strictEqual(moved.length, 1)
        assert.strictEqual(yield* from.cli("GET", moved[0]!), `ASK ${slot} 127.0.0.1:${to.tcp.port}`)
        yield* migration.finish
        assert.strictEqual((yield* cluster.primaryOf(slot)).id, to.id)
        assert.strictEqual(yield* from.cli("CLUSTER", "COUNTKEYSINSLOT", String(slot)), "0")
        for (const k of ["a", "b", "c"]) {
          assert.strictEqual(yield* from.cli("GET", `{${tag}}${k}`), `MOVED ${slot} 127.0.0.1:${to.tcp.port}`)
          assert.strictEqual(yield* to.cli("GET", `{${tag}}${k}`), k)
          assert.strictEqual(yield* cluster.cli("GET", `{${tag}}${k}`), k)
        }
        // and back, in one call
        yield* cluster.migrateSlot(slot, from)
        assert.strictEqual(yield* from.cli("GET", `{${tag}}a`), "a")
        const same = yield* Effect.flip(cluster.migrateSlot(slot, from))
        assert.strictEqual(same.reason, "BadArgument")
      })
    )
  }
)

describe("RedisCluster lifecycle", () => {
  it.live(
    "3 primaries with 1 replica each: failover promotes the replica",
    () =>
      Effect.gen(function* () {
        const cluster = yield* RedisCluster.make({ primaries: 3, replicasPerPrimary: 1 })
        assert.strictEqual(cluster.nodes.length, 6)
        // ready means: ok everywhere, everyone known, every replica attached and in sync
        for (const node of cluster.nodes) {
          const info = yield* node.cli("CLUSTER", "INFO")
          assert.include(info, "cluster_state:ok")
          assert.include(info, "cluster_known_nodes:6")
        }
        for (const r of cluster.replicas) {
          assert.include(yield* r.cli("INFO", "replication"), "master_link_status:up")
        }
        const primary = cluster.primaries[0]!
        const [replica] = cluster.replicasOf(primary)
        assert.isDefined(replica)
        if (replica === undefined) return
        assert.strictEqual(yield* replica.role, "replica")
        assert.include(yield* replica.cli("CLUSTER", "INFO"), "cluster_state:ok")
        const { tag, slot } = keyOn(cluster, 0, "fo")
        assert.strictEqual(yield* cluster.cli("SET", tag, "before"), "OK")
        yield* cluster.failover(replica)
        assert.strictEqual(yield* replica.role, "primary")
        assert.strictEqual(yield* primary.role, "replica")
        assert.strictEqual((yield* cluster.primaryOf(slot)).id, replica.id)
        assert.strictEqual(yield* replica.cli("GET", tag), "before")
        assert.strictEqual(yield* primary.cli("GET", tag), `MOVED ${slot} 127.0.0.1:${replica.tcp.port}`)
        assert.strictEqual((yield* Effect.flip(cluster.failover(replica))).reason, "BadArgument")
      }),
    { timeout: 45_000 }
  )

  it.live("closing the scope kills every node and removes every temp dir", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const cluster = yield* RedisCluster.make({ primaries: 2, replicasPerPrimary: 1 }).pipe(Scope.provide(scope))
      const pids = cluster.nodes.map((n) => n.server.pid())
      const dirs = cluster.nodes.map((n) => n.server.dir)
      assert.isTrue(pids.every(alive))
      assert.isTrue(dirs.every((d) => Fs.existsSync(d)))
      yield* Scope.close(scope, Exit.void)
      assert.isTrue(pids.every((pid) => !alive(pid)))
      assert.isTrue(dirs.every((d) => !Fs.existsSync(d)))
    })
  )

  it.live("interrupting formation half-way kills the started nodes and removes their dirs", () =>
    Effect.gen(function* () {
      const marker = `fxredis-cluster-${process.pid}-${Date.now()}`
      const fiber = yield* Effect.forkChild(
        RedisCluster.make({ primaries: 3, config: [`cluster-announce-hostname ${marker}`] }).pipe(Effect.scoped)
      )
      // all three started (formation is now meeting and polling, which takes seconds): stop it there
      yield* eventually(
        Effect.sync(() => serversWith(marker).length === 3),
        { times: 500 }
      )
      const started = serversWith(marker)
      yield* Fiber.interrupt(fiber)
      assert.isTrue(Exit.hasInterrupts(yield* Fiber.await(fiber))) // interrupted, not finished
      assert.strictEqual(started.length, 3)
      assert.isTrue(started.every(({ pid }) => !alive(pid)))
      assert.isTrue(started.every(({ dir }) => !Fs.existsSync(dir)))
    })
  )
})
