/**
 * The router: the one small interface every shape (a connection, a pool, a sharded client, a Redis Cluster client, a
 * Sentinel or replicated client, the in-memory fake) produces, and that `Redis.ts`' `makeShape` turns into the `Redis`
 * service. It says where a command runs and nothing else: key prefixes, scripts, scans and the Streams of pub/sub
 * are the facade's, the same for every shape.
 *
 * - `run`: one command, on the hot path. A router's `run` is called once per command with no wrapper around it.
 * - `select` (pin): the connection a transaction's commands run on, taken out of the rotation until released.
 * - `listen` (subscribe): pub/sub on the connections that carry the channels.
 * - `dedicated`: connections of their own, outside the rotation, routed like `run`.
 *
 * @internal
 */
import { type EndpointError, Transport } from "@fxredis/transport"
import * as NodeTransport from "@fxredis/transport/NodeTransport"
import { Effect, Option, type Scope } from "effect"
import type { Command } from "../Command.ts"
import { type ConnectionError, RedisConfigError, type RedisError } from "../RedisErrors.ts"
import { type RedisOptions, resolve } from "../RedisOptions.ts"
import * as Node from "./node.ts"
import type * as Subscriber from "./subscriber.ts"
import type { Selection } from "./transaction.ts"

/** Connections of their own, routed like the router's `run`, until `close`. @internal */
export interface Dedicated {
  readonly run: (command: Command<unknown>) => Effect.Effect<unknown, RedisError>
  /** closes every connection; commands in flight on them fail with `ConnectionError` */
  readonly close: Effect.Effect<void>
}

/** Where each command runs. @internal */
export interface Router {
  /** runs one command where it belongs (the hot path: no per-command work beyond routing) */
  readonly run: (command: Command<unknown>) => Effect.Effect<unknown, RedisError>
  /** pin: the connection that runs these commands together (a transaction), see `internal/transaction.ts` */
  readonly select: (commands: ReadonlyArray<Command<unknown>>) => Effect.Effect<Selection, RedisError>
  /** subscribe: registers a listener under names until the Scope closes (see `Subscriber.listen`) */
  readonly listen: Subscriber.Subscriber["listen"]
  /** connections of their own, outside the rotation (see `Dedicated`) */
  readonly dedicated: Effect.Effect<Dedicated, RedisError>
  /** the servers, each with its own `run` (for a SCAN over every one); read when asked (a cluster's change) */
  readonly nodes: ReadonlyArray<Pick<Node.Node, "name" | "run">>
  /** the server a key is routed to */
  readonly shardOf: (key: string) => string
}

/** The router of one server: a connection or a pool (`poolSize` connections), the in-memory fake too. @internal */
/**
 * The build of a lazy layer: it connects in the background, so its `ConnectionError` cannot happen and leaves the type
 * (it would be a defect). One place for every shape's `layerLazy`. @internal
 */
export const lazyBuild = <A, R>(
  build: Effect.Effect<A, ConnectionError | EndpointError | RedisConfigError, R>
): Effect.Effect<A, EndpointError | RedisConfigError, R> =>
  Effect.catchTag(build, "ConnectionError", (e) => Effect.die(e))

export const single = (node: Node.Node): Router => ({
  run: node.run,
  select: () => Effect.succeed({ id: node.name, pin: node.pin }),
  listen: node.subscriber.listen,
  dedicated: node.dedicated,
  nodes: [node],
  shardOf: () => node.name
})

/** The transport to use: a `Transport` in the context, else Node's. @internal */
export const currentTransport: Effect.Effect<Transport["Service"]> = Effect.map(Effect.serviceOption(Transport), (t) =>
  Option.getOrElse(t, () => NodeTransport.make)
)

/**
 * Validates the options (one `endpoint`) and connects (eager) or starts connecting (lazy) one server: `poolSize`
 * connections, one by default.
 *
 * @internal
 */
export const server = (
  options: RedisOptions,
  lazy: boolean
): Effect.Effect<Router, ConnectionError | EndpointError | RedisConfigError, Scope.Scope> =>
  Effect.gen(function* () {
    const [resolved] = yield* resolve(options)
    const transport = yield* currentTransport
    return single(yield* Node.make(resolved, transport, lazy))
  })

/**
 * A field that picks another shape, given anyway (from JavaScript, or a spread of `RedisOptions`): the shape modules
 * refuse it rather than ignore it.
 *
 * @internal
 */
export const refuseShapeOptions = (
  options: unknown,
  fields: ReadonlyArray<string>,
  shape: string,
  instead: string
): RedisConfigError | undefined => {
  if (typeof options !== "object" || options === null) return undefined
  for (const field of fields) {
    if ((options as Record<string, unknown>)[field] !== undefined) {
      return new RedisConfigError({
        option: field,
        value: "given",
        message: `${shape} takes no ${field}: ${instead}`
      })
    }
  }
  return undefined
}
