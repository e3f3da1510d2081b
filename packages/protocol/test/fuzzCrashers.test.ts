import { readdirSync, readFileSync } from "node:fs"
import { assert, describe, it } from "@effect/vitest"
import { check, type Vector } from "../fuzz/vectors.ts"

// every input the fuzzer (`pnpm fuzz`) saved, plus hand-written seeds: each must hold the fuzzer's invariants
const folder = new URL("./fixtures/fuzz-crashers/", import.meta.url)
const files = readdirSync(folder)
  .filter((name) => name.endsWith(".json"))
  .sort()

describe("fuzz crashers replay", () => {
  it("the folder holds vectors", () => {
    assert.isAtLeast(files.length, 2)
  })
  for (const name of files) {
    it(name, () => {
      const vector = JSON.parse(readFileSync(new URL(name, folder), "utf8")) as Vector
      assert.deepStrictEqual(check(vector), [], vector.note)
    })
  }
})
