// The TLS 1.3 cipher suite each cluster's API server chooses, the real kube-apiserver 1.35 being the
// judge. kube-apiserver is a Go TLS server: crypto/tls (handshake_server_tls13.go, processClientHello)
// picks from its own order, AES-128-GCM first on AES hardware when the client prefers AES-GCM,
// whatever the client lists first. OpenSSL's default takes the client's first choice, which for
// Node's clients (svc) is AES-256-GCM, so without the local cluster's own order svc would pay for
// AES-256 there and AES-128 on every real cluster, while kubectl (Go lists AES-128 first) gets
// AES-128 from both.

import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import tls from 'node:tls'
import {after, before, describe, it} from 'node:test'

import {KubeConfig} from '@kubernetes/client-node'

import {clusterKinds, startTestCluster, type TestCluster} from '../helpers/test-cluster.ts'

/** The suite and protocol the server settles on for a client offering `ciphers` (Node's default list if undefined). */
async function negotiated(c: TestCluster, ciphers?: string): Promise<{protocol: null | string; suite: string}> {
  const kc = new KubeConfig()
  kc.loadFromString(readFileSync(c.kubeconfig(), 'utf8'))
  const cluster = kc.getCurrentCluster()!
  const url = new URL(cluster.server)
  const ca = cluster.caData ? Buffer.from(cluster.caData, 'base64') : readFileSync(cluster.caFile!)
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ca, ciphers, host: url.hostname, port: Number(url.port), servername: url.hostname === '127.0.0.1' ? undefined : url.hostname}, () => {
      resolve({protocol: socket.getProtocol(), suite: socket.getCipher().standardName})
      socket.end()
    })
    socket.setTimeout(10_000, () => socket.destroy(new Error('no TLS handshake within 10 s')))
    socket.on('error', reject)
  })
}

for (const kind of clusterKinds()) {
  describe(`the TLS suite on the ${kind} cluster`, () => {
    let c: TestCluster
    before(async () => {
      c = await startTestCluster(kind)
    })
    after(() => c?.stop())

    it("Node's default client (svc) gets TLS 1.3 with AES-128-GCM, as from a Go server", async () => {
      assert.deepEqual(await negotiated(c), {protocol: 'TLSv1.3', suite: 'TLS_AES_128_GCM_SHA256'})
    })

    it('the server order wins over a client that lists AES-256-GCM first', async () => {
      const ciphers = 'TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256:' + tls.DEFAULT_CIPHERS
      assert.deepEqual(await negotiated(c, ciphers), {protocol: 'TLSv1.3', suite: 'TLS_AES_128_GCM_SHA256'})
    })
  })
}
