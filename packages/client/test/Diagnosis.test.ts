/**
 * Why a client is not connected, said in its errors: a wrong password stops the default retries and fails
 * commands with the server's WRONGPASS at once; the last failed attempt is the cause of offline timeouts; a
 * handshake timeout names connectTimeout; and no error ever carries the password.
 */
import { assert, describe, it } from "@effect/vitest"
import { Redis, RedisTelemetry } from "@fxredis/client"
import { FakeServer, RedisServer } from "@fxredis/testing"
import { Cause, Effect, Metric, Schedule } from "effect"

const secret = "s3cr3t-pw/@%77"

/** every text form of an error a user or a log could see */
const renderings = (error: unknown): string => {
  const cause = Cause.fail(error)
  return [
    String(error),
    JSON.stringify(error),
    Cause.pretty(cause),
    (error as Error).message,
    String((error as { cause?: unknown }).cause)
  ].join("\n")
}

describe("why it is not connected", () => {
  it.live("a lazy layer with a wrong password fails commands at once with the server's WRONGPASS", () =>
    Effect.gen(function* () {
      const server = yield* RedisServer.make({ password: "right" })
      const failures = Metric.withAttributes(RedisTelemetry.connectFailures, { server: `unix:${server.unix.path}` })
      const before = yield* Metric.value(failures)
      const redis = yield* Redis.make(
        { endpoint: server.urls.unix, password: secret, commandTimeout: "30 seconds" },
        { lazy: true }
      )
      const failure = yield* Effect.flip(redis.get("k"))
      // not a CommandTimeoutError after 30 s of silence: the handshake's own failure
      assert.strictEqual(failure._tag, "ConnectionError")
      if (failure._tag === "ConnectionError") {
        assert.strictEqual(failure.reason, "Handshake")
        assert.include(failure.message, "WRONGPASS")
      }
      // and every later command too, at once: the default policy stopped retrying
      assert.strictEqual((yield* Effect.flip(redis.ping()))._tag, "ConnectionError")
      assert.notInclude(renderings(failure), secret)
      const after = yield* Metric.value(failures)
      assert.isAbove(after.count, before.count)
    })
  )

  it.live("with an explicit Schedule it keeps trying, and offline timeouts carry the last failure as their cause", () =>
    Effect.gen(function* () {
      const server = yield* RedisServer.make({ password: "right" })
      const redis = yield* Redis.make(
        {
          endpoint: server.urls.tcp,
          password: secret,
          commandTimeout: "500 millis",
          reconnect: Schedule.spaced("20 millis")
        },
        { lazy: true }
      )
      const failure = yield* Effect.flip(redis.get("k"))
      assert.strictEqual(failure._tag, "CommandTimeoutError")
      if (failure._tag === "CommandTimeoutError") {
        assert.isFalse(failure.sent)
        assert.include(failure.message, "WRONGPASS")
        assert.strictEqual((failure.cause as { _tag?: string } | undefined)?._tag, "ConnectionError")
      }
      assert.notInclude(renderings(failure), secret)
    })
  )

  it.live("a server without HELLO echoes the AUTH arguments: the password never reaches the error", () =>
    Effect.gen(function* () {
      const fake = yield* FakeServer.make({
        reply: (request) => {
          const words = new TextDecoder()
            .decode(request)
            .split("\r\n")
            .filter((w) => w !== "" && !/^[*$]/.test(w))
          return `-ERR unknown command '${words[0]}', with args beginning with: ${words
            .slice(1)
            .map((w) => `'${w}'`)
            .join(" ")}\r\n`
        }
      })
      const failure = yield* Effect.flip(Redis.make({ endpoint: fake.urls.unix, password: secret, protocol: 3 }))
      assert.strictEqual(failure._tag, "ConnectionError")
      const text = renderings(failure)
      assert.include(text, "unknown command")
      assert.notInclude(text, secret)
    })
  )

  it.live("a handshake that times out names connectTimeout, not commandTimeout", () =>
    Effect.gen(function* () {
      const server = yield* RedisServer.make()
      yield* server.pause
      const failure = yield* Effect.flip(
        Redis.make({ endpoint: server.urls.unix, connectTimeout: "300 millis", commandTimeout: "10 seconds" })
      )
      yield* server.resume
      assert.strictEqual(failure._tag, "ConnectionError")
      if (failure._tag === "ConnectionError") {
        assert.strictEqual(failure.reason, "Timeout")
        assert.include(failure.message, "connectTimeout (300 ms)")
        assert.notInclude(failure.message, "10000")
      }
    })
  )
})
