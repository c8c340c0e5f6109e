// The HTTP side of `svc proxy`: a request head read from a client that uses svc as its HTTP proxy,
// either `CONNECT host:port` (a tunnel; what HTTPS_PROXY clients send, and `curl -p`) or a request
// in absolute form (`GET http://web.shop:8080/path HTTP/1.1`, what HTTP_PROXY clients send for
// http:// URLs), rewritten to origin form for the pod. Pure: bytes in, a decision out.
//
// A proxied absolute-form request is sent with `Connection: close`: one request per client
// connection, because the next request on a kept-alive connection may name another host (RFC 9112
// allows it), and each host is its own tunnel. Clients open a new connection for the next request.

/** The longest request head accepted (request line and headers). */
export const MAX_HEAD_BYTES = 64 * 1024

export type HeadParse =
  | {kind: 'incomplete'}
  | {kind: 'error'; status: number; message: string}
  | {kind: 'connect'; host: string; port: number; used: number}
  | {kind: 'forward'; host: string; port: number; used: number; head: Buffer}

/** Parses the request head in `buf` (everything the client sent so far). */
export function parseProxyRequest(buf: Buffer): HeadParse {
  const end = buf.indexOf('\r\n\r\n')
  if (end < 0) {
    return buf.length > MAX_HEAD_BYTES ? {kind: 'error', message: 'request head too large', status: 431} : {kind: 'incomplete'}
  }
  if (end > MAX_HEAD_BYTES) return {kind: 'error', message: 'request head too large', status: 431}
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n')
  const match = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) HTTP\/(\d\.\d)$/.exec(lines[0])
  if (!match) return {kind: 'error', message: 'malformed request line', status: 400}
  const [, method, target, version] = match
  const used = end + 4
  if (method === 'CONNECT') {
    const authority = splitAuthority(target)
    if (!authority) return {kind: 'error', message: `CONNECT needs host:port, got ${JSON.stringify(target)}`, status: 400}
    return {kind: 'connect', ...authority, used}
  }
  let url: URL
  try {
    url = new URL(target)
  } catch {
    return {kind: 'error', message: `svc proxy takes requests in absolute form (GET http://NAME:PORT/path); got ${JSON.stringify(target)}`, status: 400}
  }
  if (url.protocol !== 'http:') return {kind: 'error', message: `only http:// URLs can be proxied as requests (use CONNECT for ${url.protocol.slice(0, -1)})`, status: 400}
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
  const port = url.port ? Number(url.port) : 80
  const headers = lines.slice(1).filter(line => !DROPPED.test(line))
  headers.push('Connection: close')
  const head = Buffer.from(`${method} ${url.pathname}${url.search} HTTP/${version}\r\n${headers.join('\r\n')}\r\n\r\n`, 'latin1')
  return {head, host, kind: 'forward', port, used}
}

/** Hop-by-hop headers meant for the proxy (and the connection header svc replaces). */
const DROPPED = /^(proxy-connection|proxy-authorization|connection|keep-alive)\s*:/i

/** `host:port`, `[v6]:port`; undefined when the port is missing or out of range. */
export function splitAuthority(authority: string): {host: string; port: number} | undefined {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(authority)
  if (!m) return undefined
  const port = Number(m[3])
  if (port < 1 || port > 65_535) return undefined
  return {host: m[1] ?? m[2], port}
}

/** The reply to a CONNECT that was tunnelled. */
export const CONNECT_ESTABLISHED = Buffer.from('HTTP/1.1 200 Connection established\r\n\r\n', 'latin1')

const REASONS: Record<number, string> = {400: 'Bad Request', 403: 'Forbidden', 431: 'Request Header Fields Too Large', 502: 'Bad Gateway'}

/** A refusal: the status, and the one-line reason as a text/plain body. */
export function errorResponse(status: number, message: string): Buffer {
  const body = `${message}\n`
  return Buffer.from(
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  )
}
