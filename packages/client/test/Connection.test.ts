import { assert, describe, it } from "@effect/vitest"
import { Redis } from "@fxredis/client"
import { FakeServer, RedisServer } from "@fxredis/testing"
import * as SocketTransport from "@fxredis/transport/SocketTransport"
import { ConfigProvider, Deferred, Effect, Exit, Fiber, Layer, Option, Schedule, Scope, Stream } from "effect"
import { client, eventually, handles, transports } from "./helpers.ts"

/** how many clients are blocked (BLPOP…) in a CLIENT LIST */
const blocked = (list: string) => list.split("\n").filter((line) => / flags=[a-zA-Z]*b/.test(line)).length

for (const kind of transports) {
  describe(`one connection over ${kind}`, () => {
    it.live("pipelines 10,000 commands from 1,000 fibers, each getting its own reply", () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make()
        const redis = yield* client(server, kind)
        const replies = yield* Effect.forEach(
          Array.from({ length: 1000 }, (_, f) => f),
          (f) =>
            Effect.forEach(
              Array.from({ length: 10 }, (_, i) => i),
              (i) => redis.echo(`${f}:${i}`)
            ),
          { concurrency: "unbounded" }
        )
        for (let f = 0; f < 1000; f++) {
          for (let i = 0; i < 10; i++) assert.strictEqual(replies[f][i], `${f}:${i}`)
        }
        // and issued in one tick they share writes: far fewer reads on the server than commands
        const stats = yield* redis.info("stats")
        const reads = Number(/total_reads_processed:(\d+)/.exec(stats)?.[1])
        assert.isTrue(reads < 10_000, `${reads} reads for 10,000 commands`)
      })
    )

    it.live("fails in-flight commands with ConnectionError when the server dies, then serves again", () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make()
        const redis = yield* client(server, kind, { database: 3, commandTimeout: "10 seconds" })
        yield* redis.set("k", "v")
        // a paused server (CLIENT PAUSE) reads the commands but answers none: they are in flight when it is killed
        yield* server.cli("CLIENT", "PAUSE", "60000", "ALL")
        const inFlight = yield* Effect.forkChild(
          Effect.forEach(Array.from({ length: 50 }), () => Effect.flip(redis.get("k")), { concurrency: "unbounded" })
        )
        yield* Effect.yieldNow
        yield* Effect.yieldNow
        yield* server.kill
        const failures = yield* Fiber.join(inFlight)
        for (const failure of failures) {
          assert.strictEqual(failure._tag, "ConnectionError")
          if (failure._tag === "ConnectionError") assert.isTrue(failure.sent)
        }
        const failure = failures[0]

        assert.strictEqual(failure._tag, "ConnectionError")
        if (failure._tag === "ConnectionError") assert.isTrue(failure.sent)
        yield* server.start
        // the same database is selected after the reconnect: the key is gone (new server), written again in db 3
        yield* eventually(Effect.map(Effect.result(redis.set("again", "1")), (r) => r._tag === "Success"))
        assert.strictEqual(yield* server.cli("-n", "3", "GET", "again"), "1")
        assert.strictEqual(yield* server.cli("-n", "0", "EXISTS", "again"), "0")
      })
    )

    it.live("a lazy layer builds before the server exists and serves once it starts", () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make()
        yield* server.stop
        const redis = yield* Redis.make({ endpoint: server.urls[kind], commandTimeout: "20 seconds" }, { lazy: true })
        const waiting = yield* Effect.forkChild(redis.incr("counter"))
        yield* server.start
        assert.strictEqual(yield* Fiber.join(waiting), 1)
        assert.strictEqual(yield* redis.incr("counter"), 2)
      })
    )

    it.live("a wrong password fails an eager layer with a typed Handshake error", () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make({ password: "secret" })
        const wrong = yield* Effect.flip(Redis.make({ endpoint: server.urls[kind], password: "nope" }))
        assert.strictEqual(wrong._tag, "ConnectionError")
        if (wrong._tag === "ConnectionError") {
          assert.strictEqual(wrong.reason, "Handshake")
          assert.notInclude(wrong.message, "nope")
        }
        const right = yield* Redis.make({ endpoint: server.urls[kind], password: "secret" })
        assert.strictEqual(yield* right.ping(), "PONG")
        const acl = yield* RedisServer.make({ users: [{ name: "app", password: "pw" }] })
        const user = yield* Redis.make({ endpoint: acl.urls[kind], username: "app", password: "pw", protocol: 3 })
        assert.strictEqual(yield* user.send("ACL", "WHOAMI"), "app")
      })
    )

    it.live("a paused server gives CommandTimeoutError; after resume the connection answers correctly", () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make()
        const redis = yield* client(server, kind, { commandTimeout: "300 millis" })
        yield* redis.set("k", "before")
        yield* server.pause
        const timedOut = yield* Effect.flip(redis.get("k"))
        assert.strictEqual(timedOut._tag, "CommandTimeoutError")
        if (timedOut._tag === "CommandTimeoutError") assert.isTrue(timedOut.sent)
        yield* server.resume
        // the late reply of the timed-out GET is dropped: every later command gets its own reply
        for (let i = 0; i < 20; i++) assert.strictEqual(yield* redis.echo(`after-${i}`), `after-${i}`)
        assert.deepStrictEqual(yield* redis.get("k"), Option.some("before"))
      })
    )

    it.live("an interruption storm leaves the connection aligned", () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make()
        const redis = yield* client(server, kind)
        const fibers = yield* Effect.forEach(
          Array.from({ length: 1000 }, (_, i) => i),
          (i) => Effect.forkChild(redis.echo(`storm-${i}`))
        )
        // interrupt a random half, some before and some after their reply arrives
        yield* Effect.forEach(
          fibers,
          (fiber, i) => (i % 2 === 0 || Math.random() < 0.3 ? Fiber.interrupt(fiber) : Effect.void),
          {
            discard: true
          }
        )
        yield* Effect.forEach(fibers, (fiber) => Fiber.await(fiber), { discard: true })
        const after = yield* Effect.forEach(
          Array.from({ length: 1000 }, (_, i) => i),
          (i) => redis.echo(`ok-${i}`),
          {
            concurrency: "unbounded"
          }
        )
        assert.deepStrictEqual(
          after,
          after.map((_, i) => `ok-${i}`)
        )
        const timed = yield* Effect.forEach(
          Array.from({ length: 200 }, (_, i) => i),
          (i) => Effect.timeout(redis.echo(`t-${i}`), i % 2 === 0 ? 0 : "1 second").pipe(Effect.result)
        )
        // a zero timeout may lose or win the race; either way each fiber gets its own echo or a TimeoutError
        timed.forEach((r, i) => {
          if (r._tag === "Success") assert.strictEqual(r.success, `t-${i}`)
          else assert.strictEqual(r.failure._tag, "TimeoutError")
          if (i % 2 === 1) assert.strictEqual(r._tag, "Success", `t-${i} had a whole second`)
        })
        assert.strictEqual(yield* redis.echo("final"), "final")
      })
    )

    it.live("a server sending garbage gives ProtocolError, and the client reconnects", () =>
      Effect.gen(function* () {
        // the first connection answers its handshake PING, then garbage; later connections behave
        const chunks = new Map<number, number>()
        const fake = yield* FakeServer.make({
          reply: (_, connection) => {
            const n = (chunks.get(connection) ?? 0) + 1
            chunks.set(connection, n)
            return connection === 0 && n > 1 ? "%%% not resp %%%\r\n" : "+PONG\r\n"
          }
        })
        const redis = yield* Redis.make({ endpoint: fake.urls[kind] })
        const failed = yield* Effect.flip(redis.ping())
        assert.strictEqual(failed._tag, "ProtocolError")
        yield* eventually(Effect.map(Effect.result(redis.ping()), (r) => r._tag === "Success"))
        assert.isTrue(fake.connections() >= 2)
      })
    )

    it.live("closing the scope closes the socket and stops every fiber and timer", () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make()
        const before = handles()
        const scope = yield* Scope.make()
        const redis = yield* client(server, kind, { commandTimeout: "2 seconds" }).pipe(Scope.provide(scope))
        yield* redis.set("k", "v")
        yield* redis.blpop(["nothing"], "0.01 seconds")
        const sub = yield* Effect.forkChild(Stream.runDrain(redis.subscribe("ch")))
        yield* eventually(Effect.map(server.cli("PUBSUB", "NUMSUB", "ch"), (out) => out.endsWith("1")))
        yield* Fiber.interrupt(sub)
        const pending = yield* Effect.forkChild(Effect.exit(redis.blpop(["never"], 0)))
        yield* eventually(Effect.map(server.cli("CLIENT", "LIST"), (list) => blocked(list) === 1))
        assert.isTrue(handles() > before)
        yield* Scope.close(scope, Exit.void)
        const exit = yield* Fiber.join(pending)
        assert.isTrue(Exit.isFailure(exit))
        yield* eventually(Effect.sync(() => handles() <= before))
        yield* eventually(Effect.map(server.cli("CLIENT", "LIST"), (list) => list.split("\n").length === 1))
      })
    )

    it.live("offline commands wait up to commandTimeout, fail at once when the queue is off or full", () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make()
        yield* server.stop
        const queued = yield* Redis.make(
          { endpoint: server.urls[kind], commandTimeout: "200 millis", maxOfflineCommands: 2 },
          { lazy: true }
        )
        const waits = yield* Effect.forkChild(
          Effect.all([Effect.flip(queued.ping()), Effect.flip(queued.ping())], { concurrency: 2 })
        )
        yield* Effect.yieldNow
        const full = yield* Effect.flip(queued.ping())
        assert.strictEqual(full._tag === "ConnectionError" ? full.reason : full._tag, "QueueFull")
        const [a, b] = yield* Fiber.join(waits)
        assert.strictEqual(a._tag, "CommandTimeoutError")
        assert.strictEqual(b._tag, "CommandTimeoutError")
        if (a._tag === "CommandTimeoutError") assert.isFalse(a.sent)
        const failFast = yield* Redis.make({ endpoint: server.urls[kind], offlineQueue: false }, { lazy: true })
        const offline = yield* Effect.flip(failFast.ping())
        assert.strictEqual(offline._tag === "ConnectionError" ? offline.reason : offline._tag, "Offline")
      })
    )

    it.live("reconnect: false stops after a drop; an explicit Schedule retries the first connect", () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make()
        const once = yield* client(server, kind, { reconnect: false })
        yield* once.ping()
        yield* server.restart
        yield* eventually(
          Effect.map(Effect.flip(once.ping()), (e) => e._tag === "ConnectionError" && e.reason === "Closed")
        )
        yield* server.stop
        const starting = yield* Effect.forkChild(
          client(server, kind, { reconnect: Schedule.max([Schedule.spaced("50 millis"), Schedule.recurs(100)]) })
        )
        yield* server.start
        const redis = yield* Fiber.join(starting)
        assert.strictEqual(yield* redis.ping(), "PONG")
        const refused = yield* Effect.flip(Redis.make({ endpoint: "redis://127.0.0.1:1", connectTimeout: "1 second" }))
        assert.strictEqual(refused._tag === "ConnectionError" ? refused.reason : refused._tag, "Refused")
      })
    )

    it.live("blocking commands run on their own connections and never stall others", () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make({ config: ["enable-debug-command yes"] })
        const redis = yield* client(server, kind, { commandTimeout: "100 millis" })
        const popped = yield* Effect.forkChild(redis.blpop(["queue"], 0))
        const second = yield* Effect.forkChild(redis.brpop(["queue2"], 0))
        yield* eventually(Effect.map(server.cli("CLIENT", "LIST"), (l) => blocked(l) === 2))
        // other commands flow meanwhile, and the blocking ones are exempt from commandTimeout
        for (let i = 0; i < 10; i++) assert.strictEqual(yield* redis.incr("n"), i + 1)
        // the shared connection's commands time out after 100 ms; the blocking ones wait on
        const slow = yield* Effect.flip(redis.send("DEBUG", "SLEEP", "0.3"))
        assert.strictEqual(slow._tag, "CommandTimeoutError")
        assert.isTrue(popped.pollUnsafe() === undefined && second.pollUnsafe() === undefined)
        yield* eventually(Effect.map(Effect.result(redis.ping()), (r) => r._tag === "Success"))
        yield* redis.rpush("queue", ["job"])
        yield* redis.rpush("queue2", ["job2"])
        assert.deepStrictEqual(yield* Fiber.join(popped), Option.some(["queue", "job"] as const))
        assert.deepStrictEqual(yield* Fiber.join(second), Option.some(["queue2", "job2"] as const))
        // interrupting a blocking command closes its connection (it is still blocked on the server)
        const abandoned = yield* Effect.forkChild(redis.blpop(["abandoned"], 0))
        yield* eventually(Effect.map(server.cli("CLIENT", "LIST"), (l) => blocked(l) === 1))
        yield* Fiber.interrupt(abandoned)
        yield* eventually(Effect.map(server.cli("CLIENT", "LIST"), (l) => blocked(l) === 0))
        yield* redis.rpush("abandoned", ["kept"])
        assert.deepStrictEqual(yield* redis.lrange("abandoned", 0, -1), ["kept"])
      })
    )

    it.live("pub/sub delivers on its own connection and re-subscribes after a reconnect", () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make()
        const redis = yield* client(server, kind)
        const received = yield* Deferred.make<ReadonlyArray<string>>()
        const messages: Array<string> = []
        yield* Effect.forkChild(
          Stream.runForEach(redis.subscribe("news"), (m) =>
            Effect.sync(() => messages.push(`${m.channel}:${m.message}`)).pipe(
              Effect.andThen(() => (messages.length === 2 ? Deferred.succeed(received, [...messages]) : Effect.void))
            )
          )
        )
        const patterns = yield* Effect.forkChild(Stream.runCollect(Stream.take(redis.psubscribe("ne*"), 1)))
        const published = (channel: string, message: string) =>
          Effect.map(redis.send("PUBLISH", channel, message), (n) => Number(n) > 0)
        yield* eventually(Effect.map(server.cli("PUBSUB", "NUMSUB", "news"), (o) => o.endsWith("1")))
        yield* eventually(Effect.map(server.cli("PUBSUB", "NUMPAT"), (o) => o === "1"))
        assert.isTrue(yield* published("news", "first"))
        const [patterned] = yield* Fiber.join(patterns)
        assert.deepStrictEqual(patterned, { pattern: "ne*", channel: "news", message: "first" })
        // the subscriber's link drops: it reconnects and subscribes again
        yield* server.cli("CLIENT", "KILL", "TYPE", "pubsub")
        yield* eventually(published("news", "second"))
        assert.deepStrictEqual(yield* Deferred.await(received), ["news:first", "news:second"])
      })
    )
  })
}

describe("configuration", () => {
  it.live("Redis.layerConfig reads REDIS_URL, REDIS_DATABASE and REDIS_PASSWORD from Effect's Config", () =>
    Effect.gen(function* () {
      const server = yield* RedisServer.make({ password: "s3cret" })
      const provider = ConfigProvider.fromUnknown({
        REDIS_URL: server.urls.tcp.replace(/:[^:@/]*@/, "@"),
        REDIS_DATABASE: "4",
        REDIS_PASSWORD: "s3cret",
        REDIS_POOL_SIZE: "2"
      })
      yield* Redis.use((redis) => redis.set("from-config", "yes")).pipe(
        Effect.provide(Redis.layerConfig(undefined, { lazy: false })),
        Effect.provide(ConfigProvider.layer(provider))
      )
      assert.strictEqual(yield* server.cli("-n", "4", "GET", "from-config"), "yes")
      const bad = yield* Effect.flip(
        Layer.build(Redis.layerConfig()).pipe(
          Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ REDIS_URL: "http://nope" })))
        )
      )
      assert.strictEqual(bad._tag, "EndpointError")
    })
  )
})

describe("RESP3 and handshakes", () => {
  it.live("RESP3 push frames (client-tracking invalidations) do not disturb replies", () =>
    Effect.gen(function* () {
      const server = yield* RedisServer.make()
      const redis = yield* Redis.make({ endpoint: server.urls.unix, protocol: 3 })
      assert.strictEqual(yield* redis.send("CLIENT", "TRACKING", "ON"), "OK")
      yield* redis.set("tracked", "1")
      assert.deepStrictEqual(yield* redis.get("tracked"), Option.some("1"))
      yield* server.cli("SET", "tracked", "2") // the server pushes an invalidation to the tracking client
      for (let i = 0; i < 50; i++) assert.strictEqual(yield* redis.echo(`after-${i}`), `after-${i}`)
      assert.deepStrictEqual(yield* redis.hgetall("none"), {})
      yield* redis.hset("h", { a: "1" })
      assert.deepStrictEqual(yield* redis.hgetall("h"), { a: "1" }) // a RESP3 map, as a record
    })
  )
  it.live("a server that accepts but never answers fails the handshake within connectTimeout", () =>
    Effect.gen(function* () {
      const server = yield* RedisServer.make()
      yield* server.pause
      const error = yield* Effect.flip(Redis.make({ endpoint: server.urls.unix, connectTimeout: "300 millis" }))
      yield* server.resume
      assert.strictEqual(error._tag, "ConnectionError")
      // a handshake with no answer is a timeout (reason "Timeout", naming connectTimeout), not a refused handshake
      if (error._tag === "ConnectionError") assert.strictEqual(error.reason, "Timeout")
    })
  )
})

describe("other transports", () => {
  it.live("TLS (rediss://) with the server's CA", () =>
    Effect.gen(function* () {
      const server = yield* RedisServer.make({ tls: true })
      const redis = yield* Redis.make({ endpoint: server.tls!, database: 1 })
      yield* redis.set("over", "tls")
      assert.deepStrictEqual(yield* redis.get("over"), Option.some("tls"))
      assert.strictEqual(yield* server.cli("-n", "1", "GET", "over"), "tls")
    })
  )
  it.live("Effect's socket transport, swapped in as a layer", () =>
    Effect.gen(function* () {
      const server = yield* RedisServer.make()
      for (const endpoint of [server.urls.unix, server.urls.tcp]) {
        const redis = yield* Redis.make({ endpoint }).pipe(Effect.provide(SocketTransport.layer))
        const replies = yield* Effect.forEach(
          Array.from({ length: 500 }, (_, i) => i),
          (i) => redis.echo(String(i)),
          {
            concurrency: "unbounded"
          }
        )
        assert.deepStrictEqual(
          replies,
          replies.map((_, i) => String(i))
        )
      }
    })
  )
})
