// The simulation through the local API server, as a client sees it (@kubernetes/client-node).

import assert from 'node:assert/strict'
import {createHash, randomBytes} from 'node:crypto'
import {test} from 'node:test'
import {AppsV1Api, CoreV1Api, DiscoveryV1Api, KubeConfig, PatchStrategy, setHeaderOptions} from '@kubernetes/client-node'
import {startCluster} from '../cluster/index.ts'
import {until} from '../helpers/poll.ts'

const plain = (v: unknown) => JSON.parse(JSON.stringify(v))

/** Polls `fn` until it returns a value; errors count as "not yet" (the last one is reported). */
function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  return until(fn, what, {retryErrors: true, timeoutMs})
}

test('Deployment, Service, readiness patches and containers through the API', async (t) => {
  const cluster = await startCluster()
  t.after(() => cluster.stop())
  const kc = new KubeConfig()
  kc.loadFromString(cluster.kubeconfig())
  const apps = kc.makeApiClient(AppsV1Api)
  const core = kc.makeApiClient(CoreV1Api)
  const discovery = kc.makeApiClient(DiscoveryV1Api)
  const namespace = 'default'

  await core.createNamespacedService({namespace, body: {
    metadata: {name: 'web', labels: {app: 'web'}},
    spec: {selector: {app: 'web'}, ports: [{name: 'http', port: 80, targetPort: 'http' as any}]},
  }})
  await apps.createNamespacedDeployment({namespace, body: {
    metadata: {name: 'web'},
    spec: {
      replicas: 2,
      selector: {matchLabels: {app: 'web'}},
      template: {
        metadata: {labels: {app: 'web'}, annotations: {'sim.svc.local/port-8081': 'http'}},
        spec: {containers: [{name: 'app', image: 'nginx:1.27', ports: [{name: 'http', containerPort: 8080}, {name: 'admin', containerPort: 8081}]}]},
      },
    },
  }})

  const d = await waitFor('deployment available', async () => {
    const dep = await apps.readNamespacedDeployment({name: 'web', namespace})
    return dep.status?.availableReplicas === 2 && dep.status?.conditions?.some((c) => c.type === 'Progressing' && c.reason === 'NewReplicaSetAvailable') ? dep : undefined
  })
  assert.equal(d.status?.observedGeneration, d.metadata?.generation)
  const pods = (await core.listNamespacedPod({namespace, labelSelector: 'app=web'})).items
  assert.equal(pods.length, 2)
  for (const p of pods) {
    assert.equal(p.status?.phase, 'Running')
    assert.equal(p.spec?.nodeName, 'local-node')
    assert.match(p.status?.podIP ?? '', /^10\.244\./)
  }

  const slices = async () => (await discovery.listNamespacedEndpointSlice({namespace, labelSelector: 'kubernetes.io/service-name=web'})).items
  await waitFor('two ready endpoints', async () => ((await slices())[0]?.endpoints ?? []).filter((e) => e.conditions?.ready).length === 2 || undefined)
  const slice = (await slices())[0]
  assert.deepEqual(plain(slice.ports), [{name: 'http', port: 8080, protocol: 'TCP'}])
  assert.equal(slice.metadata?.labels?.['endpointslice.kubernetes.io/managed-by'], 'endpointslice-controller.k8s.io')

  // readiness through pods/status (strategic merge on conditions)
  const victim = pods[0].metadata!.name!
  await core.patchNamespacedPodStatus({name: victim, namespace, body: {status: {conditions: [{type: 'Ready', status: 'False'}]}}}, setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch))
  const ep = await waitFor('not ready address', async () => {
    const e = await core.readNamespacedEndpoints({name: 'web', namespace})
    return e.subsets?.[0]?.notReadyAddresses?.length === 1 ? e : undefined
  })
  assert.equal(ep.subsets?.[0]?.notReadyAddresses?.[0]?.targetRef?.name, victim)
  const afterPatch = await slices()
  assert.equal(afterPatch[0].metadata?.name, slice.metadata?.name)
  assert.deepEqual(plain(afterPatch[0].endpoints?.find((e) => e.targetRef?.name === victim)?.conditions), {ready: false, serving: false, terminating: false})

  // events as kubectl describe reads them
  const podEvents = (await core.listNamespacedEvent({namespace, fieldSelector: `involvedObject.name=${victim}`})).items
  assert.deepEqual(podEvents.map((e) => e.reason).sort(), ['Created', 'Pulled', 'Scheduled', 'Started'])
  const deployEvents = (await core.listNamespacedEvent({namespace, fieldSelector: 'involvedObject.kind=Deployment,involvedObject.name=web'})).items
  assert.equal(deployEvents.length, 1)
  assert.match(deployEvents[0].message ?? '', /^Scaled up replica set web-[bcdfghjklmnpqrstvwxz2456789]+ from 0 to 2$/)
  assert.equal(deployEvents[0].source?.component, 'deployment-controller')

  // containers: echo on 8080, http on 8081
  const socket = await cluster.dialPod(namespace, victim, 8080)
  const payload = randomBytes(1024 * 1024)
  const back = new Promise<Buffer>((resolve) => {
    const chunks: Buffer[] = []
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.once('end', () => resolve(Buffer.concat(chunks)))
  })
  socket.end(payload)
  assert.equal(createHash('sha256').update(await back).digest('hex'), createHash('sha256').update(payload).digest('hex'))
  const web = await cluster.dialPod(namespace, victim, 8081)
  const reply = new Promise<string>((resolve) => {
    let text = ''
    web.on('data', (c: Buffer) => (text += c.toString()))
    web.once('end', () => resolve(text))
  })
  web.write('GET /hostname HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
  assert.match(await reply, new RegExp(`\\r\\n\\r\\n${victim}$`))
  await assert.rejects(cluster.dialPod(namespace, victim, 9999), (err: any) => err.code === 'ECONNREFUSED')

  // scale to 0 through the API: every pod goes, the placeholder slice remains
  await apps.patchNamespacedDeployment({name: 'web', namespace, body: {spec: {replicas: 0}}}, setHeaderOptions('Content-Type', PatchStrategy.MergePatch))
  await waitFor('pods gone', async () => ((await core.listNamespacedPod({namespace, labelSelector: 'app=web'})).items.length === 0 ? true : undefined))
  const placeholder = await waitFor('placeholder slice', async () => {
    const s = await slices()
    return s.length === 1 && (s[0].endpoints ?? []).length === 0 ? s[0] : undefined
  })
  assert.equal(placeholder.metadata?.name, slice.metadata?.name)

  // deleting the Deployment collects its ReplicaSet
  await apps.deleteNamespacedDeployment({name: 'web', namespace})
  await waitFor('replicasets gone', async () => ((await apps.listNamespacedReplicaSet({namespace})).items.length === 0 ? true : undefined))
})
