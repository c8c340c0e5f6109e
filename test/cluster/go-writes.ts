// How the bytes of a port-forward leave kube-apiserver, write by write, so that a client meets the
// same TLS records from the local cluster as from a real control plane (measured there: a 32 KiB
// download frame reaches the client as records of 4, 4, 16384 and 16384 bytes over plain SPDY,
// and of 6, 6, 4, 16384, 2, 4, 16384, 2 bytes through the KEP-4006 tunnel).
//
// - Go writes one TLS record per tls.Conn.Write (crypto/tls conn.go writeRecordLocked, up to 16 KiB
//   a record), a syscall each. Node's TLS socket joins the writes queued behind a pending one into
//   one record (TLSWrap::DoWrite with several buffers), so WritesInTurn hands a socket one write
//   at a time, the next once the last one's callback came.
// - The node's SPDY framer (moby/spdystream v0.5 spdy/write.go, as kwok's kubelet server, the
//   node of the real-cluster tier, uses it) writes a frame in pieces:
//   writeDataFrame makes three writes (stream id, flags and length, payload), and a control frame
//   is writeControlFrameHeader's three (version, type, flags and length) and then one per field
//   (writeSynStreamFrame, writeSynReplyFrame, RstStreamFrame.write, ...). Each becomes a TLS record
//   of the kubelet's connection (and a payload over 16 KiB several). A kubelet in front of a
//   container runtime relays the runtime's stream with io.Copy instead (pkg/kubelet/server
//   server.go proxyStream), so one of its reads can join frames: not copied here.
// - kube-apiserver copies the kubelet's connection to the client with io.Copy (k8s.io/apimachinery
//   pkg/util/proxy/upgradeaware.go, UpgradeAwareHandler.tryUpgrade), and tls.Conn.Read returns one
//   record at a time, so every record from the kubelet becomes one write to the client: one TLS
//   record over plain SPDY, one WebSocket message through the tunnel (gorilla-websocket.ts).
// - Not copied: Go's dynamic record sizing, which keeps a connection's first 128 KB in records of
//   about 1200 bytes (crypto/tls conn.go maxPayloadSizeForWrite).

import {Duplex, type Writable} from 'node:stream'

/** crypto/tls maxPlaintext: the most a TLS record carries. */
export const MAX_RECORD = 16 * 1024

type Callback = (error?: Error | null) => void

/** Writes to a socket one at a time, each after the previous one's callback, so that each is a TLS record of its own (Go's synchronous Write). */
export class WritesInTurn {
  private readonly queue: Array<{callback?: Callback; data: Buffer}> = []
  private busy = false
  private ending = false
  private readonly socket: Writable

  constructor(socket: Writable) {
    this.socket = socket
  }

  write(data: Buffer, callback?: Callback): void {
    this.queue.push({callback, data})
    if (!this.busy) this.next()
  }

  /** Ends the socket once every queued write is done. */
  end(): void {
    this.ending = true
    if (!this.busy) this.socket.end()
  }

  private next(): void {
    const item = this.queue.shift()
    if (item === undefined) {
      this.busy = false
      if (this.ending) this.socket.end()
      return
    }
    this.busy = true
    this.socket.write(item.data, error => {
      item.callback?.(error)
      if (!error) {
        this.next()
        return
      }
      this.busy = false
      for (const rest of this.queue.splice(0)) rest.callback?.(error)
    })
  }
}

const SYN_STREAM = 1
const SYN_REPLY = 2
const HEADERS = 8
const FRAME_HEADER = 8

/**
 * The writes spdystream's framer makes for the frame whose 8-byte header is `head`, after the
 * header's own (returned apart: [4, 4] for a data frame, [2, 2, 4] for a control frame).
 */
function bodyWrites(head: Buffer): number[] {
  const length = head.readUInt32BE(4) & 0xffffff
  if ((head[0] & 0x80) === 0) return [length]
  const type = head.readUInt16BE(2)
  // writeSynStreamFrame: stream id, associated id, priority, slot (a byte each), header block.
  if (type === SYN_STREAM) return [4, 4, 1, 1, length - 10]
  // writeSynReplyFrame, writeHeadersFrame: stream id, header block.
  if (type === SYN_REPLY || type === HEADERS) return [4, length - 4]
  // RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE: a binary.Write per 32-bit field.
  return Array.from({length: Math.ceil(length / 4)}, (_, i) => Math.min(4, length - 4 * i))
}

/**
 * Cuts the byte stream a SPDY session writes into the pieces the API server's io.Copy reads from
 * the kubelet: spdystream's writes, each split into TLS records of at most 16 KiB. Payload pieces
 * are views of the chunks written; only a piece that spans two chunks is copied.
 */
export class SpdystreamWrites {
  private readonly head = Buffer.alloc(FRAME_HEADER)
  private headBytes = 0
  /** What is left of the current frame's body, as the sizes of the pieces to come. */
  private pieces: number[] = []
  private piece = 0
  private partial: Buffer[] = []
  private partialBytes = 0

  /** Cuts `chunk`, calling `emit` with each piece completed. */
  cut(chunk: Buffer, emit: (piece: Buffer) => void): void {
    let at = 0
    while (at < chunk.length) {
      if (this.piece === this.pieces.length) {
        const take = Math.min(FRAME_HEADER - this.headBytes, chunk.length - at)
        chunk.copy(this.head, this.headBytes, at, at + take)
        this.headBytes += take
        at += take
        if (this.headBytes < FRAME_HEADER) return
        this.headBytes = 0
        const data = (this.head[0] & 0x80) === 0
        for (const [from, to] of data ? [[0, 4], [4, 8]] : [[0, 2], [2, 4], [4, 8]]) emit(Buffer.from(this.head.subarray(from, to)))
        this.pieces = []
        for (const size of bodyWrites(this.head)) for (let left = size; left > 0; left -= MAX_RECORD) this.pieces.push(Math.min(left, MAX_RECORD))
        this.piece = 0
        continue
      }
      const size = this.pieces[this.piece]
      const take = Math.min(size - this.partialBytes, chunk.length - at)
      const view = chunk.subarray(at, at + take)
      at += take
      if (this.partialBytes === 0 && take === size) {
        emit(view)
      } else {
        this.partial.push(view)
        this.partialBytes += take
        if (this.partialBytes < size) continue
        emit(Buffer.concat(this.partial, size))
        this.partial = []
        this.partialBytes = 0
      }
      this.piece++
    }
  }
}

/**
 * A SPDY session's transport as the client sees it through kube-apiserver: what the session writes
 * goes to `downstream` in spdystream's writes, one record each, one at a time (a TLS socket for
 * plain SPDY, the tunnel for KEP-4006, where each becomes a message); what `downstream` reads
 * passes through.
 */
export class KubeletWrites extends Duplex {
  private readonly writes: WritesInTurn
  private readonly cutter = new SpdystreamWrites()
  private readonly downstream: Duplex

  constructor(downstream: Duplex) {
    super({allowHalfOpen: false})
    this.downstream = downstream
    this.writes = new WritesInTurn(downstream)
    downstream.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) downstream.pause()
    })
    downstream.on('end', () => this.push(null))
    downstream.on('error', (error: Error) => this.destroy(error))
    downstream.on('close', () => this.destroy())
  }

  override _read(): void {
    this.downstream.resume()
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: Callback): void {
    this.send([chunk], callback)
  }

  override _writev(chunks: Array<{chunk: Buffer}>, callback: Callback): void {
    this.send(chunks.map(c => c.chunk), callback)
  }

  override _final(callback: Callback): void {
    this.writes.end()
    callback()
  }

  override _destroy(error: Error | null, callback: Callback): void {
    this.downstream.destroy()
    callback(error)
  }

  private send(chunks: Buffer[], callback: Callback): void {
    const pieces: Buffer[] = []
    for (const chunk of chunks) this.cutter.cut(chunk, piece => pieces.push(piece))
    if (pieces.length === 0) {
      callback()
      return
    }
    for (let i = 0; i < pieces.length; i++) this.writes.write(pieces[i], i === pieces.length - 1 ? callback : undefined)
  }
}
