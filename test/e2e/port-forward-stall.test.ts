// svc port-forward with a local reader that stops reading, over each transport, end to end: the
// built binary against the local cluster. Upstream applies no SPDY flow control, so a stream whose
// reader stopped holds its whole session once its bounded buffer is full; new connections must go
// to another session, the forwarder's memory must stay bounded, and the stopped reader must get
// every byte once it reads again. (Throughput beside kubectl is measured by the benchmarks.)

import assert from 'node:assert/strict'
import net from 'node:net'
import {after, before, describe, test} from 'node:test'

import {patternBytes} from '../cluster/sim/containers.ts'
import {rssBytes} from '../helpers/churn.ts'
import {gcProbe} from '../helpers/gc-probe.ts'
import {createPod, type PfCluster, podRunning, startPfCluster, startSvc} from '../helpers/pf-cluster.ts'

let c: PfCluster
const MiB = 1024 * 1024

before(async () => {
  c = await startPfCluster()
  await createPod(c.client, 'dl', {annotations: {'sim.svc.local/port-8080': 'http'}, ports: [{containerPort: 8080}]})
  await podRunning(c.client, 'dl')
})
after(() => c.stop())

describe('a local reader that stops reading', () => {
  for (const transport of ['tunnel', 'spdy', 'websocket']) {
    test(`--transport ${transport}: ten others still move 16 MiB each; the forwarder's RSS stays bounded; the stopped one resumes intact`, async t => {
      const probe = gcProbe()
      t.after(() => probe.dispose())
      const svc = startSvc(['port-forward', '--kubeconfig', c.kubeconfig(), '--transport', transport, '--address', '127.0.0.1', 'pod/dl', ':8080', '-o', 'json', '-v=4'], probe.env, {nodeArgs: probe.nodeArgs})
      t.after(() => svc.kill('SIGKILL'))
      await svc.line(/"event":"ready"/)
      const http: number = svc.events().find(e => e.event === 'ready').ports[0].localPort
      const pid = svc.child.pid!
      /** Ten downloads of 16 MiB at once; resolves with the peak RSS of svc meanwhile. */
      const run10 = async () => {
        let peak = rssBytes(pid)
        const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(pid))), 20)
        try {
          assert.deepEqual(await Promise.all(Array.from({length: 10}, () => download(http, 16 * MiB))), Array(10).fill(16 * MiB))
        } finally {
          clearInterval(sampler)
        }
        return peak
      }
      // The same load without a stopped reader first, twice, then what the forwarder holds after a
      // full collection: the baseline. (The first run of a fresh forwarder leaves its allocator's
      // high-water mark where that run's timing put it; freed native memory stays mapped, and a
      // second run that happened to overlap more would read as growth.)
      await run10()
      const basePeak = await run10()
      const base = await probe.collect(pid)

      // A 32 MiB download whose reader stops after the first bytes: far more than every buffer
      // on the way (svc's, and the kernel's socket buffers) holds.
      const stalledSize = 32 * MiB
      const stalled = net.connect({host: '127.0.0.1', port: http})
      stalled.on('error', () => {})
      await new Promise(resolve => stalled.once('connect', resolve))
      stalled.write(`GET /bytes?n=${stalledSize} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)
      await new Promise(resolve => stalled.once('readable', resolve))
      stalled.pause()
      if (transport !== 'websocket') {
        // Its session stops reading once the stream's buffer is full; new connections go to another.
        await svc.line(/held by a reader that stopped reading/, 'stderr')
      }
      const stalledPeak = await run10()
      const held = await probe.collect(pid)
      const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`
      t.diagnostic(`RSS after a full collection ${mib(base.rss)} without the stopped reader, ${mib(held.rss)} with it; ` +
        `Buffer memory ${mib(base.memory.arrayBuffers)}, ${mib(held.memory.arrayBuffers)}; peak RSS during the ten ${mib(basePeak)}, ${mib(stalledPeak)}`)
      // What the stopped reader costs is what the forwarder still holds for it, with the reader still
      // stopped, against the same after the same load without it: the bytes in Buffers (every queue
      // svc has is one), and for the transports that share a session, its RSS after a full
      // collection. (The peaks during the ten downloads swing by 20 MiB and more with when V8
      // collects the others' garbage, more on a loaded machine; they are reported above, not asserted.)
      assert.ok(held.memory.arrayBuffers - base.memory.arrayBuffers <= 16 * MiB, `Buffer memory after a full collection grew by ${mib(held.memory.arrayBuffers - base.memory.arrayBuffers)} with the stopped reader`)
      // Over v4 each connection has its own TLS socket and no session is shared, so nothing else can
      // hold the stopped reader's bytes; its RSS after a collection follows where glibc's heap stood
      // at the run's busiest moment, which load moves (measured: +39.4 MiB under load 10 with 0.4 MiB
      // in Buffers; -4 to +15 MiB on an idle machine). Reported above, not asserted, for v4 alone.
      if (transport !== 'websocket') {
        assert.ok(held.rss - base.rss <= 16 * MiB, `RSS after a full collection grew by ${mib(held.rss - base.rss)} with the stopped reader`)
      }
      // The stopped reader resumes and gets every byte.
      const body = await readBody(stalled)
      assert.equal(body.length, stalledSize)
      assert.ok(body.subarray(stalledSize - 1000).equals(patternBytes(stalledSize - 1000, 1000)))
      stalled.destroy()
      svc.kill('SIGTERM')
      assert.equal((await svc.exited).code, 0, svc.stderr)
    })
  }
})

/** GET /bytes?n=size through the forward; resolves with the body's length. */
async function download(port: number, size: number): Promise<number> {
  const socket = net.connect({host: '127.0.0.1', port})
  socket.on('error', () => {})
  await new Promise(resolve => socket.once('connect', resolve))
  socket.write(`GET /bytes?n=${size} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)
  let got = -1
  let head = Buffer.alloc(0)
  await new Promise<void>(resolve => {
    socket.on('data', (chunk: Buffer) => {
      if (got < 0) {
        head = Buffer.concat([head, chunk])
        const at = head.indexOf('\r\n\r\n')
        if (at < 0) return
        got = head.length - at - 4
      } else {
        got += chunk.length
      }
      if (got >= size) resolve()
    })
    socket.once('close', () => resolve())
  })
  socket.destroy()
  return got
}

/** Resumes a paused socket and reads its HTTP response body to the end. */
async function readBody(socket: net.Socket): Promise<Buffer> {
  const chunks: Buffer[] = []
  socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  const done = new Promise<void>(resolve => {
    socket.once('end', () => resolve())
    socket.once('close', () => resolve())
  })
  socket.resume()
  await done
  const all = Buffer.concat(chunks)
  return all.subarray(all.indexOf('\r\n\r\n') + 4)
}
