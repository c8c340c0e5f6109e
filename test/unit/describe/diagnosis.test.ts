import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {backendsFor, podReadiness, resolveTargetPort, selectorMatches} from '../../../src/describe/backends.ts'
import {
  allGood, diagnose, type DiagnosisContext, endpointsLagging, externalNameWithPorts, ingressUnknownPort, loadBalancerPending,
  namedTargetPortNotFound, noneReady, noSelectorNoEndpoints, selectorMatchesNoPods, someNotReady, targetPortNotDeclared,
} from '../../../src/describe/diagnosis.ts'
import type {EndpointSlice, Ingress, Pod, Service} from '../../../src/kube/types.ts'

function pod(name: string, opts: {labels?: Record<string, string>; ports?: {containerPort: number; name?: string; protocol?: string}[]; ready?: boolean; probe?: boolean; status?: Pod['status']} = {}): Pod {
  const ready = opts.ready ?? true
  return {
    metadata: {labels: opts.labels ?? {app: 'web'}, name, namespace: 'default'},
    spec: {containers: [{name: 'app', ports: opts.ports ?? [{containerPort: 8080, name: 'http'}], readinessProbe: opts.probe ? {httpGet: {path: '/'}} : undefined}], nodeName: 'node-1'},
    status: opts.status ?? {
      conditions: [{status: ready ? 'True' : 'False', type: 'Ready', reason: ready ? undefined : 'ContainersNotReady'}],
      containerStatuses: [{name: 'app', ready, state: {running: {}}}],
      phase: 'Running',
      podIP: `10.244.0.${name.length}`,
    },
  }
}

function service(spec: Service['spec'], status: Service['status'] = {}): Service {
  return {metadata: {name: 'web', namespace: 'default'}, spec: {type: 'ClusterIP', ...spec}, status}
}

const webPorts = [{name: 'http', port: 80, protocol: 'TCP', targetPort: 8080}]
const readySlice: EndpointSlice = {metadata: {name: 'web-abcde'}, endpoints: [{addresses: ['10.244.0.5'], conditions: {ready: true}}], ports: [{name: 'http', port: 8080}]}

function ctx(svc: Service, pods: Pod[], slices: EndpointSlice[] = [], ingresses: Ingress[] = []): DiagnosisContext {
  return {backends: backendsFor(svc, pods), ingresses, namespacePods: pods, service: svc, slices}
}

describe('backends', () => {
  it('selectors match on equality of every key; an empty selector matches nothing', () => {
    assert.equal(selectorMatches({app: 'web'}, {app: 'web', x: 'y'}), true)
    assert.equal(selectorMatches({app: 'web', tier: 'a'}, {app: 'web'}), false)
    assert.equal(selectorMatches({}, {app: 'web'}), false)
  })
  it('readiness reasons come from the phase, conditions and container states', () => {
    assert.deepEqual(podReadiness(pod('a')), {ready: true})
    assert.deepEqual(podReadiness(pod('a', {probe: true, ready: false})), {ready: false, reason: 'readiness probe failing'})
    assert.deepEqual(podReadiness(pod('a', {ready: false})), {ready: false, reason: 'container app running but not ready'})
    assert.deepEqual(podReadiness(pod('a', {status: {containerStatuses: [{name: 'app', ready: false, state: {waiting: {reason: 'CrashLoopBackOff', message: 'back-off 10s'}}}], phase: 'Running'}})),
      {ready: false, reason: 'container app CrashLoopBackOff: back-off 10s'})
    assert.deepEqual(podReadiness(pod('a', {status: {containerStatuses: [{name: 'app', ready: false, state: {terminated: {exitCode: 137, reason: 'OOMKilled'}}}], phase: 'Running'}})),
      {ready: false, reason: 'container app terminated: OOMKilled (exit code 137)'})
    assert.deepEqual(podReadiness(pod('a', {status: {conditions: [{status: 'False', type: 'PodScheduled', reason: 'Unschedulable', message: '0/1 nodes are available'}], phase: 'Pending'}})),
      {ready: false, reason: 'not scheduled: Unschedulable (0/1 nodes are available)'})
    assert.deepEqual(podReadiness(pod('a', {status: {phase: 'Failed', reason: 'Evicted'}})), {ready: false, reason: 'pod failed (Evicted)'})
    assert.deepEqual(podReadiness(pod('a', {status: {phase: 'Pending'}})), {ready: false, reason: 'pending: no IP yet'})
    assert.deepEqual(podReadiness({...pod('a'), metadata: {deletionTimestamp: '2026-01-01T00:00:00Z', name: 'a'}}), {ready: false, reason: 'terminating'})
  })
  it('targetPorts resolve by number or by name and protocol, sidecars included', () => {
    const p = pod('a', {ports: [{containerPort: 8080, name: 'http'}, {containerPort: 53, name: 'dns', protocol: 'UDP'}]})
    assert.equal(resolveTargetPort(p, {port: 80, protocol: 'TCP', targetPort: 'http'}).containerPort, 8080)
    assert.equal(resolveTargetPort(p, {port: 53, protocol: 'TCP', targetPort: 'dns'}).missingName, 'dns')
    assert.equal(resolveTargetPort(p, {port: 53, protocol: 'UDP', targetPort: 'dns'}).containerPort, 53)
    assert.equal(resolveTargetPort(p, {port: 80, protocol: 'TCP', targetPort: 9090}).undeclared, true)
    assert.equal(resolveTargetPort(p, {port: 8080, protocol: 'TCP'}).undeclared, false)
    const withSidecar: Pod = {...p, spec: {...p.spec, initContainers: [{name: 'proxy', ports: [{containerPort: 15001, name: 'proxy'}], restartPolicy: 'Always'}]}}
    assert.equal(resolveTargetPort(withSidecar, {port: 80, protocol: 'TCP', targetPort: 'proxy'}).containerPort, 15001)
  })
  it('lists the matching pods sorted by name', () => {
    const svc = service({ports: webPorts, selector: {app: 'web'}})
    const b = backendsFor(svc, [pod('web-2'), pod('other', {labels: {app: 'api'}}), pod('web-1')])
    assert.deepEqual(b.map(x => x.name), ['web-1', 'web-2'])
    assert.equal(b[0].ports[0].containerPort, 8080)
  })
})

describe('diagnosis rules', () => {
  it('selector matches no pods, with a hint from nearby labels', () => {
    const svc = service({ports: webPorts, selector: {app: 'web'}})
    assert.deepEqual(selectorMatchesNoPods(ctx(svc, [])), [{message: 'selector app=web matches no pods', severity: 'error'}])
    assert.deepEqual(selectorMatchesNoPods(ctx(svc, [pod('x', {labels: {app: 'webapp'}})])), [{message: 'selector app=web matches no pods (pods here have app=webapp)', severity: 'error'}])
    assert.deepEqual(selectorMatchesNoPods(ctx(svc, [pod('web-1')])), [])
  })
  it('pods match, none ready, with the reason', () => {
    const svc = service({ports: webPorts, selector: {app: 'web'}})
    assert.deepEqual(noneReady(ctx(svc, [pod('web-1', {probe: true, ready: false}), pod('web-2', {probe: true, ready: false})])),
      [{message: '2 pods match, none ready: readiness probe failing', severity: 'error'}])
    assert.deepEqual(noneReady(ctx(svc, [pod('web-1', {probe: true, ready: false})])), [{message: '1 pod matches, not ready: readiness probe failing', severity: 'error'}])
    assert.deepEqual(noneReady(ctx(svc, [pod('web-1', {probe: true, ready: false}), pod('web-2', {ready: false})])),
      [{message: '2 pods match, none ready: web-1: readiness probe failing; web-2: container app running but not ready', severity: 'error'}])
    assert.deepEqual(noneReady(ctx(svc, [pod('web-1'), pod('web-2', {ready: false})])), [])
    const publish = service({ports: webPorts, publishNotReadyAddresses: true, selector: {app: 'web'}})
    assert.deepEqual(noneReady(ctx(publish, [pod('web-1', {probe: true, ready: false})])),
      [{message: '1 pod matches, not ready: readiness probe failing (publishNotReadyAddresses is set, so they get traffic anyway)', severity: 'warning'}])
  })
  it('some pods not ready', () => {
    const svc = service({ports: webPorts, selector: {app: 'web'}})
    assert.deepEqual(someNotReady(ctx(svc, [pod('web-1'), pod('web-2', {probe: true, ready: false})])),
      [{message: '1 of 2 pods ready; not ready: web-2 (readiness probe failing)', severity: 'warning'}])
    assert.deepEqual(someNotReady(ctx(svc, [pod('web-1')])), [])
  })
  it('numeric targetPort not declared by a pod', () => {
    const svc = service({ports: [{name: 'http', port: 80, protocol: 'TCP', targetPort: 8080}], selector: {app: 'web'}})
    assert.deepEqual(targetPortNotDeclared(ctx(svc, [pod('web-1', {ports: [{containerPort: 9090}]}), pod('web-2')])),
      [{message: 'targetPort 8080 is not a declared containerPort of pod web-1', severity: 'warning'}])
  })
  it('named targetPort not found on a pod', () => {
    const svc = service({ports: [{name: 'http', port: 80, protocol: 'TCP', targetPort: 'http'}], selector: {app: 'web'}})
    assert.deepEqual(namedTargetPortNotFound(ctx(svc, [pod('web-1'), pod('web-2', {ports: [{containerPort: 8080, name: 'web'}]})])),
      [{message: 'named targetPort http not found on pod web-2', severity: 'error'}])
  })
  it('pods with the same problem are grouped; many problems are capped', () => {
    const one = service({ports: [{name: 'http', port: 80, protocol: 'TCP', targetPort: 'nope'}], selector: {app: 'web'}})
    const pods = Array.from({length: 5}, (_, i) => pod(`web-${i}`))
    assert.deepEqual(namedTargetPortNotFound(ctx(one, pods)), [{message: 'named targetPort nope not found on any of the 5 matching pods', severity: 'error'}])
    const num = service({ports: [{name: 'a', port: 80, protocol: 'TCP', targetPort: 9100}], selector: {app: 'web'}})
    const mixed = [pod('web-1', {ports: [{containerPort: 9100}]}), pod('web-2'), pod('web-3'), pod('web-4'), pod('web-5')]
    assert.deepEqual(targetPortNotDeclared(ctx(num, mixed)), [{message: 'targetPort 9100 is not a declared containerPort of pods web-2, web-3, web-4, ... (4 of 5)', severity: 'warning'}])
    const many = service({ports: Array.from({length: 7}, (_, i) => ({name: `p${i}`, port: 80 + i, protocol: 'TCP', targetPort: `n${i}`})), selector: {app: 'web'}})
    const f = namedTargetPortNotFound(ctx(many, [pod('web-1')]))
    assert.equal(f.length, 6)
    assert.equal(f[0].message, 'named targetPort n0 not found on pod web-1')
    assert.equal(f[5].message, '... and 2 more missing named ports')
  })
  it('no selector and no endpoints', () => {
    const svc = service({ports: webPorts})
    assert.deepEqual(noSelectorNoEndpoints(ctx(svc, [])), [{message: 'no selector and no Endpoints: traffic goes nowhere (add a selector, or create an EndpointSlice for it)', severity: 'error'}])
    assert.deepEqual(noSelectorNoEndpoints(ctx(svc, [], [readySlice])), [])
  })
  it('LoadBalancer pending', () => {
    const lb = service({ports: webPorts, selector: {app: 'web'}, type: 'LoadBalancer'})
    assert.equal(loadBalancerPending(ctx(lb, []))[0].message, 'LoadBalancer pending: no load-balancer controller has assigned an address (the node ports work meanwhile)')
    assert.deepEqual(loadBalancerPending(ctx(service({...lb.spec}, {loadBalancer: {ingress: [{ip: '1.2.3.4'}]}}), [])), [])
  })
  it('ExternalName with ports', () => {
    const en = service({externalName: 'db.example.com', ports: [{port: 5432, protocol: 'TCP'}], type: 'ExternalName'})
    assert.deepEqual(externalNameWithPorts(ctx(en, [])), [{message: 'ExternalName with ports: ports are ignored (DNS answers with a CNAME for db.example.com; clients pick the port)', severity: 'warning'}])
    assert.deepEqual(externalNameWithPorts(ctx(service({externalName: 'x.com', type: 'ExternalName'}), [])), [])
  })
  it('ready pods but no ready endpoints', () => {
    const svc = service({ports: webPorts, selector: {app: 'web'}})
    assert.deepEqual(endpointsLagging(ctx(svc, [pod('web-1')], [])), [{message: '1 ready pod matches but the EndpointSlices list no ready endpoints: the endpoint controller has not caught up', severity: 'warning'}])
    assert.deepEqual(endpointsLagging(ctx(svc, [pod('web-1')], [readySlice])), [])
  })
  it('an Ingress routing to a port the Service does not have', () => {
    const svc = service({ports: webPorts, selector: {app: 'web'}})
    const ing: Ingress = {metadata: {name: 'site'}, spec: {rules: [{host: 'a.com', http: {paths: [{backend: {service: {name: 'web', port: {number: 8080}}}, path: '/'}]}}]}}
    assert.deepEqual(ingressUnknownPort(ctx(svc, [], [], [ing])), [{message: 'ingress site routes to port 8080, which service web does not have', severity: 'error'}])
    const good: Ingress = {metadata: {name: 'site'}, spec: {defaultBackend: {service: {name: 'web', port: {name: 'http'}}}}}
    assert.deepEqual(ingressUnknownPort(ctx(svc, [], [], [good])), [])
  })
  it('the all-good line, per kind of Service', () => {
    const svc = service({ports: webPorts, selector: {app: 'web'}})
    assert.deepEqual(diagnose(ctx(svc, [pod('web-1'), pod('web-2')], [readySlice])), [{message: 'no problems found: 2 of 2 pods ready, every port resolves', severity: 'ok'}])
    assert.equal(allGood(ctx(service({externalName: 'x.com', type: 'ExternalName'}), [])).message, 'no problems found: DNS answers with a CNAME for x.com')
    assert.equal(allGood(ctx(service({ports: webPorts}), [], [readySlice])).message, 'no problems found: 1 endpoint managed outside Kubernetes (no selector)')
  })
  it('diagnose lists problems instead of the all-good line', () => {
    const svc = service({ports: webPorts, selector: {app: 'web'}, type: 'LoadBalancer'})
    assert.deepEqual(diagnose(ctx(svc, [])).map(f => f.severity), ['error', 'warning'])
  })
})
