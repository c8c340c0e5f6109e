// One WebSocket to pods/NAME/portforward?ports=PORT, exposed as a Duplex over the data channel.
// Modelled on ws/lib/stream.js: push() === false pauses the WebSocket, _read resumes it, _write
// sends with a callback (so the Writable's highWaterMark bounds what is queued), and one _destroy
// owns the teardown. The v4 protocol has no half-close (halfClose 'none'): end() keeps the
// WebSocket open and the pod's bytes keep coming until the server closes it; forward.ts bounds the
// wait (lifecycle.ts). See docs/pf-transport.md.

import type {ClientRequest, IncomingMessage} from 'node:http'
import {Duplex} from 'node:stream'

import WebSocket from 'ws'

import type {KubeClient} from '../kube/client.ts'
import {toConnectionError} from '../kube/client.ts'
import {CONNECT_SIGNAL} from '../kube/proxy.ts'
import {keepalive} from './lifecycle.ts'
import {
  dataChannel, decodeBase64Frame, decodeBinaryFrame, encodeBase64Frame, encodeBinaryFrame, errorChannel, type Frame, MAX_FRAME_PAYLOAD, PortPrefix,
} from './frames.ts'
import {PortForwardError, type Tunnel, TunnelLostError, type TunnelOptions, V4_BASE64, V4_BINARY, type V4Protocol} from './types.ts'
import {readUpgradeRefusal} from './upgrade.ts'

export {PortForwardError, TunnelLostError} from './types.ts'
export type {Tunnel, TunnelOptions} from './types.ts'

const DEFAULT_PING_INTERVAL_MS = 30_000
const DEFAULT_HANDSHAKE_TIMEOUT_MS = 30_000
const DEFAULT_HIGH_WATER_MARK = 64 * 1024
/** The kubelet's x/net websocket refuses messages above 32 MiB; accept no more than that either. */
const MAX_MESSAGE_BYTES = 32 * 1024 * 1024
/** After destroy() sends a close frame, how long the server has to answer before the socket is cut. */
const CLOSE_GRACE_MS = 2_000
/**
 * After an error-channel message, how long the server has to close the WebSocket (the kubelet
 * closes it as soon as its PortForward returned) before the tunnel ends without it.
 */
const ERROR_DRAIN_MS = 2_000

/** svc asks for one port per WebSocket: port index 0, so its data and error channels. */
const DATA = dataChannel(0)
const ERROR = errorChannel(0)

/**
 * Opens one port-forward WebSocket and resolves once the server has upgraded it (101). Credentials,
 * TLS (verified unless the kubeconfig says otherwise) and proxy come from client.upgradeConnectionOptions(),
 * fetched for every tunnel so that expiring tokens and exec credentials are refreshed.
 *
 * Rejects with ApiError for a non-101 answer (the server's Status when it sent one: 403 Forbidden,
 * 404 NotFound, 400 BadRequest, 401, 500 ...), ConnectionError when the server cannot be reached or
 * the handshake times out, or the signal's reason. Errors of the forwarded connection itself (a
 * refused pod port) come later, through the tunnel.
 */
export async function openTunnel(client: KubeClient, options: TunnelOptions): Promise<Tunnel> {
  const {namespace, pod, port, signal} = options
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`invalid port ${port}`)
  if (!namespace || !pod) throw new TypeError('namespace and pod are required')
  signal?.throwIfAborted()
  const protocols = options.protocols?.length ? options.protocols : [V4_BINARY, V4_BASE64]
  const url = client.url(`/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/portforward`, {ports: String(port)})
  const connection = await client.upgradeConnectionOptions()
  signal?.throwIfAborted()

  const handshakeTimeout = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS

  return new Promise<Tunnel>((resolve, reject) => {
    let settled = false
    // The connection is the agent's that connectionOptions sets (client-node's https.Agent, or the
    // proxy agent): it resumes the TLS session of the tunnel before, by server, name and CA
    // (test/unit/kube/connection-reuse.test.ts). A createConnection option would never run.
    // Giving up also ends a tunnel still being made through a proxy (ws hands its options to the
    // request, symbols included).
    const ended = new AbortController()
    const ws = new WebSocket(url, protocols, Object.assign({
      ...(connection as WebSocket.ClientOptions),
      followRedirects: false,
      handshakeTimeout,
      maxPayload: MAX_MESSAGE_BYTES,
      perMessageDeflate: false,
      skipUTF8Validation: true,
    }, {[CONNECT_SIGNAL]: ended.signal}))
    // Late errors of a socket we gave up on must not reach the process.
    ws.on('error', (error: NodeJS.ErrnoException) => {
      void client.explain(error, url).then(() => fail(handshakeError(error, client, url)))
    })
    // ws's handshakeTimeout starts only once the request has its socket, which a proxy agent hands
    // over after the tunnel through the proxy is made: through a proxy, the proxy's part counts too.
    const timer = client.viaProxy(connection) ? setTimeout(() => {
      fail(handshakeError(new Error('Opening handshake has timed out'), client, url))
    }, handshakeTimeout) : undefined

    const onAbort = () => fail(signal?.reason)
    signal?.addEventListener('abort', onAbort, {once: true})

    function fail(error: unknown): void {
      if (settled) return
      settled = true
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      ended.abort(error)
      ws.terminate()
      reject(error)
    }

    ws.on('unexpected-response', (req: ClientRequest, res: IncomingMessage) => {
      readUpgradeRefusal(res, 'GET', (apiError) => {
        fail(apiError)
        req.destroy()
      })
    })

    ws.once('open', () => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      const protocol = (ws.protocol === V4_BASE64 ? V4_BASE64 : V4_BINARY) as V4Protocol
      resolve(new TunnelStream(ws, protocol, options))
    })
  })
}

function handshakeError(error: NodeJS.ErrnoException, client: KubeClient, url: URL): Error {
  if (/handshake has timed out/i.test(error.message)) {
    return toConnectionError(Object.assign(new Error(error.message), {code: 'TIMEOUT'}), client.serverHost, url, client.serverName)
  }
  if (error.code) return toConnectionError(error, client.serverHost, url, client.serverName)
  return new Error(`unable to upgrade connection: ${error.message}`, {cause: error})
}

class TunnelStream extends Duplex implements Tunnel {
  readonly namespace: string
  readonly pod: string
  readonly port: number
  readonly protocol: V4Protocol
  readonly halfClose = 'none'
  readonly done: Promise<Error | undefined>
  bytesIn = 0
  bytesOut = 0
  errorMessage: string | undefined

  private readonly ws: WebSocket
  private readonly binary: boolean
  private readonly dataPrefix = new PortPrefix()
  private readonly errorPrefix = new PortPrefix()
  private readonly signal: AbortSignal | undefined
  private readonly onAbort: () => void
  private pingTimer: NodeJS.Timeout | undefined
  private closeTimer: NodeJS.Timeout | undefined
  private errorTimer: NodeJS.Timeout | undefined
  private awaitingPong = false
  /** bytesIn + bytesOut and the socket's queued bytes at the previous keepalive tick. */
  private movedAtTick = 0
  private queuedAtTick = 0
  /** bytesOut when the pending ping was sent, and as of the last pong (the server read that far). */
  private outAtPing = 0
  private outConfirmed = 0
  /** Set when the pod side ended normally: writes are discarded from then on. */
  private podEnded = false
  /** Why the WebSocket is going away, when we know it before its 'close' event. */
  private failure: Error | undefined
  /** The error the tunnel was destroyed with, reported by `done`. */
  private endError: Error | undefined
  private settle: (error: Error | undefined) => void = () => {}
  private onWsClosed: (() => void) | undefined

  constructor(ws: WebSocket, protocol: V4Protocol, options: TunnelOptions) {
    const highWaterMark = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK
    super({allowHalfOpen: true, autoDestroy: true, decodeStrings: true, emitClose: true, highWaterMark})
    this.namespace = options.namespace
    this.pod = options.pod
    this.port = options.port
    this.protocol = protocol
    this.ws = ws
    this.binary = protocol === V4_BINARY
    this.signal = options.signal

    this.done = new Promise(resolve => {
      this.settle = resolve
    })
    // Every outcome is reported by `done`; an 'error' nobody listens to must not crash the process.
    this.on('error', () => {})

    ws.on('message', (data: Buffer, isBinary: boolean) => this.onMessage(data, isBinary))
    ws.on('pong', () => {
      this.awaitingPong = false
      this.outConfirmed = this.outAtPing
    })
    ws.on('error', error => {
      this.failure ??= new TunnelLostError(error.message, 0, {cause: error})
    })
    ws.on('close', (code: number, reason: Buffer) => this.onClose(code, reason))

    const pingIntervalMs = options.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS
    if (pingIntervalMs > 0) {
      this.pingTimer = setInterval(() => this.keepalive(pingIntervalMs), pingIntervalMs)
      this.pingTimer.unref()
    }

    this.onAbort = () => this.destroy(this.signal?.reason)
    this.signal?.addEventListener('abort', this.onAbort, {once: true})
  }

  override _read(): void {
    if (this.ws.isPaused) this.ws.resume()
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.podEnded || this.ws.readyState !== WebSocket.OPEN) {
      // The pod side is gone (v4 cannot say so per direction): like writing into a closed pipe
      // whose reader is gone, the bytes go nowhere. A failed WebSocket reports through 'close'.
      callback()
      return
    }
    this.bytesOut += chunk.length
    if (chunk.length <= MAX_FRAME_PAYLOAD) {
      this.ws.send(this.frame(chunk), error => callback(error ? this.lost(error) : null))
      return
    }
    for (let offset = 0; offset < chunk.length; offset += MAX_FRAME_PAYLOAD) {
      const last = offset + MAX_FRAME_PAYLOAD >= chunk.length
      const frame = this.frame(chunk.subarray(offset, offset + MAX_FRAME_PAYLOAD))
      if (last) this.ws.send(frame, error => callback(error ? this.lost(error) : null))
      else this.ws.send(frame)
    }
  }

  override _final(callback: (error?: Error | null) => void): void {
    // No half-close in v4: closing the WebSocket now would drop the pod's reply. The tunnel ends
    // when the pod side ends (autoDestroy then tears it down) or when it is destroyed.
    callback()
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.pingTimer) clearInterval(this.pingTimer)
    if (this.errorTimer) clearTimeout(this.errorTimer)
    this.signal?.removeEventListener('abort', this.onAbort)
    if (error) this.endError ??= error
    const ws = this.ws
    if (ws.readyState === WebSocket.CLOSED) {
      callback(error)
      return
    }
    this.onWsClosed = () => callback(error)
    if (error instanceof TunnelLostError || ws.readyState === WebSocket.CONNECTING) {
      ws.terminate()
      return
    }
    // The server's close frame must be read for the close to complete: a WebSocket paused for a slow
    // local reader (the client that left mid-transfer) would otherwise hold its TLS connection, and
    // its buffers, for the whole grace. What still arrives is dropped (onMessage after destroy).
    ws.resume()
    if (ws.readyState === WebSocket.OPEN) ws.close(1000)
    this.closeTimer = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS)
    this.closeTimer.unref()
  }

  private frame(payload: Buffer): Buffer | string {
    return this.binary ? encodeBinaryFrame(DATA, payload) : encodeBase64Frame(DATA, payload)
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    this.awaitingPong = false
    if (this.destroyed) return
    if (isBinary !== this.binary) {
      this.destroy(this.protocolError(`${isBinary ? 'binary' : 'text'} message received on ${this.protocol}`))
      return
    }
    let frame: Frame | undefined
    try {
      frame = this.binary ? decodeBinaryFrame(data) : decodeBase64Frame(data)
    } catch (error) {
      this.destroy(this.protocolError((error as Error).message))
      return
    }
    if (!frame) return
    if (frame.channel === DATA) {
      const payload = this.stripPrefix(this.dataPrefix, frame)
      if (!payload || payload.length === 0) return
      this.bytesIn += payload.length
      if (!this.push(payload)) this.ws.pause()
      return
    }
    if (frame.channel === ERROR) {
      const payload = this.stripPrefix(this.errorPrefix, frame)
      if (!payload || payload.length === 0) return
      // Finish after draining: the data frames before this one are delivered, then the readable
      // side ends when the server closes the WebSocket (the kubelet does so right after writing
      // the error), and forward.ts reports the text once the local socket is ended.
      this.errorMessage = (this.errorMessage ?? '') + payload.toString('utf8')
      this.errorTimer ??= setTimeout(() => {
        if (this.ws.readyState !== WebSocket.CLOSED) this.ws.terminate()
      }, ERROR_DRAIN_MS)
      this.errorTimer.unref()
      return
    }
    this.destroy(this.protocolError(`message on unexpected channel ${frame.channel}`))
  }

  private stripPrefix(prefix: PortPrefix, frame: Frame): Buffer | undefined {
    const wasComplete = prefix.complete
    const rest = prefix.strip(frame.payload)
    if (!wasComplete && prefix.complete && prefix.port !== this.port) {
      this.destroy(this.protocolError(`server announced port ${prefix.port} on channel ${frame.channel}, expected ${this.port}`))
      return undefined
    }
    return rest
  }

  private onClose(code: number, reason: Buffer): void {
    if (this.pingTimer) clearInterval(this.pingTimer)
    if (this.closeTimer) clearTimeout(this.closeTimer)
    if (this.errorTimer) clearTimeout(this.errorTimer)
    const notify = this.onWsClosed
    this.onWsClosed = undefined
    if (!this.destroyed) {
      if (this.errorMessage !== undefined) {
        // The server said why the forward ended: what it sent before is delivered, then 'end'.
        this.endError = new PortForwardError(this.errorMessage, this)
        this.podEnded = true
        this.push(null)
      } else if (this.failure) {
        this.destroy(this.failure)
      } else if (code === 1000 || code === 1005) {
        // The pod side ended: deliver what is buffered, then 'end'.
        this.podEnded = true
        this.push(null)
      } else {
        const text = reason.length > 0 ? `: ${reason.toString('utf8')}` : ''
        this.destroy(new TunnelLostError(code === 1006 ? 'connection closed without a close frame (1006)' : `websocket closed with code ${code}${text}`, code))
      }
    }
    notify?.()
    this.settle(this.endError)
  }

  private keepalive(intervalMs: number): void {
    if (this.ws.readyState !== WebSocket.OPEN) return
    const moved = this.bytesIn + this.bytesOut
    // ws's bufferedAmount counts what its sender holds plus the TLS socket's queue; writableLength
    // what waits in this stream for the previous send to complete.
    const queued = this.ws.bufferedAmount + this.writableLength
    const verdict = keepalive({
      awaitingPong: this.awaitingPong,
      bytesMoved: moved - this.movedAtTick,
      queuedBefore: this.queuedAtTick,
      queuedNow: queued,
      readPaused: this.ws.isPaused,
      behindUpload: this.awaitingPong && this.outAtPing > this.outConfirmed,
    })
    this.movedAtTick = moved
    this.queuedAtTick = queued
    if (verdict === 'dead') {
      this.failure ??= new TunnelLostError(`no pong from the server within ${intervalMs} ms and no byte moved`, 0)
      this.ws.terminate()
    } else if (verdict === 'ping') {
      this.awaitingPong = true
      this.outAtPing = this.bytesOut
      this.ws.ping()
    }
  }

  private lost(error: Error): Error {
    return this.failure ?? new TunnelLostError(error.message, 0, {cause: error})
  }

  private protocolError(detail: string): TunnelLostError {
    return new TunnelLostError(`protocol error: ${detail}`, 0)
  }
}
