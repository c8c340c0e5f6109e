/** `npm run -s cluster -- --kubeconfig FILE [--port N]`: serves the local cluster until SIGINT/SIGTERM. */
import {parseArgs} from 'node:util'
import {type KubeUser, startCluster} from './index.ts'

const USERS: KubeUser[] = ['token', 'cert', 'readonly', 'create-only', 'get-only']
const USAGE = `usage: npm run -s cluster -- --kubeconfig FILE [--port N] [--user ${USERS.join('|')}]`

async function main(): Promise<number> {
  let values: {kubeconfig?: string; port?: string; user?: string}
  try {
    values = parseArgs({options: {kubeconfig: {type: 'string'}, port: {type: 'string'}, user: {type: 'string'}}, strict: true}).values
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
  const user = (values.user ?? 'token') as KubeUser
  if (!USERS.includes(user)) {
    process.stderr.write(`error: invalid --user ${JSON.stringify(values.user)}\n`)
    return 1
  }
  const cluster = await startCluster({port})
  cluster.writeKubeconfig(values.kubeconfig, user)
  process.stdout.write(`local cluster listening on ${cluster.url}; kubeconfig written to ${values.kubeconfig}\n`)
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  await cluster.stop()
  return 0
}

main().then((code) => process.exit(code), (err) => {
  process.stderr.write(`error: ${(err as Error)?.stack ?? err}\n`)
  process.exit(1)
})
