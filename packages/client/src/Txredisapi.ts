/**
 * txredisapi's constructors, by their names, all in one place: each returns a layer of the `Redis` service, the same
 * as `Redis.layer` (or `Redis.layerLazy` for the `lazy…` ones) with the options spelled as txredisapi spelled them.
 * `Redis.unixConnection(…)` and the other `Redis.…` statics of the same names are these functions.
 *
 * - `connection({ host, port, dbid, reconnect })`: txredisapi's `Connection`, the same as
 *   `Redis.layer({ endpoint: { _tag: "Tcp", host, port }, database: dbid, reconnect })`;
 * - `unixConnection({ path, … })`: `UnixConnection` over a UNIX socket (default `/tmp/redis.sock`);
 * - `connectionPool`, `unixConnectionPool` (`poolsize`, default 10): the same with `poolSize: poolsize`;
 * - `shardedConnection({ hosts })`, `shardedUnixConnection({ paths })` and their `…Pool`s: a shard per server, the
 *   same as `Redis.layer({ endpoints, placement })`;
 * - `lazy…` of each: the same through `Redis.layerLazy` (builds at once, connects in the background).
 *
 * `dbid` is the database (default 0), `reconnect` the reconnect policy (default `true`), `password` optional; the
 * sharded ones take `placement` (`"txredisapi"` finds keys where txredisapi's `HashRing` put them; default
 * `"fxredis"`). Whatever a JavaScript caller passes that is not a list of strings as `hosts` or `paths` fails the
 * layer with a typed `EndpointError`, never a throw.
 *
 * @since 0.4.0
 */
import type { Endpoint, EndpointError } from "@fxredis/transport"
import type { Layer, Redacted } from "effect"
import { Redis } from "./Redis.ts"
import type { ConnectionError, RedisConfigError } from "./RedisErrors.ts"
import type { RedisOptions } from "./RedisOptions.ts"

/**
 * The options every txredisapi constructor takes.
 *
 * @example
 * ```ts
 * import { Redis } from "@fxredis/client"
 *
 * const RedisLive = Redis.unixConnectionPool({ path: "/tmp/redis.sock", dbid: 1, poolsize: 4, reconnect: true })
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface SeedOptions {
  readonly dbid?: number | undefined
  readonly reconnect?: RedisOptions["reconnect"]
  readonly password?: string | Redacted.Redacted<string> | undefined
  /** sharded constructors: `"txredisapi"` finds keys where txredisapi's `HashRing` put them; default `"fxredis"` */
  readonly placement?: RedisOptions["placement"]
}

/**
 * The options of `unixConnection`, `lazyUnixConnection` and the UNIX pools (with `PoolOptions`): the socket's `path`
 * (default `/tmp/redis.sock`).
 *
 * @example
 * ```ts
 * import { Txredisapi } from "@fxredis/client"
 *
 * const options: Txredisapi.UnixOptions = { path: "/var/run/redis/redis.sock", dbid: 2 }
 * const RedisLive = Txredisapi.unixConnection(options)
 * ```
 *
 * @category models
 * @since 0.4.0
 */
export interface UnixOptions extends SeedOptions {
  readonly path?: string | undefined
}

/**
 * The options of `connection`, `lazyConnection` and the TCP pools (with `PoolOptions`): `host` (default
 * `localhost`) and `port` (default 6379).
 *
 * @example
 * ```ts
 * import { Txredisapi } from "@fxredis/client"
 *
 * const RedisLive = Txredisapi.connection({ host: "10.0.0.5", port: 6380 })
 * ```
 *
 * @category models
 * @since 0.4.0
 */
export interface TcpOptions extends SeedOptions {
  readonly host?: string | undefined
  readonly port?: number | undefined
}

/**
 * What the pools take besides: `poolsize`, the connections in the pool (per shard for the sharded ones); default 10.
 *
 * @example
 * ```ts
 * import { Txredisapi } from "@fxredis/client"
 *
 * const options: Txredisapi.TcpOptions & Txredisapi.PoolOptions = { host: "localhost", poolsize: 4 }
 * const RedisLive = Txredisapi.connectionPool(options)
 * ```
 *
 * @category models
 * @since 0.4.0
 */
export interface PoolOptions {
  readonly poolsize?: number | undefined
}

/**
 * The options of the sharded UNIX constructors: a socket path per shard (the pools add `PoolOptions`).
 *
 * @example
 * ```ts
 * import { Txredisapi } from "@fxredis/client"
 *
 * const RedisLive = Txredisapi.shardedUnixConnection({ paths: ["/tmp/a.sock", "/tmp/b.sock"], placement: "txredisapi" })
 * ```
 *
 * @category models
 * @since 0.4.0
 */
export interface ShardedUnixOptions extends SeedOptions {
  readonly paths: ReadonlyArray<string>
}

/**
 * The options of the sharded TCP constructors: `"host:port"` (or `"host"`, port 6379) per shard (the pools add
 * `PoolOptions`).
 *
 * @example
 * ```ts
 * import { Txredisapi } from "@fxredis/client"
 *
 * const RedisLive = Txredisapi.shardedConnection({ hosts: ["cache-a:6379", "cache-b:6379"] })
 * ```
 *
 * @category models
 * @since 0.4.0
 */
export interface ShardedTcpOptions extends SeedOptions {
  readonly hosts: ReadonlyArray<string>
}

/**
 * The layers these constructors return: eager ones fail with `ConnectionError` too.
 *
 * @example
 * ```ts
 * import { Txredisapi } from "@fxredis/client"
 *
 * const RedisLive: Txredisapi.SeedLayer = Txredisapi.connection({ host: "localhost" })
 * ```
 *
 * @category models
 * @since 0.4.0
 */
export type SeedLayer = Layer.Layer<Redis, ConnectionError | EndpointError | RedisConfigError>

/**
 * The layers the `lazy…` constructors return: they build at once and fail only for a bad option.
 *
 * @example
 * ```ts
 * import { Txredisapi } from "@fxredis/client"
 *
 * const RedisLive: Txredisapi.LazySeedLayer = Txredisapi.lazyConnection({ host: "localhost" })
 * ```
 *
 * @category models
 * @since 0.4.0
 */
export type LazySeedLayer = Layer.Layer<Redis, EndpointError | RedisConfigError>

const POOLSIZE = 10

const seedOptions = (
  where: Pick<RedisOptions, "endpoint" | "endpoints">,
  options: SeedOptions,
  poolSize?: number
): RedisOptions => ({
  ...where,
  database: options.dbid ?? 0,
  reconnect: options.reconnect ?? true,
  password: options.password,
  poolSize
})

const seedUnix = (given: UnixOptions | null | undefined, poolSize?: number) => {
  const options = given ?? {}
  return seedOptions({ endpoint: { _tag: "Unix", path: options.path ?? "/tmp/redis.sock" } }, options, poolSize)
}

const seedTcp = (given: TcpOptions | null | undefined, poolSize?: number) => {
  const options = given ?? {}
  return seedOptions(
    { endpoint: { _tag: "Tcp", host: options.host ?? "localhost", port: options.port ?? 6379 } },
    options,
    poolSize
  )
}

/**
 * The endpoints of a seed's `paths` or `hosts`. Whatever a JavaScript caller passed that is not a list of strings is
 * handed on as it is, so that resolving the options fails with a typed `EndpointError` (never a throw here).
 */
const listOf = (list: unknown, endpoint: (s: string) => Endpoint): ReadonlyArray<Endpoint> =>
  (Array.isArray(list)
    ? list.map((item: unknown) => (typeof item === "string" ? endpoint(item) : item))
    : (list ?? null)) as ReadonlyArray<Endpoint>

const unixEndpoint = (path: string): Endpoint => ({ _tag: "Unix", path })

/** "host:port" (or "host", port 6379); a bad port is caught when the options are resolved */
const tcpEndpoint = (hostPort: string): Endpoint => {
  const at = hostPort.lastIndexOf(":")
  return at < 0
    ? { _tag: "Tcp", host: hostPort, port: 6379 }
    : { _tag: "Tcp", host: hostPort.slice(0, at).replace(/^\[(.*)\]$/, "$1"), port: Number(hostPort.slice(at + 1)) }
}

const shardedUnix = (given: (ShardedUnixOptions & PoolOptions) | undefined, poolSize?: number): RedisOptions => ({
  ...seedOptions({ endpoints: listOf(given?.paths, unixEndpoint) }, given ?? {}, poolSize),
  placement: given?.placement
})

const shardedTcp = (given: (ShardedTcpOptions & PoolOptions) | undefined, poolSize?: number): RedisOptions => ({
  ...seedOptions({ endpoints: listOf(given?.hosts, tcpEndpoint) }, given ?? {}, poolSize),
  placement: given?.placement
})

/**
 * txredisapi's `UnixConnection(path="/tmp/redis.sock", dbid=0, reconnect=True)`: one connection over a UNIX socket,
 * connected while the layer is built.
 *
 * @example
 * ```ts
 * import { Txredisapi } from "@fxredis/client"
 *
 * const RedisLive = Txredisapi.unixConnection({ path: "/tmp/redis.sock", dbid: 0, reconnect: true })
 * ```
 *
 * @category layers
 * @since 0.4.0
 */
export const unixConnection = (options: UnixOptions = {}): SeedLayer => Redis.layer(seedUnix(options))

/**
 * txredisapi's `Connection(host="localhost", port=6379, dbid=0, reconnect=True)`: one TCP connection, connected while
 * the layer is built.
 *
 * @example
 * ```ts
 * import { Txredisapi } from "@fxredis/client"
 *
 * const RedisLive = Txredisapi.connection({ host: "localhost", port: 6379 })
 * ```
 *
 * @category layers
 * @since 0.4.0
 */
export const connection = (options: TcpOptions = {}): SeedLayer => Redis.layer(seedTcp(options))

/**
 * txredisapi's `lazyUnixConnection`: `unixConnection` that builds at once and connects in the background.
 *
 * @example
 * ```ts
 * import { Txredisapi } from "@fxredis/client"
 *
 * const RedisLive = Txredisapi.lazyUnixConnection({ path: "/tmp/redis.sock" })
 * ```
 *
 * @category layers
 * @since 0.4.0
 */
export const lazyUnixConnection = (options: UnixOptions = {}): LazySeedLayer => Redis.layerLazy(seedUnix(options))

/**
 * txredisapi's `lazyConnection`: `connection` that builds at once and connects in the background.
 *
 * @example
 * ```ts
 * import { Txredisapi } from "@fxredis/client"
 *
 * const RedisLive = Txredisapi.lazyConnection({ host: "localhost" })
 * ```
 *
 * @category layers
 * @since 0.4.0
 */
export const lazyConnection = (options: TcpOptions = {}): LazySeedLayer => Redis.layerLazy(seedTcp(options))

/**
 * txredisapi's `UnixConnectionPool(path, dbid, poolsize=10, reconnect)`.
 *
 * @example
 * ```ts
 * import { Txredisapi } from "@fxredis/client"
 *
 * const RedisLive = Txredisapi.unixConnectionPool({ path: "/tmp/redis.sock", poolsize: 4 })
 * ```
 *
 * @category layers
 * @since 0.4.0
 */
export const unixConnectionPool = (options: UnixOptions & PoolOptions = {}): SeedLayer =>
  Redis.layer(seedUnix(options, options?.poolsize ?? POOLSIZE))

/**
 * txredisapi's `ConnectionPool(host, port, dbid, poolsize=10, reconnect)`.
 *
 * @example
 * ```ts
 * import { Txredisapi } from "@fxredis/client"
 *
 * const RedisLive = Txredisapi.connectionPool({ host: "localhost", poolsize: 4 })
 * ```
 *
 * @category layers
 * @since 0.4.0
 */
export const connectionPool = (options: TcpOptions & PoolOptions = {}): SeedLayer =>
  Redis.layer(seedTcp(options, options?.poolsize ?? POOLSIZE))

/**
 * txredisapi's `lazyUnixConnectionPool`.
 *
 * @example
 * ```ts
 * import { Txredisapi } from "@fxredis/client"
 *
 * const RedisLive = Txredisapi.lazyUnixConnectionPool({ path: "/tmp/redis.sock", poolsize: 4 })
 * ```
 *
 * @category layers
 * @since 0.4.0
 */
export const lazyUnixConnectionPool = (options: UnixOptions & PoolOptions = {}): LazySeedLayer =>
  Redis.layerLazy(seedUnix(options, options?.poolsize ?? POOLSIZE))

/**
 * txredisapi's `lazyConnectionPool`.
 *
 * @example
 * ```ts
 * import { Txredisapi } from "@fxredis/client"
 *
 * const RedisLive = Txredisapi.lazyConnectionPool({ host: "localhost", poolsize: 4 })
 * ```
 *
 * @category layers
 * @since 0.4.0
 */
export const lazyConnectionPool = (options: TcpOptions & PoolOptions = {}): LazySeedLayer =>
  Redis.layerLazy(seedTcp(options, options?.poolsize ?? POOLSIZE))

/**
 * txredisapi's `ShardedUnixConnection(paths, dbid, reconnect)`: a shard per socket, keys by consistent hash.
 *
 * @example
 * ```ts
 * import { Txredisapi } from "@fxredis/client"
 *
 * const RedisLive = Txredisapi.shardedUnixConnection({ paths: ["/tmp/a.sock", "/tmp/b.sock"] })
 * ```
 *
 * @category layers
 * @since 0.4.0
 */
export const shardedUnixConnection = (options: ShardedUnixOptions): SeedLayer => Redis.layer(shardedUnix(options))

/**
 * txredisapi's `ShardedUnixConnectionPool(paths, dbid, poolsize=10, reconnect)`.
 *
 * @example
 * ```ts
 * import { Txredisapi } from "@fxredis/client"
 *
 * const RedisLive = Txredisapi.shardedUnixConnectionPool({ paths: ["/tmp/a.sock", "/tmp/b.sock"], poolsize: 2 })
 * ```
 *
 * @category layers
 * @since 0.4.0
 */
export const shardedUnixConnectionPool = (options: ShardedUnixOptions & PoolOptions): SeedLayer =>
  Redis.layer(shardedUnix(options, options?.poolsize ?? POOLSIZE))

/**
 * txredisapi's `ShardedConnection(hosts=["host:port", …], dbid, reconnect)`.
 *
 * @example
 * ```ts
 * import { Txredisapi } from "@fxredis/client"
 *
 * const RedisLive = Txredisapi.shardedConnection({ hosts: ["cache-a:6379", "cache-b:6379"], placement: "txredisapi" })
 * ```
 *
 * @category layers
 * @since 0.4.0
 */
export const shardedConnection = (options: ShardedTcpOptions): SeedLayer => Redis.layer(shardedTcp(options))

/**
 * txredisapi's `ShardedConnectionPool(hosts, dbid, poolsize=10, reconnect)`.
 *
 * @example
 * ```ts
 * import { Txredisapi } from "@fxredis/client"
 *
 * const RedisLive = Txredisapi.shardedConnectionPool({ hosts: ["cache-a:6379", "cache-b:6379"], poolsize: 2 })
 * ```
 *
 * @category layers
 * @since 0.4.0
 */
export const shardedConnectionPool = (options: ShardedTcpOptions & PoolOptions): SeedLayer =>
  Redis.layer(shardedTcp(options, options?.poolsize ?? POOLSIZE))

/**
 * txredisapi's `lazyShardedUnixConnection`.
 *
 * @example
 * ```ts
 * import { Txredisapi } from "@fxredis/client"
 *
 * const RedisLive = Txredisapi.lazyShardedUnixConnection({ paths: ["/tmp/a.sock", "/tmp/b.sock"] })
 * ```
 *
 * @category layers
 * @since 0.4.0
 */
export const lazyShardedUnixConnection = (options: ShardedUnixOptions): LazySeedLayer =>
  Redis.layerLazy(shardedUnix(options))

/**
 * txredisapi's `lazyShardedUnixConnectionPool`.
 *
 * @example
 * ```ts
 * import { Txredisapi } from "@fxredis/client"
 *
 * const RedisLive = Txredisapi.lazyShardedUnixConnectionPool({ paths: ["/tmp/a.sock", "/tmp/b.sock"], poolsize: 2 })
 * ```
 *
 * @category layers
 * @since 0.4.0
 */
export const lazyShardedUnixConnectionPool = (options: ShardedUnixOptions & PoolOptions): LazySeedLayer =>
  Redis.layerLazy(shardedUnix(options, options?.poolsize ?? POOLSIZE))

/**
 * txredisapi's `lazyShardedConnection`.
 *
 * @example
 * ```ts
 * import { Txredisapi } from "@fxredis/client"
 *
 * const RedisLive = Txredisapi.lazyShardedConnection({ hosts: ["cache-a:6379", "cache-b:6379"] })
 * ```
 *
 * @category layers
 * @since 0.4.0
 */
export const lazyShardedConnection = (options: ShardedTcpOptions): LazySeedLayer => Redis.layerLazy(shardedTcp(options))

/**
 * txredisapi's `lazyShardedConnectionPool`.
 *
 * @example
 * ```ts
 * import { Txredisapi } from "@fxredis/client"
 *
 * const RedisLive = Txredisapi.lazyShardedConnectionPool({ hosts: ["cache-a:6379", "cache-b:6379"], poolsize: 2 })
 * ```
 *
 * @category layers
 * @since 0.4.0
 */
export const lazyShardedConnectionPool = (options: ShardedTcpOptions & PoolOptions): LazySeedLayer =>
  Redis.layerLazy(shardedTcp(options, options?.poolsize ?? POOLSIZE))
