/**
 * Consumer groups as an Effect `Stream`: `consume` reads a stream's entries with `XREADGROUP` (blocking, on a
 * connection of its own), runs your handler on each, and acknowledges (`XACK`) the entries whose handler succeeded.
 *
 * - **At least once.** An entry is acknowledged only after its handler succeeded. An entry whose handler failed
 *   (or died, or was interrupted), or whose consumer stopped or crashed before it finished, stays pending in the
 *   group; once it has been idle for `claimAfter`, any consumer of the group claims it (`XAUTOCLAIM`) and runs its
 *   handler again. Handlers must therefore be idempotent: an entry can be handled more than once (a handler that
 *   succeeded but whose `XACK` was lost with the connection runs again).
 * - **The group** is created when missing (`XGROUP CREATE … MKSTREAM`, from `startId`, default `"0"`: every entry
 *   already in the stream); an existing group is used as it is (`BUSYGROUP` is not an error).
 * - **Reads and claims.** Each read asks for up to `count` new entries and waits up to `block` for them, so an idle
 *   consumer wakes at least every `block`. Pending entries are looked for with `XAUTOCLAIM` at most every
 *   `claimAfter / 2` (and at once again while a scan has more to claim), so an abandoned entry is redelivered about
 *   `claimAfter` to `1.5 × claimAfter + block` after it was last delivered. A claimed entry comes with
 *   `claimed: true`. Entries deleted from the stream while pending are dropped from the group by the server.
 * - **Concurrency.** Up to `concurrency` handlers run at once (default 1); the stream emits one `Processed` per
 *   handled entry, in the order the handlers finish.
 * - **Interruption and errors.** Interrupting the stream interrupts the handlers (their entries stay pending) and a
 *   blocked `XREADGROUP` (its connection is closed: it may still be blocked on the server). A Redis failure
 *   (`ConnectionError`, a `ReplyError` such as `NOGROUP` when the group was destroyed…) fails the stream: what was
 *   not acknowledged stays pending; `Stream.retry` starts it again (and re-creates the group if needed).
 *
 * Not done here: a maximum number of deliveries or a dead-letter stream (read `XPENDING`'s delivery counts for that),
 * trimming the stream.
 *
 * @since 0.2.0
 */
import type { RespValue } from "@fxredis/protocol"
import { Clock, Duration, Effect, Exit, Option, Stream } from "effect"
import * as C from "./Command.ts"
import { Redis } from "./Redis.ts"
import { RedisConfigError, type RedisError, ReplyError } from "./RedisErrors.ts"

/**
 * The options of `consume`.
 *
 * @example
 * ```ts
 * import type { RedisStreams } from "@fxredis/client"
 *
 * const options: RedisStreams.ConsumerOptions = {
 *   stream: "orders",
 *   group: "billing",
 *   consumer: `billing-${process.pid}`,
 *   count: 50,
 *   block: "2 seconds",
 *   claimAfter: "1 minute",
 *   concurrency: 4
 * }
 * ```
 *
 * @category models
 * @since 0.2.0
 */
export interface ConsumerOptions {
  /** the stream's key */
  readonly stream: string
  readonly group: string
  /** this consumer's name in the group: unique per running consumer */
  readonly consumer: string
  /** entries per read (and per claim); default 10 */
  readonly count?: number | undefined
  /** how long one read waits for new entries; default 2 seconds (at least 1 ms) */
  readonly block?: Duration.Input | undefined
  /** how long an entry may stay pending (unacknowledged) before another consumer claims it; default 30 seconds */
  readonly claimAfter?: Duration.Input | undefined
  /** handlers run at once; default 1 */
  readonly concurrency?: number | undefined
  /** where a group created here starts: `"0"` (default: the whole stream) or `"$"` (new entries only) */
  readonly startId?: string | undefined
}

/**
 * One handled entry: its handler's `result`, and whether it was `claimed` from another consumer (or from this one
 * after a failure) rather than read new. A successful result means the entry was acknowledged.
 *
 * @example
 * ```ts
 * import { RedisStreams } from "@fxredis/client"
 * import { Effect, Exit, Stream } from "effect"
 *
 * const failures = RedisStreams.consume({ stream: "orders", group: "billing", consumer: "b-1" }, (entry) =>
 *   Effect.log(entry.fields)
 * ).pipe(Stream.filter((p) => Exit.isFailure(p.result)))
 * ```
 *
 * @category models
 * @since 0.2.0
 */
export interface Processed<A, E> {
  readonly entry: C.StreamEntry
  readonly claimed: boolean
  readonly result: Exit.Exit<A, E>
}

const XAUTOCLAIM_UNEXPECTED = (value: RespValue) =>
  new ReplyError({
    code: "UNEXPECTED",
    message: `unexpected XAUTOCLAIM reply: ${String(value)}`,
    command: "XAUTOCLAIM"
  })

/** XAUTOCLAIM → the next cursor and the claimed entries (entries deleted meanwhile are skipped) */
const autoclaimReply = (
  value: RespValue
): Exit.Exit<{ readonly cursor: string; readonly entries: Array<C.StreamEntry> }, RedisError> => {
  if (!Array.isArray(value) || value.length < 2) return Exit.fail(XAUTOCLAIM_UNEXPECTED(value))
  const [cursor, raw] = value as ReadonlyArray<RespValue>
  const next = typeof cursor === "string" ? cursor : cursor instanceof Uint8Array ? Buffer.from(cursor).toString() : ""
  if (next === "" || !Array.isArray(raw)) return Exit.fail(XAUTOCLAIM_UNEXPECTED(value))
  // Redis 6.2 lists a deleted entry with a nil body; 7 leaves it out (and reports its id in a third element)
  const present = (raw as ReadonlyArray<RespValue>).filter((e) => Array.isArray(e) && e[1] !== null)
  return Exit.map(C.streamEntries(present), (entries) => ({ cursor: next, entries }))
}

/** a whole number ≥ 1, else `RedisConfigError` */
const positive = (option: string, value: number): Effect.Effect<number, RedisConfigError> =>
  Number.isInteger(value) && value >= 1
    ? Effect.succeed(value)
    : Effect.fail(
        new RedisConfigError({ option, value: String(value), message: `${option} must be a whole number ≥ 1` })
      )

/** a finite duration in whole milliseconds, else `RedisConfigError` */
const millis = (option: string, value: Duration.Input): Effect.Effect<number, RedisConfigError> => {
  const duration = Duration.fromInput(value)
  const ms = Option.isSome(duration) ? Duration.toMillis(duration.value) : Number.NaN
  return Number.isFinite(ms) && ms >= 0
    ? Effect.succeed(Math.ceil(ms))
    : Effect.fail(
        new RedisConfigError({ option, value: String(value), message: `${option} must be a finite duration` })
      )
}

/**
 * Creates a consumer group when it is missing (`XGROUP CREATE stream group startId MKSTREAM`); true when it was
 * created, false when it already existed.
 *
 * @example
 * ```ts
 * import { RedisStreams } from "@fxredis/client"
 *
 * const ready = RedisStreams.createGroup("orders", "billing", "$") // Effect<boolean, RedisError, Redis>
 * ```
 *
 * @category constructors
 * @since 0.2.0
 */
export const createGroup = (stream: string, group: string, startId = "0"): Effect.Effect<boolean, RedisError, Redis> =>
  Redis.use((redis) =>
    redis.run(C.make(["XGROUP", "CREATE", stream, group, startId, "MKSTREAM"], C.ok)).pipe(
      Effect.as(true),
      Effect.catchIf(
        (e): e is ReplyError => e._tag === "ReplyError" && e.code === "BUSYGROUP",
        () => Effect.succeed(false)
      )
    )
  )

/**
 * The entries of a consumer group, each handled by `handler` and acknowledged when it succeeds (see the module's
 * description for the delivery guarantees). The stream runs until it is interrupted or Redis fails.
 *
 * @example
 * ```ts
 * import { Redis, RedisStreams } from "@fxredis/client"
 * import { Effect, Stream } from "effect"
 *
 * const billing = RedisStreams.consume(
 *   { stream: "orders", group: "billing", consumer: "billing-1", claimAfter: "30 seconds", concurrency: 4 },
 *   (entry) => Effect.log(`order ${entry.id}`, entry.fields) // fails → stays pending, retried after claimAfter
 * ).pipe(Stream.runDrain)
 *
 * Effect.runFork(billing.pipe(Effect.provide(Redis.layer({ endpoint: "redis://localhost:6379" }))))
 * ```
 *
 * @category constructors
 * @since 0.2.0
 */
export const consume = <A, E, R>(
  options: ConsumerOptions,
  handler: (entry: C.StreamEntry) => Effect.Effect<A, E, R>
): Stream.Stream<Processed<A, E>, RedisError | RedisConfigError, Redis | R> =>
  Stream.unwrap(
    Effect.gen(function* () {
      const redis = yield* Redis
      const { stream, group, consumer } = options
      const count = yield* positive("count", options.count ?? 10)
      const concurrency = yield* positive("concurrency", options.concurrency ?? 1)
      const blockMs = Math.max(1, yield* millis("block", options.block ?? "2 seconds"))
      const claimAfterMs = yield* millis("claimAfter", options.claimAfter ?? "30 seconds")
      const claimEvery = claimAfterMs / 2
      yield* createGroup(stream, group, options.startId ?? "0")

      let cursor = "0-0"
      let lastScan = -Infinity
      const read = redis.run(
        C.blocking(
          ["XREADGROUP", "GROUP", group, consumer, "COUNT", count, "BLOCK", blockMs, "STREAMS", stream, ">"],
          C.streamRead
        )
      )
      /** the next batch: claimed entries when a claim is due and finds some, else new ones (possibly none) */
      const next: Effect.Effect<ReadonlyArray<readonly [C.StreamEntry, boolean]>, RedisError> = Effect.gen(
        function* () {
          const now = yield* Clock.currentTimeMillis
          if (cursor !== "0-0" || now - lastScan >= claimEvery) {
            if (cursor === "0-0") lastScan = now
            const claimed = yield* redis.run(
              C.make(["XAUTOCLAIM", stream, group, consumer, claimAfterMs, cursor, "COUNT", count], autoclaimReply)
            )
            cursor = claimed.cursor
            if (claimed.entries.length > 0) return claimed.entries.map((e) => [e, true] as const)
          }
          const fresh = yield* read
          return fresh.flatMap((s) => s.entries.map((e) => [e, false] as const))
        }
      )
      const handle = ([entry, claimed]: readonly [C.StreamEntry, boolean]) =>
        Effect.flatMap(
          Effect.exit(handler(entry)),
          (result): Effect.Effect<Processed<A, E>, RedisError> =>
            Exit.isSuccess(result)
              ? Effect.as(redis.run(C.make(["XACK", stream, group, entry.id], C.number)), { entry, claimed, result })
              : Effect.succeed({ entry, claimed, result })
        )
      return Stream.fromEffectRepeat(next).pipe(
        Stream.flattenIterable,
        Stream.mapEffect(handle, { concurrency, unordered: true })
      )
    })
  )
