// Impersonation end to end: --as, --as-group, --as-uid and the kubeconfig's as-* fields reach the
// local cluster on every request, including the port-forward upgrade, and the cluster acts as the
// impersonated user (test/cluster/auth.ts impersonate, after the API server's impersonation filter).

import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'

import yaml from 'js-yaml'

import {KubeClient} from '../../src/kube/client.ts'
import {ApiError} from '../../src/kube/errors.ts'
import {openTunnel} from '../../src/portforward/tunnel.ts'
import {runSvc} from '../helpers/run-svc.ts'
import {SERVICES, startEnv, type SvcEnv} from './svc-env.ts'

let env: SvcEnv
before(async () => {
  env = await startEnv()
  await env.create('/api/v1/namespaces/default/pods', {apiVersion: 'v1', kind: 'Pod', metadata: {name: 'web'}, spec: {containers: [{image: 'nginx', name: 'app'}]}})
})
after(() => env?.stop())

/** A copy of the kubeconfig whose `token` user carries these extra fields. */
function kubeconfigWith(fields: Record<string, unknown>): string {
  const doc: any = yaml.load(fs.readFileSync(env.kubeconfig, 'utf8'))
  Object.assign(doc.users.find((u: any) => u.name === 'token').user, fields)
  const file = path.join(path.dirname(env.kubeconfig), `kc-${Object.keys(fields).join('-')}.yaml`)
  fs.writeFileSync(file, yaml.dump(doc), {mode: 0o600})
  return file
}

describe('svc impersonation', () => {
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
    const client = new KubeClient(env.api.kubeConfig, {impersonation: {extra: {}, groups: [], uid: '', user: 'create-only'}})
    const error = await openTunnel(client, {namespace: 'default', pod: 'web', port: 80}).catch(e => e)
    assert.ok(error instanceof ApiError)
    assert.equal(error.message, 'pods "web" is forbidden: User "create-only" cannot get resource "pods/portforward" in API group "" in the namespace "default" (a port-forward over WebSocket needs both the get and the create verb on pods/portforward since Kubernetes 1.35)')
    const services = await client.request({path: SERVICES})
    assert.equal(services.statusCode, 200)
  })
})
