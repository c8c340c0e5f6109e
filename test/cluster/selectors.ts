/** Label selectors (equality- and set-based) and field selectors, as the list/watch handlers apply them. */
import {HttpError, badRequest} from './status.ts'

export type LabelRequirement =
  | {key: string; op: 'in' | 'notin'; values: string[]}
  | {key: string; op: 'exists' | '!'}

function parseError(message: string): HttpError {
  return new HttpError(badRequest(`unable to parse requirement: ${message}`))
}

/** Splits on commas that are not inside parentheses. */
function splitTop(s: string): string[] {
  const out: string[] = []
  let depth = 0
  let cur = ''
  for (const ch of s) {
    if (ch === '(') depth++
    if (ch === ')') depth--
    if (ch === ',' && depth === 0) {
      out.push(cur)
      cur = ''
    } else cur += ch
  }
  out.push(cur)
  return out
}

const KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/

function checkKey(key: string): string {
  if (!KEY.test(key)) throw parseError(`invalid label key "${key}"`)
  return key
}

function checkValue(value: string): string {
  if (value.length > 63 || !VALUE.test(value)) throw parseError(`invalid label value: "${value}"`)
  return value
}

export function parseLabelSelector(selector: string | undefined): LabelRequirement[] {
  if (selector === undefined || selector.trim() === '') return []
  const out: LabelRequirement[] = []
  for (const raw of splitTop(selector)) {
    const part = raw.trim()
    if (part === '') throw parseError('found \'\', expected: !, identifier, or \'end of string\'')
    let m = /^(\S+?)\s+(in|notin)\s*\((.*)\)$/.exec(part)
    if (m) {
      const values = m[3].split(',').map((v) => checkValue(v.trim()))
      out.push({key: checkKey(m[1]), op: m[2] as 'in' | 'notin', values})
      continue
    }
    m = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(part)
    if (m) {
      const value = checkValue(m[3].trim())
      out.push({key: checkKey(m[1]), op: m[2] === '!=' ? 'notin' : 'in', values: [value]})
      continue
    }
    m = /^!\s*(\S+)$/.exec(part)
    if (m) {
      out.push({key: checkKey(m[1]), op: '!'})
      continue
    }
    if (/^\S+$/.test(part)) {
      out.push({key: checkKey(part), op: 'exists'})
      continue
    }
    throw parseError(`found '${part}', expected: in, notin, =, ==, !=, or end of string`)
  }
  return out
}

export function matchLabels(reqs: LabelRequirement[], labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {}
  for (const r of reqs) {
    const has = Object.hasOwn(l, r.key)
    switch (r.op) {
      case 'exists': if (!has) return false; break
      case '!': if (has) return false; break
      case 'in': if (!has || !r.values.includes(l[r.key])) return false; break
      case 'notin': if (has && r.values.includes(l[r.key])) return false; break
    }
  }
  return true
}

export interface FieldRequirement {
  field: string
  op: '=' | '!='
  value: string
}

/** Field labels each resource supports beyond metadata.name and metadata.namespace. */
const FIELD_GETTERS: Record<string, Record<string, (o: any) => string | undefined>> = {
  pods: {
    'spec.nodeName': (o) => o.spec?.nodeName ?? '',
    'spec.restartPolicy': (o) => o.spec?.restartPolicy ?? '',
    'spec.schedulerName': (o) => o.spec?.schedulerName ?? '',
    'spec.serviceAccountName': (o) => o.spec?.serviceAccountName ?? '',
    'spec.hostNetwork': (o) => String(Boolean(o.spec?.hostNetwork)),
    'status.phase': (o) => o.status?.phase ?? '',
    'status.podIP': (o) => o.status?.podIP ?? '',
    'status.nominatedNodeName': (o) => o.status?.nominatedNodeName ?? '',
  },
  events: {
    'involvedObject.kind': (o) => o.involvedObject?.kind ?? '',
    'involvedObject.namespace': (o) => o.involvedObject?.namespace ?? '',
    'involvedObject.name': (o) => o.involvedObject?.name ?? '',
    'involvedObject.uid': (o) => o.involvedObject?.uid ?? '',
    'involvedObject.apiVersion': (o) => o.involvedObject?.apiVersion ?? '',
    'involvedObject.resourceVersion': (o) => o.involvedObject?.resourceVersion ?? '',
    'involvedObject.fieldPath': (o) => o.involvedObject?.fieldPath ?? '',
    reason: (o) => o.reason ?? '',
    reportingComponent: (o) => o.reportingComponent ?? '',
    source: (o) => o.source?.component ?? o.reportingComponent ?? '',
    type: (o) => o.type ?? '',
  },
  services: {
    'spec.clusterIP': (o) => o.spec?.clusterIP ?? '',
    'spec.type': (o) => o.spec?.type ?? '',
  },
  namespaces: {'status.phase': (o) => o.status?.phase ?? ''},
  nodes: {'spec.unschedulable': (o) => String(Boolean(o.spec?.unschedulable))},
  'apps/replicasets': {'status.replicas': (o) => String(o.status?.replicas ?? 0)},
}

function getter(resource: string, field: string): ((o: any) => string | undefined) | undefined {
  if (field === 'metadata.name') return (o) => o.metadata?.name
  if (field === 'metadata.namespace') return (o) => o.metadata?.namespace ?? ''
  return FIELD_GETTERS[resource]?.[field]
}

export function parseFieldSelector(resource: string, selector: string | undefined): FieldRequirement[] {
  if (selector === undefined || selector.trim() === '') return []
  const out: FieldRequirement[] = []
  for (const raw of selector.split(',')) {
    const part = raw.trim()
    const m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(part)
    if (!m) throw new HttpError(badRequest(`invalid selector: '${selector}'; can't understand '${part}'`))
    const field = m[1]
    if (!getter(resource, field)) throw new HttpError(badRequest(`field label not supported: ${field}`))
    out.push({field, op: m[2] === '!=' ? '!=' : '=', value: m[3]})
  }
  return out
}

export function matchFields(resource: string, reqs: FieldRequirement[], obj: any): boolean {
  for (const r of reqs) {
    const actual = getter(resource, r.field)!(obj) ?? ''
    if (r.op === '=' && actual !== r.value) return false
    if (r.op === '!=' && actual === r.value) return false
  }
  return true
}
