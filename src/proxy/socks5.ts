// SOCKS5 (RFC 1928) as `svc proxy` speaks it: the "no authentication" method only, the CONNECT
// command with IPv4, IPv6 and domain-name addresses (a name is resolved by svc, i.e. the client's
// `socks5h://` semantics), and clean refusals for BIND and UDP ASSOCIATE (and SOCKS4's reply, to
// refuse a SOCKS4 client). Pure: the parsers take the bytes read so far and say how many they used,
// or that more are needed.

import net from 'node:net'

export const SOCKS_VERSION = 5

/** REP values of RFC 1928 section 6. */
export const Reply = {
  succeeded: 0,
  generalFailure: 1,
  notAllowed: 2,
  networkUnreachable: 3,
  hostUnreachable: 4,
  connectionRefused: 5,
  ttlExpired: 6,
  commandNotSupported: 7,
  addressTypeNotSupported: 8,
} as const
export type ReplyCode = (typeof Reply)[keyof typeof Reply]

/** CMD values. */
export const Command = {connect: 1, bind: 2, udpAssociate: 3} as const

const METHOD_NO_AUTH = 0
const METHOD_NONE_ACCEPTABLE = 0xff

export type Parsed<T> = {done: false} | {done: true; value: T; used: number} | {done: true; error: string; reply?: ReplyCode}

export interface Greeting {
  /** The methods the client offers. */
  methods: number[]
  /** Whether it offers "no authentication", the only one svc accepts. */
  noAuth: boolean
}

/** VER NMETHODS METHODS... */
export function parseGreeting(buf: Buffer): Parsed<Greeting> {
  if (buf.length === 0) return {done: false}
  if (buf[0] !== SOCKS_VERSION) return {done: true, error: `not SOCKS5 (version byte ${buf[0]})`}
  if (buf.length < 2) return {done: false}
  const n = buf[1]
  if (buf.length < 2 + n) return {done: false}
  const methods = [...buf.subarray(2, 2 + n)]
  return {done: true, used: 2 + n, value: {methods, noAuth: methods.includes(METHOD_NO_AUTH)}}
}

/** The server's method choice: "no authentication", or "no acceptable methods". */
export function greetingReply(noAuth: boolean): Buffer {
  return Buffer.from([SOCKS_VERSION, noAuth ? METHOD_NO_AUTH : METHOD_NONE_ACCEPTABLE])
}

export interface SocksRequest {
  command: number
  /** A domain name as sent, or an IP address in its usual text form. */
  host: string
  port: number
}

/**
 * VER CMD RSV ATYP DST.ADDR DST.PORT. A version byte other than 5 is an error as soon as it is read:
 * it is answered with a general failure (REP 1), as RFC 1928 servers answer a request they cannot
 * serve, and the connection is closed.
 */
export function parseRequest(buf: Buffer): Parsed<SocksRequest> {
  if (buf.length === 0) return {done: false}
  if (buf[0] !== SOCKS_VERSION) return {done: true, error: `not SOCKS5 (version byte ${buf[0]})`, reply: Reply.generalFailure}
  if (buf.length < 5) return {done: false}
  const command = buf[1]
  const atyp = buf[3]
  let host: string
  let offset: number
  switch (atyp) {
    case 1:
      if (buf.length < 4 + 4 + 2) return {done: false}
      host = [...buf.subarray(4, 8)].join('.')
      offset = 8
      break
    case 3: {
      const len = buf[4]
      if (buf.length < 5 + len + 2) return {done: false}
      host = buf.subarray(5, 5 + len).toString('latin1')
      offset = 5 + len
      if (len === 0) return {done: true, error: 'empty host name', reply: Reply.hostUnreachable}
      break
    }
    case 4: {
      if (buf.length < 4 + 16 + 2) return {done: false}
      const groups: string[] = []
      for (let i = 0; i < 8; i++) groups.push(buf.readUInt16BE(4 + i * 2).toString(16))
      // Normalise (`0:0:...:1` -> `::1`) through the URL parser's IPv6 serialiser.
      host = new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1)
      offset = 20
      break
    }
    default:
      return {done: true, error: `address type ${atyp} is not supported`, reply: Reply.addressTypeNotSupported}
  }
  const port = buf.readUInt16BE(offset)
  return {done: true, used: offset + 2, value: {command, host, port}}
}

/**
 * VER REP RSV ATYP BND.ADDR BND.PORT. The bound address is the proxy's own local address (what
 * clients ignore for CONNECT), 0.0.0.0:0 when there is none.
 */
export function requestReply(code: ReplyCode, bound?: {address: string; port: number}): Buffer {
  const address = bound?.address?.replace(/^::ffff:(?=\d+\.)/, '') ?? '0.0.0.0'
  const port = bound?.port ?? 0
  if (net.isIPv6(address)) {
    const out = Buffer.alloc(4 + 16 + 2)
    out.set([SOCKS_VERSION, code, 0, 4])
    const url = new URL(`http://[${address}]/`).hostname.slice(1, -1)
    writeIPv6(out, 4, url)
    out.writeUInt16BE(port, 20)
    return out
  }
  const out = Buffer.alloc(4 + 4 + 2)
  out.set([SOCKS_VERSION, code, 0, 1])
  const parts = net.isIPv4(address) ? address.split('.').map(Number) : [0, 0, 0, 0]
  out.set(parts, 4)
  out.writeUInt16BE(port, 8)
  return out
}

/** SOCKS4's version byte (SOCKS4 and SOCKS4a), which svc refuses. */
export const SOCKS4_VERSION = 4

/**
 * The SOCKS4 reply refusing a request: VN 0, CD 91 ("request rejected or failed"), then DSTPORT and
 * DSTIP echoed from the request when they are in hand (curl prints them), zeros otherwise.
 */
export function socks4Rejected(request: Buffer): Buffer {
  const out = Buffer.alloc(8)
  out[1] = 0x5b
  if (request.length >= 8) request.copy(out, 2, 2, 8)
  return out
}

function writeIPv6(out: Buffer, offset: number, address: string): void {
  const [head, tail] = address.includes('::') ? address.split('::') : [address, undefined]
  const headGroups = head ? head.split(':') : []
  const tailGroups = tail ? tail.split(':') : []
  const zeros = tail === undefined ? [] : Array.from({length: 8 - headGroups.length - tailGroups.length}, () => '0')
  const groups = [...headGroups, ...zeros, ...tailGroups]
  for (let i = 0; i < 8; i++) out.writeUInt16BE(Number.parseInt(groups[i] ?? '0', 16), offset + i * 2)
}
