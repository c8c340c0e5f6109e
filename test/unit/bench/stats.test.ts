import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {roundOrder} from '../../../bench/lib/stats.ts'

describe('roundOrder', () => {
  const tools = ['a', 'b', 'c']
  const cases: Array<[string, string[], number, number, string[]]> = [
    ['the first workload, round 0: as given', tools, 0, 0, ['a', 'b', 'c']],
    ['the next round starts one further', tools, 1, 0, ['b', 'c', 'a']],
    ['the last round wraps', tools, 2, 0, ['c', 'a', 'b']],
    ['the next workload starts one further in round 0', tools, 0, 1, ['b', 'c', 'a']],
    ['workload and round add up, modulo the tools', tools, 2, 2, ['b', 'c', 'a']],
    ['two tools: odd workloads start with the second', ['svc', 'kubectl'], 0, 3, ['kubectl', 'svc']],
    ['one tool', ['svc'], 5, 7, ['svc']],
  ]
  for (const [name, list, round, workload, want] of cases) test(name, () => assert.deepEqual(roundOrder(list, round, workload), want))

  test('over as many rounds as tools, each tool is first once, whatever the workload', () => {
    for (let workload = 0; workload < 4; workload++) {
      const firsts = tools.map((_, round) => roundOrder(tools, round, workload)[0])
      assert.deepEqual([...firsts].sort(), tools)
    }
  })
})
