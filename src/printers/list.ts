// What `get -o json|yaml|name` prints. kubectl prints a single object when exactly one name was
// asked for and found; otherwise (several names, a selector, a plain list, nothing found) it wraps
// the items in `kind: List` with `metadata: {resourceVersion: ""}`.

import {dump} from 'js-yaml'

export interface KubeObject {
  apiVersion?: string
  kind?: string
  metadata?: {name?: string; namespace?: string; [key: string]: unknown}
  [key: string]: unknown
}

export type ListOutput = 'json' | 'name' | 'yaml'

/** The object kubectl would print for these items. */
export function outputObject(items: KubeObject[], singleItemImplied: boolean): KubeObject {
  if (singleItemImplied && items.length === 1) return items[0]
  return {apiVersion: 'v1', items, kind: 'List', metadata: {resourceVersion: ''}}
}

/** Items fetched from a list lose their kind; kubectl prints them with it. */
export function withServiceKind<T extends KubeObject>(item: T): T {
  return {apiVersion: 'v1', kind: 'Service', ...item}
}

/** Object keys sorted at every level, as Go's encoding/json writes map[string]interface{}. */
export function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep)
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(value).sort()) out[key] = sortKeysDeep((value as Record<string, unknown>)[key])
    return out
  }
  return value
}

/** `-o json`: keys sorted, 4-space indentation and a final newline, as kubectl's JSON printer. */
export function printJson(obj: unknown): string {
  return `${JSON.stringify(sortKeysDeep(obj), null, 4)}\n`
}

/** `-o yaml`: keys sorted (kubectl converts JSON to YAML), lists not indented. */
export function printYaml(obj: unknown): string {
  return dump(obj, {lineWidth: -1, noArrayIndent: true, quotingType: '"', sortKeys: true})
}

/** `-o name`: `service/NAME` for each item. */
export function printNames(items: KubeObject[]): string {
  return items.map(item => `${(item.kind ?? 'Service').toLowerCase()}/${item.metadata?.name ?? ''}\n`).join('')
}

/** The text for one of the machine formats. */
export function printList(items: KubeObject[], format: ListOutput, singleItemImplied: boolean): string {
  if (format === 'name') return printNames(items)
  const obj = outputObject(items, singleItemImplied)
  return format === 'json' ? printJson(obj) : printYaml(obj)
}
