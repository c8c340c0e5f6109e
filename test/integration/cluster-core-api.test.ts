import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'
import * as k8s from '@kubernetes/client-node'
import {startCluster, type LocalCluster} from '../cluster/index.ts'
import {json, request} from './cluster-raw.ts'

const UNAUTHORIZED = '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}\n'

let c: LocalCluster
before(async () => {
  c = await startCluster()
})
after(() => c.stop())

const svc = (name: string, extra: any = {}): any => ({apiVersion: 'v1', kind: 'Service', metadata: {name, ...extra.metadata}, spec: {selector: {app: name}, ports: [{port: 80}], ...extra.spec}})

describe('authentication and authorization', () => {
  it('answers 401 with the exact Status body without or with wrong credentials', async () => {
    for (const as of ['none', 'not-a-token']) {
      const r = await request(c, '/api/v1/namespaces/default/services', {as})
      assert.equal(r.status, 401)
      assert.equal(r.text, UNAUTHORIZED)
      assert.equal(r.headers['content-type'], 'application/json')
    }
    const version = await request(c, '/version', {as: 'not-a-token'})
    assert.equal(version.status, 401)
  })

  it('serves /version and health endpoints, also without credentials', async () => {
    const v = await request(c, '/version', {as: 'none'})
    assert.equal(v.status, 200)
    assert.deepEqual({major: v.json().major, minor: v.json().minor, gitVersion: v.json().gitVersion, platform: v.json().platform}, {major: '1', minor: '35', gitVersion: 'v1.35.0', platform: 'linux/amd64'})
    for (const p of ['/healthz', '/readyz', '/livez']) {
      const r = await request(c, p, {as: 'none'})
      assert.equal(r.status, 200)
      assert.equal(r.text, 'ok')
    }
  })

  it('accepts the token, cert and readonly users for reads', async () => {
    for (const as of ['token', 'cert', 'readonly']) {
      const r = await request(c, '/api/v1/namespaces/default/services/kubernetes', {as})
      assert.equal(r.status, 200, as)
      assert.equal(r.json().spec.clusterIP, '10.96.0.1')
    }
  })

  it('forbids every write to readonly with the RBAC message', async () => {
    const create = await request(c, '/api/v1/namespaces/default/services', {...json('POST', svc('ro')), as: 'readonly'})
    assert.equal(create.status, 403)
    assert.equal(create.text, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"services is forbidden: User \\"readonly\\" cannot create resource \\"services\\" in API group \\"\\" in the namespace \\"default\\"","reason":"Forbidden","details":{"kind":"services"},"code":403}\n')
    const del = await request(c, '/apis/apps/v1/namespaces/default/deployments/web', {method: 'DELETE', as: 'readonly'})
    assert.equal(del.json().message, 'deployments.apps "web" is forbidden: User "readonly" cannot delete resource "deployments" in API group "apps" in the namespace "default"')
    const patch = await request(c, '/api/v1/namespaces/default/services/kubernetes', {method: 'PATCH', body: '{}', headers: {'Content-Type': 'application/merge-patch+json'}, as: 'readonly'})
    assert.equal(patch.json().message, 'services "kubernetes" is forbidden: User "readonly" cannot patch resource "services" in API group "" in the namespace "default"')
    const put = await request(c, '/api/v1/nodes/local-node', {...json('PUT', {}), as: 'readonly'})
    assert.equal(put.json().message, 'nodes "local-node" is forbidden: User "readonly" cannot update resource "nodes" in API group "" at the cluster scope')
    const pf = await request(c, '/api/v1/namespaces/default/pods/web-1/portforward', {method: 'POST', as: 'readonly'})
    assert.equal(pf.status, 403)
    assert.equal(pf.json().message, 'pods "web-1" is forbidden: User "readonly" cannot create resource "pods/portforward" in API group "" in the namespace "default"')
  })
})

describe('discovery', () => {
  it('lists the served resources with verbs, kinds and short names', async () => {
    const api = await request(c, '/api')
    assert.deepEqual(api.json().versions, ['v1'])
    const v1 = (await request(c, '/api/v1')).json()
    assert.equal(v1.kind, 'APIResourceList')
    assert.equal(v1.groupVersion, 'v1')
    const names = v1.resources.map((r: any) => r.name)
    for (const n of ['namespaces', 'services', 'services/status', 'pods', 'pods/status', 'pods/portforward', 'endpoints', 'events', 'nodes']) assert.ok(names.includes(n), n)
    const services = v1.resources.find((r: any) => r.name === 'services')
    assert.deepEqual({kind: services.kind, shortNames: services.shortNames, namespaced: services.namespaced, singularName: services.singularName},
      {kind: 'Service', shortNames: ['svc'], namespaced: true, singularName: 'service'})
    assert.deepEqual(services.verbs, ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'])
    const pf = v1.resources.find((r: any) => r.name === 'pods/portforward')
    assert.deepEqual({kind: pf.kind, verbs: pf.verbs}, {kind: 'PodPortForwardOptions', verbs: ['create', 'get']})
    const groups = (await request(c, '/apis')).json()
    assert.deepEqual(groups.groups.map((g: any) => g.name), ['apps', 'authorization.k8s.io', 'discovery.k8s.io', 'networking.k8s.io'])
    const apps = (await request(c, '/apis/apps/v1')).json()
    assert.deepEqual(apps.resources.filter((r: any) => !r.name.includes('/')).map((r: any) => [r.name, r.shortNames]), [['deployments', ['deploy']], ['replicasets', ['rs']]])
    assert.equal((await request(c, '/apis/nope/v1')).status, 404)
  })

  it('answers aggregated discovery (apidiscovery.k8s.io/v2) when asked', async () => {
    const accept = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json'
    const api = await request(c, '/api', {headers: {Accept: accept}})
    assert.equal(api.headers['content-type'], 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList')
    const doc = api.json()
    assert.equal(doc.kind, 'APIGroupDiscoveryList')
    assert.equal(doc.apiVersion, 'apidiscovery.k8s.io/v2')
    const pods = doc.items[0].versions[0].resources.find((r: any) => r.resource === 'pods')
    assert.deepEqual(pods.responseKind, {group: '', version: 'v1', kind: 'Pod'})
    assert.equal(pods.scope, 'Namespaced')
    assert.deepEqual(pods.subresources.map((s: any) => s.subresource), ['portforward', 'status'])
    const apis = (await request(c, '/apis', {headers: {Accept: accept}})).json()
    assert.deepEqual(apis.items.map((i: any) => i.metadata.name), ['apps', 'authorization.k8s.io', 'discovery.k8s.io', 'networking.k8s.io'])
    const nodes = doc.items[0].versions[0].resources.find((r: any) => r.resource === 'nodes')
    assert.equal(nodes.scope, 'Cluster')
  })
})

describe('bootstrap objects', () => {
  it('has the namespaces, the kubernetes service with its endpoints and a Ready node', async () => {
    const ns = (await request(c, '/api/v1/namespaces')).json()
    assert.deepEqual(ns.items.map((n: any) => n.metadata.name), ['default', 'kube-node-lease', 'kube-public', 'kube-system'])
    const kube = (await request(c, '/api/v1/namespaces/default/services/kubernetes')).json()
    assert.deepEqual(kube.spec.ports, [{name: 'https', port: 443, protocol: 'TCP', targetPort: 6443}])
    const slice = (await request(c, '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io/service-name%3Dkubernetes')).json()
    assert.equal(slice.items.length, 1)
    const node = (await request(c, '/api/v1/nodes/local-node')).json()
    assert.equal(node.status.conditions.find((x: any) => x.type === 'Ready').status, 'True')
  })
})

describe('errors', () => {
  it('404 for unknown paths and resources, NotFound for objects and namespaces', async () => {
    const generic = '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","details":{},"code":404}\n'
    for (const p of ['/nope', '/api/v1/foos', '/api/v1/namespaces/default/foos/x', '/apis/apps/v1/widgets']) {
      const r = await request(c, p)
      assert.equal(r.status, 404, p)
      assert.equal(r.text, generic, p)
    }
    const missing = await request(c, '/api/v1/namespaces/default/services/foo')
    assert.equal(missing.text, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"services \\"foo\\" not found","reason":"NotFound","details":{"name":"foo","kind":"services"},"code":404}\n')
    const deploy = await request(c, '/apis/apps/v1/namespaces/default/deployments/foo')
    assert.equal(deploy.json().message, 'deployments.apps "foo" not found')
    assert.deepEqual(deploy.json().details, {name: 'foo', group: 'apps', kind: 'deployments'})
    const noNs = await request(c, '/api/v1/namespaces/x/services', json('POST', svc('a')))
    assert.equal(noNs.status, 404)
    assert.equal(noNs.json().message, 'namespaces "x" not found')
  })

  it('409 AlreadyExists and Conflict on a stale resourceVersion', async () => {
    const first = await request(c, '/api/v1/namespaces/default/services', json('POST', svc('dup')))
    assert.equal(first.status, 201)
    const again = await request(c, '/api/v1/namespaces/default/services', json('POST', svc('dup')))
    assert.equal(again.text, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"services \\"dup\\" already exists","reason":"AlreadyExists","details":{"name":"dup","kind":"services"},"code":409}\n')
    const obj = first.json()
    const updated = await request(c, '/api/v1/namespaces/default/services/dup', json('PUT', {...obj, metadata: {...obj.metadata, labels: {v: '1'}}}))
    assert.equal(updated.status, 200)
    assert.notEqual(updated.json().metadata.resourceVersion, obj.metadata.resourceVersion)
    const stale = await request(c, '/api/v1/namespaces/default/services/dup', json('PUT', {...obj, metadata: {...obj.metadata, labels: {v: '2'}}}))
    assert.equal(stale.status, 409)
    assert.equal(stale.json().message, 'Operation cannot be fulfilled on services "dup": the object has been modified; please apply your changes to the latest version and try again')
    assert.equal(stale.json().reason, 'Conflict')
  })

  it('400 for malformed bodies and mismatched kinds, with the API server wording', async () => {
    const bad = await request(c, '/api/v1/namespaces/default/services', json('POST', '{bad'))
    assert.equal(bad.status, 400)
    assert.equal(bad.json().message, 'the object provided is unrecognized (must be of type Service): couldn\'t get version/kind; json parse error: invalid character \'b\' looking for beginning of object key string ({bad)')
    assert.equal(bad.json().reason, 'BadRequest')
    const truncated = await request(c, '/api/v1/namespaces/default/services', json('POST', '{"metadata":'))
    assert.match(truncated.json().message, /json parse error: unexpected end of JSON input/)
    const wrongVersion = await request(c, '/api/v1/namespaces/default/services', json('POST', {...svc('x'), apiVersion: 'apps/v1'}))
    assert.equal(wrongVersion.json().message, 'the API version in the data (apps/v1) does not match the expected API version (v1)')
    const wrongKind = await request(c, '/api/v1/namespaces/default/services', json('POST', {...svc('x'), kind: 'Pod'}))
    assert.equal(wrongKind.status, 400)
    assert.match(wrongKind.json().message, /^Pod in version "v1" cannot be handled as a Service/)
    const wrongNs = await request(c, '/api/v1/namespaces/default/services', json('POST', svc('x', {metadata: {namespace: 'kube-system'}})))
    assert.equal(wrongNs.json().message, 'the namespace of the provided object does not match the namespace sent on the request')
    const wrongName = await request(c, '/api/v1/namespaces/default/services/kubernetes', json('PUT', svc('other')))
    assert.equal(wrongName.json().message, 'the name of the object (other) does not match the name on the URL (kubernetes)')
  })

  it('405, 415 and 422 for the wrong method, media type or a missing name', async () => {
    const put = await request(c, '/api/v1/namespaces/default/services', json('PUT', svc('x')))
    assert.equal(put.status, 405)
    assert.equal(put.json().reason, 'MethodNotAllowed')
    const text = await request(c, '/api/v1/namespaces/default/services', {method: 'POST', body: 'x', headers: {'Content-Type': 'text/plain'}})
    assert.equal(text.status, 415)
    assert.equal(text.json().message, 'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf')
    const patch = await request(c, '/api/v1/namespaces/default/services/kubernetes', {method: 'PATCH', body: '{}', headers: {'Content-Type': 'application/json'}})
    assert.equal(patch.status, 415)
    assert.equal(patch.json().message, 'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml')
    const textOnly = await request(c, '/api/v1/namespaces/default/services', {headers: {Accept: 'text/plain'}})
    assert.equal(textOnly.status, 406)
    assert.equal(textOnly.json().message, 'only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf')
    const asYaml = await request(c, '/api/v1/namespaces/default/services/kubernetes', {headers: {Accept: 'application/yaml'}})
    assert.equal(asYaml.headers['content-type'], 'application/yaml')
    assert.match(asYaml.text, /^apiVersion: v1\nkind: Service\n|^kind: Service\napiVersion: v1\n/)
    const noName = await request(c, '/api/v1/namespaces/default/pods', json('POST', {apiVersion: 'v1', kind: 'Pod', metadata: {}, spec: {containers: [{name: 'a', image: 'b'}]}}))
    assert.equal(noName.status, 422)
    assert.equal(noName.json().message, 'Pod "" is invalid: metadata.name: Required value: name or generateName is required')
    const badName = await request(c, '/api/v1/namespaces/default/pods', json('POST', {metadata: {name: 'Bad_Name'}, spec: {containers: [{name: 'a', image: 'b'}]}}))
    assert.equal(badName.status, 422)
    assert.match(badName.json().message, /^Pod "Bad_Name" is invalid: metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of/)
    assert.deepEqual(badName.json().details.causes.map((x: any) => [x.reason, x.field]), [['FieldValueInvalid', 'metadata.name']])
  })

  it('413 above 3 MiB and stays up after garbage', async () => {
    const big = JSON.stringify({...svc('big'), metadata: {name: 'big', annotations: {a: 'x'.repeat(3 * 1024 * 1024)}}})
    const r = await request(c, '/api/v1/namespaces/default/services', json('POST', big))
    assert.equal(r.status, 413)
    assert.equal(r.text, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Request entity too large: limit is 3145728","reason":"RequestEntityTooLarge","code":413}\n')
    for (const body of ['', 'null', '[]', '"x"', '{"metadata":[]}', '{"metadata":{"name":5}}', '{"metadata":{"labels":{"a":1}}}', '\u0000\u0001', '{"spec":{"ports":"x"}}']) {
      const g = await request(c, '/api/v1/namespaces/default/pods', json('POST', body))
      assert.ok(g.status >= 400 && g.status < 500, `${JSON.stringify(body)} -> ${g.status} ${g.text}`)
    }
    const patches = ['[{"op":"bogus"}]', '{"x":', '[{"op":"replace","path":"/spec/nope/x","value":1}]']
    for (const body of patches) {
      const g = await request(c, '/api/v1/namespaces/default/services/kubernetes', {method: 'PATCH', body, headers: {'Content-Type': 'application/json-patch+json'}})
      assert.ok(g.status >= 400 && g.status < 500, `${body} -> ${g.status} ${g.text}`)
    }
    for (const path of ['/api/v1/namespaces/%zz/services', '/api/v1/namespaces/default/services?limit=abc', '/api/v1/namespaces/default/services?watch=1&timeoutSeconds=x']) {
      const g = await request(c, path)
      assert.ok(g.status >= 400 && g.status < 500, `${path} -> ${g.status} ${g.text}`)
    }
    assert.equal((await request(c, '/api/v1/namespaces/default/services?limit=abc')).json().message, 'strconv.ParseInt: parsing "abc": invalid syntax')
    assert.equal((await request(c, '/healthz')).status, 200)
  })
})

describe('verbs', () => {
  it('dryRun=All validates, defaults and allocates but stores nothing', async () => {
    const r = await request(c, '/api/v1/namespaces/default/services?dryRun=All', json('POST', svc('dry')))
    assert.equal(r.status, 201)
    assert.match(r.json().spec.clusterIP, /^10\.9[6-9]\./)
    assert.ok(r.json().metadata.uid)
    assert.equal((await request(c, '/api/v1/namespaces/default/services/dry')).status, 404)
    const del = await request(c, '/api/v1/namespaces/default/services/kubernetes?dryRun=All', {method: 'DELETE'})
    assert.equal(del.status, 200)
    assert.equal((await request(c, '/api/v1/namespaces/default/services/kubernetes')).status, 200)
  })

  it('a DELETE with dryRun in its DeleteOptions body (as kubectl sends it) stores nothing', async () => {
    const del = await request(c, '/api/v1/namespaces/default/services/kubernetes', json('DELETE', {apiVersion: 'v1', dryRun: ['All'], kind: 'DeleteOptions'}))
    assert.equal(del.status, 200)
    assert.equal((await request(c, '/api/v1/namespaces/default/services/kubernetes')).status, 200)
    const bad = await request(c, '/api/v1/namespaces/default/services/kubernetes', json('DELETE', {apiVersion: 'v1', dryRun: ['Some'], kind: 'DeleteOptions'}))
    assert.equal(bad.status, 400)
    assert.equal((await request(c, '/api/v1/namespaces/default/services/kubernetes')).status, 200)
  })

  it('fieldValidation Strict rejects, Warn warns, Ignore drops unknown fields', async () => {
    const body = svc('fv', {spec: {foo: 1}})
    const strict = await request(c, '/api/v1/namespaces/default/services?fieldValidation=Strict', json('POST', body))
    assert.equal(strict.status, 400)
    assert.equal(strict.json().message, 'Service in version "v1" cannot be handled as a Service: strict decoding error: unknown field "spec.foo"')
    const warn = await request(c, '/api/v1/namespaces/default/services?fieldValidation=Warn', json('POST', body))
    assert.equal(warn.status, 201)
    assert.equal(warn.headers.warning, '299 - "unknown field \\"spec.foo\\""')
    assert.equal(warn.json().spec.foo, undefined)
    const ignore = await request(c, '/api/v1/namespaces/default/services?fieldValidation=Ignore', json('POST', svc('fv2', {spec: {foo: 1}})))
    assert.equal(ignore.status, 201)
    assert.equal(ignore.headers.warning, undefined)
  })

  it('records the field manager in managedFields', async () => {
    const r = await request(c, '/api/v1/namespaces/default/services?fieldManager=svc-test', json('POST', svc('mf')))
    const mf = r.json().metadata.managedFields
    assert.equal(mf.length, 1)
    assert.deepEqual({manager: mf[0].manager, operation: mf[0].operation, apiVersion: mf[0].apiVersion, fieldsType: mf[0].fieldsType},
      {manager: 'svc-test', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1'})
    assert.deepEqual(mf[0].fieldsV1['f:spec']['f:selector'], {'.': {}, 'f:app': {}})
    assert.ok(mf[0].fieldsV1['f:spec']['f:ports']['k:{"port":80,"protocol":"TCP"}'])
  })

  it('lists with label selectors, field selectors, limit and continue, across namespaces', async () => {
    for (const [name, labels] of [['l1', {tier: 'a', env: 'prod'}], ['l2', {tier: 'b', env: 'prod'}], ['l3', {tier: 'c'}]] as const) {
      assert.equal((await request(c, '/api/v1/namespaces/kube-public/services', json('POST', svc(name, {metadata: {labels}})))).status, 201)
    }
    const names = async (q: string): Promise<string[]> => (await request(c, `/api/v1/namespaces/kube-public/services?${q}`)).json().items.map((s: any) => s.metadata.name)
    assert.deepEqual(await names('labelSelector=env%3Dprod'), ['l1', 'l2'])
    assert.deepEqual(await names('labelSelector=env!%3Dprod'), ['l3'])
    assert.deepEqual(await names('labelSelector=tier%20in%20(a,c)'), ['l1', 'l3'])
    assert.deepEqual(await names('labelSelector=tier%20notin%20(a,c)'), ['l2'])
    assert.deepEqual(await names('labelSelector=!env'), ['l3'])
    assert.deepEqual(await names('labelSelector=env,tier%3Db'), ['l2'])
    assert.deepEqual(await names('fieldSelector=metadata.name%3Dl2'), ['l2'])
    assert.deepEqual(await names('fieldSelector=metadata.name!%3Dl2'), ['l1', 'l3'])
    const badField = await request(c, '/api/v1/namespaces/kube-public/services?fieldSelector=spec.foo%3Dx')
    assert.equal(badField.status, 400)
    const page1 = (await request(c, '/api/v1/namespaces/kube-public/services?limit=2')).json()
    assert.deepEqual(page1.items.map((s: any) => s.metadata.name), ['l1', 'l2'])
    assert.equal(page1.metadata.remainingItemCount, 1)
    const page2 = (await request(c, `/api/v1/namespaces/kube-public/services?limit=2&continue=${encodeURIComponent(page1.metadata.continue)}`)).json()
    assert.deepEqual(page2.items.map((s: any) => s.metadata.name), ['l3'])
    assert.equal(page2.metadata.continue, undefined)
    const all = (await request(c, '/api/v1/services')).json()
    assert.equal(all.kind, 'ServiceList')
    assert.ok(all.items.some((s: any) => s.metadata.namespace === 'kube-public') && all.items.some((s: any) => s.metadata.namespace === 'default'))
    assert.equal(all.items[0].kind, undefined)
  })

  it('patches with merge, strategic merge (ports by key), JSON patch and server-side apply', async () => {
    await request(c, '/api/v1/namespaces/default/services', json('POST', svc('p', {spec: {ports: [{name: 'http', port: 80}, {name: 'https', port: 443}]}})))
    const path = '/api/v1/namespaces/default/services/p'
    const merge = await request(c, path, {method: 'PATCH', body: '{"metadata":{"labels":{"a":"1"}}}', headers: {'Content-Type': 'application/merge-patch+json'}})
    assert.deepEqual(merge.json().metadata.labels, {a: '1'})
    const smp = await request(c, path, {method: 'PATCH', body: '{"spec":{"ports":[{"port":443,"targetPort":8443},{"$patch":"delete","port":80}]}}', headers: {'Content-Type': 'application/strategic-merge-patch+json'}})
    assert.equal(smp.status, 200, smp.text)
    assert.deepEqual(smp.json().spec.ports, [{name: 'https', port: 443, protocol: 'TCP', targetPort: 8443}])
    const jp = await request(c, path, {method: 'PATCH', body: '[{"op":"add","path":"/metadata/labels/b","value":"2"},{"op":"remove","path":"/metadata/labels/a"}]', headers: {'Content-Type': 'application/json-patch+json'}})
    assert.deepEqual(jp.json().metadata.labels, {b: '2'})
    const failed = await request(c, path, {method: 'PATCH', body: '[{"op":"test","path":"/metadata/labels/b","value":"3"}]', headers: {'Content-Type': 'application/json-patch+json'}})
    assert.equal(failed.status, 422)
    const applyBody = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: applied\nspec:\n  selector: {app: x}\n  ports:\n  - port: 8080\n'
    const noManager = await request(c, '/api/v1/namespaces/default/services/applied', {method: 'PATCH', body: applyBody, headers: {'Content-Type': 'application/apply-patch+yaml'}})
    assert.equal(noManager.status, 422)
    assert.equal(noManager.json().message, 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch')
    const created = await request(c, '/api/v1/namespaces/default/services/applied?fieldManager=me', {method: 'PATCH', body: applyBody, headers: {'Content-Type': 'application/apply-patch+yaml'}})
    assert.equal(created.status, 201)
    assert.equal(created.json().metadata.managedFields[0].operation, 'Apply')
    const reapplied = await request(c, '/api/v1/namespaces/default/services/applied?fieldManager=me', {method: 'PATCH', body: applyBody.replace('app: x', 'app: y'), headers: {'Content-Type': 'application/apply-patch+yaml'}})
    assert.equal(reapplied.status, 200)
    assert.deepEqual(reapplied.json().spec.selector, {app: 'y'})
    assert.equal(reapplied.json().spec.clusterIP, created.json().spec.clusterIP)
    const other = await request(c, '/api/v1/namespaces/default/services/applied?fieldManager=other', {method: 'PATCH', body: applyBody.replace('app: x', 'app: z'), headers: {'Content-Type': 'application/apply-patch+yaml'}})
    assert.equal(other.status, 409)
    assert.equal(other.json().message, 'Apply failed with 1 conflict: conflict with "me": .spec.selector.app')
    const forced = await request(c, '/api/v1/namespaces/default/services/applied?fieldManager=other&force=true', {method: 'PATCH', body: applyBody.replace('app: x', 'app: z'), headers: {'Content-Type': 'application/apply-patch+yaml'}})
    assert.equal(forced.status, 200)
  })

  it('deletes returning the object, deletecollection with a selector, status subresource updates only status', async () => {
    await request(c, '/api/v1/namespaces/default/services', json('POST', svc('gone')))
    const del = await request(c, '/api/v1/namespaces/default/services/gone', {method: 'DELETE'})
    assert.equal(del.status, 200)
    assert.equal(del.json().kind, 'Service')
    assert.equal(del.json().metadata.name, 'gone')
    for (const n of ['e1', 'e2']) {
      await request(c, '/api/v1/namespaces/default/events', json('POST', {metadata: {name: n, labels: {batch: 'x'}}, involvedObject: {kind: 'Service', name: 'web', namespace: 'default'}, reason: 'Test', message: n}))
    }
    const byField = (await request(c, '/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dweb,involvedObject.kind%3DService')).json()
    assert.deepEqual(byField.items.map((e: any) => e.metadata.name), ['e1', 'e2'])
    const dc = await request(c, '/api/v1/namespaces/default/events?labelSelector=batch%3Dx', {method: 'DELETE'})
    assert.equal(dc.status, 200)
    assert.equal(dc.json().kind, 'EventList')
    assert.equal(dc.json().items.length, 2)
    assert.equal((await request(c, '/api/v1/namespaces/default/events')).json().items.length, 0)
    const lb = (await request(c, '/api/v1/namespaces/default/services', json('POST', svc('lb', {spec: {type: 'LoadBalancer'}})))).json()
    assert.deepEqual(lb.status, {loadBalancer: {}})
    const st = await request(c, '/api/v1/namespaces/default/services/lb/status', json('PUT', {...lb, spec: {...lb.spec, type: 'NodePort'}, status: {loadBalancer: {ingress: [{ip: '1.2.3.4'}]}}}))
    assert.equal(st.status, 200, st.text)
    assert.equal(st.json().spec.type, 'LoadBalancer')
    assert.deepEqual(st.json().status.loadBalancer.ingress, [{ip: '1.2.3.4', ipMode: 'VIP'}])
  })

  it('works through @kubernetes/client-node with the token and cert users', async () => {
    for (const user of ['token', 'cert'] as const) {
      const kc = new k8s.KubeConfig()
      kc.loadFromString(c.kubeconfig(user))
      const core = kc.makeApiClient(k8s.CoreV1Api)
      const name = `cn-${user}`
      const created = await core.createNamespacedService({namespace: 'default', body: svc(name)})
      assert.equal(created.metadata?.name, name)
      const got = await core.readNamespacedService({namespace: 'default', name})
      assert.equal(got.spec?.clusterIP, created.spec?.clusterIP)
      await assert.rejects(core.readNamespacedService({namespace: 'default', name: 'absent'}), (e: any) => e.code === 404)
      await core.deleteNamespacedService({namespace: 'default', name})
      const apps = kc.makeApiClient(k8s.AppsV1Api)
      const list = await apps.listNamespacedDeployment({namespace: 'default'})
      assert.deepEqual(list.items, [])
    }
    const ro = new k8s.KubeConfig()
    ro.loadFromString(c.kubeconfig('readonly'))
    await assert.rejects(ro.makeApiClient(k8s.CoreV1Api).createNamespacedService({namespace: 'default', body: svc('ro2')}), (e: any) => e.code === 403)
  })
})

describe('server-side apply conflicts', () => {
  it('names an Update manager with its apiVersion and time, and groups several conflicts', async () => {
    const path = '/api/v1/namespaces/kube-system/services'
    await request(c, `${path}?fieldManager=editor`, json('POST', svc('ssa', {spec: {ports: [{port: 80, targetPort: 8080}], sessionAffinity: 'None'}})))
    const live = (await request(c, `${path}/ssa`)).json()
    const time = live.metadata.managedFields.find((m: any) => m.manager === 'editor').time
    const body = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: ssa\nspec:\n  selector: {app: other}\n  ports:\n  - port: 80\n    targetPort: 9090\n'
    const r = await request(c, `${path}/ssa?fieldManager=applier`, {method: 'PATCH', body, headers: {'Content-Type': 'application/apply-patch+yaml'}})
    assert.equal(r.status, 409)
    assert.equal(r.json().message, `Apply failed with 2 conflicts: conflicts with "editor" using v1 at ${time}:\n- .spec.ports[port=80,protocol="TCP"].targetPort\n- .spec.selector.app`)
    assert.deepEqual(r.json().details.causes.map((x: any) => [x.reason, x.field]), [['FieldManagerConflict', '.spec.ports[port=80,protocol="TCP"].targetPort'], ['FieldManagerConflict', '.spec.selector.app']])
  })
})

describe('server-side apply ownership', () => {
  it('removes what a manager stops applying (list items and map keys) and owns only applied fields', async () => {
    const apply = (body: string): Promise<any> => request(c, '/api/v1/namespaces/kube-system/services/owned?fieldManager=me', {method: 'PATCH', body, headers: {'Content-Type': 'application/apply-patch+yaml'}})
    const first = await apply('apiVersion: v1\nkind: Service\nmetadata: {name: owned, labels: {x: "1", y: "2"}}\nspec:\n  selector: {app: a}\n  ports:\n  - {name: http, port: 80}\n  - {name: https, port: 443}\n')
    assert.equal(first.status, 201)
    assert.deepEqual(first.json().spec.ports.map((p: any) => p.port), [80, 443])
    const second = await apply('apiVersion: v1\nkind: Service\nmetadata: {name: owned, labels: {x: "1"}}\nspec:\n  selector: {app: a}\n  ports:\n  - {name: http, port: 80}\n')
    assert.equal(second.status, 200)
    assert.deepEqual(second.json().spec.ports.map((p: any) => p.port), [80])
    assert.deepEqual(second.json().metadata.labels, {x: '1'})
    const mf = second.json().metadata.managedFields
    assert.deepEqual(mf.map((m: any) => [m.manager, m.operation]), [['me', 'Apply']])
    assert.deepEqual(Object.keys(mf[0].fieldsV1['f:spec']).sort(), ['f:ports', 'f:selector'])
    assert.equal(second.json().spec.clusterIP, first.json().spec.clusterIP)
  })
})
