/**
 * Accounting for the stress runs: every command started is counted exactly once when it ends — as `ok`, as a
 * typed failure (by `_tag`, with `ConnectionError`'s `reason` and `sent`, `ReplyError`'s `code`), as a BUG (a
 * defect, an unexpected interruption, an untyped error, or a wrong answer) or as a HANG (no outcome within the
 * watchdog bound). `started - settled` is what is still in flight; after a run it must be 0 (or every one of them
 * counted as a hang).
 */
import { Cause, Effect, Exit } from "effect"

/** the `_tag`s of `RedisError`: anything else in the error channel is an untyped error (a BUG) */
export const typedTags: ReadonlySet<string> = new Set([
  "ConnectionError",
  "ReplyError",
  "ProtocolError",
  "CommandTimeoutError",
  "ShardingError",
  "TransactionAbortedError",
  "InvalidCommandError",
  "PoolExhaustedError"
])

/** One BUG or HANG, with enough to reproduce it. */
export interface Incident {
  readonly kind: "defect" | "untyped-error" | "interrupted" | "wrong-answer" | "hang" | "stuck"
  readonly group: string
  readonly command: string
  readonly detail: string
  /** milliseconds since the run started */
  readonly at: number
}

/** One worker's command in flight (a worker runs one command at a time), for the watchdog. */
export class Slot {
  command: string | undefined = undefined
  start = 0
  deadline = 0
  /** the watchdog counted the pending command as a hang */
  hung = false
  /** commands that came back after they were counted as hangs */
  late = 0
  readonly group: string
  constructor(group: string) {
    this.group = group
  }
}

/** How a settled command went, for the caller's model of what the server now holds. */
export type Outcome<A> =
  | { readonly _tag: "Ok"; readonly value: A }
  /** `certain`: the command provably did not run (nothing was written) */
  | { readonly _tag: "Failed"; readonly key: string; readonly certain: boolean; readonly error: unknown }
  | { readonly _tag: "Bug" }
  | { readonly _tag: "Hang" }

/** the counting key of a typed failure: `ConnectionError:Closed:sent=true`, `ReplyError:WRONGTYPE`, … */
export const failureKey = (error: unknown): string | undefined => {
  if (typeof error !== "object" || error === null) return undefined
  const tag = (error as { readonly _tag?: unknown })._tag
  if (typeof tag !== "string" || !typedTags.has(tag)) return undefined
  const e = error as { readonly reason?: unknown; readonly sent?: unknown; readonly code?: unknown }
  switch (tag) {
    case "ConnectionError":
      return `ConnectionError:${String(e.reason)}:sent=${String(e.sent)}`
    case "CommandTimeoutError":
      return `CommandTimeoutError:sent=${String(e.sent)}`
    case "ReplyError":
      return `ReplyError:${String(e.code)}`
    default:
      return tag
  }
}

/** a failure after which the command provably did not run: nothing of it reached the server */
export const notRun = (error: unknown): boolean => {
  const e = error as { readonly _tag?: unknown; readonly sent?: unknown }
  switch (e._tag) {
    case "ConnectionError":
    case "CommandTimeoutError":
      return e.sent === false
    case "ShardingError":
    case "InvalidCommandError":
    case "PoolExhaustedError":
      return true
    default:
      return false
  }
}

const describe = (value: unknown): string => {
  try {
    const text =
      typeof value === "string" ? value : JSON.stringify(value, (_, v) => (typeof v === "bigint" ? `${v}n` : v))
    return text === undefined ? String(value) : text.length > 300 ? `${text.slice(0, 300)}…` : text
  } catch {
    return String(value)
  }
}

/** Counters of one run (one group of clients, or all of them). */
export class Tally {
  started = 0
  ok = 0
  readonly failures = new Map<string, number>()
  readonly byCommand = new Map<string, number>()
  /** commands that ended in a BUG */
  bugs = 0
  /** BUGs outside any one command (a message delivered twice, a subscriber's defect): not in `settled` */
  otherBugs = 0
  hangs = 0
  /** the first incidents, in order (the counts above are complete) */
  readonly incidents: Array<Incident> = []
  private readonly t0 = Date.now()

  readonly maxIncidents: number
  constructor(maxIncidents = 50) {
    this.maxIncidents = maxIncidents
  }

  get failed(): number {
    let n = 0
    for (const v of this.failures.values()) n += v
    return n
  }

  /** commands that ended one way or another */
  get settled(): number {
    return this.ok + this.failed + this.bugs + this.hangs
  }

  fail(key: string): void {
    this.failures.set(key, (this.failures.get(key) ?? 0) + 1)
  }

  incident(incident: Omit<Incident, "at">): void {
    if (this.incidents.length < this.maxIncidents) this.incidents.push({ ...incident, at: Date.now() - this.t0 })
  }

  /** a bug outside any one command (the subscriber's stream, a worker that never came back) */
  bug(kind: Incident["kind"], group: string, command: string, detail: string): void {
    this.otherBugs++
    this.incident({ kind, group, command, detail })
  }

  /** adds another tally's counts into this one */
  add(other: Tally): void {
    this.started += other.started
    this.ok += other.ok
    this.bugs += other.bugs
    this.otherBugs += other.otherBugs
    this.hangs += other.hangs
    for (const [k, v] of other.failures) this.failures.set(k, (this.failures.get(k) ?? 0) + v)
    for (const [k, v] of other.byCommand) this.byCommand.set(k, (this.byCommand.get(k) ?? 0) + v)
    for (const i of other.incidents) if (this.incidents.length < this.maxIncidents) this.incidents.push(i)
  }

  /**
   * Runs one command on `slot` (its worker) and counts it exactly once. A watchdog (`watch`) scans the slots: a
   * command still pending `deadline` ms after it started is counted as a HANG there and then; if it comes back
   * later it is not counted again. `check` judges a success: a string is a wrong answer (a BUG).
   */
  track<A>(
    slot: Slot,
    command: string,
    effect: Effect.Effect<A, unknown>,
    deadline: number,
    check?: (value: A) => string | undefined
  ): Effect.Effect<Outcome<A>> {
    this.started++
    this.byCommand.set(command, (this.byCommand.get(command) ?? 0) + 1)
    slot.command = command
    slot.start = Date.now()
    slot.deadline = deadline
    slot.hung = false
    return Effect.map(Effect.exit(effect), (exit): Outcome<A> => {
      slot.command = undefined
      if (slot.hung) {
        slot.late++
        return { _tag: "Hang" }
      }
      return this.settle(slot.group, command, exit, check)
    })
  }

  /** counts one ended command */
  settle<A>(
    group: string,
    command: string,
    exit: Exit.Exit<A, unknown>,
    check?: (value: A) => string | undefined
  ): Outcome<A> {
    if (Exit.isSuccess(exit)) {
      const wrong = check === undefined ? undefined : check(exit.value)
      if (wrong !== undefined) {
        this.bugs++
        this.incident({ kind: "wrong-answer", group, command, detail: wrong })
        return { _tag: "Bug" }
      }
      this.ok++
      return { _tag: "Ok", value: exit.value }
    }
    const cause = exit.cause
    if (Cause.hasDies(cause)) {
      this.bugs++
      this.incident({ kind: "defect", group, command, detail: Cause.pretty(cause).slice(0, 1500) })
      return { _tag: "Bug" }
    }
    const failure = cause.reasons.find(Cause.isFailReason)
    if (failure === undefined) {
      this.bugs++
      this.incident({ kind: "interrupted", group, command, detail: Cause.pretty(cause).slice(0, 1500) })
      return { _tag: "Bug" }
    }
    const key = failureKey(failure.error)
    if (key === undefined) {
      this.bugs++
      this.incident({ kind: "untyped-error", group, command, detail: describe(failure.error) })
      return { _tag: "Bug" }
    }
    this.fail(key)
    return { _tag: "Failed", key, certain: notRun(failure.error), error: failure.error }
  }

  /** the watchdog's scan: every command pending past its deadline becomes a HANG (once) */
  scan(slots: Iterable<Slot>, now = Date.now()): void {
    for (const slot of slots) {
      if (slot.command !== undefined && !slot.hung && now - slot.start > slot.deadline) {
        slot.hung = true
        this.hangs++
        this.incident({
          kind: "hang",
          group: slot.group,
          command: slot.command,
          detail: `no outcome ${now - slot.start} ms after it started (bound ${slot.deadline} ms)`
        })
      }
    }
  }

  /** plain data, for `--json` and the summary */
  toJSON() {
    return {
      started: this.started,
      settled: this.settled,
      inFlight: this.started - this.settled,
      ok: this.ok,
      failed: this.failed,
      failures: Object.fromEntries([...this.failures].sort((a, b) => b[1] - a[1])),
      byCommand: Object.fromEntries([...this.byCommand].sort((a, b) => b[1] - a[1])),
      /** every BUG: commands' and others' */
      bugs: this.bugs + this.otherBugs,
      commandBugs: this.bugs,
      hangs: this.hangs,
      incidents: this.incidents
    }
  }
}
