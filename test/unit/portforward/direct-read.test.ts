// The tunnel's socket read into svc's own memory (src/portforward/direct-read.ts): node:http still
// parses the answer to the upgrade, the bytes after the 101 reach the sink in order (those that
// came while nobody was attached included), and a refused upgrade's body is read as before.

import assert from 'node:assert/strict'
import {once} from 'node:events'
import http from 'node:http'
import https from 'node:https'
import type {AddressInfo} from 'node:net'
import {type Duplex, PassThrough} from 'node:stream'
import {after, before, describe, test} from 'node:test'

import {directReadAgent, takeDirectReads} from '../../../src/portforward/direct-read.ts'
import {readUpgradeRefusal} from '../../../src/portforward/upgrade.ts'
import {issue} from '../../cluster/certs.ts'

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
    // Reads that come before the sink attaches are held, not lost.
    await new Promise(resolve => setTimeout(resolve, 50))
    const chunks: Buffer[] = []
    socket.on('data', () => assert.fail('no read goes through the socket\'s data events'))
    attach(chunk => chunks.push(chunk))
    await once(socket, 'end')
    socket.destroy()
    assert.deepEqual(Buffer.concat([head, ...chunks]), Buffer.concat(records))
    for (const chunk of chunks) assert.equal(chunk.buffer.byteLength, 64 * 1024, 'each read is a view of a slab')
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
