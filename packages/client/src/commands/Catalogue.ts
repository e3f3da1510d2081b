/**
 * The command catalogue: for any command line, which command (or subcommand) it is, where its keys are, and what
 * its flags say. Everything comes from `catalogue.generated.ts`, Redis' own command table (`COMMAND INFO` and
 * `COMMAND DOCS`), so routing, slots and blocking all read one source.
 *
 * - `keys` finds key positions the way the server does: it walks the key specs (begin search by index or keyword,
 *   find keys by range or key count), and where a spec is incomplete or unknown (SORT's STORE, MIGRATE's KEYS) it
 *   uses the same fallback parsing the server uses. An unknown command, a wrong number of arguments or keys that
 *   cannot be located (a non-numeric `numkeys`) give `undefined`, so a router can refuse rather than guess.
 * - `slot` is Redis Cluster's CRC16 (XMODEM) mod 16384 with the hash-tag rule.
 * - It does not validate command lines beyond what finding the keys needs: the server does that.
 *
 * The generated table is turned into objects lazily, one command at a time, on first use: importing this module
 * costs one parse of plain data.
 *
 * @since 0.1.0
 */
import type { CommandArg } from "@fxredis/protocol"
import { commands } from "./catalogue.generated.ts"
import type { RawArgument, RawCommand, RawKeySpec } from "./RawCommand.ts"

/**
 * A command line: the command name, then its arguments (a subcommand name is the second element).
 *
 * @example
 * ```ts
 * import type { CommandLine } from "@fxredis/client/commands/Catalogue"
 *
 * const line: CommandLine = ["XGROUP", "CREATE", "orders", "workers", "$"]
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export type CommandLine = ReadonlyArray<CommandArg>

/**
 * An argument of a command, from `COMMAND DOCS`: its name, type and token, and its children when it is a `block`
 * (all in order) or a `oneof` (one of them).
 *
 * @example
 * ```ts
 * import { lookup } from "@fxredis/client/commands/Catalogue"
 *
 * const names = lookup(["SET", "k", "v"])?.arguments.map((a) => a.name) // ["key", "value", "condition", "get", "expiration"]
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface Argument {
  readonly name: string
  readonly type: "key" | "string" | "integer" | "double" | "pattern" | "unix-time" | "pure-token" | "oneof" | "block"
  /** the literal word that introduces it (`"COUNT"`), if any */
  readonly token: string | undefined
  readonly optional: boolean
  readonly multiple: boolean
  /** with `multiple`: the token is repeated before every value */
  readonly multipleToken: boolean
  /** for key (and key-like) arguments: the index of its key spec */
  readonly keySpecIndex: number | undefined
  readonly arguments: ReadonlyArray<Argument>
}

/**
 * Where a key spec's search starts: at a fixed index, or after a keyword found by searching from `startFrom`
 * (negative: from the end, backwards).
 *
 * @example
 * ```ts
 * import { lookup } from "@fxredis/client/commands/Catalogue"
 *
 * lookup(["XREAD", "STREAMS", "s", "0"])?.keySpecs[0].beginSearch // { _tag: "Keyword", keyword: "STREAMS", startFrom: 1 }
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export type BeginSearch =
  | { readonly _tag: "Index"; readonly index: number }
  | { readonly _tag: "Keyword"; readonly keyword: string; readonly startFrom: number }
  | { readonly _tag: "Unknown" }

/**
 * How a key spec finds its keys from where the search began: a range (`lastKey` relative to the start, negative from
 * the end; `limit` divides what is left), or a key count read from an argument (`keynumIndex`), the keys starting
 * `firstKey` after the search start.
 *
 * @example
 * ```ts
 * import { lookup } from "@fxredis/client/commands/Catalogue"
 *
 * lookup(["EVAL", "return 1", "0"])?.keySpecs[0].findKeys // { _tag: "Keynum", keynumIndex: 0, firstKey: 1, keyStep: 1 }
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export type FindKeys =
  | { readonly _tag: "Range"; readonly lastKey: number; readonly keyStep: number; readonly limit: number }
  | { readonly _tag: "Keynum"; readonly keynumIndex: number; readonly firstKey: number; readonly keyStep: number }
  | { readonly _tag: "Unknown" }

/**
 * A key spec and its flags (`RO`, `RW`, `OW`, `RM`, `access`, `update`, `insert`, `delete`, `not_key`,
 * `incomplete`, `variable_flags`).
 *
 * @example
 * ```ts
 * import { lookup } from "@fxredis/client/commands/Catalogue"
 *
 * lookup(["GET", "k"])?.keySpecs[0].flags // ["RO", "access"]
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface KeySpec {
  readonly beginSearch: BeginSearch
  readonly findKeys: FindKeys
  readonly flags: ReadonlyArray<string>
}

/**
 * Everything the catalogue knows about one command or subcommand.
 *
 * @example
 * ```ts
 * import { lookup } from "@fxredis/client/commands/Catalogue"
 *
 * const spec = lookup(["xgroup", "create", "s", "g", "$"])
 * spec?.name // "xgroup|create"
 * spec?.arity // -5
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface CommandSpec {
  /** lower case; a subcommand is `"container|sub"` as in `COMMAND INFO` */
  readonly name: string
  /** how it is written: `"GET"`, `"XGROUP CREATE"` */
  readonly displayName: string
  /** for a subcommand, its container (`"xgroup"`) */
  readonly container: string | undefined
  /** the argument count including the command (and subcommand) name; negative: at least that many */
  readonly arity: number
  readonly flags: ReadonlySet<string>
  readonly firstKey: number
  readonly lastKey: number
  readonly step: number
  readonly aclCategories: ReadonlyArray<string>
  /** `request_policy:…`, `response_policy:…`, `nondeterministic_output`… */
  readonly tips: ReadonlyArray<string>
  readonly keySpecs: ReadonlyArray<KeySpec>
  readonly group: string
  readonly since: string
  readonly summary: string
  readonly deprecatedSince: string | undefined
  readonly replacedBy: string | undefined
  readonly docFlags: ReadonlyArray<string>
  /** the arguments after the command (and subcommand) name */
  readonly arguments: ReadonlyArray<Argument>
  /** by lower-case subcommand name (`"create"`); empty for a plain command */
  readonly subcommands: ReadonlyMap<string, CommandSpec>
}

// ---------------------------------------------------------------------------------------------------------------
// Index and materialisation (lazy)
// ---------------------------------------------------------------------------------------------------------------

let rawIndex: Map<string, RawCommand> | undefined
const specCache = new Map<string, CommandSpec>()

const raws = (): Map<string, RawCommand> => {
  if (rawIndex === undefined) {
    rawIndex = new Map()
    for (const raw of commands) rawIndex.set(raw[0], raw)
  }
  return rawIndex
}

const words = (text: string): ReadonlyArray<string> => (text === "" ? [] : text.split(" "))

const toArgument = (raw: RawArgument): Argument => {
  const more = raw[4]
  return {
    name: raw[0],
    type: raw[1] as Argument["type"],
    token: raw[2] === null ? undefined : raw[2],
    optional: (raw[3] & 1) !== 0,
    multiple: (raw[3] & 2) !== 0,
    multipleToken: (raw[3] & 4) !== 0,
    keySpecIndex: typeof more === "number" ? more : undefined,
    arguments: typeof more === "object" ? more.map(toArgument) : []
  }
}

const toKeySpec = (raw: RawKeySpec): KeySpec => {
  const [begin, find, flags] = raw
  return {
    beginSearch:
      begin === null
        ? { _tag: "Unknown" }
        : typeof begin === "number"
          ? { _tag: "Index", index: begin }
          : { _tag: "Keyword", keyword: begin[0], startFrom: begin[1] },
    findKeys:
      find === null
        ? { _tag: "Unknown" }
        : find[0] === "range"
          ? { _tag: "Range", lastKey: find[1], keyStep: find[2], limit: find[3] }
          : { _tag: "Keynum", keynumIndex: find[1], firstKey: find[2], keyStep: find[3] },
    flags: words(flags)
  }
}

const materialise = (raw: RawCommand): CommandSpec => {
  const name = raw[0]
  const bar = name.indexOf("|")
  const container = bar < 0 ? undefined : name.slice(0, bar)
  const extra = raw[13]
  let subcommands: ReadonlyMap<string, CommandSpec> | undefined
  const spec: CommandSpec = {
    name,
    displayName: name.replace("|", " ").toUpperCase(),
    container,
    arity: raw[1],
    flags: new Set(words(raw[2])),
    firstKey: raw[3],
    lastKey: raw[4],
    step: raw[5],
    aclCategories: words(raw[6]),
    tips: words(raw[7]),
    keySpecs: raw[8].map(toKeySpec),
    group: raw[9],
    since: raw[10],
    summary: raw[11],
    deprecatedSince: extra?.deprecatedSince,
    replacedBy: extra?.replacedBy,
    docFlags: words(extra?.docFlags ?? ""),
    arguments: raw[12].map(toArgument),
    get subcommands() {
      if (subcommands === undefined) {
        const subs = new Map<string, CommandSpec>()
        if (container === undefined) {
          for (const [key, other] of raws()) {
            if (key.startsWith(`${name}|`)) subs.set(key.slice(name.length + 1), specOf(other))
          }
        }
        subcommands = subs
      }
      return subcommands
    }
  }
  return spec
}

/**
 * A spec from a raw table row (the shape of `catalogue.generated.ts`), e.g. for a module command read at run time.
 * Its `subcommands` are the catalogue's rows named `"<name>|…"`.
 *
 * @example
 * ```ts
 * import { fromRaw } from "@fxredis/client/commands/Catalogue"
 *
 * fromRaw(["my.get", 2, "readonly", 1, 1, 1, "", "", [[1, ["range", 0, 1, 0], "RO"]], "module", "", "", []]).displayName // "MY.GET"
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const fromRaw = (raw: RawCommand): CommandSpec => materialise(raw)

const specOf = (raw: RawCommand): CommandSpec => {
  let spec = specCache.get(raw[0])
  if (spec === undefined) {
    spec = materialise(raw)
    specCache.set(raw[0], spec)
  }
  return spec
}

/** an argument as lower-case text, or undefined when it is too long to be a command name */
const lowerName = (arg: CommandArg | undefined): string | undefined => {
  if (arg === undefined) return undefined
  if (typeof arg === "string") return arg.length > 64 ? undefined : arg.toLowerCase()
  if (typeof arg === "number") return String(arg)
  if (arg.length > 64) return undefined
  let out = ""
  for (let i = 0; i < arg.length; i++) out += String.fromCharCode(arg[i])
  return out.toLowerCase()
}

/** ASCII case-insensitive comparison of an argument with an upper-case keyword */
const sameWord = (arg: CommandArg | undefined, keyword: string): boolean => {
  if (arg === undefined) return false
  if (typeof arg === "string") return arg.length === keyword.length && arg.toUpperCase() === keyword
  if (typeof arg === "number") return String(arg) === keyword
  if (arg.length !== keyword.length) return false
  for (let i = 0; i < arg.length; i++) {
    let c = arg[i]
    if (c >= 97 && c <= 122) c -= 32
    if (c !== keyword.charCodeAt(i)) return false
  }
  return true
}

/** the argument as an integer, like Redis' `string2ll` (no sign-less garbage, no spaces), or undefined */
const integer = (arg: CommandArg | undefined): number | undefined => {
  if (arg === undefined) return undefined
  const text = typeof arg === "string" ? arg : typeof arg === "number" ? String(arg) : new TextDecoder().decode(arg)
  return /^(?:0|-?[1-9][0-9]*)$/.test(text) ? Number(text) : undefined
}

// ---------------------------------------------------------------------------------------------------------------
// Lookup
// ---------------------------------------------------------------------------------------------------------------

/**
 * The spec of the command a line runs: a subcommand when the command has subcommands and the line names one
 * (`XGROUP CREATE`, `OBJECT FREQ`, `CLIENT LIST`), case-insensitively. A container alone (`["CLIENT"]`) gives the
 * container; an unknown command or subcommand gives `undefined`, as the server's own lookup does.
 *
 * @example
 * ```ts
 * import { lookup } from "@fxredis/client/commands/Catalogue"
 *
 * lookup(["client", "LIST"])?.name // "client|list"
 * lookup(["NOPE"]) // undefined
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const lookup = (args: CommandLine): CommandSpec | undefined => {
  const name = lowerName(args[0])
  if (name === undefined || name.includes("|")) return undefined
  const index = raws()
  const raw = index.get(name)
  if (raw === undefined) return undefined
  if (args.length < 2) return specOf(raw)
  const sub = index.get(`${name}|${lowerName(args[1]) ?? ""}`)
  if (sub !== undefined) return specOf(sub)
  // a command with subcommands and an unknown subcommand is unknown, as in Redis' lookupCommand
  return hasSubcommands(name) ? undefined : specOf(raw)
}

const containers = new Map<string, boolean>()
const hasSubcommands = (name: string): boolean => {
  let has = containers.get(name)
  if (has === undefined) {
    has = false
    for (const key of raws().keys()) {
      if (key.startsWith(`${name}|`)) {
        has = true
        break
      }
    }
    containers.set(name, has)
  }
  return has
}

/**
 * The spec of a command by name: `"get"`, `"XGROUP CREATE"` or `"xgroup|create"`, any case.
 *
 * @example
 * ```ts
 * import { byName } from "@fxredis/client/commands/Catalogue"
 *
 * byName("object freq")?.arity // 3
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const byName = (name: string): CommandSpec | undefined => {
  const raw = raws().get(name.trim().toLowerCase().replace(/\s+/, "|"))
  return raw === undefined ? undefined : specOf(raw)
}

/**
 * Every command and subcommand in the catalogue, sorted by name.
 *
 * @example
 * ```ts
 * import { all } from "@fxredis/client/commands/Catalogue"
 *
 * const writes = all().filter((spec) => spec.flags.has("write")).length
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const all = (): ReadonlyArray<CommandSpec> => commands.map(specOf)

// ---------------------------------------------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------------------------------------------

/**
 * Options of `keys`.
 *
 * @example
 * ```ts
 * import { keys } from "@fxredis/client/commands/Catalogue"
 *
 * keys(["SPUBLISH", "news", "hi"], { includeNotKeys: true }) // [1]: a sharded channel routes like a key
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface KeysOptions {
  /** also return arguments of `not_key` specs (sharded pub/sub channels), as Redis Cluster does for routing */
  readonly includeNotKeys?: boolean | undefined
}

const INVALID = -1
const NO_KEYS: ReadonlyArray<number> = []

/** Redis' key-spec walk: the key positions, or INVALID when a spec is invalid, unknown or incomplete */
const walkSpecs = (spec: CommandSpec, args: CommandLine, includeNotKeys: boolean): ReadonlyArray<number> | -1 => {
  const argc = args.length
  const out: Array<number> = []
  for (const keySpec of spec.keySpecs) {
    const notKey = keySpec.flags.includes("not_key")
    if (notKey && !includeNotKeys) continue
    const begin = keySpec.beginSearch
    let first = 0
    if (begin._tag === "Index") first = begin.index
    else if (begin._tag === "Keyword") {
      // search forward from startFrom, or backwards from argc + startFrom when it is negative; never the name
      const forward = begin.startFrom > 0
      const from = forward ? begin.startFrom : argc + begin.startFrom
      const until = forward ? argc - 1 : 1
      for (let i = from; i !== until; i = from <= until ? i + 1 : i - 1) {
        if (i >= argc || i < 1) break
        if (sameWord(args[i], begin.keyword)) {
          first = i + 1
          break
        }
      }
      if (first === 0) continue // keyword absent: this spec has no keys here
    } else return INVALID

    const find = keySpec.findKeys
    let last: number
    let step: number
    if (find._tag === "Range") {
      step = find.keyStep
      if (find.lastKey >= 0) last = first + find.lastKey
      else if (find.limit === 0) last = argc + find.lastKey
      else last = first + (Math.trunc((argc - first) / find.limit) + find.lastKey)
    } else if (find._tag === "Keynum") {
      step = find.keyStep
      if (find.keynumIndex >= argc) return INVALID
      const count = integer(args[first + find.keynumIndex])
      if (count === undefined) return INVALID
      first += find.firstKey
      last = first + count - 1
      // a count out of range (0 included) makes the server's fallback parser (genericGetKeys) find no keys at all
      if (count < 1 || last >= argc) return NO_KEYS
    } else return INVALID

    if (last >= argc || last < first || first >= argc) return INVALID
    for (let i = first; i <= last; i += step) out.push(i)
    if (keySpec.flags.includes("incomplete")) return INVALID
  }
  return out
}

/** SORT: the key, then the last STORE's argument, skipping the arguments of LIMIT, GET and BY (Redis' sortGetKeys) */
const sortKeys = (args: CommandLine): ReadonlyArray<number> => {
  const out = [1]
  let store = -1
  for (let i = 2; i < args.length; i++) {
    if (sameWord(args[i], "LIMIT")) i += 2
    else if (sameWord(args[i], "GET") || sameWord(args[i], "BY")) i += 1
    else if (sameWord(args[i], "STORE") && i + 1 < args.length) store = i + 1
  }
  if (store > 0) out.push(store)
  return out
}

/** MIGRATE: the key at 3, or with KEYS (and an empty key) every argument after KEYS (Redis' migrateGetKeys) */
const migrateKeys = (args: CommandLine): ReadonlyArray<number> => {
  const skip: Record<string, number> = { COPY: 0, REPLACE: 0, AUTH: 1, AUTH2: 2 }
  if (args.length > 6) {
    for (let i = 6; i < args.length; i++) {
      if (sameWord(args[i], "KEYS")) {
        const key = args[3]
        const empty = typeof key === "number" ? false : key.length === 0
        if (!empty) return []
        return Array.from({ length: args.length - i - 1 }, (_, j) => i + 1 + j)
      }
      const word = lowerName(args[i])?.toUpperCase()
      if (word !== undefined && word in skip) i += skip[word]
    }
  }
  return [3]
}

/** the server's own parsers for the commands whose specs cannot say everything (used when the walk gives up) */
const fallbacks: Record<string, (args: CommandLine) => ReadonlyArray<number>> = {
  sort: sortKeys,
  sort_ro: () => [1],
  migrate: migrateKeys
}

const arityOk = (arity: number, argc: number) => (arity >= 0 ? argc === arity : argc >= -arity)

/**
 * The indexes (into `args`) of the keys of a command line, found as Redis finds them: from the key specs, and for
 * the few commands whose specs are incomplete (SORT's STORE, MIGRATE's KEYS) with the server's own parsing.
 * `[]` for a command without keys. `undefined` when they cannot be known: an unknown command or subcommand, a
 * wrong number of arguments, or a line whose keys cannot be located (a non-numeric or too large `numkeys`) — the
 * server would reject it; a router should refuse it rather than guess.
 *
 * @example
 * ```ts
 * import { keys } from "@fxredis/client/commands/Catalogue"
 *
 * keys(["MSET", "a", "1", "b", "2"]) // [1, 3]
 * keys(["XREAD", "COUNT", "1", "STREAMS", "s1", "s2", "0", "0"]) // [4, 5]
 * keys(["ZUNIONSTORE", "dest", "2", "a", "b"]) // [1, 3, 4]
 * keys(["PING"]) // []
 * keys(["NOPE", "x"]) // undefined
 * ```
 *
 * @category decoding
 * @since 0.1.0
 */
export const keys = (args: CommandLine, options?: KeysOptions): ReadonlyArray<number> | undefined => {
  const spec = lookup(args)
  return spec === undefined ? undefined : keysOf(spec, args, options)
}

/**
 * `keys` for a given spec: for commands the catalogue does not have (a module's, read from `COMMAND INFO` at run
 * time and turned into a spec with `fromRaw`).
 *
 * @example
 * ```ts
 * import { fromRaw, keysOf } from "@fxredis/client/commands/Catalogue"
 *
 * const spec = fromRaw(["my.cmd", -2, "readonly", 1, -1, 1, "", "", [[1, ["range", -1, 1, 0], "RO"]], "module", "", "", []])
 * keysOf(spec, ["MY.CMD", "a", "b"]) // [1, 2]
 * ```
 *
 * @category decoding
 * @since 0.1.0
 */
export const keysOf = (
  spec: CommandSpec,
  args: CommandLine,
  options?: KeysOptions
): ReadonlyArray<number> | undefined => {
  if (!arityOk(spec.arity, args.length)) return undefined
  const found = walkSpecs(spec, args, options?.includeNotKeys === true)
  if (found !== INVALID) return found
  const fallback = fallbacks[spec.name]
  return fallback === undefined ? undefined : fallback(args)
}

/**
 * The keys of a command line themselves (see `keys`).
 *
 * @example
 * ```ts
 * import { keyNames } from "@fxredis/client/commands/Catalogue"
 *
 * keyNames(["EVAL", "return 1", "2", "k1", "k2", "arg"]) // ["k1", "k2"]
 * ```
 *
 * @category decoding
 * @since 0.1.0
 */
export const keyNames = (args: CommandLine, options?: KeysOptions): ReadonlyArray<CommandArg> | undefined =>
  keys(args, options)?.map((i) => args[i])

// ---------------------------------------------------------------------------------------------------------------
// Flags
// ---------------------------------------------------------------------------------------------------------------

const flag =
  (name: string) =>
  (args: CommandLine): boolean =>
    lookup(args)?.flags.has(name) ?? false

/**
 * Whether the command only reads (`readonly` flag): safe on a replica. False for unknown commands.
 *
 * @example
 * ```ts
 * import { isReadonly } from "@fxredis/client/commands/Catalogue"
 *
 * isReadonly(["GET", "k"]) // true
 * isReadonly(["SET", "k", "v"]) // false
 * ```
 *
 * @category decoding
 * @since 0.1.0
 */
export const isReadonly: (args: CommandLine) => boolean = flag("readonly")

/**
 * Whether the command may modify data (`write` flag). False for unknown commands.
 *
 * @example
 * ```ts
 * import { isWrite } from "@fxredis/client/commands/Catalogue"
 *
 * isWrite(["XGROUP", "CREATE", "s", "g", "$"]) // true
 * ```
 *
 * @category decoding
 * @since 0.1.0
 */
export const isWrite: (args: CommandLine) => boolean = flag("write")

/**
 * Whether the command is a pub/sub command (`pubsub` flag: SUBSCRIBE, PUBLISH, PUBSUB CHANNELS…).
 *
 * @example
 * ```ts
 * import { isPubSub } from "@fxredis/client/commands/Catalogue"
 *
 * isPubSub(["SUBSCRIBE", "news"]) // true
 * ```
 *
 * @category decoding
 * @since 0.1.0
 */
export const isPubSub: (args: CommandLine) => boolean = flag("pubsub")

/**
 * Whether the command is refused inside scripts (`noscript` flag).
 *
 * @example
 * ```ts
 * import { isNoScript } from "@fxredis/client/commands/Catalogue"
 *
 * isNoScript(["BLPOP", "q", "0"]) // true
 * ```
 *
 * @category decoding
 * @since 0.1.0
 */
export const isNoScript: (args: CommandLine) => boolean = flag("noscript")

/**
 * Whether the command's keys can only be found by reading its arguments (`movablekeys`: EVAL, ZUNION, XREAD, SORT…),
 * rather than from fixed positions.
 *
 * @example
 * ```ts
 * import { hasMovableKeys } from "@fxredis/client/commands/Catalogue"
 *
 * hasMovableKeys(["EVAL", "return 1", "0"]) // true
 * ```
 *
 * @category decoding
 * @since 0.1.0
 */
export const hasMovableKeys: (args: CommandLine) => boolean = flag("movablekeys")

/**
 * Whether the command can take keys at all (as Redis' `doesCommandHaveKeys`): it has a key spec that is not a
 * `not_key` spec. `PING` has none; `EVAL` has, even when called with no keys.
 *
 * @example
 * ```ts
 * import { hasKeys } from "@fxredis/client/commands/Catalogue"
 *
 * hasKeys(["EVAL", "return 1", "0"]) // true
 * hasKeys(["SPUBLISH", "channel", "message"]) // false: a channel, not a key
 * ```
 *
 * @category decoding
 * @since 0.1.0
 */
export const hasKeys = (args: CommandLine): boolean =>
  lookup(args)?.keySpecs.some((spec) => !spec.flags.includes("not_key")) ?? false

/** commands that block the connection although the table does not flag them `blocking` */
const blocksUnflagged = new Set(["wait", "waitaof"])

/**
 * Whether this command line may block the connection until data arrives or a timeout passes.
 *
 * The `blocking` flag means *may* block: BLPOP, BZPOPMIN, BLMOVE… always do, but XREAD and XREADGROUP block only
 * with their `BLOCK` option, so for a command whose arguments include an optional `BLOCK` token this looks for it
 * among the options before the first positional argument. WAIT (not flagged) blocks too.
 *
 * @example
 * ```ts
 * import { isBlocking } from "@fxredis/client/commands/Catalogue"
 *
 * isBlocking(["BLPOP", "q", "0"]) // true
 * isBlocking(["XREAD", "STREAMS", "s", "0"]) // false
 * isBlocking(["XREAD", "BLOCK", "0", "STREAMS", "s", "$"]) // true
 * ```
 *
 * @category decoding
 * @since 0.1.0
 */
export const isBlocking = (args: CommandLine): boolean => {
  const spec = lookup(args)
  if (spec === undefined) return false
  if (blocksUnflagged.has(spec.name)) return true
  if (!spec.flags.has("blocking")) return false
  const block = spec.arguments.find((a) => a.token === "BLOCK")
  if (block === undefined || !block.optional) return true
  // walk the leading options by their tokens, each followed by as many values as the docs give it
  const widths = new Map<string, number>()
  for (const a of spec.arguments) {
    if (a.token !== undefined)
      widths.set(a.token, a.type === "pure-token" ? 0 : a.type === "block" ? a.arguments.length : 1)
  }
  for (let i = spec.container === undefined ? 1 : 2; i < args.length; ) {
    const word = lowerName(args[i])?.toUpperCase()
    if (word === undefined) return false
    if (word === "BLOCK") return true
    const width = widths.get(word)
    if (width === undefined || word === "STREAMS") return false
    i += 1 + width
  }
  return false
}

// ---------------------------------------------------------------------------------------------------------------
// Slots
// ---------------------------------------------------------------------------------------------------------------

const CRC16_TABLE = (() => {
  const table = new Uint16Array(256)
  for (let n = 0; n < 256; n++) {
    let crc = n << 8
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff
    table[n] = crc
  }
  return table
})()

const encoder = new TextEncoder()
const bytesOf = (key: string | Uint8Array): Uint8Array => (typeof key === "string" ? encoder.encode(key) : key)

/**
 * CRC16-CCITT (XMODEM: polynomial 0x1021, initial 0), as Redis Cluster uses, over `bytes[start, end)`.
 *
 * @example
 * ```ts
 * import { crc16 } from "@fxredis/client/commands/Catalogue"
 *
 * crc16("123456789") // 0x31c3
 * ```
 *
 * @category encoding
 * @since 0.1.0
 */
export const crc16 = (key: string | Uint8Array, start = 0, end?: number): number => {
  const bytes = bytesOf(key)
  const stop = end ?? bytes.length
  let crc = 0
  for (let i = start; i < stop; i++) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ bytes[i]) & 0xff]
  return crc
}

/** `slot` of an ASCII key, read from its characters (no encoding, nothing allocated); -1 when it is not ASCII */
const asciiSlot = (key: string): number => {
  let open = -1
  let close = -1
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i)
    if (c > 127) return -1
    if (c === 123) {
      if (open < 0) open = i
    } else if (c === 125 && open >= 0 && close < 0) close = i
  }
  const from = close > open + 1 ? open + 1 : 0
  const to = close > open + 1 ? close : key.length
  let crc = 0
  for (let i = from; i < to; i++) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ key.charCodeAt(i)) & 0xff]
  return crc & 16383
}

/**
 * The Redis Cluster slot of a key (0–16383): CRC16 of the key mod 16384, or of its hash tag, the part between the
 * first `{` and the first `}` after it, when that part is not empty.
 *
 * @example
 * ```ts
 * import { slot } from "@fxredis/client/commands/Catalogue"
 *
 * slot("{user1000}.following") === slot("{user1000}.followers") // true
 * slot("foo{}{bar}") // the whole key: the first tag is empty
 * ```
 *
 * @category encoding
 * @since 0.1.0
 */
export const slot = (key: string | Uint8Array): number => {
  if (typeof key === "string") {
    const ascii = asciiSlot(key)
    if (ascii >= 0) return ascii
  }
  const bytes = bytesOf(key)
  const open = bytes.indexOf(123) // {
  if (open >= 0) {
    const close = bytes.indexOf(125, open + 1) // }
    if (close > open + 1) return crc16(bytes, open + 1, close) & 16383
  }
  return crc16(bytes) & 16383
}
