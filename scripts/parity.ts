// `npm run parity [-- --cluster local|real|both]`: runs the kubectl parity cases
// (test/both/parity.test.ts) against the local cluster (the default) or the real control plane
// (through the real-cluster tier, which starts it), with real kubectl 1.35, then prints each
// cluster's report: every case, SAME or DIFF, and where each DIFF is documented. Exits with the
// test run's status.

import {spawnSync} from 'node:child_process'
import {existsSync, readFileSync, rmSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {reportName} from '../test/compat/parity.ts'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)
const at = args.indexOf('--cluster')
const cluster = at >= 0 ? args[at + 1] : 'local'
if (!['local', 'real', 'both'].includes(cluster ?? '')) {
  process.stderr.write(`error: --cluster ${JSON.stringify(cluster ?? '')}: want local, real or both\n`)
  process.exit(1)
}
const kinds = cluster === 'both' ? ['local', 'real'] : [cluster]
const reports = kinds.map(kind => path.join(root, '.cache', reportName(kind)))
for (const report of reports) rmSync(report, {force: true})
const test = path.join(root, 'test', 'both', 'parity.test.ts')
// The real control plane comes from the tier's launcher, which also passes the flags to node --test.
const argv = cluster === 'local' ? ['--test', '--test-reporter=dot', test] : [path.join(root, 'test', 'real-cluster', 'tier.ts'), '--test-reporter=dot', test]
const run = spawnSync(process.execPath, argv, {cwd: root, env: {...process.env, SVC_TEST_CLUSTER: cluster}, stdio: ['ignore', 'inherit', 'inherit']})
for (const report of reports) if (existsSync(report)) process.stdout.write(`\n${readFileSync(report, 'utf8')}`)
process.exit(run.status ?? 1)
