/**
 * The four patch kinds of the API server: JSON merge patch (RFC 7386), strategic merge patch (lists merged by
 * key for the fields the project uses), JSON patch (RFC 6902) and the merge used by server-side apply.
 */
import {HttpError, status} from './status.ts'

export const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
]

const isObject = (v: unknown): v is Record<string, any> => v !== null && typeof v === 'object' && !Array.isArray(v)

// ---- JSON merge patch -------------------------------------------------------------------------------------

export function mergePatch(target: any, patch: any): any {
  if (!isObject(patch)) return structuredClone(patch)
  const out: Record<string, any> = isObject(target) ? {...target} : {}
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k]
    else out[k] = mergePatch(out[k], v)
  }
  return out
}

// ---- strategic merge patch --------------------------------------------------------------------------------

/** Merge keys by field path suffix (array indices removed). First match wins. */
const MERGE_KEYS: Array<[RegExp, string[]]> = [
  [/(^|\.)spec\.ports$/, ['port', 'protocol']],
  [/(^|\.)(containers|initContainers|ephemeralContainers)\.ports$/, ['containerPort', 'protocol']],
  [/(^|\.)(containers|initContainers|ephemeralContainers)$/, ['name']],
  [/(^|\.)env$/, ['name']],
  [/(^|\.)volumeMounts$/, ['mountPath']],
  [/(^|\.)volumeDevices$/, ['devicePath']],
  [/(^|\.)volumes$/, ['name']],
  [/(^|\.)imagePullSecrets$/, ['name']],
  [/(^|\.)hostAliases$/, ['ip']],
  [/(^|\.)conditions$/, ['type']],
  [/^status\.addresses$/, ['type']],
  [/^metadata\.ownerReferences$/, ['uid']],
]

/** Primitive lists with patchStrategy merge (set union). */
const MERGE_PRIMITIVE = [/^metadata\.finalizers$/]

const PORT_DEFAULTS: Record<string, any> = {protocol: 'TCP'}

export function mergeKeysFor(path: string): string[] | undefined {
  for (const [re, keys] of MERGE_KEYS) if (re.test(path)) return keys
  return undefined
}

function sameKey(a: any, b: any, keys: string[]): boolean {
  if (!isObject(a) || !isObject(b)) return false
  return keys.every((k) => (a[k] ?? PORT_DEFAULTS[k]) === (b[k] ?? PORT_DEFAULTS[k]))
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key
}

export function strategicMerge(target: any, patch: any, path = ''): any {
  if (!isObject(patch)) return structuredClone(patch)
  if (patch.$patch === 'replace') {
    const {$patch: _ignored, ...rest} = patch
    return strategicMerge({}, rest, path)
  }
  if (patch.$patch === 'delete') return undefined
  const out: Record<string, any> = isObject(target) ? {...target} : {}
  const retain: string[] | undefined = Array.isArray(patch.$retainKeys) ? patch.$retainKeys : undefined
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$retainKeys' || k === '$patch') continue
    if (k.startsWith('$setElementOrder/')) continue
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length)
      if (Array.isArray(out[field]) && Array.isArray(v)) out[field] = out[field].filter((x: any) => !v.includes(x))
      continue
    }
    const childPath = join(path, k)
    if (v === null) {
      delete out[k]
    } else if (Array.isArray(v)) {
      out[k] = mergeList(out[k], v, childPath)
    } else if (isObject(v)) {
      const merged = strategicMerge(out[k], v, childPath)
      if (merged === undefined) delete out[k]
      else out[k] = merged
    } else {
      out[k] = v
    }
  }
  if (retain) for (const k of Object.keys(out)) if (!retain.includes(k)) delete out[k]
  return out
}

function mergeList(target: any, patch: any[], path: string): any[] {
  if (patch.some((p) => isObject(p) && p.$patch === 'replace')) return patch.filter((p) => !(isObject(p) && p.$patch === 'replace')).map((p) => structuredClone(p))
  if (MERGE_PRIMITIVE.some((re) => re.test(path))) {
    const base = Array.isArray(target) ? [...target] : []
    for (const item of patch) if (!base.includes(item)) base.push(item)
    return base
  }
  const keys = mergeKeysFor(path)
  if (!keys || !Array.isArray(target)) return patch.filter((p) => !(isObject(p) && p.$patch === 'delete')).map((p) => strategicMerge(undefined, p, path))
  const out = target.map((x) => structuredClone(x))
  for (const item of patch) {
    if (!isObject(item)) continue
    const idx = out.findIndex((x) => sameKey(x, item, keys.filter((k) => item[k] !== undefined || PORT_DEFAULTS[k] !== undefined)))
    if (item.$patch === 'delete') {
      if (idx >= 0) out.splice(idx, 1)
      continue
    }
    if (idx >= 0) out[idx] = strategicMerge(out[idx], item, path)
    else out.push(strategicMerge(undefined, item, path))
  }
  return out
}

// ---- JSON patch -------------------------------------------------------------------------------------------

function rejected(message: string): HttpError {
  return new HttpError(status(422, 'Invalid', 'the server rejected our request due to an error in our request',
    {causes: [{reason: 'UnexpectedServerResponse', message}]}))
}

function unescape(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~')
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return []
  if (!pointer.startsWith('/')) throw rejected(`invalid JSON pointer: "${pointer}"`)
  return pointer.slice(1).split('/').map(unescape)
}

function container(doc: any, tokens: string[], op: string, pointer: string): any {
  let cur = doc
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[Number(t)]
    else if (isObject(cur)) cur = cur[t]
    else cur = undefined
    if (cur === undefined || cur === null) throw rejected(`${op} operation does not apply: doc is missing path: "${pointer}": missing value`)
  }
  return cur
}

function arrayIndex(arr: any[], t: string, allowEnd: boolean, op: string, pointer: string): number {
  if (t === '-' && allowEnd) return arr.length
  if (!/^(0|[1-9][0-9]*)$/.test(t)) throw rejected(`${op} operation does not apply: doc is missing path: "${pointer}": missing value`)
  const i = Number(t)
  if (i > arr.length || (!allowEnd && i === arr.length)) throw rejected(`${op} operation does not apply: doc is missing path: "${pointer}": missing value`)
  return i
}

function getAt(doc: any, pointer: string, op: string): any {
  let cur = doc
  // evanphx/json-patch words a missing replace target as a missing key
  const missing = op === 'replace' ? `replace operation does not apply: doc is missing key: ${pointer}: missing value` : `${op} operation does not apply: doc is missing path: "${pointer}": missing value`
  for (const t of parsePointer(pointer)) {
    if (Array.isArray(cur)) {
      if (!/^(0|[1-9][0-9]*)$/.test(t) || Number(t) >= cur.length) throw rejected(missing)
      cur = cur[Number(t)]
    } else if (isObject(cur) && Object.hasOwn(cur, t)) cur = cur[t]
    else throw rejected(missing)
  }
  return cur
}

function addAt(doc: any, pointer: string, value: any, op = 'add'): any {
  const tokens = parsePointer(pointer)
  if (tokens.length === 0) return structuredClone(value)
  const parent = container(doc, tokens, op, pointer)
  const last = tokens[tokens.length - 1]
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, true, op, pointer), 0, structuredClone(value))
  else if (isObject(parent)) parent[last] = structuredClone(value)
  else throw rejected(`${op} operation does not apply: doc is missing path: "${pointer}": missing value`)
  return doc
}

function removeAt(doc: any, pointer: string, op = 'remove'): any {
  const tokens = parsePointer(pointer)
  const parent = container(doc, tokens, op, pointer)
  const last = tokens[tokens.length - 1]
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, false, op, pointer), 1)
  else if (isObject(parent) && Object.hasOwn(parent, last)) delete parent[last]
  else throw rejected(`${op} operation does not apply: doc is missing path: "${pointer}": missing value`)
  return doc
}

function deepEqual(a: any, b: any): boolean {
  if (a === b) return true
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]))
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a)
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]))
  }
  return false
}

export function jsonPatch(target: any, ops: unknown): any {
  if (!Array.isArray(ops)) throw new HttpError(status(400, 'BadRequest', 'json: cannot unmarshal object into Go value of type jsonpatch.Patch'))
  let doc = structuredClone(target)
  for (const op of ops) {
    if (!isObject(op) || typeof op.op !== 'string') throw rejected('Unexpected kind: unknown')
    const path = typeof op.path === 'string' ? op.path : undefined
    if (path === undefined) throw rejected(`${op.op} operation does not apply: doc is missing path: "": missing value`)
    switch (op.op) {
      case 'add':
        doc = addAt(doc, path, op.value)
        break
      case 'remove':
        doc = removeAt(doc, path)
        break
      case 'replace':
        getAt(doc, path, 'replace')
        doc = addAt(removeAt(doc, path, 'replace'), path, op.value, 'replace')
        break
      case 'move': {
        const value = getAt(doc, String(op.from), 'move')
        doc = addAt(removeAt(doc, String(op.from), 'move'), path, value, 'move')
        break
      }
      case 'copy':
        doc = addAt(doc, path, getAt(doc, String(op.from), 'copy'), 'copy')
        break
      case 'test':
        if (!deepEqual(getAt(doc, path, 'test'), op.value)) throw rejected(`testing value ${path} failed: test failed`)
        break
      default:
        throw rejected(`Unexpected kind: ${op.op}`)
    }
  }
  return doc
}
