import assert from 'node:assert/strict'
import {mkdtempSync, mkdirSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, describe, test} from 'node:test'

import {KubeConfig} from '@kubernetes/client-node/dist/config.js'

import {authProviderProblem, loadKubeConfig, overrideCluster, overrideUser, resolveKubeConfig, selectContext, withoutIdlePlugin} from '../../../src/kube/config.ts'

const dir = mkdtempSync(path.join(os.tmpdir(), 'svc-kubeconfig-'))
after(() => rmSync(dir, {force: true, recursive: true}))

interface Ctx {cluster: string; name: string; namespace?: string; user: string}
function kubeconfig(file: string, opts: {clusters: Array<[string, string]>; contexts: Ctx[]; current?: string; users: string[]}): string {
  const full = path.join(dir, file)
  mkdirSync(path.dirname(full), {recursive: true})
  writeFileSync(full, JSON.stringify({
    apiVersion: 'v1',
    clusters: opts.clusters.map(([name, server]) => ({cluster: {server}, name})),
    contexts: opts.contexts.map(c => ({context: {cluster: c.cluster, namespace: c.namespace, user: c.user}, name: c.name})),
    'current-context': opts.current,
    kind: 'Config',
    users: opts.users.map(name => ({name, user: {token: `token-of-${name}`}})),
  }))
  return full
}

const a = kubeconfig('a.yaml', {
  clusters: [['c1', 'https://a.example:6443'], ['shared', 'https://from-a:6443']],
  contexts: [{cluster: 'c1', name: 'ctx-a', namespace: 'team-a', user: 'ua'}, {cluster: 'shared', name: 'ctx-shared', user: 'ua'}],
  current: 'ctx-a',
  users: ['ua'],
})
const b = kubeconfig('b.yaml', {
  clusters: [['c2', 'https://b.example:6443'], ['shared', 'https://from-b:6443']],
  contexts: [{cluster: 'c2', name: 'ctx-b', user: 'ub'}],
  current: 'ctx-b',
  users: ['ub'],
})
const noCurrent = kubeconfig('none.yaml', {clusters: [['c3', 'https://c.example']], contexts: [{cluster: 'c3', name: 'ctx-c', user: 'uc'}], users: ['uc']})
const notYaml = path.join(dir, 'not-yaml.yaml')
writeFileSync(notYaml, 'clusters: [\n  bad yaml\n')
const home = path.join(dir, 'home')
kubeconfig('home/.kube/config', {clusters: [['h', 'https://home:6443']], contexts: [{cluster: 'h', name: 'ctx-home', user: 'uh'}], current: 'ctx-home', users: ['uh']})
const emptyHome = path.join(dir, 'empty-home')
const envOf = (env: Record<string, string>, h = emptyHome) => ({env, home: h, serviceAccountDir: path.join(dir, 'no-sa')})

describe('resolveKubeConfig', () => {
  test('--kubeconfig is read alone and the namespace comes from the context', () => {
    const r = resolveKubeConfig({kubeconfig: a}, envOf({KUBECONFIG: b}))
    assert.equal(r.kubeConfig.getCurrentContext(), 'ctx-a')
    assert.equal(r.kubeConfig.getCurrentCluster()?.server, 'https://a.example:6443')
    assert.equal(r.namespace, 'team-a')
    assert.equal(r.namespaceExplicit, false)
    assert.deepEqual(r.sources, [a])
  })

  test('-n beats the context namespace; default when the context has none', () => {
    assert.equal(resolveKubeConfig({kubeconfig: a, namespace: 'ops'}, envOf({})).namespace, 'ops')
    assert.equal(resolveKubeConfig({context: 'ctx-shared', kubeconfig: a}, envOf({})).namespace, 'default')
  })

  test('KUBECONFIG lists merge with the first file winning', () => {
    const r = resolveKubeConfig({}, envOf({KUBECONFIG: [path.join(dir, 'missing.yaml'), a, b].join(path.delimiter)}))
    assert.equal(r.kubeConfig.getCurrentContext(), 'ctx-a')
    assert.equal(r.kubeConfig.getCluster('shared')?.server, 'https://from-a:6443')
    assert.equal(r.kubeConfig.getCluster('c2')?.server, 'https://b.example:6443')
    assert.deepEqual(r.sources, [a, b])
    const reversed = resolveKubeConfig({}, envOf({KUBECONFIG: [b, a].join(path.delimiter)}))
    assert.equal(reversed.kubeConfig.getCurrentContext(), 'ctx-b')
    assert.equal(reversed.kubeConfig.getCluster('shared')?.server, 'https://from-b:6443')
  })

  test('a later file supplies current-context when the first has none', () => {
    const r = resolveKubeConfig({}, envOf({KUBECONFIG: [noCurrent, b].join(path.delimiter)}))
    assert.equal(r.kubeConfig.getCurrentContext(), 'ctx-b')
  })

  test('--context picks a context from the merged files', () => {
    const r = resolveKubeConfig({context: 'ctx-b'}, envOf({KUBECONFIG: [a, b].join(path.delimiter)}))
    assert.equal(r.kubeConfig.getCurrentUser()?.name, 'ub')
    assert.equal(r.namespace, 'default')
  })

  test('--cluster and --user replace the context\'s', () => {
    const r = resolveKubeConfig({cluster: 'shared', kubeconfig: b, user: 'ub'}, envOf({}))
    assert.equal(r.kubeConfig.getCurrentCluster()?.server, 'https://from-b:6443')
    assert.equal(r.kubeConfig.getCurrentUser()?.name, 'ub')
  })

  test('~/.kube/config when nothing else is set', () => {
    const r = resolveKubeConfig({}, envOf({}, home))
    assert.equal(r.kubeConfig.getCurrentContext(), 'ctx-home')
    assert.deepEqual(r.sources, [path.join(home, '.kube', 'config')])
  })

  test('one load serves several contexts, each chosen in its own copy', () => {
    const loaded = loadKubeConfig(undefined, envOf({KUBECONFIG: [a, b].join(path.delimiter)}))
    assert.deepEqual(loaded.sources, [a, b])
    assert.equal(loaded.texts.length, 2)
    const first = selectContext(loaded, {context: 'ctx-b'})
    const second = selectContext(loaded, {cluster: 'c2', context: 'ctx-a', namespace: 'ops'})
    const third = selectContext(loaded, {})
    assert.deepEqual([first.kubeConfig.getCurrentContext(), first.kubeConfig.getCurrentCluster()?.server, first.namespace], ['ctx-b', 'https://b.example:6443', 'default'])
    assert.deepEqual([second.kubeConfig.getCurrentContext(), second.kubeConfig.getCurrentCluster()?.server, second.namespace], ['ctx-a', 'https://b.example:6443', 'ops'])
    assert.deepEqual([third.kubeConfig.getCurrentContext(), third.kubeConfig.getCurrentCluster()?.server, third.namespace], ['ctx-a', 'https://a.example:6443', 'team-a'])
    assert.equal(loaded.kubeConfig.getCurrentContext(), 'ctx-a')
  })

  test('KUBECONFIG beats ~/.kube/config', () => {
    assert.equal(resolveKubeConfig({}, envOf({KUBECONFIG: b}, home)).kubeConfig.getCurrentContext(), 'ctx-b')
  })

  const failures: Array<[string, Parameters<typeof resolveKubeConfig>[0], Record<string, string>, RegExp]> = [
    ['missing --kubeconfig file', {kubeconfig: path.join(dir, 'nope.yaml')}, {}, /stat .*nope.yaml: no such file or directory$/],
    ['KUBECONFIG of missing files', {}, {KUBECONFIG: path.join(dir, 'nope.yaml')}, /none of the files in KUBECONFIG exist .*: set KUBECONFIG to a kubeconfig file, or pass --kubeconfig/],
    ['nothing at all', {}, {}, /no kubeconfig found: set KUBECONFIG or pass --kubeconfig FILE/],
    ['unknown --context', {context: 'nope', kubeconfig: a}, {}, /: context was not found for specified context: nope$/],
    ['unknown --cluster', {cluster: 'nope', kubeconfig: a}, {}, /: no server found for cluster "nope"$/],
    ['unknown --user', {kubeconfig: a, user: 'nope'}, {}, /: auth info "nope" does not exist$/],
    ['unknown --context and --cluster', {cluster: 'nope', context: 'nope', kubeconfig: a}, {}, /: context was not found for specified context: nope; no server found for cluster "nope"$/],
    ['unknown --context with -n', {context: 'nope', kubeconfig: a, namespace: 'x'}, {}, /: context "nope" does not exist$/],
    ['not YAML', {kubeconfig: notYaml}, {}, /: error loading config file ".*not-yaml.yaml": yaml: line \d+: /],
    ['no current-context', {kubeconfig: noCurrent}, {}, /sets no current-context: pass --context NAME/],
  ]
  for (const [name, flags, env, message] of failures) {
    test(`fails clearly: ${name}`, () => assert.throws(() => resolveKubeConfig(flags, envOf(env)), message))
  }
})

describe('insecure-skip-tls-verify with a CA', () => {
  const file = path.join(dir, 'insecure-ca.yaml')
  const write = (cluster: Record<string, unknown>) => writeFileSync(file, JSON.stringify({
    apiVersion: 'v1', clusters: [{cluster: {server: 'https://x:6443', ...cluster}, name: 'c'}],
    contexts: [{context: {cluster: 'c', user: 'u'}, name: 'x'}], 'current-context': 'x', kind: 'Config', users: [{name: 'u', user: {token: 't'}}],
  }))
  const refusal = {message: 'specifying a root certificates file with the insecure flag is not allowed'}
  test('with certificate-authority-data: refused in client-go\'s words', () => {
    write({'certificate-authority-data': Buffer.from('-----BEGIN CERTIFICATE-----\n').toString('base64'), 'insecure-skip-tls-verify': true})
    assert.throws(() => resolveKubeConfig({kubeconfig: file}, envOf({})), refusal)
  })
  test('with certificate-authority (a file): refused too', () => {
    write({'certificate-authority': file, 'insecure-skip-tls-verify': true})
    assert.throws(() => resolveKubeConfig({kubeconfig: file}, envOf({})), refusal)
  })
  test('either one alone is accepted', () => {
    write({'insecure-skip-tls-verify': true})
    assert.doesNotThrow(() => resolveKubeConfig({kubeconfig: file}, envOf({})))
    write({'certificate-authority': file})
    assert.doesNotThrow(() => resolveKubeConfig({kubeconfig: file}, envOf({})))
  })
})

describe('connection flags: clientcmd DirectClientConfig.getCluster / getAuthInfo', () => {
  const base = {caData: 'Q0E=', name: 'c', server: 'https://kubeconfig:6443', skipTLSVerify: false, tlsServerName: 'from-kubeconfig'}
  const clusterTable: Array<[string, Parameters<typeof overrideCluster>[1], Partial<ReturnType<typeof overrideCluster>>, Partial<typeof base>?]> = [
    ['nothing given: unchanged', {}, base],
    ['--server replaces the server and clears the tls-server-name', {server: 'https://flag:6443'}, {...base, server: 'https://flag:6443', tlsServerName: undefined}],
    ['--server with --tls-server-name: the flag\'s name', {server: 'https://flag:6443', tlsServerName: 'n'}, {...base, server: 'https://flag:6443', tlsServerName: 'n'}],
    ['--tls-server-name alone replaces the name', {tlsServerName: 'n'}, {...base, tlsServerName: 'n'}],
    ['--certificate-authority replaces the CA data and insecure', {certificateAuthority: 'ca.crt'}, {...base, caData: undefined, caFile: 'ca.crt', skipTLSVerify: false}, {skipTLSVerify: true}],
    ['--insecure-skip-tls-verify drops the kubeconfig\'s CA', {insecureSkipTlsVerify: true}, {...base, caData: undefined, caFile: undefined, skipTLSVerify: true}],
    ['--insecure-skip-tls-verify=false keeps the kubeconfig\'s insecure', {insecureSkipTlsVerify: false}, {...base, caData: undefined, skipTLSVerify: true}, {caData: undefined, skipTLSVerify: true}],
    ['both: both kept, for the refusal', {certificateAuthority: 'ca.crt', insecureSkipTlsVerify: true}, {...base, caData: undefined, caFile: 'ca.crt', skipTLSVerify: true}],
    ['empty values are not given', {certificateAuthority: '', server: '', tlsServerName: ''}, base],
  ]
  for (const [name, flags, expected, from] of clusterTable) {
    test(`cluster: ${name}`, () => assert.deepEqual({...overrideCluster({...base, ...from}, flags)}, {...expected}))
  }

  const user = {certData: 'Y2VydA==', keyData: 'a2V5', name: 'u', token: 'kubeconfig-token'}
  const userTable: Array<[string, Parameters<typeof overrideUser>[1], Record<string, unknown>]> = [
    ['nothing given: unchanged', {}, user],
    ['--token replaces the token and keeps the client certificate', {token: 'flag-token'}, {...user, token: 'flag-token'}],
    ['--client-certificate replaces the certificate\'s data', {clientCertificate: 'c.crt'}, {...user, certData: undefined, certFile: 'c.crt'}],
    ['--client-key replaces the key\'s data', {clientKey: 'c.key'}, {...user, keyData: undefined, keyFile: 'c.key'}],
    ['--username and --password each replace their own', {username: 'a'}, {...user, username: 'a'}],
    ['empty values are not given', {clientCertificate: '', clientKey: '', password: '', token: '', username: ''}, user],
  ]
  for (const [name, flags, expected] of userTable) {
    test(`user: ${name}`, () => assert.deepEqual({...overrideUser(user, flags)}, expected))
  }
  test('user: --token replaces a tokenFile too (getAuthInfo sets Token and TokenFile together)', () => {
    const withFile = {name: 'u', tokenFile: '/t'}
    assert.deepEqual({...overrideUser(withFile, {token: 'flag-token'})}, {name: 'u', token: 'flag-token'})
    assert.deepEqual({...overrideUser(withFile, {username: 'a'})}, {...withFile, username: 'a'})
  })

  const ca = path.join(dir, 'ca.crt')
  writeFileSync(ca, '-----BEGIN CERTIFICATE-----\n')
  test('--server without a kubeconfig: a cluster and user of no name, made of the flags', () => {
    const r = resolveKubeConfig({certificateAuthority: ca, server: 'https://flag:6443', token: 't'}, envOf({}))
    assert.equal(r.kubeConfig.getCurrentCluster()?.server, 'https://flag:6443')
    assert.equal(r.kubeConfig.getCurrentCluster()?.caFile, ca)
    assert.equal(r.kubeConfig.getCurrentUser()?.token, 't')
    assert.equal(r.namespace, 'default')
    assert.deepEqual(r.sources, [])
  })
  test('--server with a KUBECONFIG of missing files, or in a pod: the flags alone', () => {
    assert.equal(resolveKubeConfig({server: 'https://flag:6443'}, envOf({KUBECONFIG: path.join(dir, 'nope.yaml')})).kubeConfig.getCurrentCluster()?.server, 'https://flag:6443')
    const sa = path.join(dir, 'sa')
    mkdirSync(sa, {recursive: true})
    writeFileSync(path.join(sa, 'token'), 'sa-token')
    const pod = {env: {KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443'}, home: emptyHome, serviceAccountDir: sa}
    assert.deepEqual(resolveKubeConfig({server: 'https://flag:6443'}, pod).sources, [])
  })
  test('--server with a kubeconfig that sets no current context', () => {
    const r = resolveKubeConfig({kubeconfig: noCurrent, server: 'https://flag:6443', token: 't'}, envOf({}))
    assert.equal(r.kubeConfig.getCurrentCluster()?.server, 'https://flag:6443')
    assert.equal(r.kubeConfig.getCurrentUser()?.token, 't')
  })
  test('the current context\'s cluster and user get the flags, in a copy', () => {
    const loaded = loadKubeConfig(a, envOf({}))
    const r = selectContext(loaded, {server: 'https://flag:6443', token: 't'})
    assert.equal(r.kubeConfig.getCurrentCluster()?.server, 'https://flag:6443')
    assert.equal(r.kubeConfig.getCurrentUser()?.token, 't')
    assert.equal(selectContext(loaded, {}).kubeConfig.getCurrentUser()?.token, 'token-of-ua')
  })
  const failures: Array<[string, Parameters<typeof resolveKubeConfig>[0], RegExp]> = [
    ['--insecure-skip-tls-verify with --certificate-authority', {certificateAuthority: ca, insecureSkipTlsVerify: true, server: 'https://x'}, /: specifying a root certificates file with the insecure flag is not allowed$/],
    ['a token and basic authentication', {kubeconfig: a, username: 'x'}, /: more than one authentication method found for ua; found \[token basicAuth\], only one is allowed$/],
    ['a client certificate without a key', {clientCertificate: ca, server: 'https://x'}, /: client-key-data or client-key must be specified for {2}to use the clientCert authentication method\.$/],
    ['an unreadable CA', {certificateAuthority: 'nope.crt', server: 'https://x'}, /: unable to read certificate-authority nope.crt for {2}due to open nope.crt: no such file or directory$/],
    ['an unknown --context', {context: 'nope', server: 'https://x'}, /: context was not found for specified context: nope$/],
  ]
  for (const [name, flags, message] of failures) {
    test(`refused: ${name}`, () => assert.throws(() => resolveKubeConfig(flags, envOf({})), message))
  }
  test('in a pod: --token and --certificate-authority replace the service account\'s, the other flags nothing', () => {
    const kubeConfig = new KubeConfig()
    kubeConfig.loadFromOptions({
      clusters: [{caFile: '/sa/ca.crt', name: 'inCluster', server: 'https://10.0.0.1:443', skipTLSVerify: false}],
      contexts: [{cluster: 'inCluster', name: 'inClusterContext', user: 'inClusterUser'}],
      currentContext: 'inClusterContext',
      users: [{authProvider: {config: {tokenFile: '/sa/token'}, name: 'tokenFile'}, name: 'inClusterUser'}],
    })
    const r = selectContext({kubeConfig, sources: ['in-cluster'], texts: []}, {certificateAuthority: ca, clientCertificate: 'c.crt', insecureSkipTlsVerify: true, token: 't', username: 'x'})
    assert.deepEqual({...r.kubeConfig.getCurrentCluster()}, {caData: undefined, caFile: ca, name: 'inCluster', server: 'https://10.0.0.1:443', skipTLSVerify: false})
    const user = r.kubeConfig.getCurrentUser()
    assert.equal(user?.token, 't')
    assert.equal(user?.username, undefined)
    assert.equal(user?.certFile, undefined)
  })
  test('without --server and without a kubeconfig: still no kubeconfig found', () => {
    assert.throws(() => resolveKubeConfig({token: 't'}, envOf({})), /no kubeconfig found/)
  })
})

describe('exec plugins and auth-providers as client-go uses them', () => {
  const exec = {apiVersion: 'client.authentication.k8s.io/v1', command: 'plugin'}
  const plugin: Array<[string, Record<string, unknown>, boolean]> = [
    ['alone: run', {exec}, true],
    ['with a token: not run', {exec, token: 't'}, false],
    ['with a user name: not run', {exec, username: 'u'}, false],
    ['with a password alone: run (HasBasicAuth is the user name)', {exec, password: 'p'}, true],
    ['with a certificate and key: not run', {certData: 'c', exec, keyFile: 'k'}, false],
    ['with a certificate without a key: run', {certFile: 'c', exec}, true],
  ]
  for (const [name, fields, kept] of plugin) {
    test(`withoutIdlePlugin: ${name}`, () => assert.equal(withoutIdlePlugin({name: 'u', ...fields}).exec !== undefined, kept))
  }

  const providers: Array<[string, Record<string, unknown> | undefined, string | undefined]> = [
    ['none', undefined, undefined],
    ['gcp', {name: 'gcp'}, 'The gcp auth plugin has been removed.\nPlease use the "gke-gcloud-auth-plugin" kubectl/client-go credential plugin instead.\nSee https://cloud.google.com/blog/products/containers-kubernetes/kubectl-auth-changes-in-gke for further details'],
    ['azure', {name: 'azure'}, 'The azure auth plugin has been removed.\nPlease use the https://github.com/Azure/kubelogin kubectl/client-go credential plugin instead.\nSee https://kubernetes.io/docs/reference/access-authn-authz/authentication/#client-go-credential-plugins for further details'],
    ['oidc without an issuer', {config: {'client-id': 'x'}, name: 'oidc'}, 'Must provide idp-issuer-url'],
    ['oidc without a client id', {config: {'idp-issuer-url': 'https://i'}, name: 'oidc'}, 'Must provide client-id'],
    ['oidc with both', {config: {'client-id': 'x', 'idp-issuer-url': 'https://i'}, name: 'oidc'}, undefined],
    ['an unknown name', {name: 'other'}, 'no Auth Provider found for name "other"'],
    ['client-node\'s service account token file', {config: {tokenFile: '/t'}, name: 'tokenFile'}, undefined],
  ]
  for (const [name, authProvider, want] of providers) {
    test(`authProviderProblem: ${name}`, () => assert.equal(authProviderProblem({authProvider, name: 'u'}), want))
  }
})
