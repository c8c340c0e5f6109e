// SPDY/3.1 frame layout: encoding and an incremental parser. Pure and synchronous; header blocks
// stay compressed here (see headers.ts for the zlib contexts).
//
// Control frame: 1 bit 1 | 15 bits version (3) | 16 bits type | 8 bits flags | 24 bits length | payload
// Data frame:    1 bit 0 | 31 bits stream id   | 8 bits flags | 24 bits length | data
// All integers are big-endian.

export const SPDY_VERSION = 3

export const FrameType = {
  SYN_STREAM: 1,
  SYN_REPLY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  HEADERS: 8,
  WINDOW_UPDATE: 9,
} as const

/** FLAG_FIN on DATA, SYN_STREAM, SYN_REPLY and HEADERS. */
export const FLAG_FIN = 0x01
/** FLAG_UNIDIRECTIONAL on SYN_STREAM. */
export const FLAG_UNIDIRECTIONAL = 0x02
/** FLAG_SETTINGS_CLEAR_SETTINGS on SETTINGS. */
export const FLAG_SETTINGS_CLEAR = 0x01

/** RST_STREAM status codes. */
export const RstStatus = {
  PROTOCOL_ERROR: 1,
  INVALID_STREAM: 2,
  REFUSED_STREAM: 3,
  UNSUPPORTED_VERSION: 4,
  CANCEL: 5,
  INTERNAL_ERROR: 6,
  FLOW_CONTROL_ERROR: 7,
  STREAM_IN_USE: 8,
  STREAM_ALREADY_CLOSED: 9,
  FRAME_TOO_LARGE: 11,
} as const

/** GOAWAY status codes. */
export const GoAwayStatus = {OK: 0, PROTOCOL_ERROR: 1, INTERNAL_ERROR: 2} as const

export const MAX_STREAM_ID = 0x7fffffff
/** A frame's length field is 24 bits. */
export const MAX_FRAME_PAYLOAD = 0xffffff

export interface DataFrame {type: 'data'; streamId: number; fin: boolean; data: Buffer}
export interface SynStreamFrame {
  type: 'syn_stream'
  streamId: number
  associatedId: number
  /** 0 (highest) .. 7 */
  priority: number
  slot: number
  fin: boolean
  unidirectional: boolean
  /** Compressed header block. */
  headerBlock: Buffer
}
export interface SynReplyFrame {type: 'syn_reply'; streamId: number; fin: boolean; headerBlock: Buffer}
export interface RstStreamFrame {type: 'rst_stream'; streamId: number; status: number}
export interface SettingsEntry {id: number; flags: number; value: number}
export interface SettingsFrame {type: 'settings'; clear: boolean; entries: SettingsEntry[]}
export interface PingFrame {type: 'ping'; id: number}
export interface GoAwayFrame {type: 'goaway'; lastGoodStreamId: number; status: number}
export interface HeadersFrame {type: 'headers'; streamId: number; fin: boolean; headerBlock: Buffer}
export interface WindowUpdateFrame {type: 'window_update'; streamId: number; delta: number}
/** A control frame of a type this module does not know (the spec says: ignore it). */
export interface UnknownFrame {type: 'unknown'; frameType: number; flags: number; payload: Buffer}

export type Frame =
  | DataFrame
  | SynStreamFrame
  | SynReplyFrame
  | RstStreamFrame
  | SettingsFrame
  | PingFrame
  | GoAwayFrame
  | HeadersFrame
  | WindowUpdateFrame
  | UnknownFrame

export class FrameError extends Error {}

// Frames are built in memory from Node's Buffer pool (Buffer.allocUnsafe: a slice of a shared 8 KiB
// block for small sizes) with every byte written, not in zero-filled Buffer.alloc memory: each
// Buffer.alloc is an ArrayBuffer of its own (an allocation, a backing store for the collector to
// sweep), and a connection's frames and header blocks used to take about thirty of them.

/**
 * A control frame whose 8-byte header is written and whose `payloadLength` bytes after it are the
 * caller's to write, all of them (the memory is not zeroed).
 */
function controlFrame(type: number, flags: number, payloadLength: number): Buffer {
  if (payloadLength > MAX_FRAME_PAYLOAD) throw new FrameError(`control frame payload of ${payloadLength} bytes is too large`)
  const frame = Buffer.allocUnsafe(8 + payloadLength)
  frame.writeUInt16BE(0x8000 | SPDY_VERSION, 0)
  frame.writeUInt16BE(type, 2)
  frame.writeUInt32BE(payloadLength, 4)
  frame[4] = flags
  return frame
}

/** A control frame whose payload is `values` as 32-bit words. */
function wordsFrame(type: number, flags: number, ...values: number[]): Buffer {
  const frame = controlFrame(type, flags, values.length * 4)
  for (let i = 0; i < values.length; i++) frame.writeUInt32BE(values[i] >>> 0, 8 + i * 4)
  return frame
}

/** A control frame whose payload is `fixed` bytes for the caller to write (from offset 8), then `block`. */
function blockFrame(type: number, flags: number, fixed: number, block: Buffer): Buffer {
  const frame = controlFrame(type, flags, fixed + block.length)
  block.copy(frame, 8 + fixed)
  return frame
}

function checkStreamId(id: number, allowZero = false): void {
  if (!Number.isInteger(id) || id < (allowZero ? 0 : 1) || id > MAX_STREAM_ID) throw new FrameError(`invalid stream id ${id}`)
}

/** The header (8 bytes) of a DATA frame; send it followed by `length` bytes of data. */
export function dataFrameHeader(streamId: number, length: number, fin: boolean): Buffer {
  checkStreamId(streamId)
  if (length > MAX_FRAME_PAYLOAD) throw new FrameError(`data frame of ${length} bytes is too large`)
  const head = Buffer.allocUnsafe(8)
  head.writeUInt32BE(streamId, 0)
  head.writeUInt32BE(length, 4)
  head[4] = fin ? FLAG_FIN : 0
  return head
}

/** Encodes one frame. Header-carrying frames take their block already compressed. */
export function encodeFrame(frame: Frame): Buffer {
  switch (frame.type) {
    case 'data':
      return Buffer.concat([dataFrameHeader(frame.streamId, frame.data.length, frame.fin), frame.data])
    case 'syn_stream': {
      checkStreamId(frame.streamId)
      checkStreamId(frame.associatedId, true)
      if (frame.priority < 0 || frame.priority > 7) throw new FrameError(`invalid priority ${frame.priority}`)
      const flags = (frame.fin ? FLAG_FIN : 0) | (frame.unidirectional ? FLAG_UNIDIRECTIONAL : 0)
      const out = blockFrame(FrameType.SYN_STREAM, flags, 10, frame.headerBlock)
      out.writeUInt32BE(frame.streamId, 8)
      out.writeUInt32BE(frame.associatedId, 12)
      out[16] = frame.priority << 5
      out[17] = frame.slot
      return out
    }
    case 'syn_reply':
    case 'headers': {
      checkStreamId(frame.streamId)
      const type = frame.type === 'syn_reply' ? FrameType.SYN_REPLY : FrameType.HEADERS
      const out = blockFrame(type, frame.fin ? FLAG_FIN : 0, 4, frame.headerBlock)
      out.writeUInt32BE(frame.streamId, 8)
      return out
    }
    case 'rst_stream':
      checkStreamId(frame.streamId)
      return wordsFrame(FrameType.RST_STREAM, 0, frame.streamId, frame.status)
    case 'settings': {
      const body = controlFrame(FrameType.SETTINGS, frame.clear ? FLAG_SETTINGS_CLEAR : 0, 4 + 8 * frame.entries.length)
      body.writeUInt32BE(frame.entries.length, 8)
      frame.entries.forEach((e, i) => {
        // ID/flags word: 8 bits flags then 24 bits id.
        body.writeUInt32BE(((e.flags & 0xff) << 24 | (e.id & 0xffffff)) >>> 0, 12 + i * 8)
        body.writeUInt32BE(e.value >>> 0, 16 + i * 8)
      })
      return body
    }
    case 'ping':
      return wordsFrame(FrameType.PING, 0, frame.id)
    case 'goaway':
      checkStreamId(frame.lastGoodStreamId, true)
      return wordsFrame(FrameType.GOAWAY, 0, frame.lastGoodStreamId, frame.status)
    case 'window_update':
      checkStreamId(frame.streamId, true)
      return wordsFrame(FrameType.WINDOW_UPDATE, 0, frame.streamId, frame.delta & 0x7fffffff)
    case 'unknown': {
      const out = controlFrame(frame.frameType, frame.flags, frame.payload.length)
      frame.payload.copy(out, 8)
      return out
    }
  }
}

function need(payload: Buffer, n: number, what: string): void {
  if (payload.length < n) throw new FrameError(`${what} frame too short: ${payload.length} bytes`)
}

/** Decodes the payload of one control frame (version already checked). */
export function decodeControlFrame(type: number, flags: number, payload: Buffer): Frame {
  const id31 = (at: number) => payload.readUInt32BE(at) & 0x7fffffff
  switch (type) {
    case FrameType.SYN_STREAM:
      need(payload, 10, 'SYN_STREAM')
      return {
        type: 'syn_stream',
        streamId: id31(0),
        associatedId: id31(4),
        priority: payload[8] >> 5,
        slot: payload[9],
        fin: (flags & FLAG_FIN) !== 0,
        unidirectional: (flags & FLAG_UNIDIRECTIONAL) !== 0,
        headerBlock: payload.subarray(10),
      }
    case FrameType.SYN_REPLY:
      need(payload, 4, 'SYN_REPLY')
      return {type: 'syn_reply', streamId: id31(0), fin: (flags & FLAG_FIN) !== 0, headerBlock: payload.subarray(4)}
    case FrameType.HEADERS:
      need(payload, 4, 'HEADERS')
      return {type: 'headers', streamId: id31(0), fin: (flags & FLAG_FIN) !== 0, headerBlock: payload.subarray(4)}
    case FrameType.RST_STREAM:
      need(payload, 8, 'RST_STREAM')
      return {type: 'rst_stream', streamId: id31(0), status: payload.readUInt32BE(4)}
    case FrameType.SETTINGS: {
      need(payload, 4, 'SETTINGS')
      const count = payload.readUInt32BE(0)
      if (payload.length !== 4 + count * 8) throw new FrameError(`SETTINGS frame with ${count} entries has ${payload.length} bytes`)
      const entries: SettingsEntry[] = []
      for (let i = 0; i < count; i++) {
        const word = payload.readUInt32BE(4 + i * 8)
        entries.push({flags: word >>> 24, id: word & 0xffffff, value: payload.readUInt32BE(8 + i * 8)})
      }
      return {type: 'settings', clear: (flags & FLAG_SETTINGS_CLEAR) !== 0, entries}
    }
    case FrameType.PING:
      need(payload, 4, 'PING')
      return {type: 'ping', id: payload.readUInt32BE(0)}
    case FrameType.GOAWAY:
      // SPDY/2 GOAWAY had no status; accept a missing one as OK.
      need(payload, 4, 'GOAWAY')
      return {type: 'goaway', lastGoodStreamId: id31(0), status: payload.length >= 8 ? payload.readUInt32BE(4) : 0}
    case FrameType.WINDOW_UPDATE:
      need(payload, 8, 'WINDOW_UPDATE')
      return {type: 'window_update', streamId: id31(0), delta: id31(4)}
    default:
      return {type: 'unknown', frameType: type, flags, payload}
  }
}

/**
 * A piece to keep beyond the call that received it: the piece itself, or a copy in memory of its
 * own when it is under a quarter of the memory it is a view of. A session's socket (the tunnel's,
 * plain SPDY's) is read into 20 KiB slabs (portforward/direct-read.ts SLAB_BYTES) and a slab lives
 * while any view of it does, so a 100-byte piece held by a stalled connection would keep 20 KiB.
 * Every place that keeps a piece (a readable buffer under backpressure, and so the local socket's
 * write queue; a frame cut between reads; a frame waiting in the session's inbox) keeps it through
 * here; the bound that follows: the memory kept pins at most four times its own size. The large
 * pieces of a flowing download (a TLS record of up to 16 KiB, most of a slab) are kept as they
 * are; only small ones are copied.
 */
export function keepable(piece: Buffer): Buffer {
  if (piece.length * 4 >= piece.buffer.byteLength) return piece
  const own = Buffer.allocUnsafeSlow(piece.length)
  piece.copy(own)
  return own
}

/**
 * Incremental frame parser over a byte stream that arrives in arbitrary pieces (a TCP socket, or
 * the messages of a KEP-4006 WebSocket tunnel, where one frame often spans several messages).
 * Holds at most one incomplete frame, bounded by `maxPayload`.
 *
 * With `streamData`, a DATA frame's payload is not held: it is returned as it arrives, as DATA
 * frames of the same stream carrying the pieces (views of the bytes pushed, no copy), the last one
 * with the frame's FIN (an empty one when the FIN comes after the last piece was returned). A byte
 * stream reads the same; only the frame boundaries differ. Only frame headers and control frames
 * are then held.
 */
export class FrameParser {
  private chunks: Buffer[] = []
  private buffered = 0
  private readonly maxPayload: number
  private readonly streamData: boolean
  /** While streaming a DATA frame's payload: its bytes not yet returned, its stream and FIN. */
  private dataLeft = 0
  private dataStreamId = 0
  private dataFin = false

  constructor(options: {maxPayload?: number; streamData?: boolean} = {}) {
    this.maxPayload = options.maxPayload ?? MAX_FRAME_PAYLOAD
    this.streamData = options.streamData ?? false
  }

  /** Bytes held that do not yet form a whole frame. */
  get pending(): number {
    return this.buffered
  }

  /** Feeds bytes; returns every frame completed by them, in order. Throws FrameError on garbage. */
  push(chunk: Buffer): Frame[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk)
      this.buffered += chunk.length
    }
    const frames: Frame[] = []
    if (this.dataLeft > 0) this.streamPayload(frames)
    while (this.dataLeft === 0 && this.buffered >= 8) {
      const head = this.peek(8)
      const length = head.readUInt32BE(4) & 0xffffff
      if (length > this.maxPayload) throw new FrameError(`frame of ${length} bytes exceeds the limit of ${this.maxPayload}`)
      if (this.streamData && !(head[0] & 0x80)) {
        const streamId = head.readUInt32BE(0) & 0x7fffffff
        if (streamId === 0) throw new FrameError('data frame on stream 0')
        const fin = (head[4] & FLAG_FIN) !== 0
        this.take(8)
        if (length === 0) {
          frames.push({type: 'data', streamId, fin, data: Buffer.alloc(0)})
          continue
        }
        this.dataLeft = length
        this.dataStreamId = streamId
        this.dataFin = fin
        this.streamPayload(frames)
        continue
      }
      if (this.buffered < 8 + length) break
      const whole = this.take(8 + length)
      const payload = whole.subarray(8)
      const flags = whole[4]
      if (whole[0] & 0x80) {
        const version = whole.readUInt16BE(0) & 0x7fff
        if (version !== SPDY_VERSION) throw new FrameError(`unsupported SPDY version ${version}`)
        frames.push(decodeControlFrame(whole.readUInt16BE(2), flags, payload))
      } else {
        const streamId = whole.readUInt32BE(0) & 0x7fffffff
        if (streamId === 0) throw new FrameError('data frame on stream 0')
        frames.push({type: 'data', streamId, fin: (flags & FLAG_FIN) !== 0, data: payload})
      }
    }
    // What is left (part of a frame) waits for the next read.
    for (let i = 0; i < this.chunks.length; i++) this.chunks[i] = keepable(this.chunks[i])
    return frames
  }

  /** Returns what has arrived of the current DATA payload, in the pieces it arrived in. */
  private streamPayload(frames: Frame[]): void {
    let last: DataFrame | undefined
    while (this.dataLeft > 0 && this.buffered > 0) {
      const first = this.chunks[0]
      const piece = first.length <= this.dataLeft ? first : first.subarray(0, this.dataLeft)
      if (piece === first) this.chunks.shift()
      else this.chunks[0] = first.subarray(piece.length)
      this.buffered -= piece.length
      this.dataLeft -= piece.length
      last = {type: 'data', streamId: this.dataStreamId, fin: false, data: piece}
      frames.push(last)
    }
    if (this.dataLeft > 0 || !this.dataFin) return
    if (last) last.fin = true
    else frames.push({type: 'data', streamId: this.dataStreamId, fin: true, data: Buffer.alloc(0)})
  }

  private peek(n: number): Buffer {
    if (this.chunks[0].length >= n) return this.chunks[0].subarray(0, n)
    const joined = Buffer.concat(this.chunks)
    this.chunks = [joined]
    return joined.subarray(0, n)
  }

  private take(n: number): Buffer {
    let out: Buffer
    if (this.chunks[0].length >= n) {
      out = this.chunks[0].subarray(0, n)
      if (this.chunks[0].length === n) this.chunks.shift()
      else this.chunks[0] = this.chunks[0].subarray(n)
    } else {
      const joined = Buffer.concat(this.chunks)
      out = joined.subarray(0, n)
      this.chunks = joined.length > n ? [joined.subarray(n)] : []
    }
    this.buffered -= n
    return out
  }
}
