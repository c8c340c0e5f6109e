// `npm run test:real`: the real-cluster tier. Starts one real control plane (building it on first
// use), writes a kubeconfig per user into a folder, and runs the suites of test/both/ against it
// (SVC_TEST_CLUSTER=real, SVC_REAL_CLUSTER_DIR=that folder): `npm test` has already run their
// local-cluster half, and the differential suite starts a local cluster of its own to compare.
// SVC_TEST_CLUSTER=both runs the local half here too. Stops it all at the end.
// `--kube-version V` first picks the release (SVC_REAL_KUBE_VERSION, which every real cluster the
// suites start reads too); other arguments go to `node --test` (e.g. a single file).

import {spawn} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {realKubeconfigName} from '../helpers/test-cluster.ts'
import {GoMissingError} from './build.ts'
import {REAL_USERS, startRealCluster} from './index.ts'

async function main(): Promise<number> {
  const started = Date.now()
  const args = process.argv.slice(2)
  if (args[0] === '--kube-version' && args[1]) process.env.SVC_REAL_KUBE_VERSION = args.splice(0, 2)[1]
  let cluster
  try {
    cluster = await startRealCluster()
  } catch (error) {
    if (error instanceof GoMissingError) {
      process.stderr.write(`error: ${error.message}\n`)
      return 1
    }
    throw error
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'svc-real-tier-'))
  for (const user of REAL_USERS) cluster.writeKubeconfig(path.join(dir, realKubeconfigName(user)), user)
  process.stderr.write(`real-cluster: v${cluster.binaries.kubeVersion} up ${((Date.now() - started) / 1000).toFixed(1)} s after start; running the tier\n`)
  const files = args
  const child = spawn(process.execPath, ['--test', '--test-concurrency=1', '--test-timeout=300000', ...(files.length ? files : ['test/both/*.test.ts'])], {
    env: {...process.env, SVC_REAL_CLUSTER_DIR: dir, SVC_TEST_CLUSTER: process.env.SVC_TEST_CLUSTER ?? 'real'},
    stdio: 'inherit',
  })
  const stop = () => child.kill('SIGTERM')
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  const code = await new Promise<number>(resolve => child.on('close', (c, signal) => resolve(c ?? (signal ? 1 : 0))))
  await cluster.stop()
  rmSync(dir, {force: true, recursive: true})
  process.stderr.write(`real-cluster: tier finished in ${((Date.now() - started) / 1000).toFixed(0)} s (exit ${code})\n`)
  return code
}

main().then(code => process.exit(code), (error: Error) => {
  process.stderr.write(`error: ${error.stack ?? error}\n`)
  process.exit(1)
})
