/**
 * What a worker knows the server holds under its own keys, and how a reply is judged against it.
 *
 * Only the worker writes its keys, so after a successful write the value is known. Faults make it uncertain in two
 * ways, and the model only ever calls a reply wrong when neither explains it:
 *
 * - a SIGKILL wipes the server (persistence is off): every server has a generation, bumped just before and just
 *   after each kill. A cell records the generation of its server when the command that set it *started*; a reply
 *   judged when the key's server is still at that generation must match exactly, otherwise it may also be empty.
 * - a write that failed without proof that nothing was sent (it timed out after it was written and may still run,
 *   or its link dropped, or a split command failed on one shard) leaves the value unknown: the worker then moves
 *   to fresh keys (a new key version) and never reads the old ones again, so a late write cannot be mistaken for a
 *   wrong answer.
 *
 * A reply that fits neither — another fiber's value, a value this worker never wrote, a count that cannot be — is
 * a BUG.
 */

/** a value expected under a key: `expect` is `undefined` when unknown (the next read learns it) */
export interface Cell<V> {
  readonly expect: V | undefined
  /** the key's server generation when the command that set `expect` started */
  readonly since: number
}

/** a cell for a key never written (empty is stable: a kill keeps it empty) */
export const empty = <V>(value: V): Cell<V> => ({ expect: value, since: 0 })

/** a server that can be killed: its generation counts kills (twice each, see the module header) */
export interface Generation {
  gen: number
}

/** prints a value for an incident */
export const show = (value: unknown): string => {
  if (value instanceof Uint8Array) return `bytes[${value.length}](${Buffer.from(value).toString("hex").slice(0, 64)})`
  if (value === undefined) return "unknown"
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

/**
 * Judges a read: `undefined` when `got` fits the cell (exactly, or empty after a kill of the key's server),
 * else why it does not.
 */
export const judge = <V>(
  cell: Cell<V>,
  got: V,
  genNow: number,
  eq: (a: V, b: V) => boolean,
  isEmpty: (v: V) => boolean
): string | undefined => {
  if (cell.expect === undefined) return undefined
  if (eq(got, cell.expect)) return undefined
  if (genNow !== cell.since && isEmpty(got)) return undefined
  return `expected ${show(cell.expect)} (server generation then ${cell.since}, now ${genNow}), got ${show(got)}`
}

export const eqText = (a: string | null, b: string | null): boolean => a === b
export const isNull = (v: unknown): boolean => v === null

export const eqBytes = (a: Uint8Array | null, b: Uint8Array | null): boolean => {
  if (a === null || b === null) return a === b
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

export const eqRecord = (a: Record<string, string>, b: Record<string, string>): boolean => {
  const ka = Object.keys(a)
  if (ka.length !== Object.keys(b).length) return false
  for (const k of ka) if (a[k] !== b[k]) return false
  return true
}
export const isEmptyRecord = (v: Record<string, string>): boolean => Object.keys(v).length === 0

export const eqList = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i])
export const isEmptyList = (v: ReadonlyArray<string>): boolean => v.length === 0

/**
 * Judges a counter after INCR: the previous value plus one, or 1 when the key's server was killed since the
 * previous value was known.
 */
export const judgeIncr = (cell: Cell<number>, got: number, genNow: number): string | undefined => {
  if (cell.expect === undefined) return Number.isInteger(got) && got >= 1 ? undefined : `INCR returned ${show(got)}`
  if (got === cell.expect + 1) return undefined
  if (genNow !== cell.since && got === 1) return undefined
  return `expected ${cell.expect + 1}${genNow !== cell.since ? " or 1 (after a kill)" : ""} (generation then ${cell.since}, now ${genNow}), got ${show(got)}`
}
