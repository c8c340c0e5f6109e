import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {ConnectionError} from '../../../src/kube/errors.ts'
import {defaultServerUrl, isTransportTls, serverAuthority} from '../../../src/kube/server-url.ts'

// Each row as kubectl 1.35 reads the server (run with -s against the local cluster and a kubectl
// proxy): the URL it dials, or its last line for a server it refuses.
describe('defaultServerUrl: client-go rest.DefaultServerURL with defaultTLS false', () => {
  const cases: Array<[string, string]> = [
    ['127.0.0.1:6443', 'http://127.0.0.1:6443'],
    ['localhost:6443', 'http://localhost:6443'],
    ['localhost', 'http://localhost'],
    ['host.example', 'http://host.example'],
    ['[::1]:6443', 'http://[::1]:6443'],
    ['127.0.0.1:6443/', 'http://127.0.0.1:6443/'],
    ['https://127.0.0.1:6443', 'https://127.0.0.1:6443'],
    ['https://127.0.0.1:6443/prefix', 'https://127.0.0.1:6443/prefix'],
    ['HTTP://127.0.0.1:8001', 'HTTP://127.0.0.1:8001'],
    ['ftp://127.0.0.1', 'ftp://127.0.0.1'],
    ['', 'http://localhost'],
  ]
  for (const [server, want] of cases) test(`${JSON.stringify(server)} -> ${want}`, () => assert.equal(defaultServerUrl(server), want))

  const refused: Array<[string, string, 'connection' | 'plain']> = [
    ['127.0.0.1:6443/foo', 'host must be a URL or a host:port pair: "127.0.0.1:6443/foo"', 'plain'],
    ['//127.0.0.1:6443', 'host must be a URL or a host:port pair: "//127.0.0.1:6443"', 'plain'],
    ['http://localhost:x', 'host must be a URL or a host:port pair: "http://localhost:x"', 'plain'],
    ['localhost:x', 'invalid port ":x" after host', 'connection'],
    ['x:y:z', 'invalid port ":z" after host', 'connection'],
    ['[::1', 'missing \']\' in host', 'connection'],
    ['a%zz', 'invalid URL escape "%zz"', 'connection'],
    ['a b', 'invalid character " " in host name', 'connection'],
    ['127.0.0.1:99999', 'dial tcp: address 99999: invalid port', 'connection'],
  ]
  for (const [server, message, kind] of refused) {
    test(`${JSON.stringify(server)}: ${message}`, () => {
      assert.throws(() => defaultServerUrl(server), (error: Error) => error.message === message && (error instanceof ConnectionError) === (kind === 'connection'))
    })
  }
})

describe('isTransportTls and serverAuthority', () => {
  const cases: Array<[string, boolean, string]> = [
    ['https://127.0.0.1:6443', true, '127.0.0.1:6443'],
    ['HTTPS://Example.COM', true, 'Example.COM'],
    ['http://127.0.0.1', false, '127.0.0.1'],
    ['http://LOCALHOST:1', false, 'LOCALHOST:1'],
    ['ftp://x', false, 'x'],
  ]
  for (const [url, tls, host] of cases) {
    test(url, () => {
      assert.equal(isTransportTls(url), tls)
      assert.equal(serverAuthority(url), host)
    })
  }
})
