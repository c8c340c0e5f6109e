// Keepalive must not kill a slow upload, on each cluster SVC_TEST_CLUSTER asks for (the real
// control plane too in `npm run test:real`, where kwok serves the real kubelet's v4 WebSocket code:
// golang.org/x/net/websocket answers a ping only between data frames, so behind megabytes of
// upload to a slowly reading pod the pong is late). svc counts a tunnel alive while bytes move
// (src/portforward/lifecycle.ts keepalive). The upload's frames carry random masking keys, which
// both servers take.

import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'

import {SpdyConnector} from '../../src/portforward/multiplex.ts'
import {openTunnel, type Tunnel, TunnelLostError} from '../../src/portforward/tunnel.ts'
import {createPod, deletePod, podRunning, until} from '../helpers/pf-cluster.ts'
import {clusterKinds, startTestCluster, type TestCluster} from '../helpers/test-cluster.ts'

const POD = 'slow-reader'
/** More than the buffers between svc and the pod hold (about 13 MB on the real control plane). */
const UPLOAD = 64 * 1024 * 1024
/**
 * Less than those buffers hold (measured: about 9.5 MB on the local cluster, 23 MB on the real
 * control plane) and more than the pod's side of them takes (about 4 MB on the local cluster): svc
 * writes it all at once, then nothing moves at its end while the pod reads for over a minute, and
 * the ping it sent waits behind megabytes of frames that the kubelet reads one at a time.
 */
const FITS = 8 * 1024 * 1024

/** Writes `total` bytes into `t` in 64 KiB chunks, as fast as it takes them. */
function pumpInto(t: Tunnel, total: number): void {
  const chunk = Buffer.alloc(64 * 1024, 7)
  let queued = 0
  const pump = () => {
    while (queued < total && !t.destroyed) {
      queued += chunk.length
      if (!t.write(chunk)) return void t.once('drain', pump)
    }
  }
  pump()
}

/**
 * Pushes 64 MiB into `t` and watches it for `windowMs`: it must stay up while bytes trickle to the
 * pod, also once the whole upload sits in the buffers between svc and the pod (13 MB of it within
 * 5 s on the real control plane) and nothing moves at svc's end.
 */
async function uploadSurvives(t: Tunnel, windowMs: number): Promise<void> {
  pumpInto(t, UPLOAD)
  const started = Date.now()
  const samples: number[] = []
  const outcome = await Promise.race([
    t.done.then(error => ({error})),
    until(() => {
      samples.push(t.bytesOut)
      return Date.now() - started > windowMs || undefined
    }, `${windowMs} ms of upload`, windowMs + 30_000).then(() => ({alive: true, error: undefined})),
  ])
  assert.ok(!('error' in outcome && outcome.error instanceof TunnelLostError), `the tunnel was dropped: ${(outcome as {error?: Error}).error?.message}`)
  assert.ok('alive' in outcome && !t.destroyed, 'the tunnel is still open')
  assert.ok(t.bytesOut < UPLOAD, 'the upload was still in progress')
  assert.ok(samples.at(-1)! > samples[0], 'bytes kept moving')
  t.destroy()
  await t.done
}

/**
 * Writes FITS bytes into `t`, waits until svc's end has handed them all on, then watches it for
 * `windowMs` with nothing moving at svc's end: it must stay up.
 */
async function quietUploadSurvives(t: Tunnel, windowMs: number): Promise<void> {
  pumpInto(t, FITS)
  const quiet = await Promise.race([
    t.done.then(error => ({error})),
    until(() => t.bytesOut >= FITS || undefined, `svc to hand on all ${FITS} bytes`, 60_000).then(() => ({error: undefined})),
  ])
  assert.ok(!quiet.error, `the tunnel ended while writing: ${quiet.error?.message}`)
  const since = Date.now()
  const outcome = await Promise.race([
    t.done.then(error => ({error})),
    until(() => Date.now() - since > windowMs || undefined, `${windowMs} ms of a quiet upload`, windowMs + 30_000).then(() => ({error: undefined})),
  ])
  assert.ok(!(outcome.error instanceof TunnelLostError), `the tunnel was dropped: ${outcome.error?.message}`)
  assert.ok(!t.destroyed, 'the tunnel is still open')
  t.destroy()
  await t.done
}

for (const kind of clusterKinds()) {
  describe(`keepalive on the ${kind} cluster`, () => {
    let c: TestCluster

    before(async () => {
      c = await startTestCluster(kind)
      await createPod(c.client, POD, {annotations: {'sim.svc.local/port-10': 'slow-read'}, ports: [{containerPort: 10}]})
      await podRunning(c.client, POD, 'default', 60_000)
    })
    after(async () => {
      if (c) await deletePod(c.client, POD).catch(() => undefined)
      await c?.stop()
    })

    it('v4: a 64 MiB upload to a pod reading 100 KB/s survives six ping intervals without a timely pong', {timeout: 60_000}, async () => {
      const pingIntervalMs = 2_000
      await uploadSurvives(await openTunnel(c.client, {namespace: 'default', pod: POD, port: 10, pingIntervalMs}), pingIntervalMs * 6)
    })

    it('v4: an 8 MiB upload that the buffers hold survives six ping intervals of quiet at svc\'s end', {timeout: 90_000}, async () => {
      const pingIntervalMs = 1_000
      await quietUploadSurvives(await openTunnel(c.client, {namespace: 'default', pod: POD, port: 10, pingIntervalMs}), pingIntervalMs * 6)
    })

    it('SPDY (the tunnel kubectl uses): the same upload survives six ping timeouts of its session', {timeout: 60_000}, async () => {
      const pingIntervalMs = 500
      const connector = new SpdyConnector(c.client, {mode: 'tunnel', pingIntervalMs})
      const stop = new AbortController()
      try {
        // a PING unanswered for 3 periods loses the session
        await uploadSurvives(await connector.open({namespace: 'default', pod: POD, port: 10, signal: stop.signal}), pingIntervalMs * 3 * 6)
      } finally {
        stop.abort()
        connector.close()
      }
    })
  })
}
