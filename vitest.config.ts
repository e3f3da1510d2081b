import { defineConfig } from "vitest/config"
import { projects } from "./vitest.workspace.ts"

export default defineConfig({
  test: {
    projects: projects.map((root) => ({
      extends: true,
      test: { root, name: root.replace("packages/", ""), include: ["test/**/*.test.ts"] }
    })),
    testTimeout: 30_000,
    hookTimeout: 30_000,
    passWithNoTests: false,
    // the JSON report lets .ci/run print a one-line summary ("N passed, N failed")
    reporters: ["default", ["json", { outputFile: "build/vitest-results.json" }]]
  }
})
