// svc and kubectl 1.35 side by side on how they check the API server's certificate: the
// --tls-server-name global flag (k8s.io/cli-runtime ConfigFlags, clientcmd
// DirectClientConfig.getCluster: it replaces the kubeconfig cluster's tls-server-name when not
// empty), alone, over a kubeconfig's, empty, and with insecure-skip-tls-verify; and the words Go
// reads from a refused certificate (crypto/x509 Certificate.Verify: Expired's detail,
// UnknownAuthorityError's hint, the leaf's validity before the name before the chain). Each case
// runs the same words through both and compares exit code, stdout and stderr byte for byte (the
// current time in Expired's detail aside, which may tick between the two).

import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import type {AddressInfo} from 'node:net'
import tls from 'node:tls'
import {after, before, describe, test} from 'node:test'

import yaml from 'js-yaml'

import {issue, type IssuedCert} from '../cluster/certs.ts'
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

describe('a refused certificate: the words Go reads from it', () => {
  const DAY = 24 * 60 * 60 * 1000
  const ago = (days: number): Date => new Date(Date.now() - days * DAY)
  const ca = issue({days: 30, isCA: true, subject: {commonName: 'kubernetes'}})
  // The usual case after a kind or minikube cluster is made again: a new CA under the same name.
  const again = issue({days: 30, isCA: true, subject: {commonName: 'kubernetes'}})
  const other = issue({days: 30, isCA: true, subject: {commonName: 'other-ca'}})
  const oldCa = issue({days: -1, isCA: true, notBefore: ago(3), subject: {commonName: 'old-ca'}})
  const here = {dns: ['localhost'], ips: ['127.0.0.1']}
  const elsewhere = {dns: ['elsewhere'], ips: ['10.9.9.9']}
  const leaf = (issuer: IssuedCert, serverNames = here, more: {client?: boolean; days?: number; notBefore?: Date} = {}): IssuedCert =>
    issue({days: 30, issuer, serverNames, subject: {commonName: 'kube-apiserver'}, ...more})
  const cases: Array<[string, IssuedCert, IssuedCert]> = [
    ['a CA made again under the same name: the hint', leaf(again), ca],
    ['an expired certificate: the detail, current time after NotAfter', leaf(ca, here, {days: -1, notBefore: ago(3)}), ca],
    ['a certificate not valid yet: current time before NotBefore', leaf(ca, here, {days: 3, notBefore: new Date(Date.now() + DAY)}), ca],
    ['an unknown CA and another name: the name first', leaf(other, elsewhere), ca],
    ['a CA made again and another name: the name first', leaf(again, elsewhere), ca],
    ['an expired certificate of an unknown CA for another name: the expiry first', leaf(other, elsewhere, {days: -1, notBefore: ago(3)}), ca],
    ['an expired CA: Expired with the CA\'s NotAfter', leaf(oldCa), oldCa],
    ['a certificate for clients only and another name: the name first', leaf(ca, elsewhere, {client: true}), ca],
  ]
  const servers: tls.Server[] = []
  after(() => {
    for (const server of servers) server.close()
  })

  for (const [name, cert, trusted] of cases) {
    test(name, async () => {
      const server = tls.createServer({cert: cert.certPem, key: cert.keyPem}, socket => {
        socket.on('error', () => {})
        socket.end()
      })
      servers.push(server)
      await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
      const port = (server.address() as AddressInfo).port
      const kubeconfig = kubeconfigWith(`refused-${servers.length}`, cluster => {
        cluster.server = `https://127.0.0.1:${port}`
        cluster['certificate-authority-data'] = Buffer.from(trusted.certPem).toString('base64')
      })
      const r = await both(['get', 'svc', 'kubernetes', '-o', 'name'], kubeconfig)
      const [code, stdout, stderr] = r.svc as [number, string, string]
      const sameTime = (result: unknown): unknown => (result as [number, string, string]).map(v => (typeof v === 'string' ? v.replace(/current time \S+/, 'current time T') : v))
      // kubectl logs its discovery's failures first (memcache.go, no cache in a fresh HOME); its last line is the error.
      const [kCode, kStdout, kStderr] = r.kubectl as [number, string, string]
      assert.deepEqual(sameTime(r.svc), sameTime([kCode, kStdout, kStderr.replace(/^E\d{4} [^\n]*\n/gm, '')]))
      assert.equal(code, 1)
      assert.equal(stdout, '')
      assert.match(stderr, /^Unable to connect to the server: tls: failed to verify certificate: x509: /)
      if (/current time/.test(stderr)) assert.match(stderr, /current time \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d) is (after|before) \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$/)
    })
  }
})
