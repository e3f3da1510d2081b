/**
 * The synchronous core of one connection: the FIFO of waiting commands, write coalescing, reply matching,
 * command deadlines and the offline queue. No Effect runs per command here except the `Effect.callback` the caller
 * suspends on; the Effect side (`internal/connection.ts`) owns the lifecycle: connecting, the handshake, reconnecting.
 *
 * Invariants:
 * - Every command resolves exactly once: with its reply, a `ReplyError`, a `CommandTimeoutError`, a
 *   `ConnectionError` (link down, offline, queue full, closed) or a `ProtocolError`.
 * - Replies are matched to commands in order. A command that was interrupted or timed out *after it was written*
 *   keeps its slot in the FIFO (its resume is cleared), so its late reply is read and dropped and later replies stay
 *   aligned. A command interrupted *before it was written* (offline, or between its enqueue and the tick's flush) is
 *   removed: it never reaches the server.
 * - Commands are encoded when the tick's flush writes them, so all the commands of a tick go out in one `write`; a
 *   full kernel buffer (`write` returning false) holds further commands until `drain`. A command is validated before
 *   it is queued: a bad argument fails that command alone, typed, and no byte of it is written.
 * - A reply with no written command waiting for it is a `ProtocolError` that resets the link; nothing thrown while
 *   reading (a decoder fault, a reply transform) escapes the socket's callback.
 * - Nothing is retried: when the link drops, every written command fails with `sent: true`, every unwritten one with
 *   `sent: false`.
 *
 * @internal
 */
import {
  type CommandArg,
  CommandBuffer,
  ErrorReply,
  type ProtocolError,
  ProtocolError as ProtocolErrorClass,
  Push,
  RespDecoder,
  type RespValue
} from "@fxredis/protocol"
import { ConnectionError, type Link } from "@fxredis/transport"
import { type Clock, Duration, Effect, Exit, Fiber } from "effect"
import { CommandTimeoutError, InvalidCommandError, type RedisError, ReplyError } from "../RedisErrors.ts"
import { replyError } from "./reply.ts"

/**
 * How a reply becomes the command's result (a `RedisReply` decoder): it gets the reply in the decoder's one form
 * (bulk strings as their bytes) and the command's name, for its errors. Module-level functions: no closure per
 * command.
 */
export type Transform = (value: RespValue, command?: CommandArg) => Exit.Exit<unknown, RedisError>

/** The resume function `Effect.callback` hands us. */
export type Resume = (exit: Exit.Exit<unknown, RedisError>) => void

/** The identity transform: the decoded reply as it is (bulk strings as the decoder gives them: see `RespValue`). */
export const identity: Transform = (value) => Exit.succeed(value)

const enum_ = { Connecting: 0, Handshaking: 1, Ready: 2, Closed: 3 } as const
type State = (typeof enum_)[keyof typeof enum_]

interface Offline {
  readonly args: ReadonlyArray<CommandArg>
  readonly transform: Transform
  readonly resume: Resume
  readonly deadline: number
  readonly owner: Owner
  readonly binding: LinkBinding | undefined
}

/**
 * Binds a caller (a transaction's pin, a dedicated connection) to one link: unset until its first command is
 * queued, then that link's number. Once the link is gone, its later commands fail instead of running on a new link
 * that has lost the state (`WATCH`, `MULTI`, `SELECT`, `CLIENT …`) the earlier ones set up.
 */
export interface LinkBinding {
  id: number | undefined
}

/**
 * The fiber that waits for a command (the one `Effect.callback` suspended), kept when it was interruptible then: how
 * an interruption finds its slots. Undefined for an uninterruptible wait (it is never interrupted while it waits).
 */
type Owner = Fiber.Fiber<unknown, unknown> | undefined

/**
 * What Effect's fibers record of an interruption (effect 4.1, `FiberImpl` in `internal/effect.ts`): the cause of a
 * requested interruption, and whether the fiber may be interrupted now. Internal to Effect, so only read, and only
 * once `fiberInternals` has found both on a real fiber.
 */
interface FiberInternals {
  readonly interruptible: boolean
  readonly _interruptedCause: unknown
}

/**
 * Whether the tick's flush can see for itself that the owner of an unwritten command was interrupted. Then a command
 * queued on a ready link needs no canceler (a canceler costs every command an async finalizer and two interruptibility
 * switches in Effect's run loop), and the flush drops the commands of interrupted owners before encoding them. A
 * fiber without those fields (another Effect release) gets a canceler for every command, as before: slower, as exact.
 */
const fiberInternals = (fiber: Fiber.Fiber<unknown, unknown>): boolean =>
  "_interruptedCause" in fiber && typeof internalsOf(fiber).interruptible === "boolean"

/** the one cast to Effect's internal fiber fields (the interface above says why, and what is read) */
const internalsOf = (fiber: Fiber.Fiber<unknown, unknown>): FiberInternals => fiber as unknown as FiberInternals

let flushSeesInterrupts: boolean | undefined

/** the owner to record for a command queued by the current fiber */
const currentOwner = (): Owner => {
  const fiber = Fiber.getCurrent()
  return fiber !== undefined && internalsOf(fiber).interruptible !== false ? fiber : undefined
}

/** an owner whose interruption was requested: its wait is over (it was interruptible when it queued the command) */
const interrupted = (owner: Owner): boolean => owner !== undefined && internalsOf(owner)._interruptedCause !== undefined

/** one shared `[name]` per command name (bounded), what a written command keeps of its arguments */
const nameArrays = new Map<CommandArg, ReadonlyArray<CommandArg>>()
const nameOnly = (name: CommandArg): ReadonlyArray<CommandArg> => {
  let kept = nameArrays.get(name)
  if (kept === undefined) {
    kept = [name]
    if (nameArrays.size < 1024) nameArrays.set(name, kept)
  }
  return kept
}

/** The resume of a command written for its side effect alone (RESP3 `SUBSCRIBE`): it has no reply slot. */
const noReply: Resume = () => {}

/** setTimeout's longest delay; longer deadlines are reached in steps */
const maxTimerDelay = 2_147_483_647

/** Why an argument cannot be sent, or undefined when every argument is a string, a number or bytes. */
export const invalidArgument = (args: ReadonlyArray<CommandArg>): string | undefined => {
  if (!Array.isArray(args) || args.length === 0) return "a command needs at least its name"
  for (let i = 0; i < args.length; i++) {
    const arg: unknown = args[i]
    if (typeof arg === "string" || arg instanceof Uint8Array) continue
    if (typeof arg === "number") {
      if (Number.isFinite(arg)) continue
      return `argument ${i} is ${arg}: numbers must be finite`
    }
    return `argument ${i} is ${arg === null ? "null" : typeof arg}: arguments are strings, numbers or bytes (Uint8Array)`
  }
  return undefined
}

/** @internal */
export interface PipelineOptions {
  /** `Endpoint.format(...)` of the server, for errors */
  readonly endpoint: string
  /** milliseconds; `Infinity` for none */
  readonly commandTimeout: number
  /** milliseconds the handshake's commands may take (the connect timeout) */
  readonly handshakeTimeout: number
  readonly offlineQueue: boolean
  readonly maxOfflineCommands: number
  /** RESP3 push frames (pub/sub messages, invalidations) */
  readonly onPush?: ((push: Push) => void) | undefined
  /** the time of deadlines: Effect's Clock where the connection was made (`TestClock` in tests) */
  readonly clock: Clock.Clock
}

/**
 * One connection's command pipeline. `attach` gives it a fresh link; `ready` opens it for user commands;
 * `detach` fails what was in flight.
 *
 * @internal
 */
export class Pipeline {
  readonly options: PipelineOptions
  private state: State = enum_.Connecting
  private link: Link | undefined = undefined
  /** the number of the current (or last) link: one more on every attach */
  private linkId = 0
  private readonly decoder: RespDecoder
  private readonly out = new CommandBuffer()
  private flushScheduled = false
  private writable = true

  // The FIFO, as parallel arrays from `head`: no object per command.
  private resumes: Array<Resume | undefined> = []
  private transforms: Array<Transform> = []
  private commands: Array<ReadonlyArray<CommandArg>> = []
  private deadlines: Array<number> = []
  private owners: Array<Owner> = []
  private head = 0
  /** slots below this index have been handed to the socket; those from here on wait for the tick's flush */
  private written = 0
  /** an unwritten slot was cancelled (or has no reply): the flush drops it */
  private unwrittenGaps = false

  private offline: Array<Offline> = []
  /** why the last attempt to connect failed, while not connected: the cause of offline failures */
  lastFailure: ConnectionError | undefined = undefined
  /** what every later command fails with, once closed for good */
  private closedWith: ConnectionError | undefined = undefined
  /** the fiber sleeping until `timerDeadline` on the clock, then sweeping */
  private timer: Fiber.Fiber<void> | undefined = undefined
  private timerDeadline = Infinity
  /** the clock's time, read once per tick (reset by the tick's flush); -1 until read */
  private tickNow = -1
  private onDown: ((error: ConnectionError) => void) | undefined = undefined

  constructor(options: PipelineOptions) {
    this.options = options
    this.decoder = new RespDecoder()
  }

  /** Number of commands waiting for a reply (live or dead slots). */
  get inFlight(): number {
    return this.resumes.length - this.head
  }

  get isReady(): boolean {
    return this.state === enum_.Ready
  }

  get isClosed(): boolean {
    return this.state === enum_.Closed
  }

  /**
   * Sends one command; `resume` is called exactly once, unless the calling fiber is interrupted first. Returns
   * whether the caller must register `cancel` as its `Effect.callback` canceler: true for a command that waits
   * offline (the canceler takes it out of the queue at once). A command queued on a ready link needs none: if its
   * fiber is interrupted before the tick's flush, the flush drops it unwritten; after, it keeps a dead slot (Effect
   * ignores a resume that comes after the interruption), so replies stay aligned.
   */
  readonly enqueue = (
    args: ReadonlyArray<CommandArg>,
    transform: Transform,
    resume: Resume,
    binding?: LinkBinding | undefined
  ): boolean => {
    const invalid = invalidArgument(args)
    if (invalid !== undefined) {
      resume(Exit.fail(new InvalidCommandError({ command: commandName(args?.[0]), message: invalid })))
      return false
    }
    // a descriptor without a reply transform is a bug in its builder: a defect for this command, not a stuck flush
    if (typeof transform !== "function") {
      resume(Exit.die(new TypeError(`the reply transform of ${commandName(args[0])} is not a function`)))
      return false
    }
    if (binding !== undefined && binding.id !== undefined && (binding.id !== this.linkId || this.link === undefined)) {
      resume(Exit.fail(this.lostLink(args[0])))
      return false
    }
    const owner = currentOwner()
    if (this.state === enum_.Ready) {
      if (binding !== undefined) binding.id = this.linkId
      this.push(args, transform, resume, this.deadlineFromNow(), owner)
      return owner !== undefined && !(flushSeesInterrupts ??= fiberInternals(owner))
    }
    this.enqueueOffline(args, transform, resume, binding, owner)
    return true
  }

  private lostLink(name: CommandArg | undefined): ConnectionError {
    return this.error(
      "Closed",
      `the link this ${commandName(name)} belonged to (a transaction's or a dedicated connection's) was lost, and the state set up on it (WATCH, MULTI, SELECT…) with it: nothing more is sent on a new link`,
      false
    )
  }

  /**
   * The canceler of every command of this pipeline, run by the interrupted fiber itself: its commands that were not
   * written are removed (they never reach the server); those written keep a dead slot, so replies stay aligned.
   * One shared Effect: nothing is allocated per command for interruption.
   */
  readonly cancel: Effect.Effect<void> = Effect.withFiber((fiber) => {
    this.cancelOwner(fiber)
    return Effect.void
  })

  private cancelOwner(owner: Fiber.Fiber<unknown, unknown>): void {
    const offline = this.offline
    if (offline.length > 0) {
      let kept = 0
      for (let i = 0; i < offline.length; i++) if (offline[i].owner !== owner) offline[kept++] = offline[i]
      offline.length = kept
    }
    const owners = this.owners
    for (let i = this.head; i < owners.length; i++) {
      if (owners[i] !== owner) continue
      owners[i] = undefined
      this.resumes[i] = undefined
      if (i >= this.written) this.unwrittenGaps = true
    }
  }

  /** Sends a command while handshaking (bypasses the offline queue). */
  readonly enqueueHandshake = (args: ReadonlyArray<CommandArg>, transform: Transform, resume: Resume): void => {
    if (this.link === undefined) {
      resume(Exit.fail(this.error("Closed", "the connection closed during the handshake", false)))
      return
    }
    const t = this.options.handshakeTimeout
    this.push(args, transform, resume, t === Infinity ? Infinity : this.now() + t, currentOwner())
  }

  /** Writes a command that gets no reply of its own (SUBSCRIBE in RESP3: its confirmations are push frames). */
  readonly writeOnly = (args: ReadonlyArray<CommandArg>): boolean => {
    if (this.link === undefined || invalidArgument(args) !== undefined) return false
    // in order with the commands of this tick; the flush drops its slot once written
    this.push(args, identity, noReply, Infinity, undefined)
    this.unwrittenGaps = true
    return true
  }

  /**
   * A fresh link: called by the lifecycle once connected. `onDown` is called once if the link then fails. A pipeline
   * closed meanwhile (the client's scope closed during the connect) refuses it: the link is closed at once and the
   * error to fail the connect with is returned.
   */
  attach(link: Link, onDown: (error: ConnectionError) => void): ConnectionError | undefined {
    if (this.state === enum_.Closed) {
      link.close()
      return this.closedWith ?? this.error("Closed", "the client was closed while connecting", false)
    }
    this.link = link
    this.linkId++
    this.onDown = onDown
    this.writable = true
    this.state = enum_.Handshaking
    this.decoder.reset()
    link.listen({
      onData: this.onData,
      onDrain: this.onDrain,
      onClose: this.onClose
    })
    return undefined
  }

  /** The handshake is done: serve user commands, starting with those that waited offline. */
  ready(): void {
    if (this.link === undefined || this.state === enum_.Closed) return
    this.state = enum_.Ready
    this.lastFailure = undefined
    const waiting = this.offline
    this.offline = []
    for (let i = 0; i < waiting.length; i++) {
      const o = waiting[i]
      if (o.binding !== undefined) {
        if (o.binding.id !== undefined && o.binding.id !== this.linkId) {
          o.resume(Exit.fail(this.lostLink(o.args[0])))
          continue
        }
        o.binding.id = this.linkId
      }
      this.push(o.args, o.transform, o.resume, o.deadline, o.owner)
    }
  }

  /** The link is gone (or the handshake failed): fail what is in flight, go back to offline mode. */
  detach(error: ConnectionError): void {
    const link = this.link
    this.link = undefined
    this.onDown = undefined
    if (link !== undefined) link.close()
    if (this.state !== enum_.Closed) this.state = enum_.Connecting
    this.out.take()
    this.flushScheduled = false
    this.failInFlight((sent) => (sent ? this.withSent(error, true) : this.withSent(error, false)))
    this.decoder.reset()
  }

  /** Closes for good: fails everything, stops the timer. Idempotent. */
  close(error: ConnectionError): void {
    if (this.state === enum_.Closed && this.link === undefined) return
    this.state = enum_.Closed
    this.closedWith ??= error
    this.detach(error)
    this.failOffline(() => error)
    if (this.timer !== undefined) {
      this.timer.interruptUnsafe()
      this.timer = undefined
      this.timerDeadline = Infinity
    }
  }

  /** Fails the commands waiting offline (the lifecycle gave up reconnecting, or `offlineQueue` is off). */
  failOffline(errorFor: (o: Offline) => RedisError): void {
    const waiting = this.offline
    this.offline = []
    for (let i = 0; i < waiting.length; i++) waiting[i].resume(Exit.fail(errorFor(waiting[i])))
  }

  // ---------------------------------------------------------------------------------------------------------------
  // write path

  private push(
    args: ReadonlyArray<CommandArg>,
    transform: Transform,
    resume: Resume,
    deadline: number,
    owner: Owner
  ): void {
    this.resumes.push(resume)
    this.transforms.push(transform)
    this.commands.push(args)
    this.deadlines.push(deadline)
    this.owners.push(owner)
    if (deadline < this.timerDeadline) this.armTimer(deadline)
    this.scheduleFlush()
  }

  private scheduleFlush(): void {
    if (!this.flushScheduled) {
      this.flushScheduled = true
      queueMicrotask(this.flush)
    }
  }

  /** Encodes and writes the commands queued since the last flush, in order, dropping cancelled ones. */
  private readonly flush = (): void => {
    this.flushScheduled = false
    this.tickNow = -1
    const link = this.link
    if (link === undefined || !this.writable) return
    const from = this.written
    const end = this.resumes.length
    if (from === end) return
    if (this.unwrittenGaps) this.dropUnwritten(from, true)
    const to = this.resumes.length
    const owners = this.owners
    for (let i = from; i < to; i++) {
      // interrupted since it was queued (its fiber no longer waits): it never reaches the server
      if (interrupted(owners[i])) {
        this.resumes[i] = undefined
        owners[i] = undefined
        this.unwrittenGaps = true
        continue
      }
      try {
        const args = this.commands[i]
        this.out.push(args)
        // written: only its name is needed now (errors, the reply decoder). Keeping the whole command in this
        // long-lived FIFO until its reply made every argument array survive the young-generation collections, which
        // cost the pool's command path about 12% of its throughput
        this.commands[i] = nameOnly(args[0])
      } catch (cause) {
        // only a string beyond V8's limit gets here (arguments were validated): fail this command alone
        const resume = this.resumes[i]
        this.resumes[i] = undefined
        this.owners[i] = undefined
        this.unwrittenGaps = true
        if (resume !== undefined) {
          resume(
            Exit.fail(
              new InvalidCommandError({
                command: commandName(this.commands[i][0]),
                message: `the command cannot be encoded: ${cause instanceof Error ? cause.message : String(cause)}`
              })
            )
          )
        }
      }
    }
    if (this.unwrittenGaps) this.dropUnwritten(from, false)
    this.written = this.resumes.length
    if (this.out.isEmpty) return
    if (!link.write(this.out.take())) this.writable = false
  }

  /**
   * Removes the unwritten slots from `from` on that will get no reply: cancelled ones, and (once encoded, with
   * `keepNoReply` false) write-only ones.
   */
  private dropUnwritten(from: number, keepNoReply: boolean): void {
    const { resumes, transforms, commands, deadlines, owners } = this
    let kept = from
    for (let i = from; i < resumes.length; i++) {
      const resume = resumes[i]
      if (resume === undefined || (resume === noReply && !keepNoReply)) continue
      resumes[kept] = resume
      transforms[kept] = transforms[i]
      commands[kept] = commands[i]
      deadlines[kept] = deadlines[i]
      owners[kept] = owners[i]
      kept++
    }
    resumes.length = transforms.length = commands.length = deadlines.length = owners.length = kept
    if (!keepNoReply) this.unwrittenGaps = false
  }

  private readonly onDrain = (): void => {
    this.writable = true
    this.flush()
  }

  private enqueueOffline(
    args: ReadonlyArray<CommandArg>,
    transform: Transform,
    resume: Resume,
    binding: LinkBinding | undefined,
    owner: Owner
  ): void {
    if (this.state === enum_.Closed) {
      resume(Exit.fail(this.closedWith ?? this.error("Closed", "the client is closed", false)))
    } else if (!this.options.offlineQueue) {
      resume(Exit.fail(this.error("Offline", "not connected (offlineQueue is off)", false)))
    } else if (this.offline.length >= this.options.maxOfflineCommands) {
      resume(
        Exit.fail(
          this.error("QueueFull", `not connected and ${this.options.maxOfflineCommands} commands already wait`, false)
        )
      )
    } else {
      const deadline = this.deadlineFromNow()
      this.offline.push({ args, transform, resume, deadline, owner, binding })
      if (deadline < this.timerDeadline) this.armTimer(deadline)
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // read path

  private readonly onData = (chunk: Uint8Array): void => {
    let error: ProtocolError | undefined
    try {
      error = this.decoder.feed(chunk, this.onReply)
    } catch (cause) {
      // nothing thrown while reading may escape the socket's callback: the link can no longer be trusted
      error = new ProtocolErrorClass({
        offset: -1,
        expected: "a reply the client can read",
        message: `reading a reply failed: ${cause instanceof Error ? cause.message : String(cause)}`,
        cause
      })
    }
    if (error !== undefined) this.onProtocolError(error)
  }

  private readonly onReply = (value: RespValue): void => {
    // RESP3 push frames (pub/sub messages, client-tracking invalidations) answer no command
    if (value instanceof Push) {
      if (this.options.onPush !== undefined) this.options.onPush(value)
      return
    }
    const i = this.head
    // a reply with no written command waiting for it: the stream is misaligned
    if (i >= this.written) return this.onProtocolError(undefined)
    const resume = this.resumes[i]
    const transform = this.transforms[i]
    const name = this.commands[i][0]
    this.resumes[i] = undefined
    this.owners[i] = undefined
    this.head = i + 1
    if (this.head === this.resumes.length) this.compact()
    else if (this.head > 4096 && this.head * 2 > this.resumes.length) this.compact()
    if (resume === undefined) return
    if (value instanceof ErrorReply) {
      resume(Exit.fail(replyError(value, name)))
      return
    }
    let exit: Exit.Exit<unknown, RedisError>
    try {
      exit = transform(value, name)
    } catch (cause) {
      exit = Exit.fail(
        new ReplyError({
          code: "UNEXPECTED",
          message: `the reply could not be read: ${cause instanceof Error ? cause.message : String(cause)}`,
          command: commandName(name)
        })
      )
    }
    resume(exit)
  }

  private onProtocolError(error: ProtocolError | undefined): void {
    const link = this.link
    if (link === undefined) return
    const cause: RedisError =
      error ??
      new ProtocolErrorClass({
        offset: -1,
        expected: "no reply (no command was waiting)",
        message: `${this.options.endpoint} sent a reply that no command was waiting for: the stream is misaligned`
      })
    // Fail what is in flight with the protocol error itself, then report the link down so the lifecycle reconnects.
    this.failInFlight(() => cause)
    const onDown = this.onDown
    const down = this.error("Closed", `closed after a protocol error: ${cause.message}`, true)
    this.detach(down)
    if (onDown !== undefined) onDown(down)
  }

  private readonly onClose = (error: ConnectionError): void => {
    const onDown = this.onDown
    this.detach(error)
    if (onDown !== undefined) onDown(error)
  }

  // ---------------------------------------------------------------------------------------------------------------
  // FIFO helpers

  private compact(): void {
    if (this.head === this.resumes.length) {
      this.resumes.length = 0
      this.transforms.length = 0
      this.commands.length = 0
      this.deadlines.length = 0
      this.owners.length = 0
      this.written = 0
    } else {
      const h = this.head
      this.resumes.splice(0, h)
      this.transforms.splice(0, h)
      this.commands.splice(0, h)
      this.deadlines.splice(0, h)
      this.owners.splice(0, h)
      this.written = Math.max(0, this.written - h)
    }
    this.head = 0
  }

  private failInFlight(errorFor: (sent: boolean) => RedisError): void {
    const resumes = this.resumes
    const written = this.written
    const end = resumes.length
    let sentError: RedisError | undefined
    let unsentError: RedisError | undefined
    for (let i = this.head; i < end; i++) {
      const resume = resumes[i]
      if (resume === undefined) continue
      resumes[i] = undefined
      this.owners[i] = undefined
      if (i < written) resume(Exit.fail((sentError ??= errorFor(true))))
      else resume(Exit.fail((unsentError ??= errorFor(false))))
    }
    this.head = end
    this.compact()
  }

  /** The clock's time: read once per tick, not once per command (the tick's flush forgets it). */
  private now(): number {
    if (this.tickNow < 0) {
      this.tickNow = this.options.clock.currentTimeMillisUnsafe()
      this.scheduleFlush()
    }
    return this.tickNow
  }

  private deadlineFromNow(): number {
    const t = this.options.commandTimeout
    return t === Infinity ? Infinity : this.now() + t
  }

  private readonly sweepLater = Effect.sync(() => this.sweep())

  /** (re)arms the one deadline timer for the earliest deadline: a fiber sleeping on the clock */
  private armTimer(deadline: number): void {
    if (this.timer !== undefined) this.timer.interruptUnsafe()
    if (this.state === enum_.Closed) {
      // a closed pipeline keeps no timer: whatever is left fails with the close, not at a deadline
      this.timer = undefined
      this.timerDeadline = Infinity
      return
    }
    this.timerDeadline = deadline
    // beyond setTimeout's range the timer fires early and the sweep re-arms it (no overflow to 1 ms)
    const delay = Math.min(maxTimerDelay, Math.max(1, deadline - this.options.clock.currentTimeMillisUnsafe()))
    this.timer = Effect.runFork(Effect.andThen(this.options.clock.sleep(Duration.millis(delay)), this.sweepLater))
  }

  /** Expires the commands whose deadline passed; deadlines are in FIFO order, so it stops at the first live one. */
  private readonly sweep = (): void => {
    this.timer = undefined
    this.timerDeadline = Infinity
    const now = this.options.clock.currentTimeMillisUnsafe()
    let next = Infinity
    // while handshaking, the FIFO holds only the handshake's commands (user commands wait offline)
    const handshake = this.state === enum_.Handshaking
    // replies come in order: a partial frame buffered now is the head command's reply
    const head = this.head
    const stalled = head < this.written && this.decoder.pending > 0 && this.deadlines[head] <= now
    for (let i = this.head; i < this.resumes.length; i++) {
      const resume = this.resumes[i]
      if (resume === undefined || resume === noReply) continue
      const deadline = this.deadlines[i]
      if (deadline > now) {
        next = deadline
        break
      }
      this.resumes[i] = undefined
      this.owners[i] = undefined
      if (i >= this.written) this.unwrittenGaps = true
      resume(Exit.fail(this.timeoutError(this.commands[i][0], i < this.written, handshake)))
    }
    if (this.offline.length > 0) {
      let expired = 0
      while (expired < this.offline.length && this.offline[expired].deadline <= now) expired++
      if (expired > 0) {
        const gone = this.offline.splice(0, expired)
        for (const o of gone) o.resume(Exit.fail(this.timeoutError(o.args[0], false, false)))
      }
      if (this.offline.length > 0) next = Math.min(next, this.offline[0].deadline)
    }
    if (next !== Infinity && this.state !== enum_.Closed) this.armTimer(next)
    // a reply that stopped arriving mid-frame for a whole commandTimeout: the link makes no progress, reset it
    if (stalled) {
      this.onProtocolError(
        new ProtocolErrorClass({
          offset: -1,
          expected: "the rest of a reply",
          message: `${this.options.endpoint} stopped sending a reply in the middle of it for ${this.options.commandTimeout} ms: the link was reset`
        })
      )
    }
  }

  private timeoutError(name: CommandArg, sent: boolean, handshake: boolean): CommandTimeoutError {
    const endpoint = this.options.endpoint
    if (handshake) {
      const timeout = this.options.handshakeTimeout
      return new CommandTimeoutError({
        command: commandName(name),
        timeout,
        sent,
        message: `${endpoint} did not answer the handshake within connectTimeout (${timeout} ms)`
      })
    }
    const timeout = this.options.commandTimeout
    if (sent) {
      return new CommandTimeoutError({
        command: commandName(name),
        timeout,
        sent,
        message: `no reply from ${endpoint} within ${timeout} ms (the command was sent and may still run)`
      })
    }
    const last = this.lastFailure
    return new CommandTimeoutError({
      command: commandName(name),
      timeout,
      sent,
      message:
        last === undefined
          ? `not connected to ${endpoint} within ${timeout} ms (the command was not sent)`
          : `not connected to ${endpoint} within ${timeout} ms (the command was not sent); the last attempt failed: ${last.message}`,
      ...(last === undefined ? {} : { cause: last })
    })
  }

  private error(reason: ConnectionError["reason"], message: string, sent: boolean): ConnectionError {
    return new ConnectionError({ endpoint: this.options.endpoint, reason, message, sent })
  }

  private withSent(error: ConnectionError, sent: boolean): ConnectionError {
    return new ConnectionError({
      endpoint: error.endpoint,
      reason: error.reason,
      message: sent
        ? `${error.message} (the command was sent: it may or may not have run)`
        : `${error.message} (the command was not sent)`,
      sent,
      ...(error.cause === undefined ? {} : { cause: error.cause })
    })
  }
}

/** The command's name for errors and spans. */
export const commandName = (name: CommandArg | undefined): string =>
  typeof name === "string" ? name.toUpperCase() : name === undefined ? "" : String(name)
