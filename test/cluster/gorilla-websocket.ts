// The API server's end of a KEP-4006 tunnel (`SPDY/3.1+portforward.k8s.io`), as kube-apiserver
// serves it: k8s.io/apiserver pkg/util/proxy/streamtunnel.go (tunnelingWebsocketUpgraderConn
// InitializeWrite) upgrades with a gorilla/websocket Upgrader{CheckOrigin: always, Subprotocols:
// the one chosen} and wraps the connection in client-go's TunnelingConnection("server", conn)
// (tools/portforward/tunneling_connection.go). gorilla/websocket v1.5.4 (the version kubernetes
// 1.35 pins), server.go and conn.go:
//
// - Handshake (Upgrader.Upgrade): `Connection` must hold `upgrade` (400), `Upgrade` must hold
//   `websocket` (426, with `Upgrade: websocket`), GET only (405), `Sec-Websocket-Version: 13`
//   (400), a Sec-WebSocket-Key that is base64 of 16 bytes (400); each refusal is http.Error's
//   status text with `Sec-Websocket-Version: 13`. The 101 carries Upgrade, Connection,
//   Sec-WebSocket-Accept and the subprotocol, nothing else.
// - Reading (Conn.advanceFrame): client frames must be masked; they are unmasked as read and the
//   message is read as a stream (TunnelingConnection.Read loops over NextReader: no message is put
//   together first). A ping is answered with a pong of its payload, a close frame with a close
//   frame carrying its status code, and reading ends (EOF for 1000). A text message ends the
//   tunnel (`invalid message type received`).
// - Writing (TunnelingConnection.Write: NextWriter, Write, Close): each write is one message. The
//   connection's write buffer is 4096 bytes plus 14 for a header (Upgrade finds no spare bytes in
//   the hijacked writer: AvailableBuffer is empty, so newConn makes its own): a message of more
//   than 8220 bytes goes out unbuffered as one frame without FIN, then an empty continuation frame
//   with FIN (messageWriter.Write, then Close); a smaller one is copied into the buffer and goes
//   out in frames of 4096 payload bytes, the last with FIN (messageWriter.ncopy, flushFrame).
//   Each frame is a conn.Write (Conn.write), the unbuffered one two (Conn.writeBufs: net.Buffers
//   on a tls.Conn, which has no writev: its header, then its payload), and on a tls.Conn each
//   Write is a TLS record: WritesInTurn (go-writes.ts) keeps them apart as Node would not. So a
//   16 KiB message reaches the client as three records: 4 bytes, 16 KiB, 2 bytes.
//
// A frame's payload is unmasked where the socket delivered it and pushed on as it arrives
// (src/portforward/ws-pipe.ts, in its server role). What the SPDY session writes reaches this
// tunnel cut as the API server reads it from the kubelet (KubeletWrites, go-writes.ts).

import {createHash} from 'node:crypto'
import type {IncomingMessage} from 'node:http'
import type {Duplex} from 'node:stream'

import {WebSocketPipe, writeFrameHeader} from '../../src/portforward/ws-pipe.ts'
import {WritesInTurn} from './go-writes.ts'

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'
/** gorilla's defaultWriteBufferSize: the payload bytes one buffered frame holds. */
const WRITE_BUFFER = 4096
/** gorilla's maxFrameHeaderSize, which newConn adds to the write buffer. */
const MAX_FRAME_HEADER = 14
/** Above this, a server's message is written unbuffered (messageWriter.Write: 2 * len(writeBuf)). */
const UNBUFFERED_ABOVE = 2 * (WRITE_BUFFER + MAX_FRAME_HEADER)
const OP_CONTINUATION = 0x0
const OP_BINARY = 0x2
const FIN = 0x80
/** The frame messageWriter.Close adds after an unbuffered message: a continuation with FIN and nothing in it. */
const EMPTY_FIN = Buffer.from([FIN | OP_CONTINUATION, 0])

const STATUS_TEXT: Record<number, string> = {400: 'Bad Request', 405: 'Method Not Allowed', 426: 'Upgrade Required'}

/** True when a comma-separated header holds `token` (gorilla's tokenListContainsValue, case-insensitive). */
function hasToken(req: IncomingMessage, name: string, token: string): boolean {
  const values: string[] = []
  for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i].toLowerCase() === name) values.push(req.rawHeaders[i + 1])
  return values.some(v => v.split(',').some(t => t.trim().toLowerCase() === token))
}

/** gorilla's isValidChallengeKey: base64 of exactly 16 bytes. */
function validKey(key: string | undefined): key is string {
  if (!key || !/^[A-Za-z0-9+/]*={0,2}$/.test(key) || key.length % 4 !== 0) return false
  return Buffer.from(key, 'base64').length === 16
}

/**
 * Upgrader.Upgrade for the tunnel: answers with the 101 and returns the tunnel as a byte pipe, or
 * writes gorilla's refusal and returns undefined.
 */
export function gorillaUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, subprotocol: string): Duplex | undefined {
  const refuse = (code: number, extra = ''): undefined => {
    const text = STATUS_TEXT[code]
    // http.Error: the status text and a newline, as text/plain, nosniff.
    socket.end(
      `HTTP/1.1 ${code} ${text}\r\n${extra}Content-Type: text/plain; charset=utf-8\r\nSec-Websocket-Version: 13\r\n` +
        `X-Content-Type-Options: nosniff\r\nDate: ${new Date().toUTCString()}\r\nContent-Length: ${text.length + 1}\r\nConnection: close\r\n\r\n${text}\n`,
    )
    return undefined
  }
  if (!hasToken(req, 'connection', 'upgrade')) return refuse(400)
  if (!hasToken(req, 'upgrade', 'websocket')) return refuse(426, 'Upgrade: websocket\r\n')
  if (req.method !== 'GET') return refuse(405)
  if (!hasToken(req, 'sec-websocket-version', '13')) return refuse(400)
  const key = req.headers['sec-websocket-key']
  if (!validKey(key)) return refuse(400)
  const accept = createHash('sha1').update(`${key}${GUID}`).digest('base64')
  const response = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: ${subprotocol}\r\n\r\n`
  return new GorillaTunnel(socket, head, Buffer.from(response))
}

/**
 * TunnelingConnection over a gorilla server connection: WebSocketPipe's server role, each write a
 * message of its own, framed as gorilla frames it, each of its socket writes a TLS record.
 */
class GorillaTunnel extends WebSocketPipe {
  private readonly writes: WritesInTurn

  constructor(socket: Duplex, head: Buffer, response: Buffer) {
    super(socket, Buffer.alloc(0), {role: 'server'})
    this.writes = new WritesInTurn(socket)
    // The 101 first (Upgrade flushes it with a Write of its own), then what came with the request.
    this.writes.write(response)
    if (head.length > 0) this.onBytes(head)
  }

  protected override socketWrite(data: Buffer, callback?: (error?: Error | null) => void): void {
    this.writes.write(data, callback)
  }

  protected override socketEnd(): void {
    this.writes.end()
  }

  /** TunnelingConnection.Write per chunk: NextWriter, Write, Close. */
  protected override writeData(chunks: Buffer[], callback: (error?: Error | null) => void): void {
    for (let i = 0; i < chunks.length; i++) this.message(chunks[i], i === chunks.length - 1 ? callback : undefined)
  }

  private message(payload: Buffer, callback?: (error?: Error | null) => void): void {
    const length = payload.length
    if (length > UNBUFFERED_ABOVE) {
      // flushFrame(false, p): the header from writeBuf and p through writeBufs (net.Buffers on a
      // tls.Conn: a Write each), then Close's flushFrame(true): an empty continuation with FIN.
      const header = Buffer.allocUnsafe(length >= 65_536 ? 10 : 4)
      writeFrameHeader(header, 0, OP_BINARY, length)
      this.socketWrite(header)
      this.socketWrite(payload)
      this.socketWrite(EMPTY_FIN, callback)
      return
    }
    // Copied into the 4096-byte buffer; each full buffer is flushed as a frame (ncopy), the last at
    // Close with FIN: a Write per frame.
    let from = 0
    do {
      const piece = Math.min(WRITE_BUFFER, length - from)
      const last = from + piece === length
      const frame = Buffer.allocUnsafe(4 + piece)
      const at = writeFrameHeader(frame, 0, (last ? FIN : 0) | (from === 0 ? OP_BINARY : OP_CONTINUATION), piece)
      payload.copy(frame, at, from, from + piece)
      this.socketWrite(frame.subarray(0, at + piece), last ? callback : undefined)
      from += piece
    } while (from < length)
  }
}
