/**
 * How a generated method's parameters become a command line: one set of rules over the `COMMAND DOCS` argument
 * trees of `catalogue.generated.ts`, read both by the generator (to write the parameter types of
 * `methods.generated.ts`) and at run time (to encode a call). Keeping both in one place is what keeps a method's
 * type and its encoding in step.
 *
 * The rules:
 * - required arguments are positional parameters, in the server's order; optional ones are fields of one options
 *   object (last parameter). A required pure token is written without a parameter.
 * - a field is named after its token when the token is a word (`COUNT` → `count`, `WITHSCORES` → `withscores`),
 *   else after its name (`unix-time-seconds` → `unixTimeSeconds`); a name-named `multiple` field is plural
 *   (`key` → `keys`).
 * - an optional `oneof` without a token is flattened: each choice is its own option (`nx`, `xx`, as in `set`); with
 *   a token (`CLIENT LIST TYPE …`) it is one option.
 * - a `oneof` of pure tokens and plain values is one value: a token literal (`"LEFT" | "RIGHT"`) or the value; other
 *   `oneof`s are an object naming the choice (`{ frommember: "m" } | { fromlonlat: { longitude, latitude } }`).
 * - a `block` is an object of its parts (`limit: { offset, count }`); a repeated block of plain values is a tuple
 *   per repetition (`[["field", "value"]]`, `[[score, "member"]]`), a single-part one just the value.
 * - `multiple` is an array (never rest parameters: `del(keys)`, as the curated methods); a `numkeys` argument is the
 *   length of the array after it, never a parameter.
 * - a command whose docs list no arguments but whose arity wants some (`COMMAND GETKEYS`) takes them as one array,
 *   `args`, sent as they are.
 * - types: key → `Key`; string → `Value`; integer, unix-time → `number`; double → `number | string` (`"+inf"`,
 *   `"(1.5"`); pattern → `string`; optional pure token → `boolean`.
 *
 * @internal
 */
import type { CommandArg, RespValue } from "@fxredis/protocol"
import type { Exit } from "effect"
import * as C from "../../Command.ts"
import type { RedisError } from "../../RedisErrors.ts"
import { commands } from "../catalogue.generated.ts"
import type { RawArgument, RawCommand } from "../RawCommand.ts"

/** @internal */
export const isOptional = (a: RawArgument): boolean => (a[3] & 1) !== 0
/** @internal */
export const isMultiple = (a: RawArgument): boolean => (a[3] & 2) !== 0
const isMultipleToken = (a: RawArgument): boolean => (a[3] & 4) !== 0
/** @internal */
export const children = (a: RawArgument): ReadonlyArray<RawArgument> => (typeof a[4] === "object" ? a[4] : [])
/** @internal */
export const isNumkeys = (a: RawArgument): boolean => a[1] === "integer" && a[0] === "numkeys"

const SCALARS = new Set(["key", "string", "integer", "double", "pattern", "unix-time"])
/** @internal */
export const isScalar = (a: RawArgument): boolean => SCALARS.has(a[1])

/** camelCase of a Redis word or name: `"no-evict"` → `"noEvict"`, `"xgroup|create"` → `"xgroupCreate"` @internal */
export const camel = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[-_ |:.]+([a-z0-9])/g, (_, c: string) => c.toUpperCase())
    .replace(/[^A-Za-z0-9]/g, "")

const WORD = /^[A-Za-z][A-Za-z0-9_-]*$/

/** The key of an argument in its options object or block object (see the rules above). @internal */
export const fieldKey = (a: RawArgument): string => {
  const token = a[2]
  if (token !== null && WORD.test(token)) return camel(token)
  const name = camel(a[0])
  return isMultiple(a) && !name.endsWith("s") ? `${name}s` : name
}

/** an optional `oneof` without a token: its choices are options of their own @internal */
export const isFlattened = (a: RawArgument): boolean =>
  a[1] === "oneof" && isOptional(a) && a[2] === null && !isMultiple(a)

/** a `oneof` written as one value (a token literal or a plain value) @internal */
export const isScalarOneof = (a: RawArgument): boolean =>
  a[1] === "oneof" &&
  children(a).every(
    (c) =>
      !isMultiple(c) && ((c[1] === "pure-token" && c[2] !== null) || (c[2] === null && isScalar(c) && !isOptional(c)))
  )

/** a repeated block of plain values: a tuple per repetition @internal */
export const isTupleBlock = (a: RawArgument): boolean =>
  a[1] === "block" &&
  isMultiple(a) &&
  children(a).every((c) => isScalar(c) && c[2] === null && !isOptional(c) && !isMultiple(c))

const isChoiceGroup = (a: RawArgument): boolean => a[1] === "oneof" && a[2] === null && !isMultiple(a)

/** the choices of a flattened `oneof`, each an option of its own (nested token-less `oneof`s too) @internal */
export const choices = (a: RawArgument): Array<RawArgument> =>
  children(a).flatMap((c) => (isChoiceGroup(c) ? choices(c) : [c]))

/** the fields an argument list contributes, with whether each is required @internal */
export const fields = (list: ReadonlyArray<RawArgument>): Array<readonly [RawArgument, boolean]> =>
  list.flatMap(
    (a): Array<readonly [RawArgument, boolean]> =>
      isNumkeys(a) || (a[1] === "pure-token" && !isOptional(a))
        ? []
        : isFlattened(a)
          ? choices(a).map((c) => [c, false] as const)
          : [[a, !isOptional(a)]]
  )

/** the required arguments of a top-level list: the positional parameters, in order @internal */
export const positional = (list: ReadonlyArray<RawArgument>): Array<RawArgument> =>
  list.filter((a) => !isOptional(a) && !isNumkeys(a) && a[1] !== "pure-token")

/** the docs list no arguments, the arity wants some: the method takes `args` @internal */
export const takesRest = (raw: RawCommand): boolean =>
  raw[12].length === 0 && (raw[1] < 0 || raw[1] > raw[0].split("|").length)

// ---------------------------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------------------------

const present = (v: unknown): boolean => v !== undefined && v !== null && v !== false

const emitList = (
  list: ReadonlyArray<RawArgument>,
  values: Readonly<Record<string, unknown>>,
  out: Array<CommandArg>
) => {
  for (let i = 0; i < list.length; i++) {
    const a = list[i]
    if (isNumkeys(a)) {
      const next = list[i + 1]
      const v = next === undefined ? undefined : values[fieldKey(next)]
      out.push(Array.isArray(v) ? v.length : 0)
    } else if (a[1] === "pure-token" && !isOptional(a)) {
      if (a[2] !== null) out.push(a[2])
    } else if (isFlattened(a)) {
      emitChoices(a, values, out)
    } else {
      const v = values[fieldKey(a)]
      if (present(v)) emitArg(a, v, out)
    }
  }
}

const emitChoices = (a: RawArgument, values: Readonly<Record<string, unknown>>, out: Array<CommandArg>) => {
  for (const c of children(a)) {
    if (isChoiceGroup(c)) emitChoices(c, values, out)
    else {
      const v = values[fieldKey(c)]
      if (present(v)) emitArg(c, v, out)
    }
  }
}

const emitArg = (a: RawArgument, v: unknown, out: Array<CommandArg>) => {
  const token = a[2]
  if (isMultiple(a)) {
    const items = v as ReadonlyArray<unknown>
    for (let i = 0; i < items.length; i++) {
      if (token !== null && (i === 0 || isMultipleToken(a))) out.push(token)
      emitValue(a, items[i], out)
    }
  } else {
    if (token !== null) out.push(token)
    emitValue(a, v, out)
  }
}

const emitValue = (a: RawArgument, v: unknown, out: Array<CommandArg>) => {
  switch (a[1]) {
    case "pure-token":
      return
    case "oneof": {
      if (isScalarOneof(a)) {
        out.push(v as CommandArg)
        return
      }
      const choice = v as Readonly<Record<string, unknown>>
      for (const c of children(a)) {
        const cv = choice[fieldKey(c)]
        if (present(cv)) return emitArg(c, cv, out)
      }
      return
    }
    case "block": {
      const parts = children(a)
      if (isTupleBlock(a)) {
        if (parts.length === 1) return emitArg(parts[0], v, out)
        const tuple = v as ReadonlyArray<unknown>
        for (let i = 0; i < parts.length; i++) emitArg(parts[i], tuple[i], out)
        return
      }
      return emitList(parts, v as Readonly<Record<string, unknown>>, out)
    }
    default:
      out.push(v as CommandArg)
  }
}

interface Plan {
  readonly words: ReadonlyArray<string>
  readonly args: ReadonlyArray<RawArgument>
  readonly keys: ReadonlyArray<string>
  readonly blocking: boolean
  readonly rest: boolean
}

let raws: Map<string, RawCommand> | undefined
const plans = new Map<string, Plan>()

/** the plan of a command of the catalogue (generated methods only name commands it has) */
const planOf = (name: string): Plan => {
  const cached = plans.get(name)
  if (cached !== undefined) return cached
  if (raws === undefined) {
    raws = new Map()
    for (const raw of commands) raws.set(raw[0], raw)
  }
  const raw = raws.get(name)
  if (raw === undefined)
    return { words: name.toUpperCase().split("|"), args: [], keys: [], blocking: false, rest: true }
  const plan: Plan = {
    words: raw[0].toUpperCase().split("|"),
    args: raw[12],
    keys: positional(raw[12]).map(fieldKey),
    blocking: raw[2].split(" ").includes("blocking"),
    rest: takesRest(raw)
  }
  plans.set(name, plan)
  return plan
}

/**
 * The command line of a generated method's call: the command's words, then its arguments encoded by the rules
 * above from the positional parameters and the options object.
 *
 * @internal
 */
export const encode = (
  name: string,
  params: ReadonlyArray<unknown>,
  options: object | undefined
): Array<CommandArg> => {
  const plan = planOf(name)
  const values: Record<string, unknown> = { ...options }
  for (let i = 0; i < plan.keys.length; i++) values[plan.keys[i]] = params[i]
  const out: Array<CommandArg> = [...plan.words]
  emitList(plan.args, values, out)
  if (plan.rest) for (const arg of (params[0] ?? []) as ReadonlyArray<CommandArg>) out.push(arg)
  return out
}

/** `XREAD` and `XREADGROUP` block only with `BLOCK` */
const blockingWithBlock = new Set(["xread", "xreadgroup"])

/**
 * A generated method's descriptor: the encoded call, the reply transform, and blocking as the catalogue says
 * (`XREAD`/`XREADGROUP` only with `block`).
 *
 * @internal
 */
export const build = <A>(
  name: string,
  transform: (value: RespValue) => Exit.Exit<A, RedisError>,
  params: ReadonlyArray<unknown>,
  options?: object | undefined
): C.Command<A> => {
  const args = encode(name, params, options)
  const blocking = blockingWithBlock.has(name)
    ? (options as { readonly block?: unknown } | undefined)?.block !== undefined
    : planOf(name).blocking
  return blocking ? C.blocking(args, transform) : C.make(args, transform)
}
