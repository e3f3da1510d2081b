/**
 * Pub/sub on a connection of its own: opened (lazily, reconnecting per the policy) by the first subscription,
 * speaking RESP3 so that messages arrive as push frames beside ordinary replies.
 *
 * - Each `subscribe` Stream registers a listener; the first listener of a channel sends `SUBSCRIBE`, the last one
 *   to leave sends `UNSUBSCRIBE`. Several streams on one channel each get every message.
 * - After a reconnect every channel and pattern still listened to is subscribed again (messages published while
 *   the link was down are lost: that is Redis pub/sub).
 * - Ending or interrupting the stream unsubscribes; closing the client's scope closes the connection.
 *
 * @since 0.1.0
 */
import { Push, type RespValue } from "@fxredis/protocol"
import type { Transport } from "@fxredis/transport"
import { Effect, Queue, Scope, Stream } from "effect"
import type { RedisError } from "../RedisErrors.ts"
import type { ResolvedOptions } from "../RedisOptions.ts"
import * as RedisConnection from "./connection.ts"

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
 * @category models
 * @since 0.1.0
 */
export interface Subscriber {
  readonly subscribe: (kind: "channel" | "pattern", names: ReadonlyArray<string>) => Stream.Stream<Message, RedisError>
}

const text = (value: RespValue | undefined): string =>
  typeof value === "string" ? value : value instanceof Uint8Array ? Buffer.from(value).toString("utf8") : String(value)

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
    const channels = new Map<string, Set<(m: Message) => void>>()
    const patterns = new Map<string, Set<(m: Message) => void>>()

    const deliver = (registry: Map<string, Set<(m: Message) => void>>, key: string, message: Message) => {
      const listeners = registry.get(key)
      if (listeners !== undefined) for (const listener of listeners) listener(message)
    }
    const onPush = (push: Push) => {
      const v = push.values
      const kind = text(v[0])
      if (kind === "message") deliver(channels, text(v[1]), { channel: text(v[1]), message: text(v[2]) })
      else if (kind === "pmessage")
        deliver(patterns, text(v[1]), { pattern: text(v[1]), channel: text(v[2]), message: text(v[3]) })
    }
    const onReady = (connection: RedisConnection.RedisConnection) => {
      if (channels.size > 0) connection.writeOnly(["SUBSCRIBE", ...channels.keys()])
      if (patterns.size > 0) connection.writeOnly(["PSUBSCRIBE", ...patterns.keys()])
    }
    const connection = yield* Effect.cached(
      RedisConnection.make(options, transport, { lazy: true, onPush, onReady }).pipe(
        Scope.provide(scope),
        Effect.orDie // a lazy connection does not fail while it is made
      )
    )

    const subscribe = (kind: "channel" | "pattern", names: ReadonlyArray<string>) =>
      Stream.callback<Message, RedisError>((queue) =>
        Effect.gen(function* () {
          const conn = yield* connection
          const registry = kind === "channel" ? channels : patterns
          const listener = (m: Message) => {
            Queue.offerUnsafe(queue, m)
          }
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
              if (fresh.length > 0) conn.writeOnly([kind === "channel" ? "SUBSCRIBE" : "PSUBSCRIBE", ...fresh])
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
                if (gone.length > 0) conn.writeOnly([kind === "channel" ? "UNSUBSCRIBE" : "PUNSUBSCRIBE", ...gone])
              })
          )
        })
      )
    return { subscribe }
  })

void Push
