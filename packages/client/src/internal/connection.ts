/**
 * One connection to one Redis server: the pipeline (see `internal/pipeline.ts`) plus its lifecycle, owned by Effect.
 *
 * - **Connecting**: `Transport.connect` opens a link within the connection's Scope; the handshake (`HELLO`/`AUTH`,
 *   `SELECT`, `CLIENT SETNAME`, or a `PING` when there is nothing else to send) is pipelined in one write on every
 *   (re)connect and bounded by `connectTimeout`: a server that accepts but never answers fails it. A failed handshake (a wrong
 *   password, say) is a `ConnectionError` with reason `"Handshake"` and the server's `ReplyError` as its cause.
 * - **Eager or lazy**: `make(options, { lazy: false })` connects before it returns and fails with the first
 *   `ConnectionError` (retried first with `reconnect` only when it is an explicit `Schedule`: the default policy
 *   retries for ever, which is what `lazy` is for). `lazy: true` returns at once and connects in a fiber.
 * - **Reconnecting**: when the link drops, commands in flight fail (`sent: true`: they may have run) and are never
 *   retried; the `reconnect` Schedule paces new attempts, starting afresh after each successful connect. Commands
 *   issued meanwhile wait offline (bounded by `commandTimeout` and `maxOfflineCommands`) or fail at once when
 *   `offlineQueue` is off. With `reconnect: false`, or when a finite Schedule gives up, the connection closes and
 *   every later command fails with reason `"Closed"`.
 * - **Scope close**: the reconnect fiber is interrupted, the socket destroyed, the deadline timer cleared, and every
 *   waiting command fails with reason `"Closed"`. Nothing is left behind.
 *
 * @since 0.1.0
 */
import type { CommandArg, Push, RespValue } from "@fxredis/protocol"
import type { Transport } from "@fxredis/transport"
import { ConnectionError } from "@fxredis/transport"
import { Clock, Deferred, Duration, Effect, Exit, Metric, Redacted, Scope } from "effect"
import { InvalidCommandError, type RedisError, ReplyError } from "../RedisErrors.ts"
import type { ResolvedOptions } from "../RedisOptions.ts"
import { connectFailures, connectionsUp, reconnects } from "../RedisTelemetry.ts"
import { commandName, identity, invalidArgument, type LinkBinding, Pipeline, type Transform } from "./pipeline.ts"

/**
 * @category models
 * @since 0.1.0
 */
export interface RedisConnection {
  /** the server, as `Endpoint.format` gives it */
  readonly name: string
  readonly options: ResolvedOptions
  /**
   * sends one command; the reply goes through `transform`. With a `binding`, the command runs only on the link the
   * binding's first command ran on, and fails with `ConnectionError` once that link is gone.
   */
  readonly run: (
    args: ReadonlyArray<CommandArg>,
    transform: Transform,
    binding?: LinkBinding | undefined
  ) => Effect.Effect<unknown, RedisError>
  /** sends several commands in this order, in one write; each result as an Exit, in order */
  readonly runBatch: (
    commands: ReadonlyArray<{ readonly args: ReadonlyArray<CommandArg>; readonly transform: Transform }>,
    binding?: LinkBinding | undefined
  ) => Effect.Effect<Array<Exit.Exit<unknown, RedisError>>>
  /** writes a command that has no reply of its own (RESP3 `SUBSCRIBE`); false when not connected */
  readonly writeOnly: (args: ReadonlyArray<CommandArg>) => boolean
  /** true while connected and past the handshake */
  readonly isReady: () => boolean
  /** commands written or queued and not yet answered */
  readonly inFlight: () => number
  /** closes this connection's current link (the reconnect policy then applies), as a dropped link would */
  readonly dropLink: () => void
  /** closes the connection for good now: what is in flight fails with reason `Closed` (its Scope still owns the rest) */
  readonly close: () => void
}

/**
 * @category models
 * @since 0.1.0
 */
export interface ConnectionMode {
  readonly lazy: boolean
  /** forces RESP3 and receives push frames (the pub/sub connection) */
  readonly onPush?: ((push: Push) => void) | undefined
  /** runs after every successful handshake, before user commands flow (the subscriber re-subscribes here) */
  readonly onReady?: ((connection: RedisConnection) => void) | undefined
  /** blocking commands' connections: no command timeout */
  readonly blocking?: boolean | undefined
}

const handshakeCommands = (options: ResolvedOptions, protocol: 2 | 3): Array<Array<string>> => {
  const commands: Array<Array<string>> = []
  const password = options.password === undefined ? undefined : Redacted.value(options.password)
  if (protocol === 3) {
    const hello = ["HELLO", "3"]
    if (password !== undefined) hello.push("AUTH", options.username ?? "default", password)
    if (options.clientName !== undefined) hello.push("SETNAME", options.clientName)
    commands.push(hello)
  } else {
    if (password !== undefined) {
      commands.push(options.username === undefined ? ["AUTH", password] : ["AUTH", options.username, password])
    }
    if (options.clientName !== undefined) commands.push(["CLIENT", "SETNAME", options.clientName])
  }
  if (options.database !== 0) commands.push(["SELECT", String(options.database)])
  // a cluster replica serves reads only on connections that said READONLY (on a primary it changes nothing)
  if (options.readOnly === true) commands.push(["READONLY"])
  // with nothing else to say, a PING proves the server answers before the connection counts as up
  if (commands.length === 0) commands.push(["PING"])
  return commands
}

/**
 * Enqueues commands in order within one callback (so they share a write), resolving once all have replied. Each is
 * validated first: one bad argument fails the whole batch before any of it is queued. Interrupted before the flush,
 * none of them is written.
 */
const batch = (
  commands: ReadonlyArray<{ readonly args: ReadonlyArray<CommandArg>; readonly transform: Transform }>,
  pipeline: Pipeline,
  handshake = false,
  binding?: LinkBinding | undefined
): Effect.Effect<Array<Exit.Exit<unknown, RedisError>>> =>
  Effect.callback<Array<Exit.Exit<unknown, RedisError>>>((resume) => {
    const results: Array<Exit.Exit<unknown, RedisError>> = new Array(commands.length)
    let remaining = commands.length
    if (remaining === 0) return resume(Exit.succeed(results))
    for (const command of commands) {
      const invalid = invalidArgument(command.args)
      if (invalid !== undefined) {
        const error = new InvalidCommandError({ command: commandName(command.args?.[0]), message: invalid })
        return resume(Exit.succeed(commands.map(() => Exit.fail(error))))
      }
    }
    commands.forEach((command, i) => {
      const done = (exit: Exit.Exit<unknown, RedisError>) => {
        results[i] = exit
        if (--remaining === 0) resume(Exit.succeed(results))
      }
      if (handshake) pipeline.enqueueHandshake(command.args, command.transform, done)
      else pipeline.enqueue(command.args, command.transform, done, binding)
    })
    return pipeline.cancel
  })

/**
 * Opens one connection in the current Scope.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (
  options: ResolvedOptions,
  transport: Transport["Service"],
  mode: ConnectionMode
): Effect.Effect<RedisConnection, ConnectionError, Scope.Scope> =>
  Effect.gen(function* () {
    const protocol = mode.onPush !== undefined ? 3 : options.protocol
    const clock = yield* Clock.Clock
    const pipeline = new Pipeline({
      clock,
      endpoint: options.name,
      commandTimeout: mode.blocking ? Infinity : options.commandTimeout,
      handshakeTimeout: Duration.toMillis(options.connectTimeout),
      offlineQueue: options.offlineQueue,
      maxOfflineCommands: options.maxOfflineCommands,
      onPush: mode.onPush
    })
    const up = Metric.withAttributes(connectionsUp, { server: options.name })
    const again = Metric.withAttributes(reconnects, { server: options.name })
    const closed = (message: string) =>
      new ConnectionError({ endpoint: options.name, reason: "Closed", message, sent: false })
    yield* Effect.addFinalizer(() => Effect.sync(() => pipeline.close(closed("the client was closed"))))

    let current: { readonly dropLink: () => void } | undefined
    const connection: RedisConnection = {
      name: options.name,
      options,
      run: (args, transform, binding) =>
        Effect.callback<unknown, RedisError>((resume) =>
          // a canceler only where one is needed (offline): each one costs the command path
          pipeline.enqueue(args, transform, resume, binding) ? pipeline.cancel : undefined
        ),
      runBatch: (commands, binding) => batch(commands, pipeline, false, binding),
      writeOnly: pipeline.writeOnly,
      isReady: () => pipeline.isReady,
      inFlight: () => pipeline.inFlight,
      dropLink: () => current?.dropLink(),
      close: () => pipeline.close(closed("the connection was closed by the client"))
    }

    // No error may carry the password: a server without HELLO echoes the whole command line back ("unknown
    // command 'HELLO', with args beginning with: '3' 'AUTH' 'default' '<password>'").
    const secret = options.password === undefined ? undefined : Redacted.value(options.password)
    const scrub = (text: string): string =>
      secret === undefined || secret === "" ? text : text.split(secret).join("<redacted>")
    const handshake = batch(
      handshakeCommands(options, protocol).map((args) => ({ args, transform: identity })),
      pipeline,
      true
    ).pipe(
      Effect.flatMap((exits) => Effect.forEach(exits, (exit) => exit, { discard: true })),
      Effect.mapError((cause): ConnectionError => {
        if (cause._tag === "ConnectionError") return cause
        if (cause._tag === "CommandTimeoutError") {
          return new ConnectionError({ endpoint: options.name, reason: "Timeout", message: cause.message, sent: true })
        }
        const message = scrub(cause.message)
        return new ConnectionError({
          endpoint: options.name,
          reason: "Handshake",
          message: `the handshake failed: ${message}`,
          cause:
            cause._tag === "ReplyError"
              ? new ReplyError({ code: cause.code, message, command: cause.command })
              : undefined
        })
      })
    )

    /** a failed attempt: the cause of offline failures from now on, a metric, and a (rate-limited) warning */
    const failures = Metric.withAttributes(connectFailures, { server: options.name })
    let lastWarning = Number.NEGATIVE_INFINITY
    const recordFailure = (error: ConnectionError) =>
      Effect.suspend(() => {
        pipeline.lastFailure = error
        const now = clock.currentTimeMillisUnsafe()
        const warn = now - lastWarning >= 10_000
        if (warn) lastWarning = now
        return Effect.andThen(
          Metric.update(failures, 1),
          warn ? Effect.logWarning(`fxredis: cannot connect to ${options.name}: ${error.message}`) : Effect.void
        )
      })

    /**
     * connect + handshake; yields the session's scope and the signal of its end. The session's scope is a child of
     * the connection's, made and closed under a mask: whenever the connection's scope closes (during the connect,
     * the handshake or later), the socket is closed with it.
     */
    const connectionScope = yield* Effect.scope
    const open = Effect.uninterruptibleMask((restore) =>
      Effect.gen(function* () {
        const scope = yield* Scope.fork(connectionScope)
        const opened = yield* Effect.exit(
          restore(
            Effect.gen(function* () {
              const link = yield* transport.connect(options.endpoint, { connectTimeout: options.connectTimeout })
              const down = yield* Deferred.make<ConnectionError>()
              const refused = pipeline.attach(link, (error) => Deferred.doneUnsafe(down, Exit.succeed(error)))
              if (refused !== undefined) return yield* refused
              yield* handshake.pipe(Effect.tapError((error) => Effect.sync(() => pipeline.detach(error))))
              // before `ready` flushes the commands that waited offline: the subscriber's re-SUBSCRIBE goes first
              if (mode.onReady !== undefined) mode.onReady(connection)
              pipeline.ready()
              yield* Metric.update(up, 1)
              current = {
                dropLink: () => {
                  const error = closed("the link was closed by the client")
                  pipeline.detach(error)
                  Deferred.doneUnsafe(down, Exit.succeed(error))
                }
              }
              return down
            }).pipe(Scope.provide(scope))
          )
        )
        if (Exit.isFailure(opened)) {
          yield* Scope.close(scope, opened)
          return yield* Effect.failCause(opened.cause)
        }
        return { scope, down: opened.value }
      })
    )

    const serve = (session: { readonly scope: Scope.Closeable; readonly down: Deferred.Deferred<ConnectionError> }) =>
      Deferred.await(session.down).pipe(
        Effect.tap((error) => Effect.logDebug(`fxredis: link to ${options.name} lost: ${error.message}`)),
        Effect.ensuring(
          Effect.suspend(() => {
            current = undefined
            return Effect.andThen(Metric.update(up, -1), Scope.close(session.scope, Exit.void))
          })
        )
      )

    const policy = options.reconnect
    const attempt = open.pipe(Effect.tapError(recordFailure))
    // WRONGPASS, NOAUTH, NOPERM: retrying cannot help, so the default policy stops; an explicit Schedule decides
    const retryable = (error: ConnectionError) => options.reconnectExplicit || !isAuthFailure(error)
    const reconnecting =
      policy === undefined ? attempt : attempt.pipe(Effect.retry({ schedule: policy, while: retryable }))
    /** serves the session, then reconnects for as long as the policy allows; closes the pipeline when it gives up */
    const lifecycle = (first: Effect.Effect<void, ConnectionError>) =>
      Effect.gen(function* () {
        yield* first
        if (policy === undefined) return
        while (true) {
          const session = yield* reconnecting
          yield* Metric.update(again, 1)
          yield* serve(session)
        }
      }).pipe(
        Effect.catch((error: ConnectionError) =>
          Effect.sync(() =>
            pipeline.close(
              isAuthFailure(error)
                ? error
                : new ConnectionError({
                    endpoint: options.name,
                    reason: "Closed",
                    message: `gave up reconnecting: ${error.message}`,
                    sent: false,
                    cause: error
                  })
            )
          )
        ),
        Effect.ensuring(Effect.sync(() => policy === undefined && pipeline.close(closed("the link was lost")))),
        Effect.forkScoped
      )

    if (mode.lazy) {
      yield* lifecycle(reconnecting.pipe(Effect.flatMap(serve)))
    } else {
      const first = yield* options.reconnectExplicit ? reconnecting : open
      yield* lifecycle(serve(first))
    }
    return connection
  })

/** The handshake failed on credentials or permissions: trying again with the same ones cannot succeed. */
const isAuthFailure = (error: ConnectionError): boolean => {
  if (error.reason !== "Handshake") return false
  const cause = error.cause
  return (
    cause instanceof ReplyError &&
    (cause.code === "WRONGPASS" ||
      cause.code === "NOAUTH" ||
      cause.code === "NOPERM" ||
      /invalid (username-)?password/i.test(cause.message))
  )
}

/** Sends any command with no reply transform (the decoded RESP value). @internal */
export const send = (connection: RedisConnection, args: ReadonlyArray<CommandArg>) =>
  connection.run(args, identity) as Effect.Effect<RespValue, RedisError>
