// Authorization of pods/portforward on each cluster, the real kube-apiserver 1.35 being the judge
// (AuthorizePodWebsocketUpgradeCreatePermission on, its default): the request's verb is checked
// first (GET: get, POST: create; apiserver endpoints/filters/authorization.go WithAuthorization,
// refused in responsewriters.Forbidden's words), then PortForwardREST.Connect
// (pkg/registry/core/pod/rest/subresources.go) checks create for a GET too, before the pod is
// looked up, refusing with an empty reason. The local cluster's own table, with more cases, is
// test/integration/cluster-portforward-authz.test.ts; here the bodies are compared on both.

import assert from 'node:assert/strict'
import fs from 'node:fs'
import https from 'node:https'
import {after, before, describe, it} from 'node:test'

import yaml from 'js-yaml'

import {createPod, deletePod, podReady} from '../helpers/pf-cluster.ts'
import {clusterKinds, startTestCluster, type TestCluster, type TestUser} from '../helpers/test-cluster.ts'

const POD = 'authz-echo'

interface Answer {status: number; body: string}

/** A raw upgrade request as `user`: GET as a v4 WebSocket would send it, POST as SPDY. */
function upgrade(c: TestCluster, pod: string, user: TestUser, method: 'GET' | 'POST', upgradeHeaders = true): Promise<Answer> {
  const doc: any = yaml.load(fs.readFileSync(c.kubeconfig(user), 'utf8'))
  const server = new URL(doc.clusters[0].cluster.server)
  const ca = Buffer.from(doc.clusters[0].cluster['certificate-authority-data'], 'base64')
  const token = doc.users.find((u: any) => u.name === user).user.token
  const headers: Record<string, string> = {Authorization: `Bearer ${token}`}
  if (upgradeHeaders) {
    Object.assign(headers, method === 'GET'
      ? {Connection: 'Upgrade', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Protocol': 'v4.channel.k8s.io', 'Sec-WebSocket-Version': '13', Upgrade: 'websocket'}
      : {Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'portforward.k8s.io'})
  }
  const path = `/api/v1/namespaces/default/pods/${pod}/portforward?ports=7000`
  return new Promise((resolve, reject) => {
    const req = https.request({agent: false, ca, headers, host: server.hostname, method, path, port: server.port})
    req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path} as ${user}: no answer in 30 s`)))
    req.on('upgrade', (res, socket) => {
      socket.destroy()
      resolve({body: '', status: res.statusCode ?? 0})
    })
    req.on('response', res => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => (body += d))
      res.on('end', () => resolve({body, status: res.statusCode ?? 0}))
    })
    req.on('error', reject)
    req.end()
  })
}

/** responsewriters.Forbidden for pods/portforward in namespace default. */
const filterRefusal = (user: string, verb: string, pod = POD): string =>
  `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \\"${pod}\\" is forbidden: User \\"${user}\\" cannot ${verb} resource \\"pods/portforward\\" in API group \\"\\" in the namespace \\"default\\"","reason":"Forbidden","details":{"name":"${pod}","kind":"pods"},"code":403}\n`
/** ensureAuthorizedForVerb's NewForbidden with RBAC's empty reason. */
const connectRefusal = (pod = POD): string =>
  `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \\"${pod}\\" is forbidden: ","reason":"Forbidden","details":{"name":"${pod}","kind":"pods"},"code":403}\n`

const same = (a: Answer, status: number, body: string) => {
  assert.equal(a.status, status, a.body)
  assert.equal(a.body, body)
}

for (const kind of clusterKinds()) {
  describe(`pods/portforward authorization on the ${kind} cluster`, () => {
    let c: TestCluster

    before(async () => {
      c = await startTestCluster(kind)
      await createPod(c.client, POD, {labels: {app: POD}, ports: [{containerPort: 7000}]})
      await podReady(c.client, POD, 'default', 60_000)
    })
    after(async () => {
      if (c) await deletePod(c.client, POD).catch(() => undefined)
      await c?.stop()
    })

    const table: Array<[TestUser, 'GET' | 'POST', number, string]> = [
      ['token', 'GET', 101, ''],
      ['token', 'POST', 101, ''],
      ['create-only', 'GET', 403, filterRefusal('create-only', 'get')],
      ['create-only', 'POST', 101, ''],
      ['get-only', 'GET', 403, connectRefusal()],
      ['get-only', 'POST', 403, filterRefusal('get-only', 'create')],
      ['readonly', 'GET', 403, connectRefusal()],
      ['readonly', 'POST', 403, filterRefusal('readonly', 'create')],
    ]
    for (const [user, method, status, body] of table) {
      it(`${user} ${method} upgrade: ${status}`, async () => same(await upgrade(c, POD, user, method), status, body))
    }

    it('create is checked before the pod is looked up', async () => {
      same(await upgrade(c, 'ghost', 'get-only', 'GET'), 403, connectRefusal('ghost'))
      assert.equal((await upgrade(c, 'ghost', 'token', 'GET')).status, 404)
    })
  })
}
