// The local cluster for benchmarks, in a process of its own so that it does not share an event
// loop with the load generator. It creates the benchmark pods, then reports over IPC where the
// kubeconfig is and the pods' own loopback ports (the "direct" baseline).

import {KubeConfig} from '@kubernetes/client-node'

import {KubeClient} from '../src/kube/client.ts'
import type {Pod} from '../src/kube/types.ts'
import {startCluster} from '../test/cluster/index.ts'

const kubeconfigFile = process.argv[2]
const cluster = await startCluster()
cluster.writeKubeconfig(kubeconfigFile)

const kc = new KubeConfig()
kc.loadFromFile(kubeconfigFile)
const client = new KubeClient(kc)

const pods = [
  {annotations: {}, name: 'bench-echo', port: 7},
  {annotations: {'sim.svc.local/port-8080': 'http'}, name: 'bench-http', port: 8080},
]
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
const deadline = Date.now() + 30_000
for (const pod of pods) {
  while ((await client.request<Pod>({path: `/api/v1/namespaces/default/pods/${pod.name}`})).body.status?.phase !== 'Running') {
    if (Date.now() > deadline) throw new Error(`pod ${pod.name} did not start`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}
const direct: Record<string, number> = {}
for (const pod of pods) {
  const socket = await cluster.dialPod('default', pod.name, pod.port)
  direct[pod.name] = socket.remotePort!
  socket.destroy()
}
process.send!({direct, kubeconfig: kubeconfigFile})

const stop = () => cluster.stop().then(() => process.exit(0))
process.on('SIGTERM', stop)
process.on('disconnect', stop)
