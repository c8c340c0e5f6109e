import assert from 'node:assert/strict'
import {test} from 'node:test'
import {imageRepository, normalizeImage, rfc3339, rfc3339Micro, rfc3339Nano} from '../../cluster/sim/meta.ts'
import {buildPodStatus, declaredTcpPorts, portBehaviour, simSettings, unreadyMessage} from '../../cluster/sim/pod-status.ts'
import type {PodRuntime} from '../../cluster/sim/pod-status.ts'

const t0 = new Date('2026-01-01T00:00:00.123Z')
const t1 = new Date('2026-01-01T00:05:00Z')

function pod(annotations: Record<string, string> = {}, containers: any[] = [{name: 'app', image: 'nginx', ports: [{containerPort: 80}]}, {name: 'side', image: 'ghcr.io/x/y:1.0'}]): any {
  return {metadata: {name: 'p', namespace: 'default', uid: 'u', annotations}, spec: {nodeName: 'local-node', containers}}
}

const runtime: PodRuntime = {
  hostIP: '172.18.0.2',
  podIP: '10.244.0.7',
  startTime: t0,
  startedAt: t0,
  containers: {
    app: {containerID: 'containerd://aaa', imageDigest: 'sha256:111'},
    side: {containerID: 'containerd://bbb', imageDigest: 'sha256:222'},
  },
}

test('simSettings reads the sim.svc.local annotations', () => {
  const cases: Array<[Record<string, string>, {phase: string; ready: boolean}]> = [
    [{}, {phase: 'Running', ready: true}],
    [{'sim.svc.local/ready': 'false'}, {phase: 'Running', ready: false}],
    [{'sim.svc.local/ready': 'FALSE'}, {phase: 'Running', ready: false}],
    [{'sim.svc.local/ready': 'true'}, {phase: 'Running', ready: true}],
    [{'sim.svc.local/phase': 'Pending'}, {phase: 'Pending', ready: true}],
    [{'sim.svc.local/phase': 'Failed'}, {phase: 'Failed', ready: true}],
    [{'sim.svc.local/phase': 'Succeeded'}, {phase: 'Succeeded', ready: true}],
    [{'sim.svc.local/phase': 'bogus'}, {phase: 'Running', ready: true}],
  ]
  for (const [annotations, want] of cases) assert.deepEqual(simSettings(pod(annotations)), want, JSON.stringify(annotations))
})

test('running and ready pod status', () => {
  const s = buildPodStatus(pod(), simSettings(pod()), runtime, t1)
  assert.equal(s.phase, 'Running')
  assert.equal(s.podIP, '10.244.0.7')
  assert.deepEqual(s.podIPs, [{ip: '10.244.0.7'}])
  assert.equal(s.hostIP, '172.18.0.2')
  assert.deepEqual(s.hostIPs, [{ip: '172.18.0.2'}])
  assert.equal(s.startTime, '2026-01-01T00:00:00Z')
  assert.equal(s.qosClass, 'BestEffort')
  assert.deepEqual(s.conditions.map((c: any) => [c.type, c.status]), [
    ['PodReadyToStartContainers', 'True'], ['Initialized', 'True'], ['Ready', 'True'], ['ContainersReady', 'True'], ['PodScheduled', 'True'],
  ])
  for (const c of s.conditions) assert.equal(c.lastProbeTime, null)
  assert.deepEqual(s.containerStatuses[0], {
    name: 'app',
    state: {running: {startedAt: '2026-01-01T00:00:00Z'}},
    lastState: {},
    ready: true,
    restartCount: 0,
    image: 'docker.io/library/nginx:latest',
    imageID: 'docker.io/library/nginx@sha256:111',
    started: true,
    containerID: 'containerd://aaa',
  })
  assert.equal(s.containerStatuses[1].image, 'ghcr.io/x/y:1.0')
  assert.equal(s.containerStatuses[1].imageID, 'ghcr.io/x/y@sha256:222')
})

test('not ready pod: ContainersNotReady with the unready container names', () => {
  const p = pod({'sim.svc.local/ready': 'false'})
  const s = buildPodStatus(p, simSettings(p), runtime, t1)
  const ready = s.conditions.find((c: any) => c.type === 'Ready')
  const cready = s.conditions.find((c: any) => c.type === 'ContainersReady')
  for (const c of [ready, cready]) {
    assert.equal(c.status, 'False')
    assert.equal(c.reason, 'ContainersNotReady')
    assert.equal(c.message, 'containers with unready status: [app side]')
  }
  assert.equal(unreadyMessage(['x']), 'containers with unready status: [x]')
  assert.deepEqual(s.containerStatuses.map((c: any) => [c.ready, c.started]), [[false, true], [false, true]])
  assert.equal(s.phase, 'Running')
})

test('pending pod: ContainerCreating, no pod IP; terminal pods: terminated state', () => {
  const p = pod({'sim.svc.local/phase': 'Pending'})
  const s = buildPodStatus(p, simSettings(p), {...runtime, podIP: undefined}, t1)
  assert.equal(s.phase, 'Pending')
  assert.equal(s.podIP, undefined)
  assert.deepEqual(s.containerStatuses[0].state, {waiting: {reason: 'ContainerCreating'}})
  assert.equal(s.containerStatuses[0].imageID, '')
  assert.equal(s.containerStatuses[0].containerID, undefined)
  assert.equal(s.conditions.find((c: any) => c.type === 'PodReadyToStartContainers').status, 'False')

  const f = pod({'sim.svc.local/phase': 'Failed'})
  const fs = buildPodStatus(f, simSettings(f), {...runtime, finishedAt: t1}, t1)
  assert.equal(fs.phase, 'Failed')
  assert.deepEqual(fs.containerStatuses[0].state.terminated, {exitCode: 1, reason: 'Error', startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:05:00Z', containerID: 'containerd://aaa'})
  assert.equal(fs.conditions.find((c: any) => c.type === 'Ready').reason, 'PodCompleted')
  const ok = pod({'sim.svc.local/phase': 'Succeeded'})
  assert.equal(buildPodStatus(ok, simSettings(ok), runtime, t1).containerStatuses[0].state.terminated.reason, 'Completed')
})

test('conditions keep lastTransitionTime while their status holds', () => {
  const first = buildPodStatus(pod(), simSettings(pod()), runtime, t0)
  const again = buildPodStatus({...pod(), status: first}, simSettings(pod()), runtime, t1)
  assert.deepEqual(again.conditions, first.conditions)
  const p = pod({'sim.svc.local/ready': 'false'})
  const flipped = buildPodStatus({...p, status: first}, simSettings(p), runtime, t1)
  assert.equal(flipped.conditions.find((c: any) => c.type === 'Ready').lastTransitionTime, '2026-01-01T00:05:00Z')
  assert.equal(flipped.conditions.find((c: any) => c.type === 'Initialized').lastTransitionTime, '2026-01-01T00:00:00Z')
})

test('qosClass from resources', () => {
  const guaranteed = pod({}, [{name: 'a', image: 'x', resources: {limits: {cpu: '1', memory: '1Gi'}}}])
  const burstable = pod({}, [{name: 'a', image: 'x', resources: {requests: {cpu: '100m'}}}])
  assert.equal(buildPodStatus(guaranteed, simSettings(guaranteed), {...runtime, containers: {a: runtime.containers.app}}, t1).qosClass, 'Guaranteed')
  assert.equal(buildPodStatus(burstable, simSettings(burstable), {...runtime, containers: {a: runtime.containers.app}}, t1).qosClass, 'Burstable')
})

test('declared ports and their behaviours', () => {
  const p = pod({'sim.svc.local/port-80': 'http', 'sim.svc.local/port-81': 'HOSTNAME', 'sim.svc.local/port-82': 'refuse', 'sim.svc.local/port-99': 'http'}, [
    {name: 'a', image: 'x', ports: [{containerPort: 80}, {containerPort: 81, protocol: 'TCP'}, {containerPort: 53, protocol: 'UDP'}]},
    {name: 'b', image: 'x', ports: [{containerPort: 82}, {containerPort: 83}, {containerPort: 80}]},
  ])
  assert.deepEqual(declaredTcpPorts(p), [80, 81, 82, 83])
  const cases: Array<[number, string]> = [[80, 'http'], [81, 'hostname'], [82, 'refuse'], [83, 'echo'], [53, 'refuse'], [99, 'refuse'], [8080, 'refuse']]
  for (const [port, want] of cases) assert.equal(portBehaviour(p, port), want, String(port))
})

test('image normalization and time formats', () => {
  const cases: Array<[string, string, string]> = [
    ['nginx', 'docker.io/library/nginx:latest', 'docker.io/library/nginx'],
    ['nginx:1.27', 'docker.io/library/nginx:1.27', 'docker.io/library/nginx'],
    ['bitnami/nginx', 'docker.io/bitnami/nginx:latest', 'docker.io/bitnami/nginx'],
    ['registry.k8s.io/pause:3.10', 'registry.k8s.io/pause:3.10', 'registry.k8s.io/pause'],
    ['localhost:5000/app', 'localhost:5000/app:latest', 'localhost:5000/app'],
    ['busybox@sha256:abc', 'docker.io/library/busybox@sha256:abc', 'docker.io/library/busybox'],
  ]
  for (const [image, normalized, repo] of cases) {
    assert.equal(normalizeImage(image), normalized, image)
    assert.equal(imageRepository(normalized), repo, image)
  }
  assert.equal(rfc3339(t0), '2026-01-01T00:00:00Z')
  assert.equal(rfc3339Micro(t0), '2026-01-01T00:00:00.123000Z')
  assert.equal(rfc3339Nano(t0), '2026-01-01T00:00:00.123Z')
  assert.equal(rfc3339Nano(new Date('2026-01-01T00:00:00.100Z')), '2026-01-01T00:00:00.1Z')
  assert.equal(rfc3339Nano(t1), '2026-01-01T00:05:00Z')
})
