/**
 * `npm run -s real-cluster -- --kubeconfig FILE [--port N] [--user NAME] [--kube-version V]`: builds
 * (first use) and runs the real control plane until SIGINT/SIGTERM; the interface of `npm run cluster`.
 */
import {GoMissingError} from './build.ts'
import {parseLauncherArgs} from '../cluster/launcher-args.ts'
import {REAL_USERS, startRealCluster} from './index.ts'

const USAGE = `usage: npm run -s real-cluster -- --kubeconfig FILE [--port N] [--user ${REAL_USERS.join('|')}] [--kube-version 1.35.4]`

async function main(): Promise<number> {
  const args = parseLauncherArgs(REAL_USERS, USAGE, ['kube-version'])
  if ('error' in args) {
    process.stderr.write(args.error)
    return 1
  }
  const {kubeconfig, port, user, values} = args
  // A signal during the build or the start stops what has started, then exits 0.
  let signalled = false
  const stopRequested = new Promise<void>(resolve => {
    const on = () => {
      signalled = true
      resolve()
    }
    process.once('SIGINT', on)
    process.once('SIGTERM', on)
  })
  let cluster
  try {
    cluster = await startRealCluster({kubeVersion: values['kube-version'], port})
  } catch (err) {
    if (err instanceof GoMissingError) {
      process.stderr.write(`error: ${err.message}\n`)
      return 1
    }
    throw err
  }
  if (signalled) {
    await cluster.stop()
    return 0
  }
  cluster.writeKubeconfig(kubeconfig, user)
  process.stdout.write(`real cluster v${cluster.binaries.kubeVersion} listening on ${cluster.url}; kubeconfig written to ${kubeconfig}\n`)
  await stopRequested
  await cluster.stop()
  return 0
}

main().then((code) => process.exit(code), (err) => {
  process.stderr.write(`error: ${(err as Error)?.stack ?? err}\n`)
  process.exit(1)
})
