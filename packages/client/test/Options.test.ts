/**
 * Option resolution: what `resolve` (and so every layer) accepts, what it rejects and with which typed error, and the
 * timer limits (a duration of 2^31-1 ms or more means "no timeout", never a Node timer that overflows to 1 ms).
 */
import * as Net from "node:net"
import { assert, describe, it } from "@effect/vitest"
import { Redis, type RedisOptions, resolve } from "@fxredis/client"
import { RedisServer } from "@fxredis/testing"
import * as NodeTransport from "@fxredis/transport/NodeTransport"
import { Cause, ConfigProvider, Context, Deferred, Duration, Effect, Exit, Fiber, Layer, Option } from "effect"

/** options as a JavaScript caller might pass them: any shape at all */
const untyped = (options: unknown) => options as RedisOptions

/** the typed failure of `effect`, or a test failure when it succeeds or dies */
const failure = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const exit = yield* Effect.exit(effect)
    if (Exit.isSuccess(exit)) return assert.fail("expected a failure, got a success")
    const error = Cause.findErrorOption(exit.cause)
    if (Option.isNone(error)) return assert.fail(`expected a typed failure, got ${Cause.pretty(exit.cause)}`)
    return error.value
  })

/** collects the process warnings emitted while `effect` runs */
const warningsDuring = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const warnings: Array<string> = []
    const listener = (w: Error) => warnings.push(`${w.name}: ${w.message}`)
    yield* Effect.acquireRelease(
      Effect.sync(() => process.on("warning", listener)),
      () => Effect.sync(() => process.off("warning", listener))
    )
    const value = yield* effect
    // Node emits warnings from process.nextTick: one turn of the event loop (setImmediate runs after it) delivers them
    yield* Effect.callback<void>((resume) => {
      setImmediate(() => resume(Effect.void))
    })
    return [value, warnings] as const
  })

describe("timeouts", () => {
  it.effect("commandTimeout 'infinity', 'Infinity' and Duration.infinity mean no timeout", () =>
    Effect.gen(function* () {
      for (const commandTimeout of ["infinity", "Infinity", Duration.infinity, " INFINITY "] as const) {
        const [resolved] = yield* resolve({ commandTimeout: commandTimeout as Duration.Input })
        assert.strictEqual(resolved.commandTimeout, Infinity, String(commandTimeout))
      }
      const [connect] = yield* resolve({ connectTimeout: "infinity" })
      assert.isFalse(Duration.isFinite(connect.connectTimeout))
    })
  )

  it.effect("a duration of 2^31-1 ms or more is infinite; anything shorter stays as given", () =>
    Effect.gen(function* () {
      const [long] = yield* resolve({ connectTimeout: "30 days", commandTimeout: "30 days" })
      assert.isFalse(Duration.isFinite(long.connectTimeout))
      assert.strictEqual(long.commandTimeout, Infinity)
      const [edge] = yield* resolve({ connectTimeout: 2 ** 31 - 1, commandTimeout: 2 ** 31 - 1 })
      assert.strictEqual(edge.commandTimeout, Infinity)
      assert.isFalse(Duration.isFinite(edge.connectTimeout))
      const [below] = yield* resolve({ connectTimeout: 2 ** 31 - 2, commandTimeout: "24 days" })
      assert.strictEqual(Duration.toMillis(below.connectTimeout), 2 ** 31 - 2)
      assert.strictEqual(below.commandTimeout, 24 * 86_400_000)
      const [object] = yield* resolve({ commandTimeout: { seconds: 2 }, connectTimeout: [1, 500_000_000] })
      assert.strictEqual(object.commandTimeout, 2_000)
      assert.strictEqual(Duration.toMillis(object.connectTimeout), 1_500)
      const [zero] = yield* resolve({ commandTimeout: 0 })
      assert.strictEqual(zero.commandTimeout, 0)
    })
  )

  it.live("connectTimeout of 30 days arms no timer: a slow connect is not cut short", () =>
    Effect.gen(function* () {
      // a TCP server that accepts and never answers: a TLS connect to it waits for a handshake that never comes
      const sockets = new Set<Net.Socket>()
      const accepted = yield* Deferred.make<void>()
      const server = yield* Effect.acquireRelease(
        Effect.callback<Net.Server>((resume) => {
          const s = Net.createServer((socket) => {
            sockets.add(socket)
            Deferred.doneUnsafe(accepted, Exit.void)
            socket.on("error", () => {})
          })
          s.listen(0, "127.0.0.1", () => resume(Effect.succeed(s)))
        }),
        (s) =>
          Effect.sync(() => {
            for (const socket of sockets) socket.destroy()
            s.close()
          })
      )
      const port = (server.address() as Net.AddressInfo).port
      const endpoint = { _tag: "Tls", host: "127.0.0.1", port } as const
      const [outcome, warnings] = yield* warningsDuring(
        Effect.gen(function* () {
          const connecting = yield* Effect.forkChild(
            Effect.scoped(NodeTransport.connect(endpoint, { connectTimeout: "30 days" }))
          )
          // the server accepted the socket: the connect ran, and any timer it arms was armed before (an overflowing
          // one warns as it is armed; the collector below waits for that warning's delivery)
          yield* Deferred.await(accepted)
          const early = connecting.pollUnsafe()
          yield* Fiber.interrupt(connecting)
          return early
        })
      )
      assert.isUndefined(outcome, "the connect ended before its (30 day) timeout")
      assert.deepStrictEqual(
        warnings.filter((w) => w.startsWith("TimeoutOverflowWarning")),
        []
      )
      // a short timeout still applies
      const error = yield* failure(Effect.scoped(NodeTransport.connect(endpoint, { connectTimeout: "100 millis" })))
      assert.strictEqual(error.reason, "Timeout")
    })
  )

  it.live("commandTimeout of 30 days arms no overflowing timer while a command waits", () =>
    Effect.gen(function* () {
      const server = yield* RedisServer.make()
      // no handshake deadline (connectTimeout "infinity"), so the command's is the first timer the client arms
      const redis = yield* Redis.make({
        endpoint: server.urls.unix,
        commandTimeout: "30 days",
        connectTimeout: "infinity"
      })
      const [reply, warnings] = yield* warningsDuring(
        Effect.gen(function* () {
          yield* server.pause
          const ping = yield* Effect.forkChild(redis.ping())
          // the forked command runs up to its wait (queued, its deadline timer armed if it has one)
          // before this fiber goes on: an overflowing timer warns as it is armed
          yield* Effect.yieldNow
          yield* server.resume
          return yield* Fiber.join(ping)
        })
      )
      assert.strictEqual(reply, "PONG")
      assert.deepStrictEqual(
        warnings.filter((w) => w.startsWith("TimeoutOverflowWarning")),
        []
      )
    })
  )
})

describe("bad options", () => {
  const cases: ReadonlyArray<readonly [string, unknown]> = [
    ["connectTimeout", { connectTimeout: -1 }],
    ["connectTimeout", { connectTimeout: Number.NaN }],
    ["connectTimeout", { connectTimeout: "-5 seconds" }],
    ["commandTimeout", { commandTimeout: Number.NaN }],
    ["commandTimeout", { commandTimeout: "soon" }],
    ["commandTimeout", { commandTimeout: { seconds: Number.NaN } }],
    ["commandTimeout", { commandTimeout: [Number.NaN, 0] }],
    ["commandTimeout", { commandTimeout: {} }],
    ["commandTimeout", { commandTimeout: { _tag: "Bogus" } }],
    ["commandTimeout", { commandTimeout: null }],
    ["commandTimeout", { commandTimeout: "-Infinity" }],
    ["poolSize", { poolSize: 0 }],
    ["poolSize", { poolSize: 1.5 }],
    ["poolSize", { poolSize: "4" }],
    ["poolSize", { poolSize: Number.NaN }],
    ["maxOfflineCommands", { maxOfflineCommands: -1 }],
    ["maxBlockingConnections", { maxBlockingConnections: 0 }],
    ["protocol", { protocol: 4 }],
    ["protocol", { protocol: "3" }],
    ["database", { database: -1 }],
    ["database", { database: 2 ** 31 }],
    ["reconnect", { reconnect: "yes" }],
    ["reconnect", { reconnect: 5 }],
    ["reconnect", { reconnect: { times: 3 } }],
    ["offlineQueue", { offlineQueue: "no" }],
    ["tracing", { tracing: "sometimes" }],
    ["commandMetrics", { commandMetrics: 1 }],
    ["clientName", { clientName: 42 }],
    ["clientName", { clientName: "has space" }],
    ["username", { username: 42 }],
    ["password", { password: 42 }],
    ["options", null],
    ["options", "redis://localhost"]
  ]
  for (const [option, options] of cases) {
    it.effect(`${JSON.stringify(options)} fails with RedisConfigError naming ${option}`, () =>
      Effect.gen(function* () {
        const error = yield* failure(resolve(untyped(options)))
        assert.strictEqual(error._tag, "RedisConfigError")
        if (error._tag === "RedisConfigError") {
          assert.strictEqual(error.option, option)
          assert.include(error.message, option)
        }
      })
    )
  }

  const endpoints: ReadonlyArray<unknown> = [
    { endpoint: 42 },
    { endpoint: { _tag: "Bogus" } },
    { endpoint: { _tag: "Tcp", host: 42, port: 6379 } },
    { endpoint: { _tag: "Unix" } },
    { endpoint: null },
    { endpoints: null },
    { endpoints: "redis://a:6379" },
    { endpoints: [42] },
    { endpoints: [] },
    { endpoint: "http://nope" }
  ]
  for (const options of endpoints) {
    it.effect(`${JSON.stringify(options)} fails with EndpointError`, () =>
      Effect.gen(function* () {
        const error = yield* failure(resolve(untyped(options)))
        assert.strictEqual(error._tag, "EndpointError")
      })
    )
  }

  it.effect("errors describe values without secrets", () =>
    Effect.gen(function* () {
      const wrongType = yield* failure(resolve(untyped({ password: { secret: "hunter2" } })))
      assert.strictEqual(wrongType._tag, "RedisConfigError")
      assert.notInclude(JSON.stringify(wrongType), "hunter2")
      assert.notInclude(String(wrongType), "hunter2")
      const withUrl = yield* failure(resolve({ endpoint: "redis://:hunter2@localhost:6379", poolSize: 0 }))
      assert.notInclude(JSON.stringify(withUrl), "hunter2")
      const badUrl = yield* failure(resolve({ endpoint: "redis://:hunter2@localhost:99999" }))
      assert.strictEqual(badUrl._tag, "EndpointError")
      assert.notInclude(JSON.stringify(badUrl), "hunter2")
    })
  )

  it.effect("layers fail with the typed error (no defect, no synchronous throw)", () =>
    Effect.gen(function* () {
      const eager = yield* failure(Layer.build(Redis.layer({ poolSize: 0 })))
      assert.strictEqual(eager._tag, "RedisConfigError")
      const lazy = yield* failure(Layer.build(Redis.layerLazy(untyped({ protocol: 4 }))))
      assert.strictEqual(lazy._tag, "RedisConfigError")
      const made = yield* failure(Redis.make(untyped({ reconnect: "always" })))
      assert.strictEqual(made._tag, "RedisConfigError")
      const config = yield* failure(
        Layer.build(Redis.layerConfig()).pipe(
          Effect.provide(ConfigProvider.layer(ConfigProvider.fromUnknown({ REDIS_POOL_SIZE: "0" })))
        )
      )
      assert.strictEqual(config._tag, "RedisConfigError")
      // txredisapi-style constructors given garbage by a JavaScript caller
      const paths = yield* failure(Layer.build(Redis.shardedUnixConnection(untyped({ paths: undefined }) as never)))
      assert.strictEqual(paths._tag, "EndpointError")
      const hosts = yield* failure(Layer.build(Redis.lazyShardedConnection(untyped({ hosts: [42] }) as never)))
      assert.strictEqual(hosts._tag, "EndpointError")
      const none = yield* failure(Layer.build(Redis.lazyShardedConnectionPool(undefined as never)))
      assert.strictEqual(none._tag, "EndpointError")
    })
  )
})

describe("layerConfig", () => {
  it.live("REDIS_COMMAND_TIMEOUT is milliseconds as a bare number, or an Effect duration string", () =>
    Effect.gen(function* () {
      const server = yield* RedisServer.make()
      for (const [text, ms] of [
        ["300", 300],
        ["300 millis", 300],
        ["0.3 seconds", 300]
      ] as const) {
        const provider = ConfigProvider.fromUnknown({ REDIS_URL: server.urls.unix, REDIS_COMMAND_TIMEOUT: text })
        const error = yield* Effect.scoped(
          Effect.gen(function* () {
            const context = yield* Layer.build(Redis.layerConfig(undefined, { lazy: false }))
            const redis = Context.get(context, Redis)
            yield* server.pause
            return yield* failure(redis.ping()).pipe(Effect.ensuring(server.resume))
          })
        ).pipe(Effect.provide(ConfigProvider.layer(provider)))
        assert.strictEqual(error._tag, "CommandTimeoutError", text)
        if (error._tag === "CommandTimeoutError") assert.strictEqual(error.timeout, ms, text)
      }
      for (const [name, text] of [
        ["REDIS_COMMAND_TIMEOUT", "infinity"],
        ["REDIS_CONNECT_TIMEOUT", "1500"],
        ["REDIS_CONNECT_TIMEOUT", "2 seconds"]
      ] as const) {
        const provider = ConfigProvider.fromUnknown({ REDIS_URL: server.urls.unix, [name]: text })
        const pong = yield* Redis.use((redis) => redis.ping()).pipe(
          Effect.provide(Redis.layerConfig(undefined, { lazy: false }), { local: true }),
          Effect.provide(ConfigProvider.layer(provider))
        )
        assert.strictEqual(pong, "PONG")
      }
      for (const text of ["-300", "soon", "300ms"]) {
        const provider = ConfigProvider.fromUnknown({ REDIS_COMMAND_TIMEOUT: text })
        const error = yield* failure(
          Layer.build(Redis.layerConfig()).pipe(Effect.provide(ConfigProvider.layer(provider)))
        )
        assert.include(["RedisConfigError", "ConfigError"], error._tag, text)
      }
    })
  )
})
