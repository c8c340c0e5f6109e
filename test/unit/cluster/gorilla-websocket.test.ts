// The local cluster's end of the KEP-4006 tunnel (test/cluster/gorilla-websocket.ts): gorilla's
// handshake checks and the frames a kube-apiserver's TunnelingConnection writes per message, a
// socket write (a TLS record) per frame and per part of an unbuffered frame.

import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import type {IncomingMessage} from 'node:http'
import {Duplex} from 'node:stream'
import {describe, test} from 'node:test'

import {maskedFrame} from '../../../src/portforward/ws-pipe.ts'
import {gorillaUpgrade} from '../../cluster/gorilla-websocket.ts'

const KEY = 'dGhlIHNhbXBsZSBub25jZQ=='
const GOOD: Record<string, string> = {Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': KEY}

function request(method: string, headers: Record<string, string>): IncomingMessage {
  const rawHeaders = Object.entries(headers).flat()
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]))
  return {headers: lower, method, rawHeaders} as unknown as IncomingMessage
}

function socketPair(): {socket: Duplex; writes: Buffer[]; written: () => Buffer; feed: (b: Buffer) => void} {
  const writes: Buffer[] = []
  const socket = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      // A copy: what was written may be reused once its write is done, as a socket allows.
      writes.push(Buffer.from(chunk))
      setImmediate(cb)
    },
  })
  return {feed: b => socket.push(b), socket, writes, written: () => Buffer.concat(writes)}
}

/** [FIN, opcode, payload length] of each unmasked frame in `wire`. */
function frames(wire: Buffer): Array<[boolean, number, number]> {
  const out: Array<[boolean, number, number]> = []
  for (let at = 0; at < wire.length;) {
    assert.equal(wire[at + 1] & 0x80, 0, 'server frames are not masked')
    const len7 = wire[at + 1] & 0x7f
    const [length, header] = len7 === 126 ? [wire.readUInt16BE(at + 2), 4] : len7 === 127 ? [wire.readUInt32BE(at + 6), 10] : [len7, 2]
    out.push([(wire[at] & 0x80) !== 0, wire[at] & 0x0f, length])
    at += header + length
  }
  return out
}

describe('gorilla server end of the tunnel', () => {
  test('refusals as Upgrader.Upgrade writes them', () => {
    const cases: Array<[string, Record<string, string>, string]> = [
      ['GET', {...GOOD, Connection: 'keep-alive'}, 'HTTP/1.1 400 Bad Request'],
      ['GET', {...GOOD, Upgrade: 'h2c'}, 'HTTP/1.1 426 Upgrade Required'],
      ['POST', GOOD, 'HTTP/1.1 405 Method Not Allowed'],
      ['GET', {...GOOD, 'Sec-WebSocket-Version': '8'}, 'HTTP/1.1 400 Bad Request'],
      ['GET', {...GOOD, 'Sec-WebSocket-Key': 'c2hvcnQ='}, 'HTTP/1.1 400 Bad Request'],
    ]
    for (const [method, headers, status] of cases) {
      const pair = socketPair()
      assert.equal(gorillaUpgrade(request(method, headers), pair.socket, Buffer.alloc(0), 'SPDY/3.1+portforward.k8s.io'), undefined)
      const text = pair.written().toString()
      assert.ok(text.startsWith(`${status}\r\n`), text)
      assert.match(text, /\r\nSec-Websocket-Version: 13\r\n/)
      assert.ok(text.endsWith(`\r\n\r\n${status.slice(13)}\n`), text)
    }
  })

  test('101 with the accept key and the subprotocol; messages laid out as gorilla frames them', async () => {
    const pair = socketPair()
    const tunnel = gorillaUpgrade(request('GET', GOOD), pair.socket, Buffer.alloc(0), 'SPDY/3.1+portforward.k8s.io')
    assert.ok(tunnel)
    await new Promise(resolve => setImmediate(resolve))
    const head = pair.written().toString()
    assert.equal(head, 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: SPDY/3.1+portforward.k8s.io\r\n\r\n')
    const start = pair.writes.length
    // Up to 8220 bytes: copied into the 4096-byte buffer, a frame per buffer, the last with FIN,
    // each frame a socket write. Above: one frame without FIN carrying it all, its header and its
    // payload written apart, then an empty continuation with FIN.
    const expected: Array<[number, Array<[boolean, number, number]>, number[]]> = [
      [1, [[true, 2, 1]], [3]],
      [4096, [[true, 2, 4096]], [4100]],
      [4097, [[false, 2, 4096], [true, 0, 1]], [4100, 3]],
      [8220, [[false, 2, 4096], [false, 0, 4096], [true, 0, 28]], [4100, 4100, 30]],
      [8221, [[false, 2, 8221], [true, 0, 0]], [4, 8221, 2]],
      [70_000, [[false, 2, 70_000], [true, 0, 0]], [10, 70_000, 2]],
    ]
    const sent: Buffer[] = []
    for (const [size] of expected) {
      const message = randomBytes(size)
      sent.push(message)
      await new Promise<void>((resolve, reject) => tunnel.write(message, error => (error ? reject(error) : resolve())))
    }
    // Written together, the messages stay apart (TunnelingConnection.Write: one message per write).
    const cork = [randomBytes(5), randomBytes(6)]
    tunnel.cork()
    for (const message of cork) tunnel.write(message)
    tunnel.uncork()
    sent.push(...cork)
    expected.push([5, [[true, 2, 5]], [7]], [6, [[true, 2, 6]], [8]])
    await new Promise(resolve => tunnel.write(Buffer.alloc(0), resolve))
    expected.push([0, [[true, 2, 0]], [2]])
    assert.deepEqual(pair.writes.slice(start).map(w => w.length), expected.flatMap(([, , w]) => w), 'a socket write per record')
    const wire = Buffer.concat(pair.writes.slice(start))
    assert.deepEqual(frames(wire), expected.flatMap(([, f]) => f))
    const payload = Buffer.concat(frames(wire).reduce<{at: number; parts: Buffer[]}>((acc, [, , length]) => {
      const header = length > 65_535 ? 10 : length > 125 ? 4 : 2
      acc.parts.push(wire.subarray(acc.at + header, acc.at + header + length))
      acc.at += header + length
      return acc
    }, {at: 0, parts: []}).parts)
    assert.ok(payload.equals(Buffer.concat(sent)), 'the payloads in order')
    // A client's masked frame reads as bytes.
    const got = new Promise<Buffer>(resolve => tunnel.once('data', resolve))
    pair.feed(maskedFrame(0x2, [Buffer.from('from the client')]))
    assert.equal((await got).toString(), 'from the client')
    tunnel.destroy()
  })
})
