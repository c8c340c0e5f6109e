// The same commands through real kubectl 1.35 and through svc, against the same local cluster:
// identical stdout, stderr and exit code. kubectl is $KUBECTL, or 1.35 fetched into .cache/kubectl by
// the project's own script on first use (as in CI).

import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'

import {ensureKubectl} from '../../scripts/fetch-kubectl.ts'
import type {EndpointSlice} from '../../src/kube/types.ts'
import {DEPLOYMENTS, deployment, type List, SERVICES, startEnv, type SvcEnv, until} from './svc-env.ts'

let KUBECTL: string
let env: SvcEnv

function kubectl(args: string[]): Promise<{code: number | null; stderr: string; stdout: string}> {
  return new Promise((resolve, reject) => {
    const child = spawn(KUBECTL, ['--kubeconfig', env.kubeconfig, '--cache-dir', path.join(path.dirname(env.kubeconfig), 'kcache'), ...args], {env: {HOME: path.dirname(env.kubeconfig), PATH: process.env.PATH}})
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', d => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', d => (stderr += d))
    child.on('error', reject)
    child.on('close', code => resolve({code, stderr, stdout}))
  })
}

async function same(kubectlArgs: string[], svcArgs: string[]): Promise<void> {
  const k = await kubectl(kubectlArgs)
  const s = await env.svc(svcArgs)
  assert.deepEqual({code: s.code, stderr: s.stderr, stdout: s.stdout}, k, `kubectl ${kubectlArgs.join(' ')}`)
}

describe('svc and kubectl 1.35 print the same', () => {
  before(async () => {
    KUBECTL = process.env.KUBECTL ?? (await ensureKubectl())
    env = await startEnv()
    await env.create(DEPLOYMENTS, deployment('web', 3, {http: 8080}))
    await env.create(DEPLOYMENTS, deployment('api', 2, {http: 9090}, {'sim.svc.local/ready': 'false'}))
    await env.create(SERVICES, {metadata: {annotations: {owner: 'team-a'}, labels: {app: 'web', tier: 'front'}, name: 'web'}, spec: {ports: [{name: 'http', port: 80, targetPort: 'http'}], selector: {app: 'web'}}})
    await env.create(SERVICES, {metadata: {name: 'api'}, spec: {ports: [{name: 'http', port: 80, targetPort: 9090}, {name: 'm', port: 9100}], selector: {app: 'api'}, type: 'NodePort'}})
    await env.create(SERVICES, {metadata: {name: 'lb'}, spec: {externalTrafficPolicy: 'Local', ports: [{port: 443, targetPort: 8080}], selector: {app: 'web'}, sessionAffinity: 'ClientIP', type: 'LoadBalancer'}})
    await env.create(SERVICES, {metadata: {name: 'hl'}, spec: {clusterIP: 'None', selector: {app: 'web'}}})
    await env.create(SERVICES, {metadata: {name: 'ext'}, spec: {externalName: 'db.example.com', type: 'ExternalName'}})
    await until(async () => {
      const body = await env.get<List<EndpointSlice>>('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', {labelSelector: 'kubernetes.io/service-name=web'})
      return body.items.flatMap(s => s.endpoints ?? []).length === 3 ? true : undefined
    }, 'web endpoints')
  })
  after(() => env?.stop())

  for (const name of ['web', 'api', 'lb', 'hl', 'ext']) {
    it(`describe svc ${name}`, () => same(['describe', 'svc', name], ['describe', name, '--compat']))
  }
  it('describe svc (all, separated)', () => same(['describe', 'svc'], ['describe', 'svc', '--compat']))
  it('describe svc by prefix', () => same(['describe', 'svc', 'w'], ['describe', 'w', '--compat']))
  it('describe svc missing', () => same(['describe', 'svc', 'nope'], ['describe', 'nope', '--compat']))
  it('get svc -o yaml (a list)', () => same(['get', 'svc', '-o', 'yaml'], ['get', '-o', 'yaml']))
  it('get svc NAME -o json', () => same(['get', 'svc', 'lb', '-o', 'json'], ['get', 'lb', '-o', 'json']))
  it('get svc -o name with a missing name', () => same(['get', 'svc', 'web', 'nope', '-o', 'name'], ['get', 'web', 'nope', '-o', 'name']))
  it('get svc -o yaml --show-managed-fields keeps them', async () => {
    const r = await env.svc(['get', 'web', '-o', 'yaml', '--show-managed-fields'])
    assert.match(r.stdout, /\n {2}managedFields:\n/)
  })
  it('delete --dry-run=client', () => same(['delete', 'svc', 'web', '--dry-run=client'], ['delete', 'web', '--dry-run=client']))
  it('delete --dry-run=server', () => same(['delete', 'svc', 'web', '--dry-run=server'], ['delete', 'web', '--dry-run=server']))
  it('delete errors', () => same(['delete', 'svc'], ['delete', 'svc']))
})
