// The live panel of a `svc port-forward` with several targets, on a terminal: one row per target
// (its local addresses, the pods in use, open connections, bytes each way), drawn on stderr with
// cli-table3 (svc's own table, not one of kubectl's) and redrawn in place. Off a terminal there is
// no panel: `-o json` events carry the same facts.

import Table from 'cli-table3'

import {firstOf, formatBytes} from './output.ts'

export interface PanelRow {
  target: string
  /** `127.0.0.1:8080`, one per forwarded port. */
  local: readonly string[]
  pods: readonly string[]
  open: number
  bytesIn: number
  bytesOut: number
}

/** The panel's text (no trailing newline), each line cut to `columns` so that the terminal never wraps it. */
export function renderPanel(rows: readonly PanelRow[], columns: number): string {
  const table = new Table({
    colAligns: ['left', 'left', 'left', 'right', 'right', 'right'],
    head: ['TARGET', 'LOCAL', 'PODS', 'OPEN', 'IN', 'OUT'],
    style: {border: [], compact: true, head: []},
  })
  for (const row of rows) {
    const pods = row.pods.length === 0 ? 'no ready pod' : firstOf(row.pods, 2)
    table.push([row.target, row.local.join(' '), pods, String(row.open), formatBytes(row.bytesIn), formatBytes(row.bytesOut)])
  }
  return table.toString().split('\n').map(line => ([...line].length > columns ? `${[...line].slice(0, columns - 1).join('')}…` : line)).join('\n')
}

/**
 * A block of lines at the bottom of the terminal, redrawn in place: erased before any other line is
 * printed and drawn again after it.
 */
export class LiveArea {
  private readonly write: (text: string) => void
  private text = ''

  constructor(write: (text: string) => void) {
    this.write = write
  }

  around(print: () => void): void {
    const text = this.text
    this.erase()
    print()
    if (text) this.show(text)
  }

  draw(text: string): void {
    if (text === this.text) return
    this.erase()
    this.show(text)
  }

  /** Removes the block for good. */
  clear(): void {
    this.erase()
  }

  private show(text: string): void {
    this.text = text
    this.write(text)
  }

  /** Back to the block's first line and erase to the end of the screen. */
  private erase(): void {
    if (!this.text) return
    const up = this.text.split('\n').length - 1
    this.write(`\r${up > 0 ? `\u001B[${up}A` : ''}\u001B[J`)
    this.text = ''
  }
}
