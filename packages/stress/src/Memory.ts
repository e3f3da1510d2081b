/**
 * Process measurements for the stress runs: RSS and heap samples with a trend (a least-squares line over the
 * second half of the run, in MB per minute, so warm-up does not read as growth), the open handles a client can
 * leak (sockets, pipes, timers), and a forced garbage collection that works with or without `--expose-gc`.
 */
import * as V8 from "node:v8"
import * as Vm from "node:vm"
import { Effect } from "effect"

/** one sample, in MB, `t` in seconds since sampling started */
export interface Sample {
  readonly t: number
  readonly rss: number
  readonly heap: number
}

/** first/last/peak and the second half's slope of one series */
export interface Trend {
  readonly first: number
  readonly last: number
  readonly peak: number
  /** least-squares slope over the second half of the samples, MB per minute */
  readonly secondHalfSlope: number
  /** least-squares slope over all samples, MB per minute */
  readonly slope: number
  /**
   * least-squares slope of the floors (the lowest sample of each 10-sample window) over the second half, MB per
   * minute: for the heap, the level it returns to after collections, which a sawtooth does not blur
   */
  readonly floorSecondHalfSlope: number
}

const MB = 1024 * 1024

/** the current RSS and heapUsed, MB */
export const sample = (t0: number): Sample => {
  const m = process.memoryUsage()
  return { t: (Date.now() - t0) / 1000, rss: m.rss / MB, heap: m.heapUsed / MB }
}

/** least-squares slope of y over t, per minute */
export const slopePerMinute = (points: ReadonlyArray<readonly [number, number]>): number => {
  const n = points.length
  if (n < 2) return 0
  let st = 0
  let sy = 0
  for (const [t, y] of points) {
    st += t
    sy += y
  }
  const mt = st / n
  const my = sy / n
  let num = 0
  let den = 0
  for (const [t, y] of points) {
    num += (t - mt) * (y - my)
    den += (t - mt) * (t - mt)
  }
  return den === 0 ? 0 : (num / den) * 60
}

/** the trend of one field of the samples */
export const trend = (samples: ReadonlyArray<Sample>, field: "rss" | "heap"): Trend => {
  if (samples.length === 0) return { first: 0, last: 0, peak: 0, secondHalfSlope: 0, slope: 0, floorSecondHalfSlope: 0 }
  const points = samples.map((s) => [s.t, s[field]] as const)
  const half = points.slice(Math.floor(points.length / 2))
  const floors: Array<readonly [number, number]> = []
  for (let i = 0; i < half.length; i += 10) {
    const window = half.slice(i, i + 10)
    let low = window[0]
    for (const p of window) if (p[1] < low[1]) low = p
    floors.push(low)
  }
  return {
    floorSecondHalfSlope: slopePerMinute(floors),
    first: samples[0][field],
    last: samples[samples.length - 1][field],
    peak: Math.max(...points.map(([, y]) => y)),
    secondHalfSlope: slopePerMinute(half),
    slope: slopePerMinute(points)
  }
}

/**
 * Samples every `everyMillis` until the Scope closes; the array fills in place.
 */
export const sampler = (everyMillis = 1000) =>
  Effect.gen(function* () {
    const t0 = Date.now()
    const samples: Array<Sample> = [sample(t0)]
    yield* Effect.forkScoped(
      Effect.forever(
        Effect.andThen(
          Effect.sleep(everyMillis),
          Effect.sync(() => samples.push(sample(t0)))
        )
      )
    )
    return samples
  })

/** the kinds of handle a client creates: sockets (TCP, UNIX, TLS) and timers */
export const leakableKinds: ReadonlySet<string> = new Set(["TCPSocketWrap", "PipeWrap", "Timeout", "TLSWrap"])

/** counts of open handles by kind (only the kinds a client creates) */
export const handleCounts = (): Record<string, number> => {
  const counts: Record<string, number> = { TCPSocketWrap: 0, PipeWrap: 0, Timeout: 0, TLSWrap: 0 }
  for (const r of process.getActiveResourcesInfo()) if (leakableKinds.has(r)) counts[r] = (counts[r] ?? 0) + 1
  return counts
}

/**
 * `handleCounts` measured from a fresh turn of the event loop (after a `setImmediate`). A fiber resumed by a timer
 * runs inside that timer's callback, where Node still counts the timer as active: measured there, the poller's own
 * sleep would read as one extra `Timeout`.
 */
export const handleCountsSettled: Effect.Effect<Record<string, number>> = Effect.andThen(
  Effect.callback<void>((resume) => {
    const handle = setImmediate(() => resume(Effect.void))
    return Effect.sync(() => clearImmediate(handle))
  }),
  Effect.sync(handleCounts)
)

/** how many of `now`'s handles are beyond `before`, per kind (0 when at or below) */
export const extraHandles = (before: Record<string, number>, now: Record<string, number>): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const kind of leakableKinds) out[kind] = Math.max(0, (now[kind] ?? 0) - (before[kind] ?? 0))
  return out
}

let gcFunction: (() => void) | undefined
/** a full garbage collection: `globalThis.gc` under `--expose-gc`, else one obtained through V8's flags */
export const forceGc = (): void => {
  if (gcFunction === undefined) {
    const exposed = (globalThis as { gc?: () => void }).gc
    if (typeof exposed === "function") gcFunction = exposed
    else {
      V8.setFlagsFromString("--expose-gc")
      gcFunction = Vm.runInNewContext("gc") as () => void
    }
  }
  gcFunction()
}

/** heapUsed in MB after forced collections (a few, with a turn of the event loop between, for finalizers) */
export const settledHeap: Effect.Effect<number> = Effect.gen(function* () {
  for (let i = 0; i < 3; i++) {
    forceGc()
    yield* Effect.sleep(20)
  }
  forceGc()
  return process.memoryUsage().heapUsed / MB
})
