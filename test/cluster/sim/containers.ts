// Simulated containers: every declared TCP containerPort of a running pod is a real listening socket
// on 127.0.0.1 (ephemeral port) owned by the cluster. What it does is read per connection from the
// pod's current `sim.svc.local/port-<N>` annotation: echo (default), http, hostname, refuse,
// send-reset (SEND_RESET_BYTES of patternBytes, then a TCP reset: a process that crashes mid-reply)
// or slow-read (reads SLOW_READ_BYTES_PER_SECOND and discards it: a pod slower than the upload).

import http from 'node:http'
import net from 'node:net'

import {listenBacklog} from '../../../src/portforward/listener.ts'
import type {PortBehaviour} from './pod-status.ts'

/**
 * The CRI runtime's error when its dial into the pod fails (containerd 1.7
 * internal/cri/server/sandbox_portforward_linux.go, portForward: net.Dial "tcp4", then "tcp6",
 * `IPv4: %v IPv6 %v `; note the trailing space). `ipv4Cause` is what the IPv4 dial met, in Go's
 * words (goDialCause); nothing listens on [::1] in a simulated pod, so the IPv6 dial is refused.
 */
export function runtimePortForwardError(port: number, sandboxId: string, netnsPath: string, ipv4Cause = REFUSED): string {
  return (
    `failed to execute portforward in network namespace "${netnsPath}": ` +
    `failed to connect to localhost:${port} inside namespace "${sandboxId}", ` +
    `IPv4: dial tcp4 127.0.0.1:${port}: ${ipv4Cause} ` +
    `IPv6 dial tcp6 [::1]:${port}: ${REFUSED} `
  )
}

const REFUSED = 'connect: connection refused'
/** The code connectLoopback's own deadline rejects with. */
export const DIAL_TIMEOUT = 'ERR_DIAL_TIMEOUT'

/**
 * What Go's net.Dial reports after `dial tcp4 ADDR: ` for a failed Node connect (net.OpError with
 * the syscall's strerror, or `i/o timeout` for a dial deadline), so that a failure other than a
 * refusal is not reported as one.
 */
export function goDialCause(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ECONNREFUSED': return REFUSED
    case DIAL_TIMEOUT: return 'i/o timeout'
    case 'ETIMEDOUT': return 'connect: connection timed out'
    case 'EADDRNOTAVAIL': return 'connect: cannot assign requested address'
    case 'ECONNRESET': return 'connect: connection reset by peer'
    case 'EMFILE': return 'socket: too many open files'
    default: return `connect: ${error.message}`
  }
}

/**
 * The text the kubelet writes on a port-forward error channel (websocketStreamHandler.portForward).
 * Through the CRI streaming server the "pod name" is the sandbox ID and the uid is empty.
 */
export function kubeletPortForwardError(port: number, sandboxId: string, runtimeError: string, uid = ''): string {
  return `error forwarding port ${port} to pod ${sandboxId}, uid ${uid}: ${runtimeError}`
}

/** Bytes of GET /bytes?n=N: byte i is i % 251, so a test can recompute any prefix. */
export function patternBytes(offset: number, length: number): Buffer {
  if (length <= CHUNK) return Buffer.from(patternView(offset, length))
  const out = Buffer.allocUnsafe(length)
  for (let at = 0; at < length; at += CHUNK) patternView(offset + at, Math.min(CHUNK, length - at)).copy(out, at)
  return out
}

const PATTERN_PERIOD = 251
const CHUNK = 64 * 1024
/**
 * The pattern from byte 0, one period longer than a chunk, so that every chunk of it is a view:
 * a download costs the pod a write per chunk, not a loop over every byte (which took about 2 ms
 * of the cluster's CPU per MiB, on the same cores as the forwarder measured).
 */
const PATTERN = Buffer.from(Array.from({length: CHUNK + PATTERN_PERIOD}, (_, i) => i % PATTERN_PERIOD))

/** patternBytes as a read-only view of shared memory, for at most CHUNK bytes. */
function patternView(offset: number, length: number): Buffer {
  const start = offset % PATTERN_PERIOD
  return PATTERN.subarray(start, start + length)
}

const MAX_BYTES = 64 * 1024 * 1024 * 1024
/** What a send-reset port writes before it resets the connection. */
export const SEND_RESET_BYTES = 4 * 1024 * 1024
/** How fast a slow-read port reads. */
export const SLOW_READ_BYTES_PER_SECOND = 100_000

function handleHttp(podName: string, req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://pod.local')
  const text = (status: number, body: string) => {
    res.writeHead(status, {'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body)})
    res.end(req.method === 'HEAD' ? undefined : body)
  }
  switch (url.pathname) {
    case '/hostname':
      return text(200, podName)
    case '/echo':
      return text(200, url.searchParams.get('msg') ?? '')
    case '/clientip':
      return text(200, `${req.socket.remoteAddress}:${req.socket.remotePort}`)
    case '/bytes': {
      const raw = url.searchParams.get('n') ?? ''
      if (!/^\d+$/.test(raw) || Number(raw) > MAX_BYTES) return text(400, `invalid n: ${JSON.stringify(raw)}\n`)
      const total = Number(raw)
      res.writeHead(200, {'Content-Type': 'application/octet-stream', 'Content-Length': total})
      if (req.method === 'HEAD') return void res.end()
      let sent = 0
      const pump = () => {
        while (sent < total) {
          const n = Math.min(CHUNK, total - sent)
          const chunk = patternView(sent, n)
          sent += n
          if (!res.write(chunk)) return void res.once('drain', pump)
        }
        res.end()
      }
      res.on('close', () => res.removeAllListeners('drain'))
      return pump()
    }
    default: {
      // Go's http.NotFound
      const body = '404 page not found\n'
      res.writeHead(404, {'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Content-Length': Buffer.byteLength(body)})
      res.end(req.method === 'HEAD' ? undefined : body)
    }
  }
}

interface PortListener {
  server: net.Server
  ready: Promise<number>
}

/** The listening sockets and live connections of one pod. */
export class PodContainers {
  readonly podName: string
  private readonly behaviourOf: (port: number) => PortBehaviour
  private readonly listeners = new Map<number, PortListener>()
  private readonly sockets = new Set<net.Socket>()
  private readonly httpServer: http.Server
  private closed = false

  constructor(podName: string, ports: number[], behaviourOf: (port: number) => PortBehaviour) {
    this.podName = podName
    this.behaviourOf = behaviourOf
    this.httpServer = http.createServer((req, res) => handleHttp(this.podName, req, res))
    this.httpServer.keepAliveTimeout = 0
    this.httpServer.headersTimeout = 0
    this.httpServer.requestTimeout = 0
    for (const port of ports) this.listen(port)
  }

  /** Container port -> the loopback port serving it (after it is bound). */
  async hostPort(port: number): Promise<number | undefined> {
    const l = this.listeners.get(port)
    return l ? l.ready : undefined
  }

  get connectionCount(): number {
    return this.sockets.size
  }

  /**
   * A container's port, listening with a Go server's accept queue (listenBacklog: net.core.somaxconn,
   * as net/sock_linux.go maxListenerBacklog sets it), not Node's default of 511. The runtime's dials
   * and the container's accepts share one event loop here: a burst of stream pairs (a SPDY session
   * opens hundreds at once under churn) is dialled in one turn, before the first accept. A queue of
   * 511 overflows: the kernel drops the SYNs, each such dial waits out a SYN retransmit (1 s, then
   * 3 s, 7 s, ...), and under load it reaches connectLoopback's deadline.
   */
  private listen(port: number): void {
    const server = net.createServer({allowHalfOpen: true}, (socket) => this.accept(port, socket))
    const ready = new Promise<number>((resolve, reject) => {
      server.once('error', reject)
      server.listen({backlog: listenBacklog(), host: '127.0.0.1', port: 0}, () => {
        server.off('error', reject)
        resolve((server.address() as net.AddressInfo).port)
      })
    })
    ready.catch(() => {})
    this.listeners.set(port, {server, ready})
  }

  private accept(port: number, socket: net.Socket): void {
    if (this.closed) return void socket.destroy()
    this.sockets.add(socket)
    socket.once('close', () => this.sockets.delete(socket))
    socket.on('error', () => socket.destroy())
    switch (this.behaviourOf(port)) {
      case 'refuse':
        socket.resetAndDestroy()
        return
      case 'hostname':
        socket.resume()
        socket.end(`${this.podName}\n`, () => socket.destroy())
        return
      case 'http':
        // one HTTP/1.1 server (not listening) parses every http-mode connection of the pod
        this.httpServer.emit('connection', socket)
        return
      case 'send-reset':
        socket.resume()
        socket.write(patternBytes(0, SEND_RESET_BYTES), () => socket.resetAndDestroy())
        return
      case 'slow-read':
        socket.on('data', (chunk: Buffer) => {
          socket.pause()
          setTimeout(() => socket.resume(), (chunk.length / SLOW_READ_BYTES_PER_SECOND) * 1000).unref()
        })
        socket.once('end', () => socket.end())
        return
      default:
        // echo; pipe() honours backpressure and ends our side once the client has ended its side
        socket.pipe(socket)
    }
  }

  /** Stops serving: every connection is destroyed at once and the listeners are closed. */
  close(): void {
    if (this.closed) return
    this.closed = true
    for (const socket of this.sockets) socket.destroy()
    this.sockets.clear()
    for (const {server} of this.listeners.values()) server.close()
    this.httpServer.close()
  }

  get isClosed(): boolean {
    return this.closed
  }
}

/**
 * Connects to 127.0.0.1:port; rejects after timeoutMs. Without Nagle's algorithm, as containerd's
 * dial into the pod (Go's net.Dial sets TCP_NODELAY on every TCP connection, net/tcpsock_posix.go
 * newTCPConn): a request that reaches the pod in two writes must not wait for the pod's delayed ACK.
 */
export function connectLoopback(port: number, timeoutMs = 10_000): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({host: '127.0.0.1', noDelay: true, port})
    const timer = setTimeout(() => {
      socket.destroy()
      reject(Object.assign(new Error(`timed out connecting to 127.0.0.1:${port}`), {code: DIAL_TIMEOUT}))
    }, timeoutMs)
    socket.once('connect', () => {
      clearTimeout(timer)
      socket.removeListener('error', onError)
      resolve(socket)
    })
    const onError = (err: Error) => {
      clearTimeout(timer)
      reject(err)
    }
    socket.once('error', onError)
  })
}
