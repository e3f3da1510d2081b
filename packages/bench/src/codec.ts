/**
 * `pnpm bench:codec`: RESP decode and encode throughput, fxredis beside `redis-parser` (the parser ioredis used up
 * to v5) and node-redis' decoder (`@redis/client`, whose design ioredis 6 also ships), on the same buffers, in one
 * run. Each sample runs in a process of its own (one decoder or encoder, one case: warmed up, then timed over several
 * repetitions), so that no codec pays for another's garbage; samples are interleaved over rounds and each ratio is the
 * median of the per-round ratios. Not a test.
 *
 * The comparison is of replies as text: fxredis' decoder gives bulk strings as their bytes (an ASCII string or a
 * `Uint8Array`) and its reply layer turns them into text, so its row times both, the decoder and
 * `RedisReply.textual` on every reply, against the peers' decoders producing strings.
 *
 *   node packages/bench/src/codec.ts [--rounds 7] [--json] [--quick]   (--quick: a smoke run, 20 ms warmup, 1 repetition)
 *   node packages/bench/src/codec.ts --sample decode|encode <case> <codec>   (one sample: prints seconds per repetition)
 */
import { execFileSync } from "node:child_process"
import { createRequire } from "node:module"
import { fileURLToPath } from "node:url"
import { RedisReply } from "@fxredis/client"
import { CommandBuffer, encodeCommand, RespDecoder, type RespValue } from "@fxredis/protocol"

const require = createRequire(import.meta.url)
const RedisParser = require("redis-parser") as new (options: {
  returnReply: (reply: unknown) => void
  returnError: (error: unknown) => void
  returnBuffers?: boolean
}) => { execute: (buffer: Buffer) => void }
const nodeRedisDecoder = require(
  require.resolve("@redis/client/dist/lib/RESP/decoder.js", { paths: [require.resolve("@redis/client")] })
) as {
  Decoder: new (options: {
    onReply: (reply: unknown) => void
    onErrorReply: (error: unknown) => void
    onPush: (push: unknown) => void
    getTypeMapping: () => object
  }) => { write: (chunk: Buffer) => void }
}
const nodeRedisEncode = (
  require(require.resolve("@redis/client/dist/lib/RESP/encoder.js", { paths: [require.resolve("@redis/client")] })) as {
    default: (args: ReadonlyArray<string | Buffer>) => ReadonlyArray<string | Buffer>
  }
).default
const IoredisCommand = (
  require(require.resolve("ioredis/built/Command.js", { paths: [require.resolve("ioredis")] })) as {
    default: new (name: string, args: Array<string | Buffer | number>) => { toWritable: (s: object) => string | Buffer }
  }
).default

const args = process.argv.slice(2)
const json = args.includes("--json")
const roundsAt = args.indexOf("--rounds")
const rounds = roundsAt >= 0 ? Number(args[roundsAt + 1]) : 7

const chunked = (buffer: Buffer, size: number): Array<Buffer> => {
  const out: Array<Buffer> = []
  for (let i = 0; i < buffer.length; i += size) out.push(buffer.subarray(i, i + size))
  return out
}

// (a) 100k small replies (+OK, :1, short bulk) in 64 KiB chunks
const small = () =>
  chunked(
    Buffer.from(
      Array.from({ length: 100_000 }, (_, i) =>
        i % 3 === 0 ? "+OK\r\n" : i % 3 === 1 ? ":1\r\n" : "$5\r\nvalue\r\n"
      ).join("")
    ),
    64 * 1024
  )
// (b) 1k bulk strings of 100 KiB, in 64 KiB chunks
const big = () => {
  const payload = "x".repeat(100 * 1024)
  return chunked(Buffer.from(`$${payload.length}\r\n${payload}\r\n`.repeat(1000)), 64 * 1024)
}
// (c) 10k arrays of 100 short bulks (an MGET), in 64 KiB chunks
const arrays = () => {
  const mget = `*100\r\n${Array.from({ length: 100 }, (_, i) => `$8\r\nvalue${String(i).padStart(3, "0")}\r\n`).join("")}`
  return chunked(Buffer.from(mget.repeat(10_000)), 64 * 1024)
}

interface Case {
  readonly name: string
  readonly replies: number
  /** built only in the process that measures it */
  readonly chunks: () => ReadonlyArray<Buffer>
}
const cases: ReadonlyArray<Case> = [
  { name: "decode small replies (100k)", replies: 100_000, chunks: small },
  { name: "decode 100 KiB bulks (1k)", replies: 1000, chunks: big },
  { name: "decode MGET arrays of 100 (10k)", replies: 10_000, chunks: arrays }
]

type Decoder = (chunks: ReadonlyArray<Buffer>) => number
const decoders: Record<string, Decoder> = {
  fxredis: (chunks) => {
    let n = 0
    const decoder = new RespDecoder()
    const textual = RedisReply.textual
    const onReply = (value: RespValue) => {
      // the reply layer's conversion to text is part of the work (see the module's header)
      if (textual(value) !== undefined) n++
    }
    for (const chunk of chunks) decoder.feed(chunk, onReply)
    return n
  },
  "redis-parser": (chunks) => {
    let n = 0
    const parser = new RedisParser({
      returnReply: () => {
        n++
      },
      returnError: () => {
        n++
      }
    })
    for (const chunk of chunks) parser.execute(chunk)
    return n
  },
  "node-redis": (chunks) => {
    let n = 0
    const decoder = new nodeRedisDecoder.Decoder({
      onReply: () => {
        n++
      },
      onErrorReply: () => {
        n++
      },
      onPush: () => {},
      getTypeMapping: () => ({})
    })
    for (const chunk of chunks) decoder.write(chunk)
    return n
  }
}

const commands = Array.from({ length: 100_000 }, (_, i) =>
  i % 2 === 0 ? ["SET", `key:${i}`, `value:${i}`] : ["GET", `key:${i}`]
)
type Encoder = () => number
const encoders: Record<string, Encoder> = {
  fxredis: () => {
    // what the connection does: append a tick's commands, take one chunk
    const buffer = new CommandBuffer()
    let bytes = 0
    for (let i = 0; i < commands.length; i++) {
      buffer.push(commands[i])
      if (i % 100 === 99) bytes += buffer.take().length
    }
    return bytes
  },
  "fxredis (one buffer per command)": () => {
    let bytes = 0
    for (const c of commands) bytes += encodeCommand(c).length
    return bytes
  },
  ioredis: () => {
    let bytes = 0
    for (const [name, ...rest] of commands) bytes += new IoredisCommand(name, rest).toWritable({}).length
    return bytes
  },
  "node-redis": () => {
    let bytes = 0
    for (const c of commands) for (const piece of nodeRedisEncode(c)) bytes += piece.length
    return bytes
  }
}

const time = (f: () => number): number => {
  const start = process.hrtime.bigint()
  f()
  return Number(process.hrtime.bigint() - start) / 1e9
}
const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** one sample (one codec on one case, in its own process): repeated untimed for WARMUP_MS (at least 3 times, so that
 * V8 has optimised it), then timed over REPETITIONS */
const quick = args.includes("--quick")
const WARMUP_MS = quick ? 20 : 500
const REPETITIONS = quick ? 1 : 9
const warmup = (f: () => number) => {
  const until = performance.now() + WARMUP_MS
  for (let i = 0; i < 3 || performance.now() < until; i++) f()
}

/** `--sample`: one codec on one case in this process; prints the median seconds of a repetition */
const sample = (kind: string, index: number, codec: string): number => {
  if (kind === "decode") {
    const c = cases[index]
    const decode = decoders[codec]
    if (c === undefined || decode === undefined) throw new Error(`no decode sample ${index} ${codec}`)
    const chunks = c.chunks()
    // sanity: every decoder sees every reply
    const n = decode(chunks)
    if (n !== c.replies) throw new Error(`${codec} decoded ${n} of ${c.replies} replies in "${c.name}"`)
    warmup(() => decode(chunks))
    return median(Array.from({ length: REPETITIONS }, () => time(() => decode(chunks))))
  }
  const encode = encoders[codec]
  if (encode === undefined) throw new Error(`no encoder ${codec}`)
  warmup(encode)
  return median(Array.from({ length: REPETITIONS }, () => time(encode)))
}

const sampleAt = args.indexOf("--sample")
if (sampleAt >= 0) {
  const [kind, index, codec] = args.slice(sampleAt + 1)
  process.stdout.write(`${sample(kind, Number(index), codec)}\n`)
  process.exit(0)
}

const self = fileURLToPath(import.meta.url)
/** one sample in a process of its own (its heap, its JIT): seconds per repetition */
const measured = (kind: string, index: number, codec: string): number =>
  Number(
    execFileSync(process.execPath, [self, "--sample", kind, String(index), codec, ...(quick ? ["--quick"] : [])], {
      encoding: "utf8"
    }).trim()
  )

interface Row {
  readonly case: string
  readonly peer: string
  readonly ops_per_sec: number
  readonly fxredis_ops_per_sec: number
  /** the median over rounds of fxredis ÷ the peer in the same round */
  readonly ratio: number
}
const rows: Array<Row> = []
const progress = (s: string) => process.stderr.write(`${s}\n`)

/** rows of one case: per round, every codec once (interleaved); ops/s are medians, ratios medians of per-round ratios */
const compare = (
  name: string,
  units: number,
  kind: string,
  index: number,
  fxredis: string,
  peers: ReadonlyArray<string>
) => {
  const seconds: Record<string, Array<number>> = {}
  for (let r = 0; r < rounds; r++) {
    for (const codec of [fxredis, ...peers]) (seconds[codec] ??= []).push(measured(kind, index, codec))
  }
  progress(`${name}: done`)
  const fx = seconds[fxredis]
  for (const peer of peers) {
    rows.push({
      case: name,
      peer,
      ops_per_sec: Math.round(units / median(seconds[peer])),
      fxredis_ops_per_sec: Math.round(units / median(fx)),
      ratio: median(fx.map((s, r) => seconds[peer][r] / s))
    })
  }
}

cases.forEach((c, index) => {
  compare(c.name, c.replies, "decode", index, "fxredis", ["redis-parser", "node-redis"])
})
compare("encode SET/GET (100k)", commands.length, "encode", 0, "fxredis", ["ioredis", "node-redis"])
compare("encode SET/GET, one buffer each (100k)", commands.length, "encode", 0, "fxredis (one buffer per command)", [
  "ioredis",
  "node-redis"
])

if (json) {
  for (const row of rows) process.stdout.write(`${JSON.stringify({ ...row, ratio: Number(row.ratio.toFixed(3)) })}\n`)
} else {
  const fmt = (n: number) => n.toLocaleString("en-US")
  const header = ["case", "peer", "peer ops/s", "fxredis ops/s", "fxredis/peer"]
  const lines = rows.map((r) => [
    r.case,
    r.peer,
    fmt(r.ops_per_sec),
    fmt(r.fxredis_ops_per_sec),
    `${r.ratio.toFixed(2)}×`
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)))
  const print = (cells: ReadonlyArray<string>) =>
    process.stdout.write(
      `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" | ")} |\n`
    )
  print(header)
  process.stdout.write(`|${widths.map((w, i) => (i < 2 ? "-".repeat(w + 2) : `${"-".repeat(w + 1)}:`)).join("|")}|\n`)
  for (const l of lines) print(l)
  process.stdout.write(
    `\neach sample in its own process (${WARMUP_MS} ms warmup, median of ${REPETITIONS} timed repetitions); ratios: medians of the per-round ratios over ${rounds} interleaved rounds; Node ${process.versions.node}\n`
  )
}
