// The server side of golang.org/x/net/websocket as the kubelet's CRI streaming server uses it
// (through k8s.io/apimachinery wsstream.Conn), for the local cluster's v4 port-forward route:
//
// - Handshake (hybi.go hybiServerHandshaker.ReadHandshake / AcceptHandshake, server.go newServerConn):
//   GET only (405 `bad method`), `Upgrade: websocket` and `Connection: upgrade` (400 `not websocket
//   protocol`), a Sec-WebSocket-Key (400 `mismatch challenge/response`), version 13 (400 with a
//   Sec-WebSocket-Version header, `missing or bad WebSocket Version`); the 101 carries Upgrade,
//   Connection, Sec-WebSocket-Accept and the chosen subprotocol, nothing else.
// - Reading (websocket.go Codec.Receive, hybi.go hybiFrameHandler.HandleFrame): ONE FRAME is one
//   message. A fragmented message is not put back together: each continuation frame is handed on as
//   a message of its own, with the first frame's type. An unmasked client frame gets a close frame
//   (1002) and ends the connection; a ping is answered with a pong of the same payload; pongs are
//   dropped; a close frame ends the connection; a frame above 32 MiB (DefaultMaxPayloadBytes) is an
//   error that ends the read loop.
// - Writing: each send is one unmasked, unfragmented frame (binary, or text for the base64 protocol).
// - Close (websocket.go Conn.Close): a close frame with 1000, then the TCP connection is closed.

import {createHash} from 'node:crypto'
import {EventEmitter} from 'node:events'
import type {IncomingMessage} from 'node:http'
import type {Duplex} from 'node:stream'

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'
const MAX_PAYLOAD_BYTES = 32 << 20

/**
 * Checks the handshake as ReadHandshake does; writes the refusal and returns false when it fails.
 */
export function xnetHandshakeOk(req: IncomingMessage, socket: Duplex): boolean {
  const refuse = (code: number, text: string, body: string, extra = ''): false => {
    socket.end(`HTTP/1.1 ${code} ${text}\r\n${extra}\r\n${body}`)
    return false
  }
  if (req.method !== 'GET') return refuse(405, 'Method Not Allowed', 'bad method')
  const upgrade = String(req.headers.upgrade ?? '').toLowerCase()
  const connection = String(req.headers.connection ?? '').toLowerCase()
  if (upgrade !== 'websocket' || !connection.includes('upgrade')) return refuse(400, 'Bad Request', 'not websocket protocol')
  if (!req.headers['sec-websocket-key']) return refuse(400, 'Bad Request', 'mismatch challenge/response')
  if (req.headers['sec-websocket-version'] !== '13') return refuse(400, 'Bad Request', 'missing or bad WebSocket Version', 'Sec-WebSocket-Version: 13\r\n')
  return true
}

/** The subset of the `ws` WebSocket API that the port-forward session uses, over x/net's behaviour. */
export class XnetWebSocket extends EventEmitter {
  readonly OPEN = 1
  readyState = 1
  private readonly socket: Duplex
  private readonly binary: boolean
  private buffer: Buffer = Buffer.alloc(0)
  /** The type of the message a continuation frame continues (hybiFrameHandler.payloadType). */
  private payloadType = 2
  private paused = false

  /** Accepts the upgrade (AcceptHandshake) and starts reading frames. */
  constructor(req: IncomingMessage, socket: Duplex, head: Buffer, protocol: string) {
    super()
    this.socket = socket
    this.binary = protocol !== 'v4.base64.channel.k8s.io'
    const accept = createHash('sha1').update(`${String(req.headers['sec-websocket-key'])}${GUID}`).digest('base64')
    const lines = ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${accept}`]
    if (protocol) lines.push(`Sec-WebSocket-Protocol: ${protocol}`)
    socket.write(`${lines.join('\r\n')}\r\n\r\n`)
    // As x/net (and ws) do: no Nagle delay on a stream of small frames.
    ;(socket as Duplex & {setNoDelay?: (noDelay: boolean) => void}).setNoDelay?.(true)
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('error', () => socket.destroy())
    socket.on('close', () => {
      if (this.readyState === 3) return
      this.readyState = 3
      this.emit('close')
    })
    if (head.length > 0) this.onData(head)
  }

  get isPaused(): boolean {
    return this.paused
  }

  pause(): void {
    this.paused = true
    this.socket.pause()
  }

  resume(): void {
    this.paused = false
    this.socket.resume()
    this.readFrames()
  }

  /** One frame per call; `sent` runs once the socket took it. */
  send(data: Buffer | string, sent?: (error?: Error) => void): void {
    if (this.readyState !== 1) {
      sent?.(new Error('not open'))
      return
    }
    const payload = typeof data === 'string' ? Buffer.from(data, 'latin1') : data
    // Header and payload as two writes, so the payload is not copied.
    this.socket.cork()
    this.socket.write(frameHeader(typeof data === 'string' || !this.binary ? 1 : 2, payload.length))
    this.socket.write(payload, error => sent?.(error ?? undefined))
    this.socket.uncork()
  }

  /** Conn.Close: a close frame with the status, then the connection ends. */
  close(code = 1000): void {
    if (this.readyState !== 1) return
    this.readyState = 2
    const status = Buffer.alloc(2)
    status.writeUInt16BE(code)
    this.socket.end(frame(8, status))
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk])
    this.readFrames()
  }

  /** Hands on every complete frame, while open and not paused. */
  private readFrames(): void {
    while (this.readyState === 1 && !this.paused) {
      const parsed = parseFrame(this.buffer)
      if (parsed === undefined) return
      if (parsed === 'too-large') {
        // ErrFrameTooLarge ends wsstream's read loop, which closes the connection.
        this.close(1000)
        return
      }
      this.buffer = this.buffer.subarray(parsed.length)
      if (!parsed.masked) {
        this.close(1002)
        return
      }
      this.handleFrame(parsed.opcode, parsed.payload)
    }
  }

  private handleFrame(opcode: number, payload: Buffer): void {
    switch (opcode) {
      case 0:
        this.emit('message', payload, this.payloadType === 1)
        return
      case 1:
      case 2:
        this.payloadType = opcode
        this.emit('message', payload, opcode === 1)
        return
      case 8:
        this.close(1000)
        return
      case 9:
        this.socket.write(frame(10, payload.subarray(0, 125)))
        return
      default:
        // Pongs and unknown opcodes carry nothing for the session.
    }
  }
}

/** A final, unmasked frame's header (hybiFrameWriter). */
function frameHeader(opcode: number, length: number): Buffer {
  if (length < 126) return Buffer.of(0x80 | opcode, length)
  if (length < 65536) {
    const header = Buffer.alloc(4)
    header[0] = 0x80 | opcode
    header[1] = 126
    header.writeUInt16BE(length, 2)
    return header
  }
  const header = Buffer.alloc(10)
  header[0] = 0x80 | opcode
  header[1] = 127
  header.writeBigUInt64BE(BigInt(length), 2)
  return header
}

function frame(opcode: number, payload: Buffer): Buffer {
  return Buffer.concat([frameHeader(opcode, payload.length), payload])
}

/** One frame from the front of `data`: undefined until it is complete. */
function parseFrame(data: Buffer): {length: number; masked: boolean; opcode: number; payload: Buffer} | 'too-large' | undefined {
  if (data.length < 2) return undefined
  const opcode = data[0] & 0x0f
  const masked = (data[1] & 0x80) !== 0
  let length = data[1] & 0x7f
  let offset = 2
  if (length === 126) {
    if (data.length < 4) return undefined
    length = data.readUInt16BE(2)
    offset = 4
  } else if (length === 127) {
    if (data.length < 10) return undefined
    const big = data.readBigUInt64BE(2)
    if (big > BigInt(MAX_PAYLOAD_BYTES)) return 'too-large'
    length = Number(big)
    offset = 10
  }
  if (length > MAX_PAYLOAD_BYTES) return 'too-large'
  const maskOffset = offset
  if (masked) offset += 4
  if (data.length < offset + length) return undefined
  const payload = Buffer.from(data.subarray(offset, offset + length))
  if (masked) {
    const mask = data.subarray(maskOffset, maskOffset + 4)
    if (mask.readUInt32BE(0) !== 0) for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3]
  }
  return {length: offset + length, masked, opcode, payload}
}
