import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {ApiError, renderError} from '../../../src/kube/errors.ts'

describe('renderError: aggregates (kubectl MultipleErrors)', () => {
  const nf = (name: string) => new ApiError(404, {code: 404, message: `services "${name}" not found`, reason: 'NotFound'})
  it('prints one line per error, duplicates once', () => {
    assert.deepEqual(renderError(new AggregateError([nf('a'), nf('b'), nf('a')]), {commandPath: 'svc get'}), {
      exitCode: 1,
      text: 'Error from server (NotFound): services "a" not found\nError from server (NotFound): services "b" not found',
    })
  })
  it('an aggregate of one is that error', () => {
    assert.deepEqual(renderError(new AggregateError([new Error('boom')]), {commandPath: 'svc get'}), {exitCode: 1, text: 'error: boom'})
  })
})
