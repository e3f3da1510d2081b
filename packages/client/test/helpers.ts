/** Shared helpers of the client's tests. */
import { Redis, type RedisOptions } from "@fxredis/client"
import type { RedisServer } from "@fxredis/testing"
import { Effect } from "effect"

export const transports = ["unix", "tcp"] as const
export type Kind = (typeof transports)[number]

/** a client over `kind` to `server`, in the test's scope */
export const client = (server: RedisServer.RedisServer, kind: Kind, options: RedisOptions = {}) =>
  Redis.make({ endpoint: server.urls[kind], ...options })

/** polls `check` until it holds, every 20 ms, up to `times` tries */
export const eventually = <E, R>(check: Effect.Effect<boolean, E, R>, times = 250): Effect.Effect<void, E | Error, R> =>
  Effect.gen(function* () {
    for (let i = 0; i < times; i++) {
      if (yield* check) return
      yield* Effect.sleep("20 millis")
    }
    return yield* Effect.fail(new Error("condition not reached in time"))
  })

/** open handles of the kinds a client creates (sockets, timers) */
export const handles = () =>
  process
    .getActiveResourcesInfo()
    .filter((r) => r === "TCPSocketWrap" || r === "PipeWrap" || r === "Timeout" || r === "TLSWrap").length
