// kubectl's global-flag placement for svc's argv: kubectl (cobra) takes its persistent flags
// anywhere, so `kubectl --kubeconfig F --context C -n NS port-forward ...` works; oclif finds the
// command from the first words and needs flags after them. And kubectl's verbosity is klog's
// `--v=N` (also `-v=N`), which oclif knows as `--verbose`/`-v`. Pure: bin/run.js passes the result
// to oclif's execute.

/** Global flags that take a value, in every spelling kubectl accepts for them before the command. */
const VALUED_GLOBAL_FLAGS = new Set([
  '--as', '--as-group', '--as-uid', '--certificate-authority', '--client-certificate', '--client-key', '--cluster', '--context',
  '--kubeconfig', '--namespace', '-n', '--password', '--request-timeout', '--server', '-s', '--tls-server-name', '--token', '--user',
  '--username', '--verbose', '-v',
])

/** Global flags that take no value before the command (`--insecure-skip-tls-verify`, or with `=true`/`=false`). */
const BOOLEAN_GLOBAL_FLAGS = new Set(['--insecure-skip-tls-verify'])

/** `--v=6` / `--v 6` / `-v=6` -> `--verbose=6` / `--verbose 6`; everything after `--` is left alone. */
function normaliseVerbosity(argv: readonly string[]): string[] {
  const out: string[] = []
  for (const [i, arg] of argv.entries()) {
    if (arg === '--') return [...out, ...argv.slice(i)]
    if (arg === '--v') out.push('--verbose')
    else if (/^--?v=/.test(arg)) out.push(`--verbose=${arg.slice(arg.indexOf('=') + 1)}`)
    else out.push(arg)
  }
  return out
}

/**
 * Moves the global flags given before the command to after the command's words (before a `--`,
 * which starts port-forward's COMMAND), and spells klog's `--v` as oclif's `--verbose`. An
 * unknown flag before the command stops the move: oclif then reports it as it would.
 */
export function kubectlArgv(argv: readonly string[]): string[] {
  const args = normaliseVerbosity(argv)
  const leading: string[] = []
  let i = 0
  while (i < args.length) {
    const arg = args[i]
    const name = arg.includes('=') ? arg.slice(0, arg.indexOf('=')) : arg
    if (BOOLEAN_GLOBAL_FLAGS.has(name)) {
      leading.push(arg)
      i += 1
      continue
    }
    if (VALUED_GLOBAL_FLAGS.has(name)) {
      if (name !== arg) {
        leading.push(arg)
        i += 1
        continue
      }
      if (i + 1 >= args.length) break
      leading.push(arg, args[i + 1])
      i += 2
      continue
    }
    // -nNAMESPACE, -v6 and -sURL: a short flag with its value attached.
    if (/^-[nsv][^-=]/.test(arg)) {
      leading.push(arg)
      i += 1
      continue
    }
    break
  }
  const rest = args.slice(i)
  if (leading.length === 0 || rest.length === 0 || rest[0].startsWith('-')) return args
  const dash = rest.indexOf('--')
  return dash < 0 ? [...rest, ...leading] : [...rest.slice(0, dash), ...leading, ...rest.slice(dash)]
}
