// The cluster for benchmarks, in a process of its own so that it does not share an event loop
// with the load generator: the local cluster, or with `real` as the second argument the real
// control plane (test/real-cluster: kube-apiserver and kwok's kubelet streaming code). It creates
// the benchmark pods, then reports over IPC where the kubeconfig is, the pods' own loopback ports
// (the "direct" baseline), what serves the API and the V8 flags this process runs under.
//
//   bench/cluster-child.ts KUBECONFIG [local|real]

import v8 from 'node:v8'

import {KubeConfig} from '@kubernetes/client-node'

import {KubeClient} from '../src/kube/client.ts'
import type {Pod} from '../src/kube/types.ts'
import {startCluster} from '../test/cluster/index.ts'
import {until} from '../test/helpers/poll.ts'
import {startRealCluster} from '../test/real-cluster/index.ts'

// What this process stands for: with `local`, kube-apiserver and the kubelet (the pods are simulated
// in it); with `real`, the pod agent alone (the pods' own sockets), the control plane being the Go
// processes it starts. Its collector is paced closer to Go's, whose goal is one limit over the
// heap, I/O buffers included, GOGC=100 % above what the last collection left live
// (runtime/extern.go GOGC, runtime/mgcpacer.go gcControllerState.heapGoal): with these two flags
// V8 keeps one limit over its heap and ArrayBuffer memory, grown by 100 % over what a full
// collection left live. Without them, V8 counts the ArrayBuffer memory allocated since the last
// full collection towards the old generation's limit, and also gives ArrayBuffer memory a trigger
// of its own, 64 MB above what the last full collection left live; as this process allocates a
// Buffer per socket read (about 3 bytes of buffers per byte echoed), that trigger starts a full
// collection of the whole heap (some 32 MB of cluster state) for every 10-20 MiB forwarded, and
// full collections take about 40 % of its CPU on a bulk echo, about 17 % with the flags. The
// pacing is an analogy, not a copy: V8 still scavenges its young generation, keeps a minimum step
// of its own between limits, and this process still allocates a Buffer per read where
// kube-apiserver reuses its buffers (io.Copy's 32 KiB, gorilla's bufio), so it still collects
// more per byte than kube-apiserver does. The flags apply to every tool's traffic alike and
// change nothing on the wire; the price is a higher peak RSS (about 335 against 265 MB over a bulk
// echo). The bench records them in its results (meta.clusterV8Flags).
const V8_FLAGS = ['--external-memory-accounted-in-global-limit', '--heap-growing-percent=100']
for (const flag of V8_FLAGS) v8.setFlagsFromString(flag)

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
process.send!({direct, kubeconfig: kubeconfigFile, server, v8Flags: V8_FLAGS})

const stop = () => stopCluster().then(() => process.exit(0))
process.on('SIGTERM', stop)
process.on('disconnect', stop)
