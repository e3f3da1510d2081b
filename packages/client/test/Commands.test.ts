import { describe, layer } from "@effect/vitest"
import { Redis, type RedisShape } from "@fxredis/client"
import { RedisServer } from "@fxredis/testing"
import { Context, Effect, Layer } from "effect"
import { transports } from "./helpers.ts"
import { checks, singleServerChecks } from "./suites/Commands.ts"

class Client extends Context.Service<Client, RedisShape>()("test/Client") {}

const shapes = {
  connection: { servers: 1, poolSize: 1 },
  pool: { servers: 1, poolSize: 4 },
  sharded: { servers: 3, poolSize: 1 },
  "sharded pool": { servers: 3, poolSize: 2 }
} as const

for (const [shape, { servers, poolSize }] of Object.entries(shapes)) {
  for (const [kind, protocol] of transports.flatMap((k) => [[k, 2] as const, [k, 3] as const])) {
    const client = Layer.effect(
      Client,
      Effect.gen(function* () {
        const started = yield* Effect.forEach(Array.from({ length: servers }), () => RedisServer.make(), {
          concurrency: "unbounded"
        })
        const urls = started.map((s) => s.urls[kind])
        return yield* Redis.make(
          servers === 1 ? { endpoint: urls[0], poolSize, protocol } : { endpoints: urls, poolSize, protocol }
        )
      })
    )
    layer(client, { excludeTestServices: true, timeout: "30 seconds" })(
      `${shape} over ${kind}, RESP${protocol}`,
      (it) => {
        describe("typed commands", () => {
          for (const [name, check] of Object.entries(checks)) {
            it.effect(name, () => Client.use((redis) => check(redis, `${name}-${kind}-${protocol}`)))
          }
          if (servers === 1) {
            for (const [name, check] of Object.entries(singleServerChecks)) {
              it.effect(`${name} (single server)`, () =>
                Client.use((redis) => check(redis, `${name}-${kind}-${protocol}`))
              )
            }
          }
        })
      }
    )
  }
}
