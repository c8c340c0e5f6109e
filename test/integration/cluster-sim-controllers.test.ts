// The simulation on cluster-core's Store: Deployment -> ReplicaSet -> Pods, scaling, rollout,
// cascading deletion, Endpoints/EndpointSlices following pods, events.

import assert from 'node:assert/strict'
import {test} from 'node:test'
import type {TestContext} from 'node:test'
import {Store} from '../cluster/store.ts'
import {startSimulation} from '../cluster/sim/index.ts'
import {podTemplateHash} from '../cluster/sim/hash.ts'

function setup(t: TestContext) {
  const store = new Store()
  const errors: unknown[] = []
  const sim = startSimulation(store, {onError: (e) => errors.push(e)})
  t.after(async () => {
    await sim.stop()
    assert.deepEqual(errors, [])
  })
  return {store, sim}
}

function deployment(name: string, replicas: number, extra: {annotations?: Record<string, string>; image?: string; ports?: any[]} = {}): any {
  const template: any = {metadata: {labels: {app: name}}, spec: {containers: [{name: 'app', image: extra.image ?? 'nginx:1.27', ports: extra.ports ?? [{name: 'http', containerPort: 8080}]}]}}
  if (extra.annotations) template.metadata.annotations = extra.annotations
  return {apiVersion: 'apps/v1', kind: 'Deployment', metadata: {name, namespace: 'default'}, spec: {replicas, selector: {matchLabels: {app: name}}, template}}
}

function service(name: string, spec: any = {}): any {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {name, namespace: 'default', labels: {app: name}},
    spec: {type: 'ClusterIP', clusterIP: '10.96.0.20', clusterIPs: ['10.96.0.20'], ipFamilies: ['IPv4'], selector: {app: name}, ports: [{name: 'web', port: 80, targetPort: 'http', protocol: 'TCP'}], ...spec},
  }
}

function barePod(name: string, labels: Record<string, string>, annotations: Record<string, string> = {}, ports: any[] = [{name: 'http', containerPort: 8080}]): any {
  return {apiVersion: 'v1', kind: 'Pod', metadata: {name, namespace: 'default', labels, annotations}, spec: {containers: [{name: 'app', image: 'nginx', ports}]}}
}

const podsOf = (store: Store, prefix: string) => store.list('pods', 'default').filter((p) => p.metadata.name.startsWith(prefix))
const eventLines = (store: Store, kind: string, name?: string) =>
  store.list('events', 'default').filter((e) => e.involvedObject.kind === kind && (name == null || e.involvedObject.name === name)).map((e) => `${e.reason}: ${e.message}`)

function setReady(store: Store, name: string, ready: boolean): void {
  const pod = store.get('pods', 'default', name)
  pod.status.conditions = pod.status.conditions.map((c: any) => (c.type === 'Ready' ? {...c, status: ready ? 'True' : 'False'} : c))
  store.update('pods', pod)
}

test('a Deployment makes a ReplicaSet and running pods, with status and events', async (t) => {
  const {store, sim} = setup(t)
  const d = store.create('apps/deployments', deployment('web', 3))
  await sim.idle()
  const hash = podTemplateHash(d.spec.template)
  const rsList = store.list('apps/replicasets', 'default')
  assert.deepEqual(rsList.map((r) => r.metadata.name), [`web-${hash}`])
  const rs = rsList[0]
  assert.equal(rs.metadata.labels['pod-template-hash'], hash)
  assert.deepEqual(rs.metadata.ownerReferences, [{apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: d.metadata.uid, controller: true, blockOwnerDeletion: true}])
  assert.equal(rs.metadata.annotations['deployment.kubernetes.io/revision'], '1')
  assert.deepEqual(rs.status, {replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 3, availableReplicas: 3, observedGeneration: 1})

  const pods = podsOf(store, `web-${hash}-`)
  assert.equal(pods.length, 3)
  const ips = new Set<string>()
  for (const p of pods) {
    assert.match(p.metadata.name, new RegExp(`^web-${hash}-[bcdfghjklmnpqrstvwxz2456789]{5}$`))
    assert.equal(p.metadata.generateName, `web-${hash}-`)
    assert.deepEqual(p.metadata.labels, {app: 'web', 'pod-template-hash': hash})
    assert.equal(p.metadata.ownerReferences[0].uid, rs.metadata.uid)
    assert.equal(p.spec.nodeName, 'local-node')
    assert.equal(p.status.phase, 'Running')
    assert.match(p.status.podIP, /^10\.244\.\d+\.\d+$/)
    ips.add(p.status.podIP)
    assert.equal(p.status.containerStatuses[0].ready, true)
    assert.match(p.status.containerStatuses[0].containerID, /^containerd:\/\/[0-9a-f]{64}$/)
    assert.equal(p.status.conditions.find((c: any) => c.type === 'Ready').status, 'True')
    assert.deepEqual(eventLines(store, 'Pod', p.metadata.name), [
      `Scheduled: Successfully assigned default/${p.metadata.name} to local-node`,
      'Pulled: Container image "nginx:1.27" already present on machine and can be accessed by the pod',
      'Created: Container created',
      'Started: Container started',
    ])
  }
  assert.equal(ips.size, 3)

  const dep = store.get('apps/deployments', 'default', 'web')
  assert.equal(dep.metadata.annotations['deployment.kubernetes.io/revision'], '1')
  assert.equal(dep.status.observedGeneration, 1)
  assert.equal(dep.status.replicas, 3)
  assert.equal(dep.status.updatedReplicas, 3)
  assert.equal(dep.status.readyReplicas, 3)
  assert.equal(dep.status.availableReplicas, 3)
  assert.deepEqual(dep.status.conditions.map((c: any) => `${c.type}=${c.status} ${c.reason}`), ['Available=True MinimumReplicasAvailable', 'Progressing=True NewReplicaSetAvailable'])
  assert.deepEqual(eventLines(store, 'Deployment', 'web'), [`ScalingReplicaSet: Scaled up replica set web-${hash} from 0 to 3`])
  assert.deepEqual(eventLines(store, 'ReplicaSet').sort(), pods.map((p) => `SuccessfulCreate: Created pod: ${p.metadata.name}`).sort())
})

test('scaling up and down, then a template change rolls out a new ReplicaSet', async (t) => {
  const {store, sim} = setup(t)
  store.create('apps/deployments', deployment('api', 2))
  await sim.idle()
  const [rs1] = store.list('apps/replicasets', 'default')
  const scale = (n: number) => {
    const d = store.get('apps/deployments', 'default', 'api')
    d.spec.replicas = n
    store.update('apps/deployments', d)
  }
  scale(5)
  await sim.idle()
  assert.equal(podsOf(store, 'api-').length, 5)
  assert.equal(store.get('apps/deployments', 'default', 'api').status.availableReplicas, 5)
  scale(1)
  await sim.idle()
  assert.equal(podsOf(store, 'api-').length, 1)
  const events = eventLines(store, 'Deployment', 'api')
  assert.ok(events.includes(`ScalingReplicaSet: Scaled up replica set ${rs1.metadata.name} from 2 to 5`), events.join('\n'))
  assert.ok(events.includes(`ScalingReplicaSet: Scaled down replica set ${rs1.metadata.name} from 5 to 1`), events.join('\n'))
  assert.equal(eventLines(store, 'ReplicaSet', rs1.metadata.name).filter((e) => e.startsWith('SuccessfulDelete: Deleted pod: ')).length, 4)
  const dep1 = store.get('apps/deployments', 'default', 'api')
  assert.equal(dep1.status.observedGeneration, dep1.metadata.generation)
  assert.equal(dep1.status.replicas, 1)

  // template change
  scale(3)
  await sim.idle()
  const d = store.get('apps/deployments', 'default', 'api')
  d.spec.template.spec.containers[0].image = 'nginx:1.28'
  store.update('apps/deployments', d)
  await sim.idle()
  const all = store.list('apps/replicasets', 'default')
  assert.equal(all.length, 2)
  const rs2 = all.find((r) => r.metadata.uid !== rs1.metadata.uid)!
  assert.equal(rs2.metadata.name, `api-${podTemplateHash(d.spec.template)}`)
  assert.equal(rs2.metadata.annotations['deployment.kubernetes.io/revision'], '2')
  assert.equal(store.get('apps/replicasets', 'default', rs1.metadata.name).spec.replicas, 0)
  assert.equal(rs2.spec.replicas, 3)
  const pods = podsOf(store, 'api-')
  assert.equal(pods.length, 3)
  for (const p of pods) assert.equal(p.spec.containers[0].image, 'nginx:1.28')
  const dep2 = store.get('apps/deployments', 'default', 'api')
  assert.equal(dep2.metadata.annotations['deployment.kubernetes.io/revision'], '2')
  assert.equal(dep2.status.updatedReplicas, 3)
  assert.equal(dep2.status.conditions.find((c: any) => c.type === 'Progressing').message, `ReplicaSet "${rs2.metadata.name}" has successfully progressed.`)
  assert.ok(eventLines(store, 'Deployment', 'api').some((e) => e.startsWith(`ScalingReplicaSet: Scaled down replica set ${rs1.metadata.name} from `) && e.endsWith(' to 0')))

  // rollback to the first template: its ReplicaSet comes back as revision 3
  const back = store.get('apps/deployments', 'default', 'api')
  back.spec.template.spec.containers[0].image = 'nginx:1.27'
  store.update('apps/deployments', back)
  await sim.idle()
  const again = store.get('apps/replicasets', 'default', rs1.metadata.name)
  assert.equal(again.metadata.annotations['deployment.kubernetes.io/revision'], '3')
  assert.equal(again.metadata.annotations['deployment.kubernetes.io/revision-history'], '1')
  assert.equal(again.spec.replicas, 3)
  assert.equal(store.get('apps/replicasets', 'default', rs2.metadata.name).spec.replicas, 0)
  assert.equal(store.get('apps/deployments', 'default', 'api').metadata.annotations['deployment.kubernetes.io/revision'], '3')
  assert.equal(store.list('apps/replicasets', 'default').length, 2)
})

test('a rollout to pods that never become ready keeps the old pods serving', async (t) => {
  const {store, sim} = setup(t)
  store.create('apps/deployments', deployment('slow', 4))
  await sim.idle()
  const d = store.get('apps/deployments', 'default', 'slow')
  d.spec.template.metadata.annotations = {'sim.svc.local/ready': 'false'}
  store.update('apps/deployments', d)
  await sim.idle()
  const rss = store.list('apps/replicasets', 'default')
  const oldRS = rss.find((r) => r.metadata.annotations['deployment.kubernetes.io/revision'] === '1')!
  const newRS = rss.find((r) => r.metadata.annotations['deployment.kubernetes.io/revision'] === '2')!
  // maxSurge 1, maxUnavailable 1: one old pod goes, two new (unready) pods exist, no further progress
  assert.equal(oldRS.spec.replicas, 3)
  assert.equal(newRS.spec.replicas, 2)
  const dep = store.get('apps/deployments', 'default', 'slow')
  assert.equal(dep.status.availableReplicas, 3)
  assert.equal(dep.status.unavailableReplicas, 1)
  assert.equal(dep.status.conditions.find((c: any) => c.type === 'Available').status, 'True')
  assert.equal(dep.status.conditions.find((c: any) => c.type === 'Progressing').reason, 'ReplicaSetUpdated')
})

test('deleting a Deployment collects its ReplicaSets and pods in the background', async (t) => {
  const {store, sim} = setup(t)
  store.create('apps/deployments', deployment('gone', 2))
  await sim.idle()
  const pod = podsOf(store, 'gone-')[0]
  const socket = await sim.dialPod('default', pod.metadata.name, 8080)
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  socket.resume()
  store.delete('apps/deployments', 'default', 'gone')
  await sim.idle()
  assert.deepEqual(store.list('apps/replicasets', 'default'), [])
  assert.deepEqual(podsOf(store, 'gone-'), [])
  await closed
  assert.equal(sim.containerConnections(), 0)
  assert.ok(eventLines(store, 'Pod', pod.metadata.name).includes('Killing: Stopping container app'))
})

test('Endpoints and EndpointSlices follow readiness changes made through pod status', async (t) => {
  const {store, sim} = setup(t)
  store.create('services', service('web'))
  store.create('pods', barePod('web-a', {app: 'web'}))
  store.create('pods', barePod('web-b', {app: 'web'}))
  await sim.idle()
  const ipA = store.get('pods', 'default', 'web-a').status.podIP
  const ipB = store.get('pods', 'default', 'web-b').status.podIP
  const ep = () => store.get('endpoints', 'default', 'web')
  const slices = () => store.list('discovery.k8s.io/endpointslices', 'default').filter((s) => s.metadata.labels['kubernetes.io/service-name'] === 'web')
  assert.deepEqual(ep().subsets[0].addresses.map((a: any) => a.ip).sort(), [ipA, ipB].sort())
  assert.deepEqual(ep().subsets[0].ports, [{name: 'web', port: 8080, protocol: 'TCP'}])
  assert.equal(ep().metadata.labels['endpoints.kubernetes.io/managed-by'], 'endpoint-controller')
  assert.equal(slices().length, 1)
  const sliceName = slices()[0].metadata.name
  assert.match(sliceName, /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/)
  assert.deepEqual(slices()[0].ports, [{name: 'web', port: 8080, protocol: 'TCP'}])

  setReady(store, 'web-a', false)
  await sim.idle()
  assert.deepEqual(ep().subsets[0].addresses.map((a: any) => a.ip), [ipB])
  assert.deepEqual(ep().subsets[0].notReadyAddresses.map((a: any) => a.ip), [ipA])
  const byPod = Object.fromEntries(slices()[0].endpoints.map((e: any) => [e.targetRef.name, e.conditions]))
  assert.deepEqual(byPod, {'web-a': {ready: false, serving: false, terminating: false}, 'web-b': {ready: true, serving: true, terminating: false}})
  assert.equal(slices()[0].metadata.name, sliceName)

  setReady(store, 'web-a', true)
  await sim.idle()
  assert.equal(ep().subsets[0].notReadyAddresses, undefined)
  assert.equal(ep().subsets[0].addresses.length, 2)
  // the simulation leaves patched conditions alone
  assert.equal(store.get('pods', 'default', 'web-a').status.conditions.find((c: any) => c.type === 'Ready').status, 'True')

  // deleting the service removes its Endpoints and slices
  store.delete('services', 'default', 'web')
  await sim.idle()
  assert.equal(ep(), undefined)
  assert.deepEqual(slices(), [])
})

test('publishNotReadyAddresses, named targetPorts, placeholder slice, selector-less and ExternalName services', async (t) => {
  const {store, sim} = setup(t)
  // a pod that never becomes ready
  store.create('pods', barePod('slow-a', {app: 'slow'}, {'sim.svc.local/ready': 'false'}))
  store.create('services', service('slow', {publishNotReadyAddresses: true}))
  store.create('services', service('strict', {selector: {app: 'slow'}}))
  await sim.idle()
  const slowPod = store.get('pods', 'default', 'slow-a')
  assert.equal(slowPod.status.conditions.find((c: any) => c.type === 'Ready').message, 'containers with unready status: [app]')
  assert.equal(store.get('endpoints', 'default', 'slow').subsets[0].addresses[0].ip, slowPod.status.podIP)
  assert.equal(store.get('endpoints', 'default', 'strict').subsets[0].notReadyAddresses[0].ip, slowPod.status.podIP)
  const slowSlice = store.list('discovery.k8s.io/endpointslices', 'default').find((s) => s.metadata.labels['kubernetes.io/service-name'] === 'slow')
  assert.deepEqual(slowSlice.endpoints[0].conditions, {ready: true, serving: false, terminating: false})

  // named target port resolved per pod; a pod without the name is skipped
  store.create('services', service('multi'))
  store.create('pods', barePod('multi-a', {app: 'multi'}, {}, [{name: 'http', containerPort: 8080}]))
  store.create('pods', barePod('multi-b', {app: 'multi'}, {}, [{name: 'http', containerPort: 9090}]))
  store.create('pods', barePod('multi-c', {app: 'multi'}, {}, [{name: 'metrics', containerPort: 9100}]))
  await sim.idle()
  const multi = store.list('discovery.k8s.io/endpointslices', 'default').filter((s) => s.metadata.labels['kubernetes.io/service-name'] === 'multi')
  assert.deepEqual(multi.map((s) => [s.ports[0].port, s.endpoints.map((e: any) => e.targetRef.name)]).sort(), [[8080, ['multi-a']], [9090, ['multi-b']]])
  assert.deepEqual(store.get('endpoints', 'default', 'multi').subsets.map((s: any) => s.ports[0].port).sort(), [8080, 9090])

  // selector that matches nothing: one placeholder slice, an Endpoints without subsets
  store.create('services', service('empty'))
  await sim.idle()
  const placeholder = () => store.list('discovery.k8s.io/endpointslices', 'default').filter((s) => s.metadata.labels['kubernetes.io/service-name'] === 'empty')
  assert.equal(placeholder().length, 1)
  const name = placeholder()[0].metadata.name
  assert.equal(placeholder()[0].endpoints, null)
  assert.equal(placeholder()[0].ports, null)
  assert.equal(placeholder()[0].addressType, 'IPv4')
  assert.equal(store.get('endpoints', 'default', 'empty').subsets, undefined)
  store.create('pods', barePod('empty-a', {app: 'empty'}))
  await sim.idle()
  assert.deepEqual(placeholder().map((s) => [s.metadata.name, s.endpoints.length]), [[name, 1]])
  store.delete('pods', 'default', 'empty-a')
  await sim.idle()
  assert.deepEqual(placeholder().map((s) => [s.metadata.name, s.endpoints, s.ports]), [[name, null, null]])

  // no selector / ExternalName: no controller-managed objects
  store.create('services', service('manual', {selector: undefined}))
  store.create('services', service('ext', {type: 'ExternalName', externalName: 'example.com', clusterIP: undefined, selector: {app: 'slow'}}))
  await sim.idle()
  for (const svc of ['manual', 'ext']) {
    assert.equal(store.get('endpoints', 'default', svc), undefined, svc)
    assert.deepEqual(store.list('discovery.k8s.io/endpointslices', 'default').filter((s) => s.metadata.labels['kubernetes.io/service-name'] === svc), [], svc)
  }
  // no events for services in a cluster without a cloud provider
  assert.deepEqual(eventLines(store, 'Service'), [])
})

test('sim.svc.local/phase: Pending pods get no IP and no endpoints until they run', async (t) => {
  const {store, sim} = setup(t)
  store.create('services', service('p'))
  store.create('pods', barePod('p-a', {app: 'p'}, {'sim.svc.local/phase': 'Pending'}))
  await sim.idle()
  let pod = store.get('pods', 'default', 'p-a')
  assert.equal(pod.status.phase, 'Pending')
  assert.equal(pod.status.podIP, undefined)
  assert.deepEqual(pod.status.containerStatuses[0].state, {waiting: {reason: 'ContainerCreating'}})
  assert.equal(store.get('endpoints', 'default', 'p').subsets, undefined)
  assert.deepEqual(eventLines(store, 'Pod', 'p-a'), ['Scheduled: Successfully assigned default/p-a to local-node'])
  await assert.rejects(sim.dialPod('default', 'p-a', 8080), /not running/)

  pod.metadata.annotations['sim.svc.local/phase'] = 'Running'
  store.update('pods', pod)
  await sim.idle()
  pod = store.get('pods', 'default', 'p-a')
  assert.equal(pod.status.phase, 'Running')
  assert.match(pod.status.podIP, /^10\.244\./)
  assert.equal(store.get('endpoints', 'default', 'p').subsets[0].addresses[0].ip, pod.status.podIP)

  pod.metadata.annotations['sim.svc.local/phase'] = 'Succeeded'
  store.update('pods', pod)
  await sim.idle()
  assert.equal(store.get('pods', 'default', 'p-a').status.phase, 'Succeeded')
  assert.equal(store.get('endpoints', 'default', 'p').subsets, undefined)
})

test('with garbageCollector: false, dependents are left to the API server', async (t) => {
  const store = new Store()
  const sim = startSimulation(store, {garbageCollector: false})
  t.after(() => sim.stop())
  store.create('apps/deployments', deployment('keep', 1))
  await sim.idle()
  store.delete('apps/deployments', 'default', 'keep')
  await sim.idle()
  assert.equal(store.list('apps/replicasets', 'default').length, 1)
  assert.equal(podsOf(store, 'keep-').length, 1)
})

test('one simulation per store', async (t) => {
  const store = new Store()
  const a = startSimulation(store)
  t.after(() => a.stop())
  assert.equal(startSimulation(store), a)
  await a.stop()
  const b = startSimulation(store)
  t.after(() => b.stop())
  assert.notEqual(b, a)
})

test('a bare ReplicaSet keeps its replica count, replacing deleted pods', async (t) => {
  const {store, sim} = setup(t)
  store.create('apps/replicasets', {
    apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: {name: 'bare', namespace: 'default'},
    spec: {replicas: 2, selector: {matchLabels: {app: 'bare'}}, template: {metadata: {labels: {app: 'bare'}}, spec: {containers: [{name: 'c', image: 'busybox'}]}}},
  })
  await sim.idle()
  const first = podsOf(store, 'bare-').map((p) => p.metadata.name)
  assert.equal(first.length, 2)
  store.delete('pods', 'default', first[0])
  await sim.idle()
  const now = podsOf(store, 'bare-').map((p) => p.metadata.name)
  assert.equal(now.length, 2)
  assert.ok(!now.includes(first[0]))
  assert.deepEqual(store.get('apps/replicasets', 'default', 'bare').status, {replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 2, observedGeneration: 1})
})

test('Recreate: the old pods go before the new ones come', async (t) => {
  const {store, sim} = setup(t)
  const d = deployment('rec', 2)
  d.spec.strategy = {type: 'Recreate'}
  store.create('apps/deployments', d)
  await sim.idle()
  const seen: string[] = []
  const unsubscribe = store.subscribe((e) => {
    if (e.resource === 'pods' && e.type !== 'MODIFIED') seen.push(`${e.type} ${e.object.spec.containers[0].image}`)
  })
  t.after(unsubscribe)
  const cur = store.get('apps/deployments', 'default', 'rec')
  cur.spec.template.spec.containers[0].image = 'nginx:2'
  store.update('apps/deployments', cur)
  await sim.idle()
  assert.deepEqual(seen, ['DELETED nginx:1.27', 'DELETED nginx:1.27', 'ADDED nginx:2', 'ADDED nginx:2'])
  assert.equal(store.get('apps/deployments', 'default', 'rec').status.updatedReplicas, 2)
})

test('a pod spec update is acknowledged in status.observedGeneration', async (t) => {
  const {store, sim} = setup(t)
  store.create('pods', barePod('gen', {app: 'gen'}))
  await sim.idle()
  const pod = store.get('pods', 'default', 'gen')
  assert.equal(pod.status.observedGeneration, pod.metadata.generation)
  pod.spec.containers[0].image = 'nginx:2'
  const updated = store.update('pods', pod)
  assert.equal(updated.metadata.generation, pod.metadata.generation + 1)
  await sim.idle()
  assert.equal(store.get('pods', 'default', 'gen').status.observedGeneration, updated.metadata.generation)
})
