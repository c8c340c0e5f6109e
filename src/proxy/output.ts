// What `svc proxy` prints, over one set of events, in port-forward's three modes (output.ts there):
// - text: the listening line on stdout; refusals and connection errors on stderr; at -v=1 one line
//   per finished connection on stderr; on a terminal, the live status line;
// - json (-o json): one JSON object per line on stdout (listening, ready, connection-opened,
//   connection-closed, refused, error), errors and refusals also on stderr;
// - quiet: only errors and refusals, on stderr.

import {firstOf, formatBytes, type OutputMode, type Sink, StatusLine} from '../portforward/output.ts'
import {joinHostPort} from '../portforward/ports.ts'

export interface ProxyListening {
  address: string
  /** The port the proxy listens on (named as in port-forward's listening event). */
  localPort: number
}

export interface ProxyReady {
  addresses: string[]
  clusterDomain: string
  namespace: string
  transport: string
}

/** How the client asked: SOCKS5 CONNECT, HTTP CONNECT, or a plain HTTP request in absolute form. */
export type ProxyProtocol = 'http' | 'http-connect' | 'socks5'

export interface ProxyOpened {
  client: string
  host: string
  id: number
  port: number
  protocol: ProxyProtocol
}

export interface ProxyClosed {
  bytesIn: number
  bytesOut: number
  client: string
  durationMs: number
  error?: string
  host: string
  id: number
  /** Where it went: a pod (namespace, pod, podPort) or, with --passthrough, `direct`. */
  namespace?: string
  pod?: string
  podPort?: number
  direct?: boolean
  port: number
  protocol: ProxyProtocol
  reason: string
  service?: string
}

export interface ProxyRefused {
  client: string
  host: string
  id: number
  kind: string
  message: string
  port: number
  protocol: ProxyProtocol | 'socks5-udp' | 'socks5-bind'
}

export interface ProxyStatus {
  bytesIn: number
  bytesOut: number
  namespaces: readonly string[]
  open: number
}

export interface ProxyReporter {
  listening(event: ProxyListening): void
  ready(event: ProxyReady): void
  opened(event: ProxyOpened): void
  closed(event: ProxyClosed): void
  refused(event: ProxyRefused): void
  /** A line for stderr in its final words (plus an `error` event). */
  error(message: string, fields?: Record<string, unknown>): void
  warning(text: string): void
  status(snapshot: () => ProxyStatus): void
  close(): void
}

export interface ProxyReporterOptions {
  mode: OutputMode
  now?: () => Date
  sink: Sink
  statusLine?: boolean
  /** -v level: 1 and more print one line per connection. */
  verbosity: number
}

export function createProxyReporter(options: ProxyReporterOptions): ProxyReporter {
  const {mode, sink} = options
  const now = options.now ?? (() => new Date())
  const status = options.statusLine && mode === 'text' ? new StatusLine(sink.stderr) : undefined
  const out = (line: string) => (status ? status.around(() => sink.stdout(`${line}\n`)) : sink.stdout(`${line}\n`))
  const err = (line: string) => (status ? status.around(() => sink.stderr(`${line}\n`)) : sink.stderr(`${line}\n`))
  const emit = (event: string, fields: object) => {
    if (mode === 'json') sink.stdout(`${JSON.stringify({event, time: now().toISOString(), ...fields})}\n`)
  }
  return {
    close: () => status?.clear(),
    closed: event => {
      if (mode !== 'quiet' && options.verbosity >= 1) err(formatConnection(event))
      emit('connection-closed', event)
    },
    error: (message, fields = {}) => {
      err(message)
      emit('error', {message, ...fields})
    },
    listening: event => {
      if (mode === 'text') out(`Proxying on ${joinHostPort(event.address, event.localPort)} (SOCKS5 and HTTP)`)
      emit('listening', event)
    },
    opened: event => emit('connection-opened', event),
    ready: event => emit('ready', event),
    refused: event => {
      err(refusalLine(event.host, event.port, event.message))
      emit('refused', event)
    },
    status: snapshot => status?.draw(formatProxyStatus(snapshot())),
    warning: text => {
      if (mode !== 'quiet') err(text)
    },
  }
}

/** The one line a refusal is: on stderr, and as the body of an HTTP refusal. `to`: the pod it was refused at (podAddress). */
export function refusalLine(host: string, port: number, message: string, to?: string): string {
  return `refused ${targetTo(host, port, to)}: ${message}`
}

/**
 * The line of a connection that failed after it was forwarded (the pod's port refused, the tunnel
 * lost): port-forward's `an error occurred forwarding LOCAL -> REMOTE` with the client's target on
 * the left. `to`: where it went (podAddress), absent for --passthrough.
 */
export function forwardErrorLine(host: string, port: number, message: string, to?: string): string {
  return `an error occurred forwarding ${targetTo(host, port, to)}: ${message}`
}

/** `web.shop:80 -> shop/web-1:8080`, or the client's target alone when it went to no pod. */
function targetTo(host: string, port: number, to: string | undefined): string {
  return `${joinHostPort(host, port)}${to ? ` -> ${to}` : ''}`
}

/** Where a connection went: `shop/web-1:8080`. */
export function podAddress(namespace: string, pod: string, port: number | undefined): string {
  return `${namespace}/${pod}:${port}`
}

/** `web.shop:8080 -> shop/web-1:8080 socks5 127.0.0.1:50122 in 1.2 KiB out 80 B 15ms completed` */
export function formatConnection(e: ProxyClosed): string {
  const to = e.direct ? 'direct' : e.pod ? podAddress(e.namespace ?? '', e.pod, e.podPort) : 'nowhere'
  const tail = e.error ? `${e.reason}: ${e.error}` : e.reason
  return `${joinHostPort(e.host, e.port)} -> ${to} ${e.protocol} ${e.client} in ${formatBytes(e.bytesIn)} out ${formatBytes(e.bytesOut)} ${e.durationMs}ms ${tail}`
}

/** `namespaces default, shop | 2 open | in 1.5 KiB | out 300 B` */
export function formatProxyStatus(s: ProxyStatus): string {
  const ns = s.namespaces.length === 0 ? 'no namespace yet' : `namespaces ${firstOf(s.namespaces, 3)}`
  return `${ns} | ${s.open} open | in ${formatBytes(s.bytesIn)} | out ${formatBytes(s.bytesOut)}`
}
