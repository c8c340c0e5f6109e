// Simulated containers behind dialPod: echo (8 MiB, half-close), http (keep-alive, /hostname, /echo,
// /clientip, /bytes, 404), hostname, refuse, undeclared ports, and connections dying with their pod.

import assert from 'node:assert/strict'
import {createHash, randomBytes} from 'node:crypto'
import http from 'node:http'
import type net from 'node:net'
import {test} from 'node:test'
import type {TestContext} from 'node:test'
import {Store} from '../cluster/store.ts'
import {PodDialError, patternBytes, startSimulation} from '../cluster/sim/index.ts'

async function setup(t: TestContext, annotations: Record<string, string> = {}) {
  const store = new Store()
  const sim = startSimulation(store)
  t.after(() => sim.stop())
  store.create('pods', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {name: 'box', namespace: 'default', annotations},
    spec: {
      containers: [
        {name: 'main', image: 'agnhost', ports: [{containerPort: 7000}, {containerPort: 8080, name: 'http'}, {containerPort: 9000}, {containerPort: 9001}]},
        {name: 'dns', image: 'coredns', ports: [{containerPort: 53, protocol: 'UDP'}]},
      ],
    },
  })
  await sim.idle()
  return {store, sim}
}

const behaviours = {'sim.svc.local/port-8080': 'http', 'sim.svc.local/port-9000': 'hostname', 'sim.svc.local/port-9001': 'refuse'}

/** Reads everything until the peer ends; resolves with the bytes. */
function readAll(socket: net.Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.once('end', () => resolve(Buffer.concat(chunks)))
    socket.once('error', reject)
  })
}

function get(socket: net.Socket, path: string): Promise<{status: number; headers: http.IncomingHttpHeaders; body: Buffer}> {
  return new Promise((resolve, reject) => {
    const req = http.request({createConnection: () => socket, path, headers: {host: 'box'}}, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.once('end', () => resolve({status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks)}))
      res.once('error', reject)
    })
    req.once('error', reject)
    req.end()
  })
}

test('echo: 8 MiB come back sha256-identical, and the pod ends after the client half-closes', async (t) => {
  const {sim} = await setup(t)
  const socket = await sim.dialPod('default', 'box', 7000)
  const payload = randomBytes(8 * 1024 * 1024)
  const received = readAll(socket)
  // write in pieces, honouring backpressure, then half-close
  for (let off = 0; off < payload.length; off += 256 * 1024) {
    if (!socket.write(payload.subarray(off, off + 256 * 1024))) await new Promise((r) => socket.once('drain', r))
  }
  socket.end()
  const back = await received
  assert.equal(back.length, payload.length)
  assert.equal(createHash('sha256').update(back).digest('hex'), createHash('sha256').update(payload).digest('hex'))
})

test('http: keep-alive, /hostname, /echo, /clientip, /bytes and 404', async (t) => {
  const {sim} = await setup(t, behaviours)
  // two requests on one connection
  const raw = await sim.dialPod('default', 'box', 8080)
  const all = readAll(raw)
  raw.write('GET /hostname HTTP/1.1\r\nHost: box\r\n\r\nGET /echo?msg=hello%20there HTTP/1.1\r\nHost: box\r\nConnection: close\r\n\r\n')
  const text = (await all).toString('latin1')
  const bodies = text.split(/HTTP\/1\.1 200 OK\r\n/).slice(1).map((r) => r.split('\r\n\r\n')[1])
  assert.deepEqual(bodies, ['box', 'hello there'])

  const s1 = await sim.dialPod('default', 'box', 8080)
  const ip = await get(s1, '/clientip')
  assert.equal(ip.status, 200)
  assert.equal(ip.body.toString(), `${s1.localAddress}:${s1.localPort}`)

  const n = 3 * 1024 * 1024 + 17
  const bytes = await get(await sim.dialPod('default', 'box', 8080), `/bytes?n=${n}`)
  assert.equal(bytes.status, 200)
  assert.equal(bytes.headers['content-length'], String(n))
  assert.equal(createHash('sha256').update(bytes.body).digest('hex'), createHash('sha256').update(patternBytes(0, n)).digest('hex'))

  const bad = await get(await sim.dialPod('default', 'box', 8080), '/bytes?n=lots')
  assert.equal(bad.status, 400)
  const missing = await get(await sim.dialPod('default', 'box', 8080), '/nope')
  assert.equal(missing.status, 404)
  assert.equal(missing.body.toString(), '404 page not found\n')
})

test('hostname writes the pod name and closes', async (t) => {
  const {sim} = await setup(t, behaviours)
  const socket = await sim.dialPod('default', 'box', 9000)
  assert.equal((await readAll(socket)).toString(), 'box\n')
})

test('refuse, undeclared and UDP-only ports reject with the kubelet wording', async (t) => {
  const {sim} = await setup(t, behaviours)
  for (const port of [9001, 1234, 53]) {
    await assert.rejects(sim.dialPod('default', 'box', port), (err: any) => {
      assert.ok(err instanceof PodDialError)
      assert.equal(err.code, 'ECONNREFUSED')
      assert.match(err.message, new RegExp(`^failed to execute portforward in network namespace "/var/run/netns/cni-[0-9a-f-]+": failed to connect to localhost:${port} inside namespace "[0-9a-f]{64}", IPv4: dial tcp4 127\\.0\\.0\\.1:${port}: connect: connection refused IPv6 dial tcp6 \\[::1\\]:${port}: connect: connection refused $`))
      assert.equal(err.kubeletMessage, sim.portForwardErrorText('default', 'box', port))
      assert.match(err.kubeletMessage, new RegExp(`^error forwarding port ${port} to pod [0-9a-f]{64}, uid : failed to execute portforward`))
      return true
    })
  }
  await assert.rejects(sim.dialPod('default', 'ghost', 80), /pod "ghost" not found/)
})

test('deleting the pod closes every connection to it at once', async (t) => {
  const {store, sim} = await setup(t, behaviours)
  const echo = await sim.dialPod('default', 'box', 7000)
  const web = await sim.dialPod('default', 'box', 8080)
  echo.write('ping')
  await new Promise((r) => echo.once('data', r))
  const closed = Promise.all([echo, web].map((s) => new Promise<void>((resolve) => {
    s.resume()
    s.once('close', () => resolve())
  })))
  assert.equal(sim.containerConnections(), 2)
  store.delete('pods', 'default', 'box')
  await closed
  assert.equal(sim.containerConnections(), 0)
  await assert.rejects(sim.dialPod('default', 'box', 7000), /not found/)
})

test('a pod whose status leaves Running stops serving', async (t) => {
  const {store, sim} = await setup(t)
  const socket = await sim.dialPod('default', 'box', 7000)
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  socket.resume()
  const pod = store.get('pods', 'default', 'box')
  pod.status.phase = 'Failed'
  store.update('pods', pod)
  await closed
  await assert.rejects(sim.dialPod('default', 'box', 7000), /not running/)
})

test('graceful deletion (deletionTimestamp set): the kubelet stops the containers and removes the pod', async (t) => {
  const {store, sim} = await setup(t)
  const socket = await sim.dialPod('default', 'box', 7000)
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  socket.resume()
  const pod = store.get('pods', 'default', 'box')
  pod.metadata.deletionTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z')
  pod.metadata.deletionGracePeriodSeconds = 30
  store.update('pods', pod)
  await closed
  await sim.idle()
  assert.equal(store.get('pods', 'default', 'box'), undefined)
  const killing = store.list('events', 'default').filter((e) => e.reason === 'Killing').map((e) => `${e.involvedObject.fieldPath} ${e.message} x${e.count}`)
  assert.deepEqual(killing.sort(), ['spec.containers{dns} Stopping container dns x1', 'spec.containers{main} Stopping container main x1'])
})

test('sim.svc.local/ignore-sigterm: a terminating pod serves until its grace period is over', async (t) => {
  const {store, sim} = await setup(t, {'sim.svc.local/ignore-sigterm': 'true'})
  store.create('services', {apiVersion: 'v1', kind: 'Service', metadata: {name: 'box', namespace: 'default'}, spec: {clusterIP: '10.96.0.5', selector: {app: 'box'}, ports: [{port: 7000, targetPort: 7000, protocol: 'TCP'}]}})
  const labelled = store.get('pods', 'default', 'box')
  labelled.metadata.labels = {app: 'box'}
  store.update('pods', labelled)
  await sim.idle()
  const socket = await sim.dialPod('default', 'box', 7000)
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  const pod = store.get('pods', 'default', 'box')
  pod.metadata.deletionTimestamp = new Date(Date.now() + 600_000).toISOString().replace(/\.\d+Z$/, 'Z')
  pod.metadata.deletionGracePeriodSeconds = 600
  store.update('pods', pod)
  await sim.idle()
  // still there, still serving, and the slice shows it terminating
  assert.ok(store.get('pods', 'default', 'box'))
  socket.write('still here')
  const echoed = await new Promise<Buffer>((resolve) => socket.once('data', resolve))
  assert.equal(echoed.toString(), 'still here')
  const slice = store.list('discovery.k8s.io/endpointslices', 'default').find((s) => s.metadata.labels['kubernetes.io/service-name'] === 'box')
  assert.deepEqual(slice.endpoints[0].conditions, {ready: false, serving: true, terminating: true})
  assert.equal(store.get('endpoints', 'default', 'box').subsets, undefined)
  // a second delete with a shorter grace period moves the deadline: SIGKILL, connections cut, pod removed
  const again = store.get('pods', 'default', 'box')
  again.metadata.deletionTimestamp = new Date(Date.now() - 1000).toISOString().replace(/\.\d+Z$/, 'Z')
  again.metadata.deletionGracePeriodSeconds = 0
  store.update('pods', again)
  await closed
  await sim.idle()
  assert.equal(store.get('pods', 'default', 'box'), undefined)
})
