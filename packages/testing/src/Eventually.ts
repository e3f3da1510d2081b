/**
 * Bounded polling for tests against real servers: wait until a condition holds, never with a bare sleep, never
 * for ever.
 *
 * @since 0.1.0
 */
import { Data, Duration, Effect } from "effect"

/**
 * The condition did not hold within the bound.
 *
 * @example
 * ```ts
 * import { eventually } from "@fxredis/testing"
 * import { Effect } from "effect"
 *
 * const never = eventually(Effect.succeed(false), { times: 3 }) // fails with EventuallyTimeout
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class EventuallyTimeout extends Data.TaggedError("EventuallyTimeout")<{ readonly message: string }> {}

/**
 * Runs `check` until it returns true: every `interval` (default 20 ms), at most `times` tries (default 250, so
 * about 5 seconds).
 *
 * @example
 * ```ts
 * import { eventually } from "@fxredis/testing"
 * import { Effect } from "effect"
 *
 * declare const queueLength: Effect.Effect<number>
 * const drained = eventually(Effect.map(queueLength, (n) => n === 0))
 * ```
 *
 * @category combinators
 * @since 0.1.0
 */
export const eventually = <E, R>(
  check: Effect.Effect<boolean, E, R>,
  options: { readonly times?: number | undefined; readonly interval?: Duration.Input | undefined } = {}
): Effect.Effect<void, E | EventuallyTimeout, R> =>
  Effect.gen(function* () {
    const times = options.times ?? 250
    const interval = options.interval ?? Duration.millis(20)
    for (let i = 0; i < times; i++) {
      if (yield* check) return
      yield* Effect.sleep(interval)
    }
    return yield* new EventuallyTimeout({ message: `the condition did not hold after ${times} tries` })
  })
