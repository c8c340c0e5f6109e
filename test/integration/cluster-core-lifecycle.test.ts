import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'
import {internals, startCluster, type LocalCluster} from '../cluster/index.ts'
import {json, request} from './cluster-raw.ts'
import {until} from '../helpers/poll.ts'

let c: LocalCluster
before(async () => {
  c = await startCluster()
})
after(() => c.stop())

/** Waits until the simulation settled, then reads. */
async function settled<T>(read: () => Promise<T>): Promise<T> {
  await internals(c).simulation!.idle()
  return read()
}

/** Polls `check` after the simulation has caught up each time (bounded, see until). */
function eventually(what: string, check: () => Promise<boolean>): Promise<boolean> {
  return until(async () => {
    await internals(c).simulation!.idle()
    return check()
  }, what, {intervalMs: 10})
}

const deployment = (name: string): any => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: {name},
  spec: {replicas: 2, selector: {matchLabels: {app: name}}, template: {metadata: {labels: {app: name}}, spec: {containers: [{name: 'app', image: 'nginx:1.27', ports: [{containerPort: 8080}]}]}}},
})

const names = async (path: string): Promise<string[]> => (await request(c, path)).json().items.map((o: any) => o.metadata.name)

describe('deletion semantics', () => {
  it('deletes a running pod gracefully: deletionTimestamp first, then the kubelet removes it', async () => {
    await request(c, '/api/v1/namespaces/default/pods', json('POST', {metadata: {name: 'grace'}, spec: {containers: [{name: 'a', image: 'b'}]}}))
    await eventually('pod scheduled', async () => Boolean((await request(c, '/api/v1/namespaces/default/pods/grace')).json().spec.nodeName))
    const del = await request(c, '/api/v1/namespaces/default/pods/grace', {method: 'DELETE'})
    assert.equal(del.status, 200)
    assert.ok(del.json().metadata.deletionTimestamp)
    assert.equal(del.json().metadata.deletionGracePeriodSeconds, 30)
    await eventually('pod removed', async () => (await request(c, '/api/v1/namespaces/default/pods/grace')).status === 404)
  })

  it('collects a Deployment\'s ReplicaSets and Pods in the background, and orphans on request', async () => {
    await request(c, '/apis/apps/v1/namespaces/default/deployments', json('POST', deployment('gc')))
    await eventually('two pods', async () => (await names('/api/v1/namespaces/default/pods?labelSelector=app%3Dgc')).length === 2)
    const gc = (await request(c, '/apis/apps/v1/namespaces/default/deployments/gc')).json()
    const status = await request(c, '/apis/apps/v1/namespaces/default/deployments/gc', {method: 'DELETE'})
    assert.equal(status.status, 200)
    assert.equal(status.text, `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","details":{"name":"gc","group":"apps","kind":"deployments","uid":"${gc.metadata.uid}"}}\n`)
    await eventually('dependents gone', async () => (await names('/apis/apps/v1/namespaces/default/replicasets?labelSelector=app%3Dgc')).length === 0 &&
      (await names('/api/v1/namespaces/default/pods?labelSelector=app%3Dgc')).length === 0)

    await request(c, '/apis/apps/v1/namespaces/default/deployments', json('POST', deployment('orphan')))
    await eventually('replicaset', async () => (await names('/apis/apps/v1/namespaces/default/replicasets?labelSelector=app%3Dorphan')).length === 1)
    const del = await request(c, '/apis/apps/v1/namespaces/default/deployments/orphan', json('DELETE', {kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Orphan'}))
    assert.equal(del.status, 200)
    const rs = await settled(async () => (await request(c, '/apis/apps/v1/namespaces/default/replicasets?labelSelector=app%3Dorphan')).json().items)
    assert.equal(rs.length, 1)
    assert.equal(rs[0].metadata.ownerReferences, undefined)
  })

  it('refuses a delete whose preconditions do not hold', async () => {
    const r = await request(c, '/api/v1/namespaces/default/services/kubernetes', json('DELETE', {preconditions: {uid: 'nope'}}))
    assert.equal(r.status, 409)
    assert.match(r.json().message, /^Operation cannot be fulfilled on services "kubernetes": Precondition failed: UID in precondition: nope, UID in object meta: /)
  })

  it('terminates a namespace: Terminating, then gone with its objects; default is protected', async () => {
    await request(c, '/api/v1/namespaces', json('POST', {metadata: {name: 'tmp'}}))
    const ns = (await request(c, '/api/v1/namespaces/tmp')).json()
    assert.equal(ns.metadata.labels['kubernetes.io/metadata.name'], 'tmp')
    assert.equal(ns.status.phase, 'Active')
    await request(c, '/api/v1/namespaces/tmp/services', json('POST', {metadata: {name: 's'}, spec: {ports: [{port: 80}]}}))
    const del = await request(c, '/api/v1/namespaces/tmp', {method: 'DELETE'})
    assert.equal(del.status, 200)
    assert.equal(del.json().status.phase, 'Terminating')
    await eventually('namespace gone', async () => (await request(c, '/api/v1/namespaces/tmp')).status === 404)
    assert.deepEqual(await names('/api/v1/namespaces/tmp/services'), [])
    const protectedNs = await request(c, '/api/v1/namespaces/default', {method: 'DELETE'})
    assert.equal(protectedNs.status, 403)
  })
})
