// svc and kubectl 1.35 side by side on the connection flags CI scripts use to reach a cluster
// without a kubeconfig context (k8s.io/cli-runtime ConfigFlags; clientcmd DirectClientConfig
// getCluster / getAuthInfo / ConfirmUsable): -s/--server, --token, --certificate-authority,
// --insecure-skip-tls-verify, --client-certificate, --client-key, --username, --password. Each case
// runs the same words through both and compares exit code, stdout and stderr byte for byte.

import assert from 'node:assert/strict'
import {chmodSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'

import yaml from 'js-yaml'

import {kubeconfigDoc} from '../helpers/kubeconfig-doc.ts'
import {runSvc} from '../helpers/run-svc.ts'
import {type Compat, startCompat} from './helpers.ts'

let c: Compat
let server: string
let token: string
let ca: string

before(async () => {
  c = await startCompat()
  const doc = kubeconfigDoc(readFileSync(c.kubeconfig, 'utf8'))
  server = doc.clusters[0].cluster.server
  token = doc.users.find(u => u.name === 'token')?.user.token ?? ''
  ca = c.file('ca.crt', Buffer.from(doc.clusters[0].cluster['certificate-authority-data'] ?? '', 'base64').toString())
})
after(() => c?.stop())

/** The local cluster's kubeconfig with its cluster entry changed by `edit`, written beside it. */
function kubeconfigWith(name: string, edit: (cluster: Record<string, unknown>) => void): string {
  const doc = kubeconfigDoc(readFileSync(c.kubeconfig, 'utf8'))
  for (const entry of doc.clusters) edit(entry.cluster as Record<string, unknown>)
  return c.file(name, yaml.dump(doc))
}

/**
 * kubectl's and svc's result for the same arguments, with the given kubeconfig or none at all.
 * kubectl's discovery logs its failures first (memcache.go, no cache in a fresh HOME): its last line is the error.
 */
async function both(args: string[], kubeconfig?: string): Promise<{kubectl: unknown; svc: unknown}> {
  const [k, s] = await Promise.all([
    c.kubectl(args, {env: {KUBECONFIG: kubeconfig ?? ''}}),
    runSvc(args, {env: {KUBECONFIG: kubeconfig}}),
  ])
  return {kubectl: [k.code, k.stdout, k.stderr.replace(/^E\d{4} [^\n]*\n/gm, '')], svc: [s.code, s.stdout, s.stderr]}
}

const get = ['get', 'svc', 'kubernetes', '-o', 'name']
const ok = [0, 'service/kubernetes\n', '']

describe('without a kubeconfig', () => {
  test('--server, --token and --certificate-authority after the command', async () => {
    const r = await both([...get, `--server=${server}`, `--token=${token}`, `--certificate-authority=${ca}`])
    assert.deepEqual(r.svc, r.kubectl)
    assert.deepEqual(r.svc, ok)
  })

  test('-s, --token and --certificate-authority before the command, as CI scripts write them', async () => {
    const r = await both(['-s', server, '--token', token, '--certificate-authority', ca, ...get])
    assert.deepEqual(r.svc, r.kubectl)
    assert.deepEqual(r.svc, ok)
  })

  test('--insecure-skip-tls-verify: no CA needed', async () => {
    const r = await both(['--insecure-skip-tls-verify', `--server=${server}`, `--token=${token}`, ...get])
    assert.deepEqual(r.svc, r.kubectl)
    assert.deepEqual(r.svc, ok)
  })

  test('no CA: the server\'s certificate is refused', async () => {
    const r = await both([...get, `--server=${server}`, `--token=${token}`])
    assert.deepEqual(r.svc, r.kubectl)
    assert.deepEqual(r.svc, [1, '', 'Unable to connect to the server: tls: failed to verify certificate: x509: certificate signed by unknown authority\n'])
  })

  test('a wrong token: Unauthorized, and the token is not printed', async () => {
    const r = await both([...get, `--server=${server}`, '--token=not-the-token', `--certificate-authority=${ca}`])
    assert.deepEqual(r.svc, r.kubectl)
    assert.deepEqual(r.svc, [1, '', 'error: You must be logged in to the server (Unauthorized)\n'])
  })

  for (const [name, args, stderr] of [
    ['--insecure-skip-tls-verify with --certificate-authority', ['--insecure-skip-tls-verify', `--certificate-authority=CA`],
      'error: specifying a root certificates file with the insecure flag is not allowed\n'],
    ['an unreadable --certificate-authority', ['--certificate-authority=no-such-ca.crt'],
      'error: unable to read certificate-authority no-such-ca.crt for  due to open no-such-ca.crt: no such file or directory\n'],
    ['--client-certificate without a key, unreadable', ['--client-certificate=no-such.crt'],
      'Error in configuration: \n* client-key-data or client-key must be specified for  to use the clientCert authentication method.\n* unable to read client-cert no-such.crt for  due to open no-such.crt: no such file or directory\n'],
    ['--token with --username and --password', ['--username=a', '--password=b'],
      'error: more than one authentication method found for ; found [token basicAuth], only one is allowed\n'],
  ] as const) {
    test(`refused: ${name}`, async () => {
      const r = await both([...get, `--server=${server}`, `--token=${token}`, ...args.map(a => a.replace('=CA', `=${ca}`))])
      assert.deepEqual(r.svc, r.kubectl)
      assert.deepEqual(r.svc, [1, '', stderr])
    })
  }
})

describe('over a kubeconfig', () => {
  test('--server replaces the server, and the kubeconfig\'s tls-server-name with --tls-server-name\'s or none', async () => {
    const elsewhere = kubeconfigWith('elsewhere', cluster => {
      cluster.server = 'https://127.0.0.1:1'
      cluster['tls-server-name'] = 'nope'
    })
    const cleared = await both([...get, '-s', server], elsewhere)
    assert.deepEqual(cleared.svc, cleared.kubectl)
    assert.deepEqual(cleared.svc, ok)
    const named = await both([...get, '-s', server, '--tls-server-name=nope'], elsewhere)
    assert.deepEqual(named.svc, named.kubectl)
    assert.deepEqual(named.svc, [1, '', 'Unable to connect to the server: tls: failed to verify certificate: x509: certificate is valid for localhost, kubernetes, kubernetes.default, kubernetes.default.svc, not nope\n'])
  })

  test('--insecure-skip-tls-verify drops the kubeconfig\'s CA; --certificate-authority its insecure-skip-tls-verify', async () => {
    const insecure = await both([...get, '--insecure-skip-tls-verify'], c.kubeconfig)
    assert.deepEqual(insecure.svc, insecure.kubectl)
    assert.deepEqual(insecure.svc, ok)
    const insecureKubeconfig = kubeconfigWith('insecure', cluster => {
      delete cluster['certificate-authority-data']
      cluster['insecure-skip-tls-verify'] = true
    })
    const withCa = await both([...get, `--certificate-authority=${ca}`], insecureKubeconfig)
    assert.deepEqual(withCa.svc, withCa.kubectl)
    assert.deepEqual(withCa.svc, ok)
    const kept = await both([...get, '--insecure-skip-tls-verify=false'], insecureKubeconfig)
    assert.deepEqual(kept.svc, kept.kubectl)
    assert.deepEqual(kept.svc, ok)
  })

  test('--token replaces the user\'s token and leaves its client certificate: both are sent', async () => {
    const wrong = await both([...get, '--context=local-cert', '--token=not-the-token'], c.kubeconfig)
    assert.deepEqual(wrong.svc, wrong.kubectl)
    assert.deepEqual(wrong.svc, [1, '', 'error: You must be logged in to the server (Unauthorized)\n'])
    const right = await both([...get, '--context=local-readonly', `--token=${token}`], c.kubeconfig)
    assert.deepEqual(right.svc, right.kubectl)
    assert.deepEqual(right.svc, ok)
  })

  test('one problem is `error: ...` (with -n, `Error in configuration: ...`; a missing context the other way round); several are listed', async () => {
    for (const [args, stderr] of [
      [['--context=local-cert', '--client-certificate=no-such.crt'], 'error: unable to read client-cert no-such.crt for cert due to open no-such.crt: no such file or directory\n'],
      [['--certificate-authority=no-such-ca.crt', '-n', 'x'], 'Error in configuration: unable to read certificate-authority no-such-ca.crt for local due to open no-such-ca.crt: no such file or directory\n'],
      [['--client-certificate=no-such.crt', '--client-key=no-such.key'], 'Error in configuration: \n* unable to read client-cert no-such.crt for token due to open no-such.crt: no such file or directory\n* unable to read client-key no-such.key for token due to open no-such.key: no such file or directory\n'],
      [['--username=a'], 'error: more than one authentication method found for token; found [token basicAuth], only one is allowed\n'],
      [['--context=nope', `--server=${server}`], 'Error in configuration: context was not found for specified context: nope\n'],
      [['--context=nope', `--server=${server}`, '-n', 'x'], 'error: context "nope" does not exist\n'],
    ] as const) {
      const r = await both([...get, ...args], c.kubeconfig)
      assert.deepEqual(r.svc, r.kubectl)
      assert.deepEqual(r.svc, [1, '', stderr])
    }
  })
})

// A user's tokenFile (clientcmd getUserIdentificationPartialConfig, ResolveLocalPaths; the
// transport's cachingTokenSource reads it again, trimmed, and it wins over the token when it works).
describe('a user with a tokenFile', () => {
  test('read from the kubeconfig\'s folder, over a token, its failures in kubectl\'s words', async () => {
    const doc = kubeconfigDoc(readFileSync(c.kubeconfig, 'utf8'))
    c.file('token.txt', `${token}\n`)
    c.file('newline.txt', '\n')
    const users: Record<string, Record<string, unknown>> = {
      file: {tokenFile: 'token.txt'},
      'file-missing': {tokenFile: 'nonexistent.txt'},
      'file-newline': {tokenFile: 'newline.txt'},
      'file-over-token': {token: 'wrong', tokenFile: 'token.txt'},
      'token-over-missing-file': {token, tokenFile: 'nonexistent.txt'},
      'file-and-plugin': {exec: {apiVersion: 'client.authentication.k8s.io/v1', command: '/nonexistent/plugin', interactiveMode: 'Never'}, tokenFile: 'token.txt'},
    }
    const kubeconfig = c.file('token-file.kubeconfig', yaml.dump({...doc, users: Object.entries(users).map(([name, user]) => ({name, user}))}))
    assert.notEqual(process.cwd(), c.dir)
    for (const [args, want] of [
      [['--user=file'], ok],
      [['--user=file-missing'], [1, '', `error: open ${join(c.dir, 'nonexistent.txt')}: no such file or directory\n`]],
      [['--user=file-missing', `--token=${token}`], ok],
      [['--user=file-newline'], [1, '', 'Unable to connect to the server: net/http: invalid header field value for "Authorization"\n']],
      [['--user=file-over-token'], ok],
      [['--user=token-over-missing-file'], ok],
      [['--user=file-and-plugin'], ok],
    ] as const) {
      const r = await both([...get, ...args], kubeconfig)
      assert.deepEqual(r.svc, r.kubectl, args.join(' '))
      assert.deepEqual(r.svc, want, args.join(' '))
    }
  })
})

describe('a user with an exec plugin or an auth-provider', () => {
  /** The local cluster's kubeconfig whose users are the given ones, and the file each run of the plugin adds a line to. */
  function pluginKubeconfig(name: string, users: Record<string, Record<string, unknown>>): {kubeconfig: string; runs: () => number} {
    const doc = kubeconfigDoc(readFileSync(c.kubeconfig, 'utf8'))
    const log = c.file(`${name}.runs`, '')
    // An exec plugin that notes each run and answers with the token it is given (PLUGIN_TOKEN)
    const plugin = c.file(`${name}.sh`, `#!/bin/sh\necho ran >> '${log}'\nprintf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"}}' "$PLUGIN_TOKEN"\n`)
    chmodSync(plugin, 0o755)
    const exec = (answer: string) => ({apiVersion: 'client.authentication.k8s.io/v1', command: plugin, env: [{name: 'PLUGIN_TOKEN', value: answer}], interactiveMode: 'Never'})
    const cert = doc.users.find(u => u.name === 'cert')!.user
    const made = Object.fromEntries(Object.entries(users).map(([user, fields]) => [user, JSON.parse(JSON.stringify(fields).replaceAll('"EXEC_RIGHT"', JSON.stringify(exec(token))).replaceAll('"EXEC_WRONG"', JSON.stringify(exec('wrong'))).replaceAll('"CERT"', JSON.stringify(cert)))]))
    const text = yaml.dump({...doc, users: Object.entries(made).map(([user, fields]) => ({name: user, user: fields.cert ? {...fields.cert, ...fields, cert: undefined} : fields}))})
    return {kubeconfig: c.file(`${name}.kubeconfig`, text), runs: () => readFileSync(log, 'utf8').split('\n').filter(Boolean).length}
  }

  test('--token wins over the plugin, which is not run (exec Authenticator.UpdateTransportConfig)', async () => {
    const {kubeconfig, runs} = pluginKubeconfig('exec', {
      'exec-missing': {exec: {apiVersion: 'client.authentication.k8s.io/v1', command: '/nonexistent/plugin', interactiveMode: 'Never'}},
      'exec-right': {exec: 'EXEC_RIGHT'},
      'exec-wrong': {exec: 'EXEC_WRONG'},
    })
    for (const [args, want] of [
      [['--user=exec-missing', `--token=${token}`], ok],
      [['--user=exec-wrong', `--token=${token}`], ok],
      [['--user=exec-right', '--token=not-the-token'], [1, '', 'error: You must be logged in to the server (Unauthorized)\n']],
      [['--user=exec-right', '--username=someone'], [1, '', 'error: You must be logged in to the server (Unauthorized)\n']],
    ] as const) {
      const r = await both([...get, ...args], kubeconfig)
      assert.deepEqual(r.svc, r.kubectl, args.join(' '))
      assert.deepEqual(r.svc, want, args.join(' '))
    }
    assert.equal(runs(), 0)
    // without a token the plugin's answer is used, by both
    const r = await both([...get, '--user=exec-right'], kubeconfig)
    assert.deepEqual(r.svc, r.kubectl)
    assert.deepEqual(r.svc, ok)
    assert.equal(runs(), 2)
  })

  test('a kubeconfig user\'s own token or client certificate: the plugin is not run either', async () => {
    const {kubeconfig, runs} = pluginKubeconfig('exec-own', {
      'token-and-exec': {exec: 'EXEC_WRONG', token},
      'cert-and-exec': {cert: 'CERT', exec: 'EXEC_WRONG'},
    })
    for (const user of ['token-and-exec', 'cert-and-exec']) {
      const r = await both([...get, `--user=${user}`], kubeconfig)
      assert.deepEqual(r.svc, r.kubectl, user)
      assert.deepEqual(r.svc, ok, user)
    }
    assert.equal(runs(), 0)
  })

  test('a plugin that fails: its stderr passed through, then kubectl\'s `getting credentials: exec: ...`', async () => {
    const {kubeconfig} = pluginKubeconfig('exec-fails', {
      'exits-3': {exec: {apiVersion: 'client.authentication.k8s.io/v1', args: ['-c', 'echo oops >&2; exit 3'], command: '/bin/sh', interactiveMode: 'Never'}},
      'not-in-path': {exec: {apiVersion: 'client.authentication.k8s.io/v1', command: 'svc-no-such-plugin', installHint: 'install it', interactiveMode: 'Never'}},
      'no-such-file': {exec: {apiVersion: 'client.authentication.k8s.io/v1', command: '/nonexistent/plugin', interactiveMode: 'Never'}},
    })
    for (const [user, stderr] of [
      ['exits-3', 'oops\nUnable to connect to the server: getting credentials: exec: executable /bin/sh failed with exit code 3\n'],
      ['not-in-path', 'Unable to connect to the server: getting credentials: exec: executable svc-no-such-plugin not found\n\nIt looks like you are trying to use a client-go credential plugin that is not installed.\n\nTo learn more about this feature, consult the documentation available at:\n      https://kubernetes.io/docs/reference/access-authn-authz/authentication/#client-go-credential-plugins\n\ninstall it\n'],
      ['no-such-file', 'Unable to connect to the server: getting credentials: exec: fork/exec /nonexistent/plugin: no such file or directory\n'],
    ] as const) {
      const r = await both([...get, `--user=${user}`], kubeconfig)
      assert.deepEqual(r.svc, r.kubectl, user)
      assert.deepEqual(r.svc, [1, '', stderr], user)
    }
  })

  test('a plugin written as a relative path is run from the kubeconfig\'s folder (clientcmd ResolveLocalPaths)', async () => {
    const {kubeconfig, runs} = pluginKubeconfig('exec-relative', {relative: {exec: 'EXEC_RIGHT'}})
    // The kubeconfig and the plugin are in the same folder; both programs run from another one.
    assert.notEqual(process.cwd(), c.dir)
    c.file('exec-relative.kubeconfig', readFileSync(kubeconfig, 'utf8').replaceAll(join(c.dir, 'exec-relative.sh'), './exec-relative.sh'))
    assert.match(readFileSync(kubeconfig, 'utf8'), /command: \.\/exec-relative\.sh/)
    const r = await both([...get, '--user=relative'], kubeconfig)
    assert.deepEqual(r.svc, r.kubectl)
    assert.deepEqual(r.svc, ok)
    assert.ok(runs() >= 2, `the plugin ran ${runs()} times`)
  })

  test('an auth-provider is made all the same: kubectl\'s refusals, a token or not; a usable oidc one yields to --token', async () => {
    const {kubeconfig} = pluginKubeconfig('providers', {
      azure: {'auth-provider': {name: 'azure'}},
      gcp: {'auth-provider': {name: 'gcp'}},
      'oidc-no-client': {'auth-provider': {config: {'idp-issuer-url': 'https://127.0.0.1:1'}, name: 'oidc'}},
      'oidc-no-issuer': {'auth-provider': {config: {'client-id': 'x'}, name: 'oidc'}},
      oidc: {'auth-provider': {config: {'client-id': 'x', 'id-token': 'not-a-jwt', 'idp-issuer-url': 'https://127.0.0.1:1'}, name: 'oidc'}},
      other: {'auth-provider': {name: 'other'}},
    })
    for (const user of ['azure', 'gcp', 'oidc-no-client', 'oidc-no-issuer', 'other']) {
      for (const args of [[], [`--token=${token}`]]) {
        const r = await both([...get, `--user=${user}`, ...args], kubeconfig)
        assert.deepEqual(r.svc, r.kubectl, `${user} ${args.length}`)
        assert.equal((r.svc as unknown[])[0], 1)
      }
    }
    const r = await both([...get, '--user=oidc', `--token=${token}`], kubeconfig)
    assert.deepEqual(r.svc, r.kubectl)
    assert.deepEqual(r.svc, ok)
  })
})

test('svc never prints the token, at any verbosity', async () => {
  const r = await runSvc([...get, `--server=${server}`, `--token=${token}`, `--certificate-authority=${ca}`, '-v=9'])
  assert.equal(r.code, 0)
  assert.ok(!`${r.stdout}${r.stderr}`.includes(token))
  const failed = await runSvc([...get, `--server=${server}`, `--token=${token}`, '-v=9'])
  assert.equal(failed.code, 1)
  assert.ok(!`${failed.stdout}${failed.stderr}`.includes(token))
})
