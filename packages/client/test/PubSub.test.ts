import { assert, describe, it } from "@effect/vitest"
import { Redis } from "@fxredis/client"
import { RedisServer } from "@fxredis/testing"
import { Effect, Exit, Fiber, Scope, Stream } from "effect"
import { client, eventually, transports } from "./helpers.ts"

for (const kind of transports) {
  describe(`pub/sub over ${kind}`, () => {
    it.live("after `subscribed`, one PUBLISH is always received: publish answers 1, the message arrives", () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make()
        const redis = yield* client(server, kind)
        // no subscriber: nobody receives it
        assert.strictEqual(yield* redis.publish("nobody", "hello"), 0)
        for (let i = 0; i < 40; i++) {
          yield* Effect.gen(function* () {
            const channel = `news-${i}`
            const sub = yield* redis.subscription({ channels: [channel] })
            yield* sub.subscribed
            // published before the stream runs: kept for it
            assert.strictEqual(yield* redis.publish(channel, `hello ${i}`), 1)
            const head = yield* Stream.runHead(sub.messages)
            assert.deepStrictEqual(head._tag === "Some" ? head.value : undefined, {
              channel,
              message: `hello ${i}`
            })
          }).pipe(Effect.scoped)
        }
        // each scope's end unsubscribed
        yield* eventually(Effect.map(server.cli("PUBSUB", "CHANNELS"), (out) => out === ""))
      })
    )

    it.live("channels, patterns and shard channels in one subscription; SPUBLISH and SSUBSCRIBE", () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make()
        const redis = yield* client(server, kind)
        const sub = yield* redis.subscription({ channels: ["a"], patterns: ["p:*"], shardChannels: ["s"] })
        yield* sub.subscribed
        const three = yield* Effect.forkChild(Stream.runCollect(Stream.take(sub.messages, 3)))
        assert.strictEqual(yield* redis.publish("a", "1"), 1)
        assert.strictEqual(yield* redis.publish("p:x", "2"), 1)
        assert.strictEqual(yield* redis.spublish("s", "3"), 1)
        assert.deepStrictEqual(yield* Fiber.join(three), [
          { channel: "a", message: "1" },
          { pattern: "p:*", channel: "p:x", message: "2" },
          { channel: "s", message: "3" }
        ])
        // the Stream form of SSUBSCRIBE
        const shard = yield* Effect.forkChild(Stream.runHead(redis.ssubscribe("t")))
        yield* eventually(Effect.map(server.cli("PUBSUB", "SHARDNUMSUB", "t"), (out) => out.endsWith("1")))
        assert.strictEqual(yield* redis.spublish("t", "x"), 1)
        const got = yield* Fiber.join(shard)
        assert.deepStrictEqual(got._tag === "Some" ? got.value : undefined, { channel: "t", message: "x" })
        yield* eventually(Effect.map(server.cli("PUBSUB", "SHARDNUMSUB", "t"), (out) => out.endsWith("0")))
      })
    )

    it.live("after a server restart, `subscribed` waits for the re-subscription; then one PUBLISH is received", () =>
      Effect.gen(function* () {
        const server = yield* RedisServer.make()
        const redis = yield* client(server, kind, { commandTimeout: "5 seconds" })
        const sub = yield* redis.subscription({ channels: ["news"], shardChannels: ["shard-news"] })
        yield* sub.subscribed
        assert.strictEqual(yield* redis.publish("news", "before"), 1)
        for (let round = 0; round < 2; round++) {
          yield* server.restart
          yield* sub.subscribed // the re-subscription on the new link
          assert.strictEqual(yield* redis.publish("news", `after ${round}`), 1)
          assert.strictEqual(yield* redis.spublish("shard-news", `shard after ${round}`), 1)
        }
        const all = yield* Stream.runCollect(Stream.take(sub.messages, 5))
        assert.deepStrictEqual(
          all.map((m) => m.message),
          ["before", "after 0", "shard after 0", "after 1", "shard after 1"]
        )
      })
    )
  })
}

describe("pub/sub on a sharded client", () => {
  it.live("channels and shard channels live on the shard their name routes to, as PUBLISH is routed", () =>
    Effect.gen(function* () {
      const servers = yield* Effect.forEach([0, 1, 2], () => RedisServer.make())
      const redis = yield* Redis.make({ endpoints: servers.map((s) => s.urls.unix) })
      const channels = Array.from({ length: 12 }, (_, i) => `ch-${i}`)
      const shardChannels = Array.from({ length: 12 }, (_, i) => `sch-${i}`)
      const scope = yield* Scope.make()
      const sub = yield* redis.subscription({ channels, shardChannels, patterns: ["ch-*"] }).pipe(Scope.provide(scope))
      yield* sub.subscribed
      const owners = new Set<string>()
      for (const channel of channels) {
        const home = redis.endpoints.indexOf(redis.shardOf(channel))
        owners.add(redis.shardOf(channel))
        // the channel itself on its shard, and the pattern (on every shard) matches it: two receivers
        assert.strictEqual(yield* redis.publish(channel, "m"), 2)
        for (const [i, server] of servers.entries()) {
          assert.strictEqual(yield* server.cli("PUBSUB", "NUMSUB", channel), `${channel}\n${i === home ? 1 : 0}`)
        }
      }
      assert.isAbove(owners.size, 1) // the channels did spread over several shards
      for (const channel of shardChannels) {
        assert.strictEqual(yield* redis.spublish(channel, "s"), 1)
        const home = redis.endpoints.indexOf(redis.shardOf(channel))
        assert.strictEqual(yield* servers[home].cli("PUBSUB", "SHARDNUMSUB", channel), `${channel}\n1`)
      }
      const received = yield* Stream.runCollect(Stream.take(sub.messages, channels.length * 2 + shardChannels.length))
      assert.strictEqual(received.filter((m) => m.pattern === "ch-*").length, channels.length)
      assert.strictEqual(received.filter((m) => m.message === "s").length, shardChannels.length)
      yield* Scope.close(scope, Exit.void)
    })
  )
})
