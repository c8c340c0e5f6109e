// svc describe --compat against the local cluster: kubectl's exact text for Services backed by
// simulated Deployments, prefix matching, several Services, selectors and errors.

import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'

import type {EndpointSlice} from '../../src/kube/types.ts'
import {DEPLOYMENTS, deployment, type List, SERVICES, startEnv, type SvcEnv, until} from './svc-env.ts'

let env: SvcEnv

async function readyEndpoints(service: string, count: number): Promise<string[]> {
  return until(async () => {
    const body = await env.get<List<EndpointSlice>>('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', {labelSelector: `kubernetes.io/service-name=${service}`})
    const eps = body.items.flatMap(s => (s.endpoints ?? []).filter(e => e.conditions?.ready !== false).map(e => e.addresses![0]))
    return eps.length === count ? eps : undefined
  }, `${count} endpoints for ${service}`)
}

const clusterIP = async (name: string) => (await env.get(`${SERVICES}/${name}`)).spec!.clusterIP!

before(async () => {
  env = await startEnv()
  await env.create(DEPLOYMENTS, deployment('web', 2, {http: 8080}))
  await env.create(SERVICES, {metadata: {labels: {app: 'web'}, name: 'web'}, spec: {ports: [{name: 'http', port: 80, targetPort: 'http'}], selector: {app: 'web'}}})
  await env.create(SERVICES, {metadata: {name: 'web-np'}, spec: {ports: [{name: 'http', nodePort: 30080, port: 80, targetPort: 8080}, {name: 'admin', nodePort: 30081, port: 9000, targetPort: 9000}], selector: {app: 'nothing'}, type: 'NodePort'}})
  await env.create(SERVICES, {metadata: {annotations: {note: 'external'}, name: 'db'}, spec: {externalName: 'db.example.com', type: 'ExternalName'}})
  await readyEndpoints('web', 2)
})
after(() => env?.stop())

describe('svc describe --compat', () => {
  it('ClusterIP with ready pods: kubectl\'s block, Endpoints from the EndpointSlice', async () => {
    const r = await env.svc(['describe', 'web', '--compat'])
    assert.equal(r.stderr, '')
    assert.equal(r.code, 0)
    const ip = await clusterIP('web')
    const eps = (await readyEndpoints('web', 2)).map(a => `${a}:8080`).join(',')
    assert.equal(r.stdout, [
      'Name:                     web',
      'Namespace:                default',
      'Labels:                   app=web',
      'Annotations:              <none>',
      'Selector:                 app=web',
      'Type:                     ClusterIP',
      'IP Family Policy:         SingleStack',
      'IP Families:              IPv4',
      `IP:                       ${ip}`,
      `IPs:                      ${ip}`,
      'Port:                     http  80/TCP',
      'TargetPort:               http/TCP',
      `Endpoints:                ${eps}`,
      'Session Affinity:         None',
      'Internal Traffic Policy:  Cluster',
      'Events:                   <none>',
      '',
    ].join('\n'))
  })

  it('NodePort, two ports, selector matching nothing: blank Endpoints values; svc/NAME spelling; --show-events=false', async () => {
    const r = await env.svc(['describe', 'svc/web-np', '--compat', '--show-events=false'])
    const ip = await clusterIP('web-np')
    assert.equal(r.code, 0)
    assert.equal(r.stdout, [
      'Name:                     web-np',
      'Namespace:                default',
      'Labels:                   <none>',
      'Annotations:              <none>',
      'Selector:                 app=nothing',
      'Type:                     NodePort',
      'IP Family Policy:         SingleStack',
      'IP Families:              IPv4',
      `IP:                       ${ip}`,
      `IPs:                      ${ip}`,
      'Port:                     http  80/TCP',
      'TargetPort:               8080/TCP',
      'NodePort:                 http  30080/TCP',
      'Endpoints:                ',
      'Port:                     admin  9000/TCP',
      'TargetPort:               9000/TCP',
      'NodePort:                 admin  30081/TCP',
      'Endpoints:                ',
      'Session Affinity:         None',
      'External Traffic Policy:  Cluster',
      'Internal Traffic Policy:  Cluster',
      '',
    ].join('\n'))
  })

  it('ExternalName: no IPs, no traffic policies, narrower alignment', async () => {
    const r = await env.svc(['describe', 'svc', 'db', '--compat'])
    assert.equal(r.stdout, [
      'Name:              db',
      'Namespace:         default',
      'Labels:            <none>',
      'Annotations:       note: external',
      'Selector:          <none>',
      'Type:              ExternalName',
      'IP Families:       <none>',
      'IP:                ',
      'IPs:               <none>',
      'External Name:     db.example.com',
      'Session Affinity:  None',
      'Events:            <none>',
      '',
    ].join('\n'))
  })

  it('a name that matches nothing is a prefix: each match is followed by a newline', async () => {
    const r = await env.svc(['describe', 'we', '--compat', '--show-events=false'])
    assert.equal(r.code, 0)
    const blocks = r.stdout.split('\n\n')
    assert.equal(blocks.length, 3)
    assert.match(blocks[0], /^Name: +web\n/)
    assert.match(blocks[1], /^Name: +web-np\n/)
    assert.equal(blocks[2], '')
  })

  it('several Services are separated by two newlines after the block, as kubectl does; -l selects', async () => {
    const r = await env.svc(['describe', 'db', 'web', '--compat'])
    assert.equal(r.code, 0)
    assert.match(r.stdout, /^Name: +db\n[^]*Events: +<none>\n\n\nName: +web\n[^]*Events: +<none>\n$/)
    const sel = await env.svc(['describe', '-l', 'app=web', '--compat'])
    assert.match(sel.stdout, /^Name: +web\n[^]*Events: +<none>\n$/)
  })

  it('errors: NotFound (exit 1), others still described; nothing found is a message, exit 0', async () => {
    const missing = await env.svc(['describe', 'nope', '--compat'])
    assert.deepEqual([missing.code, missing.stdout, missing.stderr], [1, '', 'Error from server (NotFound): services "nope" not found\n'])
    const some = await env.svc(['describe', 'db', 'nope', '--compat'])
    assert.equal(some.code, 1)
    assert.match(some.stdout, /^Name: +db\n/)
    assert.equal(some.stderr, 'Error from server (NotFound): services "nope" not found\n')
    const none = await env.svc(['describe', '-l', 'app=zzz'])
    assert.deepEqual([none.code, none.stdout, none.stderr], [0, '', 'No resources found in default namespace.\n'])
    const noneAll = await env.svc(['describe', '-A', '-l', 'app=zzz'])
    assert.deepEqual([noneAll.code, noneAll.stdout, noneAll.stderr], [0, '', 'No resources found\n'])
    const both = await env.svc(['describe', 'web', '-l', 'app=web'])
    assert.deepEqual([both.code, both.stderr], [1, 'error: name cannot be provided when a selector is specified\n'])
  })
})
