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

import {ApiError, CliError} from '../kube/errors.ts'
import type {Backend, Tracker} from './balancer.ts'
import {DEFAULT_PERMANENT_ERROR_LIMIT, isPermanentUpgradeError, isPodUnreachable, onConnectionOutcome, type PermanentErrorState, upgradeErrorText} from './lifecycle.ts'
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

/** A connection that could not be given a pod (no ready endpoint, pod/NAME lost). */
class PickError extends Error {}

/** The reason a connection is aborted when its pod goes away. */
class PodGoneError extends Error {}

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
    for (const failure of result.failures) reporter.error({localPort: failure.port.local, message: failure.message, remotePort: failure.port.remote})
    if (result.listeners.length === 0) {
      throw new CliError(`unable to listen on any of the requested ports: ${formatPortList(result.ports)}`)
    }
    this.listeners = result.listeners
    this.bound = result
    for (const l of result.listeners) {
      reporter.listening({address: l.address, localPort: l.localPort, remotePort: l.remotePort})
    }
    for (const l of result.listeners) {
      if (!isLoopback(l.address)) {
        reporter.warning(`Warning: ${joinHostPort(l.address, l.localPort)} accepts connections from other machines; anyone who can reach it reaches the pod through your credentials.`)
      }
    }
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
    const {reporter, tracker} = this.options
    const id = this.nextId++
    const started = Date.now()
    const clientIp = (socket.remoteAddress ?? '').replace(/^::ffff:/, '')
    const connection: Connection = {controller: new AbortController(), done: Promise.resolve()}
    this.connections.set(id, connection)
    reporter.connectionOpened({
      client: joinHostPort(clientIp, socket.remotePort ?? 0),
      id,
      localAddress: listener.address,
      localPort: listener.localPort,
      remotePort: listener.remotePort,
    })
    this.refreshStatus()

    const open: TunnelOpener = ({signal}) => openWithFailover({
      clientIp, connection, listenerIndex: listener.index, namespace: this.options.namespace, openTunnel: this.options.openTunnel, signal, tracker,
    })

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
    const backend = connection.backend
    const remotePort = backend?.port ?? listener.remotePort
    const message = failureMessage(result, connection.controller.signal.reason)
    const permanent = result.reason === 'open-failed' && isPermanentUpgradeError(result.error)
    const outcome = onConnectionOutcome(this.permanentErrors, permanent, this.options.permanentErrorLimit ?? DEFAULT_PERMANENT_ERROR_LIMIT)
    if (message !== undefined && outcome.report) {
      reporter.error({
        id,
        localPort: listener.localPort,
        message: `an error occurred forwarding ${listener.localPort} -> ${remotePort}: ${message}`,
        remotePort,
        ...(backend ? {pod: backend.pod} : {}),
      })
    }
    reporter.connectionClosed({
      bytesIn: result.bytesIn,
      bytesOut: result.bytesOut,
      durationMs: Date.now() - started,
      id,
      localPort: listener.localPort,
      reason: result.reason,
      remotePort: listener.remotePort,
      ...(message === undefined ? {} : {error: message}),
      ...(backend ? {pod: backend.pod, podPort: backend.port} : {}),
    })
    const fatal = outcome.exit ? new CliError(`${message} (${this.permanentErrors.count} connections in a row; giving up)`) : forbiddenUpgrade(result)
    if (fatal) this.fatal(fatal)
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

/** The words for a failed connection, or undefined when it ended normally (`abortReason`: why its signal aborted). */
export function failureMessage(result: ForwardResult, abortReason: unknown): string | undefined {
  const error = result.error
  switch (result.reason) {
    case 'completed':
    case 'half-close-timeout':
    case 'local-closed':
      return undefined
    case 'aborted':
      return abortReason instanceof PodGoneError ? abortReason.message : undefined
    case 'open-failed':
      if (error instanceof PickError) return error.message
      return upgradeErrorText(error) ?? error?.message ?? 'unable to open the tunnel'
    default:
      return error?.message ?? result.reason
  }
}

/** A 401 or 403 answer to the upgrade ends the session, as kubectl ends at start. */
function forbiddenUpgrade(result: ForwardResult): CliError | undefined {
  const error = result.error
  if (result.reason !== 'open-failed' || !(error instanceof ApiError) || (error.code !== 401 && error.code !== 403)) return undefined
  return new CliError(`error upgrading connection: ${error.status.message ?? error.message}`)
}

interface FailoverOptions {
  clientIp: string
  connection: Connection
  listenerIndex: number
  namespace: string
  openTunnel: TunnelOpener<TunnelTarget>
  signal: AbortSignal
  tracker: Tracker
}

/**
 * Picks a backend for a connection and opens its tunnel. A pod that vanished or stopped between
 * the watch and the upgrade has been sent nothing yet, so another pod may take the connection (up
 * to three more tries, for trackers that can fail over).
 */
async function openWithFailover(o: FailoverOptions): Promise<Tunnel> {
  const exclude = new Set<string>()
  for (let attempt = 0; ; attempt++) {
    let backend: Backend
    try {
      backend = await o.tracker.pick(o.listenerIndex, o.clientIp, o.signal, exclude)
    } catch (error) {
      throw new PickError((error as Error).message)
    }
    o.connection.backend = backend
    try {
      return await o.openTunnel({namespace: o.namespace, pod: backend.pod, port: backend.port, signal: o.signal})
    } catch (error) {
      if (!o.signal.aborted && o.tracker.canFailOver && attempt < 3 && isPodUnreachable(error)) {
        exclude.add(backend.pod)
        continue
      }
      throw error
    }
  }
}
