/**
 * Client-side sharding over several independent Redis servers (txredisapi's `ShardedConnection`): each key is
 * routed by a consistent hash ring (`effect/HashRing`, 128 points per shard) of its hash tag.
 *
 * - Single-key commands go to the key's shard.
 * - MGET, MSET, DEL, UNLINK, EXISTS and TOUCH are split per shard, sent concurrently and reassembled in the
 *   caller's order (counts summed). A split command is not atomic across shards: if one shard fails, the command
 *   fails with that error although the other shards may have applied their part.
 * - Commands whose keys must live together (RENAME, SMOVE, S…STORE, BLMOVE, EVAL with keys, MSETNX, a
 *   transaction) run when all their keys hash to one shard; otherwise they fail with `ShardingError` before
 *   anything is sent. Use hash tags (`{user:1}:name`, `{user:1}:email`) to keep related keys together.
 * - PING, DBSIZE (summed), FLUSHDB, FLUSHALL, KEYS (merged) and SCRIPT go to every shard; SCAN is one merged
 *   Stream (`redis.scan()`); other keyless commands (INFO, TIME, SELECT, CLIENT…) fail with `ShardingError`.
 * - A shard that is down fails only the commands routed to it; the ring never moves keys to another shard (that
 *   would split the data), so its keys fail (typed) until it is back.
 *
 * @since 0.1.0
 */
import type { CommandArg, RespValue } from "@fxredis/protocol"
import { Effect, HashRing, PrimaryKey } from "effect"
import * as C from "./Command.ts"
import { hashTag, routing } from "./internal/keys.ts"
import type { Node } from "./internal/node.ts"
import { commandName } from "./internal/pipeline.ts"
import { type RedisError, ShardingError } from "./RedisErrors.ts"

/** What routing needs of a server. */
type Routable = Pick<Node, "name" | "run">

class Shard<N extends Routable> implements PrimaryKey.PrimaryKey {
  readonly node: N
  readonly index: number
  constructor(node: N, index: number) {
    this.node = node
    this.index = index
  }
  [PrimaryKey.symbol]() {
    return this.node.name
  }
}

/**
 * The routing table of a sharded client.
 *
 * @category models
 * @since 0.1.0
 */
export interface Sharded<N extends Routable = Node> {
  readonly nodes: ReadonlyArray<N>
  /** the node a key lives on (by its hash tag) */
  readonly nodeOf: (key: CommandArg) => N
  readonly run: (command: C.Command<unknown>) => Effect.Effect<unknown, RedisError>
}

const refuse = (args: ReadonlyArray<CommandArg>, shards: ReadonlyArray<string>, message: string) =>
  Effect.fail(new ShardingError({ command: commandName(args[0]), shards: [...shards], message }))

const sumOf = (values: ReadonlyArray<RespValue>): number =>
  values.reduce<number>((n, v) => n + (typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : 0), 0)

/**
 * Routes commands over `nodes`.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = <N extends Routable>(nodes: ReadonlyArray<N>): Sharded<N> => {
  const ring = HashRing.make<Shard<N>>()
  HashRing.addMany(
    ring,
    nodes.map((node, i) => new Shard(node, i))
  )
  const nodeOf = (key: CommandArg): N => HashRing.get(ring, hashTag(key))!.node
  const names = nodes.map((n) => n.name)

  const raw = (args: ReadonlyArray<CommandArg>) => C.make(args, C.raw)

  const run = (command: C.Command<unknown>): Effect.Effect<unknown, RedisError> => {
    const args = command.args
    const route = routing(args)
    switch (route._tag) {
      case "Keys": {
        const node = nodeOf(args[route.indexes[0]])
        for (let i = 1; i < route.indexes.length; i++) {
          const other = nodeOf(args[route.indexes[i]])
          if (other !== node) {
            return refuse(
              args,
              [...new Set(route.indexes.map((j) => nodeOf(args[j]).name))],
              "its keys live on different shards (use a hash tag such as {user:1} to keep them together)"
            )
          }
        }
        return node.run(command)
      }
      case "Split": {
        const step = route.step
        const groups = new Map<N, { positions: Array<number>; args: Array<CommandArg> }>()
        for (let i = 1, position = 0; i < args.length; i += step, position++) {
          const node = nodeOf(args[i])
          let group = groups.get(node)
          if (group === undefined) {
            group = { positions: [], args: [args[0]] }
            groups.set(node, group)
          }
          group.positions.push(position)
          for (let j = 0; j < step; j++) group.args.push(args[i + j])
        }
        if (groups.size <= 1) {
          const only = groups.keys().next()
          return only.done ? nodes[0].run(command) : only.value.run(command)
        }
        const parts = [...groups]
        return Effect.forEach(parts, ([node, group]) => node.run(raw(group.args)), { concurrency: "unbounded" }).pipe(
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
            return command.transform(combined)
          })
        )
      }
      case "Broadcast":
        return Effect.forEach(nodes, (node) => node.run(raw(args)), { concurrency: "unbounded" }).pipe(
          Effect.flatMap((replies) => {
            const values = replies as ReadonlyArray<RespValue>
            const combined: RespValue =
              route.combine === "sum"
                ? sumOf(values)
                : route.combine === "concat"
                  ? values.flatMap((v) => (Array.isArray(v) ? (v as ReadonlyArray<RespValue>) : []))
                  : route.combine === "ok"
                    ? "OK"
                    : values[0]
            return command.transform(combined)
          })
        )
      case "Refused":
        return refuse(args, names, "a sharded client cannot route this command: it has no key")
    }
  }
  return { nodes, nodeOf, run }
}
