// A SPDY/3.1 session over any byte transport (a TCP/TLS socket after `Upgrade: SPDY/3.1`, or the
// byte pipe of a KEP-4006 WebSocket tunnel), in the shape kubectl and the kubelet use it:
// client-initiated bidirectional streams, empty SYN_REPLYs, DATA with FIN for half-close,
// RST_STREAM, PING echo, GOAWAY. No flow control: kubectl never sends WINDOW_UPDATE, so the
// session neither sends nor enforces windows (incoming WINDOW_UPDATE and SETTINGS are ignored).
//
// Ordering: header blocks go through one zlib context per direction, which is asynchronous in
// Node. Outgoing frames are therefore queued in call order (a SYN_REPLY always precedes the DATA
// of its stream) and incoming frames are handled one at a time in arrival order.
//
// Backpressure: a stream's writes complete only once the transport accepted them; the transport
// is paused while any stream's readable buffer is full (head-of-line, as spdystream does).

import {EventEmitter} from 'node:events'
import {Duplex} from 'node:stream'
import {dataFrameHeader, encodeFrame, FrameParser, FrameError, GoAwayStatus, keepable, RstStatus} from './frames.ts'
import type {Frame} from './frames.ts'
import {HeaderCompressor, HeaderDecompressor} from './headers.ts'
import type {SpdyHeaders} from './headers.ts'

/** Largest DATA frame we send; the wire allows 16 MiB, peers read in 32 KiB chunks. */
export const MAX_DATA_FRAME = 64 * 1024
/** Bytes written in one corked batch at most, so that a long queue still yields to 'drain'. */
const MAX_BATCH_BYTES = 256 * 1024
/** The payload of a DATA frame that only carries FIN (never written to). */
const EMPTY = Buffer.alloc(0)

export interface SpdySessionOptions {
  /** 'server' accepts streams (even ids would be its own); 'client' opens odd-numbered streams. */
  role: 'client' | 'server'
  /** Send a PING this often (kubectl: 5 s on plain SPDY, 10 s through the tunnel). 0 = never. */
  pingIntervalMs?: number
  /** How long a PING may go unanswered before `ping()` rejects. */
  pingTimeoutMs?: number
  /** Per-stream readable buffer before the transport is paused. */
  streamHighWaterMark?: number
  /**
   * Called with the pieces of each batch of frames once the transport's write of them has
   * completed (its write callback, without error): from then on the transport holds none of them.
   */
  written?: (pieces: Buffer[]) => void
}

/**
 * What the session tells a stream it routes frames to: a SpdyStream (a Node Duplex), or a lighter
 * object that takes the frames itself (port-forward's per-connection SpdyTunnel). `open` gives
 * one; the session calls these synchronously, in frame order, from the read that brought them.
 */
export interface StreamReceiver {
  readonly id: number
  /** The peer's SYN_REPLY arrived. */
  onReply(headers: SpdyHeaders): void
  /** A HEADERS frame arrived. */
  onHeaders(headers: SpdyHeaders): void
  /** A DATA frame's payload (maybe empty) and its FIN flag. */
  onData(data: Buffer, fin: boolean): void
  /** The peer finished its side (FIN on a SYN_STREAM, SYN_REPLY or DATA). */
  onRemoteFin(): void
  /** The peer reset the stream. */
  onReset(status: number): void
  /** The session went away (with the error that ended it, if any). */
  onSessionClosed(err?: Error): void
}

/**
 * A transport that hands its bytes to one function rather than as 'data' events, and stops and
 * starts reading on request (the tunnel's WebSocket pipe). The session reads such a transport so.
 */
export interface ByteSource {
  /** Every byte read from now on goes to `sink`, in order, those already read first. */
  readInto(sink: (chunk: Buffer) => void): void
  pauseReading(): void
  resumeReading(): void
}

/**
 * A frame to keep in the inbox past the read that brought it (while a header block is inflated
 * asynchronously): its bytes through keepable(), as every piece kept past its read.
 */
function keptFrame(frame: Frame): Frame {
  switch (frame.type) {
    case 'data':
      return {...frame, data: keepable(frame.data)}
    case 'syn_stream':
    case 'syn_reply':
    case 'headers':
      return {...frame, headerBlock: keepable(frame.headerBlock)}
    case 'unknown':
      return {...frame, payload: keepable(frame.payload)}
    default:
      return frame
  }
}

/**
 * For a Duplex that becomes a ByteSource (readInto): what its readable side already holds goes to
 * `sink`, in order, before the bytes the Duplex hands over itself from then on.
 */
export function drainInto(readable: Duplex, sink: (chunk: Buffer) => void): void {
  while (readable.readableLength > 0) {
    const held = readable.read() as Buffer | null
    if (held === null) break
    sink(held)
  }
}

export function isByteSource(transport: Duplex): transport is Duplex & ByteSource {
  return typeof (transport as Partial<ByteSource>).readInto === 'function'
}

export class SpdyStreamResetError extends Error {
  readonly status: number
  constructor(streamId: number, status: number) {
    super(`stream ${streamId} reset by peer (status ${status})`)
    this.status = status
  }
}

/** One SPDY stream as a Node Duplex: writes become DATA frames, end() sends FIN. */
export class SpdyStream extends Duplex implements StreamReceiver {
  readonly id: number
  /** Headers of the SYN_STREAM (incoming) or the SYN_REPLY (outgoing, once `reply` fired). */
  headers: SpdyHeaders
  /** RST_STREAM status the peer sent, if it reset this stream. */
  resetStatus: number | undefined
  private readonly session: SpdySession
  private replied: boolean
  private replyWaiters: Array<(err?: Error) => void> = []
  remoteFin = false
  localFin = false
  private resetSent = false

  constructor(session: SpdySession, id: number, headers: SpdyHeaders, replied: boolean, highWaterMark: number) {
    super({allowHalfOpen: true, readableHighWaterMark: highWaterMark})
    this.session = session
    this.id = id
    this.headers = headers
    this.replied = replied
  }

  /** Accepts an incoming stream (SYN_REPLY). Must come before any data is written. */
  reply(headers: SpdyHeaders = {}, fin = false): void {
    if (this.replied) return
    this.replied = true
    this.session.sendHeaders({type: 'syn_reply', streamId: this.id, fin}, headers)
    if (fin) this.localFin = true
    this.settleReply()
  }

  /** Resets the stream (RST_STREAM) and destroys it locally. */
  reset(status: number = RstStatus.CANCEL): void {
    this.sendReset(status)
    this.destroy()
  }

  /** Resolves when the stream is replied to (outgoing) or accepted (incoming). */
  waitReply(): Promise<void> {
    return new Promise((resolve, reject) => this.afterReply(resolve, reject))
  }

  /**
   * Runs `then` once the stream is replied to (at once if it is: synchronously, inside the read
   * that brought the reply, so what it sends joins the session's batch for that read), or
   * `failed` if the stream goes away first.
   */
  private afterReply(then: () => void, failed: (err: Error) => void): void {
    if (this.replied) return then()
    if (this.destroyed) return failed(new Error(this.resetStatus !== undefined ? `stream ${this.id} reset by peer (status ${this.resetStatus})` : `stream ${this.id} closed before its reply`))
    this.replyWaiters.push((err) => (err ? failed(err) : then()))
  }

  /** @internal the peer's SYN_REPLY arrived. */
  onReply(headers: SpdyHeaders): void {
    this.headers = headers
    this.replied = true
    this.settleReply()
    this.emit('reply', headers)
  }

  /** @internal a HEADERS frame arrived. */
  onHeaders(headers: SpdyHeaders): void {
    this.emit('headers', headers)
  }

  /** @internal */
  onData(data: Buffer, fin: boolean): void {
    if (this.remoteFin || this.destroyed) return
    if (data.length > 0 && !this.push(keepable(data))) this.session.holdReading(this)
    if (fin) this.onRemoteFin()
  }

  /** @internal */
  onRemoteFin(): void {
    if (this.remoteFin) return
    this.remoteFin = true
    this.push(null)
    this.maybeDone()
  }

  /** @internal the peer reset the stream. */
  onReset(status: number): void {
    this.resetStatus = status
    this.resetSent = true // never answer a reset with a reset
    this.emit('reset', status)
    this.destroy()
  }

  /** @internal the session went away. */
  onSessionClosed(err?: Error): void {
    this.resetSent = true
    this.settleReply(err ?? new Error('SPDY session closed'))
    this.destroy()
  }

  private sendReset(status: number): void {
    if (this.resetSent) return
    this.resetSent = true
    this.session.sendFrame({type: 'rst_stream', streamId: this.id, status})
  }

  private settleReply(err?: Error): void {
    const waiters = this.replyWaiters
    this.replyWaiters = []
    for (const w of waiters) w(err)
  }

  private maybeDone(): void {
    if (this.remoteFin && this.localFin) this.session.forget(this)
  }

  override _read(): void {
    this.session.releaseReading(this)
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.afterReply(() => this.session.sendData(this.id, chunk, false, callback), callback)
  }

  override _final(callback: (error?: Error | null) => void): void {
    const finish = () => {
      this.localFin = true
      this.session.sendData(this.id, EMPTY, true, (err) => {
        this.maybeDone()
        callback(err)
      })
    }
    this.afterReply(finish, callback)
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // A stream torn down before both directions finished tells the peer (kubectl does the same
    // with its data stream: CANCEL once it has read the remote EOF).
    if (!(this.remoteFin && this.localFin)) this.sendReset(RstStatus.CANCEL)
    // An Error (and its stack) only for someone waiting: most streams are replied to long before.
    if (this.replyWaiters.length > 0) this.settleReply(error ?? new Error(`stream ${this.id} destroyed`))
    this.session.forget(this)
    callback(error)
  }
}

type HeaderFrameWithoutBlock =
  | Omit<Extract<Frame, {type: 'syn_stream'}>, 'headerBlock'>
  | Omit<Extract<Frame, {type: 'syn_reply'}>, 'headerBlock'>
  | Omit<Extract<Frame, {type: 'headers'}>, 'headerBlock'>

interface OutItem {
  data: Buffer | Promise<Buffer>
  callback?: (err?: Error | null) => void
}

/**
 * Events: 'stream' (stream: SpdyStream) for each valid incoming SYN_STREAM (reply or reset it);
 * 'held' when a full stream buffer makes the session stop reading, 'released' when it reads again;
 * 'ping' (id) for each echoed or answered ping; 'goaway' (lastGoodStreamId, status);
 * 'error' (err) for protocol violations; 'close' once the transport is gone.
 */
export class SpdySession extends EventEmitter {
  readonly role: 'client' | 'server'
  private readonly transport: Duplex
  /** The transport, when it hands its bytes over directly (ByteSource). */
  private source: ByteSource | undefined
  // DATA payloads go to their stream as they arrive: no frame is joined from its pieces.
  private readonly parser = new FrameParser({streamData: true})
  private readonly compressor = new HeaderCompressor()
  private readonly decompressor = new HeaderDecompressor()
  private readonly streams = new Map<number, StreamReceiver>()
  private readonly highWaterMark: number
  private readonly inbox: Frame[] = []
  private processing = false
  private readonly out: OutItem[] = []
  private writing = false
  private readonly held = new Set<StreamReceiver>()
  private heldSinceMs: number | undefined
  private nextStreamId: number
  private nextPingId: number
  private lastPeerStreamId = 0
  private readonly pings = new Map<number, {sent: bigint; resolve: (rttMs: number) => void; reject: (e: Error) => void; timer: NodeJS.Timeout}>()
  private readonly pingTimeoutMs: number
  private readonly written: ((pieces: Buffer[]) => void) | undefined
  private pingTimer: NodeJS.Timeout | undefined
  private goingAway = false
  private closed = false

  constructor(transport: Duplex, options: SpdySessionOptions) {
    super()
    this.transport = transport
    this.role = options.role
    this.highWaterMark = options.streamHighWaterMark ?? 256 * 1024
    this.nextStreamId = this.role === 'client' ? 1 : 2
    this.nextPingId = this.role === 'client' ? 1 : 2
    this.pingTimeoutMs = options.pingTimeoutMs ?? 30_000
    this.written = options.written
    transport.on('end', () => this.destroy())
    transport.on('error', (err: Error) => this.destroy(err))
    transport.on('close', () => this.destroy())
    const onBytes = (chunk: Buffer) => this.onBytes(chunk)
    if (isByteSource(transport)) {
      this.source = transport
      transport.readInto(onBytes)
    } else {
      transport.on('data', onBytes)
    }
    if (options.pingIntervalMs) {
      this.pingTimer = setInterval(() => this.ping().catch(() => undefined), options.pingIntervalMs)
      this.pingTimer.unref()
    }
  }

  get isClosed(): boolean {
    return this.closed
  }

  /** Streams currently open. */
  get streamCount(): number {
    return this.streams.size
  }

  /** Opens a stream (client role): SYN_STREAM with the headers. Resolve `waitReply()` before relying on it. */
  openStream(headers: SpdyHeaders, options: {fin?: boolean; priority?: number} = {}): SpdyStream {
    const stream = this.open(headers, options, id => new SpdyStream(this, id, {}, false, this.highWaterMark))
    if (options.fin) stream.localFin = true
    return stream
  }

  /**
   * Opens a stream (client role) whose frames go to the receiver `make` builds for its id: no
   * Duplex. The receiver sends with sendData and sendFrame (RST_STREAM), and calls forget once it
   * is done with the stream (both FINs, or reset).
   */
  open<R extends StreamReceiver>(headers: SpdyHeaders, options: {fin?: boolean; priority?: number}, make: (id: number) => R): R {
    if (this.closed || this.goingAway) throw new Error('SPDY session is closing')
    const id = this.nextStreamId
    this.nextStreamId += 2
    const stream = make(id)
    this.streams.set(id, stream)
    this.sendHeaders(
      {type: 'syn_stream', streamId: id, associatedId: 0, priority: options.priority ?? 0, slot: 0, fin: options.fin ?? false, unidirectional: false},
      headers,
    )
    return stream
  }

  /** Sends a PING and resolves with the round trip in milliseconds. */
  ping(): Promise<number> {
    if (this.closed) return Promise.reject(new Error('SPDY session closed'))
    const id = this.nextPingId
    this.nextPingId = (this.nextPingId + 2) >>> 0 || (this.role === 'client' ? 1 : 2)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pings.delete(id)
        reject(new Error(`ping ${id} unanswered after ${this.pingTimeoutMs} ms`))
      }, this.pingTimeoutMs)
      timer.unref()
      this.pings.set(id, {sent: process.hrtime.bigint(), resolve, reject, timer})
      this.sendFrame({type: 'ping', id})
    })
  }

  /** Graceful close: GOAWAY, then end the transport once queued frames are written. */
  close(status: number = GoAwayStatus.OK): void {
    if (this.closed || this.goingAway) return
    this.goingAway = true
    this.sendFrame({type: 'goaway', lastGoodStreamId: this.lastPeerStreamId, status})
    this.enqueue({data: EMPTY, callback: () => this.transport.end()})
  }

  /** Tears everything down at once. */
  destroy(err?: Error): void {
    this.teardown(err, false)
  }

  private teardown(err: Error | undefined, flush: boolean): void {
    if (this.closed) return
    this.closed = true
    if (this.pingTimer) clearInterval(this.pingTimer)
    for (const [, p] of this.pings) {
      clearTimeout(p.timer)
      p.reject(new Error('SPDY session closed'))
    }
    this.pings.clear()
    for (const stream of [...this.streams.values()]) stream.onSessionClosed(err)
    this.streams.clear()
    for (const item of this.out.splice(0)) item.callback?.(new Error('SPDY session closed'))
    this.compressor.close()
    this.decompressor.close()
    if (flush) {
      // End rather than destroy, so that bytes already written (a GOAWAY) reach the peer even
      // when the transport buffers them (TLS, a WebSocket tunnel); destroy later if it hangs.
      this.transport.end()
      setTimeout(() => this.transport.destroy(), 1000).unref()
    } else {
      this.transport.destroy()
    }
    if (err && this.listenerCount('error') > 0) this.emit('error', err)
    this.emit('close')
  }

  // ---- output ---------------------------------------------------------------------------------

  /** @internal */
  sendFrame(frame: Frame, callback?: (err?: Error | null) => void): void {
    this.enqueue({data: encodeFrame(frame), callback})
  }

  /** @internal SYN_STREAM / SYN_REPLY / HEADERS: compress in order, then send in order. */
  sendHeaders(
    frame: HeaderFrameWithoutBlock,
    headers: SpdyHeaders,
  ): void {
    let sync: Buffer | undefined
    try {
      sync = this.compressor.compressSync(headers)
    } catch (err) {
      this.destroy(err as Error)
      return
    }
    if (sync) {
      this.enqueue({data: encodeFrame({...frame, headerBlock: sync} as Frame)})
      return
    }
    const data = this.compressor.compress(headers).then((headerBlock) => encodeFrame({...frame, headerBlock} as Frame))
    data.catch(() => undefined) // surfaced by the writer
    this.enqueue({data})
  }

  /** @internal DATA frames (split at MAX_DATA_FRAME); callback once the transport took them. */
  sendData(streamId: number, data: Buffer, fin: boolean, callback: (err?: Error | null) => void): void {
    if (this.closed) return callback(new Error('SPDY session closed'))
    // Header and payload are queued apart (no copy) and written in one batch.
    this.cork()
    if (data.length <= MAX_DATA_FRAME) {
      this.enqueue({data: dataFrameHeader(streamId, data.length, fin)})
      this.enqueue({data, callback})
    } else {
      for (let off = 0; off < data.length; off += MAX_DATA_FRAME) {
        const piece = data.subarray(off, off + MAX_DATA_FRAME)
        const last = off + MAX_DATA_FRAME >= data.length
        this.enqueue({data: dataFrameHeader(streamId, piece.length, fin && last)})
        this.enqueue({data: piece, callback: last ? callback : undefined})
      }
    }
    this.uncork()
  }

  private enqueue(item: OutItem): void {
    if (this.closed) {
      item.callback?.(new Error('SPDY session closed'))
      return
    }
    this.out.push(item)
    if (!this.writing && this.corked === 0) void this.drainOut()
  }

  private corked = 0

  /**
   * Holds the frames queued from now until the matching uncork(), so that they go out as one batch
   * (one write, one TLS record): a DATA frame's header and payload, a connection's two
   * SYN_STREAMs or two RST_STREAMs. Calls nest.
   */
  cork(): void {
    this.corked++
  }

  uncork(): void {
    if (this.corked === 0) return
    this.corked--
    if (this.corked === 0 && !this.writing && this.out.length > 0) void this.drainOut()
  }

  private async drainOut(): Promise<void> {
    this.writing = true
    try {
      while (this.out.length > 0 && !this.closed) {
        if (this.out[0].data instanceof Promise) {
          const item = this.out[0]
          let buf: Buffer
          try {
            buf = await item.data
          } catch (err) {
            this.destroy(err as Error)
            return
          }
          if (this.closed) return
          this.out.shift()
          let ok = true
          if (buf.length > 0) ok = this.transport.write(buf)
          if (!ok) await this.waitDrain()
          item.callback?.(this.closed ? new Error('SPDY session closed') : null)
          continue
        }
        // The frames ready now go out as one corked batch: one writev on a socket, one message
        // in a WebSocket tunnel, so one TLS record instead of one per frame (a connection's two
        // SYN_STREAMs, a DATA frame's header and payload). Callbacks run once the batch is taken.
        const batch: OutItem[] = []
        let bytes = 0
        let ok = true
        const {written} = this
        this.transport.cork()
        while (this.out.length > 0 && !(this.out[0].data instanceof Promise) && bytes < MAX_BATCH_BYTES) {
          const item = this.out.shift() as OutItem
          const buf = item.data as Buffer
          bytes += buf.length
          batch.push(item)
          // The batch's last write tells `written` when the transport is done with all of it.
          const last = this.out.length === 0 || this.out[0].data instanceof Promise || bytes >= MAX_BATCH_BYTES
          if (buf.length === 0) continue
          if (last && written) ok = this.transport.write(buf, (error?: Error | null) => error ? undefined : written(batch.map(i => i.data as Buffer)))
          else ok = this.transport.write(buf)
        }
        this.transport.uncork()
        if (!ok) await this.waitDrain()
        const err = this.closed ? new Error('SPDY session closed') : null
        for (const item of batch) item.callback?.(err)
      }
    } finally {
      this.writing = false
    }
  }

  private waitDrain(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.transport.off('drain', done)
        this.transport.off('close', done)
        resolve()
      }
      this.transport.on('drain', done)
      this.transport.on('close', done)
    })
  }

  // ---- input ----------------------------------------------------------------------------------

  /** @internal a stream's buffer is full: stop reading the transport until it drains. */
  holdReading(stream: StreamReceiver): void {
    const first = this.held.size === 0
    if (first) this.heldSinceMs = performance.now()
    this.held.add(stream)
    this.pauseTransport()
    if (first) this.emit('held')
  }

  /** @internal */
  releaseReading(stream: StreamReceiver): void {
    if (this.held.delete(stream) && this.held.size === 0) {
      this.heldSinceMs = undefined
      if (!this.closed) this.resumeTransport()
      this.emit('released')
    }
  }

  /**
   * Since when (performance.now()) reading is held because a stream's buffer is full, or undefined
   * while every stream takes what arrives. Without flow control a held session holds all its
   * streams: a session held for long has a reader that stopped.
   */
  get heldSince(): number | undefined {
    return this.heldSinceMs
  }

  /**
   * The peer finished the stream: nothing more comes for it, so a buffer it filled (with this very
   * read, maybe) no longer holds the session's other streams, read out or not.
   */
  private peerFinished(stream: StreamReceiver): void {
    this.releaseReading(stream)
  }

  /** @internal */
  forget(stream: StreamReceiver): void {
    if (this.streams.get(stream.id) === stream) this.streams.delete(stream.id)
    this.releaseReading(stream)
  }

  private pauseTransport(): void {
    if (this.source) this.source.pauseReading()
    else this.transport.pause()
  }

  private resumeTransport(): void {
    if (this.source) this.source.resumeReading()
    else this.transport.resume()
  }

  private onBytes(chunk: Buffer): void {
    if (this.closed || this.failed) return
    let frames: Frame[]
    try {
      frames = this.parser.push(chunk)
    } catch (err) {
      this.protocolError(err as Error)
      return
    }
    if (frames.length === 0) return
    if (this.processing) {
      for (const frame of frames) this.inbox.push(keptFrame(frame))
      return
    }
    // Handled at once, in order (bytes that arrive meanwhile wait in the inbox); only a header
    // block zlib cannot inflate synchronously (an old Node) sends the rest through processInbox.
    // What the handlers send in answer goes out as one batch (a connection's error-stream FIN and
    // first data, both waiting for the replies this read brought).
    this.processing = true
    this.cork()
    let i = 0
    try {
      while (i < frames.length && !this.closed && !this.failed && this.handleNow(frames[i])) i++
    } finally {
      this.uncork()
      this.processing = false
    }
    if (this.closed || this.failed) return
    if (i < frames.length) this.inbox.unshift(...frames.slice(i).map(keptFrame))
    if (this.inbox.length > 0) void this.processInbox()
  }

  /** Handles one frame synchronously; false when it needs the asynchronous inflater (not handled). */
  private handleNow(frame: Frame): boolean {
    if (frame.type !== 'syn_stream' && frame.type !== 'syn_reply' && frame.type !== 'headers') {
      this.handleFrame(frame)
      return true
    }
    let headers: SpdyHeaders | undefined
    try {
      headers = this.decompressor.decompressSync(frame.headerBlock)
    } catch (err) {
      this.protocolError(new FrameError(`bad header block on stream ${frame.streamId}: ${(err as Error).message}`))
      return true
    }
    if (!headers) return false
    this.handleHeaderFrame(frame, headers)
    return true
  }

  private async processInbox(): Promise<void> {
    this.processing = true
    try {
      while (this.inbox.length > 0 && !this.closed && !this.failed) {
        const frame = this.inbox.shift() as Frame
        // Header blocks must be inflated in arrival order, even for frames we then drop.
        if (this.handleNow(frame)) continue
        const headerFrame = frame as Extract<Frame, {type: 'syn_stream' | 'syn_reply' | 'headers'}>
        // Hold further bytes while zlib works so the inbox stays bounded.
        this.pauseTransport()
        let headers: SpdyHeaders
        try {
          headers = await this.decompressor.decompress(headerFrame.headerBlock)
        } catch (err) {
          this.protocolError(new FrameError(`bad header block on stream ${headerFrame.streamId}: ${(err as Error).message}`))
          return
        } finally {
          if (this.held.size === 0 && !this.closed) this.resumeTransport()
        }
        this.handleHeaderFrame(headerFrame, headers)
      }
    } finally {
      this.processing = false
    }
  }

  private handleHeaderFrame(frame: Extract<Frame, {type: 'syn_stream' | 'syn_reply' | 'headers'}>, headers: SpdyHeaders): void {
    if (frame.type === 'syn_stream') {
      const peerParity = this.role === 'server' ? 1 : 0
      if (frame.streamId % 2 !== peerParity || frame.streamId <= this.lastPeerStreamId) {
        this.protocolError(new FrameError(`invalid stream id ${frame.streamId} in SYN_STREAM`))
        return
      }
      this.lastPeerStreamId = frame.streamId
      if (this.goingAway) {
        this.sendFrame({type: 'rst_stream', streamId: frame.streamId, status: RstStatus.REFUSED_STREAM})
        return
      }
      const stream = new SpdyStream(this, frame.streamId, headers, false, this.highWaterMark)
      this.streams.set(frame.streamId, stream)
      if (frame.fin) stream.onRemoteFin()
      if (this.listenerCount('stream') === 0) stream.reset(RstStatus.REFUSED_STREAM)
      else this.emit('stream', stream)
      return
    }
    const stream = this.streams.get(frame.streamId)
    if (!stream) return // late frame for a stream we already forgot
    if (frame.type === 'syn_reply') stream.onReply(headers)
    else stream.onHeaders(headers)
    if (frame.fin) {
      stream.onRemoteFin()
      this.peerFinished(stream)
    }
  }

  private handleFrame(frame: Frame): void {
    switch (frame.type) {
      case 'data': {
        const stream = this.streams.get(frame.streamId)
        // Data for unknown (reset, finished) streams is dropped, as spdystream does.
        if (!stream) return
        stream.onData(frame.data, frame.fin)
        if (frame.fin) this.peerFinished(stream)
        return
      }
      case 'rst_stream':
        this.streams.get(frame.streamId)?.onReset(frame.status)
        return
      case 'ping': {
        const ours = frame.id % 2 === (this.role === 'client' ? 1 : 0)
        if (!ours) {
          this.sendFrame({type: 'ping', id: frame.id})
          this.emit('ping', frame.id)
          return
        }
        const pending = this.pings.get(frame.id)
        if (pending) {
          this.pings.delete(frame.id)
          clearTimeout(pending.timer)
          pending.resolve(Number(process.hrtime.bigint() - pending.sent) / 1e6)
          this.emit('ping', frame.id)
        }
        return
      }
      case 'goaway':
        this.goingAway = true
        this.emit('goaway', frame.lastGoodStreamId, frame.status)
        return
      case 'settings':
      case 'window_update':
      case 'unknown':
        return // no flow control, nothing to configure
      default:
        return
    }
  }

  /** A protocol error was found: nothing more is read; the session ends once its GOAWAY is out. */
  private failed = false

  private protocolError(err: Error): void {
    if (this.closed) return
    this.failed = true
    // Say why before hanging up; the transport is destroyed right after the GOAWAY is queued.
    this.goingAway = true
    this.sendFrame({type: 'goaway', lastGoodStreamId: this.lastPeerStreamId, status: GoAwayStatus.PROTOCOL_ERROR}, () => this.teardown(err, true))
  }
}
