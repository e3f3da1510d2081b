/**
 * `@fxredis/testing`: a real `redis-server` per test, with fault controls, and a scripted fake server.
 *
 * @since 0.1.0
 */

export * from "./Eventually.ts"
export * as FakeServer from "./FakeServer.ts"
export * as RedisCluster from "./RedisCluster.ts"
export * as RedisSentinel from "./RedisSentinel.ts"
export * as RedisServer from "./RedisServer.ts"
