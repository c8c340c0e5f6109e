import assert from 'node:assert/strict'
import net from 'node:net'
import {describe, test} from 'node:test'

import {ApiError} from '../../../src/kube/errors.ts'
import type {Backend, Tracker} from '../../../src/portforward/balancer.ts'
import {forwardConnection} from '../../../src/portforward/forward.ts'
import {createReporter, type OutputMode} from '../../../src/portforward/output.ts'
import {parseAddresses} from '../../../src/portforward/ports.ts'
import {Session} from '../../../src/portforward/session.ts'
import {PortForwardError, type TunnelOpener, type TunnelTarget} from '../../../src/portforward/types.ts'
import {FakeTunnel} from '../../helpers/fake-tunnel.ts'
import {until} from '../../helpers/poll.ts'

class FakeTracker implements Tracker {
  canFailOver = true
  backends: Backend[]
  private n = 0

  constructor(backends: Backend[]) {
    this.backends = backends
  }

  get pods(): string[] {
    return this.backends.map(b => b.pod)
  }

  async pick(_index: number, _ip: string, _signal: AbortSignal, exclude: ReadonlySet<string> = new Set()): Promise<Backend> {
    const candidates = this.backends.filter(b => !exclude.has(b.pod))
    if (candidates.length === 0) throw new Error('no ready endpoints for service "web"')
    return candidates[this.n++ % candidates.length]
  }

  async start(): Promise<void> {}
}

type PodBehaviour = (tunnel: FakeTunnel) => void
const echo: PodBehaviour = t => t.podSide.pipe(t.podSide)

function harness(options: {backends?: Backend[]; behaviours?: Record<string, PodBehaviour | Error>; mode?: OutputMode; ports?: Array<[number, number]>} = {}) {
  const out: string[] = []
  const err: string[] = []
  const tunnels: FakeTunnel[] = []
  const opened: string[] = []
  const behaviours = options.behaviours ?? {}
  const tracker = new FakeTracker(options.backends ?? [{pod: 'web-1', port: 8080}])
  const openTunnel: TunnelOpener<TunnelTarget> = async target => {
    opened.push(`${target.pod}:${target.port}`)
    const behaviour = behaviours[target.pod] ?? echo
    if (behaviour instanceof Error) throw behaviour
    const tunnel = new FakeTunnel(target)
    tunnels.push(tunnel)
    behaviour(tunnel)
    return tunnel
  }
  const session = new Session({
    addresses: parseAddresses(['127.0.0.1']),
    forward: forwardConnection,
    namespace: 'default',
    openTunnel,
    ports: (options.ports ?? [[0, 80]]).map(([local, remote]) => ({local, remote})),
    reporter: createReporter({mode: options.mode ?? 'json', sink: {stderr: t => err.push(t), stdout: t => out.push(t)}}),
    target: 'svc/web',
    tracker,
  })
  const events = () => out.join('').split('\n').filter(Boolean).map(line => JSON.parse(line))
  return {err, events, opened, out, session, tracker, tunnels}
}

async function exchange(port: number, payload: string): Promise<string> {
  const socket = net.connect({allowHalfOpen: true, host: '127.0.0.1', port})
  socket.end(payload)
  const chunks: Buffer[] = []
  try {
    for await (const chunk of socket) chunks.push(chunk as Buffer)
  } catch (error) {
    // A connection the forwarder closes on an error may reach the client as a reset.
    if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET') throw error
  }
  return Buffer.concat(chunks).toString()
}

describe('Session', () => {
  test('JSON events: listening, ready, then opened/closed with bytes and pod', async t => {
    const h = harness({ports: [[0, 80], [0, 443]], backends: [{pod: 'web-1', port: 8080}]})
    t.after(() => h.session.close())
    const bound = await h.session.start()
    assert.equal(bound.listeners.length, 2)
    const port = bound.ports[0].local
    assert.equal(await exchange(port, 'hello'), 'hello')
    await until(() => h.events().some(e => e.event === 'connection-closed'), 'closed event')
    const events = h.events()
    assert.deepEqual(events.map(e => e.event), ['listening', 'listening', 'ready', 'connection-opened', 'connection-closed'])
    assert.deepEqual({address: events[0].address, localPort: events[0].localPort, remotePort: events[0].remotePort}, {address: '127.0.0.1', localPort: port, remotePort: 80})
    assert.deepEqual(events[2].ports, [{localPort: port, remotePort: 80}, {localPort: bound.ports[1].local, remotePort: 443}])
    assert.deepEqual(events[2].pods, ['web-1'])
    assert.equal(events[2].target, 'svc/web')
    assert.equal(events[3].localPort, port)
    assert.match(events[3].client, /^127\.0\.0\.1:\d+$/)
    const closed = events[4]
    assert.deepEqual(
      {bytesIn: closed.bytesIn, bytesOut: closed.bytesOut, id: closed.id, pod: closed.pod, podPort: closed.podPort, reason: closed.reason},
      {bytesIn: 5, bytesOut: 5, id: events[3].id, pod: 'web-1', podPort: 8080, reason: 'completed'},
    )
    assert.equal(typeof closed.durationMs, 'number')
    assert.equal(typeof closed.time, 'string')
    assert.deepEqual(h.err, [])
  })

  test('kubectl text: Forwarding from / Handling connection for', async t => {
    const h = harness({mode: 'text', ports: [[0, 80]]})
    t.after(() => h.session.close())
    const bound = await h.session.start()
    const port = bound.ports[0].local
    assert.deepEqual(h.out, [`Forwarding from 127.0.0.1:${port} -> 80\n`])
    await exchange(port, 'x')
    assert.deepEqual(h.out.slice(1), [`Handling connection for ${port}\n`])
  })

  test('an error-channel message ends that connection only; the next one works', async t => {
    let first = true
    const h = harness({
      behaviours: {
        'web-1': tunnel => {
          if (first) {
            first = false
            setImmediate(() => tunnel.destroy(new PortForwardError('dial tcp4 127.0.0.1:80: connect: connection refused', tunnel)))
          } else {
            echo(tunnel)
          }
        },
      },
      mode: 'text',
    })
    t.after(() => h.session.close())
    const port = (await h.session.start()).ports[0].local
    assert.equal(await exchange(port, 'first'), '')
    await until(() => h.err.length === 1, 'error line')
    assert.equal(h.err[0], `an error occurred forwarding ${port} -> 8080: dial tcp4 127.0.0.1:80: connect: connection refused\n`)
    assert.equal(await exchange(port, 'second'), 'second')
    assert.equal(h.err.length, 1)
  })

  test('a pod that went away: its connections close at once, others stay', async t => {
    const h = harness({backends: [{pod: 'web-1', port: 8080}, {pod: 'web-2', port: 8080}], behaviours: {'web-1': () => {}, 'web-2': () => {}}})
    t.after(() => h.session.close())
    const port = (await h.session.start()).ports[0].local
    const a = net.connect(port, '127.0.0.1')
    const b = net.connect(port, '127.0.0.1')
    await until(() => h.tunnels.length === 2, 'two tunnels')
    const closedA = new Promise(resolve => a.once('close', resolve))
    h.session.podGone(h.tunnels[0].pod)
    await closedA
    assert.equal(b.destroyed, false)
    await until(() => h.events().some(e => e.event === 'error'), 'error event')
    const error = h.events().find(e => e.event === 'error')
    assert.equal(error.message, `an error occurred forwarding ${port} -> 8080: pod "${h.tunnels[0].pod}" went away`)
    assert.equal(h.session.openConnections, 1)
    b.destroy()
  })

  test('an upgrade refused because the pod is gone fails over to another pod', async t => {
    const notFound = new ApiError(404, {code: 404, message: 'pods "web-1" not found', reason: 'NotFound'})
    const h = harness({backends: [{pod: 'web-1', port: 8080}, {pod: 'web-2', port: 8081}], behaviours: {'web-1': notFound}})
    t.after(() => h.session.close())
    const port = (await h.session.start()).ports[0].local
    assert.equal(await exchange(port, 'again'), 'again')
    assert.deepEqual(h.opened, ['web-1:8080', 'web-2:8081'])
    assert.deepEqual(h.err, [])
  })

  test('no pod to go to: that connection gets the error, the listener stays', async t => {
    const h = harness({backends: []})
    t.after(() => h.session.close())
    const port = (await h.session.start()).ports[0].local
    assert.equal(await exchange(port, 'x'), '')
    await until(() => h.err.length === 1, 'error line')
    assert.equal(h.err[0], `an error occurred forwarding ${port} -> 80: no ready endpoints for service "web"\n`)
    h.tracker.backends = [{pod: 'web-3', port: 9000}]
    assert.equal(await exchange(port, 'y'), 'y')
  })

  test('403 on the upgrade ends the session with kubectl\'s words', async t => {
    const forbidden = new ApiError(403, {code: 403, message: 'pods "web-1" is forbidden: User "readonly" cannot create resource "pods/portforward" in API group "" in the namespace "default"', reason: 'Forbidden'})
    const h = harness({behaviours: {'web-1': forbidden}})
    t.after(() => h.session.close())
    const port = (await h.session.start()).ports[0].local
    await exchange(port, 'x')
    const fatal = await h.session.finished
    assert.equal(fatal?.message, 'error upgrading connection: pods "web-1" is forbidden: User "readonly" cannot create resource "pods/portforward" in API group "" in the namespace "default"')
  })

  test('close() ends open connections and stops listening', async t => {
    const h = harness({behaviours: {'web-1': () => {}}})
    t.after(() => h.session.close())
    const port = (await h.session.start()).ports[0].local
    const socket = net.connect(port, '127.0.0.1')
    await until(() => h.tunnels.length === 1, 'tunnel')
    const closed = new Promise(resolve => socket.once('close', resolve))
    await h.session.close()
    await closed
    assert.equal(await h.session.finished, undefined)
    await assert.rejects(new Promise((resolve, reject) => net.connect(port, '127.0.0.1', () => resolve(undefined)).once('error', reject)), {code: 'ECONNREFUSED'})
    assert.deepEqual(h.events().filter(e => e.event === 'error'), [])
  })
})

describe('listeners', () => {
  test('a port in use is reported in kubectl\'s words and the others go on', async t => {
    const blocker = net.createServer()
    await new Promise<void>(resolve => blocker.listen(0, '127.0.0.1', resolve))
    t.after(() => blocker.close())
    const busy = (blocker.address() as net.AddressInfo).port
    const h = harness({mode: 'text', ports: [[busy, 80], [0, 81]]})
    t.after(() => h.session.close())
    const bound = await h.session.start()
    assert.equal(bound.listeners.length, 1)
    assert.deepEqual(h.err, [`Unable to listen on port ${busy}: Listeners failed to create with the following errors: [unable to create listener: Error listen tcp4 127.0.0.1:${busy}: bind: address already in use]\n`])
    assert.deepEqual(h.out, [`Forwarding from 127.0.0.1:${bound.ports[1].local} -> 81\n`])
  })

  test('no port could be bound: unable to listen on any of the requested ports', async t => {
    const blocker = net.createServer()
    await new Promise<void>(resolve => blocker.listen(0, '127.0.0.1', resolve))
    t.after(() => blocker.close())
    const busy = (blocker.address() as net.AddressInfo).port
    const h = harness({mode: 'text', ports: [[busy, 80]]})
    await assert.rejects(h.session.start(), {message: `unable to listen on any of the requested ports: [{${busy} 80}]`})
  })
})
