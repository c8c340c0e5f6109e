// A cluster whose tls-server-name is an IP address, end to end: the built svc checks the server's
// certificate against that address and prints nothing but the command's output. Node warns once
// per process when a TLS servername is an address (DEP0123, on stderr); kubectl prints nothing.

import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'

import {KubeConfig} from '@kubernetes/client-node'

import {runSvc} from '../helpers/run-svc.ts'
import {startEnv, type SvcEnv} from './svc-env.ts'

let env: SvcEnv

before(async () => {
  env = await startEnv()
})
after(() => env?.stop())

/** The local cluster's kubeconfig with the current cluster's tls-server-name set to `name`. */
function withServerName(name: string): string {
  const kc = new KubeConfig()
  kc.loadFromFile(env.kubeconfig)
  const current = kc.getCurrentCluster()!
  kc.clusters = kc.clusters.map(c => (c.name === current.name ? {...c, tlsServerName: name} : c))
  const file = path.join(path.dirname(env.kubeconfig), `kubeconfig-${name.replaceAll(/[^\w]/g, '-')}`)
  fs.writeFileSync(file, kc.exportConfig())
  return file
}

describe('tls-server-name written as an address', () => {
  it('one the certificate carries: the command\'s output and nothing on stderr', async () => {
    // The local cluster's certificate names 127.0.0.1 among its addresses.
    const r = await runSvc(['get', 'svc', 'kubernetes', '-o', 'name', '--kubeconfig', withServerName('127.0.0.1')])
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'service/kubernetes\n', ''])
  })

  it('one it does not carry: refused with kubectl\'s words for that address, and no warning', async () => {
    const r = await runSvc(['get', 'svc', 'kubernetes', '-o', 'name', '--kubeconfig', withServerName('10.0.0.9')])
    assert.equal(r.code, 1)
    assert.equal(r.stdout, '')
    assert.doesNotMatch(r.stderr, /DeprecationWarning|DEP0123/)
    assert.match(r.stderr, /x509: certificate is valid for 127\.0\.0\.1, ::1, 10\.96\.0\.1, not 10\.0\.0\.9/)
  })
})
