// svc describe (default view) against the local cluster: Backends, Routes, Access and Diagnosis
// for healthy and broken Services, and the events table.

import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'

import type {EndpointSlice, Pod} from '../../src/kube/types.ts'
import {DEPLOYMENTS, deployment, type List, SERVICES, startEnv, type SvcEnv, until} from './svc-env.ts'

let env: SvcEnv

async function pods(app: string, count: number): Promise<{ip: string; name: string}[]> {
  return until(async () => {
    const body = await env.get<List<Pod>>('/api/v1/namespaces/default/pods', {labelSelector: `app=${app}`})
    const list = body.items.filter(p => p.status?.podIP).map(p => ({ip: p.status!.podIP!, name: p.metadata.name}))
    return list.length === count ? list.sort((a, b) => (a.name < b.name ? -1 : 1)) : undefined
  }, `${count} pods for ${app}`)
}

const clusterIP = async (name: string) => (await env.get(`${SERVICES}/${name}`)).spec!.clusterIP!

/** The part after kubectl's block. */
function extended(stdout: string): string {
  const at = stdout.indexOf('\nBackends')
  assert.ok(at > 0, stdout)
  return stdout.slice(at + 1)
}

before(async () => {
  env = await startEnv()
  await env.create(DEPLOYMENTS, deployment('web', 2, {http: 8080}))
  await env.create(DEPLOYMENTS, deployment('api', 2, {http: 9090}, {'sim.svc.local/ready': 'false'}))
  await env.create(SERVICES, {metadata: {name: 'web'}, spec: {ports: [{name: 'http', port: 80, targetPort: 'http'}], selector: {app: 'web'}}})
  await env.create(SERVICES, {metadata: {name: 'api'}, spec: {ports: [{name: 'http', port: 80, targetPort: 'http'}, {name: 'grpc', port: 81, targetPort: 'grpc'}], selector: {app: 'api'}}})
  await env.create(SERVICES, {metadata: {name: 'typo'}, spec: {ports: [{port: 80, targetPort: 8080}], selector: {app: 'wbe'}}})
  await env.create(SERVICES, {metadata: {name: 'lonely'}, spec: {ports: [{port: 5432}]}})
  await env.create(SERVICES, {metadata: {name: 'lb'}, spec: {ports: [{nodePort: 30555, port: 443, targetPort: 8080}], selector: {app: 'web'}, type: 'LoadBalancer'}})
  await env.create(SERVICES, {metadata: {name: 'cname'}, spec: {externalName: 'db.example.com', ports: [{port: 5432}], type: 'ExternalName'}})
  await env.create('/apis/networking.k8s.io/v1/namespaces/default/ingresses', {
    metadata: {name: 'site'},
    spec: {rules: [{host: 'web.example.com', http: {paths: [
      {backend: {service: {name: 'web', port: {name: 'http'}}}, path: '/', pathType: 'Prefix'},
      {backend: {service: {name: 'web', port: {number: 8443}}}, path: '/admin', pathType: 'Prefix'},
    ]}}]},
  })
  await pods('web', 2)
  await pods('api', 2)
})
after(() => env?.stop())

describe('svc describe (extended)', () => {
  it('healthy Service with an Ingress: backends, routes, access, and the ingress port problem', async () => {
    const [a, b] = await pods('web', 2)
    await until(async () => {
      const body = await env.get<List<EndpointSlice>>('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', {labelSelector: 'kubernetes.io/service-name=web'})
      return body.items.some(s => (s.endpoints ?? []).length === 2) ? true : undefined
    }, 'web endpoints')
    const r = await env.svc(['describe', 'web'])
    assert.equal(r.code, 0)
    assert.equal(r.stderr, '')
    const width = Math.max(a.name.length, b.name.length) + 2
    const ipWidth = Math.max(a.ip.length, b.ip.length, 2) + 2
    const row = (p: {ip: string; name: string}) => `  ${p.name.padEnd(width)}${p.ip.padEnd(ipWidth)}local-node  80->8080/TCP  yes`
    assert.equal(extended(r.stdout), [
      'Backends:',
      `  ${'POD'.padEnd(width)}${'IP'.padEnd(ipWidth)}NODE        PORTS         READY`,
      row(a),
      row(b),
      'Routes:',
      '  INGRESS  HOST             PATH    PORT',
      '  site     web.example.com  /       http',
      '  site     web.example.com  /admin  8443',
      'Access:',
      `  In cluster:    ${await clusterIP('web')}:80 (http)`,
      '                 web.default.svc.cluster.local:80',
      '  Local tunnel:  svc port-forward svc/web 8080:80',
      'Diagnosis:',
      '  ✗ ingress site routes to port 8443, which service web does not have',
      '',
    ].join('\n'))
  })

  it('pods match but none is ready, and a named port is missing', async () => {
    const r = await env.svc(['describe', 'api'])
    assert.equal(r.code, 0)
    const text = extended(r.stdout)
    assert.match(text, /Diagnosis:\n {2}✗ 2 pods match, none ready: \S.*\n {2}✗ named targetPort grpc not found on any of the 2 matching pods\n$/)
    assert.match(text, /80->9090\/TCP,81->grpc\(missing\)\/TCP {2}no: /)
  })

  it('a selector that matches nothing, with a hint from the pods that exist', async () => {
    const r = await env.svc(['describe', 'typo'])
    assert.ok(r.stdout.endsWith('Diagnosis:\n  ✗ selector app=wbe matches no pods (pods here have app=api, app=web)\n'), r.stdout)
    assert.match(r.stdout, /\nBackends: {2}none \(no pod matches the selector\)\n/)
  })

  it('no selector and no endpoints', async () => {
    const r = await env.svc(['describe', 'lonely'])
    assert.ok(r.stdout.endsWith([
      'Backends:  none (no selector, no endpoints)',
      'Routes:  none (no Ingress sends traffic here)',
      'Access:',
      `  In cluster:    ${await clusterIP('lonely')}:5432`,
      '                 lonely.default.svc.cluster.local:5432',
      '  Local tunnel:  not available: port-forward needs a selector to pick a pod',
      'Diagnosis:',
      '  ✗ no selector and no Endpoints: traffic goes nowhere (add a selector, or create an EndpointSlice for it)',
      '',
    ].join('\n')), r.stdout)
  })

  it('LoadBalancer without a controller: node ports on the node\'s InternalIP, pending', async () => {
    const r = await env.svc(['describe', 'lb'])
    const text = extended(r.stdout)
    assert.match(text, /\n {2}Node ports: {5}172\.18\.0\.2:30555\n {2}Load balancer: {2}pending\n/)
    assert.ok(text.endsWith('Diagnosis:\n  ! LoadBalancer pending: no load-balancer controller has assigned an address (the node ports work meanwhile)\n'), text)
    assert.match(text, /\n {2}Local tunnel: {3}svc port-forward svc\/lb 8443:443\n/)
  })

  it('ExternalName with ports', async () => {
    const r = await env.svc(['describe', 'cname'])
    assert.ok(r.stdout.endsWith([
      'Backends:  none (ExternalName: DNS only, no proxying)',
      'Routes:  none (no Ingress sends traffic here)',
      'Access:',
      '  DNS:  cname.default.svc.cluster.local is a CNAME for db.example.com',
      'Diagnosis:',
      '  ! ExternalName with ports: ports are ignored (DNS answers with a CNAME for db.example.com; clients pick the port)',
      '',
    ].join('\n')), r.stdout)
  })

  it('events about the Service are listed with kubectl\'s ages', async () => {
    const svc = await env.get(`${SERVICES}/lonely`)
    const first = '2026-01-01T00:00:00Z'
    await env.create('/api/v1/namespaces/default/events', {
      count: 3,
      firstTimestamp: first,
      involvedObject: {apiVersion: 'v1', kind: 'Service', name: 'lonely', namespace: 'default', uid: svc.metadata.uid},
      lastTimestamp: '2026-01-01T00:50:00Z',
      message: 'endpoints were changed by hand',
      metadata: {name: 'lonely.1'},
      reason: 'Edited',
      source: {component: 'someone'},
      type: 'Warning',
    })
    await env.create('/api/v1/namespaces/default/events', {
      firstTimestamp: first, involvedObject: {kind: 'Service', name: 'other', namespace: 'default'}, lastTimestamp: first,
      message: 'not about lonely', metadata: {name: 'other.1'}, reason: 'X', source: {component: 'x'}, type: 'Normal',
    })
    const now = Date.parse('2026-01-01T01:00:00Z')
    const r = await env.svc(['describe', 'lonely', '--compat'], {now})
    assert.ok(r.stdout.endsWith([
      'Internal Traffic Policy:  Cluster',
      'Events:',
      '  Type     Reason  Age                From     Message',
      '  ----     ------  ----               ----     -------',
      '  Warning  Edited  10m (x3 over 60m)  someone  endpoints were changed by hand',
      '',
    ].join('\n')), r.stdout)
  })

  it('the tunnel hint carries -n when the Service is outside the context\'s namespace', async () => {
    await env.create('/api/v1/namespaces', {metadata: {name: 'prod'}})
    await env.create('/api/v1/namespaces/prod/services', {metadata: {name: 'pay'}, spec: {ports: [{port: 443, targetPort: 8443}], selector: {app: 'pay'}}})
    const r = await env.svc(['describe', 'pay', '-n', 'prod'])
    assert.match(r.stdout, /\n {2}Local tunnel: {2}svc port-forward svc\/pay -n prod 8443:443\n/)
  })

  it('colour is off in pipes, even for problems', async () => {
    const r = await env.svc(['describe', 'typo'])
    assert.equal(r.stdout.includes('\x1b['), false)
    const forced = await env.svc(['describe', 'typo'], {env: {FORCE_COLOR: '1'}})
    assert.ok(forced.stdout.includes('\x1b[31m✗ selector app=wbe matches no pods'), forced.stdout)
  })
})
