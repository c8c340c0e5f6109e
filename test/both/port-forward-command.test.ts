// `svc port-forward TARGET PORTS -- COMMAND`: the command runs once the listeners are up, sees the
// ports in its environment, its exit status becomes svc's, and signals reach it. On each cluster
// SVC_TEST_CLUSTER asks for (the real control plane too in `npm run test:real`).

import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, describe, test} from 'node:test'

import {childEnvironment, exitStatus} from '../../src/portforward/child.ts'
import {createPod, deletePod, podReady, startSvc, until} from '../helpers/pf-cluster.ts'
import {runSvc} from '../helpers/run-svc.ts'
import {clusterKinds, startTestCluster, type TestCluster} from '../helpers/test-cluster.ts'

const node = process.execPath
const POD = 'cmd-web'

describe('environment and exit status (pure)', {skip: !clusterKinds().includes('local') && 'runs with the local cluster\'s half (npm test)'}, () => {
  test('SVC_PORT is the first local port; SVC_PORT_<REMOTE> each, first one wins', () => {
    const env = childEnvironment({HOME: '/h', SVC_PORT_80: 'stale'}, [
      {localPort: 40001, remote: '80'}, {localPort: 40002, remote: 'grpc-web'}, {localPort: 40003, remote: '80'}, {localPort: 40004, remote: 'http'},
    ])
    assert.deepEqual({...env}, {HOME: '/h', SVC_PORT: '40001', SVC_PORT_80: '40001', SVC_PORT_GRPC_WEB: '40002', SVC_PORT_HTTP: '40004'})
  })
  test('exit status: the code, or 128 + the signal number', () => {
    assert.equal(exitStatus(0, null), 0)
    assert.equal(exitStatus(3, null), 3)
    assert.equal(exitStatus(null, 'SIGTERM'), 143)
    assert.equal(exitStatus(null, 'SIGINT'), 130)
    assert.equal(exitStatus(null, 'SIGKILL'), 137)
  })
})

for (const kind of clusterKinds()) describe(`svc port-forward ... -- COMMAND on the ${kind} cluster`, () => {
  let c: TestCluster
  let kc: string

  before(async () => {
    c = await startTestCluster(kind)
    kc = c.kubeconfig()
    await createPod(c.client, POD, {annotations: {'sim.svc.local/port-8080': 'http'}, ports: [{containerPort: 8080, name: 'http'}, {containerPort: 7}]})
    await podReady(c.client, POD, 'default', 60_000)
  })
  after(async () => {
    if (c) await deletePod(c.client, POD).catch(() => undefined)
    await c?.stop()
  })

  test('the command talks to the pod through $SVC_PORT and its exit code 0 passes through', async () => {
    const script = `const http = require('node:http');
      http.get({host: '127.0.0.1', port: Number(process.env.SVC_PORT), path: '/hostname', headers: {connection: 'close'}}, res => {
        let body = ''; res.on('data', d => body += d); res.on('end', () => { console.log('pod=' + body, 'http=' + process.env.SVC_PORT_HTTP, 'seven=' + process.env.SVC_PORT_7); process.exit(body === '${POD}' ? 0 : 5) })
      })`
    const result = await runSvc(['port-forward', '--kubeconfig', kc, `pod/${POD}`, ':http', ':7', '--', node, '-e', script])
    assert.equal(result.code, 0, result.stderr)
    const [, port] = /^Forwarding from 127\.0\.0\.1:(\d+) -> 8080$/m.exec(result.stdout) ?? []
    const [, seven] = /^Forwarding from 127\.0\.0\.1:(\d+) -> 7$/m.exec(result.stdout) ?? []
    assert.match(result.stdout, new RegExp(`^pod=${POD} http=${port} seven=${seven}$`, 'm'))
    assert.equal(result.stderr, '')
  })

  test('a non-zero exit code passes through, and flags after -- belong to the command', async () => {
    const result = await runSvc(['port-forward', '--kubeconfig', kc, `pod/${POD}`, ':7', '-o', 'json', '--', node, '-e', 'process.exit(Number(process.argv[1]))', '--', '7'])
    assert.equal(result.code, 7)
    assert.deepEqual(result.stdout.trim().split('\n').map(l => JSON.parse(l).event), ['listening', 'listening', 'ready'])
  })

  test('a command that does not exist: 127', async () => {
    const result = await runSvc(['port-forward', '--kubeconfig', kc, `pod/${POD}`, ':7', '--quiet', '--', 'no-such-command-svc'])
    assert.equal(result.code, 127)
    assert.equal(result.stderr, 'error: exec: "no-such-command-svc": executable file not found in $PATH\n')
  })

  test('SIGTERM reaches the command: one that exits 0 on it gives 0; one killed by it gives 143; no process is left', async t => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svc-cmd-'))
    t.after(() => fs.rmSync(dir, {force: true, recursive: true}))
    const cases: Array<[string, number]> = [
      // The handler first, then the pid file the test waits for: a SIGTERM sent on seeing the file finds the handler in place.
      [`process.on('SIGTERM', () => process.exit(0)); require('fs').writeFileSync(process.argv[1], String(process.pid)); setInterval(() => {}, 1000)`, 0],
      [`require('fs').writeFileSync(process.argv[1], String(process.pid)); setInterval(() => {}, 1000)`, 143],
    ]
    for (const [i, [script, expected]] of cases.entries()) {
      const pidFile = path.join(dir, `pid-${i}`)
      const svc = startSvc(['port-forward', '--kubeconfig', kc, `pod/${POD}`, ':7', '--', node, '-e', script, pidFile])
      t.after(() => svc.kill('SIGKILL'))
      const pid = Number(await until(() => fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8'), 'the command to start'))
      svc.kill('SIGTERM')
      const {code} = await svc.exited
      assert.equal(code, expected)
      assert.throws(() => process.kill(pid, 0), {code: 'ESRCH'})
    }
  })

  test('without a command, SIGINT closes the forward and exits 0', async t => {
    const svc = startSvc(['port-forward', '--kubeconfig', kc, `pod/${POD}`, ':7'])
    t.after(() => svc.kill('SIGKILL'))
    await svc.line(/^Forwarding from \[::1\]/)
    svc.kill('SIGINT')
    assert.deepEqual(await svc.exited, {code: 0, signal: null})
    assert.equal(svc.stderr, '')
  })
})
