// The local client's reads freed once their bytes are framed (src/portforward/owned-chunks.ts):
// only a Buffer marked as owned, spanning all of its memory, is ever released; a frame built from
// owned chunks carries their bytes; through a whole tunnel session, and over plain SPDY (TCP, TLS)
// once the socket has written them, every read of the local client is freed and the pod gets every
// byte, in order.

import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {once} from 'node:events'
import {type AddressInfo, connect, createServer, type Socket} from 'node:net'
import {duplexPair} from 'node:stream'
import {describe, test} from 'node:test'
import tls from 'node:tls'

import {forwardConnection} from '../../../src/portforward/forward.ts'
import {ownChunk, releaseChunk, releaseChunks} from '../../../src/portforward/owned-chunks.ts'
import {SpdyTunnel} from '../../../src/portforward/spdy-tunnel.ts'
import type {ForwardResult} from '../../../src/portforward/types.ts'
import {WebSocketPipe} from '../../../src/portforward/ws-pipe.ts'
import {servePortForward} from '../../../src/spdy/portforward.ts'
import {SpdySession} from '../../../src/spdy/session.ts'
import {issue} from '../../cluster/certs.ts'

/** A Buffer with memory of its own, as a socket read is. */
function read(bytes: number): Buffer {
  const chunk = Buffer.allocUnsafeSlow(bytes)
  randomBytes(bytes).copy(chunk)
  return chunk
}

describe('owned chunks', () => {
  test('an owned chunk is freed by its release; a chunk not owned, a view, and pooled memory are left alone', () => {
    const owned = Buffer.allocUnsafeSlow(1000).fill(1)
    ownChunk(owned)
    releaseChunk(owned)
    assert.equal(owned.length, 0)
    assert.equal(owned.buffer.byteLength, 0)

    const notOwned = Buffer.allocUnsafeSlow(1000).fill(2)
    releaseChunk(notOwned)
    assert.equal(notOwned.length, 1000)

    // A piece of an owned chunk is not released (its other pieces may be unsent), nor does it
    // take the whole chunk's ownership away.
    const whole = Buffer.allocUnsafeSlow(1000).fill(3)
    ownChunk(whole)
    releaseChunk(whole.subarray(0, 500))
    assert.equal(whole.length, 1000)
    releaseChunk(whole)
    assert.equal(whole.length, 0)

    // Small Buffers share Node's pool: never marked, never freed.
    const pooled = Buffer.from('abc')
    const neighbour = Buffer.from('def')
    ownChunk(pooled)
    releaseChunk(pooled)
    assert.equal(pooled.toString(), 'abc')
    assert.equal(neighbour.toString(), 'def')
  })

  test('a WebSocket frame built from owned chunks carries their bytes and frees them', async () => {
    const [a, b] = duplexPair()
    const client = new WebSocketPipe(a, Buffer.alloc(0), {})
    const server = new WebSocketPipe(b, Buffer.alloc(0), {role: 'server'})
    const chunks = [read(65_536), read(10), read(40_000)]
    const expected = Buffer.concat(chunks)
    const notOwned = read(100)
    for (const chunk of chunks) ownChunk(chunk)
    const received: Buffer[] = []
    let receivedBytes = 0
    server.on('data', (chunk: Buffer) => {
      received.push(chunk)
      receivedBytes += chunk.length
    })
    client.cork()
    for (const chunk of chunks) client.write(chunk)
    client.write(notOwned)
    client.uncork()
    assert.deepEqual(chunks.map(c => c.length), [0, 0, 0], 'freed once framed')
    assert.equal(notOwned.length, 100)
    while (receivedBytes < expected.length + notOwned.length) await once(server, 'data')
    assert.ok(Buffer.concat(received).equals(Buffer.concat([expected, notOwned])))
    client.destroy()
    server.destroy()
  })

  test('through a tunnel session: every read of the local client is freed once framed, and the pod gets every byte in order', async t => {
    const [a, b] = duplexPair()
    const reads = await uploadThrough(t, new SpdySession(new WebSocketPipe(a, Buffer.alloc(0), {}), {role: 'client'}), new SpdySession(new WebSocketPipe(b, Buffer.alloc(0), {role: 'server'}), {role: 'server'}))
    assert.deepEqual(reads.filter(r => r.length > 0).map(r => r.length), [], 'every read freed')
  })

  test('plain SPDY over TCP: every read of the local client is freed once the socket has written it, and the pod gets every byte in order', async t => {
    const [out, inbound] = await tcpPair(t)
    const reads = await uploadThrough(t, new SpdySession(out, {role: 'client', written: releaseChunks}), new SpdySession(inbound, {role: 'server'}))
    assert.deepEqual(reads.filter(r => r.length > 0).map(r => r.length), [], 'every read freed')
  })

  test('plain SPDY over TLS: every read of the local client is freed once the TLS socket has written it, and the pod gets every byte in order', async t => {
    const cert = issue({serverNames: {dns: ['localhost'], ips: ['127.0.0.1']}, subject: {commonName: 'localhost'}})
    const listener = tls.createServer({cert: cert.certPem, key: cert.keyPem})
    listener.listen(0, '127.0.0.1')
    await once(listener, 'listening')
    t.after(() => listener.close())
    const accepted = once(listener, 'secureConnection') as Promise<[tls.TLSSocket]>
    const out = tls.connect({ca: cert.certPem, host: '127.0.0.1', port: (listener.address() as AddressInfo).port, servername: 'localhost'})
    await once(out, 'secureConnect')
    const [inbound] = await accepted
    const reads = await uploadThrough(t, new SpdySession(out, {role: 'client', written: releaseChunks}), new SpdySession(inbound, {role: 'server'}))
    assert.deepEqual(reads.filter(r => r.length > 0).map(r => r.length), [], 'every read freed')
  })

  test('a session without `written` leaves the reads to V8', async t => {
    const [out, inbound] = await tcpPair(t)
    const reads = await uploadThrough(t, new SpdySession(out, {role: 'client'}), new SpdySession(inbound, {role: 'server'}))
    assert.ok(reads.every(r => r.length > 0), 'no read freed')
  })
})

/** Both ends of a TCP connection on loopback. */
async function tcpPair(t: {after: (fn: () => void) => void}): Promise<[Socket, Socket]> {
  const listener = createServer()
  listener.listen(0, '127.0.0.1')
  await once(listener, 'listening')
  t.after(() => listener.close())
  const accepted = once(listener, 'connection') as Promise<[Socket]>
  const out = connect((listener.address() as AddressInfo).port, '127.0.0.1')
  await once(out, 'connect')
  const [inbound] = await accepted
  return [out, inbound]
}

/**
 * 4 MiB from a local client through forwardConnection and a SpdyTunnel on `session` to a pod on
 * `podSide`: the pod gets every byte in order; returns the local socket's reads as they are now
 * (kept by a listener of the test's, which sees each before forwardConnection takes it).
 */
async function uploadThrough(t: {after: (fn: () => void) => void}, session: SpdySession, podSide: SpdySession): Promise<Buffer[]> {
  t.after(() => {
    session.destroy()
    podSide.destroy()
  })
  const atPod: Buffer[] = []
  let podBytes = 0
  servePortForward(podSide, pair => {
    pair.error.end()
    pair.data.on('data', (chunk: Buffer) => {
      atPod.push(Buffer.from(chunk))
      podBytes += chunk.length
    })
    pair.data.on('end', () => pair.data.end())
  })
  const reads: Buffer[] = []
  let forwarded!: (result: Promise<ForwardResult>) => void
  const connection = new Promise<Promise<ForwardResult>>(resolve => (forwarded = resolve))
  const server = createServer(socket => {
    socket.on('data', (chunk: Buffer) => reads.push(chunk))
    forwarded(forwardConnection(socket, () => Promise.resolve(new SpdyTunnel({
      bufferBytes: 256 * 1024,
      handle: {sent: 0, session, transport: 'tunnel'},
      namespace: 'default',
      onDone: () => {},
      pod: 'web-0',
      port: 8080,
      requestId: '0',
      signal: new AbortController().signal,
    }))))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.after(() => server.close())
  const total = 4 * 1024 * 1024
  const bytes = randomBytes(total)
  const client: Socket = connect((server.address() as AddressInfo).port, '127.0.0.1')
  client.end(bytes)
  client.resume()
  const result = await (await connection)
  assert.equal(result.reason, 'completed')
  assert.equal(podBytes, total)
  assert.ok(Buffer.concat(atPod).equals(bytes), 'the bytes arrive whole and in order')
  assert.ok(reads.length >= 2, `${reads.length} reads`)
  return reads
}
