/**
 * Sentinel discovery as a `Transport`: every connect (the first and each reconnect) asks the sentinels in turn for
 * the primary's address, connects there with the inner transport and checks `ROLE` on that very link before the
 * client's handshake runs on it. A `+switch-master` watcher drops every handed-out link of the old primary so the
 * client's reconnect policy connects again (and so rediscovers) at once.
 *
 * @internal
 */
import { ErrorReply, encodeCommand, RespDecoder, type RespValue } from "@fxredis/protocol"
import {
  ConnectionError,
  type ConnectOptions,
  type Endpoint,
  format,
  type Link,
  type LinkHandlers,
  Transport
} from "@fxredis/transport"
import { Duration, Effect, Option, Redacted, Schedule, type Scope } from "effect"

/** @internal */
export interface Config {
  readonly name: string
  readonly sentinels: ReadonlyArray<Endpoint>
  readonly sentinelUsername: string | undefined
  readonly sentinelPassword: string | undefined
  readonly username: string | undefined
  readonly password: string | undefined
}

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

const text = (value: RespValue): string | undefined =>
  typeof value === "string" ? value : value instanceof Uint8Array ? new TextDecoder().decode(value) : undefined

const replyError = (endpoint: Endpoint, what: string, reply: ErrorReply) =>
  new ConnectionError({
    endpoint: format(endpoint),
    reason: "Handshake",
    message: `${what}: ${reply.message}`
  })

const authArgs = (username: string | undefined, password: string | undefined) =>
  password === undefined ? undefined : username === undefined ? ["AUTH", password] : ["AUTH", username, password]

/** bounds a conversation by the connect timeout: a server that accepts but never answers (paused, say) fails it */
const bounded = <A>(
  effect: Effect.Effect<A, ConnectionError>,
  endpoint: Endpoint,
  options: ConnectOptions | undefined
): Effect.Effect<A, ConnectionError> => {
  const duration = Option.getOrElse(Duration.fromInput(options?.connectTimeout ?? Duration.seconds(10)), () =>
    Duration.seconds(10)
  )
  return Effect.timeoutOrElse(effect, {
    duration,
    orElse: () =>
      Effect.fail(
        new ConnectionError({
          endpoint: format(endpoint),
          reason: "Timeout",
          message: `${format(endpoint)} did not answer within ${Duration.format(duration)}`
        })
      )
  })
}

/** asks one sentinel for the primary's address, on a connection of its own closed at once */
const askSentinel = (
  inner: Transport["Service"],
  config: Config,
  sentinel: Endpoint,
  options: ConnectOptions | undefined
): Effect.Effect<{ readonly host: string; readonly port: number }, ConnectionError> =>
  Effect.scoped(
    Effect.gen(function* () {
      const link = yield* inner.connect(sentinel, options)
      const talk = tap(link)
      const auth = authArgs(config.sentinelUsername, config.sentinelPassword)
      if (auth !== undefined) {
        const reply = yield* talk.ask(auth)
        if (reply instanceof ErrorReply) return yield* replyError(sentinel, "sentinel AUTH failed", reply)
      }
      const reply = yield* talk.ask(["SENTINEL", "GET-MASTER-ADDR-BY-NAME", config.name])
      if (reply instanceof ErrorReply) return yield* replyError(sentinel, "SENTINEL failed", reply)
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
  ).pipe((effect) => bounded(effect, sentinel, options))

/** the sentinels in turn; the first that names the primary wins */
const discover = (inner: Transport["Service"], config: Config, options: ConnectOptions | undefined) =>
  Effect.gen(function* () {
    const failures: Array<string> = []
    for (const sentinel of config.sentinels) {
      const found = yield* Effect.result(askSentinel(inner, config, sentinel, options))
      if (found._tag === "Success") return found.success
      failures.push(found.failure.message)
    }
    return yield* new ConnectionError({
      endpoint: label(config),
      reason: "Refused",
      message: `no sentinel named the primary ${config.name}: ${failures.join("; ")}`
    })
  })

/**
 * The wrapper transport and the `+switch-master` watcher (forked in the current Scope).
 *
 * @internal
 */
export const make = (
  inner: Transport["Service"],
  config: Config
): Effect.Effect<Transport["Service"], never, Scope.Scope> =>
  Effect.gen(function* () {
    /** the links handed out, by the primary address they go to */
    const live = new Map<string, Set<ReturnType<typeof tap>>>()
    const transport = Transport.of({
      connect: (endpoint, options) =>
        Effect.gen(function* () {
          const address = yield* discover(inner, config, options)
          const target: Endpoint =
            endpoint._tag === "Tls"
              ? { ...endpoint, host: address.host, port: address.port }
              : { _tag: "Tcp", host: address.host, port: address.port }
          const link = yield* inner.connect(target, options)
          const talk = tap(link)
          const ask = (args: ReadonlyArray<string>) => bounded(talk.ask(args), target, options)
          // ROLE on this very link: a node that sentinel still names but that is no longer the primary (or not yet)
          // is refused, and the reconnect policy tries again
          const auth = authArgs(config.username, config.password)
          if (auth !== undefined) {
            const reply = yield* ask(auth)
            if (reply instanceof ErrorReply) return yield* replyError(target, "AUTH failed", reply)
          }
          const role = yield* ask(["ROLE"])
          if (role instanceof ErrorReply) return yield* replyError(target, "ROLE failed", role)
          const kind = Array.isArray(role) ? text(role[0] as RespValue) : undefined
          if (kind !== "master") {
            link.close()
            return yield* new ConnectionError({
              endpoint: format(target),
              reason: "Refused",
              message: `sentinel named ${format(target)} as the primary of ${config.name}, but its ROLE is ${kind}`
            })
          }
          const key = `${address.host}:${address.port}`
          const set = live.get(key) ?? new Set()
          live.set(key, set)
          set.add(talk)
          yield* Effect.addFinalizer(() => Effect.sync(() => set.delete(talk)))
          return talk.handOver()
        })
    })

    /** drops every link to `old` (host:port) */
    const switched = (old: string) => {
      const set = live.get(old)
      if (set === undefined) return
      live.delete(old)
      for (const talk of set) talk.sever(`sentinel switched the primary of ${config.name} away from ${old}`)
    }

    // +switch-master <name> <old-ip> <old-port> <new-ip> <new-port>, from any one sentinel; re-subscribes on loss
    const watch = Effect.scoped(
      Effect.gen(function* () {
        for (const sentinel of config.sentinels) {
          const opened = yield* Effect.result(inner.connect(sentinel, { connectTimeout: Duration.seconds(2) }))
          if (opened._tag === "Failure") continue
          const link = opened.success
          const decoder = new RespDecoder()
          const auth = authArgs(config.sentinelUsername, config.sentinelPassword)
          return yield* Effect.callback<never, ConnectionError>((resume) => {
            link.listen({
              onData: (chunk) => {
                decoder.feed(chunk, (value) => {
                  if (!Array.isArray(value) || value.length < 3) return
                  if (text(value[0] as RespValue) !== "message") return
                  if (text(value[1] as RespValue) !== "+switch-master") return
                  const parts = (text(value[2] as RespValue) ?? "").split(" ")
                  if (parts[0] === config.name && parts.length >= 5) switched(`${parts[1]}:${parts[2]}`)
                })
              },
              onDrain: () => {},
              onClose: (error) => resume(Effect.fail(error))
            })
            if (auth !== undefined) link.write(encodeCommand(auth))
            link.write(encodeCommand(["SUBSCRIBE", "+switch-master"]))
          })
        }
        return yield* new ConnectionError({
          endpoint: label(config),
          reason: "Refused",
          message: "no sentinel to watch"
        })
      })
    ).pipe(Effect.retry(Schedule.spaced("500 millis")), Effect.ignore)
    yield* Effect.forkScoped(watch)
    return transport
  })

/** @internal */
export const secret = (value: string | Redacted.Redacted<string> | undefined): string | undefined =>
  value === undefined ? undefined : typeof value === "string" ? value : Redacted.value(value)
