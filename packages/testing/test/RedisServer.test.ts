import * as Fs from "node:fs"
import * as Net from "node:net"
import { assert, describe, it } from "@effect/vitest"
import { eventually, FakeServer, RedisServer } from "@fxredis/testing"
import { Effect, Exit, Fiber, Scope } from "effect"

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

const ask = (path: string, text: string) =>
  Effect.callback<string>((resume) => {
    const socket = Net.createConnection({ path })
    socket.on("error", (e) => resume(Effect.succeed(`error: ${e.message}`)))
    socket.on("connect", () => socket.write(text))
    socket.on("data", (d) => {
      socket.destroy()
      resume(Effect.succeed(d.toString("latin1")))
    })
    socket.on("close", () => resume(Effect.succeed("closed")))
  })

describe("RedisServer", () => {
  it.live("starts a real server on a UNIX socket and a free port, and cleans up on scope close", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const server = yield* RedisServer.make().pipe(Scope.provide(scope))
      assert.strictEqual(yield* server.cli("PING"), "PONG")
      assert.strictEqual(yield* server.cli("CONFIG", "GET", "save"), "save")
      assert.isTrue(server.tcp.port > 0)
      assert.strictEqual(server.urls.tcp, `redis://127.0.0.1:${server.tcp.port}`)
      const pid = server.pid()
      assert.isTrue(alive(pid))
      yield* Scope.close(scope, Exit.void)
      assert.isFalse(alive(pid))
      assert.isFalse(Fs.existsSync(server.dir))
    })
  )
  it.live("fault controls: kill, start, stop, restart, pause and resume", () =>
    Effect.gen(function* () {
      const server = yield* RedisServer.make()
      const first = server.pid()
      yield* server.kill
      assert.isFalse(alive(first))
      assert.include(yield* ask(server.unix.path, "PING\r\n"), "error")
      yield* server.start
      assert.notStrictEqual(server.pid(), first)
      assert.strictEqual(yield* ask(server.unix.path, "PING\r\n"), "+PONG\r\n")
      yield* server.restart
      assert.strictEqual(yield* server.cli("PING"), "PONG")
      yield* server.pause
      const pending = yield* Effect.forkChild(ask(server.unix.path, "PING\r\n"))
      assert.isUndefined(pending.pollUnsafe())
      yield* server.resume
      assert.strictEqual(yield* Fiber.join(pending), "+PONG\r\n")
      yield* server.stop
      assert.include(yield* ask(server.unix.path, "PING\r\n"), "error")
    })
  )
  it.live("a password, ACL users and extra config", () =>
    Effect.gen(function* () {
      const server = yield* RedisServer.make({
        password: "pw",
        users: [{ name: "reader", password: "r", rules: "~* +get" }],
        config: ["maxmemory 10mb"]
      })
      assert.strictEqual(yield* ask(server.unix.path, "PING\r\n"), "-NOAUTH Authentication required.\r\n")
      assert.strictEqual(yield* server.cli("CONFIG", "GET", "maxmemory"), "maxmemory\n10485760")
      assert.include(yield* ask(server.unix.path, "AUTH reader r\r\n"), "+OK")
      assert.include(server.urls.tcp, ":pw@")
    })
  )
  it.live("a port taken before the server binds it: the server starts on another free port", () =>
    Effect.gen(function* () {
      // another process holds the port (as one that took it between the choice and the bind would)
      const holder = yield* Effect.acquireRelease(
        Effect.callback<Net.Server>((resume) => {
          const s = Net.createServer()
          s.listen(0, "127.0.0.1", () => resume(Effect.succeed(s)))
        }),
        (s) => Effect.sync(() => s.close())
      )
      const taken = (holder.address() as Net.AddressInfo).port
      const server = yield* RedisServer.make({ port: taken })
      assert.notStrictEqual(server.tcp.port, taken)
      assert.include(server.urls.tcp, `:${server.tcp.port}`)
      // and it answers on that port
      const reply = yield* Effect.callback<string>((resume) => {
        const socket = Net.connect(server.tcp.port, "127.0.0.1", () => socket.write("PING\r\n"))
        socket.once("data", (data) => {
          socket.destroy()
          resume(Effect.succeed(data.toString()))
        })
        socket.once("error", (error) => resume(Effect.succeed(String(error))))
      })
      assert.strictEqual(reply, "+PONG\r\n")
    })
  )

  it.live("a missing binary is a typed error that says how to install it", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(RedisServer.make({ bin: "/nonexistent/redis-server" }))
      assert.strictEqual(error.reason, "NotInstalled")
      assert.include(error.message, "apt-get install redis-server")
      assert.include(error.message, "brew install redis")
    })
  )
})

describe("FakeServer", () => {
  it.live("answers each request with scripted bytes, or closes", () =>
    Effect.gen(function* () {
      const fake = yield* FakeServer.make({ reply: (request, n) => (n === 0 ? `+got ${request.length}\r\n` : "close") })
      assert.strictEqual(yield* ask(fake.unix.path, "abc"), "+got 3\r\n")
      assert.strictEqual(yield* ask(fake.unix.path, "abc"), "closed")
      yield* eventually(Effect.sync(() => fake.connections() === 2))
    })
  )
})
