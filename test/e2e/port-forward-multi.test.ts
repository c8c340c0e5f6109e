// Several targets in one `svc port-forward`: a Service, a Deployment and a pod side by side, each
// target's events naming it, one ready event for all, and one target that cannot start failing the
// whole command, naming that target, before anything listens.

import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {after, before, describe, test} from 'node:test'

import yaml from 'js-yaml'

import type {Pod} from '../../src/kube/types.ts'
import type {ReadyAllEvent} from '../../src/portforward/output.ts'
import {runSvc} from '../helpers/run-svc.ts'
import {kubeconfigDoc} from '../helpers/kubeconfig-doc.ts'
import {createDeployment, createPod, createService, echo, type PfCluster, podRunning, startPfCluster, startSvc, until} from '../helpers/pf-cluster.ts'

let c: PfCluster
let kc: string

before(async () => {
  c = await startPfCluster()
  kc = c.kubeconfig()
  await createPod(c.client, 'db-0', {labels: {app: 'db'}, ports: [{containerPort: 5432, name: 'pg'}]})
  await createService(c.client, 'db', {ports: [{name: 'pg', port: 5432, targetPort: 'pg'}], selector: {app: 'db'}})
  await createPod(c.client, 'replica-0', {annotations: {'sim.svc.local/port-5432': 'hostname'}, labels: {app: 'replica'}, ports: [{containerPort: 5432}]})
  await createService(c.client, 'replica', {ports: [{port: 5432}], selector: {app: 'replica'}})
  await createDeployment(c.client, 'api', 1, {ports: [{containerPort: 8080}]})
  await createPod(c.client, 'worker-0', {ports: [{containerPort: 9000}]})
  const running = async (selector: string) => (await c.client.request<{items: Pod[]}>({path: '/api/v1/namespaces/default/pods', query: {labelSelector: selector}})).body.items
    .some(p => p.status?.phase === 'Running' && p.status.conditions?.some(cond => cond.type === 'Ready' && cond.status === 'True'))
  await until(async () => (await running('app=db')) && (await running('app=api')) && (await running('app=replica')), 'db-0, replica-0 and the api pod ready')
  await podRunning(c.client, 'worker-0')
})
after(() => c.stop())

const TARGETS = ['svc/db', ':5432', 'deployment/api', ':8080', 'pod/worker-0', ':9000']

describe('svc port-forward with several targets', () => {
  test('-o json: every event names its target, one ready event lists all three, bytes go through each', async t => {
    const svc = startSvc(['port-forward', '--kubeconfig', kc, '--address', '127.0.0.1', ...TARGETS, '-o', 'json'])
    t.after(() => svc.kill('SIGKILL'))
    await svc.line(/"event":"ready"/)
    const events = svc.events()
    const readies = events.filter(e => e.event === 'ready')
    assert.equal(readies.length, 1)
    const ready: ReadyAllEvent = readies[0]
    assert.deepEqual(events.slice(0, -1).map(e => [e.event, e.target, e.remotePort]), [['listening', 'svc/db', 5432], ['listening', 'deployment/api', 8080], ['listening', 'pod/worker-0', 9000]])
    assert.equal(events.at(-1), ready)
    assert.deepEqual(ready.targets.map(r => [r.target, r.namespace, r.ports.map(p => p.remotePort)]), [['svc/db', 'default', [5432]], ['deployment/api', 'default', [8080]], ['pod/worker-0', 'default', [9000]]])
    assert.deepEqual(ready.targets[0].pods, ['db-0'])
    assert.match(ready.targets[1].pods[0], /^api-/)
    assert.deepEqual(ready.targets[2].pods, ['worker-0'])
    assert.ok(['tunnel', 'spdy', 'websocket'].includes(ready.transport ?? ''), ready.transport)
    for (const target of ready.targets) {
      const payload = randomBytes(256 * 1024)
      assert.ok((await echo(target.ports[0].localPort, payload)).equals(payload), `bytes through ${target.target}`)
    }
    await until(() => svc.events().filter(e => e.event === 'connection-closed').length === 3, 'three connection-closed events')
    const closed = svc.events().filter(e => e.event === 'connection-closed')
    assert.deepEqual(closed.map(e => [e.target, e.bytesIn, e.bytesOut]), ready.targets.map(r => [r.target, 256 * 1024, 256 * 1024]))
    svc.kill('SIGTERM')
    assert.equal((await svc.exited).code, 0)
    assert.equal(svc.stderr, '')
  })

  test('text: each Forwarding line names its target', async t => {
    const svc = startSvc(['port-forward', '--kubeconfig', kc, '--address', '127.0.0.1', 'svc/db', ':pg', 'pod/worker-0', ':9000'])
    t.after(() => svc.kill('SIGKILL'))
    const [, db] = await svc.line(/^Forwarding from 127\.0\.0\.1:(\d+) -> 5432 \(svc\/db\)$/)
    const [, worker] = await svc.line(/^Forwarding from 127\.0\.0\.1:(\d+) -> 9000 \(pod\/worker-0\)$/)
    assert.equal((await echo(Number(worker), 'w')).toString(), 'w')
    assert.equal((await echo(Number(db), 'd')).toString(), 'd')
    await until(() => svc.stdout.includes(`Handling connection for ${db}`), 'the db connection line')
    svc.kill('SIGINT')
    assert.equal((await svc.exited).code, 0)
  })

  test('one target that cannot start fails the command with its error, naming it, and nothing listens', async () => {
    const missing = await runSvc(['port-forward', '--kubeconfig', kc, 'svc/db', ':5432', 'svc/nope', ':80', 'pod/worker-0', ':9000'])
    assert.deepEqual([missing.code, missing.stdout, missing.stderr], [1, '', 'Error from server (NotFound): services "nope" not found\n'])
    const badPort = await runSvc(['port-forward', '--kubeconfig', kc, 'svc/db', ':5432', 'pod/worker-0', ':nosuch'])
    assert.deepEqual([badPort.code, badPort.stdout, badPort.stderr], [1, '', 'error: pod/worker-0: Pod \'worker-0\' does not have a named port \'nosuch\'\n'])
  })

  test('usage errors: a target without ports, one local port twice', async () => {
    const noPorts = await runSvc(['port-forward', '--kubeconfig', kc, 'svc/db', ':5432', 'pod/worker-0'])
    assert.equal(noPorts.code, 1)
    assert.match(noPorts.stderr, /^error: pod\/worker-0 has no ports: give at least one \[LOCAL_PORT:\]REMOTE_PORT after it\n/)
    const twice = await runSvc(['port-forward', '--kubeconfig', kc, 'svc/db', '15432:5432', 'pod/worker-0', '15432:9000'])
    assert.equal(twice.code, 1)
    assert.match(twice.stderr, /^error: local port 15432 is given twice \(svc\/db and pod\/worker-0\)\n/)
  })
})

describe('the Services\' own variables', () => {
  test('-- COMMAND gets <NAME>_SERVICE_HOST/PORT/PORT_<NAME>, connects through them, and its exit code passes through', async () => {
    // ...and none of the variables svc's forwarder started itself with (src/portforward/heap.ts).
    const script = `const net = require('node:net'); const e = process.env;
      const s = net.connect(Number(e.DB_SERVICE_PORT_PG), e.DB_SERVICE_HOST, () => s.end('through the env'));
      let got = ''; s.on('data', d => got += d);
      const own = ['MALLOC_ARENA_MAX', 'MALLOC_TRIM_THRESHOLD_', 'SVC_FORWARDER_START'].filter(k => k in e);
      s.on('close', () => { console.log([e.DB_SERVICE_HOST, e.DB_SERVICE_PORT === e.DB_SERVICE_PORT_PG, e.DB_PORT_5432_TCP_ADDR, got, e.API_SERVICE_HOST, own].join('|')); process.exit(got === 'through the env' ? 3 : 1) })`
    const result = await runSvc(['port-forward', '--kubeconfig', kc, 'svc/db', ':pg', 'pod/worker-0', ':9000', '--quiet', '--', process.execPath, '-e', script])
    assert.equal(result.stderr, '')
    assert.equal(result.stdout, '127.0.0.1|true|127.0.0.1|through the env||\n')
    assert.equal(result.code, 3)
  })

  test('--dotenv holds exactly the variables the command gets, written once every target listens', async t => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svc-env-'))
    t.after(() => fs.rmSync(dir, {force: true, recursive: true}))
    const file = path.join(dir, 'forwards.env')
    const svc = startSvc(['port-forward', '--kubeconfig', kc, '--address', '127.0.0.1', 'svc/db', ':pg', 'deployment/api', ':8080', '--dotenv', file, '-o', 'json'])
    t.after(() => svc.kill('SIGKILL'))
    await svc.line(/"event":"ready"/)
    const [db, api] = (svc.events().find(e => e.event === 'ready') as ReadyAllEvent).targets.map(r => r.ports[0].localPort)
    assert.equal(fs.readFileSync(file, 'utf8'), [
      `SVC_PORT=${db}`, `SVC_PORT_PG=${db}`, `SVC_PORT_8080=${api}`,
      'DB_SERVICE_HOST=127.0.0.1', `DB_SERVICE_PORT=${db}`, `DB_SERVICE_PORT_PG=${db}`, `DB_PORT=tcp://127.0.0.1:${db}`,
      `DB_PORT_5432_TCP=tcp://127.0.0.1:${db}`, 'DB_PORT_5432_TCP_PROTO=tcp', `DB_PORT_5432_TCP_PORT=${db}`, 'DB_PORT_5432_TCP_ADDR=127.0.0.1', '',
    ].join('\n'))
    svc.kill('SIGTERM')
    assert.equal((await svc.exited).code, 0)
  })

  test('--dotenv in a directory that does not exist: one line, nothing started', async () => {
    const result = await runSvc(['port-forward', '--kubeconfig', kc, 'svc/db', ':pg', '--dotenv', '/nonexistent-svc-dir/x.env'])
    assert.deepEqual([result.code, result.stdout, result.stderr], [1, '', 'error: --dotenv /nonexistent-svc-dir/x.env: no such directory\n'])
  })
})

describe('--address-per-service', () => {
  test('two Services on the same port number, each on its own stable address; --hosts-file exact', async t => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svc-hosts-'))
    t.after(() => fs.rmSync(dir, {force: true, recursive: true}))
    const hosts = path.join(dir, 'hosts')
    const env = path.join(dir, 'forwards.env')
    const svc = startSvc(['port-forward', '--kubeconfig', kc, '--address-per-service', 'svc/db', ':5432', 'svc/replica', ':5432', 'pod/worker-0', ':9000', '--hosts-file', hosts, '--dotenv', env, '-o', 'json'])
    t.after(() => svc.kill('SIGKILL'))
    await svc.line(/"event":"ready"/)
    const ready = svc.events().find(e => e.event === 'ready')
    // The addresses are the hash of namespace/name (unit-tested); the service port number is kept.
    const [db, replica, worker] = ready.targets
    assert.deepEqual([db.address, db.ports], ['127.233.133.64', [{localPort: 5432, remotePort: 5432}]])
    assert.equal(replica.ports[0].localPort, 5432)
    assert.match(replica.address, /^127\.\d+\.\d+\.\d+$/)
    assert.notEqual(replica.address, db.address)
    assert.equal(worker.address, undefined)
    const listening = svc.events().filter(e => e.event === 'listening').map(e => `${e.target} ${e.address}:${e.localPort}`)
    assert.deepEqual(listening.slice(0, 2), [`svc/db ${db.address}:5432`, `svc/replica ${replica.address}:5432`])
    assert.equal((await echo(5432, 'to db', db.address)).toString(), 'to db')
    const greeting = await new Promise<string>((resolve, reject) => {
      const socket = net.connect({host: replica.address, port: 5432})
      let text = ''
      socket.on('data', d => (text += d)).on('end', () => resolve(text)).on('error', reject)
    })
    assert.equal(greeting, 'replica-0\n')
    assert.equal(fs.readFileSync(hosts, 'utf8'), [
      `${db.address} db db.default db.default.svc db.default.svc.cluster.local`,
      `${replica.address} replica replica.default replica.default.svc replica.default.svc.cluster.local`, '',
    ].join('\n'))
    const dotenv = fs.readFileSync(env, 'utf8')
    assert.match(dotenv, new RegExp(`^DB_SERVICE_HOST=${db.address.replaceAll('.', '\\.')}$`, 'm'))
    assert.match(dotenv, new RegExp(`^REPLICA_PORT=tcp://${replica.address.replaceAll('.', '\\.')}:5432$`, 'm'))
    svc.kill('SIGTERM')
    assert.equal((await svc.exited).code, 0)
  })

  test('--hosts-file without --address-per-service is refused before anything starts', async () => {
    const result = await runSvc(['port-forward', '--kubeconfig', kc, 'svc/db', ':5432', '--hosts-file', path.join(os.tmpdir(), 'svc-never-written')])
    assert.equal(result.code, 1)
    assert.match(result.stderr, /^error: --hosts-file needs --address-per-service: on one shared address, names cannot tell the Services apart\n/)
    assert.equal(fs.existsSync(path.join(os.tmpdir(), 'svc-never-written')), false)
  })
})

describe('forwards file (-f)', () => {
  const write = (dir: string, name: string, text: string) => {
    const file = path.join(dir, name)
    fs.writeFileSync(file, text)
    return file
  }

  test('valid: its targets forwarded, an entry\'s own address used; -f - reads stdin', async t => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svc-ff-'))
    t.after(() => fs.rmSync(dir, {force: true, recursive: true}))
    const text = 'forwards:\n- target: svc/db\n  ports: [":pg"]\n- target: pod/worker-0\n  ports: [":9000"]\n  address: 127.0.0.2\n'
    const file = write(dir, 'forwards.yaml', text)
    for (const args of [['-f', file], ['-f', '-']]) {
      const svc = startSvc(['port-forward', '--kubeconfig', kc, '--address', '127.0.0.1', ...args, '-o', 'json'])
      t.after(() => svc.kill('SIGKILL'))
      if (args[1] === '-') svc.child.stdin.end(text)
      await svc.line(/"event":"ready"/)
      const ready = svc.events().find(e => e.event === 'ready') as ReadyAllEvent
      assert.deepEqual(ready.targets.map(r => [r.target, r.ports[0].remotePort]), [['svc/db', 5432], ['pod/worker-0', 9000]])
      assert.deepEqual(svc.events().filter(e => e.event === 'listening').map(e => e.address), ['127.0.0.1', '127.0.0.2'])
      assert.equal((await echo(ready.targets[0].ports[0].localPort, 'db')).toString(), 'db')
      assert.equal((await echo(ready.targets[1].ports[0].localPort, 'worker', '127.0.0.2')).toString(), 'worker')
      svc.kill('SIGTERM')
      assert.equal((await svc.exited).code, 0)
    }
  })

  test('invalid: every bad entry on its own line, exit 1, nothing started', async t => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svc-ff-'))
    t.after(() => fs.rmSync(dir, {force: true, recursive: true}))
    const file = write(dir, 'bad.yaml', '- target: svc/db\n  ports: [":pg"]\n- target: svc/api\n- target: svc/x\n  ports: [80]\n  context: nowhere\n')
    const result = await runSvc(['port-forward', '--kubeconfig', kc, '-f', file])
    assert.deepEqual([result.code, result.stdout], [1, ''])
    assert.equal(result.stderr, [
      `error: ${file}: entry 2 (svc/api): ports: at least one [LOCAL_PORT:]REMOTE_PORT is required`,
      `error: ${file}: entry 3 (svc/x): context "nowhere" is not in the kubeconfig`, '',
    ].join('\n'))
    const missing = await runSvc(['port-forward', '--kubeconfig', kc, '-f', path.join(dir, 'nope.yaml')])
    assert.deepEqual([missing.code, missing.stderr], [1, `error: the path "${path.join(dir, 'nope.yaml')}" does not exist\n`])
    const both = await runSvc(['port-forward', '--kubeconfig', kc, '-f', file, 'svc/db', '5432'])
    assert.match(both.stderr, /^error: -f reads the targets from the file: give no TYPE\/NAME \(got svc\/db\)\n/)
  })

  test('several contexts in one file: each target through its own cluster', async t => {
    const other = await startPfCluster()
    t.after(() => other.stop())
    await createPod(other.client, 'far', {ports: [{containerPort: 7}]})
    await podRunning(other.client, 'far')
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svc-ff-'))
    t.after(() => fs.rmSync(dir, {force: true, recursive: true}))
    // One kubeconfig with both clusters: contexts `one` (this suite's cluster) and `two`.
    const configs = [c, other].map(cluster => kubeconfigDoc(fs.readFileSync(cluster.kubeconfig(), 'utf8')))
    const merged = {
      apiVersion: 'v1', kind: 'Config', 'current-context': 'one',
      clusters: configs.map((k, i) => ({...k.clusters[0], name: ['one', 'two'][i]})),
      contexts: configs.map((_, i) => ({context: {cluster: ['one', 'two'][i], namespace: 'default', user: ['one', 'two'][i]}, name: ['one', 'two'][i]})),
      users: configs.map((k, i) => ({...k.users.find(u => u.name === 'token'), name: ['one', 'two'][i]})),
    }
    const kubeconfig = write(dir, 'kubeconfig', yaml.dump(merged))
    const file = write(dir, 'forwards.yaml', '- {target: pod/worker-0, ports: [":9000"], context: one}\n- {target: pod/far, ports: [":7"], context: two}\n')
    const svc = startSvc(['port-forward', '--kubeconfig', kubeconfig, '--address', '127.0.0.1', '-f', file, '-o', 'json'])
    t.after(() => svc.kill('SIGKILL'))
    await svc.line(/"event":"ready"/)
    const ready = svc.events().find(e => e.event === 'ready') as ReadyAllEvent
    assert.deepEqual(ready.targets.map(r => [r.target, r.context, r.pods]), [['pod/worker-0', 'one', ['worker-0']], ['pod/far', 'two', ['far']]])
    for (const target of ready.targets) assert.equal((await echo(target.ports[0].localPort, target.target)).toString(), target.target)
    svc.kill('SIGTERM')
    assert.equal((await svc.exited).code, 0)
    assert.equal(svc.stderr, '')
  })
})
