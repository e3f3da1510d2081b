/**
 * The router of a Redis Cluster client (see `RedisCluster.ts`): the slot table, nodes by address, MOVED/ASK, and
 * the parts `makeShape` (Redis.ts) assembles into the `Redis` service.
 *
 * @internal
 */
import type { CommandArg, RespValue } from "@fxredis/protocol"
import { type Endpoint, type EndpointError, format, type Transport } from "@fxredis/transport"
import { Effect, Scope, Semaphore } from "effect"
import * as C from "../Command.ts"
import { lookup, slot as slotOfKey } from "../commands/Catalogue.ts"
import type { ClusterOptions } from "../RedisCluster.ts"
import { SLOTS } from "../RedisCluster.ts"
import {
  type ConnectionError,
  RedisConfigError,
  type RedisError,
  type ReplyError,
  ShardingError
} from "../RedisErrors.ts"
import { type ResolvedOptions, resolve } from "../RedisOptions.ts"
import * as RedisConnection from "./connection.ts"
import { listenGrouped, runBroadcast, runSplit } from "./fanout.ts"
import { routing } from "./keys.ts"
import * as Node from "./node.ts"
import { commandName } from "./pipeline.ts"
import type * as Subscriber from "./subscriber.ts"
import type * as TransactionImpl from "./transaction.ts"

/** What `makeShape` needs (its parameter, structurally). @internal */
export interface Parts {
  readonly run: (command: C.Command<unknown>) => Effect.Effect<unknown, RedisError>
  readonly nodes: ReadonlyArray<Node.Node>
  readonly shardOf: (key: string) => string
  readonly listen: Subscriber.Subscriber["listen"]
  readonly select: (commands: ReadonlyArray<C.Command<unknown>>) => Effect.Effect<TransactionImpl.Selection, RedisError>
  readonly prefix: string
  /** a cluster client has no dedicated connections yet: this fails with `ShardingError` */
  readonly dedicatedUnsupported: ShardingError
}

/** A slot range and its primary's address, from `CLUSTER SLOTS`. @internal */
export interface Range {
  readonly start: number
  readonly end: number
  readonly host: string
  readonly port: number
}

const decoder = new TextDecoder()
const text = (v: unknown): string =>
  typeof v === "string" ? v : v instanceof Uint8Array ? decoder.decode(v) : String(v)
const num = (v: unknown): number => (typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : Number(text(v)))

/** `CLUSTER SLOTS`' reply as ranges; an empty host means the node that was asked. @internal */
export const parseSlots = (reply: RespValue, askedHost: string): Array<Range> => {
  const ranges: Array<Range> = []
  if (!Array.isArray(reply)) return ranges
  for (const entry of reply as ReadonlyArray<RespValue>) {
    if (!Array.isArray(entry) || entry.length < 3) continue
    const primary = entry[2]
    if (!Array.isArray(primary) || primary.length < 2) continue
    const host = text(primary[0])
    ranges.push({
      start: num(entry[0]),
      end: num(entry[1]),
      host: host === "" || host === "?" ? askedHost : host,
      port: num(primary[1])
    })
  }
  return ranges
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

const isRedirect = (e: RedisError): e is ReplyError =>
  e._tag === "ReplyError" && (e.code === "MOVED" || e.code === "ASK")

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

/**
 * Resolves the options, reads the slot map from the seeds, creates a node per primary (eagerly) and returns the
 * router's parts.
 *
 * @internal
 */
export const make = (
  options: ClusterOptions,
  transport: Transport["Service"]
): Effect.Effect<Parts, ConnectionError | EndpointError | RedisConfigError, Scope.Scope> =>
  Effect.gen(function* () {
    if (typeof options !== "object" || options === null || !Array.isArray(options.seeds)) {
      return yield* configError("seeds", typeof options, "a cluster client needs seeds: a list of its nodes")
    }
    const { seeds, maxRedirects: givenMaxRedirects, ...rest } = options
    const maxRedirects = givenMaxRedirects ?? 5
    if (!Number.isInteger(maxRedirects) || maxRedirects < 0) {
      return yield* configError("maxRedirects", String(maxRedirects), "a whole number, 0 or more")
    }
    if ("endpoint" in rest || "endpoints" in rest) {
      return yield* configError("endpoints", "given", "a cluster client takes seeds, not endpoint or endpoints")
    }
    const resolved = yield* resolve({ ...rest, endpoints: seeds })
    for (const r of resolved) {
      if (r.database !== 0) {
        return yield* configError("database", String(r.database), "a Redis Cluster has one database: it must be 0")
      }
      if (r.endpoint._tag !== "Tcp") {
        return yield* configError(
          "seeds",
          r.name,
          "cluster nodes announce TCP addresses: give the seeds as TCP endpoints or redis:// URLs"
        )
      }
    }
    const template: ResolvedOptions = resolved[0]
    const prefix = options.keyPrefix ?? ""
    const clientScope = yield* Effect.scope
    const lock = yield* Semaphore.make(1)

    const byAddress = new Map<string, Node.Node>()
    const table: Array<Node.Node | undefined> = new Array(SLOTS).fill(undefined)
    /** the primaries that own slots, mutated in place (SCAN walks it) */
    const primaries: Array<Node.Node> = []

    const optionsFor = (endpoint: Endpoint): ResolvedOptions => ({ ...template, endpoint, name: format(endpoint) })

    const nodeAt = (host: string, port: number, lazy: boolean): Effect.Effect<Node.Node, ConnectionError> =>
      Effect.suspend(() => {
        const endpoint: Endpoint = { _tag: "Tcp", host, port }
        const name = format(endpoint)
        const known = byAddress.get(name)
        if (known !== undefined) return Effect.succeed(known)
        return lock.withPermit(
          Effect.suspend(() => {
            const again = byAddress.get(name)
            if (again !== undefined) return Effect.succeed(again)
            return Node.make(optionsFor(endpoint), transport, lazy).pipe(
              Scope.provide(clientScope),
              Effect.tap((node) => Effect.sync(() => byAddress.set(name, node)))
            )
          })
        )
      })

    /** `CLUSTER SLOTS` on a connection of its own, closed at once */
    const askSlots = (endpoint: Endpoint): Effect.Effect<Array<Range>, RedisError> =>
      Effect.scoped(
        Effect.gen(function* () {
          const connection = yield* RedisConnection.make(
            { ...optionsFor(endpoint), reconnect: undefined, reconnectExplicit: false, poolSize: 1 },
            transport,
            { lazy: false }
          )
          const reply = yield* connection.run(["CLUSTER", "SLOTS"], C.raw)
          return parseSlots(reply as RespValue, endpoint._tag === "Tcp" ? endpoint.host : "127.0.0.1")
        })
      )

    /** the first answer of these endpoints, in turn */
    const topology = (endpoints: ReadonlyArray<Endpoint>): Effect.Effect<Array<Range>, RedisError> => {
      const attempt = (i: number, last: RedisError | undefined): Effect.Effect<Array<Range>, RedisError> =>
        i >= endpoints.length
          ? Effect.fail(
              last ?? new ShardingError({ command: "CLUSTER", shards: [], message: "no node answered CLUSTER SLOTS" })
            )
          : Effect.flatMap(Effect.result(askSlots(endpoints[i])), (result) =>
              result._tag === "Success" && result.success.length > 0
                ? Effect.succeed(result.success)
                : attempt(i + 1, result._tag === "Failure" ? result.failure : last)
            )
      return attempt(0, undefined)
    }

    const apply = (ranges: ReadonlyArray<Range>, lazy: boolean): Effect.Effect<void, ConnectionError> =>
      Effect.gen(function* () {
        const next: Array<Node.Node | undefined> = new Array(SLOTS).fill(undefined)
        for (const range of ranges) {
          const node = yield* nodeAt(range.host, range.port, lazy)
          for (let s = range.start; s <= range.end && s < SLOTS; s++) next[s] = node
        }
        for (let s = 0; s < SLOTS; s++) table[s] = next[s]
        const owners = [...new Set(next.filter((n): n is Node.Node => n !== undefined))]
        primaries.splice(0, primaries.length, ...owners)
      })

    // the first slot map, from the seeds in turn; nodes connect now
    const first = yield* topology(resolved.map((r) => r.endpoint)).pipe(
      Effect.mapError((e): ConnectionError | RedisConfigError =>
        e._tag === "ConnectionError"
          ? e
          : new RedisConfigError({
              option: "seeds",
              value: resolved.map((r) => r.name).join(","),
              message: `no seed gave the slot map: ${e.message}`
            })
      )
    )
    yield* apply(first, false)

    /** a node's address, from its name (`host:port`, IPv6 in brackets) */
    const endpointOf = (node: Node.Node): Endpoint => {
      const at = node.name.lastIndexOf(":")
      return {
        _tag: "Tcp",
        host: node.name.slice(0, at).replace(/^\[(.*)\]$/, "$1"),
        port: Number(node.name.slice(at + 1))
      }
    }

    // one refresh at a time; a MOVED while one runs does not start another
    let refreshing = false
    const scheduleRefresh = Effect.suspend(() => {
      if (refreshing) return Effect.void
      refreshing = true
      const endpoints = [...primaries.map(endpointOf), ...resolved.map((r) => r.endpoint)]
      return Effect.forkIn(
        topology(endpoints).pipe(
          Effect.flatMap((ranges) => apply(ranges, true)),
          Effect.ignore,
          Effect.ensuring(
            Effect.sync(() => {
              refreshing = false
            })
          )
        ),
        clientScope
      ).pipe(Effect.asVoid)
    })
    const refuse = (args: ReadonlyArray<CommandArg>, shards: ReadonlyArray<string>, message: string) =>
      Effect.fail(new ShardingError({ command: commandName(args[0]), shards: [...shards], message }))

    const unserved = (args: ReadonlyArray<CommandArg>, slot: number) =>
      refuse(args, [], `hash slot ${slot} is not served by any node the client knows`)

    /** runs `attempt`, following MOVED and ASK up to `maxRedirects` times in all */
    const follow = (
      attempt: Effect.Effect<unknown, RedisError>,
      command: C.Command<unknown>,
      redirects: number
    ): Effect.Effect<unknown, RedisError> =>
      Effect.catchIf(attempt, isRedirect, (error) => {
        const to = parseRedirect(error.message)
        if (to === undefined) return Effect.fail(error)
        if (redirects >= maxRedirects) {
          return refuse(
            command.args,
            [format({ _tag: "Tcp", host: to.host, port: to.port })],
            `gave up after ${maxRedirects} redirects (last: ${error.message}); the cluster's slot map keeps changing`
          )
        }
        return Effect.flatMap(nodeAt(to.host, to.port, true), (node) => {
          if (to.kind === "MOVED") {
            table[to.slot] = node
            if (!primaries.includes(node)) primaries.push(node)
            return Effect.andThen(scheduleRefresh, follow(node.run(command), command, redirects + 1))
          }
          // ASK: this command only, on the target, right after ASKING, in one write on one connection
          return follow(
            Effect.flatMap(node.connections[0].runBatch([C.make(["ASKING"], C.ok), command]), (exits) => exits[1]),
            command,
            redirects + 1
          )
        })
      })

    const runAt = (slot: number, command: C.Command<unknown>): Effect.Effect<unknown, RedisError> => {
      const node = table[slot]
      return node === undefined ? unserved(command.args, slot) : follow(node.run(command), command, 0)
    }

    const slotAt = (args: ReadonlyArray<CommandArg>, i: number) => slotOfKey(keyOf(args[i]))

    const run = (command: C.Command<unknown>): Effect.Effect<unknown, RedisError> => {
      const args = command.args
      const route = routing(args)
      switch (route._tag) {
        case "Keys": {
          const slot = slotAt(args, route.indexes[0])
          for (let i = 1; i < route.indexes.length; i++) {
            if (slotAt(args, route.indexes[i]) !== slot) {
              return refuse(
                args,
                [...new Set(route.indexes.map((j) => table[slotAt(args, j)]?.name ?? "?"))],
                crossSlot
              )
            }
          }
          return runAt(slot, command)
        }
        case "Split":
          return runSplit(command, route, (i) => slotAt(args, i), runAt)
        case "Broadcast":
          return runBroadcast(command, route, [...primaries], (node, c) => node.run(c))
        case "Refused":
          if (route.reason === "Keyless" && anyNode(args) && primaries.length > 0) return primaries[0].run(command)
          return refuse(
            args,
            primaries.map((n) => n.name),
            route.message
          )
      }
    }

    const select = (
      commands: ReadonlyArray<C.Command<unknown>>
    ): Effect.Effect<TransactionImpl.Selection, RedisError> => {
      let slot: number | undefined
      const names = primaries.map((n) => n.name)
      for (const command of commands) {
        const args = command.args
        const route = routing(args)
        const positions: Array<number> = []
        switch (route._tag) {
          case "Keys":
            positions.push(...route.indexes)
            break
          case "Split":
            for (let i = 1; i < args.length; i += route.step) positions.push(i)
            break
          case "Broadcast":
            if (route.combine !== "first") {
              return refuse(
                args,
                names,
                "in a transaction it would reach one primary only, but it is meant for every one"
              )
            }
            break
          case "Refused":
            if (!(route.reason === "Keyless" && anyNode(args))) return refuse(args, names, route.message)
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
      const node = table[slot]
      return node === undefined
        ? unserved(commands[0]?.args ?? [], slot)
        : Effect.succeed({ id: `slot ${slot}`, pin: node.pin })
    }

    // PUBLISH reaches every node of a cluster: channels and patterns listen on one primary; a shard channel on its
    // slot's primary
    const listen: Subscriber.Subscriber["listen"] = (kind, names, listener) =>
      listenGrouped(kind, names, listener, (name) => {
        const node = kind === "shard" ? table[slotOfKey(name)] : primaries[0]
        return node === undefined ? [] : [node]
      })

    return {
      run,
      nodes: primaries,
      shardOf: (key) => table[slotOfKey(key)]?.name ?? "unassigned",
      listen,
      select,
      prefix,
      dedicatedUnsupported: new ShardingError({
        command: "DEDICATED",
        shards: primaries.map((n) => n.name),
        message: "a cluster client has no dedicated connections yet"
      })
    }
  })
