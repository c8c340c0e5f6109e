// A small SVG bar chart of benchmark medians: one panel per metric, one bar per tool.

import {median} from './stats.ts'

interface ChartMetric {
  better: 'higher' | 'lower'
  label: string
  unit: string
  values: Partial<Record<string, number[]>>
}

const COLORS: Record<string, string> = {'client-node': '#9e9e9e', direct: '#cfd8dc', 'kubectl-spdy': '#64b5f6', 'kubectl-ws': '#1976d2', svc: '#2e7d32'}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

export function renderChart(metrics: ChartMetric[], tools: string[]): string {
  const panelW = 300
  const panelH = 220
  const barArea = 140
  const width = panelW * metrics.length
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${panelH + 30}" viewBox="0 0 ${width} ${panelH + 30}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
  ]
  metrics.forEach((m, i) => {
    const x0 = i * panelW
    const medians = tools.map(t => (m.values[t]?.length ? median(m.values[t]!) : Number.NaN))
    const max = Math.max(...medians.filter(Number.isFinite), 1e-9)
    const barW = (panelW - 40) / tools.length
    parts.push(`<text x="${x0 + panelW / 2}" y="16" text-anchor="middle" font-weight="bold">${escape(m.label)}</text>`)
    parts.push(`<text x="${x0 + panelW / 2}" y="30" text-anchor="middle" fill="#555">${escape(`${m.unit}, ${m.better} is better`)}</text>`)
    tools.forEach((t, k) => {
      const v = medians[k]
      const h = Number.isFinite(v) ? (v / max) * barArea : 0
      const x = x0 + 20 + k * barW
      const y = 40 + barArea - h
      parts.push(`<rect x="${x + 4}" y="${y}" width="${barW - 8}" height="${h}" fill="${COLORS[t] ?? '#888'}"/>`)
      parts.push(`<text x="${x + barW / 2}" y="${y - 3}" text-anchor="middle">${Number.isFinite(v) ? (v >= 100 ? v.toFixed(0) : v.toFixed(1)) : 'n/a'}</text>`)
      parts.push(`<text x="${x + barW / 2}" y="${40 + barArea + 14}" text-anchor="middle" transform="rotate(20 ${x + barW / 2} ${40 + barArea + 14})">${escape(t)}</text>`)
    })
  })
  parts.push('</svg>')
  return `${parts.join('\n')}\n`
}
