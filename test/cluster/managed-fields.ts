/**
 * metadata.managedFields bookkeeping: which manager set which field (FieldsV1), for Update and Apply operations,
 * plus the apply conflict check. Field sets are flat maps from a path key to the JSON of its value.
 */
import {mergeKeysFor} from './patch.ts'

type FieldSet = Map<string, string>

const isObject = (v: unknown): v is Record<string, any> => v !== null && typeof v === 'object' && !Array.isArray(v)

const SKIP_METADATA = new Set(['name', 'namespace', 'uid', 'resourceVersion', 'creationTimestamp', 'generation', 'managedFields',
  'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generateName'])
const SET_LISTS = [/^metadata\.finalizers$/]

function itemKey(item: any, keys: string[]): string {
  const k: Record<string, unknown> = {}
  for (const key of keys) {
    const v = item?.[key] ?? (key === 'protocol' ? 'TCP' : undefined)
    if (v !== undefined) k[key] = v
  }
  return `k:${JSON.stringify(k)}`
}

function walk(value: any, segments: string[], dotted: string, out: FieldSet): void {
  if (isObject(value)) {
    const entries = Object.entries(value)
    if (segments.length > 1) out.set(JSON.stringify([...segments, '.']), '{}')
    for (const [k, v] of entries) {
      if (dotted === 'metadata' && SKIP_METADATA.has(k)) continue
      walk(v, [...segments, `f:${k}`], dotted ? `${dotted}.${k}` : k, out)
    }
    return
  }
  if (Array.isArray(value)) {
    const keys = mergeKeysFor(dotted)
    if (keys && value.every(isObject)) {
      for (const item of value) {
        const seg = [...segments, itemKey(item, keys)]
        out.set(JSON.stringify([...seg, '.']), '{}')
        for (const [k, v] of Object.entries(item)) walk(v, [...seg, `f:${k}`], `${dotted}.${k}`, out)
      }
      return
    }
    if (SET_LISTS.some((re) => re.test(dotted))) {
      for (const item of value) out.set(JSON.stringify([...segments, `v:${JSON.stringify(item)}`]), JSON.stringify(item))
      return
    }
  }
  out.set(JSON.stringify(segments), JSON.stringify(value))
}

/** Every owned path of an object (status excluded unless asked for). */
export function fieldSet(obj: any, options: {status?: boolean} = {}): FieldSet {
  const out: FieldSet = new Map()
  for (const [k, v] of Object.entries(obj ?? {})) {
    if (k === 'kind' || k === 'apiVersion') continue
    if (k === 'status' && !options.status) continue
    walk(v, [`f:${k}`], k, out)
  }
  return out
}

function toTree(paths: Iterable<string>): any {
  const root: any = {}
  for (const p of paths) {
    let node = root
    for (const seg of JSON.parse(p) as string[]) node = node[seg] ??= {}
  }
  return root
}

function fromTree(tree: any, prefix: string[] = [], out: Set<string> = new Set()): Set<string> {
  for (const [k, v] of Object.entries(tree ?? {})) {
    const path = [...prefix, k]
    if (k === '.' || !isObject(v) || Object.keys(v).length === 0) out.add(JSON.stringify(path))
    if (isObject(v)) fromTree(v, path, out)
  }
  return out
}

function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z')
}

interface Entry {
  manager: string
  operation: 'Apply' | 'Update'
  apiVersion: string
  time: string
  fieldsType: 'FieldsV1'
  fieldsV1: any
  subresource?: string
}

function entryKey(e: {manager: string; operation: string; subresource?: string}): string {
  return `${e.manager}\u0000${e.operation}\u0000${e.subresource ?? ''}`
}

/** Default manager name from the User-Agent, as the API server derives it (the part before the first '/'). */
export function defaultManager(userAgent: string | undefined): string {
  const ua = (userAgent ?? '').split('/')[0].trim()
  return (ua || 'unknown').slice(0, 128)
}

/**
 * Records a non-apply write: fields that differ from the old object become owned by `manager`, and are taken
 * away from the other managers; paths no longer present are dropped everywhere.
 */
export function recordUpdate(newObj: any, oldObj: any | undefined, manager: string, apiVersion: string, subresource?: string): void {
  const isStatus = subresource === 'status'
  const next = fieldSet(newObj, {status: isStatus})
  const prev = oldObj ? fieldSet(oldObj, {status: isStatus}) : new Map<string, string>()
  const changed = new Set<string>()
  for (const [p, v] of next) if (prev.get(p) !== v) changed.add(p)
  const all = fieldSet(newObj, {status: true})
  const entries: Entry[] = (oldObj?.metadata?.managedFields ?? newObj.metadata?.managedFields ?? []).map((e: Entry) => structuredClone(e))
  const result: Entry[] = []
  let mine: Entry | undefined
  for (const e of entries) {
    if (entryKey(e) === entryKey({manager, operation: 'Update', subresource})) {
      mine = e
      continue
    }
    const owned = [...fromTree(e.fieldsV1)].filter((p) => !changed.has(p) && (all.has(p) || isMarker(p, all)))
    if (owned.length === 0) continue
    result.push({...e, fieldsV1: toTree(owned)})
  }
  const mineOwned = new Set([...(mine ? fromTree(mine.fieldsV1) : [])].filter((p) => all.has(p) || isMarker(p, all)))
  for (const p of changed) mineOwned.add(p)
  if (mineOwned.size > 0) {
    const e: Entry = {manager, operation: 'Update', apiVersion, time: now(), fieldsType: 'FieldsV1', fieldsV1: toTree(mineOwned)}
    if (subresource) e.subresource = subresource
    result.push(e)
  }
  setManagedFields(newObj, result)
}

function isMarker(path: string, all: FieldSet): boolean {
  return all.has(path)
}

function setManagedFields(obj: any, entries: Entry[]): void {
  obj.metadata ??= {}
  if (entries.length) obj.metadata.managedFields = entries
  else delete obj.metadata.managedFields
}

export interface ApplyConflict {
  manager: string
  path: string
}

/** Renders a field path the way apply conflict messages do: .spec.ports[port=80,protocol="TCP"].targetPort */
export function renderPath(path: string): string {
  let out = ''
  for (const seg of JSON.parse(path) as string[]) {
    if (seg === '.') continue
    if (seg.startsWith('f:')) out += `.${seg.slice(2)}`
    else if (seg.startsWith('k:')) {
      const k = JSON.parse(seg.slice(2))
      out += `[${Object.entries(k).map(([a, b]) => `${a}=${JSON.stringify(b)}`).join(',')}]`
    } else if (seg.startsWith('v:')) out += `[=${seg.slice(2)}]`
  }
  return out
}

/**
 * Server-side apply bookkeeping. Returns the conflicts (fields set to a different value that another manager
 * owns) unless `force`; otherwise records `manager` as the owner of exactly the applied fields.
 */
export function recordApply(merged: any, live: any | undefined, applied: any, manager: string, apiVersion: string, force: boolean): ApplyConflict[] {
  const appliedSet = fieldSet(applied)
  const liveSet = live ? fieldSet(live) : new Map<string, string>()
  const entries: Entry[] = (live?.metadata?.managedFields ?? []).map((e: Entry) => structuredClone(e))
  const conflicts: ApplyConflict[] = []
  for (const e of entries) {
    if (e.manager === manager) continue
    for (const p of fromTree(e.fieldsV1)) {
      if (!appliedSet.has(p)) continue
      if (liveSet.has(p) && liveSet.get(p) !== appliedSet.get(p) && !p.endsWith('"."]')) conflicts.push({manager: e.manager, path: p})
    }
  }
  if (conflicts.length && !force) return conflicts
  const all = fieldSet(merged, {status: true})
  const result: Entry[] = []
  for (const e of entries) {
    if (e.manager === manager && e.operation === 'Apply') continue
    const owned = [...fromTree(e.fieldsV1)].filter((p) => all.has(p) && !(force && conflicts.some((c) => c.path === p && c.manager === e.manager)))
    if (owned.length) result.push({...e, fieldsV1: toTree(owned)})
  }
  result.unshift({manager, operation: 'Apply', apiVersion, time: now(), fieldsType: 'FieldsV1', fieldsV1: toTree(appliedSet.keys())})
  setManagedFields(merged, result)
  return []
}

/** Paths a previous apply by `manager` owned that the new applied configuration no longer sets. */
export function droppedByApply(live: any, applied: any, manager: string): string[] {
  const prev = (live?.metadata?.managedFields ?? []).find((e: Entry) => e.manager === manager && e.operation === 'Apply')
  if (!prev) return []
  const now = fieldSet(applied)
  const others = new Set<string>()
  for (const e of live.metadata.managedFields as Entry[]) if (e !== prev) for (const p of fromTree(e.fieldsV1)) others.add(p)
  const isItemMarker = (p: string): boolean => {
    const segs = JSON.parse(p) as string[]
    return segs[segs.length - 1] === '.' && segs.length > 1 && segs[segs.length - 2].startsWith('k:')
  }
  return [...fromTree(prev.fieldsV1)].filter((p) => !now.has(p) && !others.has(p) && (!p.endsWith('"."]') || isItemMarker(p)))
}

/** Removes a field given as a managed-fields path from an object (used when an applier stops setting it). */
export function removePath(obj: any, path: string): void {
  const segs = (JSON.parse(path) as string[]).filter((s) => s !== '.')
  let parent: any = obj
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]
    const last = i === segs.length - 1
    if (seg.startsWith('f:')) {
      const k = seg.slice(2)
      if (!isObject(parent)) return
      if (last) {
        delete parent[k]
        return
      }
      parent = parent[k]
    } else if (seg.startsWith('k:')) {
      if (!Array.isArray(parent)) return
      const key = JSON.parse(seg.slice(2))
      const idx = parent.findIndex((x: any) => Object.entries(key).every(([a, b]) => (x?.[a] ?? (a === 'protocol' ? 'TCP' : undefined)) === b))
      if (idx < 0) return
      if (last) {
        parent.splice(idx, 1)
        return
      }
      parent = parent[idx]
    } else if (seg.startsWith('v:')) {
      if (!Array.isArray(parent)) return
      const v = JSON.parse(seg.slice(2))
      const idx = parent.indexOf(v)
      if (idx >= 0) parent.splice(idx, 1)
      return
    } else return
  }
}
