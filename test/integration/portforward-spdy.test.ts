// The local cluster's SPDY portforward route, driven by hand: the kubelet's handshake answers and
// a full port-forward through src/spdy as the client (the same codec a future svc transport uses).

import {after, before, test} from 'node:test'
import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import tls from 'node:tls'

import {SpdySession} from '../../src/spdy/session.ts'
import {openPortForwardPair} from '../../src/spdy/portforward.ts'
import type {Pod} from '../../src/kube/types.ts'
import {startCluster, type LocalCluster} from '../cluster/index.ts'
import {until} from '../helpers/poll.ts'
import {kubeconfigDoc} from '../helpers/kubeconfig-doc.ts'

let cluster: LocalCluster
let token: string
let ca: string

before(async () => {
  cluster = await startCluster()
  const kc = kubeconfigDoc(cluster.kubeconfig())
  token = kc.users.find(u => u.name === 'token')?.user.token ?? ''
  ca = Buffer.from(kc.clusters[0].cluster['certificate-authority-data'] ?? '', 'base64').toString()
  const res = await fetchJson('POST', '/api/v1/namespaces/default/pods', {
    apiVersion: 'v1', kind: 'Pod', metadata: {name: 'echo'}, spec: {containers: [{name: 'c', image: 'echo', ports: [{containerPort: 5000}]}]},
  })
  assert.equal(res.status, 201)
  await until(async () => (await fetchJson('GET', '/api/v1/namespaces/default/pods/echo')).body.status?.phase === 'Running', 'pod echo Running', {intervalMs: 25})
})
after(() => cluster?.stop())

function connect(): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({host: '127.0.0.1', port: cluster.port, ca, servername: 'localhost'}, () => resolve(s))
    s.once('error', reject)
  })
}

async function fetchJson(method: string, path: string, body?: unknown): Promise<{status: number; body: Pod}> {
  const {request} = await import('node:https')
  return new Promise((resolve, reject) => {
    const req = request({host: '127.0.0.1', port: cluster.port, path, method, ca, servername: 'localhost', headers: {Authorization: `Bearer ${token}`, 'Content-Type': 'application/json'}}, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => resolve({status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString() || '{}')}))
    })
    req.on('error', reject)
    req.end(body ? JSON.stringify(body) : undefined)
  })
}

/** Sends a raw upgrade request; resolves with the response head and the socket (positioned after it). */
async function upgrade(headers: Record<string, string>, method = 'POST', pod = 'echo'): Promise<{head: string; rest: Buffer; socket: tls.TLSSocket}> {
  const socket = await connect()
  const lines = [`${method} /api/v1/namespaces/default/pods/${pod}/portforward HTTP/1.1`, 'Host: localhost', `Authorization: Bearer ${token}`]
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`)
  socket.write(lines.join('\r\n') + '\r\n\r\n')
  let buf = Buffer.alloc(0)
  for (;;) {
    const chunk: Buffer | null = await new Promise((resolve) => {
      socket.once('data', resolve)
      socket.once('end', () => resolve(null))
    })
    if (chunk === null) break
    buf = Buffer.concat([buf, chunk])
    const end = buf.indexOf('\r\n\r\n')
    if (end >= 0) {
      const head = buf.subarray(0, end).toString()
      const length = /content-length: (\d+)/i.exec(head)
      if (!length || buf.length >= end + 4 + Number(length[1])) return {head, rest: buf.subarray(end + 4), socket}
    }
  }
  return {head: buf.toString(), rest: Buffer.alloc(0), socket}
}

const SPDY = {Connection: 'Upgrade', Upgrade: 'SPDY/3.1'}

test('101 with the negotiated X-Stream-Protocol-Version', async () => {
  const {head, socket} = await upgrade({...SPDY, 'X-Stream-Protocol-Version': 'portforward.k8s.io'})
  socket.destroy()
  const lines = head.split('\r\n')
  assert.equal(lines[0], 'HTTP/1.1 101 Switching Protocols')
  assert.deepEqual(lines.slice(1, 4), ['Connection: Upgrade', 'Upgrade: SPDY/3.1', 'X-Stream-Protocol-Version: portforward.k8s.io'])
})

test('no X-Stream-Protocol-Version: the empty 200 the kubelet leaves behind', async () => {
  const {head, rest, socket} = await upgrade(SPDY)
  socket.destroy()
  assert.match(head, /^HTTP\/1\.1 200 OK\r\n/)
  assert.match(head, /Content-Length: 0/)
  assert.equal(rest.length, 0)
})

test('no common protocol: 403 with the accepted versions', async () => {
  const {head, rest, socket} = await upgrade({...SPDY, 'X-Stream-Protocol-Version': 'v4.channel.k8s.io'})
  socket.destroy()
  assert.match(head, /^HTTP\/1\.1 403 Forbidden\r\n/)
  assert.match(head, /X-Accepted-Stream-Protocol-Versions: portforward\.k8s\.io/)
  assert.equal(rest.toString(), 'unable to upgrade: unable to negotiate protocol: client supports [v4.channel.k8s.io], server accepts [portforward.k8s.io]\n')
})

test('an upgrade to something else: 400 missing upgrade headers', async () => {
  const {head, rest, socket} = await upgrade({Connection: 'Upgrade', Upgrade: 'h2c', 'X-Stream-Protocol-Version': 'portforward.k8s.io'})
  socket.destroy()
  assert.match(head, /^HTTP\/1\.1 400 Bad Request\r\n/)
  assert.match(rest.toString(), /^unable to upgrade: missing upgrade headers in request: http\.Header\{.*"Upgrade":\[\]string\{"h2c"\}.*\}\n$/)
})

test('missing pod: 404 Status before any upgrade', async () => {
  const {head, rest, socket} = await upgrade({...SPDY, 'X-Stream-Protocol-Version': 'portforward.k8s.io'}, 'POST', 'nosuch')
  socket.destroy()
  assert.match(head, /^HTTP\/1\.1 404 Not Found\r\n/)
  assert.equal(JSON.parse(rest.toString()).message, 'pods "nosuch" not found')
})

test('src/spdy as the client: two pairs on one connection, echo byte for byte, refused port on the error stream', async () => {
  const {head, rest, socket} = await upgrade({...SPDY, 'X-Stream-Protocol-Version': 'portforward.k8s.io'})
  assert.match(head, /^HTTP\/1\.1 101 /)
  if (rest.length) socket.unshift(rest)
  const session = new SpdySession(socket, {role: 'client'})
  after(() => session.destroy())
  assert.ok((await session.ping()) >= 0, 'the server echoes pings')

  const {data, error} = await openPortForwardPair(session, 5000, '0')
  const payload = randomBytes(3 << 20)
  const chunks: Buffer[] = []
  data.on('data', (c: Buffer) => chunks.push(c))
  const ended = new Promise((r) => data.once('end', r))
  data.end(payload)
  await ended
  assert.ok(Buffer.concat(chunks).equals(payload))
  error.resume()

  const refused = await openPortForwardPair(session, 5999, '1')
  refused.data.resume()
  const text: Buffer[] = []
  refused.error.on('data', (c: Buffer) => text.push(c))
  await new Promise((r) => refused.error.once('end', r))
  assert.match(Buffer.concat(text).toString(), /^error forwarding port 5999 to pod [0-9a-f]{64}, uid : failed to execute portforward in network namespace ".*": failed to connect to localhost:5999 inside namespace "[0-9a-f]{64}", IPv4: dial tcp4 127\.0\.0\.1:5999: connect: connection refused IPv6 dial tcp6 \[::1\]:5999: connect: connection refused $/)
  session.close()
})
