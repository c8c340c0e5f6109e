// Impersonation end to end: --as, --as-group, --as-uid and the kubeconfig's as-* fields reach the
// cluster on every request, including the port-forward upgrade, and the cluster acts as the
// impersonated user. On each cluster SVC_TEST_CLUSTER asks for: the real kube-apiserver's
// impersonation filter judges the local one (test/cluster/auth.ts impersonate).

import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'

import yaml from 'js-yaml'

import {KubeClient} from '../../src/kube/client.ts'
import {ApiError} from '../../src/kube/errors.ts'
import {openTunnel} from '../../src/portforward/tunnel.ts'
import {createPod, deletePod} from '../helpers/pf-cluster.ts'
import {runSvc} from '../helpers/run-svc.ts'
import {clusterKinds, startTestCluster, type TestCluster} from '../helpers/test-cluster.ts'

const SERVICES = '/api/v1/namespaces/default/services'
const POD = 'imp-web'

for (const kind of clusterKinds()) describe(`svc impersonation on the ${kind} cluster`, () => {
  let c: TestCluster
  let dir: string
  const env = {
    svc: (args: string[]) => runSvc([...args, '--kubeconfig', c.kubeconfig()]),
  }

  before(async () => {
    c = await startTestCluster(kind)
    dir = fs.mkdtempSync(path.join(path.dirname(c.kubeconfig()), 'imp-'))
    await createPod(c.client, POD)
  })
  after(async () => {
    if (dir) fs.rmSync(dir, {force: true, recursive: true})
    if (c) await deletePod(c.client, POD).catch(() => undefined)
    await c?.stop()
  })

  /** A copy of the kubeconfig whose `token` user carries these extra fields. */
  function kubeconfigWith(fields: Record<string, unknown>): string {
    const doc: any = yaml.load(fs.readFileSync(c.kubeconfig(), 'utf8'))
    Object.assign(doc.users.find((u: any) => u.name === 'token').user, fields)
    const file = path.join(dir, `kc-${Object.keys(fields).join('-')}.yaml`)
    fs.writeFileSync(file, yaml.dump(doc), {mode: 0o600})
    return file
  }

  it('--as acts as that user: its RBAC decides and its name is in the refusal', async () => {
    const denied = await env.svc(['get', 'services', '--as', 'jane'])
    assert.equal(denied.code, 1)
    assert.equal(denied.stderr, 'Error from server (Forbidden): services is forbidden: User "jane" cannot list resource "services" in API group "" in the namespace "default"\n')
    const readonly = await env.svc(['delete', 'service', 'kubernetes', '--as', 'readonly'])
    assert.equal(readonly.code, 1)
    assert.match(readonly.stderr, /User "readonly" cannot delete resource "services"/)
  })

  it('--as-group is repeatable and sent once per group', async () => {
    const r = await env.svc(['get', 'services', 'kubernetes', '-o', 'name', '--as', 'jane', '--as-group', 'devs', '--as-group', 'system:masters'])
    assert.equal(r.stderr, '')
    assert.equal(r.stdout, 'service/kubernetes\n')
  })

  it('--as-group or --as-uid without --as is refused before any request', async () => {
    const r = await env.svc(['get', 'services', '--as-group', 'devs'])
    assert.equal(r.code, 1)
    assert.equal(r.stderr, 'error: invalid configuration: requesting uid, groups or user-extra for token without impersonating a user: pass --as USER, or set "as" in the kubeconfig user\n')
  })

  it('reads as, as-groups, as-uid and as-user-extra from the kubeconfig; flags win', async () => {
    const file = kubeconfigWith({as: 'jane', 'as-groups': ['system:masters'], 'as-uid': '42', 'as-user-extra': {'example.com/team': ['a']}})
    const asConfigured = await runSvc(['get', 'services', 'kubernetes', '-o', 'name', '--kubeconfig', file])
    assert.equal(asConfigured.stderr, '')
    const overridden = await runSvc(['get', 'services', '--kubeconfig', file, '--as-group', 'devs'])
    assert.equal(overridden.stderr, 'Error from server (Forbidden): services is forbidden: User "jane" cannot list resource "services" in API group "" in the namespace "default"\n')
    const bare = kubeconfigWith({'as-groups': ['devs']})
    const invalid = await runSvc(['get', 'services', '--kubeconfig', bare])
    assert.equal(invalid.code, 1)
    assert.match(invalid.stderr, /requesting uid, groups or user-extra for token without impersonating a user/)
  })

  it('the port-forward upgrade carries the impersonation too', async () => {
    const client = new KubeClient(c.client.kubeConfig, {impersonation: {extra: {}, groups: [], uid: '', user: 'create-only'}})
    const error = await openTunnel(client, {namespace: 'default', pod: POD, port: 80}).catch(e => e)
    assert.ok(error instanceof ApiError)
    assert.equal(error.message, 'pods "' + POD + '" is forbidden: User "create-only" cannot get resource "pods/portforward" in API group "" in the namespace "default" (a port-forward over WebSocket needs both the get and the create verb on pods/portforward since Kubernetes 1.35)')
    const services = await client.request({path: SERVICES})
    assert.equal(services.statusCode, 200)
  })
})
