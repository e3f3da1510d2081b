/**
 * A bar chart of each row's throughput as a ratio of the best peer's, hand-written SVG (no dependency): one panel
 * per transport, one group of bars per workload, one bar per client, a dashed line at 1× (the best peer).
 */

export interface ChartRow {
  readonly workload: string
  readonly transport: string
  readonly client: string
  /** null: not measured (n/a, failed, or no peer to compare with) */
  readonly vs_best_peer: number | null
}

const xml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

const PEER_COLOURS = ["#e8a33d", "#d9772b", "#b5563a", "#8c6bb1", "#6b9a4f", "#a0a0a0"]

/** fxredis in blues (the baseline in grey-blue), the peers in warm colours, in the order the clients were given */
const colourOf = (clients: ReadonlyArray<string>) => {
  const peers = clients.filter((c) => !c.startsWith("fxredis"))
  return (client: string) => {
    if (client === "fxredis") return "#1f5fbf"
    if (client.startsWith("fxredis@")) return "#8fa3bf"
    if (client.startsWith("fxredis+")) return "#5b8fd9"
    return PEER_COLOURS[peers.indexOf(client) % PEER_COLOURS.length]
  }
}

/** the SVG document; `title` goes on top, `note` at the bottom (a line per `; `-separated part) */
export const renderChart = (rows: ReadonlyArray<ChartRow>, title: string, note: string): string => {
  const workloads = [...new Set(rows.map((r) => r.workload))]
  const transports = [...new Set(rows.map((r) => r.transport))]
  const clients = [...new Set(rows.map((r) => r.client))]
  const colour = colourOf(clients)
  const bar = 14
  const gap = 3
  const groupGap = 18
  const label = 150
  const plot = 300
  const panel = label + plot + 60
  const top = 56
  const groupHeight = clients.length * (bar + gap) + groupGap + 16
  const notes = note.split("; ")
  const height = top + workloads.length * groupHeight + 16 + notes.length * 14
  const width = Math.max(1, transports.length) * panel + 20
  const ratios = rows.map((r) => r.vs_best_peer).filter((x): x is number => x !== null && Number.isFinite(x))
  const max = Math.max(1.25, ...ratios) * 1.05
  const x = (ratio: number) => (ratio / max) * plot
  const out: Array<string> = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="11" role="img" aria-labelledby="title">`,
    `<title id="title">fxredis and its peers: throughput ÷ best peer, per workload and transport</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="10" y="20" font-size="14" font-weight="600">${xml(title)}</text>`
  ]
  transports.forEach((transport, p) => {
    const left = 10 + p * panel
    out.push(
      `<text x="${left + label}" y="${top - 18}" font-size="12" font-weight="600">${xml(transport.toUpperCase())} — ops/s ÷ best peer</text>`
    )
    const one = left + label + x(1)
    const bottom = top + workloads.length * groupHeight - groupGap
    out.push(
      `<line x1="${one}" y1="${top - 10}" x2="${one}" y2="${bottom}" stroke="#555" stroke-dasharray="3,3"/>`,
      `<text x="${one}" y="${bottom + 12}" text-anchor="middle" fill="#555">1×</text>`
    )
    workloads.forEach((workload, w) => {
      const y0 = top + w * groupHeight
      out.push(`<text x="${left}" y="${y0 + 4}" font-weight="600">${xml(workload)}</text>`)
      clients.forEach((client, c) => {
        const y = y0 + 10 + c * (bar + gap)
        const row = rows.find((r) => r.workload === workload && r.transport === transport && r.client === client)
        const ratio = row?.vs_best_peer ?? null
        out.push(`<text x="${left + label - 6}" y="${y + bar - 3}" text-anchor="end" fill="#333">${xml(client)}</text>`)
        if (ratio === null || !Number.isFinite(ratio)) {
          out.push(`<text x="${left + label + 4}" y="${y + bar - 3}" fill="#999">n/a</text>`)
          return
        }
        const len = Math.max(1, x(ratio))
        out.push(
          `<rect x="${left + label}" y="${y}" width="${len.toFixed(1)}" height="${bar}" fill="${colour(client)}"><title>${xml(`${workload} ${transport} ${client}: ${ratio.toFixed(2)}× best peer`)}</title></rect>`,
          `<text x="${(left + label + len + 4).toFixed(1)}" y="${y + bar - 3}" fill="#333" stroke="#fff" stroke-width="3" paint-order="stroke">${ratio.toFixed(2)}×</text>`
        )
      })
    })
  })
  notes.forEach((line, i) => {
    out.push(`<text x="10" y="${height - 8 - (notes.length - 1 - i) * 14}" fill="#666">${xml(line)}</text>`)
  })
  out.push("</svg>")
  return `${out.join("\n")}\n`
}
