// One forwarded connection on a SPDY session (multiplex.ts): the error and data streams of one
// `requestid`, as the Tunnel forward.ts copies a local socket through. The session hands each
// stream's frames straight to this object (StreamReceiver): one Duplex per connection, the
// tunnel, and no Node stream per SPDY stream, whose per-chunk and per-close machinery (nextTicks,
// events, a stream state each) was most of the JavaScript a connection ran.
//
// What it keeps of the streams' behaviour:
// - Pod to local: a DATA payload is pushed into the tunnel's readable buffer; once that is over
//   its high-water mark (the per-stream buffer, `bufferBytes`) the session stops reading until
//   the local side has taken it (_read), as a full SpdyStream held it. A consumer that takes the
//   bytes itself (readInto, forward.ts) gets each payload by a call instead, and holds the session
//   with pauseReading until it has room.
// - Local to pod: a write is a DATA frame once the data stream is replied to; its callback runs
//   when the session's transport took it. end() sends DATA with FIN (the pod sees EOF).
// - The error stream: its text is kept (bounded); "finish after draining": what the data stream
//   delivered before the error is read out, then the readable side ends, `errorMessage` set.
// - Every path releases both streams: a stream not finished both ways is reset (RST_STREAM
//   CANCEL, both in one write), and the session forgets it.

import {Duplex} from 'node:stream'

import {keepable, RstStatus} from '../spdy/frames.ts'
import type {SpdyHeaders} from '../spdy/headers.ts'
import {PORT_FORWARD_PROTOCOL, PORT_HEADER, REQUEST_ID_HEADER, STREAM_TYPE_HEADER} from '../spdy/portforward.ts'
import {type ByteSource, drainInto, type SpdySession, type StreamReceiver} from '../spdy/session.ts'
import {PortForwardError, type Tunnel, TunnelLostError} from './types.ts'
import {TUNNEL_PROTOCOL} from './upgrade.ts'

/** After the pod ended the data stream, how long its error stream may take to end. */
export const ERROR_STREAM_GRACE_MS = 2_000
/** Error-stream text kept (the kubelet's messages are one line). */
const MAX_ERROR_TEXT = 64 * 1024
/** Bytes buffered local to pod before write() returns false. */
const WRITE_HIGH_WATER_MARK = 64 * 1024
/** The payload of a DATA frame that only carries FIN. */
const EMPTY = Buffer.alloc(0)

/** The session a tunnel lives on, and what the connector keeps about it. */
export interface SessionHandle {
  session: SpdySession
  transport: 'spdy' | 'tunnel'
  /** Why the session ended, when it was not closed by us. */
  lost?: string
  /** Payload bytes written on the session (the keepalive reads it). */
  sent: number
}

export interface SpdyTunnelOptions {
  handle: SessionHandle
  namespace: string
  pod: string
  port: number
  requestId: string
  signal: AbortSignal
  /** Bytes buffered pod to local before the session stops reading (the per-stream buffer). */
  bufferBytes: number
  /** Runs once, when the tunnel is destroyed. */
  onDone: () => void
}

/** One of the tunnel's two streams, as the session sees it. */
class Side implements StreamReceiver {
  readonly id: number
  readonly tunnel: SpdyTunnel
  readonly isData: boolean
  replied = false
  remoteFin = false
  localFin: boolean
  /** Reset (either way), or the session is gone, or the tunnel released it: no more frames. */
  done = false
  resetStatus: number | undefined

  constructor(tunnel: SpdyTunnel, id: number, isData: boolean) {
    this.tunnel = tunnel
    this.id = id
    this.isData = isData
    // The client never writes on the error stream: its SYN_STREAM carries FIN.
    this.localFin = !isData
  }

  onReply(): void {
    this.replied = true
    if (this.isData) this.tunnel.onDataReply()
  }

  onHeaders(): void {}

  onData(data: Buffer, fin: boolean): void {
    if (this.remoteFin || this.done) return
    if (data.length > 0) this.tunnel.onPayload(this, data)
    if (fin) this.onRemoteFin()
  }

  onRemoteFin(): void {
    if (this.remoteFin || this.done) return
    this.remoteFin = true
    this.tunnel.onRemoteFin(this)
  }

  onReset(status: number): void {
    if (this.done) return
    this.resetStatus = status
    this.tunnel.onGone(this, undefined)
  }

  onSessionClosed(err?: Error): void {
    if (this.done) return
    this.tunnel.onGone(this, err)
  }
}

/**
 * The Tunnel for one connection on a SPDY session: the data stream's bytes as a Duplex, the error
 * stream read for the kubelet's text. The constructor opens both streams (both SYN_STREAMs in one
 * write); it throws when the session is going away.
 */
export class SpdyTunnel extends Duplex implements Tunnel, ByteSource {
  readonly namespace: string
  readonly pod: string
  readonly port: number
  readonly protocol: string
  readonly halfClose = 'fin'
  readonly done: Promise<Error | undefined>
  bytesIn = 0
  bytesOut = 0
  errorMessage: string | undefined

  private readonly handle: SessionHandle
  private readonly session: SpdySession
  private readonly errorSide: Side
  private readonly dataSide: Side
  private readonly signal: AbortSignal
  private readonly onAbort: () => void
  private onDone: (() => void) | undefined
  private dataEnded = false
  private errorEnded = false
  private ended = false
  private graceTimer: NodeJS.Timeout | undefined
  /** What waits for the data stream's reply: a write, or the FIN. */
  private afterReply: (() => void) | undefined
  private settle!: (error: Error | undefined) => void
  /** Where the data stream's bytes go instead of the readable side, once readInto() named it. */
  private sink: ((chunk: Buffer) => void) | undefined

  constructor(options: SpdyTunnelOptions) {
    super({allowHalfOpen: true, readableHighWaterMark: options.bufferBytes, writableHighWaterMark: WRITE_HIGH_WATER_MARK})
    const {handle} = options
    this.handle = handle
    this.session = handle.session
    this.namespace = options.namespace
    this.pod = options.pod
    this.port = options.port
    this.protocol = handle.transport === 'tunnel' ? TUNNEL_PROTOCOL : PORT_FORWARD_PROTOCOL
    this.signal = options.signal
    this.onDone = options.onDone
    this.done = new Promise(resolve => {
      this.settle = resolve
    })
    this.on('error', () => {})

    this.onAbort = () => this.destroy(this.signal.reason as Error)

    const base: SpdyHeaders = {[PORT_HEADER]: [String(options.port)], [REQUEST_ID_HEADER]: [options.requestId]}
    const {session} = this
    // Both SYN_STREAMs in one write. The error stream's carries FIN: kubectl sends an empty DATA
    // with FIN once the stream is replied to, one more frame and write per connection; spdystream
    // takes either (connection.go addStreamFrame closes the stream's incoming side when its
    // SYN_STREAM has FIN). Opening throws only when the session is going away, for both.
    session.cork()
    try {
      this.errorSide = session.open({[STREAM_TYPE_HEADER]: ['error'], ...base}, {fin: true}, id => new Side(this, id, false))
      this.dataSide = session.open({[STREAM_TYPE_HEADER]: ['data'], ...base}, {}, id => new Side(this, id, true))
    } finally {
      session.uncork()
    }
    this.signal.addEventListener('abort', this.onAbort, {once: true})
  }

  // ---- from the session -----------------------------------------------------------------------

  /** @internal the data stream is replied to: what waited for it goes out (in the same batch). */
  onDataReply(): void {
    const next = this.afterReply
    this.afterReply = undefined
    next?.()
  }

  /** @internal a DATA payload on either stream. */
  onPayload(side: Side, chunk: Buffer): void {
    if (!side.isData) {
      const text = this.errorMessage ?? ''
      if (text.length < MAX_ERROR_TEXT) this.errorMessage = text + chunk.toString('utf8')
      if (this.dataEnded) this.fail()
      return
    }
    // Past the readable side's end (the error stream finished it): nowhere to go.
    if (this.ended || this.destroyed) return
    this.bytesIn += chunk.length
    if (this.sink) this.sink(keepable(chunk))
    else if (!this.push(keepable(chunk))) this.session.holdReading(side)
  }

  /** @internal the pod side of a stream ended (FIN). */
  onRemoteFin(side: Side): void {
    if (side.localFin) this.release(side)
    if (!side.isData) {
      this.errorEnded = true
      if (this.errorMessage) this.fail()
      else this.maybeEnd()
      return
    }
    this.dataEnded = true
    this.maybeEnd()
    if (!this.ended && !this.destroyed) {
      this.graceTimer = setTimeout(() => this.eof(), ERROR_STREAM_GRACE_MS)
      this.graceTimer.unref()
    }
  }

  /** @internal a stream was reset by the server, or the session went away. */
  onGone(side: Side, sessionError: Error | undefined): void {
    side.done = true
    this.session.forget(side)
    if (!side.isData) {
      if (this.errorEnded) return
      this.errorEnded = true
      if (this.errorMessage) this.fail()
      else this.maybeEnd()
      return
    }
    // A write waiting for the reply goes nowhere, as into a closed pipe whose reader left.
    this.onDataReply()
    if (this.dataEnded || this.destroyed) return
    // The kubelet resets both streams after writing an error: finish after draining.
    if (this.errorMessage) this.fail()
    else if (this.session.isClosed) this.destroy(new TunnelLostError(this.handle.lost ?? sessionError?.message ?? 'connection closed', 0))
    else this.destroy(new TunnelLostError(`stream reset by the server (status ${side.resetStatus ?? 'unknown'})`, 0))
  }

  // ---- the pod's bytes taken directly (ByteSource) ----------------------------------------------

  /**
   * The data stream's bytes go to `sink` from now on, those the readable side holds first, in
   * order: one call per piece instead of a Readable push, a 'data' event and the nextTick that
   * asks for more (forwarder CPU per MiB downloaded: see forward.ts). The readable side only ends.
   * What the sink keeps past the call it keeps as given (pieces come through keepable()).
   */
  readInto(sink: (chunk: Buffer) => void): void {
    drainInto(this, sink)
    this.sink = sink
    // Flowing, so that the end of the readable side is seen.
    this.resume()
  }

  /**
   * The sink is full: the session stops reading (for every stream on it) until resumeReading().
   * Not for a data stream already released (both FINs, reset, destroyed): nothing would let the
   * session go again.
   */
  pauseReading(): void {
    if (!this.dataSide.done && !this.ended) this.session.holdReading(this.dataSide)
  }

  resumeReading(): void {
    this.session.releaseReading(this.dataSide)
  }

  // ---- the Duplex -----------------------------------------------------------------------------

  override _read(): void {
    this.session.releaseReading(this.dataSide)
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const data = this.dataSide
    if (data.done || data.localFin) {
      // The stream is gone: the bytes go nowhere, as into a closed pipe whose reader left.
      callback()
      return
    }
    // A write still waiting when the tunnel is destroyed fails unseen (nobody waits on it): no
    // Error, whose stack Node's stream would format, is made for it. Bytes are counted when they
    // go out (the keepalive reads `sent`), not when a write dropped for a dead stream arrived.
    const send = () => {
      if (data.done) return callback()
      this.bytesOut += chunk.length
      this.handle.sent += chunk.length
      this.session.sendData(data.id, chunk, false, error => callback(error && !this.destroyed ? new TunnelLostError(error.message, 0) : null))
    }
    if (data.replied) send()
    else this.afterReply = send
  }

  override _final(callback: (error?: Error | null) => void): void {
    // Half-close: DATA with FIN. The pod reads EOF and may still answer.
    const data = this.dataSide
    if (!data.done && !data.localFin) {
      const fin = () => {
        if (data.done || data.localFin) return
        data.localFin = true
        this.session.sendData(data.id, EMPTY, true, noop)
        if (data.remoteFin) this.release(data)
      }
      if (data.replied) fin()
      else this.afterReply = fin
    }
    callback()
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.graceTimer) clearTimeout(this.graceTimer)
    this.signal.removeEventListener('abort', this.onAbort)
    // A write or FIN still waiting for the reply runs once the streams are released: it sees the
    // stream done, so a write's callback runs (its bytes go nowhere) and nothing is sent.
    const pending = this.afterReply
    this.afterReply = undefined
    // A stream not finished both ways is reset (RST_STREAM CANCEL), as kubectl resets its data
    // stream; both resets in one write.
    const {session} = this
    session.cork()
    this.release(this.dataSide)
    this.release(this.errorSide)
    session.uncork()
    pending?.()
    const done = this.onDone
    this.onDone = undefined
    done?.()
    this.settle(error ?? (this.errorMessage ? new PortForwardError(this.errorMessage, this) : undefined))
    callback(error)
  }

  // ---- ending ---------------------------------------------------------------------------------

  /** The session forgets the stream; one not finished both ways is reset first. */
  private release(side: Side): void {
    if (side.done) return
    side.done = true
    if (!(side.remoteFin && side.localFin) && !this.session.isClosed) {
      this.session.sendFrame({status: RstStatus.CANCEL, streamId: side.id, type: 'rst_stream'})
    }
    this.session.forget(side)
  }

  private maybeEnd(): void {
    if (this.dataEnded && this.errorEnded) this.eof()
  }

  private eof(): void {
    if (this.ended || this.destroyed) return
    this.ended = true
    if (this.graceTimer) clearTimeout(this.graceTimer)
    // Past the readable side's end nothing is pushed (onPayload drops it), and Node calls _read no
    // more: the session must not stay held for this tunnel's buffer.
    this.session.releaseReading(this.dataSide)
    this.push(null)
  }

  private fail(): void {
    // Finish after draining (lifecycle.ts): what the data stream delivered before the error is
    // read out, then the readable side ends; forward.ts reports errorMessage once the local
    // socket is ended.
    this.eof()
  }
}

function noop(): void {}
