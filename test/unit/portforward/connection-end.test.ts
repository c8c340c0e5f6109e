import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {ApiError, ConnectionError} from '../../../src/kube/errors.ts'
import {connectionEnd, type ConnectionEndFacts, failureMessage, forbiddenUpgrade, PickError, PodGoneError} from '../../../src/portforward/connection-end.ts'
import type {ForwardResult} from '../../../src/portforward/types.ts'

const notFound = new ApiError(404, {message: 'pods "web-1" not found'})
const forbidden = new ApiError(403, {message: 'pods "web-1" is forbidden'})
const badCert = new ConnectionError('127.0.0.1:6443', 'CERT_HAS_EXPIRED', 'certificate has expired')

describe('failureMessage: the words for a connection that failed', () => {
  const table: Array<[string, ForwardResult, unknown, string | undefined]> = [
    ['completed', {bytesIn: 1, bytesOut: 1, reason: 'completed'}, undefined, undefined],
    ['half-close timeout', {bytesIn: 1, bytesOut: 1, reason: 'half-close-timeout'}, undefined, undefined],
    ['local client closed', {bytesIn: 0, bytesOut: 0, reason: 'local-closed'}, undefined, undefined],
    ['aborted because the pod went away', {bytesIn: 0, bytesOut: 0, reason: 'aborted'}, new PodGoneError('pod "web-1" went away'), 'pod "web-1" went away'],
    ['aborted because the session closed', {bytesIn: 0, bytesOut: 0, reason: 'aborted'}, new Error('session closed'), undefined],
    ['no pod to pick', {bytesIn: 0, bytesOut: 0, error: new PickError('no ready pod'), reason: 'open-failed'}, undefined, 'no ready pod'],
    ['upgrade refused', {bytesIn: 0, bytesOut: 0, error: notFound, reason: 'open-failed'}, undefined, 'error upgrading connection: pods "web-1" not found'],
    ['open failed otherwise', {bytesIn: 0, bytesOut: 0, error: new Error('socket hang up'), reason: 'open-failed'}, undefined, 'socket hang up'],
    ['open failed without an error', {bytesIn: 0, bytesOut: 0, reason: 'open-failed'}, undefined, 'unable to open the tunnel'],
    ['error channel', {bytesIn: 0, bytesOut: 0, error: new Error('connection refused'), reason: 'error-channel'}, undefined, 'connection refused'],
    ['lost without an error', {bytesIn: 0, bytesOut: 0, reason: 'lost'}, undefined, 'lost'],
  ]
  for (const [name, result, reason, words] of table) {
    it(name, () => assert.equal(failureMessage(result, reason), words))
  }
})

describe('forbiddenUpgrade: only a 401/403 upgrade ends the session', () => {
  it('403 on open', () => assert.equal(forbiddenUpgrade({bytesIn: 0, bytesOut: 0, error: forbidden, reason: 'open-failed'})?.message, 'error upgrading connection: pods "web-1" is forbidden'))
  it('401 on open', () => assert.equal(forbiddenUpgrade({bytesIn: 0, bytesOut: 0, error: new ApiError(401, {message: 'Unauthorized'}), reason: 'open-failed'})?.message, 'error upgrading connection: Unauthorized'))
  it('404 on open', () => assert.equal(forbiddenUpgrade({bytesIn: 0, bytesOut: 0, error: notFound, reason: 'open-failed'}), undefined))
  it('403 text on the error channel', () => assert.equal(forbiddenUpgrade({bytesIn: 0, bytesOut: 0, error: forbidden, reason: 'error-channel'}), undefined))
})

describe('connectionEnd: the events of a finished connection and whether the session ends', () => {
  const facts = (result: ForwardResult, more: Partial<ConnectionEndFacts> = {}): ConnectionEndFacts => ({
    abortReason: undefined, durationMs: 12, id: 7, listener: {localPort: 8080, remotePort: 80}, permanentErrorLimit: 3, result, ...more,
  })

  it('a completed connection: a closed event naming the pod, no error line', () => {
    const end = connectionEnd(facts({bytesIn: 5, bytesOut: 3, reason: 'completed'}, {backend: {pod: 'web-1', port: 8000}}), {count: 0})
    assert.deepEqual(end, {closed: {bytesIn: 5, bytesOut: 3, durationMs: 12, id: 7, localPort: 8080, pod: 'web-1', podPort: 8000, reason: 'completed', remotePort: 80}})
  })

  it('a failed connection: the error line names the pod\'s port, the closed event the error', () => {
    const end = connectionEnd(facts({bytesIn: 0, bytesOut: 4, error: new Error('connection refused'), reason: 'error-channel'}, {backend: {pod: 'web-1', port: 8000}}), {count: 0})
    assert.deepEqual(end.error, {id: 7, localPort: 8080, message: 'an error occurred forwarding 8080 -> 8000: connection refused', pod: 'web-1', remotePort: 8000})
    assert.equal(end.closed.error, 'connection refused')
    assert.equal(end.fatal, undefined)
  })

  it('no pod picked: the error line names the listener\'s remote port and no pod', () => {
    const end = connectionEnd(facts({bytesIn: 0, bytesOut: 0, error: new PickError('no ready pod'), reason: 'open-failed'}), {count: 0})
    assert.deepEqual(end.error, {id: 7, localPort: 8080, message: 'an error occurred forwarding 8080 -> 80: no ready pod', remotePort: 80})
    assert.equal(end.closed.pod, undefined)
  })

  it('a forbidden upgrade ends the session', () => {
    const end = connectionEnd(facts({bytesIn: 0, bytesOut: 0, error: forbidden, reason: 'open-failed'}), {count: 0})
    assert.equal(end.fatal?.message, 'error upgrading connection: pods "web-1" is forbidden')
  })

  it('a permanent error is reported once and ends the session at the limit', () => {
    const state = {count: 0}
    const failed: ForwardResult = {bytesIn: 0, bytesOut: 0, error: badCert, reason: 'open-failed'}
    const ends = [1, 2, 3].map(() => connectionEnd(facts(failed), state))
    assert.deepEqual(ends.map(e => e.error !== undefined), [true, false, false])
    assert.deepEqual(ends.map(e => e.fatal?.message), [undefined, undefined,
      'error upgrading connection: certificate has expired (3 connections in a row; giving up)'])
  })

  it('any other outcome resets the permanent-error count', () => {
    const state = {count: 2}
    connectionEnd(facts({bytesIn: 1, bytesOut: 1, reason: 'completed'}), state)
    assert.equal(state.count, 0)
  })
})
