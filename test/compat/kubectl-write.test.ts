// Real kubectl 1.35 writing to the local cluster: `create service` of every type (kubectl's typed
// client sends protobuf), the server's error answers as kubectl renders them, `apply` twice,
// `expose deployment`, `delete svc`, and `create namespace|ingress` (protobuf bodies too).

import {after, before, test} from 'node:test'
import assert from 'node:assert/strict'

import type {Service, ServiceSpec} from '../../src/kube/types.ts'
import {eventually, startCompat, type Compat} from './helpers.ts'

let c: Compat

before(async () => {
  c = await startCompat()
})
after(() => c?.stop())

/** The object kubectl reads (a Service unless told). */
async function json<T = Service>(args: string[]): Promise<T> {
  const r = await c.kubectl([...args, '-o', 'json'])
  assert.equal(r.code, 0, r.stderr)
  return JSON.parse(r.stdout) as T
}

const CREATE: Array<{args: string[]; stdout: string; spec: Record<string, unknown>}> = [
  {
    args: ['clusterip', 'my-cs', '--tcp=5678:8080'],
    stdout: 'service/my-cs created\n',
    spec: {type: 'ClusterIP', selector: {app: 'my-cs'}, ports: [{name: '5678-8080', port: 5678, protocol: 'TCP', targetPort: 8080}]},
  },
  {
    args: ['nodeport', 'my-ns', '--tcp=80:8080', '--node-port=30123'],
    stdout: 'service/my-ns created\n',
    spec: {type: 'NodePort', selector: {app: 'my-ns'}, ports: [{name: '80-8080', nodePort: 30123, port: 80, protocol: 'TCP', targetPort: 8080}]},
  },
  {
    args: ['loadbalancer', 'my-lbs', '--tcp=5678:8080'],
    stdout: 'service/my-lbs created\n',
    spec: {type: 'LoadBalancer', selector: {app: 'my-lbs'}},
  },
  {
    args: ['externalname', 'my-en', '--external-name=bar.com'],
    stdout: 'service/my-en created\n',
    spec: {type: 'ExternalName', externalName: 'bar.com', selector: {app: 'my-en'}},
  },
  {
    args: ['clusterip', 'my-hl', '--clusterip=None'],
    stdout: 'service/my-hl created\n',
    spec: {type: 'ClusterIP', clusterIP: 'None', selector: {app: 'my-hl'}},
  },
]

for (const {args, stdout, spec} of CREATE) {
  test(`kubectl create service ${args.join(' ')}`, async () => {
    const r = await c.kubectl(['create', 'service', ...args])
    assert.equal(r.stderr, '')
    assert.equal(r.code, 0)
    assert.equal(r.stdout, stdout)
    const svc = await json(['get', 'svc', args[1]])
    for (const [k, v] of Object.entries(spec)) assert.deepEqual(svc.spec?.[k as keyof ServiceSpec], v, k)
    assert.deepEqual(svc.metadata.labels, {app: args[1]})
    if (spec.type === 'ClusterIP' && spec.clusterIP !== 'None') assert.match(svc.spec?.clusterIP ?? '', /^10\.9[6-9]\.|^10\.1[01]\d\./)
    if (spec.type === 'LoadBalancer') {
      const nodePort = svc.spec?.ports?.[0].nodePort ?? 0
      assert.ok(nodePort >= 30000 && nodePort <= 32767)
    }
  })
}

const ERRORS: Array<{name: string; args: string[]; stderr: string}> = [
  {
    name: 'duplicate name',
    args: ['create', 'service', 'clusterip', 'dup', '--tcp=80'],
    stderr: 'error: failed to create ClusterIP service: services "dup" already exists\n',
  },
  {
    name: 'nodePort out of range',
    args: ['create', 'service', 'nodeport', 'bad-np', '--tcp=80:8080', '--node-port=80'],
    stderr: 'error: failed to create NodePort service: Service "bad-np" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767\n',
  },
  {
    name: 'nodePort already allocated',
    args: ['create', 'service', 'nodeport', 'np-taken', '--tcp=81', '--node-port=30123'],
    stderr: 'error: failed to create NodePort service: Service "np-taken" is invalid: spec.ports[0].nodePort: Invalid value: 30123: provided port is already allocated\n',
  },
  {
    name: 'invalid name (server validation)',
    args: ['create', 'service', 'clusterip', 'Bad', '--tcp=80'],
    stderr:
      'error: failed to create ClusterIP service: Service "Bad" is invalid: metadata.name: Invalid value: "Bad": a DNS-1035 label must consist of lower case alphanumeric characters or \'-\', start with an alphabetic character, and end with an alphanumeric character (e.g. \'my-name\',  or \'abc-123\', regex used for validation is \'[a-z]([-a-z0-9]*[a-z0-9])?\')\n',
  },
  {
    name: 'invalid external name (kubectl validation)',
    args: ['create', 'service', 'externalname', 'bad-en', '--external-name=bad_name'],
    stderr: 'error: invalid service external name bad_name\n',
  },
]

test('kubectl create service error cases', async (t) => {
  const first = await c.kubectl(['create', 'service', 'clusterip', 'dup', '--tcp=80'])
  assert.equal(first.code, 0, first.stderr)
  // make sure 30123 is taken (by my-ns) even when this test runs first
  const taken = await c.kubectl(['create', 'service', 'nodeport', 'taker', '--tcp=82', '--node-port=30123'])
  assert.ok(taken.code === 0 || /already allocated/.test(taken.stderr))
  for (const e of ERRORS) {
    await t.test(e.name, async () => {
      const r = await c.kubectl(e.args)
      assert.equal(r.stdout, '')
      assert.equal(r.stderr, e.stderr)
      assert.equal(r.code, 1)
    })
  }
})

const APPLY_V1 = `apiVersion: v1
kind: Service
metadata:
  name: applied
  labels: {tier: web}
spec:
  selector: {app: applied}
  ports:
  - name: http
    port: 80
    targetPort: 8080
`

test('kubectl apply -f: create, change, apply again, unchanged', async () => {
  const file = c.file('applied.yaml', APPLY_V1)
  const r1 = await c.kubectl(['apply', '-f', file])
  assert.equal(r1.stderr, '')
  assert.equal(r1.code, 0)
  assert.equal(r1.stdout, 'service/applied created\n')
  const v1 = await json(['get', 'svc', 'applied'])
  const ip = v1.spec?.clusterIP

  c.file('applied.yaml', APPLY_V1.replace('targetPort: 8080', 'targetPort: 9090').replace('{tier: web}', '{tier: api}') + '  - name: https\n    port: 443\n')
  const r2 = await c.kubectl(['apply', '-f', file])
  assert.equal(r2.stderr, '')
  assert.equal(r2.code, 0)
  assert.equal(r2.stdout, 'service/applied configured\n')
  const v2 = await json(['get', 'svc', 'applied'])
  assert.equal(v2.spec?.clusterIP, ip, 'the allocated clusterIP survives the three-way merge')
  assert.deepEqual(v2.metadata.labels, {tier: 'api'})
  assert.deepEqual(v2.spec?.ports, [
    {name: 'http', port: 80, protocol: 'TCP', targetPort: 9090},
    {name: 'https', port: 443, protocol: 'TCP', targetPort: 443},
  ])

  const r3 = await c.kubectl(['apply', '-f', file])
  assert.equal(r3.code, 0)
  assert.equal(r3.stdout, 'service/applied unchanged\n')
})

test('kubectl apply -f with an unknown field: the server\'s strict field validation', async () => {
  const file = c.file('unknown.yaml', APPLY_V1.replace('name: applied', 'name: strict').replace('  selector:', '  selectr: {a: b}\n  selector:'))
  const r = await c.kubectl(['apply', '-f', file])
  assert.equal(r.code, 1)
  assert.equal(r.stdout, '')
  assert.match(r.stderr, /^Error from server \(BadRequest\): error when creating ".*unknown\.yaml": Service in version "v1" cannot be handled as a Service: strict decoding error: unknown field "spec\.selectr"\n$/)
})

test('kubectl expose deployment', async () => {
  const d = await c.kubectl(['create', 'deployment', 'web', '--image=nginx', '--port=8080', '--replicas=2'])
  assert.equal(d.stdout, 'deployment.apps/web created\n')
  assert.equal(d.code, 0)
  const r = await c.kubectl(['expose', 'deployment', 'web', '--port=80', '--target-port=8080'])
  assert.equal(r.stderr, '')
  assert.equal(r.code, 0)
  assert.equal(r.stdout, 'service/web exposed\n')
  const svc = await json(['get', 'svc', 'web'])
  assert.deepEqual(svc.spec?.selector, {app: 'web'})
  assert.deepEqual(svc.spec?.ports, [{port: 80, protocol: 'TCP', targetPort: 8080}])
  assert.deepEqual(svc.metadata.labels, {app: 'web'})
  // The endpoints follow the deployment's two ready pods.
  await eventually(async () => {
    const ep = await json<{subsets?: {addresses?: unknown[]}[]}>(['get', 'endpoints', 'web'])
    return ep.subsets?.[0]?.addresses?.length === 2
  }, 'two endpoints for web')
  const again = await c.kubectl(['expose', 'deployment', 'web', '--port=80'])
  assert.equal(again.code, 1)
  assert.equal(again.stderr, 'Error from server (AlreadyExists): services "web" already exists\n')
})

test('kubectl delete svc', async () => {
  const made = await c.kubectl(['create', 'service', 'clusterip', 'gone', '--tcp=80'])
  assert.equal(made.code, 0)
  const r = await c.kubectl(['delete', 'svc', 'gone'])
  assert.equal(r.stderr, '')
  assert.equal(r.code, 0)
  assert.equal(r.stdout, 'service "gone" deleted from default namespace\n')
  const again = await c.kubectl(['delete', 'svc', 'gone'])
  assert.equal(again.code, 1)
  assert.equal(again.stdout, '')
  assert.equal(again.stderr, 'Error from server (NotFound): services "gone" not found\n')
  const ep = await c.kubectl(['get', 'endpoints', 'gone'])
  assert.equal(ep.code, 1, 'the Endpoints object goes with the Service')
})

test('kubectl create namespace and create ingress: their protobuf bodies', async () => {
  const ns = await c.kubectl(['create', 'namespace', 'written'])
  assert.equal(ns.stderr, '')
  assert.equal(ns.stdout, 'namespace/written created\n')
  assert.equal(ns.code, 0)
  const r = await c.kubectl(['-n', 'written', 'create', 'ingress', 'front', '--rule=foo.com/bar=web:80', '--rule=bar.com/x*=api:http,tls=sec', '--class=nginx'])
  assert.equal(r.stderr, '')
  assert.equal(r.stdout, 'ingress.networking.k8s.io/front created\n')
  assert.equal(r.code, 0)
  const ing = await json<{spec: unknown}>(['-n', 'written', 'get', 'ingress', 'front'])
  assert.deepEqual(ing.spec, {
    ingressClassName: 'nginx',
    tls: [{hosts: ['bar.com'], secretName: 'sec'}],
    rules: [
      {host: 'foo.com', http: {paths: [{path: '/bar', pathType: 'Exact', backend: {service: {name: 'web', port: {number: 80}}}}]}},
      {host: 'bar.com', http: {paths: [{path: '/x', pathType: 'Prefix', backend: {service: {name: 'api', port: {name: 'http'}}}}]}},
    ],
  })
})
