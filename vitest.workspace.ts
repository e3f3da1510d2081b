/** The test projects, one per package. `vitest.config.ts` imports this list (Vitest 5 reads `test.projects` from the config). */
export const projects = [
  "packages/protocol",
  "packages/transport",
  "packages/testing",
  "packages/client",
  "packages/bench",
  "packages/stress",
  "packages/demo"
]
