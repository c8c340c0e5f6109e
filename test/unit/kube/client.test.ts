import assert from 'node:assert/strict'
import {EventEmitter} from 'node:events'
import http from 'node:http'
import https from 'node:https'
import net, {type AddressInfo} from 'node:net'
import {after, before, describe, mock, test} from 'node:test'

import {KubeConfig} from '@kubernetes/client-node'

import {KubeClient, limitConnection, toConnectionError} from '../../../src/kube/client.ts'
import {ApiError, ConnectionError} from '../../../src/kube/errors.ts'
import {DIAL_TIMEOUT_MS} from '../../../src/kube/proxy.ts'
import type {KubeObject} from '../../../src/kube/types.ts'
import {issue} from '../../cluster/certs.ts'

const TOKEN = 'secret-token-value'
let server: http.Server
let base: string
const seen: Array<{auth?: string; method?: string; url?: string}> = []

function kubeConfigFor(url: string, skipTLSVerify = true): KubeConfig {
  const kc = new KubeConfig()
  kc.loadFromOptions({
    clusters: [{name: 'c', server: url, skipTLSVerify}],
    contexts: [{cluster: 'c', name: 'ctx', user: 'u'}],
    currentContext: 'ctx',
    users: [{name: 'u', token: TOKEN}],
  })
  return kc
}

before(async () => {
  server = http.createServer((req, res) => {
    seen.push({auth: req.headers.authorization, method: req.method, url: req.url})
    if (req.url?.startsWith('/ok')) {
      res.setHeader('Content-Type', 'application/json')
      res.end(JSON.stringify({hello: 'world'}))
    } else if (req.url?.startsWith('/echo')) {
      let body = ''
      req.on('data', d => (body += d)).on('end', () => res.end(JSON.stringify({body, type: req.headers['content-type']})))
    } else if (req.url?.startsWith('/missing')) {
      res.writeHead(404, {'Content-Type': 'application/json'})
      res.end(JSON.stringify({apiVersion: 'v1', code: 404, details: {kind: 'services', name: 'web'}, kind: 'Status', message: 'services "web" not found', metadata: {}, reason: 'NotFound', status: 'Failure'}))
    } else if (req.url?.startsWith('/plain')) {
      res.writeHead(503)
      res.end('overloaded')
    } else if (req.url?.startsWith('/slow')) {
      setTimeout(() => res.end('{}'), 2000).unref()
    } else if (req.url?.startsWith('/watch')) {
      res.setHeader('Content-Type', 'application/json')
      res.write('{"type":"ADDED","object":{"metadata":{"name":"a"}}}\n{"type":"MODI')
      setTimeout(() => {
        res.write('FIED","object":{"metadata":{"name":"a"}}}\n')
        res.end('{"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired","message":"too old resource version: 1 (5)"}}\n')
      }, 20)
    } else {
      res.writeHead(500)
      res.end()
    }
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
after(() => new Promise<void>(resolve => server.close(() => resolve())))

describe('KubeClient', () => {
  test('parses JSON; over plain HTTP no credentials are sent, insecure-skip-tls-verify or not (kubectl: rest.IsConfigTransportTLS)', async () => {
    for (const insecure of [true, false]) {
      const client = new KubeClient(kubeConfigFor(base, insecure))
      const res = await client.request({path: '/ok', query: {labelSelector: 'app=web', limit: 5, skip: undefined}})
      assert.deepEqual(res.body, {hello: 'world'})
      const last = seen.at(-1)!
      assert.equal(last.auth, undefined)
      assert.equal(last.url, '/ok?labelSelector=app%3Dweb&limit=5')
    }
  })

  test('a server without a scheme is http:// (rest.DefaultServerURL)', async () => {
    const client = new KubeClient(kubeConfigFor(base.replace('http://', ''), false))
    assert.deepEqual((await client.request({path: '/ok'})).body, {hello: 'world'})
    assert.equal(seen.at(-1)!.auth, undefined)
  })

  test('a query or fragment in the server URL is not part of a request\'s URL (client-go Request.URL keeps only the base\'s path)', async () => {
    for (const [written, want] of [
      [`${base}?x=y`, '/ok?limit=5'],
      [`${base}#f`, '/ok?limit=5'],
      [`${base}/?x=y#f`, '/ok?limit=5'],
      [`${base}/ok-prefix/?x=y`, '/ok-prefix/ok?limit=5'],
    ]) {
      const client = new KubeClient(kubeConfigFor(written))
      assert.equal(client.url('/ok', {limit: 5}).href, `${base}${want}`, written)
      await client.request({path: '/ok', query: {limit: 5}})
      assert.equal(seen.at(-1)!.url, want, written)
    }
  })

  test('sends JSON bodies with a content type', async () => {
    const client = new KubeClient(kubeConfigFor(base))
    const res = await client.request({body: {a: 1}, contentType: 'application/merge-patch+json', method: 'PATCH', path: '/echo'})
    assert.deepEqual(res.body, {body: '{"a":1}', type: 'application/merge-patch+json'})
  })

  test('non-2xx answers throw ApiError with the Status', async () => {
    const client = new KubeClient(kubeConfigFor(base))
    await assert.rejects(client.request({path: '/missing'}), (err: unknown) => {
      assert.ok(err instanceof ApiError)
      assert.equal(err.code, 404)
      assert.equal(err.status.message, 'services "web" not found')
      return true
    })
    await assert.rejects(client.request({path: '/plain'}), (err: unknown) => err instanceof ApiError && err.reason === 'ServiceUnavailable')
  })

  test('a refused connection names the server', async () => {
    const probe = http.createServer()
    await new Promise<void>(resolve => probe.listen(0, '127.0.0.1', resolve))
    const port = (probe.address() as AddressInfo).port
    await new Promise<void>(resolve => probe.close(() => resolve()))
    const client = new KubeClient(kubeConfigFor(`http://127.0.0.1:${port}`))
    await assert.rejects(client.request({path: '/ok'}), (err: unknown) => {
      assert.ok(err instanceof ConnectionError)
      assert.equal(err.errno, 'ECONNREFUSED')
      assert.equal(err.server, `127.0.0.1:${port}`)
      return true
    })
  })

  test('--request-timeout ends a slow request', async () => {
    const client = new KubeClient(kubeConfigFor(base), {timeoutMs: 100})
    await assert.rejects(client.request({path: '/slow'}), (err: unknown) => err instanceof ConnectionError && err.errno === 'TIMEOUT' && /Client\.Timeout exceeded/.test(err.message))
  })

  test('a server that accepts TCP but never finishes the TLS handshake fails as Go\'s TLS handshake timeout, even with no --request-timeout', async () => {
    const sockets: import('node:net').Socket[] = []
    const silent = net.createServer(socket => sockets.push(socket))
    await new Promise<void>(resolve => silent.listen(0, '127.0.0.1', resolve))
    const port = (silent.address() as AddressInfo).port
    try {
      const client = new KubeClient(kubeConfigFor(`https://127.0.0.1:${port}`), {handshakeTimeoutMs: 100, timeoutMs: 0})
      await assert.rejects(client.request({path: '/ok'}), (err: unknown) => {
        assert.ok(err instanceof ConnectionError)
        assert.equal(err.errno, 'TLS_HANDSHAKE_TIMEOUT')
        assert.equal(err.message, 'net/http: TLS handshake timeout')
        return true
      })
    } finally {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>(resolve => silent.close(() => resolve()))
    }
  })

  test('a refused certificate\'s second handshake (refusal.ts) ends within --request-timeout: a server that stalls it does not hold the answer for the handshake timeout', async () => {
    const ca = issue({days: 2, isCA: true, subject: {commonName: 'untrusted-ca'}})
    const leaf = issue({days: 2, issuer: ca, serverNames: {dns: ['localhost'], ips: ['127.0.0.1']}, subject: {commonName: 'api'}})
    const api = https.createServer({cert: leaf.certPem, key: leaf.keyPem})
    await new Promise<void>(resolve => api.listen(0, '127.0.0.1', resolve))
    // The first connection reaches the server; every later one is accepted and never answered.
    const held: net.Socket[] = []
    let connections = 0
    const front = net.createServer(socket => {
      socket.on('error', () => {})
      if (connections++ > 0) {
        held.push(socket)
        return
      }
      const upstream = net.connect((api.address() as AddressInfo).port, '127.0.0.1')
      upstream.on('error', () => {})
      socket.pipe(upstream).pipe(socket)
    })
    await new Promise<void>(resolve => front.listen(0, '127.0.0.1', resolve))
    try {
      const client = new KubeClient(kubeConfigFor(`https://127.0.0.1:${(front.address() as AddressInfo).port}`, false), {handshakeTimeoutMs: 20_000, timeoutMs: 1000})
      const started = Date.now()
      await assert.rejects(client.request({path: '/ok'}), (err: unknown) => {
        assert.ok(err instanceof ConnectionError)
        assert.equal(err.message, 'tls: failed to verify certificate: x509: certificate signed by unknown authority')
        return true
      })
      assert.equal(held.length, 1, 'the second handshake was tried')
      assert.ok(Date.now() - started < 10_000, `answered after ${Date.now() - started} ms`)
    } finally {
      for (const socket of held) socket.destroy()
      api.closeAllConnections()
      await Promise.all([new Promise(resolve => front.close(resolve)), new Promise(resolve => api.close(resolve))])
    }
  })

  test('-v 6 logs requests and statuses, never the token', async () => {
    const lines: string[] = []
    const client = new KubeClient(kubeConfigFor(base), {log: l => lines.push(l), verbosity: 8})
    await client.request({path: '/ok'})
    assert.match(lines[0], /^GET http:\/\/127\.0\.0\.1:\d+\/ok 200 OK in \d+ milliseconds$/)
    assert.match(lines[1], /^Response Body: \{"hello":"world"\}$/)
    assert.ok(lines.every(l => !l.includes(TOKEN)))
    const quiet: string[] = []
    await new KubeClient(kubeConfigFor(base), {log: l => quiet.push(l), verbosity: 0}).request({path: '/ok'})
    assert.deepEqual(quiet, [])
  })

  test('watch yields events split across chunks and throws the ERROR Status', async () => {
    const client = new KubeClient(kubeConfigFor(base))
    const events: string[] = []
    await assert.rejects(async () => {
      for await (const event of client.watch<KubeObject>('/watch', {resourceVersion: '1'})) events.push(`${event.type} ${event.object.metadata.name}`)
    }, (err: unknown) => err instanceof ApiError && err.code === 410 && err.reason === 'Expired')
    assert.deepEqual(events, ['ADDED a', 'MODIFIED a'])
    assert.match(seen.at(-1)!.url!, /allowWatchBookmarks=true&watch=true/)
  })

  test('requests one after another share a connection; requests at once each have one; a watch ended early is not reused', async () => {
    const sockets = new Set<net.Socket>()
    const count = (socket: net.Socket) => sockets.add(socket)
    server.on('connection', count)
    try {
      const client = new KubeClient(kubeConfigFor(base))
      for (let i = 0; i < 3; i++) assert.deepEqual((await client.request({path: '/ok'})).body, {hello: 'world'})
      assert.equal(sockets.size, 1, 'three requests in turn: one connection')
      await Promise.all([client.request({path: '/ok'}), client.request({path: '/ok'})])
      assert.equal(sockets.size, 2, 'two at once: the kept one and one more')
      // A watch whose reader stops before the server ends it closes its connection.
      for await (const event of client.watch<KubeObject>('/watch', {})) {
        assert.equal(event.type, 'ADDED')
        break
      }
      await client.request({path: '/ok'})
      assert.ok(sockets.size <= 3, `${sockets.size} connections`)
      assert.ok([...sockets].some(s => s.destroyed), 'the watch\'s connection was closed')
      // A request with a body has a connection of its own, as before.
      const before = sockets.size
      await client.request({body: {a: 1}, method: 'POST', path: '/echo'})
      assert.equal(sockets.size, before + 1)
    } finally {
      server.off('connection', count)
    }
  })

  test('a GET on a kept connection that the server has closed is sent again on a new one', async () => {
    // The server closes a connection when a second request arrives on it, before answering: what
    // a client sees when the server closed an idle connection as the request went out.
    const served = new WeakSet<net.Socket>()
    const stale = http.createServer((req, res) => {
      if (served.has(req.socket)) return req.socket.destroy()
      served.add(req.socket)
      res.setHeader('Content-Type', 'application/json')
      res.end(JSON.stringify({url: req.url}))
    })
    await new Promise<void>(resolve => stale.listen(0, '127.0.0.1', resolve))
    try {
      const logged: string[] = []
      const client = new KubeClient(kubeConfigFor(`http://127.0.0.1:${(stale.address() as AddressInfo).port}`), {log: l => logged.push(l), verbosity: 6})
      assert.deepEqual((await client.request({path: '/a'})).body, {url: '/a'})
      assert.deepEqual((await client.request({path: '/b'})).body, {url: '/b'})
      assert.deepEqual(logged.map(l => l.replace(/ in \d+ milliseconds$/, '').replace(/^GET http:\/\/[^/]+/, 'GET ')), ['GET /a 200 OK', 'GET /b 200 OK'])
    } finally {
      await new Promise<void>(resolve => stale.close(() => resolve()))
    }
  })
})

describe('KubeClient.upgradeConnectionOptions', () => {
  test('builds the TLS context once, keeps verification and credentials, and drops the raw CA', async (t) => {
    // A kubeconfig with a real CA and client certificate: the local cluster's `cert` user.
    const {startCluster} = await import('../../cluster/index.ts')
    const cluster = await startCluster()
    t.after(() => cluster.stop())
    const kc = new KubeConfig()
    kc.loadFromString(cluster.kubeconfig('cert'))
    const client = new KubeClient(kc)
    const a = await client.upgradeConnectionOptions()
    const b = await client.upgradeConnectionOptions()
    assert.ok(a.secureContext)
    assert.equal(a.secureContext, b.secureContext)
    assert.equal(a.ca, undefined)
    assert.equal(a.cert, undefined)
    assert.equal(a.key, undefined)
    assert.notEqual(a.rejectUnauthorized, false)
    // The options for pooled requests are left as they were.
    const plain = await client.connectionOptions()
    assert.ok(plain.ca && plain.cert && plain.key)
    assert.equal((plain as {secureContext?: unknown}).secureContext, undefined)
  })

  test('without TLS material there is nothing to cache', async () => {
    const client = new KubeClient(kubeConfigFor('https://127.0.0.1:6443', true))
    const options = await client.upgradeConnectionOptions()
    assert.equal(options.secureContext, undefined)
    assert.equal((options.headers as Record<string, string>).Authorization, `Bearer ${TOKEN}`)
  })
})

// client-go's transport: net.Dialer{Timeout: 30 * time.Second}, then TLSHandshakeTimeout (10 s)
// from the connection. kubectl 1.35 against a listener that never accepts: `dial tcp
// 127.0.0.1:PORT: i/o timeout` after 30 s a try (svc said `net/http: TLS handshake timeout` at 10 s).
describe('limitConnection', () => {
  /** A request and its new socket, as Node hands them over; what the request was destroyed with. */
  function fresh(encrypted: boolean) {
    let destroyed: NodeJS.ErrnoException | undefined
    const request = Object.assign(new EventEmitter(), {destroy: (error: NodeJS.ErrnoException) => (destroyed = error), reusedSocket: false})
    const socket = Object.assign(new EventEmitter(), {connecting: true, encrypted})
    limitConnection(request as unknown as http.ClientRequest, 10_000)
    request.emit('socket', socket)
    return {destroyed: () => destroyed, socket}
  }

  test('not connected: the dialer\'s words at 30 s, not the handshake\'s at 10 s', t => {
    mock.timers.enable({apis: ['setTimeout']})
    t.after(() => mock.timers.reset())
    for (const encrypted of [true, false]) {
      const {destroyed} = fresh(encrypted)
      mock.timers.tick(DIAL_TIMEOUT_MS - 1)
      assert.equal(destroyed(), undefined)
      mock.timers.tick(1)
      assert.equal(destroyed()?.code, 'ETIMEDOUT')
      assert.equal(toConnectionError(destroyed()!, '127.0.0.1:6443', new URL('https://127.0.0.1:6443/api')).message, 'dial tcp 127.0.0.1:6443: i/o timeout')
    }
  })

  test('connected: the handshake has 10 s from then; done, nothing more', t => {
    mock.timers.enable({apis: ['setTimeout']})
    t.after(() => mock.timers.reset())
    const slow = fresh(true)
    mock.timers.tick(25_000)
    slow.socket.emit('connect')
    mock.timers.tick(9_999)
    assert.equal(slow.destroyed(), undefined)
    mock.timers.tick(1)
    assert.equal(slow.destroyed()?.code, 'TLS_HANDSHAKE_TIMEOUT')
    const done = fresh(true)
    done.socket.emit('connect')
    done.socket.emit('secureConnect')
    const plain = fresh(false)
    plain.socket.emit('connect')
    mock.timers.tick(10 * 60_000)
    assert.equal(done.destroyed(), undefined)
    assert.equal(plain.destroyed(), undefined)
  })
})
