// svc describe's complete and validate step (options/describe.ts) as a pure function: what it
// describes, and each usage error in kubectl's order.

import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {type DescribeFlags, describeOptions} from '../../../src/options/describe.ts'

describe('describeOptions', () => {
  const cases: Array<[string, string[], DescribeFlags, object]> = [
    ['every Service', [], {}, {allNamespaces: false, names: []}],
    ['kubectl spellings', ['svc', 'web', 'api'], {}, {allNamespaces: false, names: ['web', 'api']}],
    ['svc/NAME', ['svc/web'], {}, {allNamespaces: false, names: ['web']}],
    ['-l', [], {selector: 'app=web'}, {allNamespaces: false, names: [], selector: 'app=web'}],
    ['-A with -l', [], {'all-namespaces': true, selector: 'app=web'}, {allNamespaces: true, names: [], selector: 'app=web'}],
  ]
  for (const [name, operands, flags, want] of cases) {
    test(name, () => assert.deepEqual(describeOptions(operands, flags), want))
  }

  const errors: Array<[string, string[], DescribeFlags, string]> = [
    ['a name with -l', ['web'], {selector: 'app=web'}, 'name cannot be provided when a selector is specified'],
    ['a name with -A', ['web'], {'all-namespaces': true}, 'a resource cannot be retrieved by name across all namespaces'],
    ['both: the selector error first', ['web'], {'all-namespaces': true, selector: 'app=web'}, 'name cannot be provided when a selector is specified'],
    ['not a Service', ['pods', 'web'], {}, 'svc works with Services only; "pods" is not a Service type (use NAME or svc/NAME)'],
  ]
  for (const [name, operands, flags, message] of errors) {
    test(`refused: ${name}`, () => assert.throws(() => describeOptions(operands, flags), (error: Error) => {
      assert.equal(error.message, message)
      return true
    }))
  }
})
