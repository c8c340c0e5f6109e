// svc port-forward's complete and validate step (options/port-forward.ts): what it forwards, how
// it reports, and each usage error in its order (the namespace and the forwards file through io).

import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {type PortForwardFlags, type PortForwardInput, portForwardOptions} from '../../../src/options/port-forward.ts'
import {OPERANDS_REQUIRED} from '../../../src/portforward/operands.ts'

/** Runs portForwardOptions; io records what was asked. */
function run(operands: string[], flags: PortForwardFlags = {}, more: Partial<PortForwardInput> = {}) {
  const asked: string[] = []
  const io = {
    forwardsFile: (file: string) => {
      asked.push(`file ${file}`)
      return [{portArgs: ['5432'], target: 'svc/db'}]
    },
    namespace: () => {
      asked.push('namespace')
      return 'team'
    },
  }
  const options = portForwardOptions({flags, namespaces: [], operands, ...more}, io)
  return {asked, options}
}

describe('portForwardOptions', () => {
  const cases: Array<[string, string[], PortForwardFlags, Partial<PortForwardInput>, object, string[]]> = [
    ['one target', ['svc/web', '8080:80'], {}, {}, {mode: 'text', targets: [{portArgs: ['8080:80'], target: 'svc/web'}]}, []],
    ['several targets', ['svc/api', '8080:80', 'pod/w', '9000'], {}, {},
      {mode: 'text', targets: [{portArgs: ['8080:80'], target: 'svc/api'}, {portArgs: ['9000'], target: 'pod/w'}]}, []],
    ['-o json', ['web', '80'], {output: 'json'}, {}, {mode: 'json', targets: [{portArgs: ['80'], target: 'web'}]}, []],
    ['--quiet', ['web', '80'], {quiet: true}, {}, {mode: 'quiet', targets: [{portArgs: ['80'], target: 'web'}]}, []],
    ['-- COMMAND', ['web', '80'], {}, {afterDash: ['sh', '-c', 'true']}, {command: ['sh', '-c', 'true'], mode: 'text', targets: [{portArgs: ['80'], target: 'web'}]}, []],
    ['-f reads the file', [], {filename: 'f.yaml'}, {}, {mode: 'text', targets: [{portArgs: ['5432'], target: 'svc/db'}]}, ['file f.yaml']],
    ['--all: the context namespace', [], {all: true, selector: 'app=web'}, {}, {all: {namespaces: ['team'], selector: 'app=web'}, mode: 'text', targets: []}, ['namespace']],
    ['--all: every -n once', [], {all: true}, {namespaces: ['a', 'b', 'a']}, {all: {namespaces: ['a', 'b']}, mode: 'text', targets: []}, []],
    ['--all -A', [], {all: true, 'all-namespaces': true}, {}, {all: {}, mode: 'text', targets: []}, []],
  ]
  for (const [name, operands, flags, more, want, asked] of cases) {
    test(name, () => {
      const got = run(operands, flags, more)
      assert.deepEqual(JSON.parse(JSON.stringify(got.options)), want)
      assert.deepEqual(got.asked, asked)
    })
  }

  const errors: Array<[string, string[], PortForwardFlags, Partial<PortForwardInput>, string]> = [
    ['-l without --all', ['web', '80'], {selector: 'app=web'}, {}, '-l and -A go with --all'],
    ['-A without --all', ['web', '80'], {'all-namespaces': true}, {}, '-l and -A go with --all'],
    ['--all with -f', [], {all: true, filename: 'f.yaml'}, {}, '--all and -f do not combine: list the Services in the file, or use --all alone'],
    ['--all with a target', ['svc/web', '80'], {all: true}, {}, '--all forwards every Service: give no TYPE/NAME (got svc/web)'],
    ['-f with a target', ['svc/web', '80'], {filename: 'f.yaml'}, {}, '-f reads the targets from the file: give no TYPE/NAME (got svc/web)'],
    ['no operands', [], {}, {}, OPERANDS_REQUIRED],
    ['an unknown flag among the operands', ['web', '80', '--bogus'], {}, {}, 'unknown flag: --bogus'],
    ['-- without a command', ['web', '80'], {}, {afterDash: []}, 'a COMMAND is required after --'],
  ]
  for (const [name, operands, flags, more, message] of errors) {
    test(`refused: ${name}`, () => assert.throws(() => run(operands, flags, more), (error: Error) => {
      assert.equal(error.message, message)
      assert.equal(error.name, 'UsageError')
      return true
    }))
  }
})
