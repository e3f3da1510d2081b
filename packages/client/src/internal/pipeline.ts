/**
 * The synchronous core of one connection: the FIFO of waiting commands, write coalescing, reply matching,
 * command deadlines and the offline queue. No Effect runs per command here except the `Effect.callback` the caller
 * suspends on; the Effect side (`RedisConnection.ts`) owns the lifecycle: connecting, the handshake, reconnecting.
 *
 * Invariants:
 * - Every command resolves exactly once: with its reply, a `ReplyError`, a `CommandTimeoutError`, a
 *   `ConnectionError` (link down, offline, queue full, closed) or a `ProtocolError`.
 * - Replies are matched to commands in order. A command that was interrupted or timed out keeps its slot in the
 *   FIFO (its resume is cleared), so its late reply is read and dropped and later replies stay aligned.
 * - Commands issued in the same tick go out in one `write` (a microtask flush); a full kernel buffer (`write`
 *   returning false) holds further bytes until `drain`.
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
  Push,
  RespDecoder,
  type RespValue
} from "@fxredis/protocol"
import { ConnectionError, type Link } from "@fxredis/transport"
import { Exit } from "effect"
import { CommandTimeoutError, type RedisError, ReplyError } from "../RedisErrors.ts"

/**
 * How a reply becomes the command's result. Module-level functions: no closure per command. A transform marked
 * `binary` gets its bulk strings as `Uint8Array` (the decoder switches mode between replies).
 */
export type Transform = ((value: RespValue) => Exit.Exit<unknown, RedisError>) & { readonly binary?: boolean }

/** The resume function `Effect.callback` hands us. */
export type Resume = (exit: Exit.Exit<unknown, RedisError>) => void

/** The identity transform: the decoded reply as it is. */
export const identity: Transform = (value) => Exit.succeed(value)

const enum_ = { Connecting: 0, Handshaking: 1, Ready: 2, Closed: 3 } as const
type State = (typeof enum_)[keyof typeof enum_]

interface Offline {
  readonly args: ReadonlyArray<CommandArg>
  readonly transform: Transform
  readonly resume: Resume
  readonly deadline: number
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
  readonly binary: boolean
  /** RESP3 push frames (pub/sub messages, invalidations) */
  readonly onPush?: ((push: Push) => void) | undefined
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
  private readonly decoder: RespDecoder
  private readonly out = new CommandBuffer()
  private flushScheduled = false
  private writable = true

  // The FIFO, as parallel arrays from `head`: no object per command.
  private resumes: Array<Resume | undefined> = []
  private transforms: Array<Transform> = []
  private names: Array<CommandArg> = []
  private deadlines: Array<number> = []
  private head = 0
  /** slots below this index have been handed to the socket */
  private written = 0

  private offline: Array<Offline> = []
  private timer: ReturnType<typeof setTimeout> | undefined = undefined
  private timerDeadline = Infinity
  private onDown: ((error: ConnectionError) => void) | undefined = undefined

  constructor(options: PipelineOptions) {
    this.options = options
    this.decoder = new RespDecoder({ binary: options.binary })
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

  /** Sends one command; `resume` is called exactly once. */
  readonly enqueue = (args: ReadonlyArray<CommandArg>, transform: Transform, resume: Resume): void => {
    if (this.state === enum_.Ready) {
      this.push(args, transform, resume, this.deadlineFromNow())
    } else {
      this.enqueueOffline(args, transform, resume)
    }
  }

  /** Sends a command while handshaking (bypasses the offline queue). */
  readonly enqueueHandshake = (args: ReadonlyArray<CommandArg>, transform: Transform, resume: Resume): void => {
    if (this.link === undefined) {
      resume(Exit.fail(this.error("Closed", "the connection closed during the handshake", false)))
      return
    }
    const t = this.options.handshakeTimeout
    this.push(args, transform, resume, t === Infinity ? Infinity : Date.now() + t)
  }

  /** Writes a command that gets no reply of its own (SUBSCRIBE in RESP3: its confirmations are push frames). */
  readonly writeOnly = (args: ReadonlyArray<CommandArg>): boolean => {
    if (this.link === undefined) return false
    this.out.push(args)
    this.scheduleFlush()
    return true
  }

  /** A fresh link: called by the lifecycle once connected. `onDown` is called once if the link then fails. */
  attach(link: Link, onDown: (error: ConnectionError) => void): void {
    this.link = link
    this.onDown = onDown
    this.writable = true
    this.state = enum_.Handshaking
    this.decoder.reset()
    link.listen({
      onData: this.onData,
      onDrain: this.onDrain,
      onClose: this.onClose
    })
  }

  /** The handshake is done: serve user commands, starting with those that waited offline. */
  ready(): void {
    if (this.link === undefined || this.state === enum_.Closed) return
    this.state = enum_.Ready
    const waiting = this.offline
    this.offline = []
    for (let i = 0; i < waiting.length; i++) {
      const o = waiting[i]
      this.push(o.args, o.transform, o.resume, o.deadline)
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
    this.detach(error)
    this.failOffline(() => error)
    if (this.timer !== undefined) {
      clearTimeout(this.timer)
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

  private push(args: ReadonlyArray<CommandArg>, transform: Transform, resume: Resume, deadline: number): void {
    this.out.push(args)
    if (this.head === this.resumes.length) this.decoder.binary = transform.binary === true
    this.resumes.push(resume)
    this.transforms.push(transform)
    this.names.push(args[0])
    this.deadlines.push(deadline)
    if (deadline < this.timerDeadline) this.armTimer(deadline)
    this.scheduleFlush()
  }

  private scheduleFlush(): void {
    if (!this.flushScheduled) {
      this.flushScheduled = true
      queueMicrotask(this.flush)
    }
  }

  private readonly flush = (): void => {
    this.flushScheduled = false
    const link = this.link
    if (link === undefined || !this.writable || this.out.isEmpty) return
    const chunk = this.out.take()
    this.written = this.resumes.length
    if (!link.write(chunk)) this.writable = false
  }

  private readonly onDrain = (): void => {
    this.writable = true
    this.flush()
  }

  private enqueueOffline(args: ReadonlyArray<CommandArg>, transform: Transform, resume: Resume): void {
    if (this.state === enum_.Closed) {
      resume(Exit.fail(this.error("Closed", "the client is closed", false)))
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
      this.offline.push({ args, transform, resume, deadline })
      if (deadline < this.timerDeadline) this.armTimer(deadline)
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // read path

  private readonly onData = (chunk: Uint8Array): void => {
    const error = this.decoder.feed(chunk, this.onReply)
    if (error !== undefined) this.onProtocolError(error)
  }

  private readonly onReply = (value: RespValue): void => {
    // RESP3 push frames (pub/sub messages, client-tracking invalidations) answer no command
    if (value instanceof Push) {
      if (this.options.onPush !== undefined) this.options.onPush(value)
      return
    }
    const i = this.head
    if (i >= this.resumes.length) return this.onProtocolError(undefined)
    const resume = this.resumes[i]
    const transform = this.transforms[i]
    const name = this.names[i]
    this.resumes[i] = undefined
    this.head = i + 1
    // the next reply decodes in its own command's mode
    const next = this.transforms[this.head]
    this.decoder.binary = next !== undefined && next.binary === true
    if (this.head === this.resumes.length) this.compact()
    else if (this.head > 4096 && this.head * 2 > this.resumes.length) this.compact()
    if (resume === undefined) return
    if (value instanceof ErrorReply) {
      resume(Exit.fail(new ReplyError({ code: value.code, message: value.message, command: commandName(name) })))
    } else {
      resume(transform(value))
    }
  }

  private onProtocolError(error: ProtocolError | undefined): void {
    const link = this.link
    if (link === undefined) return
    const cause: RedisError =
      error ??
      new ConnectionError({
        endpoint: this.options.endpoint,
        reason: "Unknown",
        message: "the server sent a reply that no command was waiting for"
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
      this.names.length = 0
      this.deadlines.length = 0
      this.written = 0
    } else {
      const h = this.head
      this.resumes.splice(0, h)
      this.transforms.splice(0, h)
      this.names.splice(0, h)
      this.deadlines.splice(0, h)
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
      if (i < written) resume(Exit.fail((sentError ??= errorFor(true))))
      else resume(Exit.fail((unsentError ??= errorFor(false))))
    }
    this.head = end
    this.compact()
  }

  private deadlineFromNow(): number {
    const t = this.options.commandTimeout
    return t === Infinity ? Infinity : Date.now() + t
  }

  /** (re)arms the one deadline timer for the earliest deadline */
  private armTimer(deadline: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timerDeadline = deadline
    const timer = setTimeout(this.sweep, Math.max(1, deadline - Date.now()))
    if (typeof timer === "object" && typeof timer.unref === "function") timer.unref()
    this.timer = timer
  }

  /** Expires the commands whose deadline passed; deadlines are in FIFO order, so it stops at the first live one. */
  private readonly sweep = (): void => {
    this.timer = undefined
    this.timerDeadline = Infinity
    const now = Date.now()
    let next = Infinity
    for (let i = this.head; i < this.resumes.length; i++) {
      const resume = this.resumes[i]
      if (resume === undefined) continue
      const deadline = this.deadlines[i]
      if (deadline > now) {
        next = deadline
        break
      }
      this.resumes[i] = undefined
      resume(Exit.fail(this.timeoutError(this.names[i], i < this.written)))
    }
    if (this.offline.length > 0) {
      let expired = 0
      while (expired < this.offline.length && this.offline[expired].deadline <= now) expired++
      if (expired > 0) {
        const gone = this.offline.splice(0, expired)
        for (const o of gone) o.resume(Exit.fail(this.timeoutError(o.args[0], false)))
      }
      if (this.offline.length > 0) next = Math.min(next, this.offline[0].deadline)
    }
    if (next !== Infinity && this.state !== enum_.Closed) this.armTimer(next)
  }

  private timeoutError(name: CommandArg, sent: boolean): CommandTimeoutError {
    const timeout = this.options.commandTimeout
    return new CommandTimeoutError({
      command: commandName(name),
      timeout,
      sent,
      message: sent
        ? `no reply from ${this.options.endpoint} within ${timeout} ms (the command was sent and may still run)`
        : `not connected to ${this.options.endpoint} within ${timeout} ms (the command was not sent)`
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
