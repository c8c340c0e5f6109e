import assert from 'node:assert/strict'
import {test} from 'node:test'
import {canonicalJson, fnv32a, podTemplateHash, randomHex, randomSuffix, SAFE_ALPHABET, safeEncodeString} from '../../cluster/sim/hash.ts'

test('fnv32a matches the published FNV-1a 32-bit vectors', () => {
  const cases: Array<[string, number]> = [
    ['', 0x811c9dc5],
    ['a', 0xe40c292c],
    ['foobar', 0xbf9cf968],
    ['Hello world', 1498229191],
  ]
  for (const [input, want] of cases) assert.equal(fnv32a(input), want, input)
})

test('safeEncodeString maps each character by its code modulo 27', () => {
  // '0' is 48 -> 48 % 27 = 21 -> '4'; '9' is 57 -> 3 -> 'f'
  assert.equal(safeEncodeString('0'), '4')
  assert.equal(safeEncodeString('9'), 'f')
  assert.equal(safeEncodeString('1498229191'), safeEncodeString('1') + safeEncodeString('498229191'))
  for (const ch of safeEncodeString('0123456789')) assert.ok(SAFE_ALPHABET.includes(ch))
})

test('canonicalJson sorts keys at every level and drops undefined', () => {
  assert.equal(canonicalJson({b: 1, a: {d: [1, {y: 2, x: 1}], c: undefined}}), '{"a":{"d":[1,{"x":1,"y":2}]},"b":1}')
})

test('podTemplateHash: stable, order-insensitive, template- and collision-sensitive', () => {
  const t1 = {metadata: {labels: {app: 'web', tier: 'fe'}}, spec: {containers: [{name: 'c', image: 'nginx'}]}}
  const t2 = {spec: {containers: [{image: 'nginx', name: 'c'}]}, metadata: {labels: {tier: 'fe', app: 'web'}}}
  const h = podTemplateHash(t1)
  assert.equal(h, podTemplateHash(t2))
  assert.match(h, /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/)
  assert.equal(h, safeEncodeString(String(fnv32a(canonicalJson(t1)))))
  assert.notEqual(podTemplateHash({...t1, spec: {containers: [{name: 'c', image: 'nginx:1.27'}]}}), h)
  assert.notEqual(podTemplateHash(t1, 1), h)
  assert.equal(podTemplateHash(t1, 1), podTemplateHash(t2, 1))
})

test('random names use the safe alphabet', () => {
  for (let i = 0; i < 50; i++) assert.match(randomSuffix(), /^[bcdfghjklmnpqrstvwxz2456789]{5}$/)
  assert.match(randomHex(32), /^[0-9a-f]{64}$/)
})
