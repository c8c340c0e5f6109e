// The cluster for benchmarks, in a process of its own so that it does not share an event loop
// with the load generator: the local cluster, or with `real` as the second argument the real
// control plane (test/real-cluster: kube-apiserver and kwok's kubelet streaming code). It creates
// the benchmark pods, then reports over IPC where the kubeconfig is, the pods' own loopback ports
// (the "direct" baseline) and what serves the API.
//
//   bench/cluster-child.ts KUBECONFIG [local|real]

import v8 from 'node:v8'

import {KubeConfig} from '@kubernetes/client-node'

import {KubeClient} from '../src/kube/client.ts'
import type {Pod} from '../src/kube/types.ts'
import {startCluster} from '../test/cluster/index.ts'
import {until} from '../test/helpers/poll.ts'
import {startRealCluster} from '../test/real-cluster/index.ts'

// This process stands in for kube-apiserver and the kubelet, Go programs whose collector runs when
// the heap, I/O buffers included, has grown by GOGC=100 % over what the last collection left live
// (runtime/extern.go GOGC, runtime/mgcpacer.go gcControllerState.heapGoal). V8's own rule keeps
// ArrayBuffer memory apart and starts a full collection of the whole heap (some 32 MB of cluster
// state) for every 64 MB of socket buffers allocated: every 10-20 MiB forwarded, so that major
// collections took about 40 % of this process's CPU in a bulk echo (perf, V8's worker threads and
// the main one), 17 % with these two flags. They pace V8 as Go paces the real control plane: one
// limit over heap and buffers, grown by 100 %. The same for every tool's traffic, nothing on the
// wire changes; the price is a higher peak (about 335 against 265 MB over a bulk echo).
v8.setFlagsFromString('--external-memory-accounted-in-global-limit')
v8.setFlagsFromString('--heap-growing-percent=100')

const kubeconfigFile = process.argv[2]
const real = process.argv[3] === 'real'

const pods = [
  {annotations: {}, name: 'bench-echo', port: 7},
  {annotations: {'sim.svc.local/port-8080': 'http'}, name: 'bench-http', port: 8080},
]

/** The part of kwok's PortForward object read here. */
interface PortForward {
  spec?: {forwards?: Array<{ports?: number[]; target?: {port?: number}}>}
}

let stopCluster: () => Promise<void>
let directPort: (client: KubeClient, pod: string, port: number) => Promise<number>
let server: string
if (real) {
  const cluster = await startRealCluster({kubeVersion: process.env.BENCH_KUBE_VERSION})
  stopCluster = () => cluster.stop()
  cluster.writeKubeconfig(kubeconfigFile)
  server = `the real control plane (kube-apiserver v${cluster.binaries.kubeVersion}, kwok's kubelet)`
  // The pod agent (test/real-cluster/pods.ts) serves each pod port on loopback and names that
  // address in the pod's PortForward object, which kwok's port-forward dials.
  directPort = (client, pod, port) => until(async () => {
    const pf = await client.request<PortForward>({path: `/apis/kwok.x-k8s.io/v1alpha1/namespaces/default/portforwards/${pod}`}).catch(() => undefined)
    return pf?.body?.spec?.forwards?.find(f => f.ports?.includes(port))?.target?.port
  }, `the PortForward of pod ${pod}`, {intervalMs: 50, timeoutMs: 30_000})
} else {
  const cluster = await startCluster()
  stopCluster = () => cluster.stop()
  cluster.writeKubeconfig(kubeconfigFile)
  server = 'the local cluster'
  directPort = async (_client, pod, port) => {
    const socket = await cluster.dialPod('default', pod, port)
    const {remotePort} = socket // read before destroy(), after which a socket has no remote address
    socket.destroy()
    return remotePort!
  }
}

const kc = new KubeConfig()
kc.loadFromFile(kubeconfigFile)
const client = new KubeClient(kc)

for (const pod of pods) {
  await client.request({
    body: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {annotations: pod.annotations, labels: {app: pod.name}, name: pod.name, namespace: 'default'},
      spec: {containers: [{image: 'bench', name: 'main', ports: [{containerPort: pod.port}]}]},
    },
    method: 'POST',
    path: '/api/v1/namespaces/default/pods',
  })
}
for (const pod of pods) {
  await until(async () => ((await client.request<Pod>({path: `/api/v1/namespaces/default/pods/${pod.name}`})).body.status?.phase === 'Running' || undefined), `pod ${pod.name} Running`, {intervalMs: 50, timeoutMs: 30_000})
}
const direct: Record<string, number> = {}
for (const pod of pods) direct[pod.name] = await directPort(client, pod.name, pod.port)
process.send!({direct, kubeconfig: kubeconfigFile, server})

const stop = () => stopCluster().then(() => process.exit(0))
process.on('SIGTERM', stop)
process.on('disconnect', stop)
