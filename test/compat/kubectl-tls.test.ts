// svc and kubectl 1.35 side by side on how they check the API server's certificate: the
// --tls-server-name global flag (k8s.io/cli-runtime ConfigFlags, clientcmd
// DirectClientConfig.getCluster: it replaces the kubeconfig cluster's tls-server-name when not
// empty), alone, over a kubeconfig's, empty, and with insecure-skip-tls-verify. Each case runs the
// same words through both and compares exit code, stdout and stderr byte for byte.

import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {after, before, describe, test} from 'node:test'

import yaml from 'js-yaml'

import {kubeconfigDoc} from '../helpers/kubeconfig-doc.ts'
import {runSvc} from '../helpers/run-svc.ts'
import {type Compat, startCompat} from './helpers.ts'

let c: Compat

before(async () => {
  c = await startCompat()
})
after(() => c?.stop())

/** The local cluster's kubeconfig with its cluster entry changed by `edit`, written beside it. */
function kubeconfigWith(name: string, edit: (cluster: Record<string, unknown>) => void): string {
  const doc = kubeconfigDoc(readFileSync(c.kubeconfig, 'utf8'))
  for (const entry of doc.clusters) edit(entry.cluster as Record<string, unknown>)
  return c.file(name, yaml.dump(doc))
}

/** kubectl's and svc's result for the same arguments and kubeconfig. */
async function both(args: string[], kubeconfig = c.kubeconfig): Promise<{kubectl: unknown; svc: unknown}> {
  const [k, s] = await Promise.all([c.kubectl(args, {env: {KUBECONFIG: kubeconfig}}), runSvc(args, {env: {KUBECONFIG: kubeconfig}})])
  return {kubectl: [k.code, k.stdout, k.stderr], svc: [s.code, s.stdout, s.stderr]}
}

describe('--tls-server-name', () => {
  const get = ['get', 'svc', 'kubernetes', '-o', 'name']

  for (const [name, expected] of [
    ['kubernetes', [0, 'service/kubernetes\n', '']],
    ['KUBERNETES', [0, 'service/kubernetes\n', '']],
    ['nope', [1, '', 'Unable to connect to the server: tls: failed to verify certificate: x509: certificate is valid for localhost, kubernetes, kubernetes.default, kubernetes.default.svc, not nope\n']],
    // An address: checked against the certificate's addresses, and no DeprecationWarning.
    ['127.0.0.1', [0, 'service/kubernetes\n', '']],
    ['10.0.0.9', [1, '', 'Unable to connect to the server: tls: failed to verify certificate: x509: certificate is valid for 127.0.0.1, ::1, 10.96.0.1, not 10.0.0.9\n']],
  ] as const) {
    test(`--tls-server-name=${name}: the certificate is checked against it`, async () => {
      const r = await both([...get, `--tls-server-name=${name}`])
      assert.deepEqual(r.svc, r.kubectl)
      assert.deepEqual(r.svc, expected)
    })
  }

  test('it replaces the kubeconfig\'s tls-server-name; an empty one keeps it', async () => {
    const wrong = kubeconfigWith('wrong-name', cluster => {
      cluster['tls-server-name'] = 'nope'
    })
    const replaced = await both([...get, '--tls-server-name', 'kubernetes.default'], wrong)
    assert.deepEqual(replaced.svc, replaced.kubectl)
    assert.deepEqual(replaced.svc, [0, 'service/kubernetes\n', ''])
    const kept = await both([...get, '--tls-server-name='], wrong)
    assert.deepEqual(kept.svc, kept.kubectl)
    assert.equal((kept.svc as unknown[])[0], 1)
  })

  test('with insecure-skip-tls-verify nothing is checked, whatever the name', async () => {
    const insecure = kubeconfigWith('insecure', cluster => {
      delete cluster['certificate-authority-data']
      cluster['insecure-skip-tls-verify'] = true
    })
    const r = await both([...get, '--tls-server-name', 'nope'], insecure)
    assert.deepEqual(r.svc, r.kubectl)
    assert.deepEqual(r.svc, [0, 'service/kubernetes\n', ''])
  })
})
