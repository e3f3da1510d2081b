/**
 * The router of a Redis Cluster client (see `RedisCluster.ts`): the topology (slot table, nodes by announced
 * address, replicas), its refresh, MOVED/ASK and reads from replicas, behind the router interface of `router.ts`
 * (which `makeShape`, in Redis.ts, turns into the `Redis` service).
 *
 * @internal
 */
import { type CommandArg, isTransient, RespMap, type RespValue } from "@fxredis/protocol"
import { type Endpoint, type EndpointError, format, parseUrlResult, type Transport } from "@fxredis/transport"
import { Deferred, Duration, Effect, Exit, Metric, Schedule, Scope, Semaphore } from "effect"
import * as C from "../Command.ts"
import { isReadonly, lookup, slot as slotOfKey } from "../commands/Catalogue.ts"
import type { ClusterOptions, ClusterTls, NatMap, NatTarget, ReadFrom } from "../RedisCluster.ts"
import { SLOTS } from "../RedisCluster.ts"
import {
  CommandTimeoutError,
  ConnectionError,
  RedisConfigError,
  type RedisError,
  type ReplyError,
  ShardingError
} from "../RedisErrors.ts"
import { defaultReconnect, type ResolvedOptions, resolve } from "../RedisOptions.ts"
import { clusterRedirects, clusterRefreshes } from "../RedisTelemetry.ts"
import * as RedisConnection from "./connection.ts"
import { runBroadcast, runSplit } from "./fanout.ts"
import { routing } from "./keys.ts"
import * as Node from "./node.ts"
import { commandName } from "./pipeline.ts"
import type { Router } from "./router.ts"
import type * as Subscriber from "./subscriber.ts"
import type * as TransactionImpl from "./transaction.ts"

/** The cluster's `dedicated`: commands routed by slot to a dedicated connection per primary. @internal */
export interface DedicatedSet {
  readonly run: (command: C.Command<unknown>) => Effect.Effect<unknown, RedisError>
  /** closes every connection of the set; later commands fail with `ConnectionError` */
  readonly close: Effect.Effect<void>
}

/** An address as the cluster announces it. @internal */
export interface Announced {
  readonly host: string
  readonly port: number
}

/** A shard of the topology: its slot ranges, its primary and its usable replicas. @internal */
export interface ShardInfo {
  readonly slots: ReadonlyArray<readonly [number, number]>
  readonly primary: Announced
  readonly replicas: ReadonlyArray<Announced>
}

const decoder = new TextDecoder()
const text = (v: unknown): string =>
  typeof v === "string" ? v : v instanceof Uint8Array ? decoder.decode(v) : String(v)
const num = (v: unknown): number => (typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : Number(text(v)))

/** a RESP2 flat list of fields or a RESP3 map, as a Map by field name */
const fieldsOf = (v: RespValue): Map<string, RespValue> => {
  const fields = new Map<string, RespValue>()
  if (v instanceof RespMap) for (const [k, x] of v.entries) fields.set(text(k), x)
  else if (Array.isArray(v)) {
    const list = v as ReadonlyArray<RespValue>
    for (let i = 0; i + 1 < list.length; i += 2) fields.set(text(list[i]), list[i + 1])
  }
  return fields
}

const hostOf = (value: RespValue | undefined, fallback: string): string => {
  if (value === undefined || value === null) return fallback
  const host = text(value)
  return host === "" || host === "?" ? fallback : host
}

/** `CLUSTER SLOTS`' reply as shards (one per range); an empty host means the node that was asked. @internal */
export const parseSlots = (reply: RespValue, askedHost: string): Array<ShardInfo> => {
  const shards: Array<ShardInfo> = []
  if (!Array.isArray(reply)) return shards
  for (const entry of reply as ReadonlyArray<RespValue>) {
    if (!Array.isArray(entry) || entry.length < 3) continue
    const nodes: Array<Announced> = []
    for (const node of (entry as ReadonlyArray<RespValue>).slice(2)) {
      if (!Array.isArray(node) || node.length < 2) continue
      nodes.push({ host: hostOf(node[0], askedHost), port: num(node[1]) })
    }
    if (nodes.length === 0) continue
    shards.push({ slots: [[num(entry[0]), num(entry[1])]], primary: nodes[0], replicas: nodes.slice(1) })
  }
  return shards
}

/**
 * `CLUSTER SHARDS`' reply (Redis 7) as shards: shards without slots are left out, and so are replicas whose health
 * is `fail`/`failed`. Redis 7.0 reports a replica `loading` until its first replicated write: it is kept (a read it
 * answers `LOADING` goes to the primary). @internal
 */
export const parseShards = (reply: RespValue, askedHost: string, tls: boolean): Array<ShardInfo> => {
  const shards: Array<ShardInfo> = []
  if (!Array.isArray(reply)) return shards
  for (const entry of reply as ReadonlyArray<RespValue>) {
    const shard = fieldsOf(entry)
    const flat = shard.get("slots")
    const slots: Array<readonly [number, number]> = []
    if (Array.isArray(flat)) {
      const list = flat as ReadonlyArray<RespValue>
      for (let i = 0; i + 1 < list.length; i += 2) slots.push([num(list[i]), num(list[i + 1])])
    }
    if (slots.length === 0) continue
    let primary: Announced | undefined
    const replicas: Array<Announced> = []
    const nodes = shard.get("nodes")
    for (const item of Array.isArray(nodes) ? (nodes as ReadonlyArray<RespValue>) : []) {
      const node = fieldsOf(item)
      const port =
        tls && node.has("tls-port") ? num(node.get("tls-port")) : num(node.get("port") ?? node.get("tls-port"))
      const address = { host: hostOf(node.get("endpoint") ?? node.get("ip"), askedHost), port }
      const health = text(node.get("health") ?? "online")
      if (text(node.get("role")) === "master") primary = address
      else if (health !== "fail" && health !== "failed") replicas.push(address)
    }
    if (primary !== undefined) shards.push({ slots, primary, replicas })
  }
  return shards
}

/** `MOVED 3999 127.0.0.1:6381` / `ASK 3999 127.0.0.1:6381` @internal */
export const parseRedirect = (
  message: string
):
  | { readonly kind: "MOVED" | "ASK"; readonly slot: number; readonly host: string; readonly port: number }
  | undefined => {
  const match = /^(MOVED|ASK) (\d+) (.*):(\d+)\s*$/.exec(message)
  if (match === null) return undefined
  const host = match[3].replace(/^\[(.*)\]$/, "$1")
  return { kind: match[1] as "MOVED" | "ASK", slot: Number(match[2]), host, port: Number(match[4]) }
}

/** A server's `CROSSSLOT` reply as the client's own error for keys of several slots. @internal */
export const crossSlotError = (error: ReplyError): ShardingError =>
  new ShardingError({
    command: error.command ?? "?",
    shards: [],
    message: `${crossSlot} (the server said: ${error.message})`
  })

const isRedirect = (e: RedisError): boolean => e._tag === "ReplyError" && (e.code === "MOVED" || e.code === "ASK")

const keyOf = (arg: CommandArg): string | Uint8Array =>
  typeof arg === "string" || arg instanceof Uint8Array ? arg : String(arg)

/** a keyless command that may go to any one primary: it neither writes nor administers */
const anyNode = (args: ReadonlyArray<CommandArg>): boolean => {
  const spec = lookup(args)
  return (
    spec !== undefined &&
    !spec.flags.has("write") &&
    !spec.flags.has("admin") &&
    !spec.flags.has("pubsub") &&
    !spec.flags.has("blocking") &&
    !spec.flags.has("noscript")
  )
}

const crossSlot =
  "its keys live in different hash slots (Redis' CROSSSLOT): it was not sent; use a hash tag such as {user:1} to keep them in one slot"

const configError = (option: string, value: string, message: string) =>
  Effect.fail(new RedisConfigError({ option, value, message }))

const readFroms: ReadonlyArray<ReadFrom> = ["primary", "replica", "preferReplica"]

/** an endpoint with the cluster's `tls` option: TCP becomes TLS; a TLS endpoint keeps what it sets itself */
const withTls = (endpoint: Endpoint, settings: ClusterTls): Endpoint => {
  if (endpoint._tag === "Unix") return endpoint
  const own = Object.fromEntries(Object.entries(endpoint).filter(([, v]) => v !== undefined))
  return { ...settings, ...own, _tag: "Tls", host: endpoint.host, port: endpoint.port }
}

/**
 * Commands that set state of a connection without naming a key: on a cluster's dedicated set they apply to the
 * whole set (every open connection, and replayed on the ones opened later).
 */
const sessionCommands = new Set(["client|setname", "client|setinfo", "client|no-evict", "client|no-touch"])

const sessionName = (args: ReadonlyArray<CommandArg>): string => {
  const word = (arg: CommandArg | undefined) =>
    (typeof arg === "string" ? arg : arg instanceof Uint8Array ? decoder.decode(arg) : String(arg)).toLowerCase()
  return `${word(args[0])}|${word(args[1])}`
}

/** `host:port`, IPv6 in brackets: how an announced address is named (and looked up in `natMap`) */
const addressName = (host: string, port: number) => format({ _tag: "Tcp", host, port })

/** a NAT target as an endpoint; `template` gives TLS settings to a bare `host:port` */
const natEndpoint = (target: NatTarget, template: Endpoint): Endpoint | string => {
  const hostPort = (host: string, port: number): Endpoint =>
    template._tag === "Tls" ? { ...template, host, port } : { _tag: "Tcp", host, port }
  if (typeof target === "string") {
    if (target.includes("://")) {
      const parsed = parseUrlResult(target)
      return parsed._tag === "Success" ? parsed.success.endpoint : parsed.failure.message
    }
    const at = target.lastIndexOf(":")
    const port = Number(target.slice(at + 1))
    if (at <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) return `"${target}" is not host:port or a URL`
    return hostPort(target.slice(0, at).replace(/^\[(.*)\]$/, "$1"), port)
  }
  if (typeof target !== "object" || target === null) return "a target must be a string, an Endpoint or { host, port }"
  if ("_tag" in target) {
    if (target._tag === "Unix") return typeof target.path === "string" && target.path !== "" ? target : "an empty path"
    if (target._tag === "Tcp" || target._tag === "Tls") return target
  }
  const { host, port } = target as { readonly host?: unknown; readonly port?: unknown }
  if (typeof host !== "string" || host === "" || typeof port !== "number" || !Number.isInteger(port)) {
    return "a target must be a string, an Endpoint or { host, port }"
  }
  return hostPort(host, port)
}

/** A node of the topology, in a scope of its own (closed when it leaves the topology). */
interface Member {
  readonly key: string
  readonly node: Node.Node
  readonly scope: Scope.Closeable
  closed: boolean
}

/** The owner of a slot: its primary and the replicas reads may go to. */
interface Owner {
  readonly primary: Member
  readonly replicas: ReadonlyArray<Member>
  next: number
}

/** A subscription of the client, re-targeted when the topology changes. */
interface Listening {
  readonly kind: Subscriber.Kind
  readonly names: ReadonlyArray<string>
  readonly listener: (m: Subscriber.Message) => void
  readonly scope: Scope.Scope
  readonly registrations: Map<
    Member,
    { readonly names: string; readonly scope: Scope.Closeable; readonly live: Effect.Effect<void, RedisError> }
  >
}

const up = (member: Member) => member.node.connections.some((c) => c.isReady())

const movedMetric = Metric.withAttributes(clusterRedirects, { kind: "moved" })
const askMetric = Metric.withAttributes(clusterRedirects, { kind: "ask" })
const refreshOk = Metric.withAttributes(clusterRefreshes, { outcome: "ok" })
const refreshFailed = Metric.withAttributes(clusterRefreshes, { outcome: "failed" })

/**
 * Resolves the options and returns the router. Eager (`lazy: false`): reads the topology from the seeds and
 * connects to every primary before it returns. Lazy: returns at once; the topology is read in the background (retried
 * on `reconnect`), and commands wait for it up to `commandTimeout`.
 *
 * @internal
 */
export const make = (
  options: ClusterOptions,
  transport: Transport["Service"],
  lazy = false
): Effect.Effect<Router, ConnectionError | EndpointError | RedisConfigError, Scope.Scope> =>
  Effect.gen(function* () {
    if (typeof options !== "object" || options === null || !Array.isArray(options.seeds)) {
      return yield* configError("seeds", typeof options, "a cluster client needs seeds: a list of its nodes")
    }
    const {
      seeds,
      maxRedirects: givenMaxRedirects,
      readFrom: givenReadFrom,
      refresh: givenRefresh,
      natMap,
      tls: givenTls,
      ...rest
    } = options
    const maxRedirects = givenMaxRedirects ?? 5
    if (!Number.isInteger(maxRedirects) || maxRedirects < 0) {
      return yield* configError("maxRedirects", String(maxRedirects), "a whole number, 0 or more")
    }
    const readFrom = givenReadFrom ?? "primary"
    if (!readFroms.includes(readFrom)) {
      return yield* configError(
        "readFrom",
        String(readFrom),
        'readFrom must be "primary", "replica" or "preferReplica"'
      )
    }
    if (givenRefresh !== undefined && givenRefresh !== false && !Schedule.isSchedule(givenRefresh)) {
      return yield* configError("refresh", typeof givenRefresh, "refresh must be a Schedule or false")
    }
    if (natMap !== undefined && typeof natMap !== "function" && (typeof natMap !== "object" || natMap === null)) {
      return yield* configError("natMap", typeof natMap, "natMap must be a record of addresses or a function")
    }
    if (
      givenTls !== undefined &&
      typeof givenTls !== "boolean" &&
      (typeof givenTls !== "object" || givenTls === null)
    ) {
      return yield* configError(
        "tls",
        typeof givenTls,
        "tls must be true, false or TLS settings ({ ca, servername, … })"
      )
    }
    if ("endpoint" in rest || "endpoints" in rest) {
      return yield* configError("endpoints", "given", "a cluster client takes seeds, not endpoint or endpoints")
    }
    if (seeds.length === 0) return yield* configError("seeds", "[]", "a cluster client needs at least one seed")
    const given = yield* resolve({ ...rest, endpoints: seeds })
    const settings: ClusterTls | undefined =
      givenTls === true ? {} : givenTls === false || givenTls === undefined ? undefined : givenTls
    const resolved: ReadonlyArray<ResolvedOptions> =
      settings === undefined
        ? given
        : given.map((r) => {
            const endpoint = withTls(r.endpoint, settings)
            return { ...r, endpoint, name: format(endpoint) }
          })
    if (settings === undefined) {
      const secure = resolved.filter((r) => r.endpoint._tag === "Tls")
      if (secure.length > 0 && secure.length < resolved.length) {
        return yield* configError(
          "seeds",
          resolved.map((r) => r.name).join(","),
          "some seeds are TLS and some are not: a cluster's nodes are all dialled one way (give tls to choose)"
        )
      }
    }
    for (const r of resolved) {
      if (r.database !== 0) {
        return yield* configError("database", String(r.database), "a Redis Cluster has one database: it must be 0")
      }
      if (r.endpoint._tag === "Unix") {
        return yield* configError(
          "seeds",
          r.name,
          "cluster nodes announce TCP addresses: give the seeds as TCP/TLS endpoints or redis:// URLs"
        )
      }
    }
    const template: ResolvedOptions = resolved[0]
    const tls = template.endpoint._tag === "Tls"
    // a record is checked now, a function when it is used
    if (natMap !== undefined && typeof natMap !== "function") {
      for (const [from, to] of Object.entries(natMap)) {
        const endpoint = natEndpoint(to, template.endpoint)
        if (typeof endpoint === "string") return yield* configError("natMap", from, endpoint)
      }
    }
    const clientScope = yield* Effect.scope
    const lock = yield* Semaphore.make(1)
    // the cluster retries (after routing again); its nodes do not
    const retry = template.retry as Schedule.Schedule<unknown, RedisError> | undefined
    const nodeOptions = (endpoint: Endpoint): ResolvedOptions => ({
      ...template,
      endpoint,
      name: format(endpoint),
      retry: undefined,
      readOnly: readFrom !== "primary"
    })

    const members = new Map<string, Member>()
    const table: Array<Owner | undefined> = new Array(SLOTS).fill(undefined)
    /** the primaries that own slots, in slot order, mutated in place (SCAN and `endpoints` read it) */
    const primaries: Array<Node.Node> = []
    const listenings = new Set<Listening>()
    /** the topology is known (at once when eager; when the background read succeeds when lazy) */
    const known = Deferred.makeUnsafe<void>()
    let lastFailure: RedisError | undefined

    const refuse = (args: ReadonlyArray<CommandArg>, shards: ReadonlyArray<string>, message: string) =>
      Effect.fail(new ShardingError({ command: commandName(args[0]), shards: [...shards], message }))

    /** where to dial an announced address (through `natMap`) */
    const dialFor = (host: string, port: number): Endpoint | string => {
      const name = addressName(host, port)
      const mapped: NatTarget | undefined =
        natMap === undefined
          ? undefined
          : typeof natMap === "function"
            ? (natMap as (a: string) => NatTarget | undefined)(name)
            : (natMap as Exclude<NatMap, Function>)[name]
      if (mapped === undefined) {
        return tls ? { ...(template.endpoint as Endpoint & { _tag: "Tls" }), host, port } : { _tag: "Tcp", host, port }
      }
      return natEndpoint(mapped, template.endpoint)
    }

    /** the member at an announced address, created (and connecting: eagerly, or in the background) if new */
    const memberAt = (address: Announced, eager: boolean): Effect.Effect<Member, ConnectionError | ShardingError> =>
      Effect.suspend((): Effect.Effect<Member, ConnectionError | ShardingError> => {
        const key = addressName(address.host, address.port)
        const known = members.get(key)
        if (known !== undefined) return Effect.succeed(known)
        const endpoint = dialFor(address.host, address.port)
        if (typeof endpoint === "string") {
          return Effect.fail(
            new ShardingError({
              command: "CLUSTER",
              shards: [key],
              message: `natMap gave no usable address for ${key}: ${endpoint}`
            })
          )
        }
        return lock.withPermit(
          Effect.suspend((): Effect.Effect<Member, ConnectionError> => {
            const again = members.get(key)
            if (again !== undefined) return Effect.succeed(again)
            return Effect.gen(function* () {
              const scope = yield* Scope.fork(clientScope)
              const node = yield* Node.make(nodeOptions(endpoint), transport, !eager).pipe(
                Scope.provide(scope),
                Effect.onError(() => Scope.close(scope, Exit.void))
              )
              const member: Member = { key, node, scope, closed: false }
              members.set(key, member)
              return member
            })
          })
        )
      })

    /** the topology as one node sees it: `CLUSTER SHARDS`, or `CLUSTER SLOTS` where that is unknown */
    let shardsUnsupported = false
    const ask = (
      run: (command: C.Command<unknown>) => Effect.Effect<unknown, RedisError>,
      askedHost: string
    ): Effect.Effect<Array<ShardInfo>, RedisError> => {
      const slots = Effect.map(run(C.make(["CLUSTER", "SLOTS"], C.raw)), (r) => parseSlots(r as RespValue, askedHost))
      if (shardsUnsupported) return slots
      return run(C.make(["CLUSTER", "SHARDS"], C.raw)).pipe(
        Effect.map((r) => parseShards(r as RespValue, askedHost, tls)),
        Effect.catchIf(
          (e): e is ReplyError => e._tag === "ReplyError",
          () => Effect.tap(slots, () => Effect.sync(() => (shardsUnsupported = true)))
        )
      )
    }

    /** asks a seed on a connection of its own, closed at once */
    const askSeed = (endpoint: Endpoint): Effect.Effect<Array<ShardInfo>, RedisError> =>
      Effect.scoped(
        Effect.gen(function* () {
          const connection = yield* RedisConnection.make(
            { ...nodeOptions(endpoint), readOnly: false, reconnect: undefined, reconnectExplicit: false, poolSize: 1 },
            transport,
            { lazy: false }
          )
          return yield* ask(
            (command) => connection.run(command.args, command.transform),
            endpoint._tag === "Unix" ? "127.0.0.1" : endpoint.host
          )
        })
      )

    /** the first answer: connected members (primaries first), then the seeds, in turn */
    const topology: Effect.Effect<Array<ShardInfo>, RedisError> = Effect.suspend(() => {
      const connected = [...members.values()]
        .filter(up)
        .sort((a, b) => Number(primaries.includes(b.node)) - Number(primaries.includes(a.node)))
      const attempts: Array<Effect.Effect<Array<ShardInfo>, RedisError>> = [
        ...connected.map((m) => ask(m.node.run, m.key.slice(0, m.key.lastIndexOf(":")).replace(/^\[(.*)\]$/, "$1"))),
        ...resolved.map((r) => askSeed(r.endpoint))
      ]
      const attempt = (i: number, last: RedisError | undefined): Effect.Effect<Array<ShardInfo>, RedisError> =>
        i >= attempts.length
          ? Effect.fail(
              last ??
                new ShardingError({ command: "CLUSTER", shards: [], message: "no node gave the cluster's topology" })
            )
          : Effect.flatMap(Effect.result(attempts[i]), (result) =>
              result._tag === "Success" && result.success.length > 0
                ? Effect.succeed(result.success)
                : attempt(i + 1, result._tag === "Failure" ? result.failure : last)
            )
      return attempt(0, undefined)
    })

    /** keeps each subscription on the nodes that now serve its names */
    const retarget = (listening: Listening): Effect.Effect<void> =>
      Effect.gen(function* () {
        const groups = new Map<Member, Array<string>>()
        // channels and patterns: any one primary (PUBLISH crosses the bus); keep the current one while it serves
        const current = [...listening.registrations.keys()].find((m) => !m.closed && primaries.includes(m.node))
        for (const name of listening.names) {
          const member =
            listening.kind === "shard"
              ? table[slotOfKey(name)]?.primary
              : (current ?? table.find((o) => o !== undefined)?.primary)
          if (member === undefined) continue
          const group = groups.get(member) ?? []
          group.push(name)
          groups.set(member, group)
        }
        for (const [member, registration] of listening.registrations) {
          const names = groups.get(member)
          if (names === undefined || names.join("\n") !== registration.names || member.closed) {
            listening.registrations.delete(member)
            yield* Scope.close(registration.scope, Exit.void)
          }
        }
        for (const [member, names] of groups) {
          if (listening.registrations.has(member)) continue
          const scope = yield* Scope.fork(listening.scope)
          const live = yield* member.node.subscriber
            .listen(listening.kind, names, listening.listener)
            .pipe(Scope.provide(scope))
          listening.registrations.set(member, { names: names.join("\n"), scope, live })
        }
      })

    /** installs a topology: nodes for new addresses, the slot table, closes the nodes that left, moves subscriptions */
    const apply = (
      shards: ReadonlyArray<ShardInfo>,
      eager: boolean
    ): Effect.Effect<void, ConnectionError | ShardingError> =>
      Effect.gen(function* () {
        const next: Array<Owner | undefined> = new Array(SLOTS).fill(undefined)
        const inUse = new Set<Member>()
        for (const shard of shards) {
          const primary = yield* memberAt(shard.primary, eager)
          const replicas: Array<Member> = []
          if (readFrom !== "primary") {
            for (const address of shard.replicas) {
              const replica = yield* Effect.result(memberAt(address, false))
              if (replica._tag === "Success") replicas.push(replica.success)
            }
          }
          inUse.add(primary)
          for (const r of replicas) inUse.add(r)
          const owner: Owner = { primary, replicas, next: 0 }
          for (const [start, end] of shard.slots) {
            for (let s = Math.max(0, start); s <= end && s < SLOTS; s++) next[s] = owner
          }
        }
        for (let s = 0; s < SLOTS; s++) table[s] = next[s]
        const owners: Array<Node.Node> = []
        for (const owner of next)
          if (owner !== undefined && !owners.includes(owner.primary.node)) owners.push(owner.primary.node)
        primaries.splice(0, primaries.length, ...owners)
        for (const member of [...members.values()]) {
          if (inUse.has(member)) continue
          // left the topology: commands queued on it fail unsent (and are routed again), in flight fail sent
          member.closed = true
          members.delete(member.key)
          yield* Scope.close(member.scope, Exit.void)
        }
        for (const listening of listenings) yield* retarget(listening)
      })

    // ---- refresh: one at a time; while a primary is unreachable, again at 100 ms doubling to 1 s
    let inFlight: Deferred.Deferred<void> | undefined
    let followUp = false
    let downStreak = 0
    const refreshOnce = topology.pipe(
      Effect.flatMap((shards) => apply(shards, false)),
      Effect.tap(() => Effect.andThen(Metric.update(refreshOk, 1), Deferred.succeed(known, undefined))),
      Effect.tapError((e) =>
        Effect.andThen(
          Effect.sync(() => {
            lastFailure = e
          }),
          Metric.update(refreshFailed, 1)
        )
      )
    )
    const refresh: Effect.Effect<void> = Effect.suspend(() => {
      if (inFlight !== undefined) return Deferred.await(inFlight)
      const done = Deferred.makeUnsafe<void>()
      inFlight = done
      const afterwards = Effect.suspend(() => {
        inFlight = undefined
        Deferred.doneUnsafe(done, Exit.void)
        const down = primaries.length > 0 && primaries.some((n) => !n.connections.some((c) => c.isReady()))
        if (!down) {
          downStreak = 0
          return Effect.void
        }
        if (followUp) return Effect.void
        followUp = true
        const delay = Math.min(1000, 100 * 2 ** downStreak++)
        return Effect.forkIn(
          Effect.sleep(Duration.millis(delay)).pipe(
            Effect.andThen(
              Effect.sync(() => {
                followUp = false
              })
            ),
            Effect.andThen(Effect.suspend(() => refresh))
          ),
          clientScope
        ).pipe(Effect.asVoid)
      })
      return Effect.forkIn(refreshOnce.pipe(Effect.ignore, Effect.ensuring(afterwards)), clientScope).pipe(
        Effect.andThen(Deferred.await(done))
      )
    })
    /** starts a refresh unless one runs; does not wait for it */
    const requestRefresh: Effect.Effect<void> = Effect.suspend(() =>
      inFlight !== undefined ? Effect.void : Effect.asVoid(Effect.forkIn(refresh, clientScope))
    )

    // ---- the first topology
    if (lazy) {
      const policy = (template.reconnect ?? defaultReconnect) as Schedule.Schedule<unknown, RedisError>
      yield* Effect.forkIn(
        refreshOnce.pipe(
          Effect.retry({ schedule: policy }),
          Effect.catch(() => Effect.void)
        ),
        clientScope
      )
    } else {
      const first = yield* topology.pipe(
        Effect.mapError((e): ConnectionError | RedisConfigError =>
          e._tag === "ConnectionError"
            ? e
            : new RedisConfigError({
                option: "seeds",
                value: resolved.map((r) => r.name).join(","),
                message: `no seed gave the cluster's topology: ${e.message}`
              })
        )
      )
      yield* apply(first, true).pipe(
        Effect.catchTag("ShardingError", (e) =>
          Effect.fail(new RedisConfigError({ option: "natMap", value: e.shards.join(","), message: e.message }))
        )
      )
      yield* Deferred.succeed(known, undefined)
    }
    const periodic = givenRefresh === undefined ? Schedule.spaced("30 seconds") : givenRefresh
    if (periodic !== false) yield* Effect.forkIn(Effect.schedule(refresh, periodic), clientScope)

    /** waits (up to `commandTimeout`) for the first topology of a lazy client */
    const timeoutMs = template.commandTimeout
    const awaitKnown = (args: ReadonlyArray<CommandArg>): Effect.Effect<void, RedisError> => {
      const wait = Deferred.await(known)
      if (timeoutMs === Infinity) return wait
      return Effect.timeoutOrElse(wait, {
        duration: Duration.millis(timeoutMs),
        orElse: () =>
          Effect.fail(
            new CommandTimeoutError({
              command: commandName(args[0]),
              timeout: timeoutMs,
              sent: false,
              message: `no node of the cluster gave its topology within ${timeoutMs} ms${lastFailure === undefined ? "" : `: ${lastFailure.message}`}`,
              cause: lastFailure
            })
          )
      })
    }
    const whenKnown = <A>(args: ReadonlyArray<CommandArg>, body: () => Effect.Effect<A, RedisError>) =>
      Deferred.isDoneUnsafe(known) ? body() : Effect.flatMap(awaitKnown(args), body)

    const unserved = (args: ReadonlyArray<CommandArg>, slot: number) =>
      refuse(args, [], `hash slot ${slot} is not served by any node the client knows`)

    /** the member a command of this slot goes to */
    const pick = (owner: Owner, readonly: boolean): Member => {
      if (!readonly || readFrom === "primary" || owner.replicas.length === 0) return owner.primary
      const n = owner.replicas.length
      for (let i = 0; i < n; i++) {
        const candidate = owner.replicas[(owner.next + i) % n]
        if (up(candidate)) {
          owner.next = (owner.next + i + 1) % n
          return candidate
        }
      }
      if (readFrom === "preferReplica") return owner.primary
      const candidate = owner.replicas[owner.next % n]
      owner.next = (owner.next + 1) % n
      return candidate
    }

    /** after a MOVED: the slot's owner at once (a refresh is requested too) */
    const learnMoved = (slot: number, target: Member) => {
      table[slot] = { primary: target, replicas: [], next: 0 }
      if (!primaries.includes(target.node)) primaries.push(target.node)
    }

    const isLoading = (e: RedisError) => e._tag === "ReplyError" && e.code === "LOADING"

    /** runs a command on a member, following redirects and re-routing off members that left (`hops` so far) */
    const attempt = (
      member: Member,
      owner: Owner | undefined,
      slot: number,
      command: C.Command<unknown>,
      readonly: boolean,
      hops: number
    ): Effect.Effect<unknown, RedisError> => {
      const sent =
        owner !== undefined && member !== owner.primary
          ? // a replica still loading its data: the primary answers instead
            Effect.catchIf(member.node.run(command), isLoading, () => owner.primary.node.run(command))
          : member.node.run(command)
      const handled = Effect.catch(sent, (error) => handle(error, member, slot, command, readonly, hops))
      // a node that is not connected: the topology may have changed (a failover); it is read again meanwhile
      return up(member) ? handled : Effect.andThen(requestRefresh, handled)
    }

    const handle = (
      error: RedisError,
      member: Member,
      slot: number,
      command: C.Command<unknown>,
      readonly: boolean,
      hops: number
    ): Effect.Effect<unknown, RedisError> => {
      if (error._tag === "ReplyError" && isRedirect(error)) {
        const to = parseRedirect(error.message)
        if (to === undefined) return Effect.fail(error)
        if (hops >= maxRedirects) {
          return refuse(
            command.args,
            [addressName(to.host, to.port)],
            `gave up after ${maxRedirects} redirects (last: ${error.message}); the cluster's topology keeps changing`
          )
        }
        return Effect.flatMap(memberAt(to, false), (target) => {
          if (to.kind === "MOVED") {
            learnMoved(to.slot, target)
            return Effect.andThen(
              Effect.andThen(Metric.update(movedMetric, 1), requestRefresh),
              attempt(target, undefined, to.slot, command, readonly, hops + 1)
            )
          }
          // ASK: this command only, on the target, right after ASKING, in one write on one connection
          const asked = Effect.flatMap(
            target.node.connections[0].runBatch([C.make(["ASKING"], C.ok), command]),
            (exits) => exits[1]
          )
          return Effect.andThen(
            Metric.update(askMetric, 1),
            Effect.catch(asked, (e) => handle(e, target, slot, command, readonly, hops + 1))
          )
        })
      }
      if (error._tag === "ReplyError") {
        if (error.code === "CROSSSLOT") return Effect.fail(crossSlotError(error))
        if (error.code === "CLUSTERDOWN") return Effect.andThen(requestRefresh, Effect.fail(error))
        return Effect.fail(error)
      }
      if (error._tag === "ConnectionError") {
        // queued on a node that left the topology and never sent: route it again
        if (!error.sent && member.closed && hops < maxRedirects) {
          return routeTo(slot, command, readonly, hops + 1)
        }
        return Effect.andThen(requestRefresh, Effect.fail(error))
      }
      return Effect.fail(error)
    }

    const routeTo = (
      slot: number,
      command: C.Command<unknown>,
      readonly: boolean,
      hops: number
    ): Effect.Effect<unknown, RedisError> =>
      whenKnown(command.args, () => {
        const owner = table[slot]
        if (owner === undefined) return unserved(command.args, slot)
        return attempt(pick(owner, readonly), owner, slot, command, readonly, hops)
      })

    const slotAt = (args: ReadonlyArray<CommandArg>, i: number) => slotOfKey(keyOf(args[i]))

    /** the one slot of a command's keys, or its refusal (`ShardingError`) when they span slots */
    const slotOfKeys = (
      args: ReadonlyArray<CommandArg>,
      indexes: ReadonlyArray<number>
    ): number | Effect.Effect<never, ShardingError> => {
      const slot = slotAt(args, indexes[0])
      for (let i = 1; i < indexes.length; i++) {
        if (slotAt(args, indexes[i]) !== slot) {
          return refuse(
            args,
            [...new Set(indexes.map((j) => table[slotAt(args, j)]?.primary.node.name ?? "?"))],
            crossSlot
          )
        }
      }
      return slot
    }

    const route = (command: C.Command<unknown>): Effect.Effect<unknown, RedisError> => {
      const args = command.args
      const routed = routing(args)
      switch (routed._tag) {
        case "Keys": {
          const slot = slotOfKeys(args, routed.indexes)
          if (typeof slot !== "number") return slot
          return routeTo(slot, command, isReadonly(args), 0)
        }
        case "Split": {
          const readonly = isReadonly(args)
          return runSplit(
            command,
            routed,
            (i) => slotAt(args, i),
            (slot, part) => routeTo(slot, part, readonly, 0)
          )
        }
        case "Broadcast":
          return whenKnown(args, () =>
            runBroadcast(command, routed, [...primaries], (node, c) =>
              Effect.tapError(node.run(c), (e) => (e._tag === "ConnectionError" ? requestRefresh : Effect.void))
            )
          )
        case "Refused":
          if (routed.reason === "Keyless" && anyNode(args)) {
            return whenKnown(args, () =>
              primaries.length > 0 ? primaries[0].run(command) : refuse(args, [], "the cluster client knows no primary")
            )
          }
          return refuse(
            args,
            primaries.map((n) => n.name),
            routed.message
          )
      }
    }

    // transient errors (TRYAGAIN, CLUSTERDOWN, …) retried on `retry`, routed again each time: readonly commands only,
    // unless `retryWrites` (a write may have been applied before the error)
    const run =
      retry === undefined
        ? route
        : (command: C.Command<unknown>) =>
            template.retryWrites || isReadonly(command.args)
              ? Effect.retry(route(command), {
                  schedule: retry,
                  while: (error: RedisError) => error._tag === "ReplyError" && isTransient(error.code)
                })
              : route(command)

    const select = (
      commands: ReadonlyArray<C.Command<unknown>>
    ): Effect.Effect<TransactionImpl.Selection, RedisError> =>
      whenKnown(commands[0]?.args ?? ["MULTI"], (): Effect.Effect<TransactionImpl.Selection, RedisError> => {
        let slot: number | undefined
        const names = primaries.map((n) => n.name)
        for (const command of commands) {
          const args = command.args
          const routed = routing(args)
          const positions: Array<number> = []
          switch (routed._tag) {
            case "Keys":
              positions.push(...routed.indexes)
              break
            case "Split":
              for (let i = 1; i < args.length; i += routed.step) positions.push(i)
              break
            case "Broadcast":
              if (routed.combine !== "first") {
                return refuse(
                  args,
                  names,
                  "in a transaction it would reach one primary only, but it is meant for every one"
                )
              }
              break
            case "Refused":
              if (!(routed.reason === "Keyless" && anyNode(args))) return refuse(args, names, routed.message)
          }
          for (const i of positions) {
            const s = slotAt(args, i)
            if (slot === undefined) slot = s
            else if (s !== slot) {
              return refuse(args, [`slot ${slot}`, `slot ${s}`], `a transaction runs in one hash slot: ${crossSlot}`)
            }
          }
        }
        if (slot === undefined) {
          return primaries.length === 0
            ? refuse([], [], "the cluster client knows no primary")
            : Effect.succeed({ id: undefined, pin: primaries[0].pin })
        }
        const owner = table[slot]
        return owner === undefined
          ? unserved(commands[0]?.args ?? [], slot)
          : Effect.succeed({ id: `slot ${slot}`, pin: owner.primary.node.pin })
      })

    // PUBLISH reaches every node of a cluster: channels and patterns listen on one primary; a shard channel on its
    // slot's primary. Each subscription follows the topology (see `retarget`).
    const listen: Subscriber.Subscriber["listen"] = (kind, names, listener) =>
      Effect.gen(function* () {
        const scope = yield* Effect.scope
        const listening: Listening = { kind, names, listener, scope, registrations: new Map() }
        yield* Effect.addFinalizer(() => Effect.sync(() => listenings.delete(listening)))
        listenings.add(listening)
        if (Deferred.isDoneUnsafe(known)) yield* retarget(listening)
        return Effect.suspend(() =>
          Effect.andThen(
            awaitKnown(["SUBSCRIBE"]),
            Effect.suspend(() =>
              Effect.all(
                [...listening.registrations.values()].map((r) => r.live),
                { concurrency: "unbounded", discard: true }
              )
            )
          )
        )
      })

    // ---- dedicated sets: a dedicated connection per primary, opened on first use, routed by slot like `route`
    const dedicated: Effect.Effect<DedicatedSet, RedisError> = Effect.sync((): DedicatedSet => {
      const links = new Map<Member, Deferred.Deferred<Node.Dedicated, RedisError>>()
      /** CLIENT SETNAME and friends given to the set: replayed on each connection it opens */
      const session: Array<C.Command<unknown>> = []
      let closed = false
      const closedError = (member: Member) =>
        new ConnectionError({
          endpoint: member.node.name,
          reason: "Closed",
          message: "the dedicated connection was closed",
          sent: false
        })

      /** the set's connection to a member; opened (and given the session's state) by the first command needing it */
      const linkOf = (member: Member): Effect.Effect<Node.Dedicated, RedisError> =>
        Effect.suspend(() => {
          if (closed) return Effect.fail(closedError(member))
          const opening = links.get(member)
          if (opening !== undefined) return Deferred.await(opening)
          const ready = Deferred.makeUnsafe<Node.Dedicated, RedisError>()
          links.set(member, ready)
          const open = Effect.gen(function* () {
            const link = yield* member.node.dedicated
            const replayed = yield* Effect.exit(Effect.forEach(session.slice(), link.run, { discard: true }))
            if (replayed._tag === "Failure" || closed) {
              yield* link.close
              return yield* replayed._tag === "Failure" ? Effect.failCause(replayed.cause) : closedError(member)
            }
            return link
          })
          // opened in the client's scope, so that interrupting the first caller leaves no one waiting for ever
          const settle = Effect.flatMap(Effect.exit(open), (exit) =>
            Effect.sync(() => {
              if (exit._tag === "Failure" && links.get(member) === ready) links.delete(member) // tried again later
              Deferred.doneUnsafe(ready, exit)
            })
          )
          return Effect.andThen(Effect.forkIn(settle, clientScope), Deferred.await(ready))
        })

      /** a redirect is not followed on a dedicated connection: the command did not run; after MOVED the slot is re-routed */
      const unfollowed = (error: RedisError, command: C.Command<unknown>): Effect.Effect<never, RedisError> => {
        if (error._tag !== "ReplyError") return Effect.fail(error)
        if (error.code === "CROSSSLOT") return Effect.fail(crossSlotError(error))
        const to = isRedirect(error) ? parseRedirect(error.message) : undefined
        if (to === undefined) return Effect.fail(error)
        const learn =
          to.kind === "MOVED"
            ? Effect.ignore(
                Effect.flatMap(memberAt(to, false), (target) =>
                  Effect.andThen(
                    Effect.sync(() => learnMoved(to.slot, target)),
                    requestRefresh
                  )
                )
              )
            : Effect.void
        return Effect.andThen(
          learn,
          refuse(
            command.args,
            [addressName(to.host, to.port)],
            `a dedicated connection does not follow redirects: the server answered ${error.message}; the command did not run`
          )
        )
      }

      const runOn = (member: Member, command: C.Command<unknown>): Effect.Effect<unknown, RedisError> =>
        Effect.catch(
          Effect.flatMap(linkOf(member), (link) => link.run(command)),
          (error) => unfollowed(error, command)
        )
      const bySlot = (slot: number, command: C.Command<unknown>) => {
        const owner = table[slot]
        return owner === undefined ? unserved(command.args, slot) : runOn(owner.primary, command)
      }
      const primaryMembers = () => [...members.values()].filter((m) => !m.closed && primaries.includes(m.node))

      /** a session command: on every open connection of the set (at least one), and on those opened later */
      const applySession = (command: C.Command<unknown>) =>
        Effect.suspend(() => {
          session.push(command)
          const open = [...links.keys()]
          const targets = open.length > 0 ? open : primaryMembers().slice(0, 1)
          return Effect.map(
            Effect.forEach(targets, (m) => runOn(m, command), { concurrency: "unbounded" }),
            (replies) => replies[0]
          ).pipe(
            Effect.tapError(() =>
              Effect.sync(() => {
                const at = session.indexOf(command)
                if (at >= 0) session.splice(at, 1)
              })
            )
          )
        })

      const routeDedicated = (command: C.Command<unknown>): Effect.Effect<unknown, RedisError> => {
        const args = command.args
        const routed = routing(args)
        switch (routed._tag) {
          case "Keys": {
            const slot = slotOfKeys(args, routed.indexes)
            if (typeof slot !== "number") return slot
            return bySlot(slot, command)
          }
          case "Split":
            return runSplit(
              command,
              routed,
              (i) => slotAt(args, i),
              (slot, part) => bySlot(slot, part)
            )
          case "Broadcast":
            return runBroadcast(command, routed, primaryMembers(), runOn)
          case "Refused": {
            if (routed.reason === "Keyless" && sessionCommands.has(sessionName(args))) return applySession(command)
            const first = primaryMembers()[0]
            if (routed.reason === "Keyless" && anyNode(args) && first !== undefined) return runOn(first, command)
            return refuse(
              args,
              primaries.map((n) => n.name),
              routed.reason === "Keyless"
                ? `${routed.message}; a cluster's dedicated connection is one connection per primary, so a connection command without a key has no one connection to go to`
                : routed.message
            )
          }
        }
      }

      return {
        run: (command) => whenKnown(command.args, () => routeDedicated(command)),
        close: Effect.suspend(() => {
          closed = true
          const opened = [...links.values()]
          links.clear()
          return Effect.forEach(
            opened,
            (ready) =>
              Effect.flatMap(Effect.exit(Deferred.await(ready)), (exit) =>
                exit._tag === "Success" ? exit.value.close : Effect.void
              ),
            { discard: true }
          )
        })
      }
    })

    return {
      run,
      nodes: primaries,
      shardOf: (key) => table[slotOfKey(key)]?.primary.node.name ?? "unassigned",
      listen,
      select,
      dedicated
    }
  })
