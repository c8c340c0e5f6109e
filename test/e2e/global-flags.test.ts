// kubectl's global flags where kubectl takes them (before the command, `--v=N`) and its refusal of
// a kubeconfig that pairs insecure-skip-tls-verify with a CA, run through the built binary.

import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, describe, test} from 'node:test'

import yaml from 'js-yaml'

import {createPod, echo, type PfCluster, podRunning, startPfCluster, startSvc} from '../helpers/pf-cluster.ts'
import {kubeconfigDoc} from '../helpers/kubeconfig-doc.ts'
import {runSvc} from '../helpers/run-svc.ts'

let c: PfCluster
let kc: string
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svc-global-flags-'))

before(async () => {
  c = await startPfCluster()
  kc = c.kubeconfig()
  await createPod(c.client, 'echo', {ports: [{containerPort: 7}]}, 'kube-public')
  await podRunning(c.client, 'echo', 'kube-public')
})

after(async () => {
  await c.stop()
  fs.rmSync(dir, {force: true, recursive: true})
})

describe('global flags before the command', () => {
  test('svc --kubeconfig F --context C -n NS --v=6 port-forward ... forwards (and logs requests at 6)', async t => {
    const svc = startSvc(['--kubeconfig', kc, '--context', 'local', '-n', 'kube-public', '--v=6', 'port-forward', 'pod/echo', ':7', '--address', '127.0.0.1'])
    t.after(() => svc.kill('SIGKILL'))
    const [, port] = await svc.line(/^Forwarding from 127\.0\.0\.1:(\d+) -> 7$/)
    assert.equal((await echo(Number(port), 'before the command')).toString(), 'before the command')
    await svc.line(/GET https:\/\/127\.0\.0\.1:\d+\/api\/v1\/namespaces\/kube-public\/pods\/echo/, 'stderr')
    svc.kill('SIGTERM')
    assert.equal((await svc.exited).code, 0)
  })

  test('svc -n NS get svc KUBERNETES --kubeconfig F and -v=6 beside --v=6', async () => {
    const r = await runSvc(['-n', 'default', '--kubeconfig', kc, 'get', 'svc', 'kubernetes', '-o', 'name'])
    assert.equal(r.stderr, '')
    assert.equal(r.stdout, 'service/kubernetes\n')
    assert.equal(r.code, 0)
    for (const v of ['-v=6', '--v=6']) {
      const logged = await runSvc(['get', 'svc', 'kubernetes', '-o', 'name', '--kubeconfig', kc, v])
      assert.equal(logged.code, 0, logged.stderr)
      assert.match(logged.stderr, /GET https:\/\/127\.0\.0\.1:\d+\/api\/v1\/namespaces\/default\/services\/kubernetes/)
    }
  })
})

describe('a kubeconfig with insecure-skip-tls-verify and a CA', () => {
  test('is refused with kubectl\'s line and exit 1, before any request', async () => {
    const doc = kubeconfigDoc(fs.readFileSync(kc, 'utf8'))
    doc.clusters[0].cluster['insecure-skip-tls-verify'] = true
    const file = path.join(dir, 'insecure-with-ca')
    fs.writeFileSync(file, yaml.dump(doc))
    for (const args of [['get', 'svc'], ['port-forward', 'pod/echo', ':7']]) {
      const r = await runSvc([...args, '--kubeconfig', file])
      assert.equal(r.stderr, 'error: specifying a root certificates file with the insecure flag is not allowed\n')
      assert.equal(r.stdout, '')
      assert.equal(r.code, 1)
    }
  })
})
