// What `svc port-forward` prints, in three modes over one set of events:
// - text (default): kubectl's stdout lines (`Forwarding from 127.0.0.1:8080 -> 80`, `Handling
//   connection for 8080`), errors and warnings on stderr;
// - json (-o json): one JSON object per line on stdout (the events below), errors also on stderr;
// - quiet (--quiet): only errors, on stderr.
// With several targets in one command, each target's events carry its `target`, its text lines name
// it (`Forwarding from 127.0.0.1:8080 -> 80 (svc/api)`, `svc/api: an error occurred ...`), and one `ready` event lists every target once all of them listen.
// On a terminal (text mode) a status line on stderr shows the target pods, the open connections and
// the bytes each way, redrawn in place; nothing of it is written when stderr is not a TTY.

import {joinHostPort} from './ports.ts'

export interface ListeningEvent {
  address: string
  localPort: number
  remotePort: number
}

export interface ReadyEvent {
  /** The Service's own loopback address (--address-per-service). */
  address?: string
  /** The kubeconfig context, when a forwards file names one. */
  context?: string
  namespace: string
  pods: string[]
  ports: {localPort: number; remotePort: number}[]
  target: string
  /** The transport new connections use: tunnel, spdy or websocket (`auto` while it is not settled yet). */
  transport?: string
}

/** The one ready event of a command with several targets. */
export interface ReadyAllEvent {
  targets: Omit<ReadyEvent, 'transport'>[]
  transport?: string
  /** --all: the Services that cannot be forwarded, and why. */
  skipped?: SkippedEvent[]
}

/** --all: a Service that cannot be forwarded. */
export interface SkippedEvent {
  namespace: string
  reason: string
  target: string
}

/** --all: a Service's forward closed (`deleted`, or `changed`: restarted with its new ports). */
export interface TargetRemovedEvent {
  namespace: string
  reason: 'changed' | 'deleted'
  target: string
}

export interface ConnectionOpenedEvent {
  /** The client's address and port. */
  client: string
  id: number
  localAddress: string
  localPort: number
  remotePort: number
}

export interface ConnectionClosedEvent {
  bytesIn: number
  bytesOut: number
  durationMs: number
  error?: string
  id: number
  localPort: number
  /** The pod the connection went to; absent when no pod could be picked. */
  pod?: string
  /** The pod's port the connection went to. */
  podPort?: number
  reason: string
  remotePort: number
}

export interface ErrorEvent {
  /** Set when the error ends the session. */
  fatal?: boolean
  id?: number
  localPort?: number
  message: string
  pod?: string
  remotePort?: number
}

export interface StatusSnapshot {
  bytesIn: number
  bytesOut: number
  open: number
  pods: readonly string[]
}

export interface Reporter {
  listening(event: ListeningEvent): void
  ready(event: ReadyEvent): void
  /** Every target listens (several targets in one command). */
  readyAll(event: ReadyAllEvent): void
  /** --all, after ready: a new Service listens. */
  targetAdded(event: ReadyEvent): void
  /** --all: a Service's forward closed. */
  targetRemoved(event: TargetRemovedEvent): void
  /** --all: a Service that cannot be forwarded (once per Service and reason). */
  skipped(event: SkippedEvent): void
  connectionOpened(event: ConnectionOpenedEvent): void
  connectionClosed(event: ConnectionClosedEvent): void
  /** A line for stderr (already in its final words) plus the event. */
  error(event: ErrorEvent): void
  /** A warning for people (stderr); not an event. */
  warning(text: string): void
  targetChanged(pods: readonly string[]): void
  /** Redraws the status line, if there is one; the snapshot is taken only then. */
  status(snapshot: () => StatusSnapshot): void
  /** Removes the status line for good. */
  close(): void
}

export interface Sink {
  stdout: (text: string) => void
  stderr: (text: string) => void
}

export type OutputMode = 'json' | 'quiet' | 'text'

export interface ReporterOptions {
  mode: OutputMode
  now?: () => Date
  sink: Sink
  /** Draw the live status line on stderr (the caller checks for a TTY). */
  statusLine?: boolean
  /** One of several targets: its events carry `target`, its text lines name it. */
  target?: string
  /** The live panel its lines are printed around (several targets on a terminal). */
  live?: {around(print: () => void): void}
}

export function createReporter(options: ReporterOptions): Reporter {
  const {mode, sink} = options
  const now = options.now ?? (() => new Date())
  const status = options.statusLine && mode === 'text' ? new StatusLine(sink.stderr) : undefined
  const area = options.live ?? status
  const out = (line: string) => area ? area.around(() => sink.stdout(`${line}\n`)) : sink.stdout(`${line}\n`)
  const err = (line: string) => area ? area.around(() => sink.stderr(`${line}\n`)) : sink.stderr(`${line}\n`)
  const target = options.target
  const emit = (event: string, fields: object) => {
    if (mode === 'json') sink.stdout(`${JSON.stringify({event, time: now().toISOString(), ...(target === undefined ? {} : {target}), ...fields})}\n`)
  }
  const named = (text: string) => (target === undefined ? text : `${target}: ${text}`)

  return {
    close: () => status?.clear(),
    connectionClosed: event => emit('connection-closed', event),
    connectionOpened: event => {
      if (mode === 'text') out(`Handling connection for ${event.localPort}`)
      emit('connection-opened', event)
    },
    error: event => {
      err(named(event.message))
      emit('error', event)
    },
    listening: event => {
      const suffix = target === undefined ? '' : ` (${target})`
      if (mode === 'text') out(`Forwarding from ${joinHostPort(event.address, event.localPort)} -> ${event.remotePort}${suffix}`)
      emit('listening', event)
    },
    ready: event => emit('ready', event),
    readyAll: event => emit('ready', event),
    skipped: event => {
      if (mode === 'text') err(`${event.target}: not forwarded: ${event.reason}`)
      emit('skipped', event)
    },
    targetAdded: event => emit('target-added', event),
    targetRemoved: event => {
      if (mode === 'text') out(`Stopped forwarding ${event.target}: Service ${event.reason}`)
      emit('target-removed', event)
    },
    status: snapshot => status?.draw(formatStatus(snapshot())),
    targetChanged: pods => emit('target-changed', {pods: [...pods]}),
    warning: text => {
      if (mode !== 'quiet') err(text)
    },
  }
}

/** `web-1, web-2 | 2 open | in 1.5 KiB | out 300 B` */
export function formatStatus(s: StatusSnapshot): string {
  const pods = s.pods.length === 0 ? 'no ready pod' : firstOf(s.pods, 3)
  return `${pods} | ${s.open} open | in ${formatBytes(s.bytesIn)} | out ${formatBytes(s.bytesOut)}`
}

/** The first `shown` items, comma separated, and how many more: `web-1, web-2 +3`. */
export function firstOf(items: readonly string[], shown: number): string {
  return items.length <= shown ? items.join(', ') : `${items.slice(0, shown).join(', ')} +${items.length - shown}`
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = n
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${n} B` : `${value.toFixed(1)} ${units[unit]}`
}

/** One line at the bottom of the terminal, cleared before any other line is printed. */
export class StatusLine {
  private readonly write: (text: string) => void
  private text = ''

  constructor(write: (text: string) => void) {
    this.write = write
  }

  around(print: () => void): void {
    if (this.text) this.write('\r\u001B[2K')
    print()
    if (this.text) this.write(this.text)
  }

  clear(): void {
    if (this.text) this.write('\r\u001B[2K')
    this.text = ''
  }

  draw(text: string): void {
    const columns = process.stderr.columns || 80
    const fitted = text.length >= columns ? `${text.slice(0, columns - 2)}…` : text
    if (fitted === this.text) return
    this.text = fitted
    this.write(`\r\u001B[2K${fitted}`)
  }
}

/** Redraws the status line while connections are open: at once, then every interval until none is left. */
export class StatusTicker {
  private readonly draw: () => void
  private readonly open: () => number
  private readonly intervalMs: number
  private timer: NodeJS.Timeout | undefined

  constructor(draw: () => void, open: () => number, intervalMs = 500) {
    this.draw = draw
    this.open = open
    this.intervalMs = intervalMs
  }

  refresh(): void {
    this.draw()
    if (this.open() > 0 && !this.timer) {
      this.timer = setInterval(() => {
        this.draw()
        if (this.open() === 0) this.stop()
      }, this.intervalMs)
      this.timer.unref()
    }
  }

  stop(): void {
    clearInterval(this.timer)
    this.timer = undefined
  }
}
