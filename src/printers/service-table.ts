// The `get` table for Services, cell for cell as the API server's printer builds it
// (printService, getServiceExternalIP, makePortString, loadBalancerStatusStringer) and laid out as
// kubectl's table printer does (upper-case headers, tab-separated cells, tabwriter with minwidth 6,
// padding 3, widths remembered across flushes for --watch).

import {ageSince} from './human-duration.ts'
import {formatLabels} from './labels.ts'
import {GET_TABLE, TabWriter} from './tabwriter.ts'

/** The parts of a Service the table reads. */
export interface ServiceLike {
  metadata?: {creationTimestamp?: string; labels?: Record<string, string>; name?: string; namespace?: string}
  spec?: {
    clusterIP?: string
    clusterIPs?: string[]
    externalIPs?: string[]
    externalName?: string
    ports?: {nodePort?: number; port?: number; protocol?: string}[]
    selector?: Record<string, string>
    type?: string
  }
  status?: {loadBalancer?: {ingress?: {hostname?: string; ip?: string}[]}}
}

export interface TableOptions {
  /** -A: a leading NAMESPACE column. */
  allNamespaces?: boolean
  /** -L/--label-columns: one column per label key, headed by the key's last segment in upper case. */
  labelColumns?: string[]
  /** --show-kind: names as `service/NAME`. */
  showKind?: boolean
  /** The clock for the AGE column, in epoch milliseconds. */
  now: number
  /** --show-labels: a trailing LABELS column. */
  showLabels?: boolean
  /** -o wide: the SELECTOR column, and load-balancer addresses are not shortened. */
  wide?: boolean
}

const LOAD_BALANCER_WIDTH = 16

/** The column headers, upper-cased as kubectl prints them. */
export function serviceHeaders(options: Omit<TableOptions, 'now'>): string[] {
  const headers = ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']
  if (options.wide) headers.push('SELECTOR')
  if (options.allNamespaces) headers.unshift('NAMESPACE')
  // cli-runtime formatLabelHeaders
  for (const key of options.labelColumns ?? []) headers.push(key.split('/').at(-1)!.toUpperCase())
  if (options.showLabels) headers.push('LABELS')
  return headers
}

/** One table row. */
export function serviceRow(svc: ServiceLike, options: TableOptions): string[] {
  const spec = svc.spec ?? {}
  const clusterIPs = spec.clusterIPs ?? []
  const clusterIP = clusterIPs.length > 0 ? clusterIPs[0] : '<none>'
  const row = [
    options.showKind ? `service/${svc.metadata?.name ?? ''}` : svc.metadata?.name ?? '',
    spec.type ?? '',
    clusterIP,
    // kubectl prints the API server's Table, which kube-apiserver generates with Wide=true: the
    // LoadBalancer ingress list is never shortened, with or without -o wide.
    externalIPCell(svc, true),
    portsCell(spec.ports ?? []),
    ageSince(svc.metadata?.creationTimestamp, options.now),
  ]
  if (options.wide) row.push(formatLabels(spec.selector))
  if (options.allNamespaces) row.unshift(svc.metadata?.namespace ?? '')
  for (const key of options.labelColumns ?? []) row.push(svc.metadata?.labels?.[key] ?? '')
  if (options.showLabels) row.push(formatLabels(svc.metadata?.labels))
  return row
}

/** The EXTERNAL-IP cell. */
export function externalIPCell(svc: ServiceLike, wide: boolean): string {
  const spec = svc.spec ?? {}
  const externalIPs = spec.externalIPs ?? []
  switch (spec.type) {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>'
    case 'LoadBalancer': {
      const lb = loadBalancerStatus(svc, wide)
      if (externalIPs.length > 0) {
        const results = lb.length > 0 ? lb.split(',') : []
        return [...results, ...externalIPs].join(',')
      }
      return lb.length > 0 ? lb : '<pending>'
    }
    case 'ExternalName':
      return spec.externalName ?? ''
    default:
      return '<unknown>'
  }
}

// loadBalancerStatusStringer: ingress IPs (or hostnames), de-duplicated and sorted, shortened
// unless wide.
function loadBalancerStatus(svc: ServiceLike, wide: boolean): string {
  const set = new Set<string>()
  for (const ingress of svc.status?.loadBalancer?.ingress ?? []) {
    if (ingress.ip) set.add(ingress.ip)
    else if (ingress.hostname) set.add(ingress.hostname)
  }
  let result = [...set].sort().join(',')
  if (!wide && result.length > LOAD_BALANCER_WIDTH) result = `${result.slice(0, 13)}...`
  return result
}

/** The PORT(S) cell: `80/TCP`, `80:30080/TCP`, comma-joined; `<none>` without ports. */
export function portsCell(ports: {nodePort?: number; port?: number; protocol?: string}[]): string {
  if (ports.length === 0) return '<none>'
  return ports.map(p => (p.nodePort && p.nodePort > 0 ? `${p.port}:${p.nodePort}/${p.protocol}` : `${p.port}/${p.protocol}`)).join(',')
}

/**
 * Writes cells the way kubectl's table printer does: a cell is cut at the first newline, carriage
 * return or form feed (then `...` is added), and terminal escape characters are made visible.
 */
export function tableLine(cells: string[]): string {
  return `${cells.map(cell => {
    const cut = cell.search(/[\f\n\r]/)
    const text = cut >= 0 ? `${cell.slice(0, cut)}` : cell
    return escapeTerminal(text) + (cut >= 0 ? '...' : '')
  }).join('\t')}\n`
}

/** cli-runtime's EscapeTerminal: ESC and CR made visible. */
export function escapeTerminal(text: string): string {
  return text.replaceAll('\x1b', '^[').replaceAll('\r', '\\r')
}

/** A watch event's row: `--output-watch-events` adds its type as a first EVENT column. */
export interface EventRow {
  event: string
  svc: ServiceLike
}

// cli-runtime tableprinter.go formattedEventType: padded to the width of MODIFIED
const EVENT_TYPES: Record<string, string> = {ADDED: 'ADDED   ', DELETED: 'DELETED ', ERROR: 'ERROR   ', MODIFIED: 'MODIFIED'}

/**
 * A table printer that keeps its column widths between prints, as kubectl's does: the first print
 * may add the header, later prints (watch events) only add rows.
 */
export class ServiceTablePrinter {
  private readonly writer: TabWriter
  private headerPrinted = false
  private readonly options: Omit<TableOptions, 'now'> & {events?: boolean; noHeaders?: boolean}

  constructor(options: Omit<TableOptions, 'now'> & {events?: boolean; noHeaders?: boolean}) {
    this.options = options
    this.writer = new TabWriter(GET_TABLE)
  }

  /** Renders rows (and the header, the first time, unless --no-headers); returns the text. */
  print(services: Array<EventRow | ServiceLike>, now: number): string {
    if (!this.headerPrinted && !this.options.noHeaders && services.length > 0) {
      const headers = serviceHeaders(this.options)
      this.writer.write(tableLine(this.options.events ? ['EVENT', ...headers] : headers))
      this.headerPrinted = true
    }
    for (const item of services) {
      if ('event' in item && 'svc' in item) {
        const e = item as EventRow
        this.writer.write(tableLine([EVENT_TYPES[e.event] ?? e.event, ...serviceRow(e.svc, {...this.options, now})]))
      } else {
        this.writer.write(tableLine(serviceRow(item, {...this.options, now})))
      }
    }
    this.writer.flush()
    return this.writer.take()
  }
}

/** The whole table at once. */
export function renderServiceTable(services: ServiceLike[], options: TableOptions & {noHeaders?: boolean}): string {
  return new ServiceTablePrinter(options).print(services, options.now)
}
