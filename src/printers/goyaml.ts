// YAML exactly as kubectl prints it. kubectl's -o yaml is sigs.k8s.io/yaml: the object is encoded
// to JSON, decoded by go-yaml v2 into generic maps, and encoded again by go-yaml v2. So the text
// follows go-yaml v2: keys in its "natural" order (digit runs compared as numbers), 2-space
// indentation, sequences inside a mapping not indented, strings that would read back as another
// type double-quoted, 80-column folding of long plain and quoted scalars, `|` blocks for strings
// with newlines. This module ports those rules (libyaml's emitter as go-yaml v2 carries it) for
// JSON-shaped data: maps, arrays, strings, numbers, booleans and null.

/** go-yaml v2's keyList.Less for two string keys. */
export function goYamlKeyLess(a: string, b: string): boolean {
  const ar = [...a]
  const br = [...b]
  for (let i = 0; i < ar.length && i < br.length; i++) {
    if (ar[i] === br[i]) continue
    const al = isLetter(ar[i])
    const bl = isLetter(br[i])
    if (al && bl) return ar[i].codePointAt(0)! < br[i].codePointAt(0)!
    if (al || bl) return bl
    let an = 0
    let bn = 0
    if (ar[i] === '0' || br[i] === '0') {
      for (let j = i - 1; j >= 0 && isDigit(ar[j]); j--) {
        if (ar[j] !== '0') {
          an = 1
          bn = 1
          break
        }
      }
    }
    let ai = i
    for (; ai < ar.length && isDigit(ar[ai]); ai++) an = an * 10 + (ar[ai].charCodeAt(0) - 48)
    let bi = i
    for (; bi < br.length && isDigit(br[bi]); bi++) bn = bn * 10 + (br[bi].charCodeAt(0) - 48)
    if (an !== bn) return an < bn
    if (ai !== bi) return ai < bi
    return ar[i].codePointAt(0)! < br[i].codePointAt(0)!
  }
  return ar.length < br.length
}

function isLetter(ch: string): boolean {
  return /^\p{L}$/u.test(ch)
}

function isDigit(ch: string): boolean {
  return /^\p{Nd}$/u.test(ch)
}

export function sortKeysGoYaml(keys: string[]): string[] {
  // sort.Sort is not stable, but keys of a map are distinct, so the order is total.
  return [...keys].sort((x, y) => (goYamlKeyLess(x, y) ? -1 : goYamlKeyLess(y, x) ? 1 : 0))
}

// ---- resolve: would a plain scalar read back as something other than a string? ----

const RESOLVE_MAP = new Set([
  'y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON',
  'n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF',
  '', '~', 'null', 'Null', 'NULL',
  '.nan', '.NaN', '.NAN', '.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF', '-.inf', '-.Inf', '-.INF',
  '<<',
])

const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/
const BASE60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/

/** True when go-yaml v2 would resolve the unquoted text to a non-string (so it must be quoted). */
export function resolvesToNonString(s: string): boolean {
  const c = s.length > 0 ? s[0] : ''
  const hint = s === '' ? 'N' : /[+-]/.test(c) ? 'S' : /[0-9]/.test(c) ? 'D' : /[yYnNtTfFoO~]/.test(c) ? 'M' : c === '.' ? '.' : ''
  if (hint === '' && s !== '') return false
  if (RESOLVE_MAP.has(s)) return true
  if (hint === '.') return goParseFloatOk(s)
  if (hint === 'D' || hint === 'S') {
    if (parseTimestamp(s)) return true
    const plain = s.replaceAll('_', '')
    if (goParseIntBase0Ok(plain)) return true
    if (YAML_STYLE_FLOAT.test(plain)) return true
    if (plain.startsWith('0b') && /^[01]+$/.test(plain.slice(2))) return true
    if (plain.startsWith('-0b') && /^[01]+$/.test(plain.slice(3))) return true
  }
  return false
}

// strconv.ParseInt(s, 0, 64) / ParseUint: sign, then 0x/0o/0b/0 prefixes, underscores only with a prefix
// (they were removed by the caller already); out-of-range values fail ParseInt/ParseUint but
// go-yaml then tries big.Int, which accepts the same syntax: so syntax alone decides.
function goParseIntBase0Ok(s: string): boolean {
  let t = s
  if (t.startsWith('+') || t.startsWith('-')) t = t.slice(1)
  if (t === '') return false
  if (/^0[xX][0-9a-fA-F]+$/.test(t)) return true
  if (/^0[oO][0-7]+$/.test(t)) return true
  if (/^0[bB][01]+$/.test(t)) return true
  if (/^0[0-7]*$/.test(t)) return true
  return /^[1-9][0-9]*$/.test(t)
}

// strconv.ParseFloat for text starting with '.', the only case the '.' hint reaches.
function goParseFloatOk(s: string): boolean {
  return /^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(s.replaceAll('_', '')) && !s.includes('_')
}

/** go-yaml v2's parseTimestamp: the four layouts it tries, with Go time.Parse's rules. */
export function parseTimestamp(s: string): boolean {
  if (!/^[0-9]{4}-/.test(s)) return false
  const date = /^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})/.exec(s)
  if (!date) return false
  const year = Number(date[1])
  const month = Number(date[2])
  const day = Number(date[3])
  if (month < 1 || month > 12) return false
  if (day < 1 || day > daysIn(month, year)) return false
  const rest = s.slice(date[0].length)
  if (rest === '') return true
  // T or t, then time, fraction, and Z or ±hh:mm; or a space, time and fraction with no zone.
  const zoned = /^[Tt]([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:[.,][0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$/.exec(rest)
  const spaced = /^ ([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:[.,][0-9]+)?$/.exec(rest)
  const m = zoned ?? spaced
  if (!m) return false
  if (Number(m[1]) > 23 || Number(m[2]) > 59 || Number(m[3]) > 59) return false
  if (zoned && m[4] !== 'Z') {
    const hh = Number(m[4].slice(1, 3))
    const mm = Number(m[4].slice(4, 6))
    if (hh > 24 || mm > 60) return false
  }
  return true
}

function daysIn(month: number, year: number): number {
  if (month === 2) return (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) ? 29 : 28
  return [31, 0, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
}

/** strconv.FormatFloat(f, 'g', -1, 64), with go-yaml's spellings of the specials. */
export function goFormatFloat(f: number): string {
  if (Number.isNaN(f)) return '.nan'
  if (f === Infinity) return '.inf'
  if (f === -Infinity) return '-.inf'
  if (f === 0) return Object.is(f, -0) ? '-0' : '0'
  const sign = f < 0 ? '-' : ''
  const abs = Math.abs(f)
  const [mantissa, e] = abs.toExponential().split('e')
  const exp = Number(e)
  // Shortest 'g': exponent form when the exponent is below -4 or at least 6.
  if (exp < -4 || exp >= 6) return `${sign}${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`
  return `${sign}${abs.toString()}`
}

// ---- the emitter ----

interface ScalarAnalysis {
  blockAllowed: boolean
  blockPlainAllowed: boolean
  flowPlainAllowed: boolean
  multiline: boolean
  singleQuotedAllowed: boolean
}

type Style = 'double' | 'literal' | 'plain' | 'single'

const BEST_INDENT = 2
const BEST_WIDTH = 80

function isBreakCh(ch: string | undefined): boolean {
  return ch === '\n' || ch === '\r' || ch === '\u0085' || ch === '\u2028' || ch === '\u2029'
}

function isSpaceCh(ch: string | undefined): boolean {
  return ch === ' '
}

function isBlankCh(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\t'
}

function isBlankZ(ch: string | undefined): boolean {
  return ch === undefined || ch === '\0' || isBlankCh(ch) || isBreakCh(ch)
}

// libyaml's is_printable on the UTF-8 encoding: LF, 0x20-0x7E, U+00A0-U+D7FF, U+E000-U+FFFD except
// U+FEFF. Characters outside the BMP are not "printable" in go-yaml v2 (they get \U escapes).
function isPrintable(ch: string): boolean {
  const c = ch.codePointAt(0)!
  if (c === 0x0a) return true
  if (c >= 0x20 && c <= 0x7e) return true
  if (c >= 0xa0 && c <= 0xd7ff) return true
  if (c >= 0xe000 && c <= 0xfffd && c !== 0xfeff) return true
  return false
}

export function analyzeScalar(value: string): ScalarAnalysis {
  const chars = [...value]
  if (chars.length === 0) {
    return {blockAllowed: false, blockPlainAllowed: true, flowPlainAllowed: false, multiline: false, singleQuotedAllowed: true}
  }
  let blockIndicators = false
  let flowIndicators = false
  let lineBreaks = false
  let specialCharacters = false
  let leadingSpace = false
  let leadingBreak = false
  let trailingSpace = false
  let trailingBreak = false
  let breakSpace = false
  let spaceBreak = false
  let previousSpace = false
  let previousBreak = false
  if (value.startsWith('---') || value.startsWith('...')) {
    blockIndicators = true
    flowIndicators = true
  }
  let precededByWhitespace = true
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]
    const followedByWhitespace = i + 1 >= chars.length || isBlankCh(chars[i + 1])
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) {
        flowIndicators = true
        blockIndicators = true
      } else if (ch === '?' || ch === ':') {
        flowIndicators = true
        if (followedByWhitespace) blockIndicators = true
      } else if (ch === '-' && followedByWhitespace) {
        flowIndicators = true
        blockIndicators = true
      }
    } else if (',?[]{}'.includes(ch)) {
      flowIndicators = true
    } else if (ch === ':') {
      flowIndicators = true
      if (followedByWhitespace) blockIndicators = true
    } else if (ch === '#' && precededByWhitespace) {
      flowIndicators = true
      blockIndicators = true
    }
    if (!isPrintable(ch)) specialCharacters = true
    if (isSpaceCh(ch)) {
      if (i === 0) leadingSpace = true
      if (i === chars.length - 1) trailingSpace = true
      if (previousBreak) breakSpace = true
      previousSpace = true
      previousBreak = false
    } else if (isBreakCh(ch)) {
      lineBreaks = true
      if (i === 0) leadingBreak = true
      if (i === chars.length - 1) trailingBreak = true
      if (previousSpace) spaceBreak = true
      previousSpace = false
      previousBreak = true
    } else {
      previousSpace = false
      previousBreak = false
    }
    precededByWhitespace = isBlankZ(ch)
  }
  const a: ScalarAnalysis = {blockAllowed: true, blockPlainAllowed: true, flowPlainAllowed: true, multiline: lineBreaks, singleQuotedAllowed: true}
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) {
    a.flowPlainAllowed = false
    a.blockPlainAllowed = false
  }
  if (trailingSpace) a.blockAllowed = false
  if (breakSpace) {
    a.flowPlainAllowed = false
    a.blockPlainAllowed = false
    a.singleQuotedAllowed = false
  }
  if (spaceBreak || specialCharacters) {
    a.flowPlainAllowed = false
    a.blockPlainAllowed = false
    a.singleQuotedAllowed = false
    a.blockAllowed = false
  }
  if (lineBreaks) {
    a.flowPlainAllowed = false
    a.blockPlainAllowed = false
  }
  if (flowIndicators) a.flowPlainAllowed = false
  if (blockIndicators) a.blockPlainAllowed = false
  return a
}

class Emitter {
  out = ''
  column = 0
  indent = -1
  indents: number[] = []
  whitespace = true
  indention = true
  flowLevel = 0
  mappingContext = false
  simpleKeyContext = false

  putBreak(): void {
    this.out += '\n'
    this.column = 0
  }

  /** write_break: a '\n' is a line break; other break characters are copied and reset the column. */
  writeBreak(ch: string): void {
    if (ch === '\n') this.putBreak()
    else {
      this.out += ch
      this.column = 0
    }
  }

  put(ch: string): void {
    this.out += ch
    this.column++
  }

  writeIndent(): void {
    const indent = Math.max(this.indent, 0)
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) this.putBreak()
    while (this.column < indent) this.put(' ')
    this.whitespace = true
    this.indention = true
  }

  writeIndicator(indicator: string, needWhitespace: boolean, isWhitespace: boolean, isIndention: boolean): void {
    if (needWhitespace && !this.whitespace) this.put(' ')
    for (const ch of indicator) this.put(ch)
    this.whitespace = isWhitespace
    this.indention = this.indention && isIndention
  }

  increaseIndent(flow: boolean, indentless: boolean): void {
    this.indents.push(this.indent)
    if (this.indent < 0) this.indent = flow ? BEST_INDENT : 0
    else if (!indentless) this.indent += BEST_INDENT
  }

  popIndent(): void {
    this.indent = this.indents.pop()!
  }

  node(value: unknown, ctx: {mapping: boolean; sequence: boolean; simpleKey: boolean}): void {
    this.mappingContext = ctx.mapping
    this.simpleKeyContext = ctx.simpleKey
    if (value === null || value === undefined) return this.scalar('null', 'plain')
    if (typeof value === 'boolean') return this.scalar(value ? 'true' : 'false', 'plain')
    if (typeof value === 'number') return this.scalar(Number.isInteger(value) && Math.abs(value) < 1e21 ? String(value) : goFormatFloat(value), 'plain')
    if (typeof value === 'bigint') return this.scalar(value.toString(), 'plain')
    if (typeof value === 'string') return this.stringScalar(value)
    if (Array.isArray(value)) return this.sequence(value)
    if (typeof value === 'object') return this.mapping(value as Record<string, unknown>)
    return this.stringScalar(String(value))
  }

  stringScalar(s: string): void {
    let style: Style
    if (s.includes('\n')) style = 'literal'
    else if (!resolvesToNonString(s) && !(/^[-+0-9]/.test(s) && s.includes(':') && BASE60_FLOAT.test(s))) style = 'plain'
    else style = 'double'
    this.scalar(s, style)
  }

  scalar(value: string, requested: Style): void {
    const a = analyzeScalar(value)
    let style = requested
    if (this.simpleKeyContext && a.multiline) style = 'double'
    if (style === 'plain') {
      if ((this.flowLevel > 0 && !a.flowPlainAllowed) || (this.flowLevel === 0 && !a.blockPlainAllowed)) style = 'single'
      if (value.length === 0 && (this.flowLevel > 0 || this.simpleKeyContext)) style = 'single'
    }
    if (style === 'single' && !a.singleQuotedAllowed) style = 'double'
    if (style === 'literal' && (!a.blockAllowed || this.flowLevel > 0 || this.simpleKeyContext)) style = 'double'
    this.increaseIndent(true, false)
    const allowBreaks = !this.simpleKeyContext
    if (style === 'plain') this.writePlain(value, allowBreaks)
    else if (style === 'single') this.writeSingle(value, allowBreaks)
    else if (style === 'double') this.writeDouble(value, allowBreaks)
    else this.writeLiteral(value)
    this.popIndent()
  }

  writePlain(value: string, allowBreaks: boolean): void {
    if (!this.whitespace) this.put(' ')
    const chars = [...value]
    let spaces = false
    let breaks = false
    for (let i = 0; i < chars.length; i++) {
      const ch = chars[i]
      if (isSpaceCh(ch)) {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && !isSpaceCh(chars[i + 1])) this.writeIndent()
        else this.put(ch)
        spaces = true
      } else if (isBreakCh(ch)) {
        if (!breaks && ch === '\n') this.putBreak()
        this.writeBreak(ch)
        this.indention = true
        breaks = true
      } else {
        if (breaks) this.writeIndent()
        this.put(ch)
        this.indention = false
        spaces = false
        breaks = false
      }
    }
    this.whitespace = false
    this.indention = false
  }

  writeSingle(value: string, allowBreaks: boolean): void {
    this.writeIndicator("'", true, false, false)
    const chars = [...value]
    let spaces = false
    let breaks = false
    for (let i = 0; i < chars.length; i++) {
      const ch = chars[i]
      if (isSpaceCh(ch)) {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && i > 0 && i < chars.length - 1 && !isSpaceCh(chars[i + 1])) this.writeIndent()
        else this.put(ch)
        spaces = true
      } else if (isBreakCh(ch)) {
        if (!breaks && ch === '\n') this.putBreak()
        this.writeBreak(ch)
        this.indention = true
        breaks = true
      } else {
        if (breaks) this.writeIndent()
        if (ch === "'") this.put("'")
        this.put(ch)
        this.indention = false
        spaces = false
        breaks = false
      }
    }
    this.writeIndicator("'", false, false, false)
    this.whitespace = false
    this.indention = false
  }

  writeDouble(value: string, allowBreaks: boolean): void {
    let spaces = false
    this.writeIndicator('"', true, false, false)
    const chars = [...value]
    for (let i = 0; i < chars.length; i++) {
      const ch = chars[i]
      const v = ch.codePointAt(0)!
      if (!isPrintable(ch) || v === 0xfeff || isBreakCh(ch) || ch === '"' || ch === '\\') {
        this.put('\\')
        const short: Record<number, string> = {0: '0', 7: 'a', 8: 'b', 9: 't', 10: 'n', 11: 'v', 12: 'f', 13: 'r', 27: 'e', 0x22: '"', 0x5c: '\\', 0x85: 'N', 0xa0: '_', 0x2028: 'L', 0x2029: 'P'}
        if (short[v] !== undefined) this.put(short[v])
        else {
          const [letter, width] = v <= 0xff ? ['x', 2] : v <= 0xffff ? ['u', 4] : ['U', 8]
          this.put(letter)
          for (const d of v.toString(16).toUpperCase().padStart(width, '0')) this.put(d)
        }
        spaces = false
      } else if (isSpaceCh(ch)) {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && i > 0 && i < chars.length - 1) {
          this.writeIndent()
          if (isSpaceCh(chars[i + 1])) this.put('\\')
        } else {
          this.put(ch)
        }
        spaces = true
      } else {
        this.put(ch)
        spaces = false
      }
    }
    this.writeIndicator('"', false, false, false)
    this.whitespace = false
    this.indention = false
  }

  writeLiteral(value: string): void {
    this.writeIndicator('|', true, false, false)
    const chars = [...value]
    if (isSpaceCh(chars[0]) || isBreakCh(chars[0])) this.writeIndicator(String(BEST_INDENT), false, false, false)
    let chomp = ''
    const last = chars.length - 1
    if (chars.length === 0 || !isBreakCh(chars[last])) chomp = '-'
    else if (last === 0 || isBreakCh(chars[last - 1])) chomp = '+'
    if (chomp) this.writeIndicator(chomp, false, false, false)
    this.putBreak()
    this.indention = true
    this.whitespace = true
    let breaks = true
    for (const ch of chars) {
      if (isBreakCh(ch)) {
        this.writeBreak(ch)
        this.indention = true
        breaks = true
      } else {
        if (breaks) this.writeIndent()
        this.put(ch)
        this.indention = false
        breaks = false
      }
    }
  }

  sequence(items: unknown[]): void {
    if (this.flowLevel > 0 || items.length === 0) {
      this.writeIndicator('[', true, true, false)
      this.increaseIndent(true, false)
      this.flowLevel++
      // Only empty sequences are written in flow style here.
      this.flowLevel--
      this.popIndent()
      this.writeIndicator(']', false, false, false)
      return
    }
    this.increaseIndent(false, this.mappingContext && !this.indention)
    for (const item of items) {
      this.writeIndent()
      this.writeIndicator('-', true, false, true)
      this.node(item, {mapping: false, sequence: true, simpleKey: false})
    }
    this.popIndent()
  }

  mapping(map: Record<string, unknown>): void {
    const keys = sortKeysGoYaml(Object.keys(map).filter(k => map[k] !== undefined))
    if (this.flowLevel > 0 || keys.length === 0) {
      this.writeIndicator('{', true, true, false)
      this.increaseIndent(true, false)
      this.flowLevel++
      this.flowLevel--
      this.popIndent()
      this.writeIndicator('}', false, false, false)
      return
    }
    this.increaseIndent(false, false)
    for (const key of keys) {
      this.writeIndent()
      const a = analyzeScalar(key)
      const simple = !a.multiline && [...key].length <= 128
      if (simple) {
        this.node(key, {mapping: true, sequence: false, simpleKey: true})
        this.writeIndicator(':', false, false, false)
      } else {
        this.writeIndicator('?', true, false, true)
        this.node(key, {mapping: true, sequence: false, simpleKey: false})
        this.writeIndent()
        this.writeIndicator(':', true, false, true)
      }
      this.node(map[key], {mapping: true, sequence: false, simpleKey: false})
    }
    this.popIndent()
  }
}

/**
 * sigs.k8s.io/yaml.Marshal of a JSON-shaped value: the exact text kubectl's -o yaml prints for it,
 * ending in a newline.
 */
export function marshalYaml(value: unknown): string {
  const e = new Emitter()
  e.node(toJsonShape(value), {mapping: false, sequence: false, simpleKey: false})
  // Document end: an implicit end writes a final line break.
  e.writeIndent()
  return e.out
}

/** The value after a JSON round trip (undefined fields dropped, toJSON applied), as Go's json.Marshal sees it. */
function toJsonShape(value: unknown): unknown {
  return value === undefined ? null : JSON.parse(JSON.stringify(value))
}
