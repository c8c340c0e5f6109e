// The -o json|yaml|name printers against kubectl's own output. The golden files in ./golden were
// recorded with kubectl 1.33 (the newest kubectl on the build machine); kubectl 1.34+ no longer
// prints the zero `creationTimestamp: null`, which is the only line these tests strip from them.

import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'
import {fileURLToPath} from 'node:url'

import {analyzeScalar, goFormatFloat, goYamlKeyLess, parseTimestamp, resolvesToNonString, sortKeysGoYaml} from '../../../src/printers/goyaml.ts'
import {compactJson, omitManagedFields, printJson, printName, printObject, printYaml, typedOrder} from '../../../src/printers/object.ts'
import type {UnstructuredObject} from '../../../src/kube/types.ts'

const GOLDEN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'golden')
const golden = (name: string) => readFileSync(path.join(GOLDEN, name), 'utf8')
const without134 = (text: string) => text.split('\n').filter(l => !/creationTimestamp(": |: )null/.test(l)).join('\n')

// The data the configmap golden was made from: `kubectl create configmap x --dry-run=client
// --from-literal=K=V ...` for each pair, printed with -o yaml and -o json.
const QUOTING: Record<string, string> = {
  a: `${'x'.repeat(30)} ${'y '.repeat(40)}end`, b: 'yes', c: '2024-05-01T10:00:00Z', d: '{"a":1}\n', e: '', f: '0755', g: 'a: b',
  h: '  lead', i: 'tab\there', j: '08', k: '1e3', l: '-', m: '- x', n: 'emoji 😀', o: '12:30',
  p: `x"y"${'z'.repeat(37)} ${'z'.repeat(42)} ${'z'.repeat(21)}`, q: 'two\n\nlines\n\n', r: '<<', s: '0x1F', t: '+5', u: '.5', v: '1_000',
  w: '2024-13-01', x: '#a', y: 'a #b', z: 'é',
  80: 'p', A: '1', 'a-b': 'z', 'a.b': 'w', a_b: '2', a01: '3', a1: '4', a10: 'x', a9: 'y', app: 'my-cs',
  lbl: `${'x'.repeat(70)} ${'abc '.repeat(10)}${'"q" '.repeat(20)}`, sq: `it's ${'w '.repeat(60)}`, ctrl: 'a\u0001b', 'nl-trail': 'x\n', 'nl-none': 'x\ny',
  'lead-nl': '\nx', 'sp-nl': 'a \nb', tabs: '\tx', col: 'a:b', q1: '?x', amp: '&x', dash: '-x', m1: 'null', on: 'on', tilde: '~', pct: '%x',
  float: '1.5', neg: '-3', hex: '0xZZ', dot: '.', dots: '...', nbsp: 'a\u00a0b', ls: 'a\u2028b', 'long-dq': `é\t${'word '.repeat(30)}`,
}

describe('printYaml', () => {
  it('quotes, folds and orders keys exactly as kubectl (go-yaml v2) does', () => {
    const obj = {apiVersion: 'v1', data: QUOTING, kind: 'ConfigMap', metadata: {creationTimestamp: null, name: 'x'}}
    assert.equal(printYaml(obj), golden('configmap-quoting.kubectl-1.33.yaml'))
  })

  it('prints the create service object as kubectl 1.35 does', () => {
    const svc = {kind: 'Service', apiVersion: 'v1', metadata: {name: 'my-ns', namespace: 'foo', labels: {app: 'my-ns'}},
      spec: {ports: [{name: '443-https', protocol: 'TCP', port: 443, targetPort: 'https', nodePort: 30080}, {name: '30000-8000', protocol: 'TCP', port: 30000, targetPort: 8000, nodePort: 30080}],
        selector: {app: 'my-ns'}, type: 'NodePort'}, status: {loadBalancer: {}}}
    assert.equal(printYaml(svc), without134(golden('create-nodeport.kubectl-1.33.yaml')))
  })

  it('writes empty maps and lists in flow style and nested lists without indentation under a key', () => {
    assert.equal(printYaml({a: {}, b: [], c: [[1, 2], {}], d: null, e: true, f: 1.5}), 'a: {}\nb: []\nc:\n- - 1\n  - 2\n- {}\nd: null\ne: true\nf: 1.5\n')
    assert.equal(printYaml({}), '{}\n')
  })

  it('writes a last-applied-configuration annotation as a literal block', () => {
    const out = printYaml({metadata: {annotations: {'kubectl.kubernetes.io/last-applied-configuration': '{"kind":"Service"}\n'}}})
    assert.equal(out, 'metadata:\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: |\n      {"kind":"Service"}\n')
  })
})

describe('printJson', () => {
  it('prints typed Services in Go struct order (kubectl create service -o json)', () => {
    const svc = {apiVersion: 'v1', kind: 'Service', metadata: {labels: {app: 'my-cs'}, name: 'my-cs'},
      spec: {type: 'ClusterIP', selector: {app: 'my-cs'}, ports: [{targetPort: 8080, port: 5678, protocol: 'TCP', name: '5678-8080'}]}}
    assert.equal(printJson(svc, {typed: true}), without134(golden('create-clusterip.kubectl-1.33.json')))
  })

  it('sorts every key of unstructured objects and escapes like Go', () => {
    const text = golden('configmap-quoting.kubectl-1.33.json')
    const data = JSON.parse(text).data
    const mine = printJson({data})
    const expected = text.slice(text.indexOf('    "data"'), text.lastIndexOf('}'))
    assert.equal(mine.slice(mine.indexOf('    "data"'), mine.lastIndexOf('}')), expected)
    assert.equal(printJson({b: '<&>', a: '\u2028'}), '{\n    "a": "\\u2028",\n    "b": "\\u003c\\u0026\\u003e"\n}\n')
  })

  it('adds status.loadBalancer to typed Services and keeps unknown fields last', () => {
    const out = typedOrder({kind: 'Service', apiVersion: 'v1', zzz: 1, metadata: {name: 'a'}}) as Record<string, unknown>
    assert.deepEqual(Object.keys(out), ['kind', 'apiVersion', 'metadata', 'status', 'zzz'])
    assert.deepEqual(out.status, {loadBalancer: {}})
  })

  it('compactJson is json.Marshal plus a newline', () => {
    assert.equal(compactJson({b: [1, {}], a: 'x'}), '{"a":"x","b":[1,{}]}\n')
  })
})

describe('printName and printObject', () => {
  const table: Array<[unknown, string | undefined, string]> = [
    [{kind: 'Service', apiVersion: 'v1', metadata: {name: 'web'}}, undefined, 'service/web\n'],
    [{kind: 'Service', apiVersion: 'v1', metadata: {name: 'web'}}, 'created (dry run)', 'service/web created (dry run)\n'],
    [{kind: 'Deployment', apiVersion: 'apps/v1', metadata: {name: 'd'}}, 'exposed', 'deployment.apps/d exposed\n'],
  ]
  for (const [obj, op, want] of table) it(`${want.trim()}`, () => assert.equal(printName(obj as UnstructuredObject, op), want))

  it('json and yaml omit managedFields unless asked (kubectl\'s OmitManagedFieldsPrinter)', () => {
    const obj = {kind: 'Service', apiVersion: 'v1', metadata: {managedFields: [{manager: 'm'}], name: 'a'}}
    assert.equal(printObject(obj, 'yaml'), 'apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n')
    assert.match(printObject(obj, 'yaml', {showManagedFields: true}), /managedFields/)
    assert.deepEqual(omitManagedFields({items: [obj], kind: 'List'}).items[0].metadata, {name: 'a'})
  })

  it('-o name drops the operation, yaml separates documents from the second on', () => {
    const svc = {kind: 'Service', apiVersion: 'v1', metadata: {name: 'web'}}
    assert.equal(printObject(svc, 'name', {operation: 'created'}), 'service/web\n')
    assert.equal(printObject(svc, undefined, {operation: 'created'}), 'service/web created\n')
    assert.equal(printObject(svc, 'yaml', {index: 1}).startsWith('---\napiVersion: v1\n'), true)
  })
})

describe('go-yaml v2 details', () => {
  it('orders keys with digit runs compared as numbers and letters after other characters', () => {
    assert.deepEqual(sortKeysGoYaml(['a10', 'a9', 'a1', 'a01', 'A', 'a_b', 'a.b', 'a-b', '80', 'app']), ['80', 'A', 'a-b', 'a.b', 'a_b', 'a1', 'a01', 'a9', 'a10', 'app'])
    assert.equal(goYamlKeyLess('port-9', 'port-10'), true)
  })

  const resolves: Array<[string, boolean]> = [
    ['yes', true], ['Off', true], ['~', true], ['', true], ['null', true], ['.inf', true], ['0x1F', true], ['0755', true], ['08', true],
    ['1e3', true], ['+5', true], ['.5', true], ['1_000', true], ['2024-05-01', true], ['2024-05-01T10:00:00Z', true], ['2024-02-30', false],
    ['2024-13-01', false], ['5678-8080', false], ['<<', false], ['web', false], ['-', false], ['0b101', true], ['12:30', false],
  ]
  for (const [s, want] of resolves) it(`resolve ${JSON.stringify(s)} -> ${want ? 'not a string' : 'string'}`, () => assert.equal(resolvesToNonString(s), want))

  it('timestamps follow Go time.Parse layouts', () => {
    assert.equal(parseTimestamp('2024-1-2 3:04:05.5'), true)
    assert.equal(parseTimestamp('2024-01-02T25:00:00Z'), false)
    assert.equal(parseTimestamp('2024-01-02T10:00:00+05:30'), true)
  })

  it('formats floats like strconv g', () => {
    assert.deepEqual([1.5, 1234567.5, 0.00001, -2.25].map(goFormatFloat), ['1.5', '1.2345675e+06', '1e-05', '-2.25'])
  })

  it('analyzes scalars for the styles libyaml allows', () => {
    assert.equal(analyzeScalar('a: b').blockPlainAllowed, false)
    assert.equal(analyzeScalar('a:b').blockPlainAllowed, true)
    assert.equal(analyzeScalar('tab\t').singleQuotedAllowed, false)
  })
})
