/**
 * The soak: many fibers run a mix of commands (SET/GET/INCR/MGET/MSET/DEL/HSET/HGETALL/LPUSH/LRANGE/EVAL, binary
 * values, transactions with WATCH, PUBLISH to a live subscriber) against
 *
 * - `pool`: a pool of 4 connections to one real redis-server, over UNIX;
 * - `sharded`: a sharded client over 3 real servers (TCP, UNIX, TCP);
 * - `garbage`: a lazy client to a `FakeServer` that answers garbage, truncated frames, extra replies, errors or
 *   hangs up: its commands must fail typed (or succeed), never crash;
 *
 * while a fault fiber, every few seconds, SIGKILLs and restarts a server, SIGSTOPs it for up to 3 s (past the
 * command timeout) and SIGCONTs it, or runs `CLIENT KILL TYPE normal|pubsub`.
 *
 * Every command is counted exactly once (see `Tally`); every reply is judged against the worker's model of its own
 * keys (see `Model`). A defect, an untyped error, an unexpected interruption or a provably wrong answer is a BUG; a
 * command with no outcome within its bound (its timeouts plus 5 s) is a HANG. RSS and heap are sampled every second.
 * At the end every client is closed and the process must hold no extra socket or timer, and no server may list a
 * client of ours.
 */
import { type Message, Redis, type RedisShape } from "@fxredis/client"
import { eventually, FakeServer, RedisServer } from "@fxredis/testing"
import { Cause, Effect, Exit, Fiber, Option, Scope, Stream } from "effect"
import { counted, type LogStats } from "./Logs.ts"
import { extraHandles, handleCountsSettled, type Sample, sampler, type Trend, trend } from "./Memory.ts"
import * as M from "./Model.ts"
import { Slot, Tally } from "./Tally.ts"

/** How long and how hard. */
export interface SoakOptions {
  readonly seconds: number
  /** workers over the pool and the sharded client, half each; default 200 */
  readonly fibers?: number | undefined
  /** mean pause between faults; default 3000 ms */
  readonly faultEveryMillis?: number | undefined
  /** the clients' `commandTimeout`; default 2000 ms (a SIGSTOP lasts up to 3 s, so some commands time out) */
  readonly commandTimeoutMillis?: number | undefined
  /** workers on the garbage-answering fake server; default 4 */
  readonly garbageFibers?: number | undefined
  /** progress lines (every 10 s) */
  readonly log?: ((line: string) => void) | undefined
  /** where the client's own log lines go (they are counted either way) */
  readonly logClient?: ((line: string) => void) | undefined
}

/** What a soak found. */
export interface SoakReport {
  readonly seconds: number
  readonly total: ReturnType<Tally["toJSON"]>
  readonly groups: Record<string, ReturnType<Tally["toJSON"]>>
  readonly commandsPerSecond: number
  readonly faults: Record<string, number>
  readonly faultErrors: number
  readonly pubsub: Record<string, PubSubStats>
  readonly memory: { readonly rss: Trend; readonly heap: Trend; readonly samples: ReadonlyArray<Sample> }
  /** commands still pending when the run ended (each already counted as a hang), and hangs that came back late */
  readonly stuck: number
  readonly lateAfterHang: number
  /** after every client was closed: handles beyond the baseline, clients listed by each server, fake links open */
  readonly teardown: {
    readonly extraHandles: Record<string, number>
    readonly clientsLeft: ReadonlyArray<number>
    readonly fakeLinksOpen: number
    /** closing the clients' scope took longer than its bound */
    readonly closeHung: boolean
  }
  /** the client's own log lines (warnings about reconnects, …) */
  readonly clientLogs: LogStats
}

/** what the subscriber of a group saw */
export interface PubSubStats {
  published: number
  received: number
  /** a message received twice (a BUG) */
  duplicates: number
  /** a message never published (a BUG) */
  unknown: number
  /** received after a later one: legal when a PUBLISH timed out and ran later, so only reported */
  outOfOrder: number
  /** times the subscription's stream failed (typed) and was opened again, by error */
  streamFailures: Record<string, number>
}

interface Target extends M.Generation {
  readonly name: string
  readonly server: RedisServer.RedisServer
}

interface Group {
  readonly name: string
  readonly redis: RedisShape
  readonly targetOf: (key: string) => Target
  readonly tally: Tally
  readonly slots: Array<Slot>
  readonly pubsub: PubSubStats
}

const rand = (n: number) => Math.floor(Math.random() * n)

const text = (v: unknown): string | undefined =>
  typeof v === "string" ? v : v instanceof Uint8Array ? new TextDecoder().decode(v) : undefined

const optional = <A>(o: Option.Option<A>): A | null => (Option.isSome(o) ? o.value : null)

const ECHO = "return {KEYS[1], ARGV[1]}"

/** bytes that stress a codec: CR, LF, NUL, 0xFF and random others */
const randomBytes = (): Uint8Array => {
  const out = new Uint8Array(1 + rand(64))
  for (let i = 0; i < out.length; i++) out[i] = [0x0d, 0x0a, 0x00, 0xff, rand(256), rand(256)][rand(6)]
  return out
}

/** One worker: its own keys (a new version of them after an uncertain write) and its model of them. */
class Worker {
  version = 0
  seq = 0
  str = ""
  ctr = ""
  hash = ""
  list = ""
  bin = ""
  m: Array<string> = []
  tx = ""
  txc = ""
  cStr: M.Cell<string | null> = M.empty(null)
  cCtr: M.Cell<number> = M.empty(0)
  cHash: M.Cell<Record<string, string>> = M.empty({})
  cList: M.Cell<ReadonlyArray<string>> = M.empty([])
  cBin: M.Cell<Uint8Array | null> = M.empty(null)
  cM: Array<M.Cell<string | null>> = []
  cTx: M.Cell<string | null> = M.empty(null)
  cTxc: M.Cell<number> = M.empty(0)
  rotations = 0

  readonly group: Group
  readonly id: number
  readonly slot: Slot

  constructor(group: Group, id: number, slot: Slot) {
    this.group = group
    this.id = id
    this.slot = slot
    this.rotate()
    this.rotations = 0
  }

  /** fresh keys, all empty: the old ones may still receive a late write and are never read again */
  rotate(): void {
    this.version++
    this.rotations++
    const base = `st:${this.group.name}:${this.id}:${this.version}`
    this.str = `${base}:str`
    this.ctr = `${base}:ctr`
    this.hash = `${base}:hash`
    this.list = `${base}:list`
    this.bin = `${base}:bin`
    this.m = [`${base}:m0`, `${base}:m1`, `${base}:m2`]
    this.tx = `{${base}}:tx`
    this.txc = `{${base}}:txc`
    this.cStr = M.empty(null)
    this.cCtr = M.empty(0)
    this.cHash = M.empty({})
    this.cList = M.empty([])
    this.cBin = M.empty(null)
    this.cM = this.m.map(() => M.empty(null))
    this.cTx = M.empty(null)
    this.cTxc = M.empty(0)
  }

  /** a value no other worker writes */
  value(): string {
    return `${this.group.name}:${this.id}:${++this.seq}`
  }

  gen(key: string): number {
    return this.group.targetOf(key).gen
  }
}

/** after this outcome of a write, is the worker's model of the key still exact? */
const keepsModel = (outcome: { readonly _tag: string; readonly certain?: boolean }, split = false): boolean =>
  outcome._tag === "Ok" || (outcome._tag === "Failed" && outcome.certain === true && !split)

const unreachable = Effect.succeed(undefined)

/** the commands of the mix, each judged against the worker's model */
const operations = (deadline: number) => {
  const track = <A>(
    w: Worker,
    command: string,
    effect: Effect.Effect<A, unknown>,
    check?: (a: A) => string | undefined,
    factor = 1
  ) => w.group.tally.track(w.slot, command, effect, deadline * factor, check)

  const setGet = (w: Worker) =>
    Effect.gen(function* () {
      const redis = w.group.redis
      const key = w.str
      const value = w.value()
      const g0 = w.gen(key)
      const set = yield* track(w, "SET", redis.set(key, value), (ok) => (ok ? undefined : `SET returned ${ok}`))
      if (set._tag === "Ok") w.cStr = { expect: value, since: g0 }
      else if (!keepsModel(set)) return w.rotate()
      const g1 = w.gen(key)
      const got = yield* track(w, "GET", Effect.map(redis.get(key), optional), (v) =>
        M.judge(w.cStr, v, w.gen(key), M.eqText, M.isNull)
      )
      if (got._tag === "Ok") w.cStr = { expect: got.value, since: g1 }
      else if (got._tag !== "Failed") w.rotate()
    })

  const incr = (w: Worker) =>
    Effect.gen(function* () {
      const key = w.ctr
      const g0 = w.gen(key)
      const got = yield* track(w, "INCR", w.group.redis.incr(key), (n) => M.judgeIncr(w.cCtr, n, w.gen(key)))
      if (got._tag === "Ok") w.cCtr = { expect: got.value, since: g0 }
      else if (!keepsModel(got)) w.rotate()
    })

  const msetMget = (w: Worker) =>
    Effect.gen(function* () {
      const redis = w.group.redis
      const values = w.m.map(() => w.value())
      const g0 = w.m.map((k) => w.gen(k))
      const set = yield* track(w, "MSET", redis.mset(w.m.map((k, i) => [k, values[i]] as const)), undefined)
      // a split MSET that failed may have been applied on the other shards
      if (set._tag !== "Ok") return w.rotate()
      w.cM = values.map((v, i) => ({ expect: v, since: g0[i] }))
      const g1 = w.m.map((k) => w.gen(k))
      const got = yield* track(
        w,
        "MGET",
        Effect.map(redis.mget(w.m), (vs) => vs.map(optional)),
        (vs) => {
          if (vs.length !== w.m.length) return `MGET of ${w.m.length} keys returned ${vs.length} values: ${M.show(vs)}`
          for (let i = 0; i < vs.length; i++) {
            const wrong = M.judge(w.cM[i], vs[i], w.gen(w.m[i]), M.eqText, M.isNull)
            if (wrong !== undefined) return `key ${w.m[i]}: ${wrong}`
          }
          return undefined
        }
      )
      if (got._tag === "Ok") w.cM = got.value.map((v, i) => ({ expect: v, since: g1[i] }))
      else if (got._tag !== "Failed") w.rotate()
    })

  const del = (w: Worker) =>
    Effect.gen(function* () {
      const key = w.str
      const cell = w.cStr
      const got = yield* track(w, "DEL", w.group.redis.del([key]), (n) => {
        if (cell.expect === undefined) return n === 0 || n === 1 ? undefined : `DEL of one key returned ${n}`
        const exact = cell.expect === null ? 0 : 1
        if (n === exact) return undefined
        if (n === 0 && w.gen(key) !== cell.since) return undefined
        return `DEL of one key expected ${exact} (generation then ${cell.since}, now ${w.gen(key)}), got ${n}`
      })
      if (got._tag === "Ok") w.cStr = M.empty(null)
      else if (!keepsModel(got)) w.rotate()
    })

  const hash = (w: Worker) =>
    Effect.gen(function* () {
      const redis = w.group.redis
      const key = w.hash
      const a = rand(4)
      const fields = [`f${a}`, `f${(a + 1 + rand(3)) % 4}`]
      const entries = fields.map((f) => [f, w.value()] as const)
      const cell = w.cHash
      const g0 = w.gen(key)
      const known = cell.expect
      const fresh = known === undefined ? undefined : fields.filter((f) => !(f in known)).length
      const set = yield* track(w, "HSET", redis.hset(key, entries), (n) => {
        if (fresh === undefined) return n >= 0 && n <= 2 ? undefined : `HSET of 2 fields returned ${n}`
        if (n === fresh) return undefined
        if (n === 2 && w.gen(key) !== cell.since) return undefined
        return `HSET of ${fields.join(",")} on ${M.show(known)} expected ${fresh} new fields (generation then ${cell.since}, now ${w.gen(key)}), got ${n}`
      })
      if (set._tag === "Ok") {
        const wiped = known === undefined || (set.value !== fresh && set.value === 2)
        const ambiguous =
          known !== undefined && fresh === 2 && w.gen(key) !== cell.since && Object.keys(known).length > 0
        w.cHash = ambiguous
          ? { expect: undefined, since: g0 }
          : { expect: { ...(wiped ? {} : known), ...Object.fromEntries(entries) }, since: g0 }
        if (known === undefined) w.cHash = { expect: undefined, since: g0 }
      } else if (!keepsModel(set)) return w.rotate()
      const g1 = w.gen(key)
      const got = yield* track(w, "HGETALL", redis.hgetall(key), (r) =>
        M.judge(w.cHash, r, w.gen(key), M.eqRecord, M.isEmptyRecord)
      )
      if (got._tag === "Ok") w.cHash = { expect: got.value, since: g1 }
      else if (got._tag !== "Failed") w.rotate()
    })

  const list = (w: Worker) =>
    Effect.gen(function* () {
      const redis = w.group.redis
      const key = w.list
      const cell = w.cList
      if (cell.expect !== undefined && cell.expect.length >= 16) {
        const g = w.gen(key)
        const gone = yield* track(w, "DEL", redis.del([key]), (n) =>
          n === 1 || (n === 0 && w.gen(key) !== cell.since) ? undefined : `DEL of a list of 16 returned ${n}`
        )
        if (gone._tag === "Ok") w.cList = { expect: [], since: g }
        else if (!keepsModel(gone)) w.rotate()
        return
      }
      const value = w.value()
      const g0 = w.gen(key)
      const pushed = yield* track(w, "LPUSH", redis.lpush(key, [value]), (n) => {
        if (cell.expect === undefined) return n >= 1 ? undefined : `LPUSH returned ${n}`
        if (n === cell.expect.length + 1) return undefined
        if (n === 1 && w.gen(key) !== cell.since) return undefined
        return `LPUSH onto ${cell.expect.length} expected ${cell.expect.length + 1} (generation then ${cell.since}, now ${w.gen(key)}), got ${n}`
      })
      if (pushed._tag === "Ok") {
        const before = cell.expect
        w.cList =
          before === undefined
            ? { expect: undefined, since: g0 }
            : { expect: pushed.value === 1 ? [value] : [value, ...before], since: g0 }
      } else if (!keepsModel(pushed)) return w.rotate()
      const g1 = w.gen(key)
      const got = yield* track(w, "LRANGE", redis.lrange(key, 0, -1), (l) =>
        M.judge(w.cList, l, w.gen(key), M.eqList, M.isEmptyList)
      )
      if (got._tag === "Ok") w.cList = { expect: got.value, since: g1 }
      else if (got._tag !== "Failed") w.rotate()
    })

  const binary = (w: Worker) =>
    Effect.gen(function* () {
      const redis = w.group.redis
      const key = w.bin
      const bytes = randomBytes()
      const g0 = w.gen(key)
      const set = yield* track(w, "SET(bytes)", redis.set(key, bytes), (ok) => (ok ? undefined : `SET returned ${ok}`))
      if (set._tag === "Ok") w.cBin = { expect: bytes, since: g0 }
      else if (!keepsModel(set)) return w.rotate()
      const g1 = w.gen(key)
      const got = yield* track(w, "GET(bytes)", Effect.map(redis.getBuffer(key), optional), (v) =>
        M.judge(w.cBin, v, w.gen(key), M.eqBytes, M.isNull)
      )
      if (got._tag === "Ok") w.cBin = { expect: got.value, since: g1 }
      else if (got._tag !== "Failed") w.rotate()
    })

  /** stateless: the script echoes its key and argument, so any other reply is someone else's */
  const evalEcho = (w: Worker) =>
    Effect.gen(function* () {
      const key = w.str
      const token = w.value()
      // EVALSHA, then SCRIPT LOAD and EVALSHA again after a restart emptied the script cache
      yield* track(
        w,
        "EVAL",
        w.group.redis.eval(ECHO, [key], [token]),
        (r) =>
          Array.isArray(r) && r.length === 2 && text(r[0]) === key && text(r[1]) === token
            ? undefined
            : `EVAL echo of [${key}, ${token}] returned ${M.show(r)}`,
        3
      )
    })

  const transaction = (w: Worker) =>
    Effect.gen(function* () {
      const redis = w.group.redis
      const key = w.tx
      const ctr = w.txc
      const value = w.value()
      const cTx = w.cTx
      const cTxc = w.cTxc
      const g0 = w.gen(key)
      const ran = yield* track(
        w,
        "TX(WATCH,GET,MULTI,SET,INCR,EXEC)",
        redis.transaction((tx) =>
          Effect.gen(function* () {
            yield* tx.watch(key)
            const before = optional(yield* tx.get(key))
            const [setOk, n] = yield* tx.exec((q) => [q.set(key, value), q.incr(ctr)] as const)
            return { before, setOk, n }
          })
        ),
        (r) =>
          M.judge(cTx, r.before, w.gen(key), M.eqText, M.isNull) ??
          (r.setOk === true ? undefined : `SET in EXEC returned ${M.show(r.setOk)}`) ??
          M.judgeIncr(cTxc, r.n, w.gen(key)),
        5
      )
      if (ran._tag === "Ok") {
        w.cTx = { expect: value, since: g0 }
        w.cTxc = { expect: ran.value.n, since: g0 }
      } else w.rotate()
    })

  const weighted: ReadonlyArray<readonly [number, (w: Worker) => Effect.Effect<unknown>]> = [
    [20, setGet],
    [15, incr],
    [12, msetMget],
    [5, del],
    [12, hash],
    [12, list],
    [6, evalEcho],
    [10, binary],
    [3, transaction]
  ]
  const total = weighted.reduce((n, [w]) => n + w, 0)
  return (w: Worker): Effect.Effect<unknown> => {
    let r = rand(total)
    for (const [weight, op] of weighted) {
      if (r < weight) return op(w)
      r -= weight
    }
    return unreachable
  }
}

/** answers of the garbage server: malformed, truncated, extra, erroneous, valid, hang-ups and silence */
const garbageAnswers: ReadonlyArray<FakeServer.Answer | (() => FakeServer.Answer)> = [
  "+PONG\r\n",
  "?? not RESP at all\r\n",
  "$5\r\nab",
  "*3\r\n:1\r\n",
  ":12x\r\n",
  "$-5\r\n",
  "*-7\r\n",
  "$99999999999999999999\r\n",
  "+OK\r\n+OK\r\n+EXTRA\r\n",
  "-ERR fake error\r\n",
  "%1\r\n+a\r\n",
  ">2\r\n+message\r\n",
  "_\r\n",
  ",1.5.5\r\n",
  "close",
  "silent",
  () => randomBytes()
]

/**
 * The fake server's answers: `+PONG` to the first request of each connection (the client's handshake, a PING), so
 * that the client comes up and its commands meet the garbage; then the garbage, in turn.
 */
const fakeReply = (): FakeServer.FakeServerOptions["reply"] => {
  let n = 0
  const handshaken = new Set<number>()
  return (_, connection) => {
    if (!handshaken.has(connection)) {
      handshaken.add(connection)
      return "+PONG\r\n"
    }
    const answer = garbageAnswers[n++ % garbageAnswers.length]
    return typeof answer === "function" ? answer() : answer
  }
}

/** clients connected to a server, other than the redis-cli asking */
export const clientCount = (server: RedisServer.RedisServer) =>
  Effect.map(
    server.cli("CLIENT", "LIST"),
    (list) => list.split("\n").filter((line) => line.includes("id=") && !line.includes("cmd=client|list")).length
  )

const newPubSub = (): PubSubStats => ({
  published: 0,
  received: 0,
  duplicates: 0,
  unknown: 0,
  outOfOrder: 0,
  streamFailures: {}
})

/**
 * Runs the soak; its servers, clients and fibers all end with it.
 */
export const soak = (options: SoakOptions): Effect.Effect<SoakReport, RedisServer.RedisServerError | Error> =>
  Effect.map(counted(soakBody(options), { forward: options.logClient }), ([report, clientLogs]) => ({
    ...report,
    clientLogs
  }))

const soakBody = (
  options: SoakOptions
): Effect.Effect<Omit<SoakReport, "clientLogs">, RedisServer.RedisServerError | Error> =>
  Effect.scoped(
    Effect.gen(function* () {
      const fibers = options.fibers ?? 200
      const commandTimeout = options.commandTimeoutMillis ?? 2000
      const faultEvery = options.faultEveryMillis ?? 3000
      const garbageFibers = options.garbageFibers ?? 4
      const log = options.log ?? (() => {})
      /** a command's bound: its timeout plus 5 s (operations that take several round trips multiply it) */
      const deadline = commandTimeout + 5000

      const servers = yield* Effect.forEach([0, 1, 2, 3], () => RedisServer.make(), { concurrency: "unbounded" })
      const targets: Array<Target> = servers.map((server, i) => ({
        name: i === 0 ? "pool" : `shard-${i - 1}`,
        server,
        gen: 0
      }))
      const fake = yield* FakeServer.make({ reply: fakeReply() })
      const baseline = yield* handleCountsSettled

      const clientsScope = yield* Scope.make()
      const pool = yield* Scope.provide(
        Redis.make({ endpoint: servers[0].urls.unix, poolSize: 4, commandTimeout, clientName: "stress-pool" }),
        clientsScope
      )
      const sharded = yield* Scope.provide(
        Redis.make({
          endpoints: [servers[1].urls.tcp, servers[2].urls.unix, servers[3].urls.tcp],
          commandTimeout,
          clientName: "stress-sharded"
        }),
        clientsScope
      )
      const garbage = yield* Scope.provide(
        Redis.make({ endpoint: fake.urls.unix, commandTimeout: 300 }, { lazy: true }),
        clientsScope
      )
      const garbageTcp = yield* Scope.provide(
        Redis.make({ endpoint: fake.urls.tcp, commandTimeout: 300 }, { lazy: true }),
        clientsScope
      )

      const shardTargets = new Map(sharded.endpoints.map((name, i) => [name, targets[i + 1]] as const))
      const groups: Array<Group> = [
        { name: "pool", redis: pool, targetOf: () => targets[0], tally: new Tally(), slots: [], pubsub: newPubSub() },
        {
          name: "sharded",
          redis: sharded,
          targetOf: (key) => shardTargets.get(sharded.shardOf(key)) ?? targets[1],
          tally: new Tally(),
          slots: [],
          pubsub: newPubSub()
        }
      ]
      const garbageGroup: Group = {
        name: "garbage",
        redis: garbage,
        targetOf: () => targets[0],
        tally: new Tally(),
        slots: [],
        pubsub: newPubSub()
      }
      const allGroups = [...groups, garbageGroup]

      let stopping = false
      const faults: Record<string, number> = { kill: 0, pause: 0, "client-kill": 0, "pubsub-kill": 0 }
      let faultErrors = 0

      const runScope = yield* Scope.make()
      const fork = <A, E>(effect: Effect.Effect<A, E>) => Effect.forkIn(effect, runScope)
      const memoryScope = yield* Scope.make()
      const samples = yield* Scope.provide(sampler(1000), memoryScope)

      // workers
      const pick = operations(deadline)
      const workers: Array<Fiber.Fiber<void>> = []
      for (const group of groups) {
        for (let i = 0; i < fibers / 2; i++) {
          const slot = new Slot(group.name)
          group.slots.push(slot)
          const worker = new Worker(group, i, slot)
          workers.push(
            yield* fork(
              Effect.gen(function* () {
                while (!stopping) yield* pick(worker)
              })
            )
          )
        }
      }
      // the garbage workers: anything typed is fine, nothing is judged
      for (let i = 0; i < garbageFibers; i++) {
        const slot = new Slot("garbage")
        garbageGroup.slots.push(slot)
        const redis = i % 2 === 0 ? garbage : garbageTcp
        workers.push(
          yield* fork(
            Effect.gen(function* () {
              let n = 0
              while (!stopping) {
                n++
                const command: Effect.Effect<unknown, unknown> =
                  n % 3 === 0 ? redis.ping() : n % 3 === 1 ? redis.get(`g:${i}`) : redis.set(`g:${i}`, randomBytes())
                yield* garbageGroup.tally.track(slot, ["PING", "GET", "SET"][n % 3], command, 300 * 3 + 5000)
                yield* Effect.sleep(1) // pacing, so that instant failures do not spin
              }
            })
          )
        )
      }

      // publishers and subscribers
      const seen = groups.map(() => new Uint8Array(1 << 20))
      const issued = groups.map(() => 0)
      const lastSeq = groups.map(() => 0)
      const pubsubFibers: Array<{ readonly subscriber: Effect.Effect<void>; readonly publisher: Effect.Effect<void> }> =
        []
      groups.forEach((group, gi) => {
        const channel = `stress:${group.name}:news`
        const slot = new Slot(group.name)
        group.slots.push(slot)
        const onMessage = (m: Message) => {
          group.pubsub.received++
          const seq = Number(m.message)
          if (!Number.isInteger(seq) || seq < 1 || seq > issued[gi] || m.channel !== channel) {
            group.pubsub.unknown++
            group.tally.bug("wrong-answer", group.name, "SUBSCRIBE", `a message never published: ${M.show(m)}`)
            return
          }
          const bits = seen[gi]
          const at = seq % (bits.length * 8)
          if ((bits[at >> 3] & (1 << (at & 7))) !== 0) {
            group.pubsub.duplicates++
            group.tally.bug("wrong-answer", group.name, "SUBSCRIBE", `message ${seq} delivered twice`)
            return
          }
          bits[at >> 3] |= 1 << (at & 7)
          if (seq < lastSeq[gi]) group.pubsub.outOfOrder++
          lastSeq[gi] = Math.max(lastSeq[gi], seq)
        }
        const subscriber = Effect.gen(function* () {
          while (!stopping) {
            const exit = yield* Effect.exit(
              Effect.scoped(
                Effect.gen(function* () {
                  const sub = yield* group.redis.subscription({ channels: [channel] })
                  yield* Stream.runForEach(sub.messages, (m) => Effect.sync(() => onMessage(m)))
                })
              )
            )
            if (stopping) return
            const reason = Exit.isSuccess(exit)
              ? "ended"
              : Cause.hasDies(exit.cause)
                ? undefined
                : String(
                    (exit.cause.reasons.find(Cause.isFailReason)?.error as { _tag?: unknown })?._tag ?? "interrupted"
                  )
            if (reason === undefined) {
              group.tally.bug(
                "defect",
                group.name,
                "SUBSCRIBE",
                Cause.pretty(Exit.isFailure(exit) ? exit.cause : Cause.empty)
              )
            } else group.pubsub.streamFailures[reason] = (group.pubsub.streamFailures[reason] ?? 0) + 1
            yield* Effect.sleep(50)
          }
        })
        const publisher = Effect.gen(function* () {
          while (!stopping) {
            const seq = ++issued[gi]
            const sent = yield* group.tally.track(slot, "PUBLISH", group.redis.publish(channel, String(seq)), deadline)
            if (sent._tag === "Ok") group.pubsub.published++
            yield* Effect.sleep(2)
          }
        })
        pubsubFibers.push({ subscriber, publisher })
      })
      for (const { subscriber, publisher } of pubsubFibers) {
        yield* fork(subscriber)
        workers.push(yield* fork(publisher))
      }

      // the watchdog
      const slots = allGroups.flatMap((g) => g.slots)
      const tallyOf = new Map(allGroups.map((g) => [g.name, g.tally] as const))
      yield* fork(
        Effect.forever(
          Effect.andThen(
            Effect.sleep(250),
            Effect.sync(() => {
              for (const g of allGroups) g.tally.scan(g.slots)
            })
          )
        )
      )

      // the faults
      const faulting = yield* fork(
        Effect.gen(function* () {
          const kinds = ["kill", "pause", "client-kill", "pubsub-kill"] as const
          let n = 0
          while (!stopping) {
            yield* Effect.sleep(Math.round(faultEvery * (0.5 + Math.random())))
            if (stopping) return
            const kind = kinds[n++ % kinds.length]
            const target = targets[rand(targets.length)]
            faults[kind]++
            const attempt = (() => {
              switch (kind) {
                case "kill":
                  return Effect.gen(function* () {
                    target.gen++
                    yield* target.server.kill
                    target.gen++
                    yield* Effect.sleep(rand(300))
                    yield* Effect.retry(target.server.start, { times: 5 })
                  })
                case "pause":
                  return Effect.gen(function* () {
                    yield* target.server.pause
                    yield* Effect.sleep(300 + rand(2700))
                    yield* target.server.resume
                  })
                case "client-kill":
                  return target.server.cli("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")
                case "pubsub-kill":
                  return target.server.cli("CLIENT", "KILL", "TYPE", "pubsub")
              }
            })()
            const done = yield* Effect.exit(attempt)
            if (Exit.isFailure(done)) {
              faultErrors++
              log(`fault ${kind} on ${target.name} failed: ${Cause.pretty(done.cause).split("\n")[0]}`)
            }
          }
        })
      )

      // progress
      const t0 = Date.now()
      const total = () => {
        const t = new Tally()
        for (const g of allGroups) t.add(g.tally)
        return t
      }
      yield* fork(
        Effect.forever(
          Effect.andThen(
            Effect.sleep(10_000),
            Effect.sync(() => {
              const t = total()
              const s = samples[samples.length - 1]
              const secs = (Date.now() - t0) / 1000
              log(
                `[soak ${secs.toFixed(0)}s] ${t.started} commands (${Math.round(t.started / secs)}/s), ok ${t.ok}, failed ${t.failed}, bugs ${t.bugs + t.otherBugs}, hangs ${t.hangs}, rss ${s?.rss.toFixed(0)} MB, heap ${s?.heap.toFixed(0)} MB, faults ${JSON.stringify(faults)}`
              )
            })
          )
        )
      )

      yield* Effect.sleep(options.seconds * 1000)
      stopping = true
      const elapsed = (Date.now() - t0) / 1000
      // the fault in progress completes (a paused server is resumed, a killed one restarted)
      yield* Fiber.await(faulting)
      // each worker finishes its command: bounded by the longest command bound, then the watchdog has counted it
      yield* Effect.timeoutOption(Fiber.awaitAll(workers), deadline * 5 + 2000)
      for (const g of allGroups) g.tally.scan(g.slots, Number.POSITIVE_INFINITY)
      const stuck = slots.filter((s) => s.command !== undefined).length
      const lateAfterHang = slots.reduce((n, s) => n + s.late, 0)
      for (const s of slots) {
        if (s.command !== undefined)
          tallyOf.get(s.group)?.incident({
            kind: "stuck",
            group: s.group,
            command: s.command,
            detail: "still pending after the run ended (counted as a hang)"
          })
      }
      // interrupt what is left (subscribers, watchdog, progress; stuck workers): bounded, in the background
      yield* Effect.timeoutOption(Scope.close(runScope, Exit.void), 10_000)
      yield* Scope.close(memoryScope, Exit.void)

      const closed = yield* Effect.timeoutOption(Scope.close(clientsScope, Exit.void), 15_000)
      const closeHung = Option.isNone(closed)
      const noExtra = Effect.map(handleCountsSettled, (now) =>
        Object.values(extraHandles(baseline, now)).every((n) => n === 0)
      )
      yield* Effect.ignore(eventually(noExtra))
      const extra = extraHandles(baseline, yield* handleCountsSettled)
      const clientsLeft: Array<number> = []
      for (const server of servers) {
        yield* Effect.ignore(eventually(Effect.map(clientCount(server), (n) => n === 0)))
        clientsLeft.push(yield* clientCount(server))
      }
      yield* Effect.ignore(eventually(Effect.sync(() => fake.open() === 0)))

      const all = total()
      return {
        seconds: elapsed,
        total: all.toJSON(),
        groups: Object.fromEntries(allGroups.map((g) => [g.name, g.tally.toJSON()])),
        commandsPerSecond: Math.round(all.started / elapsed),
        faults,
        faultErrors,
        pubsub: Object.fromEntries(groups.map((g) => [g.name, g.pubsub])),
        memory: { rss: trend(samples, "rss"), heap: trend(samples, "heap"), samples },
        stuck,
        lateAfterHang,
        teardown: { extraHandles: extra, clientsLeft, fakeLinksOpen: fake.open(), closeHung }
      }
    })
  )
