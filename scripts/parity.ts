// `npm run parity`: runs the kubectl parity cases (test/compat/parity.test.ts) against the local
// cluster and real kubectl 1.35, then prints the report: every case, SAME or DIFF, and where each
// DIFF is documented. Exits with the test run's status.

import {spawnSync} from 'node:child_process'
import {existsSync, readFileSync, rmSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const report = path.join(root, '.cache', 'parity-report.md')
rmSync(report, {force: true})
const run = spawnSync(process.execPath, ['--test', '--test-reporter=dot', path.join(root, 'test', 'compat', 'parity.test.ts')], {cwd: root, stdio: ['ignore', 'inherit', 'inherit']})
if (existsSync(report)) process.stdout.write(`\n${readFileSync(report, 'utf8')}`)
process.exit(run.status ?? 1)
