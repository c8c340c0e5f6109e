import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {csvList, parseIntFlag} from '../../../src/flags/values.ts'
import {FlagError} from '../../../src/kube/errors.ts'

describe('pflag values', () => {
  it('ints, with pflag\'s error text', () => {
    assert.throws(() => parseIntFlag('node-port', '1.5'), {message: 'invalid argument "1.5" for "--node-port" flag: strconv.ParseInt: parsing "1.5": invalid syntax'})
    assert.throws(() => parseIntFlag('t', '2147483648', 32), {message: 'invalid argument "2147483648" for "--t" flag: strconv.ParseInt: parsing "2147483648": value out of range'})
    assert.throws(() => parseIntFlag('t', 'x'), FlagError)
    assert.equal(parseIntFlag('t', '-5'), -5)
    assert.equal(parseIntFlag('t', undefined), undefined)
  })
  it('string slices: an empty value is an empty list', () => {
    assert.deepEqual(csvList(['']), [])
    assert.deepEqual(csvList(['80', '443']), ['80', '443'])
    assert.equal(csvList(undefined), undefined)
  })
})
