/**
 * `pnpm stress`: the standing hardening checks — no crash, no leak, no wrong answer under faults, load and bad
 * input. Runs the soak (`Soak.ts`) and then the leak cycles (`Leaks.ts`), prints a summary and exits 1 when a
 * check fails: a BUG (defect, untyped error, wrong answer), a HANG, a command not accounted for, a socket, timer or
 * server-side client left behind, or heap growth over the leak cycles. `--help` for the options.
 */
import { Effect, Exit, Fiber } from "effect"
import { type LeakReport, leaks } from "./Leaks.ts"
import type { Trend } from "./Memory.ts"
import { type SoakReport, soak } from "./Soak.ts"

const USAGE = `Usage: pnpm stress [options]

Soak: ~200 fibers of mixed commands over a pool of 4 (UNIX) to one redis-server and a sharded client over 3
(TCP, UNIX, TCP), plus a client of a fake server answering garbage, while a fault fiber SIGKILLs/restarts,
SIGSTOPs/SIGCONTs and CLIENT KILLs the servers. Every command is accounted for; BUGs and HANGs fail the run.
Leak cycles: build/teardown cycles of every client kind closed at random moments; then no extra socket or
timer, no client on any server, and a flat heap.

Options:
  --seconds N         soak duration (default 120)
  --cycles N          leak cycles per client kind (default 300)
  --soak              the soak only
  --leaks             the leak cycles only
  --fibers N          soak workers, half on each client (default 200)
  --fault-every MS    mean pause between faults (default 3000)
  --command-timeout MS  the clients' commandTimeout in the soak (default 2000)
  --heap-tolerance MB heap growth allowed over the leak cycles (default 5)
  --json              one JSON object (the full reports) on stdout instead of the tables
  --verbose           forward the client's own log lines to stderr
  --help              this text
`

interface Settings {
  readonly seconds: number
  readonly cycles: number
  readonly soak: boolean
  readonly leaks: boolean
  readonly fibers: number
  readonly faultEvery: number
  readonly commandTimeout: number
  readonly heapTolerance: number
  readonly json: boolean
  readonly verbose: boolean
}

const parse = (argv: ReadonlyArray<string>): Settings | string => {
  const flags = new Set<string>()
  const values = new Map<string, number>()
  const numeric = new Set(["seconds", "cycles", "fibers", "fault-every", "command-timeout", "heap-tolerance"])
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (!arg.startsWith("--")) return `unexpected argument ${arg}`
    const [name, inline] = arg.slice(2).split("=", 2)
    if (numeric.has(name)) {
      const raw = inline ?? argv[++i]
      const n = Number(raw)
      if (raw === undefined || !Number.isFinite(n) || n < 0) return `--${name} needs a number, got ${raw}`
      values.set(name, n)
    } else if (["soak", "leaks", "json", "verbose", "help"].includes(name)) flags.add(name)
    else return `unknown option --${name}`
  }
  if (flags.has("help")) return "help"
  const only = flags.has("soak") !== flags.has("leaks")
  return {
    seconds: values.get("seconds") ?? 120,
    cycles: values.get("cycles") ?? 300,
    soak: only ? flags.has("soak") : true,
    leaks: only ? flags.has("leaks") : true,
    fibers: values.get("fibers") ?? 200,
    faultEvery: values.get("fault-every") ?? 3000,
    commandTimeout: values.get("command-timeout") ?? 2000,
    heapTolerance: values.get("heap-tolerance") ?? 5,
    json: flags.has("json"),
    verbose: flags.has("verbose")
  }
}

/** why a soak failed (empty: it passed) */
export const soakProblems = (r: SoakReport): Array<string> => {
  const out: Array<string> = []
  if (r.total.bugs > 0) out.push(`${r.total.bugs} BUG(s)`)
  if (r.total.hangs > 0) out.push(`${r.total.hangs} HANG(s)`)
  if (r.total.settled !== r.total.started) out.push(`${r.total.started - r.total.settled} command(s) not accounted for`)
  for (const [kind, n] of Object.entries(r.teardown.extraHandles)) if (n > 0) out.push(`${n} extra ${kind} after close`)
  r.teardown.clientsLeft.forEach((n, i) => {
    if (n > 0) out.push(`${n} client(s) left on server ${i}`)
  })
  if (r.teardown.fakeLinksOpen > 0) out.push(`${r.teardown.fakeLinksOpen} link(s) to the fake server left open`)
  if (r.teardown.closeHung) out.push("closing the clients hung")
  return out
}

/** why the leak cycles failed (empty: they passed) */
export const leakProblems = (r: LeakReport, heapTolerance: number): Array<string> => {
  const out: Array<string> = []
  if (r.bugs > 0) out.push(`${r.bugs} BUG(s)`)
  for (const [kind, n] of Object.entries(r.extraHandles)) if (n > 0) out.push(`${n} extra ${kind}`)
  r.clientsLeft.forEach((n, i) => {
    if (n > 0) out.push(`${n} client(s) left on server ${i}`)
  })
  if (r.heap.delta > heapTolerance) out.push(`heap grew ${r.heap.delta.toFixed(1)} MB (tolerance ${heapTolerance} MB)`)
  return out
}

const mb = (n: number) => `${n.toFixed(1)} MB`
const trendLine = (t: Trend) =>
  `first ${mb(t.first)}, last ${mb(t.last)}, peak ${mb(t.peak)}; slope ${t.slope.toFixed(1)} MB/min overall, ${t.secondHalfSlope.toFixed(1)} MB/min over the second half (its 10 s floors: ${t.floorSecondHalfSlope.toFixed(1)} MB/min)`

const table = (rows: ReadonlyArray<readonly [string, string]>) => {
  const width = Math.max(...rows.map(([k]) => k.length))
  return rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join("\n")
}

const printSoak = (r: SoakReport) => {
  const rows: Array<readonly [string, string]> = [
    ["duration", `${r.seconds.toFixed(0)} s`],
    [
      "commands",
      `${r.total.started} (${r.commandsPerSecond}/s), settled ${r.total.settled}, in flight ${r.total.inFlight}`
    ],
    ["ok", String(r.total.ok)],
    ["failed (typed)", String(r.total.failed)]
  ]
  for (const [k, v] of Object.entries(r.total.failures)) rows.push([`  ${k}`, String(v)])
  rows.push(
    ["BUGS", String(r.total.bugs)],
    ["HANGS", `${r.total.hangs} (stuck at the end ${r.stuck}, came back late ${r.lateAfterHang})`]
  )
  for (const [name, g] of Object.entries(r.groups)) {
    rows.push([
      `group ${name}`,
      `${g.started} commands, ok ${g.ok}, failed ${g.failed}, bugs ${g.bugs}, hangs ${g.hangs}`
    ])
  }
  rows.push([
    "faults",
    `${Object.entries(r.faults)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}; fault errors ${r.faultErrors}`
  ])
  for (const [name, p] of Object.entries(r.pubsub)) {
    rows.push([
      `pub/sub ${name}`,
      `published ${p.published}, received ${p.received}, duplicates ${p.duplicates}, unknown ${p.unknown}, out of order ${p.outOfOrder}, stream restarts ${JSON.stringify(p.streamFailures)}`
    ])
  }
  rows.push(["RSS", trendLine(r.memory.rss)], ["heapUsed", trendLine(r.memory.heap)])
  rows.push([
    "after close",
    `extra handles ${JSON.stringify(r.teardown.extraHandles)}, clients left ${JSON.stringify(r.teardown.clientsLeft)}, fake links open ${r.teardown.fakeLinksOpen}${r.teardown.closeHung ? ", CLOSE HUNG" : ""}`
  ])
  rows.push(["client log lines", JSON.stringify(r.clientLogs.byLevel)])
  console.log(`Soak\n${table(rows)}`)
  if (r.total.incidents.length > 0) {
    console.log("Incidents (first ones):")
    for (const i of r.total.incidents) console.log(`  [${i.at} ms] ${i.kind} ${i.group} ${i.command}: ${i.detail}`)
  }
}

const printLeaks = (r: LeakReport) => {
  const rows: Array<readonly [string, string]> = [
    ["cycles", `${r.cyclesPerKind} per kind, ${Object.keys(r.kinds).length} kinds, ${r.seconds.toFixed(0)} s`]
  ]
  for (const [name, k] of Object.entries(r.kinds)) {
    rows.push([`  ${name}`, `built ${k.built}, cut short ${k.cut}, failed ${JSON.stringify(k.failed)}, bugs ${k.bugs}`])
  }
  rows.push(
    [
      "extra handles",
      `${JSON.stringify(r.extraHandles)} (baseline ${JSON.stringify(r.baselineHandles)}; right after the cycles ${JSON.stringify(r.extraHandlesAtOnce)}, back to the baseline after ${r.handlesBackAfterMillis === undefined ? "never" : `${r.handlesBackAfterMillis} ms`})`
    ],
    ["clients left", JSON.stringify(r.clientsLeft)],
    ["heap after GC", `start ${mb(r.heap.start)}, end ${mb(r.heap.end)}, delta ${r.heap.delta.toFixed(2)} MB`],
    [
      "lingering builds",
      `${r.lingering.late} ended late, ${r.lingering.pending} never ended (slowest ${r.lingering.slowestMillis} ms after close) ${JSON.stringify(r.lingering.byKind)}`
    ],
    ["BUGS", String(r.bugs)]
  )
  console.log(`Leak cycles\n${table(rows)}`)
  for (const i of r.incidents) console.log(`  [${i.at} ms] ${i.kind} ${i.group} ${i.command}: ${i.detail}`)
}

const settings = parse(process.argv.slice(2))
if (settings === "help") {
  console.log(USAGE)
} else if (typeof settings === "string") {
  console.error(`${settings}\n\n${USAGE}`)
  process.exitCode = 2
} else {
  const log = (line: string) => console.error(line)
  const program = Effect.gen(function* () {
    const problems: Array<string> = []
    const out: { soak?: SoakReport; leaks?: LeakReport; problems?: Array<string> } = {}
    if (settings.soak) {
      log(`soak: ${settings.seconds} s, ${settings.fibers} fibers, a fault every ~${settings.faultEvery} ms`)
      const r = yield* soak({
        seconds: settings.seconds,
        fibers: settings.fibers,
        faultEveryMillis: settings.faultEvery,
        commandTimeoutMillis: settings.commandTimeout,
        log,
        logClient: settings.verbose ? log : undefined
      })
      out.soak = r
      problems.push(...soakProblems(r).map((p) => `soak: ${p}`))
      if (!settings.json) printSoak(r)
    }
    if (settings.leaks) {
      log(`leak cycles: ${settings.cycles} per kind`)
      const r = yield* leaks({ cycles: settings.cycles, log })
      out.leaks = r
      problems.push(...leakProblems(r, settings.heapTolerance).map((p) => `leaks: ${p}`))
      if (!settings.json) printLeaks(r)
    }
    out.problems = problems
    if (settings.json) console.log(JSON.stringify(out))
    else console.log(problems.length === 0 ? "PASS: no bug, no hang, no leak" : `FAIL: ${problems.join("; ")}`)
    return problems.length === 0
  })
  const fiber = Effect.runFork(program)
  process.once("SIGINT", () => Effect.runFork(Fiber.interrupt(fiber)))
  fiber.addObserver((exit) => {
    if (Exit.isSuccess(exit)) process.exitCode = exit.value ? 0 : 1
    else {
      console.error("stress run failed:", exit.cause)
      process.exitCode = 1
    }
  })
}
