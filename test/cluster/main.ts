/** `npm run -s cluster -- --kubeconfig FILE [--port N]`: serves the local cluster until SIGINT/SIGTERM. */
import {type KubeUser, startCluster} from './index.ts'
import {parseLauncherArgs} from './launcher-args.ts'

const USERS: KubeUser[] = ['token', 'cert', 'readonly', 'create-only', 'get-only']
const USAGE = `usage: npm run -s cluster -- --kubeconfig FILE [--port N] [--user ${USERS.join('|')}]`

async function main(): Promise<number> {
  const args = parseLauncherArgs(USERS, USAGE)
  if ('error' in args) {
    process.stderr.write(args.error)
    return 1
  }
  const {kubeconfig, port, user} = args
  const cluster = await startCluster({port})
  cluster.writeKubeconfig(kubeconfig, user)
  process.stdout.write(`local cluster listening on ${cluster.url}; kubeconfig written to ${kubeconfig}\n`)
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
