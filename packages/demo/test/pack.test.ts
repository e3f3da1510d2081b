/**
 * Publishing, checked the way a user meets it: `pnpm build`, then `pnpm pack` of every published package (the
 * tarballs' contents and manifests), then an `npm install` of those tarballs into an empty project beside a
 * different effect 4.x patch, where the README's quick start type-checks and runs against a real redis-server.
 *
 * Both tests share one build and one pack (the `Packed` layer): as two test files they would run `tsc -b`
 * concurrently on the same `dist/` folders.
 */
import { execFile } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { assert, layer } from "@effect/vitest"
import { RedisServer } from "@fxredis/testing"
import { Context, Effect, Layer } from "effect"

const root = fileURLToPath(new URL("../../../", import.meta.url))
const published = ["protocol", "transport", "testing", "client"] as const
type Published = (typeof published)[number]

/** the environment of the commands: no REDIS_URL of the caller's, and no npm/pnpm settings of the workspace's */
const baseEnv = Object.fromEntries(
  Object.entries(process.env).filter(
    ([key]) => key !== "REDIS_URL" && key !== "REDIS_URLS" && !/^(npm|pnpm)_/i.test(key)
  )
) as Record<string, string>

/** runs a command; fails with its exit code, stdout and stderr (tsc reports on stdout), killed on interruption */
const exec = (
  file: string,
  args: ReadonlyArray<string>,
  cwd: string,
  options: { readonly timeout?: number; readonly env?: Record<string, string> } = {}
) =>
  Effect.callback<string, Error>((resume, signal) => {
    const timeout = options.timeout ?? 60_000
    execFile(
      file,
      [...args],
      { cwd, timeout, signal, maxBuffer: 64 * 1024 * 1024, env: { ...baseEnv, ...options.env } },
      (error, stdout, stderr) => {
        if (error === null) return resume(Effect.succeed(stdout))
        const why = error.killed ? `killed after ${timeout} ms` : `exit ${error.code ?? error.message}`
        const tail = (text: string) => (text.length > 4000 ? `…${text.slice(-4000)}` : text)
        resume(
          Effect.fail(
            new Error(
              `\`${file} ${args.join(" ")}\` in ${cwd} failed (${why})\n--- stdout\n${tail(stdout)}\n--- stderr\n${tail(stderr)}`
            )
          )
        )
      }
    )
  })

const tempDir = (prefix: string) =>
  Effect.acquireRelease(
    Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), prefix))),
    (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
  )

/** the ```ts blocks of a markdown file */
const tsBlocks = (markdown: string) => [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1])

/** every installed copy of a package: walks node_modules (scopes and nested node_modules included) */
const installedCopies = (nodeModules: string, name: string): Array<{ path: string; version: string }> => {
  const found: Array<{ path: string; version: string }> = []
  const visit = (dir: string) => {
    if (!Fs.existsSync(dir)) return
    for (const entry of Fs.readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith(".")) continue
      const path = Path.join(dir, entry.name)
      if (entry.name.startsWith("@")) {
        visit(path)
        continue
      }
      const manifest = Path.join(path, "package.json")
      if (Fs.existsSync(manifest)) {
        const pkg = JSON.parse(Fs.readFileSync(manifest, "utf8"))
        if (pkg.name === name) found.push({ path: Path.relative(nodeModules, path), version: pkg.version })
      }
      visit(Path.join(path, "node_modules"))
    }
  }
  visit(nodeModules)
  return found
}

/** one `pnpm build` and one `pnpm pack` of every published package, into a temp folder removed afterwards */
class Packed extends Context.Service<
  Packed,
  { readonly dir: string; readonly tarballs: Readonly<Record<Published, string>> }
>()("@fxredis/demo/test/Packed") {
  static readonly layer = Layer.effect(
    Packed,
    Effect.gen(function* () {
      yield* exec("pnpm", ["build"], root, { timeout: 120_000 })
      const dir = yield* tempDir("fxredis-pack-")
      yield* Effect.forEach(
        published,
        (name) => exec("pnpm", ["pack", "--pack-destination", dir], Path.join(root, "packages", name)),
        { concurrency: 2, discard: true }
      )
      const tarballs = Object.fromEntries(
        published.map((name) => [name, Path.join(dir, `fxredis-${name}-0.1.0.tgz`)])
      ) as Record<Published, string>
      return { dir, tarballs }
    })
  )
}

layer(Packed.layer, { excludeTestServices: true, timeout: "3 minutes" })("publishing", (it) => {
  it.effect(
    "each tarball ships its dist with types, an exports map into it, README, LICENSE and metadata, effect as a peer, and no tests",
    () =>
      Effect.gen(function* () {
        const { dir, tarballs } = yield* Packed
        const license = Fs.readFileSync(Path.join(root, "LICENSE"), "utf8")
        assert.include(license, "MIT License")
        assert.include(license, "Copyright (c) 2026 the fxredis authors")
        for (const name of published) {
          const tarball = tarballs[name]
          const files = (yield* exec("tar", ["-tzf", tarball], dir)).trim().split("\n")
          const read = (file: string) => exec("tar", ["-xzOf", tarball, `package/${file}`], dir)
          const manifest = JSON.parse(yield* read("package.json"))
          assert.deepStrictEqual(manifest.exports["."], { types: "./dist/index.d.ts", default: "./dist/index.js" })
          assert.strictEqual(manifest.exports["./internal/*"], null)
          assert.include(files, "package/dist/index.js")
          assert.include(files, "package/dist/index.d.ts")
          for (const file of files) {
            assert.notMatch(file, /\/test\/|\.test\.|tsbuildinfo/, `${name} ships ${file}`)
          }
          // no stale output: every dist module has its source
          for (const file of files.filter((f) => /^package\/dist\/.*\.js$/.test(f))) {
            assert.include(files, file.replace("/dist/", "/src/").replace(/\.js$/, ".ts"), `${name}: stale ${file}`)
          }
          for (const [dep, version] of Object.entries({ ...manifest.dependencies })) {
            assert.notInclude(String(version), "workspace:", `${name} depends on ${dep}@${version}`)
          }

          // what a registry page and `npm install` show
          assert.include(files, "package/README.md", `${name} has no README`)
          assert.include(files, "package/LICENSE", `${name} has no LICENSE`)
          assert.strictEqual(yield* read("LICENSE"), license, `${name}'s LICENSE differs from the repository's`)
          assert.match(yield* read("README.md"), new RegExp(`^# @fxredis/${name}\\n`))
          assert.isAbove(String(manifest.description ?? "").length, 20, `${name}: description`)
          assert.include(manifest.keywords ?? [], "redis", `${name}: keywords`)
          assert.deepStrictEqual(manifest.repository, {
            type: "git",
            url: "git+https://github.com/fxredis/fxredis.git",
            directory: `packages/${name}`
          })
          assert.strictEqual(manifest.license, "MIT")
          assert.strictEqual(manifest.engines?.node, ">=22.19")

          // effect is the user's: a peer, never a dependency of ours
          assert.strictEqual(manifest.peerDependencies?.effect, "^4.1.0", `${name}: effect peer`)
          assert.notProperty({ ...manifest.dependencies }, "effect", `${name} depends on effect`)
          assert.notProperty({ ...manifest.dependencies }, "@effect/platform-node-shared")
        }
        const transport = JSON.parse(yield* exec("tar", ["-xzOf", tarballs.transport, "package/package.json"], dir))
        assert.strictEqual(transport.peerDependencies["@effect/platform-node-shared"], "^4.1.0")
        assert.deepStrictEqual(transport.peerDependenciesMeta, { "@effect/platform-node-shared": { optional: true } })

        // the built JavaScript loads on Node as it is
        const loaded = yield* exec(
          process.execPath,
          ["-e", 'import("./packages/client/dist/index.js").then((m) => console.log(typeof m.Redis.layer))'],
          root
        )
        assert.strictEqual(loaded.trim(), "function")
      }),
    120_000
  )

  it.effect(
    "npm install of the tarballs beside another effect 4.x: one effect, no SocketTransport peer, the quick start type-checks and runs",
    () =>
      Effect.gen(function* () {
        const { tarballs } = yield* Packed
        const project = yield* tempDir("fxredis-user-")

        // an effect the workspace does not use: the newest other ^4.1.0 release, or else the workspace's own
        // release re-stamped as the next patch (a stand-in while the registry has no other ^4.1.0 release)
        const workspaceEffect: string = JSON.parse(
          Fs.readFileSync(Path.join(root, "packages/client/node_modules/effect/package.json"), "utf8")
        ).version
        const listed = JSON.parse(yield* exec("npm", ["view", "effect@^4.1.0", "version", "--json"], project))
        const others = (Array.isArray(listed) ? listed : [listed]).filter((v: string) => v !== workspaceEffect)
        let effectSpec: string
        let effectVersion: string
        if (others.length > 0) {
          effectVersion = others[others.length - 1]
          effectSpec = `effect@${effectVersion}`
        } else {
          const [major, minor, patch] = workspaceEffect.split(".").map(Number)
          effectVersion = `${major}.${minor}.${patch + 1}`
          const work = Path.join(project, ".effect")
          Fs.mkdirSync(work)
          yield* exec("npm", ["pack", `effect@${workspaceEffect}`, "--prefer-offline", "--silent"], work, {
            timeout: 120_000
          })
          yield* exec("tar", ["-xzf", `effect-${workspaceEffect}.tgz`], work)
          const manifest = Path.join(work, "package", "package.json")
          Fs.writeFileSync(
            manifest,
            JSON.stringify({ ...JSON.parse(Fs.readFileSync(manifest, "utf8")), version: effectVersion })
          )
          effectSpec = Path.join(project, `effect-${effectVersion}.tgz`)
          yield* exec("tar", ["-czf", effectSpec, "package"], work)
        }
        yield* Effect.log(`install test: effect ${effectVersion} (${effectSpec}), the workspace has ${workspaceEffect}`)

        // an empty project, set up as a Node + TypeScript user would
        Fs.writeFileSync(
          Path.join(project, "package.json"),
          JSON.stringify({ name: "fxredis-user", version: "1.0.0", private: true, type: "module" })
        )
        Fs.writeFileSync(
          Path.join(project, "tsconfig.json"),
          JSON.stringify({
            compilerOptions: {
              target: "ES2023",
              module: "NodeNext",
              moduleResolution: "NodeNext",
              types: ["node"],
              strict: true,
              exactOptionalPropertyTypes: true,
              verbatimModuleSyntax: true,
              erasableSyntaxOnly: true,
              skipLibCheck: false,
              noEmit: true
            },
            include: ["*.ts"]
          })
        )
        // the root README's quick start (its first TypeScript block) and the packages' README examples
        const quickstart = tsBlocks(Fs.readFileSync(Path.join(root, "README.md"), "utf8"))[0]
        assert.isDefined(quickstart, "the README has no TypeScript block")
        assert.include(quickstart, "REDIS_URL", "the quick start does not read REDIS_URL")
        Fs.writeFileSync(Path.join(project, "quickstart.ts"), quickstart)
        for (const name of published) {
          const blocks = tsBlocks(Fs.readFileSync(Path.join(root, "packages", name, "README.md"), "utf8"))
          assert.strictEqual(blocks.length, 1, `packages/${name}/README.md: one TypeScript example`)
          Fs.writeFileSync(Path.join(project, `readme-${name}.ts`), blocks[0])
        }

        const started = Date.now()
        yield* exec(
          "npm",
          [
            "install",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            "--prefer-offline",
            effectSpec,
            ...published.map((name) => tarballs[name]),
            "typescript@7.0.2",
            "@types/node@^24"
          ],
          project,
          { timeout: 150_000 }
        )
        yield* Effect.log(`install test: npm install took ${Date.now() - started} ms`)

        // exactly one effect, the user's: the packages share it instead of nesting their own
        const nodeModules = Path.join(project, "node_modules")
        const effects = installedCopies(nodeModules, "effect")
        assert.deepStrictEqual(
          effects,
          [{ path: "effect", version: effectVersion }],
          `copies of effect in node_modules: ${JSON.stringify(effects)}`
        )
        // the optional peer of SocketTransport (and what it pulls: ws, @types/ws) is not installed
        for (const name of ["@effect/platform-node-shared", "ws", "@types/ws"]) {
          assert.deepStrictEqual(installedCopies(nodeModules, name), [], `${name} was installed`)
        }

        // the barrel loads without the optional peer; the SocketTransport entry point asks for it
        const imported = (specifier: string) =>
          exec(
            process.execPath,
            ["--input-type=module", "-e", `await import(${JSON.stringify(specifier)}); console.log("ok")`],
            project
          )
        assert.strictEqual((yield* imported("@fxredis/transport")).trim(), "ok")
        const socket = yield* Effect.flip(imported("@fxredis/transport/SocketTransport"))
        assert.include(socket.message, "@effect/platform-node-shared")

        // type-checks with the user's effect, TypeScript 7 and no skipLibCheck
        yield* exec(Path.join(nodeModules, ".bin", "tsc"), ["--noEmit", "-p", "."], project, { timeout: 60_000 })

        // and runs against a real server
        const server = yield* RedisServer.make()
        const run = (file: string) =>
          exec(process.execPath, [file], project, { timeout: 30_000, env: { REDIS_URL: server.urls.unix } })
        assert.strictEqual((yield* run("quickstart.ts")).trim(), "hello 1")
        assert.strictEqual((yield* run("readme-client.ts")).trim(), "hello 2")
        assert.strictEqual((yield* run("readme-protocol.ts")).trim(), "33 [ [ 'a', 1 ] ]")
        assert.match((yield* run("readme-testing.ts")).trim(), /^PONG unix:\/\/\/\S+ redis:\/\/127\.0\.0\.1:\d+$/)
        assert.strictEqual(
          (yield* run("readme-transport.ts")).trim(),
          "[ { _tag: 'Tcp', host: 'localhost', port: 6380 }, 2, '<redacted>' ]"
        )
      }),
    180_000
  )
})
