// `npm run real-cluster` as a script runs it: one ready line, a kubeconfig whose server reports the
// 1.35 release, and on SIGTERM every component stopped and exit 0; killed with SIGKILL, the next
// start stops what it left running. Runs with the real tier.

import assert from 'node:assert/strict'
import {execFile, spawn} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {test} from 'node:test'
import {promisify} from 'node:util'

import {ensureKubectl} from '../../scripts/fetch-kubectl.ts'
import {KubeConfig} from '@kubernetes/client-node'

import {KubeClient} from '../../src/kube/client.ts'
import {DEFAULT_KUBE_VERSION} from '../real-cluster/build.ts'
import {startRealCluster} from '../real-cluster/index.ts'
import {recordFile, type RunRecord} from '../real-cluster/leftovers.ts'
import {within} from '../helpers/poll.ts'
import {ROOT} from '../helpers/run-svc.ts'
import {clusterKinds, realKubeconfigName} from '../helpers/test-cluster.ts'

const run = promisify(execFile)
/** The release the tier runs (`npm run test:real -- --kube-version V`), 1.35 by default. */
const KUBE_VERSION = process.env.SVC_REAL_KUBE_VERSION ?? DEFAULT_KUBE_VERSION

/** Processes whose command line names `dir` (the cluster's own folder is in every component's flags). */
async function processesUsing(dir: string): Promise<string[]> {
  const {stdout} = await run('ps', ['-eo', 'pid=,args='])
  return stdout.split('\n').filter(l => l.includes(dir))
}

/** `npm run real-cluster` as a child process, resolved once its ready line (or its exit) came. */
async function startLauncher(kubeconfig: string, user: string) {
  const child = spawn(process.execPath, ['test/real-cluster/main.ts', '--kubeconfig', kubeconfig, '--user', user], {cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe']})
  const out = {stderr: '', stdout: ''}
  child.stdout.setEncoding('utf8').on('data', d => (out.stdout += d))
  child.stderr.setEncoding('utf8').on('data', d => (out.stderr += d))
  const exited = new Promise<number | null>(resolve => child.on('close', code => resolve(code)))
  // The first line of stdout is the ready line; an early exit ends the wait too (stderr then says why).
  await within(new Promise<void>(resolve => {
    child.stdout.on('data', () => out.stdout.includes('\n') && resolve())
    child.on('close', () => resolve())
  }), 'the ready line of npm run real-cluster', 180_000)
  return {child, exited, out}
}

function startedClient(kubeconfigFile: string): KubeClient {
  const kc = new KubeConfig()
  kc.loadFromFile(kubeconfigFile)
  return new KubeClient(kc, {timeoutMs: 10_000})
}

if (clusterKinds().includes('real')) {
  test('npm run real-cluster: ready line, a 1.35 server, SIGTERM stops everything with exit 0', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'svc-real-cli-'))
    const kubeconfig = path.join(dir, 'kubeconfig')
    const {child, exited, out} = await startLauncher(kubeconfig, 'readonly')
    const {stderr, stdout} = out
    try {
      assert.match(stdout, new RegExp(`^real cluster v${KUBE_VERSION.replaceAll('.', '\\.')} listening on https://127\\.0\\.0\\.1:\\d+; kubeconfig written to ${kubeconfig}\\n$`), stderr)
      const clusterDir = /logs in (\S+)\)/.exec(stderr)![1]
      assert.ok((await processesUsing(clusterDir)).length >= 5, 'etcd, the three Kubernetes components and kwok are running')

      const kubectl = await ensureKubectl()
      const env = {HOME: dir, KUBECONFIG: kubeconfig, PATH: process.env.PATH}
      const version = JSON.parse((await run(kubectl, ['version', '-o', 'json'], {env})).stdout)
      assert.equal(version.serverVersion.gitVersion, `v${KUBE_VERSION}`)
      assert.match(readFileSync(kubeconfig, 'utf8'), /current-context: local-readonly/)
      const canI = await run(kubectl, ['auth', 'can-i', 'create', 'services'], {env}).catch(e => e)
      assert.equal(canI.stdout.trim(), 'no')

      child.kill('SIGTERM')
      assert.equal(await exited, 0, out.stderr)
      assert.deepEqual(await processesUsing(clusterDir), [], 'no component left behind')
    } finally {
      child.kill('SIGKILL')
      rmSync(dir, {force: true, recursive: true})
    }
  })

  test('a launcher killed with SIGKILL leaves its components running; the next start stops them (and spares a live run)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'svc-real-cli-'))
    const {child, exited, out} = await startLauncher(path.join(dir, 'kubeconfig'), 'token')
    let next: Awaited<ReturnType<typeof startRealCluster>> | undefined
    try {
      const clusterDir = /logs in (\S+)\)/.exec(out.stderr)?.[1]
      assert.ok(clusterDir, out.stderr)
      const record: RunRecord = JSON.parse(readFileSync(recordFile(child.pid), 'utf8'))
      assert.deepEqual(record.components.map(c => c.name), ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'])
      child.kill('SIGKILL')
      await exited
      const orphans = await processesUsing(clusterDir)
      assert.ok(orphans.length >= 5, `the components outlive their launcher:\n${orphans.join('\n')}`)

      next = await startRealCluster({log: () => {}})
      assert.deepEqual(await processesUsing(clusterDir), [], 'the new start stopped every leftover component')
      assert.ok(!existsSync(recordFile(child.pid)), 'the dead run\'s record is removed')
      assert.ok(!existsSync(clusterDir), 'and its folder')
      // The tier's own control plane (its launcher alive) is still serving.
      if (process.env.SVC_REAL_CLUSTER_DIR) {
        const client = startedClient(path.join(process.env.SVC_REAL_CLUSTER_DIR, realKubeconfigName('token')))
        assert.equal((await client.request({path: '/readyz'})).statusCode, 200)
      }
    } finally {
      child.kill('SIGKILL')
      await next?.stop()
      rmSync(dir, {force: true, recursive: true})
    }
  })
}
