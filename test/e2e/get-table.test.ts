// svc get against the local cluster: exact tables, formats, errors and exit codes. Ages are frozen
// with SVC_NOW at 10m30s after the newest Service, so every AGE cell reads `10m`.

import assert from 'node:assert/strict'
import fs from 'node:fs'
import net from 'node:net'
import {after, before, describe, it} from 'node:test'

import type {Service} from '../../src/kube/types.ts'
import {runSvc} from '../helpers/run-svc.ts'
import {type List, SERVICES, startEnv, type SvcEnv} from './svc-env.ts'

let env: SvcEnv
let now = 0

before(async () => {
  env = await startEnv()
  const create = (body: unknown) => env.create(SERVICES, body)
  await create({metadata: {labels: {app: 'web', tier: 'front'}, name: 'web'}, spec: {ports: [{name: 'http', port: 80, targetPort: 8080}], selector: {app: 'web'}}})
  await create({metadata: {name: 'np'}, spec: {ports: [{name: 'a', nodePort: 30080, port: 80}, {name: 'b', nodePort: 30443, port: 443}], selector: {app: 'np'}, type: 'NodePort'}})
  await create({metadata: {name: 'lb'}, spec: {ports: [{nodePort: 31000, port: 5678}], selector: {app: 'lb'}, type: 'LoadBalancer'}})
  await create({metadata: {name: 'ext'}, spec: {externalName: 'bar.example.com', type: 'ExternalName'}})
  await create({metadata: {name: 'hl'}, spec: {clusterIP: 'None', selector: {app: 'db'}}})
  await create({metadata: {name: 'pub'}, spec: {externalIPs: ['192.0.2.7'], ports: [{port: 53, protocol: 'UDP'}], selector: {app: 'dns'}}})
  const body = await env.get<List<Service>>(SERVICES)
  now = Math.max(...body.items.map(s => Date.parse(s.metadata.creationTimestamp!))) + 630_000
})
after(() => env?.stop())

/** The expected table: every column but the last padded to max(6, widest cell + 3). */
function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(6, ...rows.map(row => row[c].length + 3)))
  return rows.map(row => row.map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c]))).join('') + '\n').join('')
}

const ip = async (name: string) => (await env.get(`${SERVICES}/${name}`)).spec!.clusterIP!

describe('svc get (table)', () => {
  it('lists every Service in kubectl\'s columns', async () => {
    const r = await env.svc(['get'], {now})
    assert.equal(r.stderr, '')
    assert.equal(r.code, 0)
    const rows = [
      ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'],
      ['ext', 'ExternalName', '<none>', 'bar.example.com', '<none>', '10m'],
      ['hl', 'ClusterIP', 'None', '<none>', '<none>', '10m'],
      ['kubernetes', 'ClusterIP', '10.96.0.1', '<none>', '443/TCP', '10m'],
      ['lb', 'LoadBalancer', await ip('lb'), '<pending>', '5678:31000/TCP', '10m'],
      ['np', 'NodePort', await ip('np'), '<none>', '80:30080/TCP,443:30443/TCP', '10m'],
      ['pub', 'ClusterIP', await ip('pub'), '192.0.2.7', '53/UDP', '10m'],
      ['web', 'ClusterIP', await ip('web'), '<none>', '80/TCP', '10m'],
    ]
    // the kubernetes Service is older than the others; its age is whatever the cluster says
    const lines = r.stdout.split('\n')
    assert.equal(lines.length, rows.length + 1)
    const widths = rows[0].map((_, c) => Math.max(6, ...rows.map(row => row[c].length + 3)))
    rows.forEach((row, i) => {
      const expected = row.map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c]))).join('')
      if (row[0] === 'kubernetes') assert.equal(lines[i].slice(0, -3), expected.slice(0, -3))
      else assert.equal(lines[i], expected)
    })
  })

  it('-o wide adds SELECTOR; --show-labels adds LABELS; names pick rows; svc/NAME and `svc NAME` spellings work', async () => {
    const webIP = await ip('web')
    const r = await env.svc(['get', 'svc', 'web', 'svc/ext', '-o', 'wide', '--show-labels'], {now})
    assert.equal(r.code, 0)
    assert.equal(r.stdout, table([
      ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE', 'SELECTOR', 'LABELS'],
      ['web', 'ClusterIP', webIP, '<none>', '80/TCP', '10m', 'app=web', 'app=web,tier=front'],
      ['ext', 'ExternalName', '<none>', 'bar.example.com', '<none>', '10m', '<none>', '<none>'],
    ]))
  })

  it('--no-headers, -l and --sort-by', async () => {
    const r = await env.svc(['get', 'services', '-l', 'app=web', '--no-headers'], {now})
    assert.equal(r.stdout, table([['web', 'ClusterIP', await ip('web'), '<none>', '80/TCP', '10m']]))
    const sorted = await env.svc(['get', '--sort-by', '{.spec.type}', '-o', 'name'], {now})
    assert.equal(sorted.stdout, 'service/hl\nservice/kubernetes\nservice/pub\nservice/web\nservice/ext\nservice/lb\nservice/np\n')
    const bad = await env.svc(['get', '--sort-by', '.spec.nope', '-o', 'name'], {now})
    assert.deepEqual([bad.code, bad.stdout, bad.stderr], [1, '', 'error: couldn\'t find any field with path "{.spec.nope}" in the list of objects\n'])
  })

  it('-A adds NAMESPACE', async () => {
    const r = await env.svc(['get', '-A', '-l', 'app=web'], {now})
    assert.equal(r.stdout, table([
      ['NAMESPACE', 'NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'],
      ['default', 'web', 'ClusterIP', await ip('web'), '<none>', '80/TCP', '10m'],
    ]))
  })

  it('empty results: the table is not printed, kubectl\'s message goes to stderr, exit 0', async () => {
    const r = await env.svc(['get', '-l', 'app=nothing'], {now})
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, '', 'No resources found in default namespace.\n'])
    const all = await env.svc(['get', '-A', '-l', 'app=nothing'], {now})
    assert.deepEqual([all.code, all.stdout, all.stderr], [0, '', 'No resources found\n'])
    const other = await env.svc(['get', '-n', 'kube-system'], {now})
    assert.deepEqual([other.code, other.stdout, other.stderr], [0, '', 'No resources found in kube-system namespace.\n'])
  })

  it('missing names: the others are still printed, NotFound on stderr, exit 1', async () => {
    const r = await env.svc(['get', 'nope', 'web', 'gone', '--no-headers'], {now})
    assert.equal(r.code, 1)
    assert.equal(r.stdout, table([['web', 'ClusterIP', await ip('web'), '<none>', '80/TCP', '10m']]))
    assert.equal(r.stderr, 'Error from server (NotFound): services "nope" not found\nError from server (NotFound): services "gone" not found\n')
    const one = await env.svc(['get', 'nope'], {now})
    assert.deepEqual([one.code, one.stdout, one.stderr], [1, '', 'Error from server (NotFound): services "nope" not found\n'])
    const watched = await env.svc(['get', 'nope', '--watch'], {now})
    assert.deepEqual([watched.code, watched.stdout, watched.stderr], [1, '', 'Error from server (NotFound): services "nope" not found\n'])
    const ignored = await env.svc(['get', 'nope', '--ignore-not-found'], {now})
    assert.deepEqual([ignored.code, ignored.stdout, ignored.stderr], [0, '', ''])
  })

  it('an unreachable server is kubectl\'s connection-refused text, exit 1', async () => {
    const free = await new Promise<number>(resolve => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const {port} = server.address() as net.AddressInfo
        server.close(() => resolve(port))
      })
    })
    const file = `${env.kubeconfig}.refused`
    fs.writeFileSync(file, fs.readFileSync(env.kubeconfig, 'utf8').replace(/https:\/\/127\.0\.0\.1:\d+/, `https://127.0.0.1:${free}`))
    for (const verb of ['get', 'describe', 'delete']) {
      const r = await runSvc([verb, 'web', '--kubeconfig', file])
      assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', `The connection to the server 127.0.0.1:${free} was refused - did you specify the right host or port?\n`], verb)
    }
  })

  it('refuses other resource types and unknown formats with kubectl\'s words', async () => {
    const r = await env.svc(['get', 'pod/web'])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /^error: svc works with Services only; "pod" is not a Service type/)
    const o = await env.svc(['get', '-o', 'table'])
    assert.deepEqual([o.code, o.stderr], [1, 'error: unable to match a printer suitable for the output format "table", allowed formats are: custom-columns,custom-columns-file,go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,wide,yaml\n'])
  })
})

describe('svc get -o json|yaml|name', () => {
  it('one name prints the object itself, with kind and apiVersion', async () => {
    const r = await env.svc(['get', 'ext', '-o', 'json'])
    assert.equal(r.code, 0)
    const stored = await env.get(`${SERVICES}/ext`)
    delete stored.metadata.managedFields // kubectl hides them unless --show-managed-fields
    assert.deepEqual(JSON.parse(r.stdout), stored)
    assert.match(r.stdout, /^\{\n {4}"apiVersion": "v1",\n {4}"kind": "Service",\n {4}"metadata": \{\n/)
  })

  it('a list (selector, several names, or none) prints kind: List', async () => {
    const r = await env.svc(['get', '-l', 'app=web', '-o', 'yaml'])
    assert.equal(r.code, 0)
    assert.match(r.stdout, /^apiVersion: v1\nitems:\n- apiVersion: v1\n {2}kind: Service\n {2}metadata:\n/)
    assert.ok(r.stdout.endsWith('kind: List\nmetadata:\n  resourceVersion: ""\n'))
    const none = await env.svc(['get', '-l', 'app=nothing', '-o', 'json'])
    assert.deepEqual([none.code, none.stdout, none.stderr], [0, '{\n    "apiVersion": "v1",\n    "items": [],\n    "kind": "List",\n    "metadata": {\n        "resourceVersion": ""\n    }\n}\n', ''])
  })

  it('one missing name is only the error; --ignore-not-found prints nothing', async () => {
    const r = await env.svc(['get', 'nope', '-o', 'json'])
    assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', 'Error from server (NotFound): services "nope" not found\n'])
    const quiet = await env.svc(['get', 'nope', '-o', 'yaml', '--ignore-not-found'])
    assert.deepEqual([quiet.code, quiet.stdout, quiet.stderr], [0, '', ''])
  })

  it('-o name', async () => {
    const r = await env.svc(['get', 'web', 'hl', 'nope', '-o', 'name'])
    assert.deepEqual([r.code, r.stdout, r.stderr], [1, 'service/web\nservice/hl\n', 'Error from server (NotFound): services "nope" not found\n'])
  })
})
