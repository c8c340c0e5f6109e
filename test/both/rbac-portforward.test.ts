// RBAC on pods/portforward, with the two port-forward users: with only
// `create` (what most charts and guides grant) kubectl 1.35 port-forwards; with only `get` it is
// refused. svc must do as well as kubectl with each. (kubectl's WebSocket tunnel is refused with
// create only, as svc's is; kubectl then falls back to SPDY, as `svc --transport auto` does.)

import assert from 'node:assert/strict'
import {after, before, describe, test} from 'node:test'

import {ensureKubectl} from '../../scripts/fetch-kubectl.ts'
import {createPod, echo, podReady, startCommand, startSvc} from '../helpers/pf-cluster.ts'
import {clusterKinds, startTestCluster, type TestCluster} from '../helpers/test-cluster.ts'

const PAYLOAD = 'through the port-forward\n'

for (const kind of clusterKinds()) {
  describe(`pods/portforward RBAC on the ${kind} cluster`, () => {
    let c: TestCluster
    let kubectl: string

    before(async () => {
      kubectl = await ensureKubectl()
      c = await startTestCluster(kind)
      await createPod(c.client, 'rbac-echo', {labels: {app: 'rbac-echo'}, ports: [{containerPort: 7000}]})
      await podReady(c.client, 'rbac-echo', 'default', 60_000)
    })
    after(() => c?.stop())

    test('kubectl auth can-i shows each user\'s verb on pods/portforward', async () => {
      const cases: Array<[string, string, string]> = [['create-only', 'create', 'yes'], ['create-only', 'get', 'no'], ['get-only', 'get', 'yes'], ['get-only', 'create', 'no'], ['readonly', 'create', 'no']]
      for (const [user, verb, want] of cases) {
        const r = startCommand(kubectl, ['auth', 'can-i', verb, 'pods', '--subresource=portforward'], {KUBECONFIG: c.kubeconfig(user as 'create-only')})
        await r.exited
        assert.equal(r.stdout.trim(), want, `${user} ${verb}: ${r.stderr}`)
      }
    })

    test('create-only: kubectl forwards', async t => {
      const kc = startCommand(kubectl, ['port-forward', 'pod/rbac-echo', ':7000'], {KUBECONFIG: c.kubeconfig('create-only')})
      t.after(() => kc.kill('SIGKILL'))
      const [, kubectlPort] = await kc.line(/^Forwarding from 127\.0\.0\.1:(\d+) -> 7000$/, 'stdout', 60_000)
      assert.equal((await echo(Number(kubectlPort), PAYLOAD)).toString(), PAYLOAD)
    })

    for (const transport of ['auto', 'spdy']) {
      test(`create-only: svc --transport ${transport} forwards`, async t => {
        const svc = startSvc(['port-forward', '--kubeconfig', c.kubeconfig('create-only'), '--transport', transport, 'pod/rbac-echo', ':7000'])
        t.after(() => svc.kill('SIGKILL'))
        const [, svcPort] = await svc.line(/^Forwarding from 127\.0\.0\.1:(\d+) -> 7000$/, 'stdout', 60_000)
        assert.equal((await echo(Number(svcPort), PAYLOAD)).toString(), PAYLOAD, svc.stderr)
        svc.kill('SIGTERM')
        assert.equal((await svc.exited).code, 0, svc.stderr)
      })
    }

    // svc's default transport (auto) tries the tunnel, a WebSocket GET that kube-apiserver 1.35
    // authorizes as get AND create (AuthorizePodWebsocketUpgradeCreatePermission), then falls back
    // to SPDY over POST, which needs create only: as kubectl does.
    test('create-only: svc with its default transport forwards as kubectl does', async t => {
      const svc = startSvc(['port-forward', '--kubeconfig', c.kubeconfig('create-only'), 'pod/rbac-echo', ':7000'])
      t.after(() => svc.kill('SIGKILL'))
      const [, svcPort] = await svc.line(/^Forwarding from 127\.0\.0\.1:(\d+) -> 7000$/, 'stdout', 60_000)
      assert.equal((await echo(Number(svcPort), PAYLOAD)).toString(), PAYLOAD, svc.stderr)
      svc.kill('SIGTERM')
      assert.equal((await svc.exited).code, 0, svc.stderr)
    })

    test('get-only: kubectl and svc are both refused', async t => {
      // kubectl opens its streaming connection before it listens: the refusal ends it at once.
      const kc = startCommand(kubectl, ['port-forward', 'pod/rbac-echo', ':7000'], {KUBECONFIG: c.kubeconfig('get-only')})
      t.after(() => kc.kill('SIGKILL'))
      assert.equal((await kc.exited).code, 1)
      assert.match(kc.stderr, /^error: error upgrading connection: pods "rbac-echo" is forbidden: User "get-only" cannot create resource "pods\/portforward" in API group "" in the namespace "default"\n$/)

      const svc = startSvc(['port-forward', '--kubeconfig', c.kubeconfig('get-only'), 'pod/rbac-echo', ':7000'])
      t.after(() => svc.kill('SIGKILL'))
      const [, svcPort] = await svc.line(/^Forwarding from 127\.0\.0\.1:(\d+) -> 7000$/, 'stdout', 60_000)
      await echo(Number(svcPort), PAYLOAD).catch(() => Buffer.alloc(0))
      assert.equal((await svc.exited).code, 1)
      // kube-apiserver 1.35 refuses a WebSocket GET that lacks create with an empty reason:
      // `pods "NAME" is forbidden: ` (the create check's decision carries no text).
      assert.match(svc.stderr, /^error: error upgrading connection: pods "rbac-echo" is forbidden: /m)
    })
  })
}
