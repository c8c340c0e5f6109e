import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {outputObject, printJson, printList, printNames, printYaml} from '../../../src/printers/list.ts'
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
  it('numbers compare numerically, equal keys keep their order', () => {
    const xs = [{n: 10, k: 1}, {n: 9, k: 2}, {n: 10, k: 3}]
    assert.deepEqual(sortByField(xs, '.n').map(x => x.k), [2, 1, 3])
  })
  it('fails like kubectl when no object has the field', () => {
    assert.throws(() => sortByField(items, '{.foo}'), {message: 'couldn\'t find any field with path "{.foo}" in the list of objects'})
    assert.throws(() => sortByField(items, '.foo.bar'), {message: 'couldn\'t find any field with path "{.foo.bar}" in the list of objects'})
    assert.deepEqual(sortByField([], '.foo'), [])
  })
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
