import assert from 'node:assert/strict'
import net from 'node:net'
import {describe, test} from 'node:test'

import {forwardConnection} from '../../../src/portforward/forward.ts'
import {portForward, type PortForwardRequest, type SignalSource} from '../../../src/portforward/run.ts'
import {FakeListWatch} from '../../helpers/fake-list-watch.ts'
import {FakeTunnel} from '../../helpers/fake-tunnel.ts'
import {until} from '../../helpers/poll.ts'

const POD = {
  metadata: {name: 'db-0', namespace: 'default', uid: 'u1'},
  spec: {containers: [{ports: [{containerPort: 5432, name: 'pg'}]}], nodeName: 'n'},
  status: {conditions: [{status: 'True', type: 'Ready'}], phase: 'Running'},
}

function setup(overrides: Partial<PortForwardRequest> = {}) {
  const kube = new FakeListWatch()
  kube.objects.set('/api/v1/namespaces/default/pods/db-0', POD)
  kube.collections.set('/api/v1/namespaces/default/pods', [POD])
  let handler: ((signal: NodeJS.Signals) => void) | undefined
  let subscribed: NodeJS.Signals[] = []
  const signals: SignalSource = (list, h) => {
    subscribed = list
    handler = h
    return () => {
      handler = undefined
    }
  }
  const out: string[] = []
  const err: string[] = []
  const request: PortForwardRequest = {
    addresses: ['127.0.0.1'], client: kube, env: {}, forward: forwardConnection, mode: 'text', namespace: 'default', onePod: false,
    openTunnel: async target => {
      const tunnel = new FakeTunnel(target)
      tunnel.podSide.pipe(tunnel.podSide)
      return tunnel
    },
    podRunningTimeoutMs: 60_000, portArgs: [':pg'], signals, sink: {stderr: t => err.push(t), stdout: t => out.push(t)}, statusLine: false,
    target: 'pod/db-0', ...overrides,
  }
  return {err, kube, out, request, send: (s: NodeJS.Signals) => handler?.(s), subscribed: () => subscribed}
}

describe('portForward', () => {
  test('forwards until SIGTERM, then closes the listeners and resolves 0', async () => {
    const h = setup()
    const done = portForward(h.request)
    await until(() => h.out.length === 1, 'Forwarding line')
    const port = Number(/127\.0\.0\.1:(\d+) -> 5432/.exec(h.out[0])?.[1])
    assert.deepEqual(h.subscribed(), ['SIGINT', 'SIGTERM'])
    const socket = net.connect(port, '127.0.0.1')
    socket.write('ping')
    await new Promise(resolve => socket.once('data', resolve))
    h.send('SIGTERM')
    assert.equal(await done, 0)
    await new Promise(resolve => socket.once('close', resolve))
    await assert.rejects(new Promise((resolve, reject) => net.connect(port, '127.0.0.1', () => resolve(undefined)).once('error', reject)), {code: 'ECONNREFUSED'})
    assert.deepEqual(h.err, [])
  })

  test('a pod/NAME target gone longer than --pod-running-timeout rejects with lost connection to pod', async () => {
    const h = setup({podRunningTimeoutMs: 100})
    const done = portForward(h.request)
    await until(() => h.out.length === 1, 'Forwarding line')
    await h.kube.waitForWatch('/api/v1/namespaces/default/pods')
    h.kube.emit('/api/v1/namespaces/default/pods', 'DELETED', POD)
    await assert.rejects(done, {message: 'lost connection to pod'})
  })

  test('validation before any request: addresses and the timeout', async () => {
    const h = setup({addresses: ['nope']})
    await assert.rejects(portForward(h.request), {message: 'nope is not a valid IP'})
    await assert.rejects(portForward({...h.request, addresses: ['localhost'], podRunningTimeoutMs: 0}), {message: '--pod-running-timeout must be higher than zero'})
    assert.deepEqual(h.kube.requests, [])
  })

  test('with a command, SIGHUP is caught too and the exit code is the command\'s', async () => {
    const h = setup({command: [process.execPath, '-e', 'process.exit(Number(process.env.SVC_PORT_PG) > 0 ? 9 : 1)'], env: {PATH: process.env.PATH}})
    assert.equal(await portForward(h.request), 9)
    assert.deepEqual(h.subscribed(), ['SIGINT', 'SIGTERM', 'SIGHUP'])
  })
})
