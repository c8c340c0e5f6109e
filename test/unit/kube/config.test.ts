import assert from 'node:assert/strict'
import {mkdtempSync, mkdirSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, describe, test} from 'node:test'

import {loadKubeConfig, resolveKubeConfig, selectContext} from '../../../src/kube/config.ts'

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
