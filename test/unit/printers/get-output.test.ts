// What svc get prints (printers/get-output.ts): the read before any watch and each watch event, per
// output, with kubectl's notices and separators.

import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import type {Service} from '../../../src/kube/types.ts'
import {type GetFlags, getOptions} from '../../../src/options/get.ts'
import {eventOutput, type GetPrint, readOutput} from '../../../src/printers/get-output.ts'
import {ServiceTablePrinter} from '../../../src/printers/service-table.ts'

const NOW = Date.parse('2026-01-01T00:10:00Z')
const svc = (name: string): Service => ({
  metadata: {creationTimestamp: '2026-01-01T00:00:00Z', managedFields: [{manager: 'kubectl'}], name, namespace: 'default'},
  spec: {clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], ports: [{port: 80, protocol: 'TCP'}], type: 'ClusterIP'},
})

function settings(operands: string[], flags: Partial<GetFlags> = {}, more: Partial<GetPrint> = {}): GetPrint {
  const options = getOptions(operands, {'allow-missing-template-keys': true, 'chunk-size': 500, ...flags})
  return {
    events: Boolean(flags['output-watch-events']), ignoreNotFound: Boolean(flags['ignore-not-found']), namespace: 'default', now: () => NOW, options,
    output: flags.output, printer: new ServiceTablePrinter({allNamespaces: options.allNamespaces, events: Boolean(flags['output-watch-events'])}), showManagedFields: false,
    ...more,
  }
}

describe('readOutput', () => {
  test('the table, with kubectl\'s notice when nothing was found', () => {
    assert.deepEqual(readOutput([], [], settings([])), {notice: 'No resources found in default namespace.', printed: 0, stdout: ''})
    assert.equal(readOutput([], [], settings([], {'all-namespaces': true})).notice, 'No resources found')
    assert.equal(readOutput([], [], settings([], {'ignore-not-found': true})).notice, undefined)
    const {notice, stdout} = readOutput([svc('web')], [], settings([]))
    assert.equal(notice, undefined)
    assert.equal(stdout, 'NAME   TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)   AGE\nweb    ClusterIP   10.96.0.10   <none>        80/TCP    10m\n')
  })

  test('-o name: one line a Service; -o json of one name: the object, not a List', () => {
    assert.equal(readOutput([svc('a'), svc('b')], [], settings([], {output: 'name'})).stdout, 'service/a\nservice/b\n')
    assert.equal(JSON.parse(readOutput([svc('a')], [], settings(['a'], {output: 'json'})).stdout).kind, 'Service')
    assert.equal(JSON.parse(readOutput([svc('a')], [], settings([], {output: 'json'})).stdout).kind, 'List')
  })

  test('one missing name prints nothing (the error says it); --ignore-not-found with nothing left prints nothing', () => {
    assert.deepEqual(readOutput([], [new Error('not found')], settings(['a'], {output: 'yaml'})), {printed: 0, stdout: ''})
    assert.deepEqual(readOutput([], [], settings([], {'ignore-not-found': true, output: 'yaml'})), {printed: 0, stdout: ''})
  })

  test('while watching, each object on its own, YAML separated by ---, and the count returned', () => {
    const read = readOutput([svc('a'), svc('b')], [], settings([], {output: 'yaml', watch: true}))
    assert.equal(read.printed, 2)
    assert.equal(read.stdout.split('\n').filter(l => l === '---').length, 1)
    assert.ok(!read.stdout.includes('managedFields'))
  })
})

describe('eventOutput', () => {
  test('a table row, with the event column under --output-watch-events', () => {
    assert.equal(eventOutput('MODIFIED', svc('web'), settings([], {watch: true}), 0), 'NAME   TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)   AGE\nweb    ClusterIP   10.96.0.10   <none>        80/TCP    10m\n')
    assert.match(eventOutput('MODIFIED', svc('web'), settings([], {'output-watch-events': true, watch: true}), 0), /^EVENT +NAME .*\nMODIFIED +web /)
  })

  test('-o json --output-watch-events: a WatchEvent on one line, type first', () => {
    const line = eventOutput('ADDED', svc('web'), settings([], {output: 'json', 'output-watch-events': true, watch: true}), 0)
    assert.equal(line.split('\n').length, 2)
    assert.deepEqual(Object.keys(JSON.parse(line)), ['type', 'object'])
    assert.equal(JSON.parse(line).object.kind, 'Service')
  })

  test('managedFields are left out; the second object of a YAML stream starts with ---', () => {
    assert.ok(!eventOutput('ADDED', svc('web'), settings([], {output: 'yaml', watch: true}), 0).includes('managedFields'))
    assert.ok(eventOutput('ADDED', svc('web'), settings([], {output: 'yaml', watch: true}), 1).startsWith('---\n'))
  })
})
