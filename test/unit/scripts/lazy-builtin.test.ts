import assert from 'node:assert/strict'
import {test} from 'node:test'

import {lazyBuiltin} from '../../../scripts/lazy-builtin.ts'

test('lazyBuiltin: the module loads on the first read or write of an export, once', () => {
  let loads = 0
  const real = {name: 'real', fn: (x: number) => x + 1}
  const lazy = lazyBuiltin(() => (loads++, real), ['name', 'fn', 'absent']) as Record<string, unknown>
  // listing and describing the exports, as a bundler's interop copy does, loads nothing
  assert.deepEqual(Object.getOwnPropertyNames(lazy), ['name', 'fn', 'absent'])
  assert.equal(typeof Object.getOwnPropertyDescriptor(lazy, 'fn')?.get, 'function')
  assert.equal(loads, 0)
  assert.equal((lazy.fn as (x: number) => number)(1), 2)
  assert.equal(lazy.name, 'real')
  assert.equal(lazy.absent, undefined)
  lazy.name = 'changed'
  assert.equal(real.name, 'changed')
  assert.equal(loads, 1)
})
