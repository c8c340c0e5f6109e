// Throughput of the port-forward transport through the local cluster: an HTTP download from an
// `http` pod's /bytes via forwardConnection (local TCP -> TLS WebSocket -> API server -> pod), next to
// the same download straight from the simulated container (dialPod), for scale.
// Run: ./node_modules/.bin/node bench/pf-throughput.ts [MiB=256] [rounds=3]
// Everything (client, forwarder, API server, pod) runs in this one process.

import http from 'node:http'

import {KubeConfig} from '@kubernetes/client-node'

import {KubeClient} from '../src/kube/client.ts'
import type {Pod} from '../src/kube/types.ts'
import {startCluster} from '../test/cluster/index.ts'
import {registerPortForwardWs} from '../test/cluster/portforward-ws.ts'
import {listenAndForward} from '../test/helpers/forward-listener.ts'

const MiB = 1024 * 1024
const size = Number(process.argv[2] ?? 256) * MiB
const rounds = Number(process.argv[3] ?? 3)

function download(options: http.RequestOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint()
    http.get({agent: false, headers: {Connection: 'close'}, path: `/bytes?n=${size}`, ...options}, res => {
      let n = 0
      res.on('data', (chunk: Buffer) => {
        n += chunk.length
      })
      res.on('end', () => {
        if (n !== size) reject(new Error(`got ${n} bytes`))
        resolve(size / MiB / (Number(process.hrtime.bigint() - started) / 1e9))
      })
    }).on('error', reject)
  })
}

const cluster = await startCluster()
registerPortForwardWs(cluster)
const kc = new KubeConfig()
kc.loadFromString(cluster.kubeconfig())
const client = new KubeClient(kc)
await client.request({
  body: {apiVersion: 'v1', kind: 'Pod', metadata: {annotations: {'sim.svc.local/port-8080': 'http'}, name: 'web'}, spec: {containers: [{image: 'nginx', name: 'c', ports: [{containerPort: 8080}]}]}},
  method: 'POST', path: '/api/v1/namespaces/default/pods',
})
for (;;) {
  const {body} = await client.request<Pod>({path: '/api/v1/namespaces/default/pods/web'})
  if (body.status?.phase === 'Running') break
  await new Promise(resolve => setTimeout(resolve, 20))
}
// The container's own loopback port, for the baseline.
const probe = await cluster.dialPod('default', 'web', 8080)
const containerPort = probe.remotePort!
probe.destroy()
const l = await listenAndForward(client, {namespace: 'default', pod: 'web', port: 8080})
const direct: number[] = []
const forwarded: number[] = []
for (let i = 0; i < rounds; i++) {
  direct.push(await download({host: '127.0.0.1', port: containerPort}))
  forwarded.push(await download({host: '127.0.0.1', port: l.port}))
}
console.log(`${size / MiB} MiB /bytes download, best of ${rounds}: direct to the container ${Math.max(...direct).toFixed(0)} MiB/s, through port-forward ${Math.max(...forwarded).toFixed(0)} MiB/s`)
await l.close()
await cluster.stop()
