/**
 * Fanning one command out over several servers and putting the replies back together: the split of multi-key
 * commands (MGET, MSET, DEL…), broadcasts (PING, DBSIZE…) and subscriptions grouped per server. Shared by the
 * sharded client (groups by shard) and the cluster client (groups by slot).
 *
 * @internal
 */
import type { CommandArg, RespValue } from "@fxredis/protocol"
import { Effect } from "effect"
import type * as C from "../Command.ts"
import type { RedisError } from "../RedisErrors.ts"
import type { Routing } from "./keys.ts"
import type * as Node from "./node.ts"
import { identity } from "./pipeline.ts"
import type * as Subscriber from "./subscriber.ts"

type Run<K> = (target: K, command: C.Command<unknown>) => Effect.Effect<unknown, RedisError>

/**
 * A part of a split or broadcast command: its reply as decoded (bulk strings as bytes), for the command's own
 * decoder to read once the parts are put back together.
 */
export const part = (args: ReadonlyArray<CommandArg>): C.Command<RespValue> =>
  ({ args, transform: identity, blocking: false }) as C.Command<RespValue>

/** the sum of integer replies (DEL, EXISTS, DBSIZE…) */
export const sumOf = (values: ReadonlyArray<RespValue>): number =>
  values.reduce<number>((n, v) => n + (typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : 0), 0)

/** element-wise: 1 where every reply has 1 (SCRIPT EXISTS) */
export const allOf = (values: ReadonlyArray<RespValue>): RespValue => {
  const arrays = values.filter(Array.isArray) as ReadonlyArray<ReadonlyArray<RespValue>>
  if (arrays.length === 0) return values[0]
  return arrays[0].map((_, i) => (arrays.every((a) => a[i] === 1 || a[i] === 1n) ? 1 : 0))
}

/**
 * Splits a multi-key command by the target of each key (`targetAt(i)` for the key at argument `i`), runs the parts
 * concurrently and reassembles the replies in the caller's order (values), summed, or as OK. One target: the
 * command runs whole.
 */
export const runSplit = <K>(
  command: C.Command<unknown>,
  route: Extract<Routing, { readonly _tag: "Split" }>,
  targetAt: (i: number) => K,
  run: Run<K>
): Effect.Effect<unknown, RedisError> => {
  const args = command.args
  const step = route.step
  const groups = new Map<K, { positions: Array<number>; args: Array<CommandArg> }>()
  for (let i = 1, position = 0; i < args.length; i += step, position++) {
    const target = targetAt(i)
    let group = groups.get(target)
    if (group === undefined) {
      group = { positions: [], args: [args[0]] }
      groups.set(target, group)
    }
    group.positions.push(position)
    for (let j = 0; j < step; j++) group.args.push(args[i + j])
  }
  if (groups.size === 1) return run(groups.keys().next().value!, command)
  const parts = [...groups]
  return Effect.forEach(parts, ([target, group]) => run(target, part(group.args)), {
    concurrency: "unbounded"
  }).pipe(
    Effect.flatMap((replies) => {
      let combined: RespValue
      if (route.combine === "values") {
        const out: Array<RespValue> = new Array((args.length - 1) / step)
        parts.forEach(([, group], p) => {
          const reply = replies[p] as ReadonlyArray<RespValue>
          group.positions.forEach((position, k) => {
            out[position] = reply[k]
          })
        })
        combined = out
      } else if (route.combine === "sum") {
        combined = sumOf(replies as ReadonlyArray<RespValue>)
      } else {
        combined = "OK"
      }
      return command.transform(combined, args[0])
    })
  )
}

/** Sends a keyless command to every target and combines the replies as its route says. */
export const runBroadcast = <K>(
  command: C.Command<unknown>,
  route: Extract<Routing, { readonly _tag: "Broadcast" }>,
  targets: ReadonlyArray<K>,
  run: Run<K>
): Effect.Effect<unknown, RedisError> =>
  Effect.forEach(targets, (target) => run(target, part(command.args)), { concurrency: "unbounded" }).pipe(
    Effect.flatMap((replies) => {
      const values = replies as ReadonlyArray<RespValue>
      const combined: RespValue =
        route.combine === "sum"
          ? sumOf(values)
          : route.combine === "concat"
            ? values.flatMap((v) => (Array.isArray(v) ? (v as ReadonlyArray<RespValue>) : []))
            : route.combine === "ok"
              ? "OK"
              : route.combine === "all"
                ? allOf(values)
                : values[0]
      return command.transform(combined, command.args[0])
    })
  )

/**
 * Subscribes each name on the servers `nodesFor(name)` gives, one subscription per server for all its names; the
 * result succeeds once every server has subscribed (see `Subscriber.listen`).
 */
export const listenGrouped = (
  kind: Subscriber.Kind,
  names: ReadonlyArray<string>,
  listener: (message: Subscriber.Message) => void,
  nodesFor: (name: string) => ReadonlyArray<Node.Node>
) =>
  Effect.gen(function* () {
    const groups = new Map<Node.Node, Array<string>>()
    for (const name of names) {
      for (const node of nodesFor(name)) {
        const group = groups.get(node) ?? []
        group.push(name)
        groups.set(node, group)
      }
    }
    const lives: Array<Effect.Effect<void, RedisError>> = []
    for (const [node, group] of groups) lives.push(yield* node.subscriber.listen(kind, group, listener))
    return Effect.all(lives, { concurrency: "unbounded", discard: true })
  })
