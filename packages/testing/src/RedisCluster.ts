/**
 * A real Redis Cluster for tests, on loopback: `primaries × (1 + replicasPerPrimary)` `redis-server` processes
 * started with {@link RedisServer.make} (`cluster-enabled yes`, each in its own temp dir with its own `nodes.conf`,
 * UNIX socket, free TCP port and free cluster-bus port), joined with `CLUSTER MEET`, the 16384 slots split evenly
 * over the primaries with `CLUSTER ADDSLOTSRANGE`, replicas attached with `CLUSTER REPLICATE`.
 *
 * **Invariants**
 *
 * - `make` returns only when every node reports `cluster_state:ok`, every node sees the same slot map and the same
 *   roles, and every replica's link to its primary is up (bounded polling, never a bare sleep).
 * - Every process is killed (its own pid only) and every temp dir removed when the Scope closes, also when
 *   formation fails half-way or is interrupted.
 *
 * **Details**
 *
 * - The cluster bus port is chosen free on its own (`cluster-port`, Redis ≥ 7.0) instead of `port + 10000`, and
 *   is passed to `CLUSTER MEET`; a node whose ports were taken between the probe and the start is retried.
 * - Nodes announce `127.0.0.1` and no hostname: `CLUSTER SHARDS` gives `ip` and `endpoint` `127.0.0.1`,
 *   `hostname` absent, `port` the TCP port; `CLUSTER SLOTS` gives `127.0.0.1`, the port and the node id.
 * - Controls for client tests: `startMigration` / `migrateSlot` (IMPORTING / MIGRATING, `MIGRATE`, `SETSLOT NODE`,
 *   so a test can see `ASK` during a migration and `MOVED` after it) and `failover` (`CLUSTER FAILOVER` on a
 *   replica).
 *
 * **Gotchas**
 *
 * - The controls talk to nodes through `redis-cli`, one process per command: fine for fixtures, not for load.
 *   Keys moved by `moveKeys` must not contain a newline (they are read from `CLUSTER GETKEYSINSLOT` output).
 * - Readiness checks skip nodes whose process is not running (after `kill`/`stop`), but a paused node makes
 *   them wait until their bound.
 *
 * **TLS** (`tls: true`): every node also listens with TLS (`tls-port`) with one generated CA and one certificate for
 * `localhost`/`127.0.0.1` (made by the first node, see `RedisServer`'s `tls`), and speaks TLS on the cluster bus and
 * for replication (`tls-cluster yes`, `tls-replication yes`). The plain port stays open (the controls and `cli` use
 * it or the UNIX socket); with `tls-cluster yes`, Redis 7 announces the TLS port as each node's `port` (`CLUSTER
 * SLOTS`, redirects) and gives both in `CLUSTER SHARDS` (`port`, `tls-port`). `MIGRATE` between nodes then speaks
 * TLS, so `moveKeys` targets the TLS port. Each node's `tls` endpoint carries the CA; `tlsSeeds` are the primaries'.
 *
 * Not supported yet: passwords/ACL on cluster nodes.
 *
 * @since 0.1.0
 */
import { execFile } from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { Context, Effect, Exit, Layer, Schema, Scope } from "effect"
import { eventually } from "./Eventually.ts"
import type { TcpEndpoint, TlsEndpoint } from "./internal/endpoints.ts"
import * as RedisServer from "./RedisServer.ts"

/**
 * @example
 * ```ts
 * import { RedisCluster } from "@fxredis/testing"
 *
 * const sixNodes = RedisCluster.make({ primaries: 3, replicasPerPrimary: 1 })
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface RedisClusterOptions {
  /** default 3 */
  readonly primaries?: number | undefined
  /** default 0 */
  readonly replicasPerPrimary?: number | undefined
  /** `cluster-node-timeout` in milliseconds; default 5000 */
  readonly nodeTimeout?: number | undefined
  /** extra configuration lines for every node, e.g. `"maxmemory 10mb"` */
  readonly config?: ReadonlyArray<string> | undefined
  /** the `redis-server` binary, as in `RedisServer` */
  readonly bin?: string | undefined
  /** how long `make`, `migrateSlot` and `failover` wait for the cluster to settle, in milliseconds; default 30000 */
  readonly readyTimeout?: number | undefined
  /**
   * every node also listens with TLS (one generated CA), and the cluster bus and replication use TLS; see
   * `tlsSeeds` and `ClusterNode.tls` (since 0.3.0)
   */
  readonly tls?: boolean | undefined
}

/**
 * The two roles of a cluster node.
 *
 * @example
 * ```ts
 * import type { RedisCluster } from "@fxredis/testing"
 *
 * const role: RedisCluster.Role = "replica"
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export type Role = "primary" | "replica"

/**
 * One node of the cluster: its `RedisServer` (endpoints, urls, `cli`, fault controls) and its cluster identity.
 *
 * @example
 * ```ts
 * import { RedisCluster } from "@fxredis/testing"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function* () {
 *   const cluster = yield* RedisCluster.make()
 *   const node = cluster.nodes[0]
 *   return [node.id, node.server.tcp.port, yield* node.role] as const
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface ClusterNode {
  /** the 40-character node id (`CLUSTER MYID`) */
  readonly id: string
  /** its role when the cluster was formed; `role` asks the node for the current one */
  readonly startedAs: Role
  /** the current role, from `ROLE` */
  readonly role: Effect.Effect<Role, RedisClusterError>
  readonly server: RedisServer.RedisServer
  readonly tcp: TcpEndpoint
  /** with `tls: true`: the node's TLS port and the cluster's CA (since 0.3.0) */
  readonly tls: TlsEndpoint | undefined
  /** the cluster bus port */
  readonly busPort: number
  /** `redis-cli` on this node's UNIX socket (not cluster mode): an error reply such as `MOVED 42 127.0.0.1:7000` is output, not a failure */
  readonly cli: (...args: ReadonlyArray<string>) => Effect.Effect<string, RedisClusterError>
}

/**
 * A slot migration in progress (after `CLUSTER SETSLOT … IMPORTING/MIGRATING`): the source answers `ASK` for keys
 * it no longer holds until `finish`.
 *
 * @example
 * ```ts
 * import { RedisCluster } from "@fxredis/testing"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function* () {
 *   const cluster = yield* RedisCluster.make()
 *   const slot = cluster.slotOf("user:1")
 *   const migration = yield* cluster.startMigration(slot, cluster.primaries[2])
 *   yield* migration.moveKeys(1) // now GET of that key on the source answers ASK
 *   yield* migration.finish // now MOVED
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface SlotMigration {
  readonly slot: number
  readonly from: ClusterNode
  readonly to: ClusterNode
  /** moves at most `count` (default: all) keys of the slot with `MIGRATE`; the number moved */
  readonly moveKeys: (count?: number) => Effect.Effect<number, RedisClusterError>
  /** moves the remaining keys, assigns the slot to `to` on every primary, and waits until the cluster agrees */
  readonly finish: Effect.Effect<void, RedisClusterError>
}

/**
 * A slot range and its owner, as the cluster currently sees it.
 *
 * @example
 * ```ts
 * import type { RedisCluster } from "@fxredis/testing"
 *
 * const covers = (range: RedisCluster.SlotRange, slot: number) => range.start <= slot && slot <= range.end
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface SlotRange {
  readonly start: number
  readonly end: number
  readonly primary: ClusterNode
}

/**
 * A running cluster and its controls.
 *
 * @example
 * ```ts
 * import { RedisCluster } from "@fxredis/testing"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function* () {
 *   const cluster = yield* RedisCluster.make({ primaries: 3, replicasPerPrimary: 1 })
 *   yield* cluster.cli("SET", "user:1", "ada") // redis-cli -c follows MOVED
 *   const owner = yield* cluster.primaryOf(cluster.slotOf("user:1"))
 *   return yield* owner.cli("GET", "user:1") // "ada"
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface RedisCluster {
  readonly nodes: ReadonlyArray<ClusterNode>
  /** the nodes started as primaries, in slot order (the first owns slot 0) */
  readonly primaries: ReadonlyArray<ClusterNode>
  /** the nodes started as replicas; `replicasOf` groups them */
  readonly replicas: ReadonlyArray<ClusterNode>
  readonly replicasOf: (primary: ClusterNode) => ReadonlyArray<ClusterNode>
  /** the TCP endpoints of the primaries, as seeds for a cluster client */
  readonly seeds: ReadonlyArray<TcpEndpoint>
  /** with `tls: true`, the primaries' TLS endpoints (with the CA), as seeds; otherwise empty (since 0.3.0) */
  readonly tlsSeeds: ReadonlyArray<TlsEndpoint>
  /** the hash slot of a key (CRC16/XMODEM mod 16384, with `{hash tag}`s), computed locally */
  readonly slotOf: (key: string | Uint8Array) => number
  /** the current owner of a slot, from `CLUSTER NODES` of the first running node */
  readonly primaryOf: (slot: number) => Effect.Effect<ClusterNode, RedisClusterError>
  /** the current slot map, sorted by `start` */
  readonly slots: Effect.Effect<ReadonlyArray<SlotRange>, RedisClusterError>
  readonly startMigration: (slot: number, to: ClusterNode) => Effect.Effect<SlotMigration, RedisClusterError>
  /** `startMigration` then `finish`: afterwards the old owner answers `MOVED` */
  readonly migrateSlot: (slot: number, to: ClusterNode) => Effect.Effect<void, RedisClusterError>
  /** `CLUSTER FAILOVER` on a replica; waits until it is a primary and the cluster agrees and is ok */
  readonly failover: (replica: ClusterNode) => Effect.Effect<void, RedisClusterError>
  /** waits until every running node reports `cluster_state:ok` and all agree on slots and roles */
  readonly awaitReady: Effect.Effect<void, RedisClusterError>
  /**
   * Starts one more node, joins it with `CLUSTER MEET` as a primary without slots (give it some with `migrateSlot`)
   * and waits until the cluster agrees; it is appended to `nodes` (not to `primaries`) and stopped with the Scope.
   * (Since 0.3.0.)
   */
  readonly addPrimary: Effect.Effect<ClusterNode, RedisClusterError | RedisServer.RedisServerError>
  /** `redis-cli -c` (cluster mode: follows MOVED/ASK) against the first running node */
  readonly cli: (...args: ReadonlyArray<string>) => Effect.Effect<string, RedisClusterError>
}

/**
 * @example
 * ```ts
 * import { RedisCluster } from "@fxredis/testing"
 * import { Effect } from "effect"
 *
 * const explained = RedisCluster.make().pipe(Effect.catchTag("RedisClusterError", (e) => Effect.die(e.message)))
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class RedisClusterError extends Schema.TaggedError<RedisClusterError>()("RedisClusterError", {
  reason: Schema.Literals(["StartFailed", "NotReady", "CommandFailed", "BadArgument"]),
  message: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {}

/**
 * The service form, for `layer`.
 *
 * @example
 * ```ts
 * import { RedisCluster } from "@fxredis/testing"
 * import { Effect } from "effect"
 *
 * const seeds = Effect.map(RedisCluster.RedisCluster.asEffect(), (cluster) => cluster.seeds)
 * ```
 *
 * @category services
 * @since 0.1.0
 */
export const RedisCluster = Context.Service<RedisCluster>("@fxredis/testing/RedisCluster")

/**
 * Number of hash slots.
 *
 * @example
 * ```ts
 * import { RedisCluster } from "@fxredis/testing"
 *
 * const last = RedisCluster.SLOTS - 1 // 16383
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export const SLOTS = 16384

const CRC16_TABLE = (() => {
  const table = new Uint16Array(256)
  for (let n = 0; n < 256; n++) {
    let crc = n << 8
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff
    table[n] = crc
  }
  return table
})()

const crc16 = (bytes: Uint8Array, start: number, end: number): number => {
  let crc = 0
  for (let i = start; i < end; i++)
    crc = ((crc << 8) & 0xffff) ^ (CRC16_TABLE[((crc >> 8) ^ (bytes[i] ?? 0)) & 0xff] ?? 0)
  return crc
}

const encoder = new TextEncoder()

/**
 * The hash slot of a key, as Redis Cluster computes it: CRC16/XMODEM mod 16384 of the key, or of its hash tag
 * (between the first `{` and the next `}`) when that is not empty.
 *
 * @example
 * ```ts
 * import { RedisCluster } from "@fxredis/testing"
 *
 * RedisCluster.keySlot("{user1000}.following") === RedisCluster.keySlot("{user1000}.followers") // true
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export const keySlot = (key: string | Uint8Array): number => {
  const bytes = typeof key === "string" ? encoder.encode(key) : key
  const open = bytes.indexOf(123)
  if (open >= 0) {
    const close = bytes.indexOf(125, open + 1)
    if (close > open + 1) return crc16(bytes, open + 1, close) % SLOTS
  }
  return crc16(bytes, 0, bytes.length) % SLOTS
}

const commandFailed = (message: string, cause?: unknown) =>
  new RedisClusterError({ reason: "CommandFailed", message, cause })

const redisCli = (args: ReadonlyArray<string>) =>
  Effect.callback<string, RedisClusterError>((resume) => {
    const child = execFile("redis-cli", [...args], { timeout: 20_000 }, (error, stdout, stderr) => {
      if (error !== null)
        resume(Effect.fail(commandFailed(`redis-cli ${args.join(" ")}: ${stderr || error.message}`, error)))
      else resume(Effect.succeed(stdout.trim()))
    })
    return Effect.sync(() => child.kill("SIGKILL"))
  })

const alive = (server: RedisServer.RedisServer) => {
  const pid = server.pid()
  if (pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** one line of `CLUSTER NODES` */
interface NodeEntry {
  readonly id: string
  readonly flags: ReadonlyArray<string>
  readonly primaryId: string
  readonly linkState: string
  readonly slots: ReadonlyArray<readonly [number, number]>
}

const parseNodes = (text: string): ReadonlyArray<NodeEntry> =>
  text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .map((line) => {
      const [id = "", , flags = "", primaryId = "-", , , , linkState = "", ...slots] = line.split(" ")
      return {
        id,
        flags: flags.split(",").filter((f) => f !== "myself"),
        primaryId,
        linkState,
        slots: slots
          .filter((s) => !s.startsWith("["))
          .map((s): readonly [number, number] => {
            const [a = "0", b = a] = s.split("-")
            return [Number(a), Number(b)]
          })
      }
    })

const BAD_FLAGS = ["fail", "fail?", "handshake", "noaddr"]

/** a node's view, normalised: comparable between nodes */
const normalise = (entries: ReadonlyArray<NodeEntry>): string =>
  entries
    .map((e) => {
      const role = e.flags.includes("master") ? "master" : "replica"
      return `${e.id} ${role} ${role === "master" ? "-" : e.primaryId} ${e.slots.map(([a, b]) => `${a}-${b}`).join(",")}`
    })
    .sort()
    .join("\n")

const ownerIn = (entries: ReadonlyArray<NodeEntry>, slot: number) =>
  entries.find((e) => e.flags.includes("master") && e.slots.some(([a, b]) => a <= slot && slot <= b))

/**
 * Starts a cluster in the current Scope and waits until it is ready.
 *
 * @example
 * ```ts
 * import { RedisCluster } from "@fxredis/testing"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function* () {
 *   const cluster = yield* RedisCluster.make({ primaries: 3 })
 *   return yield* cluster.nodes[0].cli("CLUSTER", "INFO") // "cluster_state:ok…"
 * }).pipe(Effect.scoped)
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (
  options: RedisClusterOptions = {}
): Effect.Effect<RedisCluster, RedisClusterError | RedisServer.RedisServerError, Scope.Scope> =>
  Effect.gen(function* () {
    const primaryCount = options.primaries ?? 3
    const replicasPerPrimary = options.replicasPerPrimary ?? 0
    if (!Number.isInteger(primaryCount) || primaryCount < 1 || primaryCount > SLOTS)
      return yield* new RedisClusterError({ reason: "BadArgument", message: `primaries must be 1…${SLOTS}` })
    if (!Number.isInteger(replicasPerPrimary) || replicasPerPrimary < 0)
      return yield* new RedisClusterError({ reason: "BadArgument", message: "replicasPerPrimary must be ≥ 0" })
    const readyTimeout = options.readyTimeout ?? 30_000
    const parent = yield* Effect.scope

    /** with `tls`: the first node's generated CA, certificate and key, shared by every node (set by `startNode`) */
    let tlsFiles:
      | { readonly ca: string; readonly caFile: string; readonly cert: string; readonly key: string }
      | undefined

    /** one node in a child scope, retried when its ports were taken between the probe and the start */
    const startNode = (extra: ReadonlyArray<string> = []) =>
      Effect.gen(function* () {
        const busPort = yield* RedisServer.freePort
        const shared = tlsFiles
        // the first TLS node generates the CA (RedisServer's `tls`); the others listen with its files
        const tlsPort = options.tls && shared !== undefined ? yield* RedisServer.freePort : undefined
        const tlsLines =
          shared === undefined || tlsPort === undefined
            ? []
            : [
                `tls-port ${tlsPort}`,
                `tls-cert-file ${shared.cert}`,
                `tls-key-file ${shared.key}`,
                `tls-ca-cert-file ${shared.caFile}`,
                "tls-auth-clients no"
              ]
        const scope = yield* Scope.fork(parent)
        const server = yield* RedisServer.make({
          clusterEnabled: true,
          bin: options.bin,
          tls: options.tls === true && shared === undefined,
          config: [
            `cluster-port ${busPort}`,
            `cluster-node-timeout ${options.nodeTimeout ?? 5000}`,
            "repl-diskless-sync-delay 0",
            ...(options.tls ? ["tls-cluster yes", "tls-replication yes", ...tlsLines] : []),
            ...(options.config ?? []),
            ...extra
          ]
        }).pipe(
          Scope.provide(scope),
          Effect.onError(() => Scope.close(scope, Exit.void))
        )
        if (options.tls && server.tls !== undefined && tlsFiles === undefined) {
          const ca = server.tls.ca
          tlsFiles = {
            ca: typeof ca === "string" ? ca : Fs.readFileSync(Path.join(server.dir, "ca.crt"), "utf8"),
            caFile: Path.join(server.dir, "ca.crt"),
            cert: Path.join(server.dir, "server.crt"),
            key: Path.join(server.dir, "server.key")
          }
        }
        const tls: TlsEndpoint | undefined =
          server.tls ??
          (shared === undefined || tlsPort === undefined
            ? undefined
            : { _tag: "Tls", host: "127.0.0.1", port: tlsPort, ca: shared.ca, servername: "localhost" })
        return { server, busPort, tls }
      }).pipe(Effect.retry({ times: 3, while: (e) => e.reason === "StartFailed" }))

    const total = primaryCount * (1 + replicasPerPrimary)
    // with TLS the first node goes first: it makes the CA the others use
    const head = options.tls ? [yield* startNode()] : []
    const started = [
      ...head,
      ...(yield* Effect.forEach(Array.from({ length: total - head.length }), () => startNode(), { concurrency: 4 }))
    ]

    const clusterNode = (
      server: RedisServer.RedisServer,
      busPort: number,
      startedAs: Role,
      tls: TlsEndpoint | undefined
    ) =>
      Effect.gen(function* () {
        const cli = (...args: ReadonlyArray<string>) =>
          server.cli(...args).pipe(Effect.mapError((e) => commandFailed(e.message, e)))
        const id = yield* cli("CLUSTER", "MYID")
        const node: ClusterNode = {
          id,
          startedAs,
          role: Effect.map(cli("ROLE"), (out): Role => (out.startsWith("master") ? "primary" : "replica")),
          server,
          tcp: server.tcp,
          tls,
          busPort,
          cli
        }
        return node
      })
    const nodes: Array<ClusterNode> = yield* Effect.forEach(started, ({ server, busPort, tls }, i) =>
      clusterNode(server, busPort, i < primaryCount ? "primary" : "replica", tls)
    )
    const primaries = nodes.slice(0, primaryCount)
    const replicas = nodes.slice(primaryCount)
    const primaryOfReplica = (index: number) => primaries[index % primaryCount] as ClusterNode
    const byId = new Map(nodes.map((n) => [n.id, n]))

    const ok = (node: ClusterNode, ...args: ReadonlyArray<string>) =>
      Effect.flatMap(node.cli(...args), (out) =>
        out === "OK" ? Effect.void : Effect.fail(commandFailed(`${args.join(" ")} on ${node.tcp.port}: ${out}`))
      )

    const waitFor = <E>(what: string, check: Effect.Effect<boolean, E>) =>
      eventually(check, { interval: "50 millis", times: Math.ceil(readyTimeout / 50) }).pipe(
        Effect.catchTag("EventuallyTimeout", () =>
          Effect.fail(new RedisClusterError({ reason: "NotReady", message: `${what} within ${readyTimeout} ms` }))
        )
      )

    // distinct config epochs (as redis-cli --cluster create does), then everyone meets node 0
    yield* Effect.forEach(nodes, (n, i) => ok(n, "CLUSTER", "SET-CONFIG-EPOCH", String(i + 1)), { discard: true })
    const first = nodes[0] as ClusterNode
    yield* Effect.forEach(
      nodes.slice(1),
      (n) => ok(first, "CLUSTER", "MEET", "127.0.0.1", String(n.tcp.port), String(n.busPort)),
      { discard: true }
    )
    yield* Effect.forEach(
      primaries,
      (p, i) =>
        ok(
          p,
          "CLUSTER",
          "ADDSLOTSRANGE",
          String(Math.floor((i * SLOTS) / primaryCount)),
          String(Math.floor(((i + 1) * SLOTS) / primaryCount) - 1)
        ),
      { discard: true }
    )
    // CLUSTER REPLICATE needs the replica to know its primary
    yield* waitFor(
      "the nodes did not all meet",
      Effect.map(
        Effect.forEach(nodes, (n) => n.cli("CLUSTER", "NODES")),
        (views) =>
          views.every((view) => {
            const entries = parseNodes(view)
            return entries.length === total && entries.every((e) => !e.flags.some((f) => BAD_FLAGS.includes(f)))
          })
      )
    )
    yield* Effect.forEach(replicas, (r, i) => ok(r, "CLUSTER", "REPLICATE", primaryOfReplica(i).id), {
      discard: true
    })

    const running = () => nodes.filter((n) => alive(n.server))

    const readyNow: Effect.Effect<boolean> = Effect.gen(function* () {
      const up = running()
      const upIds = new Set(up.map((n) => n.id))
      const views = yield* Effect.forEach(
        up,
        (n) =>
          Effect.gen(function* () {
            const info = yield* n.cli("CLUSTER", "INFO")
            const entries = parseNodes(yield* n.cli("CLUSTER", "NODES"))
            const me = entries.find((e) => e.id === n.id)
            const link = me?.flags.includes("slave")
              ? (yield* n.cli("INFO", "replication")).includes("master_link_status:up")
              : true
            const healthy = entries.every(
              (e) => !upIds.has(e.id) || (!e.flags.some((f) => BAD_FLAGS.includes(f)) && e.linkState === "connected")
            )
            return info.includes("cluster_state:ok") && link && healthy ? normalise(entries) : undefined
          }).pipe(Effect.timeout("5 seconds")),
        { concurrency: 4 }
      )
      return views.every((v) => v !== undefined && v === views[0])
    }).pipe(Effect.catch(() => Effect.succeed(false)))

    const awaitReady = waitFor("the cluster did not settle (cluster_state:ok, one slot map everywhere)", readyNow)
    yield* awaitReady

    const currentView = Effect.gen(function* () {
      for (const n of running()) {
        const out = yield* Effect.result(n.cli("CLUSTER", "NODES"))
        if (out._tag === "Success") return parseNodes(out.success)
      }
      return yield* new RedisClusterError({ reason: "NotReady", message: "no cluster node is running" })
    })

    const nodeOf = (id: string) =>
      Effect.suspend(() => {
        const node = byId.get(id)
        return node === undefined ? Effect.fail(commandFailed(`unknown node ${id}`)) : Effect.succeed(node)
      })

    const checkSlot = (slot: number) =>
      Number.isInteger(slot) && slot >= 0 && slot < SLOTS
        ? Effect.void
        : Effect.fail(
            new RedisClusterError({ reason: "BadArgument", message: `slot ${slot} is not in 0…${SLOTS - 1}` })
          )

    const primaryOf = (slot: number) =>
      Effect.gen(function* () {
        yield* checkSlot(slot)
        const owner = ownerIn(yield* currentView, slot)
        if (owner === undefined) return yield* commandFailed(`slot ${slot} is not served`)
        return yield* nodeOf(owner.id)
      })

    const slots = Effect.gen(function* () {
      const ranges: Array<SlotRange> = []
      for (const e of yield* currentView) {
        if (!e.flags.includes("master")) continue
        const primary = yield* nodeOf(e.id)
        for (const [start, end] of e.slots) ranges.push({ start, end, primary })
      }
      return ranges.sort((a, b) => a.start - b.start)
    })

    const startMigration = (slot: number, to: ClusterNode) =>
      Effect.gen(function* () {
        const from = yield* primaryOf(slot)
        if (from.id === to.id)
          return yield* new RedisClusterError({ reason: "BadArgument", message: `slot ${slot} is already on ${to.id}` })
        if ((yield* to.role) !== "primary")
          return yield* new RedisClusterError({ reason: "BadArgument", message: `${to.id} is not a primary` })
        yield* ok(to, "CLUSTER", "SETSLOT", String(slot), "IMPORTING", from.id)
        yield* ok(from, "CLUSTER", "SETSLOT", String(slot), "MIGRATING", to.id)
        const moveKeys = (count = Number.POSITIVE_INFINITY) =>
          Effect.gen(function* () {
            let moved = 0
            while (moved < count) {
              const batch = String(Math.min(100, count - moved))
              const keys = (yield* from.cli("CLUSTER", "GETKEYSINSLOT", String(slot), batch))
                .split("\n")
                .filter((k) => k.length > 0)
              if (keys.length === 0) break
              // with tls-cluster, MIGRATE dials the target with TLS
              const port = (to.tls ?? to.tcp).port
              const out = yield* from.cli("MIGRATE", "127.0.0.1", String(port), "", "0", "5000", "KEYS", ...keys)
              if (out !== "OK" && out !== "NOKEY") return yield* commandFailed(`MIGRATE of slot ${slot}: ${out}`)
              moved += keys.length
            }
            return moved
          })
        const finish = Effect.gen(function* () {
          yield* moveKeys()
          yield* ok(to, "CLUSTER", "SETSLOT", String(slot), "NODE", to.id)
          yield* ok(from, "CLUSTER", "SETSLOT", String(slot), "NODE", to.id)
          for (const e of yield* currentView) {
            if (!e.flags.includes("master") || e.id === to.id || e.id === from.id) continue
            const other = byId.get(e.id)
            if (other !== undefined && alive(other.server))
              yield* ok(other, "CLUSTER", "SETSLOT", String(slot), "NODE", to.id)
          }
          yield* awaitReady
        })
        const migration: SlotMigration = { slot, from, to, moveKeys, finish }
        return migration
      })

    const failover = (replica: ClusterNode) =>
      Effect.gen(function* () {
        if ((yield* replica.role) !== "replica")
          return yield* new RedisClusterError({ reason: "BadArgument", message: `${replica.id} is not a replica` })
        yield* ok(replica, "CLUSTER", "FAILOVER")
        yield* waitFor(
          `${replica.id} did not become a primary`,
          Effect.map(Effect.result(replica.role), (r) => r._tag === "Success" && r.success === "primary")
        )
        yield* awaitReady
      })

    const addPrimary = Effect.gen(function* () {
      // it stays a primary when it gives its last slot away (Redis 7 would make it a replica of the taker)
      const { server, busPort, tls } = yield* startNode(["cluster-allow-replica-migration no"])
      const node = yield* clusterNode(server, busPort, "primary", tls)
      const meet = running()[0]
      if (meet === undefined) return yield* commandFailed("no cluster node is running")
      yield* ok(meet, "CLUSTER", "MEET", "127.0.0.1", String(node.tcp.port), String(node.busPort))
      nodes.push(node)
      byId.set(node.id, node)
      yield* waitFor(
        `${node.id} did not join`,
        Effect.map(
          Effect.forEach(running(), (n) => n.cli("CLUSTER", "NODES")),
          (views) =>
            views.every((view) => {
              const entries = parseNodes(view)
              return (
                entries.some((e) => e.id === node.id) &&
                entries.length === running().length &&
                entries.every((e) => !e.flags.some((f) => BAD_FLAGS.includes(f)))
              )
            })
        )
      )
      yield* awaitReady
      return node
    })

    const cluster: RedisCluster = {
      nodes,
      primaries,
      replicas,
      replicasOf: (primary) => {
        const index = primaries.indexOf(primary)
        return index < 0 ? [] : replicas.filter((_, i) => i % primaryCount === index)
      },
      seeds: primaries.map((p) => p.tcp),
      tlsSeeds: primaries.flatMap((p) => (p.tls === undefined ? [] : [p.tls])),
      slotOf: keySlot,
      primaryOf,
      slots,
      startMigration,
      migrateSlot: (slot, to) => Effect.flatMap(startMigration(slot, to), (m) => m.finish),
      failover,
      awaitReady,
      addPrimary,
      cli: (...args) =>
        Effect.suspend(() => {
          const target = running()[0]
          return target === undefined
            ? Effect.fail(new RedisClusterError({ reason: "NotReady", message: "no cluster node is running" }))
            : redisCli(["-c", "-h", "127.0.0.1", "-p", String(target.tcp.port), ...args])
        })
    }
    return cluster
  })

/**
 * A cluster as a layer, shared by the tests of a block (build it with `excludeTestServices: true`: formation polls
 * on the real clock).
 *
 * @example
 * ```ts
 * import { layer } from "@effect/vitest"
 * import { RedisCluster } from "@fxredis/testing"
 *
 * layer(RedisCluster.layer({ primaries: 3 }), { excludeTestServices: true, timeout: "60 seconds" })("cluster", (it) => {
 *   // it.effect(…) tests share the cluster
 * })
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (
  options?: RedisClusterOptions
): Layer.Layer<RedisCluster, RedisClusterError | RedisServer.RedisServerError> =>
  Layer.effect(RedisCluster, make(options))
