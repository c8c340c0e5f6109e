// svc delete's complete and validate step (options/delete.ts) as a pure function: the options it
// derives, kubectl's warnings as they come, and every usage error in kubectl's order.

import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {IMMEDIATE_DELETION_WARNING} from '../../../src/flags/delete.ts'
import {type DeleteFlags, deleteOptions} from '../../../src/options/delete.ts'

const WEEK_MS = 168 * 3600 * 1000
const flags = (more: Partial<DeleteFlags> = {}): DeleteFlags => ({cascade: 'background', 'grace-period': -1, timeout: 0, ...more})

function run(operands: string[], more: Partial<DeleteFlags>) {
  const warnings: string[] = []
  return {options: deleteOptions(operands, flags(more), line => warnings.push(line)), warnings}
}

describe('deleteOptions', () => {
  test('what it deletes and how', () => {
    const cases: Array<[string, string[], Partial<DeleteFlags>, object]> = [
      ['a name', ['web'], {}, {gracePeriod: -1, names: ['web'], propagationPolicy: 'Background', waitMs: WEEK_MS}],
      ['svc/NAME, foreground, 30s', ['svc/web'], {cascade: 'foreground', timeout: 30_000}, {gracePeriod: -1, names: ['web'], propagationPolicy: 'Foreground', waitMs: 30_000}],
      ['--all', [], {all: true}, {gracePeriod: -1, names: [], propagationPolicy: 'Background', waitMs: WEEK_MS}],
      ['-A alone', [], {'all-namespaces': true}, {gracePeriod: -1, names: [], propagationPolicy: 'Background', waitMs: WEEK_MS}],
      ['--now is a grace period of 1', ['web'], {now: true}, {gracePeriod: 1, names: ['web'], propagationPolicy: 'Background', waitMs: WEEK_MS}],
      ['--cascade=orphan', ['web'], {cascade: 'orphan'}, {gracePeriod: -1, names: ['web'], propagationPolicy: 'Orphan', waitMs: WEEK_MS}],
    ]
    for (const [name, operands, more, want] of cases) {
      const {options, warnings} = run(operands, more)
      assert.deepEqual(options, want, name)
      assert.deepEqual(warnings, [], name)
    }
  })

  test('--force with no grace period warns, and deletes at once', () => {
    const {options, warnings} = run(['web'], {force: true})
    assert.equal(options.gracePeriod, 0)
    assert.deepEqual(warnings, [`Warning: ${IMMEDIATE_DELETION_WARNING}`])
  })

  test('a deprecated --cascade=true warns before a later error', () => {
    const warnings: string[] = []
    assert.throws(() => deleteOptions([], flags({cascade: 'true'}), line => warnings.push(line)), {message: 'resource(s) were provided, but no name was specified'})
    assert.equal(warnings.length, 1)
    assert.match(warnings[0], /deprecated/)
  })

  test('errors, in the order kubectl checks', () => {
    const cases: Array<[string, string[], Partial<DeleteFlags>, string]> = [
      ['--all with a selector', ['web'], {all: true, output: 'yaml', selector: 'a=b'}, "setting 'all' parameter but found a non empty selector. "],
      ['-o other than name', ['web'], {output: 'yaml', selector: 'a=b'}, "unexpected -o output mode: yaml. We only support '-o name'"],
      ['names with a selector', ['web'], {'field-selector': 'a=b'}, 'name cannot be provided when a selector is specified'],
      ['names with -A', ['web'], {'all-namespaces': true}, 'a resource cannot be retrieved by name across all namespaces'],
      ['nothing named', [], {}, 'resource(s) were provided, but no name was specified'],
      ['--force with a grace period', ['web'], {force: true, 'grace-period': 5}, '--force and --grace-period greater than 0 cannot be specified together'],
    ]
    for (const [name, operands, more, message] of cases) assert.throws(() => run(operands, more), {message}, name)
  })
})
