// --sort-by for `get`: a JSONPath subset (`.a.b`, `{.a.b}`, `.a[0].b`, `.a[*].b`, `.a['x.y']`) and kubectl's
// ordering (get/sorter.go isLess): numbers numerically, two strings that both parse as quantities
// (`9`, `10`, `500Mi`, `1Gi`, a resourceVersion) by value, other strings byte-wise (RFC 3339
// timestamps therefore in time order), objects without the field first. The sort is Go's sort.Sort
// with kubectl's Less, as kubectl's is: not stable, and an object without the field is "less" than
// any other, one without it included.

import {goSort} from './go-sort.ts'
import {byteCompare} from './labels.ts'
import {parseQuantityNano} from './quantity.ts'

export class SortByError extends Error {}

/** `[*]`: every element of a list; the sort key is the path's first result (below). */
const EVERY = Symbol('[*]')
type Step = number | string | typeof EVERY

/** Parses `{.metadata.name}` or `.metadata.name` into steps; throws SortByError on anything else. */
export function parseSortPath(expression: string): Step[] {
  let text = expression.trim()
  if (text.startsWith('{') && text.endsWith('}')) text = text.slice(1, -1).trim()
  if (!text.startsWith('.') && !text.startsWith('[')) text = `.${text}`
  const steps: Step[] = []
  const re = /\.([A-Za-z0-9_-]+)|\[(\d+)\]|\[['"]([^'"]+)['"]\]|(\[\*\])/y
  let index = 0
  while (index < text.length) {
    re.lastIndex = index
    const m = re.exec(text)
    if (!m) throw new SortByError(`couldn't parse --sort-by field ${JSON.stringify(expression)}: use a field path such as .metadata.name or {.metadata.creationTimestamp}`)
    if (m[1] !== undefined) steps.push(m[1])
    else if (m[2] !== undefined) steps.push(Number(m[2]))
    else if (m[3] !== undefined) steps.push(m[3])
    else steps.push(EVERY)
    index = re.lastIndex
  }
  if (steps.length === 0) throw new SortByError(`couldn't parse --sort-by field ${JSON.stringify(expression)}: the path is empty`)
  return steps
}

/**
 * The path's first result in `obj`, or undefined when it has none. kubectl sorts by the first value
 * its JSONPath finds (get/sorter.go RuntimeSort.Less and TableSorter: `values[0][0]`, with missing
 * keys allowed), so after `[*]` the rest of the path is looked for in each element in turn, and
 * an element without it is passed over; `[*]` on an empty list finds nothing, and on anything but a
 * list is kubectl's error.
 */
export function lookup(obj: unknown, steps: Step[], from = 0): unknown {
  let value: unknown = obj
  for (let i = from; i < steps.length; i++) {
    if (value === null || value === undefined) return undefined
    const step = steps[i]
    if (step === EVERY) {
      // jsonpath.go evalArray: `[*]` on anything but a list is an error, which kubectl prints.
      if (!Array.isArray(value)) throw new SortByError(`${goTypeName(value)} is not array or slice`)
      for (const element of value) {
        const found = lookup(element, steps, i + 1)
        if (found !== undefined) return found
      }
      return undefined
    }
    value = (value as Record<string | number, unknown>)[step]
  }
  return value
}

/** The Go type of a decoded JSON value, as fmt's %v of a reflect.Type names it in jsonpath's errors. */
function goTypeName(value: unknown): string {
  if (typeof value === 'string') return 'string'
  if (typeof value === 'boolean') return 'bool'
  if (typeof value === 'number') return Number.isInteger(value) ? 'int64' : 'float64'
  return 'map[string]interface {}'
}

/** kubectl's isLess on two present values. Where kubectl gives up (booleans, objects, mixed types) svc compares the JSON text. */
function isLess(a: unknown, b: unknown): boolean {
  if (a === null || b === null) return a === null && b !== null
  if (typeof a === 'number' && typeof b === 'number') return a < b
  if (typeof a === 'string' && typeof b === 'string') {
    const x = parseQuantityNano(a)
    const y = x === undefined ? undefined : parseQuantityNano(b)
    if (x !== undefined && y !== undefined) return x < y
    return byteCompare(a, b) < 0
  }
  const x = typeof a === 'string' ? a : JSON.stringify(a)
  const y = typeof b === 'string' ? b : JSON.stringify(b)
  return byteCompare(x, y) < 0
}

/** Sorts objects by the field; throws when no object has it, as kubectl does. */
export function sortByField<T>(items: T[], expression: string): T[] {
  const steps = parseSortPath(expression)
  const keyed = items.map((item) => ({item, value: lookup(item, steps)}))
  if (items.length > 0 && keyed.every(k => k.value === undefined)) {
    const shown = expression.trim().startsWith('{') ? expression.trim() : `{${expression.trim().startsWith('.') ? '' : '.'}${expression.trim()}}`
    throw new SortByError(`couldn't find any field with path "${shown}" in the list of objects`)
  }
  // TableSorter.Less / RuntimeSort.Less
  goSort(keyed, (p, q) => {
    if (p.value === undefined) return true
    if (q.value === undefined) return false
    return isLess(p.value, q.value)
  })
  return keyed.map(k => k.item)
}
