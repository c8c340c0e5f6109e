/**
 * `npm run -s real-cluster -- --kubeconfig FILE [--port N] [--user NAME] [--kube-version V]`: builds
 * (first use) and runs the real control plane until SIGINT/SIGTERM; the interface of `npm run cluster`.
 */
import {parseArgs} from 'node:util'
import {GoMissingError} from './build.ts'
import {REAL_USERS, type RealUser, startRealCluster} from './index.ts'

const USAGE = `usage: npm run -s real-cluster -- --kubeconfig FILE [--port N] [--user ${REAL_USERS.join('|')}] [--kube-version 1.35.4]`

async function main(): Promise<number> {
  let values: {kubeconfig?: string; port?: string; user?: string; 'kube-version'?: string}
  try {
    values = parseArgs({options: {kubeconfig: {type: 'string'}, 'kube-version': {type: 'string'}, port: {type: 'string'}, user: {type: 'string'}}, strict: true}).values
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n${USAGE}\n`)
    return 1
  }
  if (!values.kubeconfig) {
    process.stderr.write(`error: --kubeconfig FILE is required\n${USAGE}\n`)
    return 1
  }
  const port = values.port === undefined ? 0 : Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`error: invalid --port ${JSON.stringify(values.port)}\n`)
    return 1
  }
  const user = (values.user ?? 'token') as RealUser
  if (!REAL_USERS.includes(user)) {
    process.stderr.write(`error: invalid --user ${JSON.stringify(values.user)}\n${USAGE}\n`)
    return 1
  }
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
  cluster.writeKubeconfig(values.kubeconfig, user)
  process.stdout.write(`real cluster v${cluster.binaries.kubeVersion} listening on ${cluster.url}; kubeconfig written to ${values.kubeconfig}\n`)
  await stopRequested
  await cluster.stop()
  return 0
}

main().then((code) => process.exit(code), (err) => {
  process.stderr.write(`error: ${(err as Error)?.stack ?? err}\n`)
  process.exit(1)
})
