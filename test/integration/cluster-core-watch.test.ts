import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'
import * as k8s from '@kubernetes/client-node'
import {startCluster, type LocalCluster} from '../cluster/index.ts'
import {json, request, watch} from './cluster-raw.ts'

let c: LocalCluster
before(async () => {
  c = await startCluster({bookmarkIntervalMs: 200, watchHistory: 50, simulate: false})
})
after(() => c.stop())

const cm = (name: string, labels: Record<string, string> = {}): any => ({apiVersion: 'v1', kind: 'Service', metadata: {name, labels}, spec: {ports: [{port: 80}]}})

describe('watch', () => {
  it('streams ADDED for existing objects, then MODIFIED and DELETED', async () => {
    await request(c, '/api/v1/namespaces/kube-public/services', json('POST', cm('w1')))
    const w = await watch(c, '/api/v1/namespaces/kube-public/services?watch=true')
    assert.equal(w.status, 200)
    const first = await w.next()
    assert.equal(first.type, 'ADDED')
    assert.equal(first.object.kind, 'Service')
    assert.equal(first.object.apiVersion, 'v1')
    assert.equal(first.object.metadata.name, 'w1')
    await request(c, '/api/v1/namespaces/kube-public/services/w1', {method: 'PATCH', body: '{"metadata":{"labels":{"x":"y"}}}', headers: {'Content-Type': 'application/merge-patch+json'}})
    const modified = await w.next()
    assert.equal(modified.type, 'MODIFIED')
    assert.deepEqual(modified.object.metadata.labels, {x: 'y'})
    await request(c, '/api/v1/namespaces/kube-public/services/w1', {method: 'DELETE'})
    const deleted = await w.next()
    assert.equal(deleted.type, 'DELETED')
    assert.equal(deleted.object.metadata.name, 'w1')
    assert.ok(Number(deleted.object.metadata.resourceVersion) > Number(modified.object.metadata.resourceVersion))
    w.close()
  })

  it('replays from a resourceVersion and applies selectors to old and new objects', async () => {
    const created = (await request(c, '/api/v1/namespaces/kube-public/services', json('POST', cm('w2', {team: 'a'})))).json()
    await request(c, '/api/v1/namespaces/kube-public/services', json('POST', cm('w3', {team: 'b'})))
    const w = await watch(c, `/api/v1/namespaces/kube-public/services?watch=1&labelSelector=team%3Da&resourceVersion=${Number(created.metadata.resourceVersion) - 1}`)
    const replayed = await w.next()
    assert.deepEqual([replayed.type, replayed.object.metadata.name], ['ADDED', 'w2'])
    await request(c, '/api/v1/namespaces/kube-public/services/w2', {method: 'PATCH', body: '{"metadata":{"labels":{"team":"c"}}}', headers: {'Content-Type': 'application/merge-patch+json'}})
    const left = await w.next()
    assert.deepEqual([left.type, left.object.metadata.name], ['DELETED', 'w2'])
    await request(c, '/api/v1/namespaces/kube-public/services/w3', {method: 'PATCH', body: '{"metadata":{"labels":{"team":"a"}}}', headers: {'Content-Type': 'application/merge-patch+json'}})
    const joined = await w.next()
    assert.deepEqual([joined.type, joined.object.metadata.name], ['ADDED', 'w3'])
    w.close()
  })

  it('answers a too old resourceVersion with an ERROR event carrying 410 Expired', async () => {
    for (let i = 0; i < 60; i++) await request(c, '/api/v1/namespaces/default/events', json('POST', {metadata: {name: `churn-${i}`}, involvedObject: {kind: 'Pod', name: 'x'}}))
    const w = await watch(c, '/api/v1/namespaces/default/services?watch=true&resourceVersion=2')
    assert.equal(w.status, 200)
    const e = await w.next()
    assert.equal(e.type, 'ERROR')
    assert.deepEqual({kind: e.object.kind, status: e.object.status, reason: e.object.reason, code: e.object.code}, {kind: 'Status', status: 'Failure', reason: 'Expired', code: 410})
    assert.match(e.object.message, /^too old resource version: 2 \(\d+\)$/)
    assert.equal(await w.next(), null)
  })

  it('sends BOOKMARK events when allowed and ends at timeoutSeconds', async () => {
    const w = await watch(c, '/api/v1/namespaces/kube-node-lease/services?watch=true&allowWatchBookmarks=true&timeoutSeconds=1')
    const b = await w.next()
    assert.equal(b.type, 'BOOKMARK')
    assert.equal(b.object.kind, 'Service')
    assert.match(b.object.metadata.resourceVersion, /^\d+$/)
    let last = b
    while (last !== null) last = await w.next()
    await w.ended
  })

  it('watches a single object through the fieldSelector client-node uses, and across namespaces', async () => {
    const kc = new k8s.KubeConfig()
    kc.loadFromString(c.kubeconfig())
    const seen: Array<[string, string]> = []
    let resolveDone: () => void
    const done = new Promise<void>((r) => {
      resolveDone = r
    })
    const req = await new k8s.Watch(kc).watch('/api/v1/services', {fieldSelector: 'metadata.name=w9'}, (type, obj) => {
      seen.push([type, obj.metadata.namespace])
      if (seen.length === 2) resolveDone()
    }, () => {})
    await request(c, '/api/v1/namespaces/kube-system/services', json('POST', cm('w9')))
    await request(c, '/api/v1/namespaces/kube-system/services', json('POST', cm('w10')))
    await request(c, '/api/v1/namespaces/default/services', json('POST', cm('w9')))
    await done
    req.abort()
    assert.deepEqual(seen, [['ADDED', 'kube-system'], ['ADDED', 'default']])
  })

  it('lets readonly watch', async () => {
    const w = await watch(c, '/api/v1/namespaces/default/services?watch=true', 'readonly')
    assert.equal(w.status, 200)
    const e = await w.next()
    assert.equal(e.type, 'ADDED')
    w.close()
  })
})

describe('continue tokens', () => {
  it('continue a list from the snapshot of its first page, and expire with the history', async () => {
    assert.equal((await request(c, '/api/v1/namespaces', json('POST', {metadata: {name: 'paging'}}))).status, 201)
    for (const n of ['c1', 'c2', 'c3']) await request(c, '/api/v1/namespaces/paging/services', json('POST', cm(n)))
    const page1 = (await request(c, '/api/v1/namespaces/paging/services?limit=2')).json()
    assert.deepEqual(page1.items.map((s: any) => s.metadata.name), ['c1', 'c2'])
    await request(c, '/api/v1/namespaces/paging/services/c3', {method: 'DELETE'})
    await request(c, '/api/v1/namespaces/paging/services', json('POST', cm('c4')))
    const page2 = (await request(c, `/api/v1/namespaces/paging/services?limit=2&continue=${page1.metadata.continue}`)).json()
    assert.deepEqual(page2.items.map((s: any) => s.metadata.name), ['c3'])
    assert.equal(page2.metadata.resourceVersion, page1.metadata.resourceVersion)
    for (let i = 0; i < 60; i++) await request(c, '/api/v1/namespaces/default/events', json('POST', {metadata: {name: `expire-${i}`}, involvedObject: {kind: 'Pod', name: 'x'}}))
    const gone = await request(c, `/api/v1/namespaces/paging/services?limit=2&continue=${page1.metadata.continue}`)
    assert.equal(gone.status, 410)
    assert.equal(gone.json().reason, 'Expired')
    assert.match(gone.json().message, /^The provided continue parameter is too old to display a consistent list result\./)
    const bad = await request(c, '/api/v1/namespaces/paging/services?continue=garbage')
    assert.equal(bad.status, 400)
  })
})
