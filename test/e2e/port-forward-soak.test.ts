// Soak: a forwarder that serves thousands of connections, closed every way a client can close
// them, gives back every fd, tunnel and byte of memory it took. Parameterised by transport: adding
// one is one line in TRANSPORTS. Bounded (each client has a timeout, the whole test a deadline),
// loopback only, against the local cluster.

import assert from 'node:assert/strict'
import fs from 'node:fs'
import {after, before, describe, test} from 'node:test'

import {churn, CLOSE_MODES, type CloseMode, fdCount, type RssParts} from '../helpers/churn.ts'
import {gcProbe} from '../helpers/gc-probe.ts'
import {createPod, type PfCluster, podRunning, startPfCluster, startSvc, until} from '../helpers/pf-cluster.ts'

const MiB = 1024 * 1024

/**
 * Every transport svc offers, by the flags that select it. `perConnection`: each connection has its
 * own upgrade, so none may stay open; the SPDY transports keep a session per pod (at most 8) for
 * 60 s, and only the pod connections must be gone.
 */
const TRANSPORTS: Array<{args: string[]; name: string; perConnection: boolean}> = [
  {args: ['--transport', 'websocket'], name: 'websocket (v4)', perConnection: true},
  {args: ['--transport', 'tunnel'], name: 'tunnel (SPDY in a WebSocket)', perConnection: false},
  {args: ['--transport', 'spdy'], name: 'spdy', perConnection: false},
]

const COUNTS: Record<CloseMode, number> = {abandon: 500, 'data-fin': 500, echo: 2000, 'fin-no-data': 500, reset: 500}
/**
 * RSS after the forwarder's idle collection may exceed its idle figure by this much, over the
 * transports that carry every connection on one session. Over v4 (perConnection) it is reported:
 * each connection is a TLS connection of its own, about 85 KiB of malloc while it is open (Node's
 * 64 KiB read buffer per TLS socket, OpenSSL's state), and a full exchange followed by a close
 * lingers until svc sees the client's socket closed in /proc/net/tcp (peer-gone.ts) or the
 * half-close timeout, so 60-220 of them are open at once, more on a loaded machine. glibc's main
 * heap (`[heap]` in the diagnostic) grows to that peak and gives back only its top, and what
 * outlives the burst is spread over the whole grown range: in a walk of its chunks after the GC,
 * 400-450 above 8 MiB of a 27-39 MiB heap, half of them free chunks held in glibc's per-thread
 * caches, the rest Node's HTTP parser free list (10 KiB each, one per concurrent handshake), V8's
 * records of code compiled during the burst, V8 page metadata and the long-lived API watch's TLS
 * buffer. None of them is svc's to free, and Node cannot call malloc_trim, so the heap keeps the
 * size of the burst's peak: +20 to +41 MiB in all over 13 runs. See docs/benchmarks.md.
 */
const RSS_GROWTH_LIMIT = 32 * MiB
const CONCURRENCY = 8

let c: PfCluster
let kc: string

before(async () => {
  c = await startPfCluster()
  kc = c.kubeconfig()
  await createPod(c.client, 'echo', {ports: [{containerPort: 7}]})
  await podRunning(c.client, 'echo')
})

after(() => c.stop())

for (const transport of TRANSPORTS) {
  describe(`soak over ${transport.name}`, () => {
    // Its own timeout: the churn takes under a minute on an idle 2-core machine, minutes on a busy one.
    test(`${Object.entries(COUNTS).map(([m, n]) => `${n} ${m}`).join(', ')}: within 3 s of the last close, fds and tunnels are back, the JS heap after a GC too`, {timeout: 540_000}, async t => {
      const probe = gcProbe({returnPages: true})
      t.after(() => probe.dispose())
      const svc = startSvc(
        ['port-forward', '--kubeconfig', kc, 'pod/echo', ':7', '--address', '127.0.0.1', '--quiet', ...transport.args],
        probe.env,
        {hardStopMs: 560_000, nodeArgs: probe.nodeArgs},
      )
      t.after(() => svc.kill('SIGKILL'))
      const pid = svc.child.pid!
      // --quiet prints nothing on success: find the port from the process's listening socket.
      const port = await until(() => listeningPort(pid), 'the listener', 20_000)
      // Idle: after one warm-up connection of each close mode (modules, TLS context and the code of
      // each release path, loaded or paged in lazily, are part of idle).
      for (const mode of CLOSE_MODES) await churn(port, mode, 1, 1)
      await until(() => c.cluster.openPodConnections() === 0 || undefined, 'the warm-up connections closed', 10_000)
      const idleFds = fdCount(pid)
      const idle = await probe.collect(pid)

      const figures: string[] = []
      let peakFds = idleFds
      const sampler = setInterval(() => {
        try {
          peakFds = Math.max(peakFds, fdCount(pid))
        } catch {
          // svc exited: the test fails on its own
        }
      }, 100)
      try {
        for (const mode of CLOSE_MODES) {
          const ms = await churn(port, mode, COUNTS[mode], CONCURRENCY)
          figures.push(`${mode} ${COUNTS[mode]} in ${Math.round(ms)} ms (${Math.round(COUNTS[mode] / (ms / 1000))}/s)`)
        }
      } finally {
        clearInterval(sampler)
      }
      const lastClose = Date.now()
      const settled = await until(() => {
        const fds = fdCount(pid)
        const tunnels = c.cluster.openPortForwards()
        const pods = c.cluster.openPodConnections()
        return fds <= idleFds + 10 && pods === 0 && (!transport.perConnection || tunnels === 0) && tunnels <= 8 ? {fds, pods, tunnels} : undefined
      }, `fds <= ${idleFds} + 10, no pod connection and no idle tunnel left on the cluster (fds now ${fdCount(pid)}, pod connections ${c.cluster.openPodConnections()}, upgrades ${c.cluster.openPortForwards()})`, 3_000)
      const settleMs = Date.now() - lastClose
      const settledMemory = await probe.collect(pid)
      const heap = settledMemory.memory.heapUsed
      const idleHeap = idle.memory.heapUsed
      t.diagnostic(`${figures.join('; ')}; idle ${idleFds} fds / ${(idle.rss / MiB).toFixed(1)} MiB; peak ${peakFds} fds; ` +
        `${settleMs} ms after the last close: ${settled.fds} fds, ${settled.pods} pod connections, ${settled.tunnels} upgrades open; RSS after GC ${(settledMemory.rss / MiB).toFixed(1)} MiB (${growthByPart(idle.parts, settledMemory.parts)}), JS heap ${(heap / MiB).toFixed(1)} MiB (idle ${(idleHeap / MiB).toFixed(1)})`)
      assert.ok(heap - idleHeap <= 8 * MiB, `JS heap after a GC ${(heap / MiB).toFixed(1)} MiB, idle ${(idleHeap / MiB).toFixed(1)} MiB: something kept connections alive`)
      const growth = settledMemory.rss - idle.rss
      if (!transport.perConnection) {
        assert.ok(growth <= RSS_GROWTH_LIMIT, `RSS after a GC ${(settledMemory.rss / MiB).toFixed(1)} MiB, ${(growth / MiB).toFixed(1)} MiB above idle ` +
          `(${(idle.rss / MiB).toFixed(1)}; at most ${RSS_GROWTH_LIMIT / MiB}): native memory (TLS, socket or session buffers) outlived its connections`)
      }
      // Every connection is served, so no transport reports an error. The SPDY transports open stream
      // pairs in bursts of hundreds: the simulated pod's accept queue is sized for them as a Go
      // server's is (LISTEN_BACKLOG in test/cluster/sim/containers.ts).
      assert.equal(svc.stderr, '')
    })
  })
}

/** How much each part of the resident memory grew from idle, for the diagnostic. */
function growthByPart(idle: RssParts, after: RssParts): string {
  const part = (name: string, key: keyof RssParts) => `${name} ${after[key] - idle[key] < 0 ? '' : '+'}${((after[key] - idle[key]) / MiB).toFixed(1)}`
  return [part('[heap]', 'brkHeap'), part('other anonymous', 'otherAnon'), part('file', 'file')].join(', ')
}

/** The TCP port a process listens on (from /proc/net/tcp, matched by the inodes of its fds). */
function listeningPort(pid: number): number | undefined {
  const inodes = new Set<string>()
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`))
      if (m) inodes.add(m[1])
    } catch {
      // the fd closed meanwhile
    }
  }
  for (const line of fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/)
    if (f[3] === '0A' && inodes.has(f[9])) return Number.parseInt(f[1].split(':')[1], 16)
  }
  return undefined
}
