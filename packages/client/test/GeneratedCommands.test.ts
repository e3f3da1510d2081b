/**
 * The generated methods (`commands/methods.generated.ts`) against a real server: every method whose command is safe
 * to run is called with an example built from its argument tree (required arguments, then each option alone) and
 * the server must accept the command line (no syntax or arity error) and its reply must decode (no `UNEXPECTED`);
 * then hand-picked semantic checks, blocking, and the wiring onto `redis.*`, `tx.*` and `q.*`.
 */
import { assert, describe, layer } from "@effect/vitest"
import { type Command, Redis, type RedisError, type RedisShape } from "@fxredis/client"
import { commands } from "@fxredis/client/commands/catalogue.generated"
import { encode } from "@fxredis/client/commands/internal/Arguments"
import {
  exampleOptions,
  exampleParams,
  generated,
  methodName,
  notGenerated
} from "@fxredis/client/commands/internal/RenderMethods"
import * as Generated from "@fxredis/client/commands/methods.generated"
import type { RespValue } from "@fxredis/protocol"
import { eventually, RedisServer } from "@fxredis/testing"
import { Context, Effect, Fiber, Layer, Option } from "effect"

class Client extends Context.Service<Client, RedisShape>()("test/GeneratedCommands/Client") {}

const client = Layer.effect(
  Client,
  Effect.gen(function* () {
    const server = yield* RedisServer.make()
    return yield* Redis.make({ endpoint: server.urls.unix, poolSize: 1 })
  })
)

/** commands not run by the sweep, and why */
const skipped: Readonly<Record<string, string>> = {
  shutdown: "stops the server",
  debug: "can crash or stall the server",
  flushall: "admin; wipes every database",
  sync: "replication protocol: the connection becomes a replica stream",
  psync: "replication protocol: the connection becomes a replica stream",
  replconf: "replication protocol, internal",
  replicaof: "turns the server into a replica",
  slaveof: "turns the server into a replica",
  failover: "replication admin",
  "acl|setuser": "changes users",
  "acl|deluser": "changes users",
  "acl|load": "replaces users",
  "acl|save": "writes the ACL file",
  "config|set": "changes server configuration (used once, on purpose, below)",
  "config|rewrite": "writes the server's config file",
  save: "disk I/O admin",
  bgsave: "disk I/O admin",
  bgrewriteaof: "disk I/O admin",
  migrate: "connects to another server",
  "client|kill": "kills connections (ours too)",
  "client|pause": "pauses every client",
  "client|unpause": "pairs with CLIENT PAUSE",
  "module|load": "loads native code",
  "module|loadex": "loads native code",
  "module|unload": "admin",
  swapdb: "swaps databases under the other checks"
}

/** example parameters the argument tree cannot give (values the docs type as plain strings, undocumented ones) */
const params: Readonly<Record<string, ReadonlyArray<unknown>>> = {
  bitop: ["AND", "gen:bitop:key:1", ["gen:bitop:key:2", "gen:bitop:key:3"]],
  "command|getkeys": [["GET", "k"]],
  "command|getkeysandflags": [["SET", "k", "v"]]
}

/** options an option needs beside it (the server refuses it alone) */
const companions: Readonly<Record<string, object>> = {
  "zrange limit": { byscore: true },
  "zrangestore limit": { byscore: true }
}

const isCluster = (name: string) => name === "cluster" || name.startsWith("cluster|") || name === "readonly"

type Builder = (...args: ReadonlyArray<unknown>) => Command.Command<unknown>
const builders = Generated as unknown as Readonly<Record<string, Builder>>

/** the forms of a call: required arguments only, then each option alone */
const forms = (raw: (typeof commands)[number]) => {
  let n = 0
  const fresh = (prefix: string) => `gen:${raw[0]}:${prefix}${++n}`
  const example = params[raw[0]] ?? exampleParams(raw[12], fresh)
  return [
    { form: "minimal", params: example, options: undefined as object | undefined },
    ...exampleOptions(raw[12], fresh).map(([key, value]) => ({
      form: key,
      params: example,
      options: { ...companions[`${raw[0]} ${key}`], [key]: value }
    }))
  ]
}

/** a reply error that means the command line was malformed (or the reply did not decode) */
const malformed = (error: RedisError): string | undefined => {
  if (error._tag === "ReplyError") {
    if (error.code === "UNEXPECTED") return `reply did not decode: ${error.message}`
    if (/syntax error|wrong number of arguments|unknown subcommand|unknown command/i.test(error.message)) {
      return error.message
    }
    return undefined
  }
  return `${error._tag}: ${"message" in error ? error.message : ""}`
}

/** every string in a reply, depth first (RESP2 arrays or RESP3 maps alike) */
const strings = (value: unknown): Array<string> =>
  typeof value === "string"
    ? [value]
    : Array.isArray(value)
      ? value.flatMap(strings)
      : value !== null && typeof value === "object" && "entries" in value
        ? strings((value as { readonly entries: unknown }).entries)
        : []

layer(client, { excludeTestServices: true, timeout: "60 seconds" })("generated methods", (it) => {
  describe("semantics", () => {
    it.effect("xgroupCreate, then xreadgroup reads the entry, then xack acknowledges it", () =>
      Client.use((redis) =>
        Effect.gen(function* () {
          const created: void = yield* redis.xgroupCreate("sem:stream", "workers", "$", { mkstream: true })
          assert.isUndefined(created)
          const id = yield* redis.xadd("sem:stream", { job: "1" })
          const read: RespValue = yield* redis.xreadgroup(
            { group: "workers", consumer: "c1" },
            { keys: ["sem:stream"], ids: [">"] },
            { count: 10 }
          )
          assert.includeMembers(strings(read), ["sem:stream", id, "job", "1"])
          const acked: number = yield* redis.xack("sem:stream", "workers", [id])
          assert.strictEqual(acked, 1)
        })
      )
    )

    it.effect("objectFreq under an LFU policy, objectEncoding, and none for a missing key", () =>
      Client.use((redis) =>
        Effect.gen(function* () {
          yield* redis.configSet([["maxmemory-policy", "allkeys-lfu"]])
          const policy: Record<string, string> = yield* redis.configGet(["maxmemory-policy"])
          assert.deepStrictEqual(policy, { "maxmemory-policy": "allkeys-lfu" })
          yield* redis.set("sem:hot", "v")
          for (let i = 0; i < 5; i++) yield* redis.get("sem:hot")
          const freq: Option.Option<number> = yield* redis.objectFreq("sem:hot")
          assert.isTrue(Option.isSome(freq) && freq.value >= 1)
          assert.deepStrictEqual(yield* redis.objectFreq("sem:missing"), Option.none())
          yield* redis.configSet([["maxmemory-policy", "noeviction"]])
          yield* redis.set("sem:int", 12)
          assert.deepStrictEqual(yield* redis.objectEncoding("sem:int"), Option.some("int"))
          assert.deepStrictEqual(yield* redis.objectEncoding("sem:missing"), Option.none())
        })
      )
    )

    it.effect("zunionstore computes numkeys from the keys, with weights and aggregate", () =>
      Client.use((redis) =>
        Effect.gen(function* () {
          yield* redis.zadd("sem:z1", [
            { score: 1, member: "a" },
            { score: 2, member: "b" }
          ])
          yield* redis.zadd("sem:z2", [
            { score: 10, member: "b" },
            { score: 20, member: "c" }
          ])
          const n: number = yield* redis.zunionstore("sem:zu", ["sem:z1", "sem:z2"])
          assert.strictEqual(n, 3)
          assert.deepStrictEqual(yield* redis.zrangeWithScores("sem:zu", 0, -1), [
            { member: "a", score: 1 },
            { member: "b", score: 12 },
            { member: "c", score: 20 }
          ])
          yield* redis.zunionstore("sem:zu", ["sem:z1", "sem:z2"], { weights: [2, 1], aggregate: "MAX" })
          assert.deepStrictEqual(yield* redis.zmscore("sem:zu", ["a", "b", "x"]), [
            Option.some(2),
            Option.some(10),
            Option.none()
          ])
        })
      )
    )

    it.effect("lmpop pops from the first non-empty list, numkeys computed", () =>
      Client.use((redis) =>
        Effect.gen(function* () {
          yield* redis.rpush("sem:l2", ["x", "y", "z"])
          const popped = yield* redis.lmpop(["sem:l1", "sem:l2"], "LEFT", { count: 2 })
          assert.deepStrictEqual(popped, ["sem:l2", ["x", "y"]])
          assert.isNull(yield* redis.lmpop(["sem:l1"], "RIGHT"))
        })
      )
    )

    it.effect("sintercard counts the intersection, with a limit", () =>
      Client.use((redis) =>
        Effect.gen(function* () {
          yield* redis.sadd("sem:s1", ["a", "b", "c"])
          yield* redis.sadd("sem:s2", ["b", "c", "d"])
          const all: number = yield* redis.sintercard(["sem:s1", "sem:s2"])
          assert.strictEqual(all, 2)
          assert.strictEqual(yield* redis.sintercard(["sem:s1", "sem:s2"], { limit: 1 }), 1)
        })
      )
    )

    it.effect("bitop, setbit and bitfieldRo", () =>
      Client.use((redis) =>
        Effect.gen(function* () {
          yield* redis.set("sem:b1", new Uint8Array([0xff]))
          yield* redis.set("sem:b2", new Uint8Array([0x0f]))
          const length: number = yield* redis.bitop("AND", "sem:band", ["sem:b1", "sem:b2"])
          assert.strictEqual(length, 1)
          assert.deepStrictEqual(yield* redis.bitfieldRo("sem:band", { get: [["u8", 0]] }), [0x0f])
          const was: boolean = yield* redis.setbit("sem:band", 0, 1)
          assert.isFalse(was)
          assert.deepStrictEqual(yield* redis.bitfieldRo("sem:band", { get: [["u4", 0]] }), [8])
        })
      )
    )

    it.effect("clientList is the CLIENT LIST text; type is a choice of tokens", () =>
      Client.use((redis) =>
        Effect.gen(function* () {
          const all: string = yield* redis.clientList()
          assert.match(all, /cmd=client\|list/)
          const normal = yield* redis.clientList({ type: "NORMAL" })
          assert.match(normal, /^id=\d+ /)
          const id: number = yield* redis.clientId()
          assert.match(yield* redis.clientList({ id: { clientIds: [id] } }), new RegExp(`^id=${id} `))
        })
      )
    )

    it.effect("getex with an option, geoadd and geosearch with choices as objects", () =>
      Client.use((redis) =>
        Effect.gen(function* () {
          yield* redis.set("sem:gx", "v")
          assert.deepStrictEqual(yield* redis.getex("sem:gx", { px: 60000 }), Option.some("v"))
          assert.isTrue((yield* redis.pttl("sem:gx")) > 0)
          const added: number = yield* redis.geoadd("sem:geo", [
            [13.361389, 38.115556, "Palermo"],
            [15.087269, 37.502669, "Catania"]
          ])
          assert.strictEqual(added, 2)
          const near = yield* redis.geosearch(
            "sem:geo",
            { fromlonlat: { longitude: 15, latitude: 37 } },
            { circle: { byradius: 100, unit: "KM" } },
            { asc: true }
          )
          assert.deepStrictEqual(near, ["Catania"])
          const box = yield* redis.geosearch(
            "sem:geo",
            { frommember: "Palermo" },
            { box: { bybox: 400, height: 400, unit: "KM" } },
            { asc: true }
          )
          assert.deepStrictEqual(box, ["Palermo", "Catania"])
        })
      )
    )

    it.effect("commandGetkeys takes the command line as an array", () =>
      Client.use((redis) =>
        Effect.gen(function* () {
          const keys: Array<string> = yield* redis.commandGetkeys(["MSET", "a", "1", "b", "2"])
          assert.deepStrictEqual(keys, ["a", "b"])
        })
      )
    )
  })

  describe("blocking", () => {
    it("descriptors of blocking commands are marked blocking; XREAD and XREADGROUP only with block", () => {
      assert.isTrue(Generated.blmpop(0, ["k"], "LEFT").blocking)
      assert.isTrue(Generated.brpoplpush("a", "b", 0).blocking)
      assert.isTrue(Generated.bzpopmin(["k"], 0).blocking)
      assert.isTrue(Generated.bzmpop(0, ["k"], "MIN").blocking)
      const group = { group: "g", consumer: "c" }
      const streams = { keys: ["s"], ids: [">"] }
      assert.isFalse(Generated.xreadgroup(group, streams).blocking)
      assert.isTrue(Generated.xreadgroup(group, streams, { block: 0 }).blocking)
      assert.isFalse(Generated.xread({ keys: ["s"], ids: ["$"] }).blocking)
      assert.isTrue(Generated.xread({ keys: ["s"], ids: ["$"] }, { block: 10 }).blocking)
      assert.isFalse(Generated.lmpop(["k"], "LEFT").blocking)
    })

    it.effect("a generated blocking command waits on a connection of its own (pool of one)", () =>
      Client.use((redis) =>
        Effect.gen(function* () {
          const fiber = yield* Effect.forkChild(redis.blmpop(0, ["sem:jobs"], "LEFT"))
          // CLIENT LIST would queue behind BLMPOP on the one shared connection, and time out
          yield* eventually(Effect.map(redis.clientList(), (list) => list.includes("cmd=blmpop")))
          yield* redis.rpush("sem:jobs", ["job-1"])
          assert.deepStrictEqual(yield* Fiber.join(fiber), ["sem:jobs", ["job-1"]])
        })
      )
    )
  })

  describe("wiring", () => {
    it.effect("every generated method is on redis.*, curated methods win with their own types", () =>
      Client.use((redis) =>
        Effect.gen(function* () {
          const methods = redis as unknown as Readonly<Record<string, unknown>>
          const missing = generated(commands)
            .map((raw) => methodName(raw[0]))
            .filter((name) => typeof methods[name] !== "function")
          assert.deepStrictEqual(missing, [])
          // connection-state commands have no method (a shared connection refuses them)
          for (const name of ["multi", "select", "client|reply", "monitor"]) {
            assert.isDefined(notGenerated[name])
            assert.isUndefined(builders[methodName(name)])
          }
          // SET is generated (RespValue) and curated (boolean): the curated one wins
          const set: boolean = yield* redis.set("wire:set", "v", { nx: true })
          assert.isTrue(set)
          assert.isFalse(yield* redis.set("wire:set", "v", { nx: true }))
        })
      )
    )

    it.effect("generated methods on tx.* and q.* in a transaction, with typed EXEC results", () =>
      Client.use((redis) =>
        Effect.gen(function* () {
          yield* redis.sadd("wire:s1", ["a", "b"])
          yield* redis.sadd("wire:s2", ["b"])
          const [card, stored, encoding] = yield* redis.transaction((tx) =>
            Effect.gen(function* () {
              const before: number = yield* tx.sintercard(["wire:s1", "wire:s2"])
              assert.strictEqual(before, 1)
              return yield* tx.exec((q) => [
                q.sintercard(["wire:s1", "wire:s2"]),
                q.zunionstore("wire:zu", ["wire:s1", "wire:s2"]),
                q.objectEncoding("wire:s1")
              ])
            })
          )
          const typed: [number, number, Option.Option<string>] = [card, stored, encoding]
          assert.deepStrictEqual(typed, [1, 2, Option.some("hashtable")])
        })
      )
    )
  })

  describe("every safe command, called with an example of each form", () => {
    for (const raw of generated(commands)) {
      const name = raw[0]
      if (skipped[name] !== undefined || isCluster(name)) continue
      it.effect(`${name} (${methodName(name)})`, () =>
        Client.use((redis) =>
          Effect.gen(function* () {
            const builder = builders[methodName(name)]
            assert.isFunction(builder)
            const problems: Array<string> = []
            for (const { form, params: args, options } of forms(raw)) {
              const line = encode(name, args, options)
              const result = yield* Effect.result(redis.run(builder(...args, options)))
              const problem = result._tag === "Failure" ? malformed(result.failure) : undefined
              if (problem !== undefined) problems.push(`${form}: ${JSON.stringify(line)} → ${problem}`)
              // the server finds exactly the keys the example put in, where it put them (numkeys included)
              const keys = line.filter((a) => typeof a === "string" && a.startsWith(`gen:${name}:key:`))
              if (keys.length > 0) {
                const found = yield* Effect.result(redis.send("COMMAND", "GETKEYS", ...line))
                const got = found._tag === "Success" ? strings(found.success) : [`${found.failure}`]
                if (JSON.stringify([...got].sort()) !== JSON.stringify([...keys].sort())) {
                  problems.push(`${form}: ${JSON.stringify(line)} → COMMAND GETKEYS found ${JSON.stringify(got)}`)
                }
              }
            }
            assert.deepStrictEqual(problems, [])
          })
        )
      )
    }
  })
})
