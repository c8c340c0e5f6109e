import assert from 'node:assert/strict'
import {test} from 'node:test'

import {colorEnabled, makeChalk} from '../../../src/printers/color.ts'

test('colour policy', () => {
  const cases: Array<[string, Parameters<typeof colorEnabled>[0], boolean]> = [
    ['TTY', {env: {}, isTTY: true}, true],
    ['pipe', {env: {}, isTTY: false}, false],
    ['NO_COLOR on a TTY', {env: {NO_COLOR: '1'}, isTTY: true}, false],
    ['empty NO_COLOR is unset', {env: {NO_COLOR: ''}, isTTY: true}, true],
    ['machine output on a TTY', {env: {}, isTTY: true, machineOutput: true}, false],
    ['FORCE_COLOR in a pipe', {env: {FORCE_COLOR: '1'}, isTTY: false}, true],
    ['FORCE_COLOR=0 on a TTY', {env: {FORCE_COLOR: '0'}, isTTY: true}, false],
    ['NO_COLOR beats FORCE_COLOR', {env: {FORCE_COLOR: '1', NO_COLOR: '1'}, isTTY: true}, false],
    ['machine output beats FORCE_COLOR', {env: {FORCE_COLOR: '1'}, isTTY: true, machineOutput: true}, false],
    ['dumb terminal', {env: {TERM: 'dumb'}, isTTY: true}, false],
  ]
  for (const [name, inputs, expected] of cases) assert.equal(colorEnabled(inputs), expected, name)
})

test('makeChalk obeys the decision', () => {
  assert.equal(makeChalk(false).red('x'), 'x')
  assert.equal(makeChalk(true).red('x'), '\u001B[31mx\u001B[39m')
})
