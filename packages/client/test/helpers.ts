/** Shared helpers of the client's tests. */
import { Redis, type RedisOptions } from "@fxredis/client"
import { eventually as poll, type RedisServer } from "@fxredis/testing"
import type { Effect } from "effect"

export const transports = ["unix", "tcp"] as const
export type Kind = (typeof transports)[number]

/** a client over `kind` to `server`, in the test's scope */
export const client = (server: RedisServer.RedisServer, kind: Kind, options: RedisOptions = {}) =>
  Redis.make({ endpoint: server.urls[kind], ...options })

/** polls `check` until it holds, every 20 ms, up to `times` tries */
export const eventually = <E, R>(check: Effect.Effect<boolean, E, R>, times = 250) => poll(check, { times })

/** open handles of the kinds a client creates (sockets, timers) */
export const handles = () =>
  process
    .getActiveResourcesInfo()
    .filter((r) => r === "TCPSocketWrap" || r === "PipeWrap" || r === "Timeout" || r === "TLSWrap").length
