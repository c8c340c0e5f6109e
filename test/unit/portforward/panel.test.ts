import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {LiveArea, renderPanel} from '../../../src/portforward/panel.ts'

describe('renderPanel', () => {
  test('one row per target: local addresses, pods (two, then +N), open connections, bytes each way', () => {
    const text = renderPanel([
      {bytesIn: 1536, bytesOut: 300, local: ['127.0.0.1:8080'], open: 2, pods: ['api-1'], target: 'svc/api'},
      {bytesIn: 0, bytesOut: 0, local: ['127.0.0.1:5432', '127.0.0.1:5433'], open: 0, pods: ['db-0', 'db-1', 'db-2'], target: 'svc/db'},
      {bytesIn: 0, bytesOut: 0, local: ['127.0.0.1:9000'], open: 0, pods: [], target: 'pod/worker-0'},
    ], 200)
    assert.equal(text, [
      '┌──────────────┬───────────────────────────────┬───────────────┬──────┬─────────┬───────┐',
      '│ TARGET       │ LOCAL                         │ PODS          │ OPEN │      IN │   OUT │',
      '├──────────────┼───────────────────────────────┼───────────────┼──────┼─────────┼───────┤',
      '│ svc/api      │ 127.0.0.1:8080                │ api-1         │    2 │ 1.5 KiB │ 300 B │',
      '│ svc/db       │ 127.0.0.1:5432 127.0.0.1:5433 │ db-0, db-1 +1 │    0 │     0 B │   0 B │',
      '│ pod/worker-0 │ 127.0.0.1:9000                │ no ready pod  │    0 │     0 B │   0 B │',
      '└──────────────┴───────────────────────────────┴───────────────┴──────┴─────────┴───────┘',
    ].join('\n'))
  })

  test('lines wider than the terminal are cut, so that it never wraps them', () => {
    const text = renderPanel([{bytesIn: 0, bytesOut: 0, local: ['127.0.0.1:8080'], open: 0, pods: ['a'], target: 'svc/a'}], 20)
    assert.ok(text.split('\n').every(line => [...line].length <= 20))
    assert.ok(text.split('\n')[0].endsWith('…'))
  })
})

describe('LiveArea', () => {
  test('drawn once, erased (cursor up, erase down) around other lines and redrawn, cleared at the end', () => {
    const written: string[] = []
    const area = new LiveArea(text => written.push(text))
    area.draw('a\nb\nc')
    area.draw('a\nb\nc')
    area.around(() => written.push('line\n'))
    area.draw('x')
    area.clear()
    area.clear()
    assert.deepEqual(written, ['a\nb\nc', '\r\u001B[2A\u001B[J', 'line\n', 'a\nb\nc', '\r\u001B[2A\u001B[J', 'x', '\r\u001B[J'])
  })
})
