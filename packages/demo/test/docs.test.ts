import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"

const packages = fileURLToPath(new URL("../../", import.meta.url))
const published = ["protocol", "transport", "testing", "client"]

/** every .ts file of a package's public surface (src/, without internal/) */
const sources = (dir: string): Array<string> =>
  Fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? entry.name === "internal"
        ? []
        : sources(Path.join(dir, entry.name))
      : entry.name.endsWith(".ts")
        ? [Path.join(dir, entry.name)]
        : []
  )

describe("documentation", () => {
  it("every exported name of a published package has a doc comment with an example, a @category and a @since", () => {
    const missing: Array<string> = []
    for (const name of published) {
      for (const file of sources(Path.join(packages, name, "src"))) {
        const lines = Fs.readFileSync(file, "utf8").split("\n")
        lines.forEach((line, i) => {
          const exported = /^export (?:declare )?(?:const|class|interface|type|function) (\w+)/.exec(line)
          if (exported === null || file.endsWith("index.ts")) return
          let end = i - 1
          while (end >= 0 && lines[end].trim() === "") end--
          let start = end
          while (start >= 0 && !lines[start].includes("/**")) start--
          const doc = lines[end]?.trim().endsWith("*/") ? lines.slice(start, end + 1).join("\n") : ""
          const where = `${Path.relative(packages, file)}: ${exported[1]}`
          if (!doc.includes("@example")) missing.push(`${where} (no example)`)
          if (!doc.includes("@since")) missing.push(`${where} (no @since)`)
          if (!doc.includes("@category")) missing.push(`${where} (no @category)`)
        })
      }
    }
    assert.deepStrictEqual(missing, [])
  })

  it("every @category and @since starts a doc line of its own (JSDoc reads no tag in the middle of a line)", () => {
    const misplaced: Array<string> = []
    for (const name of published) {
      for (const file of sources(Path.join(packages, name, "src"))) {
        Fs.readFileSync(file, "utf8")
          .split("\n")
          .forEach((line, i) => {
            if (/@(category|since)\b/.test(line) && !/^\s*\* @(category|since) \S+\s*$/.test(line)) {
              misplaced.push(`${Path.relative(packages, file)}:${i + 1}: ${line.trim()}`)
            }
          })
      }
    }
    assert.deepStrictEqual(misplaced, [])
  })
})
