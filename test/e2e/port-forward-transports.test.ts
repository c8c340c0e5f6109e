// svc port-forward over each transport (--transport tunnel|spdy|websocket, and auto), end to end:
// the built binary against the local cluster. The same promises hold whatever carries the bytes:
// integrity, concurrency, one connection's failure touching no other, a pod's deletion ending only
// its connections, a dropped API server connection survived, and auto falling back to SPDY when
// the tunnel is refused. A reader that stops reading: port-forward-stall.test.ts.

import assert from 'node:assert/strict'
import {createHash, randomBytes} from 'node:crypto'
import net from 'node:net'
import {after, before, describe, test} from 'node:test'

import type {EndpointSlice} from '../../src/kube/types.ts'
import type {ReadyEvent} from '../../src/portforward/output.ts'
import {isTunnelRequest} from '../cluster/portforward-spdy.ts'
import {portForwardHandler} from '../cluster/portforward.ts'
import {
  createPod, createService, deletePod, echo, exchange, type PfCluster, podRunning, startPfCluster, startSvc, type SvcProcess, until,
} from '../helpers/pf-cluster.ts'

let c: PfCluster
let kc: string
/** While true the cluster answers tunnel upgrades as an API server without KEP-4006 would. */
let refuseTunnel = false
const MiB = 1024 * 1024
const ECHO = {annotations: {'sim.svc.local/port-81': 'refuse', 'sim.svc.local/port-8080': 'http'}, ports: [{containerPort: 7}, {containerPort: 81}, {containerPort: 8080}]}

before(async () => {
  c = await startPfCluster()
  kc = c.kubeconfig()
  const builtin = portForwardHandler({
    dialPod: (ns, name, port) => c.cluster.dialPod(ns, name, port),
    getObject: (resource, ns, name) => c.cluster.getObject(resource, ns, name),
  })
  c.cluster.onPortForward(ctx => {
    if (refuseTunnel && isTunnelRequest(ctx.req)) {
      // The kubelet's answer to a tunnelling request it does not know (no `ports` query): 400.
      ctx.socket.end('HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 34\r\nConnection: close\r\n\r\nquery parameter "port" is required')
      return
    }
    builtin(ctx)
  })
  await createPod(c.client, 'tp', ECHO)
  await podRunning(c.client, 'tp')
})
after(() => c.stop())

async function forward(transport: string, target: string, port: string, extra: string[] = []): Promise<{svc: SvcProcess; local: number; locals: number[]}> {
  const svc = startSvc(['port-forward', '--kubeconfig', kc, '--transport', transport, '--address', '127.0.0.1', target, port, '-o', 'json', ...extra])
  await svc.line(/"event":"ready"/)
  const ready = svc.events().find(e => e.event === 'ready') as ReadyEvent
  return {local: ready.ports[0].localPort, locals: ready.ports.map(p => p.localPort), svc}
}

async function stop(svc: SvcProcess): Promise<void> {
  svc.kill('SIGTERM')
  assert.equal((await svc.exited).code, 0, svc.stderr)
}

/** Sends `size` random bytes and reads them back at the same time; resolves with both digests. */
async function echoRandom(port: number, size: number): Promise<{received: string; sent: string}> {
  const socket = net.connect({allowHalfOpen: true, host: '127.0.0.1', port})
  socket.on('error', () => {})
  const sent = createHash('sha256')
  const received = createHash('sha256')
  let got = 0
  const done = new Promise<void>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      received.update(chunk)
      got += chunk.length
      if (got >= size) resolve()
    })
    socket.once('close', () => (got >= size ? resolve() : reject(new Error(`connection closed after ${got} of ${size} bytes`))))
  })
  for (let off = 0; off < size; off += MiB) {
    const chunk = randomBytes(Math.min(MiB, size - off))
    sent.update(chunk)
    if (!socket.write(chunk)) await new Promise(resolve => socket.once('drain', resolve))
  }
  await done
  socket.resetAndDestroy()
  return {received: received.digest('hex'), sent: sent.digest('hex')}
}

/** An open echo connection that can be fed and read step by step. */
async function openEcho(port: number): Promise<{socket: net.Socket; roundTrip(payload: Buffer): Promise<Buffer>; closed: Promise<void>; ended(): boolean}> {
  const socket = net.connect({allowHalfOpen: true, host: '127.0.0.1', port})
  socket.on('error', () => {})
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  // svc closing the connection: the pod side's end (FIN) or a reset.
  const closed = new Promise<void>(resolve => {
    socket.once('end', () => resolve())
    socket.once('close', () => resolve())
  })
  let ended = false
  socket.once('end', () => (ended = true))
  socket.once('close', () => (ended = true))
  let buffered = Buffer.alloc(0)
  let waiter: (() => void) | undefined
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk])
    waiter?.()
  })
  socket.once('close', () => waiter?.())
  socket.once('end', () => waiter?.())
  return {
    closed,
    ended: () => ended,
    socket,
    async roundTrip(payload) {
      socket.write(payload)
      while (buffered.length < payload.length) {
        if (ended) throw new Error(`connection closed after ${buffered.length} of ${payload.length} bytes`)
        await new Promise<void>(resolve => (waiter = resolve))
      }
      const out = buffered.subarray(0, payload.length)
      buffered = buffered.subarray(payload.length)
      return out
    },
  }
}

for (const transport of ['tunnel', 'spdy', 'websocket']) {
  describe(`--transport ${transport}`, () => {
    test('the ready event names the transport; 64 MiB of random bytes echo intact; 200 concurrent connections, no error', async t => {
      const {svc, local} = await forward(transport, 'pod/tp', ':7')
      t.after(() => svc.kill('SIGKILL'))
      assert.equal(svc.events().find(e => e.event === 'ready').transport, transport)
      const {received, sent} = await echoRandom(local, 64 * MiB)
      assert.equal(received, sent)
      const payloads = Array.from({length: 200}, () => randomBytes(16 * 1024))
      const results = await Promise.all(payloads.map(p => echo(local, p)))
      assert.equal(results.filter((r, i) => r.equals(payloads[i])).length, 200)
      await until(() => svc.events().filter(e => e.event === 'connection-closed').length === 201 || undefined, '201 closed events')
      assert.deepEqual(svc.events().filter(e => e.event === 'error'), [])
      await stop(svc)
    })

    test('a refused pod port ends only its connection while another one flows', async t => {
      const svc = startSvc(['port-forward', '--kubeconfig', kc, '--transport', transport, '--address', '127.0.0.1', 'pod/tp', ':7', ':81'])
      t.after(() => svc.kill('SIGKILL'))
      const [, echoPort] = await svc.line(/^Forwarding from 127\.0\.0\.1:(\d+) -> 7$/)
      const [, refusedPort] = await svc.line(/^Forwarding from 127\.0\.0\.1:(\d+) -> 81$/)
      const flowing = await openEcho(Number(echoPort))
      const first = randomBytes(256 * 1024)
      assert.ok((await flowing.roundTrip(first)).equals(first))
      assert.equal((await exchange(Number(refusedPort), 'x')).toString(), '')
      await svc.line(new RegExp(`^an error occurred forwarding ${refusedPort} -> 81: error forwarding port 81 to pod [0-9a-f]+, uid : failed to execute portforward .*connection refused $`), 'stderr')
      const second = randomBytes(256 * 1024)
      assert.ok((await flowing.roundTrip(second)).equals(second), 'the other connection still flows')
      flowing.socket.destroy()
      assert.equal((await echo(Number(echoPort), 'next')).toString(), 'next')
      assert.equal(svc.stderr.split('\n').filter(l => l.startsWith('an error occurred')).length, 1)
      await stop(svc)
    })

    test('a pod deleted mid-transfer ends only its own connections', async t => {
      const app = `del-${transport}`
      await createPod(c.client, `${app}-a`, {...ECHO, labels: {app}})
      await createPod(c.client, `${app}-b`, {...ECHO, labels: {app}})
      await createService(c.client, app, {ports: [{port: 7, targetPort: 7}], selector: {app}})
      await until(async () => (await c.client.request<{items: EndpointSlice[]}>({path: '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', query: {labelSelector: `kubernetes.io/service-name=${app}`}})).body.items[0]?.endpoints?.filter(e => e.conditions?.ready).length === 2, 'two ready endpoints')
      const {svc, local} = await forward(transport, `svc/${app}`, ':7')
      t.after(() => svc.kill('SIGKILL'))
      // Round-robin over two pods: four connections, two on each, all mid-transfer.
      const conns = []
      for (let i = 0; i < 4; i++) {
        const conn = await openEcho(local)
        const payload = randomBytes(64 * 1024)
        assert.ok((await conn.roundTrip(payload)).equals(payload))
        conns.push(conn)
      }
      await deletePod(c.client, `${app}-a`)
      await until(() => svc.events().filter(e => e.event === 'connection-closed').length === 2 || undefined, 'the deleted pod\'s two connections closed')
      const closed = svc.events().filter(e => e.event === 'connection-closed')
      assert.deepEqual(closed.map(e => e.pod), [`${app}-a`, `${app}-a`])
      // The other pod's connections go on.
      const survivors = conns.filter(conn => !conn.ended())
      assert.equal(survivors.length, 2)
      for (const conn of survivors) {
        const payload = randomBytes(256 * 1024)
        assert.ok((await conn.roundTrip(payload)).equals(payload))
        conn.socket.destroy()
      }
      await stop(svc)
    })

    test('dropped API server connections: open connections end with an error line, the first new connection works', async t => {
      const {svc, local} = await forward(transport, 'pod/tp', ':7')
      t.after(() => svc.kill('SIGKILL'))
      const open = await openEcho(local)
      assert.equal((await open.roundTrip(Buffer.from('before'))).toString(), 'before')
      const dropped = Date.now()
      c.cluster.dropConnections()
      await open.closed
      await until(() => svc.events().some(e => e.event === 'error' && /lost connection to pod/.test(e.message)) || undefined, 'the lost connection\'s error')
      const payload = randomBytes(64 * 1024)
      assert.ok((await echo(local, payload)).equals(payload), 'the first connection after the drop works')
      const elapsed = Date.now() - dropped
      assert.ok(elapsed < 10_000, `new connections worked again after ${elapsed} ms`)
      await stop(svc)
    })
  })
}

describe('--transport auto', () => {
  test('uses the tunnel when the server offers it', async t => {
    const {svc, local} = await forward('auto', 'pod/tp', ':7', ['-v=4'])
    t.after(() => svc.kill('SIGKILL'))
    assert.equal(svc.events().find(e => e.event === 'ready').transport, 'tunnel')
    assert.equal((await echo(local, 'via tunnel')).toString(), 'via tunnel')
    assert.match(svc.stderr, /using the tunnel/)
    await stop(svc)
  })

  test('falls back to SPDY over POST when the tunnel upgrade is refused, and says so at -v=4', async t => {
    refuseTunnel = true
    t.after(() => (refuseTunnel = false))
    const {svc, local} = await forward('auto', 'pod/tp', ':7', ['-v=4'])
    t.after(() => svc.kill('SIGKILL'))
    assert.equal(svc.events().find(e => e.event === 'ready').transport, 'spdy', svc.stderr)
    assert.match(svc.stderr, /the tunnel \(SPDY\/3\.1\+portforward\.k8s\.io\) was refused: 400 .*falling back to SPDY\/3\.1 over POST/)
    const {received, sent} = await echoRandom(local, 4 * MiB)
    assert.equal(received, sent)
    await stop(svc)
  })

  test('a create-only user (1.35: a WebSocket GET needs get and create): the tunnel gets 403, SPDY over POST works', async t => {
    const svc = startSvc(['port-forward', '--kubeconfig', c.kubeconfig('create-only'), '--transport', 'auto', '--address', '127.0.0.1', 'pod/tp', ':7', '-o', 'json', '-v=4'])
    t.after(() => svc.kill('SIGKILL'))
    await svc.line(/"event":"ready"/)
    const ready = svc.events().find(e => e.event === 'ready')
    assert.equal(ready.transport, 'spdy', svc.stderr)
    assert.match(svc.stderr, /the tunnel \(SPDY\/3\.1\+portforward\.k8s\.io\) was refused: 403 pods "tp" is forbidden: User "create-only" cannot get resource "pods\/portforward"/)
    const {received, sent} = await echoRandom(ready.ports[0].localPort, MiB)
    assert.equal(received, sent)
    await stop(svc)
  })

  test('a get-only user: refused on both, svc ends with kubectl\'s error at the first connection', async t => {
    const svc = startSvc(['port-forward', '--kubeconfig', c.kubeconfig('get-only'), '--transport', 'auto', '--address', '127.0.0.1', 'pod/tp', ':7'])
    t.after(() => svc.kill('SIGKILL'))
    const [, port] = await svc.line(/^Forwarding from 127\.0\.0\.1:(\d+) -> 7$/)
    assert.equal((await exchange(Number(port), 'x')).toString(), '')
    assert.equal((await svc.exited).code, 1)
    assert.match(svc.stderr, /\nerror: error upgrading connection: pods "tp" is forbidden: User "get-only" cannot create resource "pods\/portforward"/)
  })

  test('--transport tunnel does not fall back: each connection reports the refusal', async t => {
    refuseTunnel = true
    t.after(() => (refuseTunnel = false))
    const {svc, local} = await forward('tunnel', 'pod/tp', ':7')
    t.after(() => svc.kill('SIGKILL'))
    assert.equal((await exchange(local, 'x')).toString(), '')
    await svc.line(/^an error occurred forwarding \d+ -> 7: error upgrading connection: /, 'stderr')
    await stop(svc)
  })
})
