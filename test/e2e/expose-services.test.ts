// svc expose through the built binary against the local cluster: pods, deployments, replica sets,
// services; derived selectors, ports and protocols; multi-port naming; dry runs; every error.

import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'

import {KubeConfig} from '@kubernetes/client-node'

import {KubeClient} from '../../src/kube/client.ts'
import type {ContainerPort, LabelSelector, ServicePort} from '../../src/kube/types.ts'
import {type LocalCluster, startCluster} from '../cluster/index.ts'
import {runSvc} from '../helpers/run-svc.ts'

let cluster: LocalCluster
let dir: string
let env: Record<string, string>
let client: KubeClient

const deployment = (name: string, selector: LabelSelector, ports: ContainerPort[], labels: Record<string, string> = {app: name}) => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: {labels, name},
  spec: {replicas: 1, selector, template: {metadata: {labels: {app: name, tier: 'a'}}, spec: {containers: [{image: 'x', name: 'c', ports}]}}},
})

before(async () => {
  cluster = await startCluster()
  dir = mkdtempSync(path.join(tmpdir(), 'svc-expose-'))
  const kubeconfig = path.join(dir, 'kubeconfig')
  cluster.writeKubeconfig(kubeconfig)
  env = {KUBECONFIG: kubeconfig}
  const kc = new KubeConfig()
  kc.loadFromString(cluster.kubeconfig())
  client = new KubeClient(kc)
  const post = (p: string, body: unknown) => client.request({body, method: 'POST', path: p})
  await post('/apis/apps/v1/namespaces/default/deployments', deployment('web', {matchLabels: {app: 'web'}},
    [{containerPort: 8080, name: 'http'}, {containerPort: 53, protocol: 'UDP'}, {containerPort: 53, protocol: 'TCP'}], {app: 'web', team: 'a'}))
  await post('/apis/apps/v1/namespaces/default/deployments', deployment('expr', {matchExpressions: [{key: 'tier', operator: 'In', values: ['a', 'b']}], matchLabels: {app: 'expr'}}, [{containerPort: 80}]))
  await post('/apis/apps/v1/namespaces/default/deployments', deployment('onlyexpr', {matchExpressions: [{key: 'tier', operator: 'Exists'}]}, [{containerPort: 80}]))
  await post('/api/v1/namespaces/default/pods', {apiVersion: 'v1', kind: 'Pod', metadata: {labels: {run: 'solo'}, name: 'solo'}, spec: {containers: [{image: 'x', name: 'c', ports: [{containerPort: 9000}]}]}})
  await post('/api/v1/namespaces/default/pods', {apiVersion: 'v1', kind: 'Pod', metadata: {name: 'nolabels'}, spec: {containers: [{image: 'x', name: 'c'}]}})
  await post('/api/v1/namespaces/default/pods', {apiVersion: 'v1', kind: 'Pod', metadata: {labels: {run: 'noports'}, name: 'noports'}, spec: {containers: [{image: 'x', name: 'c'}]}})
  await post('/api/v1/namespaces/default/services', {apiVersion: 'v1', kind: 'Service', metadata: {name: 'multi'},
    spec: {ports: [{name: 'a', port: 80}, {name: 'b', port: 8080, protocol: 'UDP'}, {name: 'c', port: 8081, protocol: 'UDP'}, {name: 'd', port: 8082, protocol: 'SCTP'}], selector: {app: 'multi'}}})
  await post('/api/v1/namespaces/default/services', {apiVersion: 'v1', kind: 'Service', metadata: {name: 'noselector'}, spec: {ports: [{port: 80}]}})
})

after(async () => {
  await cluster?.stop()
  if (dir) rmSync(dir, {force: true, recursive: true})
})

const svc = (args: string[]) => runSvc(args, {env})
const ok = (stdout: string) => ({code: 0, signal: null, stderr: '', stdout})
const fail = (stderr: string) => ({code: 1, signal: null, stderr, stdout: ''})

describe('svc expose: derived services', () => {
  it('deployment: selector from matchLabels, labels from the deployment, every port with its protocol', async () => {
    assert.deepEqual(await svc(['expose', 'deployment', 'web']), ok('service/web exposed\n'))
    const s = cluster.getObject('services', 'default', 'web')
    assert.deepEqual(s.spec.selector, {app: 'web'})
    assert.deepEqual(s.metadata.labels, {app: 'web', team: 'a'})
    assert.deepEqual((s.spec.ports as ServicePort[]).map(p => `${p.name} ${p.port}/${p.protocol}->${p.targetPort}`), ['port-1 8080/TCP->8080', 'port-2-udp 53/UDP->53', 'port-2-tcp 53/TCP->53'])
    assert.equal(s.metadata.managedFields[0].manager, 'kubectl-expose')
  })

  it('TYPE/NAME, --port 53 on a TCP+UDP port, client dry run YAML (kubectl 1.35)', async () => {
    assert.deepEqual(await svc(['expose', 'deploy/web', '--name=dns', '--port=53', '--dry-run=client', '-o', 'yaml']), ok(
      'apiVersion: v1\nkind: Service\nmetadata:\n  labels:\n    app: web\n    team: a\n  name: dns\nspec:\n  ports:\n  - name: port-1-udp\n    port: 53\n    protocol: UDP\n    targetPort: 53\n  - name: port-1-tcp\n    port: 53\n    protocol: TCP\n    targetPort: 53\n  selector:\n    app: web\nstatus:\n  loadBalancer: {}\n'))
  })

  it('pod with flags: name, target port, type, node port, affinity; -o json is typed', async () => {
    const r = await svc(['expose', 'pod', 'solo', '--name=solo-np', '--port=80', '--target-port=9000', '--type=NodePort', '--node-port=30111', '--session-affinity=ClientIP', '--session-affinity-timeout=300', '-o', 'json'])
    assert.equal(r.code, 0, r.stderr)
    const out = JSON.parse(r.stdout)
    assert.deepEqual(Object.keys(out), ['kind', 'apiVersion', 'metadata', 'spec', 'status'])
    assert.deepEqual(out.spec.ports, [{nodePort: 30111, port: 80, protocol: 'TCP', targetPort: 9000}].map(p => ({protocol: p.protocol, port: p.port, targetPort: p.targetPort, nodePort: p.nodePort})))
    assert.deepEqual(out.spec.sessionAffinityConfig, {clientIP: {timeoutSeconds: 300}})
    assert.deepEqual(out.spec.selector, {run: 'solo'})
  })

  it('a service with four ports and three protocols (kubectl test case)', async () => {
    assert.deepEqual(await svc(['expose', 'svc', 'multi', '--name=multi2', '--dry-run=server', '-o', 'name']), ok('service/multi2\n'))
    const r = await svc(['expose', 'service/multi', '--name=multi2', '--dry-run=client', '-o', 'json'])
    assert.deepEqual(JSON.parse(r.stdout).spec.ports, [
      {name: 'port-1', protocol: 'TCP', port: 80, targetPort: 80}, {name: 'port-2', protocol: 'UDP', port: 8080, targetPort: 8080},
      {name: 'port-3', protocol: 'UDP', port: 8081, targetPort: 8081}, {name: 'port-4', protocol: 'SCTP', port: 8082, targetPort: 8082},
    ])
  })

  it('headless without ports, dry-run messages, -n in the client object, overrides', async () => {
    assert.deepEqual(await svc(['expose', 'pod', 'noports', '--cluster-ip=None', '--dry-run=client']), ok('service/noports exposed (dry run)\n'))
    assert.deepEqual(await svc(['expose', 'pod', 'noports', '--cluster-ip=None', '--dry-run=server']), ok('service/noports exposed (server dry run)\n'))
    assert.equal(cluster.getObject('services', 'default', 'noports'), undefined)
    const r = await svc(['expose', 'pod', 'solo', '--port=80', '--dry-run=client', '-o', 'yaml', '-n', 'default', '--overrides={"spec":{"type":"LoadBalancer"}}'])
    assert.match(r.stdout, /\n {2}name: solo\n {2}namespace: default\nspec:\n/)
    assert.match(r.stdout, /\n {2}type: LoadBalancer\n/)
  })

  it('replicaset, and --save-config', async () => {
    await client.request({method: 'POST', path: '/apis/apps/v1/namespaces/default/replicasets',
      body: {...deployment('rs1', {matchLabels: {app: 'rs1'}}, [{containerPort: 5000}]), kind: 'ReplicaSet'}})
    assert.deepEqual(await svc(['expose', 'rs', 'rs1', '--save-config']), ok('service/rs1 exposed\n'))
    const s = cluster.getObject('services', 'default', 'rs1')
    assert.deepEqual(s.spec.selector, {app: 'rs1'})
    assert.equal(s.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'],
      '{"kind":"Service","apiVersion":"v1","metadata":{"name":"rs1","labels":{"app":"rs1"}},"spec":{"ports":[{"protocol":"TCP","port":5000,"targetPort":5000}],"selector":{"app":"rs1"}},"status":{"loadBalancer":{}}}\n')
  })

  it('-f identifies the resource from a file', async () => {
    const file = path.join(dir, 'pod.yaml')
    writeFileSync(file, 'apiVersion: v1\nkind: Pod\nmetadata: {name: filepod, labels: {app: f}}\nspec: {containers: [{name: c, image: x, ports: [{containerPort: 7000}]}]}\n')
    assert.deepEqual(await svc(['expose', '-f', file, '--dry-run=client']), ok('service/filepod exposed (dry run)\n'))
    const r = await runSvc(['expose', '-f', '-', '--dry-run=client', '-o', 'name'], {env, input: 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: fromstdin}\nspec: {selector: {matchLabels: {app: s}}, template: {spec: {containers: [{name: c, ports: [{containerPort: 80}]}]}}}\n'})
    assert.deepEqual(r, ok('service/fromstdin\n'))
  })
})

describe('svc expose: errors (kubectl\'s texts)', () => {
  const cases: Array<[string, string[], string]> = [
    ['missing object', ['expose', 'deployment', 'nope'], 'Error from server (NotFound): deployments.apps "nope" not found\n'],
    ['a missing object of a kind that cannot be exposed', ['expose', 'ingress', 'nope'], 'Error from server (NotFound): ingresses.networking.k8s.io "nope" not found\n'],
    ['a kind the server does not serve', ['expose', 'statefulset', 'x'], 'error: the server doesn\'t have a resource type "statefulset"\n'],
    ['a resource the server does not serve', ['expose', 'rc', 'x'], 'error: the server doesn\'t have a resource type "rc"\n'],
    ['no name', ['expose', 'deployment'], 'error: resource(s) were provided, but no name was specified\n'],
    ['matchExpressions', ['expose', 'deployment', 'expr'], 'error: couldn\'t retrieve selectors via --selector flag or introspection: couldn\'t convert expressions - "[{Key:tier Operator:In Values:[a b]}]" to map-based selector format\n'],
    ['only matchExpressions', ['expose', 'deployment', 'onlyexpr'], 'error: couldn\'t retrieve selectors via --selector flag or introspection: invalid deployment: no selectors, therefore cannot be exposed\n'],
    ['pod without labels', ['expose', 'pod', 'nolabels'], 'error: couldn\'t retrieve selectors via --selector flag or introspection: the pod has no labels and cannot be exposed\n'],
    ['service without selector', ['expose', 'svc', 'noselector'], 'error: couldn\'t retrieve selectors via --selector flag or introspection: the service has no pod selector set\n'],
    ['no ports', ['expose', 'pod', 'noports'], 'error: couldn\'t find port via --port flag or introspection\n'],
    ['bad port', ['expose', 'pod', 'solo', '--port=abc'], 'error: strconv.Atoi: parsing "abc": invalid syntax\n'],
    ['bad affinity', ['expose', 'pod', 'solo', '--session-affinity=x'], 'error: unknown session affinity: x\n'],
    ['bad selector', ['expose', 'pod', 'solo', '--selector=a==b'], 'error: unexpected label spec: a==b\n'],
    ['bad override type', ['expose', 'pod', 'solo', '--overrides={}', '--override-type=x', '--dry-run=client'], 'error: invalid override type: x\n'],
    ['already exists', ['expose', 'deployment', 'web'], 'Error from server (AlreadyExists): services "web" already exists\n'],
    ['svc: node port without a node port type', ['expose', 'pod', 'solo', '--node-port=30001'], 'error: --node-port needs a service that has node ports: add --type=NodePort or --type=LoadBalancer\n'],
  ]
  for (const [title, args, stderr] of cases) it(title, async () => assert.deepEqual(await svc(args), fail(stderr)))
})
