// The v4 channel codec of pods/portforward (kubelet websocket.go + apimachinery wsstream), pure.
//
// Binary (`v4.channel.k8s.io`): every WebSocket message is [channel byte] ++ payload.
// Base64 (`v4.base64.channel.k8s.io`): every message is a text frame, String.fromCharCode(48 + channel)
// followed by the payload in standard padded base64.
// For port index i, channel 2i carries data and 2i+1 errors (server to client only). The first two
// payload bytes on every channel are the port, uint16 little-endian; they may arrive split over
// several messages, which PortPrefix handles. Channel 255 is reserved by wsstream, so one WebSocket
// carries 127 ports at most.

/** Largest payload one message carries; longer writes are split (the kubelet reads whole messages). */
export const MAX_FRAME_PAYLOAD = 64 * 1024

export function dataChannel(portIndex: number): number {
  return portIndex * 2
}

export function errorChannel(portIndex: number): number {
  return portIndex * 2 + 1
}

/** A decoded message: the channel and its payload (a view into the message, not a copy). */
export interface Frame {
  channel: number
  payload: Buffer
}

/** [channel] ++ payload as one new Buffer (the one copy the binary protocol needs). */
export function encodeBinaryFrame(channel: number, payload: Uint8Array): Buffer {
  checkChannel(channel)
  const frame = Buffer.allocUnsafe(payload.length + 1)
  frame[0] = channel
  frame.set(payload, 1)
  return frame
}

/** Splits a binary message; undefined for an empty message (the kubelet ignores those). */
export function decodeBinaryFrame(message: Buffer): Frame | undefined {
  if (message.length === 0) return undefined
  return {channel: message[0], payload: message.subarray(1)}
}

/** '0' + channel, then standard padded base64 of the payload. */
export function encodeBase64Frame(channel: number, payload: Uint8Array): string {
  checkChannel(channel)
  if (channel > 255 - 48) throw new RangeError(`channel ${channel} cannot be encoded in the base64 protocol`)
  const data = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.length)
  return String.fromCharCode(48 + channel) + data.toString('base64')
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/**
 * Decodes a base64-protocol message; undefined for an empty one. Throws on a channel character
 * below '0' or on invalid base64 (Go's base64.StdEncoding is strict; Node's decoder is not).
 */
export function decodeBase64Frame(message: Buffer | string): Frame | undefined {
  const text = typeof message === 'string' ? message : message.toString('latin1')
  if (text.length === 0) return undefined
  const channel = text.charCodeAt(0) - 48
  if (channel < 0 || channel > 255) throw new RangeError(`invalid channel character ${JSON.stringify(text[0])}`)
  const body = text.slice(1)
  if (!BASE64.test(body)) throw new RangeError(`invalid base64 payload on channel ${channel}`)
  return {channel, payload: Buffer.from(body, 'base64')}
}

/**
 * Strips the port prefix from the start of one channel, however the server split it over
 * messages. Feed every payload of the channel through strip(); it returns what follows the prefix.
 */
export class PortPrefix {
  private bytes = Buffer.alloc(2)
  private have = 0

  /** The port once both bytes have arrived. */
  get port(): number | undefined {
    return this.have === 2 ? this.bytes.readUInt16LE(0) : undefined
  }

  get complete(): boolean {
    return this.have === 2
  }

  strip(payload: Buffer): Buffer {
    if (this.have === 2) return payload
    const take = Math.min(2 - this.have, payload.length)
    payload.copy(this.bytes, this.have, 0, take)
    this.have += take
    return payload.subarray(take)
  }
}

function checkChannel(channel: number): void {
  if (!Number.isInteger(channel) || channel < 0 || channel > 254) throw new RangeError(`invalid channel ${channel}`)
}
