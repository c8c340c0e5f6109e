// The local cluster's pods/NAME/portforward for kubectl: SPDY/3.1 both ways kubectl speaks it
// (docs: ../shared/reference/portforward-protocol.md §1.2-1.4 and §3):
//
// - `POST` (or GET) with `Upgrade: SPDY/3.1` + `X-Stream-Protocol-Version: portforward.k8s.io`:
//   the API server proxies the upgrade to the kubelet, whose httpstream.Handshake and
//   spdy.UpgradeResponse answer it; SPDY frames then run on the raw TLS connection.
// - `GET` WebSocket with subprotocol `SPDY/3.1+portforward.k8s.io` (KEP-4006): the API server
//   itself upgrades the WebSocket, opens the SPDY upgrade to the kubelet and relays bytes; SPDY
//   frames travel inside binary WebSocket messages, cut anywhere.
//
// Behind the upgrade: the kubelet's stream handler (src/spdy/portforward.ts) pairs error + data
// streams by requestid; for each pair the CRI runtime dials the pod port (cluster.dialPod) and
// copies bytes both ways; a failed dial writes containerd's error text on the error stream.
// Then both streams are closed (DATA FIN). A pod connection that fails mid-transfer (a reset) ends
// the data stream (FIN), then the kubelet writes its error and resets the error stream (RST_STREAM
// CANCEL), as checked against the real kubelet code in test/both/spdy-forward-error.test.ts.
// Pings are echoed; GOAWAY/EOF tears the session down.

import {createHash} from 'node:crypto'
import type {IncomingMessage} from 'node:http'
import type {Socket} from 'node:net'
import type {Duplex} from 'node:stream'

import {RstStatus} from '../../src/spdy/frames.ts'
import {SpdySession} from '../../src/spdy/session.ts'
import {PORT_FORWARD_PROTOCOL, servePortForward, type PortForwardPair} from '../../src/spdy/portforward.ts'
import {gorillaUpgrade} from './gorilla-websocket.ts'
import {KubeletWrites} from './go-writes.ts'
import {goCopyError, kubeletHasPod, offeredProtocols, type PortForwardBackend, type PortForwardRequest} from './portforward-ws.ts'

export const SPDY_UPGRADE = 'SPDY/3.1'
export const TUNNEL_PREFIX = 'SPDY/3.1+'
export const TUNNEL_PROTOCOL = `${TUNNEL_PREFIX}${PORT_FORWARD_PROTOCOL}`
/** The kubelet's supported port-forward protocols (kl pkg/cri/streaming/portforward/constants.go). */
const KUBELET_PROTOCOLS = [PORT_FORWARD_PROTOCOL]
/** containerd gives the other direction this long after the pod side ended. */
const POD_CLOSE_GRACE_MS = 1_000
/**
 * The runtime's copy from the pod towards the client reads into a 32 KiB buffer: kwok's
 * PortForward (pkg/kwok/server/debugging_port_forword.go: utilsnet.Tunnel, io.CopyBuffer with
 * 32 KiB pool buffers), containerd's portForward (io.Copy's 32 KiB). Each read is one SPDY data frame.
 */
const COPY_BUFFER = 32 * 1024
/** Above this many bytes queued towards kubectl, stop reading the pod socket. */
const HIGH_WATER_MARK = 256 * 1024

function isWebSocket(req: IncomingMessage): boolean {
  const connection = String(req.headers.connection ?? '').toLowerCase().split(',').map((s) => s.trim())
  return String(req.headers.upgrade ?? '').toLowerCase() === 'websocket' && connection.includes('upgrade')
}

/** A KEP-4006 tunnelling request: a WebSocket offering `SPDY/3.1+<x>.k8s.io` (wsstream.IsWebSocketRequestWithTunnelingProtocol). */
export function isTunnelRequest(req: IncomingMessage): boolean {
  return isWebSocket(req) && offeredProtocols(req).some((p) => p.startsWith(TUNNEL_PREFIX) && p.endsWith('.k8s.io'))
}

/** Every portforward upgrade that is not a WebSocket goes the SPDY way (the kubelet's httpstream path). */
export function isPortForwardRequest(req: IncomingMessage): boolean {
  return isTunnelRequest(req) || !isWebSocket(req)
}

/** The handler for cluster.onPortForward (or for a dispatcher in front of several). */
export function portForwardSpdyHandler(backend: PortForwardBackend): (ctx: PortForwardRequest) => void {
  return (ctx) => {
    ctx.socket.on('error', () => undefined)
    try {
      if (isTunnelRequest(ctx.req)) serveTunnel(backend, ctx)
      else serveSpdy(backend, ctx)
    } catch (error) {
      respond(ctx.socket, 500, {'Content-Type': 'text/plain; charset=utf-8'}, (error as Error).message)
    }
  }
}

/** API server + kubelet checks before anything is upgraded; answers and returns false when one fails. */
function podReady(backend: PortForwardBackend, ctx: PortForwardRequest): {sandboxId: string} | undefined {
  const {socket, namespace, pod: name, req} = ctx
  if (req.method !== 'GET' && req.method !== 'POST') {
    status(socket, 405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource')
    return undefined
  }
  const pod = backend.getObject('pods', namespace, name)
  if (!pod) {
    status(socket, 404, 'NotFound', `pods "${name}" not found`, {name, kind: 'pods'})
    return undefined
  }
  if (!pod.spec?.nodeName) {
    status(socket, 400, 'BadRequest', `pod ${name} does not have a host assigned`)
    return undefined
  }
  if (!kubeletHasPod(backend, pod)) {
    respond(socket, 404, {'Content-Type': 'text/plain; charset=utf-8'}, 'pod does not exist')
    return undefined
  }
  if (pod.status?.phase !== 'Running') {
    // The kubelet finds no running sandbox for the pod.
    respond(socket, 500, {'Content-Type': 'text/plain; charset=utf-8'}, `pod not found ("${name}_${namespace}")`)
    return undefined
  }
  return {sandboxId: createHash('sha256').update(String(pod.metadata?.uid ?? `${namespace}/${name}`)).digest('hex')}
}

/** The kubelet's answer to `X-Stream-Protocol-Version` (httpstream.Handshake); undefined = already answered. */
function negotiate(socket: Duplex, clientProtocols: string[]): string | undefined {
  if (clientProtocols.length === 0) {
    // Handshake returns an error without writing anything: Go's server then sends an empty 200.
    respond(socket, 200, {'Content-Length': '0'}, '')
    return undefined
  }
  const chosen = clientProtocols.find((p) => KUBELET_PROTOCOLS.includes(p))
  if (!chosen) {
    const goList = (l: string[]) => `[${l.join(' ')}]`
    respond(
      socket,
      403,
      {'Content-Type': 'text/plain; charset=utf-8', 'X-Accepted-Stream-Protocol-Versions': KUBELET_PROTOCOLS.join(', '), 'X-Content-Type-Options': 'nosniff'},
      `unable to upgrade: unable to negotiate protocol: client supports ${goList(clientProtocols)}, server accepts ${goList(KUBELET_PROTOCOLS)}\n`,
    )
    return undefined
  }
  return chosen
}

function headerList(req: IncomingMessage, name: string): string[] {
  const out: string[] = []
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i].toLowerCase() === name) out.push(...req.rawHeaders[i + 1].split(',').map((s) => s.trim()).filter(Boolean))
  }
  return out
}

function serveSpdy(backend: PortForwardBackend, ctx: PortForwardRequest): void {
  const {req, socket, head} = ctx
  const ready = podReady(backend, ctx)
  if (!ready) return
  if (negotiate(socket, headerList(req, 'x-stream-protocol-version')) === undefined) return
  // spdy.UpgradeResponse
  const connection = String(req.headers.connection ?? '').toLowerCase()
  const upgrade = String(req.headers.upgrade ?? '').toLowerCase()
  if (!connection.includes('upgrade') || upgrade !== SPDY_UPGRADE.toLowerCase()) {
    respond(
      socket,
      400,
      {'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff'},
      `unable to upgrade: missing upgrade headers in request: ${goHeader(req)}\n`,
    )
    return
  }
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\n' +
      'Connection: Upgrade\r\n' +
      `Upgrade: ${SPDY_UPGRADE}\r\n` +
      `X-Stream-Protocol-Version: ${PORT_FORWARD_PROTOCOL}\r\n` +
      `Date: ${new Date().toUTCString()}\r\n\r\n`,
  )
  if (head.length > 0) socket.unshift(head)
  runSession(backend, ctx, socket, ready.sandboxId)
}

function serveTunnel(backend: PortForwardBackend, ctx: PortForwardRequest): void {
  const {req, socket, head} = ctx
  if (req.method !== 'GET') {
    status(socket, 400, 'BadRequest', 'websocket upgrade requires GET')
    return
  }
  const ready = podReady(backend, ctx)
  if (!ready) return
  // The API server strips the prefix and asks the kubelet for what is left of each tunnelling protocol.
  const inner = offeredProtocols(req).filter((p) => p.startsWith(TUNNEL_PREFIX)).map((p) => p.slice(TUNNEL_PREFIX.length))
  const chosen = negotiate(socket, inner)
  if (chosen === undefined) return
  // The answer is `SPDY/3.1+` + what the kubelet chose.
  const tunnel = gorillaUpgrade(req, socket, head, `${TUNNEL_PREFIX}${chosen}`)
  if (tunnel) runSession(backend, ctx, tunnel, ready.sandboxId)
}

function runSession(backend: PortForwardBackend, ctx: PortForwardRequest, transport: Duplex, sandboxId: string): void {
  // The session's frames reach the client cut as kube-apiserver relays the kubelet's writes (go-writes.ts).
  const session = new SpdySession(new KubeletWrites(transport), {role: 'server'})
  session.on('error', () => undefined)
  servePortForward(session, (pair) => void forward(backend, ctx, pair, sandboxId))
}

/** containerd's portForward for one pair: dial, copy both ways, close both streams when done. */
async function forward(backend: PortForwardBackend, ctx: PortForwardRequest, pair: PortForwardPair, sandboxId: string): Promise<void> {
  const {data, error, port} = pair
  const delay = () => new Promise<void>((resolve) => (backend.latencyMs ? setTimeout(resolve, backend.latencyMs) : resolve()))
  data.on('error', () => undefined)
  error.on('error', () => undefined)
  error.resume() // kubectl half-closes it at once; nothing to read
  let pod: Socket
  try {
    pod = await backend.dialPod(ctx.namespace, ctx.pod, port)
  } catch (err) {
    await delay()
    error.end(dialError(port, sandboxId, err as NodeJS.ErrnoException))
    data.end()
    return
  }
  if (data.destroyed) {
    pod.destroy()
    return
  }
  const connection = `127.0.0.1:${pod.localPort}->127.0.0.1:${port}`
  let copyError: NodeJS.ErrnoException | undefined
  pod.on('error', (err: NodeJS.ErrnoException) => {
    copyError ??= err
  })
  // pod -> kubectl: a data frame per read of at most 32 KiB (io.CopyBuffer's buffer).
  pod.on('data', (chunk: Buffer) => {
    const send = () => {
      if (!data.destroyed && !data.writableEnded) {
        let full = false
        for (let at = 0; at < chunk.length; at += COPY_BUFFER) full = !data.write(chunk.subarray(at, at + COPY_BUFFER)) || full
        if (full || data.writableLength > HIGH_WATER_MARK) {
          pod.pause()
          data.once('drain', () => pod.resume())
        }
      }
    }
    if (backend.latencyMs) void delay().then(send)
    else send()
  })
  pod.once('end', () => {
    // The copy towards kubectl is done: FIN on the data stream, the other direction gets a second.
    void delay().then(() => {
      if (!data.destroyed && !data.writableEnded) data.end()
    })
    pod.end()
    setTimeout(() => pod.destroy(), POD_CLOSE_GRACE_MS).unref()
  })
  // kubectl -> pod
  data.on('data', (chunk: Buffer) => {
    if (pod.destroyed || pod.writableEnded) return
    if (!pod.write(chunk)) {
      data.pause()
      pod.once('drain', () => data.resume())
    }
  })
  data.once('end', () => {
    if (!pod.destroyed) pod.end() // half-close: the pod still gets to answer
  })
  // kubectl reset the data stream or the session went away: the pod connection goes too.
  data.once('close', () => pod.destroy())
  pod.once('close', () => {
    if (copyError && !data.destroyed) return failAfterCopyError(pair, sandboxId, connection, copyError)
    void delay().then(() => {
      if (!data.destroyed && !data.writableEnded) data.end()
      if (!error.destroyed && !error.writableEnded) error.end()
    })
  })
}

/**
 * A copy failed (the pod reset the connection). containerd's portForward
 * (internal/cri/server/sandbox_portforward_linux.go) gives the other copy up to a second (it ends
 * at once when kubectl has half-closed), then its `defer stream.Close()` ends the data stream (FIN)
 * and it returns `failed to execute portforward for "ID" port P: <the copy's error>`. The kubelet
 * (k8s.io/kubelet pkg/cri/streaming/portforward/httpstream.go, httpStreamHandler.portForward)
 * writes `error forwarding port P to pod ID, uid : ...` on the error stream and calls Reset() on
 * both streams; spdystream (stream.go resetStream) sends RST_STREAM CANCEL only for a stream it has
 * not finished, so the data stream (already ended) gets none and the error stream gets one.
 */
function failAfterCopyError(pair: PortForwardPair, sandboxId: string, connection: string, copyError: NodeJS.ErrnoException): void {
  const {data, error, port} = pair
  const finish = () => {
    clearTimeout(timer)
    if (data.destroyed || error.destroyed) return
    if (!data.writableEnded) data.end()
    const text = `error forwarding port ${port} to pod ${sandboxId}, uid : failed to execute portforward for "${sandboxId}" port ${port}: ${goCopyError(copyError, connection)}`
    error.write(text, () => {
      if (!data.writableEnded) data.reset(RstStatus.CANCEL)
      error.reset(RstStatus.CANCEL)
    })
  }
  const timer = setTimeout(finish, POD_CLOSE_GRACE_MS)
  timer.unref()
  if (data.readableEnded) finish()
  else data.once('end', finish)
}

/** The text containerd's PortForward error gets on the error stream (see portforward-protocol.md §2.4). */
export function dialError(port: number, sandboxId: string, error: NodeJS.ErrnoException): string {
  const id = sandboxId
  const netns = `/var/run/netns/cni-${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20, 32)}`
  const cause = error.code === 'ECONNREFUSED' || /refused/i.test(error.message ?? '') ? 'connect: connection refused' : error.message
  // The simulation says what the IPv4 dial met (a timeout is not a refusal); its IPv6 dial is refused.
  const ipv4Cause = (error as {ipv4Cause?: string}).ipv4Cause ?? cause
  return (
    `error forwarding port ${port} to pod ${id}, uid : failed to execute portforward in network namespace "${netns}": ` +
    `failed to connect to localhost:${port} inside namespace "${id}", IPv4: dial tcp4 127.0.0.1:${port}: ${ipv4Cause} IPv6 dial tcp6 [::1]:${port}: ${cause} `
  )
}

/** Go's %#v of an http.Header, as the kubelet prints it in the missing-upgrade-headers error. */
function goHeader(req: IncomingMessage): string {
  const map = new Map<string, string[]>()
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const key = req.rawHeaders[i].toLowerCase().replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase())
    map.set(key, [...(map.get(key) ?? []), req.rawHeaders[i + 1]])
  }
  const entries = [...map.entries()].sort(([a], [b]) => (a < b ? -1 : 1))
  return `http.Header{${entries.map(([k, v]) => `${JSON.stringify(k)}:[]string{${v.map((x) => JSON.stringify(x)).join(', ')}}`).join(', ')}}`
}

function status(socket: Duplex, code: number, reason: string, message: string, details?: Record<string, unknown>): void {
  const body: Record<string, unknown> = {kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason}
  if (details) body.details = details
  body.code = code
  respond(socket, code, {'Content-Type': 'application/json'}, JSON.stringify(body))
}

const REASONS: Record<number, string> = {200: 'OK', 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 500: 'Internal Server Error'}

function respond(socket: Duplex, code: number, headers: Record<string, string>, body: string): void {
  if (socket.destroyed) return
  const bytes = Buffer.from(body)
  const all = {...headers, 'Content-Length': String(bytes.length), Connection: 'close'}
  const lines = Object.entries(all).map(([k, v]) => `${k}: ${v}\r\n`).join('')
  socket.end(`HTTP/1.1 ${code} ${REASONS[code] ?? 'Error'}\r\n${lines}\r\n${body}`)
}
