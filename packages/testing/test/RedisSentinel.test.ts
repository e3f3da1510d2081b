import * as Fs from "node:fs"
import * as Net from "node:net"
import { assert, describe, it, layer } from "@effect/vitest"
import { RedisSentinel } from "@fxredis/testing"
import { Duration, Effect, Exit, Scope } from "effect"

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** the redis processes this test process started and that are still running */
const childRedis = () =>
  Fs.readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const stat = Fs.readFileSync(`/proc/${pid}/stat`, "utf8")
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1])
        return ppid === process.pid && stat.includes("(redis-")
      } catch {
        return false
      }
    })

/** one raw exchange on a fresh connection: the first chunk of the answer */
const ask = (target: { path: string } | { host: string; port: number }, text: string) =>
  Effect.callback<string>((resume) => {
    const socket = Net.createConnection(target)
    socket.on("error", (e) => resume(Effect.succeed(`error: ${e.message}`)))
    socket.on("connect", () => socket.write(text))
    socket.on("data", (d) => {
      socket.destroy()
      resume(Effect.succeed(d.toString("latin1")))
    })
    socket.on("close", () => resume(Effect.succeed("closed")))
  })

const reportedPorts = (sentinel: RedisSentinel.RedisSentinel) =>
  Effect.forEach(sentinel.sentinels, (s) =>
    Effect.map(s.cli("SENTINEL", "GET-MASTER-ADDR-BY-NAME", sentinel.name), (out) => out.split("\n"))
  )

layer(RedisSentinel.layer(), { excludeTestServices: true, timeout: "60 seconds" })("RedisSentinel", (it) => {
  it.effect("forms a primary, two replicas and three sentinels that know each other", () =>
    Effect.gen(function* () {
      const sentinel = yield* RedisSentinel.RedisSentinel
      const { primary, replicas } = sentinel
      assert.strictEqual(replicas.length, 2)
      assert.strictEqual(sentinel.sentinels.length, 3)
      const role = yield* sentinel.role(primary)
      assert.strictEqual(role._tag, "Master")
      if (role._tag === "Master") {
        assert.deepStrictEqual(role.replicas.map((r) => r.port).sort(), replicas.map((r) => r.tcp.port).sort())
      }
      for (const replica of replicas) {
        const r = yield* sentinel.role(replica)
        assert.strictEqual(r._tag, "Replica")
        if (r._tag === "Replica") {
          assert.strictEqual(r.port, primary.tcp.port)
          assert.strictEqual(r.state, "connected")
        }
      }
      const ports = sentinel.sentinels.map((s) => s.tcp.port)
      for (const s of sentinel.sentinels) {
        assert.strictEqual(yield* s.cli("ROLE"), `sentinel\n${sentinel.name}`)
        const peers = (yield* s.cli("SENTINEL", "SENTINELS", sentinel.name)).split("\n")
        const peerPorts = peers.flatMap((line, i) => (line === "port" ? [Number(peers[i + 1])] : [])).sort()
        assert.deepStrictEqual(peerPorts, ports.filter((p) => p !== s.tcp.port).sort())
        assert.strictEqual(
          yield* s.cli("SENTINEL", "REPLICAS", sentinel.name).pipe(Effect.map((o) => o.split("\nname\n").length)),
          2
        )
      }
      assert.deepStrictEqual(
        yield* reportedPorts(sentinel),
        sentinel.sentinels.map(() => ["127.0.0.1", String(primary.tcp.port)])
      )
      assert.strictEqual(yield* sentinel.currentPrimary, primary)
    })
  )

  it.effect("SENTINEL FAILOVER switches the primary and every sentinel agrees", () =>
    Effect.gen(function* () {
      const sentinel = yield* RedisSentinel.RedisSentinel
      const old = yield* sentinel.currentPrimary
      const { agreed, primary: next, previous, settled } = yield* sentinel.failover
      console.info(
        `SENTINEL FAILOVER: all sentinels agreed after ${Duration.toMillis(agreed)} ms, settled after ${Duration.toMillis(settled)} ms`
      )
      assert.strictEqual(previous, old)
      assert.notStrictEqual(next, old)
      assert.isAtMost(Duration.toMillis(agreed), Duration.toMillis(settled))
      assert.strictEqual(yield* sentinel.currentPrimary, next)
      assert.deepStrictEqual(
        yield* reportedPorts(sentinel),
        sentinel.sentinels.map(() => ["127.0.0.1", String(next.tcp.port)])
      )
      assert.strictEqual((yield* sentinel.role(next))._tag, "Master")
      const demoted = yield* sentinel.role(old)
      assert.strictEqual(demoted._tag, "Replica")
      if (demoted._tag === "Replica") assert.strictEqual(demoted.port, next.tcp.port)
    })
  )

  it.effect("killing the primary promotes a replica within a bounded time", () =>
    Effect.gen(function* () {
      const sentinel = yield* RedisSentinel.RedisSentinel
      const old = yield* sentinel.currentPrimary
      const promotion = yield* sentinel.killPrimary
      console.info(`kill to promotion: ${Duration.toMillis(promotion.elapsed)} ms`)
      assert.strictEqual(promotion.killed, old)
      assert.isFalse(alive(old.pid()))
      assert.notStrictEqual(promotion.primary, old)
      assert.isBelow(Duration.toMillis(promotion.elapsed), 15_000)
      assert.strictEqual((yield* sentinel.role(promotion.primary))._tag, "Master")
      assert.deepStrictEqual(
        yield* reportedPorts(sentinel),
        sentinel.sentinels.map(() => ["127.0.0.1", String(promotion.primary.tcp.port)])
      )
    })
  )
})

describe("RedisSentinel", () => {
  it.live(
    "with passwords, data nodes and sentinels each require their own, and closing the scope leaves nothing behind",
    () =>
      Effect.gen(function* () {
        const scope = yield* Scope.make()
        yield* Effect.addFinalizer(() => Scope.close(scope, Exit.void)) // also when an assertion fails
        const started = Date.now()
        const sentinel = yield* RedisSentinel.make({
          replicas: 1,
          password: "data-pw",
          sentinelPassword: "sentinel-pw"
        }).pipe(Scope.provide(scope))
        console.info(`formed (1 replica, 3 sentinels, auth) in ${Date.now() - started} ms`)
        const { primary } = sentinel
        const s0 = sentinel.sentinels[0]!
        assert.strictEqual(yield* ask(primary.unix, "PING\r\n"), "-NOAUTH Authentication required.\r\n")
        assert.include(yield* ask(primary.unix, "AUTH sentinel-pw\r\n"), "-WRONGPASS")
        assert.strictEqual(yield* ask(primary.unix, "AUTH data-pw\r\n"), "+OK\r\n")
        assert.strictEqual(yield* ask(s0.tcp, "PING\r\n"), "-NOAUTH Authentication required.\r\n")
        assert.include(yield* ask(s0.tcp, "AUTH data-pw\r\n"), "-WRONGPASS")
        assert.strictEqual(yield* ask(s0.tcp, "AUTH sentinel-pw\r\n"), "+OK\r\n")
        assert.strictEqual(s0.url, `redis://:sentinel-pw@127.0.0.1:${s0.tcp.port}`)
        // the sentinels reached the data nodes (auth-pass) and each other (sentinel-pass)
        assert.strictEqual(
          yield* s0.cli("SENTINEL", "GET-MASTER-ADDR-BY-NAME", sentinel.name),
          `127.0.0.1\n${primary.tcp.port}`
        )
        assert.include(yield* s0.cli("SENTINEL", "SENTINELS", sentinel.name), "sentinel")

        const pids = [...sentinel.nodes.map((n) => n.pid()), ...sentinel.sentinels.map((s) => s.pid())]
        const dirs = [...sentinel.nodes.map((n) => n.dir), ...sentinel.sentinels.map((s) => s.dir)]
        assert.strictEqual(pids.length, 5)
        assert.isTrue(pids.every(alive))
        yield* Scope.close(scope, Exit.void)
        assert.deepStrictEqual(pids.filter(alive), [])
        assert.deepStrictEqual(
          dirs.filter((d) => Fs.existsSync(d)),
          []
        )
        assert.deepStrictEqual(childRedis(), [])
      }),
    60_000
  )

  it.live("a sentinel that cannot start is a typed error, and what was started is cleaned up", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Effect.scoped(RedisSentinel.make({ replicas: 1, sentinels: 1, sentinelConfig: ["no-such-directive yes"] }))
      )
      assert.strictEqual(error._tag, "RedisSentinelError")
      assert.strictEqual(error.reason, "StartFailed")
      assert.deepStrictEqual(childRedis(), [])
    })
  )
})
