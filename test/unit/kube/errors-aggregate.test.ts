// FlagError and MultiError, added to the error funnel for create and expose.

import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {ApiError, FlagError, MultiError, renderError} from '../../../src/kube/errors.ts'

const ctx = {commandPath: 'svc create nodeport'}

describe('FlagError and MultiError', () => {
  it('a bad flag value reads like cobra\'s', () => {
    assert.deepEqual(renderError(new FlagError('invalid argument "x" for "--node-port" flag: strconv.ParseInt: parsing "x": invalid syntax'), ctx), {
      exitCode: 1, text: 'error: invalid argument "x" for "--node-port" flag: strconv.ParseInt: parsing "x": invalid syntax\nSee \'svc create nodeport --help\' for usage.',
    })
  })

  it('an aggregate prints one line per error, API errors in kubectl\'s form, no error: prefix', () => {
    const exists = new ApiError(409, {code: 409, message: 'error when creating "a.yaml": services "a" already exists', reason: 'AlreadyExists'})
    assert.deepEqual(renderError(new MultiError([exists, new Error('boom')]), ctx), {
      exitCode: 1, text: 'Error from server (AlreadyExists): error when creating "a.yaml": services "a" already exists\nboom',
    })
    assert.deepEqual(renderError(new MultiError([new Error('only')]), ctx), {exitCode: 1, text: 'error: only'})
  })
})
