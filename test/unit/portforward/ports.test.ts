import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {formatPortList, isLoopback, joinHostPort, parseAddresses, parsePorts, splitPort} from '../../../src/portforward/ports.ts'

describe('parsePorts (client-go texts)', () => {
  const ok: Array<[string[], Array<[number, number]>]> = [
    [['5000'], [[5000, 5000]]],
    [['8888:5000'], [[8888, 5000]]],
    [[':5000'], [[0, 5000]]],
    [['0:5000'], [[0, 5000]]],
    [['5000', '6000', ':7000'], [[5000, 5000], [6000, 6000], [0, 7000]]],
    [['65535:1'], [[65535, 1]]],
  ]
  for (const [input, expected] of ok) {
    test(`${input.join(' ')}`, () => {
      assert.deepEqual(parsePorts(input).map(p => [p.local, p.remote]), expected)
    })
  }

  const bad: Array<[string, string]> = [
    ['1:2:3', "invalid port format '1:2:3'"],
    ['abc:80', `error parsing local port 'abc': strconv.ParseUint: parsing "abc": invalid syntax`],
    ['70000', `error parsing local port '70000': strconv.ParseUint: parsing "70000": value out of range`],
    ['80:70000', `error parsing remote port '70000': strconv.ParseUint: parsing "70000": value out of range`],
    ['-1', `error parsing local port '-1': strconv.ParseUint: parsing "-1": invalid syntax`],
    ['+80', `error parsing local port '+80': strconv.ParseUint: parsing "+80": invalid syntax`],
    ['0', 'remote port must be > 0'],
    [':0', 'remote port must be > 0'],
    ['80:', `error parsing remote port '': strconv.ParseUint: parsing "": invalid syntax`],
    ['a"b:1', `error parsing local port 'a"b': strconv.ParseUint: parsing "a\\"b": invalid syntax`],
  ]
  for (const [input, message] of bad) {
    test(`rejects ${input}`, () => {
      assert.throws(() => parsePorts([input]), {message})
    })
  }

  test('splitPort keeps both halves and refuses two colons', () => {
    assert.deepEqual(splitPort('8080:http'), {local: '8080', raw: '8080:http', remote: 'http'})
    assert.deepEqual(splitPort('http'), {local: 'http', raw: 'http', remote: 'http'})
    assert.deepEqual(splitPort(':80'), {local: '', raw: ':80', remote: '80'})
    assert.throws(() => splitPort('1:2:3'), {message: "invalid port format '1:2:3'"})
  })

  test('formatPortList is Go %v of []ForwardedPort', () => {
    assert.equal(formatPortList([{local: 8080, remote: 80}]), '[{8080 80}]')
    assert.equal(formatPortList([{local: 8080, remote: 80}, {local: 0, remote: 443}]), '[{8080 80} {0 443}]')
  })
})

describe('parseAddresses (client-go)', () => {
  const cases: Array<[string[], Array<[string, 4 | 6, 'all' | 'any']>]> = [
    [['localhost'], [['127.0.0.1', 4, 'all'], ['::1', 6, 'all']]],
    [['localhost,localhost'], [['127.0.0.1', 4, 'all'], ['::1', 6, 'all']]],
    [['0.0.0.0'], [['0.0.0.0', 4, 'any']]],
    [['::'], [['::', 6, 'any']]],
    [['localhost,10.1.2.3'], [['10.1.2.3', 4, 'any'], ['127.0.0.1', 4, 'all'], ['::1', 6, 'all']]],
    [['localhost', '0.0.0.0'], [['0.0.0.0', 4, 'any'], ['127.0.0.1', 4, 'all'], ['::1', 6, 'all']]],
    // An explicit 127.0.0.1 after localhost replaces localhost's entry: failure mode "any".
    [['localhost,127.0.0.1'], [['127.0.0.1', 4, 'any'], ['::1', 6, 'all']]],
    [['127.0.0.1,localhost'], [['127.0.0.1', 4, 'any'], ['::1', 6, 'all']]],
    [['::ffff:127.0.0.2'], [['127.0.0.2', 4, 'any']]],
  ]
  for (const [input, expected] of cases) {
    test(input.join(' | '), () => {
      assert.deepEqual(parseAddresses(input).map(a => [a.address, a.family, a.failureMode]), expected)
    })
  }

  for (const bad of ['example.com', '127.0.0', '', 'localhost,', '1.2.3.4/32']) {
    test(`rejects "${bad}"`, () => {
      const value = bad === 'localhost,' ? '' : bad
      assert.throws(() => parseAddresses([bad]), {message: `${value} is not a valid IP`})
    })
  }
})

describe('addresses for people', () => {
  test('joinHostPort brackets IPv6', () => {
    assert.equal(joinHostPort('127.0.0.1', 8080), '127.0.0.1:8080')
    assert.equal(joinHostPort('::1', 8080), '[::1]:8080')
  })

  test('isLoopback', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '0:0:0:0:0:0:0:1']) assert.equal(isLoopback(a), true, a)
    for (const a of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.1', 'fe80::1']) assert.equal(isLoopback(a), false, a)
  })
})
