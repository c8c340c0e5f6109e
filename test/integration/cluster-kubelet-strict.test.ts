// The kubelet's and its WebSocket library's answers in the local cluster, compared with upstream:
// - pkg/kubelet/server/server.go getPortForward: NewV4Options (400), then GetPodByName (404 `pod does
//   not exist`), then the runtime's sandbox (500 `pod not found ("NAME_NS")`);
// - pkg/kubelet/cri/streaming/portforward/websocket.go NewV4Options: `port %q must be > 0` quoting the
//   `port` value, which the API server joined with commas (pkg/registry/core/pod/strategy.go
//   streamParams), so one message names every port of the request;
// - pkg/kubelet/client/kubelet_client.go NodeConnectionInfoGetter.GetConnectionInfo: the Node lookup's
//   404 for a pod bound to a node that does not exist;
// - golang.org/x/net/websocket hybiServerHandshaker.ReadHandshake + newServerConn: a WebSocket upgrade
//   that is not a GET gets `HTTP/1.1 405 Method Not Allowed`, no headers, body `bad method`;
// - x/net websocket Codec.Receive (as apimachinery wsstream.Conn.handle calls it): one frame is one
//   message, so each fragment of a fragmented message is read as a message of its own whose first byte
//   names the channel.

import assert from 'node:assert/strict'
import {once} from 'node:events'
import tls from 'node:tls'
import {after, before, describe, it} from 'node:test'

import {startCluster, type LocalCluster} from '../cluster/index.ts'
import {credsOf, json, request} from './cluster-raw.ts'
import {until} from '../helpers/poll.ts'

/** Sends one upgrade request over a raw TLS socket and returns every byte the server wrote before closing. */
async function rawUpgrade(c: LocalCluster, method: string, path: string, headers: Record<string, string>): Promise<string> {
  const creds = credsOf(c)
  const socket = tls.connect({ca: creds.ca, host: '127.0.0.1', port: c.port, servername: 'localhost'})
  await once(socket, 'secureConnect')
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: localhost', `Authorization: Bearer ${creds.token}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)]
  socket.write(`${lines.join('\r\n')}\r\n\r\n`)
  const chunks: Buffer[] = []
  socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  await once(socket, 'close')
  return Buffer.concat(chunks).toString('latin1')
}

/** A client frame: FIN as given, masked with a non-zero key. */
function clientFrame(fin: boolean, opcode: number, payload: Buffer): Buffer {
  const mask = Buffer.of(0x11, 0x22, 0x33, 0x44)
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i & 3]))
  return Buffer.concat([Buffer.of((fin ? 0x80 : 0) | opcode, 0x80 | payload.length), mask, masked])
}

/** Opens a v4 WebSocket by hand (so the test controls the frames) and returns its socket after the 101. */
async function openRawV4(c: LocalCluster, pod: string, port: number): Promise<{socket: tls.TLSSocket; received: () => Buffer}> {
  const creds = credsOf(c)
  const socket = tls.connect({ca: creds.ca, host: '127.0.0.1', port: c.port, servername: 'localhost'})
  await once(socket, 'secureConnect')
  const lines = [`GET ${pf(pod, `?ports=${port}`)} HTTP/1.1`, 'Host: localhost', `Authorization: Bearer ${creds.token}`, ...Object.entries(WEBSOCKET).map(([k, v]) => `${k}: ${v}`)]
  socket.write(`${lines.join('\r\n')}\r\n\r\n`)
  let data = Buffer.alloc(0)
  socket.on('data', (chunk: Buffer) => {
    data = Buffer.concat([data, chunk])
  })
  while (data.indexOf('\r\n\r\n') < 0) await once(socket, 'data')
  assert.match(data.toString('latin1'), /^HTTP\/1\.1 101 Switching Protocols\r\n/)
  const start = data.indexOf('\r\n\r\n') + 4
  return {socket, received: () => data.subarray(start)}
}

/** The data-channel bytes in the server's frames (binary v4: channel byte, then payload; port prefixes dropped). */
function dataChannel(frames: Buffer): Buffer {
  const out: Buffer[] = []
  let offset = 0
  let prefix = true
  while (offset + 2 <= frames.length) {
    const length = frames[offset + 1] & 0x7f
    const payload = frames.subarray(offset + 2, offset + 2 + length)
    offset += 2 + length
    if (payload[0] !== 0) continue
    if (prefix) {
      prefix = false
      continue
    }
    out.push(payload.subarray(1))
  }
  return Buffer.concat(out)
}

const WEBSOCKET = {Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Protocol': 'v4.channel.k8s.io'}
const SPDY = {Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'portforward.k8s.io'}

const pf = (pod: string, query = '?ports=80'): string => `/api/v1/namespaces/default/pods/${pod}/portforward${query}`
const body = (answer: string): string => answer.slice(answer.indexOf('\r\n\r\n') + 4)
const statusLine = (answer: string): string => answer.slice(0, answer.indexOf('\r\n'))

describe('local cluster: the kubelet\'s answers to port-forward upgrades', () => {
  let c: LocalCluster
  before(async () => {
    c = await startCluster()
    const pod = (name: string, nodeName?: string): unknown => ({apiVersion: 'v1', kind: 'Pod', metadata: {name}, spec: {...(nodeName ? {nodeName} : {}), containers: [{name: 'app', image: 'nginx', ports: [{containerPort: 80}]}]}})
    assert.equal((await request(c, '/api/v1/nodes', json('POST', {apiVersion: 'v1', kind: 'Node', metadata: {name: 'other-node'}}))).status, 201)
    for (const [name, node] of [['web', undefined], ['stranger', 'other-node'], ['orphan', 'gone-node']] as const) {
      assert.equal((await request(c, '/api/v1/namespaces/default/pods', json('POST', pod(name, node)))).status, 201)
    }
    await until(async () => (await request(c, '/api/v1/namespaces/default/pods/web')).json().status?.phase === 'Running', 'pod web to be Running')
  })
  after(() => c.stop())

  it('a POST WebSocket upgrade: 405 with x/net\'s bare answer', async () => {
    const answer = await rawUpgrade(c, 'POST', pf('web'), WEBSOCKET)
    assert.equal(answer, 'HTTP/1.1 405 Method Not Allowed\r\n\r\nbad method')
  })

  it('a fragmented message is read frame by frame: every fragment starts with its channel', async () => {
    const {socket, received} = await openRawV4(c, 'web', 80)
    // Fragments [0 h e] and [0 l l o]: the kubelet delivers "he" then "llo" on channel 0 (a reassembling
    // server would deliver "he\0llo"); then [5 x] continues nothing valid and is dropped.
    socket.write(Buffer.concat([
      clientFrame(false, 2, Buffer.from('\u0000he', 'latin1')),
      clientFrame(true, 0, Buffer.from('\u0000llo', 'latin1')),
      clientFrame(true, 2, Buffer.from('\u0005x', 'latin1')),
      clientFrame(true, 2, Buffer.from('\u0000!', 'latin1')),
    ]))
    while (dataChannel(received()).length < 6) await once(socket, 'data')
    assert.equal(dataChannel(received()).toString('latin1'), 'hello!')
    socket.destroy()
  })

  it('an unmasked client frame ends the connection with close 1002', async () => {
    const {socket, received} = await openRawV4(c, 'web', 80)
    socket.write(Buffer.of(0x82, 2, 0, 0x41))
    await once(socket, 'close')
    const frames = received()
    const close = frames.subarray(frames.lastIndexOf(Buffer.of(0x88, 2)))
    assert.deepEqual([...close], [0x88, 2, 0x03, 0xea])
  })

  it('port 0: one message quoting the joined port value', async () => {
    for (const [query, text] of [['?ports=0', 'port "0" must be > 0'], ['?ports=80,0', 'port "80,0" must be > 0'], ['?ports=80&ports=0&ports=81', 'port "80,0,81" must be > 0']]) {
      const answer = await rawUpgrade(c, 'GET', pf('web', query), WEBSOCKET)
      assert.equal(statusLine(answer), 'HTTP/1.1 400 Bad Request', query)
      assert.equal(body(answer), text)
    }
  })

  it('a pod bound to a node whose kubelet does not know it: 404 pod does not exist, for WebSocket and SPDY', async () => {
    const ws = await rawUpgrade(c, 'GET', pf('stranger'), WEBSOCKET)
    assert.equal(statusLine(ws), 'HTTP/1.1 404 Not Found')
    assert.equal(body(ws), 'pod does not exist')
    const spdy = await rawUpgrade(c, 'POST', pf('stranger', ''), SPDY)
    assert.equal(statusLine(spdy), 'HTTP/1.1 404 Not Found')
    assert.equal(body(spdy), 'pod does not exist')
  })

  it('a pod bound to a node that does not exist: the API server\'s 404 for the Node', async () => {
    const answer = await rawUpgrade(c, 'GET', pf('orphan'), WEBSOCKET)
    assert.equal(statusLine(answer), 'HTTP/1.1 404 Not Found')
    assert.deepEqual(JSON.parse(body(answer)), {kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'nodes "gone-node" not found', reason: 'NotFound', details: {name: 'gone-node', kind: 'nodes'}, code: 404})
  })
})
