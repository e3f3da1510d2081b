/**
 * `@fxredis/client`: the `Redis` service and its layers, typed commands, errors and options.
 *
 * @since 0.1.0
 */

export type { ScoredMember, StreamEntry, StreamRead } from "./Command.ts"
export * as Command from "./Command.ts"
export type { Key, SetOptions, Value } from "./internal/commands/Strings.ts"
export * as PersistenceRedis from "./PersistenceRedis.ts"
export {
  type Dedicated,
  type Message,
  Redis,
  type RedisShape,
  type ScanOptions,
  type Script,
  type Subscription,
  type SubscriptionOptions,
  type Transaction
} from "./Redis.ts"
export type { ClusterOptions } from "./RedisCluster.ts"
export * as RedisCluster from "./RedisCluster.ts"
export * as RedisConnection from "./RedisConnection.ts"
export * from "./RedisErrors.ts"
export * from "./RedisOptions.ts"
export * as RedisPool from "./RedisPool.ts"
export * as RedisReplicated from "./RedisReplicated.ts"
export * as RedisReply from "./RedisReply.ts"
export * as RedisSentinel from "./RedisSentinel.ts"
export * as RedisSharded from "./RedisSharded.ts"
export * as RedisStreams from "./RedisStreams.ts"
export * as RedisSubscriber from "./RedisSubscriber.ts"
export * as RedisTelemetry from "./RedisTelemetry.ts"
export * as RedisTest from "./RedisTest.ts"
export * as RedisTransaction from "./RedisTransaction.ts"
export type { SeedOptions } from "./Txredisapi.ts"
export * as Txredisapi from "./Txredisapi.ts"
