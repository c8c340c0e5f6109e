import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {ageSince, currentTime, humanDuration} from '../../../src/printers/human-duration.ts'

const S = 1000
const M = 60 * S
const H = 60 * M
const D = 24 * H
const Y = 365 * D

describe('humanDuration (apimachinery HumanDuration)', () => {
  const table: [number, string][] = [
    [-2 * S, '<invalid>'],
    [-1999, '0s'], // truncates to -1 s: within the 2 s tolerance
    [-1 * S, '0s'],
    [-500, '0s'],
    [0, '0s'],
    [999, '0s'],
    [S, '1s'],
    [119 * S + 999, '119s'],
    [2 * M, '2m'],
    [2 * M + 10 * S, '2m10s'],
    [9 * M + 59 * S, '9m59s'],
    [10 * M, '10m'],
    [10 * M + 30 * S, '10m'],
    [125 * M, '125m'],
    [3 * H - 1, '179m'],
    [3 * H, '3h'],
    [3 * H + 5 * M, '3h5m'],
    [7 * H + 59 * M, '7h59m'],
    [8 * H, '8h'],
    [47 * H + 59 * M, '47h'],
    [48 * H, '2d'],
    [5 * D + 2 * H, '5d2h'],
    [7 * D + 23 * H, '7d23h'],
    [8 * D, '8d'],
    [729 * D, '729d'],
    [730 * D, '2y'],
    [2 * Y + 15 * D, '2y15d'],
    [8 * Y - D, '7y364d'],
    [8 * Y, '8y'],
    [30 * Y + 100 * D, '30y'],
  ]
  for (const [ms, expected] of table) {
    it(`${ms} ms -> ${expected}`, () => assert.equal(humanDuration(ms), expected))
  }
})

describe('ageSince (translateTimestampSince)', () => {
  const now = Date.parse('2026-01-10T12:00:00Z')
  it('formats the time since a timestamp', () => {
    assert.equal(ageSince('2026-01-10T11:57:50Z', now), '2m10s')
    assert.equal(ageSince('2026-01-05T10:00:00Z', now), '5d2h')
    assert.equal(ageSince('2026-01-10T11:59:00.123456Z', now), '59s')
  })
  it('is <unknown> for a missing or zero timestamp', () => {
    assert.equal(ageSince(undefined, now), '<unknown>')
    assert.equal(ageSince('', now), '<unknown>')
    assert.equal(ageSince(null, now), '<unknown>')
    assert.equal(ageSince('0001-01-01T00:00:00Z', now), '<unknown>')
  })
  it('a clock behind the server gives 0s, far behind <invalid>', () => {
    assert.equal(ageSince('2026-01-10T12:00:01Z', now), '0s')
    assert.equal(ageSince('2026-01-10T12:00:05Z', now), '<invalid>')
  })
})

describe('currentTime', () => {
  it('honours SVC_NOW (RFC 3339 or epoch milliseconds) and otherwise uses the clock', () => {
    assert.equal(currentTime({SVC_NOW: '2026-01-10T12:00:00Z'}), Date.parse('2026-01-10T12:00:00Z'))
    assert.equal(currentTime({SVC_NOW: '1000'}), 1000)
    const before = Date.now()
    const t = currentTime({})
    assert.ok(t >= before && t <= Date.now())
    assert.ok(currentTime({SVC_NOW: 'garbage'}) >= before)
  })
})
