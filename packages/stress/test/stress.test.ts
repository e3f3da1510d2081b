/**
 * A fast run of `pnpm stress`'s two checks through the same functions: a 5-second soak under faults and 10 leak
 * cycles per client kind. The full run (`pnpm stress`: a 2-minute soak and 300 cycles per kind) is not a test.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { leaks } from "../src/Leaks.ts"
import { soak } from "../src/Soak.ts"

describe("pnpm stress, briefly", () => {
  it.live(
    "a 5 s soak under kills, pauses, CLIENT KILLs and garbage: every command accounted for, no bug, no hang, nothing left",
    () =>
      Effect.gen(function* () {
        const r = yield* soak({ seconds: 5, fibers: 40, faultEveryMillis: 700, commandTimeoutMillis: 1000 })
        assert.deepStrictEqual(r.total.incidents, [])
        assert.strictEqual(r.total.bugs, 0)
        assert.strictEqual(r.total.hangs, 0)
        assert.strictEqual(r.stuck, 0)
        assert.strictEqual(r.total.settled, r.total.started)
        assert.isAbove(r.total.started, 1000)
        assert.isAbove(r.total.ok, 0)
        // the faults happened (they run one after another, in this order, and a pause lasts up to 3 s: in 5 s the
        // kill and the pause always start), and the garbage client's commands failed typed
        assert.isAtLeast(r.faults.kill, 1)
        assert.isAtLeast(r.faults.pause, 1)
        assert.isAbove(r.groups.garbage.failed, 0)
        assert.isAbove(r.pubsub.pool.received + r.pubsub.sharded.received, 0)
        assert.strictEqual(r.pubsub.pool.duplicates + r.pubsub.sharded.duplicates, 0)
        // closing the clients left nothing behind
        assert.deepStrictEqual(r.teardown.extraHandles, { TCPSocketWrap: 0, PipeWrap: 0, Timeout: 0, TLSWrap: 0 })
        assert.deepStrictEqual(r.teardown.clientsLeft, [0, 0, 0, 0])
        assert.strictEqual(r.teardown.fakeLinksOpen, 0)
        assert.isFalse(r.teardown.closeHung)
      }),
    60_000
  )

  it.live(
    "10 build/teardown cycles of every client kind, closed at random moments: no client, socket or timer left",
    () =>
      Effect.gen(function* () {
        // a short connectTimeout bounds how long a build may outlive its closed scope (see the README: a build
        // closed during its connect currently ends only when connectTimeout runs out)
        const r = yield* leaks({ cycles: 10, warmup: 2, lingerMillis: 500 })
        assert.deepStrictEqual(r.incidents, [])
        assert.strictEqual(r.bugs, 0)
        assert.strictEqual(r.lingering.pending, 0)
        assert.deepStrictEqual(r.clientsLeft, [0, 0, 0, 0])
        assert.deepStrictEqual(r.extraHandles, { TCPSocketWrap: 0, PipeWrap: 0, Timeout: 0, TLSWrap: 0 })
        for (const [name, k] of Object.entries(r.kinds)) {
          assert.strictEqual(k.cycles, 10, name)
          assert.strictEqual(k.built + k.cut + Object.values(k.failed).reduce((a, b) => a + b, 0), 10, name)
        }
      }),
    60_000
  )
})
