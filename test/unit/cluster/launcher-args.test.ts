import assert from 'node:assert/strict'
import {test} from 'node:test'

import {parseLauncherArgs} from '../../cluster/launcher-args.ts'

const USERS = ['token', 'readonly'] as const
const USAGE = 'usage: launcher --kubeconfig FILE'

test('the cluster launchers read one command line', () => {
  const cases: Array<[string[], ReturnType<typeof parseLauncherArgs>]> = [
    [['--kubeconfig', 'k'], {kubeconfig: 'k', port: 0, user: 'token', values: {kubeconfig: 'k'}}],
    [['--kubeconfig', 'k', '--port', '6443', '--user', 'readonly'], {kubeconfig: 'k', port: 6443, user: 'readonly', values: {kubeconfig: 'k', port: '6443', user: 'readonly'}}],
    [['--kubeconfig', 'k', '--kube-version', '1.35.4'], {kubeconfig: 'k', port: 0, user: 'token', values: {kubeconfig: 'k', 'kube-version': '1.35.4'}}],
    [[], {error: `error: --kubeconfig FILE is required\n${USAGE}\n`}],
    [['--kubeconfig', 'k', '--port', '70000'], {error: 'error: invalid --port "70000"\n'}],
    [['--kubeconfig', 'k', '--port', 'x'], {error: 'error: invalid --port "x"\n'}],
    [['--kubeconfig', 'k', '--user', 'root'], {error: `error: invalid --user "root"\n${USAGE}\n`}],
  ]
  for (const [args, want] of cases) {
    assert.deepEqual(parseLauncherArgs(USERS, USAGE, ['kube-version'], args), want, args.join(' '))
  }
  const unknown = parseLauncherArgs(USERS, USAGE, [], ['--kubeconfig', 'k', '--kube-version', '1'])
  assert.ok('error' in unknown && unknown.error.startsWith("error: Unknown option '--kube-version'"), JSON.stringify(unknown))
})
