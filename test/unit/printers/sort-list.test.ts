import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {outputObject, printJson, printList, printNames, printYaml} from '../../../src/printers/list.ts'
import {parseQuantityNano} from '../../../src/printers/quantity.ts'
import {parseSortPath, SortByError, sortByField} from '../../../src/printers/sort-by.ts'

describe('--sort-by', () => {
  it('parses the JSONPath subset', () => {
    assert.deepEqual(parseSortPath('.metadata.name'), ['metadata', 'name'])
    assert.deepEqual(parseSortPath('{.metadata.creationTimestamp}'), ['metadata', 'creationTimestamp'])
    assert.deepEqual(parseSortPath('metadata.name'), ['metadata', 'name'])
    assert.deepEqual(parseSortPath('.spec.ports[0].port'), ['spec', 'ports', 0, 'port'])
    assert.deepEqual(parseSortPath(".metadata.labels['app.kubernetes.io/name']"), ['metadata', 'labels', 'app.kubernetes.io/name'])
    assert.throws(() => parseSortPath('.a..b'), SortByError)
    assert.throws(() => parseSortPath('{}'), SortByError)
  })

  const items = [
    {metadata: {creationTimestamp: '2026-01-02T00:00:00Z', name: 'b'}, spec: {ports: [{port: 443}]}},
    {metadata: {creationTimestamp: '2026-01-01T00:00:00Z', name: 'c'}, spec: {ports: [{port: 80}]}},
    {metadata: {creationTimestamp: '2026-01-03T00:00:00Z', name: 'a'}, spec: {}},
  ]
  it('sorts strings, timestamps and numbers; objects without the field first', () => {
    assert.deepEqual(sortByField(items, '.metadata.name').map(i => i.metadata.name), ['a', 'b', 'c'])
    assert.deepEqual(sortByField(items, '{.metadata.creationTimestamp}').map(i => i.metadata.name), ['c', 'b', 'a'])
    assert.deepEqual(sortByField(items, '.spec.ports[0].port').map(i => i.metadata.name), ['a', 'c', 'b'])
  })
  it('[*]: the first value the path finds (kubectl sorts by values[0][0]); an element without the rest is passed over', () => {
    const svcs = [
      {name: 'two', spec: {ports: [{name: 'b', port: 100}, {port: 500}]}},
      {name: 'none', spec: {ports: []}},
      {name: 'one', spec: {ports: [{port: 300}]}},
      {name: 'skip', spec: {ports: [{port: 200}, {name: 'a', port: 900}]}},
      {name: 'ext', spec: {type: 'ExternalName'}},
    ]
    // Those without a value first (in the order Go's sort leaves them, tested below), then by the first value.
    const byPort = sortByField(svcs, '{.spec.ports[*].port}').map(s => s.name)
    assert.deepEqual([...byPort.slice(0, 2)].sort(), ['ext', 'none'])
    assert.deepEqual(byPort.slice(2), ['two', 'skip', 'one'])
    const byName = sortByField(svcs, '.spec.ports[*].name').map(s => s.name)
    assert.deepEqual([...byName.slice(0, 3)].sort(), ['ext', 'none', 'one'])
    assert.deepEqual(byName.slice(3), ['skip', 'two'])
    assert.throws(() => sortByField(svcs, '.spec.nope[*].port'), /couldn't find any field with path "\{\.spec\.nope\[\*\]\.port\}"/)
  })
  it('[*] on anything but a list is jsonpath\'s error, with the Go type kubectl names', () => {
    const cases: Array<[unknown, string]> = [[{port: 1}, 'map[string]interface {}'], ['x', 'string'], [7, 'int64'], [1.5, 'float64'], [true, 'bool']]
    for (const [ports, type] of cases) {
      assert.throws(() => sortByField([{spec: {ports}}, {spec: {}}], '.spec.ports[*]'), (error: Error) => error instanceof SortByError && error.message === `${type} is not array or slice`)
    }
  })
  it('numbers compare numerically, equal keys keep their order', () => {
    const xs = [{n: 10, k: 1}, {n: 9, k: 2}, {n: 10, k: 3}]
    assert.deepEqual(sortByField(xs, '.n').map(x => x.k), [2, 1, 3])
  })
  it('two quantities compare by value (a resourceVersion, 500Mi < 1Gi), other strings byte-wise', () => {
    const names = (xs: Array<{n: string}>) => sortByField(xs, '.n').map(x => x.n)
    assert.deepEqual(names([{n: '100'}, {n: '99'}, {n: '1000'}]), ['99', '100', '1000'])
    assert.deepEqual(names([{n: '1Gi'}, {n: '500Mi'}, {n: '2e3'}, {n: '100m'}, {n: '-1'}]), ['-1', '100m', '2e3', '500Mi', '1Gi'])
    assert.deepEqual(names([{n: 's2'}, {n: 's10'}, {n: 's-a'}, {n: 's01'}]), ['s-a', 's01', 's10', 's2'])
    assert.deepEqual(names([{n: '10'}, {n: '9x'}, {n: '9'}]), ['9', '10', '9x'])
  })
  it('an object without the field is less than any, itself included: those come first, in the order Go\'s sort leaves them', () => {
    const xs = [{name: 'm0'}, {name: 'a1', k: 1}, {name: 'm2'}, {name: 'b3', k: 0}, {name: 'm4'}]
    assert.deepEqual(sortByField(xs, '.k').map(x => x.name), ['m4', 'm2', 'm0', 'b3', 'a1'])
  })
  it('fails like kubectl when no object has the field', () => {
    assert.throws(() => sortByField(items, '{.foo}'), {message: 'couldn\'t find any field with path "{.foo}" in the list of objects'})
    assert.throws(() => sortByField(items, '.foo.bar'), {message: 'couldn\'t find any field with path "{.foo.bar}" in the list of objects'})
    assert.deepEqual(sortByField([], '.foo'), [])
  })
})

describe('resource.ParseQuantity, in nano units', () => {
  const NANO = 10n ** 9n
  const MAX = ((1n << 63n) - 1n) * NANO
  const CASES: Array<[string, bigint | undefined]> = [
    ['1', NANO], ['0', 0n], ['-1', -NANO], ['+.5', NANO / 2n], ['1.', NANO], ['007', 7n * NANO],
    ['100m', NANO / 10n], ['1n', 1n], ['1k', 1000n * NANO], ['1Ki', 1024n * NANO], ['1.5Gi', 3n * (1n << 29n) * NANO], ['1.G', NANO * NANO],
    ['2e3', 2000n * NANO], ['1E-3', NANO / 1000n], ['e3', 0n], ['k', 0n],
    // rounded up to the nano, capped at the int64 maximum, as ParseQuantity does
    ['1.0000000001', NANO + 1n], ['1e-30', 1n], ['-1e-30', -1n], ['1e100', MAX], ['9Ei', MAX], ['-1e100', -MAX],
    // not quantities
    ['', undefined], ['abc', undefined], ['1x', undefined], ['1m5', undefined], ['1Kb', undefined], ['10.96.0.1', undefined],
    ['2026-12-07T11:32:06Z', undefined], ['1e', undefined], ['e', undefined], ['1 ', undefined],
  ]
  for (const [text, nano] of CASES) {
    it(JSON.stringify(text), () => assert.equal(parseQuantityNano(text), nano))
  }
})

describe('get -o json|yaml|name', () => {
  const a = {apiVersion: 'v1', kind: 'Service', metadata: {name: 'a', resourceVersion: '10'}, status: {loadBalancer: {}}}
  const b = {apiVersion: 'v1', kind: 'Service', metadata: {name: 'b'}}
  it('one named object prints as itself, anything else as a List', () => {
    assert.equal(outputObject([a], true), a)
    assert.deepEqual(outputObject([a], false), {apiVersion: 'v1', items: [a], kind: 'List', metadata: {resourceVersion: ''}})
    assert.deepEqual(outputObject([], true), {apiVersion: 'v1', items: [], kind: 'List', metadata: {resourceVersion: ''}})
  })
  it('json: sorted keys, 4-space indentation (recorded from kubectl)', () => {
    assert.equal(printJson({kind: 'List', apiVersion: 'v1', metadata: {resourceVersion: ''}, items: []}),
      '{\n    "apiVersion": "v1",\n    "items": [],\n    "kind": "List",\n    "metadata": {\n        "resourceVersion": ""\n    }\n}\n')
  })
  it('yaml: sorted keys, unindented lists, double-quoted ambiguous strings, {} for empty maps', () => {
    assert.equal(printList([a], 'yaml', false), [
      'apiVersion: v1', 'items:', '- apiVersion: v1', '  kind: Service', '  metadata:', '    name: a', '    resourceVersion: "10"',
      '  status:', '    loadBalancer: {}', 'kind: List', 'metadata:', '  resourceVersion: ""', '',
    ].join('\n'))
    assert.equal(printYaml({b: 1, a: 'x'}), 'a: x\nb: 1\n')
  })
  it('managedFields are hidden unless asked for', () => {
    const m = {apiVersion: 'v1', kind: 'Service', metadata: {managedFields: [{manager: 'x'}], name: 'm'}}
    assert.equal(printList([m], 'json', true), '{\n    "apiVersion": "v1",\n    "kind": "Service",\n    "metadata": {\n        "name": "m"\n    }\n}\n')
    assert.match(printList([m], 'yaml', true, true), /managedFields:\n {2}- manager: x\n/)
  })

  it('name: kind/name per line', () => {
    assert.equal(printNames([a, b]), 'service/a\nservice/b\n')
  })
})
