import assert from 'node:assert/strict'
import {test} from 'node:test'
import {podTemplateHash} from '../../cluster/sim/hash.ts'
import {
  deploymentStatus, equalIgnoreHash, isPodAvailable, newReplicaSetFor, podFromTemplate, podsToDelete, replicaSetStatus,
  resolveFenceposts, rolloutSteps, scaledValue,
} from '../../cluster/sim/workloads.ts'

const now = new Date('2026-01-01T00:10:00Z')

function deployment(spec: any = {}): any {
  return {
    metadata: {name: 'web', namespace: 'default', uid: 'd-uid', generation: 3, annotations: {note: 'x', 'kubectl.kubernetes.io/last-applied-configuration': '{}', 'deployment.kubernetes.io/revision': '4'}},
    spec: {replicas: 4, selector: {matchLabels: {app: 'web'}}, template: {metadata: {labels: {app: 'web'}}, spec: {containers: [{name: 'c', image: 'nginx'}]}}, ...spec},
  }
}

function rs(name: string, replicas: number, available: number, created = '2026-01-01T00:00:00Z'): any {
  return {metadata: {name, uid: `uid-${name}`, creationTimestamp: created}, spec: {replicas}, status: {replicas, availableReplicas: available, readyReplicas: available}}
}

test('scaledValue and resolveFenceposts', () => {
  assert.equal(scaledValue('25%', 10, true), 3)
  assert.equal(scaledValue('25%', 10, false), 2)
  assert.equal(scaledValue(2, 10, false), 2)
  assert.equal(scaledValue('3', 10, false), 3)
  const cases: Array<[any, {maxSurge: number; maxUnavailable: number}]> = [
    [{replicas: 4}, {maxSurge: 1, maxUnavailable: 1}],
    [{replicas: 1}, {maxSurge: 1, maxUnavailable: 0}],
    [{replicas: 10, strategy: {type: 'RollingUpdate', rollingUpdate: {maxSurge: 0, maxUnavailable: 0}}}, {maxSurge: 0, maxUnavailable: 1}],
    [{replicas: 3, strategy: {type: 'Recreate'}}, {maxSurge: 0, maxUnavailable: 3}],
  ]
  for (const [spec, want] of cases) assert.deepEqual(resolveFenceposts(deployment(spec)), want, JSON.stringify(spec))
})

test('newReplicaSetFor: name, hash label, selector, annotations, owner', () => {
  const d = deployment()
  const hash = podTemplateHash(d.spec.template)
  const r = newReplicaSetFor(d, 4, 5)
  assert.equal(r.metadata.name, `web-${hash}`)
  assert.deepEqual(r.metadata.labels, {app: 'web', 'pod-template-hash': hash})
  assert.deepEqual(r.spec.selector, {matchLabels: {app: 'web', 'pod-template-hash': hash}})
  assert.deepEqual(r.spec.template.metadata.labels, {app: 'web', 'pod-template-hash': hash})
  assert.deepEqual(r.metadata.annotations, {
    note: 'x',
    'deployment.kubernetes.io/desired-replicas': '4',
    'deployment.kubernetes.io/max-replicas': '5',
    'deployment.kubernetes.io/revision': '5',
  })
  assert.deepEqual(r.metadata.ownerReferences, [{apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd-uid', controller: true, blockOwnerDeletion: true}])
  assert.equal(r.spec.replicas, 4)
  assert.ok(equalIgnoreHash(r.spec.template, d.spec.template))
  assert.ok(!equalIgnoreHash(r.spec.template, deployment({template: {metadata: {labels: {app: 'web'}}, spec: {containers: [{name: 'c', image: 'nginx:2'}]}}}).spec.template))
  assert.equal(newReplicaSetFor(d, 4, 5, 2).metadata.name, `web-${podTemplateHash(d.spec.template, 2)}`)
})

test('podFromTemplate', () => {
  const r = {metadata: {name: 'web-abc', namespace: 'ns', uid: 'rs-uid'}, spec: {template: {metadata: {labels: {app: 'web'}, annotations: {'sim.svc.local/ready': 'false'}}, spec: {containers: [{name: 'c', image: 'nginx'}]}}}}
  assert.deepEqual(podFromTemplate(r, 'web-abc-xyz12'), {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web-abc-xyz12',
      generateName: 'web-abc-',
      namespace: 'ns',
      labels: {app: 'web'},
      annotations: {'sim.svc.local/ready': 'false'},
      ownerReferences: [{apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'rs-uid', controller: true, blockOwnerDeletion: true}],
    },
    spec: {containers: [{name: 'c', image: 'nginx'}]},
  })
})

function pod(name: string, o: {ready?: boolean; phase?: string; node?: boolean; created?: string; readySince?: string} = {}): any {
  return {
    metadata: {name, labels: {app: 'web', h: '1'}, creationTimestamp: o.created ?? '2026-01-01T00:00:00Z'},
    spec: o.node === false ? {} : {nodeName: 'n'},
    status: {phase: o.phase ?? 'Running', conditions: [{type: 'Ready', status: o.ready === false ? 'False' : 'True', lastTransitionTime: o.readySince ?? '2026-01-01T00:00:00Z'}]},
  }
}

test('replicaSetStatus counts and omits zeroes; minReadySeconds gates availability', () => {
  const r = {metadata: {generation: 2}, spec: {replicas: 3, selector: {matchLabels: {app: 'web'}}, template: {metadata: {labels: {app: 'web', h: '1'}}}}}
  assert.deepEqual(replicaSetStatus(r, [pod('a'), pod('b', {ready: false}), pod('c', {phase: 'Failed'})], now), {replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 1, availableReplicas: 1, observedGeneration: 2})
  assert.deepEqual(replicaSetStatus({...r, spec: {...r.spec, replicas: 0}}, [], now), {replicas: 0, observedGeneration: 2})
  assert.equal(isPodAvailable(pod('a', {readySince: '2026-01-01T00:09:55Z'}), 10, now), false)
  assert.equal(isPodAvailable(pod('a', {readySince: '2026-01-01T00:09:50Z'}), 10, now), true)
  assert.equal(isPodAvailable(pod('a', {ready: false}), 0, now), false)
})

test('podsToDelete prefers unscheduled, pending, not ready, then newest', () => {
  const pods = [
    pod('old-ready', {created: '2026-01-01T00:00:00Z'}),
    pod('new-ready', {created: '2026-01-01T00:05:00Z'}),
    pod('not-ready', {ready: false}),
    pod('pending', {phase: 'Pending', ready: false}),
    pod('unscheduled', {node: false, phase: 'Pending', ready: false}),
  ]
  assert.deepEqual(podsToDelete(pods, 5).map((p) => p.metadata.name), ['unscheduled', 'pending', 'not-ready', 'new-ready', 'old-ready'])
  assert.deepEqual(podsToDelete(pods, 0), [])
})

test('rolloutSteps: scaling, rolling update within surge/unavailable, Recreate', () => {
  const d = deployment() // replicas 4, surge 1, unavailable 1
  const steps = (newRS: any, olds: any[], oldPods = 0, dep = d) => rolloutSteps(dep, newRS, olds, oldPods).map((s) => [s.rs.metadata.name, s.to])
  assert.deepEqual(steps(rs('new', 2, 2), []), [['new', 4]], 'scale up')
  assert.deepEqual(steps(rs('new', 6, 6), []), [['new', 4]], 'scale down')
  assert.deepEqual(steps(rs('new', 4, 4), [rs('old', 0, 0)]), [], 'settled')
  // start of a rollout: new RS may surge to 1, old may lose 1 (availability 4 -> 3)
  assert.deepEqual(steps(rs('new', 0, 0), [rs('old', 4, 4)]), [['new', 1], ['old', 3]])
  // new pod not available yet: no further scale down
  assert.deepEqual(steps(rs('new', 2, 0), [rs('old', 3, 3)]), [])
  // new pods available: old goes down
  assert.deepEqual(steps(rs('new', 2, 2), [rs('old', 3, 3)]), [['old', 1]])
  // unavailable old replicas are removed first, within the budget (5 pods - 3 min available - 1 new unavailable)
  assert.deepEqual(steps(rs('new', 1, 0), [rs('old', 4, 2)]), [['old', 3]])
  const recreate = deployment({strategy: {type: 'Recreate'}})
  assert.deepEqual(steps(rs('new', 0, 0), [rs('old', 4, 4)], 4, recreate), [['old', 0]])
  assert.deepEqual(steps(rs('new', 0, 0), [rs('old', 0, 0)], 2, recreate), [], 'waits for old pods to go')
  assert.deepEqual(steps(rs('new', 0, 0), [rs('old', 0, 0)], 0, recreate), [['new', 4]])
})

test('deploymentStatus: counts and conditions with real reasons and messages', () => {
  const d = deployment()
  const newRS = {...rs('web-new', 4, 4), status: {replicas: 4, readyReplicas: 4, availableReplicas: 4}}
  const done = deploymentStatus({deployment: d, newRS, allRSs: [newRS], now})
  assert.equal(done.observedGeneration, 3)
  assert.equal(done.replicas, 4)
  assert.equal(done.updatedReplicas, 4)
  assert.equal(done.readyReplicas, 4)
  assert.equal(done.availableReplicas, 4)
  assert.equal(done.unavailableReplicas, undefined)
  assert.deepEqual(done.conditions.map((c: any) => [c.type, c.status, c.reason, c.message]), [
    ['Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.'],
    ['Progressing', 'True', 'NewReplicaSetAvailable', 'ReplicaSet "web-new" has successfully progressed.'],
  ])
  const fresh = {...rs('web-new', 4, 0), status: {replicas: 4}}
  const created = deploymentStatus({deployment: d, newRS: fresh, allRSs: [fresh], createdNewRS: true, now})
  assert.equal(created.unavailableReplicas, 4)
  assert.deepEqual(created.conditions.map((c: any) => [c.type, c.status, c.reason, c.message]), [
    ['Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.'],
    ['Progressing', 'True', 'NewReplicaSetCreated', 'Created new replica set "web-new"'],
  ])
  const later = deploymentStatus({deployment: {...d, status: created}, newRS: {...fresh, status: {replicas: 4, readyReplicas: 2, availableReplicas: 2}}, allRSs: [fresh], now})
  assert.deepEqual(later.conditions.map((c: any) => c.reason), ['MinimumReplicasUnavailable', 'ReplicaSetUpdated'])
  assert.equal(later.conditions[1].message, 'ReplicaSet "web-new" is progressing.')
  // lastTransitionTime kept while status holds
  const again = deploymentStatus({deployment: {...d, status: done}, newRS, allRSs: [newRS], now: new Date('2026-01-02T00:00:00Z')})
  assert.deepEqual(again.conditions, done.conditions)
})
