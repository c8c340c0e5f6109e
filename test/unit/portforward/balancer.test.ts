import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {ApiError} from '../../../src/kube/errors.ts'
import {
  affinityTimeoutMs, Balancer, backendsForPort, type EndpointSlice, endpointsFromSlices, NamedPodTracker, PodTracker, ServiceTracker,
} from '../../../src/portforward/balancer.ts'
import type {Pod} from '../../../src/portforward/targets.ts'
import {FakeListWatch} from '../../helpers/fake-list-watch.ts'
import {until} from '../../helpers/poll.ts'

const SLICES = '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices'
const PODS = '/api/v1/namespaces/default/pods'

function slice(name: string, endpoints: Array<[string, boolean | undefined, {serving?: boolean; terminating?: boolean}?]>, ports: Array<[string, number]> = [['http', 8080]]): EndpointSlice {
  return {
    addressType: 'IPv4',
    endpoints: endpoints.map(([pod, ready, more]) => ({
      conditions: {...(ready === undefined ? {} : {ready}), ...more},
      targetRef: {kind: 'Pod', name: pod, namespace: 'default'},
    })),
    metadata: {name},
    ports: ports.map(([n, port]) => ({name: n, port, protocol: 'TCP'})),
  }
}

function pod(name: string, opts: {phase?: string; ready?: boolean; deleting?: boolean; uid?: string; readySince?: string} = {}): Pod {
  return {
    metadata: {creationTimestamp: '2026-01-01T00:00:00Z', name, uid: opts.uid ?? `uid-${name}`, ...(opts.deleting ? {deletionTimestamp: '2026-01-01T01:00:00Z'} : {})},
    spec: {containers: [{ports: [{containerPort: 8080, name: 'http'}]}], nodeName: 'n1'},
    status: {
      conditions: [{lastTransitionTime: opts.readySince ?? '2026-01-01T00:00:05Z', status: opts.ready === false ? 'False' : 'True', type: 'Ready'}],
      phase: opts.phase ?? 'Running',
    },
  }
}

describe('Balancer', () => {
  test('round-robin over the candidates, whatever their order', () => {
    const b = new Balancer()
    const picks = [0, 1, 2, 3].map(i => b.choose('http/80', '127.0.0.1', i % 2 ? ['b', 'a'] : ['a', 'b']))
    assert.deepEqual(picks, ['a', 'b', 'a', 'b'])
  })

  test('each service port keeps its own rotation', () => {
    const b = new Balancer()
    assert.equal(b.choose('p1', 'c', ['a', 'b']), 'a')
    assert.equal(b.choose('p2', 'c', ['a', 'b']), 'a')
    assert.equal(b.choose('p1', 'c', ['a', 'b']), 'b')
  })

  test('no candidates', () => assert.equal(new Balancer().choose('k', 'c', []), undefined))

  test('ClientIP affinity keeps one pod while used within the timeout, refreshed per connection', () => {
    let now = 0
    const b = new Balancer({affinityTimeoutMs: 10_000, now: () => now})
    const first = b.choose('k', '127.0.0.1', ['a', 'b', 'c'])
    for (let i = 0; i < 5; i++) {
      now += 9_000
      assert.equal(b.choose('k', '127.0.0.1', ['a', 'b', 'c']), first)
    }
    // Another client gets the next pod in the rotation.
    assert.notEqual(b.choose('k', '::1', ['a', 'b', 'c']), first)
    now += 10_001
    assert.notEqual(b.choose('k', '127.0.0.1', ['a', 'b', 'c']), first)
  })

  test('affinity gives way when its pod is no longer a candidate', () => {
    const b = new Balancer({affinityTimeoutMs: 10_000, now: () => 0})
    assert.equal(b.choose('k', 'c', ['a', 'b']), 'a')
    assert.equal(b.choose('k', 'c', ['b']), 'b')
    assert.equal(b.choose('k', 'c', ['a', 'b']), 'b')
  })

  test('affinityTimeoutMs reads the Service spec', () => {
    assert.equal(affinityTimeoutMs({sessionAffinity: 'None'}), undefined)
    assert.equal(affinityTimeoutMs(undefined), undefined)
    assert.equal(affinityTimeoutMs({sessionAffinity: 'ClientIP'}), 10_800_000)
    assert.equal(affinityTimeoutMs({sessionAffinity: 'ClientIP', sessionAffinityConfig: {clientIP: {timeoutSeconds: 30}}}), 30_000)
  })
})

describe('EndpointSlices to backends', () => {
  test('per-endpoint ports, nil ready = ready, dual-stack slices merged, non-pod endpoints skipped', () => {
    const v4 = slice('web-a', [['web-1', true], ['web-2', undefined], ['web-3', false]], [['http', 8080]])
    const v6 = {...slice('web-b', [['web-1', true]], [['http', 8080]]), addressType: 'IPv6'}
    const other = slice('web-c', [['web-4', true]], [['http', 9090]])
    const manual: EndpointSlice = {endpoints: [{conditions: {ready: true}}], metadata: {name: 'manual'}, ports: [{name: 'http', port: 1}]}
    const endpoints = endpointsFromSlices([v4, v6, other, manual])
    assert.deepEqual([...endpoints.keys()].sort(), ['web-1', 'web-2', 'web-3', 'web-4'])
    assert.deepEqual(backendsForPort(endpoints, {name: 'http', port: 80}, false), [
      {pod: 'web-1', port: 8080}, {pod: 'web-2', port: 8080}, {pod: 'web-4', port: 9090},
    ])
    assert.deepEqual(backendsForPort(endpoints, {name: 'http', port: 80}, true).map(b => b.port), [80, 80, 80])
    assert.deepEqual(backendsForPort(endpoints, {name: 'grpc', port: 90}, false), [])
  })

  test('unnamed service ports match unnamed slice ports; UDP slice ports are ignored', () => {
    const s = slice('x', [['p', true]], [['', 8080]])
    s.ports!.push({name: 'dns', port: 53, protocol: 'UDP'})
    const endpoints = endpointsFromSlices([s])
    assert.deepEqual(backendsForPort(endpoints, {port: 80}, false), [{pod: 'p', port: 8080}])
    assert.deepEqual(backendsForPort(endpoints, {name: 'dns', port: 53}, false), [])
  })

  test('with no ready endpoint, serving terminating ones are used (kube-proxy)', () => {
    const endpoints = endpointsFromSlices([slice('x', [['old', false, {serving: true, terminating: true}], ['new', false, {serving: false}]])])
    assert.deepEqual(backendsForPort(endpoints, {name: 'http', port: 80}, false), [{pod: 'old', port: 8080}])
  })

  test('with neither, the running pods that are not ready (kubectl forwards to them too)', () => {
    const endpoints = endpointsFromSlices([slice('x', [['gone', false, {serving: false, terminating: true}], ['unready', false, {serving: false}]])])
    assert.deepEqual(backendsForPort(endpoints, {name: 'http', port: 80}, false), [{pod: 'unready', port: 8080}])
    const mixed = endpointsFromSlices([slice('x', [['ok', true], ['unready', false]])])
    assert.deepEqual(backendsForPort(mixed, {name: 'http', port: 80}, false), [{pod: 'ok', port: 8080}])
  })
})

function trackerHooks() {
  const log = {changed: [] as string[][], fatal: [] as Error[], gone: [] as string[], retryDelays: [] as number[]}
  return {
    hooks: {
      fatal: (e: Error) => log.fatal.push(e),
      podGone: (p: string) => log.gone.push(p),
      retry: (_error: unknown, delayMs: number) => log.retryDelays.push(delayMs),
      targetChanged: (p: string[]) => log.changed.push(p),
    },
    log,
  }
}

describe('ServiceTracker', () => {
  function setup(waitTimeoutMs = 5000) {
    const kube = new FakeListWatch()
    kube.collections.set(SLICES, [slice('web-abc', [['web-1', true], ['web-2', true]])])
    const stop = new AbortController()
    const {hooks, log} = trackerHooks()
    const tracker = new ServiceTracker({
      backoff: {initialMs: 5, maxMs: 20}, balancer: new Balancer(), client: kube, headless: false, hooks, namespace: 'default',
      serviceName: 'web', servicePorts: [{name: 'http', port: 80}], signal: stop.signal, waitTimeoutMs,
    })
    return {kube, log, stop, tracker}
  }

  test('lists the slices by the service-name label, then spreads connections', async t => {
    const {kube, stop, tracker} = setup()
    t.after(() => stop.abort())
    await tracker.start()
    assert.equal(kube.requests[0].query?.labelSelector, 'kubernetes.io/service-name=web')
    assert.deepEqual(tracker.pods, ['web-1', 'web-2'])
    const picks = []
    for (let i = 0; i < 4; i++) picks.push((await tracker.pick(0, '127.0.0.1', stop.signal)).pod)
    assert.deepEqual(picks, ['web-1', 'web-2', 'web-1', 'web-2'])
    assert.deepEqual(await tracker.pick(0, '127.0.0.1', stop.signal, new Set(['web-1'])), {pod: 'web-2', port: 8080})
  })

  test('follows the watch: readiness, removal (pod gone), new pods', async t => {
    const {kube, log, stop, tracker} = setup()
    t.after(() => stop.abort())
    await tracker.start()
    await kube.waitForWatch(SLICES)
    kube.emit(SLICES, 'MODIFIED', slice('web-abc', [['web-1', false], ['web-2', true]]))
    await until(() => log.changed.length === 1, 'target change')
    assert.deepEqual(log.changed[0], ['web-2'])
    assert.deepEqual(log.gone, [])
    kube.emit(SLICES, 'MODIFIED', slice('web-abc', [['web-2', true], ['web-3', true]]))
    await until(() => log.changed.length === 2, 'second change')
    assert.deepEqual(log.changed[1], ['web-2', 'web-3'])
    assert.deepEqual(log.gone, ['web-1'])
    kube.emit(SLICES, 'DELETED', slice('web-abc', []))
    await until(() => log.changed.length === 3, 'third change')
    assert.deepEqual(log.changed[2], [])
    assert.deepEqual(log.gone.sort(), ['web-1', 'web-2', 'web-3'])
  })

  test('a connection waits for a ready endpoint, and gives up after the wait timeout', async t => {
    const {kube, stop, tracker} = setup(300)
    t.after(() => stop.abort())
    kube.collections.set(SLICES, [])
    await tracker.start()
    await kube.waitForWatch(SLICES)
    const waiting = tracker.pick(0, 'c', stop.signal)
    kube.emit(SLICES, 'ADDED', slice('web-x', [['web-9', true]], [['http', 9999]]))
    assert.deepEqual(await waiting, {pod: 'web-9', port: 9999})
    kube.emit(SLICES, 'DELETED', slice('web-x', []))
    await until(() => tracker.pods.length === 0, 'no pods')
    await assert.rejects(tracker.pick(0, 'c', stop.signal), {message: 'no ready endpoints for service "web"'})
  })

  test('a dropped watch is resumed from the last resourceVersion; 410 Gone relists', async t => {
    const {kube, log, stop, tracker} = setup()
    t.after(() => stop.abort())
    await tracker.start()
    await kube.waitForWatch(SLICES)
    kube.emit(SLICES, 'MODIFIED', slice('web-abc', [['web-1', true]]))
    await until(() => log.changed.length === 1, 'change')
    const rv = kube.watchLog.length
    kube.dropWatches()
    await until(() => kube.watchLog.length === rv + 1 && kube.watches.length === 1, 'a new watch')
    assert.equal(kube.watchLog.at(-1)?.query.resourceVersion, '101')

    const lists = kube.requests.length
    kube.collections.set(SLICES, [slice('web-abc', [['web-5', true]])])
    kube.dropWatches(new ApiError(410, {code: 410, message: 'too old resource version', reason: 'Expired'}))
    await until(() => kube.requests.length === lists + 1, 'relist')
    await until(() => tracker.pods.join() === 'web-5', 'relisted state')
    assert.deepEqual(log.gone, ['web-2', 'web-1'])
  })

  test('watch failures are retried with backoff until the API answers again', async t => {
    const {kube, log, stop, tracker} = setup()
    t.after(() => stop.abort())
    await tracker.start()
    await kube.waitForWatch(SLICES)
    kube.failWatches = Object.assign(new Error('connect ECONNREFUSED'), {code: 'ECONNREFUSED'})
    kube.dropWatches()
    await until(() => log.retryDelays.length >= 4, 'several retries')
    // The pause doubles from backoff.initialMs (5) and stops at backoff.maxMs (20).
    assert.deepEqual(log.retryDelays.slice(0, 4), [5, 10, 20, 20])
    kube.failWatches = undefined
    await kube.waitForWatch(SLICES)
    kube.emit(SLICES, 'MODIFIED', slice('web-abc', [['web-7', true]]))
    await until(() => tracker.pods.join() === 'web-7', 'state after recovery')
  })
})

describe('PodTracker (deployment/, rs/, svc/ --one-pod)', () => {
  function setup(initial: Pod, others: Pod[], waitTimeoutMs = 5000) {
    const kube = new FakeListWatch()
    kube.collections.set(PODS, [initial, ...others])
    const stop = new AbortController()
    const {hooks, log} = trackerHooks()
    const tracker = new PodTracker({
      backoff: {initialMs: 5}, client: kube, hooks, initialPod: initial, label: 'deployment/web', namespace: 'default',
      portsFor: p => [p.metadata.name === 'web-3' ? 9090 : 8080], selector: 'app=web', signal: stop.signal, waitTimeoutMs,
    })
    return {kube, log, stop, tracker}
  }

  test('keeps its pod while it serves; moves when it is deleted or stops being ready', async t => {
    const {kube, log, stop, tracker} = setup(pod('web-1'), [pod('web-2', {readySince: '2026-01-01T00:00:09Z'}), pod('web-3', {readySince: '2026-01-01T00:00:01Z'})])
    t.after(() => stop.abort())
    await tracker.start()
    assert.equal(kube.requests[0].query?.labelSelector, 'app=web')
    assert.deepEqual(await tracker.pick(0, 'c', stop.signal), {pod: 'web-1', port: 8080})
    await kube.waitForWatch(PODS)
    kube.emit(PODS, 'DELETED', pod('web-1'))
    await until(() => log.changed.length === 1, 'switch')
    // web-3 has been ready longest: kubectl's choice among the rest.
    assert.deepEqual(log.changed[0], ['web-3'])
    assert.deepEqual(log.gone, ['web-1'])
    assert.deepEqual(await tracker.pick(0, 'c', stop.signal), {pod: 'web-3', port: 9090})
    kube.emit(PODS, 'MODIFIED', pod('web-3', {ready: false}))
    await until(() => log.changed.length === 2, 'second switch')
    assert.deepEqual(log.changed[1], ['web-2'])
    assert.deepEqual(log.gone, ['web-1'], 'not ready is not gone')
  })

  test('an excluded pod (upgrade refused) is skipped for that connection only', async t => {
    const {stop, tracker} = setup(pod('web-1'), [pod('web-2')])
    t.after(() => stop.abort())
    await tracker.start()
    assert.equal((await tracker.pick(0, 'c', stop.signal, new Set(['web-1']))).pod, 'web-2')
    assert.equal((await tracker.pick(0, 'c', stop.signal)).pod, 'web-1')
  })

  test('a failed (evicted) pod is gone; with no other pod, connections wait for one', async t => {
    const {kube, log, stop, tracker} = setup(pod('web-1'), [])
    t.after(() => stop.abort())
    await tracker.start()
    await kube.waitForWatch(PODS)
    kube.emit(PODS, 'MODIFIED', pod('web-1', {phase: 'Failed', ready: false}))
    await until(() => log.changed.length === 1, 'no pod')
    assert.deepEqual(log.changed[0], [])
    assert.deepEqual(log.gone, ['web-1'])
    const waiting = tracker.pick(0, 'c', stop.signal)
    kube.emit(PODS, 'ADDED', pod('web-9'))
    assert.deepEqual(await waiting, {pod: 'web-9', port: 8080})
  })

  test('a running pod that is not ready is kept when no other pod is ready (as kubectl forwards to it)', async t => {
    const {kube, log, stop, tracker} = setup(pod('web-1'), [])
    t.after(() => stop.abort())
    await tracker.start()
    await kube.waitForWatch(PODS)
    kube.emit(PODS, 'MODIFIED', pod('web-1', {ready: false}))
    kube.emit(PODS, 'ADDED', pod('web-2', {phase: 'Pending', ready: false}))
    await until(() => kube.watchLog.length > 0 && log.changed.length === 0, 'events applied')
    assert.deepEqual(await tracker.pick(0, 'c', stop.signal), {pod: 'web-1', port: 8080})
  })
})

describe('NamedPodTracker (pod/NAME)', () => {
  function setup(waitTimeoutMs: number) {
    const kube = new FakeListWatch()
    kube.collections.set(PODS, [pod('db-0')])
    const stop = new AbortController()
    const {hooks, log} = trackerHooks()
    const tracker = new NamedPodTracker({backoff: {initialMs: 5}, client: kube, hooks, namespace: 'default', pod: pod('db-0'), ports: [5432], signal: stop.signal, waitTimeoutMs})
    return {kube, log, stop, tracker}
  }

  test('watches the pod by name; a pod of that name Running again in time carries on', async t => {
    const {kube, log, stop, tracker} = setup(2000)
    t.after(() => stop.abort())
    await tracker.start()
    assert.equal(kube.requests[0].query?.fieldSelector, 'metadata.name=db-0')
    assert.equal(tracker.canFailOver, false)
    await kube.waitForWatch(PODS)
    kube.emit(PODS, 'DELETED', pod('db-0'))
    await until(() => log.changed.length === 1, 'lost')
    assert.deepEqual(log.gone, ['db-0'])
    const waiting = tracker.pick(0, 'c', stop.signal)
    kube.emit(PODS, 'ADDED', pod('db-0', {phase: 'Pending', ready: false, uid: 'second'}))
    kube.emit(PODS, 'MODIFIED', pod('db-0', {uid: 'second'}))
    assert.deepEqual(await waiting, {pod: 'db-0', port: 5432})
    assert.deepEqual(log.changed, [[], ['db-0']])
    assert.deepEqual(log.fatal, [])
  })

  test('not Running again within the timeout: lost connection to pod', async t => {
    const {kube, log, stop, tracker} = setup(100)
    t.after(() => stop.abort())
    await tracker.start()
    await kube.waitForWatch(PODS)
    kube.emit(PODS, 'MODIFIED', pod('db-0', {deleting: true}))
    await until(() => tracker.pods.length === 0, 'pod unavailable')
    const waiting = assert.rejects(tracker.pick(0, 'c', stop.signal), {message: 'lost connection to pod'})
    await until(() => log.fatal.length === 1, 'fatal')
    assert.equal(log.fatal[0].message, 'lost connection to pod')
    await waiting
    await assert.rejects(tracker.pick(0, 'c', stop.signal), {message: 'lost connection to pod'})
  })
})
