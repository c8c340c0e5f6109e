// WebSocketPipe (src/portforward/ws-pipe.ts): RFC 6455 framing as a byte pipe, client end (and
// the server end the local cluster uses), checked against the `ws` server on a real socket pair,
// against each other, and against hand-made frames cut at every byte.

import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import net from 'node:net'
import {Duplex, PassThrough} from 'node:stream'
import {describe, test} from 'node:test'

import {WebSocketServer} from 'ws'

import {mask, maskedFrame, maskWords, WebSocketPipe} from '../../../src/portforward/ws-pipe.ts'

/** A fake upgraded socket: what the pipe writes is collected, `feed` delivers server bytes. */
function fakeSocket(): {socket: Duplex; written: () => Buffer; feed: (b: Buffer) => void; end: () => void} {
  const incoming = new PassThrough()
  const chunks: Buffer[] = []
  const socket = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk)
      cb()
    },
  })
  incoming.on('data', (b: Buffer) => socket.push(b))
  incoming.on('end', () => socket.push(null))
  return {end: () => incoming.end(), feed: b => incoming.write(b), socket, written: () => Buffer.concat(chunks)}
}

function serverFrame(opcode: number, payload: Buffer, fin = true): Buffer {
  const len = payload.length
  const head = len < 126 ? Buffer.from([(fin ? 0x80 : 0) | opcode, len]) : len < 65536 ? Buffer.from([(fin ? 0x80 : 0) | opcode, 126, len >> 8, len & 0xff]) : (() => {
    const h = Buffer.alloc(10)
    h[0] = (fin ? 0x80 : 0) | opcode
    h[1] = 127
    h.writeUInt32BE(len, 6)
    return h
  })()
  return Buffer.concat([head, payload])
}

function readAll(pipe: Duplex): Promise<Buffer> {
  const chunks: Buffer[] = []
  pipe.on('data', (c: Buffer) => chunks.push(c))
  return new Promise((resolve, reject) => {
    pipe.once('end', () => resolve(Buffer.concat(chunks)))
    pipe.once('error', reject)
  })
}

describe('WebSocketPipe', () => {
  test('binary messages (fragmented, with pings between) become one byte stream, cut at every byte', async () => {
    const payload = randomBytes(70_000)
    const wire = Buffer.concat([
      serverFrame(0x2, payload.subarray(0, 10), false),
      serverFrame(0x9, Buffer.from('hi')),
      serverFrame(0x0, payload.subarray(10, 300), false),
      serverFrame(0x0, payload.subarray(300, 66_000), true),
      serverFrame(0x2, payload.subarray(66_000)),
      serverFrame(0x8, Buffer.from([0x03, 0xe8])),
    ])
    for (const step of [1, 7, 125, 4096, wire.length]) {
      const fake = fakeSocket()
      const pipe = new WebSocketPipe(fake.socket, Buffer.alloc(0), {})
      const read = readAll(pipe)
      for (let i = 0; i < wire.length; i += step) fake.feed(wire.subarray(i, i + step))
      assert.ok((await read).equals(payload), `step ${step}`)
      // The ping was answered with a masked pong carrying the same payload, the close with a close.
      const out = fake.written()
      assert.deepEqual([...out.subarray(0, 2)], [0x8a, 0x82])
      const key = out.subarray(2, 6)
      assert.equal(Buffer.from(out.subarray(6, 8).map((byte, i) => byte ^ key[i & 3])).toString(), 'hi', 'masked with the key in its header')
      assert.deepEqual([...out.subarray(8, 10)], [0x88, 0x82])
    }
  })

  test('readInto: payload bytes go to the sink, those already read first; pausing reaches the socket; the close still ends the pipe', async () => {
    const payload = randomBytes(40_000)
    const fake = fakeSocket()
    // The first message arrives with the upgrade (the head), before the sink is named.
    const pipe = new WebSocketPipe(fake.socket, serverFrame(0x2, payload.subarray(0, 1000)), {})
    const got: Buffer[] = []
    pipe.readInto(chunk => got.push(chunk))
    assert.equal(Buffer.concat(got).length, 1000)
    pipe.pauseReading()
    assert.ok(fake.socket.isPaused(), 'pauseReading pauses the socket')
    pipe.resumeReading()
    assert.ok(!fake.socket.isPaused(), 'resumeReading resumes it')
    const ended = new Promise(resolve => pipe.once('end', resolve))
    const wire = Buffer.concat([serverFrame(0x2, payload.subarray(1000, 30_000), false), serverFrame(0x0, payload.subarray(30_000)), serverFrame(0x8, Buffer.from([0x03, 0xe8]))])
    for (let i = 0; i < wire.length; i += 4096) fake.feed(wire.subarray(i, i + 4096))
    await ended
    assert.ok(Buffer.concat(got).equals(payload))
    assert.equal(pipe.readableLength, 0, 'nothing is left in the readable side')
  })

  test('a text message, a masked server frame and a socket closed without a close frame are errors', async () => {
    const cases: Array<[Buffer, RegExp]> = [
      [serverFrame(0x1, Buffer.from('text')), /invalid message type received/],
      [Buffer.from([0x82, 0x81, 1, 2, 3, 4, 5]), /incorrect mask flag/],
      [serverFrame(0x2, Buffer.from('partial')), /closed without a close frame \(1006\)/],
    ]
    for (const [wire, error] of cases) {
      const fake = fakeSocket()
      const pipe = new WebSocketPipe(fake.socket, Buffer.alloc(0), {})
      const failed = new Promise<Error>(resolve => pipe.once('error', resolve))
      pipe.resume()
      fake.feed(wire)
      fake.end()
      assert.match((await failed).message, error)
    }
  })

  test('against the ws server over TCP: masked frames without TLS, 4 MiB both ways, close as EOF', async t => {
    const wss = new WebSocketServer({port: 0, host: '127.0.0.1'})
    t.after(() => wss.close())
    await new Promise(resolve => wss.once('listening', resolve))
    const size = 4 * 1024 * 1024
    wss.on('connection', ws => {
      let got = 0
      ws.on('message', (data: Buffer) => {
        ws.send(data)
        got += data.length
        if (got === size) ws.close(1000)
      })
    })
    const port = (wss.address() as net.AddressInfo).port
    const socket = net.connect(port, '127.0.0.1')
    await new Promise(resolve => socket.once('connect', resolve))
    socket.write(`GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`)
    let head = Buffer.alloc(0)
    while (!head.includes('\r\n\r\n')) head = Buffer.concat([head, await new Promise<Buffer>(resolve => socket.once('data', resolve))])
    socket.pause()
    const rest = head.subarray(head.indexOf('\r\n\r\n') + 4)
    const pipe = new WebSocketPipe(socket, rest, {})
    const read = readAll(pipe)
    const payload = randomBytes(size)
    for (let off = 0; off < payload.length; off += 100_000) pipe.write(payload.subarray(off, off + 100_000))
    assert.ok((await read).equals(payload))
  })

  test('server role: masked client frames cut at every byte are unmasked into one stream; a ping gets an unmasked pong, a close its code back', async () => {
    const payload = randomBytes(70_000)
    const wire = Buffer.concat([
      maskedFrame(0x2, [payload.subarray(0, 5)]),
      maskedFrame(0x9, [Buffer.from('hey')]),
      maskedFrame(0x2, [payload.subarray(5, 66_003), payload.subarray(66_003)]),
      maskedFrame(0x8, [Buffer.from([0x03, 0xe9])]),
    ])
    for (const step of [1, 3, 125, 4097, wire.length]) {
      const fake = fakeSocket()
      const pipe = new WebSocketPipe(fake.socket, Buffer.alloc(0), {role: 'server'})
      const read = readAll(pipe)
      // Copies: the pipe unmasks the bytes where they arrive.
      for (let i = 0; i < wire.length; i += step) fake.feed(Buffer.from(wire.subarray(i, i + step)))
      assert.ok((await read).equals(payload), `step ${step}`)
      assert.deepEqual([...fake.written()], [0x8a, 0x03, ...Buffer.from('hey'), 0x88, 0x02, 0x03, 0xe9], 'unmasked pong, then the close code echoed')
    }
    const fake = fakeSocket()
    const pipe = new WebSocketPipe(fake.socket, Buffer.alloc(0), {role: 'server'})
    const failed = new Promise<Error>(resolve => pipe.once('error', resolve))
    pipe.resume()
    fake.feed(serverFrame(0x2, Buffer.from('unmasked')))
    assert.match((await failed).message, /incorrect mask flag/)
  })

  test('client and server ends over TCP: 3 MiB both ways in writes of every size, close as EOF', async t => {
    const server = net.createServer()
    t.after(() => server.close())
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    server.on('connection', socket => {
      const end = new WebSocketPipe(socket, Buffer.alloc(0), {role: 'server'})
      end.pipe(end)
    })
    const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1')
    await new Promise(resolve => socket.once('connect', resolve))
    const pipe = new WebSocketPipe(socket, Buffer.alloc(0), {})
    const read = readAll(pipe)
    const payload = randomBytes(3 * 1024 * 1024)
    const sizes = [1, 2, 3, 125, 126, 65_535, 65_536, 70_001, 1_000_000]
    let off = 0
    for (let i = 0; off < payload.length; i++) {
      const n = sizes[i % sizes.length]
      pipe.write(payload.subarray(off, off + n))
      off += n
    }
    pipe.end()
    assert.ok((await read).equals(payload))
  })

  test('a frame masks its chunks as one payload, whatever their cuts, with a fresh key each time', () => {
    const payload = randomBytes(70_001)
    for (const cuts of [[payload.length], [1, 2, 3, 70_000 - 6], [0, 7, 48, 49, 65_536], [125], [126, 3]]) {
      const chunks: Buffer[] = []
      let at = 0
      for (const n of cuts) {
        chunks.push(payload.subarray(at, at + n))
        at += n
      }
      const sent = payload.subarray(0, at)
      const frame = maskedFrame(0x2, chunks)
      assert.equal(frame[0], 0x82, 'FIN and the binary opcode')
      assert.equal(frame[1] & 0x80, 0x80, 'masked')
      const len7 = frame[1] & 0x7f
      const length = len7 === 126 ? frame.readUInt16BE(2) : len7 === 127 ? frame.readUInt32BE(6) : len7
      const keyAt = len7 === 126 ? 4 : len7 === 127 ? 10 : 2
      assert.equal(length, sent.length, `length field for ${cuts.join('+')}`)
      const key = frame.subarray(keyAt, keyAt + 4)
      const body = frame.subarray(keyAt + 4)
      assert.equal(body.length, sent.length)
      assert.ok(Buffer.from(body.map((byte, i) => byte ^ key[i & 3])).equals(sent), `payload for cuts ${cuts.join('+')}`)
    }
    const keys = new Set(Array.from({length: 64}, () => maskedFrame(0x2, [Buffer.from('x')]).readUInt32BE(2)))
    assert.ok(keys.size > 60, 'keys differ from frame to frame')
  })

  test('the word-wise JavaScript mask and the native one give the byte-by-byte result at any length and offset', () => {
    const key = Buffer.from([0x12, 0x9a, 0xff, 0x01])
    const source = randomBytes(300)
    for (const length of [0, 1, 3, 4, 5, 47, 48, 49, 100, 255]) {
      for (const [from, offset] of [[0, 0], [1, 3], [3, 1], [5, 2]]) {
        const input = source.subarray(from, from + length)
        const expected = Buffer.from(input.map((byte, i) => byte ^ key[i & 3]))
        for (const fn of [maskWords, mask]) {
          const output = Buffer.alloc(length + offset + 2, 0xee)
          fn(input, key, output, offset, length)
          assert.ok(output.subarray(offset, offset + length).equals(expected), `${fn.name} length ${length} offset ${offset}`)
          assert.ok(output.subarray(0, offset).every(b => b === 0xee) && output.subarray(offset + length).every(b => b === 0xee), 'nothing written outside')
        }
      }
    }
  })
})
