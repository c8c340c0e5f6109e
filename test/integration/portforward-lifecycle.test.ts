// The port-forward data path against the local cluster where a real node's behaviour decides the
// outcome: a pod that sends data and then resets (containerd's copy error, the kubelet's error
// text after the data), and a pod that reads slower than the client uploads (the kubelet answers
// pings only between data frames, so the pong comes late).

import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'

import {openTunnel, type Tunnel, TunnelLostError} from '../../src/portforward/tunnel.ts'
import {patternBytes, SEND_RESET_BYTES} from '../cluster/sim/containers.ts'
import {connect, destroyAllClients, listenAndForward} from '../helpers/forward-listener.ts'
import {createPod, type PfCluster, startPfCluster, until} from '../helpers/pf-cluster.ts'

let c: PfCluster

before(async () => {
  c = await startPfCluster()
  await createPod(c.client, 'crash', {annotations: {'sim.svc.local/port-9': 'send-reset'}, ports: [{containerPort: 9}]})
  await createPod(c.client, 'slow', {annotations: {'sim.svc.local/port-10': 'slow-read'}, ports: [{containerPort: 10}]})
  for (const pod of ['crash', 'slow']) {
    await until(async () => (await c.client.request<any>({path: `/api/v1/namespaces/default/pods/${pod}`})).body.status?.phase === 'Running', `pod ${pod} Running`)
  }
})

after(async () => {
  destroyAllClients()
  await c.stop()
})

describe('bytes before an error', () => {
  it('a pod that sends data then resets: every data byte reaches a slow client, the socket is ended, then the kubelet text is reported', async () => {
    const tunnels: Tunnel[] = []
    const l = await listenAndForward(c.client, {namespace: 'default', pod: 'crash', port: 9}, {onTunnel: t => tunnels.push(t)})
    try {
      const socket = await connect(l.port)
      socket.write('go')
      // A slow reader: bytes pile up in svc while the error arrives behind them.
      const chunks: Buffer[] = []
      let reset: Error | undefined
      socket.on('error', error => (reset = error))
      await new Promise<void>(resolve => {
        socket.on('data', (chunk: Buffer) => {
          chunks.push(chunk)
          socket.pause()
          setTimeout(() => socket.resume(), 15)
        })
        socket.once('end', resolve)
        socket.once('close', resolve)
      })
      const result = await l.next()
      const received = Buffer.concat(chunks)
      assert.equal(reset, undefined, 'the local socket is ended, not reset')
      assert.equal(result.reason, 'error-channel')
      assert.match(result.error!.message, /^error forwarding port 9 to pod [0-9a-f]{64}, uid : failed to execute portforward for "[0-9a-f]{64}" port 9: read tcp4 127\.0\.0\.1:\d+->127\.0\.0\.1:9: read: connection reset by peer$/)
      assert.equal(received.length, tunnels[0].bytesIn, 'every byte the server sent before its error reached the client')
      assert.ok(received.length > 0 && received.length <= SEND_RESET_BYTES)
      assert.ok(received.equals(patternBytes(0, received.length)), 'the bytes are the pod\'s, in order')
      assert.equal(result.bytesIn, received.length)
    } finally {
      await l.close()
    }
  })
})

describe('keepalive', () => {
  it('a 16 MiB upload to a pod reading 100 KB/s survives more than two ping intervals without a timely pong', {timeout: 60_000}, async () => {
    const pingIntervalMs = 2_000
    const t = await openTunnel(c.client, {namespace: 'default', pod: 'slow', port: 10, pingIntervalMs})
    const chunk = Buffer.alloc(64 * 1024, 7)
    let queued = 0
    const pump = () => {
      while (queued < 16 * 1024 * 1024 && !t.destroyed) {
        queued += chunk.length
        if (!t.write(chunk)) return void t.once('drain', pump)
      }
    }
    pump()
    const started = Date.now()
    const samples: number[] = []
    // Watch the tunnel for 2.5 intervals: it must stay up while bytes trickle to the pod.
    const outcome = await Promise.race([
      t.done.then(error => ({error})),
      until(() => {
        samples.push(t.bytesOut)
        return Date.now() - started > pingIntervalMs * 2.5 || undefined
      }, 'two and a half ping intervals', 30_000).then(() => ({error: undefined, alive: true})),
    ])
    assert.ok(!('error' in outcome && outcome.error instanceof TunnelLostError), `the tunnel was dropped: ${(outcome as {error?: Error}).error?.message}`)
    assert.ok('alive' in outcome && !t.destroyed, 'the tunnel is still open')
    assert.ok(t.bytesOut < 16 * 1024 * 1024, 'the upload was still in progress')
    assert.ok(samples.at(-1)! > samples[0], 'bytes kept moving')
    t.destroy()
    await t.done
  })
})
