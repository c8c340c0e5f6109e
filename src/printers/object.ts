// The -o json|yaml|name printers, byte for byte as kubectl's (cli-runtime printers/json.go,
// yaml.go, name.go).
//
// -o json is Go's json.MarshalIndent(obj, "", "    ") plus a newline. Key order depends on what
// kubectl holds: a typed object (what `create service` and `expose` build or get back from the
// server) is written in Go struct field order (kind, apiVersion, metadata, spec, status), maps
// inside it sorted; an unstructured object (`get`, `create -f`) is a map, written with every key
// sorted. Go also escapes <, >, & and U+2028/U+2029 in strings.
// -o yaml is sigs.k8s.io/yaml (see goyaml.ts): keys always sorted, whatever the JSON order was.
// -o name is `<lower(kind)>[.<group>]/<name>`, with ` <operation>` when the command did something.

import type {UnstructuredObject} from '../kube/types.ts'
import {marshalYaml} from './goyaml.ts'

export type OutputFormat = 'json' | 'name' | 'yaml'

export const OUTPUT_FORMATS: readonly OutputFormat[] = ['json', 'name', 'yaml']

export interface PrintOptions {
  /** kubectl's --show-managed-fields: keep metadata.managedFields in json and yaml (hidden by default). */
  showManagedFields?: boolean
  /** Go struct field order for known kinds (typed objects); otherwise keys are sorted. */
  typed?: boolean
}

/** kubectl's OmitManagedFieldsPrinter: the object (or each List item) without metadata.managedFields. */
export function omitManagedFields<T>(obj: T): T {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return obj
  let out = obj as Record<string, unknown>
  if (out.metadata && typeof out.metadata === 'object' && 'managedFields' in out.metadata) {
    const {managedFields: _omit, ...metadata} = out.metadata
    out = {...out, metadata}
  }
  if (Array.isArray(out.items)) out = {...out, items: out.items.map(omitManagedFields)}
  return out as T
}

/** kubectl's JSON printer output for one object. */
export function printJson(obj: unknown, options: PrintOptions = {}): string {
  return `${goJsonIndent(options.typed ? typedOrder(obj) : obj, '')}\n`
}

/** Go's json.Marshal plus the newline json.Encoder adds: what --save-config stores. */
export function compactJson(obj: unknown, options: PrintOptions = {}): string {
  return `${goJsonIndent(options.typed ? typedOrder(obj) : obj, '', true)}\n`
}

/** kubectl's YAML printer output for one object. */
export function printYaml(obj: unknown): string {
  return marshalYaml(obj)
}

/** `service/web`, or `service/web created (dry run)` when an operation is given. */
export function printName(obj: UnstructuredObject | undefined, operation?: string): string {
  const kind = String(obj?.kind ?? '').toLowerCase()
  const apiVersion = String(obj?.apiVersion ?? '')
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : ''
  const resource = group ? `${kind}.${group}` : kind
  const name = String(obj?.metadata?.name ?? '')
  return `${resource}/${name}${operation ? ` ${operation}` : ''}\n`
}

/**
 * One object in the given format. With no format, the name printer with the operation (kubectl's
 * default for mutations). `index` > 0 adds YAML's `---` separator, as kubectl's YAML printer does
 * from the second object on.
 */
export function printObject(obj: unknown, format: OutputFormat | undefined, options: PrintOptions & {index?: number; operation?: string} = {}): string {
  const shown = options.showManagedFields ? obj : omitManagedFields(obj)
  switch (format) {
    case 'json':
      return printJson(shown, options)
    case 'yaml':
      return `${(options.index ?? 0) > 0 ? '---\n' : ''}${printYaml(shown)}`
    case 'name':
      return printName(obj as UnstructuredObject | undefined)
    default:
      return printName(obj as UnstructuredObject | undefined, options.operation)
  }
}

// ---- Go encoding/json ----

function goJsonString(s: string): string {
  let out = '"'
  for (const ch of s) {
    const c = ch.codePointAt(0)!
    if (ch === '"') out += '\\"'
    else if (ch === '\\') out += '\\\\'
    else if (ch === '\n') out += '\\n'
    else if (ch === '\r') out += '\\r'
    else if (ch === '\t') out += '\\t'
    else if (ch === '\b') out += '\\b'
    else if (ch === '\f') out += '\\f'
    else if (c < 0x20 || ch === '<' || ch === '>' || ch === '&' || c === 0x2028 || c === 0x2029) out += `\\u${c.toString(16).padStart(4, '0')}`
    else if (c >= 0xd800 && c <= 0xdfff) out += '\\ufffd'
    else out += ch
  }
  return `${out}"`
}

function goJsonNumber(n: number): string {
  if (!Number.isFinite(n)) return 'null'
  // Go picks %f below 1e21 and at or above 1e-6, else %e with a minimal exponent: the same as JS.
  return String(n)
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
}

/** Marker for objects whose keys are already in the wanted order (typed output). */
const ORDERED = Symbol('ordered')

function goJsonIndent(value: unknown, indent: string, compact = false): string {
  if (value === null || value === undefined) return 'null'
  if (typeof value === 'string') return goJsonString(value)
  if (typeof value === 'number') return goJsonNumber(value)
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  if (typeof value === 'bigint') return value.toString()
  const inner = `${indent}    `
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]'
    if (compact) return `[${value.map(v => goJsonIndent(v, '', true)).join(',')}]`
    return `[\n${value.map(v => inner + goJsonIndent(v, inner)).join(',\n')}\n${indent}]`
  }
  if (typeof value === 'object') {
    const record = value as Record<string | symbol, unknown>
    let keys = Object.keys(record).filter(k => record[k] !== undefined)
    if (!record[ORDERED]) keys = keys.sort(compareBytes)
    if (keys.length === 0) return '{}'
    if (compact) return `{${keys.map(k => `${goJsonString(k)}:${goJsonIndent(record[k], '', true)}`).join(',')}}`
    return `{\n${keys.map(k => `${inner}${goJsonString(k)}: ${goJsonIndent(record[k], inner)}`).join(',\n')}\n${indent}}`
  }
  return goJsonString(String(value))
}

// ---- Go struct field order for typed objects ----

// A schema lists a struct's JSON fields in declaration order; nested structs have their own.
// 'map' fields are Go maps (sorted); 'raw' keeps the order it was given (json.RawMessage).
type FieldType = Schema | 'map' | 'raw' | 'scalar' | {list: Schema | 'map' | 'raw' | 'scalar'}
interface Schema {
  fields: Array<[string, FieldType]>
}

const S = (...fields: Array<[string, FieldType]>): Schema => ({fields})

const ownerReference = S(['apiVersion', 'scalar'], ['kind', 'scalar'], ['name', 'scalar'], ['uid', 'scalar'], ['controller', 'scalar'], ['blockOwnerDeletion', 'scalar'])
const managedFields = S(['manager', 'scalar'], ['operation', 'scalar'], ['apiVersion', 'scalar'], ['time', 'scalar'], ['fieldsType', 'scalar'], ['fieldsV1', 'raw'], ['subresource', 'scalar'])
const objectMeta = S(
  ['name', 'scalar'], ['generateName', 'scalar'], ['namespace', 'scalar'], ['selfLink', 'scalar'], ['uid', 'scalar'],
  ['resourceVersion', 'scalar'], ['generation', 'scalar'], ['creationTimestamp', 'scalar'], ['deletionTimestamp', 'scalar'],
  ['deletionGracePeriodSeconds', 'scalar'], ['labels', 'map'], ['annotations', 'map'], ['ownerReferences', {list: ownerReference}],
  ['finalizers', {list: 'scalar'}], ['managedFields', {list: managedFields}],
)
const servicePort = S(['name', 'scalar'], ['protocol', 'scalar'], ['appProtocol', 'scalar'], ['port', 'scalar'], ['targetPort', 'scalar'], ['nodePort', 'scalar'])
const serviceSpec = S(
  ['ports', {list: servicePort}], ['selector', 'map'], ['clusterIP', 'scalar'], ['clusterIPs', {list: 'scalar'}], ['type', 'scalar'],
  ['externalIPs', {list: 'scalar'}], ['sessionAffinity', 'scalar'], ['loadBalancerIP', 'scalar'], ['loadBalancerSourceRanges', {list: 'scalar'}],
  ['externalName', 'scalar'], ['externalTrafficPolicy', 'scalar'], ['healthCheckNodePort', 'scalar'], ['publishNotReadyAddresses', 'scalar'],
  ['sessionAffinityConfig', S(['clientIP', S(['timeoutSeconds', 'scalar'])])], ['ipFamilies', {list: 'scalar'}], ['ipFamilyPolicy', 'scalar'],
  ['allocateLoadBalancerNodePorts', 'scalar'], ['loadBalancerClass', 'scalar'], ['internalTrafficPolicy', 'scalar'], ['trafficDistribution', 'scalar'],
)
const portStatus = S(['port', 'scalar'], ['protocol', 'scalar'], ['error', 'scalar'])
const condition = S(['type', 'scalar'], ['status', 'scalar'], ['observedGeneration', 'scalar'], ['lastTransitionTime', 'scalar'], ['reason', 'scalar'], ['message', 'scalar'])
const serviceStatus = S(
  ['loadBalancer', S(['ingress', {list: S(['ip', 'scalar'], ['hostname', 'scalar'], ['ipMode', 'scalar'], ['ports', {list: portStatus}])}])],
  ['conditions', {list: condition}],
)
const service = S(['kind', 'scalar'], ['apiVersion', 'scalar'], ['metadata', objectMeta], ['spec', serviceSpec], ['status', serviceStatus])

const SCHEMAS: Record<string, Schema> = {'v1/Service': service}

/**
 * The object with its keys in Go struct order, for the kinds kubectl prints typed (Service). As in
 * Go, a Service always has `status: {loadBalancer: {}}` (both are non-pointer structs).
 */
export function typedOrder(obj: unknown): unknown {
  const o = obj as (UnstructuredObject & {status?: {loadBalancer?: unknown}}) | null
  const schema = o && typeof o === 'object' ? SCHEMAS[`${o.apiVersion}/${o.kind}`] : undefined
  if (!o || !schema) return obj
  const copy = {...o, status: {...o.status, loadBalancer: o.status?.loadBalancer ?? {}}}
  return order(copy, schema)
}

function order(value: unknown, type: FieldType): unknown {
  if (value === null || value === undefined || typeof value !== 'object') return value
  if (type === 'scalar' || type === 'map') return value
  if (type === 'raw') return markOrdered(value)
  if ('list' in type) return Array.isArray(value) ? value.map(v => order(v, type.list)) : value
  const record = value as Record<string, unknown>
  const out: Record<string | symbol, unknown> = {}
  for (const [name, fieldType] of type.fields) if (name in record) out[name] = order(record[name], fieldType)
  for (const key of Object.keys(record)) if (!(key in out)) out[key] = record[key]
  Object.defineProperty(out, ORDERED, {enumerable: false, value: true})
  return out
}

function markOrdered(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(markOrdered)
  if (value === null || typeof value !== 'object') return value
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) out[k] = markOrdered(v)
  Object.defineProperty(out, ORDERED, {enumerable: false, value: true})
  return out
}
