// Proxies, as kubectl (client-go) chooses and uses them:
// - the kubeconfig cluster's `proxy-url` for every connection (client-go rest.Config.Proxy; no
//   NO_PROXY, no exception for loopback), else
// - the environment, with the rules of golang.org/x/net/http/httpproxy (net/http ProxyFromEnvironment):
//   HTTPS_PROXY (or https_proxy) for an https server, HTTP_PROXY (or http_proxy) for an http one (not in
//   a CGI environment, REQUEST_METHOD set), never for localhost or a loopback IP, and never for a host
//   NO_PROXY (or no_proxy) matches: `*`, an IP, a CIDR, a domain that also matches its subdomains,
//   `.domain` or `*.domain` for subdomains only, each optionally with `:port`. A value without a known
//   scheme means http://.
// Connections go through the proxy with HTTP CONNECT (http:// and https:// proxies; user:password in the
// URL is sent as Proxy-Authorization: Basic) or SOCKS5 (socks5:// and socks5h://, the proxy resolves the
// name; user:password as RFC 1929), then TLS to the API server inside the tunnel, as client-go's
// transport and its SPDY and WebSocket dialers do. An https:// proxy is reached with the API server's
// own TLS settings (ProxyTls), as Go's net/http does it.

import {Buffer} from 'node:buffer'
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import type {Duplex} from 'node:stream'
import tls from 'node:tls'
import {domainToASCII} from 'node:url'

import {joinHostPort} from '../portforward/ports.ts'
import {certificateError, goIpString, serverIdentity} from './identity.ts'

export type ProxyEnvironment = Record<string, string | undefined>

/** getEnvAny: the first of the names that is set and not empty. */
function envAny(env: ProxyEnvironment, ...names: string[]): string {
  for (const name of names) {
    const value = env[name]
    if (value) return value
  }
  return ''
}

/** httpproxy parseProxy: a URL with a proxy scheme, else the value read as http://VALUE. */
export function parseProxy(value: string): URL | undefined {
  if (!value) return undefined
  const schemes = ['http:', 'https:', 'socks5:', 'socks5h:']
  try {
    const url = new URL(value)
    if (schemes.includes(url.protocol)) return url
  } catch {
    // fall through to the http:// reading
  }
  try {
    return new URL(`http://${value}`)
  } catch {
    return undefined
  }
}

type Matcher = (host: string, port: string, ip: string | undefined) => boolean

/** NO_PROXY, parsed as httpproxy's config.init does. */
export class NoProxy {
  private readonly ipMatchers: Matcher[] = []
  private readonly domainMatchers: Matcher[] = []

  constructor(value: string) {
    for (const raw of value.split(',')) {
      const entry = raw.trim().toLowerCase()
      if (entry === '') continue
      if (entry === '*') {
        this.ipMatchers.splice(0, Infinity, () => true)
        this.domainMatchers.splice(0, Infinity, () => true)
        return
      }
      const cidr = parseCidr(entry)
      if (cidr) {
        this.ipMatchers.push((_host, _port, ip) => ip !== undefined && net.isIPv4(ip) === (cidr.family === 'ipv4') && cidr.list.check(ip, cidr.family))
        continue
      }
      // Brackets go only with a port (net.SplitHostPort): `[::1]` alone is not an address to Go,
      // it becomes a domain that no server's host matches.
      const split = splitHostPort(entry)
      const [spelled, port] = split ?? [entry, '']
      if (spelled === '' && port !== '') continue
      let host = spelled
      if (split && host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1)
      const ip = goIpString(host)
      if (ip) {
        this.ipMatchers.push((_h, p, target) => target === ip && (port === '' || port === p))
        continue
      }
      if (host === '') continue
      if (host.startsWith('*.')) host = host.slice(1)
      const matchHost = !host.startsWith('.')
      if (matchHost) host = `.${host}`
      // idnaASCII: only a name with non-ASCII letters is converted (Node's would also read `2.1` as an IPv4 address).
      if (!isASCII(host)) host = domainToASCII(host.slice(1)) ? `.${domainToASCII(host.slice(1))}` : host
      const suffix = host
      this.domainMatchers.push((h, p) => (h.endsWith(suffix) || (matchHost && h === suffix.slice(1))) && (port === '' || port === p))
    }
  }

  /** httpproxy useProxy: false for localhost, a loopback IP, or a NO_PROXY match. */
  useProxy(hostname: string, port: string): boolean {
    let host = hostname.toLowerCase().trim()
    if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1)
    if (host === 'localhost') return false
    const ip = goIpString(host)
    if (ip && isLoopback(ip)) return false
    // domainMatch never matches an address (`0.1` is no suffix of 10.0.0.1 to Go).
    if (ip) return !this.ipMatchers.some(m => m(host, port, ip))
    const ascii = isASCII(host) ? host : domainToASCII(host) || host
    return !this.domainMatchers.some(m => m(ascii, port, ip))
  }
}

/** httpproxy isASCII: no byte of 0x80 or more. */
function isASCII(s: string): boolean {
  return !/[^\p{ASCII}]/u.test(s)
}

/** net.SplitHostPort for NO_PROXY entries: `host:port` or `[v6]:port`; undefined when there is no port. */
function splitHostPort(entry: string): [string, string] | undefined {
  if (entry.startsWith('[')) {
    const close = entry.indexOf(']')
    if (close < 0 || entry[close + 1] !== ':') return undefined
    return [entry.slice(0, close + 1), entry.slice(close + 2)]
  }
  const colon = entry.lastIndexOf(':')
  if (colon < 0 || entry.indexOf(':') !== colon) return undefined
  return [entry.slice(0, colon), entry.slice(colon + 1)]
}

/**
 * net.ParseCIDR and IPNet.Contains: an address without a zone and a prefix length; a network whose
 * masked address is IPv4-mapped (`::ffff:10.0.0.0/104`, prefix 96 or more) is the IPv4 network
 * (`10.0.0.0/8`), and an IPv4 network holds only IPv4 (and IPv4-mapped) addresses, an IPv6 one only
 * the others (`::/0` does not hold `::ffff:10.0.0.1`).
 */
function parseCidr(entry: string): {family: 'ipv4' | 'ipv6'; list: net.BlockList} | undefined {
  const slash = entry.indexOf('/')
  if (slash < 0) return undefined
  const address = entry.slice(0, slash)
  const bits = entry.slice(slash + 1)
  const ip = goIpString(address)
  if (!ip || !/^\d+$/.test(bits) || Number(bits) > (net.isIPv4(address) ? 32 : 128)) return undefined
  const v4 = net.isIPv4(address) || (net.isIPv4(ip) && Number(bits) >= 96)
  const family = v4 ? 'ipv4' : 'ipv6'
  const list = new net.BlockList()
  list.addSubnet(v4 ? ip : address, v4 && !net.isIPv4(address) ? Number(bits) - 96 : Number(bits), family)
  return {family, list}
}

/** An IPv6 address as eight hexadecimal groups without leading zeros, so that equal addresses compare equal. */
function expandIpv6(host: string): string {
  const double = host.includes('::')
  const [head, tail = ''] = double ? host.split('::') : [host]
  const groups = (part: string): string[] => part === '' ? [] : part.split(':').flatMap(g => {
    if (!g.includes('.')) return [g]
    const [a, b, c, d] = g.split('.').map(Number)
    return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)]
  })
  const left = groups(head)
  const right = groups(tail)
  const zeros = double ? Array.from({length: 8 - left.length - right.length}, () => '0') : []
  return [...left, ...zeros, ...right].map(g => Number.parseInt(g, 16).toString(16)).join(':')
}

/** IP.IsLoopback, for an address from goIpString: 127.0.0.0/8 (IPv4-mapped too) or ::1. */
function isLoopback(ip: string): boolean {
  return net.isIPv4(ip) ? ip.startsWith('127.') : ip === '::1'
}

/** The port a URL talks to (canonicalAddr: the scheme's default when the URL has none). */
function portOf(url: URL): string {
  return url.port || (url.protocol === 'https:' || url.protocol === 'wss:' ? '443' : '80')
}

/**
 * The proxy for connections to `server`: the kubeconfig's proxy-url when set, else the environment's
 * (undefined: connect directly).
 */
export function proxyFor(server: URL, proxyUrl: string | undefined, env: ProxyEnvironment): URL | undefined {
  if (proxyUrl) return parseProxy(proxyUrl)
  const secure = server.protocol === 'https:' || server.protocol === 'wss:'
  if (!secure && env.REQUEST_METHOD) return undefined
  const proxy = parseProxy(secure ? envAny(env, 'HTTPS_PROXY', 'https_proxy') : envAny(env, 'HTTP_PROXY', 'http_proxy'))
  if (!proxy) return undefined
  const noProxy = new NoProxy(envAny(env, 'NO_PROXY', 'no_proxy'))
  return noProxy.useProxy(server.hostname, portOf(server)) ? proxy : undefined
}

/** A failure to get through the proxy, in Go's words (`proxyconnect tcp: ...`, the CONNECT status text, the SOCKS reply). */
export class ProxyError extends Error {
  readonly code = 'PROXY'
  constructor(message: string) {
    super(message)
    this.name = 'ProxyError'
  }
}

/**
 * The TLS settings for an https:// proxy: the API server's. Go's net/http Transport.dialConn adds
 * TLS to a connection whose scheme is https, which is the proxy's when there is one
 * (`pconn.addTLS(ctx, firstTLSHost, trace)`, firstTLSHost the proxy's host), and addTLS starts with
 * `cfg := cloneTLSConfig(pconn.t.TLSClientConfig); if cfg.ServerName == "" { cfg.ServerName = name }`
 * (net/http/transport.go): the cluster's TLS config, so the proxy is trusted through the cluster's
 * CA only when the kubeconfig gives one (RootCAs replaces the system roots; the default roots
 * otherwise), is shown the client certificate, is not verified with insecure-skip-tls-verify, and is
 * checked against the cluster's tls-server-name when it has one, else the proxy's host.
 */
export interface ProxyTls {
  ca?: tls.ConnectionOptions['ca']
  cert?: tls.ConnectionOptions['cert']
  key?: tls.ConnectionOptions['key']
  passphrase?: string
  pfx?: tls.ConnectionOptions['pfx']
  rejectUnauthorized?: boolean
  /** The CA, certificate and key built once (KubeClient.upgradeConnectionOptions) instead of ca/cert/key. */
  secureContext?: tls.SecureContext
  /** The cluster's tls-server-name; the proxy's host when empty. */
  servername?: string
}

export interface TunnelOptions {
  /** Gives up on an https:// proxy's TLS handshake after this long (the TCP connection has DIAL_TIMEOUT_MS). */
  timeoutMs: number
  /** Ends the attempt when it aborts (the request's deadline or abort): the socket goes, the reason is the error. */
  signal?: AbortSignal
  /** For an https:// proxy: the API server's TLS settings. */
  tls?: ProxyTls
}

/**
 * How long net/http waits for the answer to CONNECT: Transport.dialConn reads it under
 * `context.WithTimeout(ctx, 1*time.Minute)` and returns the context's error as it is. A SOCKS5
 * proxy's answers have no limit of their own there (socks Dialer.DialWithConn, the request's context only).
 */
export const CONNECT_ANSWER_TIMEOUT_MS = 60_000

/**
 * How long a TCP connection may take to be made, to the API server or to a proxy: client-go's
 * transport dials with `net.Dialer{Timeout: 30 * time.Second}` (transport/cache.go), and Go's words
 * are `dial tcp HOST:PORT: i/o timeout` (kubectl 1.35 against a listener that never accepts: 30 s a
 * try, directly and through HTTPS_PROXY). The TLS handshake's own limit counts from the connection.
 */
export const DIAL_TIMEOUT_MS = 30_000

/** A URL's host as a socket dials it: an IPv6 address without its brackets. */
export function bareHostname(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '')
}

/** Opens a TCP stream to host:port through the proxy (CONNECT or SOCKS5). */
export async function connectThroughProxy(proxy: URL, host: string, port: number, options: TunnelOptions): Promise<net.Socket> {
  options.signal?.throwIfAborted()
  const socks = proxy.protocol === 'socks5:' || proxy.protocol === 'socks5h:'
  const proxyPort = Number(proxy.port) || (socks ? 1080 : proxy.protocol === 'https:' ? 443 : 80)
  const proxyHost = bareHostname(proxy)
  const socket = await dial(proxy.protocol === 'https:' ? options.tls ?? {} : undefined, proxyHost, proxyPort, options.timeoutMs, options.signal)
  const timer = socks ? undefined : setTimeout(() => socket.destroy(new ProxyError('context deadline exceeded')), CONNECT_ANSWER_TIMEOUT_MS)
  const abort = (): void => {
    socket.destroy()
  }
  options.signal?.addEventListener('abort', abort, {once: true})
  try {
    // Go's net.OpError names the connection by its two ends, read before anything is written (a
    // proxy that resets at once leaves no peer to ask).
    const connection = `tcp ${joinHostPort(socket.localAddress ?? '', socket.localPort ?? 0)}->${joinHostPort(socket.remoteAddress ?? proxyHost, socket.remotePort ?? proxyPort)}`
    if (socks) await socksConnect(socket, connection, proxy, host, port)
    else await httpConnect(socket, connection, proxy, host, port)
    return socket
  } catch (error) {
    socket.destroy()
    throw options.signal?.aborted ? options.signal.reason : error
  } finally {
    clearTimeout(timer)
    options.signal?.removeEventListener('abort', abort)
  }
}

/** TCP to the proxy, and TLS with the API server's settings (ProxyTls) when `secure` is given. */
function dial(secure: ProxyTls | undefined, host: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    // addTLS: the tls-server-name, else the proxy's host; no SNI for an address (Go's crypto/tls sends none).
    const name = secure?.servername || host
    const socket = secure
      ? tls.connect({...secure, checkServerIdentity: (_host, cert) => serverIdentity(name, cert), host, port, servername: net.isIP(name) ? undefined : name})
      : net.connect({host, port})
    // Not connected in time: the dialer's words; connected and no handshake in time: Go's addTLS
    // gives up with its TLSHandshakeTimeout words, counted from the connection.
    let timer = setTimeout(() => socket.destroy(Object.assign(new Error('i/o timeout'), {code: 'ETIMEDOUT'})), DIAL_TIMEOUT_MS)
    if (secure) {
      socket.once('connect', () => {
        clearTimeout(timer)
        timer = setTimeout(() => socket.destroy(Object.assign(new Error('net/http: TLS handshake timeout'), {code: 'TLS_HANDSHAKE_TIMEOUT'})), timeoutMs)
      })
    }
    const abort = (): void => {
      clearTimeout(timer)
      socket.destroy()
      reject(signal?.reason)
    }
    signal?.addEventListener('abort', abort, {once: true})
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', abort)
      socket.removeAllListeners('error')
      resolve(socket)
    })
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', abort)
      // Go wraps a TLS failure without the address: `proxyconnect tcp: tls: failed to verify certificate: ...`.
      const refused = certificateError(error, name) ?? (error.code === 'TLS_HANDSHAKE_TIMEOUT' ? error.message : undefined)
      if (refused) return reject(new ProxyError(`proxyconnect tcp: ${refused}`))
      const why = error.code === 'ECONNREFUSED' ? 'connect: connection refused' : error.code === 'ETIMEDOUT' ? 'i/o timeout' : error.message
      reject(new ProxyError(`proxyconnect tcp: dial tcp ${host}:${port}: ${why}`))
    })
  })
}

/**
 * Reads from the socket until `done` says how many bytes the answer took; the rest is put back. A
 * close before that fails with `eof`'s words for the bytes received (io.ReadFull's: EOF for none,
 * unexpected EOF for some). A socket error reads as Go's net.OpError for the connection (`read tcp
 * LOCAL->REMOTE: read: connection reset by peer`, `connection` the `tcp LOCAL->REMOTE` part), after `where` when given.
 */
function readAnswer(
  socket: net.Socket,
  connection: string,
  done: (data: Buffer) => number | undefined,
  where: string | undefined,
  eof = (received: number): string => `${where}: ${received === 0 ? 'EOF' : 'unexpected EOF'}`,
): Promise<Buffer> {
  const prefix = where === undefined ? '' : `${where}: `
  return new Promise((resolve, reject) => {
    let data = Buffer.alloc(0)
    const cleanup = (): void => {
      socket.off('data', onData)
      socket.off('error', onError)
      socket.off('close', onClose)
    }
    const onData = (chunk: Buffer): void => {
      data = Buffer.concat([data, chunk])
      let used: number | undefined
      try {
        used = done(data)
      } catch (error) {
        cleanup()
        reject(error)
        return
      }
      if (used === undefined) {
        if (data.length > 64 * 1024) onError(new ProxyError(`${where ?? 'proxyconnect tcp'}: answer too long`))
        return
      }
      cleanup()
      socket.pause()
      if (used < data.length) socket.unshift(data.subarray(used))
      resolve(data.subarray(0, used))
    }
    const onError = (error: NodeJS.ErrnoException): void => {
      cleanup()
      if (error instanceof ProxyError) return reject(error)
      const why = error.code === 'ECONNRESET' ? `read ${connection}: read: connection reset by peer` : error.code === 'EPIPE' ? `write ${connection}: write: broken pipe` : error.message
      reject(new ProxyError(`${prefix}${why}`))
    }
    const onClose = (): void => onError(new ProxyError(eof(data.length)))
    socket.on('data', onData)
    socket.once('error', onError)
    socket.once('close', onClose)
    socket.resume()
  })
}

function credentials(proxy: URL): {password: string; user: string} | undefined {
  if (!proxy.username && !proxy.password) return undefined
  return {password: decodeURIComponent(proxy.password), user: decodeURIComponent(proxy.username)}
}

async function httpConnect(socket: net.Socket, connection: string, proxy: URL, host: string, port: number): Promise<void> {
  const authority = joinHostPort(host, port)
  const auth = credentials(proxy)
  const lines = [`CONNECT ${authority} HTTP/1.1`, `Host: ${authority}`]
  if (auth) lines.push(`Proxy-Authorization: Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`)
  socket.write(`${lines.join('\r\n')}\r\n\r\n`)
  // The head ends at an empty line; textproto takes a line ended by LF alone too. ReadResponse
  // turns any EOF into unexpected EOF, and dialConn returns its errors unwrapped.
  const head = await readAnswer(socket, connection, data => {
    const end = /\r?\n\r?\n/.exec(data.toString('latin1'))
    return end ? end.index + end[0].length : undefined
  }, undefined, () => 'unexpected EOF')
  const refusal = connectRefusal(head.toString('latin1').split(/\r?\n/)[0])
  if (refusal !== undefined) throw new ProxyError(refusal)
}

/**
 * Why a CONNECT answer's status line refuses the tunnel (undefined for 200), in the words of
 * net/http: ReadResponse's errors for a line it cannot parse, then Transport.dialConn's for any
 * status but 200, the text after the code (strings.Cut(resp.Status, " ")), or `unknown status
 * code` when there is none. Neither is wrapped in `proxyconnect tcp:`.
 */
function connectRefusal(line: string): string | undefined {
  const space = line.indexOf(' ')
  if (space < 0) return `malformed HTTP response ${JSON.stringify(line)}`
  const proto = line.slice(0, space)
  const status = line.slice(space + 1).replace(/^ +/, '')
  const cut = status.indexOf(' ')
  const code = cut < 0 ? status : status.slice(0, cut)
  if (code.length !== 3 || !/^[+-]?\d+$/.test(code) || Number(code) < 0) return `malformed HTTP status code ${JSON.stringify(code)}`
  if (!/^HTTP\/\d\.\d$/.test(proto)) return `malformed HTTP version ${JSON.stringify(proto)}`
  if (Number(code) === 200) return undefined
  return cut < 0 ? 'unknown status code' : status.slice(cut + 1)
}

const SOCKS_REPLIES: Record<number, string> = {
  1: 'general SOCKS server failure',
  2: 'connection not allowed by ruleset',
  3: 'network unreachable',
  4: 'host unreachable',
  5: 'connection refused',
  6: 'TTL expired',
  7: 'command not supported',
  8: 'address type not supported',
}

/** RFC 1928 CONNECT (and RFC 1929 user/password), as golang.org/x/net/internal/socks does it. */
async function socksConnect(socket: net.Socket, connection: string, proxy: URL, host: string, port: number): Promise<void> {
  const auth = credentials(proxy)
  // Go's net.OpError from x/net/internal/socks: the proxy as net/http dialled it (conn.RemoteAddr()), then the target.
  const dialled = socket.remoteAddress === undefined ? proxy.host : joinHostPort(socket.remoteAddress, socket.remotePort ?? 0)
  const where = `socks connect tcp ${dialled}->${joinHostPort(host, port)}`
  socket.write(auth ? Buffer.of(5, 2, 0, 2) : Buffer.of(5, 1, 0))
  const choice = await readAnswer(socket, connection, data => (data.length >= 2 ? 2 : undefined), where)
  if (choice[0] !== 5) throw new ProxyError(`${where}: unexpected protocol version ${choice[0]}`)
  if (choice[1] === 2 && auth) {
    const user = Buffer.from(auth.user)
    const password = Buffer.from(auth.password)
    socket.write(Buffer.concat([Buffer.of(1, user.length), user, Buffer.of(password.length), password]))
    const answer = await readAnswer(socket, connection, data => (data.length >= 2 ? 2 : undefined), where)
    if (answer[1] !== 0) throw new ProxyError(`${where}: username/password authentication failed`)
  } else if (choice[1] !== 0) {
    throw new ProxyError(`${where}: no acceptable authentication methods`)
  }
  let address: Buffer
  if (net.isIPv4(host)) address = Buffer.concat([Buffer.of(1), Buffer.from(host.split('.').map(Number))])
  else if (net.isIPv6(host)) address = Buffer.concat([Buffer.of(4), ipv6Bytes(host)])
  else {
    const name = Buffer.from(host)
    address = Buffer.concat([Buffer.of(3, name.length), name])
  }
  const portBytes = Buffer.alloc(2)
  portBytes.writeUInt16BE(port)
  socket.write(Buffer.concat([Buffer.of(5, 1, 0), address, portBytes]))
  const reply = await readAnswer(socket, connection, data => {
    if (data.length < 5) return undefined
    const length = data[3] === 1 ? 4 : data[3] === 4 ? 16 : data[3] === 3 ? 1 + data[4] : -1
    if (length < 0) throw new ProxyError(`${where}: unknown address type ${data[3]}`)
    return data.length >= 4 + length + 2 ? 4 + length + 2 : undefined
  }, where)
  if (reply[1] !== 0) throw new ProxyError(`${where}: unknown error ${SOCKS_REPLIES[reply[1]] ?? `unknown code: ${reply[1]}`}`)
}

function ipv6Bytes(host: string): Buffer {
  return Buffer.from(expandIpv6(host).split(':').flatMap(g => {
    const n = Number.parseInt(g, 16)
    return [n >> 8, n & 0xff]
  }))
}

const TLS_SERVER_NAME = Symbol('tls-server-name')

/**
 * A request option for a proxy agent's connection: an AbortSignal that ends the tunnel being made
 * (the request's deadline, which Node's request.destroy cannot reach before the agent hands it a
 * socket), its reason the request's error.
 */
export const CONNECT_SIGNAL = Symbol('connect-signal')

/**
 * An agent whose connections go through a proxy: the tunnel first, then TLS to the server inside it
 * for https. Keep-alive pooling works as for a direct agent.
 */
export function proxyAgent(proxy: URL, secure: boolean, timeoutMs: number): http.Agent {
  const Base = secure ? https.Agent : http.Agent
  class ProxyAgent extends Base {
    // The servername the request gave (the cluster's tls-server-name): Node's agent fills in the
    // server's host when there is none before createConnection sees the options.
    addRequest(req: http.ClientRequest, options: http.ClientRequestArgs & {servername?: string}): void {
      const add = (Base.prototype as unknown as {addRequest(req: http.ClientRequest, options: object): void}).addRequest
      add.call(this, req, {...options, [TLS_SERVER_NAME]: options.servername})
    }

    createConnection(options: http.ClientRequestArgs, callback?: (error: Error | null, stream: Duplex) => void): Duplex | null | undefined {
      const host = String(options.host ?? 'localhost')
      const port = Number(options.port ?? (secure ? 443 : 80))
      const {ca, cert, key, passphrase, pfx, rejectUnauthorized, secureContext} = options as tls.ConnectionOptions
      const tlsOptions: ProxyTls = {ca, cert, key, passphrase, pfx, rejectUnauthorized, secureContext, servername: (options as {[TLS_SERVER_NAME]?: string})[TLS_SERVER_NAME]}
      const signal = (options as {[CONNECT_SIGNAL]?: AbortSignal})[CONNECT_SIGNAL]
      connectThroughProxy(proxy, host, port, {signal, timeoutMs, tls: tlsOptions}).then(socket => {
        socket.resume()
        if (!secure) return callback?.(null, socket)
        // The certificate is checked against `servername || host`. The agent leaves servername
        // empty for an IP address (no SNI for one, as Go), so without `host` Node would check the
        // tunnel socket's name: the proxy's, or 'localhost' for a proxy written as an address.
        // With a `socket` given, host is not dialled; a `path` would make it a pipe.
        const {port: _port, path: _path, ...rest} = options as tls.ConnectionOptions & {path?: string}
        callback?.(null, tls.connect({...rest, host, socket}))
      }, (error: Error) => callback?.(error, undefined as unknown as Duplex))
      return undefined
    }
  }
  // The agent carries the identity check, as every agent of svc's (client.ts connectionOptions).
  const options: https.AgentOptions = {checkServerIdentity: serverIdentity, keepAlive: true}
  return new ProxyAgent(options)
}
