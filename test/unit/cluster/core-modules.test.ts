import assert from 'node:assert/strict'
import {X509Certificate} from 'node:crypto'
import {describe, it} from 'node:test'
import {createPKI} from '../../cluster/certs.ts'
import {goJsonSyntaxError} from '../../cluster/json-errors.ts'
import {fieldSet, recordApply, recordUpdate, renderPath} from '../../cluster/managed-fields.ts'
import {jsonPatch, mergePatch, strategicMerge} from '../../cluster/patch.ts'
import {parseResourcePath} from '../../cluster/server.ts'
import {matchFields, matchLabels, parseFieldSelector, parseLabelSelector} from '../../cluster/selectors.ts'
import {forbidden, invalid, notFound} from '../../cluster/status.ts'
import {Store, StoreError} from '../../cluster/store.ts'
import {HttpError} from '../../cluster/status.ts'
import {unknownFields} from '../../cluster/schema.ts'

describe('label selectors', () => {
  const labels = {app: 'web', tier: 'front'}
  const cases: Array<[string, boolean]> = [
    ['', true], ['app=web', true], ['app==web', true], ['app!=web', false], ['app=db', false],
    ['app in (web,db)', true], ['app notin (web)', false], ['app notin (db)', true], ['tier', true], ['!tier', false],
    ['!missing', true], ['missing', false], ['app=web,tier=front', true], ['app=web,tier in (back)', false], ['missing!=x', true],
    ['example.com/key=web', false],
  ]
  for (const [selector, expected] of cases) {
    it(`${JSON.stringify(selector)} -> ${expected}`, () => assert.equal(matchLabels(parseLabelSelector(selector), labels), expected))
  }
  it('rejects malformed selectors with 400', () => {
    for (const bad of ['a=b,,c=d', 'a=(b', '=x', 'a b c']) {
      assert.throws(() => parseLabelSelector(bad), (e: any) => e instanceof HttpError && e.status.code === 400, bad)
    }
  })
})

describe('field selectors', () => {
  const pod = {metadata: {name: 'p', namespace: 'ns'}, spec: {nodeName: 'n1'}, status: {phase: 'Running'}}
  const cases: Array<[string, string, boolean]> = [
    ['pods', 'metadata.name=p', true], ['pods', 'metadata.name!=p', false], ['pods', 'metadata.namespace==ns', true],
    ['pods', 'spec.nodeName=n1,status.phase=Running', true], ['pods', 'status.phase=Pending', false],
  ]
  for (const [res, sel, expected] of cases) it(`${res} ${sel}`, () => assert.equal(matchFields(res, parseFieldSelector(res, sel), pod), expected))
  it('refuses unsupported field labels', () => {
    assert.throws(() => parseFieldSelector('services', 'spec.foo=x'), (e: any) => e.status.message === 'field label not supported: spec.foo')
  })
})

describe('patches', () => {
  it('merge patch deletes with null and replaces lists', () => {
    assert.deepEqual(mergePatch({a: 1, b: {c: 2, d: 3}, l: [1, 2]}, {b: {c: null, e: 4}, l: [3]}), {a: 1, b: {d: 3, e: 4}, l: [3]})
  })
  const smpCases: Array<[string, any, any, any]> = [
    ['ports merge by port+protocol', {spec: {ports: [{port: 80, protocol: 'TCP', name: 'a'}, {port: 53, protocol: 'UDP'}]}},
      {spec: {ports: [{port: 80, targetPort: 8080}, {port: 53, protocol: 'TCP', name: 'dns-tcp'}]}},
      {spec: {ports: [{port: 80, protocol: 'TCP', name: 'a', targetPort: 8080}, {port: 53, protocol: 'UDP'}, {port: 53, protocol: 'TCP', name: 'dns-tcp'}]}}],
    ['containers by name, $patch delete', {spec: {containers: [{name: 'a', image: 'x'}, {name: 'b', image: 'y'}]}},
      {spec: {containers: [{name: 'a', image: 'z'}, {name: 'b', $patch: 'delete'}]}}, {spec: {containers: [{name: 'a', image: 'z'}]}}],
    ['conditions by type', {status: {conditions: [{type: 'Ready', status: 'False'}]}}, {status: {conditions: [{type: 'Ready', status: 'True'}]}},
      {status: {conditions: [{type: 'Ready', status: 'True'}]}}],
    ['finalizers union', {metadata: {finalizers: ['a']}}, {metadata: {finalizers: ['b', 'a']}}, {metadata: {finalizers: ['a', 'b']}}],
    ['unknown lists replace', {spec: {externalIPs: ['1.1.1.1']}}, {spec: {externalIPs: ['2.2.2.2']}}, {spec: {externalIPs: ['2.2.2.2']}}],
    ['$patch replace on a map', {spec: {selector: {a: '1', b: '2'}}}, {spec: {selector: {$patch: 'replace', c: '3'}}}, {spec: {selector: {c: '3'}}}],
    ['$deleteFromPrimitiveList', {metadata: {finalizers: ['a', 'b']}}, {metadata: {'$deleteFromPrimitiveList/finalizers': ['a']}}, {metadata: {finalizers: ['b']}}],
  ]
  for (const [name, target, patch, expected] of smpCases) it(`strategic: ${name}`, () => assert.deepEqual(strategicMerge(target, patch), expected))

  it('json patch applies RFC 6902 operations', () => {
    const doc = {a: {b: [1, 2]}, c: 'x'}
    assert.deepEqual(jsonPatch(doc, [
      {op: 'add', path: '/a/b/-', value: 3}, {op: 'replace', path: '/c', value: 'y'}, {op: 'copy', from: '/c', path: '/d'},
      {op: 'move', from: '/d', path: '/e'}, {op: 'remove', path: '/a/b/0'}, {op: 'test', path: '/e', value: 'y'}, {op: 'add', path: '/f~1g', value: 1},
    ]), {a: {b: [2, 3]}, c: 'y', e: 'y', 'f/g': 1})
    assert.deepEqual(doc, {a: {b: [1, 2]}, c: 'x'})
  })
  const jpErrors: Array<[any, number, string]> = [
    [{op: 'x', path: '/a'}, 422, 'Unexpected kind: x'],
    [{op: 'replace', path: '/zz', value: 1}, 422, 'replace operation does not apply: doc is missing key: /zz: missing value'],
    [{op: 'remove', path: '/zz'}, 422, 'remove operation does not apply: doc is missing path: "/zz": missing value'],
    [{op: 'test', path: '/a', value: 2}, 422, 'testing value /a failed: test failed'],
  ]
  for (const [op, code, message] of jpErrors) {
    it(`json patch error: ${message}`, () => {
      assert.throws(() => jsonPatch({a: 1}, [op]), (e: any) => e.status.code === code && e.status.details.causes[0].message === message)
    })
  }
})

describe('Go JSON syntax errors', () => {
  const cases: Array<[string, string | undefined]> = [
    ['{}', undefined], ['', 'unexpected end of JSON input'], ['{bad', 'invalid character \'b\' looking for beginning of object key string'],
    ['[1,]', 'invalid character \']\' looking for beginning of value'], ['{"a":1 "b"}', 'invalid character \'"\' after object key:value pair'],
    ['tru', 'unexpected end of JSON input'], ['{"a":nul}', 'invalid character \'}\' in literal null (expecting \'l\')'], ['1 2', 'invalid character \'2\' after top-level value'],
    ['"\u0001"', 'invalid character \'\\x01\' in string literal'], ['-x', 'invalid character \'x\' in numeric literal'],
  ]
  for (const [text, expected] of cases) it(JSON.stringify(text), () => assert.equal(goJsonSyntaxError(text), expected))
})

describe('Status builders', () => {
  it('forbidden at namespace and cluster scope, with and without a name', () => {
    assert.equal(forbidden({user: 'u', verb: 'list', resource: 'apps/deployments', namespace: 'ns'}).message, 'deployments.apps is forbidden: User "u" cannot list resource "deployments" in API group "apps" in the namespace "ns"')
    assert.equal(forbidden({user: 'u', verb: 'delete', resource: 'nodes', name: 'n'}).message, 'nodes "n" is forbidden: User "u" cannot delete resource "nodes" in API group "" at the cluster scope')
  })
  it('keeps the metav1.Status field order', () => {
    assert.equal(JSON.stringify(notFound('services', 'x')), '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"services \\"x\\" not found","reason":"NotFound","details":{"name":"x","kind":"services"},"code":404}')
    const inv = invalid('Deployment', 'd', [{type: 'FieldValueRequired', field: 'spec.selector', detail: 'Required value'}, {type: 'FieldValueRequired', field: 'spec.x', detail: 'Required value'}], 'apps')
    assert.equal(inv.message, 'Deployment.apps "d" is invalid: [spec.selector: Required value, spec.x: Required value]')
  })
})

describe('store', () => {
  it('generates names, bumps resourceVersion, emits ordered events and replays history', () => {
    const s = new Store({historyLimit: 3})
    const events: string[] = []
    s.subscribe((e) => events.push(`${e.type}:${e.object.metadata.name}:${e.object.metadata.resourceVersion}`))
    const a = s.create('pods', {metadata: {namespace: 'd', generateName: 'web-'}, spec: {}})
    assert.match(a.metadata.name, /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/)
    assert.throws(() => s.create('pods', a), (e: any) => e instanceof StoreError && e.status.reason === 'AlreadyExists')
    s.update('pods', {...a, spec: {x: 1}}, {checkResourceVersion: true})
    assert.throws(() => s.update('pods', a, {checkResourceVersion: true}), (e: any) => e.status.reason === 'Conflict')
    s.delete('pods', 'd', a.metadata.name)
    assert.deepEqual(events.map((e) => e.split(':')[0]), ['ADDED', 'MODIFIED', 'DELETED'])
    assert.equal(s.resourceVersion, '3')
    assert.equal(s.historySince(1)?.length, 2)
    s.create('pods', {metadata: {namespace: 'd', name: 'b'}})
    s.create('pods', {metadata: {namespace: 'd', name: 'c'}})
    assert.equal(s.historySince(0), undefined)
    const got = s.get('pods', 'd', 'b')
    got.metadata.name = 'mutated'
    assert.equal(s.get('pods', 'd', 'b').metadata.name, 'b')
  })
})

describe('managed fields', () => {
  it('lists map keys, keyed list items and atomic lists', () => {
    const fs = [...fieldSet({metadata: {name: 'x', labels: {a: '1'}}, spec: {ports: [{port: 80, name: 'http'}], externalIPs: ['1.1.1.1']}}).keys()].map((k) => JSON.parse(k).join('/'))
    assert.deepEqual(fs.sort(), ['f:metadata/f:labels/.', 'f:metadata/f:labels/f:a', 'f:spec/f:externalIPs', 'f:spec/f:ports/k:{"port":80,"protocol":"TCP"}/.', 'f:spec/f:ports/k:{"port":80,"protocol":"TCP"}/f:name', 'f:spec/f:ports/k:{"port":80,"protocol":"TCP"}/f:port'].sort())
  })
  it('moves ownership on update and reports apply conflicts', () => {
    const old: any = {metadata: {name: 'x'}, spec: {replicas: 1, paused: false}}
    recordUpdate(old, undefined, 'kubectl', 'apps/v1')
    const next: any = {metadata: {...structuredClone(old.metadata)}, spec: {replicas: 3, paused: false}}
    recordUpdate(next, old, 'hpa', 'apps/v1')
    assert.deepEqual(next.metadata.managedFields.map((e: any) => [e.manager, Object.keys(e.fieldsV1['f:spec'])]), [['kubectl', ['f:paused']], ['hpa', ['f:replicas']]])
    const merged: any = {metadata: structuredClone(next.metadata), spec: {replicas: 5, paused: false}}
    const conflicts = recordApply(merged, next, {spec: {replicas: 5}}, 'me', 'apps/v1', false)
    assert.deepEqual(conflicts.map((c) => [c.manager, renderPath(c.path)]), [['hpa', '.spec.replicas']])
  })
})

describe('request paths', () => {
  const cases: Array<[string, any]> = [
    ['/api/v1/namespaces', {def: 'namespaces'}],
    ['/api/v1/namespaces/default', {def: 'namespaces', name: 'default'}],
    ['/api/v1/namespaces/default/status', {def: 'namespaces', name: 'default', subresource: 'status'}],
    ['/api/v1/namespaces/default/services', {def: 'services', namespace: 'default'}],
    ['/api/v1/namespaces/default/pods/web/portforward', {def: 'pods', namespace: 'default', name: 'web', subresource: 'portforward'}],
    ['/apis/apps/v1/namespaces/ns/deployments/d', {def: 'apps/deployments', namespace: 'ns', name: 'd'}],
    ['/api/v1/services', {def: 'services'}],
    ['/api/v1/nodes/n', {def: 'nodes', name: 'n'}],
  ]
  for (const [path, expected] of cases) {
    it(path, () => {
      const info = parseResourcePath(path)!
      const got: any = {def: info.def?.resource}
      for (const k of ['namespace', 'name', 'subresource'] as const) if (info[k] !== undefined) got[k] = info[k]
      assert.deepEqual(got, expected)
    })
  }
  it('marks unknown resources', () => {
    assert.deepEqual(parseResourcePath('/api/v1/namespaces/default/widgets')?.unknown, {resource: 'widgets', group: ''})
    assert.equal(parseResourcePath('/api/v1/namespaces/default/nodes')?.def, undefined)
    assert.equal(parseResourcePath('/version'), undefined)
  })
})

describe('schema', () => {
  it('finds unknown fields with list indices and ignores unmodelled subtrees', () => {
    assert.deepEqual(unknownFields('apps/deployments', {spec: {foo: 1, template: {spec: {containers: [{name: 'a', bogus: true}]}}}, status: {anything: 1}}), ['spec.foo', 'spec.template.spec.containers[0].bogus'])
  })
})

describe('certificates', () => {
  it('issues a CA, a server certificate for loopback names and a client certificate', () => {
    const pki = createPKI()
    const ca = new X509Certificate(pki.ca.certPem)
    const server = new X509Certificate(pki.server.certPem)
    const admin = new X509Certificate(pki.admin.certPem)
    assert.ok(ca.ca)
    assert.ok(server.verify(ca.publicKey))
    assert.ok(admin.verify(ca.publicKey))
    assert.equal(server.checkIP('127.0.0.1'), '127.0.0.1')
    assert.equal(server.checkIP('::1'), '::1')
    assert.equal(server.checkHost('localhost'), 'localhost')
    assert.equal(admin.subject, 'O=system:masters\nCN=svc-admin')
  })
})
