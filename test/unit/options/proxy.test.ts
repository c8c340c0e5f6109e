import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {type ProxyFlags, proxyOptions} from '../../../src/options/proxy.ts'

const flags = (extra: Partial<ProxyFlags> = {}): ProxyFlags => ({address: ['127.0.0.1'], 'cluster-domain': 'cluster.local', 'half-close-timeout': 1000, port: 1080, ...extra})

describe('proxyOptions', () => {
  it('the defaults', () => {
    assert.deepEqual(proxyOptions({beforeDash: []}, flags()), {
      addresses: [{address: '127.0.0.1', failureMode: 'any', family: 4}], clusterDomain: 'cluster.local', halfCloseTimeoutMs: 1000, mode: 'text', port: 1080,
    })
  })
  it('a command, json, a domain written with dots around it, localhost', () => {
    const o = proxyOptions({afterDash: ['npm', 'test'], beforeDash: []}, flags({address: ['localhost'], 'cluster-domain': '.Corp.Internal.', output: 'json', port: 0}))
    assert.deepEqual([o.command, o.mode, o.clusterDomain, o.port, o.addresses.map(a => a.address)], [['npm', 'test'], 'json', 'corp.internal', 0, ['127.0.0.1', '::1']])
  })
  const errors: Array<[string, {beforeDash: string[]; afterDash?: string[]}, Partial<ProxyFlags>, string]> = [
    ['an operand', {beforeDash: ['web']}, {}, 'unexpected argument "web": svc proxy takes no arguments (a command goes after --)'],
    ['an unknown flag', {beforeDash: ['--nope']}, {}, 'unknown flag: --nope'],
    ['-- and nothing', {afterDash: [], beforeDash: []}, {}, 'a COMMAND is required after --'],
    ['a port out of range', {beforeDash: []}, {port: 70000}, '--port must be a port number from 0 to 65535, got 70000'],
    ['a negative linger', {beforeDash: []}, {'half-close-timeout': -1}, '--half-close-timeout must not be negative'],
    ['a bad domain', {beforeDash: []}, {'cluster-domain': 'a..b'}, '--cluster-domain "a..b" is not a DNS domain (like cluster.local)'],
    ['a name as address', {beforeDash: []}, {address: ['example.com']}, 'example.com is not a valid IP'],
  ]
  for (const [name, operands, extra, message] of errors) {
    it(`refused: ${name}`, () => assert.throws(() => proxyOptions(operands, flags(extra)), {message}))
  }
})
