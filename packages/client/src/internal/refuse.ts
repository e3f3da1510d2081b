/**
 * Commands that change the state of the connection they run on. On a connection other fibers share (the pool's
 * rotation), each would corrupt their commands: `CLIENT REPLY OFF` shifts every later reply, `MULTI` makes every
 * later command answer `QUEUED`, `SELECT` switches the database for everyone. They are refused before anything is
 * written, with the API to use instead.
 *
 * @internal
 */
import type { CommandArg } from "@fxredis/protocol"
import { InvalidCommandError } from "../RedisErrors.ts"
import { commandName } from "./pipeline.ts"

const transaction =
  "use redis.transaction(tx => …): it pins a connection, and tx.watch / tx.exec send WATCH, MULTI and EXEC"
const dedicated = "use redis.dedicated: a connection of its own, where connection state is yours"
const subscribe = "use redis.subscribe / redis.psubscribe: subscriptions run on a connection of their own"

/** refused on the shared rotation, allowed on a pinned (transaction) connection */
const sharedOnly: Record<string, string> = {
  MULTI: transaction,
  EXEC: transaction,
  DISCARD: transaction,
  WATCH: transaction,
  UNWATCH: transaction
}

/** refused wherever the connection goes back to others afterwards (the rotation and transactions) */
const anyShared: Record<string, string> = {
  SELECT: `the database is the client's \`database\` option (or the URL's /db); for another database, ${dedicated}`,
  RESET: dedicated,
  AUTH: "credentials are the client's `username` and `password` options",
  HELLO: "the protocol is the client's `protocol` option",
  QUIT: "close the client's scope instead",
  MONITOR: dedicated,
  READONLY: dedicated,
  READWRITE: dedicated,
  ASKING: dedicated,
  SUBSCRIBE: subscribe,
  PSUBSCRIBE: subscribe,
  SSUBSCRIBE: subscribe,
  UNSUBSCRIBE: subscribe,
  PUNSUBSCRIBE: subscribe,
  SUNSUBSCRIBE: subscribe
}

/**
 * `CLIENT` subcommands that change what other fibers' commands do on the connection. Others (`CLIENT LIST`, `ID`,
 * `TRACKING`: its invalidations arrive as RESP3 push frames, apart from replies) are fine.
 */
const clientState = new Set(["REPLY", "SETNAME", "CACHING", "NO-EVICT", "NO-TOUCH"])

const upper = (arg: CommandArg | undefined): string =>
  typeof arg === "string"
    ? arg.toUpperCase()
    : arg instanceof Uint8Array
      ? new TextDecoder().decode(arg).toUpperCase()
      : ""

/** command names, as callers spell them, refused nowhere (not `CLIENT`: that depends on its subcommand); bounded */
const harmless = new Set<string>()

/**
 * Why `args` may not run on a shared connection, as a typed error; undefined when it may. `pinned`: the connection is
 * held by a transaction (MULTI, EXEC, WATCH… are its own business there).
 */
export const refuseOnShared = (args: ReadonlyArray<CommandArg>, pinned: boolean): InvalidCommandError | undefined => {
  const first = args[0]
  // on the command path: a name seen harmless before is not upper-cased and looked up again
  if (typeof first === "string" && harmless.has(first)) return undefined
  const name = upper(first)
  let advice = anyShared[name] ?? (pinned ? undefined : sharedOnly[name])
  if (advice === undefined && name === "CLIENT" && clientState.has(upper(args[1]))) advice = dedicated
  if (advice === undefined) {
    if (typeof first === "string" && name !== "CLIENT" && sharedOnly[name] === undefined && harmless.size < 1024) {
      harmless.add(first)
    }
    return undefined
  }
  return new InvalidCommandError({
    command: name === "CLIENT" ? `CLIENT ${upper(args[1])}` : commandName(args[0]),
    message: `${name === "CLIENT" ? `CLIENT ${upper(args[1])}` : name} would change the state of a connection that other fibers share: ${advice}`
  })
}
