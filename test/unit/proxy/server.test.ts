// The proxy server on loopback with the cluster faked (a router that names pods, a tunnel opener
// that fails, one that opens and a copy that fails later, or one still opening when the connection
// is given up): what a client is answered and what svc prints when a tunnel cannot be opened, that
// every connection-opened event has its connection-closed, and that clients speaking something
// other than SOCKS5 or HTTP are answered and closed at once rather than left waiting for the
// handshake timeout.

import assert from 'node:assert/strict'
import net from 'node:net'
import {after, describe, it} from 'node:test'

import {ApiError} from '../../../src/kube/errors.ts'
import type {Route} from '../../../src/proxy/directory.ts'
import {createProxyReporter} from '../../../src/proxy/output.ts'
import {PortForwardError, type Tunnel} from '../../../src/portforward/types.ts'
import {ProxyServer, type ProxyServerOptions} from '../../../src/proxy/server.ts'
import {until} from '../../helpers/poll.ts'

/** Well inside the handshake timeout (30 s): a client still waiting then was not answered at once. */
const AT_ONCE = {timeout: 10_000}

interface Running {
  port: number
  stderr: string[]
  events: Array<Record<string, unknown>>
  /** The pods the tunnel opener was asked for, in order. */
  opened: string[]
  server?: ProxyServer
}

const servers: ProxyServer[] = []
after(async () => {
  for (const s of servers) await s.close()
})

async function startProxy(route: Route, forward: ProxyServerOptions['forward'] = () => Promise.reject(new Error('nothing is forwarded in these tests'))): Promise<Running> {
  const running: Running = {events: [], opened: [], port: 0, stderr: []}
  const reporter = createProxyReporter({
    mode: 'json',
    now: () => new Date(0),
    sink: {stderr: text => running.stderr.push(text), stdout: text => running.events.push(JSON.parse(text))},
    verbosity: 0,
  })
  const server = new ProxyServer({
    forward,
    openTunnel: async ({pod, port, signal}) => {
      running.opened.push(`${pod}:${port}`)
      if (pod === 'live') return {} as Tunnel
      // An upgrade that is still under way when the connection is given up.
      if (pod === 'slow') return new Promise<Tunnel>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), {once: true}))
      throw new ApiError(404, {code: 404, message: `pods "${pod}" not found`, reason: 'NotFound'})
    },
    passthrough: false,
    reporter,
    router: {namespaces: ['shop'], route: async () => route},
  })
  servers.push(server)
  const [{port}] = await server.listen([{address: '127.0.0.1', failureMode: 'any', family: 4}], 0)
  running.port = port
  running.server = server
  return running
}

/** Sends `bytes` and resolves with all the proxy answered once it closed the connection. */
function exchange(port: number, bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({host: '127.0.0.1', port})
    const chunks: Buffer[] = []
    socket.on('data', chunk => chunks.push(chunk))
    socket.once('error', reject)
    socket.once('close', () => resolve(Buffer.concat(chunks)))
    socket.write(bytes)
  })
}

const bytes = (...parts: Array<number | string | number[]>) => Buffer.concat(parts.map(p => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(Array.isArray(p) ? p : [p]))))
const socks5Connect = (host: string, port: number) => bytes(5, 1, 0, 5, 1, 0, 3, host.length, host, [port >> 8, port & 0xff])
/** The events without their time, and durationMs as a type (it is measured). */
const plain = (events: Array<Record<string, unknown>>) => events.map(({time: _time, ...e}) => ('durationMs' in e ? {...e, durationMs: typeof e.durationMs} : e))

describe('a tunnel that cannot be opened', () => {
  // web-1 is gone (404), so the connection fails over to web-2, which is gone too.
  const route: Route = {
    backend: {pod: 'web-1', port: 8080}, kind: 'pod', namespace: 'shop', service: 'web',
    next: exclude => (exclude.has('web-2') ? undefined : {pod: 'web-2', port: 8081}),
  }
  const line = 'refused web.shop:80 -> shop/web-2:8081: error upgrading connection: pods "web-2" not found'

  it('names the last pod tried and its port: the line, the error and closed events, the SOCKS5 reply', AT_ONCE, async () => {
    const proxy = await startProxy(route)
    const reply = await exchange(proxy.port, socks5Connect('web.shop', 80))
    assert.deepEqual([...reply], [5, 0, 5, 5, 0, 1, 0, 0, 0, 0, 0, 0])
    assert.deepEqual(proxy.opened, ['web-1:8080', 'web-2:8081'])
    assert.deepEqual(proxy.stderr, [`${line}\n`])
    const client = proxy.events[0].client
    assert.deepEqual(plain(proxy.events), [
      {client, event: 'connection-opened', host: 'web.shop', id: 1, port: 80, protocol: 'socks5'},
      {event: 'error', host: 'web.shop', id: 1, message: line, pod: 'web-2', port: 80},
      {
        bytesIn: 0, bytesOut: 0, client, durationMs: 'number', error: 'error upgrading connection: pods "web-2" not found', event: 'connection-closed',
        host: 'web.shop', id: 1, namespace: 'shop', pod: 'web-2', podPort: 8081, port: 80, protocol: 'socks5', reason: 'open-failed',
      },
    ])
    // The keys of the closed event keep their order (-o json is read by scripts).
    assert.deepEqual(Object.keys(proxy.events[2]), ['event', 'time', 'bytesIn', 'bytesOut', 'client', 'durationMs', 'error', 'host', 'id', 'port', 'protocol', 'reason', 'namespace', 'pod', 'podPort'])
  })

  it('an HTTP CONNECT client gets the same line as a 502', AT_ONCE, async () => {
    const proxy = await startProxy(route)
    const reply = await exchange(proxy.port, bytes('CONNECT web.shop:80 HTTP/1.1\r\nHost: web.shop:80\r\n\r\n'))
    const body = `${line}\n`
    assert.equal(reply.toString('latin1'), `HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`)
    assert.deepEqual(proxy.stderr, [`${line}\n`])
  })
})

describe('a connection that fails after it was forwarded', () => {
  it('is an error of that connection, not a refusal: port-forward\'s words, naming the pod and port it went to', AT_ONCE, async () => {
    const route: Route = {backend: {pod: 'live', port: 8080}, kind: 'pod', namespace: 'shop', next: () => undefined, service: 'web'}
    const message = 'lost connection to pod'
    const proxy = await startProxy(route, async socket => {
      socket.destroy()
      return {bytesIn: 10, bytesOut: 5, error: new PortForwardError(message, {namespace: 'shop', pod: 'live', port: 8080}), reason: 'lost'}
    })
    const reply = await exchange(proxy.port, socks5Connect('web.shop', 80))
    assert.deepEqual([...reply], [5, 0, 5, 0, 0, 1, 127, 0, 0, 1, proxy.port >> 8, proxy.port & 0xff])
    const line = `an error occurred forwarding web.shop:80 -> shop/live:8080: ${message}`
    await until(() => proxy.events.length === 3, 'the error and closed events')
    assert.deepEqual(proxy.stderr, [`${line}\n`])
    const client = proxy.events[0].client
    assert.deepEqual(plain(proxy.events).slice(1), [
      {event: 'error', host: 'web.shop', id: 1, message: line, pod: 'live', port: 80},
      {
        bytesIn: 10, bytesOut: 5, client, durationMs: 'number', error: message, event: 'connection-closed',
        host: 'web.shop', id: 1, namespace: 'shop', pod: 'live', podPort: 8080, port: 80, protocol: 'socks5', reason: 'lost', service: 'web',
      },
    ])
  })
})

describe('a connection given up while its tunnel opens', () => {
  const route: Route = {backend: {pod: 'slow', port: 8080}, kind: 'pod', namespace: 'shop', next: () => undefined, service: 'web'}
  const closedEvent = (client: unknown, more: Record<string, unknown>) => ({
    bytesIn: 0, bytesOut: 0, client, durationMs: 'number', event: 'connection-closed',
    host: 'web.shop', id: 1, port: 80, protocol: 'socks5', ...more, namespace: 'shop', pod: 'slow', podPort: 8080,
  })

  // (A client that leaves meanwhile is seen once the open ends: its socket is paused until then.)
  it('because svc is stopping: the connection-closed event that every connection-opened has, aborted', AT_ONCE, async () => {
    const proxy = await startProxy(route)
    const socket = net.connect({host: '127.0.0.1', port: proxy.port})
    socket.on('error', () => undefined)
    socket.write(socks5Connect('web.shop', 80))
    await until(() => proxy.opened.length === 1, 'the tunnel to pod slow being opened')
    await proxy.server!.close()
    socket.destroy()
    assert.deepEqual(plain(proxy.events).slice(1), [closedEvent(proxy.events[0].client, {reason: 'aborted'})])
    assert.deepEqual(proxy.stderr, [])
  })

  it('because its pod went away: aborted, with the reason', AT_ONCE, async () => {
    const proxy = await startProxy(route)
    const socket = net.connect({host: '127.0.0.1', port: proxy.port})
    socket.on('error', () => undefined)
    const closed = new Promise(resolve => socket.once('close', resolve))
    socket.resume()
    socket.write(socks5Connect('web.shop', 80))
    await until(() => proxy.opened.length === 1, 'the tunnel to pod slow being opened')
    proxy.server!.podGone('shop', 'slow')
    await closed
    await until(() => proxy.events.length === 2, 'the connection-closed event after connection-opened', 5_000)
    assert.deepEqual(plain(proxy.events).slice(1), [closedEvent(proxy.events[0].client, {error: 'pod "slow" in namespace "shop" went away', reason: 'aborted'})])
  })
})

describe('a refused client that is still sending', () => {
  it('gets its whole answer: svc reads and drops the rest and closes without a reset', AT_ONCE, async () => {
    const route: Route = {kind: 'refuse', refusal: {kind: 'unknown', message: 'no Service "nope" in namespace "shop"'}}
    const proxy = await startProxy(route)
    const body = Buffer.alloc(4 * 1024 * 1024, 0x61)
    const answer = await new Promise<{data: string; error?: string}>(resolve => {
      const socket = net.connect({host: '127.0.0.1', port: proxy.port})
      let data = ''
      socket.setEncoding('latin1').on('data', chunk => (data += chunk))
      socket.once('error', (error: NodeJS.ErrnoException) => resolve({data, error: error.code}))
      socket.once('close', () => resolve({data}))
      // The head and the first of the body in one write, the rest behind it: svc answers after the head.
      socket.write(Buffer.concat([Buffer.from(`POST http://nope.shop:80/ HTTP/1.1\r\nHost: nope.shop\r\nContent-Length: ${body.length}\r\n\r\n`), body]), () => socket.end())
    })
    const line = 'refused nope.shop:80: no Service "nope" in namespace "shop"\n'
    assert.deepEqual(answer, {data: `HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${line.length}\r\nConnection: close\r\n\r\n${line}`})
  })
})

describe('clients that speak neither SOCKS5 nor HTTP are refused at once', () => {
  const route: Route = {backend: {pod: 'web-1', port: 8080}, kind: 'pod', namespace: 'shop', next: () => undefined}
  const socks4 = 'SOCKS4 client 127.0.0.1 refused: svc proxy speaks SOCKS5 and HTTP (for curl, use socks5h://HOST:PORT)'
  const cases: Array<[string, Buffer, number[], string]> = [
    ['a SOCKS5 request whose version byte is 4: general failure', bytes(5, 1, 0, 4, 1, 0, 80, [127, 0, 0, 1], 0), [5, 0, 5, 1, 0, 1, 0, 0, 0, 0, 0, 0],
      'bad SOCKS5 request from 127.0.0.1: not SOCKS5 (version byte 4)'],
    ['one byte of a SOCKS5 request that is not 5 is enough', bytes(5, 1, 0, 0x47), [5, 0, 5, 1, 0, 1, 0, 0, 0, 0, 0, 0], 'bad SOCKS5 request from 127.0.0.1: not SOCKS5 (version byte 71)'],
    ['SOCKS4 CONNECT: rejected (91), its port and address echoed', bytes(4, 1, 0, 80, [10, 0, 0, 7], 'me', 0), [0, 0x5b, 0, 80, 10, 0, 0, 7], socks4],
    ['SOCKS4a CONNECT by name: rejected (91)', bytes(4, 1, 0, 80, [0, 0, 0, 1], 0, 'web.shop', 0), [0, 0x5b, 0, 80, 0, 0, 0, 1], socks4],
    ['a TLS handshake (an https:// proxy URL): closed', bytes(0x16, 3, 1, 0, 0xa5, 1), [],
      'client 127.0.0.1 began a TLS handshake: svc proxy speaks SOCKS5 and plain HTTP, not HTTPS (for curl, use socks5h://HOST:PORT or http://HOST:PORT)'],
    ['a byte that starts no HTTP method: closed', bytes(0, 1, 2), [],
      'client 127.0.0.1 sent 0x00 first, which starts neither SOCKS5 nor an HTTP request: svc proxy speaks SOCKS5 and HTTP (for curl, use socks5h://HOST:PORT or http://HOST:PORT)'],
  ]
  for (const [name, input, reply, line] of cases) {
    it(name, AT_ONCE, async () => {
      const proxy = await startProxy(route)
      assert.deepEqual([...await exchange(proxy.port, input)], reply)
      assert.deepEqual(proxy.stderr, [`${line}\n`])
      assert.deepEqual(plain(proxy.events), [{event: 'error', message: line}])
      assert.deepEqual(proxy.opened, [])
    })
  }
})
