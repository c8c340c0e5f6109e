import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {applyOverrides, exposeService, formatRequirements, mapBasedSelectorForObject, parseExposeLabels, parseResourceArgs, portsForObject, protocolsForObject, checkExposable} from '../../../src/generate/expose.ts'
import type {ExposeFlags} from '../../../src/generate/expose.ts'
import type {LabelSelector, UnstructuredObject} from '../../../src/kube/types.ts'

const pod = (labels: Record<string, string> | undefined, ports: Array<{containerPort: number; protocol?: string}>, name = 'p') => ({
  apiVersion: 'v1', kind: 'Pod', metadata: {labels, name}, spec: {containers: [{name: 'c', ports}]},
})
const svc = (ports: Array<{port: number; protocol?: string}>, selector: Record<string, string> | undefined = {app: 'x'}) => ({
  apiVersion: 'v1', kind: 'Service', metadata: {name: 's'}, spec: {ports, selector},
})
const deployment = (selector: LabelSelector | undefined) => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: {labels: {team: 'a'}, name: 'd'},
  spec: {selector, template: {metadata: {labels: {app: 'd'}}, spec: {containers: [{name: 'c', ports: [{containerPort: 80}]}]}}},
})

describe('expose derivations (polymorphichelpers)', () => {
  const selectorErrors: Array<[string, unknown, string]> = [
    ['pod without labels', pod(undefined, []), 'the pod has no labels and cannot be exposed'],
    ['service without selector', {...svc([{port: 80}]), spec: {ports: [{port: 80}]}}, 'the service has no pod selector set'],
    ['deployment without selector', deployment(undefined), 'invalid deployment: no selectors, therefore cannot be exposed'],
    ['deployment with only expressions', deployment({matchExpressions: [{key: 'a', operator: 'Exists'}]}), 'invalid deployment: no selectors, therefore cannot be exposed'],
    ['deployment with expressions', deployment({matchExpressions: [{key: 'tier', operator: 'In', values: ['a', 'b']}], matchLabels: {app: 'd'}}),
      'couldn\'t convert expressions - "[{Key:tier Operator:In Values:[a b]}]" to map-based selector format'],
    ['replicaset without selector', {...deployment(undefined), kind: 'ReplicaSet'}, 'invalid replicaset: no selectors, therefore cannot be exposed'],
  ]
  for (const [title, obj, msg] of selectorErrors) it(title, () => assert.throws(() => mapBasedSelectorForObject(obj as UnstructuredObject), {message: msg}))

  it('selectors, ports and protocols of each kind', () => {
    assert.deepEqual(mapBasedSelectorForObject(deployment({matchLabels: {app: 'd'}})), {app: 'd'})
    assert.deepEqual(mapBasedSelectorForObject({kind: 'ReplicationController', spec: {selector: {a: 'b'}}} as UnstructuredObject), {a: 'b'})
    assert.deepEqual(portsForObject(pod({a: 'b'}, [{containerPort: 53, protocol: 'UDP'}, {containerPort: 53}, {containerPort: 80}])), ['53', '80'])
    assert.deepEqual([...protocolsForObject(pod({a: 'b'}, [{containerPort: 53, protocol: 'UDP'}, {containerPort: 53}])).entries()], [['53', ['UDP', 'TCP']]])
    assert.equal(formatRequirements([{key: 'a', operator: 'Exists'}]), '[{Key:a Operator:Exists Values:[]}]')
  })
})

describe('exposeService (kubectl expose_test.go cases)', () => {
  it('a multi-protocol service exposed without --port keeps each port\'s protocol', () => {
    const out = exposeService(svc([{port: 80}, {port: 8080, protocol: 'UDP'}, {port: 8081, protocol: 'UDP'}, {port: 8082, protocol: 'SCTP'}]), {})
    assert.deepEqual(out.spec?.ports, [
      {name: 'port-1', port: 80, protocol: 'TCP', targetPort: 80},
      {name: 'port-2', port: 8080, protocol: 'UDP', targetPort: 8080},
      {name: 'port-3', port: 8081, protocol: 'UDP', targetPort: 8081},
      {name: 'port-4', port: 8082, protocol: 'SCTP', targetPort: 8082},
    ])
    assert.equal(out.metadata.labels, undefined)
  })
  it('--port 53 on 53/TCP and 53/UDP makes port-1-tcp and port-1-udp', () => {
    const out = exposeService(pod({a: 'b'}, [{containerPort: 53}, {containerPort: 53, protocol: 'UDP'}]), {port: '53'})
    assert.deepEqual(out.spec?.ports?.map(p => `${p.name} ${p.port}/${p.protocol}`), ['port-1-tcp 53/TCP', 'port-1-udp 53/UDP'])
  })
  it('headless without ports is allowed; otherwise ports are required', () => {
    assert.equal(exposeService(pod({a: 'b'}, []), {clusterIP: 'None'}).spec?.ports, undefined)
    assert.throws(() => exposeService(pod({a: 'b'}, []), {}), {message: 'couldn\'t find port via --port flag or introspection'})
  })
  it('truncates the name to 63 characters', () => {
    const long = 'a-name-that-is-toooo-big-for-a-service-because-it-can-only-handle-63-characters'
    assert.equal(exposeService(pod({a: 'b'}, [{containerPort: 80}], long), {}).metadata.name, 'a-name-that-is-toooo-big-for-a-service-because-it-can-only-hand')
  })
  it('flags: target port, type, load balancer IP only for LoadBalancer, external IP, affinity', () => {
    const out = exposeService(deployment({matchLabels: {app: 'd'}}), {externalIP: '1.2.3.4', loadBalancerIP: '5.6.7.8', port: '80', protocol: 'UDP', sessionAffinity: 'ClientIP', sessionAffinityTimeout: 60, targetPort: 'http', type: 'NodePort'})
    assert.deepEqual(out, {
      apiVersion: 'v1', kind: 'Service', metadata: {labels: {team: 'a'}, name: 'd'},
      spec: {externalIPs: ['1.2.3.4'], ports: [{port: 80, protocol: 'UDP', targetPort: 'http'}], selector: {app: 'd'}, sessionAffinity: 'ClientIP', sessionAffinityConfig: {clientIP: {timeoutSeconds: 60}}, type: 'NodePort'},
      status: {loadBalancer: {}},
    })
  })
  const errors: Array<[string, ExposeFlags, string]> = [
    ['bad affinity', {sessionAffinity: 'x'}, 'unknown session affinity: x'],
    ['bad port', {port: 'abc'}, 'strconv.Atoi: parsing "abc": invalid syntax'],
    ['bad selector', {selector: 'a==b'}, 'unexpected label spec: a==b'],
    ['bad labels', {labels: '=b'}, 'unexpected empty label key'],
  ]
  for (const [title, flags, msg] of errors) it(title, () => assert.throws(() => exposeService(pod({a: 'b'}, [{containerPort: 80}]), flags), {message: msg}))

  it('parseExposeLabels and resource arguments', () => {
    assert.throws(() => parseExposeLabels(''), {message: 'no label spec passed'})
    assert.deepEqual(parseResourceArgs(['deploy/web']).resource.plural, 'deployments')
    assert.deepEqual(parseResourceArgs(['SVC', 'web']).name, 'web')
    // any type is looked up first; whether it can be exposed is decided on the object
    assert.equal(parseResourceArgs(['statefulset', 'x']).resource.plural, 'statefulsets')
    assert.equal(parseResourceArgs(['ing.networking.k8s.io/x']).resource.group, 'networking.k8s.io')
    assert.throws(() => parseResourceArgs(['nosuchtype', 'x']), {message: 'the server doesn\'t have a resource type "nosuchtype"'})
    assert.throws(() => checkExposable({apiVersion: 'apps/v1', kind: 'StatefulSet'}), {message: 'cannot expose a StatefulSet.apps'})
    assert.throws(() => checkExposable({apiVersion: 'v1', kind: 'ConfigMap'}), {message: 'cannot expose a ConfigMap'})
    assert.throws(() => checkExposable({apiVersion: 'networking.k8s.io/v1', kind: 'Ingress'}), {message: 'cannot expose a Ingress.networking.k8s.io'})
    for (const o of [{apiVersion: 'v1', kind: 'Pod'}, {apiVersion: 'apps/v1', kind: 'Deployment'}, {apiVersion: 'v1', kind: 'Service'}]) checkExposable(o)
    assert.throws(() => parseResourceArgs(['deployment']), {message: 'resource(s) were provided, but no name was specified'})
  })
  it('overrides: merge, strategic (ports by port number) and json patch', () => {
    const out = exposeService(pod({a: 'b'}, [{containerPort: 80}]), {})
    assert.equal(applyOverrides(out, '{"spec":{"type":"NodePort"}}', 'merge').spec?.type, 'NodePort')
    assert.deepEqual(applyOverrides(out, '{"spec":{"ports":[{"port":80,"name":"http"}]}}', 'strategic').spec?.ports, [{name: 'http', port: 80, protocol: 'TCP', targetPort: 80}])
    assert.deepEqual(applyOverrides(out, '[{"op":"replace","path":"/spec/ports/0/port","value":81}]', 'json').spec?.ports?.[0]?.port, 81)
  })
})
