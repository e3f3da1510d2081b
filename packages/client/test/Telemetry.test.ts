import { assert, describe, it } from "@effect/vitest"
import { Redis, RedisTelemetry } from "@fxredis/client"
import { RedisServer } from "@fxredis/testing"
import { Effect, Metric, Tracer } from "effect"
import { transports } from "./helpers.ts"

/** a tracer that records the spans it is asked for */
const recording = () => {
  const spans: Array<{ name: string; kind: string; attributes: Map<string, unknown> }> = []
  const tracer = Tracer.make({
    span: (options) => {
      const span = Tracer.nativeTracer.span(options)
      spans.push({ name: options.name, kind: options.kind, attributes: span.attributes as Map<string, unknown> })
      return span
    }
  })
  return { spans, tracer }
}

for (const kind of transports) {
  describe(`telemetry over ${kind}`, () => {
    it.live("with a tracer installed, each command runs in a client span with database attributes", () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make()
        const { spans, tracer } = recording()
        const redis = yield* Redis.make({ endpoint: server.urls[kind], database: 2, tracing: true }).pipe(
          Effect.withTracer(tracer)
        )
        yield* redis.set("k", "v").pipe(Effect.withTracer(tracer))
        yield* redis.get("k").pipe(Effect.withTracer(tracer))
        const names = spans.map((s) => s.name)
        assert.deepStrictEqual(names.slice(-2), ["SET", "GET"])
        const get = spans[spans.length - 1]
        assert.strictEqual(get.kind, "client")
        assert.strictEqual(get.attributes.get("db.system.name"), "redis")
        assert.strictEqual(get.attributes.get("db.operation.name"), "GET")
        assert.strictEqual(get.attributes.get("db.namespace"), "2")
        if (kind === "unix") assert.strictEqual(get.attributes.get("network.transport"), "unix")
        else assert.strictEqual(get.attributes.get("server.port"), server.tcp.port)
        // no argument is ever recorded
        for (const value of get.attributes.values()) assert.notStrictEqual(value, "k")
      })
    )
    it.live("spans are opt-in: none by default or with tracing: false, even with a tracer installed", () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make()
        const { spans, tracer } = recording()
        const byDefault = yield* Redis.make({ endpoint: server.urls[kind] }).pipe(Effect.withTracer(tracer))
        yield* byDefault.ping().pipe(Effect.withTracer(tracer))
        const off = yield* Redis.make({ endpoint: server.urls[kind], tracing: false }).pipe(Effect.withTracer(tracer))
        yield* off.ping().pipe(Effect.withTracer(tracer))
        assert.strictEqual(spans.length, 0)
        // "auto" turns them on when a tracer other than the native one is installed
        const auto = yield* Redis.make({ endpoint: server.urls[kind], tracing: "auto" }).pipe(Effect.withTracer(tracer))
        yield* auto.ping().pipe(Effect.withTracer(tracer))
        assert.deepStrictEqual(
          spans.map((s) => s.name),
          ["PING"]
        )
      })
    )
    it.live("connection and command metrics", () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make()
        const up = Metric.withAttributes(RedisTelemetry.connectionsUp, {
          server: kind === "unix" ? `unix:${server.unix.path}` : `127.0.0.1:${server.tcp.port}`
        })
        const redis = yield* Redis.make({ endpoint: server.urls[kind], poolSize: 2, commandMetrics: true })
        assert.strictEqual((yield* Metric.value(up)).count, 2)
        yield* redis.incr("n")
        yield* Effect.flip(redis.send("NOSUCHCOMMAND"))
        const snapshots = yield* Metric.snapshot
        const durations = snapshots.filter((m) => m.id === "fxredis.command.duration")
        const outcomes = durations.map((m) => `${m.attributes?.["command"]}:${m.attributes?.["outcome"]}`)
        assert.include(outcomes, "INCR:ok")
        assert.include(outcomes, "NOSUCHCOMMAND:ReplyError")
      })
    )
  })
}
