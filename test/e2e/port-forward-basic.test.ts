// svc port-forward end to end, built binary against the local cluster: kubectl's lines, random
// ports on both loopbacks, the errors kubectl gives (404, UDP, not running, ports in use, 403), and
// per-connection failures that leave the forward up.

import assert from 'node:assert/strict'
import {createHash, randomBytes} from 'node:crypto'
import net from 'node:net'
import {after, before, describe, test} from 'node:test'

import {runSvc} from '../helpers/run-svc.ts'
import {createPod, echo, exchange, type PfCluster, podRunning, readAll, startPfCluster, startSvc, until} from '../helpers/pf-cluster.ts'

let c: PfCluster
let kc: string

before(async () => {
  c = await startPfCluster()
  kc = c.kubeconfig()
  await createPod(c.client, 'echo', {
    annotations: {'sim.svc.local/port-81': 'refuse', 'sim.svc.local/port-82': 'hostname'},
    ports: [{containerPort: 7, name: 'echo'}, {containerPort: 81}, {containerPort: 82}, {containerPort: 53, name: 'dns', protocol: 'UDP'}],
  })
  await createPod(c.client, 'pending', {annotations: {'sim.svc.local/phase': 'Pending'}})
  await podRunning(c.client, 'echo')
})

after(() => c.stop())

describe('svc port-forward pod/NAME', () => {
  test(':PORT takes one free port on 127.0.0.1 and ::1, prints kubectl\'s lines, moves bytes, SIGTERM exits 0', async t => {
    const svc = startSvc(['port-forward', '--kubeconfig', kc, 'pod/echo', ':7'])
    t.after(() => svc.kill('SIGKILL'))
    const [, port] = await svc.line(/^Forwarding from 127\.0\.0\.1:(\d+) -> 7$/)
    await svc.line(new RegExp(`^Forwarding from \\[::1\\]:${port} -> 7$`))
    assert.equal((await echo(Number(port), 'hello v4')).toString(), 'hello v4')
    assert.equal((await echo(Number(port), 'hello v6', '::1')).toString(), 'hello v6')
    const payload = randomBytes(4 * 1024 * 1024)
    const echoed = await echo(Number(port), payload)
    assert.equal(createHash('sha256').update(echoed).digest('hex'), createHash('sha256').update(payload).digest('hex'))
    await until(() => svc.stdout.split('\n').filter(l => l === `Handling connection for ${port}`).length === 3 || undefined, 'three Handling lines')
    svc.kill('SIGTERM')
    const {code} = await svc.exited
    assert.equal(code, 0)
    assert.equal(svc.stderr, '')
    assert.equal(svc.stdout, [
      `Forwarding from 127.0.0.1:${port} -> 7`, `Forwarding from [::1]:${port} -> 7`,
      `Handling connection for ${port}`, `Handling connection for ${port}`, `Handling connection for ${port}`, '',
    ].join('\n'))
  })

  test('a named container port, a server-speaks-first port, and a refused port that ends only its connection', async t => {
    const svc = startSvc(['port-forward', '--kubeconfig', kc, 'echo', ':echo', ':81', ':82'])
    t.after(() => svc.kill('SIGKILL'))
    const [, echoPort] = await svc.line(/^Forwarding from 127\.0\.0\.1:(\d+) -> 7$/)
    const [, refusedPort] = await svc.line(/^Forwarding from 127\.0\.0\.1:(\d+) -> 81$/)
    const [, hostnamePort] = await svc.line(/^Forwarding from 127\.0\.0\.1:(\d+) -> 82$/)
    // A client that sends nothing reads the greeting (one that half-closed first would be released at once, as a port scanner is).
    const reader = net.connect({allowHalfOpen: true, host: '127.0.0.1', port: Number(hostnamePort)})
    assert.equal((await readAll(reader)).toString(), 'echo\n')
    assert.equal((await exchange(Number(refusedPort), 'x')).toString(), '')
    await svc.line(new RegExp(`^an error occurred forwarding ${refusedPort} -> 81: error forwarding port 81 to pod [0-9a-f]+, uid : failed to execute portforward in network namespace .*connect: connection refused $`), 'stderr')
    // The forward is still up: the next connections work, and a second refused one is reported too.
    assert.equal((await echo(Number(echoPort), 'still here')).toString(), 'still here')
    assert.equal((await exchange(Number(refusedPort), 'y')).toString(), '')
    await until(() => svc.stderr.split('\n').filter(l => l.startsWith('an error occurred forwarding')).length === 2 || undefined, 'second error line')
    assert.equal((await echo(Number(echoPort), 'and again')).toString(), 'and again')
    svc.kill('SIGINT')
    assert.equal((await svc.exited).code, 0)
  })

  test('200 concurrent connections each get their own bytes back intact', async t => {
    const svc = startSvc(['port-forward', '--kubeconfig', kc, '--quiet', '--address', '127.0.0.1', 'pod/echo', '0:7', '-o', 'json'])
    t.after(() => svc.kill('SIGKILL'))
    await svc.line(/"event":"ready"/)
    const port = svc.events().find(e => e.event === 'ready').ports[0].localPort
    const payloads = Array.from({length: 200}, () => randomBytes(16 * 1024))
    const results = await Promise.all(payloads.map(p => echo(port, p)))
    assert.equal(results.filter((r, i) => r.equals(payloads[i])).length, 200)
    await until(() => svc.events().filter(e => e.event === 'connection-closed').length === 200 || undefined, '200 closed events')
    assert.equal(svc.events().filter(e => e.event === 'error').length, 0)
    svc.kill('SIGTERM')
    assert.equal((await svc.exited).code, 0)
  })

  test('-o json: listening per listener, ready, then connection events with bytes', async t => {
    const svc = startSvc(['port-forward', '--kubeconfig', kc, 'pod/echo', ':7', '-o', 'json'])
    t.after(() => svc.kill('SIGKILL'))
    await svc.line(/"event":"ready"/)
    const [listen4, listen6, ready] = svc.events()
    assert.deepEqual([listen4.event, listen4.address, listen4.remotePort], ['listening', '127.0.0.1', 7])
    assert.deepEqual([listen6.event, listen6.address, listen6.localPort], ['listening', '::1', listen4.localPort])
    assert.deepEqual({...ready, time: undefined}, {event: 'ready', namespace: 'default', pods: ['echo'], ports: [{localPort: listen4.localPort, remotePort: 7}], target: 'pod/echo', time: undefined, transport: ready.transport})
    assert.ok(['tunnel', 'spdy', 'websocket'].includes(ready.transport), ready.transport)
    assert.equal((await echo(listen4.localPort, '12345')).toString(), '12345')
    await svc.line(/"event":"connection-closed"/)
    const events = svc.events()
    const opened = events.find(e => e.event === 'connection-opened')
    const closed = events.find(e => e.event === 'connection-closed')
    assert.equal(opened.localPort, listen4.localPort)
    assert.deepEqual([closed.id, closed.pod, closed.podPort, closed.bytesIn, closed.bytesOut, closed.reason], [opened.id, 'echo', 7, 5, 5, 'local-closed'])
    assert.equal(svc.stdout.includes('Forwarding from'), false)
    svc.kill('SIGTERM')
    assert.equal((await svc.exited).code, 0)
  })

  test('--quiet prints nothing but errors', async t => {
    const blocker = net.createServer()
    await new Promise<void>(resolve => blocker.listen(0, '127.0.0.1', resolve))
    t.after(() => blocker.close())
    const busy = (blocker.address() as net.AddressInfo).port
    const svc = startSvc(['port-forward', '--kubeconfig', kc, '--quiet', '--address', '127.0.0.1', 'pod/echo', `${busy}:7`, '0:7'])
    t.after(() => svc.kill('SIGKILL'))
    await svc.line(/^Unable to listen on port/, 'stderr')
    svc.kill('SIGTERM')
    assert.equal((await svc.exited).code, 0)
    assert.equal(svc.stdout, '')
  })
})

describe('kubectl\'s errors', () => {
  const cases: Array<[string, string[], string]> = [
    ['a missing pod', ['pod/nope', '80'], 'Error from server (NotFound): pods "nope" not found\n'],
    ['a missing service', ['svc/nope', '80'], 'Error from server (NotFound): services "nope" not found\n'],
    ['a UDP-only port', ['pod/echo', '53'], 'error: UDP protocol is not supported for 53\n'],
    ['a UDP-only named port', ['pod/echo', '5353:dns'], 'error: UDP protocol is not supported for dns\n'],
    ['a pod that is not running', ['pod/pending', '80'], 'error: unable to forward port because pod is not running. Current status=Pending\n'],
    ['a missing named port', ['pod/echo', 'grpc'], "error: Pod 'echo' does not have a named port 'grpc'\n"],
    ['a bad port', ['pod/echo', '70000'], `error: error parsing local port '70000': strconv.ParseUint: parsing "70000": value out of range\n`],
    ['a bad address', ['--address', 'example.com', 'pod/echo', '7'], 'error: example.com is not a valid IP\n'],
    ['no ports', ['pod/echo'], "error: TYPE/NAME and list of ports are required for port-forward\nSee 'svc port-forward -h' for help and examples\n"],
    ['a zero --pod-running-timeout', ['--pod-running-timeout', '0', 'pod/echo', '7'], "error: --pod-running-timeout must be higher than zero\nSee 'svc port-forward -h' for help and examples\n"],
  ]
  for (const [name, args, stderr] of cases) {
    test(name, async () => {
      const result = await runSvc(['port-forward', '--kubeconfig', kc, ...args])
      assert.deepEqual({code: result.code, stderr: result.stderr, stdout: result.stdout}, {code: 1, stderr, stdout: ''})
    })
  }

  test('ports in use: kubectl\'s message per port, go on with the rest; none left: exit 1', async t => {
    const blocker4 = net.createServer()
    await new Promise<void>(resolve => blocker4.listen(0, '127.0.0.1', resolve))
    const busy = (blocker4.address() as net.AddressInfo).port
    const blocker6 = net.createServer()
    await new Promise<void>(resolve => blocker6.listen(busy, '::1', resolve))
    t.after(() => {
      blocker4.close()
      blocker6.close()
    })
    const svc = startSvc(['port-forward', '--kubeconfig', kc, 'pod/echo', `${busy}:7`, ':7'])
    t.after(() => svc.kill('SIGKILL'))
    const [, free] = await svc.line(/^Forwarding from 127\.0\.0\.1:(\d+) -> 7$/)
    assert.notEqual(Number(free), busy)
    await svc.line(/^Unable to listen/, 'stderr')
    assert.equal(svc.stderr, `Unable to listen on port ${busy}: Listeners failed to create with the following errors: [unable to create listener: Error listen tcp4 127.0.0.1:${busy}: bind: address already in use unable to create listener: Error listen tcp6 [::1]:${busy}: bind: address already in use]\n`)
    assert.equal((await echo(Number(free), 'ok')).toString(), 'ok')
    svc.kill('SIGTERM')
    assert.equal((await svc.exited).code, 0)

    const none = await runSvc(['port-forward', '--kubeconfig', kc, 'pod/echo', `${busy}:7`])
    assert.equal(none.code, 1)
    assert.equal(none.stderr.split('\n').at(-2), `error: unable to listen on any of the requested ports: [{${busy} 7}]`)
  })

  test('the read-only user: 403 on the upgrade ends svc with kubectl\'s error', async t => {
    const svc = startSvc(['port-forward', '--kubeconfig', c.kubeconfig('readonly'), 'pod/echo', ':7'])
    t.after(() => svc.kill('SIGKILL'))
    const [, port] = await svc.line(/^Forwarding from 127\.0\.0\.1:(\d+) -> 7$/)
    const socket = net.connect(Number(port), '127.0.0.1')
    socket.on('error', () => {})
    await readAll(socket)
    const {code} = await svc.exited
    assert.equal(code, 1)
    assert.match(svc.stderr, /^an error occurred forwarding \d+ -> 7: error upgrading connection: .*forbidden.*\nerror: error upgrading connection: .*forbidden.*\n$/)
  })
})
