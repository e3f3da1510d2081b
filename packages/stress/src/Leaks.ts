/**
 * Leak cycles: many build/teardown cycles of every kind of client (eager, lazy, pool, sharded, lazy sharded, with
 * a subscriber, with a BLPOP in flight, and during a reconnect after `CLIENT KILL`), each client's scope closed at
 * a random moment (during the connect, the handshake, the subscribe, the blocking command or the reconnect).
 *
 * Afterwards the process must hold no more sockets or timers than before (`process.getActiveResourcesInfo()`:
 * TCPSocketWrap, PipeWrap, Timeout, TLSWrap), no server may list a client (CLIENT LIST, without the asking
 * redis-cli), and the heap after a forced GC must be within a few MB of where it was after the warm-up cycles.
 * A defect while building, or a close that never returns, is a BUG.
 */
import { Redis, type RedisOptions } from "@fxredis/client"
import { eventually, RedisServer } from "@fxredis/testing"
import { Cause, Effect, Exit, Fiber, Option, Scope, Stream } from "effect"
import { counted, type LogStats } from "./Logs.ts"
import { extraHandles, handleCountsSettled, settledHeap } from "./Memory.ts"
import { clientCount } from "./Soak.ts"
import { failureKey, type Incident } from "./Tally.ts"

/** How many cycles. */
export interface LeakOptions {
  /** cycles per kind; default 300 */
  readonly cycles?: number | undefined
  /** cycles per kind before the heap baseline is taken; default min(10, cycles) */
  readonly warmup?: number | undefined
  readonly log?: ((line: string) => void) | undefined
  /** the clients' `connectTimeout`; default the client's own (10 s) */
  readonly connectTimeoutMillis?: number | undefined
  /** how long after its scope closed a build may still run; default 1000 ms */
  readonly lingerMillis?: number | undefined
}

/** how the cycles of one kind went */
export interface KindStats {
  cycles: number
  /** the client was built before its scope closed */
  built: number
  /** the build was cut short by the close (interrupted) */
  cut: number
  /** the build failed, typed (e.g. the connect was refused during a reconnect) */
  failed: Record<string, number>
  bugs: number
}

/** What the cycles found. */
export interface LeakReport {
  readonly cyclesPerKind: number
  readonly seconds: number
  readonly kinds: Record<string, KindStats>
  readonly baselineHandles: Record<string, number>
  /** handles beyond the baseline once the bounded polling ended (must be 0) */
  readonly extraHandles: Record<string, number>
  /** handles beyond the baseline right after the last cycle (and the lingering builds' interruption) */
  readonly extraHandlesAtOnce: Record<string, number>
  /** how long the polling took to see the baseline again (`undefined`: never, within its bound) */
  readonly handlesBackAfterMillis: number | undefined
  readonly clientsLeft: ReadonlyArray<number>
  /** heapUsed after forced GCs: after the warm-up, and at the end (MB) */
  readonly heap: { readonly start: number; readonly end: number; readonly delta: number }
  /**
   * builds that had not ended `lingerMillis` after their scope closed: `late` ended afterwards, `pending` never did
   * (interrupted at the end); each is also a BUG (a HANG of the build)
   */
  readonly lingering: {
    readonly late: number
    readonly pending: number
    readonly slowestMillis: number
    readonly byKind: Record<string, number>
  }
  readonly bugs: number
  readonly incidents: ReadonlyArray<Incident>
  readonly clientLogs: LogStats
}

const rand = (n: number) => Math.floor(Math.random() * n)

/** Runs the cycles; their servers end with them. */
export const leaks = (options: LeakOptions = {}): Effect.Effect<LeakReport, RedisServer.RedisServerError | Error> =>
  Effect.map(counted(leaksBody(options)), ([report, clientLogs]) => ({ ...report, clientLogs }))

const leaksBody = (
  options: LeakOptions
): Effect.Effect<Omit<LeakReport, "clientLogs">, RedisServer.RedisServerError | Error> =>
  Effect.scoped(
    Effect.gen(function* () {
      const cycles = options.cycles ?? 300
      const warmup = options.warmup ?? Math.min(10, cycles)
      const log = options.log ?? (() => {})
      const t0 = Date.now()
      // d serves only the reconnect kind, whose CLIENT KILLs must not close (and so hide) another kind's leak
      const [a, b, c, d] = yield* Effect.forEach([0, 1, 2, 3], () => RedisServer.make(), { concurrency: "unbounded" })
      const baseline = yield* handleCountsSettled

      const incidents: Array<Incident> = []
      let bugs = 0
      const bug = (kind: Incident["kind"], group: string, command: string, detail: string) => {
        bugs++
        if (incidents.length < 50) incidents.push({ kind, group, command, detail, at: Date.now() - t0 })
      }

      // an admin connection for CLIENT KILL ID: it kills the cycle's own connection only, so that an earlier
      // cycle's leaked connection is not closed by it (and so hidden)
      const adminScope = yield* Scope.make()
      const admin = yield* Scope.provide(Redis.make({ endpoint: d.urls.unix, clientName: "stress-admin" }), adminScope)

      // a multi-step handshake (SETNAME, SELECT) widens the window in which a close lands mid-handshake
      const timeouts: RedisOptions =
        options.connectTimeoutMillis === undefined ? {} : { connectTimeout: options.connectTimeoutMillis }
      const one: RedisOptions = { endpoint: a.urls.unix, clientName: "leak", database: 1, ...timeouts }
      const kinds: ReadonlyArray<
        readonly [name: string, build: Effect.Effect<unknown, unknown, Scope.Scope>, maxDelayMillis: number]
      > = [
        ["eager", Redis.make(one), 5],
        ["lazy", Redis.make({ ...one, endpoint: a.urls.tcp }, { lazy: true }), 5],
        ["pool", Redis.make({ ...one, poolSize: 4 }), 6],
        [
          "sharded",
          Redis.make({ endpoints: [a.urls.unix, b.urls.tcp, c.urls.unix], clientName: "leak", ...timeouts }),
          6
        ],
        [
          "lazy sharded",
          Redis.make({ endpoints: [a.urls.tcp, b.urls.unix, c.urls.tcp], ...timeouts }, { lazy: true }),
          6
        ],
        [
          "subscriber",
          Effect.gen(function* () {
            const redis = yield* Redis.make(one)
            const sub = yield* redis.subscription({ channels: ["news"], patterns: ["news:*"] })
            yield* Effect.forkScoped(Stream.runDrain(sub.messages))
            yield* sub.subscribed
          }),
          10
        ],
        [
          "lazy sharded subscriber",
          Effect.gen(function* () {
            const redis = yield* Redis.make(
              { endpoints: [a.urls.unix, b.urls.unix, c.urls.tcp], ...timeouts },
              { lazy: true }
            )
            yield* Effect.forkScoped(Stream.runDrain(redis.psubscribe("news:*")))
          }),
          10
        ],
        [
          "blocking BLPOP",
          Effect.gen(function* () {
            const redis = yield* Redis.make(one, { lazy: true })
            yield* Effect.forkScoped(redis.send("BLPOP", "stress:queue", "1"))
          }),
          10
        ],
        [
          "reconnect (CLIENT KILL)",
          Effect.gen(function* () {
            const redis = yield* Redis.make({ ...one, endpoint: rand(2) === 0 ? d.urls.tcp : d.urls.unix })
            const id = yield* redis.send("CLIENT", "ID")
            // the link drops: the client reconnects while its scope closes
            yield* admin.send("CLIENT", "KILL", "ID", String(id))
            yield* Effect.exit(redis.ping())
          }),
          10
        ]
      ]
      const stats: Record<string, KindStats> = {}
      for (const [name] of kinds) stats[name] = { cycles: 0, built: 0, cut: 0, failed: {}, bugs: 0 }

      /**
       * Builds whose scope was closed: each must end promptly (built, failed or cut short). They are watched in
       * the background, so that one that lingers does not slow the cycles down; the run's end judges them.
       */
      interface Watched {
        readonly name: string
        readonly fiber: Fiber.Fiber<Exit.Exit<unknown, unknown>>
        readonly closedAt: number
      }
      const lingerBound = options.lingerMillis ?? 1000
      const unfinished = new Set<Watched>()
      const lingering = { late: 0, pending: 0, slowestMillis: 0, byKind: {} as Record<string, number> }
      let ending = false

      /** one build/teardown: the scope closes after a random moment */
      const cycle = (name: string, build: Effect.Effect<unknown, unknown, Scope.Scope>, maxDelay: number) =>
        Effect.gen(function* () {
          const s = stats[name]
          s.cycles++
          const scope = yield* Scope.make()
          const building = yield* Effect.forkChild(Effect.exit(Scope.provide(build, scope)))
          // not a synchronisation: the random moment at which the scope closes
          yield* Effect.sleep(rand(maxDelay + 1))
          const closed = yield* Effect.timeoutOption(Scope.close(scope, Exit.void), 10_000)
          if (Option.isNone(closed)) {
            s.bugs++
            bug("hang", name, "Scope.close", "closing the client's scope did not return within 10 s")
          }
          const watched: Watched = { name, fiber: building, closedAt: Date.now() }
          unfinished.add(watched)
          building.addObserver((ended) => {
            unfinished.delete(watched)
            if (ending) return // interrupted by the run's end: judged there
            const took = Date.now() - watched.closedAt
            lingering.slowestMillis = Math.max(lingering.slowestMillis, took)
            if (took > lingerBound) {
              lingering.late++
              lingering.byKind[name] = (lingering.byKind[name] ?? 0) + 1
              s.bugs++
              bug("hang", name, "build", `ended only ${took} ms after its scope closed`)
            }
            if (Exit.isFailure(ended)) return
            const exit = ended.value
            if (Exit.isSuccess(exit)) s.built++
            else if (Cause.hasDies(exit.cause)) {
              s.bugs++
              bug("defect", name, "build", Cause.pretty(exit.cause).slice(0, 1500))
            } else {
              const failure = exit.cause.reasons.find(Cause.isFailReason)
              if (failure === undefined) s.cut++
              else {
                const key = failureKey(failure.error)
                if (key === undefined) {
                  s.bugs++
                  bug("untyped-error", name, "build", String(failure.error))
                } else s.failed[key] = (s.failed[key] ?? 0) + 1
              }
            }
          })
        })

      const runCycles = (n: number) =>
        Effect.gen(function* () {
          for (const [name, build, maxDelay] of kinds) {
            const started = Date.now()
            for (let i = 0; i < n; i++) yield* cycle(name, build, maxDelay)
            if (n > warmup) log(`[leaks] ${name}: ${n} cycles in ${((Date.now() - started) / 1000).toFixed(1)} s`)
          }
        })

      yield* runCycles(warmup)
      const heapStart = yield* settledHeap
      yield* runCycles(Math.max(0, cycles - warmup))
      yield* Scope.close(adminScope, Exit.void)

      // every build must have ended within `lingerBound` of its scope closing
      yield* Effect.ignore(
        eventually(
          Effect.sync(() => [...unfinished].every((b) => Date.now() - b.closedAt > lingerBound)),
          { interval: 50, times: Math.ceil(lingerBound / 50) + 5 }
        )
      )
      ending = true
      const unended = [...unfinished]
      for (const b of unended) {
        const took = Date.now() - b.closedAt
        lingering.slowestMillis = Math.max(lingering.slowestMillis, took)
        lingering.pending++
        lingering.byKind[b.name] = (lingering.byKind[b.name] ?? 0) + 1
        stats[b.name].bugs++
        bug("hang", b.name, "build", `still pending ${took} ms after its scope closed (interrupted now)`)
      }
      const interrupted = yield* Effect.timeoutOption(Fiber.interruptAll(unended.map((b) => b.fiber)), 10_000)
      if (Option.isNone(interrupted)) bug("hang", "leaks", "Fiber.interrupt", "interrupting the lingering builds hung")

      const servers = [a, b, c, d]
      const clientsLeft: Array<number> = []
      for (const server of servers) {
        yield* Effect.ignore(eventually(Effect.map(clientCount(server), (n) => n === 0)))
        clientsLeft.push(yield* clientCount(server))
      }
      const noExtra = Effect.map(handleCountsSettled, (now) =>
        Object.values(extraHandles(baseline, now)).every((n) => n === 0)
      )
      // bounded polling, long enough for a timer armed for `connectTimeout` to run out
      const pollMillis = Math.max(5000, (options.connectTimeoutMillis ?? 10_000) + 3000)
      const extraAtOnce = extraHandles(baseline, yield* handleCountsSettled)
      const pollStart = Date.now()
      const back = yield* Effect.exit(eventually(noExtra, { interval: 50, times: Math.ceil(pollMillis / 50) }))
      const handlesBackAfterMillis = Exit.isSuccess(back) ? Date.now() - pollStart : undefined
      const extra = extraHandles(baseline, yield* handleCountsSettled)
      const heapEnd = yield* settledHeap
      return {
        cyclesPerKind: cycles,
        seconds: (Date.now() - t0) / 1000,
        kinds: stats,
        baselineHandles: baseline,
        extraHandles: extra,
        extraHandlesAtOnce: extraAtOnce,
        handlesBackAfterMillis,
        clientsLeft,
        heap: { start: heapStart, end: heapEnd, delta: heapEnd - heapStart },
        lingering,
        bugs,
        incidents
      }
    })
  )
