// SpdyTunnel: one forwarded connection's two SPDY streams, taking the session's frames directly.
// Each row drives a client session (the tunnel's) against a server session that plays the kubelet
// (src/spdy/portforward.ts), over an in-memory pipe, and checks what the tunnel delivers, how it
// ends, what went over the wire, and that nothing of it is left on either session.

import {test} from 'node:test'
import assert from 'node:assert/strict'
import {once} from 'node:events'
import {randomBytes} from 'node:crypto'
import {type AddressInfo, connect, createServer, type Socket} from 'node:net'
import type {Duplex} from 'node:stream'

import {dataFrameHeader, encodeFrame, RstStatus} from '../../../src/spdy/frames.ts'
import {type PortForwardPair, servePortForward} from '../../../src/spdy/portforward.ts'
import {SpdySession, type SpdyStream} from '../../../src/spdy/session.ts'
import {type SessionHandle, SpdyTunnel} from '../../../src/portforward/spdy-tunnel.ts'
import {forwardConnection} from '../../../src/portforward/forward.ts'
import type {ForwardResult} from '../../../src/portforward/types.ts'
import {PortForwardError, TunnelLostError} from '../../../src/portforward/types.ts'
import {spdyPair} from '../../helpers/spdy-pair.ts'
import {until as pollUntil} from '../../helpers/poll.ts'

interface Rig {
  client: SpdySession
  server: SpdySession
  /** The server session's transport: raw frames written to it reach the client session. */
  serverEnd: Duplex
  handle: SessionHandle
  pairs: PortForwardPair[]
  /** Resets the server saw, as `type:status`. */
  resets: string[]
  nextPair: () => Promise<PortForwardPair>
}

function rig(t: {after: (fn: () => void) => void}, onPair: (p: PortForwardPair) => void): Rig {
  const {client, server, serverEnd} = spdyPair(t)
  const pairs: PortForwardPair[] = []
  const resets: string[] = []
  const waiting: Array<(p: PortForwardPair) => void> = []
  servePortForward(server, p => {
    pairs.push(p)
    for (const [type, s] of [['data', p.data], ['error', p.error]] as const) {
      s.on('reset', (status: number) => resets.push(`${type}:${status}`))
      s.on('error', () => {})
    }
    onPair(p)
    waiting.shift()?.(p)
  })
  const nextPair = () => (pairs.length > waiting.length ? Promise.resolve(pairs[waiting.length]) : new Promise<PortForwardPair>(r => waiting.push(r)))
  return {client, handle: {sent: 0, session: client, transport: 'tunnel'}, nextPair, pairs, resets, server, serverEnd}
}

function open(r: Rig, options: {bufferBytes?: number; signal?: AbortSignal} = {}): {tunnel: SpdyTunnel; doneCalls: () => number} {
  let calls = 0
  const tunnel = new SpdyTunnel({
    bufferBytes: options.bufferBytes ?? 256 * 1024,
    handle: r.handle,
    namespace: 'default',
    onDone: () => calls++,
    pod: 'web-0',
    port: 8080,
    requestId: '0',
    signal: options.signal ?? new AbortController().signal,
  })
  return {doneCalls: () => calls, tunnel}
}

async function readAll(tunnel: SpdyTunnel): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of tunnel) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

/** Waits until `cond` holds, turning the event loop; fails with `what` instead of hanging. */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await new Promise(r => setImmediate(r))
  assert.ok(cond(), `timed out waiting for ${what}`)
}

interface Row {
  name: string
  /** The pod's behaviour once the pair is there. */
  pod: (p: PortForwardPair) => void
  /** What the local side sends (then FIN). */
  send: Buffer
  /** What the tunnel's readable side delivers before it ends; undefined when it is destroyed. */
  delivered?: Buffer | string
  errorMessage?: string
  /** The tunnel is destroyed with this error (message match). */
  lost?: RegExp
  /** `done` settles with an error of this class. */
  doneWith?: typeof PortForwardError | typeof TunnelLostError
}

const payload = randomBytes(300 * 1024)
const rows: Row[] = [
  {
    delivered: payload,
    name: 'echo with half-close both ways: every byte back, no reset',
    pod: p => {
      p.data.pipe(p.data)
      p.data.on('end', () => p.error.end())
    },
    send: payload,
  },
  {
    delivered: 'partial',
    doneWith: PortForwardError,
    errorMessage: 'error forwarding port 8080 to pod web-0, uid : failed to connect to localhost:8080',
    name: 'the kubelet writes an error and resets both streams: data before it is read out, then the end',
    pod: p => {
      p.data.write('partial')
      p.error.write('error forwarding port 8080 to pod web-0, uid : failed to connect to localhost:8080', () => {
        p.data.reset(RstStatus.CANCEL)
        p.error.reset(RstStatus.CANCEL)
      })
    },
    send: Buffer.from('GET / HTTP/1.0\r\n\r\n'),
  },
  {
    delivered: '',
    doneWith: PortForwardError,
    errorMessage: 'refused',
    name: 'the error stream speaks and ends after the data stream ended',
    pod: p => {
      p.data.resume()
      p.data.end(() => p.error.end('refused'))
    },
    send: Buffer.from('x'),
  },
  {
    doneWith: TunnelLostError,
    lost: /stream reset by the server \(status 5\)/,
    name: 'the data stream reset with no error text: the connection is lost',
    pod: p => p.data.reset(RstStatus.CANCEL),
    send: Buffer.from('x'),
  },
]

for (const row of rows) {
  test(`SpdyTunnel: ${row.name}`, async t => {
    const r = rig(t, row.pod)
    const {tunnel, doneCalls} = open(r)
    let destroyedWith: Error | undefined
    tunnel.on('error', e => (destroyedWith = e))
    const got = row.delivered === undefined ? undefined : readAll(tunnel)
    if (row.delivered === undefined) tunnel.resume()
    tunnel.end(row.send)
    if (got) assert.deepEqual(await got, Buffer.from(row.delivered as Buffer | string))
    else await new Promise(resolve => tunnel.once('close', resolve))
    assert.equal(tunnel.errorMessage, row.errorMessage)
    if (row.lost) assert.match(destroyedWith?.message ?? '', row.lost)
    else assert.equal(destroyedWith, undefined)
    if (got) tunnel.destroy()
    const done = await tunnel.done
    if (row.doneWith) assert.ok(done instanceof row.doneWith, `done settled with ${done}`)
    else assert.equal(done, undefined)
    assert.equal(doneCalls(), 1)
    assert.equal(tunnel.bytesOut, row.send.length)
    assert.equal(r.handle.sent, row.send.length)
    assert.equal(r.client.streamCount, 0, 'the client session forgot both streams')
    await until(() => r.server.streamCount === 0, 'the server session to forget both streams')
    if (row.name.startsWith('echo')) assert.deepEqual(r.resets, [])
  })
}

test('SpdyTunnel: destroyed before either side finished, both streams are reset in one go', async t => {
  let seen = ''
  const r = rig(t, p => p.data.on('data', (c: Buffer) => (seen += c.toString())))
  const {tunnel, doneCalls} = open(r)
  tunnel.write('hello')
  await until(() => seen === 'hello', 'the pod to read the bytes')
  tunnel.destroy()
  await until(() => r.resets.length === 2, 'two resets on the server')
  assert.deepEqual(r.resets.sort(), [`data:${RstStatus.CANCEL}`, `error:${RstStatus.CANCEL}`])
  assert.equal(await tunnel.done, undefined)
  assert.equal(doneCalls(), 1)
  assert.equal(r.client.streamCount, 0)
})

test('SpdyTunnel: a write before the data stream is replied to waits for the reply', async t => {
  const {client, server} = spdyPair(t)
  const streams: SpdyStream[] = []
  const early: string[] = []
  server.on('stream', (s: SpdyStream) => {
    streams.push(s)
    s.on('data', (c: Buffer) => early.push(`${s.headers.streamtype?.[0]}:${c.toString()}`))
  })
  const tunnel = new SpdyTunnel({bufferBytes: 1024, handle: {sent: 0, session: client, transport: 'spdy'}, namespace: 'n', onDone: () => {}, pod: 'p', port: 80, requestId: '9', signal: new AbortController().signal})
  tunnel.write('first')
  await until(() => streams.length === 2, 'both SYN_STREAMs')
  for (let i = 0; i < 20; i++) await new Promise(r => setImmediate(r))
  assert.deepEqual(early, [], 'no DATA before the SYN_REPLY')
  for (const s of streams) s.reply()
  await until(() => early.length === 1, 'the data after the reply')
  assert.deepEqual(early, ['data:first'])
  assert.equal(tunnel.protocol, 'portforward.k8s.io')
  tunnel.destroy()
})

test('SpdyTunnel: a local reader that stops holds the session once the buffer is full, and releases it when it reads', async t => {
  const total = 2 * 1024 * 1024
  const r = rig(t, p => {
    p.data.resume()
    p.data.end(randomBytes(total))
    p.error.end()
  })
  const {tunnel} = open(r, {bufferBytes: 64 * 1024})
  tunnel.pause()
  tunnel.write('go')
  await until(() => r.client.heldSince !== undefined, 'the session to be held')
  assert.ok(tunnel.readableLength < total, `buffered ${tunnel.readableLength} of ${total}`)
  let n = 0
  tunnel.on('data', (c: Buffer) => (n += c.length))
  tunnel.resume()
  await once(tunnel, 'end')
  assert.equal(n, total)
  assert.equal(tunnel.bytesIn, total)
  assert.equal(r.client.heldSince, undefined)
  tunnel.destroy()
})

test('SpdyTunnel: readInto hands the pod\'s bytes to a function, those already buffered first; pauseReading holds the session until resumeReading', async t => {
  const first = randomBytes(1000)
  const rest = randomBytes(300 * 1024)
  let pair: PortForwardPair | undefined
  const r = rig(t, p => {
    pair = p
    p.data.resume()
    p.data.write(first)
  })
  const {tunnel} = open(r)
  tunnel.pause()
  await until(() => tunnel.readableLength === first.length, 'the first bytes in the readable buffer')
  const got: Buffer[] = []
  tunnel.readInto(chunk => got.push(chunk))
  assert.deepEqual(Buffer.concat(got), first)
  assert.equal(tunnel.readableLength, 0)
  tunnel.pauseReading()
  assert.notEqual(r.client.heldSince, undefined)
  tunnel.resumeReading()
  assert.equal(r.client.heldSince, undefined)
  pair!.data.end(rest)
  pair!.error.end()
  await once(tunnel, 'end')
  assert.deepEqual(Buffer.concat(got), Buffer.concat([first, rest]))
  assert.equal(tunnel.bytesIn, first.length + rest.length)
  assert.equal(tunnel.readableLength, 0)
  tunnel.destroy()
})

test('SpdyTunnel: pauseReading after the data stream was released (both FINs, the error stream still open) does not hold the session', async t => {
  const bytes = randomBytes(1000)
  const r = rig(t, p => {
    p.data.resume()
    p.data.end(bytes)
  })
  const {tunnel} = open(r)
  tunnel.pause()
  tunnel.end()
  await until(() => r.client.streamCount === 1, 'the data stream released, the error stream left')
  const got: Buffer[] = []
  tunnel.readInto(chunk => got.push(chunk))
  tunnel.pauseReading()
  assert.equal(r.client.heldSince, undefined)
  assert.deepEqual(Buffer.concat(got), bytes)
  tunnel.destroy()
})

test('SpdyTunnel through forwardConnection: a local reader that stops holds the session once the socket holds the per-stream buffer, and every byte arrives once it reads', async t => {
  const total = 32 * 1024 * 1024
  const bytes = randomBytes(total)
  const r = rig(t, p => {
    p.data.resume()
    p.data.end(bytes)
    p.error.end()
  })
  const bufferBytes = 256 * 1024
  let local: Socket | undefined
  const results: Array<Promise<ForwardResult>> = []
  const server = createServer(socket => {
    local = socket
    results.push(forwardConnection(socket, () => Promise.resolve(open(r, {bufferBytes}).tunnel)))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.after(() => server.close())
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1')
  client.pause()
  // The kernel's buffers fill first (a few MiB on loopback), then the forwarder's socket.
  await pollUntil(() => r.client.heldSince !== undefined, 'the session to be held for the stopped reader')
  assert.ok(local!.writableLength >= bufferBytes && local!.writableLength < bufferBytes + 64 * 1024, `socket buffer ${local!.writableLength}`)
  const received: Buffer[] = []
  client.on('data', (chunk: Buffer) => received.push(chunk))
  client.resume()
  await once(client, 'end')
  assert.ok(Buffer.concat(received).equals(bytes), 'the bytes arrive whole and in order')
  client.end()
  assert.equal((await results[0]).bytesIn, total)
  assert.equal(r.client.heldSince, undefined)
})

test('SpdyTunnel through forwardConnection: the pieces of the pod\'s bytes that arrive in one turn go to the local socket in one write, a piece alone in its own turn', async t => {
  const r = rig(t, p => p.data.resume())
  let tunnel: SpdyTunnel | undefined
  /** The bytes of each write the local socket made (one writev is one write). */
  const writes: number[] = []
  const server2 = createServer(socket => {
    const write = socket._write.bind(socket)
    socket._write = (chunk: Buffer, encoding, callback) => {
      writes.push(chunk.length)
      write(chunk, encoding, callback)
    }
    const writev = socket._writev!.bind(socket)
    socket._writev = (chunks, callback) => {
      writes.push(chunks.reduce((n, c) => n + (c.chunk as Buffer).length, 0))
      writev(chunks, callback)
    }
    void forwardConnection(socket, () => Promise.resolve((tunnel = open(r).tunnel)))
  })
  server2.listen(0, '127.0.0.1')
  await once(server2, 'listening')
  t.after(() => server2.close())
  const local = connect((server2.address() as AddressInfo).port, '127.0.0.1')
  t.after(() => local.destroy())
  let received = 0
  local.on('data', (chunk: Buffer) => (received += chunk.length))
  local.write('x')
  const pod = await r.nextPair()
  await pollUntil(() => tunnel?.writableLength === 0 && tunnel.bytesOut === 1, 'the first byte sent to the pod')
  const id = pod.data.id
  // Three DATA frames in three reads of the session's transport, all in this turn.
  for (const size of [1000, 2000, 3000]) r.serverEnd.write(Buffer.concat([dataFrameHeader(id, size, false), randomBytes(size)]))
  await pollUntil(() => received === 6000, 'the three pieces at the client')
  r.serverEnd.write(Buffer.concat([dataFrameHeader(id, 500, false), randomBytes(500)]))
  await pollUntil(() => received === 6500, 'the lone piece at the client')
  assert.deepEqual(writes, [6000, 500])
})

for (const lost of ['the data stream reset', 'the session\'s transport ended'] as const) {
  test(`SpdyTunnel through forwardConnection: the pod's bytes that arrive in the turn the tunnel is lost (${lost}) still reach the local client`, async t => {
    const r = rig(t, p => p.data.resume())
    let tunnel: SpdyTunnel | undefined
    let result: Promise<ForwardResult> | undefined
    const server2 = createServer(socket => {
      result = forwardConnection(socket, () => Promise.resolve((tunnel = open(r).tunnel)))
    })
    server2.listen(0, '127.0.0.1')
    await once(server2, 'listening')
    t.after(() => server2.close())
    const local = connect((server2.address() as AddressInfo).port, '127.0.0.1')
    t.after(() => local.destroy())
    const chunks: Buffer[] = []
    local.on('data', (chunk: Buffer) => chunks.push(chunk))
    local.on('error', () => {})
    local.write('x')
    const pod = await r.nextPair()
    await pollUntil(() => tunnel?.writableLength === 0 && tunnel.bytesOut === 1, 'the first byte sent to the pod')
    const id = pod.data.id
    const bytes = randomBytes(3000)
    // The pod's last bytes and the loss in one read of the session's transport.
    if (lost === 'the data stream reset') r.serverEnd.write(Buffer.concat([dataFrameHeader(id, bytes.length, false), bytes, encodeFrame({status: RstStatus.CANCEL, streamId: id, type: 'rst_stream'})]))
    else r.serverEnd.end(Buffer.concat([dataFrameHeader(id, bytes.length, false), bytes]))
    await once(local, 'close')
    assert.equal((await result)?.reason, 'lost')
    assert.deepEqual(Buffer.concat(chunks), bytes)
  })
}

test('SpdyTunnel through forwardConnection: a pod that stops reading pauses the local socket once the tunnel holds 256 KiB (not at its 64 KiB write high-water mark), and every byte arrives once it reads', async t => {
  const total = 8 * 1024 * 1024
  const bytes = randomBytes(total)
  const r = rig(t, p => p.error.end())
  let tunnel: SpdyTunnel | undefined
  let local: Socket | undefined
  const results: Array<Promise<ForwardResult>> = []
  const server = createServer(socket => {
    local = socket
    results.push(forwardConnection(socket, () => Promise.resolve((tunnel = open(r).tunnel))))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.after(() => server.close())
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1')
  // The first byte opens the tunnel; the rest is sent once it is open (bytes sent while it opens
  // are held under a bound of their own).
  client.write(bytes.subarray(0, 1))
  const pod = await r.nextPair()
  await pollUntil(() => tunnel?.writableLength === 0 && pod.data.readableLength === 1, 'the first byte at the pod')
  client.write(bytes.subarray(1))
  await pollUntil(() => local!.isPaused(), 'the local socket to be paused for the pod that does not read')
  assert.ok(tunnel!.writableLength >= 256 * 1024 && tunnel!.writableLength < 320 * 1024, `tunnel buffer ${tunnel!.writableLength}`)
  const received: Buffer[] = []
  let receivedBytes = 0
  pod.data.on('data', (chunk: Buffer) => {
    received.push(chunk)
    receivedBytes += chunk.length
  })
  await pollUntil(() => receivedBytes === total, 'every byte at the pod')
  assert.ok(Buffer.concat(received).equals(bytes), 'the bytes arrive whole and in order')
  client.end()
  pod.data.end()
  assert.equal((await results[0]).bytesOut, total)
})

test('SpdyTunnel: the session going away loses the connection with its reason; abort destroys with the signal reason', async t => {
  const r = rig(t, () => {})
  const {tunnel} = open(r)
  tunnel.resume()
  await r.nextPair()
  r.handle.lost = 'ping 1 unanswered after 30000 ms'
  r.client.destroy()
  const done = await tunnel.done
  assert.ok(done instanceof TunnelLostError)
  assert.equal(done.message, 'lost connection to pod: ping 1 unanswered after 30000 ms')

  const r2 = rig(t, () => {})
  const controller = new AbortController()
  const second = open(r2, {signal: controller.signal})
  second.tunnel.resume()
  await r2.nextPair()
  const reason = new Error('pod "web-0" went away')
  controller.abort(reason)
  assert.equal(await second.tunnel.done, reason)
  await until(() => r2.resets.length === 2, 'both streams reset')
  assert.equal(r2.client.streamCount, 0)
})

test('SpdyTunnel: a session that is going away refuses the connection', async t => {
  const r = rig(t, () => {})
  r.client.close()
  assert.throws(() => open(r), /closing/)
  assert.equal(r.client.streamCount, 0)
})

for (const [ending, errorText] of [['the data FIN, then the error stream\'s FIN', undefined], ['the kubelet\'s error text with FIN', 'boom']] as const) {
  test(`SpdyTunnel: a full buffer ended in the same read by ${ending} does not keep the session held`, async t => {
    // A node whose copy joins frames (a kubelet relaying the runtime's TCP stream) delivers them in
    // one read: the buffer fills, then nothing more can come for this connection.
    const {client, server, serverEnd} = spdyPair(t)
    const streams: SpdyStream[] = []
    server.on('stream', (s: SpdyStream) => {
      streams.push(s)
      s.on('error', () => {})
      s.resume()
      s.reply()
    })
    const {tunnel} = open({client, handle: {sent: 0, session: client, transport: 'spdy'}} as Rig, {bufferBytes: 64 * 1024})
    tunnel.pause()
    await until(() => streams.length === 2, 'both streams at the server')
    const [error, data] = streams[0].headers.streamtype?.[0] === 'error' ? streams : [streams[1], streams[0]]
    const big = Buffer.alloc(100 * 1024, 1)
    const end = errorText === undefined
      ? [dataFrameHeader(data.id, 0, true), dataFrameHeader(error.id, 0, true)]
      : [dataFrameHeader(error.id, errorText.length, true), Buffer.from(errorText)]
    serverEnd.write(Buffer.concat([dataFrameHeader(data.id, big.length, false), big, ...end]))
    await until(() => tunnel.readableLength === big.length, 'the 100 KiB in the tunnel\'s buffer')
    await until(() => client.heldSince === undefined, 'the session no longer held')
    assert.deepEqual(await readAll(tunnel), big)
    assert.equal(tunnel.errorMessage, errorText)
  })
}
