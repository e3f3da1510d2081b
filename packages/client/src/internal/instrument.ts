/**
 * Spans and per-command metrics around a server's command path, as the options ask (see `RedisTelemetry.ts`).
 *
 * @internal
 */
import { Effect, Exit, Metric, Tracer } from "effect"
import type { Command } from "../Command.ts"
import type { RedisError } from "../RedisErrors.ts"
import type { ResolvedOptions } from "../RedisOptions.ts"
import { commandDuration, commandsInFlight } from "../RedisTelemetry.ts"
import { commandName } from "./pipeline.ts"

/**
 * The attributes of a server, for spans and metrics.
 *
 * @category models
 * @since 0.1.0
 */
export const serverAttributes = (options: ResolvedOptions): Record<string, string | number> => {
  const endpoint = options.endpoint
  const base = { "db.system.name": "redis", "db.namespace": String(options.database) }
  return endpoint._tag === "Unix"
    ? { ...base, "network.transport": "unix", "server.address": endpoint.path }
    : { ...base, "server.address": endpoint.host, "server.port": endpoint.port }
}

type Run = (command: Command<unknown>) => Effect.Effect<unknown, RedisError>

/**
 * Wraps how a server runs commands with spans and metrics, as the options ask. Decided once, when the client is
 * built, so that a client without them keeps the bare command path.
 *
 * @category constructors
 * @since 0.1.0
 */
export const instrument = (options: ResolvedOptions, run: Run): Effect.Effect<Run> =>
  Effect.map(Effect.tracer, (tracer) => {
    const tracing = options.tracing === "auto" ? tracer !== Tracer.nativeTracer : options.tracing
    if (!tracing && !options.commandMetrics) return run
    const server = serverAttributes(options)
    const serverMetricAttributes = { server: options.name }
    const measured: Run = options.commandMetrics
      ? (command) =>
          Effect.suspend(() => {
            const name = commandName(command.args[0])
            const start = performance.now()
            return Effect.andThen(Metric.update(commandsInFlight, 1), run(command)).pipe(
              Effect.onExit((exit) =>
                Effect.andThen(
                  Metric.update(commandsInFlight, -1),
                  Metric.update(
                    Metric.withAttributes(commandDuration, {
                      ...serverMetricAttributes,
                      command: name,
                      outcome: Exit.isSuccess(exit) ? "ok" : outcomeOf(exit)
                    }),
                    (performance.now() - start) / 1000
                  )
                )
              )
            )
          })
      : run
    if (!tracing) return measured
    // A command is a leaf: its span needs no stack trace and is never a parent, so `useSpan` (no stack capture, no
    // context to provide) instead of `withSpan`; and the span options of each command name are built once.
    const spanOptions = new Map<string, Tracer.SpanOptionsNoTrace>()
    const optionsFor = (name: string): Tracer.SpanOptionsNoTrace => {
      let options = spanOptions.get(name)
      if (options === undefined) {
        options = { kind: "client", attributes: { ...server, "db.operation.name": name } }
        // command names are few; unknown ones (typos, module commands) are not kept without bound
        if (spanOptions.size < 1024) spanOptions.set(name, options)
      }
      return options
    }
    return (command) => {
      const name = commandName(command.args[0])
      return Effect.useSpan(name, optionsFor(name), () => measured(command))
    }
  })

const outcomeOf = (exit: Exit.Exit<unknown, RedisError>): string => {
  if (Exit.isSuccess(exit)) return "ok"
  const failure = exit.cause.reasons.find((r) => r._tag === "Fail")
  return failure !== undefined && failure._tag === "Fail" ? failure.error._tag : "interrupted"
}
