// The `svc proxy` listener: every accepted connection speaks SOCKS5 (its first byte is 5) or HTTP
// (CONNECT, or a request in absolute form). Its target is resolved (directory.ts), a tunnel to the
// chosen pod is opened through the API server (the port-forward transport), the client is told
// the outcome in its protocol, and the bytes are copied by port-forward's forwardConnection, which
// owns backpressure, half-close and cleanup. A refusal is one line on stderr and the protocol's
// answer (a SOCKS reply code; an HTTP 502 whose body is that line), and the connection is closed.

import net from 'node:net'

import {CliError} from '../kube/errors.ts'
import type {Backend} from '../portforward/balancer.ts'
import {openWithFailover} from '../portforward/failover.ts'
import {upgradeErrorText} from '../portforward/lifecycle.ts'
import {StatusTicker} from '../portforward/output.ts'
import {joinHostPort, type ListenAddress} from '../portforward/ports.ts'
import type {ForwardFn} from '../portforward/session.ts'
import {type ForwardResult, PortForwardError, type Tunnel, type TunnelOpener, type TunnelTarget} from '../portforward/types.ts'
import type {Route} from './directory.ts'
import {CONNECT_ESTABLISHED, errorResponse, parseProxyRequest} from './http.ts'
import type {RefusalKind} from './names.ts'
import {type ProxyProtocol, type ProxyReporter, refusalLine} from './output.ts'
import {Command, greetingReply, parseGreeting, parseRequest, Reply, type ReplyCode, requestReply} from './socks5.ts'

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

interface Connection {
  controller: AbortController
  namespace?: string
  pod?: string
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
          server.listen({host: address, port: bound[0]?.port ?? port}, () => {
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
      if (c.namespace === namespace && c.pod === pod) c.controller.abort(new Error(`pod "${pod}" in namespace "${namespace}" went away`))
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
      socket.destroy()
      this.connections.delete(id)
      this.refreshStatus()
    })
    this.refreshStatus()
  }

  private async handle(id: number, socket: net.Socket, connection: Connection): Promise<void> {
    const {reporter} = this.options
    const started = Date.now()
    const clientIp = (socket.remoteAddress ?? '').replace(/^::ffff:/, '')
    const client = joinHostPort(clientIp, socket.remotePort ?? 0)
    const signal = connection.controller.signal
    const onClose = () => connection.controller.abort(new ClientGone('the client closed the connection'))
    socket.on('error', () => {})
    socket.once('close', onClose)

    const request = await this.handshake(socket, clientIp, signal)
    if (!request) return
    const {host, port, protocol} = request
    reporter.opened({client, host, id, port, protocol})
    const answer = (code: ReplyCode | 'ok', status = 502, text = ''): Buffer => {
      if (protocol === 'socks5') return requestReply(code === 'ok' ? Reply.succeeded : code, code === 'ok' ? {address: socket.localAddress ?? '', port: socket.localPort ?? 0} : undefined)
      if (code === 'ok') return protocol === 'http-connect' ? CONNECT_ESTABLISHED : Buffer.alloc(0)
      return errorResponse(status, text)
    }
    const refuseWith = (kind: RefusalKind | 'failed', message: string) => {
      socket.end(answer(SOCKS_CODES[kind], 502, refusalLine(host, port, message)))
    }

    let route: Route
    try {
      route = await this.options.router.route(host, port, clientIp, this.options.passthrough)
    } catch (error) {
      route = {kind: 'refuse', refusal: {kind: 'unreachable', message: `cannot look up ${host}: ${(error as Error).message}`}}
    }
    if (signal.aborted) return
    if (route.kind === 'refuse') {
      reporter.refused({client, host, id, kind: route.refusal.kind, message: route.refusal.message, port, protocol})
      refuseWith(route.refusal.kind as RefusalKind, route.refusal.message)
      return
    }

    let tunnel: Tunnel
    let backend: Backend | undefined
    try {
      if (route.kind === 'direct') {
        tunnel = await dialDirect(route.host, route.port, signal, this.options.dialTimeoutMs ?? 30_000)
      } else {
        connection.namespace = route.namespace
        ;({backend, tunnel} = await openWithFailover({
          first: route.backend,
          next: route.next,
          onBackend: b => (connection.pod = b.pod),
          open: b => this.options.openTunnel({namespace: route.namespace, pod: b.pod, port: b.port, signal}),
          signal,
        }))
      }
    } catch (error) {
      if (signal.aborted) return
      const message = `${connection.pod ? `pod ${route.kind === 'pod' ? route.namespace : ''}/${connection.pod} port ${backend?.port ?? ''}: ` : ''}${describeOpenError(error)}`
      reporter.error(refusalLine(host, port, message), {host, id, port})
      reporter.closed({bytesIn: 0, bytesOut: 0, client, durationMs: Date.now() - started, error: message, host, id, port, protocol, reason: 'open-failed',
        ...(connection.pod ? {namespace: connection.namespace, pod: connection.pod, podPort: backend?.port} : {})})
      refuseWith('failed', message)
      return
    }
    connection.tunnel = tunnel
    socket.off('close', onClose)
    socket.write(answer('ok'))
    if (request.rest.length > 0) socket.unshift(request.rest)
    const result: ForwardResult = await this.options.forward(socket, async () => tunnel, {halfCloseTimeoutMs: this.options.halfCloseTimeoutMs, signal})
    this.closedBytes.in += result.bytesIn
    this.closedBytes.out += result.bytesOut
    const failure = failureText(result, signal)
    if (failure) reporter.error(refusalLine(host, port, failure), {host, id, port, ...(backend ? {pod: connection.pod} : {})})
    reporter.closed({
      bytesIn: result.bytesIn, bytesOut: result.bytesOut, client, durationMs: Date.now() - started, host, id, port, protocol, reason: result.reason,
      ...(failure ? {error: failure} : {}),
      ...(route.kind === 'direct' ? {direct: true} : {namespace: route.namespace, pod: backend?.pod, podPort: backend?.port, ...(route.service ? {service: route.service} : {})}),
    })
  }

  /** Reads until the client has said where it goes; answers protocol errors itself and returns undefined then. */
  private async handshake(socket: net.Socket, clientIp: string, signal: AbortSignal): Promise<{host: string; port: number; protocol: ProxyProtocol; rest: Buffer} | undefined> {
    const {reporter} = this.options
    let buf: Buffer = Buffer.alloc(0)
    let stage: 'greeting' | 'request' | 'sniff' = 'sniff'
    let timer: NodeJS.Timeout | undefined
    try {
      return await new Promise((resolve, reject) => {
        const done = (value: {host: string; port: number; protocol: ProxyProtocol; rest: Buffer} | undefined) => {
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
          buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk])
          for (;;) {
            if (stage === 'sniff') stage = buf[0] === 5 ? 'greeting' : 'request'
            if (buf[0] !== 5 && stage === 'request') {
              const head = parseProxyRequest(buf)
              if (head.kind === 'incomplete') return
              if (head.kind === 'error') {
                reporter.error(`bad proxy request from ${clientIp}: ${head.message}`)
                socket.end(errorResponse(head.status, head.message))
                return done(undefined)
              }
              const rest = buf.subarray(head.used)
              if (head.kind === 'connect') return done({host: head.host, port: head.port, protocol: 'http-connect', rest})
              return done({host: head.host, port: head.port, protocol: 'http', rest: Buffer.concat([head.head, rest])})
            }
            if (stage === 'greeting') {
              const greeting = parseGreeting(buf)
              if (!greeting.done) return
              if ('error' in greeting) {
                socket.destroy()
                return done(undefined)
              }
              socket.write(greetingReply(greeting.value.noAuth))
              if (!greeting.value.noAuth) {
                reporter.error(`SOCKS5 client ${clientIp} offers no method svc supports (only "no authentication")`)
                socket.end()
                return done(undefined)
              }
              buf = buf.subarray(greeting.used)
              stage = 'request'
              if (buf.length === 0) return
              continue
            }
            const parsed = parseRequest(buf)
            if (!parsed.done) return
            if ('error' in parsed) {
              reporter.error(`bad SOCKS5 request from ${clientIp}: ${parsed.error}`)
              socket.end(requestReply(parsed.reply ?? Reply.generalFailure))
              return done(undefined)
            }
            const {command, host, port} = parsed.value
            if (command !== Command.connect) {
              const udp = command === Command.udpAssociate
              const message = udp ? 'UDP ASSOCIATE is not supported; svc proxy carries TCP only (SOCKS5 CONNECT)' : `SOCKS5 command ${command === Command.bind ? 'BIND' : command} is not supported; svc proxy supports CONNECT only`
              reporter.refused({client: clientIp, host, id: 0, kind: udp ? 'udp' : 'unsupported', message, port, protocol: udp ? 'socks5-udp' : 'socks5-bind'})
              socket.end(requestReply(Reply.commandNotSupported))
              return done(undefined)
            }
            return done({host, port, protocol: 'socks5', rest: buf.subarray(parsed.used)})
          }
        }
        timer = setTimeout(() => {
          reporter.error(`client ${clientIp} said nothing for ${(this.options.handshakeTimeoutMs ?? 30_000) / 1000}s; closed`)
          socket.destroy()
          done(undefined)
        }, this.options.handshakeTimeoutMs ?? 30_000)
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

function describeOpenError(error: unknown): string {
  return upgradeErrorText(error) ?? (error as Error)?.message ?? String(error)
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
