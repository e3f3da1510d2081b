/**
 * `pnpm fuzz [--seconds 60] [--seed N]`: fuzzes the RESP decoder for a bounded time.
 *
 * A worker thread generates vectors (`vectors.ts`): valid RESP2/RESP3 frames (bulks around and above 16 KiB,
 * deep nesting, large aggregates) under random chunkings, truncated streams, random and mutated bytes, and checks
 * their invariants. Vector `i` comes from a PRNG seeded with (seed, i) alone, so the main thread can rebuild any
 * vector from its number. The main thread watches the worker's progress: a vector that takes more than 10 s is
 * a hang, the worker is stopped, and the vector is saved like any other failure, in
 * `test/fixtures/fuzz-crashers/` (JSON with the bytes in hex, shrunk first; three of each kind of failure), which
 * `test/fuzzCrashers.test.ts` replays.
 *
 * Prints the iterations and failures; exits 1 when anything failed.
 */
import { createHash } from "node:crypto"
import { mkdirSync, writeFileSync } from "node:fs"
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads"
import { check, generate, Rng, shrink, signature, type Vector } from "./vectors.ts"

const HANG_MS = 10_000

/** the PRNG of vector `i` under `seed` */
const rngOf = (seed: number, i: number): Rng =>
  new Rng(Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(i, 0xc2b2ae35))

interface WorkerData {
  readonly seed: number
  readonly from: number
  readonly until: number
  readonly progress: SharedArrayBuffer
}

type Message =
  | { readonly _tag: "Failure"; readonly index: number; readonly vector: Vector; readonly broken: Array<string> }
  | { readonly _tag: "Done"; readonly counts: Record<string, number> }

if (!isMainThread) {
  const data = workerData as WorkerData
  const progress = new Int32Array(data.progress)
  const counts: Record<string, number> = {}
  for (let i = data.from; Date.now() < data.until; i++) {
    Atomics.store(progress, 0, i)
    const vector = generate(rngOf(data.seed, i))
    counts[vector.kind] = (counts[vector.kind] ?? 0) + 1
    const broken = check(vector)
    if (broken.length > 0) parentPort!.postMessage({ _tag: "Failure", index: i, vector, broken } satisfies Message)
  }
  parentPort!.postMessage({ _tag: "Done", counts } satisfies Message)
} else {
  const args = process.argv.slice(2)
  const arg = (name: string, fallback: number): number => {
    const at = args.indexOf(name)
    return at >= 0 ? Number(args[at + 1]) : fallback
  }
  const seconds = arg("--seconds", 60)
  const seed = arg("--seed", Math.floor(Math.random() * 2 ** 31))
  const until = Date.now() + seconds * 1000
  const folder = new URL("../test/fixtures/fuzz-crashers/", import.meta.url)
  const counts: Record<string, number> = {}
  let failures = 0
  const saved = new Set<string>()
  /** failures seen per signature */
  const kinds = new Map<string, number>()

  const save = (vector: Vector, index: number, broken: ReadonlyArray<string>): void => {
    failures++
    const note = `seed ${seed}, vector ${index}: ${broken.join("; ")}`.slice(0, 500)
    const body = JSON.stringify({ ...vector, note }, null, 2)
    const name = `${vector.kind}-${createHash("sha256").update(vector.hex).digest("hex").slice(0, 12)}.json`
    if (saved.has(name)) return
    saved.add(name)
    mkdirSync(folder, { recursive: true })
    writeFileSync(new URL(name, folder), `${body}\n`)
    process.stdout.write(`FAIL ${name}: ${note.slice(0, 300)}\n`)
  }

  const run = (from: number): Promise<void> =>
    new Promise((resolve) => {
      const progress = new SharedArrayBuffer(4)
      const current = new Int32Array(progress)
      Atomics.store(current, 0, from)
      const worker = new Worker(new URL(import.meta.url), {
        workerData: { seed, from, until, progress } satisfies WorkerData
      })
      let last = from
      let since = Date.now()
      let finished = false
      const finish = (next: number | undefined) => {
        if (finished) return
        finished = true
        clearInterval(watchdog)
        if (next === undefined) resolve()
        else void run(next).then(resolve)
      }
      const watchdog = setInterval(() => {
        const now = Atomics.load(current, 0)
        if (now !== last) {
          last = now
          since = Date.now()
        } else if (Date.now() - since > HANG_MS) {
          // a hang: rebuild the vector from its number, save it, and go on after it
          void worker.terminate()
          const vector = generate(rngOf(seed, now))
          counts[vector.kind] = (counts[vector.kind] ?? 0) + 1
          save(vector, now, [`no result after ${HANG_MS / 1000} s (a hang)`])
          finish(Date.now() < until ? now + 1 : undefined)
        }
      }, 500)
      worker.on("message", (message: Message) => {
        if (message._tag === "Failure") {
          // keep a few of each kind of failure, shrunk; count them all
          const kind = signature(message.broken[0])
          const seen = (kinds.get(kind) ?? 0) + 1
          kinds.set(kind, seen)
          if (seen <= 3) save(shrink(message.vector), message.index, message.broken)
          else failures++
        } else {
          for (const [kind, n] of Object.entries(message.counts)) counts[kind] = (counts[kind] ?? 0) + n
          finish(undefined)
        }
      })
      worker.on("error", (error) => {
        // the worker itself died (the checker never throws, so this is the runtime: out of memory, a crash)
        const now = Atomics.load(current, 0)
        save(generate(rngOf(seed, now)), now, [`the worker died: ${String(error)}`])
        finish(Date.now() < until ? now + 1 : undefined)
      })
    })

  process.stdout.write(`fuzzing the RESP decoder for ${seconds} s, seed ${seed}\n`)
  const started = Date.now()
  await run(0)
  const total = Object.values(counts).reduce((a, b) => a + b, 0)
  const mix = Object.entries(counts)
    .map(([kind, n]) => `${n} ${kind}`)
    .join(", ")
  process.stdout.write(
    `${total} iterations (${mix}) in ${((Date.now() - started) / 1000).toFixed(1)} s, ${failures} failures\n`
  )
  process.exitCode = failures > 0 ? 1 : 0
}
