// Go's fmt verbs %v and %#v, and encoding/json's Marshal, for the values kubectl's template printers
// hold: unstructured objects decoded from JSON (map[string]interface{}, []interface{}, string,
// int64, float64, bool, nil). jsonpath and go-template print scalars with fmt.Fprint (%v),
// custom-columns with fmt.Sprint, and kubectl's "object given to jsonpath engine" debug text with
// %#v; their exact bytes are these.
//
// An integer-valued JS number stands for Go's int64 (the unstructured JSON decoder turns every
// integral number into int64); any other number is a float64.

import {sortedKeys} from './labels.ts'
import {compactJson, printJson} from './object.ts'

/** A float64 that JS would take for an integer (`1.0` in a template, any number of a typed object). */
export class GoFloat {
  readonly value: number
  constructor(value: number) {
    this.value = value
  }
}

/** The value with every GoFloat replaced by its number, for the JSON encoders. */
export function plainNumbers(value: unknown): unknown {
  if (value instanceof GoFloat) return value.value
  if (Array.isArray(value)) return value.map(plainNumbers)
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = plainNumbers(v)
    return out
  }
  return value
}

/** Go's strconv.FormatFloat(f, 'g', -1, 64), the %v of a float64. */
export function goFloat(n: number): string {
  if (Number.isNaN(n)) return 'NaN'
  if (n === Infinity) return '+Inf'
  if (n === -Infinity) return '-Inf'
  if (n === 0) return Object.is(n, -0) ? '-0' : '0'
  // shortest digits and decimal exponent, as JS computes them; Go's %g with the shortest
  // precision switches to the exponent form below 1e-4 and from 1e6 (strconv: eprec = 6)
  const [mantissa, expText] = n.toExponential().split('e')
  const exp = Number(expText)
  if (exp < -4 || exp >= 6) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`
  return String(n)
}

/** A JS number as Go prints it: int64 in decimal, float64 in %v form. */
export function goNumber(n: number): string {
  return Number.isInteger(n) && Math.abs(n) < 2 ** 63 ? BigInt(n).toString() : goFloat(n)
}

function isPrintable(c: number): boolean {
  // strconv.IsPrint, approximated for the BMP: letters, marks, numbers, punctuation, symbols and
  // the ASCII space; other spaces and control/format characters are escaped.
  if (c < 0x20 || c === 0x7f) return false
  if (c < 0x7f) return true
  if (c >= 0x80 && c < 0xa0) return false
  return /[\p{L}\p{M}\p{N}\p{P}\p{S}]/u.test(String.fromCodePoint(c))
}

/** Go's strconv.Quote, the %q (and %#v) of a string. */
export function goQuote(s: string): string {
  let out = '"'
  const bytes = Buffer.from(s, 'utf8')
  const text = bytes.toString('utf8')
  // invalid UTF-8 cannot occur in a JS string; lone surrogates become U+FFFD in the encode above
  for (const ch of text) {
    const c = ch.codePointAt(0)!
    if (ch === '"' || ch === '\\') out += `\\${ch}`
    else if (isPrintable(c)) out += ch
    else if (c === 0x07) out += '\\a'
    else if (c === 0x08) out += '\\b'
    else if (c === 0x0c) out += '\\f'
    else if (c === 0x0a) out += '\\n'
    else if (c === 0x0d) out += '\\r'
    else if (c === 0x09) out += '\\t'
    else if (c === 0x0b) out += '\\v'
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`
    else if (c < 0x10000) out += `\\u${c.toString(16).padStart(4, '0')}`
    else out += `\\U${c.toString(16).padStart(8, '0')}`
  }
  return `${out}"`
}

/** The keys of the fields that are set, in Go's map order. */
function setKeys(obj: Record<string, unknown>): string[] {
  return sortedKeys(obj).filter(k => obj[k] !== undefined)
}

/** fmt's %v (fmt.Sprint) of a value. */
export function goSprint(value: unknown): string {
  if (value === null || value === undefined) return '<nil>'
  if (typeof value === 'string') return value
  if (typeof value === 'number') return goNumber(value)
  if (value instanceof GoFloat) return goFloat(value.value)
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  if (typeof value === 'bigint') return value.toString()
  if (Array.isArray(value)) return `[${value.map(goSprint).join(' ')}]`
  if (typeof value === 'object') {
    const obj = value as Record<string, unknown>
    return `map[${setKeys(obj).map(k => `${k}:${goSprint(obj[k])}`).join(' ')}]`
  }
  return String(value)
}

/** fmt's %#v of a value held in an interface{} (maps and slices of interface{}, as unstructured content is). */
export function goSharpV(value: unknown, inInterface = false): string {
  if (value === null || value === undefined) return inInterface ? 'interface {}(nil)' : '<nil>'
  if (typeof value === 'string') return goQuote(value)
  if (typeof value === 'number') return goNumber(value)
  if (value instanceof GoFloat) return goFloat(value.value)
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  if (typeof value === 'bigint') return value.toString()
  if (Array.isArray(value)) return `[]interface {}{${value.map(v => goSharpV(v, true)).join(', ')}}`
  if (typeof value === 'object') {
    const obj = value as Record<string, unknown>
    return `map[string]interface {}{${setKeys(obj).map(k => `${goQuote(k)}:${goSharpV(obj[k], true)}`).join(', ')}}`
  }
  return String(value)
}

/** Go's json.Marshal: compact, keys sorted, <>& escaped. */
export function goJsonMarshal(value: unknown): string {
  return compactJson(plainNumbers(value)).slice(0, -1)
}

/** Go's json.MarshalIndent(v, "", "    ") plus a newline. */
export function goJsonIndent(value: unknown): string {
  return printJson(plainNumbers(value))
}
