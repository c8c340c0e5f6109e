// FlagError and MultiError, added to the error funnel for create and expose.

import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {klogWarning, parseIntFlag} from '../../../src/base/create-service-command.ts'
import {ApiError, FlagError, MultiError, renderError} from '../../../src/kube/errors.ts'

const ctx = {commandPath: 'svc create nodeport'}

describe('FlagError and MultiError', () => {
  it('a bad flag value reads like cobra\'s', () => {
    assert.deepEqual(renderError(new FlagError('invalid argument "x" for "--node-port" flag: strconv.ParseInt: parsing "x": invalid syntax'), ctx), {
      exitCode: 1, text: 'error: invalid argument "x" for "--node-port" flag: strconv.ParseInt: parsing "x": invalid syntax\nSee \'svc create nodeport --help\' for usage.',
    })
    assert.throws(() => parseIntFlag('node-port', '1.5'), {message: 'invalid argument "1.5" for "--node-port" flag: strconv.ParseInt: parsing "1.5": invalid syntax'})
    assert.throws(() => parseIntFlag('t', '2147483648', 32), {message: 'invalid argument "2147483648" for "--t" flag: strconv.ParseInt: parsing "2147483648": value out of range'})
    assert.equal(parseIntFlag('t', '-5'), -5)
  })

  it('an aggregate prints one line per error, API errors in kubectl\'s form, no error: prefix', () => {
    const exists = new ApiError(409, {code: 409, message: 'error when creating "a.yaml": services "a" already exists', reason: 'AlreadyExists'})
    assert.deepEqual(renderError(new MultiError([exists, new Error('boom')]), ctx), {
      exitCode: 1, text: 'Error from server (AlreadyExists): error when creating "a.yaml": services "a" already exists\nboom',
    })
    assert.deepEqual(renderError(new MultiError([new Error('only')]), ctx), {exitCode: 1, text: 'error: only'})
  })

  it('klog warning lines', () => {
    const line = klogWarning('--dry-run is deprecated and can be replaced with --dry-run=client.', 'helpers.go:703', new Date(Date.UTC(2026, 10, 28, 4, 9, 1, 422)))
    assert.equal(line, `W1128 04:09:01.422000 ${String(process.pid).padStart(7)} helpers.go:703] --dry-run is deprecated and can be replaced with --dry-run=client.`)
  })
})
