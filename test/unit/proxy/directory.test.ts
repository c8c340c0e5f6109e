// The proxy's view of the cluster: namespaces are watched only once a connection names them, a
// name that may lie outside the cluster costs one GET (no watch), changes arrive through the watch,
// pods leaving the endpoints are reported, and ClientIP affinity holds per Service.

import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {Directory} from '../../../src/proxy/directory.ts'
import {FakeListWatch} from '../../helpers/fake-list-watch.ts'
import {until} from '../../helpers/poll.ts'

const SVC = (ns: string) => `/api/v1/namespaces/${ns}/services`
const EPS = (ns: string) => `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`

function service(name: string, ns: string, extra: Record<string, unknown> = {}) {
  return {metadata: {name, namespace: ns}, spec: {clusterIP: '10.96.0.5', ports: [{port: 80, protocol: 'TCP'}], ...extra}}
}
function slice(name: string, svc: string, pods: string[]) {
  return {
    endpoints: pods.map((pod, i) => ({addresses: [`10.0.0.${i + 1}`], conditions: {ready: true}, targetRef: {kind: 'Pod', name: pod}})),
    metadata: {labels: {'kubernetes.io/service-name': svc}, name},
    ports: [{name: '', port: 8080, protocol: 'TCP'}],
  }
}

function setup(affinity = false) {
  const client = new FakeListWatch()
  client.collections.set(SVC('shop'), [service('web', 'shop', affinity ? {sessionAffinity: 'ClientIP'} : {})])
  client.collections.set(EPS('shop'), [slice('web-a', 'web', ['web-1', 'web-2'])])
  client.collections.set(SVC('default'), [])
  client.collections.set(EPS('default'), [])
  client.objects.set(`${SVC('shop')}/web`, service('web', 'shop'))
  const gone: string[] = []
  const controller = new AbortController()
  const directory = new Directory({client, clusterDomain: 'cluster.local', namespace: 'default', podGone: (ns, pod) => gone.push(`${ns}/${pod}`), signal: controller.signal})
  return {client, controller, directory, gone}
}

describe('Directory', () => {
  it('watches nothing until a connection names a namespace, then that namespace only', async () => {
    const {client, controller, directory} = setup()
    assert.deepEqual(directory.namespaces, [])
    const route = await directory.route('web.shop.svc', 80, '127.0.0.1', false)
    assert.equal(route.kind, 'pod')
    assert.deepEqual(directory.namespaces, ['shop'])
    assert.deepEqual(client.requests.map(r => r.path), [SVC('shop'), EPS('shop')])
    controller.abort()
  })

  it('a name that may be outside the cluster costs one GET and no watch', async () => {
    const {client, controller, directory} = setup()
    const route = await directory.route('example.com', 443, '127.0.0.1', false)
    assert.deepEqual(route, {kind: 'refuse', refusal: {kind: 'not-cluster', message: 'no Service "example" in namespace "com" (names outside the cluster need --passthrough)'}})
    assert.deepEqual(await directory.route('example.com', 443, '127.0.0.1', true), {host: 'example.com', kind: 'direct', port: 443})
    assert.deepEqual(directory.namespaces, [])
    assert.deepEqual(client.requests.map(r => r.path), [`${SVC('com')}/example`, `${SVC('com')}/example`])
    controller.abort()
  })

  it('round-robin over the ready pods; endpoints follow the watch; a pod leaving is reported', async () => {
    const {client, controller, directory, gone} = setup()
    const pods = async () => {
      const out: string[] = []
      for (let i = 0; i < 4; i++) {
        const r = await directory.route('web.shop', 80, '127.0.0.1', false)
        out.push(r.kind === 'pod' ? `${r.backend.pod}:${r.backend.port}` : r.kind)
      }
      return out
    }
    assert.deepEqual(await pods(), ['web-1:8080', 'web-2:8080', 'web-1:8080', 'web-2:8080'])
    await client.waitForWatch(EPS('shop'))
    client.emit(EPS('shop'), 'MODIFIED', slice('web-a', 'web', ['web-3']))
    await until(() => gone.length === 2, 'both old pods reported gone')
    assert.deepEqual(gone, ['shop/web-1', 'shop/web-2'])
    assert.deepEqual(await pods(), ['web-3:8080', 'web-3:8080', 'web-3:8080', 'web-3:8080'])
    client.emit(EPS('shop'), 'DELETED', slice('web-a', 'web', []))
    await until(async () => (await directory.route('web.shop', 80, '127.0.0.1', false)).kind === 'refuse', 'the Service to have no endpoints')
    controller.abort()
  })

  it('ClientIP affinity: one client keeps its pod, another gets the next', async () => {
    const {controller, directory} = setup(true)
    const pod = async (ip: string) => {
      const r = await directory.route('web.shop', 80, ip, false)
      return r.kind === 'pod' ? r.backend.pod : r.kind
    }
    const first = await pod('10.1.1.1')
    assert.deepEqual([await pod('10.1.1.1'), await pod('10.1.1.1')], [first, first])
    assert.notEqual(await pod('10.1.1.2'), first)
    controller.abort()
  })

  it('a failed first list is a refusal with the API\'s words, and is tried again next time', async () => {
    const {client, controller, directory} = setup()
    client.collections.delete(SVC('shop'))
    const route = await directory.route('web.shop.svc', 80, '127.0.0.1', false)
    assert.deepEqual(route, {kind: 'refuse', refusal: {kind: 'unreachable', message: 'cannot look up web.shop.svc: shop "services" not found'}})
    client.collections.set(SVC('shop'), [service('web', 'shop')])
    assert.equal((await directory.route('web.shop.svc', 80, '127.0.0.1', false)).kind, 'pod')
    controller.abort()
  })
})
