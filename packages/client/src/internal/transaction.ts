/**
 * Transactions: the body runs on one pinned connection; `exec` writes `MULTI`, the queued commands and `EXEC`
 * together (one write, in order), so the server never holds the connection in `MULTI` across an interruption.
 * On exit (success, failure, defect or interruption) an open `WATCH` is released with `UNWATCH` and the
 * connection returns to the rotation.
 *
 * @internal
 */
import { type CommandArg, ErrorReply, type RespValue } from "@fxredis/protocol"
import { Effect, Exit } from "effect"
import * as C from "../Command.ts"
import { type RedisError, ReplyError, ShardingError, TransactionAbortedError } from "../RedisErrors.ts"
import { type Bound, bind, type Table, table } from "./commands.ts"
import type { Pinned } from "./node.ts"
import { commandName, identity } from "./pipeline.ts"
import { replyError } from "./reply.ts"

/**
 * Commands on a pinned connection, plus `exec`.
 *
 * @internal
 */
export interface Transaction extends Bound<Table> {
  readonly send: (command: string, ...args: ReadonlyArray<CommandArg>) => Effect.Effect<RespValue, RedisError>
  readonly watch: (...keys: ReadonlyArray<string>) => Effect.Effect<void, RedisError>
  readonly exec: <const Cs extends ReadonlyArray<C.Command<unknown>>>(
    build: (commands: Table) => Cs
  ) => Effect.Effect<{ -readonly [K in keyof Cs]: C.CommandResult<Cs[K]> }, RedisError>
}

/** Which connection serves these commands: `id` names the server (undefined: the commands have no key). @internal */
export interface Selection {
  readonly id: string | undefined
  readonly pin: Effect.Effect<Pinned, RedisError>
}

/** @internal */
export const run = <A, E, R>(
  select: (commands: ReadonlyArray<C.Command<unknown>>) => Effect.Effect<Selection, RedisError>,
  body: (tx: Transaction) => Effect.Effect<A, E, R>
): Effect.Effect<A, E | RedisError, R> =>
  Effect.suspend(() => {
    let pinned: { readonly id: string | undefined; readonly pinned: Pinned } | undefined
    let watching = false

    /** the pinned connection for these commands, pinning one on first use */
    const connectionFor = (commands: ReadonlyArray<C.Command<unknown>>): Effect.Effect<Pinned, RedisError> =>
      Effect.flatMap(select(commands), (selection) => {
        if (pinned !== undefined) {
          if (selection.id === undefined || pinned.id === undefined || selection.id === pinned.id) {
            return Effect.succeed(pinned.pinned)
          }
          return Effect.fail(
            new ShardingError({
              command: commandName(commands[0]?.args[0]),
              shards: [pinned.id, selection.id],
              message: "a transaction runs on one shard: this command's keys live on another one"
            })
          )
        }
        // waiting for a free connection is interruptible; once one is pinned it is recorded at once, so the
        // finalizer below always releases it
        return Effect.uninterruptibleMask((restore) =>
          Effect.map(restore(selection.pin), (p) => {
            pinned = { id: selection.id, pinned: p }
            return p
          })
        )
      })

    const runOne = (command: C.Command<unknown>) => Effect.flatMap(connectionFor([command]), (p) => p.run(command))

    const exec = <const Cs extends ReadonlyArray<C.Command<unknown>>>(build: (commands: Table) => Cs) =>
      Effect.suspend(() => {
        const commands = build(table)
        return Effect.flatMap(connectionFor(commands), (p) => {
          watching = false
          return p.connection.runBatch(
            [
              C.make(["MULTI"], C.ok),
              ...commands.map((c) => C.make(c.args, C.ok)),
              // EXEC's reply as decoded: each command's own decoder reads its element (text, bytes, numbers…)
              C.make(["EXEC"], identity)
            ],
            p.binding
          )
        }).pipe(
          Effect.flatMap((exits) => {
            for (let i = 0; i < exits.length - 1; i++) {
              const exit = exits[i]
              if (Exit.isFailure(exit)) return exit
            }
            const last = exits[exits.length - 1]
            if (Exit.isFailure(last)) return last
            const replies = last.value as RespValue
            if (replies === null) {
              return Effect.fail(
                new TransactionAbortedError({ message: "a watched key changed: the transaction did not run" })
              )
            }
            if (!Array.isArray(replies)) {
              return Effect.fail(
                new ReplyError({ code: "UNEXPECTED", message: "EXEC did not reply with an array", command: "EXEC" })
              )
            }
            const out: Array<unknown> = []
            for (let i = 0; i < commands.length; i++) {
              const reply = (replies as ReadonlyArray<RespValue>)[i]
              const exit =
                reply instanceof ErrorReply
                  ? Exit.fail(replyError(reply, commands[i].args[0]))
                  : commands[i].transform(reply, commands[i].args[0])
              if (Exit.isFailure(exit)) return exit
              out.push(exit.value)
            }
            return Effect.succeed(out)
          })
        )
      }) as Effect.Effect<{ -readonly [K in keyof Cs]: C.CommandResult<Cs[K]> }, RedisError>

    const tx: Transaction = {
      ...bind(runOne),
      send: (command, ...args) => runOne(C.make([command, ...args], C.raw)) as Effect.Effect<RespValue, RedisError>,
      // marked before it is sent: a WATCH interrupted or timed out in flight is still undone with UNWATCH
      watch: (...keys) =>
        Effect.suspend(() => {
          watching = true
          return Effect.asVoid(runOne(C.make(["WATCH", ...keys], C.ok)))
        }),
      exec
    }

    // A single server pins at once (so the connection is held for the whole body); a sharded client pins on the
    // first command that names a key.
    const pinEarly = Effect.flatMap(Effect.result(select([])), (selected) =>
      selected._tag === "Success" && selected.success.id !== undefined ? connectionFor([]) : Effect.void
    )
    return Effect.andThen(pinEarly, body(tx)).pipe(
      Effect.ensuring(
        Effect.suspend(() => {
          const held = pinned
          if (held === undefined) return Effect.void
          pinned = undefined
          const unwatch = watching ? Effect.ignore(held.pinned.run(C.make(["UNWATCH"], C.ok))) : Effect.void
          return Effect.andThen(unwatch, held.pinned.release)
        })
      )
    )
  })
