// `npm run real-cluster` as a script runs it: one ready line, a kubeconfig whose server reports the
// 1.35 release, and on SIGTERM every component stopped and exit 0. Runs with the real tier.

import assert from 'node:assert/strict'
import {execFile, spawn} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {test} from 'node:test'
import {promisify} from 'node:util'

import {ensureKubectl} from '../../scripts/fetch-kubectl.ts'
import {DEFAULT_KUBE_VERSION} from '../real-cluster/build.ts'
import {within} from '../helpers/poll.ts'
import {ROOT} from '../helpers/run-svc.ts'
import {clusterKinds} from '../helpers/test-cluster.ts'

const run = promisify(execFile)

/** Processes whose command line names `dir` (the cluster's own folder is in every component's flags). */
async function processesUsing(dir: string): Promise<string[]> {
  const {stdout} = await run('ps', ['-eo', 'pid=,args='])
  return stdout.split('\n').filter(l => l.includes(dir))
}

if (clusterKinds().includes('real')) {
  test('npm run real-cluster: ready line, a 1.35 server, SIGTERM stops everything with exit 0', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'svc-real-cli-'))
    const kubeconfig = path.join(dir, 'kubeconfig')
    const child = spawn(process.execPath, ['test/real-cluster/main.ts', '--kubeconfig', kubeconfig, '--user', 'readonly'], {cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', d => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', d => (stderr += d))
    const exited = new Promise<number | null>(resolve => child.on('close', code => resolve(code)))
    try {
      // The first line of stdout is the ready line; an early exit ends the wait too (stderr then says why).
      await within(new Promise<void>(resolve => {
        child.stdout.on('data', () => stdout.includes('\n') && resolve())
        child.on('close', () => resolve())
      }), 'the ready line of npm run real-cluster', 180_000)
      assert.match(stdout, new RegExp(`^real cluster v${DEFAULT_KUBE_VERSION.replaceAll('.', '\\.')} listening on https://127\\.0\\.0\\.1:\\d+; kubeconfig written to ${kubeconfig}\\n$`), stderr)
      const clusterDir = /logs in (\S+)\)/.exec(stderr)![1]
      assert.ok((await processesUsing(clusterDir)).length >= 5, 'etcd, the three Kubernetes components and kwok are running')

      const kubectl = await ensureKubectl()
      const env = {HOME: dir, KUBECONFIG: kubeconfig, PATH: process.env.PATH}
      const version = JSON.parse((await run(kubectl, ['version', '-o', 'json'], {env})).stdout)
      assert.equal(version.serverVersion.gitVersion, `v${DEFAULT_KUBE_VERSION}`)
      assert.match(readFileSync(kubeconfig, 'utf8'), /current-context: local-readonly/)
      const canI = await run(kubectl, ['auth', 'can-i', 'create', 'services'], {env}).catch(e => e)
      assert.equal(canI.stdout.trim(), 'no')

      child.kill('SIGTERM')
      assert.equal(await exited, 0, stderr)
      assert.deepEqual(await processesUsing(clusterDir), [], 'no component left behind')
    } finally {
      child.kill('SIGKILL')
      rmSync(dir, {force: true, recursive: true})
    }
  })
}
