/**
 * The client's own log lines during a run (it warns when it cannot connect, for example): counted by level, the
 * first few kept, and forwarded to stderr only when asked, so that `--json` output stays clean.
 */
import { Effect, Logger } from "effect"

/** counts and samples of the log lines of one run */
export interface LogStats {
  readonly byLevel: Record<string, number>
  readonly first: Array<string>
}

/** Runs `effect` with a logger that counts its log lines (and its forks') into the returned stats. */
export const counted = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  options: { readonly forward?: ((line: string) => void) | undefined; readonly keep?: number | undefined } = {}
): Effect.Effect<readonly [A, LogStats], E, R> => {
  const stats: LogStats = { byLevel: {}, first: [] }
  const keep = options.keep ?? 10
  const logger = Logger.make((entry) => {
    const level = String(entry.logLevel)
    stats.byLevel[level] = (stats.byLevel[level] ?? 0) + 1
    const message = Array.isArray(entry.message) ? entry.message.map(String).join(" ") : String(entry.message)
    if (stats.first.length < keep) stats.first.push(`${level}: ${message}`)
    options.forward?.(`${level}: ${message}`)
  })
  return effect.pipe(
    Effect.provideService(Logger.CurrentLoggers, new Set([logger])),
    Effect.map((a) => [a, stats] as const)
  )
}
