// The local cluster's pods/NAME/portforward over WebSocket, as the API server + kubelet + CRI
// runtime answer it (the v4 channel protocol, docs: ../shared/reference/portforward-protocol.md §1-2):
//
// - API server: `ports` converted like Convert_Slice_string_To_Slice_int32 (400 Status
//   `cannot convert to []int32: ...`), 404 Status for a missing pod, 400 Status for a pod without a
//   node; then the request is proxied to the kubelet and its non-101 answers come back verbatim.
// - kubelet (websocket.go NewV4Options): 400 text `query parameter "port" is required`,
//   `port "P" must be > 0`; a pod whose sandbox is not running: 500 text `pod not found ("NAME_NS")`.
// - wsstream handshake: subprotocols `v4.channel.k8s.io`, `v4.base64.channel.k8s.io` or none,
//   picked in the client's order; anything else is `HTTP/1.1 403 Forbidden` with no body.
// - After the 101: the 2-byte little-endian port on the data then the error channel of each port,
//   one dial per port at once, containerd's error text on the error channel when a dial fails, and
//   a normal close (1000) once every port's connection has ended. The client closing the WebSocket
//   closes the pod connections. No half-close: nothing on the wire says one direction ended.

import {createHash} from 'node:crypto'
import type {IncomingMessage} from 'node:http'
import type {Socket} from 'node:net'
import type {Duplex} from 'node:stream'

import {NODE_NAME} from './bootstrap.ts'
import {internals, type LocalCluster} from './index.ts'
import {XnetWebSocket, xnetHandshakeOk} from './xnet-websocket.ts'

export const V4_BINARY = 'v4.channel.k8s.io'
export const V4_BASE64 = 'v4.base64.channel.k8s.io'
const SUPPORTED = ['', V4_BINARY, V4_BASE64]
/** Above this many bytes queued towards the client, stop reading the pod socket. */
const SEND_HIGH_WATER_MARK = 256 * 1024
/** containerd gives the other direction this long after the pod side ended. */
const POD_CLOSE_GRACE_MS = 1_000

/** What the portforward route needs from the cluster; LocalCluster satisfies it. */
export interface PortForwardBackend {
  dialPod(namespace: string, name: string, port: number): Promise<Socket>
  getObject(resource: string, namespace: string, name: string): any | undefined
  /** Extra delay per stream frame, when the cluster simulates latency. */
  readonly latencyMs?: number
  /** The node whose kubelet answers; it knows only the pods bound to it. Unset: it knows every pod. */
  readonly kubeletNode?: string
}

export interface PortForwardRequest {
  req: IncomingMessage
  socket: Duplex
  head: Buffer
  namespace: string
  pod: string
}

/** True for a WebSocket upgrade (as wsstream.IsWebSocketRequest decides) that is not KEP-4006 SPDY tunnelling. */
export function isV4PortForwardRequest(req: IncomingMessage): boolean {
  const upgrade = String(req.headers.upgrade ?? '').toLowerCase()
  const connection = String(req.headers.connection ?? '').toLowerCase().split(',').map(s => s.trim())
  if (upgrade !== 'websocket' || !connection.includes('upgrade')) return false
  return !offeredProtocols(req).some(p => p.startsWith('SPDY/3.1+') && p.endsWith('.k8s.io'))
}

/** The handler to register with cluster.onPortForward (see registerPortForwardWs). */
export function portForwardWsHandler(backend: PortForwardBackend): (ctx: PortForwardRequest) => void {
  return ctx => {
    try {
      serve(backend, ctx)
    } catch (error) {
      respond(ctx.socket, 500, 'text/plain; charset=utf-8', (error as Error).message)
    }
  }
}

const REGISTERED = new WeakSet<LocalCluster>()

/**
 * Registers the WebSocket portforward route on a cluster started by startCluster, with its simulated
 * containers behind dialPod and its latency on every frame. Idempotent. (The cluster calls only the
 * first handler registered: a dispatcher that also serves SPDY can use isV4PortForwardRequest and
 * portForwardWsHandler instead.)
 */
export function registerPortForwardWs(cluster: LocalCluster): void {
  if (REGISTERED.has(cluster)) return
  REGISTERED.add(cluster)
  const backend: PortForwardBackend = {
    dialPod: (namespace, name, port) => cluster.dialPod(namespace, name, port),
    getObject: (resource, namespace, name) => cluster.getObject(resource, namespace, name),
    kubeletNode: NODE_NAME,
    get latencyMs() {
      return internals(cluster).latency.ms
    },
  }
  cluster.onPortForward(portForwardWsHandler(backend))
}

function serve(backend: PortForwardBackend, ctx: PortForwardRequest): void {
  const {req, socket, head, namespace, pod: name} = ctx
  socket.on('error', () => {})
  if (req.method !== 'GET' && req.method !== 'POST') {
    status(socket, 405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`)
    return
  }
  // API server: decode PodPortForwardOptions from the query.
  const query = new URL(req.url ?? '/', 'http://localhost').searchParams
  const ports: number[] = []
  for (const value of query.getAll('ports')) {
    for (const part of value.split(',')) {
      const problem = parseUint16(part)
      if (typeof problem === 'string') {
        status(socket, 400, 'BadRequest', `cannot convert to []int32: strconv.ParseUint: parsing ${goQuote(part)}: ${problem}`)
        return
      }
      ports.push(problem)
    }
  }
  const pod = backend.getObject('pods', namespace, name)
  if (!pod) {
    status(socket, 404, 'NotFound', `pods "${name}" not found`, {kind: 'pods', name})
    return
  }
  const phase = pod.status?.phase
  if (!pod.spec?.nodeName && phase !== 'Running') {
    status(socket, 400, 'BadRequest', `pod ${name} does not have a host assigned`)
    return
  }
  // kubelet: NewV4Options, on the comma-joined `port` the API server sends it.
  if (ports.length === 0) {
    respond(socket, 400, 'text/plain; charset=utf-8', 'query parameter "port" is required')
    return
  }
  if (ports.includes(0)) {
    // NewV4Options quotes the whole `port` value it parsed, which the API server joined with commas
    // (pkg/registry/core/pod/strategy.go streamParams): `port "80,0" must be > 0`.
    respond(socket, 400, 'text/plain; charset=utf-8', `port "${ports.join(',')}" must be > 0`)
    return
  }
  if (!kubeletHasPod(backend, pod)) {
    respond(socket, 404, 'text/plain; charset=utf-8', 'pod does not exist')
    return
  }
  if (phase !== 'Running') {
    respond(socket, 500, 'text/plain; charset=utf-8', `pod not found ("${name}_${namespace}")`)
    return
  }
  // The CRI streaming server hands the request to golang.org/x/net/websocket: its handshake checks
  // (GET only, 405 `bad method`, ...) come before the subprotocols are looked at.
  if (!xnetHandshakeOk(req, socket)) return
  if (ports.length > 127) {
    respond(socket, 400, 'text/plain; charset=utf-8', 'too many ports requested')
    return
  }
  // wsstream: pick the first offered protocol we support, in the client's order; "" if none offered.
  const offered = offeredProtocols(req)
  const protocol = (offered.length === 0 ? [''] : offered).find(p => SUPPORTED.includes(p))
  if (protocol === undefined) {
    socket.end('HTTP/1.1 403 Forbidden\r\n\r\n')
    return
  }
  const sandboxId = createHash('sha256').update(String(pod.metadata?.uid ?? `${namespace}/${name}`)).digest('hex')
  const ws = new XnetWebSocket(req, socket, head, protocol)
  new V4Session(backend, ws, {binary: protocol !== V4_BASE64, namespace, pod: name, ports, sandboxId}).run()
}

interface SessionOptions {
  binary: boolean
  namespace: string
  pod: string
  ports: number[]
  sandboxId: string
}

/** One upgraded portforward WebSocket: N ports, 2N channels. */
class V4Session {
  private readonly backend: PortForwardBackend
  private readonly ws: XnetWebSocket
  private readonly options: SessionOptions
  private readonly pods: Array<Socket | undefined>
  /** What the client sent for a port while its dial was still in progress (the kubelet's pipe holds it). */
  private readonly early: Array<Array<{payload: Buffer; written: () => void}> | undefined>
  private readonly done: boolean[]
  /** Bytes handed to ws.send (or waiting for the latency timer) and not yet written out. */
  private toClient = 0
  /** Bytes received from the client and not yet written into the pod sockets. */
  private toPods = 0
  private closed = false

  constructor(backend: PortForwardBackend, ws: XnetWebSocket, options: SessionOptions) {
    this.backend = backend
    this.ws = ws
    this.options = options
    this.pods = options.ports.map(() => undefined)
    this.early = options.ports.map(() => [])
    this.done = options.ports.map(() => false)
  }

  run(): void {
    const {ws, options} = this
    ws.on('error', () => {})
    ws.on('close', () => this.teardown())
    ws.on('message', (data: Buffer) => this.fromClient(data))
    for (const [i, port] of options.ports.entries()) {
      const prefix = Buffer.alloc(2)
      prefix.writeUInt16LE(port, 0)
      this.send(i * 2, prefix)
      this.send(i * 2 + 1, prefix)
    }
    for (const [i, port] of options.ports.entries()) void this.forward(i, port)
  }

  private async forward(index: number, port: number): Promise<void> {
    let pod: Socket
    try {
      pod = await this.backend.dialPod(this.options.namespace, this.options.pod, port)
    } catch (error) {
      // The simulation knows the kubelet's words for its pods; otherwise say what containerd says.
      const text = (error as {kubeletMessage?: string}).kubeletMessage ?? this.dialError(port, error as NodeJS.ErrnoException)
      this.send(index * 2 + 1, Buffer.from(text))
      for (const early of this.early[index] ?? []) early.written()
      this.early[index] = undefined
      this.portDone(index)
      return
    }
    const early = this.early[index] ?? []
    this.early[index] = undefined
    if (this.closed) {
      for (const e of early) e.written()
      pod.destroy()
      return
    }
    this.pods[index] = pod
    for (const e of early) pod.write(e.payload, e.written)
    const connection = `127.0.0.1:${pod.localPort}->127.0.0.1:${port}`
    let copyError: NodeJS.ErrnoException | undefined
    pod.on('error', (error: NodeJS.ErrnoException) => {
      copyError ??= error
    })
    pod.on('data', (chunk: Buffer) => {
      // One message per read, like io.Copy; stop reading the pod while the client lags behind.
      this.send(index * 2, chunk, () => {
        if (pod.isPaused() && this.toClient <= SEND_HIGH_WATER_MARK / 2) pod.resume()
      })
      if (this.toClient > SEND_HIGH_WATER_MARK) pod.pause()
    })
    pod.once('end', () => {
      // containerd: the output copy ended; give the input copy up to a second, then close.
      pod.end()
      setTimeout(() => pod.destroy(), POD_CLOSE_GRACE_MS).unref()
    })
    pod.once('close', () => {
      if (!copyError || this.closed) return this.portDone(index)
      // containerd portForward (internal/cri/server/sandbox_portforward_linux.go): the copy that
      // failed ends the forward, the other copy gets up to 1 s, and the error comes back wrapped
      // as `failed to execute portforward for "ID" port P: <Go net error>`; the kubelet
      // (pkg/kubelet/cri/streaming/portforward/websocket.go, websocketStreamHandler.portForward)
      // then writes `error forwarding port P to pod ID, uid : ...` on the error channel, after
      // every data message the copy had already sent. Then the WebSocket is closed (run()).
      const text = `error forwarding port ${port} to pod ${this.options.sandboxId}, uid : ` +
        `failed to execute portforward for "${this.options.sandboxId}" port ${port}: ${goCopyError(copyError, connection)}`
      setTimeout(() => {
        if (!this.closed) this.send(index * 2 + 1, Buffer.from(text))
        this.portDone(index)
      }, POD_CLOSE_GRACE_MS).unref()
    })
  }

  private dialError(port: number, error: NodeJS.ErrnoException): string {
    const id = this.options.sandboxId
    const netns = `/var/run/netns/cni-${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20, 32)}`
    const cause = error.code === 'ECONNREFUSED' || /refused/i.test(error.message ?? '') ? 'connect: connection refused' : error.message
    return `error forwarding port ${port} to pod ${id}, uid : failed to execute portforward in network namespace "${netns}": ` +
      `failed to connect to localhost:${port} inside namespace "${id}", IPv4: dial tcp4 127.0.0.1:${port}: ${cause} IPv6 dial tcp6 [::1]:${port}: ${cause} `
  }

  private fromClient(data: Buffer): void {
    let channel: number
    let payload: Buffer
    if (this.options.binary) {
      if (data.length === 0) return
      channel = data[0]
      payload = data.subarray(1)
    } else {
      const text = data.toString('latin1')
      if (text.length === 0) return
      const body = text.slice(1)
      if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(body)) {
        // DataFromSocket fails and the connection's read loop ends.
        this.ws.close(1000)
        return
      }
      channel = text.charCodeAt(0) - 48
      payload = Buffer.from(body, 'base64')
    }
    // Error channels are write-only from the server; unknown channels are dropped (logged at V(6)).
    if (channel % 2 !== 0 || channel / 2 >= this.options.ports.length) return
    if (payload.length === 0) return
    // One frame at a time, as the kubelet reads them: its read loop (apimachinery
    // pkg/util/httpstream/wsstream/conn.go, Conn.handle) receives one message, then hands it to
    // websocketChannel.DataFromSocket, which writes it into an io.Pipe and so blocks until the
    // runtime's copy has written it all to the pod. Nothing else is read meanwhile, pings
    // included: behind megabytes of upload to a slow pod a ping waits its turn, and a slow pod
    // stalls the whole WebSocket.
    this.toPods += payload.length
    this.ws.pause()
    const written = () => {
      this.toPods -= payload.length
      if (this.ws.isPaused && this.toPods === 0) this.ws.resume()
    }
    const index = channel / 2
    const waiting = this.early[index]
    if (waiting) {
      waiting.push({payload, written})
      return
    }
    const pod = this.pods[index]
    if (!pod || pod.destroyed || pod.writableEnded) {
      written()
      return
    }
    this.delayed(() => {
      if (pod.destroyed || pod.writableEnded) written()
      else pod.write(payload, written)
    })
  }

  private send(channel: number, payload: Buffer, sent?: () => void): void {
    const message = this.options.binary
      ? Buffer.concat([Buffer.of(channel), payload])
      : String.fromCharCode(48 + channel) + payload.toString('base64')
    this.toClient += payload.length
    const done = () => {
      this.toClient -= payload.length
      sent?.()
    }
    this.delayed(() => {
      if (this.ws.readyState === this.ws.OPEN) this.ws.send(message, done)
      else done()
    })
  }

  private delayed(action: () => void): void {
    const latency = this.backend.latencyMs ?? 0
    if (latency > 0) setTimeout(action, latency)
    else action()
  }

  private portDone(index: number): void {
    this.done[index] = true
    if (this.done.every(Boolean) && !this.closed) {
      // After the last port message has gone out (latency keeps frames in order).
      this.delayed(() => {
        if (this.ws.readyState === this.ws.OPEN) this.ws.close(1000)
      })
    }
  }

  private teardown(): void {
    this.closed = true
    for (const pod of this.pods) pod?.destroy()
  }
}

/** A failed read or write on the pod connection in Go's net.OpError words (`read tcp4 A->B: read: connection reset by peer`). */
export function goCopyError(error: NodeJS.ErrnoException, connection: string): string {
  const words: Record<string, [string, string]> = {
    ECONNRESET: ['read', 'connection reset by peer'],
    EPIPE: ['write', 'broken pipe'],
    ETIMEDOUT: ['read', 'connection timed out'],
  }
  const [op, text] = words[error.code ?? ''] ?? ['read', error.message]
  return `${op} tcp4 ${connection}: ${op}: ${text}`
}

/**
 * Whether the kubelet the API server reached knows the pod: pkg/kubelet/server/server.go
 * getPortForward asks its pod manager (GetPodByName) after NewV4Options and answers 404 `pod does
 * not exist` (go-restful WriteError, plain text) when it does not. The local cluster runs one kubelet,
 * for the simulated node (backend.kubeletNode); the API server sends it the upgrades of pods bound
 * to any existing Node.
 */
export function kubeletHasPod(backend: PortForwardBackend, pod: any): boolean {
  return backend.kubeletNode === undefined || pod?.spec?.nodeName === backend.kubeletNode
}

/** The subprotocols a WebSocket upgrade offers, in order. */
export function offeredProtocols(req: IncomingMessage): string[] {
  const header = req.headers['sec-websocket-protocol']
  if (!header) return []
  return String(header).split(',').map(p => p.trim()).filter(p => p !== '')
}

/** strconv.ParseUint(v, 10, 16): the number, or Go's reason. */
function parseUint16(value: string): number | string {
  if (!/^[0-9]+$/.test(value)) return 'invalid syntax'
  const n = Number(value)
  return n > 65535 ? 'value out of range' : n
}

function goQuote(value: string): string {
  return JSON.stringify(value)
}

function status(socket: Duplex, code: number, reason: string, message: string, details?: Record<string, unknown>): void {
  const body: Record<string, unknown> = {apiVersion: 'v1', code, kind: 'Status', message, metadata: {}, reason, status: 'Failure'}
  if (details) body.details = details
  respond(socket, code, 'application/json', JSON.stringify(body))
}

function respond(socket: Duplex, code: number, contentType: string, body: string): void {
  const text = {400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 500: 'Internal Server Error'}[code] ?? 'Error'
  const bytes = Buffer.from(body)
  socket.end(`HTTP/1.1 ${code} ${text}\r\nContent-Type: ${contentType}\r\nContent-Length: ${bytes.length}\r\nConnection: close\r\n\r\n${body}`)
}
