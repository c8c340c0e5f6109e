// `svc port-forward --all`: every TCP port of every Service (narrowed by -l, widened by several -n),
// the unforwardable ones listed once with the reason, a Service created while running forwarded,
// one deleted closed, and the --dotenv file rewritten as they come and go.

import assert from 'node:assert/strict'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {after, before, describe, test} from 'node:test'

import type {Pod} from '../../src/kube/types.ts'
import type {ReadyAllEvent, ReadyEvent} from '../../src/portforward/output.ts'
import {runSvc} from '../helpers/run-svc.ts'
import {createPod, echo, type PfCluster, startPfCluster, startSvc, until} from '../helpers/pf-cluster.ts'

let c: PfCluster
let kc: string

async function service(name: string, spec: Record<string, unknown>, namespace = 'default'): Promise<void> {
  const body = {apiVersion: 'v1', kind: 'Service', metadata: {labels: {suite: 'all'}, name}, spec}
  await c.client.request({body, method: 'POST', path: `/api/v1/namespaces/${namespace}/services`})
}

const SELECTED = Array.from({length: 16}, (_, i) => `s${String(i).padStart(2, '0')}`)
const FORWARDABLE = [...SELECTED, 'byhand'].sort()

before(async () => {
  c = await startPfCluster()
  kc = c.kubeconfig()
  await createPod(c.client, 'many-0', {labels: {app: 'many'}, ports: [{containerPort: 7}]})
  await createPod(c.client, 'pub-0', {labels: {app: 'many'}, ports: [{containerPort: 7}]}, 'kube-public')
  for (const [i, name] of SELECTED.entries()) await service(name, {ports: [{name: 'echo', port: 9000 + i, targetPort: 7}], selector: {app: 'many'}})
  await service('ext', {externalName: 'db.example.com', type: 'ExternalName'})
  await service('manual', {ports: [{port: 80}]})
  // No selector, but EndpointSlices kept by hand that name a pod: forwardable.
  await service('byhand', {ports: [{name: 'echo', port: 7}]})
  await c.client.request({
    body: {
      addressType: 'IPv4', apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
      endpoints: [{addresses: ['10.0.0.9'], conditions: {ready: true}, targetRef: {kind: 'Pod', name: 'many-0', namespace: 'default'}}],
      metadata: {labels: {'kubernetes.io/service-name': 'byhand'}, name: 'byhand-manual'}, ports: [{name: 'echo', port: 7, protocol: 'TCP'}],
    },
    method: 'POST', path: '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices',
  })
  await service('dns', {ports: [{port: 53, protocol: 'UDP'}], selector: {app: 'many'}})
  await service('sctp', {ports: [{port: 9999, protocol: 'SCTP'}], selector: {app: 'many'}})
  await service('pub', {ports: [{port: 7}], selector: {app: 'many'}}, 'kube-public')
  await until(async () => {
    const pods = (await c.client.request<{items: Pod[]}>({path: '/api/v1/pods'})).body.items
    return pods.filter(p => p.status?.conditions?.some(cond => cond.type === 'Ready' && cond.status === 'True')).length === 2
  }, 'both pods ready')
})
after(() => c.stop())

const SKIPPED = [
  {namespace: 'default', reason: 'no TCP port (UDP only)', target: 'svc/dns'},
  {namespace: 'default', reason: 'ExternalName Service (db.example.com), no pods behind it', target: 'svc/ext'},
  {namespace: 'default', reason: 'no selector, and no endpoints that are pods', target: 'svc/manual'},
  {namespace: 'default', reason: 'no TCP port (SCTP only)', target: 'svc/sctp'},
]

describe('svc port-forward --all', () => {
  test('21 Services: 17 forwarded (one without a selector, its endpoints kept by hand), 4 listed with the reason; one created and one deleted while running; --dotenv follows', async t => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svc-all-'))
    t.after(() => fs.rmSync(dir, {force: true, recursive: true}))
    const envFile = path.join(dir, 'forwards.env')
    const svc = startSvc(['port-forward', '--kubeconfig', kc, '--all', '-l', 'suite=all', '--address', '127.0.0.1', '--dotenv', envFile, '-o', 'json'])
    t.after(() => svc.kill('SIGKILL'))
    await svc.line(/"event":"ready"/)
    const ready = svc.events().find(e => e.event === 'ready') as ReadyAllEvent
    assert.deepEqual(ready.targets.map(r => r.target).sort(), FORWARDABLE.map(n => `svc/${n}`))
    assert.deepEqual([...ready.skipped!].sort((a, b) => a.target.localeCompare(b.target)), SKIPPED)
    const skippedEvents = svc.events().filter(e => e.event === 'skipped').map(({time: _, event: __, ...rest}) => rest)
    assert.deepEqual(skippedEvents.sort((a, b) => a.target.localeCompare(b.target)), SKIPPED)
    const portOf = (target: string) => ready.targets.find(r => r.target === target)!.ports[0].localPort
    for (const name of FORWARDABLE) assert.equal((await echo(portOf(`svc/${name}`), name)).toString(), name)
    assert.match(fs.readFileSync(envFile, 'utf8'), new RegExp(`^S07_SERVICE_PORT_ECHO=${portOf('svc/s07')}$`, 'm'))

    // A new Service: forwarded as soon as its event arrives, the env file rewritten.
    const created = Date.now()
    await service('s-new', {ports: [{name: 'echo', port: 9100, targetPort: 7}], selector: {app: 'many'}})
    await svc.line(/"event":"target-added".*"target":"svc\/s-new"/)
    t.diagnostic(`target-added ${Date.now() - created} ms after the create returned`)
    const added = svc.events().find(e => e.event === 'target-added') as ReadyEvent
    assert.deepEqual([added.namespace, added.ports.map(p => p.remotePort)], ['default', [7]])
    assert.equal((await echo(added.ports[0].localPort, 'new')).toString(), 'new')
    await until(() => fs.readFileSync(envFile, 'utf8').includes(`S_NEW_SERVICE_PORT=${added.ports[0].localPort}\n`), 'the env file to name s-new')

    // A deleted Service: its forward closed, its port free, the env file without it.
    await c.client.request({method: 'DELETE', path: '/api/v1/namespaces/default/services/s00'})
    await svc.line(/"event":"target-removed".*"target":"svc\/s00"/)
    assert.deepEqual(svc.events().filter(e => e.event === 'target-removed').map(e => [e.target, e.namespace, e.reason]), [['svc/s00', 'default', 'deleted']])
    await assert.rejects(new Promise((resolve, reject) => net.connect(portOf('svc/s00'), '127.0.0.1', () => resolve(undefined)).once('error', reject)), {code: 'ECONNREFUSED'})
    await until(() => !fs.readFileSync(envFile, 'utf8').includes('S00_'), 'the env file to drop s00')
    assert.equal((await echo(portOf('svc/s01'), 'still')).toString(), 'still')
    // Each skipped Service was listed once, not again on later events.
    assert.equal(svc.events().filter(e => e.event === 'skipped').length, 4)
    svc.kill('SIGTERM')
    assert.equal((await svc.exited).code, 0)
    assert.equal(svc.stderr, '')
  })

  test('several -n widen it: targets carry their namespace', async t => {
    const svc = startSvc(['port-forward', '--kubeconfig', kc, '--all', '-n', 'default', '-n', 'kube-public', '-l', 'suite=all', '--address', '127.0.0.1'])
    t.after(() => svc.kill('SIGKILL'))
    const [, port] = await svc.line(/^Forwarding from 127\.0\.0\.1:(\d+) -> 7 \(kube-public\/svc\/pub\)$/)
    await svc.line(/^Forwarding from 127\.0\.0\.1:\d+ -> 7 \(default\/svc\/s05\)$/)
    await svc.line(/^default\/svc\/ext: not forwarded: ExternalName Service \(db\.example\.com\), no pods behind it$/, 'stderr')
    assert.equal((await echo(Number(port), 'pub')).toString(), 'pub')
    svc.kill('SIGINT')
    assert.equal((await svc.exited).code, 0)
  })

  test('usage: --all takes no TYPE/NAME; -l needs --all; --one-pod does not combine', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--all', 'svc/s01', '80'], /^error: --all forwards every Service: give no TYPE\/NAME \(got svc\/s01\)\n/],
      [['-l', 'suite=all', 'svc/s01', '9001'], /^error: -l and -A go with --all\n/],
      [['--all', '--one-pod'], /^error: --one-pod does not combine with --all: --all follows each Service's endpoints\n/],
    ]
    for (const [args, expected] of cases) {
      const result = await runSvc(['port-forward', '--kubeconfig', kc, ...args])
      assert.equal(result.code, 1, args.join(' '))
      assert.match(result.stderr, expected)
    }
  })
})
