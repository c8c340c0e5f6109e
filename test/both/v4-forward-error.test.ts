// svc's v4 WebSocket port-forward when the pod resets a connection after sending data, on each
// cluster SVC_TEST_CLUSTER asks for: every byte the node sent before its error reaches the local
// client, in order, the local socket is ended (not reset), then the kubelet's text is reported.
//
// When the node reports the error differs, and the test lets each node decide it. The kubelet
// (pkg/kubelet/cri/streaming/portforward/websocket.go, websocketStreamHandler.portForward) writes
// `error forwarding port ...` once the runtime's PortForward returns. containerd's portForward
// (internal/cri/server/sandbox_portforward_linux.go) returns when either copy ends, giving the
// other one a second; kwok's (pkg/kwok/server/debugging_port_forword.go PortForward, through
// pkg/utils/net/tunnel.go Tunnel) waits for both copies, and the client-to-pod copy ends only when
// a write to the reset pod fails, since a v4 client cannot half-close. So the client here keeps
// writing a byte at each poll until its socket ends: the local cluster (containerd's way) ends it
// about a second after the reset whatever the client does, kwok on the first write after it.
// Which copy's error the node reports differs too: kwok's Tunnel (pkg/utils/net/tunnel.go) returns
// the error of the copy that ends first, the pod-to-client copy's read of the reset (`read tcp
// ...: read: connection reset by peer`) or, while that copy is still blocked writing to the slow
// client, the client-to-pod copy's write of the client's next byte into the reset socket
// (`readfrom tcp ...: write tcp ...: write: connection reset by peer`). Either is the pod's reset.
// Those writes matter on their own: a socket closed with unread input is reset by the kernel,
// which drops what its send buffer still holds, so svc reads and drops them until the client ends
// its side (src/portforward/forward.ts); before that, the real tier saw a slow client get 380 KB
// of the pod's 4 MiB and then a reset.

import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'

import type {Tunnel} from '../../src/portforward/tunnel.ts'
import {patternBytes, SEND_RESET_BYTES} from '../cluster/sim/containers.ts'
import {connect, destroyAllClients, listenAndForward} from '../helpers/forward-listener.ts'
import {createPod, deletePod, podRunning, until} from '../helpers/pf-cluster.ts'
import {clusterKinds, startTestCluster, type TestCluster} from '../helpers/test-cluster.ts'

const POD = 'crash-v4'
/** The slow client's pause after each chunk it reads. */
const SLOW_READ_PAUSE_MS = 150

for (const kind of clusterKinds()) {
  describe(`bytes before an error over v4, on the ${kind} cluster`, () => {
    let c: TestCluster

    before(async () => {
      c = await startTestCluster(kind)
      await createPod(c.client, POD, {annotations: {'sim.svc.local/port-9': 'send-reset'}, ports: [{containerPort: 9}]})
      await podRunning(c.client, POD, 'default', 60_000)
    })
    after(async () => {
      destroyAllClients()
      if (c) await deletePod(c.client, POD).catch(() => undefined)
      await c?.stop()
    })

    it('a pod that sends data then resets: every data byte reaches a slow client, the socket is ended, then the kubelet text is reported', {timeout: 90_000}, async () => {
      const tunnels: Tunnel[] = []
      const l = await listenAndForward(c.client, {namespace: 'default', pod: POD, port: 9}, {onTunnel: t => tunnels.push(t)})
      try {
        const socket = await connect(l.port)
        socket.write('go')
        // A slow reader (a chunk per 150 ms, slower than any node sends): svc's end of the path
        // stays full, so the last bytes and the error arrive while svc still holds bytes the
        // client has not taken. A faster reader lets the kernel's loopback buffers take the pod's
        // 2 to 4 MB whole, and a svc that dropped its buffer at the error would pass unseen.
        const chunks: Buffer[] = []
        let ended = false
        let resetBeforeEnd: Error | undefined
        socket.on('error', error => {
          if (!ended) resetBeforeEnd = error
        })
        socket.on('data', (chunk: Buffer) => {
          chunks.push(chunk)
          socket.pause()
          setTimeout(() => socket.resume(), SLOW_READ_PAUSE_MS)
        })
        socket.once('end', () => (ended = true))
        socket.once('close', () => (ended = true))
        await until(() => {
          if (!ended && !socket.destroyed && chunks.length > 0) socket.write('.')
          return ended
        }, 'the local socket to end', {intervalMs: 250, timeoutMs: 60_000})
        const result = await l.next()
        const received = Buffer.concat(chunks)
        assert.equal(resetBeforeEnd, undefined, 'the local socket is ended, not reset')
        assert.equal(result.reason, 'error-channel')
        const conn = String.raw`tcp4? 127\.0\.0\.1:\d+->127\.0\.0\.1:\d+`
        // The local cluster (containerd's way) reports the pod-to-client copy's read; kwok either copy.
        const words = kind === 'local' ? String.raw`read ${conn}: read` : String.raw`(read ${conn}: read|readfrom ${conn}: write ${conn}: write)`
        assert.match(result.error!.message, new RegExp(String.raw`^error forwarding port 9 to pod .+: ${words}: connection reset by peer$`))
        assert.equal(received.length, tunnels[0].bytesIn, 'every byte the server sent before its error reached the client')
        assert.ok(received.length > 0 && received.length <= SEND_RESET_BYTES)
        assert.ok(received.equals(patternBytes(0, received.length)), 'the bytes are the pod\'s, in order')
        assert.equal(result.bytesIn, received.length)
      } finally {
        await l.close()
      }
    })
  })
}
