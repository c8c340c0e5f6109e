import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {kubectlArgv} from '../../../src/base/argv.ts'

describe('kubectlArgv: global flags before the command, as kubectl takes them', () => {
  const table: Array<[string, string[], string[]]> = [
    ['nothing to move', ['get', 'svc', '-n', 'ns'], ['get', 'svc', '-n', 'ns']],
    ['kubeconfig, context and namespace before port-forward',
      ['--kubeconfig', 'F', '--context', 'C', '-n', 'NS', 'port-forward', 'svc/web', '8080:80'],
      ['port-forward', 'svc/web', '8080:80', '--kubeconfig', 'F', '--context', 'C', '-n', 'NS']],
    ['= forms and attached short values', ['--kubeconfig=F', '-nNS', '--namespace=x', 'get', 'svc'], ['get', 'svc', '--kubeconfig=F', '-nNS', '--namespace=x']],
    ['before a two-word command', ['-n', 'ns', 'create', 'clusterip', 'web', '--tcp', '80'], ['create', 'clusterip', 'web', '--tcp', '80', '-n', 'ns']],
    ['port-forward -- COMMAND: the flags stay before the --', ['-n', 'ns', 'port-forward', 'pod/p', ':80', '--', 'curl', '-n', 'x'],
      ['port-forward', 'pod/p', ':80', '-n', 'ns', '--', 'curl', '-n', 'x']],
    ['impersonation and request timeout', ['--as', 'jane', '--as-group', 'g', '--as-uid', 'u', '--request-timeout', '5s', 'get', 'svc'],
      ['get', 'svc', '--as', 'jane', '--as-group', 'g', '--as-uid', 'u', '--request-timeout', '5s']],
    ['connection overrides before the command', ['-s', 'https://x', '--token=T', '--insecure-skip-tls-verify', '--certificate-authority', 'ca.crt', 'get', 'svc'],
      ['get', 'svc', '-s', 'https://x', '--token=T', '--insecure-skip-tls-verify', '--certificate-authority', 'ca.crt']],
    ['-sURL, --server=URL, a boolean with =false and the kubeconfig overrides', ['-shttps://x', '--insecure-skip-tls-verify=false', '--cluster', 'c', '--user=u', '--tls-server-name', 'n', '--client-certificate', 'c.crt', '--client-key', 'c.key', '--username', 'a', '--password', 'b', 'get', 'svc'],
      ['get', 'svc', '-shttps://x', '--insecure-skip-tls-verify=false', '--cluster', 'c', '--user=u', '--tls-server-name', 'n', '--client-certificate', 'c.crt', '--client-key', 'c.key', '--username', 'a', '--password', 'b']],
    ['--v=N is --verbose=N', ['get', 'svc', '--v=6'], ['get', 'svc', '--verbose=6']],
    ['-v=N is --verbose=N', ['get', 'svc', '-v=8'], ['get', 'svc', '--verbose=8']],
    ['--v N before the command', ['--v', '6', 'get', 'svc'], ['get', 'svc', '--verbose', '6']],
    ['-v6 before the command', ['-v6', 'get', 'svc'], ['get', 'svc', '-v6']],
    ['--v after -- belongs to the COMMAND', ['port-forward', 'p', ':80', '--', 'x', '--v=2'], ['port-forward', 'p', ':80', '--', 'x', '--v=2']],
    ['an unknown flag first: left for oclif to report', ['--bogus', 'x', 'get', 'svc'], ['--bogus', 'x', 'get', 'svc']],
    ['a global flag then an unknown one: unchanged', ['-n', 'ns', '--bogus', 'get'], ['-n', 'ns', '--bogus', 'get']],
    ['only flags (no command): unchanged', ['-n', 'ns'], ['-n', 'ns']],
    ['a flag missing its value: unchanged', ['--kubeconfig'], ['--kubeconfig']],
    ['--help stays where it is', ['--help'], ['--help']],
  ]
  for (const [name, argv, expected] of table) {
    it(name, () => assert.deepEqual(kubectlArgv(argv), expected))
  }
})
