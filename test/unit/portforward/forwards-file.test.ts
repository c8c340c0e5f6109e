import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {ForwardsFileError, parseForwardsFile} from '../../../src/portforward/forwards-file.ts'

const CONTEXTS = new Set(['local', 'staging'])

describe('parseForwardsFile: valid files', () => {
  const cases: Array<[string, string, object[]]> = [
    ['a top-level list', '- target: svc/api\n  ports: ["8080:80"]\n', [{portArgs: ['8080:80'], target: 'svc/api'}]],
    ['forwards: with every field, one port as a number', [
      'forwards:',
      '- target: svc/db',
      '  ports: 5432',
      '  namespace: data',
      '  context: staging',
      '  address: 127.0.0.5',
      '- target: pod/worker-0',
      '  ports: [":9000", "9001"]',
    ].join('\n'), [
      {address: '127.0.0.5', context: 'staging', namespace: 'data', portArgs: ['5432'], target: 'svc/db'},
      {portArgs: [':9000', '9001'], target: 'pod/worker-0'},
    ]],
    ['the same target in two contexts', '- {target: svc/api, ports: [":80"], context: local}\n- {target: svc/api, ports: [":80"], context: staging}\n', [
      {context: 'local', portArgs: [':80'], target: 'svc/api'}, {context: 'staging', portArgs: [':80'], target: 'svc/api'},
    ]],
  ]
  for (const [name, text, expected] of cases) test(name, () => assert.deepEqual(parseForwardsFile(text, 'f.yaml', CONTEXTS), expected))
})

describe('parseForwardsFile: every bad entry named, one line each', () => {
  const cases: Array<[string, string, string[]]> = [
    ['not YAML', 'forwards: [', ['not YAML: unexpected end of the stream within a flow collection (2:1)']],
    ['not a list', 'target: svc/api\n', ['expected a list of forwards (or `forwards:` with a list)']],
    ['empty', 'forwards: []\n', ['no forwards']],
    ['several bad entries at once', [
      '- target: svc/api',
      '  ports: ["8080:80"]',
      '- ports: [80]',
      '- target: svc/db',
      '- target: statefulset/x',
      '  ports: [1]',
      '- target: svc/cache',
      '  ports: ["1:2:3"]',
      '- target: svc/q',
      '  ports: [80]',
      '  context: prod',
      '- target: svc/r',
      '  ports: [80]',
      '  namespace: Bad_NS',
      '- target: svc/s',
      '  ports: [80]',
      '  adress: 127.0.0.1',
      '- target: svc/t',
      '  ports: ["x:80"]',
      '- target: svc/u',
      '  ports: [80]',
      '  address: example.com',
      '- just a string',
    ].join('\n'), [
      'entry 2: target is required (TYPE/NAME, like svc/api)',
      'entry 3 (svc/db): ports: at least one [LOCAL_PORT:]REMOTE_PORT is required',
      'entry 4 (statefulset/x): svc port-forward forwards to pods, services, deployments and replicasets, not to statefulset',
      'entry 5 (svc/cache): ports: invalid port format \'1:2:3\'',
      'entry 6 (svc/q): context "prod" is not in the kubeconfig',
      'entry 7 (svc/r): namespace "Bad_NS" is not a valid namespace name (lower-case letters, digits and \'-\')',
      'entry 8 (svc/s): unknown field "adress" (known: address, context, namespace, ports, target)',
      'entry 9 (svc/t): ports: invalid local port \'x\' in \'x:80\'',
      'entry 10 (svc/u): address example.com is not a valid IP',
      'entry 11: expected a mapping with target and ports',
    ]],
    ['entries fine alone but not together', '- {target: svc/a, ports: ["8080:80"]}\n- {target: svc/b, ports: ["8080:81"]}\n', ['local port 8080 is given twice (svc/a and svc/b)']],
  ]
  for (const [name, text, problems] of cases) {
    test(name, () => {
      assert.throws(() => parseForwardsFile(text, 'f.yaml', CONTEXTS), (error: unknown) => {
        assert.ok(error instanceof ForwardsFileError)
        assert.deepEqual(error.problems, problems)
        assert.equal(error.message, problems.map(p => `f.yaml: ${p}`).join('\n'))
        return true
      })
    })
  }
})
