import {test} from 'node:test'
import assert from 'node:assert/strict'
import {duplexPair, PassThrough, Duplex} from 'node:stream'
import {once} from 'node:events'
import {randomBytes} from 'node:crypto'
import {SpdySession} from '../../../src/spdy/session.ts'
import type {SpdyStream} from '../../../src/spdy/session.ts'
import {dataFrameHeader, encodeFrame, FrameParser, RstStatus} from '../../../src/spdy/frames.ts'
import type {Frame} from '../../../src/spdy/frames.ts'
import {HeaderCompressor} from '../../../src/spdy/headers.ts'
import {until} from '../../helpers/poll.ts'
import {spdyPair} from '../../helpers/spdy-pair.ts'
import {openPortForwardPair, pairingKey, servePortForward, validatePortForwardHeaders} from '../../../src/spdy/portforward.ts'
import type {PortForwardPair} from '../../../src/spdy/portforward.ts'

const pair = spdyPair

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of stream) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

/** A port-forward server whose "pod" echoes every byte back. */
function echoServer(server: SpdySession, onPair?: (p: PortForwardPair) => void) {
  servePortForward(server, (p) => {
    onPair?.(p)
    p.data.pipe(p.data)
    p.error.resume()
    p.data.on('end', () => p.error.end())
  })
}

test('port-forward pair: echo 1 MiB byte for byte, with half-close', async (t) => {
  const {client, server} = pair(t)
  const seen: PortForwardPair[] = []
  echoServer(server, (p) => seen.push(p))
  const {data, error} = await openPortForwardPair(client, 8080, '0')
  const payload = randomBytes(1 << 20)
  const received = readAll(data)
  data.end(payload)
  assert.ok((await received).equals(payload))
  assert.equal((await readAll(error)).length, 0)
  assert.equal(seen.length, 1)
  assert.equal(seen[0].port, 8080)
  assert.equal(seen[0].requestId, '0')
  assert.equal(seen[0].error.id, 1)
  assert.equal(seen[0].data.id, 3)
})

test('several concurrent pairs on one session keep their bytes apart', async (t) => {
  const {client, server} = pair(t)
  echoServer(server)
  const results = await Promise.all(
    Array.from({length: 8}, async (_, i) => {
      const {data} = await openPortForwardPair(client, 80, String(i))
      const payload = Buffer.alloc(100_000 + i, i)
      const got = readAll(data)
      data.end(payload)
      return (await got).equals(payload)
    }),
  )
  assert.deepEqual(results, Array(8).fill(true))
})

test('the error stream carries the server text, then FIN', async (t) => {
  const {client, server} = pair(t)
  servePortForward(server, (p) => {
    p.error.end('error forwarding port 81 to pod web-0, uid : connection refused')
    p.data.end()
  })
  const {data, error} = await openPortForwardPair(client, 81, '7')
  data.resume()
  assert.equal((await readAll(error)).toString(), 'error forwarding port 81 to pod web-0, uid : connection refused')
})

test('invalid port-forward headers are refused with RST_STREAM', async (t) => {
  const {client, server} = pair(t)
  const problems: string[] = []
  servePortForward(server, () => assert.fail('no pair expected'), {onProblem: (m) => problems.push(m)})
  const s = client.openStream({streamtype: ['data'], port: ['0'], requestid: ['1']})
  const [status] = await once(s, 'reset')
  assert.equal(status, RstStatus.CANCEL)
  await assert.rejects(s.waitReply())
  assert.deepEqual(problems, ['port "0" must be > 0'])
})

const HEADER_CASES: Array<{headers: Record<string, string[]>; problem: string | undefined}> = [
  {headers: {streamtype: ['data'], port: ['80']}, problem: undefined},
  {headers: {streamtype: ['error'], port: ['65535']}, problem: undefined},
  {headers: {streamtype: ['data']}, problem: '"port" header is required'},
  {headers: {streamtype: ['data'], port: ['http']}, problem: 'unable to parse "http" as a port: strconv.ParseUint: parsing "http": invalid syntax'},
  {headers: {streamtype: ['data'], port: ['65536']}, problem: 'unable to parse "65536" as a port: strconv.ParseUint: parsing "65536": value out of range'},
  {headers: {streamtype: ['data'], port: ['0']}, problem: 'port "0" must be > 0'},
  {headers: {port: ['80']}, problem: '"streamtype" header is required'},
  {headers: {streamtype: ['stdin'], port: ['80']}, problem: 'invalid stream type "stdin"'},
]
for (const {headers, problem} of HEADER_CASES) {
  test(`kubelet header validation: ${JSON.stringify(headers)}`, () => {
    assert.equal(validatePortForwardHeaders(headers), problem)
  })
}

test('pairing key falls back to the stream id for clients without requestid', () => {
  assert.equal(pairingKey(5, {streamtype: ['error'], requestid: ['9']}), '9')
  assert.equal(pairingKey(5, {streamtype: ['error']}), '5')
  assert.equal(pairingKey(7, {streamtype: ['data']}), '5')
})

test('a lone stream times out with the kubelet message on the error stream', async (t) => {
  const {client, server} = pair(t)
  servePortForward(server, () => assert.fail('no pair expected'), {streamCreationTimeoutMs: 20})
  const error = client.openStream({streamtype: ['error'], port: ['80'], requestid: ['4']})
  await error.waitReply()
  error.end()
  assert.equal((await readAll(error)).toString(), '(conn=spdy, request=4) timed out waiting for streams')
})

test('a second error stream for the same request is reported on the first one', async (t) => {
  const {client, server} = pair(t)
  servePortForward(server, () => assert.fail('no pair expected'))
  const error = client.openStream({streamtype: ['error'], port: ['80'], requestid: ['2']})
  const dup = client.openStream({streamtype: ['error'], port: ['80'], requestid: ['2']})
  await Promise.all([error.waitReply(), dup.waitReply()])
  const chunk = await new Promise<Buffer>((resolve) => error.once('data', resolve))
  assert.equal(chunk.toString(), 'error processing stream for request 2: error stream already assigned')
})

test('ping: client pings are echoed; server echoes odd ids unchanged', async (t) => {
  const {client, server} = pair(t)
  const rtt = await client.ping()
  assert.ok(rtt >= 0)
  const rtt2 = await server.ping()
  assert.ok(rtt2 >= 0)
})

test('GOAWAY from the client: new streams are refused, the transport then closes', async (t) => {
  const {client, server} = pair(t)
  const goaway = once(server, 'goaway')
  const closed = once(server, 'close')
  client.close()
  const [last, status] = await goaway
  assert.equal(last, 0)
  assert.equal(status, 0)
  await closed
  assert.throws(() => client.openStream({}), /closing|closed/)
})

test('RST_STREAM from the peer destroys the stream without an error', async (t) => {
  const {client, server} = pair(t)
  server.on('stream', (s: SpdyStream) => {
    s.reply()
    s.reset(RstStatus.CANCEL)
  })
  const s = client.openStream({x: ['1']})
  const [status] = await once(s, 'reset')
  assert.equal(status, RstStatus.CANCEL)
  if (!s.closed) await once(s, 'close')
  assert.equal(s.resetStatus, RstStatus.CANCEL)
  assert.equal(client.streamCount, 0)
})

test('server with no stream listener refuses streams', async (t) => {
  const {client} = pair(t)
  const s = client.openStream({x: ['1']})
  const [status] = await once(s, 'reset')
  assert.equal(status, RstStatus.REFUSED_STREAM)
})

/** Drives a server session with raw frames and collects what it writes back. */
function rawServer(t: {after: (fn: () => void) => void}) {
  const [near, far] = duplexPair()
  const server = new SpdySession(far, {role: 'server'})
  t.after(() => server.destroy())
  const parser = new FrameParser()
  const frames: Frame[] = []
  const waiters: Array<() => void> = []
  near.on('data', (c: Buffer) => {
    frames.push(...parser.push(c))
    for (const w of waiters.splice(0)) w()
  })
  const next = async (): Promise<Frame> => {
    while (frames.length === 0) await new Promise<void>((r) => waiters.push(r))
    return frames.shift() as Frame
  }
  return {server, near, next}
}

test('raw: SYN_REPLY precedes the first DATA, bytes split one by one are reassembled', async (t) => {
  const {server, near, next} = rawServer(t)
  server.on('stream', (s: SpdyStream) => {
    s.reply()
    s.end('pong')
  })
  const tx = new HeaderCompressor()
  t.after(() => tx.close())
  const syn = encodeFrame({type: 'syn_stream', streamId: 1, associatedId: 0, priority: 0, slot: 0, fin: false, unidirectional: false, headerBlock: await tx.compress({a: ['b']})})
  for (const byte of syn) near.write(Buffer.from([byte]))
  assert.deepEqual(pick(await next()), {type: 'syn_reply', streamId: 1, fin: false})
  assert.deepEqual(await next(), {type: 'data', streamId: 1, fin: false, data: Buffer.from('pong')})
  assert.deepEqual(await next(), {type: 'data', streamId: 1, fin: true, data: Buffer.alloc(0)})
})

test('raw: PING with an odd id is echoed unchanged; SETTINGS and WINDOW_UPDATE are ignored', async (t) => {
  const {near, next} = rawServer(t)
  near.write(encodeFrame({type: 'settings', clear: false, entries: [{id: 7, flags: 0, value: 65536}]}))
  near.write(encodeFrame({type: 'window_update', streamId: 1, delta: 100}))
  near.write(encodeFrame({type: 'ping', id: 7}))
  assert.deepEqual(await next(), {type: 'ping', id: 7})
})

test('raw: a stream id going backwards is a protocol error answered with GOAWAY', async (t) => {
  const {server, near, next} = rawServer(t)
  server.on('stream', (s: SpdyStream) => s.reply())
  const errors: Error[] = []
  server.on('error', (e: Error) => errors.push(e))
  const tx = new HeaderCompressor()
  t.after(() => tx.close())
  const syn = async (id: number) =>
    encodeFrame({type: 'syn_stream', streamId: id, associatedId: 0, priority: 0, slot: 0, fin: false, unidirectional: false, headerBlock: await tx.compress({})})
  near.write(await syn(5))
  near.write(await syn(3))
  assert.equal((await next()).type, 'syn_reply')
  assert.deepEqual(await next(), {type: 'goaway', lastGoodStreamId: 5, status: 1})
  if (!server.isClosed) await once(server, 'close')
  assert.match(errors[0].message, /invalid stream id 3/)
})

test('raw: garbage header block is a protocol error', async (t) => {
  const {server, near, next} = rawServer(t)
  server.on('error', () => undefined)
  server.on('stream', () => assert.fail('no stream expected'))
  near.write(encodeFrame({type: 'syn_stream', streamId: 1, associatedId: 0, priority: 0, slot: 0, fin: false, unidirectional: false, headerBlock: Buffer.from('not zlib')}))
  assert.deepEqual(await next(), {type: 'goaway', lastGoodStreamId: 0, status: 1})
})

test('the transport closing tears down every stream', async (t) => {
  const through = new PassThrough()
  const transport = Duplex.from({readable: through, writable: new PassThrough()})
  const session = new SpdySession(transport, {role: 'client'})
  t.after(() => session.destroy())
  const s = session.openStream({a: ['1']})
  const reply = s.waitReply()
  through.end()
  await assert.rejects(reply, /closed/)
  if (!s.closed) await once(s, 'close')
  assert.equal(session.isClosed, true)
})

test('backpressure: a stream that is not read pauses the transport instead of buffering without bound', async (t) => {
  const {client, server} = pair(t)
  let serverStream: SpdyStream | undefined
  server.on('stream', (s: SpdyStream) => {
    s.reply()
    serverStream = s
  })
  const s = client.openStream({a: ['1']}, {})
  await s.waitReply()
  // Write 8 MiB without the server reading; the writes must stall once buffers fill.
  let written = 0
  const chunk = Buffer.alloc(64 * 1024)
  let stalled = false
  for (let i = 0; i < 128; i++) {
    written += chunk.length
    if (!s.write(chunk)) {
      stalled = true
      break
    }
    await new Promise((r) => setImmediate(r))
  }
  assert.ok(stalled, 'writes never reported backpressure')
  assert.ok(serverStream)
  assert.ok(serverStream.readableLength <= 2 * 1024 * 1024, `server buffered ${serverStream.readableLength}`)
  assert.ok(written < 8 * 1024 * 1024)
})

test('backpressure: a full stream buffer whose FIN came in the same read does not keep the session held', async (t) => {
  // What a node whose copy joins frames sends: a DATA frame over the stream's buffer and its FIN in
  // one read. Nothing more can come for the stream, so the session goes on reading for the others.
  const {client, server, serverEnd} = spdyPair(t, {streamHighWaterMark: 64 * 1024})
  server.on('stream', (s: SpdyStream) => {
    s.on('error', () => {})
    s.resume()
    s.reply()
  })
  const full = client.openStream({x: ['1']})
  full.pause()
  await full.waitReply()
  const big = Buffer.alloc(100 * 1024, 1)
  serverEnd.write(Buffer.concat([dataFrameHeader(full.id, big.length, false), big, dataFrameHeader(full.id, 0, true)]))
  await until(() => full.readableLength === big.length, 'the 100 KiB in the stream\'s buffer', {intervalMs: 5, timeoutMs: 10_000})
  assert.equal(client.heldSince, undefined, 'the session is not held for a stream that has ended')
  const other = client.openStream({x: ['2']})
  await other.waitReply()
  serverEnd.write(Buffer.concat([dataFrameHeader(other.id, 5, true), Buffer.from('hello')]))
  assert.equal((await readAll(other)).toString(), 'hello')
  assert.deepEqual(await readAll(full), big)
})

function pick(f: Frame) {
  const {type, streamId, fin} = f as {type: string; streamId: number; fin: boolean}
  return {type, streamId, fin}
}

test('frames waiting for the asynchronous inflater keep their bytes in memory of their own, not in the read they came in', async (t) => {
  // A read is a view of a 64 KiB slab when the socket is read directly (portforward/direct-read.ts).
  // Frames behind a header block zlib cannot inflate synchronously wait in the session's inbox past
  // that read: through keepable(), so a small one does not keep the slab.
  const {server, near, next} = rawServer(t)
  server.on('stream', (s: SpdyStream) => {
    s.reply()
    s.on('data', (chunk: Buffer) => s.end(chunk))
  })
  const tx = new HeaderCompressor()
  t.after(() => tx.close())
  const syn = encodeFrame({type: 'syn_stream', streamId: 1, associatedId: 0, priority: 0, slot: 0, fin: false, unidirectional: false, headerBlock: await tx.compress({a: ['b']})})
  const data = encodeFrame({type: 'data', streamId: 1, fin: false, data: Buffer.from('hello')})
  const slab = Buffer.allocUnsafeSlow(64 * 1024)
  const read = slab.subarray(0, syn.length + data.length)
  Buffer.concat([syn, data]).copy(read)
  // Inflating synchronously fails, so the SYN_STREAM and the DATA behind it go to the inbox.
  const inner = server as unknown as {decompressor: {decompressSync: () => undefined; decompress: (block: Buffer) => Promise<unknown>}; inbox: Frame[]}
  const decompress = inner.decompressor.decompress.bind(inner.decompressor)
  let waiting: Frame[] = []
  inner.decompressor.decompressSync = () => undefined
  inner.decompressor.decompress = (block: Buffer) => {
    waiting = [...inner.inbox]
    return decompress(block)
  }
  near.write(read)
  assert.deepEqual(pick(await next()), {type: 'syn_reply', streamId: 1, fin: false})
  assert.deepEqual(await next(), {type: 'data', streamId: 1, fin: false, data: Buffer.from('hello')})
  const held = waiting.find(f => f.type === 'data')
  assert.ok(held?.type === 'data', 'the DATA frame waited in the inbox')
  assert.equal(held.data.buffer.byteLength < slab.length, true, 'it keeps its own memory')
})
