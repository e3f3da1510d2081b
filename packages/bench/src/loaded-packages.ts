/**
 * `node --import ./loaded-packages.ts worker.ts …` records every package the process resolves (from its first
 * import on, static ones included) and prints them on exit, to stderr, as `{"packages":[…]}`: how a test checks that
 * a worker loads only its own client.
 */
import { registerHooks } from "node:module"

/** the package a resolved module belongs to: `ioredis`, `@opentelemetry/api`, `@fxredis/client`, `@fxredis/client@baseline`, `@fxredis/client@snapshot` … */
const packageOf = (url: string): string | undefined => {
  const deps = url.lastIndexOf("/node_modules/")
  if (deps >= 0) {
    const [scope, name] = url.slice(deps + "/node_modules/".length).split("/")
    return scope.startsWith("@") ? `${scope}/${name}` : scope
  }
  const workspace = /(?:\/bench-(baseline|snapshot)\/[^/]+)?\/packages\/([^/]+)\/src\//.exec(url)
  if (workspace === null) return undefined
  return `@fxredis/${workspace[2]}${workspace[1] === undefined ? "" : `@${workspace[1]}`}`
}

const loaded = new Set<string>()
registerHooks({
  resolve: (specifier, context, next) => {
    const resolved = next(specifier, context)
    const pkg = packageOf(resolved.url)
    if (pkg !== undefined) loaded.add(pkg)
    return resolved
  }
})
process.on("exit", () => {
  process.stderr.write(`${JSON.stringify({ packages: [...loaded].sort() })}\n`)
})
