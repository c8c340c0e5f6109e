// The API server comes and goes under a running `svc port-forward`: the listener stays up, each
// connection made while it is down fails with its own line, connections work again as soon as it
// is back (same CA, certificates and tokens); an API server whose certificate no longer verifies is
// reported once and ends svc with exit 1 after --permanent-error-limit connections.

import assert from 'node:assert/strict'
import net from 'node:net'
import {after, before, describe, test} from 'node:test'

import {type LocalCluster, startCluster} from '../cluster/index.ts'
import {createPod, echo, type PfCluster, podRunning, readAll, startPfCluster, startSvc, until} from '../helpers/pf-cluster.ts'

let c: PfCluster
let kc: string
let impostor: LocalCluster | undefined

before(async () => {
  c = await startPfCluster()
  kc = c.kubeconfig()
  await createPod(c.client, 'echo', {ports: [{containerPort: 7}]})
  await podRunning(c.client, 'echo')
})

after(async () => {
  await impostor?.stop()
  await c.cluster.startServing()
  await c.stop()
})

/** Connects and waits for the forwarder to close the connection (a failed upgrade closes it). */
async function refusedConnection(port: number): Promise<Buffer> {
  const socket = net.connect({allowHalfOpen: true, host: '127.0.0.1', port})
  socket.on('error', () => {})
  return readAll(socket)
}

const linesMatching = (text: string, pattern: RegExp) => text.split('\n').filter(l => pattern.test(l))

describe('API server restarts', () => {
  test('down: the listener stays and each connection gets one line; back: the next connection works at once', async t => {
    const svc = startSvc(['port-forward', '--kubeconfig', kc, 'pod/echo', ':7', '--address', '127.0.0.1', '--transport', 'websocket'])
    t.after(() => svc.kill('SIGKILL'))
    const [, portText] = await svc.line(/^Forwarding from 127\.0\.0\.1:(\d+) -> 7$/)
    const port = Number(portText)
    assert.equal((await echo(port, 'before')).toString(), 'before')

    // An in-flight connection when the API server goes away gets its own line.
    const inFlight = net.connect({allowHalfOpen: true, host: '127.0.0.1', port})
    inFlight.on('error', () => {})
    inFlight.write('x')
    // Established end to end once the echo pod's reply is back.
    await new Promise(resolve => inFlight.once('data', resolve))
    const inFlightDone = readAll(inFlight)
    await c.cluster.stopServing()
    await inFlightDone
    await svc.line(/^an error occurred forwarding \d+ -> 7: lost connection to pod/, 'stderr')

    // While it is down: the listener accepts, the connection is closed with one clear line each.
    for (let i = 0; i < 2; i++) assert.equal((await refusedConnection(port)).length, 0)
    await until(() => linesMatching(svc.stderr, /connect: connection refused/).length >= 2 || undefined, 'two refused lines', 10_000)
    const refused = linesMatching(svc.stderr, /connect: connection refused/)
    assert.equal(refused.length, 2)
    assert.match(refused[0], new RegExp(`^an error occurred forwarding ${port} -> 7: error upgrading connection: dial tcp 127\\.0\\.0\\.1:${c.cluster.port}: connect: connection refused$`))

    // Back with the same CA and tokens: the very next connection works, no restart of svc.
    await c.cluster.startServing()
    const started = Date.now()
    assert.equal((await echo(port, 'after')).toString(), 'after')
    t.diagnostic(`first connection after the API server came back: ${Date.now() - started} ms`)
    assert.ok(Date.now() - started < 2000)
    assert.equal(svc.child.exitCode, null, 'svc is still running')
    svc.kill('SIGTERM')
    assert.equal((await svc.exited).code, 0)
  })

  test('back with a different CA: reported once, exit 1 after --permanent-error-limit connections', async t => {
    await c.cluster.startServing()
    const svc = startSvc(['port-forward', '--kubeconfig', kc, 'pod/echo', ':7', '--address', '127.0.0.1', '--transport', 'websocket', '--permanent-error-limit', '3'])
    t.after(() => svc.kill('SIGKILL'))
    const [, portText] = await svc.line(/^Forwarding from 127\.0\.0\.1:(\d+) -> 7$/)
    const port = Number(portText)
    await c.cluster.stopServing()
    impostor = await startCluster({port: c.cluster.port, simulate: false})
    for (let i = 0; i < 3; i++) await refusedConnection(port)
    const {code} = await svc.exited
    assert.equal(code, 1)
    const x509 = linesMatching(svc.stderr, /x509/)
    // The new CA has the old one's name (svc-local-ca): Go's UnknownAuthorityError names it in its hint.
    const words = 'tls: failed to verify certificate: x509: certificate signed by unknown authority (possibly because of "x509: ECDSA verification failure" while trying to verify candidate authority certificate "svc-local-ca")'
    assert.deepEqual(x509, [
      `an error occurred forwarding ${port} -> 7: error upgrading connection: ${words}`,
      `error: error upgrading connection: ${words} (3 connections in a row; giving up)`,
    ])
    await impostor.stop()
    impostor = undefined
    await c.cluster.startServing()
  })
})
