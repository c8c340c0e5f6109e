import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {createReporter, formatBytes, formatStatus, type OutputMode} from '../../../src/portforward/output.ts'

function capture(mode: OutputMode, statusLine = false) {
  const out: string[] = []
  const err: string[] = []
  const reporter = createReporter({mode, now: () => new Date('2026-01-01T00:00:00Z'), sink: {stderr: t => err.push(t), stdout: t => out.push(t)}, statusLine})
  return {err, out, reporter}
}

function play(reporter: ReturnType<typeof createReporter>) {
  reporter.listening({address: '::1', localPort: 8080, remotePort: 80})
  reporter.ready({namespace: 'default', pods: ['web-1'], ports: [{localPort: 8080, remotePort: 80}], target: 'svc/web'})
  reporter.connectionOpened({client: '[::1]:5000', id: 1, localAddress: '::1', localPort: 8080, remotePort: 80})
  reporter.error({id: 1, localPort: 8080, message: 'an error occurred forwarding 8080 -> 80: boom', pod: 'web-1', remotePort: 80})
  reporter.connectionClosed({bytesIn: 0, bytesOut: 3, durationMs: 4, error: 'boom', id: 1, localPort: 8080, pod: 'web-1', podPort: 80, reason: 'error-channel', remotePort: 80})
  reporter.targetChanged(['web-2'])
  reporter.warning('Warning: careful')
}

describe('reporter modes', () => {
  test('text: kubectl lines on stdout, errors and warnings on stderr', () => {
    const {err, out, reporter} = capture('text')
    play(reporter)
    assert.deepEqual(out, ['Forwarding from [::1]:8080 -> 80\n', 'Handling connection for 8080\n'])
    assert.deepEqual(err, ['an error occurred forwarding 8080 -> 80: boom\n', 'Warning: careful\n'])
  })

  test('quiet: only errors', () => {
    const {err, out, reporter} = capture('quiet')
    play(reporter)
    assert.deepEqual(out, [])
    assert.deepEqual(err, ['an error occurred forwarding 8080 -> 80: boom\n'])
  })

  test('json: one object per line with every field; errors also on stderr', () => {
    const {err, out, reporter} = capture('json')
    play(reporter)
    const time = '2026-01-01T00:00:00.000Z'
    assert.deepEqual(out.map(l => JSON.parse(l)), [
      {address: '::1', event: 'listening', localPort: 8080, remotePort: 80, time},
      {event: 'ready', namespace: 'default', pods: ['web-1'], ports: [{localPort: 8080, remotePort: 80}], target: 'svc/web', time},
      {client: '[::1]:5000', event: 'connection-opened', id: 1, localAddress: '::1', localPort: 8080, remotePort: 80, time},
      {event: 'error', id: 1, localPort: 8080, message: 'an error occurred forwarding 8080 -> 80: boom', pod: 'web-1', remotePort: 80, time},
      {bytesIn: 0, bytesOut: 3, durationMs: 4, error: 'boom', event: 'connection-closed', id: 1, localPort: 8080, pod: 'web-1', podPort: 80, reason: 'error-channel', remotePort: 80, time},
      {event: 'target-changed', pods: ['web-2'], time},
    ])
    assert.ok(out.every(l => l.endsWith('\n') && !l.slice(0, -1).includes('\n')))
    assert.deepEqual(err, ['an error occurred forwarding 8080 -> 80: boom\n', 'Warning: careful\n'])
  })
})

describe('one of several targets', () => {
  const named = (mode: OutputMode) => {
    const out: string[] = []
    const err: string[] = []
    const reporter = createReporter({mode, now: () => new Date('2026-01-01T00:00:00Z'), sink: {stderr: t => err.push(t), stdout: t => out.push(t)}, target: 'svc/web'})
    play(reporter)
    return {err, out, reporter}
  }

  test('text: the Forwarding line and the error lines name the target', () => {
    const {err, out} = named('text')
    assert.deepEqual(out, ['Forwarding from [::1]:8080 -> 80 (svc/web)\n', 'Handling connection for 8080\n'])
    assert.deepEqual(err, ['svc/web: an error occurred forwarding 8080 -> 80: boom\n', 'Warning: careful\n'])
  })

  test('json: every event carries target; readyAll is one ready event listing the targets', () => {
    const {out} = named('json')
    assert.ok(out.map(l => JSON.parse(l)).every(e => e.target === 'svc/web'))
    const all = capture('json')
    const web = {namespace: 'default', pods: ['web-1'], ports: [{localPort: 8080, remotePort: 80}], target: 'svc/web'}
    const db = {namespace: 'data', pods: ['db-0'], ports: [{localPort: 5432, remotePort: 5432}], target: 'svc/db'}
    all.reporter.readyAll({targets: [web, db], transport: 'tunnel'})
    assert.deepEqual(all.out.map(l => JSON.parse(l)), [{event: 'ready', targets: [web, db], time: '2026-01-01T00:00:00.000Z', transport: 'tunnel'}])
  })
})

describe('status line', () => {
  test('drawn in place on stderr, cleared around other lines, removed at the end', () => {
    const {err, out, reporter} = capture('text', true)
    reporter.status(() => ({bytesIn: 2048, bytesOut: 10, open: 1, pods: ['web-1', 'web-2']}))
    reporter.status(() => ({bytesIn: 2048, bytesOut: 10, open: 1, pods: ['web-1', 'web-2']}))
    reporter.connectionOpened({client: '127.0.0.1:1', id: 2, localAddress: '127.0.0.1', localPort: 8080, remotePort: 80})
    reporter.close()
    assert.deepEqual(out, ['Handling connection for 8080\n'])
    const line = 'web-1, web-2 | 1 open | in 2.0 KiB | out 10 B'
    assert.deepEqual(err, [`\r\u001B[2K${line}`, '\r\u001B[2K', line, '\r\u001B[2K'])
  })

  test('not in json or quiet mode', () => {
    for (const mode of ['json', 'quiet'] as const) {
      const {err, reporter} = capture(mode, true)
      reporter.status(() => ({bytesIn: 1, bytesOut: 1, open: 0, pods: []}))
      reporter.close()
      assert.deepEqual(err, [])
    }
  })

  test('formatStatus and formatBytes', () => {
    assert.equal(formatStatus({bytesIn: 0, bytesOut: 0, open: 0, pods: []}), 'no ready pod | 0 open | in 0 B | out 0 B')
    assert.equal(formatStatus({bytesIn: 5 * 1024 * 1024, bytesOut: 1536, open: 3, pods: ['a', 'b', 'c', 'd', 'e']}), 'a, b, c +2 | 3 open | in 5.0 MiB | out 1.5 KiB')
    assert.equal(formatBytes(1023), '1023 B')
    assert.equal(formatBytes(3 * 1024 ** 3), '3.0 GiB')
  })
})
