// The port-forward data path against the local cluster where a real node's behaviour decides the
// outcome: a pod that sends data and then resets (containerd's copy error, the kubelet's error
// text after the data). Over v4 this stays local: kwok, the real control plane's node agent, waits
// for both directions of a connection to end, and a v4 client cannot end its own; the SPDY form
// runs on both clusters (test/both/spdy-forward-error.test.ts), and so does the keepalive test of
// a pod that reads slower than the client uploads (test/both/keepalive.test.ts).

import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'

import type {Tunnel} from '../../src/portforward/tunnel.ts'
import type {Pod} from '../../src/kube/types.ts'
import {patternBytes, SEND_RESET_BYTES} from '../cluster/sim/containers.ts'
import {connect, destroyAllClients, listenAndForward} from '../helpers/forward-listener.ts'
import {createPod, type PfCluster, startPfCluster, until} from '../helpers/pf-cluster.ts'

let c: PfCluster

before(async () => {
  c = await startPfCluster()
  await createPod(c.client, 'crash', {annotations: {'sim.svc.local/port-9': 'send-reset'}, ports: [{containerPort: 9}]})
  for (const pod of ['crash']) {
    await until(async () => (await c.client.request<Pod>({path: `/api/v1/namespaces/default/pods/${pod}`})).body.status?.phase === 'Running', `pod ${pod} Running`)
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
