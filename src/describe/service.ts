// `describe service` exactly as kubectl 1.35 prints it (pkg/describe ServiceDescriber): the same
// lines in the same order, aligned by the same tabwriter settings, the EndpointSlice-based
// Endpoints value and the events table. Pure: the caller fetches, this renders.

import {ageSince} from '../printers/human-duration.ts'
import {formatLabels, sortedKeys} from '../printers/labels.ts'
import {escapeTerminal} from '../printers/service-table.ts'
import {DESCRIBE, TabWriter} from '../printers/tabwriter.ts'
import type {EndpointSlice, Event, Service, ServicePort} from '../kube/types.ts'

const MAX_ANNOTATION_LEN = 140
const SKIPPED_ANNOTATIONS = new Set(['kubectl.kubernetes.io/last-applied-configuration'])

/** kubectl's prefixWriter over a tabwriter: indentation by level, terminal escapes made visible. */
export class PrefixWriter {
  readonly tab = new TabWriter(DESCRIBE)

  write(level: number, text: string): void {
    this.tab.write(escapeTerminal('  '.repeat(level) + text))
  }

  /** WriteLine: the text and a newline, unescaped (kubectl uses it only for `<none>`). */
  writeLine(text: string): void {
    this.tab.write(`${text}\n`)
  }

  flush(): void {
    this.tab.flush()
  }

  /** Flushes and returns everything written. */
  text(): string {
    this.tab.flush()
    return this.tab.take()
  }
}

/** printLabelsMultiline: `Labels:` then `k=v`, one per line, continuation lines under the values. */
export function printLabelsMultiline(w: PrefixWriter, title: string, labels: Record<string, string> | undefined, initialIndent = '', innerIndent = '\t'): void {
  w.write(0, `${initialIndent}${title}:${innerIndent}`)
  const keys = sortedKeys(labels)
  if (keys.length === 0) {
    w.writeLine('<none>')
    return
  }
  keys.forEach((key, i) => {
    if (i !== 0) {
      w.write(0, initialIndent)
      w.write(0, innerIndent)
    }
    w.write(0, `${key}=${labels![key]}\n`)
  })
}

function shorten(s: string, max: number): string {
  const bytes = Buffer.from(s)
  return bytes.length > max ? `${bytes.subarray(0, max).toString()}...` : s
}

/** printAnnotationsMultiline: long or multi-line values go below the key, cut at 138 bytes. */
export function printAnnotationsMultiline(w: PrefixWriter, title: string, annotations: Record<string, string> | undefined): void {
  w.write(0, `${title}:\t`)
  const keys = sortedKeys(annotations).filter(k => !SKIPPED_ANNOTATIONS.has(k))
  if (keys.length === 0) {
    w.writeLine('<none>')
    return
  }
  const indent = '\t'
  keys.forEach((key, i) => {
    if (i !== 0) w.write(0, indent)
    const value = annotations![key].endsWith('\n') ? annotations![key].slice(0, -1) : annotations![key]
    if (Buffer.byteLength(value) + Buffer.byteLength(key) + 2 > MAX_ANNOTATION_LEN || value.includes('\n')) {
      w.write(0, `${key}:\n`)
      for (const line of value.split('\n')) w.write(0, `${indent}  ${shorten(line, MAX_ANNOTATION_LEN - 2)}\n`)
    } else {
      w.write(0, `${key}: ${value}\n`)
    }
  })
}

function joinHostPort(host: string, port: number | undefined): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}

function isReady(ready: boolean | null | undefined): boolean {
  return ready === null || ready === undefined || ready
}

/**
 * formatEndpointSlices: ready endpoint addresses (first address of each) with the slice port of
 * the same name, at most 3, then ` + N more...`. An empty slice list is `<none>`; the placeholder
 * slice of a selector that matches nothing gives an empty value.
 */
export function formatEndpointSlices(slices: EndpointSlice[], ports: ServicePort[]): string {
  if (slices.length === 0) return '<none>'
  const list: string[] = []
  const max = 3
  let more = false
  let count = 0
  const names = new Set(ports.map(p => p.name ?? ''))
  for (const slice of slices) {
    const slicePorts = slice.ports ?? []
    if (slicePorts.length === 0) {
      for (const ep of slice.endpoints ?? []) {
        if (list.length === max) more = true
        if (!isReady(ep.conditions?.ready)) continue
        if (!more) list.push(ep.addresses?.[0] ?? '')
        count++
      }
      continue
    }
    for (const p of slicePorts) {
      if (!names.has(p.name ?? '')) continue
      for (const ep of slice.endpoints ?? []) {
        if (list.length === max) more = true
        if (!isReady(ep.conditions?.ready)) continue
        if (!more) list.push(joinHostPort(ep.addresses?.[0] ?? '', p.port ?? undefined))
        count++
      }
    }
  }
  const text = list.join(',')
  return more ? `${text} + ${count - max} more...` : text
}

function buildIngressString(ingress: {hostname?: string; ip?: string; ipMode?: string}[]): string {
  return ingress.map(i => (i.ip ? i.ip + (i.ipMode ? ` (${i.ipMode})` : '') : i.hostname ?? '')).join(', ')
}

function timeOf(value: string | null | undefined): number {
  if (!value) return 0
  const t = Date.parse(value)
  return Number.isNaN(t) ? 0 : t
}

/** DescribeEvents: `Events:\t<none>` or, after a flush, the Type/Reason/Age/From/Message table. */
export function describeEvents(events: Event[], w: PrefixWriter, now: number): void {
  if (events.length === 0) {
    w.write(0, 'Events:\t<none>\n')
    return
  }
  w.flush()
  // SortableEvents: by lastTimestamp (a stable sort keeps the server's order for ties)
  const sorted = [...events].sort((a, b) => timeOf(a.lastTimestamp) - timeOf(b.lastTimestamp))
  w.write(0, 'Events:\n  Type\tReason\tAge\tFrom\tMessage\n')
  w.write(1, '----\t------\t----\t----\t-------\n')
  for (const e of sorted) {
    const first = e.eventTime ? ageSince(e.eventTime, now) : ageSince(e.firstTimestamp, now)
    let interval = first
    if (e.series) interval = `${ageSince(e.series.lastObservedTime, now)} (x${e.series.count ?? 0} over ${first})`
    else if ((e.count ?? 0) > 1) interval = `${ageSince(e.lastTimestamp, now)} (x${e.count} over ${first})`
    const source = e.source?.component || e.reportingComponent || ''
    let message = (e.message ?? '').trim()
    if (e.involvedObject?.fieldPath) message = `${e.involvedObject.fieldPath}: ${message}`
    w.write(1, `${e.type ?? ''}\t${e.reason ?? ''}\t${interval}\t${source}\t${message}\n`)
  }
}

export interface CompatInput {
  /** null when events were not fetched (--show-events=false): no Events line at all. */
  events: Event[] | null
  now: number
  service: Service
  slices: EndpointSlice[]
}

/** The text kubectl describe prints for one Service (ending with a newline). */
export function describeServiceCompat({events, now, service, slices}: CompatInput): string {
  const w = new PrefixWriter()
  const meta = service.metadata ?? {}
  const spec = service.spec ?? {}
  w.write(0, `Name:\t${meta.name ?? ''}\n`)
  w.write(0, `Namespace:\t${meta.namespace ?? ''}\n`)
  printLabelsMultiline(w, 'Labels', meta.labels)
  printAnnotationsMultiline(w, 'Annotations', meta.annotations)
  w.write(0, `Selector:\t${formatLabels(spec.selector)}\n`)
  w.write(0, `Type:\t${spec.type ?? ''}\n`)
  if (spec.ipFamilyPolicy) w.write(0, `IP Family Policy:\t${spec.ipFamilyPolicy}\n`)
  w.write(0, `IP Families:\t${spec.ipFamilies?.length ? spec.ipFamilies.join(',') : '<none>'}\n`)
  w.write(0, `IP:\t${spec.clusterIP ?? ''}\n`)
  w.write(0, `IPs:\t${spec.clusterIPs?.length ? spec.clusterIPs.join(',') : '<none>'}\n`)
  if (spec.externalIPs?.length) w.write(0, `External IPs:\t${spec.externalIPs.join(',')}\n`)
  if (spec.loadBalancerIP) w.write(0, `Desired LoadBalancer IP:\t${spec.loadBalancerIP}\n`)
  if (spec.externalName) w.write(0, `External Name:\t${spec.externalName}\n`)
  const ingress = service.status?.loadBalancer?.ingress ?? []
  if (ingress.length > 0) w.write(0, `LoadBalancer Ingress:\t${buildIngressString(ingress)}\n`)
  for (const port of spec.ports ?? []) {
    const name = port.name || '<unset>'
    const protocol = port.protocol ?? ''
    w.write(0, `Port:\t${name}\t${port.port ?? 0}/${protocol}\n`)
    w.write(0, `TargetPort:\t${port.targetPort ?? 0}/${protocol}\n`)
    if (port.nodePort) w.write(0, `NodePort:\t${name}\t${port.nodePort}/${protocol}\n`)
    w.write(0, `Endpoints:\t${formatEndpointSlices(slices, [port])}\n`)
  }
  w.write(0, `Session Affinity:\t${spec.sessionAffinity ?? ''}\n`)
  if (spec.externalTrafficPolicy) w.write(0, `External Traffic Policy:\t${spec.externalTrafficPolicy}\n`)
  if (spec.internalTrafficPolicy) w.write(0, `Internal Traffic Policy:\t${spec.internalTrafficPolicy}\n`)
  if (spec.healthCheckNodePort) w.write(0, `HealthCheck NodePort:\t${spec.healthCheckNodePort}\n`)
  if (spec.loadBalancerSourceRanges?.length) w.write(0, `LoadBalancer Source Ranges:\t${spec.loadBalancerSourceRanges.join(',')}\n`)
  if (spec.trafficDistribution) w.write(0, `Traffic Distribution:\t${spec.trafficDistribution}\n`)
  if (events) describeEvents(events, w, now)
  return w.text()
}
