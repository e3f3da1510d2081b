/**
 * The shapes of the generated command table (`catalogue.generated.ts`): compact tuples, one per command or
 * subcommand, so the table stays small and quick to load. `Catalogue.ts` turns them into `CommandSpec`s.
 *
 * @since 0.1.0
 */

/**
 * An argument of a command, from `COMMAND DOCS`: `[name, type, token (null when none), flags (1 optional, 2 multiple,
 * 4 multiple_token), children of a block or oneof | key spec index of a key]`.
 *
 * @example
 * ```ts
 * import type { RawArgument } from "@fxredis/client/commands/RawCommand"
 *
 * const count: RawArgument = ["count", "integer", "COUNT", 1]
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export type RawArgument = readonly [
  name: string,
  type: string,
  token: string | null,
  flags: number,
  more?: ReadonlyArray<RawArgument> | number
]

/**
 * A key spec, from `COMMAND INFO`: `[begin search (index, or [keyword, startfrom]), find keys (["range", lastkey,
 * keystep, limit] or ["keynum", keynumidx, firstkey, keystep]), flags]`; `null` where the server says `unknown`.
 *
 * @example
 * ```ts
 * import type { RawKeySpec } from "@fxredis/client/commands/RawCommand"
 *
 * const streams: RawKeySpec = [["STREAMS", 1], ["range", -1, 1, 2], "RO access"]
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export type RawKeySpec = readonly [
  begin: number | readonly [keyword: string, startfrom: number] | null,
  find:
    | readonly ["range", lastkey: number, keystep: number, limit: number]
    | readonly ["keynum", keynumidx: number, firstkey: number, keystep: number]
    | null,
  flags: string
]

/**
 * Documentation beyond summary, since and group, present only when the server has some.
 *
 * @example
 * ```ts
 * import type { RawExtra } from "@fxredis/client/commands/RawCommand"
 *
 * const extra: RawExtra = { deprecatedSince: "6.2.0", replacedBy: "`SET` with the `EX` argument" }
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface RawExtra {
  readonly deprecatedSince?: string
  readonly replacedBy?: string
  readonly docFlags?: string
}

/**
 * One command or subcommand: `[name, arity, flags, first key, last key, step, ACL categories, tips, key specs, group,
 * since, summary, arguments, extra?]`. Flags, categories and tips are space-separated.
 *
 * @example
 * ```ts
 * import type { RawCommand } from "@fxredis/client/commands/RawCommand"
 *
 * const ping: RawCommand = ["ping", -1, "fast", 0, 0, 0, "@fast @connection", "", [], "connection", "1.0.0", "Ping", []]
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export type RawCommand = readonly [
  name: string,
  arity: number,
  flags: string,
  firstKey: number,
  lastKey: number,
  step: number,
  aclCategories: string,
  tips: string,
  keySpecs: ReadonlyArray<RawKeySpec>,
  group: string,
  since: string,
  summary: string,
  args: ReadonlyArray<RawArgument>,
  extra?: RawExtra
]
