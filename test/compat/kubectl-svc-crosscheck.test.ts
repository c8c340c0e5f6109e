// The cross-check: for the same objects in the same local cluster, svc prints what kubectl 1.35
// prints. `svc get` (default, -o wide) against `kubectl get svc`, `svc describe --compat` against
// `kubectl describe svc` for every Service type, and `svc create ... --dry-run=client -o yaml`
// against `kubectl create service ... --dry-run=client -o yaml`.

import {after, before, test} from 'node:test'
import assert from 'node:assert/strict'

import type {EndpointSlice} from '../../src/kube/types.ts'
import {runSvc} from '../helpers/run-svc.ts'
import {eventually, normalizeAges, startCompat, type Compat} from './helpers.ts'

let c: Compat

const MANIFESTS = `
apiVersion: v1
kind: Pod
metadata: {name: web-0, labels: {app: web}}
spec: {containers: [{name: c, image: nginx, ports: [{containerPort: 8080, name: http}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, labels: {app: web}, annotations: {sim.svc.local/ready: "false"}}
spec: {containers: [{name: c, image: nginx, ports: [{containerPort: 8080, name: http}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: cs, labels: {app: web, team: edge}, annotations: {example.com/owner: me}}
spec: {clusterIP: 10.96.110.10, selector: {app: web}, ports: [{port: 80, targetPort: http}]}
---
apiVersion: v1
kind: Service
metadata: {name: np}
spec: {type: NodePort, clusterIP: 10.96.110.11, selector: {app: web}, externalIPs: [198.51.100.7], ports: [{name: http, port: 80, targetPort: 8080, nodePort: 30180}, {name: dns, port: 53, protocol: UDP, nodePort: 30153}]}
---
apiVersion: v1
kind: Service
metadata: {name: lb}
spec: {type: LoadBalancer, clusterIP: 10.96.110.12, selector: {app: web}, sessionAffinity: ClientIP, ports: [{port: 443, targetPort: 8443, nodePort: 31443}]}
---
apiVersion: v1
kind: Service
metadata: {name: en}
spec: {type: ExternalName, externalName: db.example.com}
---
apiVersion: v1
kind: Service
metadata: {name: hl}
spec: {clusterIP: None, selector: {app: web}, ports: [{port: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: manual}
spec: {clusterIP: 10.96.110.13, ports: [{port: 5432}]}
`

before(async () => {
  c = await startCompat()
  const r = await c.kubectl(['apply', '-f', c.file('x.yaml', MANIFESTS)])
  assert.equal(r.code, 0, r.stderr)
  // A LoadBalancer with long ingress names, as a cloud controller would report them.
  const status = await c.kubectl([
    'patch', 'svc', 'lb', '--subresource=status', '--type=merge',
    '-p', '{"status":{"loadBalancer":{"ingress":[{"hostname":"a1b2c3d4e5f6-1234567890.eu-west-1.elb.example.com"},{"ip":"203.0.113.10","ipMode":"VIP"}]}}}',
  ])
  assert.equal(status.code, 0, status.stderr)
  await eventually(async () => {
    const ep = await c.kubectl(['get', 'endpointslices', '-o', 'json'])
    const slices = (JSON.parse(ep.stdout) as {items: EndpointSlice[]}).items
    const cs = slices.find((s) => s.metadata.labels?.['kubernetes.io/service-name'] === 'cs')
    return cs?.endpoints?.length === 2
  }, 'endpoint slices for cs')
})
after(() => c?.stop())

function svc(args: string[]) {
  return runSvc(args, {env: {KUBECONFIG: c.kubeconfig}})
}

for (const args of [[], ['-o', 'wide'], ['cs', 'lb', 'en'], ['--show-labels'], ['-A']]) {
  test(`svc get svc ${args.join(' ')} = kubectl get svc ${args.join(' ')}`, async () => {
    const [mine, theirs] = await Promise.all([svc(['get', 'svc', ...args]), c.kubectl(['get', 'svc', ...args])])
    assert.equal(theirs.code, 0, theirs.stderr)
    assert.equal(mine.stderr, theirs.stderr)
    assert.equal(normalizeAges(mine.stdout), normalizeAges(theirs.stdout))
    assert.equal(mine.code, theirs.code)
  })
}

test('svc get svc missing = kubectl get svc missing', async () => {
  const [mine, theirs] = await Promise.all([svc(['get', 'svc', 'cs', 'nosuch']), c.kubectl(['get', 'svc', 'cs', 'nosuch'])])
  assert.equal(normalizeAges(mine.stdout), normalizeAges(theirs.stdout))
  assert.equal(mine.stderr, theirs.stderr)
  assert.equal(mine.code, theirs.code)
})

for (const name of ['cs', 'np', 'lb', 'en', 'hl', 'manual']) {
  test(`svc describe svc ${name} --compat = kubectl describe svc ${name}`, async () => {
    const [mine, theirs] = await Promise.all([svc(['describe', 'svc', name, '--compat']), c.kubectl(['describe', 'svc', name])])
    assert.equal(theirs.code, 0, theirs.stderr)
    assert.equal(mine.stderr, theirs.stderr)
    assert.equal(normalizeAges(mine.stdout), normalizeAges(theirs.stdout))
    assert.equal(mine.code, 0)
  })
}

const CREATE = [
  ['clusterip', 'my-cs', '--tcp=5678:8080'],
  ['clusterip', 'my-hl', '--clusterip=None'],
  ['clusterip', 'two', '--tcp=80,443:8443'],
  ['nodeport', 'my-ns', '--tcp=80:8080', '--node-port=30080'],
  ['loadbalancer', 'my-lbs', '--tcp=5678:8080'],
  ['externalname', 'my-en', '--external-name=bar.com', '--tcp=80'],
]
for (const args of CREATE) {
  for (const output of ['yaml', 'json']) {
    test(`svc create ${args.join(' ')} --dry-run=client -o ${output} = kubectl's`, async () => {
      const tail = ['--dry-run=client', '-o', output]
      const [mine, theirs] = await Promise.all([svc(['create', ...args, ...tail]), c.kubectl(['create', 'service', ...args, ...tail])])
      assert.equal(theirs.code, 0, theirs.stderr)
      assert.equal(mine.stderr, theirs.stderr)
      assert.equal(mine.stdout, theirs.stdout)
      assert.equal(mine.code, 0)
    })
  }
}
