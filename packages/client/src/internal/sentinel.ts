/**
 * Sentinel discovery as two `Transport`s, one per role, over one shared view of the deployment:
 *
 * - **primary**: every connect (the first and each reconnect) asks the sentinels in turn for the primary's address
 *   (`SENTINEL GET-MASTER-ADDR-BY-NAME`), connects there with the inner transport and checks `ROLE` on that very link
 *   (`master`) before the client's handshake runs on it.
 * - **replica**: every connect asks for the replicas (`SENTINEL REPLICAS`), skips those flagged `s_down`, `o_down` or
 *   `disconnected`, and takes the next one in turn (so a pool's connections spread over the replicas), checking
 *   `ROLE` (`slave`) on the link.
 *
 * Every conversation with a sentinel also asks `SENTINEL SENTINELS <name>`: sentinels learned that way join the walk
 * (after the given ones) and get a watcher of their own.
 *
 * Watchers (one per known sentinel, re-subscribing on loss) follow the failover:
 * - `+failover-state-send-slaveof-noone` (the leader is about to promote a replica): the primary's links are dropped
 *   and its address is avoided, so that no write reaches it once the replica stops replicating from it;
 * - `+switch-master`: the links to the old primary are dropped, its address avoided (sentinels that have not yet
 *   heard of the switch still name it for a few seconds, and it still answers `ROLE` as master for ~10 s), and replica
 *   links to the newly promoted node are dropped too;
 * - `-failover-abort-*`: the avoided address is allowed again.
 * An address is avoided for at most `avoidFor`. While every sentinel names an avoided address (a failover in
 * progress), a connect waits for the next event, bounded by the connect timeout.
 *
 * `demoted` (a primary link answered `-READONLY`) drops every primary link: the reconnects ask the sentinels again.
 *
 * @internal
 */
import { ErrorReply, encodeCommand, RespDecoder, RespMap, type RespValue } from "@fxredis/protocol"
import {
  ConnectionError,
  type ConnectOptions,
  type Endpoint,
  format,
  type Link,
  type LinkHandlers,
  Transport
} from "@fxredis/transport"
import { Duration, Effect, FiberSet, Option, Redacted, Schedule, type Scope } from "effect"
import { ReplyError } from "../RedisErrors.ts"

/** @internal */
export interface Config {
  readonly name: string
  readonly sentinels: ReadonlyArray<Endpoint>
  readonly sentinelUsername: string | undefined
  readonly sentinelPassword: string | undefined
  readonly username: string | undefined
  readonly password: string | undefined
}

/** @internal */
export interface Sentinel {
  /** connects to the primary the sentinels name */
  readonly primary: Transport["Service"]
  /** connects to a healthy replica the sentinels list, in turn */
  readonly replica: Transport["Service"]
  /** a primary link answered `READONLY`: drops every primary link, so that the next connects ask the sentinels */
  readonly demoted: () => void
  /** the sentinels known now, as `host:port`: the given ones, then those learned */
  readonly known: () => ReadonlyArray<string>
}

/** how long an address stays avoided after a failover event names it as the old primary */
const avoidFor = 30_000

/** what the client's endpoint says when no sentinel-managed link is meant */
const label = (config: Config) => `sentinel:${config.name}`

/**
 * Takes the link's events over: `ask` sends commands and waits for as many replies; `handOver` returns a Link whose
 * `listen` receives everything from then on (nothing is lost: a close seen before `listen` is reported to it).
 */
const tap = (link: Link) => {
  const decoder = new RespDecoder()
  let waiting: ((reply: RespValue | ConnectionError) => void) | undefined
  const queue: Array<RespValue> = []
  let downstream: LinkHandlers | undefined
  let handedOver = false
  let closedWith: ConnectionError | undefined
  const buffered: Array<Uint8Array> = []
  link.listen({
    onData: (chunk) => {
      if (handedOver) {
        if (downstream !== undefined) downstream.onData(chunk)
        else buffered.push(chunk)
        return
      }
      const error = decoder.feed(chunk, (value) => {
        queue.push(value)
      })
      if (error !== undefined) {
        closedWith = new ConnectionError({
          endpoint: format(link.endpoint),
          reason: "Unknown",
          message: error.message
        })
      }
      waiting?.(closedWith ?? queue[0]!)
    },
    onDrain: () => downstream?.onDrain(),
    onClose: (error) => {
      closedWith = error
      if (handedOver && downstream !== undefined) downstream.onClose(error)
      else waiting?.(error)
    }
  })
  const ask = (args: ReadonlyArray<string>): Effect.Effect<RespValue, ConnectionError> =>
    Effect.callback<RespValue, ConnectionError>((resume) => {
      // `waiting` is cleared before `resume`: resuming may run the next `ask` (and set `waiting`) synchronously
      const settle = () => {
        if (closedWith === undefined && queue.length === 0) return false
        waiting = undefined
        if (closedWith !== undefined) resume(Effect.fail(closedWith))
        else resume(Effect.succeed(queue.shift()!))
        return true
      }
      if (settle()) return
      waiting = settle
      link.write(encodeCommand(args))
      return Effect.sync(() => {
        waiting = undefined
      })
    })
  const handOver = (): Link => {
    handedOver = true
    const wrapped: Link = {
      endpoint: link.endpoint,
      write: link.write,
      close: link.close,
      listen: (handlers) => {
        downstream = handlers
        for (const chunk of buffered.splice(0)) handlers.onData(chunk)
        if (closedWith !== undefined) handlers.onClose(closedWith)
      }
    }
    return wrapped
  }
  /** ends the link as if the server had closed it: the client sees it down and reconnects */
  const sever = (message: string) => {
    if (closedWith !== undefined) return
    closedWith = new ConnectionError({ endpoint: format(link.endpoint), reason: "Closed", message })
    link.close()
    if (downstream !== undefined) downstream.onClose(closedWith)
  }
  return { ask, handOver, sever }
}

type Talk = ReturnType<typeof tap>

const text = (value: RespValue | undefined): string | undefined =>
  typeof value === "string" ? value : value instanceof Uint8Array ? new TextDecoder().decode(value) : undefined

/** a flat `[k, v, k, v]` reply (RESP2) or a map (RESP3) as a record of texts */
const record = (value: RespValue): Record<string, string> => {
  const out: Record<string, string> = {}
  const entries: ReadonlyArray<readonly [RespValue, RespValue]> =
    value instanceof RespMap
      ? value.entries
      : Array.isArray(value)
        ? Array.from({ length: Math.floor(value.length / 2) }, (_, i) => [value[2 * i], value[2 * i + 1]] as const)
        : []
  for (const [k, v] of entries) {
    const key = text(k)
    const val = text(v) ?? (typeof v === "number" ? String(v) : undefined)
    if (key !== undefined && val !== undefined) out[key] = val
  }
  return out
}

/** a failed handshake step; an AUTH refusal carries the `ReplyError`, which marks it an auth failure (not retried) */
const replyError = (endpoint: Endpoint, what: string, reply: ErrorReply, command: string) =>
  new ConnectionError({
    endpoint: format(endpoint),
    reason: "Handshake",
    message: `${what}: ${reply.message}`,
    cause: new ReplyError({ code: reply.code, message: reply.message, command })
  })

/** the same test as the single connection's: retrying with the same credentials cannot succeed */
const isAuthFailure = (error: ConnectionError): boolean =>
  error.reason === "Handshake" &&
  error.cause instanceof ReplyError &&
  (error.cause.code === "WRONGPASS" ||
    error.cause.code === "NOAUTH" ||
    error.cause.code === "NOPERM" ||
    /invalid (username-)?password/i.test(error.cause.message))

const authArgs = (username: string | undefined, password: string | undefined) =>
  password === undefined ? undefined : username === undefined ? ["AUTH", password] : ["AUTH", username, password]

const timeoutOf = (options: ConnectOptions | undefined): Duration.Duration =>
  Option.getOrElse(Duration.fromInput(options?.connectTimeout ?? Duration.seconds(10)), () => Duration.seconds(10))

/** bounds a conversation by the connect timeout: a server that accepts but never answers (paused, say) fails it */
const bounded = <A>(
  effect: Effect.Effect<A, ConnectionError>,
  endpoint: string,
  options: ConnectOptions | undefined
): Effect.Effect<A, ConnectionError> => {
  const duration = timeoutOf(options)
  if (!Duration.isFinite(duration)) return effect
  return Effect.timeoutOrElse(effect, {
    duration,
    orElse: () =>
      Effect.fail(
        new ConnectionError({
          endpoint,
          reason: "Timeout",
          message: `${endpoint} did not answer within ${Duration.format(duration)}`
        })
      )
  })
}

interface Address {
  readonly host: string
  readonly port: number
}
const keyOf = (address: Address) => `${address.host}:${address.port}`

/** `SENTINEL SENTINELS`' reply: the other sentinels' addresses */
const peers = (reply: RespValue): Array<Address> => {
  if (!Array.isArray(reply)) return []
  const out: Array<Address> = []
  for (const entry of reply as ReadonlyArray<RespValue>) {
    const r = record(entry)
    const port = Number(r["port"])
    if (r["ip"] !== undefined && Number.isInteger(port)) out.push({ host: r["ip"], port })
  }
  return out
}

/** `SENTINEL REPLICAS`' reply: the replicas not flagged down or disconnected */
const healthyReplicas = (reply: RespValue): Array<Address> => {
  if (!Array.isArray(reply)) return []
  const out: Array<Address> = []
  for (const entry of reply as ReadonlyArray<RespValue>) {
    const r = record(entry)
    const flags = (r["flags"] ?? "").split(",")
    if (flags.some((f) => f === "s_down" || f === "o_down" || f === "disconnected")) continue
    const port = Number(r["port"])
    if (r["ip"] !== undefined && Number.isInteger(port)) out.push({ host: r["ip"], port })
  }
  return out
}

/**
 * The two transports, the shared view and the watchers (forked in the current Scope).
 *
 * @internal
 */
export const make = (inner: Transport["Service"], config: Config): Effect.Effect<Sentinel, never, Scope.Scope> =>
  Effect.gen(function* () {
    const sentinels: Array<Endpoint> = [...config.sentinels]
    const knownKeys = new Set(sentinels.map((s) => (s._tag === "Unix" ? s.path : `${s.host}:${s.port}`)))
    /** addresses not to connect to as the primary, until (ms since epoch) */
    const avoided = new Map<string, number>()
    const isAvoided = (key: string) => {
      const until = avoided.get(key)
      if (until === undefined) return false
      if (until > Date.now()) return true
      avoided.delete(key)
      return false
    }
    /** the new primary of the latest `+switch-master` */
    let switchedTo: Address | undefined
    /** fibers waiting for the next failover event */
    const waiters = new Set<() => void>()
    const notify = () => {
      for (const wake of [...waiters]) wake()
    }
    /** the links handed out, per role, by the address they go to */
    const live = { primary: new Map<string, Set<Talk>>(), replica: new Map<string, Set<Talk>>() }
    const sever = (role: "primary" | "replica", key: string, why: string) => {
      const set = live[role].get(key)
      if (set === undefined) return
      live[role].delete(key)
      for (const talk of set) talk.sever(why)
    }
    let replicaTurn = 0

    const watchers = yield* FiberSet.make<never, never>()

    /** one conversation with a sentinel, on a connection of its own closed at once */
    const converse = <A>(
      sentinel: Endpoint,
      options: ConnectOptions | undefined,
      body: (
        ask: (args: ReadonlyArray<string>) => Effect.Effect<RespValue, ConnectionError>
      ) => Effect.Effect<A, ConnectionError>
    ): Effect.Effect<A, ConnectionError> =>
      Effect.scoped(
        Effect.gen(function* () {
          const link = yield* inner.connect(sentinel, options)
          const talk = tap(link)
          const auth = authArgs(config.sentinelUsername, config.sentinelPassword)
          if (auth !== undefined) {
            const reply = yield* talk.ask(auth)
            if (reply instanceof ErrorReply) return yield* replyError(sentinel, "sentinel AUTH failed", reply, "AUTH")
          }
          const result = yield* body(talk.ask)
          // the other sentinels, learned on the way (an error, an ACL refusal say, teaches nothing)
          const others = yield* talk.ask(["SENTINEL", "SENTINELS", config.name])
          yield* learn(peers(others))
          return result
        })
      ).pipe((effect) => bounded(effect, format(sentinel), options))

    const learn = (addresses: ReadonlyArray<Address>) =>
      Effect.forEach(
        addresses,
        (address) => {
          const key = keyOf(address)
          if (knownKeys.has(key)) return Effect.void
          knownKeys.add(key)
          const endpoint: Endpoint = { _tag: "Tcp", host: address.host, port: address.port }
          sentinels.push(endpoint)
          return Effect.asVoid(FiberSet.run(watchers, watch(endpoint)))
        },
        { discard: true }
      )

    /** every sentinel failed: an auth failure when each refused the credentials, else `Refused` */
    const noSentinel = (what: string, failures: ReadonlyArray<ConnectionError>) => {
      const auth = failures.length > 0 && failures.every(isAuthFailure)
      return new ConnectionError({
        endpoint: label(config),
        reason: auth ? "Handshake" : "Refused",
        message: `${what}: ${failures.map((f) => f.message).join("; ")}`,
        ...(auth ? { cause: failures[0]!.cause } : {})
      })
    }

    type Found =
      | { readonly _tag: "Found"; readonly address: Address }
      | { readonly _tag: "Failover"; readonly stale: string }

    /** the sentinels in turn; the first that names a primary not avoided wins */
    const discoverPrimary = (options: ConnectOptions | undefined): Effect.Effect<Found, ConnectionError> =>
      Effect.gen(function* () {
        const failures: Array<ConnectionError> = []
        let stale: string | undefined
        for (const sentinel of [...sentinels]) {
          const found = yield* Effect.result(
            converse(sentinel, options, (ask) =>
              Effect.gen(function* () {
                const reply = yield* ask(["SENTINEL", "GET-MASTER-ADDR-BY-NAME", config.name])
                if (reply instanceof ErrorReply)
                  return yield* replyError(sentinel, "SENTINEL failed", reply, "SENTINEL")
                const host = Array.isArray(reply) ? text(reply[0] as RespValue) : undefined
                const port = Array.isArray(reply) ? Number(text(reply[1] as RespValue)) : Number.NaN
                if (host === undefined || !Number.isInteger(port)) {
                  return yield* new ConnectionError({
                    endpoint: format(sentinel),
                    reason: "NotFound",
                    message: `sentinel ${format(sentinel)} does not know a primary named ${config.name}`
                  })
                }
                return { host, port }
              })
            )
          )
          if (found._tag === "Failure") {
            failures.push(found.failure)
            continue
          }
          // a sentinel that has not heard of the failover yet
          if (isAvoided(keyOf(found.success))) {
            stale = keyOf(found.success)
            continue
          }
          return { _tag: "Found", address: found.success } as const
        }
        if (stale !== undefined) {
          // the sentinel that announced the switch named the new primary (its ROLE is checked on connect)
          if (switchedTo !== undefined && !isAvoided(keyOf(switchedTo))) {
            return { _tag: "Found", address: switchedTo } as const
          }
          return { _tag: "Failover", stale } as const
        }
        return yield* noSentinel(`no sentinel named the primary ${config.name}`, failures)
      })

    /** waits for the next failover event, or `millis` */
    const nextEvent = (millis: number) =>
      Effect.callback<void>((resume) => {
        const wake = () => {
          waiters.delete(wake)
          clearTimeout(timer)
          resume(Effect.void)
        }
        const timer = setTimeout(wake, Math.max(1, Math.min(millis, 250)))
        waiters.add(wake)
        return Effect.sync(() => {
          waiters.delete(wake)
          clearTimeout(timer)
        })
      })

    /** the primary's address; while a failover is in progress (every answer avoided), waits for its next event */
    const primaryAddress = (options: ConnectOptions | undefined) =>
      Effect.gen(function* () {
        const limit = timeoutOf(options)
        const deadline = Duration.isFinite(limit) ? Date.now() + Duration.toMillis(limit) : Infinity
        while (true) {
          const found = yield* discoverPrimary(options)
          if (found._tag === "Found") return found.address
          const left = deadline - Date.now()
          if (left <= 0) {
            return yield* new ConnectionError({
              endpoint: label(config),
              reason: "Refused",
              message: `a failover of ${config.name} is in progress: the sentinels still name ${found.stale}, which is being demoted`
            })
          }
          yield* nextEvent(left)
        }
      })

    const replicaAddresses = (options: ConnectOptions | undefined) =>
      Effect.gen(function* () {
        const failures: Array<ConnectionError> = []
        for (const sentinel of [...sentinels]) {
          const found = yield* Effect.result(
            converse(sentinel, options, (ask) =>
              Effect.flatMap(ask(["SENTINEL", "REPLICAS", config.name]), (reply) =>
                reply instanceof ErrorReply
                  ? Effect.fail(replyError(sentinel, "SENTINEL failed", reply, "SENTINEL"))
                  : Effect.succeed(healthyReplicas(reply))
              )
            )
          )
          if (found._tag === "Success") return found.success
          failures.push(found.failure)
        }
        return yield* noSentinel(`no sentinel listed the replicas of ${config.name}`, failures)
      })

    /** connects to `address`, authenticates and checks ROLE on the link; hands the link over */
    const open = (
      role: "primary" | "replica",
      endpoint: Endpoint,
      address: Address,
      options: ConnectOptions | undefined
    ): Effect.Effect<Link, ConnectionError, Scope.Scope> =>
      Effect.gen(function* () {
        const target: Endpoint =
          endpoint._tag === "Tls"
            ? { ...endpoint, host: address.host, port: address.port }
            : { _tag: "Tcp", host: address.host, port: address.port }
        const link = yield* inner.connect(target, options)
        const talk = tap(link)
        const ask = (args: ReadonlyArray<string>) => bounded(talk.ask(args), format(target), options)
        const auth = authArgs(config.username, config.password)
        if (auth !== undefined) {
          const reply = yield* ask(auth)
          if (reply instanceof ErrorReply) return yield* replyError(target, "AUTH failed", reply, "AUTH")
        }
        const reply = yield* ask(["ROLE"])
        if (reply instanceof ErrorReply) return yield* replyError(target, "ROLE failed", reply, "ROLE")
        const kind = Array.isArray(reply) ? text(reply[0] as RespValue) : undefined
        const expected = role === "primary" ? kind === "master" : kind === "slave" || kind === "replica"
        if (!expected) {
          link.close()
          return yield* new ConnectionError({
            endpoint: format(target),
            reason: "Refused",
            message:
              role === "primary"
                ? `sentinel named ${format(target)} as the primary of ${config.name}, but its ROLE is ${kind}`
                : `sentinel listed ${format(target)} as a replica of ${config.name}, but its ROLE is ${kind}`
          })
        }
        const key = keyOf(address)
        const set = live[role].get(key) ?? new Set()
        live[role].set(key, set)
        set.add(talk)
        yield* Effect.addFinalizer(() => Effect.sync(() => live[role].get(key)?.delete(talk)))
        return talk.handOver()
      })

    const primary = Transport.of({
      connect: (endpoint, options) =>
        Effect.flatMap(primaryAddress(options), (address) => open("primary", endpoint, address, options))
    })

    const replica = Transport.of({
      connect: (endpoint, options) =>
        Effect.gen(function* () {
          const candidates = yield* replicaAddresses(options)
          if (candidates.length === 0) {
            return yield* new ConnectionError({
              endpoint: label(config),
              reason: "NotFound",
              message: `the sentinels list no replica of ${config.name} that is up`
            })
          }
          // in turn across connects, so that a pool's connections spread over the replicas
          const start = replicaTurn++
          const failures: Array<ConnectionError> = []
          for (let i = 0; i < candidates.length; i++) {
            const opened = yield* Effect.result(
              open("replica", endpoint, candidates[(start + i) % candidates.length]!, options)
            )
            if (opened._tag === "Success") return opened.success
            failures.push(opened.failure)
          }
          return yield* new ConnectionError({
            endpoint: label(config),
            reason: failures.every(isAuthFailure) ? "Handshake" : "Refused",
            message: `no replica of ${config.name} could be used: ${failures.map((f) => f.message).join("; ")}`,
            ...(failures.every(isAuthFailure) ? { cause: failures[0]!.cause } : {})
          })
        })
    })

    // ---- failover events ----
    const onEvent = (channel: string, payload: string) => {
      const parts = payload.split(" ")
      if (channel === "+switch-master") {
        // <name> <old-ip> <old-port> <new-ip> <new-port>
        if (parts[0] !== config.name || parts.length < 5) return
        const old = `${parts[1]}:${parts[2]}`
        const next = { host: parts[3]!, port: Number(parts[4]) }
        avoided.set(old, Date.now() + avoidFor)
        avoided.delete(keyOf(next))
        switchedTo = next
        sever("primary", old, `sentinel switched the primary of ${config.name} away from ${old}`)
        sever("replica", keyOf(next), `sentinel promoted ${keyOf(next)} to primary of ${config.name}`)
      } else if (channel === "+failover-state-send-slaveof-noone") {
        // slave <name> <ip> <port> @ <master-name> <master-ip> <master-port>
        const at = parts.indexOf("@")
        if (at < 0 || parts[at + 1] !== config.name) return
        const old = `${parts[at + 2]}:${parts[at + 3]}`
        avoided.set(old, Date.now() + avoidFor)
        sever("primary", old, `sentinel is promoting a replica of ${config.name} in place of ${old}`)
      } else if (channel.startsWith("-failover-abort")) {
        // master <name> <ip> <port>
        if (parts[1] !== config.name) return
        avoided.delete(`${parts[2]}:${parts[3]}`)
      } else {
        return
      }
      notify()
    }

    /** subscribes to one sentinel's failover events, for as long as the Scope lasts; re-subscribes on loss */
    const watch = (sentinel: Endpoint): Effect.Effect<never> =>
      Effect.scoped(
        Effect.gen(function* () {
          const link = yield* inner.connect(sentinel, { connectTimeout: Duration.seconds(2) })
          const decoder = new RespDecoder()
          const auth = authArgs(config.sentinelUsername, config.sentinelPassword)
          return yield* Effect.callback<never, ConnectionError>((resume) => {
            link.listen({
              onData: (chunk) => {
                decoder.feed(chunk, (value) => {
                  if (!Array.isArray(value) || value.length < 3) return
                  const kind = text(value[0] as RespValue)
                  if (kind === "message") {
                    onEvent(text(value[1] as RespValue) ?? "", text(value[2] as RespValue) ?? "")
                  } else if (kind === "pmessage" && value.length >= 4) {
                    onEvent(text(value[2] as RespValue) ?? "", text(value[3] as RespValue) ?? "")
                  }
                })
              },
              onDrain: () => {},
              onClose: (error) => resume(Effect.fail(error))
            })
            if (auth !== undefined) link.write(encodeCommand(auth))
            link.write(encodeCommand(["SUBSCRIBE", "+switch-master", "+failover-state-send-slaveof-noone"]))
            link.write(encodeCommand(["PSUBSCRIBE", "-failover-abort-*"]))
          })
        })
      ).pipe(Effect.retry(Schedule.spaced("1 second")), Effect.orDie) as Effect.Effect<never>

    for (const sentinel of sentinels) yield* FiberSet.run(watchers, watch(sentinel))

    return {
      primary,
      replica,
      demoted: () => {
        for (const key of [...live.primary.keys()]) {
          sever("primary", key, `${key} answered READONLY: it is no longer the primary of ${config.name}`)
        }
      },
      known: () => [...knownKeys]
    }
  })

/** @internal */
export const secret = (value: string | Redacted.Redacted<string> | undefined): string | undefined =>
  value === undefined ? undefined : typeof value === "string" ? value : Redacted.value(value)
