/**
 * The command catalogue against a real server: the checked-in table is what the installed redis-server says, key
 * positions agree with `COMMAND GETKEYS` for an example of every form of every command with keys, and slots agree
 * with `CLUSTER KEYSLOT`.
 */
import * as Fs from "node:fs"
import { fileURLToPath } from "node:url"
import { assert, describe, it, layer } from "@effect/vitest"
import * as Catalogue from "@fxredis/client/commands/Catalogue"
import { commands } from "@fxredis/client/commands/catalogue.generated"
import { fetchSpecs, query, render } from "@fxredis/client/commands/internal/CommandSpecs"
import { formatMethods } from "@fxredis/client/commands/internal/FormatMethods"
import { renderMethods } from "@fxredis/client/commands/internal/RenderMethods"
import { replyKinds } from "@fxredis/client/commands/internal/ReplyKinds"
import type { RawCommand } from "@fxredis/client/commands/RawCommand"
import { type CommandArg, ErrorReply, type RespValue } from "@fxredis/protocol"
import { RedisServer } from "@fxredis/testing"
import { Context, Effect, Layer } from "effect"

class Servers extends Context.Service<
  Servers,
  { readonly plain: RedisServer.RedisServer; readonly cluster: RedisServer.RedisServer }
>()("test/Catalogue/Servers") {}

const servers = Layer.effect(
  Servers,
  Effect.all({ plain: RedisServer.make(), cluster: RedisServer.make({ clusterEnabled: true }) }, { concurrency: 2 })
)

const generatedFile = fileURLToPath(new URL("../src/commands/catalogue.generated.ts", import.meta.url))
const methodsFile = fileURLToPath(new URL("../src/commands/methods.generated.ts", import.meta.url))

// ---------------------------------------------------------------------------------------------------------------
// Example command lines, generated from the COMMAND DOCS argument trees
// ---------------------------------------------------------------------------------------------------------------

interface Mode {
  /** include optional arguments */
  readonly optionals: boolean
  /** how many times a `multiple` argument is repeated */
  readonly repeat: 1 | 2
  /** the alternative taken by a `oneof` (default the first) */
  readonly choices: ReadonlyMap<Catalogue.Argument, number>
  /** optional arguments included even when `optionals` is false */
  readonly include: ReadonlySet<Catalogue.Argument>
}

const containsKey = (arg: Catalogue.Argument): boolean =>
  arg.type === "key" || arg.keySpecIndex !== undefined || arg.arguments.some(containsKey)

/** a minimal, syntactically plausible command line for `spec` in `mode` */
const example = (spec: Catalogue.CommandSpec, mode: Mode): Array<string> => {
  let counter = 0
  const fresh = (prefix: string) => `${prefix}${++counter}`
  const out: Array<string> = spec.container === undefined ? [spec.name] : spec.name.split("|")
  /** emits one value (no token) and returns how many key arguments it wrote */
  const value = (arg: Catalogue.Argument): number => {
    switch (arg.type) {
      case "key":
        out.push(fresh("key:"))
        return 1
      case "integer":
        out.push("1")
        return 0
      case "double":
        out.push("1.5")
        return 0
      case "unix-time":
        out.push("1700000000")
        return 0
      case "pattern":
        out.push(fresh("pattern:*"))
        return 0
      case "pure-token":
        return 0
      case "oneof":
        return emit(arg.arguments[mode.choices.get(arg) ?? 0])
      case "block":
        return sequence(arg.arguments)
      default:
        out.push(fresh("value:"))
        return 0
    }
  }
  /** emits an argument with its token and repetitions */
  const emit = (arg: Catalogue.Argument): number => {
    const times = arg.multiple ? mode.repeat : 1
    let keys = 0
    for (let i = 0; i < times; i++) {
      if (arg.token !== undefined && (i === 0 || arg.multipleToken)) out.push(arg.token)
      keys += value(arg)
    }
    return keys
  }
  /** emits arguments in order; a `numkeys` integer becomes the number of keys of the argument after it */
  const sequence = (args: ReadonlyArray<Catalogue.Argument>): number => {
    let keys = 0
    let numkeys = -1
    for (const arg of args) {
      if (arg.optional && !mode.optionals && !mode.include.has(arg)) continue
      if (arg.name === "numkeys" && arg.type === "integer") {
        numkeys = out.length
        out.push("0")
        continue
      }
      const wrote = emit(arg)
      if (numkeys >= 0 && (arg.type === "key" || containsKey(arg))) {
        out[numkeys] = String(wrote)
        numkeys = -1
      }
      keys += wrote
    }
    return keys
  }
  sequence(spec.arguments)
  return out
}

/** every node of an argument tree */
const nodes = (args: ReadonlyArray<Catalogue.Argument>): Array<Catalogue.Argument> =>
  args.flatMap((a) => [a, ...nodes(a.arguments)])

/** the forms checked for one command: minimal, full, each key-bearing option alone, each key-bearing alternative */
const forms = (spec: Catalogue.CommandSpec): Array<{ readonly form: string; readonly line: Array<string> }> => {
  const none = new Map<Catalogue.Argument, number>()
  const out = [
    { form: "minimal", line: example(spec, { optionals: false, repeat: 1, choices: none, include: new Set() }) },
    { form: "full", line: example(spec, { optionals: true, repeat: 2, choices: none, include: new Set() }) }
  ]
  const all = nodes(spec.arguments)
  for (const arg of all) {
    if (arg.optional && containsKey(arg)) {
      out.push({
        form: `with ${arg.name}`,
        line: example(spec, { optionals: false, repeat: 1, choices: none, include: new Set([arg]) })
      })
    }
    if (arg.type === "oneof") {
      for (let choice = 1; choice < arg.arguments.length; choice++) {
        const choices = new Map([[arg, choice]])
        out.push({
          form: `${arg.name}=${arg.arguments[choice].name}`,
          line: example(spec, { optionals: true, repeat: 2, choices, include: new Set() })
        })
      }
    }
  }
  return out
}

/** hand-written lines for what the docs cannot express (values that steer the key search) */
const extraLines: ReadonlyArray<ReadonlyArray<string>> = [
  ["ZUNIONSTORE", "dest", "2", "a", "b"],
  ["LMPOP", "2", "a", "b", "LEFT"],
  ["SINTERCARD", "2", "a", "b"],
  ["EVAL", "return 1", "2", "k1", "k2", "arg"],
  ["EVAL", "return 1", "0"],
  ["FCALL", "f", "1", "k1", "arg"],
  ["XREAD", "COUNT", "1", "STREAMS", "s1", "s2", "0", "0"],
  ["xread", "block", "0", "streams", "streams", "s2", "$", "$"],
  ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "0"],
  ["XREADGROUP", "GROUP", "STREAMS", "c", "COUNT", "1", "STREAMS", "STREAMS", "s", ">", ">"],
  ["BITOP", "AND", "dest", "a", "b"],
  ["XGROUP", "CREATE", "stream", "g", "$"],
  ["xgroup", "create", "stream", "g", "$", "MKSTREAM"],
  ["MIGRATE", "host", "6379", "", "0", "1000", "KEYS", "k1", "k2"],
  ["MIGRATE", "host", "6379", "", "0", "1000", "COPY", "AUTH2", "keys", "pw", "KEYS", "k1", "k2"],
  ["MIGRATE", "host", "6379", "k", "0", "1000"],
  ["MIGRATE", "host", "6379", "k", "0", "1000", "KEYS", "k1"],
  ["SORT", "list", "STORE", "dest"],
  ["SORT", "list", "BY", "store", "LIMIT", "0", "1", "GET", "#", "STORE", "d1", "STORE", "d2"],
  ["SORT", "list", "GET", "store", "ALPHA"],
  ["SORT_RO", "list", "BY", "w_*", "GET", "#"],
  ["MSET", "k1", "v1", "k2", "v2", "k3", "v3"],
  ["GEORADIUS", "geo", "1", "2", "3", "m", "STORE", "d1", "STOREDIST", "d2"],
  ["GEORADIUSBYMEMBER", "geo", "m", "3", "km", "STOREDIST", "d"],
  ["SET", "k", "v", "GET"],
  ["ZUNIONSTORE", "dest", "5", "a", "b"],
  ["ZUNIONSTORE", "dest", "x", "a", "b"],
  ["LMPOP", "-1", "a", "LEFT"],
  ["OBJECT", "FREQ", "k"],
  ["MEMORY", "USAGE", "k", "SAMPLES", "5"]
]

const asText = (v: RespValue): string => (typeof v === "string" ? v : String(v))

layer(servers, { excludeTestServices: true, timeout: "60 seconds" })("the catalogue against redis-server", (it) => {
  it.effect("the checked-in module is what the installed server says (regenerate with `pnpm gen:commands`)", () =>
    Effect.gen(function* () {
      const { plain } = yield* Servers
      const specs = yield* fetchSpecs(plain.unix.path)
      assert.deepStrictEqual(commands, specs.commands)
      assert.strictEqual(Fs.readFileSync(generatedFile, "utf8"), render(specs))
      assert.strictEqual(
        Fs.readFileSync(methodsFile, "utf8"),
        formatMethods(renderMethods(specs.commands, replyKinds)),
        "methods.generated.ts is stale: regenerate with `pnpm gen:commands`"
      )
    })
  )

  it.effect("COMMAND COUNT is the number of top-level commands", () =>
    Effect.gen(function* () {
      const { plain } = yield* Servers
      const [count] = yield* query(plain.unix.path, [["COMMAND", "COUNT"]])
      const top = Catalogue.all().filter((spec) => spec.container === undefined)
      const subs = Catalogue.all().filter((spec) => spec.container !== undefined)
      assert.strictEqual(top.length, count)
      assert.strictEqual(top.length + subs.length, commands.length)
      for (const sub of subs)
        assert.strictEqual(Catalogue.byName(sub.container!)?.subcommands.get(sub.name.split("|")[1]), sub)
      console.log(`catalogue: ${top.length} commands (COMMAND COUNT ${count}), ${subs.length} subcommands`)
    })
  )

  it.effect("keys() agrees with COMMAND GETKEYS on an example of every form of every command with key specs", () =>
    Effect.gen(function* () {
      const { plain } = yield* Servers
      const withKeys = Catalogue.all().filter((spec) => spec.keySpecs.length > 0 || spec.flags.has("movablekeys"))
      const cases: Array<{ readonly name: string; readonly form: string; readonly line: ReadonlyArray<string> }> = []
      for (const spec of withKeys) for (const f of forms(spec)) cases.push({ name: spec.name, ...f })
      for (const line of extraLines) cases.push({ name: Catalogue.lookup(line)!.name, form: "hand-written", line })
      const replies = yield* query(
        plain.unix.path,
        cases.map((c) => ["COMMAND", "GETKEYS", ...c.line])
      )
      const disagreements: Array<string> = []
      const agreedWithKeys = new Set<string>()
      const refusals: Record<string, number> = {}
      let checked = 0
      let withKeyNames = 0
      cases.forEach((c, i) => {
        const reply = replies[i]
        const ours = Catalogue.keyNames(c.line)
        const where = `${c.name} (${c.form}): ${c.line.map((a) => JSON.stringify(a)).join(" ")}`
        if (reply instanceof ErrorReply) {
          // the server refuses to name keys: we must name none either
          refusals[reply.message] = (refusals[reply.message] ?? 0) + 1
          if (ours !== undefined && ours.length > 0)
            disagreements.push(`${where}: server ${reply.message}, ours ${ours}`)
        } else {
          const theirs = (reply as ReadonlyArray<RespValue>).map(asText)
          if (JSON.stringify(ours) !== JSON.stringify(theirs)) {
            disagreements.push(`${where}: server ${JSON.stringify(theirs)}, ours ${JSON.stringify(ours)}`)
          } else if (theirs.length > 0) {
            agreedWithKeys.add(c.name)
            withKeyNames++
          }
        }
        checked++
      })
      assert.deepStrictEqual(disagreements, [])
      // every command with real key specs had at least one form where the server named keys and we agreed
      const notCovered = withKeys
        .filter((spec) => spec.keySpecs.some((k) => !k.flags.includes("not_key")) && !agreedWithKeys.has(spec.name))
        .map((spec) => spec.name)
      assert.deepStrictEqual(notCovered, [])
      console.log(
        `keys(): ${checked} forms (${extraLines.length} hand-written) of ${withKeys.length} commands checked against ` +
          `COMMAND GETKEYS, ${withKeyNames} with keys named; ` +
          `${agreedWithKeys.size} commands agreed with keys named; refusals: ${JSON.stringify(refusals)}`
      )
    })
  )

  it.effect("slot() agrees with CLUSTER KEYSLOT, hash tags included", () =>
    Effect.gen(function* () {
      const { cluster } = yield* Servers
      let seed = 42
      const random = () => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff
        return seed
      }
      const alphabet = "ab{}{}xyz09é€😀 "
      const keys: Array<CommandArg> = [
        "123456789",
        "",
        "{user1000}.following",
        "{user1000}.followers",
        "foo{}{bar}",
        "foo{{bar}}zap",
        "foo{bar}{zap}",
        "{",
        "}{",
        "{}",
        "a{b",
        "über",
        new Uint8Array([0xff, 0x00, 0x7b, 0x80, 0x7d, 0x01]),
        new Uint8Array([0x7b, 0xc3, 0x28, 0x7d])
      ]
      for (let i = 0; i < 300; i++) {
        const length = random() % 12
        keys.push(Array.from({ length }, () => [...alphabet][random() % [...alphabet].length]).join(""))
      }
      const replies = yield* query(
        cluster.unix.path,
        keys.map((key) => ["CLUSTER", "KEYSLOT", key])
      )
      assert.deepStrictEqual(
        keys.map((key) => Catalogue.slot(typeof key === "number" ? String(key) : key)),
        replies
      )
    })
  )
})

describe("the catalogue without a server", () => {
  it("CRC16 (XMODEM) and slots match the published vectors", () => {
    assert.strictEqual(Catalogue.crc16("123456789"), 0x31c3)
    assert.strictEqual(Catalogue.crc16(""), 0)
    assert.strictEqual(Catalogue.slot("123456789"), 0x31c3 % 16384)
    assert.strictEqual(Catalogue.slot("{user1000}.following"), Catalogue.slot("user1000"))
    assert.strictEqual(Catalogue.slot("foo{}{bar}"), Catalogue.crc16("foo{}{bar}") % 16384)
    assert.strictEqual(Catalogue.slot("foo{{bar}}zap"), Catalogue.slot("{bar"))
    assert.strictEqual(Catalogue.slot("foo{bar}{zap}"), Catalogue.slot("bar"))
    assert.strictEqual(Catalogue.slot(new TextEncoder().encode("{user1000}.x")), Catalogue.slot("user1000"))
  })

  it("lookup finds commands and subcommands case-insensitively, and refuses unknown ones", () => {
    assert.strictEqual(Catalogue.lookup(["get", "k"])?.name, "get")
    assert.strictEqual(Catalogue.lookup(["XGROUP", "create", "s", "g", "$"])?.name, "xgroup|create")
    assert.strictEqual(Catalogue.lookup(["object", "FREQ", "k"])?.displayName, "OBJECT FREQ")
    assert.strictEqual(Catalogue.lookup([new TextEncoder().encode("Client"), "list"])?.name, "client|list")
    assert.strictEqual(Catalogue.lookup(["CLIENT"])?.name, "client")
    assert.strictEqual(Catalogue.lookup(["CLIENT", "NOPE"]), undefined)
    assert.strictEqual(Catalogue.lookup(["NOPE"]), undefined)
    assert.strictEqual(Catalogue.lookup(["client|list"]), undefined)
    assert.strictEqual(Catalogue.lookup([]), undefined)
    assert.strictEqual(Catalogue.byName("xgroup create")?.arity, -5)
    assert.deepStrictEqual(
      Catalogue.lookup(["XREAD", "STREAMS", "s", "0"])?.arguments.map((a) => a.name),
      ["count", "milliseconds", "streams"]
    )
  })

  it("keys refuses what it cannot know, and finds sharded channels on request", () => {
    assert.strictEqual(Catalogue.keys(["NOPE", "k"]), undefined)
    assert.strictEqual(Catalogue.keys(["GET"]), undefined) // wrong arity
    assert.strictEqual(Catalogue.keys(["EVAL", "s", "x", "k"]), undefined) // numkeys not a number
    assert.deepStrictEqual(Catalogue.keys(["PING"]), [])
    assert.deepStrictEqual(Catalogue.keys(["SPUBLISH", "ch", "m"]), [])
    assert.deepStrictEqual(Catalogue.keys(["SPUBLISH", "ch", "m"], { includeNotKeys: true }), [1])
    assert.deepStrictEqual(Catalogue.keys(["SSUBSCRIBE", "a", "b"], { includeNotKeys: true }), [1, 2])
    assert.deepStrictEqual(Catalogue.keys([new TextEncoder().encode("mget"), "a", new Uint8Array([1])]), [1, 2])
  })

  it("keysOf walks key specs the catalogue's commands do not exercise (backward keyword search, key count offset)", () => {
    const spec = (keySpecs: RawCommand[8]) =>
      Catalogue.fromRaw(["mod.cmd", -2, "", 0, 0, 0, "", "", keySpecs, "", "", "", []])
    // keyword searched backwards from argc-2: the last KEYS, not the first
    const backwards = spec([[["KEYS", -2], ["range", -1, 1, 0], "RO"]])
    assert.deepStrictEqual(Catalogue.keysOf(backwards, ["mod.cmd", "KEYS", "x", "keys", "k"]), [4])
    assert.deepStrictEqual(Catalogue.keysOf(backwards, ["mod.cmd", "a", "KEYS", "k1", "k2"]), [3, 4])
    assert.deepStrictEqual(Catalogue.keysOf(backwards, ["mod.cmd", "a", "b"]), [])
    // keys start two after the count
    const offset = spec([[1, ["keynum", 0, 2, 1], "RW"]])
    assert.deepStrictEqual(Catalogue.keysOf(offset, ["mod.cmd", "2", "option", "k1", "k2"]), [3, 4])
    // a range with a fixed last key and a step
    const pairs = spec([[2, ["range", 2, 2, 0], "RW"]])
    assert.deepStrictEqual(Catalogue.keysOf(pairs, ["mod.cmd", "x", "k1", "v1", "k2", "v2"]), [2, 4])
  })

  it("flags: readonly, write, pubsub, noscript, keys, and blocking only when the command line blocks", () => {
    assert.isTrue(Catalogue.isReadonly(["GET", "k"]))
    assert.isFalse(Catalogue.isReadonly(["SET", "k", "v"]))
    assert.isTrue(Catalogue.isWrite(["XGROUP", "CREATE", "s", "g", "$"]))
    assert.isFalse(Catalogue.isWrite(["NOPE"]))
    assert.isTrue(Catalogue.isPubSub(["SUBSCRIBE", "news"]))
    assert.isTrue(Catalogue.isNoScript(["BLPOP", "q", "0"]))
    assert.isTrue(Catalogue.hasMovableKeys(["EVAL", "return 1", "0"]))
    assert.isFalse(Catalogue.hasMovableKeys(["GET", "k"]))
    assert.isTrue(Catalogue.hasKeys(["EVAL", "return 1", "0"]))
    assert.isFalse(Catalogue.hasKeys(["PING"]))
    assert.isFalse(Catalogue.hasKeys(["SPUBLISH", "ch", "m"]))
    assert.isTrue(Catalogue.isBlocking(["BLPOP", "q", "0"]))
    assert.isTrue(Catalogue.isBlocking(["BLMPOP", "0", "1", "q", "LEFT"]))
    assert.isTrue(Catalogue.isBlocking(["WAIT", "1", "0"]))
    assert.isFalse(Catalogue.isBlocking(["LPOP", "q"]))
    assert.isFalse(Catalogue.isBlocking(["XREAD", "STREAMS", "s", "0"]))
    assert.isTrue(Catalogue.isBlocking(["XREAD", "COUNT", "1", "block", "0", "STREAMS", "s", "$"]))
    assert.isFalse(Catalogue.isBlocking(["XREAD", "COUNT", "1", "STREAMS", "block", "0"]))
    assert.isFalse(Catalogue.isBlocking(["XREADGROUP", "GROUP", "block", "c", "STREAMS", "s", ">"]))
    assert.isTrue(Catalogue.isBlocking(["XREADGROUP", "GROUP", "g", "BLOCK", "BLOCK", "100", "STREAMS", "s", ">"]))
  })
})
