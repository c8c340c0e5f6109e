import assert from 'node:assert/strict'
import {test} from 'node:test'
import {DIAL_TIMEOUT, goDialCause, kubeletPortForwardError, patternBytes, runtimePortForwardError} from '../../cluster/sim/containers.ts'
import {EventRecorder, eventName, legacyEvent, objectReference, scheduledEvent, uniqueNanos} from '../../cluster/sim/events.ts'
import {Store} from '../../cluster/store.ts'

const now = new Date('2026-03-17T08:45:27.742Z')
const pod = {metadata: {name: 'web-1', namespace: 'default', uid: 'u1', resourceVersion: '62245'}}

test('legacy (client-go record) events: kubelet and controllers', () => {
  const ref = objectReference(pod, 'v1', 'Pod', 'spec.containers{web}')
  assert.deepEqual(ref, {apiVersion: 'v1', kind: 'Pod', name: 'web-1', namespace: 'default', resourceVersion: '62245', uid: 'u1', fieldPath: 'spec.containers{web}'})
  const ev = legacyEvent({involvedObject: ref, type: 'Normal', reason: 'Started', message: 'Container started', component: 'kubelet', host: 'local-node', now, nanos: 0x189d9485c5d61a22n})
  assert.deepEqual(ev, {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {name: 'web-1.189d9485c5d61a22', namespace: 'default'},
    involvedObject: ref,
    reason: 'Started',
    message: 'Container started',
    source: {component: 'kubelet', host: 'local-node'},
    firstTimestamp: '2026-03-17T08:45:27Z',
    lastTimestamp: '2026-03-17T08:45:27Z',
    count: 1,
    type: 'Normal',
    eventTime: null,
    reportingComponent: 'kubelet',
    reportingInstance: 'local-node',
  })
  const rs = legacyEvent({involvedObject: objectReference({metadata: {name: 'web-abc', namespace: 'default', uid: 'r'}}, 'apps/v1', 'ReplicaSet'), type: 'Normal', reason: 'SuccessfulCreate', message: 'Created pod: web-abc-x', component: 'replicaset-controller', now})
  assert.deepEqual(rs.source, {component: 'replicaset-controller'})
  assert.equal(rs.reportingComponent, 'replicaset-controller')
  assert.equal(rs.reportingInstance, '')
})

test('scheduler events come through core/v1 with eventTime and no timestamps', () => {
  const ev = scheduledEvent({pod, nodeName: 'local-node', schedulerHost: 'local-node', now, nanos: 1n})
  assert.deepEqual(ev, {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {name: 'web-1.1', namespace: 'default'},
    involvedObject: {apiVersion: 'v1', kind: 'Pod', name: 'web-1', namespace: 'default', resourceVersion: '62245', uid: 'u1'},
    reason: 'Scheduled',
    message: 'Successfully assigned default/web-1 to local-node',
    source: {},
    firstTimestamp: null,
    lastTimestamp: null,
    type: 'Normal',
    eventTime: '2026-03-17T08:45:27.742000Z',
    action: 'Binding',
    reportingComponent: 'default-scheduler',
    reportingInstance: 'default-scheduler-local-node',
  })
})

test('event names are unique and increasing', () => {
  const a = uniqueNanos(now)
  const b = uniqueNanos(now)
  assert.ok(b > a)
  assert.equal(eventName('x', 255n), 'x.ff')
})

test('EventRecorder aggregates identical legacy events into count and lastTimestamp', async () => {
  const store = new Store()
  const rec = new EventRecorder(store)
  const ref = objectReference(pod, 'v1', 'Pod')
  const mk = (message: string, at: Date) => legacyEvent({involvedObject: ref, type: 'Normal', reason: 'Killing', message, component: 'kubelet', host: 'n', now: at})
  await rec.record(mk('Stopping container a', now))
  await rec.record(mk('Stopping container a', new Date('2026-03-17T08:50:00Z')))
  await rec.record(mk('Stopping container b', now))
  const events = store.list('events', 'default')
  assert.equal(events.length, 2)
  const a = events.find((e) => e.message === 'Stopping container a')
  assert.equal(a.count, 2)
  assert.equal(a.firstTimestamp, '2026-03-17T08:45:27Z')
  assert.equal(a.lastTimestamp, '2026-03-17T08:50:00Z')
})

test('port-forward error texts read like the kubelet and containerd', () => {
  const runtime = runtimePortForwardError(80, 'abc', '/var/run/netns/cni-1')
  assert.equal(
    runtime,
    'failed to execute portforward in network namespace "/var/run/netns/cni-1": failed to connect to localhost:80 inside namespace "abc", ' +
      'IPv4: dial tcp4 127.0.0.1:80: connect: connection refused IPv6 dial tcp6 [::1]:80: connect: connection refused ',
  )
  assert.equal(kubeletPortForwardError(80, 'abc', runtime), `error forwarding port 80 to pod abc, uid : ${runtime}`)
  assert.equal(
    runtimePortForwardError(80, 'abc', '/var/run/netns/cni-1', 'i/o timeout'),
    'failed to execute portforward in network namespace "/var/run/netns/cni-1": failed to connect to localhost:80 inside namespace "abc", ' +
      'IPv4: dial tcp4 127.0.0.1:80: i/o timeout IPv6 dial tcp6 [::1]:80: connect: connection refused ',
  )
})

test('a failed dial into a pod is told in Go\'s words, a refusal only when it was one', () => {
  const cases: Array<[string, string]> = [
    ['ECONNREFUSED', 'connect: connection refused'],
    [DIAL_TIMEOUT, 'i/o timeout'],
    ['ETIMEDOUT', 'connect: connection timed out'],
    ['EADDRNOTAVAIL', 'connect: cannot assign requested address'],
    ['ECONNRESET', 'connect: connection reset by peer'],
    ['EMFILE', 'socket: too many open files'],
  ]
  for (const [code, text] of cases) assert.equal(goDialCause(Object.assign(new Error(code), {code})), text, code)
  assert.equal(goDialCause(Object.assign(new Error('connect EHOSTUNREACH 127.0.0.1:80'), {code: 'EHOSTUNREACH'})), 'connect: connect EHOSTUNREACH 127.0.0.1:80')
})

test('patternBytes is i % 251 from any offset', () => {
  assert.deepEqual([...patternBytes(0, 4)], [0, 1, 2, 3])
  assert.deepEqual([...patternBytes(249, 4)], [249, 250, 0, 1])
  assert.deepEqual(patternBytes(1000, 600), patternBytes(0, 2000).subarray(1000, 1600))
})
