// kubectl's JSONPath dialect: a port of client-go util/jsonpath (parser.go, node.go, jsonpath.go)
// and of the comparison functions it borrows from client-go third_party/forked/golang/template
// (funcs.go). The dialect is not RFC 9535 JSONPath: `{range}`/`{end}`, text between actions,
// quoted literals like {"\n"}, filters without `$` and Go's comparison rules are its own, so no
// library gives its results. Error texts are client-go's, word for word.
//
// Values are unstructured JSON: objects (Go's map[string]interface{}), arrays, strings, booleans,
// null and numbers (integral numbers are Go's int64, others float64). A float literal in a
// template is a GoFloat, so that `1.0` stays a float64 as in Go. Where Go ranges over a map
// (`*`, `..`), the order is unspecified in Go; here keys are sorted.

import {GoFloat, goJsonIndent, goJsonMarshal, goSprint} from './gofmt.ts'
import {byteCompare, sortedKeys} from './labels.ts'

export {GoFloat} from './gofmt.ts'

interface Params {
  derived: boolean
  known: boolean
  value: number
}

export type JsonPathNode =
  | {nodes: JsonPathNode[]; type: 'list'}
  | {params: [Params, Params, Params]; type: 'array'}
  | {left: JsonPathNode & {type: 'list'}; operator: string; right: JsonPathNode & {type: 'list'}; type: 'filter'}
  | {name: string; type: 'identifier'}
  | {nodes: Array<JsonPathNode & {type: 'list'}>; type: 'union'}
  | {text: string; type: 'text'}
  | {type: 'bool'; value: boolean}
  | {type: 'field'; value: string}
  | {type: 'float'; value: number}
  | {type: 'int'; value: number}
  | {type: 'recursive'}
  | {type: 'wildcard'}

type ListNode = JsonPathNode & {type: 'list'}

const EOF = -1

const newList = (): ListNode => ({nodes: [], type: 'list'})

function isSpace(r: number): boolean {
  return r === 0x20 || r === 0x09
}

function isEndOfLine(r: number): boolean {
  return r === 0x0d || r === 0x0a
}

function isDigit(r: number): boolean {
  return r >= 0 && /\p{Nd}/u.test(String.fromCodePoint(r))
}

function isAlphaNumeric(r: number): boolean {
  return r === 0x5f || (r >= 0 && /[\p{L}\p{Nd}]/u.test(String.fromCodePoint(r)))
}

function isTerminator(r: number): boolean {
  if (isSpace(r) || isEndOfLine(r)) return true
  return r === EOF || '.,[]$@{}'.includes(String.fromCodePoint(r))
}

/** Go's %#U: `U+0021 '!'`. */
function goUnicode(r: number): string {
  const hex = `U+${r.toString(16).toUpperCase().padStart(4, '0')}`
  return /[\p{L}\p{M}\p{N}\p{P}\p{S} ]/u.test(String.fromCodePoint(r)) ? `${hex} '${String.fromCodePoint(r)}'` : hex
}

/** Go's strconv.Atoi: an optional sign and decimal digits. */
function atoi(text: string): number | undefined {
  return /^[+-]?\d+$/.test(text) ? Number(text) : undefined
}

const SLICE = /^(-?\d*)(:-?\d*)?(:-?\d*)?$/
const DICT_KEY = /^'([^']*)'$/
const FILTER = /^([^!<>=]+)([!<>=]+)(.+?)$/

class SyntaxError_ extends Error {}

/** client-go's UnquoteExtend: strconv.Unquote that also takes single quotes. */
export function unquoteExtend(s: string): string {
  const n = s.length
  if (n < 2) throw new SyntaxError_('invalid syntax')
  const quote = s[0]
  if (quote !== s[n - 1] || (quote !== '"' && quote !== "'")) throw new SyntaxError_('invalid syntax')
  let body = s.slice(1, -1)
  if (!body.includes('\\') && !body.includes(quote)) return body
  let out = ''
  while (body.length > 0) {
    const [ch, rest] = unquoteChar(body, quote)
    out += ch
    body = rest
  }
  return out
}

/** Go's strconv.UnquoteChar. */
function unquoteChar(s: string, quote: string): [string, string] {
  const c = s[0]
  if (c === quote && (quote === "'" || quote === '"')) throw new SyntaxError_('invalid syntax')
  if (c !== '\\') {
    const cp = s.codePointAt(0)!
    const len = cp > 0xffff ? 2 : 1
    return [s.slice(0, len), s.slice(len)]
  }
  if (s.length <= 1) throw new SyntaxError_('invalid syntax')
  const e = s[1]
  const rest = s.slice(2)
  const simple: Record<string, string> = {'\\': '\\', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v'}
  if (e in simple) return [simple[e], rest]
  if (e === 'x' || e === 'u' || e === 'U') {
    const len = e === 'x' ? 2 : e === 'u' ? 4 : 8
    const hex = rest.slice(0, len)
    if (hex.length < len || !/^[0-9a-fA-F]+$/.test(hex)) throw new SyntaxError_('invalid syntax')
    const v = Number.parseInt(hex, 16)
    if (e === 'x') return [String.fromCharCode(v), rest.slice(len)]
    if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) throw new SyntaxError_('invalid syntax')
    return [String.fromCodePoint(v), rest.slice(len)]
  }
  if (e >= '0' && e <= '7') {
    const oct = s.slice(1, 4)
    if (!/^[0-7]{3}$/.test(oct)) throw new SyntaxError_('invalid syntax')
    const v = Number.parseInt(oct, 8)
    if (v > 255) throw new SyntaxError_('invalid syntax')
    return [String.fromCharCode(v), s.slice(4)]
  }
  if (e === quote && (e === "'" || e === '"')) return [e, rest]
  throw new SyntaxError_('invalid syntax')
}

/** client-go's jsonpath Parser. Parse errors are thrown as Error with client-go's text. */
export class JsonPathParser {
  root: ListNode = newList()
  private input = ''
  private pos = 0
  private start = 0
  private width = 0

  static parse(text: string): ListNode {
    const p = new JsonPathParser()
    p.input = text
    p.root = newList()
    p.pos = 0
    p.parseText(p.root)
    return p.root
  }

  /** parseAction: the expression inside delimiters, its first list node. */
  private static parseAction(text: string): ListNode {
    return JsonPathParser.parse(`{${text}}`).nodes[0] as ListNode
  }

  private consumeText(): string {
    const value = this.input.slice(this.start, this.pos)
    this.start = this.pos
    return value
  }

  private next(): number {
    if (this.pos >= this.input.length) {
      this.width = 0
      return EOF
    }
    const r = this.input.codePointAt(this.pos)!
    this.width = r > 0xffff ? 2 : 1
    this.pos += this.width
    return r
  }

  private peek(): number {
    const r = this.next()
    this.backup()
    return r
  }

  private backup(): void {
    this.pos -= this.width
  }

  private parseText(cur: ListNode): void {
    for (;;) {
      if (this.input.startsWith('{', this.pos)) {
        if (this.pos > this.start) cur.nodes.push({text: this.consumeText(), type: 'text'})
        this.parseLeftDelim(cur)
        return
      }
      if (this.next() === EOF) break
    }
    if (this.pos > this.start) cur.nodes.push({text: this.consumeText(), type: 'text'})
  }

  private parseLeftDelim(cur: ListNode): void {
    this.pos += 1
    this.consumeText()
    const node = newList()
    cur.nodes.push(node)
    this.parseInsideAction(node)
  }

  private parseInsideAction(cur: ListNode): void {
    // every step of the Go parser is a tail call; this loop is the same sequence of steps
    for (;;) {
      const rest = this.input.slice(this.pos)
      if (rest.startsWith('}')) return this.parseRightDelim()
      if (rest.startsWith('[?(')) {
        this.parseFilter(cur)
        continue
      }
      if (rest.startsWith('..')) {
        this.parseRecursive(cur)
        continue
      }
      const r = this.next()
      if (r === EOF || isEndOfLine(r)) throw new Error('unclosed action')
      if (r === 0x20 || r === 0x40 || r === 0x24) {
        this.consumeText()
      } else if (r === 0x5b) {
        this.parseArray(cur)
      } else if (r === 0x22 || r === 0x27) {
        this.parseQuote(cur, r)
      } else if (r === 0x2e) {
        this.parseField(cur)
      } else if (r === 0x2b || r === 0x2d || isDigit(r)) {
        this.backup()
        this.parseNumber(cur)
      } else if (isAlphaNumeric(r)) {
        this.backup()
        this.parseIdentifier(cur)
      } else {
        throw new Error(`unrecognized character in action: ${goUnicode(r)}`)
      }
    }
  }

  private parseRightDelim(): void {
    this.pos += 1
    this.consumeText()
    this.parseText(this.root)
  }

  private parseIdentifier(cur: ListNode): void {
    for (;;) {
      const r = this.next()
      if (isTerminator(r)) {
        this.backup()
        break
      }
    }
    const value = this.consumeText()
    if (value === 'true' || value === 'false') cur.nodes.push({type: 'bool', value: value === 'true'})
    else cur.nodes.push({name: value, type: 'identifier'})
  }

  private parseRecursive(cur: ListNode): void {
    const last = cur.nodes.at(-1)
    if (last?.type === 'recursive') throw new Error('invalid multiple recursive descent')
    this.pos += 2
    this.consumeText()
    cur.nodes.push({type: 'recursive'})
    if (isAlphaNumeric(this.peek())) this.parseField(cur)
  }

  private parseNumber(cur: ListNode): void {
    let r = this.peek()
    if (r === 0x2b || r === 0x2d) this.next()
    for (;;) {
      r = this.next()
      if (r !== 0x2e && !isDigit(r)) {
        this.backup()
        break
      }
    }
    const value = this.consumeText()
    const i = atoi(value)
    if (i !== undefined) {
      cur.nodes.push({type: 'int', value: i})
      return
    }
    if (/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(value)) {
      cur.nodes.push({type: 'float', value: Number(value)})
      return
    }
    throw new Error(`cannot parse number ${value}`)
  }

  private parseArray(cur: ListNode): void {
    for (;;) {
      const r = this.next()
      if (r === EOF || r === 0x0a) throw new Error('unterminated array')
      if (r === 0x5d) break
    }
    let text = this.consumeText()
    text = text.slice(1, -1)
    if (text === '*') text = ':'

    const parts = text.split(',')
    if (parts.length > 1) {
      const union: ListNode[] = parts.map(part => JsonPathParser.parseAction(`[${part.replace(/^ +| +$/g, '')}]`))
      cur.nodes.push({nodes: union, type: 'union'})
      return
    }

    const dict = DICT_KEY.exec(text)
    if (dict) {
      for (const node of JsonPathParser.parseAction(`.${dict[1]}`).nodes) cur.nodes.push(node)
      return
    }

    const slice = SLICE.exec(text)
    if (!slice) throw new Error(`invalid array index ${text}`)
    const value = slice.slice(1).map(v => v ?? '')
    const params: [Params, Params, Params] = [
      {derived: false, known: false, value: 0},
      {derived: false, known: false, value: 0},
      {derived: false, known: false, value: 0},
    ]
    for (let i = 0; i < 3; i++) {
      if (value[i] !== '') {
        if (i > 0) value[i] = value[i].slice(1)
        if (i > 0 && value[i] === '') {
          params[i].known = false
        } else {
          params[i].known = true
          const n = atoi(value[i])
          if (n === undefined) throw new Error(`array index ${value[i]} is not a number`)
          params[i].value = n
        }
      } else if (i === 1) {
        params[i].known = true
        params[i].value = params[0].value + 1
        params[i].derived = true
      } else {
        params[i].known = false
        params[i].value = 0
      }
    }
    cur.nodes.push({params, type: 'array'})
  }

  private parseFilter(cur: ListNode): void {
    this.pos += 3
    this.consumeText()
    let begin = false
    let end = false
    let pair = 0
    for (;;) {
      const r = this.next()
      if (r === EOF || r === 0x0a) throw new Error('unterminated filter')
      if (r === 0x22 || r === 0x27) {
        if (!begin) {
          begin = true
          pair = r
          continue
        }
        if (this.input[this.pos - 2] !== '\\' && r === pair) end = true
      } else if (r === 0x29 && begin === end) {
        break
      }
    }
    if (this.next() !== 0x5d) throw new Error('unclosed array expect ]')
    let text = this.consumeText()
    text = text.slice(0, -2)
    const m = FILTER.exec(text)
    if (!m) {
      cur.nodes.push({left: JsonPathParser.parseAction(text), operator: 'exists', right: newList(), type: 'filter'})
    } else {
      const left = JsonPathParser.parseAction(m[1])
      const right = JsonPathParser.parseAction(m[3])
      cur.nodes.push({left, operator: m[2], right, type: 'filter'})
    }
  }

  private parseQuote(cur: ListNode, end: number): void {
    for (;;) {
      const r = this.next()
      if (r === EOF || r === 0x0a) throw new Error('unterminated quoted string')
      if (r === end && this.input[this.pos - 2] !== '\\') break
    }
    const value = this.consumeText()
    let s: string
    try {
      s = unquoteExtend(value)
    } catch (error) {
      throw new Error(`unquote string ${value} error ${(error as Error).message}`)
    }
    cur.nodes.push({text: s, type: 'text'})
  }

  private parseField(cur: ListNode): void {
    this.consumeText()
    while (this.advance()) {
      // scan to the next unescaped terminator
    }
    const value = this.consumeText()
    if (value === '*') cur.nodes.push({type: 'wildcard'})
    else cur.nodes.push({type: 'field', value: value.replaceAll('\\', '')})
  }

  private advance(): boolean {
    const r = this.next()
    if (r === 0x5c) {
      this.next()
    } else if (isTerminator(r)) {
      this.backup()
      return false
    }
    return true
  }
}

// ---- values and Go's comparison rules (client-go third_party/forked/golang/template/funcs.go) ----

type Kind = 'bool' | 'float' | 'int' | 'invalid' | 'string'

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof GoFloat)
}

function basicKind(v: unknown): Kind {
  if (typeof v === 'boolean') return 'bool'
  if (typeof v === 'string') return 'string'
  if (v instanceof GoFloat) return 'float'
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float'
  return 'invalid'
}

function num(v: unknown): number {
  return v instanceof GoFloat ? v.value : (v as number)
}

const BAD_TYPE = 'invalid type for comparison'
const INCOMPATIBLE = 'incompatible types for comparison'

/** The basic kind two operands share, or the error Go's comparison gives them. */
function comparableKind(a: unknown, b: unknown): Kind {
  const k1 = basicKind(a)
  if (k1 === 'invalid') throw new Error(BAD_TYPE)
  const k2 = basicKind(b)
  if (k2 === 'invalid') throw new Error(BAD_TYPE)
  if (k1 !== k2) throw new Error(INCOMPATIBLE)
  return k1
}

export function goEqual(a: unknown, b: unknown): boolean {
  const kind = comparableKind(a, b)
  if (kind === 'float' || kind === 'int') return num(a) === num(b)
  return a === b
}

export function goLess(a: unknown, b: unknown): boolean {
  const kind = comparableKind(a, b)
  if (kind === 'bool') throw new Error(BAD_TYPE)
  if (kind === 'string') return byteCompare(a as string, b as string) < 0
  return num(a) < num(b)
}

function compare(operator: string, left: unknown, right: unknown): boolean {
  switch (operator) {
    case '<':
      return goLess(left, right)
    case '>':
      return !(goLess(left, right) || goEqual(left, right))
    case '==':
      return goEqual(left, right)
    case '!=':
      return !goEqual(left, right)
    case '<=':
      return goLess(left, right) || goEqual(left, right)
    case '>=':
      return !goLess(left, right)
    default:
      throw new Error(`unrecognized filter operator ${operator}`)
  }
}

/** Go's reflect type name of an unstructured value, for error texts. */
export function goTypeName(v: unknown): string {
  if (v === null || v === undefined) return '<nil>'
  if (typeof v === 'string') return 'string'
  if (typeof v === 'boolean') return 'bool'
  if (v instanceof GoFloat) return 'float64'
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64'
  if (Array.isArray(v)) return '[]interface {}'
  return 'map[string]interface {}'
}

function children(value: unknown): unknown[] {
  if (Array.isArray(value)) return [...value]
  if (isMap(value)) return sortedKeys(value).map(k => value[k])
  if (typeof value === 'string') return [...Buffer.from(value)]
  return []
}

/** client-go's JSONPath: a parsed template and its evaluation state. */
export class JsonPath {
  allowMissingKeys = false
  outputJson = false
  private beginRange = 0
  private endRange = 0
  private inRange = 0
  private lastEndNode = -1
  /** The parser's root nodes; FindResults narrows the window as {range} does in Go (a shared slice). */
  private readonly nodes: JsonPathNode[]
  private start = 0

  constructor(template: string) {
    this.nodes = JsonPathParser.parse(template).nodes
  }

  /** Execute: every result set, printed as client-go's PrintResults does. */
  execute(data: unknown): string {
    return this.findResults(data).map(r => this.printResults(r)).join('')
  }

  findResults(data: unknown): unknown[][] {
    const cur = [data]
    const base = this.start
    const length = this.nodes.length - base
    const full: unknown[][] = []
    for (let i = 0; i < length; i++) {
      const node = this.nodes[base + i]
      const results = this.walk(cur, node)
      if (this.endRange > 0 && this.endRange <= this.inRange) {
        this.endRange--
        this.lastEndNode = base + i
        break
      }
      if (this.beginRange > 0) {
        this.beginRange--
        this.inRange++
        if (results.length > 0) {
          for (const value of results) {
            this.start = base + i + 1
            full.push(...this.findResults(value))
          }
        } else {
          this.start = base + i + 1
          this.findResults(null)
        }
        this.inRange--
        for (let k = i + 1; k < length; k++) {
          if (base + k === this.lastEndNode) {
            i = k
            break
          }
        }
        continue
      }
      full.push(results)
    }
    return full
  }

  printResults(results: unknown[]): string {
    const values = this.outputJson ? [results] : results
    let out = ''
    values.forEach((r, i) => {
      let text: string
      if (this.outputJson) text = goJsonIndent(r)
      else if (Array.isArray(r) || isMap(r)) text = goJsonMarshal(r)
      else text = r === null || r === undefined ? 'null' : goSprint(r)
      out += text
      if (i !== values.length - 1) out += ' '
    })
    return out
  }

  private walk(value: unknown[], node: JsonPathNode): unknown[] {
    switch (node.type) {
      case 'list':
        return this.evalList(value, node)
      case 'text':
        return [node.text]
      case 'field':
        return this.evalField(value, node.value)
      case 'array':
        return this.evalArray(value, node.params)
      case 'filter':
        return this.evalFilter(value, node)
      case 'int':
        return value.map(() => node.value)
      case 'float':
        return value.map(() => new GoFloat(node.value))
      case 'bool':
        return value.map(() => node.value)
      case 'wildcard':
        return value.flatMap(v => (v === null ? [] : children(v)))
      case 'recursive':
        return this.evalRecursive(value)
      case 'union':
        return node.nodes.flatMap(list => this.evalList(value, list))
      case 'identifier':
        return this.evalIdentifier(value, node.name)
    }
  }

  private evalList(value: unknown[], node: ListNode): unknown[] {
    let cur = value
    for (const n of node.nodes) cur = this.walk(cur, n)
    return cur
  }

  private evalIdentifier(input: unknown[], name: string): unknown[] {
    if (name === 'range') {
      this.beginRange++
      return input
    }
    if (name === 'end') {
      if (this.inRange > 0) {
        this.endRange++
        return []
      }
      throw new Error('not in range, nothing to end')
    }
    throw new Error(`unrecognized identifier ${name}`)
  }

  private evalArray(input: unknown[], original: [Params, Params, Params]): unknown[] {
    const result: unknown[] = []
    for (const value of input) {
      if (value === null) continue
      if (!Array.isArray(value)) throw new Error(`${goTypeName(value)} is not array or slice`)
      const params = original.map(p => ({...p})) as [Params, Params, Params]
      const length = value.length
      if (!params[0].known) params[0].value = 0
      if (params[0].value < 0) params[0].value += length
      if (!params[1].known) params[1].value = length
      if (params[1].value < 0 || (params[1].value === 0 && params[1].derived)) params[1].value += length
      if (params[1].value === params[0].value) return result
      if (params[0].value >= length || params[0].value < 0) throw new Error(`array index out of bounds: index ${params[0].value}, length ${length}`)
      if (params[1].value > length || params[1].value < 0) throw new Error(`array index out of bounds: index ${params[1].value - 1}, length ${length}`)
      if (params[0].value > params[1].value) throw new Error(`starting index ${params[0].value} is greater than ending index ${params[1].value}`)
      const slice = value.slice(params[0].value, params[1].value)
      let step = 1
      if (params[2].known) {
        if (params[2].value <= 0) throw new Error('step must be > 0')
        step = params[2].value
      }
      for (let i = 0; i < slice.length; i += step) result.push(slice[i])
    }
    return result
  }

  private evalField(input: unknown[], name: string): unknown[] {
    const results: unknown[] = []
    if (input.length === 0) return results
    for (const value of input) {
      if (isMap(value) && Object.hasOwn(value, name)) results.push(value[name])
    }
    if (results.length === 0 && !this.allowMissingKeys) throw new Error(`${name} is not found`)
    return results
  }

  private evalRecursive(input: unknown[]): unknown[] {
    const result: unknown[] = []
    for (const value of input) {
      if (value === null) continue
      const kids = children(value)
      if (kids.length > 0) {
        result.push(value)
        result.push(...this.evalRecursive(kids))
      }
    }
    return result
  }

  private evalFilter(input: unknown[], node: JsonPathNode & {type: 'filter'}): unknown[] {
    const results: unknown[] = []
    for (const value of input) {
      if (!Array.isArray(value)) throw new Error(`${goSprint(value)} is not array or slice and cannot be filtered`)
      for (const item of value) {
        let lefts: unknown[]
        let leftError: unknown
        try {
          lefts = this.evalList([item], node.left)
        } catch (error) {
          lefts = []
          leftError = error
        }
        if (node.operator === 'exists') {
          if (lefts.length > 0) results.push(item)
          continue
        }
        if (leftError) throw leftError
        if (lefts.length === 0) continue
        if (lefts.length > 1) throw new Error('can only compare one element at a time')
        const rights = this.evalList([item], node.right)
        if (rights.length === 0) continue
        if (rights.length > 1) throw new Error('can only compare one element at a time')
        if (compare(node.operator, lefts[0], rights[0])) results.push(item)
      }
    }
    return results
  }
}
