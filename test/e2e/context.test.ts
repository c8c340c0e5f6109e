// --context end to end: the built svc picks the kubeconfig context named on the command line, not
// the current one (the local cluster's kubeconfig has an admin, a client-certificate and a
// read-only context on the same server).

import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'

import {SERVICES, startEnv, type SvcEnv} from './svc-env.ts'

let env: SvcEnv

before(async () => {
  env = await startEnv()
})
after(() => env?.stop())

describe('--context', () => {
  it('acts as the context\'s user: read-only is refused a create, the certificate user may', async () => {
    const refused = await env.svc(['create', 'clusterip', 'ctx-ro', '--tcp=80', '--context', 'local-readonly'])
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /^error: failed to create ClusterIP service: services is forbidden: User "[^"]+" cannot create resource "services"/)
    const missing = await env.api.request({path: `${SERVICES}/ctx-ro`}).catch((error: unknown) => error)
    assert.ok(missing instanceof Error, 'nothing was created')

    const created = await env.svc(['create', 'clusterip', 'ctx-cert', '--tcp=80', '--context', 'local-cert'])
    assert.deepEqual([created.code, created.stdout, created.stderr], [0, 'service/ctx-cert created\n', ''])
    const read = await env.svc(['get', 'ctx-cert', '-o', 'name', '--context', 'local-readonly'])
    assert.deepEqual([read.code, read.stdout, read.stderr], [0, 'service/ctx-cert\n', ''])
  })

  it('a context the kubeconfig does not have is an error naming it, before any request', async () => {
    const r = await env.svc(['get', '--context', 'nosuch'])
    assert.equal(r.code, 1)
    assert.equal(r.stdout, '')
    assert.match(r.stderr, /context.*\bnosuch\b/)
  })
})
