// A port-forward session's socket read into svc's own memory (src/portforward/direct-read.ts):
// node:http still parses the answer to the upgrade, the bytes after the 101 reach the sink in order
// (those that came while nobody was attached included), and a refused upgrade's body is read as
// before. The CLI's upgrades (the tunnel's and plain SPDY's) read directly without a proxy
// (client-node sets an agent all the same) and not through one, verifying TLS either way; small
// pieces a stalled connection keeps do not pin the slabs they were read into.

import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {once} from 'node:events'
import http from 'node:http'
import https from 'node:https'
import type {AddressInfo} from 'node:net'
import {Duplex, duplexPair, PassThrough} from 'node:stream'
import {after, before, describe, test} from 'node:test'
import tlsRoots from 'node:tls'

import {KubeConfig} from '@kubernetes/client-node'

import {KubeClient} from '../../../src/kube/client.ts'
import {ConnectionError} from '../../../src/kube/errors.ts'
import {directReadAgent, SLAB_BYTES, takeDirectReads} from '../../../src/portforward/direct-read.ts'
import {type SessionHandle, SpdyTunnel} from '../../../src/portforward/spdy-tunnel.ts'
import {readUpgradeRefusal, TUNNEL_PROTOCOL, type Upgraded, upgradeSpdy, upgradeTunnel} from '../../../src/portforward/upgrade.ts'
import {type PortForwardPair, servePortForward} from '../../../src/spdy/portforward.ts'
import {type ByteSource, SpdySession} from '../../../src/spdy/session.ts'
import {issue} from '../../cluster/certs.ts'
import {startConnectProxy} from '../../helpers/proxies.ts'

const cert = issue({serverNames: {dns: ['localhost'], ips: ['127.0.0.1']}, subject: {commonName: 'localhost'}})
/** Bytes the server writes after its 101, one write (one TLS record) each. */
const records = [Buffer.from('head'), Buffer.alloc(6, 1), Buffer.alloc(4, 2), Buffer.alloc(16_384, 3), Buffer.alloc(2, 4), Buffer.alloc(16_384, 5)]
let server: https.Server
let port: number

before(async () => {
  server = https.createServer({cert: cert.certPem, key: cert.keyPem}, (_req, res) => {
    res.writeHead(403, {'Content-Type': 'application/json'})
    res.end('{"kind":"Status","apiVersion":"v1","status":"Failure","message":"forbidden here","reason":"Forbidden","code":403}')
  })
  server.on('upgrade', (_req, socket: Duplex) => {
    // The first record rides with the 101, as the head.
    socket.write(Buffer.concat([Buffer.from('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\n'), records[0]]))
    let i = 1
    const next = () => {
      if (i === records.length) return void socket.end()
      socket.write(records[i++], () => setImmediate(next))
    }
    next()
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  port = (server.address() as AddressInfo).port
})

after(() => server.close())

function request(method: string): http.ClientRequest {
  const headers = method === 'GET' ? {Connection: 'Upgrade', Upgrade: 'test'} : {}
  return https.request({agent: directReadAgent, ca: cert.certPem, headers, host: '127.0.0.1', method, path: '/', port, servername: 'localhost'})
}

describe('direct reads', () => {
  test('after the 101 every byte reaches the sink in order, from svc\'s memory, none through the socket\'s stream', async () => {
    const req = request('GET')
    req.end()
    const [, socket, head] = (await once(req, 'upgrade')) as [http.IncomingMessage, Duplex, Buffer]
    const attach = takeDirectReads(socket)
    assert.ok(attach, 'the socket was made by the agent')
    // Reads that come before the sink attaches are held, not lost. The pause is the stimulus: it
    // lets the server's records arrive while nothing is attached (no event says a read was held).
    await new Promise(resolve => setTimeout(resolve, 50))
    const chunks: Buffer[] = []
    socket.on('data', () => assert.fail('no read goes through the socket\'s data events'))
    attach(chunk => chunks.push(chunk))
    await once(socket, 'end')
    socket.destroy()
    assert.deepEqual(Buffer.concat([head, ...chunks]), Buffer.concat(records))
    for (const chunk of chunks) assert.equal(chunk.buffer.byteLength, SLAB_BYTES, 'each read is a view of a slab')
    // A full record kept (a stalled or vanished reader) pins at most a quarter more than itself:
    // no slab carries two of them.
    const full = chunks.filter(chunk => chunk.length === 16_384)
    assert.equal(full.length, 2)
    for (const chunk of full) assert.ok(chunk.buffer.byteLength <= 1.25 * chunk.length, `a ${chunk.length}-byte read pins ${chunk.buffer.byteLength} bytes`)
    assert.notEqual(full[0].buffer, full[1].buffer, 'each full record in a slab of its own')
  })

  test('a refused upgrade is answered through node:http, its body read as for any socket', async () => {
    const req = request('POST')
    req.end()
    const [res] = (await once(req, 'response')) as [http.IncomingMessage]
    const error = await new Promise<Error>(resolve => readUpgradeRefusal(res, 'POST', resolve))
    assert.equal(res.statusCode, 403)
    assert.match(error.message, /forbidden here/)
  })

  test('a socket the agent did not make has no direct reads', () => {
    assert.equal(takeDirectReads(new PassThrough()), undefined)
  })
})

const SPDY_101 = 'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n\r\n'

/** The 101 of each upgrade, for an https server that answers every request with it. */
const answers: Record<'spdy' | 'tunnel', (req: http.IncomingMessage) => string> = {
  spdy: () => SPDY_101,
  tunnel: (req) => {
    const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64')
    return `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: ${TUNNEL_PROTOCOL}\r\n\r\n`
  },
}

/** An https server that answers every request with the 101 of `transport`, then `onUpgrade`'s doing. */
async function upgradeServer(transport: 'spdy' | 'tunnel', onUpgrade: (socket: Duplex) => void): Promise<{url: string; close: () => void}> {
  const s = https.createServer({cert: cert.certPem, key: cert.keyPem})
  s.on('upgrade', (req: http.IncomingMessage, socket: Duplex) => {
    socket.write(answers[transport](req))
    onUpgrade(socket)
  })
  s.listen(0, '127.0.0.1')
  await once(s, 'listening')
  return {close: () => s.close(), url: `https://localhost:${(s.address() as AddressInfo).port}`}
}

function kubeClient(url: string, options: {ca?: string; proxyUrl?: string} = {}): KubeClient {
  const kc = new KubeConfig()
  kc.loadFromOptions({
    clusters: [{caData: Buffer.from(options.ca ?? cert.certPem).toString('base64'), name: 'c', proxyUrl: options.proxyUrl, server: url, skipTLSVerify: false}],
    contexts: [{cluster: 'c', name: 'c', user: 'u'}],
    currentContext: 'c',
    users: [{name: 'u', token: 'secret'}],
  })
  return new KubeClient(kc, {env: {}})
}

/**
 * How each transport hands over the socket's reads when they are direct: the tunnel's as
 * Upgraded.attach (for its WebSocket pipe), plain SPDY's as a socket that is the session's
 * ByteSource (the bytes of the 101 first).
 */
const upgrades = {
  spdy: {
    direct: (up: Upgraded) => ('readInto' in up.socket ? (sink: (chunk: Buffer) => void) => (up.socket as Duplex & ByteSource).readInto(sink) : undefined),
    upgrade: upgradeSpdy,
  },
  tunnel: {direct: (up: Upgraded) => up.attach, upgrade: upgradeTunnel},
}

for (const [transport, {direct, upgrade}] of Object.entries(upgrades) as [keyof typeof upgrades, (typeof upgrades)[keyof typeof upgrades]][]) {
  describe(`the ${transport === 'spdy' ? 'plain SPDY' : 'tunnel\'s'} upgrade`, () => {
    const bytes = Buffer.from('after the 101')
    let s: {url: string; close: () => void}
    before(async () => {
      s = await upgradeServer(transport, socket => socket.end(bytes))
    })
    after(() => s.close())

    test('without a proxy, the socket is read directly (client-node sets an agent all the same)', async () => {
      const client = kubeClient(s.url)
      assert.ok((await client.upgradeConnectionOptions()).agent, 'client-node set its agent')
      const up = await upgrade(client, {namespace: 'default', pod: 'web'})
      const take = direct(up)
      if (!take) up.socket.destroy()
      assert.ok(take, 'direct reads')
      up.socket.on('data', () => assert.fail('no read goes through the socket\'s data events'))
      const chunks: Buffer[] = []
      take(chunk => chunks.push(chunk))
      await once(up.socket, 'end')
      up.socket.destroy()
      assert.deepEqual(Buffer.concat([up.head, ...chunks]), bytes)
      for (const chunk of chunks) assert.equal(chunk.buffer.byteLength, SLAB_BYTES, 'each read is a view of a slab')
    })

    test('through a proxy, the socket is the proxy agent\'s, read as a stream', async () => {
      const proxy = await startConnectProxy({hosts: {localhost: '127.0.0.1'}})
      try {
        const up = await upgrade(kubeClient(s.url, {proxyUrl: proxy.url}), {namespace: 'default', pod: 'web'})
        const chunks: Buffer[] = [up.head]
        up.socket.on('data', (chunk: Buffer) => chunks.push(chunk))
        await once(up.socket, 'end')
        up.socket.destroy()
        assert.equal(direct(up), undefined)
        assert.deepEqual(proxy.stats.tunnels, [new URL(s.url).host])
        assert.deepEqual(Buffer.concat(chunks), bytes)
      } finally {
        await proxy.close()
      }
    })

    test('the direct agent verifies the server with the kubeconfig\'s CA (a TLS session from another CA is not resumed)', async () => {
      // The first test left a TLS session with this server in the agent's cache.
      const error = await upgrade(kubeClient(s.url, {ca: tlsRoots.rootCertificates[0]}), {namespace: 'default', pod: 'web'}).catch(e => e)
      assert.ok(error instanceof ConnectionError, String(error))
      assert.match(error.message, /x509/)
    })
  })
}

describe('what a stalled connection keeps of the slabs', () => {
  test('small pieces kept by a stalled reader pin at most four times their size', async t => {
    // The tunnel's session reads as direct reads do: each read (at most a TLS record, 16 KiB) is a
    // view of a slab, a fresh slab once less than 16 KiB is left.
    const [a, b] = duplexPair()
    let slab = Buffer.allocUnsafeSlow(SLAB_BYTES)
    let used = 0
    const transport = new Duplex({
      final(callback) {
        a.end()
        callback()
      },
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        a.write(chunk, callback)
      },
    })
    a.on('data', (chunk: Buffer) => {
      for (let at = 0; at < chunk.length; at += 16 * 1024) {
        const read = chunk.subarray(at, at + 16 * 1024)
        if (slab.length - used < 16 * 1024) {
          slab = Buffer.allocUnsafeSlow(SLAB_BYTES)
          used = 0
        }
        read.copy(slab, used)
        transport.push(slab.subarray(used, used + read.length))
        used += read.length
      }
    })
    const client = new SpdySession(transport, {role: 'client'})
    const server = new SpdySession(b, {role: 'server'})
    t.after(() => {
      client.destroy()
      server.destroy()
    })
    const pairs = new Map<string, PortForwardPair>()
    servePortForward(server, p => pairs.set(p.requestId, p))
    await measureStalledPins(client, pairs)
  })

  test('plain SPDY read directly: small pieces kept by a stalled reader pin at most four times their size', async t => {
    // The real path: a plain SPDY upgrade through the direct agent, the session on its socket as a
    // ByteSource, the pod's side a SPDY session on the server's TLS socket. Each of the server's
    // writes is a record of its own, each read a view of a 64 KiB slab.
    const pairs = new Map<string, PortForwardPair>()
    let server: SpdySession | undefined
    const s = await upgradeServer('spdy', socket => {
      server = new SpdySession(socket, {role: 'server'})
      servePortForward(server, p => pairs.set(p.requestId, p))
    })
    const up = await upgradeSpdy(kubeClient(s.url), {namespace: 'default', pod: 'web'})
    assert.ok('readInto' in up.socket, 'direct reads')
    const client = new SpdySession(up.socket, {role: 'client'})
    t.after(() => {
      client.destroy()
      server?.destroy()
      s.close()
    })
    await measureStalledPins(client, pairs)
  })
})

/**
 * Two connections through the session `client` to the pod side whose pairs land in `pairs`: one
 * flowing (16 KiB at a time), one whose reader stopped (100 bytes at a time), so each slab read into
 * carries a few of the stalled connection's bytes. What the stalled one keeps must pin at most four
 * times its size.
 */
async function measureStalledPins(client: SpdySession, pairs: Map<string, PortForwardPair>): Promise<void> {
  const handle: SessionHandle = {sent: 0, session: client, transport: 'tunnel'}
  const open = (requestId: string) => new SpdyTunnel({bufferBytes: 8 * 1024 * 1024, handle, namespace: 'default', onDone: () => {}, pod: 'web', port: 80, requestId, signal: new AbortController().signal})
  const stalled = open('0')
  const flowing = open('1')
  try {
    let flowed = 0
    flowing.on('data', (chunk: Buffer) => (flowed += chunk.length))
    await until(() => pairs.size === 2, 'both connections at the pod')
    const rounds = 300
    for (let i = 1; i <= rounds; i++) {
      pairs.get('0')!.data.write(Buffer.alloc(100, i))
      pairs.get('1')!.data.write(Buffer.alloc(16 * 1024, i))
      await until(() => flowed === i * 16 * 1024, `round ${i} through the flowing connection`)
    }
    const keptBytes = rounds * 100
    await until(() => stalled.readableLength === keptBytes, 'the stalled connection holding its bytes')
    // What its buffer holds, chunk by chunk as the reader would get them.
    const kept: Buffer[] = []
    stalled.on('data', (chunk: Buffer) => kept.push(chunk))
    await until(() => kept.reduce((n, c) => n + c.length, 0) === keptBytes, 'the kept bytes read out')
    const pinned = [...new Set(kept.map(c => c.buffer))].reduce((n, buffer) => n + buffer.byteLength, 0)
    assert.ok(pinned <= 4 * keptBytes, `${keptBytes} bytes kept pin ${pinned} bytes of memory`)
    assert.deepEqual(Buffer.concat(kept), Buffer.concat(Array.from({length: rounds}, (_, i) => Buffer.alloc(100, i + 1))))
  } finally {
    stalled.destroy()
    flowing.destroy()
  }
}

/** Waits until `cond` holds, turning the event loop; fails with `what` instead of hanging. */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 5000 && !cond(); i++) await new Promise(resolve => setImmediate(resolve))
  assert.ok(cond(), `timed out waiting for ${what}`)
}
