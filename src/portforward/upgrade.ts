// The two HTTP upgrades that carry a SPDY/3.1 session to pods/NAME/portforward, as client-go dials
// them (shared/reference/portforward-protocol.md §1.2, §3.5):
//
// - tunnel: `GET` WebSocket with `Sec-WebSocket-Protocol: SPDY/3.1+portforward.k8s.io` (KEP-4006,
//   cg tools/portforward/tunneling_dialer.go); the answer must be 101 with that same subprotocol.
//   The WebSocket is then a byte pipe (ws-pipe.ts).
// - spdy: `POST` with `Connection: Upgrade`, `Upgrade: SPDY/3.1`, `X-Stream-Protocol-Version:
//   portforward.k8s.io` (am pkg/util/httpstream/spdy/roundtripper.go); the answer must be 101 with
//   `Upgrade: SPDY/3.1` and the protocol echoed (cg tools/portforward/portforward.go ForwardPorts).
//
// `ws` cannot dial the tunnel: it refuses subprotocols that are not RFC 7230 tokens, and this one
// has a `/`. Both upgrades therefore go through https.request here, with the client's TLS,
// credentials and proxy agent.

import {createHash, randomBytes} from 'node:crypto'
import http from 'node:http'
import https from 'node:https'
import type {Duplex} from 'node:stream'

import type {KubeClient} from '../kube/client.ts'
import {toConnectionError} from '../kube/client.ts'
import {ApiError, portForwardUpgradeStatus, statusFromBody} from '../kube/errors.ts'
import {CONNECT_SIGNAL} from '../kube/proxy.ts'
import {PORT_FORWARD_PROTOCOL} from '../spdy/portforward.ts'
import {directByteSource, directReadAgent, takeDirectReads} from './direct-read.ts'

export const TUNNEL_PROTOCOL = `SPDY/3.1+${PORT_FORWARD_PROTOCOL}`
const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'
/** Bytes of a non-101 answer kept for the error. */
const MAX_ERROR_BODY_BYTES = 64 * 1024
const DEFAULT_HANDSHAKE_TIMEOUT_MS = 30_000

/**
 * The upgrade was answered, but not with a usable 101: client-go's UpgradeFailureError (a non-101
 * answer, a wrong subprotocol, a missing protocol header). kubectl's fallback dialer retries such
 * failures over plain SPDY; connection errors (refused, TLS, timeout) it does not.
 */
export class UpgradeFailure extends Error {
  /** The answer as an ApiError when the server sent a non-101 status; its Status is what kubectl prints. */
  readonly apiError: ApiError | undefined

  constructor(message: string, apiError?: ApiError) {
    super(message)
    this.name = 'UpgradeFailure'
    this.apiError = apiError
  }
}

export interface UpgradeOptions {
  namespace: string
  pod: string
  signal?: AbortSignal
  /** TCP + TLS + the upgrade answer (ms, default 30000). */
  handshakeTimeoutMs?: number
}

export interface Upgraded {
  socket: Duplex
  /** Bytes that arrived with the 101, before any were read from the socket. */
  head: Buffer
  /**
   * When the socket is read into svc's own memory (direct-read.ts): hands every later read to
   * `sink` instead of the socket's 'data' events, and starts the socket reading.
   */
  attach?: (sink: (chunk: Buffer) => void) => void
}

/** `GET` WebSocket upgrade offering only the tunnelling subprotocol. */
export async function upgradeTunnel(client: KubeClient, options: UpgradeOptions): Promise<Upgraded> {
  const key = randomBytes(16).toString('base64')
  const result = await upgrade(client, 'GET', options, {
    Connection: 'Upgrade',
    Upgrade: 'websocket',
    'Sec-WebSocket-Key': key,
    'Sec-WebSocket-Protocol': TUNNEL_PROTOCOL,
    'Sec-WebSocket-Version': '13',
  })
  const {res} = result
  const fail = (why: string) => {
    result.socket.destroy()
    throw new UpgradeFailure(why)
  }
  if (String(res.headers.upgrade ?? '').toLowerCase() !== 'websocket') fail('unable to upgrade streaming request: invalid Upgrade header')
  const accept = createHash('sha1').update(key + WEBSOCKET_GUID).digest('base64')
  if (res.headers['sec-websocket-accept'] !== accept) fail('unable to upgrade streaming request: invalid Sec-WebSocket-Accept header')
  const chosen = String(res.headers['sec-websocket-protocol'] ?? '')
  // cg transport/websocket/roundtripper.go: a 101 with another subprotocol is an upgrade failure too.
  if (chosen !== TUNNEL_PROTOCOL) fail(`invalid protocol, expected one of [${TUNNEL_PROTOCOL}], got "${chosen}"`)
  return {attach: result.attach, head: result.head, socket: result.socket}
}

/** `POST` SPDY/3.1 upgrade. */
export async function upgradeSpdy(client: KubeClient, options: UpgradeOptions): Promise<Upgraded> {
  const result = await upgrade(client, 'POST', options, {
    Connection: 'Upgrade',
    Upgrade: 'SPDY/3.1',
    'X-Stream-Protocol-Version': PORT_FORWARD_PROTOCOL,
  })
  const {res} = result
  const fail = (why: string) => {
    result.socket.destroy()
    throw new UpgradeFailure(why)
  }
  const connection = String(res.headers.connection ?? '').toLowerCase()
  if (!connection.includes('upgrade') || String(res.headers.upgrade ?? '').toLowerCase() !== 'spdy/3.1') {
    fail(`unable to upgrade: missing upgrade headers in response: ${JSON.stringify(res.headers)}`)
  }
  const protocol = String(res.headers['x-stream-protocol-version'] ?? '')
  if (protocol !== PORT_FORWARD_PROTOCOL) fail(`unable to negotiate protocol: client supports "${PORT_FORWARD_PROTOCOL}", server returned "${protocol}"`)
  // SPDY frames run on the socket itself: bytes that came with the 101 are its first. A socket
  // read directly is the session's ByteSource.
  if (result.attach) return {head: Buffer.alloc(0), socket: directByteSource(result.socket, result.head, result.attach)}
  if (result.head.length > 0) result.socket.unshift(result.head)
  return {head: Buffer.alloc(0), socket: result.socket}
}

async function upgrade(
  client: KubeClient,
  method: 'GET' | 'POST',
  options: UpgradeOptions,
  headers: Record<string, string>,
): Promise<Upgraded & {res: http.IncomingMessage}> {
  const {namespace, pod, signal} = options
  signal?.throwIfAborted()
  const url = client.url(`/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/portforward`)
  const connection = await client.upgradeConnectionOptions(headers)
  signal?.throwIfAborted()
  const transport = url.protocol === 'https:' ? https : http
  const timeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS

  return new Promise((resolve, reject) => {
    let settled = false
    // Without a proxy, an https upgrade (the tunnel's or plain SPDY's) gets a socket read into our
    // own memory (client-node always sets an agent: only ours for a proxy says one is in the way).
    // The TLS options (secureContext with CA and client certificate, servername,
    // rejectUnauthorized) are the request's, which the agent hands to tls.connect as for any
    // https.request.
    const direct = transport === https && !client.viaProxy(connection)
    // Giving up also ends a tunnel still being made through a proxy (a SOCKS5 proxy that never
    // answers would otherwise hold its socket for good).
    const ended = new AbortController()
    const req = transport.request(url, Object.assign({...connection, method, ...(direct ? {agent: directReadAgent} : {})}, {[CONNECT_SIGNAL]: ended.signal}))
    const timer = setTimeout(() => {
      fail(toConnectionError(Object.assign(new Error('handshake timed out'), {code: 'TIMEOUT'}), client.serverHost, url, client.serverName))
    }, timeoutMs)
    const onAbort = () => fail(signal?.reason)
    signal?.addEventListener('abort', onAbort, {once: true})

    function done(): boolean {
      if (settled) return false
      settled = true
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      return true
    }
    function fail(error: unknown): void {
      if (!done()) return
      ended.abort(error)
      req.destroy()
      reject(error)
    }

    req.on('error', (error: NodeJS.ErrnoException) => {
      if (!error.code) return fail(new UpgradeFailure(`error upgrading connection: ${error.message}`))
      void client.explain(error, url).then(() => fail(toConnectionError(error, client.serverHost, url, client.serverName)))
    })
    req.on('upgrade', (res: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      if (!done()) {
        socket.destroy()
        return
      }
      resolve({attach: direct ? takeDirectReads(socket) : undefined, head, res, socket})
    })
    req.on('response', (res: http.IncomingMessage) => {
      // Not upgraded: the (bounded) body carries the Status to fail with.
      readUpgradeRefusal(res, method, (apiError) => fail(new UpgradeFailure(apiError.message, apiError)))
    })
    req.end()
  })
}

/**
 * Reads the answer to an upgrade the server refused (at most 64 KiB of its body is kept) and hands
 * `done` the error its Status names, once, when the response ends, closes or fails.
 */
export function readUpgradeRefusal(res: http.IncomingMessage, method: 'GET' | 'POST', done: (error: ApiError) => void): void {
  const code = res.statusCode ?? 0
  const chunks: Buffer[] = []
  let size = 0
  let answered = false
  res.on('data', (chunk: Buffer) => {
    if (size < MAX_ERROR_BODY_BYTES) chunks.push(chunk)
    size += chunk.length
  })
  const answer = () => {
    if (answered) return
    answered = true
    const status = statusFromBody(code, Buffer.concat(chunks).subarray(0, MAX_ERROR_BODY_BYTES))
    done(new ApiError(code, portForwardUpgradeStatus(status, method)))
  }
  res.once('end', answer)
  res.once('close', answer)
  res.once('error', answer)
}
