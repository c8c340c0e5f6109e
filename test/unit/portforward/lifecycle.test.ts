import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {DEFAULT_HALF_CLOSE_TIMEOUT_MS, keepalive, type KeepaliveFacts, type LocalEnd, type LocalEndAction, onLocalEnd} from '../../../src/portforward/lifecycle.ts'

describe('onLocalEnd: what the local EOF does, per transport', () => {
  const table: Array<[string, LocalEnd, LocalEndAction]> = [
    ['nc -z while the tunnel opens', {bytesFromClient: 0, halfClose: undefined, lingerMs: 1000}, {kind: 'release'}],
    ['nc -z over v4', {bytesFromClient: 0, halfClose: 'none', lingerMs: 1000}, {kind: 'release'}],
    ['nc -z over SPDY', {bytesFromClient: 0, halfClose: 'fin', lingerMs: 1000}, {kind: 'release'}],
    ['data then FIN while the tunnel opens', {bytesFromClient: 10, halfClose: undefined, lingerMs: 1000}, {kind: 'defer'}],
    ['data then FIN over v4', {bytesFromClient: 10, halfClose: 'none', lingerMs: 1000}, {kind: 'linger', ms: 1000}],
    ['data then FIN over v4, linger off', {bytesFromClient: 10, halfClose: 'none', lingerMs: 0}, {kind: 'wait'}],
    ['data then FIN over SPDY: the FIN goes on', {bytesFromClient: 10, halfClose: 'fin', lingerMs: 1000}, {kind: 'fin'}],
    ['data then FIN over SPDY, linger off: still a FIN', {bytesFromClient: 10, halfClose: 'fin', lingerMs: 0}, {kind: 'fin'}],
  ]
  for (const [name, facts, action] of table) {
    it(name, () => assert.deepEqual(onLocalEnd(facts), action))
  }
  it('the default linger is containerd\'s 1 s window', () => assert.equal(DEFAULT_HALF_CLOSE_TIMEOUT_MS, 1000))
})

describe('keepalive: alive while bytes move, the send buffer drains or holds bytes', () => {
  const base: KeepaliveFacts = {awaitingPong: false, behindUpload: false, bytesMoved: 0, queuedBefore: 0, queuedNow: 0, readPaused: false}
  const table: Array<[string, Partial<KeepaliveFacts>, ReturnType<typeof keepalive>]> = [
    ['idle, no ping pending: ping', {}, 'ping'],
    ['busy, no ping pending: ping', {bytesMoved: 5}, 'ping'],
    ['ping unanswered, nothing moved, nothing drained: dead', {awaitingPong: true}, 'dead'],
    ['ping unanswered, an upload held by flow control (nothing drained this interval): alive', {awaitingPong: true, queuedBefore: 1e6, queuedNow: 1e6}, 'skip'],
    ['ping unanswered but bytes moved: alive', {awaitingPong: true, bytesMoved: 1}, 'skip'],
    ['ping unanswered but the send buffer drained (slow upload): alive', {awaitingPong: true, queuedBefore: 1e6, queuedNow: 9e5}, 'skip'],
    ['reading paused by a slow local reader: not judged', {awaitingPong: true, readPaused: true}, 'skip'],
    ['ping unanswered behind upload bytes no pong confirmed, nothing moving (buffers of several hops): not judged', {awaitingPong: true, behindUpload: true}, 'skip'],
  ]
  for (const [name, facts, verdict] of table) {
    it(name, () => assert.equal(keepalive({...base, ...facts}), verdict))
  }
})

describe('permanent upgrade errors: reported once, exit after the limit', () => {
  it('x509 failures are permanent; a refused connection or a 503 is not', async () => {
    const {ConnectionError, ApiError} = await import('../../../src/kube/errors.ts')
    const {isPermanentUpgradeError} = await import('../../../src/portforward/lifecycle.ts')
    assert.equal(isPermanentUpgradeError(new ConnectionError('h:1', 'SELF_SIGNED_CERT_IN_CHAIN', 'x509')), true)
    assert.equal(isPermanentUpgradeError(new ConnectionError('h:1', 'CERT_HAS_EXPIRED', 'x509')), true)
    assert.equal(isPermanentUpgradeError(new ConnectionError('h:1', 'ECONNREFUSED', 'refused')), false)
    assert.equal(isPermanentUpgradeError(new ApiError(503, {message: 'unavailable'} as never)), false)
  })
  it('the first is reported, the rest are not, the limit exits; anything else resets the count', async () => {
    const {onConnectionOutcome} = await import('../../../src/portforward/lifecycle.ts')
    const state = {count: 0}
    assert.deepEqual(onConnectionOutcome(state, true, 3), {exit: false, report: true})
    assert.deepEqual(onConnectionOutcome(state, true, 3), {exit: false, report: false})
    assert.deepEqual(onConnectionOutcome(state, false, 3), {exit: false, report: true})
    assert.equal(state.count, 0)
    onConnectionOutcome(state, true, 3)
    onConnectionOutcome(state, true, 3)
    assert.deepEqual(onConnectionOutcome(state, true, 3), {exit: true, report: false})
    assert.deepEqual(onConnectionOutcome({count: 0}, true, 1), {exit: true, report: true})
  })
})
