import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {OPERANDS_REQUIRED, parseForwardOperands} from '../../../src/portforward/operands.ts'

describe('parseForwardOperands', () => {
  const cases: Array<[string, string[], Array<[string, string[]]> | string]> = [
    ['one target, kubectl style', ['pod/web', '8080:80', '443'], [['pod/web', ['8080:80', '443']]]],
    ['a bare pod name first', ['web', ':80'], [['web', [':80']]]],
    ['three targets of different kinds', ['svc/api', '8080:80', 'svc/db', ':5432', 'pod/worker-0', '9000'], [['svc/api', ['8080:80']], ['svc/db', [':5432']], ['pod/worker-0', ['9000']]]],
    ['aliases and named ports', ['deploy/web', ':http', 'service/db', '5432:pg'], [['deploy/web', [':http']], ['service/db', ['5432:pg']]]],
    ['a bare name after the first is a port, as in kubectl', ['svc/api', '80', 'web'], [['svc/api', ['80', 'web']]]],
    ['nothing', [], OPERANDS_REQUIRED],
    ['a target without ports', ['pod/web'], OPERANDS_REQUIRED],
    ['a later target without ports', ['svc/api', '80', 'svc/db'], 'svc/db has no ports: give at least one [LOCAL_PORT:]REMOTE_PORT after it'],
    ['a target twice', ['svc/api', '80', 'svc/api', '81'], 'svc/api is given twice: list all of its ports after one svc/api'],
    ['one local port for two targets', ['svc/api', '8080:80', 'svc/db', '8080:5432'], 'local port 8080 is given twice (svc/api and svc/db)'],
    ['free ports (0 or empty) may repeat', ['svc/api', ':80', '0:81', 'svc/db', ':80', '0:5432'], [['svc/api', [':80', '0:81']], ['svc/db', [':80', '0:5432']]]],
    ['one target may repeat its own local port (its listener reports it)', ['pod/web', '8080:80', '8080:81'], [['pod/web', ['8080:80', '8080:81']]]],
  ]
  for (const [name, operands, expected] of cases) {
    test(name, () => {
      if (typeof expected === 'string') {
        assert.throws(() => parseForwardOperands(operands), {message: expected})
      } else {
        assert.deepEqual(parseForwardOperands(operands), expected.map(([target, portArgs]) => ({portArgs, target})))
      }
    })
  }
})
