/**
 * The router of a primary with replicas (see `RedisReplicated.ts`): readonly commands (by the catalogue's flags) to
 * the replicas in turn, everything else to the primary (see `router.ts`).
 *
 * @internal
 */
import { Effect, Exit } from "effect"
import type * as C from "../Command.ts"
import { isReadonly } from "../commands/Catalogue.ts"
import type { RedisError } from "../RedisErrors.ts"
import type { ReadFrom } from "../RedisReplicated.ts"
import type * as Node from "./node.ts"
import { type Router, single } from "./router.ts"

const ready = (node: Node.Node) => node.connections.some((c) => c.isReady())

/** the command did not reach a server that could answer it */
const unserved = (exit: Exit.Exit<unknown, RedisError>) =>
  Exit.isFailure(exit) &&
  exit.cause.reasons.some(
    (r) => r._tag === "Fail" && (r.error._tag === "ConnectionError" || r.error._tag === "CommandTimeoutError")
  )

/**
 * `onReadonly`: called when the primary answers `READONLY` (it was demoted); the error still reaches the caller.
 *
 * @internal
 */
export const make = (
  primary: Node.Node,
  replicas: ReadonlyArray<Node.Node>,
  readFrom: ReadFrom,
  onReadonly?: (() => void) | undefined
): Router => {
  const onPrimary =
    onReadonly === undefined
      ? primary.run
      : (command: C.Command<unknown>) =>
          Effect.tapError(primary.run(command), (error) =>
            error._tag === "ReplyError" && error.code === "READONLY" ? Effect.sync(onReadonly) : Effect.void
          )
  let turn = 0
  /** the next replica with a connection up, in turn; undefined when none is up */
  const nextReady = (): Node.Node | undefined => {
    for (let i = 0; i < replicas.length; i++) {
      const node = replicas[turn++ % replicas.length]!
      if (ready(node)) return node
    }
    return undefined
  }
  /**
   * The command waits offline on every replica at once: the first replica to come up runs it, and the others' copies,
   * still queued and never written, are interrupted. A reply (an error reply too) ends the race; only a copy that
   * could not be served (`ConnectionError`, `CommandTimeoutError`) leaves it to the others. A readonly command that
   * two replicas ran at nearly the same moment has no effect twice.
   */
  const firstReplica = (command: C.Command<unknown>): Effect.Effect<unknown, RedisError> =>
    replicas.length === 1
      ? replicas[0]!.run(command)
      : Effect.raceAll(
          replicas.map((node) =>
            Effect.flatMap(Effect.exit(node.run(command)), (exit) =>
              unserved(exit) ? Effect.fail(exit) : Effect.succeed(exit)
            )
          )
        ).pipe(
          Effect.catch((exit) => Effect.succeed(exit)),
          Effect.flatMap((exit): Effect.Effect<unknown, RedisError> => exit)
        )
  const run =
    readFrom === "primary" || replicas.length === 0
      ? onPrimary
      : (command: C.Command<unknown>): Effect.Effect<unknown, RedisError> => {
          if (command.blocking || !isReadonly(command.args)) return onPrimary(command)
          const node = nextReady()
          if (node !== undefined) return node.run(command)
          // none up: "preferReplica" reads from the primary; "replica" waits offline on every replica at once
          return readFrom === "preferReplica" ? onPrimary(command) : firstReplica(command)
        }
  // transactions, pub/sub, dedicated connections and SCAN: on the primary
  return { ...single(primary), run }
}
