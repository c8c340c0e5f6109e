// The kubelet's and its WebSocket library's answers in the local cluster, compared with upstream:
// - pkg/kubelet/server/server.go getPortForward: NewV4Options (400), then GetPodByName (404 `pod does
//   not exist`), then the runtime's sandbox (500 `pod not found ("NAME_NS")`);
// - pkg/kubelet/cri/streaming/portforward/websocket.go NewV4Options: `port %q must be > 0` quoting the
//   `port` value, which the API server joined with commas (pkg/registry/core/pod/strategy.go
//   streamParams), so one message names every port of the request;
// - pkg/kubelet/client/kubelet_client.go NodeConnectionInfoGetter.GetConnectionInfo: the Node lookup's
//   404 for a pod bound to a node that does not exist;
// - golang.org/x/net/websocket hybiServerHandshaker.ReadHandshake + newServerConn: a WebSocket upgrade
//   that is not a GET gets `HTTP/1.1 405 Method Not Allowed`, no headers, body `bad method`.

import assert from 'node:assert/strict'
import {once} from 'node:events'
import tls from 'node:tls'
import {after, before, describe, it} from 'node:test'

import {startCluster, type LocalCluster} from '../cluster/index.ts'
import {credsOf, json, request} from './cluster-raw.ts'

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
    for (;;) {
      if ((await request(c, '/api/v1/namespaces/default/pods/web')).json().status?.phase === 'Running') break
      await new Promise(resolve => setTimeout(resolve, 20))
    }
  })
  after(() => c.stop())

  it('a POST WebSocket upgrade: 405 with x/net\'s bare answer', async () => {
    const answer = await rawUpgrade(c, 'POST', pf('web'), WEBSOCKET)
    assert.equal(answer, 'HTTP/1.1 405 Method Not Allowed\r\n\r\nbad method')
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
