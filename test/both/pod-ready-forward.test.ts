// A pod's ports can be forwarded from the moment the cluster reports it Ready, as on a kubelet
// (a container is reported running once the runtime started it: pkg/kubelet/kubelet_pods.go
// generateAPIPodStatus). The client here is what a script does: create a Deployment, watch its
// pod, and forward the instant the watch shows it Ready, with no wait of its own in between. On
// the real control plane kwok's port-forward reads the pod's PortForward object
// (pkg/kwok/server/debugging_port_forword.go getPodsForward); kwok's start stage waits for the pod
// agent to have published it (test/real-cluster/kwok-config.ts), else such a forward could get
// kwok's `no forward found for port N` while the pod already said Ready.

import assert from 'node:assert/strict'
import {after, before, describe, test} from 'node:test'

import type {WatchEvent} from '../../src/kube/client.ts'
import type {Pod} from '../../src/kube/types.ts'
import {upgradeSpdy} from '../../src/portforward/upgrade.ts'
import {SpdySession} from '../../src/spdy/session.ts'
import {createDeployment, echo, startSvc, until} from '../helpers/pf-cluster.ts'
import {clusterKinds, startTestCluster, type TestCluster} from '../helpers/test-cluster.ts'

const PORT = 7000
const ROUNDS = 3
const REPLICAS = 8
const WAIT_MS = 60_000

const isReady = (pod: Pod): boolean =>
  !pod.metadata?.deletionTimestamp && (pod.status?.conditions?.some(c => c.type === 'Ready' && c.status === 'True') ?? false)

/**
 * Creates a Deployment of `replicas` pods and calls `onReady` for each pod at the watch event that
 * first shows it Ready, without waiting for the previous call; resolves with their results.
 */
async function deployAndOnReady<T>(c: TestCluster, name: string, replicas: number, onReady: (pod: string) => Promise<T>): Promise<Map<string, T>> {
  const path = '/api/v1/namespaces/default/pods'
  const labelSelector = `app=${name}`
  const list = (await c.client.request<{metadata: {resourceVersion: string}}>({path, query: {labelSelector}})).body
  const signal = AbortSignal.timeout(WAIT_MS)
  const events = c.client.watch<Pod>(path, {labelSelector, resourceVersion: list.metadata.resourceVersion}, signal)
  // The watch is open (its first read is under way) before the Deployment exists.
  const first = events.next()
  // Should the create fail, nothing awaits this read: its rejection when the signal fires must not be unhandled.
  first.catch(() => undefined)
  await createDeployment(c.client, name, replicas, {labels: {app: name}, ports: [{containerPort: PORT}]})
  // Each call's outcome is caught at once, so that one failing while the watch goes on is not an unhandled rejection.
  const started = new Map<string, Promise<{error?: unknown; value?: T}>>()
  try {
    for (let next = await first; !next.done; next = await events.next()) {
      const event: WatchEvent<Pod> = next.value
      const pod = event.object.metadata?.name
      if ((event.type === 'ADDED' || event.type === 'MODIFIED') && pod && !started.has(pod) && isReady(event.object)) {
        started.set(pod, onReady(pod).then(value => ({value}), (error: unknown) => ({error})))
        if (started.size === replicas) break
      }
    }
  } catch (error) {
    if (signal.aborted) assert.fail(`${started.size} of deployment/${name}'s ${replicas} pods were Ready within ${WAIT_MS} ms`)
    throw error
  } finally {
    await events.return(undefined)
  }
  if (started.size < replicas) assert.fail(`the watch of deployment/${name}'s pods ended with ${started.size} of ${replicas} Ready`)
  const results = new Map<string, T>()
  for (const [pod, outcome] of started) {
    const {error, value} = await outcome
    if (error) throw error
    results.set(pod, value as T)
  }
  return results
}

/** One SPDY port-forward connection (kubectl's streams: error, then data): sends `payload`, returns what came back or the error text. */
async function forwardOnce(c: TestCluster, pod: string, payload: string): Promise<{data: string; error: string}> {
  const {socket} = await upgradeSpdy(c.client, {namespace: 'default', pod})
  const session = new SpdySession(socket, {role: 'client'})
  session.on('error', () => undefined)
  try {
    const headers = (type: string) => ({port: [String(PORT)], requestid: ['0'], streamtype: [type]})
    const result = {data: '', error: ''}
    const error = session.openStream(headers('error'))
    error.on('error', () => undefined)
    error.on('data', (chunk: Buffer) => (result.error += chunk.toString('utf8')))
    await error.waitReply()
    error.end()
    const data = session.openStream(headers('data'))
    data.on('error', () => undefined)
    data.on('data', (chunk: Buffer) => (result.data += chunk.toString('latin1')))
    await data.waitReply()
    data.write(payload)
    await until(() => result.data.length >= payload.length || result.error || undefined, `pod/${pod}'s echo or the kubelet's error`, 30_000)
    return result
  } finally {
    session.destroy()
  }
}

async function deleteDeployment(c: TestCluster, name: string): Promise<void> {
  await c.client.request({method: 'DELETE', path: `/apis/apps/v1/namespaces/default/deployments/${name}`, query: {propagationPolicy: 'Background'}})
    .catch(() => undefined)
}

for (const kind of clusterKinds()) {
  describe(`a Deployment's pod forwarded the moment it is Ready, on the ${kind} cluster`, () => {
    let c: TestCluster
    const made: string[] = []

    before(async () => {
      c = await startTestCluster(kind)
    })
    after(async () => {
      if (c) for (const name of made) await deleteDeployment(c, name)
      await c?.stop()
    })

    // The pod agent publishes one pod's PortForward at a time while kwok starts pods in parallel: the
    // Deployment's last pods are the ones a missing gate would expose.
    test(`pods/portforward: each of ${ROUNDS} Deployments' ${REPLICAS} pods echoes the forward made the moment it is Ready`, async () => {
      for (let i = 0; i < ROUNDS; i++) {
        const name = `ready-fwd-${i}`
        made.push(name)
        const results = await deployAndOnReady(c, name, REPLICAS, pod => forwardOnce(c, pod, `round ${i} to ${pod}`))
        for (const [pod, got] of results) {
          assert.equal(got.error, '', `pod/${pod}: the kubelet's error stream, for a forward right after Ready`)
          assert.equal(got.data, `round ${i} to ${pod}`, `pod/${pod}'s echo`)
        }
        await deleteDeployment(c, name)
      }
    })

    test('svc port-forward deployment/NAME started the moment its pod is Ready echoes on its first connection', async t => {
      const name = 'ready-fwd-svc'
      made.push(name)
      await deployAndOnReady(c, name, 1, async () => undefined)
      const svc = startSvc(['port-forward', '--kubeconfig', c.kubeconfig(), '-o', 'json', `deployment/${name}`, `:${PORT}`])
      t.after(() => svc.kill('SIGKILL'))
      const listening = await until(() => svc.events().find(e => e.event === 'listening'), 'the listening event', WAIT_MS)
      assert.equal((await echo(listening.localPort, 'first')).toString(), 'first')
    })
  })
}
