/**
 * fxredis driven natively (fibers instead of promises: what an Effect program does), in its variants:
 *
 * - `fxredis`: the defaults (no tracer installed, so no spans; no command metrics);
 * - `fxredis+effect-tracer`: `tracing: true` under a tracer made of Effect's own `NativeSpan`s whose ended spans go
 *   to a sink that reads them as an exporter would (ids, name, attributes) and counts them;
 * - `fxredis+otel`: `tracing: true` under `@effect/opentelemetry`'s tracer on an OpenTelemetry SDK
 *   `BasicTracerProvider` whose `SimpleSpanProcessor` exports every span to an exporter that counts them;
 * - `fxredis+metrics`: `commandMetrics: true` (a duration histogram and an in-flight gauge per command);
 * - `fxredis@<rev>`: the defaults, on the client extracted from an earlier commit.
 *
 * Over a cluster (the `cluster-…` workloads) each of them is `Redis.cluster({ seeds })` with the same options; a
 * version without a cluster client (the baseline, ff182a9) reports the row as n/a.
 *
 * `BENCH_FXREDIS_DIR` names the copy of the packages to load (`pnpm bench` sets it: the run's snapshot of the work
 * tree, or the baseline); without it, the workspace's `@fxredis/client`.
 *
 * Loaded only by the worker that measures one of them; OpenTelemetry's modules only by the `+otel` one.
 */
import type { Redis as CurrentRedis, RedisOptions } from "@fxredis/client"
import { Effect, Fiber, Layer, Metric, Tracer } from "effect"
import {
  concurrencyOf,
  cpuSecondsSince,
  isCluster,
  type Job,
  KEYS,
  type Measured,
  PAIRS,
  shapeOf,
  type Unsupported,
  VALUE,
  warmupOf,
  weightOf
} from "../harness.ts"

type RedisClass = typeof CurrentRedis

/** the `Redis` class: the workspace's, or that of a copy (`BENCH_FXREDIS_DIR`: the run's snapshot, or the baseline) */
const loadRedis = async (job: Job): Promise<RedisClass> => {
  const dir = process.env.BENCH_FXREDIS_DIR
  if (dir === undefined || dir === "") {
    if (job.client.startsWith("fxredis@")) throw new Error(`${job.client}: BENCH_FXREDIS_DIR is not set`)
    return (await import("@fxredis/client")).Redis
  }
  const { pathToFileURL } = await import("node:url")
  const module = await import(pathToFileURL(`${dir}/packages/client/src/index.ts`).href)
  return module.Redis as RedisClass
}

/** a tracer of Effect's own spans whose ended spans are read (as an exporter would) and counted */
const effectTracer = () => {
  const recorded = { spans: 0, bytes: 0 }
  class RecordedSpan extends Tracer.NativeSpan {
    override end(endTime: bigint, exit: Parameters<Tracer.NativeSpan["end"]>[1]) {
      super.end(endTime, exit)
      recorded.spans++
      recorded.bytes += this.traceId.length + this.spanId.length + this.name.length + this.attributes.size
    }
  }
  const tracer = Tracer.make({ span: (options) => new RecordedSpan(options) })
  return { layer: Layer.succeed(Tracer.Tracer, tracer), count: () => recorded.spans }
}

/** `@effect/opentelemetry` on an SDK provider whose span processor exports every ended span to a counting exporter */
const otelTracer = async () => {
  const [{ OtelTracer, OtelTracerProvider }, sdk] = await Promise.all([
    import("@effect/opentelemetry/OtelTracer").then((m) => ({
      OtelTracer: m,
      OtelTracerProvider: m.OtelTracerProvider
    })),
    import("@opentelemetry/sdk-trace-base")
  ])
  let spans = 0
  const exporter: import("@opentelemetry/sdk-trace-base").SpanExporter = {
    export: (batch, done) => {
      spans += batch.length
      done({ code: 0 })
    },
    shutdown: () => Promise.resolve()
  }
  const provider = new sdk.BasicTracerProvider({ spanProcessors: [new sdk.SimpleSpanProcessor(exporter)] })
  const layer = OtelTracer.layer.pipe(Layer.provide(Layer.succeed(OtelTracerProvider, provider)))
  return { layer: layer as Layer.Layer<never>, count: () => spans }
}

/** samples recorded by `fxredis.command.duration`, over every attribute set */
const commandSamples = Effect.map(Metric.snapshot, (snapshots) =>
  snapshots
    .filter((s) => s.id === "fxredis.command.duration" && s.type === "Histogram")
    .reduce((n, s) => n + (s.state as Metric.HistogramState).count, 0)
)

/** the client's layer: one server (or the shards), or the cluster whose primaries are the job's urls */
const layerOf = (Redis: RedisClass, job: Job, options: RedisOptions) =>
  isCluster(job.workload) ? Redis.cluster({ ...options, seeds: job.urls }) : Redis.layer(options)

const measure = (Redis: RedisClass, job: Job, options: RedisOptions) =>
  Effect.gen(function* () {
    const redis = yield* Redis
    yield* redis.mset(PAIRS)
    let i = 0
    const shape = shapeOf(job.workload)
    const step: Effect.Effect<unknown, unknown> =
      shape === "seq"
        ? Effect.andThen(redis.set("bench:seq", VALUE), redis.get("bench:seq"))
        : shape === "mget100"
          ? redis.mget(KEYS)
          : shape === "sharded"
            ? Effect.suspend(() => (i++ % 2 === 0 ? redis.mget(KEYS) : redis.mset(PAIRS)))
            : Effect.suspend(() => redis.get(KEYS[i++ % 100]))
    const weight = weightOf(job.workload)
    let counting = false
    let stop = false
    let ops = 0
    let commands = 0
    const loop = Effect.whileLoop({
      while: () => !stop,
      body: () => step,
      step: () => {
        commands += weight
        if (counting) ops += weight
      }
    })
    const fibers = yield* Effect.forEach(Array.from({ length: concurrencyOf(job.workload) }), () =>
      Effect.forkChild(loop)
    )
    yield* Effect.sleep(warmupOf(job.duration))
    counting = true
    const start = performance.now()
    const cpu = process.cpuUsage()
    yield* Effect.sleep(job.duration)
    const seconds = (performance.now() - start) / 1000
    const cpu_seconds = cpuSecondsSince(cpu)
    counting = false
    stop = true
    yield* Fiber.awaitAll(fibers)
    return { ops, seconds, commands, cpu_seconds }
  }).pipe(Effect.provide(layerOf(Redis, job, options)))

/** which copy `loadRedis` loads: `workspace`, or the kind of copy (`.tools/bench-<kind>/<id>`) */
const sourceOf = () => {
  const dir = process.env.BENCH_FXREDIS_DIR
  if (dir === undefined || dir === "") return "workspace"
  return /bench-([a-z]+)\/[^/]+\/?$/.exec(dir)?.[1] ?? dir
}

export const run = async (job: Job): Promise<Measured | Unsupported> => {
  const Redis = await loadRedis(job)
  // versions before the cluster client (e.g. the baseline) have no `Redis.cluster`
  if (isCluster(job.workload) && typeof (Redis as Partial<RedisClass>).cluster !== "function")
    return { unsupported: "this version has no cluster client" }
  return { ...(await measureVariant(Redis, job)), source: sourceOf() }
}

/**
 * The shards of the `sharded` workload, placed as every version places them: the baseline's ring hashed each shard
 * by its endpoint's `format` (`127.0.0.1:6379`, `unix:/path`); today's hashes `shard-<i>` unless a shard is named.
 * Naming each shard by its endpoint gives both versions the same ring, so the same keys go to the same servers and
 * the parts of each MGET/MSET are the same sizes: the row compares one workload. (Left to its default, in one run
 * today's client sent MGET parts of 620/675/640 bytes and the baseline parts of 694/525/716.)
 */
export const shardsOf = (job: Job): ReadonlyArray<string | { readonly name: string; readonly endpoint: string }> =>
  job.client.startsWith("fxredis@")
    ? job.urls
    : // the URLs the bench makes (`redis://host:port`, `unix:///path`) in the baseline's `Endpoint.format`, spelled out
      // here: this worker loads only the copy it measures, not the workspace's transport (a test checks both)
      job.urls.map((url) => ({ name: url.replace(/^redis:\/\//, "").replace(/^unix:\/\//, "unix:"), endpoint: url }))

const measureVariant = async (Redis: RedisClass, job: Job): Promise<Measured> => {
  const variant = job.client.startsWith("fxredis@") ? "" : job.client.slice("fxredis".length)
  const base: RedisOptions = isCluster(job.workload)
    ? {}
    : job.workload === "sharded"
      ? { endpoints: shardsOf(job) }
      : { endpoint: job.urls[0], poolSize: job.workload === "pool" ? 4 : 1 }
  if (variant === "+effect-tracer" || variant === "+otel") {
    const tracer = variant === "+otel" ? await otelTracer() : effectTracer()
    const result = await Effect.runPromise(
      measure(Redis, job, { ...base, tracing: true }).pipe(Effect.provide(tracer.layer)) as Effect.Effect<
        Omit<Measured, "spans">
      >
    )
    return { ...result, spans: tracer.count() }
  }
  if (variant === "+metrics") {
    const result = await Effect.runPromise(
      Effect.flatMap(measure(Redis, job, { ...base, commandMetrics: true }), (r) =>
        Effect.map(commandSamples, (metricSamples) => ({ ...r, metricSamples }))
      ) as Effect.Effect<Measured>
    )
    return result
  }
  if (variant !== "") throw new Error(`unknown fxredis variant ${job.client}`)
  return Effect.runPromise(measure(Redis, job, base) as Effect.Effect<Measured>)
}
