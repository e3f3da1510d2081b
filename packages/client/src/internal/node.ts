/**
 * One server as the client sees it: `poolSize` connections used round-robin, a small pool of dedicated
 * connections for blocking commands, a pub/sub connection, and pinning for transactions.
 *
 * @internal
 */
import { isTransient } from "@fxredis/protocol"
import type { Transport } from "@fxredis/transport"
import { Duration, Effect, Exit, Metric, Pool, type Schedule, Scope } from "effect"
import type { Command } from "../Command.ts"
import * as Catalogue from "../commands/Catalogue.ts"
import { type ConnectionError, PoolExhaustedError, type RedisError } from "../RedisErrors.ts"
import type { ResolvedOptions } from "../RedisOptions.ts"
import { poolWaits } from "../RedisTelemetry.ts"
import * as RedisConnection from "./connection.ts"
import { instrument } from "./instrument.ts"
import type { LinkBinding } from "./pipeline.ts"
import { refuseOnShared } from "./refuse.ts"
import * as Subscriber from "./subscriber.ts"

/**
 * A connection taken out of the rotation, bound to one link: once that link drops, every later command of the pin
 * fails with `ConnectionError` (a transaction's `WATCH`/`MULTI` state does not survive a reconnect). @internal
 */
export interface Pinned {
  readonly connection: RedisConnection.RedisConnection
  readonly binding: LinkBinding
  readonly run: (command: Command<unknown>) => Effect.Effect<unknown, RedisError>
  readonly release: Effect.Effect<void>
}

/** A connection of its own, outside the rotation, closed by `close` (or with the client). @internal */
export interface Dedicated {
  readonly name: string
  readonly run: (command: Command<unknown>) => Effect.Effect<unknown, RedisError>
  /** closes the connection; commands in flight on it fail with `ConnectionError` */
  readonly close: Effect.Effect<void>
}

/** @internal */
export interface Node {
  readonly name: string
  readonly dedicated: Effect.Effect<Dedicated, ConnectionError>
  readonly connections: ReadonlyArray<RedisConnection.RedisConnection>
  readonly run: (command: Command<unknown>) => Effect.Effect<unknown, RedisError>
  readonly pin: Effect.Effect<Pinned, RedisError>
  readonly subscriber: Subscriber.Subscriber
}

interface Slot {
  readonly connection: RedisConnection.RedisConnection
  pinned: boolean
  /** the link binding of the pin that holds this slot */
  binding: LinkBinding | undefined
}

/** @internal */
export const make = (
  options: ResolvedOptions,
  transport: Transport["Service"],
  lazy: boolean
): Effect.Effect<Node, ConnectionError, Scope.Scope> =>
  Effect.gen(function* () {
    const slots: Array<Slot> = []
    for (let i = 0; i < options.poolSize; i++) {
      slots.push({
        connection: yield* RedisConnection.make(options, transport, { lazy }),
        pinned: false,
        binding: undefined
      })
    }
    const size = slots.length
    let next = 0
    /**
     * The next connection that is up and not pinned; else the next one not pinned, in turn, so that while the
     * server is down the commands queue offline on every connection (each holds up to `maxOfflineCommands`) and are
     * replayed over all of them once they reconnect.
     */
    const pick = (): Slot | undefined => {
      const start = next
      let fallback = -1
      for (let n = 0; n < size; n++) {
        const i = start + n < size ? start + n : start + n - size
        const candidate = slots[i]
        if (candidate.pinned) continue
        if (candidate.connection.isReady()) {
          next = i + 1 === size ? 0 : i + 1
          return candidate
        }
        if (fallback < 0) fallback = i
      }
      if (fallback < 0) return undefined
      next = fallback + 1 === size ? 0 : fallback + 1
      return slots[fallback]
    }

    // Fibers waiting for a connection while every one is pinned by a transaction; bounded by commandTimeout.
    const waiters: Array<() => void> = []
    const wakeAll = () => {
      for (const wake of waiters.splice(0)) wake()
    }
    const timeoutMs = options.commandTimeout
    const waitForUnpinned: Effect.Effect<void, RedisError> = Effect.callback<void>((resume) => {
      const wake = () => resume(Exit.void)
      waiters.push(wake)
      return Effect.sync(() => {
        const i = waiters.indexOf(wake)
        if (i >= 0) waiters.splice(i, 1)
      })
    }).pipe(
      // on Effect's Clock (TestClock in tests); an interrupted wait leaves the list at once
      (wait) =>
        timeoutMs === Infinity
          ? wait
          : Effect.timeoutOrElse(wait, {
              duration: Duration.millis(timeoutMs),
              orElse: () =>
                Effect.fail(
                  new PoolExhaustedError({
                    server: options.name,
                    timeout: timeoutMs,
                    message: `the pool of ${options.name} was exhausted: every connection stayed pinned by a transaction for ${timeoutMs} ms`
                  })
                )
            })
    )

    // Blocking connections in use hold their pool item until their command ends; on close they are closed first, so
    // that their commands fail and the pool can shut down (the finalizer below runs before the pool's own).
    const blockingConnections = new Set<RedisConnection.RedisConnection>()
    const blockingPool = yield* Pool.makeWithTTL({
      acquire: Effect.acquireRelease(
        Effect.tap(RedisConnection.make(options, transport, { lazy: false, blocking: true }), (c) =>
          Effect.sync(() => blockingConnections.add(c))
        ),
        (c) => Effect.sync(() => blockingConnections.delete(c))
      ),
      min: 0,
      max: options.maxBlockingConnections,
      concurrency: 1,
      timeToLive: "30 seconds"
    })
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        for (const c of blockingConnections) c.close()
      })
    )
    const runBlocking = (command: Command<unknown>) =>
      Effect.scoped(
        Effect.flatMap(Pool.get(blockingPool), (connection) =>
          connection
            .run(command.args, command.transform)
            // still blocked on the server: this connection cannot serve anyone else
            .pipe(Effect.onInterrupt(() => Pool.invalidate(blockingPool, connection)))
        )
      )

    const bare = (command: Command<unknown>): Effect.Effect<unknown, RedisError> => {
      const refused = refuseOnShared(command.args, false)
      if (refused !== undefined) return Effect.fail(refused)
      if (command.blocking) return runBlocking(command)
      const target = pick()
      return target !== undefined
        ? target.connection.run(command.args, command.transform)
        : Effect.flatMap(waitForUnpinned, () => bare(command))
    }
    const instrumented = yield* instrument(options, bare)
    // `while` lets only transient ReplyErrors reach the Schedule, so it is fed the ReplyError its type promises
    const retry = options.retry as Schedule.Schedule<unknown, RedisError> | undefined
    // transient server errors (LOADING, BUSY, TRYAGAIN, …) retried on the `retry` Schedule: commands Redis flags
    // readonly only, unless `retryWrites` (a write may have been applied before the error)
    const run =
      retry === undefined
        ? instrumented
        : (command: Command<unknown>) =>
            options.retryWrites || Catalogue.isReadonly(command.args)
              ? Effect.retry(instrumented(command), {
                  schedule: retry,
                  while: (error: RedisError) => error._tag === "ReplyError" && isTransient(error.code)
                })
              : instrumented(command)

    const pinnedRuns = new Map<
      RedisConnection.RedisConnection,
      (command: Command<unknown>) => Effect.Effect<unknown, RedisError>
    >()
    for (const slot of slots) {
      pinnedRuns.set(
        slot.connection,
        yield* instrument(options, (command) => slot.connection.run(command.args, command.transform, slot.binding))
      )
    }
    const pinnedRun = (connection: RedisConnection.RedisConnection) => pinnedRuns.get(connection)!
    const pin: Effect.Effect<Pinned, RedisError> = Effect.suspend(() => {
      const free = pick()
      if (free === undefined) {
        return Effect.andThen(Metric.update(Metric.withAttributes(poolWaits, { server: options.name }), 1), () =>
          Effect.flatMap(waitForUnpinned, () => pin)
        )
      }
      free.pinned = true
      const binding: LinkBinding = { id: undefined }
      free.binding = binding
      const connection = free.connection
      return Effect.succeed<Pinned>({
        connection,
        binding,
        run: (command) => {
          const refused = refuseOnShared(command.args, true)
          if (refused !== undefined) return Effect.fail(refused)
          return command.blocking ? runBlocking(command) : pinnedRun(connection)(command)
        },
        release: Effect.sync(() => {
          free.pinned = false
          free.binding = undefined
          wakeAll()
        })
      })
    })

    const clientScope = yield* Effect.scope
    const dedicated = Effect.gen(function* () {
      const scope = yield* Scope.fork(clientScope)
      const connection = yield* RedisConnection.make(options, transport, { lazy: false, blocking: true }).pipe(
        Scope.provide(scope),
        Effect.onError(() => Scope.close(scope, Exit.void))
      )
      // a dedicated connection keeps its state (SELECT, CLIENT …) on one link: after a drop it fails, typed
      const binding: LinkBinding = { id: undefined }
      return {
        name: options.name,
        run: (command: Command<unknown>) => connection.run(command.args, command.transform, binding),
        close: Scope.close(scope, Exit.void)
      }
    })

    return {
      name: options.name,
      dedicated,
      connections: slots.map((s) => s.connection),
      run,
      pin,
      subscriber: yield* Subscriber.make(options, transport)
    }
  })
