/**
 * Copies of fxredis' packages (protocol, transport, client) that a worker can load instead of the live workspace,
 * wired to the workspace's dependencies:
 *
 * - the baseline: an earlier commit, extracted from git objects (the work tree, the index and HEAD untouched) into
 *   `.tools/bench-baseline/<commit>`;
 * - the snapshot: the work tree as it is when a run starts, copied into `.tools/bench-snapshot/<state>`, so that a
 *   whole run measures one state of a client that others may be editing meanwhile.
 */
import { execFileSync } from "node:child_process"
import { createHash } from "node:crypto"
import * as Fs from "node:fs"
import * as Path from "node:path"

const PACKAGES = ["protocol", "transport", "client"] as const
const CORE = PACKAGES.map((p) => `packages/${p}`)

/** a copy of the packages, ready to load: `${dir}/packages/client/src/index.ts` */
export interface Copy {
  /** the client name of its rows: `fxredis@<rev>` for the baseline, `fxredis` for the snapshot */
  readonly client: string
  readonly dir: string
  /** the commit (baseline) or the work tree's state (snapshot: `<commit>[+dirty.<hash>]`) */
  readonly state: string
}

/** why there is no copy */
export interface Skipped {
  readonly skipped: string
}

const git = (root: string, ...args: Array<string>) =>
  execFileSync("git", ["-C", root, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim()

/** a dependency's directory as the workspace resolves it today (the copies have no node_modules of their own) */
const resolveDependency = (root: string, pkg: string, dep: string, version: string): string | undefined => {
  const store = Path.join(root, "node_modules", ".pnpm")
  const exact = version.replace(/^[\^~=]/, "")
  const stored = Fs.existsSync(store)
    ? Fs.readdirSync(store)
        .filter((entry) => entry.startsWith(`${dep.replace("/", "+")}@${exact}`))
        .map((entry) => Path.join(store, entry, "node_modules", dep))
    : []
  const candidates = [
    Path.join(root, "packages", pkg, "node_modules", dep),
    Path.join(root, "packages", "bench", "node_modules", dep),
    Path.join(root, "node_modules", dep),
    ...stored
  ]
  const found = candidates.find((c) => Fs.existsSync(Path.join(c, "package.json")))
  return found === undefined ? undefined : Fs.realpathSync(found)
}

/** links each copied package's dependencies and peers: `@fxredis/*` to the copied siblings, the rest to the workspace's */
const wire = (root: string, dir: string, what: string) => {
  for (const pkg of PACKAGES) {
    const manifest = JSON.parse(Fs.readFileSync(Path.join(dir, "packages", pkg, "package.json"), "utf8"))
    const optional = new Set(
      Object.entries<{ optional?: boolean }>(manifest.peerDependenciesMeta ?? {})
        .filter(([, meta]) => meta.optional === true)
        .map(([dep]) => dep)
    )
    const deps = { ...manifest.peerDependencies, ...manifest.dependencies } as Record<string, string>
    for (const [dep, version] of Object.entries(deps)) {
      const target = dep.startsWith("@fxredis/")
        ? Path.join(dir, "packages", dep.slice("@fxredis/".length))
        : resolveDependency(root, pkg, dep, version)
      if (target === undefined || !Fs.existsSync(target)) {
        if (optional.has(dep)) continue
        throw new Error(`cannot resolve ${dep}@${version} for packages/${pkg} of ${what}`)
      }
      const link = Path.join(dir, "packages", pkg, "node_modules", dep)
      Fs.mkdirSync(Path.dirname(link), { recursive: true })
      Fs.symlinkSync(target, link, "dir")
    }
  }
  Fs.writeFileSync(Path.join(dir, ".ready"), `${what}\n`)
}

const reason = (error: unknown) => {
  const stderr = error instanceof Error && "stderr" in error ? String(error.stderr).trim() : ""
  return stderr || (error instanceof Error ? error.message : String(error))
}

/**
 * Extracts `rev`'s packages (once per commit; later runs reuse them) and returns where they are, or why not.
 */
export const prepareBaseline = (root: string, rev: string): Copy | Skipped => {
  let commit: string
  try {
    commit = git(root, "rev-parse", "--verify", "--quiet", `${rev}^{commit}`)
  } catch {
    return { skipped: `baseline fxredis@${rev} skipped: ${rev} is not a commit of ${root}` }
  }
  const dir = Path.join(root, ".tools", "bench-baseline", commit)
  try {
    if (!Fs.existsSync(Path.join(dir, ".ready"))) {
      Fs.rmSync(dir, { recursive: true, force: true })
      Fs.mkdirSync(dir, { recursive: true })
      const tar = execFileSync("git", ["-C", root, "archive", commit, ...CORE], {
        maxBuffer: 256 * 1024 * 1024,
        stdio: ["ignore", "pipe", "pipe"]
      })
      execFileSync("tar", ["-x", "-C", dir], { input: tar, stdio: ["pipe", "ignore", "pipe"] })
      wire(root, dir, commit)
    }
    return { client: `fxredis@${rev}`, dir, state: commit }
  } catch (error) {
    return { skipped: `baseline fxredis@${rev} skipped: ${reason(error)}` }
  }
}

/**
 * The state of the work tree's fxredis packages: the commit, with `+dirty.<hash of the uncommitted changes>` when
 * they differ from it.
 */
export const workTreeState = (root: string): string => {
  try {
    const head = git(root, "log", "-1", "--format=%h")
    const status = git(root, "status", "--porcelain", "--", ...CORE)
    if (status === "") return head
    const untracked = git(root, "ls-files", "--others", "--exclude-standard", "--", ...CORE)
      .split("\n")
      .filter((f) => f !== "")
      .map((f) => `${f}\n${Fs.readFileSync(Path.join(root, f), "utf8")}`)
    const changes = [status, git(root, "diff", "HEAD", "--", ...CORE), ...untracked].join("\n")
    return `${head}+dirty.${createHash("sha1").update(changes).digest("hex").slice(0, 8)}`
  } catch {
    return "unknown"
  }
}

/**
 * Copies the work tree's packages (their `package.json` and `src/`) as they are now, and returns where they are, or
 * why not. Snapshots older than a day are removed.
 */
export const prepareSnapshot = (root: string): Copy | Skipped => {
  const state = workTreeState(root)
  const parent = Path.join(root, ".tools", "bench-snapshot")
  const dir = Path.join(parent, state === "unknown" ? `unknown-${process.pid}` : state)
  try {
    // snapshots a day old go (not younger ones: another run may be measuring one)
    if (Fs.existsSync(parent))
      for (const old of Fs.readdirSync(parent)) {
        const path = Path.join(parent, old)
        if (path !== dir && Date.now() - Fs.statSync(path).mtimeMs > 24 * 3600_000)
          Fs.rmSync(path, { recursive: true, force: true })
      }
    if (!Fs.existsSync(Path.join(dir, ".ready"))) {
      Fs.rmSync(dir, { recursive: true, force: true })
      for (const pkg of CORE) {
        Fs.mkdirSync(Path.join(dir, pkg), { recursive: true })
        Fs.copyFileSync(Path.join(root, pkg, "package.json"), Path.join(dir, pkg, "package.json"))
        Fs.cpSync(Path.join(root, pkg, "src"), Path.join(dir, pkg, "src"), { recursive: true })
      }
      wire(root, dir, `work tree ${state}`)
    }
    return { client: "fxredis", dir, state }
  } catch (error) {
    return { skipped: `snapshot of the work tree failed, measuring it live: ${reason(error)}` }
  }
}
