// A proxy client's opening as tables: the bytes in hand, from a stage, give what is written to the
// client, the stage and bytes kept for the next read, and the outcome (more, a target, a refusal);
// and the answers to an accepted or refused client.

import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {ApiError} from '../../../src/kube/errors.ts'
import {acceptReply, type OpeningStage, type OpeningStep, readOpening, refuseReply} from '../../../src/proxy/opening.ts'
import {openFailureText} from '../../../src/proxy/server.ts'
import {Reply} from '../../../src/proxy/socks5.ts'

const bytes = (...parts: Array<number | string | number[]>) => Buffer.concat(parts.map(p => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(Array.isArray(p) ? p : [p]))))
const port = [0x1f, 0x90] // 8080

/** A step with its buffers as latin1 text (HTTP: those beginning with a letter) or arrays (the rest), for deepEqual. */
function plain(step: OpeningStep): unknown {
  const show = (b: Buffer) => (/^[A-Za-z]/.test(b.toString('latin1', 0, 1)) ? b.toString('latin1') : [...b])
  const {outcome} = step
  const shown = outcome.kind === 'target' ? {...outcome, target: {...outcome.target, rest: show(outcome.target.rest)}}
    : outcome.kind === 'end' && outcome.reply ? {...outcome, reply: show(outcome.reply)}
      : outcome
  return {buf: show(step.buf), outcome: shown, stage: step.stage, writes: step.writes.map(b => [...b])}
}

describe('readOpening', () => {
  const table: Array<[string, OpeningStage, Buffer, unknown]> = [
    ['a SOCKS5 greeting not all in', 'sniff', bytes(5, 2, 0), {buf: [5, 2, 0], outcome: {kind: 'more'}, stage: 'socks5-greeting', writes: []}],
    ['a greeting alone: answered, the request awaited', 'sniff', bytes(5, 1, 0), {buf: [], outcome: {kind: 'more'}, stage: 'socks5-request', writes: [[5, 0]]}],
    ['a greeting and part of the request', 'socks5-greeting', bytes(5, 1, 0, 5, 1, 0, 3), {buf: [5, 1, 0, 3], outcome: {kind: 'more'}, stage: 'socks5-request', writes: [[5, 0]]}],
    ['a greeting and the request, with bytes for the pod after it', 'sniff', bytes(5, 1, 0, 5, 1, 0, 3, 3, 'web', port, 5, 9), {
      buf: [5, 1, 0, 3, 3, 119, 101, 98, 31, 144, 5, 9],
      outcome: {kind: 'target', target: {host: 'web', port: 8080, protocol: 'socks5', rest: [5, 9]}}, stage: 'socks5-request', writes: [[5, 0]],
    }],
    ['the request after an answered greeting', 'socks5-request', bytes(5, 1, 0, 1, [10, 0, 0, 7], port), {
      buf: [5, 1, 0, 1, 10, 0, 0, 7, 31, 144], outcome: {kind: 'target', target: {host: '10.0.0.7', port: 8080, protocol: 'socks5', rest: []}}, stage: 'socks5-request', writes: [],
    }],
    ['a greeting without "no authentication": the refusal is the reply, then the end', 'sniff', bytes(5, 1, 2), {
      buf: [5, 1, 2], outcome: {error: 'SOCKS5 client 10.1.2.3 offers no method svc supports (only "no authentication")', kind: 'end'}, stage: 'socks5-greeting', writes: [[5, 0xff]],
    }],
    ['a bad request: a stderr line and the reply code', 'socks5-request', bytes(5, 1, 0, 9, 1, 2, 3), {
      buf: [5, 1, 0, 9, 1, 2, 3], outcome: {error: 'bad SOCKS5 request from 10.1.2.3: address type 9 is not supported', kind: 'end', reply: [5, 8, 0, 1, 0, 0, 0, 0, 0, 0]}, stage: 'socks5-request', writes: [],
    }],
    ['UDP ASSOCIATE is refused', 'socks5-request', bytes(5, 3, 0, 1, [0, 0, 0, 0], [0, 0]), {
      buf: [5, 3, 0, 1, 0, 0, 0, 0, 0, 0],
      outcome: {kind: 'end', refused: {client: '10.1.2.3', host: '0.0.0.0', id: 0, kind: 'udp', message: 'UDP ASSOCIATE is not supported; svc proxy carries TCP only (SOCKS5 CONNECT)', port: 0, protocol: 'socks5-udp'}, reply: [5, 7, 0, 1, 0, 0, 0, 0, 0, 0]},
      stage: 'socks5-request', writes: [],
    }],
    ['BIND is refused', 'socks5-request', bytes(5, 2, 0, 3, 3, 'web', port), {
      buf: [5, 2, 0, 3, 3, 119, 101, 98, 31, 144],
      outcome: {kind: 'end', refused: {client: '10.1.2.3', host: 'web', id: 0, kind: 'unsupported', message: 'SOCKS5 command BIND is not supported; svc proxy supports CONNECT only', port: 8080, protocol: 'socks5-bind'}, reply: [5, 7, 0, 1, 0, 0, 0, 0, 0, 0]},
      stage: 'socks5-request', writes: [],
    }],
    ['an unknown command is refused by its number', 'socks5-request', bytes(5, 9, 0, 3, 3, 'web', port), {
      buf: [5, 9, 0, 3, 3, 119, 101, 98, 31, 144],
      outcome: {kind: 'end', refused: {client: '10.1.2.3', host: 'web', id: 0, kind: 'unsupported', message: 'SOCKS5 command 9 is not supported; svc proxy supports CONNECT only', port: 8080, protocol: 'socks5-bind'}, reply: [5, 7, 0, 1, 0, 0, 0, 0, 0, 0]},
      stage: 'socks5-request', writes: [],
    }],
    ['after a greeting, a request whose first byte is not 5: a general failure at once', 'socks5-request', bytes(4), {
      buf: [4], outcome: {error: 'bad SOCKS5 request from 10.1.2.3: not SOCKS5 (version byte 4)', kind: 'end', reply: [5, 1, 0, 1, 0, 0, 0, 0, 0, 0]}, stage: 'socks5-request', writes: [],
    }],
    ['a greeting, then an HTTP head where the SOCKS5 request belongs: the greeting answered, then a general failure', 'sniff', bytes(5, 1, 0, 'GET / HTTP/1.1\r\n\r\n'), {
      buf: 'GET / HTTP/1.1\r\n\r\n', outcome: {error: 'bad SOCKS5 request from 10.1.2.3: not SOCKS5 (version byte 71)', kind: 'end', reply: [5, 1, 0, 1, 0, 0, 0, 0, 0, 0]}, stage: 'socks5-request', writes: [[5, 0]],
    }],
    ['a greeting whose version byte is not 5 (a socket never gets here: 5 picks the greeting): a line, then the end', 'socks5-greeting', bytes(6, 1, 0), {
      buf: [6, 1, 0], outcome: {error: 'bad SOCKS5 greeting from 10.1.2.3: not SOCKS5 (version byte 6)', kind: 'end'}, stage: 'socks5-greeting', writes: [],
    }],
    ['SOCKS4: rejected (91) with its port and address echoed, and a line saying what svc speaks', 'sniff', bytes(4, 1, 0, 80, [10, 0, 0, 7], 'me', 0), {
      buf: [4, 1, 0, 80, 10, 0, 0, 7, 109, 101, 0],
      outcome: {error: 'SOCKS4 client 10.1.2.3 refused: svc proxy speaks SOCKS5 and HTTP (for curl, use socks5h://HOST:PORT)', kind: 'end', reply: [0, 0x5b, 0, 80, 10, 0, 0, 7]}, stage: 'sniff', writes: [],
    }],
    ['SOCKS4 from its first byte alone: rejected at once, nothing to echo', 'sniff', bytes(4), {
      buf: [4], outcome: {error: 'SOCKS4 client 10.1.2.3 refused: svc proxy speaks SOCKS5 and HTTP (for curl, use socks5h://HOST:PORT)', kind: 'end', reply: [0, 0x5b, 0, 0, 0, 0, 0, 0]}, stage: 'sniff', writes: [],
    }],
    ['a TLS handshake (an https:// proxy URL): a line, then the end', 'sniff', bytes(0x16, 3, 1), {
      buf: [0x16, 3, 1],
      outcome: {error: 'client 10.1.2.3 began a TLS handshake: svc proxy speaks SOCKS5 and plain HTTP, not HTTPS (for curl, use socks5h://HOST:PORT or http://HOST:PORT)', kind: 'end'}, stage: 'sniff', writes: [],
    }],
    ['a first byte that starts no HTTP method: a line, then the end', 'sniff', bytes(0xff, 0), {
      buf: [0xff, 0],
      outcome: {error: 'client 10.1.2.3 sent 0xff first, which starts neither SOCKS5 nor an HTTP request: svc proxy speaks SOCKS5 and HTTP (for curl, use socks5h://HOST:PORT or http://HOST:PORT)', kind: 'end'}, stage: 'sniff', writes: [],
    }],
    ['a method of other token characters is HTTP: its head awaited', 'sniff', bytes('M-SEARCH * HTTP/1.1\r\n'), {buf: 'M-SEARCH * HTTP/1.1\r\n', outcome: {kind: 'more'}, stage: 'http', writes: []}],
    ['an empty line before the request line is HTTP: its head awaited', 'sniff', bytes('\r\nGET'), {buf: [13, 10, 71, 69, 84], outcome: {kind: 'more'}, stage: 'http', writes: []}],
    ['an HTTP head not all in', 'sniff', bytes('CONNECT web:80 HTTP/1.1\r\n'), {buf: 'CONNECT web:80 HTTP/1.1\r\n', outcome: {kind: 'more'}, stage: 'http', writes: []}],
    ['CONNECT, with the TLS hello after it', 'http', bytes('CONNECT web.shop:443 HTTP/1.1\r\n\r\n', [0x16, 3]), {
      buf: 'CONNECT web.shop:443 HTTP/1.1\r\n\r\n\u0016\u0003', outcome: {kind: 'target', target: {host: 'web.shop', port: 443, protocol: 'http-connect', rest: [0x16, 3]}}, stage: 'http', writes: [],
    }],
    ['a request in absolute form: the rewritten head is sent first', 'sniff', bytes('GET http://web:8080/x HTTP/1.1\r\nHost: web:8080\r\n\r\nbody'), {
      buf: 'GET http://web:8080/x HTTP/1.1\r\nHost: web:8080\r\n\r\nbody',
      outcome: {kind: 'target', target: {host: 'web', port: 8080, protocol: 'http', rest: 'GET /x HTTP/1.1\r\nHost: web:8080\r\nConnection: close\r\n\r\nbody'}}, stage: 'http', writes: [],
    }],
    ['a malformed HTTP head: a stderr line and a 400', 'sniff', bytes('hello\r\n\r\n'), {
      buf: 'hello\r\n\r\n',
      outcome: {error: 'bad proxy request from 10.1.2.3: malformed request line', kind: 'end', reply: 'HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 23\r\nConnection: close\r\n\r\nmalformed request line\n'},
      stage: 'http', writes: [],
    }],
  ]
  for (const [name, stage, input, expected] of table) it(name, () => assert.deepEqual(plain(readOpening(stage, input, '10.1.2.3')), expected))

  it('a greeting read a byte at a time, then the request: the same as all at once', () => {
    const all = bytes(5, 1, 0, 5, 1, 0, 3, 3, 'web', port)
    let stage: OpeningStage = 'sniff'
    let buf: Buffer = Buffer.alloc(0)
    const writes: number[][] = []
    for (const byte of all) {
      const step = readOpening(stage, Buffer.concat([buf, Buffer.from([byte])]), '10.1.2.3')
      ;({buf, stage} = step)
      writes.push(...step.writes.map(b => [...b]))
      if (step.outcome.kind !== 'more') {
        assert.deepEqual(step.outcome, {kind: 'target', target: {host: 'web', port: 8080, protocol: 'socks5', rest: Buffer.alloc(0)}})
        assert.deepEqual(writes, [[5, 0]])
        return
      }
    }
    assert.fail('no target after the whole opening')
  })
})

describe('the answers', () => {
  const accepted: Array<[string, Parameters<typeof acceptReply>[0], string | number[]]> = [
    ['SOCKS5: success with the proxy side of the connection', 'socks5', [5, 0, 0, 1, 127, 0, 0, 1, 4, 56]],
    ['HTTP CONNECT: 200', 'http-connect', 'HTTP/1.1 200 Connection established\r\n\r\n'],
    ['a forwarded HTTP request: nothing, the pod answers', 'http', []],
  ]
  for (const [name, protocol, expected] of accepted) {
    it(name, () => {
      const reply = acceptReply(protocol, {address: '127.0.0.1', port: 1080})
      assert.deepEqual(typeof expected === 'string' ? reply.toString('latin1') : [...reply], expected)
    })
  }
  const refused: Array<[string, Parameters<typeof refuseReply>[0], string | number[]]> = [
    ['SOCKS5: the reply code only', 'socks5', [5, 4, 0, 1, 0, 0, 0, 0, 0, 0]],
    ['HTTP CONNECT: a 502 whose body is the line', 'http-connect', 'HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 16\r\nConnection: close\r\n\r\nrefused x:1: no\n'],
    ['a forwarded HTTP request: the same 502', 'http', 'HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 16\r\nConnection: close\r\n\r\nrefused x:1: no\n'],
  ]
  for (const [name, protocol, expected] of refused) {
    it(name, () => {
      const reply = refuseReply(protocol, Reply.hostUnreachable, 'refused x:1: no')
      assert.deepEqual(typeof expected === 'string' ? reply.toString('latin1') : [...reply], expected)
    })
  }
})

describe('openFailureText', () => {
  const table: Array<[string, unknown, string]> = [
    ['an error: its message', new Error('connect ECONNREFUSED 10.0.0.1:80'), 'connect ECONNREFUSED 10.0.0.1:80'],
    ['a refused upgrade: in kubectl\'s words', new ApiError(404, {message: 'pods "web-1" not found'}), 'error upgrading connection: pods "web-1" not found'],
    ['not an Error', 'boom', 'boom'],
  ]
  for (const [name, error, expected] of table) it(name, () => assert.equal(openFailureText(error), expected))
})
