/**
 * How a sharded client treats a command line, from the command catalogue's key specs (Redis' own `COMMAND INFO`),
 * and Redis' hash-tag rule.
 *
 * - A command whose keys the catalogue locates is routed by those keys (all of them: `ZUNIONSTORE dest 2 a b` by
 *   `dest`, `a` and `b`; `BITOP AND dest a b` by `dest`, `a`, `b`, never by `AND`).
 * - MGET, MSET, DEL, UNLINK, EXISTS and TOUCH may be split per shard.
 * - A command without keys goes to every shard only when it is on an explicit list of commands whose replies can
 *   be combined (PING, DBSIZE, FLUSHDB, FLUSHALL, KEYS, SCRIPT LOAD/EXISTS/FLUSH); every other one is refused.
 * - A command the catalogue does not know (a module's), or whose keys cannot be located, is refused: never guessed.
 *
 * @internal
 */
import type { CommandArg } from "@fxredis/protocol"
import { byName, keys as keysOf, lookup } from "../commands/Catalogue.ts"

/** Why a command cannot be routed. @internal */
export type Refusal =
  /** the catalogue does not know the command (or subcommand) */
  | "Unknown"
  /** its keys cannot be located: a wrong number of arguments, a bad key count */
  | "Malformed"
  /** it names no key here and its replies cannot be combined across shards */
  | "Keyless"
  /** it must not run on a shared connection of a sharded client (MULTI, SSUBSCRIBE…) */
  | "Forbidden"

/** How a sharded client treats a command. @internal */
export type Routing =
  /** keys at these argument indexes (never empty); they must all live on one shard */
  | { readonly _tag: "Keys"; readonly indexes: ReadonlyArray<number> }
  /** MGET, DEL, MSET…: split per shard, sent concurrently, reassembled */
  | { readonly _tag: "Split"; readonly step: 1 | 2; readonly combine: "values" | "sum" | "ok" }
  /** no key: sent to every shard, replies combined (`all`: element-wise, 1 only when every shard says 1) */
  | { readonly _tag: "Broadcast"; readonly combine: "first" | "sum" | "concat" | "ok" | "all" }
  /** cannot be routed: refused before anything is sent */
  | { readonly _tag: "Refused"; readonly reason: Refusal; readonly message: string }

type Split = Extract<Routing, { readonly _tag: "Split" }>

const splits = new Map<string, Split>([
  ["mget", { _tag: "Split", step: 1, combine: "values" }],
  ["del", { _tag: "Split", step: 1, combine: "sum" }],
  ["unlink", { _tag: "Split", step: 1, combine: "sum" }],
  ["exists", { _tag: "Split", step: 1, combine: "sum" }],
  ["touch", { _tag: "Split", step: 1, combine: "sum" }],
  ["mset", { _tag: "Split", step: 2, combine: "ok" }]
])

/** keyless commands known safe to send to every shard, by catalogue name, with how their replies combine */
const broadcasts = new Map<string, Routing>([
  ["ping", { _tag: "Broadcast", combine: "first" }],
  ["dbsize", { _tag: "Broadcast", combine: "sum" }],
  ["flushdb", { _tag: "Broadcast", combine: "ok" }],
  ["flushall", { _tag: "Broadcast", combine: "ok" }],
  ["keys", { _tag: "Broadcast", combine: "concat" }],
  ["script|load", { _tag: "Broadcast", combine: "first" }],
  ["script|flush", { _tag: "Broadcast", combine: "ok" }],
  ["script|exists", { _tag: "Broadcast", combine: "all" }]
])

/** commands with keys (or channels) that must still not go through a shared connection */
const forbidden = new Set(["ssubscribe", "sunsubscribe"])

/** a pub/sub channel routes like a key (the client's `subscribe` puts a channel on the same shard) */
const channels = new Set(["publish", "spublish"])

const NAME_CHANNEL: ReadonlyArray<number> = [1]

const refused = (reason: Refusal, message: string): Routing => ({ _tag: "Refused", reason, message })

const nameOf = (arg: CommandArg | undefined): string =>
  typeof arg === "string"
    ? arg.toLowerCase()
    : arg instanceof Uint8Array
      ? new TextDecoder().decode(arg).toLowerCase()
      : String(arg)

/**
 * What routing needs to know of a command name, cached per name as written (`"GET"`): a split, a plain command
 * whose keys are one fixed range (GET, SET, HSET, RENAME… — computed here exactly as the catalogue's key-spec walk
 * does, without its lookups), a pub/sub channel, or `Catalogue` (anything else: subcommands, movable keys, several
 * key specs, broadcasts, unknown names).
 */
type Plan =
  | Split
  | {
      readonly _tag: "Range"
      readonly arity: number
      readonly first: number
      readonly last: number
      readonly step: number
      readonly single: ReadonlyArray<number> | undefined
    }
  | { readonly _tag: "Channel" }
  | { readonly _tag: "Catalogue" }

const CATALOGUE: Plan = { _tag: "Catalogue" }
const CHANNEL: Plan = { _tag: "Channel" }
const plans = new Map<string, Plan>()

const planOf = (written: string): Plan => {
  let plan = plans.get(written)
  if (plan !== undefined) return plan
  const name = written.toLowerCase()
  plan = splits.get(name) ?? (channels.has(name) ? CHANNEL : CATALOGUE)
  const spec = plan === CATALOGUE && !/[\s|]/.test(name) ? byName(name) : undefined
  if (spec !== undefined && spec.subcommands.size === 0 && !spec.flags.has("movablekeys") && !broadcasts.has(name)) {
    const only = spec.keySpecs.length === 1 ? spec.keySpecs[0] : undefined
    if (
      only !== undefined &&
      only.beginSearch._tag === "Index" &&
      only.findKeys._tag === "Range" &&
      only.findKeys.limit === 0 &&
      only.flags.every((f) => f !== "incomplete" && f !== "not_key")
    ) {
      const first = only.beginSearch.index
      const last = only.findKeys.lastKey
      plan = {
        _tag: "Range",
        arity: spec.arity,
        first,
        last,
        step: only.findKeys.keyStep,
        single: last === 0 ? [first] : undefined
      }
    }
  }
  if (plans.size < 4096) plans.set(written, plan)
  return plan
}

/** the catalogue's walk for a single `Range` key spec that starts at a fixed index */
const rangeKeys = (plan: Extract<Plan, { readonly _tag: "Range" }>, argc: number): Routing => {
  if (plan.arity >= 0 ? argc !== plan.arity : argc < -plan.arity) return refused("Malformed", malformed)
  if (plan.single !== undefined)
    return plan.first < argc ? { _tag: "Keys", indexes: plan.single } : refused("Malformed", malformed)
  const first = plan.first
  const last = plan.last >= 0 ? first + plan.last : argc + plan.last
  if (last >= argc || last < first || first >= argc) return refused("Malformed", malformed)
  const indexes: Array<number> = []
  for (let i = first; i <= last; i += plan.step) indexes.push(i)
  return { _tag: "Keys", indexes }
}

/**
 * How to route `args` on a sharded client.
 *
 * @internal
 */
export const routing = (args: ReadonlyArray<CommandArg>): Routing => {
  const written = args[0]
  const plan = typeof written === "string" ? planOf(written) : (splits.get(nameOf(written)) ?? CATALOGUE)
  switch (plan._tag) {
    case "Split":
      return args.length >= 2 && (args.length - 1) % plan.step === 0 ? plan : refused("Malformed", malformed)
    case "Range":
      return rangeKeys(plan, args.length)
    case "Channel":
      return args.length === 3 ? { _tag: "Keys", indexes: NAME_CHANNEL } : refused("Malformed", malformed)
    case "Catalogue":
      return byCatalogue(args)
  }
}

const byCatalogue = (args: ReadonlyArray<CommandArg>): Routing => {
  const spec = lookup(args)
  if (spec === undefined) return refused("Unknown", unknown)
  const name = spec.name
  if (forbidden.has(name)) return refused("Forbidden", forbiddenMessage)
  if (channels.has(name))
    return args.length === 3 ? { _tag: "Keys", indexes: NAME_CHANNEL } : refused("Malformed", malformed)
  const broadcast = broadcasts.get(name)
  if (broadcast !== undefined) return broadcast
  const found = keysOf(args)
  if (found === undefined) return refused("Malformed", malformed)
  if (found.length === 0) return refused("Keyless", keyless)
  return { _tag: "Keys", indexes: found }
}

const malformed =
  "its keys cannot be located (a wrong number of arguments, or a key count that does not fit): it was not sent"
const unknown =
  "the command table does not know this command (a module's?), so its keys cannot be located and it was not sent; a " +
  "sharded client has no way to send a command to a chosen shard: use a client of that one server (Redis.make({ endpoint }))"
const keyless =
  "it names no key here and its replies cannot be combined across shards (only PING, DBSIZE, FLUSHDB, FLUSHALL, KEYS " +
  "and SCRIPT LOAD/EXISTS/FLUSH go to every shard); use a client of one server (Redis.make({ endpoint })) for it"
const forbiddenMessage = "it would change the state of a shared connection; use redis.subscribe for pub/sub"

const decoder = new TextDecoder()

/**
 * The part of a key that is hashed: Redis' rule — the text between the first `{` and the next `}` when that is
 * not empty, else the whole key.
 *
 * @internal
 */
export const hashTag = (key: CommandArg): string => {
  const s = typeof key === "string" ? key : key instanceof Uint8Array ? decoder.decode(key) : String(key)
  const open = s.indexOf("{")
  if (open < 0) return s
  const close = s.indexOf("}", open + 1)
  return close > open + 1 ? s.slice(open + 1, close) : s
}
