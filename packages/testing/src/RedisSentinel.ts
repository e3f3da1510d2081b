/**
 * A real Sentinel-managed deployment for tests, all on 127.0.0.1: a primary and `replicas` (default 2) started with
 * `RedisServer.make` (the replicas with `replicaof 127.0.0.1 <primaryPort>`), and `sentinels` (default 3), each a
 * `redis-server <sentinel.conf> --sentinel` on a free port with its own temp dir and generated config.
 *
 * `make` returns only once the deployment has formed: every replica reports `master_link_status:up`, and every
 * sentinel reports the primary (`SENTINEL GET-MASTER-ADDR-BY-NAME`), lists the replicas (`SENTINEL REPLICAS`) and the
 * other sentinels (`SENTINEL SENTINELS`). Waiting is bounded polling, never a bare sleep.
 *
 * Controls: `failover` (`SENTINEL FAILOVER`, then waits until the deployment has settled on the new primary),
 * `killPrimary` (SIGKILL, then waits for the promotion and reports how long it took), `pause` (SIGSTOP a node, the
 * current primary by default) and each sentinel's `kill`/`stop`/`start`/`pause`/`resume`.
 *
 * Every process is killed (its own pid only) and every temp dir removed when the Scope closes, even when the test
 * fails or is interrupted. It does not restart nodes for you: a node you `kill` stays down until you `start` it.
 *
 * @since 0.1.0
 */
import { type ChildProcess, execFile, spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import { Context, Duration, Effect, Layer, Schema, type Scope } from "effect"
import { eventually } from "./Eventually.ts"
import type { TcpEndpoint } from "./internal/endpoints.ts"
import * as RedisServer from "./RedisServer.ts"

/**
 * @example
 * ```ts
 * import { RedisSentinel } from "@fxredis/testing"
 *
 * const secured = RedisSentinel.make({ name: "cache", password: "data-pw", sentinelPassword: "sentinel-pw" })
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface RedisSentinelOptions {
  /** the monitored master name; default `"mymaster"` */
  readonly name?: string | undefined
  /** number of replicas; default 2 */
  readonly replicas?: number | undefined
  /** number of sentinels; default 3 */
  readonly sentinels?: number | undefined
  /** sentinels that must agree the primary is down; default a majority of `sentinels` */
  readonly quorum?: number | undefined
  /** `sentinel down-after-milliseconds`; default 1 second */
  readonly downAfter?: Duration.Input | undefined
  /** `sentinel failover-timeout`; default 5 seconds */
  readonly failoverTimeout?: Duration.Input | undefined
  /** `requirepass`/`masterauth` on the data nodes, and `sentinel auth-pass` */
  readonly password?: string | undefined
  /** `requirepass` on the sentinels, and `sentinel sentinel-pass` */
  readonly sentinelPassword?: string | undefined
  /** extra configuration lines for every data node */
  readonly config?: ReadonlyArray<string> | undefined
  /** extra configuration lines for every sentinel */
  readonly sentinelConfig?: ReadonlyArray<string> | undefined
  /** how long `make`, `failover` and `killPrimary` wait at most; default 30 seconds */
  readonly timeout?: Duration.Input | undefined
  /** the binary; default `REDIS_SERVER_BIN` or `redis-server` (started with `--sentinel` for the sentinels) */
  readonly bin?: string | undefined
}

/**
 * One sentinel process and its controls.
 *
 * @example
 * ```ts
 * import { RedisSentinel } from "@fxredis/testing"
 * import { Effect } from "effect"
 *
 * const oneDown = Effect.gen(function* () {
 *   const sentinel = (yield* RedisSentinel.make()).sentinels[0]!
 *   yield* sentinel.kill
 *   yield* sentinel.start // same port and config file (which Sentinel has rewritten with what it learnt)
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface SentinelNode {
  readonly dir: string
  /** the generated `sentinel.conf` (Sentinel rewrites it as it learns) */
  readonly configFile: string
  readonly tcp: TcpEndpoint
  /** `redis://127.0.0.1:port` (with the sentinel password, if any) */
  readonly url: string
  readonly password: string | undefined
  /** the current process id (changes on `start`) */
  readonly pid: () => number
  /** SIGKILL; waits for the exit */
  readonly kill: Effect.Effect<void>
  /** SIGTERM; waits for the exit */
  readonly stop: Effect.Effect<void>
  /** starts it again with the same port and config file; waits until it answers PING */
  readonly start: Effect.Effect<void, RedisSentinelError>
  /** SIGSTOP: connections are accepted but nothing is answered */
  readonly pause: Effect.Effect<void>
  /** SIGCONT */
  readonly resume: Effect.Effect<void>
  /** runs `redis-cli` against the sentinel's port (authenticated); its output, trimmed */
  readonly cli: (...args: ReadonlyArray<string>) => Effect.Effect<string, RedisSentinelError>
}

/**
 * What `ROLE` says about a data node.
 *
 * @example
 * ```ts
 * import { RedisSentinel } from "@fxredis/testing"
 *
 * const describe = (role: RedisSentinel.Role) =>
 *   role._tag === "Master" ? `primary of ${role.replicas.length}` : `replica of ${role.port} (${role.state})`
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export type Role =
  | {
      readonly _tag: "Master"
      readonly offset: number
      readonly replicas: ReadonlyArray<{ readonly host: string; readonly port: number; readonly offset: number }>
    }
  | {
      readonly _tag: "Replica"
      readonly host: string
      readonly port: number
      /** `connect`, `connecting`, `sync` or `connected` */
      readonly state: string
      readonly offset: number
    }

/**
 * What `killPrimary` observed.
 *
 * @example
 * ```ts
 * import { RedisSentinel } from "@fxredis/testing"
 * import { Duration, Effect } from "effect"
 *
 * declare const sentinel: RedisSentinel.RedisSentinel
 * const millis = Effect.map(sentinel.killPrimary, (r) => Duration.toMillis(r.elapsed))
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface Promotion {
  /** the node that was primary and was killed (still down) */
  readonly killed: RedisServer.RedisServer
  /** the replica the sentinels promoted */
  readonly primary: RedisServer.RedisServer
  /** from the SIGKILL until every reachable sentinel reported the new primary */
  readonly elapsed: Duration.Duration
}

/**
 * What `failover` observed.
 *
 * @example
 * ```ts
 * import { RedisSentinel } from "@fxredis/testing"
 * import { Duration, Effect } from "effect"
 *
 * declare const sentinel: RedisSentinel.RedisSentinel
 * const switchMillis = Effect.map(sentinel.failover, (r) => Duration.toMillis(r.agreed))
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface Failover {
  /** the node that was primary (now a replica of `primary`) */
  readonly previous: RedisServer.RedisServer
  /** the promoted node */
  readonly primary: RedisServer.RedisServer
  /** from `SENTINEL FAILOVER` until every reachable sentinel reported `primary` */
  readonly agreed: Duration.Duration
  /** from `SENTINEL FAILOVER` until the deployment settled (see `RedisSentinel.failover`) */
  readonly settled: Duration.Duration
}

/**
 * A running Sentinel deployment and its controls.
 *
 * @example
 * ```ts
 * import { RedisSentinel } from "@fxredis/testing"
 * import { Effect } from "effect"
 *
 * const switched = Effect.gen(function* () {
 *   const sentinel = yield* RedisSentinel.make()
 *   const before = yield* sentinel.currentPrimary
 *   const { primary } = yield* sentinel.failover // all sentinels agree, the old primary replicates from the new one
 *   return before !== primary
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface RedisSentinel {
  /** the monitored master name */
  readonly name: string
  /** the node started as primary (it may be a replica after a failover: see `currentPrimary`) */
  readonly primary: RedisServer.RedisServer
  /** the nodes started as replicas */
  readonly replicas: ReadonlyArray<RedisServer.RedisServer>
  /** `primary` then `replicas` */
  readonly nodes: ReadonlyArray<RedisServer.RedisServer>
  readonly sentinels: ReadonlyArray<SentinelNode>
  /** the data nodes' password, if any */
  readonly password: string | undefined
  /** the sentinels' password, if any */
  readonly sentinelPassword: string | undefined
  /** asks the sentinels (the first that answers) which node is primary now */
  readonly currentPrimary: Effect.Effect<RedisServer.RedisServer, RedisSentinelError>
  /** `ROLE` on a data node, parsed */
  readonly role: (node: RedisServer.RedisServer) => Effect.Effect<Role, RedisSentinelError>
  /**
   * `SENTINEL FAILOVER <name>`, then waits until every sentinel reports the new primary, it answers `ROLE` as master,
   * every other node replicates from it with the link up, and the sentinels have no failover in progress.
   *
   * **Gotcha** (Redis Sentinel itself, not the fixture): the old primary keeps answering as a master until a sentinel
   * converts it, about 8–10 s after the switch (Sentinel waits 4 hello periods before reconfiguring a node that
   * still claims to be master), so `settled` is much later than `agreed`. Writes sent to it in that window are lost.
   */
  readonly failover: Effect.Effect<Failover, RedisSentinelError>
  /** SIGKILLs the current primary and waits until every reachable sentinel reports a promoted replica */
  readonly killPrimary: Effect.Effect<Promotion, RedisSentinelError>
  /**
   * SIGSTOPs a data node (default: the current primary) and returns it; `resume` it through the handle. A paused
   * primary accepts connections but never answers, and the sentinels fail over after `downAfter`.
   */
  readonly pause: (node?: RedisServer.RedisServer) => Effect.Effect<RedisServer.RedisServer, RedisSentinelError>
  /** waits until the deployment has settled on the current primary, as `make` does before it returns */
  readonly awaitSettled: Effect.Effect<RedisServer.RedisServer, RedisSentinelError>
}

/**
 * @example
 * ```ts
 * import { RedisSentinel } from "@fxredis/testing"
 * import { Effect } from "effect"
 *
 * const orDie = RedisSentinel.make().pipe(Effect.catchTag("RedisSentinelError", (e) => Effect.die(e.message)))
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class RedisSentinelError extends Schema.TaggedError<RedisSentinelError>()("RedisSentinelError", {
  reason: Schema.Literals(["NotInstalled", "StartFailed", "Timeout", "CommandFailed"]),
  message: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {}

/**
 * The service form, for `layer`.
 *
 * @example
 * ```ts
 * import { RedisSentinel } from "@fxredis/testing"
 * import { Effect } from "effect"
 *
 * const sentinelUrls = Effect.map(RedisSentinel.RedisSentinel.asEffect(), (s) => s.sentinels.map((n) => n.url))
 * ```
 *
 * @category services
 * @since 0.1.0
 */
export const RedisSentinel = Context.Service<RedisSentinel>("@fxredis/testing/RedisSentinel")

// ---------------------------------------------------------------------------------------------------------------
// a minimal RESP2 request/response over a fresh connection, for the fixture's own polling (structured replies)
// ---------------------------------------------------------------------------------------------------------------

/** A reply tree; an error reply is a `ReplyFailure` value. */
type Reply = string | number | null | ReplyFailure | ReadonlyArray<Reply>
class ReplyFailure {
  readonly message: string
  constructor(message: string) {
    this.message = message
  }
}

const parse = (buf: Buffer, at: number): readonly [Reply, number] | undefined => {
  const eol = buf.indexOf("\r\n", at, "latin1")
  if (eol < 0) return undefined
  const line = buf.toString("utf8", at + 1, eol)
  const next = eol + 2
  switch (String.fromCharCode(buf[at]!)) {
    case "+":
      return [line, next]
    case "-":
      return [new ReplyFailure(line), next]
    case ":":
      return [Number(line), next]
    case "$": {
      const n = Number(line)
      if (n < 0) return [null, next]
      if (buf.length < next + n + 2) return undefined
      return [buf.toString("utf8", next, next + n), next + n + 2]
    }
    case "*": {
      const n = Number(line)
      if (n < 0) return [null, next]
      const items: Array<Reply> = []
      let pos = next
      for (let i = 0; i < n; i++) {
        const item = parse(buf, pos)
        if (item === undefined) return undefined
        items.push(item[0])
        pos = item[1]
      }
      return [items, pos]
    }
    default:
      return [new ReplyFailure(`unexpected reply byte ${buf[at]}`), buf.length]
  }
}

const encode = (args: ReadonlyArray<string>) =>
  `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`

type Target = { readonly path: string } | { readonly host: string; readonly port: number }

/** sends `AUTH` (when a password is given) and the commands, pipelined; fails when the peer does not answer in time */
const query = (target: Target, password: string | undefined, commands: ReadonlyArray<ReadonlyArray<string>>) =>
  Effect.callback<ReadonlyArray<Reply>, RedisSentinelError>((resume) => {
    const all = password === undefined ? commands : [["AUTH", password], ...commands]
    const socket = Net.createConnection(target)
    let buf = Buffer.alloc(0)
    const replies: Array<Reply> = []
    let done = false
    const finish = (effect: Effect.Effect<ReadonlyArray<Reply>, RedisSentinelError>) => {
      if (done) return
      done = true
      socket.destroy()
      resume(effect)
    }
    const fail = (message: string, cause?: unknown) =>
      finish(Effect.fail(new RedisSentinelError({ reason: "CommandFailed", message, cause })))
    socket.setTimeout(1000, () => fail(`no answer from ${JSON.stringify(target)}`))
    socket.once("error", (cause) => fail(`${JSON.stringify(target)}: ${cause.message}`, cause))
    socket.once("close", () => fail(`${JSON.stringify(target)} closed the connection`))
    socket.once("connect", () => socket.write(all.map(encode).join("")))
    socket.on("data", (data) => {
      buf = buf.length === 0 ? data : Buffer.concat([buf, data])
      let pos = 0
      while (pos < buf.length) {
        const item = parse(buf, pos)
        if (item === undefined) break
        replies.push(item[0])
        pos = item[1]
      }
      buf = buf.subarray(pos)
      if (replies.length < all.length) return
      if (password !== undefined && replies[0] instanceof ReplyFailure) {
        return fail(`AUTH failed: ${replies[0].message}`)
      }
      finish(Effect.succeed(password === undefined ? replies : replies.slice(1)))
    })
    return Effect.sync(() => {
      done = true
      socket.destroy()
    })
  })

/** a flat `[k, v, k, v]` reply as a record */
const record = (reply: Reply): Record<string, Reply> => {
  const out: Record<string, Reply> = {}
  if (Array.isArray(reply)) for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = reply[i + 1]!
  return out
}

const parseRole = (reply: Reply): Role | undefined => {
  if (!Array.isArray(reply)) return undefined
  if (reply[0] === "master") {
    const replicas = Array.isArray(reply[2]) ? (reply[2] as ReadonlyArray<ReadonlyArray<Reply>>) : []
    return {
      _tag: "Master",
      offset: Number(reply[1]),
      replicas: replicas.map((r) => ({ host: String(r[0]), port: Number(r[1]), offset: Number(r[2]) }))
    }
  }
  if (reply[0] === "slave") {
    return {
      _tag: "Replica",
      host: String(reply[1]),
      port: Number(reply[2]),
      state: String(reply[3]),
      offset: Number(reply[4])
    }
  }
  return undefined
}

// ---------------------------------------------------------------------------------------------------------------
// sentinel processes
// ---------------------------------------------------------------------------------------------------------------

const running = new Set<ChildProcess>()
let exitHookInstalled = false
const installExitHook = () => {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once("exit", () => {
    for (const child of running) child.kill("SIGKILL")
  })
}

const waitExit = (child: ChildProcess) =>
  Effect.callback<void>((resume) => {
    if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
    child.once("exit", () => resume(Effect.void))
  })

const cliRun = (args: ReadonlyArray<string>) =>
  Effect.callback<string, RedisSentinelError>((resume) => {
    const child = execFile("redis-cli", [...args], { timeout: 20_000 }, (error, stdout, stderr) => {
      if (error !== null) {
        resume(
          Effect.fail(
            new RedisSentinelError({
              reason: "CommandFailed",
              message: `redis-cli ${args.join(" ")} failed: ${stderr || error.message}`,
              cause: error
            })
          )
        )
      } else resume(Effect.succeed(stdout.trim()))
    })
    return Effect.sync(() => child.kill("SIGKILL"))
  })

const millis = (input: Duration.Input) => Math.max(1, Math.round(Duration.toMillis(input)))

const makeSentinelNode = (options: {
  readonly bin: string
  readonly name: string
  readonly primaryPort: number
  readonly quorum: number
  readonly downAfter: number
  readonly failoverTimeout: number
  readonly password: string | undefined
  readonly sentinelPassword: string | undefined
  readonly extra: ReadonlyArray<string>
}): Effect.Effect<SentinelNode, RedisSentinelError, Scope.Scope> =>
  Effect.gen(function* () {
    const dir = yield* Effect.acquireRelease(
      Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "fxredis-sentinel-"))),
      (d) => Effect.sync(() => Fs.rmSync(d, { recursive: true, force: true }))
    )
    const port = yield* RedisServer.freePort.pipe(
      Effect.mapError((e) => new RedisSentinelError({ reason: "StartFailed", message: e.message, cause: e }))
    )
    const configFile = Path.join(dir, "sentinel.conf")
    const logFile = Path.join(dir, "sentinel.log")
    const { name } = options
    const lines = [
      `port ${port}`,
      "bind 127.0.0.1",
      "protected-mode no",
      "daemonize no",
      `logfile ${logFile}`,
      `dir ${dir}`,
      "sentinel resolve-hostnames no",
      "sentinel announce-ip 127.0.0.1",
      `sentinel monitor ${name} 127.0.0.1 ${options.primaryPort} ${options.quorum}`,
      `sentinel down-after-milliseconds ${name} ${options.downAfter}`,
      `sentinel failover-timeout ${name} ${options.failoverTimeout}`,
      `sentinel parallel-syncs ${name} 1`,
      ...(options.password === undefined ? [] : [`sentinel auth-pass ${name} ${options.password}`]),
      ...(options.sentinelPassword === undefined
        ? []
        : [`requirepass ${options.sentinelPassword}`, `sentinel sentinel-pass ${options.sentinelPassword}`]),
      ...options.extra
    ]
    Fs.writeFileSync(configFile, `${lines.join("\n")}\n`)

    let child: ChildProcess | undefined
    let paused = false
    const alive = () => child !== undefined && child.exitCode === null && child.signalCode === null
    const spawnSentinel: Effect.Effect<void, RedisSentinelError> = Effect.gen(function* () {
      installExitHook()
      const proc = spawn(options.bin, [configFile, "--sentinel"], { stdio: "ignore" })
      running.add(proc)
      proc.once("exit", () => running.delete(proc))
      proc.once("error", () => running.delete(proc))
      child = proc
      for (let i = 0; i < 500; i++) {
        if (proc.exitCode !== null || proc.signalCode !== null) break
        const answered = yield* query({ host: "127.0.0.1", port }, undefined, [["PING"]]).pipe(
          Effect.map((r) => r[0] === "PONG" || (r[0] instanceof ReplyFailure && r[0].message.startsWith("NOAUTH"))),
          Effect.orElseSucceed(() => false)
        )
        if (answered) return
        yield* Effect.sleep("10 millis")
      }
      const log = Fs.existsSync(logFile) ? Fs.readFileSync(logFile, "utf8") : ""
      proc.kill("SIGKILL")
      return yield* new RedisSentinelError({
        reason: proc.exitCode !== null ? "StartFailed" : "Timeout",
        message: `sentinel did not start: ${log.split("\n").slice(-5).join("\n")}`
      })
    })
    const signal = (sig: NodeJS.Signals): Effect.Effect<void> =>
      Effect.suspend(() => {
        const proc = child
        if (proc === undefined || !alive()) return Effect.void
        if (paused && sig !== "SIGCONT") proc.kill("SIGCONT")
        proc.kill(sig)
        return sig === "SIGKILL" || sig === "SIGTERM" ? waitExit(proc) : Effect.void
      })
    const kill = Effect.map(signal("SIGKILL"), () => {
      paused = false
    })
    yield* Effect.acquireRelease(spawnSentinel, () => kill)

    const auth = options.sentinelPassword === undefined ? "" : `:${encodeURIComponent(options.sentinelPassword)}@`
    const node: SentinelNode = {
      dir,
      configFile,
      tcp: { _tag: "Tcp", host: "127.0.0.1", port },
      url: `redis://${auth}127.0.0.1:${port}`,
      password: options.sentinelPassword,
      pid: () => child?.pid ?? -1,
      kill,
      stop: Effect.map(signal("SIGTERM"), () => {
        paused = false
      }),
      start: Effect.suspend(() => (alive() ? Effect.void : spawnSentinel)),
      pause: Effect.map(signal("SIGSTOP"), () => {
        paused = true
      }),
      resume: Effect.map(signal("SIGCONT"), () => {
        paused = false
      }),
      cli: (...args) =>
        cliRun([
          "-h",
          "127.0.0.1",
          "-p",
          String(port),
          ...(options.sentinelPassword === undefined ? [] : ["-a", options.sentinelPassword, "--no-auth-warning"]),
          ...args
        ])
    }
    return node
  })

// ---------------------------------------------------------------------------------------------------------------
// the deployment
// ---------------------------------------------------------------------------------------------------------------

/**
 * Starts a Sentinel deployment in the current Scope and waits until it has formed.
 *
 * @example
 * ```ts
 * import { RedisSentinel } from "@fxredis/testing"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function* () {
 *   const sentinel = yield* RedisSentinel.make({ replicas: 2, sentinels: 3 })
 *   const primary = yield* sentinel.currentPrimary
 *   return yield* primary.cli("ROLE")
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (
  options: RedisSentinelOptions = {}
): Effect.Effect<RedisSentinel, RedisSentinelError, Scope.Scope> =>
  Effect.gen(function* () {
    const name = options.name ?? "mymaster"
    const replicaCount = options.replicas ?? 2
    const sentinelCount = options.sentinels ?? 3
    const quorum = options.quorum ?? Math.floor(sentinelCount / 2) + 1
    const timeout = millis(options.timeout ?? Duration.seconds(30))
    const pollInterval = 50
    const polls = Math.ceil(timeout / pollInterval)
    const bin = options.bin ?? process.env["REDIS_SERVER_BIN"] ?? "redis-server"
    const password = options.password
    const sentinelPassword = options.sentinelPassword
    // without a delay a full sync starts at once (the default waits 5 s for more replicas to batch them)
    const dataConfig = [
      "repl-diskless-sync-delay 0",
      ...(password === undefined ? [] : [`masterauth ${password}`]),
      ...(options.config ?? [])
    ]
    const fromServer = (e: RedisServer.RedisServerError) =>
      new RedisSentinelError({ reason: e.reason, message: e.message, cause: e })

    const serverOptions = (extra: ReadonlyArray<string>): RedisServer.RedisServerOptions => ({
      password,
      bin,
      config: [...dataConfig, ...extra]
    })
    const primary = yield* RedisServer.make(serverOptions([])).pipe(Effect.mapError(fromServer))
    const replicas: Array<RedisServer.RedisServer> = []
    for (let i = 0; i < replicaCount; i++) {
      replicas.push(
        yield* RedisServer.make(serverOptions([`replicaof 127.0.0.1 ${primary.tcp.port}`])).pipe(
          Effect.mapError(fromServer)
        )
      )
    }
    const nodes = [primary, ...replicas]
    const sentinelList: Array<SentinelNode> = []
    const sentinels = (): ReadonlyArray<SentinelNode> => sentinelList

    const ask = (node: RedisServer.RedisServer, ...args: ReadonlyArray<string>) =>
      Effect.map(query({ path: node.unix.path }, password, [args]), (r) => r[0]!)
    const askSentinel = (sentinel: SentinelNode, commands: ReadonlyArray<ReadonlyArray<string>>) =>
      query({ host: "127.0.0.1", port: sentinel.tcp.port }, sentinelPassword, commands)
    const timedOut = (what: string) => (cause: unknown) =>
      new RedisSentinelError({ reason: "Timeout", message: `${what} did not happen within ${timeout} ms`, cause })
    const poll = <E>(what: string, check: Effect.Effect<boolean, E>) =>
      eventually(check, { times: polls, interval: Duration.millis(pollInterval) }).pipe(Effect.mapError(timedOut(what)))
    const linkUp = (node: RedisServer.RedisServer, primaryPort: number) =>
      ask(node, "INFO", "replication").pipe(
        Effect.map(
          (info) =>
            typeof info === "string" &&
            info.includes(`master_port:${primaryPort}\r\n`) &&
            info.includes("master_link_status:up")
        ),
        Effect.orElseSucceed(() => false)
      )
    const role = (node: RedisServer.RedisServer) =>
      ask(node, "ROLE").pipe(
        Effect.flatMap((reply) => {
          const parsed = parseRole(reply)
          return parsed === undefined
            ? Effect.fail(new RedisSentinelError({ reason: "CommandFailed", message: `ROLE: ${String(reply)}` }))
            : Effect.succeed(parsed)
        })
      )
    const byPort = (port: number) => nodes.find((n) => n.tcp.port === port)

    /** the primary's port as reported by every sentinel that answers, or undefined */
    const reportedPorts = Effect.suspend(() =>
      Effect.forEach(sentinels(), (s) =>
        askSentinel(s, [["SENTINEL", "GET-MASTER-ADDR-BY-NAME", name]]).pipe(
          Effect.map((r) => {
            const addr = r[0]
            return Array.isArray(addr) ? Number(addr[1]) : undefined
          }),
          Effect.orElseSucceed(() => undefined)
        )
      )
    )

    /** one sentinel's full view: primary address, no failover in progress, all replicas and other sentinels known */
    const sentinelSettled = (sentinel: SentinelNode, primaryPort: number, replicaPorts: ReadonlyArray<number>) =>
      askSentinel(sentinel, [
        ["SENTINEL", "GET-MASTER-ADDR-BY-NAME", name],
        ["SENTINEL", "MASTER", name],
        ["SENTINEL", "REPLICAS", name],
        ["SENTINEL", "SENTINELS", name]
      ]).pipe(
        Effect.map(([addr, master, known, peers]) => {
          if (!Array.isArray(addr) || Number(addr[1]) !== primaryPort) return false
          if (record(master!)["flags"] !== "master") return false
          const replicaFlags = new Map(
            (Array.isArray(known) ? known : []).map((r: Reply) => [Number(record(r)["port"]), record(r)["flags"]])
          )
          if (!replicaPorts.every((p) => replicaFlags.get(p) === "slave")) return false
          const others = Array.isArray(peers) ? peers : []
          return others.length === sentinelCount - 1 && others.every((p: Reply) => record(p)["flags"] === "sentinel")
        }),
        Effect.orElseSucceed(() => false)
      )

    /** the data nodes and every sentinel agree on `primaryNode` */
    const settledOn = (primaryNode: RedisServer.RedisServer) =>
      Effect.gen(function* () {
        const port = primaryNode.tcp.port
        const others = nodes.filter((n) => n !== primaryNode)
        const isMaster = yield* role(primaryNode).pipe(
          Effect.map((r) => r._tag === "Master"),
          Effect.orElseSucceed(() => false)
        )
        if (!isMaster) return false
        for (const n of others) if (!(yield* linkUp(n, port))) return false
        for (const s of sentinels()) {
          if (
            !(yield* sentinelSettled(
              s,
              port,
              others.map((n) => n.tcp.port)
            ))
          )
            return false
        }
        return true
      })

    // the replicas first: a sentinel reads the primary's INFO once at connect, then only every 10 s
    yield* poll(
      "replication to the primary",
      Effect.map(
        Effect.forEach(replicas, (r) => linkUp(r, primary.tcp.port)),
        (ups) => ups.every(Boolean)
      )
    )

    for (let i = 0; i < sentinelCount; i++) {
      sentinelList.push(
        yield* makeSentinelNode({
          bin,
          name,
          primaryPort: primary.tcp.port,
          quorum,
          downAfter: millis(options.downAfter ?? Duration.seconds(1)),
          failoverTimeout: millis(options.failoverTimeout ?? Duration.seconds(5)),
          password,
          sentinelPassword,
          extra: options.sentinelConfig ?? []
        })
      )
    }

    yield* poll("the sentinels' formation", settledOn(primary))

    const agreedPrimary = Effect.map(reportedPorts, (ports) => {
      const answered = ports.filter((p): p is number => p !== undefined)
      const first = answered[0]
      return first !== undefined && answered.every((p) => p === first) ? byPort(first) : undefined
    })

    const currentPrimary: Effect.Effect<RedisServer.RedisServer, RedisSentinelError> = Effect.gen(function* () {
      for (const s of sentinels()) {
        const reply = yield* askSentinel(s, [["SENTINEL", "GET-MASTER-ADDR-BY-NAME", name]]).pipe(
          Effect.orElseSucceed(() => undefined)
        )
        const addr = reply?.[0]
        if (!Array.isArray(addr)) continue
        const node = byPort(Number(addr[1]))
        if (node !== undefined) return node
        return yield* new RedisSentinelError({
          reason: "CommandFailed",
          message: `the sentinels report ${String(addr[0])}:${String(addr[1])}, which is not a node of this fixture`
        })
      }
      return yield* new RedisSentinelError({ reason: "CommandFailed", message: "no sentinel answered" })
    })

    const awaitSettled = Effect.gen(function* () {
      let settled: RedisServer.RedisServer | undefined
      yield* poll(
        "settling on one primary",
        Effect.gen(function* () {
          const candidate = yield* agreedPrimary
          if (candidate === undefined || !(yield* settledOn(candidate))) return false
          settled = candidate
          return true
        })
      )
      return settled!
    })

    const failover = Effect.gen(function* () {
      const old = yield* currentPrimary
      const started = Date.now()
      const reply = yield* askSentinel(sentinels()[0]!, [["SENTINEL", "FAILOVER", name]])
      if (reply[0] !== "OK") {
        return yield* new RedisSentinelError({
          reason: "CommandFailed",
          message: `SENTINEL FAILOVER: ${reply[0] instanceof ReplyFailure ? reply[0].message : String(reply[0])}`
        })
      }
      let next: RedisServer.RedisServer | undefined
      yield* poll(
        "the switch to a new primary",
        Effect.map(agreedPrimary, (candidate) => {
          if (candidate === undefined || candidate === old) return false
          next = candidate
          return true
        })
      )
      const agreed = Duration.millis(Date.now() - started)
      const primary = next!
      yield* poll("the failover to settle", settledOn(primary))
      return { previous: old, primary, agreed, settled: Duration.millis(Date.now() - started) } satisfies Failover
    })

    const killPrimary = Effect.gen(function* () {
      const old = yield* currentPrimary
      const started = Date.now()
      yield* old.kill
      let next: RedisServer.RedisServer | undefined
      yield* poll(
        "the promotion of a replica",
        Effect.map(agreedPrimary, (candidate) => {
          if (candidate === undefined || candidate === old) return false
          next = candidate
          return true
        })
      )
      const elapsed = Duration.millis(Date.now() - started)
      return { killed: old, primary: next!, elapsed } satisfies Promotion
    })

    const pause = (node?: RedisServer.RedisServer) =>
      Effect.gen(function* () {
        const target = node ?? (yield* currentPrimary)
        yield* target.pause
        return target
      })

    const deployment: RedisSentinel = {
      name,
      primary,
      replicas,
      nodes,
      sentinels: sentinelList,
      password,
      sentinelPassword,
      currentPrimary,
      role,
      failover,
      killPrimary,
      pause,
      awaitSettled
    }
    return deployment
  })

/**
 * A Sentinel deployment as a layer, shared by the tests of a block.
 *
 * @example
 * ```ts
 * import { layer } from "@effect/vitest"
 * import { RedisSentinel } from "@fxredis/testing"
 *
 * layer(RedisSentinel.layer(), { excludeTestServices: true, timeout: "60 seconds" })("with sentinels", (it) => {
 *   // it.effect(…) tests share the deployment
 * })
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (options?: RedisSentinelOptions): Layer.Layer<RedisSentinel, RedisSentinelError> =>
  Layer.effect(RedisSentinel, make(options))
