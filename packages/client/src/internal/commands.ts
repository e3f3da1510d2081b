/**
 * The table of typed command descriptors, and its binding to an executor.
 *
 * @internal
 */
import type { Effect } from "effect"
import type { Command } from "../Command.ts"
import * as Generated from "../commands/methods.generated.ts"
import type { RedisError } from "../RedisErrors.ts"
import * as Hashes from "./commands/Hashes.ts"
import * as Keys from "./commands/Keys.ts"
import * as Lists from "./commands/Lists.ts"
import * as Server from "./commands/Server.ts"
import * as Sets from "./commands/Sets.ts"
import * as Streams from "./commands/Streams.ts"
import * as Strings from "./commands/Strings.ts"

/**
 * Every typed command, by method name: the generated methods (one per command and subcommand of the catalogue),
 * then the curated ones, which win where both exist.
 *
 * @internal
 */
export const table = {
  ...Generated,
  ...Strings,
  ...Keys,
  ...Hashes,
  ...Lists,
  ...Sets,
  ...Streams,
  ...Server
}

/** @internal */
export type Table = typeof table

/** A table of descriptor builders, each turned into a method that runs the command. @internal */
export type Bound<T> = {
  readonly [K in keyof T]: T[K] extends (...args: infer P) => Command<infer A>
    ? (...args: P) => Effect.Effect<A, RedisError>
    : never
}

/** Binds every builder of `table` to `run`. @internal */
export const bind = (run: (command: Command<unknown>) => Effect.Effect<unknown, RedisError>): Bound<Table> => {
  const bound: Record<string, (...args: Array<never>) => Effect.Effect<unknown, RedisError>> = {}
  for (const [name, builder] of Object.entries(table) as Array<[string, (...args: Array<never>) => Command<unknown>]>) {
    bound[name] = (...args) => run(builder(...args))
  }
  // built by name at run time, so TypeScript cannot relate it to the mapped type: each entry is `table`'s builder
  // with the same parameters, run through `run`, which is what `Bound<Table>` describes
  return bound as unknown as Bound<Table>
}
