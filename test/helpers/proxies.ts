// Real proxies for the tests: an HTTP CONNECT proxy (or, given a certificate, an https:// one) and a
// SOCKS5 proxy on loopback, each counting
// the tunnels it opened and the bytes that passed through them. Both resolve names through `hosts`
// first, so a kubeconfig can name a server (kubernetes.default.svc) that only the proxy can reach:
// a request that bypassed the proxy fails to resolve instead of passing silently.

import {once} from 'node:events'
import net from 'node:net'
import tls from 'node:tls'

export interface ProxyStats {
  /** host:port of every tunnel opened, in order */
  tunnels: string[]
  /** bytes from the client to the target, and back */
  bytesUp: number
  bytesDown: number
  /** requests refused (bad credentials) */
  refused: number
  /** https:// proxy: the subject CN of the client certificate each connection presented ('' for none) */
  clientCertificates?: string[]
}

export interface TestProxy {
  readonly url: string
  readonly port: number
  readonly stats: ProxyStats
  close(): Promise<void>
}

export interface ProxyOptions {
  /** name -> address the proxy dials instead of resolving the name */
  hosts?: Record<string, string>
  /** require these credentials (Proxy-Authorization: Basic for CONNECT, RFC 1929 for SOCKS5) */
  auth?: {password: string; user: string}
  /** CONNECT proxy only: speak TLS with this certificate (an https:// proxy), asking for a client certificate */
  tls?: {cert: string; key: string}
}

/** Pipes client <-> target, counting bytes; either side ending or failing ends both. */
function splice(client: net.Socket, target: net.Socket, stats: ProxyStats): void {
  client.on('data', (chunk: Buffer) => {
    stats.bytesUp += chunk.length
  })
  target.on('data', (chunk: Buffer) => {
    stats.bytesDown += chunk.length
  })
  client.pipe(target)
  target.pipe(client)
  const end = (): void => {
    client.destroy()
    target.destroy()
  }
  client.on('error', end)
  target.on('error', end)
  client.on('close', end)
  target.on('close', end)
}

async function listen(server: net.Server, sockets: Set<net.Socket>, stats: ProxyStats, scheme: string, auth?: ProxyOptions['auth']): Promise<TestProxy> {
  server.on('connection', socket => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => socket.destroy())
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const {port} = server.address() as net.AddressInfo
  const credentials = auth ? `${encodeURIComponent(auth.user)}:${encodeURIComponent(auth.password)}@` : ''
  return {
    url: `${scheme}://${credentials}127.0.0.1:${port}`,
    port,
    stats,
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>(resolve => server.close(() => resolve()))
    },
  }
}

function dialTarget(hosts: Record<string, string>, host: string, port: number): net.Socket {
  return net.connect({host: hosts[host] ?? host, port})
}

/** An HTTP/1.1 CONNECT proxy (RFC 9110 9.3.6); anything but CONNECT gets 405. */
export function startConnectProxy(options: ProxyOptions = {}): Promise<TestProxy> {
  const stats: ProxyStats = {bytesDown: 0, bytesUp: 0, refused: 0, tunnels: []}
  const sockets = new Set<net.Socket>()
  const onClient = (client: net.Socket): void => {
    let head = Buffer.alloc(0)
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk])
      const end = head.indexOf('\r\n\r\n')
      if (end < 0) return
      client.off('data', onData)
      const lines = head.subarray(0, end).toString('latin1').split('\r\n')
      const rest = head.subarray(end + 4)
      const [method, authority] = lines[0].split(' ')
      if (method !== 'CONNECT') {
        client.end('HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n')
        return
      }
      if (options.auth) {
        const expected = `Basic ${Buffer.from(`${options.auth.user}:${options.auth.password}`).toString('base64')}`
        const given = lines.find(l => /^proxy-authorization:/i.test(l))?.replace(/^[^:]*:\s*/, '')
        if (given !== expected) {
          stats.refused++
          client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n')
          return
        }
      }
      const colon = authority.lastIndexOf(':')
      const host = authority.slice(0, colon).replace(/^\[|\]$/g, '')
      const port = Number(authority.slice(colon + 1))
      stats.tunnels.push(`${host}:${port}`)
      const target = dialTarget(options.hosts ?? {}, host, port)
      target.once('connect', () => {
        client.write('HTTP/1.1 200 Connection established\r\n\r\n')
        if (rest.length) target.write(rest)
        splice(client, target, stats)
      })
      target.once('error', () => client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n'))
    }
    client.on('data', onData)
  }
  if (!options.tls) return listen(net.createServer(onClient), sockets, stats, 'http', options.auth)
  stats.clientCertificates = []
  const server = tls.createServer({...options.tls, rejectUnauthorized: false, requestCert: true}, client => {
    const cn = client.getPeerCertificate().subject?.CN
    stats.clientCertificates!.push(Array.isArray(cn) ? cn.join(',') : cn ?? '')
    onClient(client)
  })
  server.on('tlsClientError', () => {})
  return listen(server, sockets, stats, 'https', options.auth)
}

/** A SOCKS5 proxy (RFC 1928, CONNECT only; RFC 1929 user/password when `auth` is set). */
export function startSocks5Proxy(options: ProxyOptions = {}): Promise<TestProxy> {
  const stats: ProxyStats = {bytesDown: 0, bytesUp: 0, refused: 0, tunnels: []}
  const sockets = new Set<net.Socket>()
  const server = net.createServer(client => {
    let buffer = Buffer.alloc(0)
    let stage: 'auth' | 'connect' | 'greeting' = 'greeting'
    const onData = (chunk: Buffer): void => {
      buffer = Buffer.concat([buffer, chunk])
      if (stage === 'greeting') {
        if (buffer.length < 2 || buffer.length < 2 + buffer[1]) return
        const methods = [...buffer.subarray(2, 2 + buffer[1])]
        buffer = buffer.subarray(2 + buffer[1])
        const wanted = options.auth ? 2 : 0
        if (!methods.includes(wanted)) {
          client.end(Buffer.of(5, 0xff))
          return
        }
        client.write(Buffer.of(5, wanted))
        stage = options.auth ? 'auth' : 'connect'
      }
      if (stage === 'auth') {
        if (buffer.length < 2) return
        const ulen = buffer[1]
        if (buffer.length < 3 + ulen || buffer.length < 3 + ulen + buffer[2 + ulen]) return
        const user = buffer.subarray(2, 2 + ulen).toString()
        const plen = buffer[2 + ulen]
        const password = buffer.subarray(3 + ulen, 3 + ulen + plen).toString()
        buffer = buffer.subarray(3 + ulen + plen)
        if (user !== options.auth!.user || password !== options.auth!.password) {
          stats.refused++
          client.end(Buffer.of(1, 1))
          return
        }
        client.write(Buffer.of(1, 0))
        stage = 'connect'
      }
      if (stage === 'connect') {
        if (buffer.length < 5) return
        const type = buffer[3]
        const length = type === 1 ? 4 : type === 4 ? 16 : 1 + buffer[4]
        if (buffer.length < 4 + length + 2) return
        let host: string
        if (type === 1) host = [...buffer.subarray(4, 8)].join('.')
        else if (type === 3) host = buffer.subarray(5, 5 + buffer[4]).toString()
        else host = (buffer.subarray(4, 20).toString('hex').match(/.{4}/g) ?? []).join(':')
        const port = buffer.readUInt16BE(4 + length)
        const rest = buffer.subarray(4 + length + 2)
        client.off('data', onData)
        stats.tunnels.push(`${host}:${port}`)
        const target = dialTarget(options.hosts ?? {}, host, port)
        target.once('connect', () => {
          client.write(Buffer.of(5, 0, 0, 1, 127, 0, 0, 1, 0, 0))
          if (rest.length) target.write(rest)
          splice(client, target, stats)
        })
        target.once('error', () => client.end(Buffer.of(5, 5, 0, 1, 0, 0, 0, 0, 0, 0)))
      }
    }
    client.on('data', onData)
  })
  return listen(server, sockets, stats, 'socks5', options.auth)
}
