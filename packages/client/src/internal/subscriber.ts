/**
 * Pub/sub on a connection of its own: opened (lazily, reconnecting per the policy) by the first subscription,
 * speaking RESP3 so that messages arrive as push frames beside ordinary replies.
 *
 * - Each listener registers under its channels (`SUBSCRIBE`), patterns (`PSUBSCRIBE`) or shard channels
 *   (`SSUBSCRIBE`, Redis 7); the first listener of a name sends the subscribe command, the last one to leave sends
 *   the matching unsubscribe. Several listeners on one name each get every message.
 * - After a reconnect every name still listened to is subscribed again, before any command that waited offline is
 *   written (messages published while the link was down are lost: that is Redis pub/sub).
 * - `live` proves a subscription is in force: it sends `PING` on the subscriber connection. Redis answers commands of
 *   one connection in order, and every subscribe command of a registered name is written before that `PING` on the
 *   same link (by `listen` itself, or by the re-subscription after a reconnect), so once `PING` is answered the server
 *   has subscribed them all: a message published from then on is delivered. A `PING` lost with its link is sent again.
 * - Ending a listener's Scope unsubscribes; closing the client's scope closes the connection.
 *
 * @since 0.1.0
 */
import { Push, type RespValue } from "@fxredis/protocol"
import type { Transport } from "@fxredis/transport"
import { Effect, Schedule, Scope } from "effect"
import type { RedisError } from "../RedisErrors.ts"
import type { ResolvedOptions } from "../RedisOptions.ts"
import * as RedisConnection from "./connection.ts"
import { identity } from "./pipeline.ts"
import { textOf } from "./reply.ts"

/**
 * A message published on a channel; `pattern` is set when it matched a `psubscribe` pattern.
 *
 * @category models
 * @since 0.1.0
 */
export interface Message {
  readonly channel: string
  readonly message: string
  readonly pattern?: string | undefined
}

/**
 * What a name is: a channel (`SUBSCRIBE`), a pattern (`PSUBSCRIBE`) or a shard channel (`SSUBSCRIBE`).
 *
 * @category models
 * @since 0.2.0
 */
export type Kind = "channel" | "pattern" | "shard"

/**
 * @category models
 * @since 0.1.0
 */
export interface Subscriber {
  /**
   * Registers `listener` under `names` until the Scope closes (subscribing the names not yet subscribed); returns
   * an effect that succeeds once the server has subscribed them on the subscriber's current link.
   */
  readonly listen: (
    kind: Kind,
    names: ReadonlyArray<string>,
    listener: (m: Message) => void
  ) => Effect.Effect<Effect.Effect<void, RedisError>, never, Scope.Scope>
}

const text = (value: RespValue | undefined): string => textOf(value) ?? String(value)

const verbs: Record<Kind, readonly [string, string]> = {
  channel: ["SUBSCRIBE", "UNSUBSCRIBE"],
  pattern: ["PSUBSCRIBE", "PUNSUBSCRIBE"],
  shard: ["SSUBSCRIBE", "SUNSUBSCRIBE"]
}

/** a PING lost with its link is sent again (it then waits offline for the next link, bounded by commandTimeout) */
const retryLost = Schedule.recurs(20)

/**
 * @category constructors
 * @since 0.1.0
 */
export const make = (
  options: ResolvedOptions,
  transport: Transport["Service"]
): Effect.Effect<Subscriber, never, Scope.Scope> =>
  Effect.gen(function* () {
    const scope = yield* Effect.scope
    const registries: Record<Kind, Map<string, Set<(m: Message) => void>>> = {
      channel: new Map(),
      pattern: new Map(),
      shard: new Map()
    }

    const deliver = (kind: Kind, key: string, message: Message) => {
      const listeners = registries[kind].get(key)
      if (listeners !== undefined) for (const listener of listeners) listener(message)
    }
    const onPush = (push: Push) => {
      const v = push.values
      const kind = text(v[0])
      if (kind === "message") deliver("channel", text(v[1]), { channel: text(v[1]), message: text(v[2]) })
      else if (kind === "smessage") deliver("shard", text(v[1]), { channel: text(v[1]), message: text(v[2]) })
      else if (kind === "pmessage")
        deliver("pattern", text(v[1]), { pattern: text(v[1]), channel: text(v[2]), message: text(v[3]) })
    }
    const onReady = (connection: RedisConnection.RedisConnection) => {
      for (const kind of ["channel", "pattern", "shard"] as const) {
        const registry = registries[kind]
        if (registry.size === 0) continue
        if (kind === "shard") {
          // one SSUBSCRIBE per channel: a server in cluster mode refuses channels of different slots in one command
          for (const name of registry.keys()) connection.writeOnly([verbs.shard[0], name])
        } else connection.writeOnly([verbs[kind][0], ...registry.keys()])
      }
    }
    const connection = yield* Effect.cached(
      RedisConnection.make(options, transport, { lazy: true, onPush, onReady }).pipe(
        Scope.provide(scope),
        Effect.orDie // a lazy connection does not fail while it is made
      )
    )

    const write = (conn: RedisConnection.RedisConnection, verb: string, kind: Kind, names: ReadonlyArray<string>) => {
      if (names.length === 0) return
      if (kind === "shard") for (const name of names) conn.writeOnly([verb, name])
      else conn.writeOnly([verb, ...names])
    }

    const listen = (kind: Kind, names: ReadonlyArray<string>, listener: (m: Message) => void) =>
      Effect.gen(function* () {
        const conn = yield* connection
        const registry = registries[kind]
        yield* Effect.acquireRelease(
          Effect.sync(() => {
            const fresh: Array<string> = []
            for (const name of names) {
              let set = registry.get(name)
              if (set === undefined) {
                set = new Set()
                registry.set(name, set)
                fresh.push(name)
              }
              set.add(listener)
            }
            write(conn, verbs[kind][0], kind, fresh)
          }),
          () =>
            Effect.sync(() => {
              const gone: Array<string> = []
              for (const name of names) {
                const set = registry.get(name)
                if (set === undefined) continue
                set.delete(listener)
                if (set.size === 0) {
                  registry.delete(name)
                  gone.push(name)
                }
              }
              write(conn, verbs[kind][1], kind, gone)
            })
        )
        const live: Effect.Effect<void, RedisError> = Effect.suspend(() => conn.run(["PING"], identity)).pipe(
          Effect.retry({ schedule: retryLost, while: (e) => e._tag === "ConnectionError" }),
          Effect.asVoid
        )
        return live
      })

    return { listen }
  })

void Push
