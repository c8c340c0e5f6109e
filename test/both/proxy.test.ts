// The built svc behind a proxy set in the environment, as a CI job behind a corporate proxy runs it,
// on each cluster SVC_TEST_CLUSTER asks for: the kubeconfig names the server as
// kubernetes.default.svc, which only the proxy resolves, so a request or a port-forward tunnel that
// bypassed the proxy fails instead of passing. With a SOCKS5 URL in HTTPS_PROXY too, as kubectl.

import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'

import yaml from 'js-yaml'

import {createPod, deletePod, echo, podReady, startSvc} from '../helpers/pf-cluster.ts'
import {startConnectProxy, startSocks5Proxy, type TestProxy} from '../helpers/proxies.ts'
import {runSvc} from '../helpers/run-svc.ts'
import {clusterKinds, startTestCluster, type TestCluster} from '../helpers/test-cluster.ts'

const PAYLOAD = 'through the proxy\n'

for (const kind of clusterKinds()) {
  describe(`svc behind a proxy, on the ${kind} cluster`, () => {
    let c: TestCluster
    let proxy: TestProxy
    let socks: TestProxy
    let kubeconfig: string

    before(async () => {
      c = await startTestCluster(kind)
      proxy = await startConnectProxy({hosts: {'kubernetes.default.svc': '127.0.0.1'}})
      socks = await startSocks5Proxy({hosts: {'kubernetes.default.svc': '127.0.0.1'}})
      const doc: any = yaml.load(fs.readFileSync(c.kubeconfig(), 'utf8'))
      const server = new URL(doc.clusters[0].cluster.server)
      doc.clusters[0].cluster.server = `https://kubernetes.default.svc:${server.port}`
      kubeconfig = path.join(fs.mkdtempSync(path.join(path.dirname(c.kubeconfig()), 'proxy-')), 'behind-proxy.yaml')
      fs.writeFileSync(kubeconfig, yaml.dump(doc), {mode: 0o600})
      await createPod(c.client, 'proxied', {labels: {app: 'proxied'}, ports: [{containerPort: 7000}]})
      await podReady(c.client, 'proxied', 'default', 60_000)
    })
    after(async () => {
      await proxy?.close()
      await socks?.close()
      if (kubeconfig) fs.rmSync(path.dirname(kubeconfig), {force: true, recursive: true})
      if (c) await deletePod(c.client, 'proxied').catch(() => undefined)
      await c?.stop()
    })

    it('HTTPS_PROXY carries every request of the built binary; NO_PROXY sends it direct', async () => {
      const r = await runSvc(['get', 'services', 'kubernetes', '-o', 'name', '--kubeconfig', kubeconfig], {env: {HTTPS_PROXY: proxy.url}})
      assert.equal(r.stderr, '')
      assert.equal(r.stdout, 'service/kubernetes\n')
      assert.ok(proxy.stats.tunnels.length >= 1)
      const seen = proxy.stats.tunnels.length
      const direct = await runSvc(['get', 'services', '--kubeconfig', kubeconfig], {env: {HTTPS_PROXY: proxy.url, NO_PROXY: '.svc'}})
      assert.equal(direct.code, 1)
      assert.match(direct.stderr, /^Unable to connect to the server: dial tcp: lookup kubernetes\.default\.svc: no such host\n/)
      assert.equal(proxy.stats.tunnels.length, seen)
    })

    for (const [via, transport] of [['CONNECT', 'spdy'], ['CONNECT', 'tunnel'], ['SOCKS5', 'auto']]) {
      it(`port-forward --transport ${transport} through a ${via} proxy in HTTPS_PROXY`, async t => {
        const p = via === 'CONNECT' ? proxy : socks
        const before = p.stats.bytesUp
        const svc = startSvc(['port-forward', '--kubeconfig', kubeconfig, '--transport', transport, 'pod/proxied', ':7000'], {HTTPS_PROXY: p.url})
        t.after(() => svc.kill('SIGKILL'))
        const [, port] = await svc.line(/^Forwarding from 127\.0\.0\.1:(\d+) -> 7000$/, 'stdout', 60_000)
        assert.equal((await echo(Number(port), PAYLOAD)).toString(), PAYLOAD, svc.stderr)
        assert.ok(p.stats.bytesUp - before > PAYLOAD.length, 'the tunnel went through the proxy')
        svc.kill('SIGTERM')
        assert.equal((await svc.exited).code, 0, svc.stderr)
      })
    }
  })
}
