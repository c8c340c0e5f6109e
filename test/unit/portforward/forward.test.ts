import assert from 'node:assert/strict'
import {once} from 'node:events'
import {after, before, describe, it} from 'node:test'

import {ApiError} from '../../../src/kube/errors.ts'
import {CHECK_DELAYS_MS, ProcPeerWatch, readOrphans} from '../../../src/portforward/peer-gone.ts'
import {PortForwardError, TunnelLostError} from '../../../src/portforward/tunnel.ts'
import type {ForwardHooks, Tunnel} from '../../../src/portforward/types.ts'
import {connect, destroyAllClients, echoRandom, listenAndForward, type Listener, readAtLeast, readToEnd} from '../../helpers/forward-listener.ts'
import {until} from '../../helpers/poll.ts'
import {behaviours, startV4ApiServer, type V4ApiServer} from '../../helpers/v4-apiserver.ts'

const ns = 'default'

function listen(server: V4ApiServer, pod: string, port: number, hooks: ForwardHooks = {}, user: 'admin' | 'readonly' = 'admin'): Promise<Listener> {
  return listenAndForward(server.client(user), {namespace: ns, pod, port}, hooks)
}

describe('forwardConnection', () => {
  let server: V4ApiServer
  let replyNow: () => void = () => {}
  let chatter: () => void = () => {}

  before(async () => {
    server = await startV4ApiServer()
    server.addPod({
      name: 'web',
      ports: {
        7: behaviours.echo,
        8: behaviours.hello('web\n'),
        9: behaviours.silent,
        10: behaviours.count(11),
        // Answers with what it got once the test says so (the local side has half-closed by then).
        13: socket => {
          const chunks: Buffer[] = []
          socket.on('data', (chunk: Buffer) => chunks.push(chunk))
          replyNow = () => socket.end(Buffer.concat(chunks))
        },
        14: behaviours.bytes(8 * 1024 * 1024),
        // Keeps answering (never ends its side) once the test says so.
        15: socket => {
          socket.resume()
          chatter = () => {
            const timer = setInterval(() => socket.write('more\n'), 20)
            socket.once('close', () => clearInterval(timer))
          }
        },
      },
    })
  })
  after(async () => {
    destroyAllClients()
    await server.stop()
  })

  it('half-close: the client ends its side, the pod reply still arrives, then both ends close', async () => {
    const l = await listen(server, 'web', 10)
    try {
      const socket = await connect(l.port)
      socket.end('hello world')
      assert.equal((await readToEnd(socket)).toString(), '11\n')
      const result = await l.next()
      assert.deepEqual(result, {bytesIn: 3, bytesOut: 11, reason: 'completed'})
    } finally {
      await l.close()
    }
  })

  it('keeps the connection while the pod thinks, after the local side ended (linger 0: wait for the pod)', async () => {
    const l = await listen(server, 'web', 13, {halfCloseTimeoutMs: 0})
    try {
      const socket = await connect(l.port)
      socket.end('late reply')
      await once(socket, 'finish')
      // Give the bytes time to reach the pod: wait until the pod has them, by polling its sockets.
      await until(() => server.podSockets.some(s => s.localPort !== undefined && s.bytesRead === 10), 'the pod to read the 10 bytes')
      replyNow()
      assert.equal((await readToEnd(socket)).toString(), 'late reply')
      assert.equal((await l.next()).reason, 'completed')
    } finally {
      await l.close()
    }
  })

  it('a server-speaks-first pod: the greeting, then EOF', async () => {
    const l = await listen(server, 'web', 8)
    try {
      const socket = await connect(l.port)
      assert.equal((await readToEnd(socket)).toString(), 'web\n')
      assert.deepEqual(await l.next(), {bytesIn: 4, bytesOut: 0, reason: 'completed'})
    } finally {
      await l.close()
    }
  })

  it('16 MiB of random bytes come back identical through an echo pod', async () => {
    const l = await listen(server, 'web', 7)
    try {
      const socket = await connect(l.port)
      const size = 16 * 1024 * 1024
      const {got, sent} = await echoRandom(socket, size)
      assert.equal(got, sent)
      // A FIN would read as a half-close (v4 cannot pass it on; the echo pod would wait): reset.
      socket.resetAndDestroy()
      const result = await l.next()
      assert.equal(result.reason, 'local-closed')
      assert.equal(result.bytesIn, size)
      assert.equal(result.bytesOut, size)
    } finally {
      await l.close()
    }
  })

  it('200 concurrent connections each get their own bytes back', async () => {
    const l = await listen(server, 'web', 7)
    try {
      const results = await Promise.all(Array.from({length: 200}, async (_, i) => {
        const socket = await connect(l.port)
        const payload = Buffer.from(`connection ${i} `.repeat(50 + i))
        socket.write(payload)
        const got = await readAtLeast(socket, payload.length)
        socket.resetAndDestroy()
        return got.equals(payload)
      }))
      assert.equal(results.filter(Boolean).length, 200)
      for (let i = 0; i < 200; i++) await l.next()
      assert.ok(l.results.every(r => r.reason === 'local-closed'))
    } finally {
      await l.close()
    }
  })

  it('a refused pod port ends that connection with the error text; the next connection works', async () => {
    const l = await listen(server, 'web', 81)
    const good = await listen(server, 'web', 8)
    try {
      const socket = await connect(l.port)
      assert.equal((await readToEnd(socket)).length, 0)
      const result = await l.next()
      assert.equal(result.reason, 'error-channel')
      assert.ok(result.error instanceof PortForwardError)
      assert.match(result.error.message, /^error forwarding port 81 to pod [0-9a-f]{64}, uid : .*connection refused $/)
      const again = await connect(good.port)
      assert.equal((await readToEnd(again)).toString(), 'web\n')
    } finally {
      await l.close()
      await good.close()
    }
  })

  it('an upgrade refused with 403 closes the local socket and reports the ApiError', async () => {
    const l = await listen(server, 'web', 7, {}, 'readonly')
    try {
      const socket = await connect(l.port)
      socket.write('anyone?')
      assert.equal((await readToEnd(socket)).length, 0)
      const result = await l.next()
      assert.equal(result.reason, 'open-failed')
      assert.ok(result.error instanceof ApiError)
      assert.equal(result.error.code, 403)
    } finally {
      await l.close()
    }
  })

  it('a dropped API server connection ends the local connection with TunnelLostError', async () => {
    const l = await listen(server, 'web', 9)
    try {
      const socket = await connect(l.port)
      socket.write('x')
      await until(() => server.podSockets.some(s => !s.destroyed), 'a pod connection')
      const ended = readToEnd(socket)
      server.dropConnections()
      await ended
      const result = await l.next()
      assert.equal(result.reason, 'lost')
      assert.ok(result.error instanceof TunnelLostError)
    } finally {
      await l.close()
    }
  })

  it('the local client going away closes the tunnel and the pod connection', async () => {
    const opened: Tunnel[] = []
    const l = await listen(server, 'web', 9, {onTunnel: t => opened.push(t)})
    try {
      const before = server.podSockets.length
      const socket = await connect(l.port)
      socket.write('bye')
      await until(() => server.podSockets.length > before, 'a new pod connection')
      const podSocket = server.podSockets[server.podSockets.length - 1]
      socket.resetAndDestroy()
      const result = await l.next()
      assert.equal(result.reason, 'local-closed')
      assert.equal(await opened[0].done, undefined)
      // The pod sees its connection end (the silent pod keeps its own side open, as it may).
      if (!podSocket.readableEnded) await once(podSocket, 'end')
    } finally {
      await l.close()
    }
  })

  it('a silent pod after a local half-close is cut after halfCloseTimeoutMs', async () => {
    const l = await listen(server, 'web', 9, {halfCloseTimeoutMs: 50})
    try {
      const socket = await connect(l.port)
      socket.end('done talking')
      assert.equal((await readToEnd(socket)).length, 0)
      assert.equal((await l.next()).reason, 'half-close-timeout')
    } finally {
      await l.close()
    }
  })

  it('a slow local reader is not mistaken for a silent pod', async () => {
    const opened: Tunnel[] = []
    const l = await listen(server, 'web', 14, {halfCloseTimeoutMs: 300, onTunnel: t => opened.push(t)})
    try {
      const socket = await connect(l.port)
      socket.end('x')
      socket.pause()
      // Once the pod is sending, stay paused for several linger periods.
      await until(() => {
        assert.equal(l.results.length, 0, 'the pod did not start sending within the linger')
        return opened[0]?.bytesIn
      }, 'the pod to start sending', {intervalMs: 5})
      await new Promise(r => setTimeout(r, 1500))
      const data = await readToEnd(socket)
      assert.equal(data.length, 8 * 1024 * 1024)
      assert.equal((await l.next()).reason, 'completed')
    } finally {
      await l.close()
    }
  })

  it('a client that leaves while the tunnel is still opening: local-closed, the upgrade abandoned', async () => {
    server.stall(true)
    const l = await listen(server, 'web', 7)
    try {
      const socket = await connect(l.port)
      // (A FIN here would be a half-close: the tunnel would still open and deliver the reply.)
      socket.resetAndDestroy()
      const result = await l.next()
      assert.equal(result.reason, 'local-closed')
      assert.deepEqual([result.bytesIn, result.bytesOut], [0, 0])
    } finally {
      server.stall(false)
      await l.close()
    }
  })

  it('a client that connects and closes without a byte (nc -z) is released at once, no upgrade made', async () => {
    server.stall(true)
    const opened: Tunnel[] = []
    const l = await listen(server, 'web', 7, {onTunnel: t => opened.push(t)})
    try {
      const socket = await connect(l.port)
      socket.end()
      const result = await l.next()
      assert.deepEqual(result, {bytesIn: 0, bytesOut: 0, reason: 'local-closed'})
      assert.equal(opened.length, 0)
      await readToEnd(socket)
    } finally {
      server.stall(false)
      await l.close()
    }
  })

  it('a client that closes without a byte once the tunnel is open is released at once too', async () => {
    const opened: Tunnel[] = []
    const l = await listen(server, 'web', 9, {halfCloseTimeoutMs: 0, onTunnel: t => opened.push(t)})
    try {
      const socket = await connect(l.port)
      await until(() => opened.length > 0, 'the tunnel to open', {intervalMs: 5})
      socket.end()
      assert.deepEqual(await l.next(), {bytesIn: 0, bytesOut: 0, reason: 'local-closed'})
      assert.equal(await opened[0].done, undefined)
    } finally {
      await l.close()
    }
  })

  it('bytes and FIN sent while the tunnel is opening are delivered, then the reply, then the linger ends it', async () => {
    const l = await listen(server, 'web', 7, {halfCloseTimeoutMs: 100})
    try {
      const socket = await connect(l.port)
      socket.end('early bytes')
      assert.equal((await readToEnd(socket)).toString(), 'early bytes')
      assert.equal((await l.next()).reason, 'half-close-timeout')
    } finally {
      await l.close()
    }
  })

  it('a client that fully closed is released at the first failed write, before the linger', async () => {
    const l = await listen(server, 'web', 15, {halfCloseTimeoutMs: 0})
    try {
      const socket = await connect(l.port)
      socket.end('ping')
      await until(() => server.podSockets.some(s => s.bytesRead === 4 && !s.destroyed), 'the pod to read the 4 bytes')
      socket.destroy()
      await once(socket, 'close')
      chatter()
      const result = await l.next()
      assert.equal(result.reason, 'local-closed')
    } finally {
      await l.close()
    }
  })

  it('a client that fully closed after sending is released once the pod\'s reply meets its reset, not after the linger', async () => {
    // The reply is written once and the pod then stays silent: no later write would see the reset.
    const l = await listen(server, 'web', 7, {halfCloseTimeoutMs: 5_000})
    try {
      const socket = await connect(l.port)
      socket.end('ping')
      socket.destroy()
      const result = await l.next()
      assert.equal(result.reason, 'local-closed', 'released by the linger, not when the reply met the reset')
      assert.equal(result.bytesIn, 4)
    } finally {
      await l.close()
    }
  })

  it('a client that fully closed while the pod is silent is released when its orphaned socket is seen, long before the linger', async () => {
    // Nothing is written to the client after its EOF, so no failed write can tell: only the
    // kernel's table (its socket, closed by its process, is an orphan) can.
    // The linger is far longer than any check takes, even on a loaded machine: the reason alone
    // tells which of the two released the connection.
    const l = await listen(server, 'web', 9, {halfCloseTimeoutMs: 60_000})
    try {
      const socket = await connect(l.port)
      socket.end('ping')
      await until(() => server.podSockets.some(s => s.bytesRead === 4 && !s.destroyed), 'the pod to read the 4 bytes')
      socket.destroy()
      const result = await l.next()
      if (process.platform === 'linux') assert.equal(result.reason, 'local-closed', 'released by the /proc check, not by the linger')
      else assert.equal(result.reason, 'half-close-timeout')
    } finally {
      await l.close()
    }
  })

  it('a client that only half-closed still gets a reply sent after every /proc check has run', async () => {
    let reads = 0
    const peers = new ProcPeerWatch(async keys => {
      reads++
      return readOrphans(keys)
    })
    // A linger no loaded machine reaches before the reply: only a /proc check could release it.
    const l = await listen(server, 'web', 13, {halfCloseTimeoutMs: 60_000, peers})
    try {
      const socket = await connect(l.port)
      socket.end('late answer')
      await until(() => server.podSockets.some(s => s.bytesRead === 11 && !s.destroyed), 'the pod to read the 11 bytes')
      await until(() => reads >= CHECK_DELAYS_MS.length, 'every check of the lingering connection', {timeoutMs: 20_000})
      assert.equal(l.results.length, 0, 'a half-closed client was released')
      replyNow()
      assert.equal((await readToEnd(socket)).toString(), 'late answer')
      // The pod ended its side after the reply: the connection completed.
      assert.equal((await l.next()).reason, 'completed')
    } finally {
      await l.close()
    }
  })

  it('an abort signal ends the connection with reason aborted', async () => {
    const controller = new AbortController()
    let opened: (t: Tunnel) => void = () => {}
    const tunnelOpen = new Promise<Tunnel>(resolve => {
      opened = resolve
    })
    const l = await listen(server, 'web', 9, {onTunnel: t => opened(t), signal: controller.signal})
    try {
      const socket = await connect(l.port)
      const tunnel = await tunnelOpen
      controller.abort(new Error('SIGINT'))
      const result = await l.next()
      assert.equal(result.reason, 'aborted')
      assert.equal(result.error?.message, 'SIGINT')
      assert.equal(await tunnel.done, undefined)
      if (!socket.readableEnded) await once(socket, 'end')
    } finally {
      await l.close()
    }
  })
})
