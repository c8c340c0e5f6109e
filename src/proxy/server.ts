// The `svc proxy` listener: every accepted connection speaks SOCKS5 (its first byte is 5) or HTTP
// (CONNECT, or a request in absolute form); any other client is refused as soon as its first byte
// shows it (opening.ts). Its target is resolved (directory.ts), a tunnel to the chosen pod is opened
// through the API server (the port-forward transport), the client is told the outcome in its
// protocol, and the bytes are copied by port-forward's forwardConnection, which owns backpressure,
// half-close and cleanup. A refusal is one line on stderr and the protocol's answer (a SOCKS reply
// code; an HTTP 502 whose body is that line), and the connection is closed.

import net from 'node:net'

import {CliError} from '../kube/errors.ts'
import type {Backend} from '../portforward/balancer.ts'
import {openWithFailover} from '../portforward/failover.ts'
import {upgradeErrorText} from '../portforward/lifecycle.ts'
import {listenBacklog} from '../portforward/listener.ts'
import {StatusTicker} from '../portforward/output.ts'
import {joinHostPort, type ListenAddress} from '../portforward/ports.ts'
import type {ForwardFn} from '../portforward/session.ts'
import {type ForwardResult, PortForwardError, type Tunnel, type TunnelOpener, type TunnelTarget} from '../portforward/types.ts'
import type {Route} from './directory.ts'
import type {RefusalKind} from './names.ts'
import {acceptReply, type OpeningStage, type ProxyTarget, readOpening, refuseReply} from './opening.ts'
import {forwardErrorLine, podAddress, type ProxyProtocol, type ProxyReporter, refusalLine} from './output.ts'
import {Reply, type ReplyCode} from './socks5.ts'

export interface Router {
  route(host: string, port: number, clientIp: string, passthrough: boolean): Promise<Route>
  readonly namespaces: string[]
}

export interface ProxyServerOptions {
  router: Router
  openTunnel: TunnelOpener<TunnelTarget>
  forward: ForwardFn
  reporter: ProxyReporter
  passthrough: boolean
  halfCloseTimeoutMs?: number
  /** A client must have said where it goes within this long (ms, default 30000). */
  handshakeTimeoutMs?: number
  /** Direct connections (--passthrough): connect timeout (ms, default 30000). */
  dialTimeoutMs?: number
  /** How often the status line is refreshed while connections are open (ms, default 500). */
  statusIntervalMs?: number
}

/** SOCKS reply code for each refusal. */
const SOCKS_CODES: Record<RefusalKind | 'failed', ReplyCode> = {
  'external-name': Reply.notAllowed,
  failed: Reply.connectionRefused,
  forbidden: Reply.notAllowed,
  'no-endpoints': Reply.hostUnreachable,
  'no-port': Reply.connectionRefused,
  'not-cluster': Reply.notAllowed,
  udp: Reply.commandNotSupported,
  unknown: Reply.hostUnreachable,
  unreachable: Reply.networkUnreachable,
}

/** A connection whose client has named its target. */
interface Attempt {
  client: string
  id: number
  started: number
  target: ProxyTarget
}

interface Connection {
  controller: AbortController
  namespace?: string
  /** The pod (and its port) the connection was given, or tried last when its tunnel could not be opened. */
  backend?: Backend
  tunnel?: Tunnel
  done: Promise<void>
}

/** Closed on the way in, before it is handed over. */
class ClientGone extends Error {}

export class ProxyServer {
  private readonly options: ProxyServerOptions
  private readonly servers: net.Server[] = []
  private readonly connections = new Map<number, Connection>()
  private nextId = 1
  private closing = false
  private closedBytes = {in: 0, out: 0}
  private readonly status: StatusTicker

  constructor(options: ProxyServerOptions) {
    this.options = options
    this.status = new StatusTicker(() => options.reporter.status(() => this.snapshot()), () => this.connections.size, options.statusIntervalMs)
  }

  get openConnections(): number {
    return this.connections.size
  }

  /**
   * Listens on each address at `port` (0: a free port, the same on every address). An explicit IP
   * that cannot be bound fails the whole start; `localhost` needs one of its two addresses.
   */
  async listen(addresses: readonly ListenAddress[], port: number): Promise<{address: string; port: number}[]> {
    const bound: {address: string; port: number}[] = []
    let lastError: Error | undefined
    for (const {address, failureMode} of addresses) {
      const server = net.createServer({allowHalfOpen: true, noDelay: true}, socket => this.accept(socket))
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject)
          server.listen({backlog: listenBacklog(), host: address, port: bound[0]?.port ?? port}, () => {
            server.off('error', reject)
            resolve()
          })
        })
      } catch (error) {
        lastError = error as Error
        if (failureMode === 'any') throw new CliError(`unable to listen on ${joinHostPort(address, bound[0]?.port ?? port)}: ${(error as Error).message}`)
        continue
      }
      this.servers.push(server)
      bound.push({address, port: (server.address() as net.AddressInfo).port})
    }
    if (bound.length === 0) throw new CliError(`unable to listen on port ${port}: ${lastError?.message ?? 'no address'}`)
    return bound
  }

  /** A pod left its Service's endpoints: end the connections to it. */
  podGone(namespace: string, pod: string): void {
    for (const c of this.connections.values()) {
      if (c.namespace === namespace && c.backend?.pod === pod) c.controller.abort(new Error(`pod "${pod}" in namespace "${namespace}" went away`))
    }
  }

  async close(): Promise<void> {
    if (this.closing) return
    this.closing = true
    this.status.stop()
    const closed = this.servers.map(s => new Promise(resolve => s.close(resolve)))
    for (const c of this.connections.values()) c.controller.abort(new Error('svc proxy is shutting down'))
    let timer: NodeJS.Timeout | undefined
    await Promise.race([Promise.all([...closed, ...[...this.connections.values()].map(c => c.done)]), new Promise(resolve => (timer = setTimeout(resolve, 5000)))])
    clearTimeout(timer)
    this.options.reporter.close()
  }

  private accept(socket: net.Socket): void {
    if (this.closing) {
      socket.destroy()
      return
    }
    const id = this.nextId++
    const connection: Connection = {controller: new AbortController(), done: Promise.resolve()}
    this.connections.set(id, connection)
    connection.done = this.handle(id, socket, connection).catch(() => undefined).finally(() => {
      closeAnswered(socket)
      this.connections.delete(id)
      this.refreshStatus()
    })
    this.refreshStatus()
  }

  private async handle(id: number, socket: net.Socket, connection: Connection): Promise<void> {
    const started = Date.now()
    const clientIp = (socket.remoteAddress ?? '').replace(/^::ffff:/, '')
    const client = joinHostPort(clientIp, socket.remotePort ?? 0)
    const signal = connection.controller.signal
    const onClose = () => connection.controller.abort(new ClientGone('the client closed the connection'))
    socket.on('error', () => {})
    socket.once('close', onClose)

    const target = await this.handshake(socket, clientIp, signal)
    if (!target) return
    const attempt: Attempt = {client, id, started, target}
    this.options.reporter.opened({client, host: target.host, id, port: target.port, protocol: target.protocol})
    const route = await this.lookUp(target, clientIp)
    if (signal.aborted) return this.abandoned(attempt, connection, signal)
    if (route.kind === 'refuse') {
      this.refuse(socket, attempt, route.refusal.kind as RefusalKind, route.refusal.message)
      return
    }
    const opened = await this.open(socket, attempt, route, connection)
    if (!opened) {
      if (signal.aborted) this.abandoned(attempt, connection, signal)
      return
    }
    connection.tunnel = opened.tunnel
    socket.off('close', onClose)
    socket.write(acceptReply(target.protocol, {address: socket.localAddress ?? '', port: socket.localPort ?? 0}))
    if (target.rest.length > 0) socket.unshift(target.rest)
    const result = await this.options.forward(socket, async () => opened.tunnel, {halfCloseTimeoutMs: this.options.halfCloseTimeoutMs, signal})
    this.closedBytes.in += result.bytesIn
    this.closedBytes.out += result.bytesOut
    this.forwarded(attempt, route, opened.backend, result, signal)
  }

  /** The route to the target; a failed look-up is a refusal. */
  private async lookUp({host, port}: ProxyTarget, clientIp: string): Promise<Route> {
    try {
      return await this.options.router.route(host, port, clientIp, this.options.passthrough)
    } catch (error) {
      return {kind: 'refuse', refusal: {kind: 'unreachable', message: `cannot look up ${host}: ${(error as Error).message}`}}
    }
  }

  /** Refused before a tunnel: the refused event, and the client's answer. */
  private refuse(socket: net.Socket, {client, id, target: {host, port, protocol}}: Attempt, kind: RefusalKind, message: string): void {
    this.options.reporter.refused({client, host, id, kind, message, port, protocol})
    this.endRefused(socket, protocol, kind, refusalLine(host, port, message))
  }

  private endRefused(socket: net.Socket, protocol: ProxyProtocol, kind: RefusalKind | 'failed', line: string): void {
    socket.end(refuseReply(protocol, SOCKS_CODES[kind], line))
  }

  /**
   * A connection given up before it was forwarded: its client left, its pod went away, or svc is
   * stopping. Its closed event, so that every connection-opened has one (`local-closed` when the
   * client left, else `aborted` with the reason as in `forwarded`); the client is not answered.
   */
  private abandoned({client, id, started, target: {host, port, protocol}}: Attempt, {backend, namespace}: Connection, signal: AbortSignal): void {
    const reason = signal.reason instanceof ClientGone ? 'local-closed' : 'aborted'
    const failure = failureText({bytesIn: 0, bytesOut: 0, reason}, signal)
    this.options.reporter.closed({
      bytesIn: 0, bytesOut: 0, client, durationMs: Date.now() - started, host, id, port, protocol, reason,
      ...(failure ? {error: failure} : {}),
      ...(backend ? {namespace, pod: backend.pod, podPort: backend.port} : {}),
    })
  }

  /** Opens the tunnel of a route (a pod, with fail-over, or a direct connection); reports a failure and returns undefined then. */
  private async open(socket: net.Socket, attempt: Attempt, route: Exclude<Route, {kind: 'refuse'}>, connection: Connection): Promise<{backend?: Backend; tunnel: Tunnel} | undefined> {
    const signal = connection.controller.signal
    try {
      if (route.kind === 'direct') return {tunnel: await dialDirect(route.host, route.port, signal, this.options.dialTimeoutMs ?? 30_000)}
      connection.namespace = route.namespace
      return await openWithFailover({
        first: route.backend,
        next: route.next,
        onBackend: b => (connection.backend = b),
        open: b => this.options.openTunnel({namespace: route.namespace, pod: b.pod, port: b.port, signal}),
        signal,
      })
    } catch (error) {
      if (!signal.aborted) this.openFailed(socket, attempt, connection, error)
      return undefined
    }
  }

  /**
   * A tunnel that could not be opened: the error line naming the pod tried last and its port (as
   * port-forward's `L -> R` line names the pod port), the closed event, and the client's answer.
   */
  private openFailed(socket: net.Socket, {client, id, started, target: {host, port, protocol}}: Attempt, connection: Connection, error: unknown): void {
    const {reporter} = this.options
    const {backend, namespace = ''} = connection
    const message = openFailureText(error)
    const line = refusalLine(host, port, message, backend && podAddress(namespace, backend.pod, backend.port))
    reporter.error(line, {host, id, port, ...(backend ? {pod: backend.pod} : {})})
    reporter.closed({bytesIn: 0, bytesOut: 0, client, durationMs: Date.now() - started, error: message, host, id, port, protocol, reason: 'open-failed',
      ...(backend ? {namespace, pod: backend.pod, podPort: backend.port} : {})})
    this.endRefused(socket, protocol, 'failed', line)
  }

  /** A forwarded connection ended: its error, if any, and the closed event naming where it went. */
  private forwarded({client, id, started, target: {host, port, protocol}}: Attempt, route: Exclude<Route, {kind: 'refuse'}>, backend: Backend | undefined, result: ForwardResult, signal: AbortSignal): void {
    const {reporter} = this.options
    const failure = failureText(result, signal)
    const to = route.kind === 'direct' || !backend ? undefined : podAddress(route.namespace, backend.pod, backend.port)
    if (failure) reporter.error(forwardErrorLine(host, port, failure, to), {host, id, port, ...(backend ? {pod: backend.pod} : {})})
    reporter.closed({
      bytesIn: result.bytesIn, bytesOut: result.bytesOut, client, durationMs: Date.now() - started, host, id, port, protocol, reason: result.reason,
      ...(failure ? {error: failure} : {}),
      ...(route.kind === 'direct' ? {direct: true} : {namespace: route.namespace, pod: backend?.pod, podPort: backend?.port, ...(route.service ? {service: route.service} : {})}),
    })
  }

  /** Reads until the client has said where it goes (readOpening); answers a refusal itself and returns undefined then, as on a timeout or abort. */
  private async handshake(socket: net.Socket, clientIp: string, signal: AbortSignal): Promise<ProxyTarget | undefined> {
    const {reporter} = this.options
    const timeoutMs = this.options.handshakeTimeoutMs ?? 30_000
    let buf: Buffer = Buffer.alloc(0)
    let stage: OpeningStage = 'sniff'
    const onTimeout = () => {
      reporter.error(`client ${clientIp} said nothing for ${timeoutMs / 1000}s; closed`)
      socket.destroy()
    }
    return readUntil(socket, signal, timeoutMs, onTimeout, chunk => {
      const step = readOpening(stage, buf.length === 0 ? chunk : Buffer.concat([buf, chunk]), clientIp)
      ;({buf, stage} = step)
      for (const bytes of step.writes) socket.write(bytes)
      const {outcome} = step
      switch (outcome.kind) {
        case 'more':
          return 'more'
        case 'target':
          return outcome.target
        case 'end':
          if (outcome.error) reporter.error(outcome.error)
          if (outcome.refused) reporter.refused(outcome.refused)
          if (outcome.reply) socket.end(outcome.reply)
          else socket.end()
          return undefined
      }
    })
  }

  private refreshStatus(): void {
    if (!this.closing) this.status.refresh()
  }

  private snapshot() {
    let bytesIn = this.closedBytes.in
    let bytesOut = this.closedBytes.out
    for (const c of this.connections.values()) {
      bytesIn += c.tunnel?.bytesIn ?? 0
      bytesOut += c.tunnel?.bytesOut ?? 0
    }
    return {bytesIn, bytesOut, namespaces: this.options.router.namespaces, open: this.connections.size}
  }
}

/** How long a refused client may take to read its answer and close its side. */
const ANSWERED_LINGER_MS = 1000

/**
 * Closes a connection that is done. One whose answer was ended (a refusal: an HTTP error, a SOCKS
 * reply) may still have input svc never read (a request body, the rest of a SOCKS4 request);
 * closing a socket with unread input makes the kernel send a reset, and the client may lose the
 * answer. So its input is read and dropped, and it is closed when the client ends its side, or
 * after ANSWERED_LINGER_MS at most; any other connection (or one whose client has ended its side
 * already) is closed at once.
 */
function closeAnswered(socket: net.Socket): void {
  if (socket.destroyed || !socket.writableEnded || socket.readableEnded) {
    socket.destroy()
    return
  }
  const timer = setTimeout(() => socket.destroy(), ANSWERED_LINGER_MS)
  socket.once('close', () => clearTimeout(timer))
  socket.once('end', () => socket.destroy())
  socket.on('data', () => {})
  socket.resume()
}

/** Why a tunnel could not be opened: a failed upgrade in kubectl's words, or the error's message. */
export function openFailureText(error: unknown): string {
  return upgradeErrorText(error) ?? (error as Error)?.message ?? String(error)
}

/**
 * Feeds each chunk the socket reads to `decide` until it returns a value (or undefined, having
 * answered the client itself), the client ends (undefined), the signal aborts (undefined), or
 * `timeoutMs` passes (`onTimeout`, then undefined). The socket is paused after, its rest unread.
 */
async function readUntil<T>(socket: net.Socket, signal: AbortSignal, timeoutMs: number, onTimeout: () => void, decide: (chunk: Buffer) => T | 'more' | undefined): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await new Promise<T | undefined>((resolve, reject) => {
      const done = (value: T | undefined) => {
        socket.off('data', onData)
        socket.off('end', onEnd)
        signal.removeEventListener('abort', onAbort)
        socket.pause()
        resolve(value)
      }
      const onAbort = () => {
        socket.off('data', onData)
        reject(signal.reason)
      }
      const onEnd = () => done(undefined)
      const onData = (chunk: Buffer) => {
        const decided = decide(chunk)
        if (decided !== 'more') done(decided)
      }
      timer = setTimeout(() => {
        onTimeout()
        done(undefined)
      }, timeoutMs)
      signal.addEventListener('abort', onAbort, {once: true})
      socket.on('data', onData)
      socket.once('end', onEnd)
    })
  } catch {
    return undefined
  } finally {
    clearTimeout(timer)
  }
}

/** Why a forwarded connection failed, or undefined when it ended normally. */
function failureText(result: ForwardResult, signal: AbortSignal): string | undefined {
  switch (result.reason) {
    case 'completed':
    case 'half-close-timeout':
    case 'local-closed':
      return undefined
    case 'aborted': {
      const reason: unknown = signal.reason
      return reason instanceof Error && !(reason instanceof ClientGone) && !reason.message.startsWith('svc proxy is shutting down') ? reason.message : undefined
    }
    default:
      return result.error instanceof PortForwardError ? result.error.message : (result.error?.message ?? result.reason)
  }
}

/** A direct TCP connection (--passthrough), shaped as a tunnel so that forwardConnection copies it. */
async function dialDirect(host: string, port: number, signal: AbortSignal, timeoutMs: number): Promise<Tunnel> {
  const socket = net.connect({allowHalfOpen: true, host, noDelay: true, port, signal, timeout: timeoutMs})
  await new Promise<void>((resolve, reject) => {
    const fail = (error: Error) => {
      socket.destroy()
      reject(error)
    }
    socket.once('connect', () => {
      socket.off('error', fail)
      socket.setTimeout(0)
      resolve()
    })
    socket.once('error', fail)
    socket.once('timeout', () => fail(new Error(`connect to ${host}:${port} timed out`)))
  })
  const done = new Promise<Error | undefined>(resolve => {
    let failure: Error | undefined
    socket.on('error', error => (failure ??= error))
    socket.once('close', () => resolve(failure))
  })
  return Object.defineProperties(socket, {
    bytesIn: {get: () => socket.bytesRead},
    bytesOut: {get: () => socket.bytesWritten},
    done: {value: done},
    errorMessage: {value: undefined},
    halfClose: {value: 'fin'},
    namespace: {value: ''},
    pod: {value: ''},
    port: {value: port},
    protocol: {value: 'direct'},
  }) as unknown as Tunnel
}
