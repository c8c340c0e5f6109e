/**
 * The command line of both cluster launchers (`npm run cluster`, `npm run real-cluster`):
 * `--kubeconfig FILE` (required), `--port N` (0: any free port), `--user NAME`, and any string
 * options of a launcher's own. Returns the values, or the error lines to print before exiting 1.
 */
import {parseArgs} from 'node:util'

export interface LauncherArgs<U extends string> {
  kubeconfig: string
  port: number
  user: U
  /** Every option as typed, the launcher's own included. */
  values: Record<string, string | undefined>
}

export function parseLauncherArgs<U extends string>(users: readonly U[], usage: string, own: string[] = [], args = process.argv.slice(2)): LauncherArgs<U> | {error: string} {
  const options = Object.fromEntries(['kubeconfig', 'port', 'user', ...own].map(name => [name, {type: 'string' as const}]))
  let values: Record<string, string | undefined>
  try {
    values = {...parseArgs({args, options, strict: true}).values} as Record<string, string | undefined>
  } catch (err) {
    return {error: `error: ${(err as Error).message}\n${usage}\n`}
  }
  if (!values.kubeconfig) return {error: `error: --kubeconfig FILE is required\n${usage}\n`}
  const port = values.port === undefined ? 0 : Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) return {error: `error: invalid --port ${JSON.stringify(values.port)}\n`}
  const user = (values.user ?? 'token') as U
  if (!users.includes(user)) return {error: `error: invalid --user ${JSON.stringify(values.user)}\n${usage}\n`}
  return {kubeconfig: values.kubeconfig, port, user, values}
}
