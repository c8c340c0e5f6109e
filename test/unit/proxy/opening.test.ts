// A proxy client's opening as tables: the bytes in hand, from a stage, give what is written to the
// client, the stage and bytes kept for the next read, and the outcome (more, a target, a refusal);
// and the answers to an accepted or refused client.

import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {acceptReply, type OpeningStage, type OpeningStep, readOpening, refuseReply} from '../../../src/proxy/opening.ts'
import {openFailureText} from '../../../src/proxy/server.ts'
import {Reply} from '../../../src/proxy/socks5.ts'

const bytes = (...parts: Array<number | string | number[]>) => Buffer.concat(parts.map(p => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(Array.isArray(p) ? p : [p]))))
const port = [0x1f, 0x90] // 8080

/** A step with its buffers as arrays (SOCKS) or latin1 text (HTTP), for deepEqual. */
function plain(step: OpeningStep): unknown {
  const show = (b: Buffer) => (b[0] === 5 || b.length === 0 ? [...b] : b.toString('latin1'))
  const {outcome} = step
  const shown = outcome.kind === 'target' ? {...outcome, target: {...outcome.target, rest: show(outcome.target.rest)}}
    : outcome.kind === 'end' && outcome.reply ? {...outcome, reply: show(outcome.reply)}
      : outcome
  return {buf: show(step.buf), outcome: shown, stage: step.stage, writes: step.writes.map(b => [...b])}
}

describe('readOpening', () => {
  const table: Array<[string, OpeningStage, Buffer, unknown]> = [
    ['a SOCKS5 greeting not all in', 'sniff', bytes(5, 2, 0), {buf: [5, 2, 0], outcome: {kind: 'more'}, stage: 'greeting', writes: []}],
    ['a greeting alone: answered, the request awaited', 'sniff', bytes(5, 1, 0), {buf: [], outcome: {kind: 'more'}, stage: 'request', writes: [[5, 0]]}],
    ['a greeting and part of the request', 'greeting', bytes(5, 1, 0, 5, 1, 0, 3), {buf: [5, 1, 0, 3], outcome: {kind: 'more'}, stage: 'request', writes: [[5, 0]]}],
    ['a greeting and the request, with bytes for the pod after it', 'sniff', bytes(5, 1, 0, 5, 1, 0, 3, 3, 'web', port, 5, 9), {
      buf: [5, 1, 0, 3, 3, 119, 101, 98, 31, 144, 5, 9],
      outcome: {kind: 'target', target: {host: 'web', port: 8080, protocol: 'socks5', rest: [5, 9]}}, stage: 'request', writes: [[5, 0]],
    }],
    ['the request after an answered greeting', 'request', bytes(5, 1, 0, 1, [10, 0, 0, 7], port), {
      buf: [5, 1, 0, 1, 10, 0, 0, 7, 31, 144], outcome: {kind: 'target', target: {host: '10.0.0.7', port: 8080, protocol: 'socks5', rest: []}}, stage: 'request', writes: [],
    }],
    ['a greeting without "no authentication": the refusal is the reply, then the end', 'sniff', bytes(5, 1, 2), {
      buf: [5, 1, 2], outcome: {error: 'SOCKS5 client 10.1.2.3 offers no method svc supports (only "no authentication")', kind: 'end'}, stage: 'greeting', writes: [[5, 0xff]],
    }],
    ['a bad request: a stderr line and the reply code', 'request', bytes(5, 1, 0, 9, 1, 2, 3), {
      buf: [5, 1, 0, 9, 1, 2, 3], outcome: {error: 'bad SOCKS5 request from 10.1.2.3: address type 9 is not supported', kind: 'end', reply: [5, 8, 0, 1, 0, 0, 0, 0, 0, 0]}, stage: 'request', writes: [],
    }],
    ['UDP ASSOCIATE is refused', 'request', bytes(5, 3, 0, 1, [0, 0, 0, 0], [0, 0]), {
      buf: [5, 3, 0, 1, 0, 0, 0, 0, 0, 0],
      outcome: {kind: 'end', refused: {client: '10.1.2.3', host: '0.0.0.0', id: 0, kind: 'udp', message: 'UDP ASSOCIATE is not supported; svc proxy carries TCP only (SOCKS5 CONNECT)', port: 0, protocol: 'socks5-udp'}, reply: [5, 7, 0, 1, 0, 0, 0, 0, 0, 0]},
      stage: 'request', writes: [],
    }],
    ['BIND is refused', 'request', bytes(5, 2, 0, 3, 3, 'web', port), {
      buf: [5, 2, 0, 3, 3, 119, 101, 98, 31, 144],
      outcome: {kind: 'end', refused: {client: '10.1.2.3', host: 'web', id: 0, kind: 'unsupported', message: 'SOCKS5 command BIND is not supported; svc proxy supports CONNECT only', port: 8080, protocol: 'socks5-bind'}, reply: [5, 7, 0, 1, 0, 0, 0, 0, 0, 0]},
      stage: 'request', writes: [],
    }],
    ['an unknown command is refused by its number', 'request', bytes(5, 9, 0, 3, 3, 'web', port), {
      buf: [5, 9, 0, 3, 3, 119, 101, 98, 31, 144],
      outcome: {kind: 'end', refused: {client: '10.1.2.3', host: 'web', id: 0, kind: 'unsupported', message: 'SOCKS5 command 9 is not supported; svc proxy supports CONNECT only', port: 8080, protocol: 'socks5-bind'}, reply: [5, 7, 0, 1, 0, 0, 0, 0, 0, 0]},
      stage: 'request', writes: [],
    }],
    ['SOCKS4 (version byte 4) is read as HTTP and waits for a head', 'sniff', bytes(4, 1, 0, 80), {buf: '\u0004\u0001\u0000P', outcome: {kind: 'more'}, stage: 'request', writes: []}],
    ['a bad SOCKS5 greeting is closed at once', 'greeting', bytes(6, 1, 0), {buf: '\u0006\u0001\u0000', outcome: {kind: 'destroy'}, stage: 'greeting', writes: []}],
    ['an HTTP head not all in', 'sniff', bytes('CONNECT web:80 HTTP/1.1\r\n'), {buf: 'CONNECT web:80 HTTP/1.1\r\n', outcome: {kind: 'more'}, stage: 'request', writes: []}],
    ['CONNECT, with the TLS hello after it', 'request', bytes('CONNECT web.shop:443 HTTP/1.1\r\n\r\n', [0x16, 3]), {
      buf: 'CONNECT web.shop:443 HTTP/1.1\r\n\r\n\u0016\u0003', outcome: {kind: 'target', target: {host: 'web.shop', port: 443, protocol: 'http-connect', rest: '\u0016\u0003'}}, stage: 'request', writes: [],
    }],
    ['a request in absolute form: the rewritten head is sent first', 'sniff', bytes('GET http://web:8080/x HTTP/1.1\r\nHost: web:8080\r\n\r\nbody'), {
      buf: 'GET http://web:8080/x HTTP/1.1\r\nHost: web:8080\r\n\r\nbody',
      outcome: {kind: 'target', target: {host: 'web', port: 8080, protocol: 'http', rest: 'GET /x HTTP/1.1\r\nHost: web:8080\r\nConnection: close\r\n\r\nbody'}}, stage: 'request', writes: [],
    }],
    ['a malformed HTTP head: a stderr line and a 400', 'sniff', bytes('hello\r\n\r\n'), {
      buf: 'hello\r\n\r\n',
      outcome: {error: 'bad proxy request from 10.1.2.3: malformed request line', kind: 'end', reply: 'HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 23\r\nConnection: close\r\n\r\nmalformed request line\n'},
      stage: 'request', writes: [],
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
  const table: Array<[string, unknown, Parameters<typeof openFailureText>[1], string]> = [
    ['a direct connection: the error alone', new Error('connect ECONNREFUSED 10.0.0.1:80'), undefined, 'connect ECONNREFUSED 10.0.0.1:80'],
    ['a pod and its port', new Error('socket hang up'), {name: 'web-1', namespace: 'shop', port: 8080}, 'pod shop/web-1 port 8080: socket hang up'],
    ['not an Error', 'boom', undefined, 'boom'],
  ]
  for (const [name, error, pod, expected] of table) it(name, () => assert.equal(openFailureText(error, pod), expected))
})
