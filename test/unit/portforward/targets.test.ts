import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {
  activePodLess, bestPod, checkUdpInPod, checkUdpInService, containerPortByName, convertPodNamedPorts, labelSelectorString,
  parseTarget, type Pod, selectorForObject, type Service, translateServicePorts,
} from '../../../src/portforward/targets.ts'

function pod(name: string, extra: {
  created?: string
  deleting?: boolean
  node?: string
  phase?: string
  ready?: boolean
  readySince?: string
  restarts?: number
  ports?: {containerPort: number; name?: string; protocol?: string}[]
  initPorts?: {containerPort: number; name?: string}[]
} = {}): Pod {
  return {
    metadata: {
      creationTimestamp: extra.created ?? '2026-01-01T00:00:00Z',
      name,
      ...(extra.deleting ? {deletionTimestamp: '2026-01-02T00:00:00Z'} : {}),
    },
    spec: {
      containers: [{name: 'c', ports: extra.ports ?? []}],
      initContainers: extra.initPorts ? [{name: 'i', ports: extra.initPorts}] : [],
      nodeName: extra.node ?? 'node-1',
    },
    status: {
      conditions: [{lastTransitionTime: extra.readySince ?? '2026-01-01T00:00:10Z', status: extra.ready === false ? 'False' : 'True', type: 'Ready'}],
      containerStatuses: [{restartCount: extra.restarts ?? 0}],
      phase: extra.phase ?? 'Running',
    },
  }
}

function svc(ports: Service['spec'] extends infer S ? S extends {ports?: infer P} ? P : never : never, extra: Partial<NonNullable<Service['spec']>> = {}): Service {
  return {metadata: {name: 'web'}, spec: {clusterIP: '10.96.0.10', ports, selector: {app: 'web'}, ...extra}}
}

describe('parseTarget', () => {
  const cases: Array<[string, string, string, string]> = [
    ['mypod', 'pod', 'pods', 'mypod'],
    ['pod/mypod', 'pod', 'pods', 'mypod'],
    ['po/mypod', 'pod', 'pods', 'mypod'],
    ['pods/mypod', 'pod', 'pods', 'mypod'],
    ['svc/web', 'service', 'services', 'web'],
    ['service/web', 'service', 'services', 'web'],
    ['services/web', 'service', 'services', 'web'],
    ['Service/web', 'service', 'services', 'web'],
    ['deployment/web', 'deployment', 'deployments', 'web'],
    ['deploy/web', 'deployment', 'deployments', 'web'],
    ['deployments/web', 'deployment', 'deployments', 'web'],
    ['deployments.apps/web', 'deployment', 'deployments', 'web'],
    ['replicaset/web-1', 'replicaset', 'replicasets', 'web-1'],
    ['rs/web-1', 'replicaset', 'replicasets', 'web-1'],
    ['replicasets/web-1', 'replicaset', 'replicasets', 'web-1'],
  ]
  for (const [arg, kind, resource, name] of cases) {
    test(arg, () => {
      const ref = parseTarget(arg)
      assert.deepEqual([ref.kind, ref.resource, ref.name], [kind, resource, name])
    })
  }
  test('errors', () => {
    assert.throws(() => parseTarget('foo/bar'), {message: 'the server doesn\'t have a resource type "foo"'})
    assert.throws(() => parseTarget('svc/'), {message: 'arguments in resource/name form must have a single resource and name'})
    assert.throws(() => parseTarget('/x'), {message: 'arguments in resource/name form must have a single resource and name'})
    assert.throws(() => parseTarget('statefulset/db'), /not to statefulset/)
  })
})

describe('selectors', () => {
  test('a Service without a selector: kubectl text', () => {
    assert.throws(() => selectorForObject('service', {metadata: {name: 'ext'}, spec: {}}), {
      message: "cannot attach to *v1.Service: invalid service 'ext': Service is defined without a selector",
    })
  })
  test('label selector strings are sorted by key', () => {
    assert.equal(labelSelectorString({matchLabels: {tier: 'db', app: 'web'}}), 'app=web,tier=db')
    assert.equal(labelSelectorString({
      matchExpressions: [{key: 'env', operator: 'In', values: ['prod', 'dev']}, {key: 'canary', operator: 'DoesNotExist'}, {key: 'zone', operator: 'NotIn', values: ['b']}, {key: 'ha', operator: 'Exists'}],
      matchLabels: {app: 'web'},
    }), 'app=web,!canary,env in (dev,prod),ha,zone notin (b)')
    assert.throws(() => selectorForObject('deployment', {metadata: {name: 'd'}, spec: {selector: {matchExpressions: [{key: 'a', operator: 'Foo'}]}}}), /cannot attach to \*v1.Deployment: invalid label selector/)
  })
})

describe('choosing the pod (sort.Reverse(ActivePods))', () => {
  const cases: Array<[string, Pod[], string]> = [
    ['assigned beats unassigned', [pod('a', {node: ''}), pod('b')], 'b'],
    ['Running beats Pending', [pod('a', {phase: 'Pending'}), pod('b')], 'b'],
    ['Unknown beats Pending', [pod('a', {phase: 'Pending', ready: false}), pod('b', {phase: 'Unknown', ready: false})], 'b'],
    ['Running beats Unknown', [pod('a', {phase: 'Unknown'}), pod('b')], 'b'],
    ['ready beats not ready', [pod('a', {ready: false}), pod('b')], 'b'],
    ['not deleting beats deleting', [pod('a', {deleting: true}), pod('b')], 'b'],
    ['ready longer wins', [pod('a', {readySince: '2026-01-01T00:05:00Z'}), pod('b', {readySince: '2026-01-01T00:01:00Z'})], 'b'],
    ['fewer restarts win', [pod('a', {restarts: 3}), pod('b', {restarts: 1})], 'b'],
    ['older wins', [pod('a', {created: '2026-01-03T00:00:00Z'}), pod('b', {created: '2026-01-02T00:00:00Z'})], 'b'],
    ['Failed ranks with Pending, so readiness decides', [pod('a', {phase: 'Pending', ready: false}), pod('b', {phase: 'Failed'})], 'b'],
    ['Unknown beats Failed', [pod('a', {phase: 'Failed'}), pod('b', {phase: 'Unknown'})], 'b'],
    ['ties keep list order', [pod('a'), pod('b')], 'a'],
    ['node beats phase', [pod('a', {node: ''}), pod('b', {phase: 'Pending', ready: false})], 'b'],
  ]
  for (const [name, pods, expected] of cases) {
    test(name, () => {
      assert.equal(bestPod(pods)?.metadata.name, expected)
      assert.equal(bestPod([...pods].reverse())?.metadata.name, name === 'ties keep list order' ? 'b' : expected)
    })
  }
  test('activePodLess is irreflexive', () => {
    const p = pod('a')
    assert.equal(activePodLess(p, p), false)
  })
  test('no pods', () => assert.equal(bestPod([]), undefined))
})

describe('service port -> container port (translateServicePortToTargetPort)', () => {
  const web = pod('web-1', {ports: [{containerPort: 8080, name: 'http'}, {containerPort: 8443, name: 'https'}], initPorts: [{containerPort: 9000, name: 'init'}]})
  const service = svc([
    {name: 'http', port: 80, protocol: 'TCP', targetPort: 8080},
    {name: 'https', port: 443, protocol: 'TCP', targetPort: 'https'},
    {name: 'plain', port: 9090, protocol: 'TCP'},
    {name: 'zero', port: 7070, protocol: 'TCP', targetPort: 0},
    {name: 'byinit', port: 9001, protocol: 'TCP', targetPort: 'init'},
    {name: 'missing', port: 5000, protocol: 'TCP', targetPort: 'nope'},
  ])
  const cases: Array<[string, string]> = [
    ['80', '80:8080'],
    ['8080:80', '8080'],
    ['9999:80', '9999:8080'],
    [':80', ':8080'],
    ['0:80', '0:8080'],
    ['443', '443:8443'],
    ['http', '80:8080'],
    ['https', '443:8443'],
    ['5000:https', '5000:8443'],
    [':https', ':8443'],
    ['9090', '9090'],
    ['7070', '7070'],
    ['byinit', '9001:9000'],
  ]
  for (const [arg, spec] of cases) {
    test(`${arg} -> ${spec}`, () => {
      assert.equal(translateServicePorts([arg], service, web)[0].spec, spec)
    })
  }
  test('the service port is kept for the balancer', () => {
    assert.equal(translateServicePorts(['https'], service, web)[0].servicePort?.name, 'https')
  })
  test('headless services use the number as is', () => {
    const headless = svc([{name: 'http', port: 80, targetPort: 8080}], {clusterIP: 'None'})
    assert.equal(translateServicePorts(['80'], headless, web)[0].spec, '80')
    assert.equal(translateServicePorts(['8000:http'], headless, web)[0].spec, '8000:80')
  })
  const errors: Array<[string, string]> = [
    ['81', 'Service web does not have a service port 81'],
    ['grpc', "Service 'web' does not have a named port 'grpc'"],
    ['5000', "Pod 'web-1' does not have a named port 'nope'"],
  ]
  for (const [arg, message] of errors) {
    test(`error for ${arg}`, () => assert.throws(() => translateServicePorts([arg], service, web), {message}))
  }
  test('an unnamed service port matches an empty REMOTE, as in kubectl', () => {
    const single = svc([{port: 80, targetPort: 8080}])
    assert.equal(translateServicePorts(['9000:'], single, web)[0].spec, '9000:8080')
  })
})

describe('pod named ports (convertPodNamedPortToNumber)', () => {
  const web = pod('web-1', {ports: [{containerPort: 8080, name: 'http'}], initPorts: [{containerPort: 9000, name: 'init'}]})
  const cases: Array<[string, string]> = [
    ['80', '80'],
    ['8080:80', '8080:80'],
    ['http', '8080'],
    ['9000:http', '9000:8080'],
    [':http', ':8080'],
    ['init', '9000'],
  ]
  for (const [arg, spec] of cases) test(`${arg} -> ${spec}`, () => assert.equal(convertPodNamedPorts([arg], web)[0].spec, spec))
  test('errors', () => {
    assert.throws(() => convertPodNamedPorts(['8080:'], web), {message: 'remote port cannot be empty'})
    assert.throws(() => convertPodNamedPorts(['grpc'], web), {message: "Pod 'web-1' does not have a named port 'grpc'"})
    assert.throws(() => containerPortByName(web, 'x'), {message: "Pod 'web-1' does not have a named port 'x'"})
  })
})

describe('UDP refusal', () => {
  test('service: UDP-only ports are refused, TCP+UDP are not', () => {
    const s = svc([{name: 'dns', port: 53, protocol: 'UDP'}, {name: 'dnstcp', port: 53, protocol: 'TCP'}, {name: 'syslog', port: 514, protocol: 'UDP'}, {name: 'web', port: 80, protocol: 'TCP'}])
    assert.doesNotThrow(() => checkUdpInService(['53', '80', '8080:80', '9999'], s))
    assert.throws(() => checkUdpInService(['514'], s), {message: 'UDP protocol is not supported for 514'})
    assert.throws(() => checkUdpInService(['5140:syslog'], s), {message: 'UDP protocol is not supported for syslog'})
  })
  test('pod: UDP-only container ports are refused; undeclared ports are tried as TCP', () => {
    const p = pod('p', {ports: [{containerPort: 53, name: 'dns', protocol: 'UDP'}, {containerPort: 80, protocol: 'TCP'}]})
    assert.throws(() => checkUdpInPod(['53'], p), {message: 'UDP protocol is not supported for 53'})
    assert.throws(() => checkUdpInPod(['5353:dns'], p), {message: 'UDP protocol is not supported for dns'})
    assert.doesNotThrow(() => checkUdpInPod(['80', '81'], p))
  })
})
