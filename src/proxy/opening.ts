// What a `svc proxy` client says first, and what it is answered. The first byte picks the
// protocol: 5 is SOCKS5 (a greeting, answered, then a request), a byte that can start an HTTP
// method an HTTP proxy request (CONNECT, or a request in absolute form). Anything else is refused at
// once, with one line: SOCKS4 (first byte 4) with SOCKS4's "rejected" reply, a TLS handshake or
// any other byte by closing. Pure: readOpening takes the bytes in hand and says what to write, and
// whether the client has named its target, must send more, or is refused; the server (server.ts)
// does what it says.

import {CONNECT_ESTABLISHED, errorResponse, parseProxyRequest} from './http.ts'
import type {ProxyProtocol, ProxyRefused} from './output.ts'
import {Command, greetingReply, parseGreeting, parseRequest, Reply, type ReplyCode, requestReply, SOCKS4_VERSION, SOCKS_VERSION, socks4Rejected} from './socks5.ts'

/**
 * How far the opening has come: nothing read yet, a SOCKS5 greeting, a SOCKS5 request (after an
 * answered greeting: its first byte must be 5 too), or an HTTP request head.
 */
export type OpeningStage = 'http' | 'sniff' | 'socks5-greeting' | 'socks5-request'

/** Where the client goes, and the bytes it sent beyond its opening (for the pod). */
export interface ProxyTarget {
  host: string
  port: number
  protocol: ProxyProtocol
  rest: Buffer
}

export type OpeningOutcome =
  /** Not all of it is in: read more, then call again with the stage and bytes returned. */
  | {kind: 'more'}
  | {kind: 'target'; target: ProxyTarget}
  /** Refused: report `error` (a stderr line) or `refused`, then end the connection after `reply`. */
  | {kind: 'end'; error?: string; refused?: ProxyRefused; reply?: Buffer}

export interface OpeningStep {
  stage: OpeningStage
  /** The bytes not used yet. */
  buf: Buffer
  /** Written to the client, in order, before the outcome is acted on. */
  writes: Buffer[]
  outcome: OpeningOutcome
}

/** Reads the opening in `buf` (all the client sent that is not used yet) from `stage`. */
export function readOpening(stage: OpeningStage, buf: Buffer, clientIp: string): OpeningStep {
  if (stage === 'sniff') {
    const first = buf[0]
    if (first === SOCKS_VERSION) stage = 'socks5-greeting'
    else if (HTTP_FIRST_BYTE.test(String.fromCharCode(first))) stage = 'http'
    else return {buf, outcome: notSpoken(buf, clientIp), stage, writes: []}
  }
  if (stage === 'http') return {buf, outcome: httpRequest(buf, clientIp), stage, writes: []}
  if (stage === 'socks5-request') return {buf, outcome: socksRequest(buf, clientIp), stage, writes: []}
  const greeting = parseGreeting(buf)
  if (!greeting.done) return {buf, outcome: {kind: 'more'}, stage, writes: []}
  if ('error' in greeting) return {buf, outcome: {error: `bad SOCKS5 greeting from ${clientIp}: ${greeting.error}`, kind: 'end'}, stage, writes: []}
  const reply = greetingReply(greeting.value.noAuth)
  if (!greeting.value.noAuth) {
    return {buf, outcome: {error: `SOCKS5 client ${clientIp} offers no method svc supports (only "no authentication")`, kind: 'end'}, stage, writes: [reply]}
  }
  const rest = buf.subarray(greeting.used)
  if (rest.length === 0) return {buf: rest, outcome: {kind: 'more'}, stage: 'socks5-request', writes: [reply]}
  const request = readOpening('socks5-request', rest, clientIp)
  return {...request, writes: [reply, ...request.writes]}
}

/**
 * A first byte an HTTP request can begin with: a method's token character (RFC 9110 section 5.6.2),
 * or the CR or LF of an empty line before the request line (which RFC 9112 section 2.2 lets a server
 * skip; svc answers it with a 400).
 */
const HTTP_FIRST_BYTE = /^[!#$%&'*+.^_`|~0-9A-Za-z\r\n-]$/

/** The TLS record type of a handshake: what a client sends first to an `https://` proxy URL. */
const TLS_HANDSHAKE = 0x16

/** A client whose first byte starts neither SOCKS5 nor HTTP: one line, and SOCKS4's refusal for a SOCKS4 client. */
function notSpoken(buf: Buffer, clientIp: string): OpeningOutcome {
  const first = buf[0]
  if (first === SOCKS4_VERSION) {
    return {error: `SOCKS4 client ${clientIp} refused: svc proxy speaks SOCKS5 and HTTP (for curl, use socks5h://HOST:PORT)`, kind: 'end', reply: socks4Rejected(buf)}
  }
  const fix = 'for curl, use socks5h://HOST:PORT or http://HOST:PORT'
  if (first === TLS_HANDSHAKE) return {error: `client ${clientIp} began a TLS handshake: svc proxy speaks SOCKS5 and plain HTTP, not HTTPS (${fix})`, kind: 'end'}
  const hex = `0x${first.toString(16).padStart(2, '0')}`
  return {error: `client ${clientIp} sent ${hex} first, which starts neither SOCKS5 nor an HTTP request: svc proxy speaks SOCKS5 and HTTP (${fix})`, kind: 'end'}
}

function httpRequest(buf: Buffer, clientIp: string): OpeningOutcome {
  const head = parseProxyRequest(buf)
  if (head.kind === 'incomplete') return {kind: 'more'}
  if (head.kind === 'error') return {error: `bad proxy request from ${clientIp}: ${head.message}`, kind: 'end', reply: errorResponse(head.status, head.message)}
  const rest = buf.subarray(head.used)
  if (head.kind === 'connect') return {kind: 'target', target: {host: head.host, port: head.port, protocol: 'http-connect', rest}}
  return {kind: 'target', target: {host: head.host, port: head.port, protocol: 'http', rest: Buffer.concat([head.head, rest])}}
}

function socksRequest(buf: Buffer, clientIp: string): OpeningOutcome {
  const parsed = parseRequest(buf)
  if (!parsed.done) return {kind: 'more'}
  if ('error' in parsed) return {error: `bad SOCKS5 request from ${clientIp}: ${parsed.error}`, kind: 'end', reply: requestReply(parsed.reply ?? Reply.generalFailure)}
  const {command, host, port} = parsed.value
  if (command === Command.connect) return {kind: 'target', target: {host, port, protocol: 'socks5', rest: buf.subarray(parsed.used)}}
  const udp = command === Command.udpAssociate
  const message = udp ? 'UDP ASSOCIATE is not supported; svc proxy carries TCP only (SOCKS5 CONNECT)' : `SOCKS5 command ${command === Command.bind ? 'BIND' : command} is not supported; svc proxy supports CONNECT only`
  const refused: ProxyRefused = {client: clientIp, host, id: 0, kind: udp ? 'udp' : 'unsupported', message, port, protocol: udp ? 'socks5-udp' : 'socks5-bind'}
  return {kind: 'end', refused, reply: requestReply(Reply.commandNotSupported)}
}

/** The answer to a client whose tunnel is open: SOCKS5 success naming the proxy's side, HTTP 200 for CONNECT, nothing for a forwarded request. */
export function acceptReply(protocol: ProxyProtocol, local: {address: string; port: number}): Buffer {
  if (protocol === 'socks5') return requestReply(Reply.succeeded, local)
  return protocol === 'http-connect' ? CONNECT_ESTABLISHED : Buffer.alloc(0)
}

/** The answer to a refused client: a SOCKS5 reply code, or an HTTP 502 whose body is `line`. */
export function refuseReply(protocol: ProxyProtocol, code: ReplyCode, line: string): Buffer {
  return protocol === 'socks5' ? requestReply(code) : errorResponse(502, line)
}
