// svc expose's complete and validate step (options/expose.ts): flags to the Service's inputs, and
// the usage errors in kubectl's order (integer flags, --dry-run, -o, then svc's --node-port rule).

import assert from 'node:assert/strict'
import {test} from 'node:test'

import {parseDryRun} from '../../../src/flags/mutation.ts'
import {type ExposeCommandFlags, exposeOptions} from '../../../src/options/expose.ts'

const dryRun = (value: string | undefined) => parseDryRun(value).strategy

test('flags become the Service inputs', () => {
  const o = exposeOptions({
    'cluster-ip': 'None', 'dry-run': 'client', 'node-port': '30080', output: 'yaml', port: '80', 'session-affinity': 'ClientIP', 'session-affinity-timeout': '600', 'target-port': 'http', type: 'NodePort',
  }, dryRun)
  assert.equal(o.dryRun, 'client')
  assert.equal(o.output, 'yaml')
  assert.deepEqual(JSON.parse(JSON.stringify(o.service)), {clusterIP: 'None', nodePort: 30080, port: '80', sessionAffinity: 'ClientIP', sessionAffinityTimeout: 600, targetPort: 'http', type: 'NodePort'})
  assert.equal(exposeOptions({}, dryRun).dryRun, 'none')
})

test('errors, in the order kubectl checks', () => {
  const cases: Array<[string, ExposeCommandFlags, RegExp]> = [
    ['--node-port not an integer, before the rest', {'dry-run': 'maybe', 'node-port': 'x', 'session-affinity-timeout': 'y'}, /^invalid argument "x" for "--node-port" flag/],
    ['--session-affinity-timeout not an integer', {'dry-run': 'maybe', 'session-affinity-timeout': 'y'}, /^invalid argument "y" for "--session-affinity-timeout" flag/],
    ['a bad --dry-run', {'dry-run': 'maybe', output: 'table'}, /dry-run/],
    ['a bad -o', {'node-port': '30080', output: 'table'}, /^unable to match a printer suitable for the output format "table"/],
    ['--node-port without node ports', {'node-port': '30080', type: 'ClusterIP'}, /^--node-port needs a service that has node ports: add --type=NodePort or --type=LoadBalancer$/],
  ]
  for (const [name, flags, message] of cases) assert.throws(() => exposeOptions(flags, dryRun), {message}, name)
})
