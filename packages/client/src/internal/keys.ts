/**
 * Where the keys of a command are, for routing on a sharded client, and Redis' hash-tag rule.
 *
 * @internal
 */
import type { CommandArg } from "@fxredis/protocol"

/** How a sharded client treats a command. @internal */
export type Routing =
  /** keys at these argument indexes; they must all live on one shard */
  | { readonly _tag: "Keys"; readonly indexes: ReadonlyArray<number> }
  /** MGET, DEL, MSET…: split per shard, sent concurrently, reassembled */
  | { readonly _tag: "Split"; readonly step: 1 | 2; readonly combine: "values" | "sum" | "ok" }
  /** no key: sent to every shard, replies combined */
  | { readonly _tag: "Broadcast"; readonly combine: "first" | "sum" | "concat" | "ok" }
  /** no key and no meaningful combination */
  | { readonly _tag: "Refused" }

const first: Routing = { _tag: "Keys", indexes: [1] }
const range = (from: number, to: number): ReadonlyArray<number> =>
  Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i)

const splits: Record<string, Routing> = {
  MGET: { _tag: "Split", step: 1, combine: "values" },
  DEL: { _tag: "Split", step: 1, combine: "sum" },
  UNLINK: { _tag: "Split", step: 1, combine: "sum" },
  EXISTS: { _tag: "Split", step: 1, combine: "sum" },
  TOUCH: { _tag: "Split", step: 1, combine: "sum" },
  MSET: { _tag: "Split", step: 2, combine: "ok" }
}

const broadcasts: Record<string, Routing> = {
  PING: { _tag: "Broadcast", combine: "first" },
  DBSIZE: { _tag: "Broadcast", combine: "sum" },
  FLUSHDB: { _tag: "Broadcast", combine: "ok" },
  FLUSHALL: { _tag: "Broadcast", combine: "ok" },
  KEYS: { _tag: "Broadcast", combine: "concat" },
  SCRIPT: { _tag: "Broadcast", combine: "first" }
}

const refused = new Set([
  "SCAN",
  "RANDOMKEY",
  "INFO",
  "TIME",
  "ECHO",
  "SELECT",
  "SWAPDB",
  "MOVE",
  "MULTI",
  "EXEC",
  "DISCARD",
  "WATCH",
  "UNWATCH",
  "CLIENT",
  "CONFIG",
  "DEBUG",
  "MONITOR",
  "SUBSCRIBE",
  "PSUBSCRIBE",
  "PUBSUB",
  "WAIT",
  "OBJECT",
  "MEMORY",
  "SAVE",
  "BGSAVE",
  "LASTSAVE",
  "SHUTDOWN",
  "SLOWLOG",
  "LATENCY",
  "FUNCTION",
  "FCALL",
  "COMMAND",
  "ACL",
  "AUTH",
  "HELLO",
  "QUIT",
  "RESET"
])

/** every argument after the name is a key */
const allKeys = new Set(["SINTER", "SUNION", "SDIFF", "SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE", "PFCOUNT", "PFMERGE"])
/** the first two arguments are keys */
const twoKeys = new Set([
  "RENAME",
  "RENAMENX",
  "SMOVE",
  "LMOVE",
  "BLMOVE",
  "RPOPLPUSH",
  "BRPOPLPUSH",
  "COPY",
  "ZRANGESTORE"
])

const nameOf = (args: ReadonlyArray<CommandArg>): string => (typeof args[0] === "string" ? args[0].toUpperCase() : "")

/** How to route `args` on a sharded client. @internal */
export const routing = (args: ReadonlyArray<CommandArg>): Routing => {
  const name = nameOf(args)
  const split = splits[name]
  if (split !== undefined) return split
  const broadcast = broadcasts[name]
  if (broadcast !== undefined) return broadcast
  if (refused.has(name)) return { _tag: "Refused" }
  if (allKeys.has(name)) return { _tag: "Keys", indexes: range(1, args.length) }
  if (twoKeys.has(name)) return { _tag: "Keys", indexes: [1, 2] }
  switch (name) {
    case "MSETNX":
      return { _tag: "Keys", indexes: range(1, args.length).filter((i) => (i - 1) % 2 === 0) }
    case "BLPOP":
    case "BRPOP":
    case "BZPOPMIN":
    case "BZPOPMAX":
      return { _tag: "Keys", indexes: range(1, args.length - 1) }
    case "EVAL":
    case "EVALSHA":
    case "EVAL_RO":
    case "EVALSHA_RO": {
      const n = Number(args[2])
      return n > 0 ? { _tag: "Keys", indexes: range(3, 3 + n) } : { _tag: "Refused" }
    }
    case "XREAD":
    case "XREADGROUP": {
      const at = args.findIndex((a) => typeof a === "string" && a.toUpperCase() === "STREAMS")
      if (at < 0) return { _tag: "Refused" }
      const count = (args.length - at - 1) / 2
      return { _tag: "Keys", indexes: range(at + 1, at + 1 + count) }
    }
    case "PUBLISH":
      return first
    default:
      return args.length > 1 ? first : { _tag: "Refused" }
  }
}

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
