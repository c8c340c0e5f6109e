import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {describeService} from '../../../src/describe/index.ts'
import {describeServiceExtended, renderAccess, renderBackends, renderDiagnosis, routesFor} from '../../../src/describe/extended.ts'
import {describeServiceCompat} from '../../../src/describe/service.ts'
import type {Ingress, Node, Pod, Service} from '../../../src/kube/types.ts'
import {makeChalk} from '../../../src/printers/color.ts'
import {describeFixture} from '../../fixtures/describe-fixtures.ts'

const now = Date.parse('2026-11-28T03:58:43Z')
const fx = describeFixture(now)
const byName = (name: string) => fx.services.find(s => s.metadata?.name === name)!
const slicesOf = (name: string) => fx.slices.filter(s => s.metadata?.labels?.['kubernetes.io/service-name'] === name)

const pods: Pod[] = [
  {metadata: {labels: {app: 'web', tier: 'front'}, name: 'web-1', namespace: 'default'}, spec: {containers: [{name: 'app', ports: [{containerPort: 8080, name: 'http'}]}], nodeName: 'node-1'}, status: {conditions: [{status: 'True', type: 'Ready'}], phase: 'Running', podIP: '10.244.0.5'}},
  {metadata: {labels: {app: 'web', tier: 'front'}, name: 'web-2', namespace: 'default'}, spec: {containers: [{name: 'app', ports: [{containerPort: 9090}], readinessProbe: {}}], nodeName: 'node-1'}, status: {conditions: [{status: 'False', type: 'Ready'}], containerStatuses: [{name: 'app', ready: false, state: {running: {}}}], phase: 'Running', podIP: '10.244.0.6'}},
]
const nodes: Node[] = [{metadata: {name: 'node-1'}, status: {addresses: [{address: '172.18.0.2', type: 'InternalIP'}, {address: 'node-1', type: 'Hostname'}]}}]
const ingresses: Ingress[] = [{metadata: {name: 'site'}, spec: {rules: [{host: 'web.example.com', http: {paths: [{backend: {service: {name: 'web', port: {name: 'http'}}}, path: '/'}]}}]}}]

describe('extended describe', () => {
  it('prints kubectl\'s block unchanged, then Backends, Routes, Access and Diagnosis', () => {
    const service = byName('web')
    const text = describeServiceExtended({defaultNamespace: 'default', events: [], ingresses, nodes, now, pods, service, slices: slicesOf('web')})
    const compat = describeServiceCompat({events: [], now, service, slices: slicesOf('web')})
    assert.ok(text.startsWith(`${compat}\n`))
    assert.equal(text.slice(compat.length + 1), [
      'Backends:',
      '  POD    IP          NODE    PORTS         READY',
      '  web-1  10.244.0.5  node-1  80->8080/TCP  yes',
      '  web-2  10.244.0.6  node-1  80->8080/TCP  no: readiness probe failing',
      'Routes:',
      '  INGRESS  HOST             PATH  PORT',
      '  site     web.example.com  /     http',
      'Access:',
      '  In cluster:    10.96.45.12:80 (http)',
      '                 web.default.svc.cluster.local:80',
      '  Local tunnel:  svc port-forward svc/web 8080:80',
      'Diagnosis:',
      '  ! 1 of 2 pods ready; not ready: web-2 (readiness probe failing)',
      '  ! targetPort 8080 is not a declared containerPort of pod web-2',
      '',
    ].join('\n'))
  })

  it('describeService picks the compat or the extended text', () => {
    const service = byName('web')
    assert.equal(describeService(service, slicesOf('web'), [], {compat: true, now}), describeServiceCompat({events: [], now, service, slices: slicesOf('web')}))
    assert.equal(describeService(service, slicesOf('web'), null, {ingresses, nodes, now, pods}),
      describeServiceExtended({events: null, ingresses, nodes, now, pods, service, slices: slicesOf('web')}))
  })

  it('NodePort: node addresses with the node ports; no matching pods', () => {
    const text = describeServiceExtended({events: null, ingresses: [], nodes, now, pods, service: byName('multi'), slices: slicesOf('multi')})
    assert.ok(text.endsWith([
      'Backends:  none (no pod matches the selector)',
      'Routes:  none (no Ingress sends traffic here)',
      'Access:',
      '  In cluster:    10.96.200.3:80 (80-http), 10.96.200.3:443 (443-8443)',
      '                 multi.default.svc.cluster.local:80, multi.default.svc.cluster.local:443',
      '  Node ports:    172.18.0.2:31234 (80-http), 172.18.0.2:30712 (443-8443)',
      '  Local tunnel:  svc port-forward svc/multi 8080:80',
      'Diagnosis:',
      '  ✗ selector app=multi matches no pods (pods here have app=web)',
      '',
    ].join('\n')))
  })

  it('LoadBalancer: ingress addresses and external IPs', () => {
    assert.equal(renderAccess(byName('lb'), []), [
      'Access:',
      '  In cluster:     10.96.77.8:8080 (port-tcp)',
      '                  lb.default.svc.cluster.local:8080',
      '  Node ports:     <node-ip>:31111 (port-tcp)',
      '  Load balancer:  203.0.113.5:8080, lb.example.com:8080',
      '  External IPs:   192.0.2.10:8080, 192.0.2.11:8080',
      '  Local tunnel:   svc port-forward svc/lb 8080:8080',
      '',
    ].join('\n'))
    const pending: Service = {...byName('lb'), status: {loadBalancer: {}}}
    assert.match(renderAccess(pending, nodes), /Load balancer: {2}pending\n/)
  })

  it('ExternalName: the CNAME; headless: DNS to pod IPs; no selector: no tunnel; other namespace: -n', () => {
    assert.equal(renderAccess(byName('ext'), []), 'Access:\n  DNS:  ext.default.svc.cluster.local is a CNAME for bar.example.com\n')
    assert.match(renderAccess(byName('headless'), []), /headless.default.svc.cluster.local resolves to each ready pod IP \(headless\)/)
    assert.match(renderAccess(byName('manual'), []), /Local tunnel: {2}not available: port-forward needs a selector to pick a pod/)
    const other: Service = {...byName('sticky'), metadata: {...byName('sticky').metadata, namespace: 'prod'}}
    assert.match(renderAccess(other, [], {defaultNamespace: 'default', program: 'kubectl svc'}), /Local tunnel: {2}kubectl svc port-forward svc\/sticky -n prod 9000:9000\n/)
    assert.match(renderAccess(other, []), /In cluster: {4}\[fd00::10\]:9000 \(grpc\), \[fd00::10\]:53 \(dns\)/)
  })

  it('a Service without a selector lists the endpoints it was given', () => {
    const slices = [{metadata: {name: 'manual-abcde'}, endpoints: [{addresses: ['192.168.1.10'], conditions: {ready: true}}, {addresses: ['192.168.1.11'], conditions: {ready: false}, nodeName: 'n2', targetRef: {kind: 'Pod', name: 'db-0'}}], ports: [{port: 5432}]}]
    assert.equal(renderBackends(byName('manual'), [], slices), [
      'Backends (endpoints set without a selector):',
      '  ADDRESS       TARGET  NODE    READY',
      '  192.168.1.10  <none>  <none>  yes',
      '  192.168.1.11  db-0    n2      no',
      '',
    ].join('\n'))
  })

  it('routes include default backends and rules without host or path', () => {
    const ing: Ingress = {metadata: {name: 'all'}, spec: {defaultBackend: {service: {name: 'web', port: {number: 80}}}, rules: [{http: {paths: [{backend: {service: {name: 'web', port: {number: 80}}}}]}}]}}
    assert.deepEqual(routesFor(byName('web'), [ing]), [
      {host: '*', ingress: 'all', path: '(default backend)', port: '80'},
      {host: '*', ingress: 'all', path: '/', port: '80'},
    ])
  })

  it('colours the READY cell after alignment, so columns stay aligned', () => {
    const plain = describeServiceExtended({events: [], ingresses: [], nodes, now, pods, service: byName('web'), slices: slicesOf('web')}, {chalk: makeChalk(false)})
    const coloured = describeServiceExtended({events: [], ingresses: [], nodes, now, pods, service: byName('web'), slices: slicesOf('web')}, {chalk: makeChalk(true)})
    assert.ok(coloured.includes('80->8080/TCP  \x1b[32myes\x1b[39m\n'))
    assert.ok(coloured.includes('80->8080/TCP  \x1b[31mno: readiness probe failing\x1b[39m\n'))
    // eslint-disable-next-line no-control-regex
    assert.equal(coloured.replace(/\x1b\[\d+m/g, ''), plain)
  })

  it('colours findings only when the chalk instance has colour', () => {
    const findings = [{message: 'bad', severity: 'error' as const}, {message: 'meh', severity: 'warning' as const}, {message: 'fine', severity: 'ok' as const}]
    assert.equal(renderDiagnosis(findings, makeChalk(false)), 'Diagnosis:\n  ✗ bad\n  ! meh\n  ✓ fine\n')
    assert.equal(renderDiagnosis(findings, makeChalk(true)), 'Diagnosis:\n  \x1b[31m✗ bad\x1b[39m\n  \x1b[33m! meh\x1b[39m\n  \x1b[32m✓ fine\x1b[39m\n')
  })
})
