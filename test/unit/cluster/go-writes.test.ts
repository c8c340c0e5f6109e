// How the local cluster writes a port-forward's bytes (test/cluster/go-writes.ts): one TLS record
// per write, as Go writes, and SPDY frames cut as spdystream writes them.

import assert from 'node:assert/strict'
import {once} from 'node:events'
import type {AddressInfo} from 'node:net'
import {Duplex} from 'node:stream'
import {describe, test} from 'node:test'
import tls from 'node:tls'

import {dataFrameHeader, encodeFrame, type Frame} from '../../../src/spdy/frames.ts'
import {issue} from '../../cluster/certs.ts'
import {KubeletWrites, SpdystreamWrites, WritesInTurn} from '../../cluster/go-writes.ts'

/** The sizes of the pieces `bytes` is cut into when it is written in chunks of `step` bytes. */
function cutSizes(bytes: Buffer, step: number): {sizes: number[]; joined: Buffer} {
  const cutter = new SpdystreamWrites()
  const pieces: Buffer[] = []
  for (let at = 0; at < bytes.length; at += step) cutter.cut(bytes.subarray(at, at + step), piece => pieces.push(Buffer.from(piece)))
  return {joined: Buffer.concat(pieces), sizes: pieces.map(p => p.length)}
}

/** A TLS server whose connection `serve` writes to, and the sizes of the client's reads (one per record). */
async function records(serve: (socket: tls.TLSSocket) => void): Promise<number[]> {
  const cert = issue({serverNames: {dns: ['localhost'], ips: ['127.0.0.1']}, subject: {commonName: 'localhost'}})
  const server = tls.createServer({cert: cert.certPem, key: cert.keyPem}, serve)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  try {
    const client = tls.connect({ca: cert.certPem, host: '127.0.0.1', port: (server.address() as AddressInfo).port, servername: 'localhost'})
    const sizes: number[] = []
    client.on('data', (chunk: Buffer) => sizes.push(chunk.length))
    await once(client, 'end')
    client.destroy()
    return sizes
  } finally {
    server.close()
  }
}

describe('the local cluster writes as Go does', () => {
  test('a data frame: stream id, flags and length, then the payload in records of at most 16 KiB, however it was written', () => {
    const payload = Buffer.alloc(40_000, 7)
    const frame = Buffer.concat([dataFrameHeader(3, payload.length, false), payload])
    for (const step of [1, 3, 8, 1000, 16_384, frame.length]) {
      const {joined, sizes} = cutSizes(frame, step)
      assert.deepEqual(sizes, [4, 4, 16_384, 16_384, 40_000 - 32_768], `written ${step} bytes at a time`)
      assert.ok(joined.equals(frame))
    }
  })

  test('control frames: the header in three writes, then a write per field', () => {
    const frames: Array<[Frame, number[]]> = [
      [{fin: false, headerBlock: Buffer.alloc(30, 1), streamId: 1, type: 'syn_reply'}, [2, 2, 4, 4, 30]],
      [{status: 5, streamId: 3, type: 'rst_stream'}, [2, 2, 4, 4, 4]],
      [{id: 1, type: 'ping'}, [2, 2, 4, 4]],
      [{lastGoodStreamId: 7, status: 0, type: 'goaway'}, [2, 2, 4, 4, 4]],
      [{clear: false, entries: [{flags: 0, id: 4, value: 100}], type: 'settings'}, [2, 2, 4, 4, 4, 4]],
    ]
    const all = Buffer.concat(frames.map(([f]) => encodeFrame(f)))
    const {joined, sizes} = cutSizes(all, 5)
    assert.deepEqual(sizes, frames.flatMap(([, s]) => s))
    assert.ok(joined.equals(all))
  })

  test('Node joins queued TLS writes into one record; WritesInTurn keeps each write a record of its own', async () => {
    const pieces = [4, 4, 16_384, 2, 6, 6].map(n => Buffer.alloc(n, 1))
    const joined = await records(socket => {
      for (const piece of pieces) socket.write(piece)
      socket.end()
    })
    assert.ok(joined.length < pieces.length, `queued writes arrive joined: ${joined}`)
    const apart = await records(socket => {
      const writes = new WritesInTurn(socket)
      for (const piece of pieces) writes.write(piece)
      writes.end()
    })
    assert.deepEqual(apart, pieces.map(p => p.length))
  })

  test('KubeletWrites: a SPDY session write arrives as spdystream wrote it, reads pass through, end waits for the writes', async () => {
    const written: number[] = []
    const downstream = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        written.push(chunk.length)
        setImmediate(callback)
      },
    })
    const relay = new KubeletWrites(downstream)
    const payload = Buffer.alloc(32_768, 2)
    await new Promise<void>((resolve, reject) => relay.write(Buffer.concat([dataFrameHeader(1, payload.length, false), payload]), e => (e ? reject(e) : resolve())))
    assert.deepEqual(written, [4, 4, 16_384, 16_384])
    const read = once(relay, 'data')
    downstream.push(Buffer.from('from the client'))
    assert.equal(String((await read)[0]), 'from the client')
    relay.write(encodeFrame({id: 1, type: 'ping'}))
    relay.end()
    await once(downstream, 'finish')
    assert.deepEqual(written.slice(4), [2, 2, 4, 4])
    relay.destroy()
  })
})
