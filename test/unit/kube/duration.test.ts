import assert from 'node:assert/strict'
import {test} from 'node:test'

import {parseDuration} from '../../../src/kube/duration.ts'

test('parseDuration accepts kubectl durations', () => {
  const cases: Array<[string, number]> = [['0', 0], ['30', 30_000], ['30s', 30_000], ['1m', 60_000], ['1m30s', 90_000], ['1.5h', 5_400_000], ['250ms', 250], ['2h3m4s', 7_384_000]]
  for (const [input, ms] of cases) assert.equal(parseDuration(input), ms, input)
})

test('parseDuration rejects anything else with a how-to', () => {
  for (const input of ['', 'x', '5x', '1m x', '-1s', 's']) {
    assert.throws(() => parseDuration(input), /invalid duration .*e\.g\. 30s, 1m, 2h/, input)
  }
})
