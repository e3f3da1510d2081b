import { assert, describe, it } from "@effect/vitest"
import { type ConnectionError, Redis, type RedisShape } from "@fxredis/client"
import type * as RedisServer from "@fxredis/testing/RedisServer"
import { Cause, Effect, Exit, Fiber, Layer, Option, Random, Stream } from "effect"
import { checks, singleServerChecks } from "./suites/Commands.ts"

const transports = ["unix", "tcp"] as const
type Kind = (typeof transports)[number]

/** a client over `kind` to `server`, built in the test's scope */
const client = (server: RedisServer.RedisServer, kind: Kind, options: Parameters<typeof Redis.layer>[0] = {}) =>
  Effect.map(
    Layer.build(Redis.layer({ endpoint: server.urls[kind], ...options })),
    (ctx) => ctx.mapUnsafe.get(Redis.key) as RedisShape
  )

/** polls `check` until it holds, up to `times` × 20 ms */
const eventually = <E>(check: Effect.Effect<boolean, E>, times = 250): Effect.Effect<void, E | string> =>
  Effect.gen(function* () {
    for (let i = 0; i < times; i++) {
      if (yield* check) return
      yield* Effect.sleep("20 millis")
    }
    return yield* Effect.fail("condition not reached in time")
  })

void Random
void Cause
void Exit
void Fiber
void Option
void Stream
void checks
void singleServerChecks

export type { ConnectionError }
export { client, eventually, transports }

describe("placeholder", () => {
  it("is replaced once @fxredis/testing lands", () => {
    assert.isTrue(true)
  })
})
