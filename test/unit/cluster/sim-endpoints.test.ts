import assert from 'node:assert/strict'
import {test} from 'node:test'
import {desiredSliceContents, endpointSlicesFor, endpointsFor, findPort, isManagedService, shouldPodBeInEndpoints, triggerTime} from '../../cluster/sim/endpoints.ts'

interface PodOpts {
  ready?: boolean
  phase?: string
  ip?: string | null
  deleting?: boolean
  labels?: Record<string, string>
  ports?: any[]
  ns?: string
  hostname?: string
  subdomain?: string
}

function pod(name: string, o: PodOpts = {}): any {
  const ip = o.ip === undefined ? `10.244.0.${name.charCodeAt(name.length - 1) % 200 + 2}` : o.ip
  const status: any = {
    phase: o.phase ?? 'Running',
    conditions: [{type: 'Ready', status: o.ready === false ? 'False' : 'True', lastTransitionTime: '2026-01-01T00:00:10Z'}],
  }
  if (ip) {
    status.podIP = ip
    status.podIPs = [{ip}]
  }
  const metadata: any = {name, namespace: o.ns ?? 'default', uid: `uid-${name}`, labels: o.labels ?? {app: 'web'}, creationTimestamp: '2026-01-01T00:00:05Z'}
  if (o.deleting) metadata.deletionTimestamp = '2026-01-01T00:01:00Z'
  const spec: any = {nodeName: 'local-node', containers: [{name: 'c', image: 'nginx', ports: o.ports ?? [{name: 'http', containerPort: 8080}]}]}
  if (o.hostname) spec.hostname = o.hostname
  if (o.subdomain) spec.subdomain = o.subdomain
  return {metadata, spec, status}
}

function svc(spec: any = {}, meta: any = {}): any {
  return {
    metadata: {name: 'web', namespace: 'default', uid: 'svc-uid', labels: {app: 'web'}, creationTimestamp: '2026-01-01T00:00:00Z', ...meta},
    spec: {type: 'ClusterIP', clusterIP: '10.96.0.10', ipFamilies: ['IPv4'], selector: {app: 'web'}, ports: [{port: 80, targetPort: 8080, protocol: 'TCP'}], ...spec},
  }
}

const addr = (name: string, ip: string) => ({ip, nodeName: 'local-node', targetRef: {kind: 'Pod', namespace: 'default', name, uid: `uid-${name}`}})

test('isManagedService and shouldPodBeInEndpoints', () => {
  const cases: Array<[string, any, boolean]> = [
    ['selector', svc(), true],
    ['no selector', svc({selector: undefined}), false],
    ['empty selector', svc({selector: {}}), false],
    ['ExternalName', svc({type: 'ExternalName', externalName: 'x.example'}), false],
  ]
  for (const [name, s, want] of cases) assert.equal(isManagedService(s), want, name)
  const podCases: Array<[string, any, boolean, boolean]> = [
    ['running', pod('a'), false, true],
    ['not ready still counts', pod('a', {ready: false}), false, true],
    ['succeeded', pod('a', {phase: 'Succeeded'}), true, false],
    ['failed', pod('a', {phase: 'Failed'}), true, false],
    ['no IP', pod('a', {ip: null}), true, false],
    ['terminating excluded', pod('a', {deleting: true}), false, false],
    ['terminating tolerated', pod('a', {deleting: true}), true, true],
  ]
  for (const [name, p, tolerate, want] of podCases) assert.equal(shouldPodBeInEndpoints(p, tolerate), want, name)
})

test('findPort resolves int and named target ports per pod', () => {
  const p = pod('a', {ports: [{name: 'http', containerPort: 8080}, {name: 'dns', containerPort: 53, protocol: 'UDP'}]})
  const cases: Array<[any, number | undefined]> = [
    [{port: 80, targetPort: 9090}, 9090],
    [{port: 80}, 80],
    [{port: 80, targetPort: 'http'}, 8080],
    [{port: 80, targetPort: 'http', protocol: 'UDP'}, undefined],
    [{port: 53, targetPort: 'dns', protocol: 'UDP'}, 53],
    [{port: 80, targetPort: 'missing'}, undefined],
  ]
  for (const [sp, want] of cases) assert.equal(findPort(p, sp), want, JSON.stringify(sp))
  const sidecar = {spec: {containers: [], initContainers: [{name: 's', restartPolicy: 'Always', ports: [{name: 'metrics', containerPort: 9100}]}, {name: 'init', ports: [{name: 'other', containerPort: 1}]}]}}
  assert.equal(findPort(sidecar, {port: 1, targetPort: 'metrics'}), 9100)
  assert.equal(findPort(sidecar, {port: 1, targetPort: 'other'}), undefined)
})

test('endpointsFor: table of services and pods', () => {
  const cases: Array<{name: string; service: any; pods: any[]; subsets: any[] | undefined; labels?: Record<string, string>}> = [
    {
      name: 'ready and not ready pods',
      service: svc(),
      pods: [pod('b', {ip: '10.244.0.3'}), pod('a', {ip: '10.244.0.2'}), pod('c', {ip: '10.244.0.4', ready: false}), pod('x', {labels: {app: 'other'}})],
      subsets: [{addresses: [addr('a', '10.244.0.2'), addr('b', '10.244.0.3')], notReadyAddresses: [addr('c', '10.244.0.4')], ports: [{port: 8080, protocol: 'TCP'}]}],
    },
    {
      name: 'publishNotReadyAddresses puts every pod in addresses, even terminating ones',
      service: svc({publishNotReadyAddresses: true, ports: [{name: 'web', port: 80, targetPort: 8080, protocol: 'TCP', appProtocol: 'http'}]}),
      pods: [pod('a', {ip: '10.244.0.2', ready: false}), pod('b', {ip: '10.244.0.3', deleting: true})],
      subsets: [{addresses: [addr('a', '10.244.0.2'), addr('b', '10.244.0.3')], ports: [{name: 'web', port: 8080, protocol: 'TCP', appProtocol: 'http'}]}],
    },
    {
      name: 'terminal, IP-less and terminating pods are left out',
      service: svc(),
      pods: [pod('a', {phase: 'Succeeded'}), pod('b', {ip: null}), pod('c', {deleting: true}), pod('d', {phase: 'Failed'})],
      subsets: undefined,
    },
    {
      name: 'named targetPort resolved per pod; pods without it are skipped for that port',
      service: svc({ports: [{name: 'http', port: 80, targetPort: 'http', protocol: 'TCP'}, {name: 'admin', port: 9000, targetPort: 'admin', protocol: 'TCP'}]}),
      pods: [
        pod('a', {ip: '10.244.0.2', ports: [{name: 'http', containerPort: 8080}, {name: 'admin', containerPort: 9001}]}),
        pod('b', {ip: '10.244.0.3', ports: [{name: 'http', containerPort: 8081}]}),
        pod('c', {ip: '10.244.0.4', ports: [{name: 'nothing', containerPort: 1}]}),
      ],
      subsets: [
        {addresses: [addr('a', '10.244.0.2')], ports: [{name: 'admin', port: 9001, protocol: 'TCP'}, {name: 'http', port: 8080, protocol: 'TCP'}]},
        {addresses: [addr('b', '10.244.0.3')], ports: [{name: 'http', port: 8081, protocol: 'TCP'}]},
      ],
    },
    {
      name: 'headless without ports: addresses only, headless label',
      service: svc({clusterIP: 'None', ports: undefined}),
      pods: [pod('a', {ip: '10.244.0.2', hostname: 'a0', subdomain: 'web'})],
      subsets: [{addresses: [{...addr('a', '10.244.0.2'), hostname: 'a0'}]}],
      labels: {app: 'web', 'endpoints.kubernetes.io/managed-by': 'endpoint-controller', 'service.kubernetes.io/headless': ''},
    },
    {
      name: 'pods of other namespaces are ignored',
      service: svc(),
      pods: [pod('a', {ns: 'other'})],
      subsets: undefined,
    },
  ]
  for (const c of cases) {
    const ep = endpointsFor(c.service, c.pods)
    assert.ok(ep, c.name)
    assert.deepEqual(ep.subsets, c.subsets, c.name)
    assert.equal(ep.metadata.name, 'web')
    assert.deepEqual(ep.metadata.labels, c.labels ?? {app: 'web', 'endpoints.kubernetes.io/managed-by': 'endpoint-controller'}, c.name)
  }
  assert.equal(endpointsFor(svc({selector: undefined}), [pod('a')]), undefined)
  assert.equal(endpointsFor(svc({type: 'ExternalName', selector: {app: 'web'}}), [pod('a')]), undefined)
})

test('the trigger time is the latest service/pod change, in whole seconds', () => {
  assert.equal(triggerTime(svc(), [pod('a')]), '2026-01-01T00:00:10Z')
  assert.equal(triggerTime(svc(), []), '2026-01-01T00:00:00Z')
  assert.equal(endpointsFor(svc(), [pod('a')]).metadata.annotations['endpoints.kubernetes.io/last-change-trigger-time'], '2026-01-01T00:00:10Z')
})

test('desiredSliceContents: conditions, ports by name, grouping by port set', () => {
  const service = svc({ports: [{name: 'http', port: 80, targetPort: 'http', protocol: 'TCP'}]})
  const contents = desiredSliceContents(service, [
    pod('a', {ip: '10.244.0.2'}),
    pod('b', {ip: '10.244.0.3', ready: false}),
    pod('c', {ip: '10.244.0.4', deleting: true}),
    pod('d', {ip: '10.244.0.5', ports: [{name: 'http', containerPort: 9090}]}),
    pod('e', {ip: '10.244.0.6', ports: []}),
  ], {zoneOf: () => 'zone-a'})
  assert.equal(contents.length, 2)
  const [first, second] = contents
  assert.deepEqual(first.ports, [{name: 'http', port: 8080, protocol: 'TCP'}])
  assert.deepEqual(first.endpoints!.map((e) => [e.targetRef.name, e.conditions]), [
    ['a', {ready: true, serving: true, terminating: false}],
    ['b', {ready: false, serving: false, terminating: false}],
    ['c', {ready: false, serving: true, terminating: true}],
  ])
  assert.deepEqual(first.endpoints![0], {
    addresses: ['10.244.0.2'],
    conditions: {ready: true, serving: true, terminating: false},
    nodeName: 'local-node',
    targetRef: {kind: 'Pod', namespace: 'default', name: 'a', uid: 'uid-a'},
    zone: 'zone-a',
  })
  assert.deepEqual(second.ports, [{name: 'http', port: 9090, protocol: 'TCP'}])
  assert.deepEqual(second.endpoints!.map((e) => e.targetRef.name), ['d'])
  // publishNotReadyAddresses: ready even when not serving or terminating
  const pub = desiredSliceContents({...service, spec: {...service.spec, publishNotReadyAddresses: true}}, [pod('b', {ready: false}), pod('c', {deleting: true})])
  assert.deepEqual(pub[0].endpoints!.map((e) => e.conditions), [{ready: true, serving: false, terminating: false}, {ready: true, serving: true, terminating: true}])
  // more than 100 endpoints are split
  const many = Array.from({length: 150}, (_, i) => pod(`p${String(i).padStart(3, '0')}`, {ip: `10.244.1.${i}`}))
  assert.deepEqual(desiredSliceContents(svc(), many).map((c) => c.endpoints!.length), [100, 50])
})

test('endpointSlicesFor: create, keep, update in place, placeholder, delete extras', () => {
  const service = svc()
  // nothing selected: one placeholder slice with null ports and endpoints
  const empty = endpointSlicesFor(service, [], [])
  assert.equal(empty.create.length, 1)
  const placeholder = empty.create[0]
  assert.equal(placeholder.metadata.generateName, 'web-')
  assert.equal(placeholder.addressType, 'IPv4')
  assert.equal(placeholder.ports, null)
  assert.equal(placeholder.endpoints, null)
  assert.deepEqual(placeholder.metadata.labels, {app: 'web', 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io'})
  assert.deepEqual(placeholder.metadata.ownerReferences, [{apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'svc-uid', controller: true, blockOwnerDeletion: true}])

  const stored = {...placeholder, metadata: {...placeholder.metadata, name: 'web-abcde', uid: 's1', resourceVersion: '7'}}
  // unchanged: nothing to do
  assert.deepEqual(endpointSlicesFor(service, [], [stored]), {create: [], update: [], delete: []})
  // a pod appears: the placeholder is updated in place
  const withPod = endpointSlicesFor(service, [pod('a', {ip: '10.244.0.2'})], [stored])
  assert.equal(withPod.create.length + withPod.delete.length, 0)
  assert.equal(withPod.update.length, 1)
  assert.equal(withPod.update[0].metadata.name, 'web-abcde')
  assert.equal(withPod.update[0].metadata.resourceVersion, '7')
  assert.deepEqual(withPod.update[0].ports, [{name: '', port: 8080, protocol: 'TCP'}])
  assert.equal(withPod.update[0].endpoints.length, 1)
  // extra managed slices are deleted; foreign slices are left alone
  const extra = {...stored, metadata: {...stored.metadata, name: 'web-zzzzz', uid: 's2'}}
  const foreign = {...stored, metadata: {...stored.metadata, name: 'web-mine', uid: 's3', labels: {'kubernetes.io/service-name': 'web'}}}
  const plan = endpointSlicesFor(service, [], [stored, extra, foreign])
  assert.deepEqual(plan.delete.map((s) => s.metadata.name), ['web-zzzzz'])
  assert.equal(plan.update.length + plan.create.length, 0)
  // services without a selector and ExternalName: left alone
  assert.deepEqual(endpointSlicesFor(svc({selector: undefined}), [], [stored]), {create: [], update: [], delete: []})
})
