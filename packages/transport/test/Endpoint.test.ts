import { assert, describe, it } from "@effect/vitest"
import { EndpointError, format, parseUrl, validate } from "@fxredis/transport"
import { Effect, Redacted } from "effect"

// Parsing only: nothing in this file connects. 6379 is Redis' default port, which a URL without a port must get.
describe("parseUrl", () => {
  it.effect("redis:// with defaults, credentials, port and database", () =>
    Effect.gen(function* () {
      const plain = yield* parseUrl("redis://")
      assert.deepStrictEqual(plain.endpoint, { _tag: "Tcp", host: "localhost", port: 6379 })
      assert.strictEqual(plain.database, 0)
      const full = yield* parseUrl("redis://app:s%40cret@10.1.2.3:6390/4")
      assert.deepStrictEqual(full.endpoint, { _tag: "Tcp", host: "10.1.2.3", port: 6390 })
      assert.strictEqual(full.database, 4)
      assert.strictEqual(full.username, "app")
      assert.strictEqual(Redacted.value(full.password!), "s@cret")
      assert.notInclude(String(full.password), "cret")
      const onlyPassword = yield* parseUrl("redis://:pw@host")
      assert.strictEqual(onlyPassword.username, undefined)
      assert.strictEqual(Redacted.value(onlyPassword.password!), "pw")
      const ipv6 = yield* parseUrl("redis://[::1]:7000")
      assert.deepStrictEqual(ipv6.endpoint, { _tag: "Tcp", host: "::1", port: 7000 })
      assert.strictEqual(format(ipv6.endpoint), "[::1]:7000")
    })
  )
  it.effect("rediss:// is TLS, with options from the query", () =>
    Effect.gen(function* () {
      const url = yield* parseUrl("rediss://cache.example.com?servername=sni.example.com&rejectUnauthorized=false")
      assert.deepStrictEqual(url.endpoint, {
        _tag: "Tls",
        host: "cache.example.com",
        port: 6379,
        servername: "sni.example.com",
        rejectUnauthorized: false
      })
      assert.strictEqual(format(url.endpoint), "tls://cache.example.com:6379")
    })
  )
  it.effect("unix:// and redis+unix:// with db and password in the query; the seed's default path", () =>
    Effect.gen(function* () {
      const url = yield* parseUrl("unix:///var/run/redis.sock?db=2&password=secret")
      assert.deepStrictEqual(url.endpoint, { _tag: "Unix", path: "/var/run/redis.sock" })
      assert.strictEqual(url.database, 2)
      assert.strictEqual(Redacted.value(url.password!), "secret")
      const plus = yield* parseUrl("redis+unix:///tmp/r.sock")
      assert.deepStrictEqual(plus.endpoint, { _tag: "Unix", path: "/tmp/r.sock" })
      assert.deepStrictEqual((yield* parseUrl("unix://")).endpoint, { _tag: "Unix", path: "/tmp/redis.sock" })
    })
  )
  it.effect("bad input is a typed EndpointError naming the problem, with the password masked", () =>
    Effect.gen(function* () {
      const notUrl = yield* Effect.flip(parseUrl("localhost:6379"))
      assert.instanceOf(notUrl, EndpointError)
      const scheme = yield* Effect.flip(parseUrl("http://:hunter2@host"))
      assert.include(scheme.message, "unsupported scheme")
      assert.notInclude(scheme.input, "hunter2")
      const port = yield* Effect.flip(parseUrl("redis://:hunter2@host:99999"))
      assert.notInclude(`${port.input} ${port.message}`, "hunter2")
      const db = yield* Effect.flip(parseUrl("redis://host/abc"))
      assert.include(db.message, "database")
      const unixDb = yield* Effect.flip(parseUrl("unix:///tmp/x.sock?db=-1&password=hunter2"))
      assert.notInclude(unixDb.input, "hunter2")
      // passwords a URL parser would split elsewhere (a "/", an "@", an escape) are masked all the same
      for (const [url, secret] of [
        ["redis://:pa/ss@host:6379", "pa/ss"],
        ["redis://:sec/ret@/", "sec/ret"],
        ["redis://user:p@ss/w@rd@host:99999", "ss/w"],
        ["redis://:pass%77ord=@host:99999", "pass%77ord="],
        ["rediss://:x@y@host:abc", "x@y"]
      ]) {
        const failed = yield* Effect.flip(parseUrl(url))
        assert.notInclude(`${failed.input} ${failed.message} ${String(failed)}`, secret, url)
      }
      const invalid = yield* Effect.flip(validate({ _tag: "Tcp", host: "h", port: 0 }))
      assert.include(invalid.message, "port")
      assert.include((yield* Effect.flip(validate({ _tag: "Unix", path: "" }))).message, "empty")
    })
  )
})
