// The part of Go's text/template that kubectl's -o go-template users write, ported from Go's
// text/template (parse/lex.go, parse/parse.go, exec.go, funcs.go) with kubectl's two extra
// functions (cli-runtime printers/template.go: exists, base64decode). Supported: text and
// actions, trim markers ({{- -}}), comments, pipelines, parenthesised pipelines, variables
// ($, $x := ..., $x = ...), if/else if/else, range (slices, maps in key order, else, $i, $e,
// break, continue), with/else, and the functions and, or, not, len, index, print, printf,
// println, eq, ne, lt, le, gt, ge, urlquery, exists, base64decode. Not supported (parse error
// "function ... not defined" or "unexpected ..."): define/template/block, call, html, js, slice.
//
// Data is unstructured JSON as kubectl hands it to the template (apimachinery's json.Unmarshal:
// integral numbers are int64, others float64). Error texts are Go's, with its positions.

import {GoFloat, goQuote, goSprint} from './gofmt.ts'
import {byteCompare, sortedKeys} from './labels.ts'

/** An integer of the template itself (a constant, len's result): Go's int (int32 for a character), not the data's int64. */
class GoInt {
  readonly type: 'int' | 'int32'
  readonly value: number
  constructor(value: number, type: 'int' | 'int32' = 'int') {
    this.value = value
    this.type = type
  }
}

/** The value with GoInts as plain numbers, for fmt's printing. */
function plain(v: unknown): unknown {
  return v instanceof GoInt ? v.value : v
}

// ---- lexer ----

type ItemType =
  | 'assign' | 'bool' | 'char' | 'declare' | 'dot' | 'eof' | 'error' | 'field' | 'identifier' | 'keyword'
  | 'charItem' | 'leftDelim' | 'leftParen' | 'nil' | 'number' | 'pipe' | 'rawString' | 'rightDelim' | 'rightParen'
  | 'space' | 'string' | 'text' | 'variable'

interface Item {
  line: number
  pos: number
  type: ItemType
  val: string
}

const KEYWORDS = new Set(['block', 'break', 'continue', 'define', 'else', 'end', 'if', 'range', 'template', 'with'])

function itemString(i: Item): string {
  if (i.type === 'eof') return 'EOF'
  if (i.type === 'error') return i.val
  if (i.type === 'keyword') return `<${i.val}>`
  if (i.type === 'charItem') return goQuote(i.val)
  if (i.val.length > 10) return `${goQuote(i.val.slice(0, 10))}...`
  return goQuote(i.val)
}

function isSpaceChar(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n'
}

function isAlnum(c: string): boolean {
  return c === '_' || /[\p{L}\p{Nd}]/u.test(c)
}

/** Go's %#U. */
function goUnicode(c: string): string {
  const cp = c.codePointAt(0)!
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`
  return /[\p{L}\p{M}\p{N}\p{P}\p{S} ]/u.test(c) ? `${hex} '${c}'` : hex
}

function lex(input: string): Item[] {
  const items: Item[] = []
  let pos = 0
  let start = 0
  let line = 1
  let startLine = 1
  let parenDepth = 0
  const emit = (type: ItemType, val = input.slice(start, pos)) => {
    items.push({line: startLine, pos: start, type, val})
    start = pos
    startLine = line
  }
  const error = (message: string) => {
    items.push({line: startLine, pos: start, type: 'error', val: message})
    items.push({line, pos, type: 'eof', val: ''})
  }
  const advance = (n: number) => {
    for (let k = 0; k < n; k++) if (input[pos + k] === '\n') line++
    pos += n
  }
  const ignore = () => {
    start = pos
    startLine = line
  }
  const trimLeft = (at: number) => input.startsWith('{{- ', at) || input.startsWith('{{-\t', at) || input.startsWith('{{-\r', at) || input.startsWith('{{-\n', at)
  const rightTrim = (at: number) => /^ -}}|^\t-}}|^\r-}}|^\n-}}/.test(input.slice(at, at + 4))

  // lexText / lexLeftDelim / lexComment / lexRightDelim / lexInsideAction
  for (;;) {
    // text
    const x = input.indexOf('{{', pos)
    if (x < 0) {
      advance(input.length - pos)
      if (pos > start) emit('text')
      items.push({line, pos, type: 'eof', val: ''})
      return items
    }
    advance(x - pos)
    let trimmed = input.slice(start, pos)
    if (trimLeft(pos)) trimmed = trimmed.replace(/[ \t\r\n]+$/, '')
    if (trimmed.length > 0) items.push({line: startLine, pos: start, type: 'text', val: trimmed})
    start = pos
    startLine = line
    // left delim
    const afterMarker = trimLeft(pos) ? 3 : 2
    if (input.startsWith('/*', pos + afterMarker)) {
      // comment
      advance(afterMarker)
      ignore()
      const end = input.indexOf('*/', pos + 2)
      if (end < 0) {
        error('unclosed comment')
        return items
      }
      advance(end + 2 - pos)
      const trim = rightTrim(pos)
      if (!input.startsWith('}}', pos) && !trim) {
        error('comment ends before closing delimiter')
        return items
      }
      advance(trim ? 4 : 2)
      if (trim) advance(input.slice(pos).length - input.slice(pos).replace(/^[ \t\r\n]+/, '').length)
      ignore()
      continue
    }
    advance(2)
    emit('leftDelim', '{{')
    if (afterMarker === 3) {
      advance(1)
      ignore()
    }
    parenDepth = 0
    // inside action
    for (;;) {
      const trim = rightTrim(pos)
      if ((trim || input.startsWith('}}', pos)) && parenDepth === 0) {
        if (trim) {
          advance(1)
          ignore()
          advance(1)
          ignore()
        }
        advance(2)
        emit('rightDelim', '}}')
        if (trim) {
          const rest = input.slice(pos)
          advance(rest.length - rest.replace(/^[ \t\r\n]+/, '').length)
          ignore()
        }
        break
      }
      if (pos >= input.length) {
        error('unclosed action')
        return items
      }
      const c = input[pos]
      if (isSpaceChar(c)) {
        while (pos < input.length && isSpaceChar(input[pos]) && !rightTrim(pos)) advance(1)
        emit('space')
      } else if (c === '=') {
        advance(1)
        emit('assign')
      } else if (c === ':') {
        if (input[pos + 1] !== '=') {
          error('expected :=')
          return items
        }
        advance(2)
        emit('declare')
      } else if (c === '|') {
        advance(1)
        emit('pipe')
      } else if (c === '"') {
        if (!quoted('"', 'unterminated quoted string')) return items
        emit('string')
      } else if (c === '`') {
        const end = input.indexOf('`', pos + 1)
        if (end < 0) {
          error('unterminated raw quoted string')
          return items
        }
        advance(end + 1 - pos)
        emit('rawString')
      } else if (c === "'") {
        if (!quoted("'", 'unterminated character constant')) return items
        emit('char')
      } else if (c === '$') {
        advance(1)
        while (pos < input.length && isAlnum(input[pos])) advance(1)
        emit('variable')
        if (!checkTerminator()) return items
      } else if (c === '.') {
        if (pos + 1 < input.length && /[0-9]/.test(input[pos + 1])) {
          if (!lexNumber()) return items
        } else {
          advance(1)
          while (pos < input.length && isAlnum(input[pos])) advance(1)
          const dot = pos - start === 1
          emit(dot ? 'dot' : 'field')
          if (!dot && !checkTerminator()) return items
        }
      } else if (c === '+' || c === '-' || /[0-9]/.test(c)) {
        if (!lexNumber()) return items
      } else if (isAlnum(c)) {
        while (pos < input.length && isAlnum(input[pos])) advance(1)
        const word = input.slice(start, pos)
        if (KEYWORDS.has(word)) emit('keyword')
        else if (word === 'true' || word === 'false') emit('bool')
        else if (word === 'nil') emit('nil')
        else emit('identifier')
        if (!checkTerminator()) return items
      } else if (c === '(') {
        advance(1)
        emit('leftParen')
        parenDepth++
      } else if (c === ')') {
        advance(1)
        parenDepth--
        if (parenDepth < 0) {
          error('unexpected right paren')
          return items
        }
        emit('rightParen')
      } else if (c >= ' ' && c <= '~') {
        advance(1)
        emit('charItem')
      } else {
        const ch = String.fromCodePoint(input.codePointAt(pos)!)
        error(`unrecognized character in action: ${goUnicode(ch)}`)
        return items
      }
    }
  }

  /** Scans a "..." string or '...' character up to its closing quote (lexQuote, lexChar). */
  function quoted(quote: string, unterminated: string): boolean {
    advance(1)
    for (;;) {
      const d = input[pos]
      if (d === '\\' && pos + 1 < input.length && input[pos + 1] !== '\n') {
        advance(2)
        continue
      }
      if (d === undefined || d === '\n') {
        error(unterminated)
        return false
      }
      advance(1)
      if (d === quote) return true
    }
  }

  function checkTerminator(): boolean {
    const c = input[pos]
    if (c === undefined || isSpaceChar(c) || c === '.' || c === ',' || c === '|' || c === ':' || c === ')' || c === '(' || input.startsWith('}}', pos) || rightTrim(pos)) return true
    error(`bad character ${goUnicode(String.fromCodePoint(input.codePointAt(pos)!))}`)
    return false
  }

  function lexNumber(): boolean {
    const m = /^[+-]?(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(\d[\d_]*)?\.?\d*([eE][+-]?\d+)?)i?/.exec(input.slice(pos))
    const text = m ? m[0] : ''
    const next = input[pos + text.length]
    if (text === '' || (next !== undefined && isAlnum(next))) {
      advance(Math.max(text.length, 1))
      error(`bad number syntax: ${goQuote(input.slice(start, pos))}`)
      return false
    }
    advance(text.length)
    emit('number')
    return true
  }
}

// ---- parse tree ----

type Node =
  | {nodes: Node[]; pos: number; type: 'list'}
  | {pipe: Pipe; pos: number; type: 'action'}
  | {else?: ListNodeT; list: ListNodeT; pipe: Pipe; pos: number; type: 'if' | 'with'}
  | {else?: ListNodeT; list: ListNodeT; pipe: Pipe; pos: number; type: 'range'}
  | {pos: number; text: string; type: 'text'}
  | {pos: number; type: 'break' | 'continue'}

type ListNodeT = Node & {type: 'list'}

interface Pipe {
  cmds: Command[]
  decl: string[]
  isAssign: boolean
  pos: number
}

interface Command {
  args: Arg[]
  pos: number
}

type Arg =
  | {field: string[]; pos: number; type: 'field'}
  | {field: string[]; node: Arg; pos: number; type: 'chain'}
  | {ident: string[]; pos: number; type: 'variable'}
  | {name: string; pos: number; type: 'identifier'}
  | {pipe: Pipe; pos: number; type: 'pipe'}
  | {pos: number; text: string; type: 'number'; value: GoFloat | GoInt}
  | {pos: number; quoted: string; type: 'string'; value: string}
  | {pos: number; type: 'bool'; value: boolean}
  | {pos: number; type: 'dot' | 'nil'}

const FUNCS = new Set(['and', 'base64decode', 'eq', 'exists', 'ge', 'gt', 'index', 'le', 'len', 'lt', 'ne', 'not', 'or', 'print', 'printf', 'println', 'urlquery'])

function argString(a: Arg): string {
  switch (a.type) {
    case 'field':
      return a.field.map(f => `.${f}`).join('')
    case 'chain':
      return `${a.node.type === 'pipe' ? `(${argString(a.node)})` : argString(a.node)}${a.field.map(f => `.${f}`).join('')}`
    case 'variable':
      return a.ident.map((f, i) => (i === 0 ? f : `.${f}`)).join('')
    case 'identifier':
      return a.name
    case 'pipe':
      return pipeString(a.pipe)
    case 'number':
      return a.text
    case 'string':
      return a.quoted
    case 'bool':
      return String(a.value)
    case 'dot':
      return '.'
    case 'nil':
      return 'nil'
  }
}

function commandString(c: Command): string {
  return c.args.map(a => (a.type === 'pipe' ? `(${argString(a)})` : argString(a))).join(' ')
}

function pipeString(p: Pipe): string {
  const decl = p.decl.length > 0 ? `${p.decl.join(', ')} ${p.isAssign ? '=' : ':='} ` : ''
  return decl + p.cmds.map(commandString).join(' | ')
}

class ParseError extends Error {}

/** Go's strconv.Unquote for "..." strings and '...' characters. */
function unquote(text: string): string {
  const q = text[0]
  if (q === '`') return text.slice(1, -1)
  const body = text.slice(1, -1)
  let out = ''
  for (let i = 0; i < body.length; i++) {
    const c = body[i]
    if (c !== '\\') {
      if (c === q) throw new ParseError('invalid syntax')
      out += c
      continue
    }
    const e = body[++i]
    const simple: Record<string, string> = {'"': '"', "'": "'", '\\': '\\', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v'}
    if (e in simple && (e !== "'" || q === "'") && (e !== '"' || q === '"')) {
      out += simple[e]
    } else if (e === 'x' || e === 'u' || e === 'U') {
      const n = e === 'x' ? 2 : e === 'u' ? 4 : 8
      const hex = body.slice(i + 1, i + 1 + n)
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) throw new ParseError('invalid syntax')
      out += e === 'x' ? String.fromCharCode(Number.parseInt(hex, 16)) : String.fromCodePoint(Number.parseInt(hex, 16))
      i += n
    } else if (/[0-7]/.test(e ?? '')) {
      const oct = body.slice(i, i + 3)
      if (!/^[0-7]{3}$/.test(oct)) throw new ParseError('invalid syntax')
      out += String.fromCharCode(Number.parseInt(oct, 8))
      i += 2
    } else {
      throw new ParseError('invalid syntax')
    }
  }
  return out
}

class Parser {
  private index = 0
  private readonly items: Item[]
  private vars: string[] = ['$']
  private actionLine = 0
  private rangeDepth = 0
  private readonly name: string

  constructor(text: string, name: string) {
    this.items = lex(text)
    this.name = name
  }

  parse(): ListNodeT {
    const root: ListNodeT = {nodes: [], pos: 0, type: 'list'}
    while (this.peek().type !== 'eof') {
      if (this.peek().type === 'leftDelim') {
        const saved = this.index
        const delim = this.next()
        const kw = this.nextNonSpace()
        if (kw.type === 'keyword' && kw.val === 'define') this.errorf(delim, 'define is not supported')
        this.index = saved
      }
      const n = this.textOrAction()
      if (n && (n.type === 'end' || n.type === 'else')) this.errorf(n.item, `unexpected {{${n.type}}}`)
      if (n) root.nodes.push(n as Node)
    }
    return root
  }

  private errorf(item: Item, message: string): never {
    throw new ParseError(`template: ${this.name}:${item.line}: ${message}`)
  }

  private peek(): Item {
    return this.items[Math.min(this.index, this.items.length - 1)]
  }

  private next(): Item {
    const item = this.peek()
    this.index++
    return item
  }

  private backup(): void {
    this.index--
  }

  private nextNonSpace(): Item {
    let item = this.next()
    while (item.type === 'space') item = this.next()
    return item
  }

  private peekNonSpace(): Item {
    const item = this.nextNonSpace()
    this.backup()
    return item
  }

  private expect(type: ItemType, context: string): Item {
    const item = this.nextNonSpace()
    if (item.type !== type) this.unexpected(item, context)
    return item
  }

  private unexpected(item: Item, context: string): never {
    if (item.type === 'error') {
      let extra = ''
      if (this.actionLine !== 0 && this.actionLine !== item.line) {
        extra = ` in ${context}`
        if (item.val.endsWith(' action')) extra = extra.slice(' in '.length)
      }
      this.errorf(item, `${item.val}${extra}`)
    }
    this.errorf(item, `unexpected ${itemString(item)} in ${context}`)
  }

  private textOrAction(): (Node | {item: Item; type: 'else' | 'end'}) | undefined {
    const item = this.nextNonSpace()
    if (item.type === 'text') return {pos: item.pos, text: item.val, type: 'text'}
    if (item.type === 'leftDelim') {
      this.actionLine = item.line
      try {
        return this.action()
      } finally {
        this.actionLine = 0
      }
    }
    if (item.type === 'error') this.errorf(item, item.val)
    this.unexpected(item, 'input')
  }

  private action(): Node | {item: Item; type: 'else' | 'end'} {
    const token = this.nextNonSpace()
    if (token.type === 'keyword') {
      switch (token.val) {
        case 'break':
        case 'continue': {
          if (this.rangeDepth === 0) this.errorf(token, `{{${token.val}}} outside {{range}}`)
          this.expect('rightDelim', token.val)
          return {pos: token.pos, type: token.val}
        }
        case 'else':
          return this.elseControl(token)
        case 'end':
          this.expect('rightDelim', 'end')
          return {item: token, type: 'end'}
        case 'if':
        case 'with':
          return this.control(token.val, token)
        case 'range': {
          this.rangeDepth++
          try {
            return this.control('range', token)
          } finally {
            this.rangeDepth--
          }
        }
        default:
          this.errorf(token, `${token.val} is not supported`)
      }
    }
    this.backup()
    const pipe = this.pipeline('command', 'rightDelim')
    return {pipe, pos: token.pos, type: 'action'}
  }

  private elseControl(token: Item): {else?: Item; item: Item; type: 'else'} & {chained?: 'if' | 'with'} {
    const peek = this.peekNonSpace()
    if (peek.type === 'keyword' && (peek.val === 'if' || peek.val === 'with')) return {chained: peek.val, item: token, type: 'else'}
    this.expect('rightDelim', 'else')
    return {item: token, type: 'else'}
  }

  private control(kind: 'if' | 'range' | 'with', token: Item): Node {
    const saved = this.vars.length
    const pipe = this.pipeline(kind, 'rightDelim')
    if (pipe.cmds.length === 0) this.errorf(token, `missing value for ${kind}`)
    const [list, next] = this.itemList()
    let elseList: ListNodeT | undefined
    if (next.type === 'else') {
      const chained = (next as {chained?: 'if' | 'with'}).chained
      if (chained && (kind === 'if' || kind === 'with') && chained === kind) {
        // {{else if ...}} is {{else}}{{if ...}}...{{end}}{{end}} sharing the one {{end}}
        const kw = this.nextNonSpace()
        const inner = this.control(chained, kw)
        elseList = {nodes: [inner], pos: inner.pos, type: 'list'}
      } else {
        if (chained) this.errorf(next.item, `expected end; found ${itemString(next.item)}`)
        const [otherwise, end] = this.itemList()
        if (end.type !== 'end') this.errorf(end.item, `expected end; found ${itemString(end.item)}`)
        elseList = otherwise
      }
    }
    this.vars.length = saved
    return kind === 'range' ? {else: elseList, list, pipe, pos: token.pos, type: kind} : {else: elseList, list, pipe, pos: token.pos, type: kind}
  }

  private itemList(): [ListNodeT, {item: Item; type: 'else' | 'end'}] {
    const list: ListNodeT = {nodes: [], pos: this.peekNonSpace().pos, type: 'list'}
    while (this.peekNonSpace().type !== 'eof') {
      const n = this.textOrAction()
      if (n && (n.type === 'end' || n.type === 'else')) return [list, n as {item: Item; type: 'else' | 'end'}]
      if (n) list.nodes.push(n as Node)
    }
    this.errorf(this.peek(), 'unexpected EOF')
  }

  private pipeline(context: string, end: ItemType): Pipe {
    const token = this.peekNonSpace()
    const pipe: Pipe = {cmds: [], decl: [], isAssign: false, pos: token.pos}
    // declarations: `$x :=`, `$x =`, and range's `$i, $e :=`
    for (;;) {
      const v = this.peekNonSpace()
      if (v.type !== 'variable') break
      const start = this.index
      this.nextNonSpace()
      const next = this.peekNonSpace()
      if (next.type === 'assign' || next.type === 'declare') {
        pipe.isAssign = next.type === 'assign'
        this.nextNonSpace()
        pipe.decl.push(v.val)
        this.vars.push(v.val)
        break
      }
      if (next.type === 'charItem' && next.val === ',') {
        this.nextNonSpace()
        pipe.decl.push(v.val)
        this.vars.push(v.val)
        if (context === 'range' && pipe.decl.length < 2) {
          const after = this.peekNonSpace().type
          if (after === 'variable' || after === 'rightDelim' || after === 'rightParen') continue
          this.errorf(next, 'range can only initialize variables')
        }
        this.errorf(next, `too many declarations in ${context}`)
      }
      this.index = start
      break
    }
    for (;;) {
      const t = this.nextNonSpace()
      if (t.type === end) {
        this.checkPipeline(pipe, context, t)
        return pipe
      }
      if (['bool', 'char', 'dot', 'field', 'identifier', 'leftParen', 'nil', 'number', 'rawString', 'string', 'variable'].includes(t.type)) {
        this.backup()
        pipe.cmds.push(this.command())
      } else {
        this.unexpected(t, context)
      }
    }
  }

  private checkPipeline(pipe: Pipe, context: string, at: Item): void {
    if (pipe.cmds.length === 0) this.errorf(at, `missing value for ${context}`)
    for (const [i, c] of pipe.cmds.entries()) {
      if (i === 0) continue
      const first = c.args[0]
      if (['bool', 'dot', 'nil', 'number', 'string'].includes(first.type)) this.errorf(at, `non executable command in pipeline stage ${i + 1}`)
    }
  }

  private command(): Command {
    const cmd: Command = {args: [], pos: this.peekNonSpace().pos}
    for (;;) {
      this.peekNonSpace()
      const operand = this.operand()
      if (operand) cmd.args.push(operand)
      const token = this.next()
      switch (token.type) {
        case 'space':
          continue
        case 'rightDelim':
        case 'rightParen':
          this.backup()
          break
        case 'pipe':
          break
        default:
          this.unexpected(token, 'operand')
      }
      break
    }
    if (cmd.args.length === 0) this.errorf(this.peek(), 'empty command')
    return cmd
  }

  private operand(): Arg | undefined {
    const node = this.term()
    if (!node) return undefined
    if (this.peek().type === 'field') {
      // Go's chain node sits at the first field after the term
      const chainPos = this.peek().pos
      const fields: string[] = []
      while (this.peek().type === 'field') fields.push(this.next().val.slice(1))
      if (node.type === 'field') return {field: [...node.field, ...fields], pos: chainPos, type: 'field'}
      if (node.type === 'variable') return {ident: [...node.ident, ...fields], pos: chainPos, type: 'variable'}
      if (node.type === 'bool' || node.type === 'string' || node.type === 'number' || node.type === 'nil' || node.type === 'dot') {
        this.errorf(this.items[Math.min(this.index, this.items.length) - 1], `unexpected . after term ${goQuote(argString(node))}`)
      }
      return {field: fields, node, pos: chainPos, type: 'chain'}
    }
    return node
  }

  private term(): Arg | undefined {
    const token = this.nextNonSpace()
    switch (token.type) {
      case 'identifier':
        if (!FUNCS.has(token.val)) this.errorf(token, `function ${goQuote(token.val)} not defined`)
        return {name: token.val, pos: token.pos, type: 'identifier'}
      case 'dot':
        return {pos: token.pos, type: 'dot'}
      case 'nil':
        return {pos: token.pos, type: 'nil'}
      case 'variable':
        if (!this.vars.includes(token.val)) this.errorf(token, `undefined variable ${goQuote(token.val)}`)
        return {ident: [token.val], pos: token.pos, type: 'variable'}
      case 'field':
        return {field: [token.val.slice(1)], pos: token.pos, type: 'field'}
      case 'bool':
        return {pos: token.pos, type: 'bool', value: token.val === 'true'}
      case 'char':
      case 'number':
        return this.number(token)
      case 'leftParen': {
        const pipe = this.pipeline('parenthesized pipeline', 'rightParen')
        return {pipe, pos: token.pos, type: 'pipe'}
      }
      case 'string':
      case 'rawString': {
        let value: string
        try {
          value = unquote(token.val)
        } catch {
          this.errorf(token, 'invalid syntax')
        }
        return {pos: token.pos, quoted: token.val, type: 'string', value}
      }
    }
    this.backup()
    return undefined
  }

  private number(token: Item): Arg {
    if (token.type === 'char') {
      const s = unquote(token.val)
      return {pos: token.pos, text: token.val, type: 'number', value: new GoInt(s.codePointAt(0) ?? 0, 'int32')}
    }
    const text = token.val.replaceAll('_', '')
    if (/^[+-]?(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+|\d+)$/.test(text)) {
      const sign = text.startsWith('-') ? -1 : 1
      const digits = text.replace(/^[+-]/, '')
      const value = digits.startsWith('0o') || digits.startsWith('0O') ? Number.parseInt(digits.slice(2), 8) : Number(digits)
      return {pos: token.pos, text: token.val, type: 'number', value: new GoInt(sign * value)}
    }
    const f = Number(text)
    if (Number.isNaN(f) || text.endsWith('i')) this.errorf(token, `illegal number syntax: ${goQuote(token.val)}`)
    return {pos: token.pos, text: token.val, type: 'number', value: new GoFloat(f)}
  }
}

// ---- execution ----

/** A value of the template world. `MISSING` is Go's invalid reflect.Value (a key that is not there). */
const MISSING = Symbol('no value')
type Value = unknown

class ExecError extends Error {}

class Break {}
class Continue {}

function isMap(v: Value): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof GoFloat) && !(v instanceof GoInt)
}

/** Go's reflect type name of a value held in an interface{}. */
function typeName(v: Value): string {
  if (v === MISSING) return '<invalid reflect.Value>'
  if (v === null || v === undefined) return '<nil>'
  if (typeof v === 'string') return 'string'
  if (typeof v === 'boolean') return 'bool'
  if (v instanceof GoFloat) return 'float64'
  if (v instanceof GoInt) return v.type
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64'
  if (Array.isArray(v)) return '[]interface {}'
  return 'map[string]interface {}'
}

function truth(v: Value): boolean {
  if (v === MISSING || v === null || v === undefined) return false
  if (typeof v === 'boolean') return v
  if (typeof v === 'number') return v !== 0
  if (v instanceof GoFloat || v instanceof GoInt) return v.value !== 0
  if (typeof v === 'string') return v.length > 0
  if (Array.isArray(v)) return v.length > 0
  if (isMap(v)) return Object.keys(v).length > 0
  return true
}

type Kind = 'bool' | 'float' | 'int' | 'invalid' | 'string'

function basicKind(v: Value): Kind {
  if (typeof v === 'boolean') return 'bool'
  if (typeof v === 'string') return 'string'
  if (v instanceof GoFloat) return 'float'
  if (v instanceof GoInt) return 'int'
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float'
  return 'invalid'
}

function num(v: Value): number {
  return v instanceof GoFloat || v instanceof GoInt ? v.value : (v as number)
}

/** text/template eq (Go 1.2x). */
function eq(args: Value[]): boolean {
  if (args.length < 2) throw new ExecError('missing argument for comparison')
  const [a, ...rest] = args
  const k1 = basicKind(a)
  for (const b of rest) {
    const k2 = basicKind(b)
    let result = false
    if (k1 !== k2) {
      if (a !== MISSING && a !== null && b !== MISSING && b !== null) throw new ExecError(`incompatible types for comparison: ${typeName(a)} and ${typeName(b)}`)
    } else if (k1 === 'invalid') {
      const nil = (v: Value) => v === null || v === MISSING
      if (nil(a) || nil(b)) result = nil(a) === nil(b)
      else throw new ExecError(`non-comparable type ${goSprint(b)}: ${typeName(b)}`)
    } else if (k1 === 'float' || k1 === 'int') {
      result = num(a) === num(b)
    } else {
      result = a === b
    }
    if (result) return true
  }
  return false
}

function lt(a: Value, b: Value): boolean {
  const k1 = basicKind(a)
  if (k1 === 'invalid') throw new ExecError('invalid type for comparison')
  const k2 = basicKind(b)
  if (k2 === 'invalid') throw new ExecError('invalid type for comparison')
  if (k1 !== k2) throw new ExecError(`incompatible types for comparison: ${typeName(a)} and ${typeName(b)}`)
  if (k1 === 'bool') throw new ExecError('invalid type for comparison')
  if (k1 === 'string') return byteCompare(a as string, b as string) < 0
  return num(a) < num(b)
}

/** fmt.Sprint: spaces between operands when neither side is a string. */
function sprint(args: Value[]): string {
  let out = ''
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' '
    out += goSprint(a === MISSING ? null : plain(a))
  })
  return out
}

/** fmt.Sprintf for the verbs templates use. */
export function sprintf(format: string, args: Value[]): string {
  let out = ''
  let argIndex = 0
  for (let i = 0; i < format.length; i++) {
    const c = format[i]
    if (c !== '%') {
      out += c
      continue
    }
    const m = /^([-+# 0]*)(\d+|\*)?(?:\.(\d+|\*)?)?([a-zA-Z%])?/.exec(format.slice(i + 1))!
    i += m[0].length
    const flags = m[1]
    let width = m[2] === '*' ? Number(args[argIndex++]) : m[2] === undefined ? undefined : Number(m[2])
    const precision = m[3] === '*' ? Number(args[argIndex++]) : m[3] === undefined ? (m[0].includes('.') ? 0 : undefined) : Number(m[3])
    const verb = m[4]
    if (verb === undefined) {
      out += '%!(NOVERB)'
      break
    }
    if (verb === '%') {
      out += '%'
      continue
    }
    if (argIndex >= args.length) {
      out += `%!${verb}(MISSING)`
      continue
    }
    const arg = args[argIndex++]
    const v = arg === MISSING ? null : plain(arg)
    let text: string
    const bad = () => (v === null ? `%!${verb}(<nil>)` : `%!${verb}(${typeName(v)}=${goSprint(v)})`)
    switch (verb) {
      case 'v':
        text = flags.includes('#') && typeof v === 'string' ? goQuote(v) : goSprint(v)
        break
      case 's':
        text = typeof v === 'string' ? v : v === null ? '%!s(<nil>)' : typeof v === 'number' || typeof v === 'boolean' || v instanceof GoFloat ? `%!s(${typeName(v)}=${goSprint(v)})` : goSprint(v)
        if (precision !== undefined && typeof v === 'string') text = [...text].slice(0, precision).join('')
        break
      case 'q':
        text = typeof v === 'string' ? goQuote(v) : bad()
        break
      case 'd':
        text = typeof v === 'number' && Number.isInteger(v) ? String(v) : bad()
        if (flags.includes('+') && typeof v === 'number' && v >= 0) text = `+${text}`
        break
      case 'x':
      case 'X': {
        if (typeof v === 'number' && Number.isInteger(v)) text = (v < 0 ? '-' : '') + Math.abs(v).toString(16)
        else if (typeof v === 'string') text = Buffer.from(v).toString('hex')
        else text = bad()
        if (verb === 'X') text = text.toUpperCase()
        break
      }
      case 'o':
        text = typeof v === 'number' && Number.isInteger(v) ? v.toString(8) : bad()
        break
      case 'b':
        text = typeof v === 'number' && Number.isInteger(v) ? v.toString(2) : bad()
        break
      case 'c':
        text = typeof v === 'number' && Number.isInteger(v) ? String.fromCodePoint(v) : bad()
        break
      case 't':
        text = typeof v === 'boolean' ? String(v) : bad()
        break
      case 'f':
      case 'F':
      case 'e':
      case 'g': {
        if (typeof v !== 'number' && !(v instanceof GoFloat)) {
          text = bad()
          break
        }
        const n = num(v)
        if (verb === 'e') text = n.toExponential(precision ?? 6).replace(/e([+-])(\d)$/, 'e$10$2')
        else if (verb === 'g') text = precision === undefined ? goSprint(new GoFloat(n)) : String(Number(n.toPrecision(precision)))
        else text = n.toFixed(precision ?? 6)
        if (flags.includes('+') && n >= 0) text = `+${text}`
        break
      }
      case 'T':
        text = typeName(v)
        break
      default:
        text = bad()
    }
    if (width !== undefined && [...text].length < width) {
      const pad = width - [...text].length
      if (flags.includes('-')) text += ' '.repeat(pad)
      else if (flags.includes('0') && 'dfeFgxXob'.includes(verb)) text = text.startsWith('-') ? `-${'0'.repeat(pad)}${text.slice(1)}` : '0'.repeat(pad) + text
      else text = ' '.repeat(pad) + text
    }
    width = undefined
    out += text
  }
  if (argIndex < args.length) {
    out += `%!(EXTRA ${args.slice(argIndex).map(a => `${typeName(a)}=${goSprint(a === MISSING ? null : plain(a))}`).join(', ')})`
  }
  return out
}

function index(item: Value, indexes: Value[]): Value {
  let v = item
  if (v === MISSING || v === null) throw new ExecError('index of untyped nil')
  for (const raw of indexes) {
    const i = plain(raw)
    if (Array.isArray(v) || typeof v === 'string') {
      if (i === null || i === MISSING) throw new ExecError('cannot index slice/array with nil')
      if (typeof i !== 'number' || !Number.isInteger(i)) throw new ExecError(`cannot index slice/array with type ${typeName(raw)}`)
      const length = typeof v === 'string' ? Buffer.byteLength(v) : v.length
      if (i < 0 || i >= length) throw new ExecError(`index out of range: ${i}`)
      v = typeof v === 'string' ? Buffer.from(v)[i] : v[i]
    } else if (isMap(v)) {
      if (typeof i !== 'string') {
        if (i === null || i === MISSING) throw new ExecError('value is nil; should be of type string')
        throw new ExecError(`value has type ${typeName(raw)}; should be string`)
      }
      v = Object.hasOwn(v, i) ? v[i] : null
    } else if (v === null) {
      throw new ExecError('index of nil pointer')
    } else {
      throw new ExecError(`can't index item of type ${typeName(v)}`)
    }
  }
  return v
}

/** kubectl's exists: whether index would succeed on these arguments. */
function exists(item: Value, indexes: Value[]): boolean {
  let v = item
  for (const raw of indexes) {
    const i = plain(raw)
    if (v === null || v === MISSING) return false
    if (Array.isArray(v) || typeof v === 'string') {
      if (typeof i !== 'number' || !Number.isInteger(i)) return false
      const length = typeof v === 'string' ? Buffer.byteLength(v) : v.length
      if (i < 0 || i >= length) return false
      v = typeof v === 'string' ? Buffer.from(v)[i] : v[i]
    } else if (isMap(v)) {
      if (typeof i !== 'string') return false
      v = Object.hasOwn(v, i) ? v[i] : null
    } else {
      return false
    }
  }
  return v !== null && v !== MISSING
}

interface State {
  missingKeyError: boolean
  node: {pos: number; text: string}
  out: string
  vars: Array<[string, Value]>
}

/** A parsed template and how it treats missing keys (kubectl's --allow-missing-template-keys). */
export class GoTemplate {
  private readonly root: ListNodeT
  private readonly text: string
  private readonly allowMissingKeys: boolean
  private static readonly NAME = 'output'

  constructor(text: string, allowMissingKeys = true) {
    this.text = text
    this.allowMissingKeys = allowMissingKeys
    try {
      this.root = new Parser(text, GoTemplate.NAME).parse()
    } catch (error) {
      if (error instanceof ParseError) throw new Error(error.message, {cause: error})
      throw error
    }
  }

  /** Runs the template; what was written before an error is returned with it, as Go's writer has it. */
  execute(data: Value): {error?: Error; text: string} {
    const state: State = {missingKeyError: !this.allowMissingKeys, node: {pos: 0, text: ''}, out: '', vars: [['$', data]]}
    try {
      this.walk(state, data, this.root)
      return {text: state.out}
    } catch (error) {
      if (error instanceof ExecError) return {error: new Error(this.context(state, error.message)), text: state.out}
      throw error
    }
  }

  private context(state: State, message: string): string {
    const pos = state.node.pos
    const before = this.text.slice(0, pos)
    const lastNewline = before.lastIndexOf('\n')
    const byteNum = lastNewline < 0 ? Buffer.byteLength(before) : Buffer.byteLength(before) - Buffer.byteLength(before.slice(0, lastNewline + 1))
    const line = 1 + (before.match(/\n/g)?.length ?? 0)
    const context = state.node.text
    return `template: ${GoTemplate.NAME}:${line}:${byteNum}: executing "${GoTemplate.NAME}" at <${context}>: ${message}`
  }

  private at(state: State, pos: number, text: string): void {
    state.node = {pos, text}
  }

  private walk(state: State, dot: Value, node: Node): void {
    switch (node.type) {
      case 'text':
        state.out += node.text
        return
      case 'list':
        for (const n of node.nodes) this.walk(state, dot, n)
        return
      case 'action': {
        const value = this.evalPipeline(state, dot, node.pipe)
        if (node.pipe.decl.length === 0) this.printValue(state, node, value)
        return
      }
      case 'if':
      case 'with': {
        const mark = state.vars.length
        const value = this.evalPipeline(state, dot, node.pipe)
        if (truth(value)) this.walk(state, node.type === 'with' ? value : dot, node.list)
        else if (node.else) this.walk(state, dot, node.else)
        state.vars.length = mark
        return
      }
      case 'range':
        return this.walkRange(state, dot, node)
      case 'break':
        throw new Break()
      case 'continue':
        throw new Continue()
    }
  }

  private walkRange(state: State, dot: Value, node: Node & {type: 'range'}): void {
    this.at(state, node.pos, `range ${pipeString(node.pipe)}`)
    const mark = state.vars.length
    const value = this.evalPipeline(state, dot, {...node.pipe, decl: []})
    const decl = node.pipe.decl
    const one = (key: Value, elem: Value): boolean => {
      if (decl.length === 1) state.vars.push([decl[0], elem])
      if (decl.length === 2) state.vars.push([decl[0], key], [decl[1], elem])
      const inner = state.vars.length
      try {
        this.walk(state, elem, node.list)
      } catch (signal) {
        if (signal instanceof Break) return false
        if (!(signal instanceof Continue)) throw signal
      } finally {
        state.vars.length = inner
        state.vars.length = mark
      }
      return true
    }
    let iterated = false
    if (Array.isArray(value)) {
      for (const [i, e] of value.entries()) {
        iterated = true
        if (!one(new GoInt(i), e)) break
      }
    } else if (isMap(value)) {
      for (const k of sortedKeys(value)) {
        iterated = true
        if (!one(k, value[k])) break
      }
    } else if ((typeof value === 'number' && Number.isInteger(value)) || value instanceof GoInt) {
      for (let i = 0; i < num(value); i++) {
        iterated = true
        if (!one(new GoInt(i), new GoInt(i))) break
      }
    } else if (value !== MISSING && value !== null) {
      throw new ExecError(`range can't iterate over ${goSprint(value)}`)
    }
    state.vars.length = mark
    if (!iterated && node.else) this.walk(state, dot, node.else)
  }

  private printValue(state: State, node: {pipe: Pipe; pos: number}, value: Value): void {
    this.at(state, node.pos, pipeString(node.pipe))
    if (value === MISSING) state.out += '<no value>'
    else state.out += goSprint(plain(value))
  }

  private evalPipeline(state: State, dot: Value, pipe: Pipe): Value {
    this.at(state, pipe.pos, pipeString(pipe))
    let value: Value = MISSING
    let final = false
    for (const cmd of pipe.cmds) {
      value = this.evalCommand(state, dot, cmd, final ? value : undefined, final)
      // Go digs into an interface{} result: a nil one (JSON null, index of a missing key) is no value
      if (value === null) value = MISSING
      final = true
    }
    for (const name of pipe.decl) {
      if (pipe.isAssign) {
        for (let i = state.vars.length - 1; i >= 0; i--) {
          if (state.vars[i][0] === name) {
            state.vars[i][1] = value
            break
          }
        }
      } else {
        state.vars.push([name, value])
      }
    }
    return value
  }

  private evalCommand(state: State, dot: Value, cmd: Command, final: Value, hasFinal: boolean): Value {
    const first = cmd.args[0]
    switch (first.type) {
      case 'field':
        return this.evalFieldChain(state, dot, dot, first.pos, argString(first), first.field, cmd.args, final, hasFinal)
      case 'chain': {
        const receiver = this.evalArg(state, dot, first.node)
        return this.evalFieldChain(state, dot, receiver, first.pos, argString(first), first.field, cmd.args, final, hasFinal)
      }
      case 'identifier':
        return this.evalFunction(state, dot, first.name, cmd, final, hasFinal)
      case 'pipe':
        this.notAFunction(state, cmd, hasFinal)
        return this.evalPipeline(state, dot, first.pipe)
      case 'variable': {
        const base = this.variable(state, first.ident[0], first.pos)
        if (first.ident.length === 1) {
          this.notAFunction(state, cmd, hasFinal)
          return base
        }
        return this.evalFieldChain(state, dot, base, first.pos, argString(first), first.ident.slice(1), cmd.args, final, hasFinal)
      }
    }
    this.at(state, first.pos, argString(first))
    this.notAFunction(state, cmd, hasFinal)
    switch (first.type) {
      case 'bool':
        return first.value
      case 'dot':
        return dot
      case 'nil':
        throw new ExecError('nil is not a command')
      case 'number':
        return first.value
      case 'string':
        return first.value
    }
  }

  private notAFunction(state: State, cmd: Command, hasFinal: boolean): void {
    if (cmd.args.length > 1 || hasFinal) {
      this.at(state, cmd.args[0].pos, argString(cmd.args[0]))
      throw new ExecError(`can't give argument to non-function ${argString(cmd.args[0])}`)
    }
  }

  private variable(state: State, name: string, pos: number): Value {
    for (let i = state.vars.length - 1; i >= 0; i--) if (state.vars[i][0] === name) return state.vars[i][1]
    this.at(state, pos, name)
    throw new ExecError(`undefined variable: ${name}`)
  }

  private evalFieldChain(state: State, dot: Value, receiver: Value, pos: number, text: string, fields: string[], args: Arg[], final: Value, hasFinal: boolean): Value {
    let value = receiver
    for (const [i, field] of fields.entries()) {
      const last = i === fields.length - 1
      this.at(state, pos, text)
      value = this.evalField(state, field, value, last ? args.length > 1 || hasFinal : false)
    }
    void dot
    void final
    return value
  }

  private evalField(state: State, field: string, receiver: Value, hasArgs: boolean): Value {
    if (receiver === MISSING) {
      if (state.missingKeyError) throw new ExecError(`nil data; no entry for key ${goQuote(field)}`)
      return MISSING
    }
    if (receiver === null) throw new ExecError(`nil pointer evaluating interface {}.${field}`)
    if (isMap(receiver)) {
      if (hasArgs) throw new ExecError(`${field} is not a method but has arguments`)
      if (Object.hasOwn(receiver, field)) return receiver[field]
      if (state.missingKeyError) throw new ExecError(`map has no entry for key ${goQuote(field)}`)
      return MISSING
    }
    throw new ExecError(`can't evaluate field ${field} in type ${receiver === state.vars[0][1] ? typeName(receiver) : 'interface {}'}`)
  }

  private evalArg(state: State, dot: Value, arg: Arg): Value {
    this.at(state, arg.pos, argString(arg))
    switch (arg.type) {
      case 'dot':
        return dot
      case 'nil':
        return null
      case 'field':
        return this.evalFieldChain(state, dot, dot, arg.pos, argString(arg), arg.field, [arg], undefined, false)
      case 'variable': {
        const base = this.variable(state, arg.ident[0], arg.pos)
        return arg.ident.length === 1 ? base : this.evalFieldChain(state, dot, base, arg.pos, argString(arg), arg.ident.slice(1), [arg], undefined, false)
      }
      case 'pipe':
        return this.evalPipeline(state, dot, arg.pipe)
      case 'identifier':
        return this.evalFunction(state, dot, arg.name, {args: [arg], pos: arg.pos}, undefined, false)
      case 'chain': {
        const receiver = this.evalArg(state, dot, arg.node)
        return this.evalFieldChain(state, dot, receiver, arg.pos, argString(arg), arg.field, [arg], undefined, false)
      }
      case 'bool':
      case 'number':
      case 'string':
        return arg.value
    }
  }

  private evalFunction(state: State, dot: Value, name: string, cmd: Command, final: Value, hasFinal: boolean): Value {
    const argNodes = cmd.args.slice(1)
    const evalArgs = (): Value[] => {
      const values = argNodes.map(a => this.evalArg(state, dot, a))
      if (hasFinal) values.push(final)
      return values
    }
    const call = (fn: () => Value): Value => {
      try {
        return fn()
      } catch (error) {
        if (!(error instanceof ExecError)) throw error
        this.at(state, cmd.pos, commandString(cmd))
        throw new ExecError(`error calling ${name}: ${error.message}`)
      }
    }
    const count = argNodes.length + (hasFinal ? 1 : 0)
    const want = (n: number) => {
      if (count !== n) {
        this.at(state, cmd.args[0].pos, name)
        throw new ExecError(`wrong number of args for ${name}: want ${n} got ${count}`)
      }
    }
    const atLeast = (n: number) => {
      if (count < n) {
        this.at(state, cmd.args[0].pos, name)
        throw new ExecError(`wrong number of args for ${name}: want at least ${n} got ${count}`)
      }
    }
    switch (name) {
      case 'and':
      case 'or': {
        atLeast(1)
        // evaluated one by one, stopping at the first false (and) or true (or) argument
        let v: Value = MISSING
        for (let i = 0; i < count; i++) {
          v = i < argNodes.length ? this.evalArg(state, dot, argNodes[i]) : final
          if (truth(v) === (name === 'or')) return v
        }
        return v
      }
      case 'not':
        want(1)
        return !truth(evalArgs()[0])
      case 'len': {
        want(1)
        const [v] = evalArgs()
        return call(() => {
          if (typeof v === 'string') return new GoInt(Buffer.byteLength(v))
          if (Array.isArray(v)) return new GoInt(v.length)
          if (isMap(v)) return new GoInt(Object.keys(v).length)
          // Go's reflect panics on the zero Value a missing key is; template reports the panic
          if (v === null || v === MISSING) throw new ExecError('reflect: call of reflect.Value.Type on zero Value')
          throw new ExecError(`len of type ${typeName(v)}`)
        })
      }
      case 'index': {
        atLeast(1)
        const [item, ...rest] = evalArgs()
        return call(() => index(item, rest))
      }
      case 'exists': {
        atLeast(1)
        const [item, ...rest] = evalArgs()
        return exists(item, rest)
      }
      case 'print':
        return sprint(evalArgs())
      case 'println':
        return `${evalArgs().map(a => goSprint(a === MISSING ? null : plain(a))).join(' ')}\n`
      case 'printf': {
        atLeast(1)
        const [format, ...rest] = evalArgs()
        if (typeof format !== 'string') {
          this.at(state, argNodes[0]?.pos ?? cmd.pos, argNodes[0] ? argString(argNodes[0]) : name)
          throw new ExecError(`wrong type for value; expected string; got ${typeName(format)}`)
        }
        return sprintf(format, rest)
      }
      case 'urlquery':
        return encodeURIComponent(sprint(evalArgs())).replace(/%20/g, '+').replace(/[!'()*]/g, c => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
      case 'base64decode': {
        want(1)
        const [v] = evalArgs()
        if (typeof v !== 'string') {
          this.at(state, argNodes[0]?.pos ?? cmd.pos, argNodes[0] ? argString(argNodes[0]) : name)
          throw new ExecError(`wrong type for value; expected string; got ${typeName(v)}`)
        }
        return call(() => {
          if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0) throw new ExecError('base64 decode failed: illegal base64 data at input byte 0')
          return Buffer.from(v, 'base64').toString('utf8')
        })
      }
      case 'eq': {
        atLeast(1)
        const values = evalArgs()
        return call(() => eq(values))
      }
      case 'ne': {
        want(2)
        const values = evalArgs()
        return call(() => !eq(values))
      }
      case 'lt':
      case 'le':
      case 'gt':
      case 'ge': {
        want(2)
        const [a, b] = evalArgs()
        return call(() => {
          if (name === 'lt') return lt(a, b)
          if (name === 'ge') return !lt(a, b)
          const le = lt(a, b) || eq([a, b])
          return name === 'le' ? le : !le
        })
      }
    }
    this.at(state, cmd.args[0].pos, name)
    throw new ExecError(`${goQuote(name)} is not a defined function`)
  }
}
