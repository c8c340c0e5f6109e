import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import path from 'node:path'
import {test} from 'node:test'

import {nodeTooOld} from '../../bin/node-check.js'
import {ROOT} from '../helpers/run-svc.ts'

test('nodeTooOld refuses anything before 22.19', () => {
  const cases: Array<[string, string | undefined]> = [
    ['20.20.2', 'svc needs Node.js 22.19 or newer; this is 20.20.2'],
    ['22.18.0', 'svc needs Node.js 22.19 or newer; this is 22.18.0'],
    ['22.19.0', undefined],
    ['23.0.0', undefined],
    ['24.21.0', undefined],
    ['18.0.0', 'svc needs Node.js 22.19 or newer; this is 18.0.0'],
  ]
  for (const [version, expected] of cases) assert.equal(nodeTooOld(version), expected, version)
})

test('bin/run.js under an old Node prints one line and exits 1', t => {
  // The machine's own Node (outside node_modules/.bin); our machines ship Node 20.
  const paths = (process.env.PATH ?? '').split(path.delimiter).filter(p => !p.includes('node_modules'))
  let version: string
  try {
    version = execFileSync('node', ['--version'], {encoding: 'utf8', env: {PATH: paths.join(path.delimiter)}}).trim().slice(1)
  } catch {
    t.skip('no system node on PATH')
    return
  }
  if (!nodeTooOld(version)) {
    t.skip(`system node ${version} is new enough; the table above covers the check`)
    return
  }
  let stderr = ''
  let status = 0
  try {
    execFileSync('node', [path.join(ROOT, 'bin', 'run.js'), 'version'], {encoding: 'utf8', env: {PATH: paths.join(path.delimiter)}, stdio: 'pipe'})
  } catch (error) {
    const e = error as {status: number; stderr: string}
    stderr = e.stderr
    status = e.status
  }
  assert.equal(status, 1)
  assert.equal(stderr, `svc needs Node.js 22.19 or newer; this is ${version}\n`)
})
