import assert from 'node:assert/strict'
import {describe, it, test} from 'node:test'

import {expandNoOptFlags, kubectlArgv, lastFlagWins, normalizeBooleanFlags, operandsInOrder} from '../../../src/flags/argv.ts'

describe('normalizeBooleanFlags', () => {
  it('rewrites kubectl\'s --flag=false and --flag=true for the named flags only', () => {
    assert.deepEqual(normalizeBooleanFlags(['--wait=false', '--show-events=true', '--other=false', '-o', 'name', '--', '--wait=false'], [], ['wait', 'show-events']),
      ['--no-wait', '--show-events', '--other=false', '-o', 'name', '--', '--wait=false'])
    assert.deepEqual(normalizeBooleanFlags(['--no-headers=true', '--watch=false', '--all=1'], ['no-headers', 'watch', 'all']), ['--no-headers', '--all'])
  })
})

describe('expandNoOptFlags and lastFlagWins', () => {
  it('a bare flag takes its NoOptDefVal, never after --', () => {
    assert.deepEqual(expandNoOptFlags(['a', '--dry-run', '--validate', '--', '--dry-run'], {'--dry-run': 'unchanged', '--validate': 'strict'}),
      ['a', '--dry-run=unchanged', '--validate=strict', '--', '--dry-run'])
  })
  it('a repeated single-valued flag: the last one wins, as with pflag', () => {
    const flags = {'dry-run': {type: 'option'}, output: {char: 'o', type: 'option'}, 'save-config': {type: 'boolean'}, tcp: {multiple: true, type: 'option'}}
    assert.deepEqual(lastFlagWins(['x', '--dry-run=none', '-o', 'json', '--tcp=1', '--save-config', '--dry-run', 'client', '--output=name', '--tcp', '2', '--save-config'], flags),
      ['x', '--tcp=1', '--dry-run', 'client', '--output=name', '--tcp', '2', '--save-config'])
  })
})

describe('kubectlArgv: every rewrite, from the flag definitions alone', () => {
  const flags = {
    'dry-run': {type: 'option'},
    output: {char: 'o', type: 'option'},
    'save-config': {type: 'boolean'},
    tcp: {multiple: true, type: 'option'},
    wait: {allowNo: true, type: 'boolean'},
  }
  const table: Array<[string, string[], string[]]> = [
    ['booleans take =true|false; a default-true one becomes --no-NAME', ['--save-config=true', '--wait=false'], ['--save-config', '--no-wait']],
    ['=false of a default-false flag is dropped', ['--save-config=false', 'web'], ['web']],
    ['a bare --dry-run is pflag\'s NoOptDefVal', ['web', '--dry-run'], ['web', '--dry-run=unchanged']],
    ['--validate is expanded only where the command has it', ['--validate'], ['--validate']],
    ['the last value wins, after the rewrites', ['--dry-run', '--dry-run=server', '-o', 'json', '-o', 'name'], ['--dry-run=server', '-o', 'name']],
    ['nothing after -- is touched', ['pod/x', '80', '--', 'sh', '--dry-run', '--wait=false', '-o', 'json'], ['pod/x', '80', '--', 'sh', '--dry-run', '--wait=false', '-o', 'json']],
    ['repeatable flags are kept', ['--tcp=1', '--tcp=2'], ['--tcp=1', '--tcp=2']],
  ]
  for (const [title, argv, want] of table) it(title, () => assert.deepEqual(kubectlArgv(argv, flags), want))
})

describe('operandsInOrder', () => {
  const cases: Array<[string, string[], string[], string[]]> = [
    ['a value typed twice keeps both places', ['svc/a', ':80', ':80', 'svc/b'], ['port-forward', 'svc/a', ':80', 'svc/b', ':80'], ['svc/a', ':80', 'svc/b', ':80']],
    ['flags between operands are skipped', ['svc/a', '80', 'svc/b', '80'], ['svc/a', '80', '-n', 'x', 'svc/b', '80'], ['svc/a', '80', 'svc/b', '80']],
    ['after --, as typed', ['svc/a', ':80', ':80', 'echo'], ['svc/a', ':80', '--', 'echo', ':80'], ['svc/a', ':80', 'echo', ':80']],
    ['no repeats: unchanged', ['a', 'b'], ['a', '-o', 'json', 'b'], ['a', 'b']],
  ]
  for (const [name, operands, argv, expected] of cases) test(name, () => assert.deepEqual(operandsInOrder(operands, argv), expected))
})
