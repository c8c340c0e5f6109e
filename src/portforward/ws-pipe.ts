// The client end of a KEP-4006 tunnel: an upgraded WebSocket used as a byte pipe, as client-go's
// TunnelingConnection does (cg tools/portforward/tunneling_connection.go): every write is one
// binary message, the reader concatenates the payloads of binary messages whatever their cuts, a
// text message is an error (`invalid message type received`), and a close frame is EOF.
//
// RFC 6455 client framing, written here rather than borrowed from `ws` because only this subset is
// needed and it lets payloads stream through without per-message buffering: a data frame's payload
// is pushed as it arrives, in whatever pieces the socket delivers it. Control frames (ping, pong,
// close; at most 125 bytes each) are the only bytes held.
//
// Masking: every client frame carries a random masking key (RFC 6455 5.3), also inside TLS, where
// proxies that terminate TLS (auth gateways, Rancher, Teleport) read the frames. The keys come from
// a pool filled by the system's CSPRNG. A frame is built in one buffer: its header, its key and the
// payload masked straight from the chunks written (one copy of each byte, no join first), by the
// bufferutil native module when it loads (an optional dependency of svc, as for ws), else four
// bytes at a time in JavaScript.

import {randomFillSync} from 'node:crypto'
import {createRequire} from 'node:module'
import {Duplex} from 'node:stream'

import {keepable} from '../spdy/frames.ts'
import {type ByteSource, drainInto} from '../spdy/session.ts'
import {releaseChunks} from './owned-chunks.ts'

const EMPTY = Buffer.alloc(0)
const OP_CONTINUATION = 0x0
const OP_TEXT = 0x1
const OP_BINARY = 0x2
const OP_CLOSE = 0x8
const OP_PING = 0x9
const OP_PONG = 0xa
/** After our close frame, how long the server has to answer before the socket is cut. */
const CLOSE_GRACE_MS = 2_000
/** Largest frame accepted from the server (the kubelet side never sends more than 32 KiB per write). */
const MAX_FRAME_BYTES = 32 * 1024 * 1024
/** Masking keys are taken from this many random bytes, refilled when used up. */
const KEY_POOL_BYTES = 8 * 1024
/** Below this many bytes the JavaScript loop beats the call into the native module (ws uses 48). */
const NATIVE_MASK_MIN = 48
/**
 * A data frame's memory is kept for the next one while it is at most this large. Fresh memory
 * costs more than the masking itself: the pages are faulted in on the first write, about 2 ms per
 * MiB, eight times the native mask's 0.25 ms (measured on 64 and 256 KiB frames).
 */
const MAX_SPARE_BYTES = 1024 * 1024
/** Memory for data frames is allocated in steps of this, so that a slightly larger frame still fits. */
const SPARE_STEP = 64 * 1024

/** The WebSocket ended without a close frame, or broke the framing rules. */
export class WebSocketPipeError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'WebSocketPipeError'
  }
}

export interface WebSocketPipeOptions {
  highWaterMark?: number
  /**
   * Which end of the WebSocket this is. A client (the default) masks what it sends and refuses
   * masked frames; a server (the local cluster's side of the tunnel, test/cluster) takes only
   * masked frames, unmasks them where they arrived, and sends its frames unmasked.
   */
  role?: 'client' | 'server'
  /** How to take the socket's reads without its 'data' events (Upgraded.attach). */
  attach?: (sink: (chunk: Buffer) => void) => void
}

export class WebSocketPipe extends Duplex implements ByteSource {
  protected readonly socket: Duplex
  // Parser state: header bytes collected so far, then the payload left of the current frame.
  private header = EMPTY
  private opcode = 0
  private fin = false
  private remaining = 0
  private control: Buffer[] = []
  /** Opcode of the message being continued (binary or text). */
  private messageOpcode = 0
  private closeSent = false
  private closeReceived = false
  private closeTimer: NodeJS.Timeout | undefined
  /**
   * The memory of the last data frame, for the next one: taken while a frame is in flight (the
   * Writable hands over one write at a time), given back once the socket has taken the frame.
   */
  private spare: Buffer | undefined
  /** A server's end: frames from the peer carry a masking key, and ours do not. */
  protected readonly server: boolean
  /** The current frame's masking key, rotated to the next payload byte (server end only). */
  private readonly frameKey = Buffer.alloc(4)

  constructor(socket: Duplex, head: Buffer, options: WebSocketPipeOptions) {
    super({allowHalfOpen: false, highWaterMark: options.highWaterMark ?? 64 * 1024})
    this.socket = socket
    this.server = options.role === 'server'
    socket.on('end', () => this.onSocketEnd())
    socket.on('close', () => this.onSocketEnd())
    socket.on('error', (error: Error) => this.destroy(error))
    if ('setNoDelay' in socket && typeof socket.setNoDelay === 'function') socket.setNoDelay(true)
    if (head.length > 0) this.onBytes(head)
    const onBytes = (chunk: Buffer) => this.onBytes(chunk)
    if (options.attach) options.attach(onBytes)
    else socket.on('data', onBytes)
  }

  /** Where payload bytes go instead of the readable side, once readInto() named it. */
  private sink: ((chunk: Buffer) => void) | undefined

  /**
   * Payload bytes go to `sink` from now on, those the readable side holds first, instead of being
   * pushed (one Readable push and 'data' event fewer per piece); pauseReading() and
   * resumeReading() stop and start the socket. The readable side only ends.
   */
  readInto(sink: (chunk: Buffer) => void): void {
    drainInto(this, sink)
    this.sink = sink
    // Flowing, so that the end of the readable side is seen.
    super.resume()
    if (this.socket.isPaused()) this.socket.resume()
  }

  pauseReading(): void {
    this.socket.pause()
  }

  resumeReading(): void {
    this.socket.resume()
  }

  override _read(): void {
    if (this.sink) return
    if (this.socket.isPaused()) this.socket.resume()
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.closeSent || this.socket.destroyed) {
      callback(new WebSocketPipeError('websocket closed'))
      return
    }
    this.writeData([chunk], callback)
  }

  override _writev(chunks: Array<{chunk: Buffer}>, callback: (error?: Error | null) => void): void {
    if (this.closeSent || this.socket.destroyed) {
      callback(new WebSocketPipeError('websocket closed'))
      return
    }
    // A byte pipe: the chunks written together (a batch of SPDY frames) travel as one message, so
    // one frame header and one socket write for all of them.
    this.writeData(chunks.map(c => c.chunk), callback)
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.sendClose()
    callback()
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.closeTimer) clearTimeout(this.closeTimer)
    if (!this.socket.destroyed) {
      if (!error && !this.closeSent) {
        this.sendClose()
        this.socketEnd()
        setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref()
      } else {
        this.socket.destroy()
      }
    }
    callback(error)
  }

  /** Sends a close frame (1000 unless a payload is given), then waits for the peer's (or ends at once when it came first). */
  protected sendClose(payload?: Buffer): void {
    if (this.closeSent || this.socket.destroyed) return
    this.closeSent = true
    let code = payload
    if (!code) {
      code = Buffer.alloc(2)
      code.writeUInt16BE(1000)
    }
    this.writeFrame(OP_CLOSE, code)
    if (this.closeReceived) {
      this.socketEnd()
    } else {
      this.closeTimer = setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS)
      this.closeTimer.unref()
    }
  }

  /** A control frame (close, pong): memory of its own, as it may be written while data is in flight. */
  protected writeFrame(opcode: number, payload: Buffer): void {
    this.socketWrite(this.server ? plainFrames(opcode, [payload], payload.length) : maskedFrame(opcode, [payload]))
  }

  /** Every write to the socket goes through here (a subclass may order or pace them). */
  protected socketWrite(data: Buffer, callback?: (error?: Error | null) => void): void {
    this.socket.write(data, callback)
  }

  /** Ends the socket (after what socketWrite has taken). */
  protected socketEnd(): void {
    this.socket.end()
  }

  /** One message carrying the chunks in order; the callback once the socket has taken it. */
  protected writeData(chunks: Buffer[], callback: (error?: Error | null) => void): void {
    let length = 0
    for (const chunk of chunks) length += chunk.length
    const bytes = this.server ? plainFrameBytes(length) : frameMemoryBytes(length)
    let memory = this.spare
    this.spare = undefined
    if (memory === undefined || memory.length < bytes) memory = Buffer.allocUnsafe(Math.ceil(bytes / SPARE_STEP) * SPARE_STEP)
    const frame = this.server ? plainFrames(OP_BINARY, chunks, length, memory) : maskedFrame(OP_BINARY, chunks, memory)
    // The chunks' bytes are in the frame now: a local client's reads are freed here (owned-chunks.ts).
    releaseChunks(chunks)
    this.socketWrite(frame, error => {
      if (!error && memory.length <= MAX_SPARE_BYTES) this.spare = memory
      callback(error ?? null)
    })
  }

  private onSocketEnd(): void {
    if (this.destroyed) return
    if (this.closeReceived) {
      this.eof()
      return
    }
    this.destroy(new WebSocketPipeError('connection closed without a close frame (1006)'))
  }

  /** Bytes from the socket, in the order they came. */
  protected onBytes(chunk: Buffer): void {
    let offset = 0
    while (offset < chunk.length && !this.destroyed) {
      if (this.remaining === 0 && !this.inPayload) {
        const used = this.readHeader(chunk, offset)
        if (used < 0) return
        offset = used
        continue
      }
      const take = Math.min(this.remaining, chunk.length - offset)
      // The whole chunk is the usual case for a large payload (a TLS record of its own): no view made.
      const piece = offset === 0 && take === chunk.length ? chunk : chunk.subarray(offset, offset + take)
      offset += take
      this.remaining -= take
      if (this.server) this.unmask(piece)
      this.onPayload(piece)
      if (this.remaining === 0) this.endFrame()
    }
  }

  /** True between a complete header and the end of its payload. */
  private inPayload = false

  /**
   * Unmasks a piece of the current frame's payload where it lies (the socket's chunks are ours
   * once read), then rotates the key to the byte after it.
   */
  private unmask(piece: Buffer): void {
    const key = this.frameKey
    mask(piece, key, piece, 0, piece.length)
    const shift = piece.length & 3
    if (shift !== 0) key.writeUInt32BE(((key.readUInt32BE(0) << (8 * shift)) | (key.readUInt32BE(0) >>> (32 - 8 * shift))) >>> 0)
  }

  /** Consumes header bytes from chunk[offset..]; returns the new offset, or -1 when it needs more. */
  private readHeader(chunk: Buffer, offset: number): number {
    // The usual case, a whole header in this chunk: read where it lies, nothing copied, no view made.
    if (this.header.length === 0 && chunk.length - offset >= 2) {
      const end = offset + headerBytes(chunk[offset + 1])
      if (end <= chunk.length) return this.parseHeader(chunk, offset, end)
    }
    // A header cut between chunks: its bytes are collected first.
    const needed = (h: Buffer) => (h.length < 2 ? 2 : headerBytes(h[1]))
    let header = this.header
    while (header.length < needed(header)) {
      const want = needed(header) - header.length
      const available = chunk.length - offset
      if (available === 0) {
        this.header = header
        return -1
      }
      const take = Math.min(want, available)
      header = Buffer.concat([header, chunk.subarray(offset, offset + take)])
      offset += take
    }
    this.header = EMPTY
    return this.parseHeader(header, 0, header.length) < 0 ? -1 : offset
  }

  /** Acts on the complete header at bytes[at..end); returns `end`, or -1 when the frame is refused. */
  private parseHeader(bytes: Buffer, at: number, end: number): number {
    const b0 = bytes[at]
    const b1 = bytes[at + 1]
    const fin = (b0 & 0x80) !== 0
    const opcode = b0 & 0x0f
    if (b0 & 0x70) return this.protocolError('reserved bits set')
    // RFC 6455 5.1: client frames are masked, server frames are not.
    if (((b1 & 0x80) !== 0) !== this.server) return this.protocolError('incorrect mask flag')
    const len7 = b1 & 0x7f
    let length = len7
    if (len7 === 126) length = bytes.readUInt16BE(at + 2)
    else if (len7 === 127) length = bytes.readUInt32BE(at + 2) * 2 ** 32 + bytes.readUInt32BE(at + 6)
    if (this.server) bytes.copy(this.frameKey, 0, end - 4, end)
    if (length > MAX_FRAME_BYTES) return this.protocolError(`frame of ${length} bytes exceeds the limit`)
    if (opcode >= 0x8) {
      if (!fin || length > 125) return this.protocolError('fragmented or oversized control frame')
    } else if (opcode === OP_CONTINUATION) {
      if (this.messageOpcode === 0) return this.protocolError('continuation without a message')
    } else if (opcode === OP_BINARY || opcode === OP_TEXT) {
      if (this.messageOpcode !== 0) return this.protocolError('new message inside a fragmented one')
      this.messageOpcode = opcode
    } else {
      return this.protocolError(`unknown opcode ${opcode}`)
    }
    if (this.messageOpcode === OP_TEXT && opcode < 0x8) {
      // client-go: `invalid message type received`.
      this.destroy(new WebSocketPipeError('invalid message type received'))
      return -1
    }
    this.opcode = opcode
    this.fin = fin
    this.remaining = length
    this.inPayload = true
    if (length === 0) this.endFrame()
    return end
  }

  private onPayload(piece: Buffer): void {
    if (this.opcode >= 0x8) {
      this.control.push(keepable(piece))
      return
    }
    if (this.sink) this.sink(piece)
    else if (!this.push(keepable(piece))) this.socket.pause()
  }

  private endFrame(): void {
    this.inPayload = false
    const opcode = this.opcode
    if (opcode < 0x8) {
      if (this.fin) this.messageOpcode = 0
      return
    }
    const payload = Buffer.concat(this.control)
    this.control = []
    if (opcode === OP_PING) {
      if (!this.closeSent && !this.socket.destroyed) this.writeFrame(OP_PONG, payload)
    } else if (opcode === OP_CLOSE) {
      this.closeReceived = true
      // A server echoes the peer's status code (RFC 6455 5.5.1; gorilla's default close handler).
      if (!this.closeSent) this.sendClose(this.server ? payload.subarray(0, 2) : undefined)
      else this.socketEnd()
      this.eof()
    }
  }

  private ended = false

  private eof(): void {
    if (this.ended) return
    this.ended = true
    this.push(null)
  }

  protected protocolError(detail: string): number {
    this.destroy(new WebSocketPipeError(`websocket protocol error: ${detail}`))
    return -1
  }
}

/** The length of a frame header whose second byte is `b1` (RFC 6455 5.2: extended length, masking key). */
function headerBytes(b1: number): number {
  const len7 = b1 & 0x7f
  return 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (b1 & 0x80 ? 4 : 0)
}

type MaskFunction = (source: Buffer, mask: Buffer, output: Buffer, offset: number, length: number) => void

/** bufferutil's mask(), when the optional module is installed and loads. */
const nativeMask = loadNativeMask()

function loadNativeMask(): MaskFunction | undefined {
  try {
    const {mask} = createRequire(import.meta.url)('bufferutil') as {mask?: MaskFunction}
    return typeof mask === 'function' ? mask : undefined
  } catch {
    return undefined
  }
}

const keyPool = Buffer.alloc(KEY_POOL_BYTES)
let keyPoolUsed = KEY_POOL_BYTES
/** The key rotated to a chunk's position in the payload (one buffer reused: masking is synchronous). */
const rotatedKey = Buffer.alloc(4)

/** The memory maskedFrame needs for a payload of `length` bytes. */
export function frameMemoryBytes(length: number): number {
  return 2 + (length >= 65_536 ? 8 : length > 125 ? 2 : 0) + 4 + length + 3
}

/**
 * One client frame (FIN set) carrying the chunks in order as its payload: header, a fresh random
 * masking key, and the chunks masked with it, all in one buffer, so that the socket gets a single
 * write and each payload byte is copied once. Built in `memory` when given (at least
 * frameMemoryBytes long; the frame is a view of it), else in memory of its own.
 */
export function maskedFrame(opcode: number, chunks: readonly Buffer[], memory?: Buffer): Buffer {
  let length = 0
  for (const chunk of chunks) length += chunk.length
  const lengthBytes = length >= 65_536 ? 8 : length > 125 ? 2 : 0
  const keyAt = 2 + lengthBytes
  const size = keyAt + 4 + length
  const space = memory ?? Buffer.allocUnsafe(frameMemoryBytes(length))
  // The payload starts on a 4-byte boundary of the memory (the header sits just before it), so
  // that the JavaScript mask works on whole 32-bit words.
  const pad = (4 - ((space.byteOffset + keyAt + 4) & 3)) & 3
  const frame = space.subarray(pad, pad + size)
  frame[0] = 0x80 | opcode
  if (lengthBytes === 8) {
    frame[1] = 0x80 | 127
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2)
    frame.writeUInt32BE(length >>> 0, 6)
  } else if (lengthBytes === 2) {
    frame[1] = 0x80 | 126
    frame.writeUInt16BE(length, 2)
  } else {
    frame[1] = 0x80 | length
  }
  if (keyPoolUsed === KEY_POOL_BYTES) {
    randomFillSync(keyPool)
    keyPoolUsed = 0
  }
  keyPool.copy(frame, keyAt, keyPoolUsed, keyPoolUsed + 4)
  keyPoolUsed += 4
  let at = keyAt + 4
  for (const chunk of chunks) {
    // The payload byte i is masked with key[i % 4]: a chunk that starts at i uses the key rotated by i.
    const shift = (at - keyAt - 4) & 3
    for (let j = 0; j < 4; j++) rotatedKey[j] = frame[keyAt + ((j + shift) & 3)]
    mask(chunk, rotatedKey, frame, at, chunk.length)
    at += chunk.length
  }
  return frame
}

/** The memory plainFrames needs for a payload of `length` bytes. */
export function plainFrameBytes(length: number): number {
  return 10 + length
}

/**
 * One unmasked frame (a server's, FIN set) carrying the chunks in order: header and payload in
 * one buffer, `memory` when given (at least plainFrameBytes long; the frame is a view of it).
 */
export function plainFrames(opcode: number, chunks: readonly Buffer[], length: number, memory?: Buffer): Buffer {
  const space = memory ?? Buffer.allocUnsafe(plainFrameBytes(length))
  let at = writeFrameHeader(space, 0, 0x80 | opcode, length)
  for (const chunk of chunks) at += chunk.copy(space, at)
  return space.subarray(0, at)
}

/** Writes an unmasked frame header (first byte `b0`, payload `length`) at `at`; returns where the payload starts. */
export function writeFrameHeader(out: Buffer, at: number, b0: number, length: number): number {
  out[at] = b0
  if (length >= 65_536) {
    out[at + 1] = 127
    out.writeUInt32BE(Math.floor(length / 2 ** 32), at + 2)
    out.writeUInt32BE(length >>> 0, at + 6)
    return at + 10
  }
  if (length > 125) {
    out[at + 1] = 126
    out.writeUInt16BE(length, at + 2)
    return at + 4
  }
  out[at + 1] = length
  return at + 2
}

/** output[offset + i] = source[i] ^ key[i & 3] for i < length. */
export function mask(source: Buffer, key: Buffer, output: Buffer, offset: number, length: number): void {
  if (nativeMask && length >= NATIVE_MASK_MIN) {
    nativeMask(source, key, output, offset, length)
    return
  }
  maskWords(source, key, output, offset, length)
}

/**
 * The JavaScript mask. From 8 bytes on: the source is copied into place, then masked there 32 bits
 * at a time over the aligned part of the output, so the source's alignment does not matter.
 */
export function maskWords(source: Buffer, key: Buffer, output: Buffer, offset: number, length: number): void {
  if (length < 8) {
    for (let i = 0; i < length; i++) output[offset + i] = source[i] ^ key[i & 3]
    return
  }
  source.copy(output, offset, 0, length)
  const start = output.byteOffset + offset
  const head = (4 - (start & 3)) & 3
  const words = (length - head) >>> 2
  for (let i = 0; i < head; i++) output[offset + i] ^= key[i & 3]
  // The key as the word that covers payload bytes head..head+3, in the machine's byte order.
  for (let j = 0; j < 4; j++) keyBytes[j] = key[(head + j) & 3]
  const word = keyWord[0]
  const view = new Int32Array(output.buffer, start + head, words)
  for (let w = 0; w < words; w++) view[w] ^= word
  for (let i = head + words * 4; i < length; i++) output[offset + i] ^= key[i & 3]
}

const keyBytes = new Uint8Array(4)
const keyWord = new Int32Array(keyBytes.buffer)
