import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {formatHosts, missingAliasMessage, serviceAddress, ServiceAddresses} from '../../../src/portforward/addresses.ts'

describe('serviceAddress', () => {
  test('stable per namespace/name, in 127.1-254.0-255.1-254, different for other names or namespaces', () => {
    const seen = new Set<string>()
    for (const ns of ['default', 'data', 'kube-system']) {
      for (const name of ['api', 'db', 'cache', 'web', 'worker']) {
        const address = serviceAddress(ns, name)
        assert.equal(serviceAddress(ns, name), address)
        const [a, b, c, d] = address.split('.').map(Number)
        assert.equal(a, 127)
        assert.ok(b >= 1 && b <= 254 && c >= 0 && c <= 255 && d >= 1 && d <= 254, address)
        seen.add(address)
      }
    }
    assert.equal(seen.size, 15)
  })

  test('known values (the hash is part of the contract: a Service keeps its address across versions)', () => {
    const cases: Array<[string, string, string]> = [['default', 'api', '127.214.59.54'], ['default', 'db', '127.233.133.64']]
    for (const [ns, name, address] of cases) assert.equal(serviceAddress(ns, name), address, `${ns}/${name}`)
    assert.notEqual(serviceAddress('default', 'db'), serviceAddress('data', 'db'))
    assert.notEqual(serviceAddress('default', 'db', 1), serviceAddress('default', 'db'))
  })

  test('ServiceAddresses: one address per Service, the same when asked again; a taken address moves the newcomer on', () => {
    const book = new ServiceAddresses()
    const api = book.get('default', 'api')
    assert.equal(book.get('default', 'api'), api)
    assert.equal(api, serviceAddress('default', 'api'))
    // Force a meeting: a book where the db's plain address is already taken by api's entry.
    const forced = new ServiceAddresses()
    ;(forced as unknown as {taken: Set<string>}).taken.add(serviceAddress('default', 'db'))
    assert.equal(forced.get('default', 'db'), serviceAddress('default', 'db', 1))
  })
})

describe('formatHosts', () => {
  test('one line per Service; the short name only for the first of that name', () => {
    assert.equal(formatHosts([
      {address: '127.1.2.3', name: 'api', namespace: 'default'},
      {address: '127.4.5.6', name: 'db', namespace: 'default'},
      {address: '127.7.8.9', name: 'db', namespace: 'data'},
    ]), [
      '127.1.2.3 api api.default api.default.svc api.default.svc.cluster.local',
      '127.4.5.6 db db.default db.default.svc db.default.svc.cluster.local',
      '127.7.8.9 db.data db.data.svc db.data.svc.cluster.local',
      '',
    ].join('\n'))
    assert.equal(formatHosts([]), '')
  })
})

describe('missingAliasMessage (macOS)', () => {
  const cases: Array<[string[], string]> = [
    [['127.1.2.3'], '127.1.2.3 is not configured on lo0 (macOS routes only the loopback addresses aliased there); add it with: sudo ifconfig lo0 alias 127.1.2.3 up'],
    [['127.1.2.3', '127.4.5.6'], '127.1.2.3, 127.4.5.6 are not configured on lo0 (macOS routes only the loopback addresses aliased there); add them with: sudo ifconfig lo0 alias 127.1.2.3 up; sudo ifconfig lo0 alias 127.4.5.6 up'],
  ]
  for (const [addresses, expected] of cases) test(addresses.join(' '), () => assert.equal(missingAliasMessage(addresses), expected))
})
