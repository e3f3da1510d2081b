/**
 * Server and scripting commands as descriptors (see `Command.ts`).
 *
 * @since 0.1.0
 */
import type { CommandArg } from "@fxredis/protocol"
import * as C from "../../Command.ts"
import type { Key, Value } from "./Strings.ts"

/** any command, its reply as the server sent it @since 0.1.0 */
export const send = (command: string, ...args: ReadonlyArray<CommandArg>) => C.make([command, ...args], C.raw)
/** `PONG`, or the message echoed @since 0.1.0 */
export const ping = (message?: string) => C.make(message === undefined ? ["PING"] : ["PING", message], C.string)
/** @since 0.1.0 */
export const echo = (message: string) => C.make(["ECHO", message], C.string)
/** the INFO text (of a section, if given) @since 0.1.0 */
export const info = (section?: string) => C.make(section === undefined ? ["INFO"] : ["INFO", section], C.string)
/** @since 0.1.0 */
export const dbsize = () => C.make(["DBSIZE"], C.number)
/** @since 0.1.0 */
export const flushdb = (options?: { readonly async?: boolean | undefined }) =>
  C.make(options?.async ? ["FLUSHDB", "ASYNC"] : ["FLUSHDB"], C.ok)
/** the server's clock: [seconds, microseconds] @since 0.1.0 */
export const time = () => C.make(["TIME"], C.time)
/** @since 0.1.0 */
export const keys = (pattern: string) => C.make(["KEYS", pattern], C.strings)
/** runs a Lua script; the reply as the server sent it @since 0.1.0 */
export const evalScript = (script: string, keys: ReadonlyArray<Key>, args: ReadonlyArray<Value>) =>
  C.make(["EVAL", script, keys.length, ...keys, ...args], C.raw)
/** runs a cached script by its SHA1 @since 0.1.0 */
export const evalsha = (sha: string, keys: ReadonlyArray<Key>, args: ReadonlyArray<Value>) =>
  C.make(["EVALSHA", sha, keys.length, ...keys, ...args], C.raw)
/** @since 0.1.0 */
export const scriptLoad = (script: string) => C.make(["SCRIPT", "LOAD", script], C.string)
