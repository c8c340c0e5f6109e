// svc get's complete and validate step (options/get.ts) as a pure function: what it lists and how
// it prints, and every usage error in kubectl's order.

import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {type GetFlags, getOptions} from '../../../src/options/get.ts'

const flags = (more: Partial<GetFlags> = {}): GetFlags => ({'allow-missing-template-keys': true, 'chunk-size': 500, ...more})

describe('getOptions', () => {
  test('what it lists and prints', () => {
    const base = {allNamespaces: false, chunkSize: 500, labelColumns: [], names: [], table: true, watching: false}
    const cases: Array<[string, string[], Partial<GetFlags>, object]> = [
      ['every Service', [], {}, base],
      ['kubectl spellings', ['svc', 'web', 'api'], {}, {...base, names: ['web', 'api']}],
      ['-A', [], {'all-namespaces': true}, {...base, allNamespaces: true}],
      ['-o wide is a table', [], {output: 'wide'}, {...base, format: 'wide'}],
      ['-o yaml is not', ['web'], {output: 'yaml'}, {...base, format: 'yaml', names: ['web'], table: false}],
      ['--sort-by reads the list at once', [], {'sort-by': '.metadata.name'}, {...base, chunkSize: 0}],
      ['-L split at commas', [], {'label-columns': ['app,tier', 'team']}, {...base, labelColumns: ['app', 'tier', 'team']}],
      ['--field-selector', [], {'field-selector': 'spec.type=NodePort'}, {...base, fieldSelector: 'spec.type=NodePort'}],
      ['watching one name selects it by field', ['web'], {watch: true}, {...base, fieldSelector: 'metadata.name=web', names: ['web'], watching: true}],
      ['--watch-only', [], {'output-watch-events': true, 'watch-only': true}, {...base, watching: true}],
    ]
    for (const [name, operands, more, want] of cases) {
      const {template, ...got} = getOptions(operands, flags(more))
      assert.equal(template, undefined, name)
      assert.deepEqual(JSON.parse(JSON.stringify(got)), want, name)
    }
  })

  test('custom-columns and --template give a template printer, not a table', () => {
    for (const more of [{output: 'custom-columns=NAME:.metadata.name'}, {template: '{{.metadata.name}}'}, {output: 'jsonpath={.items[*].metadata.name}'}]) {
      const o = getOptions([], flags(more))
      assert.ok(o.template, JSON.stringify(more))
      assert.equal(o.table, false)
    }
  })

  test('errors, in the order kubectl checks', () => {
    const cases: Array<[string, string[], Partial<GetFlags>, string]> = [
      ['a bad format before anything else', ['a', 'b'], {'all-namespaces': true, output: 'table', watch: true}, 'unable to match a printer suitable for the output format "table", allowed formats are: custom-columns,custom-columns-file,go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,wide,yaml'],
      ['watch events without a watch', [], {'output-watch-events': true}, '--output-watch-events option can only be used with --watch or --watch-only'],
      ['names with -A', ['web'], {'all-namespaces': true}, 'a resource cannot be retrieved by name across all namespaces'],
      ['names with -l', ['web'], {selector: 'app=web'}, 'name cannot be provided when a selector is specified'],
      ['names with --field-selector', ['web'], {'field-selector': 'a=b'}, 'name cannot be provided when a selector is specified'],
      ['watching two names', ['a', 'b'], {watch: true}, 'watch is only supported on individual resources and resource collections, but 2 resources were found'],
    ]
    for (const [name, operands, more, message] of cases) assert.throws(() => getOptions(operands, flags(more)), {message}, name)
  })
})
