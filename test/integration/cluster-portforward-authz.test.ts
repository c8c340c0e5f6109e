// Authorization of pods/portforward in the local cluster, compared with kube-apiserver 1.35 with the
// feature gate AuthorizePodWebsocketUpgradeCreatePermission on (its default):
// - staging/src/k8s.io/apiserver/pkg/endpoints/filters/authorization.go WithAuthorization checks the
//   request's verb (GET: get, POST: create) and refuses in responsewriters.Forbidden's words;
// - pkg/registry/core/pod/rest/subresources.go PortForwardREST.Connect then calls
//   ensureAuthorizedForVerb(ctx, r.Authorizer, "create"): nothing more for a POST, a second check with
//   the verb replaced for a GET, refused with apierrors.NewForbidden(pods, name, errors.New(reason))
//   where RBAC's reason is empty, before the pod is looked up (PortForwardLocation).
// The expected bodies below are those Go code paths' output, byte for byte.

import assert from 'node:assert/strict'
import https from 'node:https'
import {after, before, describe, it} from 'node:test'

import {KubeConfig} from '@kubernetes/client-node'

import {KubeClient} from '../../src/kube/client.ts'
import {ApiError} from '../../src/kube/errors.ts'
import {openTunnel} from '../../src/portforward/tunnel.ts'
import {type KubeUser, startCluster, type LocalCluster} from '../cluster/index.ts'
import {credsOf, json, request} from './cluster-raw.ts'

const PATH = '/api/v1/namespaces/default/pods/web-1/portforward'

/** An upgrade request: GET as a WebSocket would send it, POST as SPDY; the stub handler answers 101. */
function upgrade(c: LocalCluster, path: string, as: KubeUser, method: 'GET' | 'POST', extra: Record<string, string> = {}): Promise<{status: number; body: string}> {
  const creds = credsOf(c)
  const headers: Record<string, string> = method === 'GET'
    ? {Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version': '13'}
    : {Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'portforward.k8s.io'}
  headers.Authorization = `Bearer ${creds.tokens[as]}`
  Object.assign(headers, extra)
  return new Promise((resolve, reject) => {
    const req = https.request({host: '127.0.0.1', port: c.port, path, method, headers, agent: false, ca: creds.ca})
    req.on('upgrade', (res, socket) => {
      socket.destroy()
      resolve({status: res.statusCode ?? 0, body: ''})
    })
    req.on('response', res => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => (body += d))
      res.on('end', () => resolve({status: res.statusCode ?? 0, body}))
    })
    req.on('error', reject)
    req.end()
  })
}

/** ensureAuthorizedForVerb's NewForbidden with RBAC's empty reason. */
const connectRefusal = (pod = 'web-1'): string =>
  `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \\"${pod}\\" is forbidden: ","reason":"Forbidden","details":{"name":"${pod}","kind":"pods"},"code":403}\n`

describe('local cluster: pods/portforward authorization (1.35, AuthorizePodWebsocketUpgradeCreatePermission on)', () => {
  let c: LocalCluster
  before(async () => {
    c = await startCluster({simulate: false})
    const created = await request(c, '/api/v1/namespaces/default/pods', json('POST', {apiVersion: 'v1', kind: 'Pod', metadata: {name: 'web-1'}, spec: {nodeName: 'local-node', containers: [{name: 'app', image: 'nginx'}]}}))
    assert.equal(created.status, 201, created.text)
    c.onPortForward(({socket}) => {
      socket.end('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n')
    })
  })
  after(() => c.stop())

  // The user x method table (101 or the exact 403 body) runs on both clusters, the real
  // kube-apiserver as the judge: test/both/portforward-authz.test.ts.

  it('checks create before it looks the pod up (Connect runs before PortForwardLocation)', async () => {
    const answer = await upgrade(c, '/api/v1/namespaces/default/pods/ghost/portforward', 'get-only', 'GET')
    assert.equal(answer.status, 403)
    assert.equal(answer.body, connectRefusal('ghost'))
    const admin = await upgrade(c, '/api/v1/namespaces/default/pods/ghost/portforward', 'token', 'GET')
    assert.equal(admin.status, 404)
  })

  it('a plain GET (no upgrade) goes through both checks too', async () => {
    const plain = await request(c, PATH, {as: 'get-only'})
    assert.equal(plain.status, 403)
    assert.equal(plain.text, connectRefusal())
    const admin = await request(c, PATH)
    assert.equal(admin.json().message, 'Upgrade request required')
  })

  it('the port-forward users read what target resolution needs, and write nothing', async () => {
    for (const user of ['create-only', 'get-only']) {
      for (const path of ['/api/v1/namespaces/default/pods', '/api/v1/namespaces/default/services', '/api/v1/namespaces/default/endpoints',
        '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', '/apis/apps/v1/namespaces/default/deployments', '/apis/apps/v1/namespaces/default/replicasets']) {
        assert.equal((await request(c, path, {as: user})).status, 200, `${user} lists ${path}`)
      }
      const secrets = await request(c, '/api/v1/namespaces/default/secrets', {as: user})
      assert.equal(secrets.json().message, `secrets is forbidden: User "${user}" cannot list resource "secrets" in API group "" in the namespace "default"`)
      const create = await request(c, '/api/v1/namespaces/default/services', {...json('POST', {}), as: user})
      assert.equal(create.json().message, `services is forbidden: User "${user}" cannot create resource "services" in API group "" in the namespace "default"`)
    }
  })

  it('svc names the verbs the server wanted in its 403 text', async () => {
    const client = (user: KubeUser): KubeClient => {
      const kc = new KubeConfig()
      kc.loadFromString(c.kubeconfig(user))
      return new KubeClient(kc)
    }
    const getOnly = await openTunnel(client('get-only'), {namespace: 'default', pod: 'web-1', port: 80}).catch(e => e)
    assert.ok(getOnly instanceof ApiError)
    assert.equal(getOnly.message, 'pods "web-1" is forbidden: the create verb on pods/portforward was refused (a port-forward over WebSocket needs both the get and the create verb on pods/portforward since Kubernetes 1.35)')
    const createOnly = await openTunnel(client('create-only'), {namespace: 'default', pod: 'web-1', port: 80}).catch(e => e)
    assert.ok(createOnly instanceof ApiError)
    assert.equal(createOnly.message, 'pods "web-1" is forbidden: User "create-only" cannot get resource "pods/portforward" in API group "" in the namespace "default" (a port-forward over WebSocket needs both the get and the create verb on pods/portforward since Kubernetes 1.35)')
  })
})

// The impersonation filter, compared with staging/src/k8s.io/apiserver/pkg/endpoints/filters/
// impersonation.go WithImpersonation: each requested thing is authorized with verb impersonate for the
// requesting user (system:masters may), the first refusal is responsewriters.Forbidden, and the request
// then runs as the impersonated user (its RBAC decides; it is named in every later refusal).
describe('local cluster: impersonation', () => {
  let c: LocalCluster
  before(async () => {
    c = await startCluster({simulate: false})
  })
  after(() => c.stop())

  it('acts as the impersonated user, on plain requests and on port-forward upgrades', async () => {
    const asReadonly = await request(c, '/api/v1/namespaces/default/services', {...json('POST', {}, {'Impersonate-User': 'readonly'})})
    assert.equal(asReadonly.status, 403)
    assert.equal(asReadonly.json().message, 'services is forbidden: User "readonly" cannot create resource "services" in API group "" in the namespace "default"')
    assert.equal((await request(c, '/api/v1/namespaces/default/services', {headers: {'Impersonate-User': 'readonly'}})).status, 200)
    const unknown = await request(c, '/api/v1/namespaces/default/pods', {headers: {'Impersonate-User': 'jane', 'Impersonate-Group': 'devs'}})
    assert.equal(unknown.json().message, 'pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the namespace "default"')
    const masters = await request(c, '/api/v1/namespaces/default/pods', {headers: {'Impersonate-User': 'jane', 'Impersonate-Group': 'system:masters'}})
    assert.equal(masters.status, 200)
    const pf = await request(c, '/api/v1/namespaces/default/pods/web-1/portforward', {method: 'POST', headers: {'Impersonate-User': 'get-only'}})
    assert.equal(pf.json().message, 'pods "web-1" is forbidden: User "get-only" cannot create resource "pods/portforward" in API group "" in the namespace "default"')
  })

  it('refuses a user without the impersonate verb, naming what it asked for', async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{'Impersonate-User': 'jane'}, 'users "jane" is forbidden: User "readonly" cannot impersonate resource "users" in API group "" at the cluster scope'],
      [{'Impersonate-User': 'system:serviceaccount:ns1:robot'}, 'serviceaccounts "robot" is forbidden: User "readonly" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "ns1"'],
    ]
    for (const [headers, message] of cases) {
      const answer = await request(c, '/api/v1/namespaces/default/pods', {headers, as: 'readonly'})
      assert.equal(answer.status, 403)
      assert.equal(answer.json().message, message)
    }
    const upgradeAnswer = await upgrade(c, PATH, 'readonly', 'POST', {'Impersonate-User': 'jane'})
    assert.equal(upgradeAnswer.status, 403)
    assert.equal(JSON.parse(upgradeAnswer.body).message, 'users "jane" is forbidden: User "readonly" cannot impersonate resource "users" in API group "" at the cluster scope')
  })

  it('groups, extras or a uid without a user are a plain-text 500', async () => {
    const answer = await request(c, '/api/v1/namespaces/default/pods', {headers: {'Impersonate-Group': 'devs'}})
    assert.equal(answer.status, 500)
    assert.equal(answer.text, 'Internal Server Error: "/api/v1/namespaces/default/pods": requested [{Group  devs    }] without impersonating a user\n')
  })
})
