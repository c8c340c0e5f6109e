// The port-forward transport against the local cluster: its API server (auth, RBAC, 404) and the
// v4 handler of test/cluster/portforward-ws.ts in front of the simulated containers.

import assert from 'node:assert/strict'
import {createHash, randomBytes} from 'node:crypto'
import {once} from 'node:events'
import {after, before, describe, it} from 'node:test'

import {KubeConfig} from '@kubernetes/client-node'
import WebSocket from 'ws'

import {KubeClient} from '../../src/kube/client.ts'
import {ApiError} from '../../src/kube/errors.ts'
import type {Pod} from '../../src/kube/types.ts'
import {openTunnel, PortForwardError, TunnelLostError} from '../../src/portforward/tunnel.ts'
import {type KubeUser, startCluster, type LocalCluster} from '../cluster/index.ts'
import {registerPortForwardWs} from '../cluster/portforward-ws.ts'
import {patternBytes} from '../cluster/sim/containers.ts'
import {connect, destroyAllClients, echoRandom, listenAndForward, readAtLeast, readToEnd} from '../helpers/forward-listener.ts'
import {until, within} from '../helpers/poll.ts'
import {credsOf} from './cluster-raw.ts'

const ns = 'default'
const MiB = 1024 * 1024

function clientFor(cluster: LocalCluster, user: KubeUser = 'token'): KubeClient {
  const kc = new KubeConfig()
  kc.loadFromString(cluster.kubeconfig(user))
  return new KubeClient(kc)
}

async function createPod(client: KubeClient, name: string, annotations: Record<string, string>, ports: number[], nodeName?: string): Promise<void> {
  await client.request({
    body: {
      apiVersion: 'v1', kind: 'Pod',
      metadata: {annotations, labels: {app: name}, name},
      spec: {containers: [{image: 'nginx', name: 'main', ports: ports.map(containerPort => ({containerPort}))}], ...(nodeName ? {nodeName} : {})},
    },
    method: 'POST',
    path: `/api/v1/namespaces/${ns}/pods`,
  })
}

async function waitForPhase(client: KubeClient, name: string, phase: string): Promise<void> {
  await until(async () => (await client.request<Pod>({path: `/api/v1/namespaces/${ns}/pods/${name}`})).body.status?.phase === phase, `pod ${name} ${phase}`)
}

/** A raw WebSocket upgrade to pods/NAME/portforward with a query and subprotocols of our choice. */
function rawUpgrade(cluster: LocalCluster, pod: string, query: string, protocols: string[]): Promise<{status: number; body: string; protocol?: string; messages?: Buffer[]}> {
  const creds = credsOf(cluster)
  return new Promise(resolve => {
    const ws = new WebSocket(`${cluster.url}/api/v1/namespaces/${ns}/pods/${pod}/portforward${query}`, protocols, {
      ca: creds.ca, headers: {Authorization: `Bearer ${creds.token}`}, perMessageDeflate: false,
    })
    ws.on('unexpected-response', (req, res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        resolve({body: Buffer.concat(chunks).toString(), status: res.statusCode ?? 0})
        req.destroy()
      })
    })
    ws.on('error', () => {})
    ws.on('open', () => {
      const messages: Buffer[] = []
      ws.on('message', (m: Buffer) => {
        messages.push(m)
        if (messages.length === 2) {
          ws.close()
          resolve({body: '', messages, protocol: ws.protocol, status: 101})
        }
      })
    })
  })
}

describe('port-forward transport through the local cluster', () => {
  let cluster: LocalCluster
  let client: KubeClient

  before(async () => {
    cluster = await startCluster()
    registerPortForwardWs(cluster)
    client = clientFor(cluster)
    await createPod(client, 'web', {'sim.svc.local/port-8080': 'http', 'sim.svc.local/port-8081': 'hostname', 'sim.svc.local/port-9090': 'refuse'}, [80, 8080, 8081, 9090])
    await createPod(client, 'elsewhere', {}, [80], 'another-node')
    await createPod(client, 'pending', {'sim.svc.local/phase': 'Pending'}, [80])
    await waitForPhase(client, 'web', 'Running')
  })
  after(async () => {
    destroyAllClients()
    await cluster.stop()
  })

  it('64 MiB of random bytes through an echo pod come back identical (sha256)', async () => {
    const l = await listenAndForward(client, {namespace: ns, pod: 'web', port: 80})
    try {
      const socket = await connect(l.port)
      const size = 64 * MiB
      const started = process.hrtime.bigint()
      const {got, sent} = await echoRandom(socket, size)
      const seconds = Number(process.hrtime.bigint() - started) / 1e9
      process.stderr.write(`# echo 64 MiB up + 64 MiB down in ${seconds.toFixed(2)} s: ${(64 / seconds).toFixed(0)} MiB/s each way\n`)
      assert.equal(got, sent)
      socket.resetAndDestroy()
      const result = await l.next()
      assert.equal(result.bytesIn, size)
      assert.equal(result.bytesOut, size)
    } finally {
      await l.close()
    }
  })

  it('a 64 MiB download from /bytes arrives whole', async () => {
    const l = await listenAndForward(client, {namespace: ns, pod: 'web', port: 8080})
    try {
      const size = 64 * MiB
      const started = process.hrtime.bigint()
      // A client that reads until the pod's EOF and only then ends its side, so that the
      // connection's end is the pod's. (An HTTP client that closes once it has Content-Length's
      // bytes races the pod's FIN through the tunnel, and under load ends it first: local-closed.)
      const socket = await connect(l.port)
      socket.write(`GET /bytes?n=${size} HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n`)
      const h = createHash('sha256')
      let head = Buffer.alloc(0)
      let headEnd = -1
      let length = 0
      for await (const chunk of socket) {
        let body = chunk as Buffer
        if (headEnd < 0) {
          head = Buffer.concat([head, body])
          headEnd = head.indexOf('\r\n\r\n')
          if (headEnd < 0) continue
          body = head.subarray(headEnd + 4)
        }
        h.update(body)
        length += body.length
      }
      socket.end()
      const seconds = Number(process.hrtime.bigint() - started) / 1e9
      process.stderr.write(`# download 64 MiB in ${seconds.toFixed(2)} s: ${(64 / seconds).toFixed(0)} MiB/s\n`)
      assert.match(head.subarray(0, Math.max(headEnd, 0)).toString('latin1'), /^HTTP\/1\.1 200 /)
      assert.equal(length, size)
      const expected = createHash('sha256')
      for (let offset = 0; offset < size; offset += MiB) expected.update(patternBytes(offset, MiB))
      assert.equal(h.digest('hex'), expected.digest('hex'))
      assert.equal((await l.next()).reason, 'completed')
    } finally {
      await l.close()
    }
  })

  it('200 concurrent tunnels each exchange their own data intact', async () => {
    const results = await Promise.all(Array.from({length: 200}, async (_, i) => {
      const t = await openTunnel(client, {namespace: ns, pod: 'web', port: 80})
      const payload = Buffer.concat([Buffer.from(`tunnel ${i}:`), randomBytes(1000 + i * 10)])
      t.write(payload)
      const got = await readAtLeast(t, payload.length)
      t.destroy()
      return (await t.done) === undefined && got.equals(payload)
    }))
    assert.equal(results.filter(Boolean).length, 200)
  })

  it('a server-speaks-first pod (hostname) answers without being spoken to', async () => {
    const l = await listenAndForward(client, {namespace: ns, pod: 'web', port: 8081})
    try {
      const socket = await connect(l.port)
      assert.equal((await readToEnd(socket)).toString(), 'web\n')
      assert.deepEqual(await l.next(), {bytesIn: 4, bytesOut: 0, reason: 'completed'})
    } finally {
      await l.close()
    }
  })

  it('a refused port gives the kubelet error text, and a new tunnel still works', async () => {
    const t = await openTunnel(client, {namespace: ns, pod: 'web', port: 9090})
    t.resume()
    const error = await t.done
    assert.ok(error instanceof PortForwardError)
    assert.match(error.message, /^error forwarding port 9090 to pod [0-9a-f]{64}, uid : failed to execute portforward in network namespace "[^"]+": failed to connect to localhost:9090 inside namespace "[0-9a-f]{64}", IPv4: dial tcp4 127\.0\.0\.1:9090: connect: connection refused IPv6 dial tcp6 \[::1\]:9090: connect: connection refused $/)
    const again = await openTunnel(client, {namespace: ns, pod: 'web', port: 8081})
    const chunks: Buffer[] = []
    for await (const chunk of again) chunks.push(chunk as Buffer)
    assert.equal(Buffer.concat(chunks).toString(), 'web\n')
  })

  it('deleting the pod mid-transfer closes the tunnel', async () => {
    await createPod(client, 'doomed', {}, [80])
    await waitForPhase(client, 'doomed', 'Running')
    const t = await openTunnel(client, {namespace: ns, pod: 'doomed', port: 80})
    t.write('still there?')
    await readAtLeast(t, 12)
    const ended = new Promise<void>(resolve => {
      t.once('end', resolve)
      t.once('close', resolve)
    })
    await client.request({method: 'DELETE', path: `/api/v1/namespaces/${ns}/pods/doomed`, query: {gracePeriodSeconds: 0}})
    t.resume()
    await within(ended, 'the tunnel to end after its pod was deleted')
    // The container's socket closes with the pod: the data channel ends cleanly (no error-channel
    // text, no lost connection), as the kubelet ends a stream whose container went away.
    assert.equal(await within(t.done, 'the tunnel to close'), undefined)
    assert.equal(t.errorMessage, undefined)
    assert.equal(t.readableEnded, true)
  })

  it('authenticates with a client certificate too (TLS verified against the cluster CA)', async () => {
    const t = await openTunnel(clientFor(cluster, 'cert'), {namespace: ns, pod: 'web', port: 8081})
    const chunks: Buffer[] = []
    for await (const chunk of t) chunks.push(chunk as Buffer)
    assert.equal(Buffer.concat(chunks).toString(), 'web\n')
  })

  it('403 Forbidden for the readonly user (get but no create on pods/portforward), naming the verbs wanted', async () => {
    const error = await openTunnel(clientFor(cluster, 'readonly'), {namespace: ns, pod: 'web', port: 80}).catch(e => e)
    assert.ok(error instanceof ApiError)
    assert.equal(error.code, 403)
    assert.equal(error.message, 'pods "web" is forbidden: the create verb on pods/portforward was refused (a port-forward over WebSocket needs both the get and the create verb on pods/portforward since Kubernetes 1.35)')
  })

  it('404 for a pod that does not exist', async () => {
    const error = await openTunnel(client, {namespace: ns, pod: 'ghost', port: 80}).catch(e => e)
    assert.ok(error instanceof ApiError)
    assert.equal(error.code, 404)
    assert.equal(error.message, 'pods "ghost" not found')
  })

  it('a pod that is not running is refused', async () => {
    await until(async () => (await client.request<Pod>({path: `/api/v1/namespaces/${ns}/pods/pending`})).body.spec?.nodeName, 'pod pending scheduled')
    const error = await openTunnel(client, {namespace: ns, pod: 'pending', port: 80}).catch(e => e)
    assert.ok(error instanceof ApiError)
    assert.equal(error.code, 500)
    assert.match(error.message, /pod not found \(\\?"pending_default\\?"\)/)
  })

  it('a pod bound to a node that does not exist: the API server\'s Node lookup answers', async () => {
    const error = await openTunnel(client, {namespace: ns, pod: 'elsewhere', port: 80}).catch(e => e)
    assert.ok(error instanceof ApiError)
    assert.equal(error.code, 404)
    assert.equal(error.message, 'nodes "another-node" not found')
  })

  describe('the handshake as the API server and kubelet answer it', () => {
    for (const [query, status, body] of [
      ['?ports=abc', 400, 'cannot convert to []int32: strconv.ParseUint: parsing "abc": invalid syntax'],
      ['?ports=70000', 400, 'cannot convert to []int32: strconv.ParseUint: parsing "70000": value out of range'],
      ['?ports=', 400, 'cannot convert to []int32: strconv.ParseUint: parsing "": invalid syntax'],
      ['?ports=0', 400, 'port "0" must be > 0'],
      ['?ports=80,0', 400, 'port "80,0" must be > 0'],
      ['', 400, 'query parameter "port" is required'],
    ] as Array<[string, number, string]>) {
      it(`${query || 'no ports'} -> ${status} ${body}`, async () => {
        const answer = await rawUpgrade(cluster, 'web', query, ['v4.channel.k8s.io'])
        assert.equal(answer.status, status)
        const text = answer.body.startsWith('{') ? JSON.parse(answer.body).message : answer.body
        assert.equal(text, body)
      })
    }
    it('other subprotocols only: 403 with no body', async () => {
      const answer = await rawUpgrade(cluster, 'web', '?ports=80', ['v5.channel.k8s.io', 'channel.k8s.io'])
      assert.equal(answer.status, 403)
      assert.equal(answer.body, '')
    })
    for (const [offered, chosen, first] of [
      [[], '', '00 50 00'],
      [['v4.channel.k8s.io'], 'v4.channel.k8s.io', '00 50 00'],
      [['v4.base64.channel.k8s.io', 'v4.channel.k8s.io'], 'v4.base64.channel.k8s.io', '0UAA='],
      [['v5.channel.k8s.io', 'v4.channel.k8s.io'], 'v4.channel.k8s.io', '00 50 00'],
    ] as Array<[string[], string, string]>) {
      it(`offered [${offered.join(', ')}] -> "${chosen}", port prefixes first`, async () => {
        const answer = await rawUpgrade(cluster, 'web', '?ports=80', offered)
        assert.equal(answer.status, 101)
        assert.equal(answer.protocol, chosen)
        const show = (m: Buffer) => chosen === 'v4.base64.channel.k8s.io' ? m.toString() : m.toString('hex').replace(/(..)(?!$)/g, '$1 ')
        assert.equal(show(answer.messages![0]), first)
        assert.equal(show(answer.messages![1]), chosen === 'v4.base64.channel.k8s.io' ? '1UAA=' : '01 50 00')
      })
    }
  })

  it('several ports on one WebSocket: prefixes in order, one connection each, open until all end', async () => {
    const creds = credsOf(cluster)
    const ws = new WebSocket(`${cluster.url}/api/v1/namespaces/${ns}/pods/web/portforward?ports=80&ports=8081`, ['v4.channel.k8s.io'], {
      ca: creds.ca, headers: {Authorization: `Bearer ${creds.token}`}, perMessageDeflate: false,
    })
    const messages: string[] = []
    let wanted = 0
    let reached: () => void = () => {}
    const upTo = (n: number) => new Promise<void>(resolve => {
      wanted = n
      reached = resolve
      if (messages.length >= n) resolve()
    })
    ws.on('message', (m: Buffer) => {
      messages.push(`${m[0]}:${m[0] % 2 === 0 && messages.length >= 4 ? m.subarray(1).toString() : m.subarray(1).toString('hex')}`)
      if (messages.length >= wanted) reached()
    })
    await once(ws, 'open')
    await upTo(5)
    // Port prefixes: data then error channel of each port, in query order; then port 8081's greeting.
    assert.deepEqual(messages.slice(0, 5), ['0:5000', '1:5000', '2:911f', '3:911f', '2:web\n'])
    // Port 8081's pod closed its side, but port 80 is still open: the WebSocket stays up.
    ws.send(Buffer.concat([Buffer.of(0), Buffer.from('still here')]))
    await upTo(6)
    assert.equal(messages[5], '0:still here')
    assert.equal(ws.readyState, WebSocket.OPEN)
    ws.close()
    await once(ws, 'close')
  })

  it('dropped API server connections end an open tunnel with an error, not a hang', async () => {
    const t = await openTunnel(client, {namespace: ns, pod: 'web', port: 80})
    t.write('ping')
    await readAtLeast(t, 4)
    cluster.dropConnections()
    t.resume()
    const error = await t.done
    assert.ok(error instanceof TunnelLostError, String(error))
    const again = await openTunnel(client, {namespace: ns, pod: 'web', port: 8081})
    again.resume()
    assert.equal(await again.done, undefined)
  })

  it('frames still arrive intact and in order with cluster latency', async () => {
    cluster.setLatency(20)
    try {
      const t = await openTunnel(client, {namespace: ns, pod: 'web', port: 80})
      const payload = randomBytes(512 * 1024)
      t.write(payload)
      const got = await readAtLeast(t, payload.length)
      assert.ok(got.equals(payload))
      t.destroy()
      await t.done
    } finally {
      cluster.setLatency(0)
    }
  })
})
