/**
 * The router of a sharded client (see `RedisSharded.ts`, which owns the policy: the ring, the names, the routing
 * table): builds one node per shard, and routes commands, transactions, pub/sub and dedicated connections by the
 * ring.
 *
 * `RedisSharded.ts` reaches this module through `Redis.ts`, and this module reads `RedisSharded.ts` only inside
 * functions, so their import cycle is harmless.
 *
 * @internal
 */
import type { Endpoint, EndpointError } from "@fxredis/transport"
import { Effect, type Scope } from "effect"
import { type ConnectionError, RedisConfigError, type RedisError, ShardingError } from "../RedisErrors.ts"
import { type RedisOptions, resolve } from "../RedisOptions.ts"
import * as RedisSharded from "../RedisSharded.ts"
import { listenGrouped } from "./fanout.ts"
import * as Node from "./node.ts"
import { commandName } from "./pipeline.ts"
import { currentTransport, type Dedicated, type Router, single } from "./router.ts"

/**
 * The router of shards already made, placed by `ring` (names and placement). Every policy of a sharded client is
 * here or in `RedisSharded.make`: commands by their keys (split, broadcast or refused), a transaction on the one
 * shard of its keys (`ShardingError` when it names none), a channel on the shard its name routes to (a pattern on
 * every shard), and dedicated connections, one per shard, routed the same way.
 *
 * @internal
 */
export const router = (nodes: ReadonlyArray<Node.Node>, ring: RedisSharded.Options): Router => {
  const sharded = RedisSharded.make(nodes, ring)
  const dedicated: Effect.Effect<Dedicated, RedisError> = Effect.gen(function* () {
    const opened: Array<Node.Dedicated> = []
    const closeAll = Effect.forEach(opened, (d) => d.close, { discard: true })
    yield* Effect.forEach(nodes, (node) => Effect.map(node.dedicated, (d) => opened.push(d)), {
      discard: true
    }).pipe(Effect.onError(() => closeAll))
    return { run: RedisSharded.make(opened, ring).run, close: closeAll }
  })
  return {
    run: sharded.run,
    nodes,
    shardOf: (key) => sharded.nodeOf(key).name,
    // a channel (or shard channel) lives on the shard its name routes to, as PUBLISH/SPUBLISH are routed; a
    // pattern may match channels of any shard
    listen: (kind, names, listener) =>
      listenGrouped(kind, names, listener, (name) => (kind === "pattern" ? nodes : [sharded.nodeOf(name)])),
    select: (commands) =>
      Effect.map(sharded.select(commands), (node) =>
        node === undefined
          ? {
              id: undefined,
              pin: Effect.fail(
                new ShardingError({
                  command: commandName(commands[0]?.args[0]),
                  shards: nodes.map((n) => n.name),
                  message: "a transaction on a sharded client must start with a command that names a key"
                })
              )
            }
          : { id: node.name, pin: node.pin }
      ),
    dedicated
  }
}

/**
 * Validates the options and connects (eager) or starts connecting (lazy) one node per endpoint. One endpoint makes a
 * one-server router (no ring, `placement` unchecked), as `Redis.layer({ endpoints: [one] })` always did.
 *
 * @internal
 */
export const make = (
  options: RedisOptions,
  lazy: boolean
): Effect.Effect<Router, ConnectionError | EndpointError | RedisConfigError, Scope.Scope> =>
  Effect.gen(function* () {
    // a named shard ({ name, endpoint }) is resolved by its endpoint; its name only places keys
    const entries = options.endpoints
    const resolved = yield* resolve(
      Array.isArray(entries)
        ? { ...options, endpoints: entries.map((e) => (RedisSharded.isNamed(e) ? e.endpoint : e)) }
        : options
    )
    const ring = resolved.length === 1 ? undefined : yield* layout(options, resolved)
    const transport = yield* currentTransport
    const nodes = yield* Effect.forEach(resolved, (o) => Node.make(o, transport, lazy), { concurrency: "unbounded" })
    return ring === undefined || nodes.length === 1 ? single(nodes[0]) : router(nodes, ring)
  })

/**
 * The names and placement of a sharded client's shards, checked before anything connects: `placement` must be
 * `"fxredis"` or `"txredisapi"`, names unique and not empty.
 *
 * @internal
 */
export const layout = (
  options: RedisOptions,
  resolved: ReadonlyArray<{ readonly endpoint: Endpoint }>
): Effect.Effect<RedisSharded.Options, EndpointError | RedisConfigError> => {
  // `placement` is read structurally: a JavaScript caller may pass anything
  const placement: unknown = (options as { readonly placement?: unknown }).placement
  if (placement !== undefined && placement !== "fxredis" && placement !== "txredisapi") {
    return Effect.fail(
      new RedisConfigError({
        option: "placement",
        value: typeof placement === "string" ? placement : typeof placement,
        message: 'placement must be "fxredis" (the default) or "txredisapi"'
      })
    )
  }
  const entries = (options.endpoints ?? []) as ReadonlyArray<string | Endpoint | RedisSharded.NamedEndpoint>
  return Effect.map(
    RedisSharded.shardNames(
      entries,
      resolved.map((r) => r.endpoint),
      placement
    ),
    (names) => ({ names, placement })
  )
}
