/**
 * The `retry` option: a command failing with a transient server error (here BUSY, from a long script) is retried on
 * the Schedule when Redis flags it readonly; a write is not (it may have been applied), unless `retryWrites`.
 */
import { assert, describe, it } from "@effect/vitest"
import type { RedisShape } from "@fxredis/client"
import { RedisServer } from "@fxredis/testing"
import { Effect, Exit, Fiber, Option, Schedule } from "effect"
import { client, eventually } from "./helpers.ts"

/** a script that keeps the server busy for 1.5 s (other clients get BUSY after busy-reply-threshold) */
const busyFor1500ms = `local s = redis.call('TIME'); local t0 = tonumber(s[1]) * 1000000 + tonumber(s[2])
while true do local n = redis.call('TIME'); if tonumber(n[1]) * 1000000 + tonumber(n[2]) - t0 > 1500000 then break end end
return 1`

/** whether a plain client's GET now fails with BUSY */
const busy = (redis: RedisShape) =>
  Effect.map(Effect.exit(redis.get("k")), (exit) => Exit.isFailure(exit) && String(exit.cause).includes("BUSY"))

describe("retrying transient server errors", () => {
  it.live("a readonly command is retried through BUSY; a write is not, unless retryWrites", () =>
    Effect.gen(function* () {
      const server = yield* RedisServer.make({ config: ["busy-reply-threshold 20"] })
      const plain = yield* client(server, "unix")
      const retrying = yield* client(server, "tcp", { retry: Schedule.spaced("50 millis") })
      yield* plain.set("k", "v")
      const script = yield* Effect.forkChild(server.cli("EVAL", busyFor1500ms, "0"))
      // the server is busy: a plain client's GET fails with BUSY
      yield* eventually(busy(plain))
      // a write is not retried: BUSY at once
      const write = yield* Effect.flip(retrying.set("k", "w"))
      assert.strictEqual(write._tag === "ReplyError" ? write.code : write._tag, "BUSY")
      // a readonly command is retried until the script ends
      assert.deepStrictEqual(yield* retrying.get("k"), Option.some("v"))
      yield* Fiber.join(script)
      // with retryWrites, writes are retried too
      const writes = yield* client(server, "unix", { retry: Schedule.spaced("50 millis"), retryWrites: true })
      const again = yield* Effect.forkChild(server.cli("EVAL", busyFor1500ms, "0"))
      yield* eventually(busy(plain))
      assert.isTrue(yield* writes.set("k", "after"))
      assert.isTrue(Exit.isSuccess(yield* Fiber.await(again)))
      assert.strictEqual(yield* server.cli("GET", "k"), "after")
    })
  )
})
