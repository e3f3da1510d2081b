/**
 * A value Redis accepts but JavaScript cannot hold as a string (between V8's string limit, about 512 MiB − 24
 * bytes, and Redis' 512 MiB bulk limit): reading it as text fails that command alone, typed, and the connection
 * stays aligned; as bytes it arrives whole. Before, the RangeError escaped the socket's callback and the process died.
 */
import { constants } from "node:buffer"
import { assert, describe, it } from "@effect/vitest"
import { RedisServer } from "@fxredis/testing"
import { Effect, Option } from "effect"
import { client } from "./helpers.ts"

describe("a value too long for a JavaScript string", () => {
  it.live(
    "GET as text fails typed and the connection stays aligned; getBuffer gets the bytes",
    () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make()
        const redis = yield* client(server, "unix", { commandTimeout: "60 seconds" })
        // one byte past V8's limit, built on the server (SETRANGE pads with zeros)
        const length = constants.MAX_STRING_LENGTH + 1
        yield* redis.send("SETRANGE", "huge", String(length - 1), "x")
        assert.strictEqual(yield* redis.send("STRLEN", "huge"), length)
        const failure = yield* Effect.flip(redis.get("huge"))
        assert.strictEqual(failure._tag, "ReplyError")
        assert.strictEqual(yield* redis.echo("still aligned"), "still aligned")
        const bytes = yield* redis.getBuffer("huge")
        assert.strictEqual(Option.map(bytes, (b) => b.byteLength).pipe(Option.getOrElse(() => 0)), length)
        yield* redis.send("DEL", "huge")
      }),
    // a gigabyte through the socket twice: seconds alone, far more on a loaded machine
    120_000
  )

  it.live(
    "SET of a string that cannot be encoded fails typed, alone, and nothing of it is written",
    () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make()
        const redis = yield* client(server, "unix", { commandTimeout: "60 seconds" })
        // a valid JS string whose RESP frame ("$<length>\r\n…\r\n") no longer fits in one
        const big = "x".repeat(constants.MAX_STRING_LENGTH - 8)
        const [failure, neighbour] = yield* Effect.all([Effect.flip(redis.set("big", big)), redis.echo("neighbour")], {
          concurrency: "unbounded"
        })
        assert.strictEqual(failure._tag, "InvalidCommandError")
        assert.strictEqual(neighbour, "neighbour")
        assert.strictEqual(yield* server.cli("EXISTS", "big"), "0")
        assert.strictEqual(yield* redis.echo("still aligned"), "still aligned")
      }),
    120_000
  )
})
