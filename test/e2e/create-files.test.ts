// svc create -f: files, directories, stdin, several documents, kind: List, checks before sending.

import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'

import {type LocalCluster, startCluster} from '../cluster/index.ts'
import {runSvc} from '../helpers/run-svc.ts'

let cluster: LocalCluster
let dir: string
let env: Record<string, string>

before(async () => {
  cluster = await startCluster()
  dir = mkdtempSync(path.join(tmpdir(), 'svc-create-f-'))
  cluster.writeKubeconfig(path.join(dir, 'kubeconfig'))
  env = {KUBECONFIG: path.join(dir, 'kubeconfig')}
})

after(async () => {
  await cluster?.stop()
  if (dir) rmSync(dir, {force: true, recursive: true})
})

const svc = (args: string[], input?: string) => runSvc(args, {env, input})
const file = (name: string, text: string) => {
  const p = path.join(dir, name)
  mkdirSync(path.dirname(p), {recursive: true})
  writeFileSync(p, text)
  return p
}
const service = (name: string, extra = '') => `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\nspec:\n  selector:\n    app: ${name}\n  ports:\n  - port: 80\n    targetPort: http\n${extra}`

describe('svc create -f', () => {
  it('several documents and a List, in order', async () => {
    const f = file('multi.yaml', `${service('fa')}---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Service, metadata: {name: fb}, spec: {ports: [{port: 81}], selector: {app: fb}}}\n`)
    assert.deepEqual(await svc(['create', '-f', f]), {code: 0, signal: null, stderr: '', stdout: 'service/fa created\nservice/fb created\n'})
    assert.ok(cluster.getObject('services', 'default', 'fb'))
  })

  it('stdin JSON, a directory, several -f', async () => {
    const json = JSON.stringify({apiVersion: 'v1', kind: 'Service', metadata: {name: 'fj'}, spec: {ports: [{port: 80}]}})
    file('d/1.yaml', service('fd1'))
    file('d/2.json', JSON.stringify({apiVersion: 'v1', kind: 'Service', metadata: {name: 'fd2'}, spec: {ports: [{port: 80}]}}))
    file('d/notes.txt', 'not a manifest')
    const r = await svc(['create', '-f', '-', '-f', path.join(dir, 'd')], json)
    assert.deepEqual(r, {code: 0, signal: null, stderr: '', stdout: 'service/fj created\nservice/fd1 created\nservice/fd2 created\n'})
  })

  it('-R descends into subdirectories', async () => {
    file('r/top.yaml', service('rtop'))
    file('r/sub/deep.yaml', service('rdeep'))
    assert.deepEqual(await svc(['create', '-f', path.join(dir, 'r'), '--dry-run=client']), {code: 0, signal: null, stderr: '', stdout: 'service/rtop created (dry run)\n'})
    assert.deepEqual(await svc(['create', '-R', '-f', path.join(dir, 'r'), '--dry-run=client']), {code: 0, signal: null, stderr: '', stdout: 'service/rdeep created (dry run)\nservice/rtop created (dry run)\n'})
  })

  it('client dry run prints the object with its namespace; yaml documents are separated', async () => {
    const f = file('two.yaml', `${service('t1')}---\n${service('t2')}`)
    const r = await svc(['create', '-f', f, '--dry-run=client', '-o', 'yaml'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, 'apiVersion: v1\nkind: Service\nmetadata:\n  name: t1\n  namespace: default\nspec:\n  ports:\n  - port: 80\n    targetPort: http\n  selector:\n    app: t1\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: t2\n  namespace: default\nspec:\n  ports:\n  - port: 80\n    targetPort: http\n  selector:\n    app: t2\n')
    assert.equal(cluster.getObject('services', 'default', 't1'), undefined)
  })

  it('server dry run and -o json (unstructured: keys sorted)', async () => {
    const f = file('sd.yaml', service('sd'))
    assert.deepEqual(await svc(['create', '-f', f, '--dry-run=server']), {code: 0, signal: null, stderr: '', stdout: 'service/sd created (server dry run)\n'})
    const r = await svc(['create', '-f', f, '--dry-run=server', '-o', 'json'])
    assert.match(r.stdout, /^\{\n {4}"apiVersion": "v1",\n {4}"kind": "Service",\n {4}"metadata": \{\n/)
  })

  it('an invalid document stops everything; every problem is named by file, document and field', async () => {
    const f = file('bad.yaml', `${service('good1')}---\n${service('Bad', '  - port: 70000\n')}---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n`)
    const r = await svc(['create', '-f', f])
    assert.deepEqual(r, {code: 1, signal: null, stdout: '', stderr: [
      `error: ${f}: document 2: metadata.name: Invalid value: "Bad": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
      `error: ${f}: document 2: spec.ports[0].name: Required value: every port needs a name when there are several`,
      `error: ${f}: document 2: spec.ports[1].name: Required value: every port needs a name when there are several`,
      `error: ${f}: document 2: spec.ports[1].port: Invalid value: 70000: must be between 1 and 65535, inclusive`,
      `error: ${f}: document 3: is a Deployment (apps/v1), not a Service (apiVersion: v1, kind: Service): svc create -f creates Services only; use kubectl apply -f for other kinds`,
      'error: nothing was created: fix the 5 problems above and run again',
      '',
    ].join('\n')})
    assert.equal(cluster.getObject('services', 'default', 'good1'), undefined)
  })

  it('server errors name the file, and the other objects are still created (kubectl\'s ContinueOnError)', async () => {
    file('again.yaml', `${service('fa')}---\n${service('fnew')}`)
    const f = path.join(dir, 'again.yaml')
    assert.deepEqual(await svc(['create', '-f', f]), {code: 1, signal: null, stdout: 'service/fnew created\n', stderr: `Error from server (AlreadyExists): error when creating "${f}": services "fa" already exists\n`})
  })

  it('--validate: unknown fields are refused (Strict), warned about (Warn)', async () => {
    const json = JSON.stringify({apiVersion: 'v1', kind: 'Service', metadata: {name: 'fx'}, spec: {bogus: 1, ports: [{port: 80}]}})
    assert.deepEqual(await svc(['create', '-f', '-'], json), {code: 1, signal: null, stdout: '',
      stderr: 'Error from server (BadRequest): error when creating "STDIN": Service in version "v1" cannot be handled as a Service: strict decoding error: unknown field "spec.bogus"\n'})
    assert.deepEqual(await svc(['create', '-f', '-', '--validate=warn'], json), {code: 0, signal: null, stdout: 'service/fx created\n', stderr: 'Warning: unknown field "spec.bogus"\n'})
  })

  it('--save-config stores the file\'s object (keys sorted, "annotations":{} as kubectl writes it for an unstructured object) in the annotation', async () => {
    const f = file('saved.yaml', service('fsaved'))
    assert.deepEqual(await svc(['create', '-f', f, '--save-config']), {code: 0, signal: null, stderr: '', stdout: 'service/fsaved created\n'})
    assert.equal(cluster.getObject('services', 'default', 'fsaved').metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'],
      '{"apiVersion":"v1","kind":"Service","metadata":{"annotations":{},"name":"fsaved","namespace":"default"},"spec":{"ports":[{"port":80,"targetPort":"http"}],"selector":{"app":"fsaved"}}}\n')
  })

  it('missing files, syntax errors, no -f, namespace mismatch', async () => {
    assert.deepEqual(await svc(['create', '-f', path.join(dir, 'none.yaml')]), {code: 1, signal: null, stdout: '', stderr: `error: the path "${path.join(dir, 'none.yaml')}" does not exist\n`})
    const bad = file('syntax.yaml', 'a: [1,\n')
    const r = await svc(['create', '-f', bad])
    assert.equal(r.code, 1)
    assert.match(r.stderr, new RegExp(`^error: ${bad.replaceAll('/', '\\/')}: not valid YAML or JSON: `))
    assert.deepEqual(await svc(['create']), {code: 1, signal: null, stdout: '', stderr: "error: must specify one of -f and -k\nSee 'svc create -h' for help and examples\n"})
    const ns = file('ns.yaml', service('nsx').replace('  name: nsx\n', '  name: nsx\n  namespace: kube-system\n'))
    assert.deepEqual(await svc(['create', '-f', ns, '-n', 'default']), {code: 1, signal: null, stdout: '', stderr: 'error: the namespace from the provided object "kube-system" does not match the namespace "default". You must pass \'--namespace=kube-system\' to perform this operation.\n'})
  })
})
