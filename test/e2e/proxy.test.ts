// The built svc behind a proxy set in the environment, as a CI job behind a corporate proxy runs it.

import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import {after, before, it} from 'node:test'

import yaml from 'js-yaml'

import {runSvc} from '../helpers/run-svc.ts'
import {startConnectProxy, type TestProxy} from '../helpers/proxies.ts'
import {startEnv, type SvcEnv} from './svc-env.ts'

let env: SvcEnv
let proxy: TestProxy
let kubeconfig: string
before(async () => {
  env = await startEnv()
  proxy = await startConnectProxy({hosts: {'kubernetes.default.svc': '127.0.0.1'}})
  const doc: any = yaml.load(fs.readFileSync(env.kubeconfig, 'utf8'))
  doc.clusters[0].cluster.server = `https://kubernetes.default.svc:${env.cluster.port}`
  kubeconfig = path.join(path.dirname(env.kubeconfig), 'behind-proxy.yaml')
  fs.writeFileSync(kubeconfig, yaml.dump(doc), {mode: 0o600})
})
after(async () => {
  await proxy?.close()
  await env?.stop()
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
