// The proxy's wire parsers, as tables: SOCKS5 greetings, requests and replies (RFC 1928), and the
// HTTP proxy request head (CONNECT and absolute form).

import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {errorResponse, parseProxyRequest, splitAuthority} from '../../../src/proxy/http.ts'
import {proxyEnvironment} from '../../../src/proxy/run.ts'
import {greetingReply, parseGreeting, parseRequest, Reply, requestReply} from '../../../src/proxy/socks5.ts'

const bytes = (...parts: Array<number | string | number[]>) => Buffer.concat(parts.map(p => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(Array.isArray(p) ? p : [p]))))

describe('SOCKS5 greeting', () => {
  const table: Array<[string, Buffer, unknown]> = [
    ['nothing yet', bytes(), {done: false}],
    ['version only', bytes(5), {done: false}],
    ['methods not all in', bytes(5, 2, 0), {done: false}],
    ['no auth offered', bytes(5, 1, 0), {done: true, used: 3, value: {methods: [0], noAuth: true}}],
    ['no auth among others, with the request after it', bytes(5, 2, 2, 0, 5, 1), {done: true, used: 4, value: {methods: [2, 0], noAuth: true}}],
    ['user/password only', bytes(5, 1, 2), {done: true, used: 3, value: {methods: [2], noAuth: false}}],
    ['SOCKS4', bytes(4, 1, 0, 80), {done: true, error: 'not SOCKS5 (version byte 4)'}],
  ]
  for (const [name, input, expected] of table) it(name, () => assert.deepEqual(parseGreeting(input), expected))
  it('replies: no auth, or none acceptable', () => {
    assert.deepEqual([...greetingReply(true)], [5, 0])
    assert.deepEqual([...greetingReply(false)], [5, 0xff])
  })
})

describe('SOCKS5 request', () => {
  const port = [0x1f, 0x90] // 8080
  const table: Array<[string, Buffer, unknown]> = [
    ['partial', bytes(5, 1, 0, 3, 7, 'web.sh'), {done: false}],
    ['domain name (socks5h)', bytes(5, 1, 0, 3, 8, 'web.shop', port), {done: true, used: 15, value: {command: 1, host: 'web.shop', port: 8080}}],
    ['IPv4', bytes(5, 1, 0, 1, [10, 96, 0, 12], port), {done: true, used: 10, value: {command: 1, host: '10.96.0.12', port: 8080}}],
    ['IPv6, normalised', bytes(5, 1, 0, 4, [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], port), {done: true, used: 22, value: {command: 1, host: 'fd00::1', port: 8080}}],
    ['UDP ASSOCIATE is parsed (and refused by the server)', bytes(5, 3, 0, 1, [0, 0, 0, 0], [0, 0]), {done: true, used: 10, value: {command: 3, host: '0.0.0.0', port: 0}}],
    ['unknown address type', bytes(5, 1, 0, 9, 1, 2, 3), {done: true, error: 'address type 9 is not supported', reply: Reply.addressTypeNotSupported}],
    ['empty name', bytes(5, 1, 0, 3, 0, port), {done: true, error: 'empty host name', reply: Reply.hostUnreachable}],
  ]
  for (const [name, input, expected] of table) it(name, () => assert.deepEqual(parseRequest(input), expected))
  it('replies carry the code and the bound address', () => {
    assert.deepEqual([...requestReply(Reply.succeeded, {address: '127.0.0.1', port: 1080})], [5, 0, 0, 1, 127, 0, 0, 1, 4, 56])
    assert.deepEqual([...requestReply(Reply.hostUnreachable)], [5, 4, 0, 1, 0, 0, 0, 0, 0, 0])
    assert.deepEqual([...requestReply(Reply.succeeded, {address: '::ffff:127.0.0.1', port: 1})], [5, 0, 0, 1, 127, 0, 0, 1, 0, 1])
    assert.deepEqual([...requestReply(Reply.succeeded, {address: '::1', port: 2})], [5, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2])
  })
})

describe('HTTP proxy request head', () => {
  it('waits for the whole head', () => assert.deepEqual(parseProxyRequest(Buffer.from('CONNECT web:80 HTTP/1.1\r\nHost: web:80\r\n')), {kind: 'incomplete'}))
  it('CONNECT host:port, and what follows the head is left for the tunnel', () => {
    assert.deepEqual(parseProxyRequest(Buffer.from('CONNECT web.shop:443 HTTP/1.1\r\nHost: web.shop:443\r\n\r\n\u0016\u0003')), {host: 'web.shop', kind: 'connect', port: 443, used: 53})
  })
  it('CONNECT [v6]:port', () => assert.deepEqual(parseProxyRequest(Buffer.from('CONNECT [fd00::1]:80 HTTP/1.1\r\n\r\n')), {host: 'fd00::1', kind: 'connect', port: 80, used: 33}))
  it('absolute form is rewritten to origin form, proxy headers dropped, one request per connection', () => {
    const head = 'GET http://web.shop:8080/a/b?x=1 HTTP/1.1\r\nHost: web.shop:8080\r\nUser-Agent: curl\r\nProxy-Connection: Keep-Alive\r\nConnection: keep-alive\r\nProxy-Authorization: Basic eA==\r\n\r\n'
    const parsed = parseProxyRequest(Buffer.from(`${head}body`))
    assert.equal(parsed.kind, 'forward')
    if (parsed.kind !== 'forward') return
    assert.deepEqual({host: parsed.host, port: parsed.port, used: parsed.used}, {host: 'web.shop', port: 8080, used: head.length})
    assert.equal(parsed.head.toString(), 'GET /a/b?x=1 HTTP/1.1\r\nHost: web.shop:8080\r\nUser-Agent: curl\r\nConnection: close\r\n\r\n')
  })
  it('http:// without a port is port 80', () => {
    const parsed = parseProxyRequest(Buffer.from('POST http://web/ HTTP/1.1\r\nHost: web\r\n\r\n'))
    assert.deepEqual(parsed.kind === 'forward' && [parsed.host, parsed.port], ['web', 80])
  })
  const errors: Array<[string, string, number, string]> = [
    ['origin form', 'GET / HTTP/1.1\r\n\r\n', 400, 'svc proxy takes requests in absolute form (GET http://NAME:PORT/path); got "/"'],
    ['https:// in absolute form', 'GET https://web/ HTTP/1.1\r\n\r\n', 400, 'only http:// URLs can be proxied as requests (use CONNECT for https)'],
    ['CONNECT without a port', 'CONNECT web HTTP/1.1\r\n\r\n', 400, 'CONNECT needs host:port, got "web"'],
    ['garbage', 'hello\r\n\r\n', 400, 'malformed request line'],
  ]
  for (const [name, input, status, message] of errors) it(name, () => assert.deepEqual(parseProxyRequest(Buffer.from(input)), {kind: 'error', message, status}))
  it('a head beyond 64 KiB', () => assert.equal((parseProxyRequest(Buffer.alloc(70 * 1024, 'a')) as {status: number}).status, 431))
  it('authorities', () => {
    assert.deepEqual(splitAuthority('a:1'), {host: 'a', port: 1})
    assert.equal(splitAuthority('a:0'), undefined)
    assert.equal(splitAuthority('a:65536'), undefined)
    assert.equal(splitAuthority('fd00::1:80'), undefined)
  })
  it('a refusal is a 502 whose body is the one line', () => {
    assert.equal(errorResponse(502, 'refused x:1: no Service "x" in namespace "default"').toString(),
      'HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 51\r\nConnection: close\r\n\r\nrefused x:1: no Service "x" in namespace "default"\n')
  })
})

describe('the environment of -- COMMAND', () => {
  it('both cases of each proxy variable, loopback added to NO_PROXY, Node told to use them', () => {
    const env = proxyEnvironment({HOME: '/h', NO_PROXY: 'corp.example'}, '127.0.0.1', 1080)
    assert.deepEqual({...env}, {
      ALL_PROXY: 'socks5h://127.0.0.1:1080', HOME: '/h', HTTPS_PROXY: 'http://127.0.0.1:1080', HTTP_PROXY: 'http://127.0.0.1:1080',
      NODE_USE_ENV_PROXY: '1', NO_PROXY: 'corp.example,localhost,127.0.0.1,::1', all_proxy: 'socks5h://127.0.0.1:1080',
      http_proxy: 'http://127.0.0.1:1080', https_proxy: 'http://127.0.0.1:1080', no_proxy: 'corp.example,localhost,127.0.0.1,::1',
    })
  })
  it('a wildcard address is reached on loopback', () => {
    assert.equal(proxyEnvironment({}, '0.0.0.0', 1).ALL_PROXY, 'socks5h://127.0.0.1:1')
    assert.equal(proxyEnvironment({}, '::1', 2).HTTP_PROXY, 'http://[::1]:2')
  })
})
