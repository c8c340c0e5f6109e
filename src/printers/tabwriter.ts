// A port of Go's text/tabwriter (and of liggitt/tabwriter, the fork kubectl's `get` uses, which
// adds RememberWidths). kubectl aligns both `get` tables and `describe` output with it, so svc
// must pad exactly the same way to print byte-identical text. The algorithm (elastic tabstops):
//
// - input is split into cells terminated by '\t' or '\v'; '\n' and '\f' end a line. The text after
//   the last tab of a line is a cell too, but it is never part of a column and never padded;
// - a column block is a run of consecutive lines that all have a terminated cell in column c; its
//   width is max(minwidth, widest cell + padding). Blocks nest: column c+1 is computed only inside
//   the run of column c;
// - a line with a single cell (no tab) cannot influence later lines, so the writer flushes there:
//   such a line ends every open column block;
// - text between Escape bytes (0xff) is passed through untouched (tabs and newlines inside do not
//   split cells); its width excludes the Escape bytes.
//
// Everything is computed on UTF-8 bytes as Go does; widths count runes, not display columns.

export const FilterHTML = 1
export const StripEscape = 2
export const AlignRight = 4
export const DiscardEmptyColumns = 8
export const TabIndent = 16
export const Debug = 32
/** liggitt/tabwriter: keep the widest width seen per column across flushes (kubectl get --watch). */
export const RememberWidths = 64

export const ESCAPE = 0xff

export interface TabWriterOptions {
  flags?: number
  minwidth: number
  padchar?: string
  padding: number
  tabwidth: number
}

interface Cell {
  htab: boolean
  size: number
  width: number
}

const TAB = 0x09
const VTAB = 0x0b
const NEWLINE = 0x0a
const FORMFEED = 0x0c

/** Go's utf8.RuneCount: invalid bytes count as one rune each. */
export function runeCount(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let count = 0
  let i = start
  while (i < end) {
    const b = bytes[i]
    let size = 1
    if (b >= 0xc2 && b <= 0xdf) size = 2
    else if (b >= 0xe0 && b <= 0xef) size = 3
    else if (b >= 0xf0 && b <= 0xf4) size = 4
    if (size > 1) {
      if (i + size > end) size = 1
      else {
        for (let k = 1; k < size; k++) {
          const c = bytes[i + k]
          let lo = 0x80
          let hi = 0xbf
          if (k === 1) {
            if (b === 0xe0) lo = 0xa0
            else if (b === 0xed) hi = 0x9f
            else if (b === 0xf0) lo = 0x90
            else if (b === 0xf4) hi = 0x8f
          }
          if (c < lo || c > hi) {
            size = 1
            break
          }
        }
      }
    }
    i += size
    count++
  }
  return count
}

/**
 * The writer. Write text (strings are UTF-8 encoded) and call flush() at the end; output goes to
 * the sink given to the constructor, or is collected and returned by take().
 */
export class TabWriter {
  private readonly minwidth: number
  private readonly tabwidth: number
  private readonly padding: number
  private readonly padbyte: number
  private readonly flags: number
  private readonly sink: (chunk: Buffer) => void
  private collected: Buffer[] = []

  private buf: number[] = []
  private pos = 0
  private cell: Cell = {htab: false, size: 0, width: 0}
  private endChar = 0
  private lines: Cell[][] = [[]]
  private widths: number[] = []
  private maxwidths: number[] = []
  private out: number[] = []

  constructor(options: TabWriterOptions, sink?: (chunk: Buffer) => void) {
    const {minwidth, padding, tabwidth} = options
    if (minwidth < 0 || tabwidth < 0 || padding < 0) throw new Error('negative minwidth, tabwidth, or padding')
    this.minwidth = minwidth
    this.tabwidth = tabwidth
    this.padding = padding
    const padchar = options.padchar ?? ' '
    this.padbyte = padchar.charCodeAt(0)
    let flags = options.flags ?? 0
    if (this.padbyte === TAB) flags &= ~AlignRight // tab padding enforces left-alignment
    this.flags = flags
    this.sink = sink ?? (chunk => this.collected.push(chunk))
  }

  /** Everything written to the default sink so far, as a string; clears it. */
  take(): string {
    return this.takeBytes().toString('utf8')
  }

  /** Everything written to the default sink so far, as bytes; clears it. */
  takeBytes(): Buffer {
    const bytes = Buffer.concat(this.collected)
    this.collected = []
    return bytes
  }

  /** The remembered per-column widths (RememberWidths). */
  rememberedWidths(): number[] {
    return [...this.maxwidths]
  }

  write(data: string | Uint8Array): void {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
    let n = 0
    for (let i = 0; i < bytes.length; i++) {
      const ch = bytes[i]
      if (this.endChar === 0) {
        switch (ch) {
          case TAB:
          case VTAB:
          case NEWLINE:
          case FORMFEED: {
            this.append(bytes, n, i)
            this.updateWidth()
            n = i + 1
            const ncells = this.terminateCell(ch === TAB)
            if (ch === NEWLINE || ch === FORMFEED) {
              this.lines.push([])
              if (ch === FORMFEED || ncells === 1) {
                // A line with one cell cannot affect the formatting of later lines: flush.
                this.flush()
                if (ch === FORMFEED && this.flags & Debug) this.emit(Buffer.from('---\n'))
              }
            }
            break
          }
          case ESCAPE:
            this.append(bytes, n, i)
            this.updateWidth()
            n = i
            if (this.flags & StripEscape) n++
            this.endChar = ESCAPE
            break
          case 0x3c: // '<'
          case 0x26: // '&'
            if (this.flags & FilterHTML) {
              this.append(bytes, n, i)
              this.updateWidth()
              n = i
              this.endChar = ch === 0x3c ? 0x3e : 0x3b
            }
            break
          default:
            break
        }
      } else if (ch === this.endChar) {
        let j = i + 1
        if (ch === ESCAPE && this.flags & StripEscape) j = i
        this.append(bytes, n, j)
        n = i + 1
        this.endEscape()
      }
    }
    this.append(bytes, n, bytes.length)
  }

  /** Formats and writes everything buffered; an unterminated escape counts as complete. */
  flush(): void {
    if (this.cell.size > 0) {
      if (this.endChar !== 0) this.endEscape()
      this.terminateCell(false)
    }
    this.format(0, 0, this.lines.length)
    if (this.out.length > 0) {
      this.sink(Buffer.from(this.out))
      this.out = []
    }
    this.reset()
  }

  private emit(bytes: Uint8Array): void {
    for (const b of bytes) this.out.push(b)
  }

  private reset(): void {
    this.buf = []
    this.pos = 0
    this.cell = {htab: false, size: 0, width: 0}
    this.endChar = 0
    this.lines = [[]]
    this.widths = []
  }

  private append(bytes: Uint8Array, from: number, to: number): void {
    for (let i = from; i < to; i++) this.buf.push(bytes[i])
    this.cell.size += to - from
  }

  private updateWidth(): void {
    this.cell.width += runeCount(Uint8Array.from(this.buf.slice(this.pos)))
    this.pos = this.buf.length
  }

  private endEscape(): void {
    switch (this.endChar) {
      case ESCAPE:
        this.updateWidth()
        if (!(this.flags & StripEscape)) this.cell.width -= 2
        break
      case 0x3e: // '>': a tag has no width
        break
      case 0x3b: // ';': an entity counts as one rune
        this.cell.width++
        break
      default:
        break
    }
    this.pos = this.buf.length
    this.endChar = 0
  }

  private terminateCell(htab: boolean): number {
    this.cell.htab = htab
    const line = this.lines[this.lines.length - 1]
    line.push(this.cell)
    this.cell = {htab: false, size: 0, width: 0}
    return line.length
  }

  private writePadding(textw: number, cellw: number, useTabs: boolean): void {
    if (this.padbyte === TAB || useTabs) {
      if (this.tabwidth === 0) return
      const rounded = Math.ceil(cellw / this.tabwidth) * this.tabwidth
      const n = rounded - textw
      if (n < 0) throw new Error('tabwriter: internal error')
      for (let k = 0; k < Math.ceil(n / this.tabwidth); k++) this.out.push(TAB)
      return
    }
    for (let k = 0; k < cellw - textw; k++) this.out.push(this.padbyte)
  }

  private writeLines(pos0: number, line0: number, line1: number): number {
    let pos = pos0
    for (let i = line0; i < line1; i++) {
      const line = this.lines[i]
      let useTabs = Boolean(this.flags & TabIndent)
      for (let j = 0; j < line.length; j++) {
        const c = line[j]
        if (j > 0 && this.flags & Debug) this.out.push(0x7c)
        if (c.size === 0) {
          if (j < this.widths.length) this.writePadding(c.width, this.widths[j], useTabs)
        } else {
          useTabs = false
          if (!(this.flags & AlignRight)) {
            this.emitBuf(pos, c.size)
            pos += c.size
            if (j < this.widths.length) this.writePadding(c.width, this.widths[j], false)
          } else {
            if (j < this.widths.length) this.writePadding(c.width, this.widths[j], false)
            this.emitBuf(pos, c.size)
            pos += c.size
          }
        }
      }
      if (i + 1 === this.lines.length) {
        // the last buffered line has no newline yet: write the incomplete cell's text
        this.emitBuf(pos, this.cell.size)
        pos += this.cell.size
      } else {
        this.out.push(NEWLINE)
      }
    }
    return pos
  }

  private emitBuf(from: number, size: number): void {
    for (let k = from; k < from + size; k++) this.out.push(this.buf[k])
  }

  private format(pos0: number, line0In: number, line1: number): number {
    let pos = pos0
    let line0 = line0In
    const column = this.widths.length
    for (let current = line0; current < line1; current++) {
      let line = this.lines[current]
      if (column >= line.length - 1) continue
      // a cell exists in this column: print the lines before the block begins
      pos = this.writeLines(pos, line0, current)
      line0 = current
      let width = this.minwidth
      let discardable = true
      for (; current < line1; current++) {
        line = this.lines[current]
        if (column >= line.length - 1) break
        const c = line[column]
        const w = c.width + this.padding
        if (w > width) width = w
        if (c.width > 0 || c.htab) discardable = false
      }
      if (discardable && this.flags & DiscardEmptyColumns) width = 0
      if (this.flags & RememberWidths) {
        if (this.maxwidths.length < this.widths.length) this.maxwidths.push(...this.widths.slice(this.maxwidths.length))
        const index = this.widths.length
        if (this.maxwidths.length === index) this.maxwidths.push(width)
        else if (this.maxwidths[index] > width) width = this.maxwidths[index]
        else if (this.maxwidths[index] < width) this.maxwidths[index] = width
      }
      this.widths.push(width)
      pos = this.format(pos, line0, current)
      this.widths.pop()
      line0 = current
      // (the line that ended the block has no cell in this column, so the loop may step over it)
    }
    return this.writeLines(pos, line0, line1)
  }
}

/** Formats a whole text at once: write it and flush. */
export function tabify(text: string | Uint8Array, options: TabWriterOptions): string {
  const writer = new TabWriter(options)
  writer.write(text)
  writer.flush()
  return writer.take()
}

/** kubectl get's table writer (cli-runtime printers.GetNewTabWriter). */
export const GET_TABLE: TabWriterOptions = {flags: RememberWidths, minwidth: 6, padchar: ' ', padding: 3, tabwidth: 4}
/** kubectl describe's writer (describe.tabbedString). */
export const DESCRIBE: TabWriterOptions = {flags: 0, minwidth: 0, padchar: ' ', padding: 2, tabwidth: 8}
