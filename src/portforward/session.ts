// One `svc port-forward` session: the listeners, every accepted connection (picked pod, tunnel,
// bytes, outcome), the reaction to the target changing, and the clean shutdown.
//
// Failure policy (a deliberate difference from kubectl, which ends the whole session on the first
// error-stream message): a failed connection (refused port, error-channel text, lost tunnel, no
// ready pod, a pod that vanished) is reported on stderr and closed; the listeners stay up and the
// next connection is tried afresh. Only these end the session: the pod of a pod/NAME target not
// Running again within --pod-running-timeout (`lost connection to pod`), and a 401/403 answer to
// the upgrade (kubectl fails the same way, at start; svc learns it at the first connection).

import type net from 'node:net'

import {CliError} from '../kube/errors.ts'
import type {Backend, Tracker} from './balancer.ts'
import {connectionEnd, PickError, PodGoneError} from './connection-end.ts'
import {openWithFailover} from './failover.ts'
import {DEFAULT_PERMANENT_ERROR_LIMIT, type PermanentErrorState} from './lifecycle.ts'
import {bindListeners, type BindResult, type BoundListener, closeListeners} from './listener.ts'
import {type ForwardedPort, formatPortList, isLoopback, joinHostPort, type ListenAddress} from './ports.ts'
import {type ReadyEvent, type Reporter, type StatusSnapshot, StatusTicker} from './output.ts'
import type {ForwardHooks, ForwardResult, Tunnel, TunnelOpener, TunnelTarget} from './types.ts'

/** Copies one local connection through a tunnel (forward.ts's forwardConnection). */
export type ForwardFn = (socket: net.Socket, open: TunnelOpener, hooks?: ForwardHooks) => Promise<ForwardResult>

export interface SessionOptions {
  addresses: readonly ListenAddress[]
  /** The target's own loopback address (--address-per-service), named in the ready event. */
  address?: string
  forward: ForwardFn
  /** Passed to forward as hooks.halfCloseTimeoutMs. */
  halfCloseTimeoutMs?: number
  /** Connections in a row failing with a permanent error (TLS verification) before the session ends (default 3). */
  permanentErrorLimit?: number
  namespace: string
  openTunnel: TunnelOpener<TunnelTarget>
  ports: readonly ForwardedPort[]
  reporter: Reporter
  /** How often the status line is refreshed while connections are open (ms, default 500). */
  statusIntervalMs?: number
  /** `svc/web`, for the ready event. */
  target: string
  /** The transport's name for the ready event, asked when it is emitted. */
  transport?: () => string
  tracker: Tracker
}

/** The reason connections are aborted when the session closes. */
class SessionClosedError extends Error {}

interface Connection {
  backend?: Backend
  controller: AbortController
  done: Promise<void>
  tunnel?: Tunnel
}

export class Session {
  private readonly options: SessionOptions
  private readonly connections = new Map<number, Connection>()
  private listeners: BoundListener[] = []
  private bound: BindResult | undefined
  private nextId = 1
  private closedBytes = {in: 0, out: 0}
  private closing = false
  private readonly permanentErrors: PermanentErrorState = {count: 0}
  private readonly status: StatusTicker
  private resolveFinished!: (error: Error | undefined) => void
  /** Settles when the session must end: with the fatal error, or undefined after close(). */
  readonly finished: Promise<Error | undefined>

  constructor(options: SessionOptions) {
    this.options = options
    this.status = new StatusTicker(() => options.reporter.status(() => this.snapshot()), () => this.connections.size, options.statusIntervalMs)
    this.finished = new Promise(resolve => (this.resolveFinished = resolve))
  }

  /** Open connections now. */
  get openConnections(): number {
    return this.connections.size
  }

  /**
   * Binds every listener, prints them and the ready event. Throws kubectl's `unable to listen on
   * any of the requested ports` when none could be bound; ports that failed are reported and skipped.
   */
  async start(): Promise<BindResult> {
    const result = await this.listen()
    this.ready()
    return result
  }

  /** Emits the ready event and draws the status line (after listen()). */
  ready(): void {
    this.options.reporter.ready(this.readyEvent())
    this.refreshStatus()
  }

  /** start() without the ready event: for a command with several targets, which has one ready event for all. */
  async listen(): Promise<BindResult> {
    const {addresses, ports, reporter} = this.options
    const result = await bindListeners(addresses, ports, (socket, listener) => this.accept(socket, listener))
    announceListeners(result, reporter)
    this.listeners = result.listeners
    this.bound = result
    return result
  }

  /** What the ready event says of this session (once listen() has bound its listeners). */
  readyEvent(): ReadyEvent {
    const bound = new Set(this.listeners.map(l => l.index))
    return {
      ...(this.options.address ? {address: this.options.address} : {}),
      namespace: this.options.namespace,
      pods: [...this.options.tracker.pods],
      ports: (this.bound?.ports ?? []).filter((_, i) => bound.has(i)).map(p => ({localPort: p.local, remotePort: p.remote})),
      target: this.options.target,
      ...(this.options.transport ? {transport: this.options.transport()} : {}),
    }
  }

  /** The pods in rotation changed (tracker hook). */
  targetChanged(pods: readonly string[]): void {
    if (this.closing) return
    this.options.reporter.targetChanged(pods)
    this.refreshStatus()
  }

  /** A pod went away: close every connection to it now (tracker hook). */
  podGone(pod: string): void {
    for (const connection of this.connections.values()) {
      if (connection.backend?.pod === pod) connection.controller.abort(new PodGoneError(`pod "${pod}" went away`))
    }
  }

  /** Ends the session with an error (tracker hook, or a forbidden upgrade). */
  fatal(error: Error): void {
    this.resolveFinished(error)
  }

  /** Stops listening, closes every connection and waits (briefly) for them to finish. */
  async close(): Promise<void> {
    if (this.closing) return
    this.closing = true
    this.status.stop()
    const listenersClosed = closeListeners(this.listeners)
    for (const connection of this.connections.values()) connection.controller.abort(new SessionClosedError('session closed'))
    const pending = [...this.connections.values()].map(c => c.done)
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      Promise.all([listenersClosed, ...pending]),
      new Promise(resolve => (timer = setTimeout(resolve, 5000))),
    ])
    clearTimeout(timer)
    this.options.reporter.close()
    this.resolveFinished(undefined)
  }

  private accept(socket: net.Socket, listener: BoundListener): void {
    if (this.closing) {
      socket.destroy()
      return
    }
    const {reporter} = this.options
    const id = this.nextId++
    const started = Date.now()
    // Each read of the peer's address asks the kernel again when it failed (a client that reset
    // before it was accepted): the port is asked for only when the address was there.
    const remoteAddress = socket.remoteAddress
    const clientIp = (remoteAddress ?? '').replace(/^::ffff:/, '')
    const connection: Connection = {controller: new AbortController(), done: Promise.resolve()}
    this.connections.set(id, connection)
    reporter.connectionOpened({
      client: joinHostPort(clientIp, remoteAddress === undefined ? 0 : socket.remotePort ?? 0),
      id,
      localAddress: listener.address,
      localPort: listener.localPort,
      remotePort: listener.remotePort,
    })
    this.refreshStatus()

    const open = pickAndOpen(this.options, listener.index, clientIp, backend => (connection.backend = backend))
    connection.done = this.options.forward(socket, open, {
      halfCloseTimeoutMs: this.options.halfCloseTimeoutMs,
      onTunnel: tunnel => {
        connection.tunnel = tunnel
      },
      signal: connection.controller.signal,
    }).then(result => this.finish(id, connection, listener, started, result))
  }

  private finish(id: number, connection: Connection, listener: BoundListener, started: number, result: ForwardResult): void {
    const {reporter} = this.options
    this.connections.delete(id)
    this.closedBytes.in += result.bytesIn
    this.closedBytes.out += result.bytesOut
    const end = connectionEnd({
      abortReason: connection.controller.signal.reason,
      backend: connection.backend,
      durationMs: Date.now() - started,
      id,
      listener,
      permanentErrorLimit: this.options.permanentErrorLimit ?? DEFAULT_PERMANENT_ERROR_LIMIT,
      result,
    }, this.permanentErrors)
    if (end.error) reporter.error(end.error)
    reporter.connectionClosed(end.closed)
    if (end.fatal) this.fatal(end.fatal)
    this.refreshStatus()
  }

  private refreshStatus(): void {
    if (!this.closing) this.status.refresh()
  }

  /** Pods, open connections and bytes each way so far (the status line, the panel). */
  snapshot(): StatusSnapshot {
    let bytesIn = this.closedBytes.in
    let bytesOut = this.closedBytes.out
    for (const c of this.connections.values()) {
      bytesIn += c.tunnel?.bytesIn ?? 0
      bytesOut += c.tunnel?.bytesOut ?? 0
    }
    return {bytesIn, bytesOut, open: this.connections.size, pods: this.options.tracker.pods}
  }
}

/**
 * Reports what bindListeners did: each port that failed, then (unless none was bound: kubectl's
 * `unable to listen on any of the requested ports`) each listener, and a warning for each one
 * other machines can reach.
 */
function announceListeners(result: BindResult, reporter: Reporter): void {
  for (const failure of result.failures) reporter.error({localPort: failure.port.local, message: failure.message, remotePort: failure.port.remote})
  if (result.listeners.length === 0) {
    throw new CliError(`unable to listen on any of the requested ports: ${formatPortList(result.ports)}`)
  }
  for (const l of result.listeners) {
    reporter.listening({address: l.address, localPort: l.localPort, remotePort: l.remotePort})
  }
  for (const l of result.listeners) {
    if (!isLoopback(l.address)) {
      reporter.warning(`Warning: ${joinHostPort(l.address, l.localPort)} accepts connections from other machines; anyone who can reach it reaches the pod through your credentials.`)
    }
  }
}

/**
 * The tunnel opener for one connection: the tracker picks its pod (a failed pick is a PickError),
 * and an unreachable pod gives way to another when the tracker can fail over (failover.ts).
 * `onBackend` is told each pod tried.
 */
function pickAndOpen(options: SessionOptions, listenerIndex: number, clientIp: string, onBackend: (backend: Backend) => void): TunnelOpener {
  const {namespace, openTunnel, tracker} = options
  return async ({signal}) => {
    const pick = (exclude?: ReadonlySet<string>) => tracker.pick(listenerIndex, clientIp, signal, exclude).catch((error: Error) => {
      throw new PickError(error.message)
    })
    const {tunnel} = await openWithFailover({
      first: await pick(),
      next: exclude => (tracker.canFailOver ? pick(exclude) : undefined),
      onBackend,
      open: backend => openTunnel({namespace, pod: backend.pod, port: backend.port, signal}),
      signal,
    })
    return tunnel
  }
}
