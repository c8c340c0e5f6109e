// Real kubectl 1.35 reading the local cluster: `get` (default, -o wide, -o yaml) over services,
// pods, deployments, endpoints and endpointslices, and `describe svc` for every Service type.
// What kubectl prints depends on the cluster's server-side Tables and objects; the layout is
// kubectl's own. Cluster IPs and node ports are fixed in the manifests; pod IPs and generated
// names are read back from the server.

import {after, before, test} from 'node:test'
import assert from 'node:assert/strict'
import yaml from 'js-yaml'

import type {EndpointSlice, KubeObject, Pod, Service} from '../../src/kube/types.ts'
import {eventually, normalizeAges, runKubectl, startCompat, table, type Compat} from './helpers.ts'

let c: Compat

const MANIFESTS = `
apiVersion: v1
kind: Pod
metadata: {name: web-0, labels: {app: web}}
spec: {containers: [{name: c, image: nginx, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, labels: {app: web}}
spec: {containers: [{name: c, image: nginx, ports: [{containerPort: 8080}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, labels: {app: api}}
spec:
  replicas: 1
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: api, image: example/api:1.0, ports: [{containerPort: 9090}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: cs, labels: {app: web}}
spec: {clusterIP: 10.96.100.10, selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: np, labels: {app: web, team: edge}}
spec: {type: NodePort, clusterIP: 10.96.100.11, selector: {app: web}, ports: [{name: http, port: 80, targetPort: 8080, nodePort: 30080}, {name: https, port: 443, targetPort: 8443, nodePort: 30443}]}
---
apiVersion: v1
kind: Service
metadata: {name: lb}
spec: {type: LoadBalancer, clusterIP: 10.96.100.12, selector: {app: api}, ports: [{port: 9090, nodePort: 31090}]}
---
apiVersion: v1
kind: Service
metadata: {name: en}
spec: {type: ExternalName, externalName: bar.example.com}
---
apiVersion: v1
kind: Service
metadata: {name: hl}
spec: {clusterIP: None, selector: {app: web}, ports: [{port: 8080}]}
`

/** v1 Endpoints, as far as the tables below read them. */
interface Endpoints extends KubeObject {
  subsets?: {addresses?: {ip: string}[]; ports?: {port: number}[]}[]
}

let pods: Pod[]
let endpoints: Endpoints[]
let slices: EndpointSlice[]

before(async () => {
  c = await startCompat()
  const applied = await c.kubectl(['apply', '-f', c.file('all.yaml', MANIFESTS)])
  assert.equal(applied.stderr, '')
  assert.equal(applied.code, 0)
  assert.equal(
    applied.stdout,
    'pod/web-0 created\npod/web-1 created\ndeployment.apps/api created\nservice/cs created\nservice/np created\nservice/lb created\nservice/en created\nservice/hl created\n',
  )
  // Wait for the simulation: three running pods and endpoints for cs, hl and lb.
  await eventually(async () => {
    const r = await c.kubectl(['get', 'pods,endpoints,endpointslices', '-o', 'json'])
    const items: KubeObject[] = (JSON.parse(r.stdout) as {items: KubeObject[]}).items
    pods = items.filter((i): i is Pod => i.kind === 'Pod')
    endpoints = items.filter((i): i is Endpoints => i.kind === 'Endpoints')
    slices = items.filter((i): i is EndpointSlice => i.kind === 'EndpointSlice')
    const running = pods.filter((p) => p.status?.phase === 'Running' && p.status?.podIP).length === 3
    const epReady = ['cs', 'hl', 'lb', 'np'].every((n) => endpoints.find((e) => e.metadata.name === n)?.subsets?.[0]?.addresses?.length)
    return running && epReady
  }, 'pods and endpoints')
})

after(() => c?.stop())

const ENDPOINTS_WARNING = 'Warning: v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice\n'

function podIP(name: string): string {
  return pods.find((p) => p.metadata.name === name)!.status!.podIP!
}
function apiPod(): Pod {
  return pods.find((p) => p.metadata.name.startsWith('api-'))!
}
function sliceOf(service: string): EndpointSlice {
  return slices.find((s) => s.metadata.labels?.['kubernetes.io/service-name'] === service)!
}
function epCell(name: string): string {
  const ep = endpoints.find((e) => e.metadata.name === name)!
  if (!ep.subsets?.length) return '<none>'
  const list: string[] = []
  for (const ss of ep.subsets) for (const p of ss.ports ?? []) for (const a of ss.addresses ?? []) list.push(`${a.ip}:${p.port}`)
  return list.slice(0, 3).join(',') + (list.length > 3 ? ` + ${list.length - 3} more...` : '')
}
function sliceCells(service: string): string[] {
  const s = sliceOf(service)
  const ports = (s.ports ?? []).map((p) => String(p.port))
  const addrs = (s.endpoints ?? []).flatMap((e) => e.addresses)
  return [`endpointslice.discovery.k8s.io/${s.metadata.name}`, 'IPv4', ports.join(',') || '<unset>', addrs.join(',') || '<unset>', '0s']
}

function expectedGet(wide: boolean): string {
  const w = (row: string[], extra: string[]) => (wide ? [...row, ...extra] : row)
  const api = apiPod()
  const services = table([
    w(['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'], ['SELECTOR']),
    w(['service/cs', 'ClusterIP', '10.96.100.10', '<none>', '80/TCP', '0s'], ['app=web']),
    w(['service/en', 'ExternalName', '<none>', 'bar.example.com', '<none>', '0s'], ['<none>']),
    w(['service/hl', 'ClusterIP', 'None', '<none>', '8080/TCP', '0s'], ['app=web']),
    w(['service/kubernetes', 'ClusterIP', '10.96.0.1', '<none>', '443/TCP', '0s'], ['<none>']),
    w(['service/lb', 'LoadBalancer', '10.96.100.12', '<pending>', '9090:31090/TCP', '0s'], ['app=api']),
    w(['service/np', 'NodePort', '10.96.100.11', '<none>', '80:30080/TCP,443:30443/TCP', '0s'], ['app=web']),
  ])
  const podRows = [api.metadata.name, 'web-0', 'web-1'].map((n) => w([`pod/${n}`, '1/1', 'Running', '0', '0s'], [podIP(n), 'local-node', '<none>', '<none>']))
  const podTable = table([w(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'], ['IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']), ...podRows])
  const deploy = table([
    w(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'], ['CONTAINERS', 'IMAGES', 'SELECTOR']),
    w(['deployment.apps/api', '1/1', '1', '1', '0s'], ['api', 'example/api:1.0', 'app=api']),
  ])
  const eps = table([
    ['NAME', 'ENDPOINTS', 'AGE'],
    ...['cs', 'hl', 'kubernetes', 'lb', 'np'].map((n) => [`endpoints/${n}`, n === 'kubernetes' ? '172.18.0.2:6443' : epCell(n), '0s']),
  ])
  const sliceRows = [...slices].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1)).map((s) => sliceCells(s.metadata.labels!['kubernetes.io/service-name']))
  const sliceTable = table([['NAME', 'ADDRESSTYPE', 'PORTS', 'ENDPOINTS', 'AGE'], ...sliceRows])
  return [services, podTable, deploy, eps, sliceTable].join('\n')
}

test('kubectl get svc,pods,deploy,endpoints,endpointslices', async () => {
  const r = await c.kubectl(['get', 'svc,pods,deploy,endpoints,endpointslices'])
  assert.equal(r.stderr, ENDPOINTS_WARNING)
  assert.equal(r.code, 0)
  assert.equal(normalizeAges(r.stdout), normalizeAges(expectedGet(false)))
})

test('kubectl get svc,pods,deploy,endpoints,endpointslices -o wide', async () => {
  const r = await c.kubectl(['get', 'svc,pods,deploy,endpoints,endpointslices', '-o', 'wide'])
  assert.equal(r.stderr, ENDPOINTS_WARNING)
  assert.equal(r.code, 0)
  assert.equal(normalizeAges(r.stdout), normalizeAges(expectedGet(true)))
})

test('kubectl get --sort-by: each Table row\'s object (includeObject=Object) carries its kind, as kubectl needs', async () => {
  for (const args of [['svc'], ['svc', '-o', 'wide'], ['pods'], ['deploy', '-A']]) {
    const [sorted, plain] = await Promise.all([c.kubectl(['get', ...args, '--sort-by=.metadata.name']), c.kubectl(['get', ...args])])
    assert.equal(sorted.stderr, '', args.join(' '))
    assert.equal(sorted.code, 0)
    assert.equal(normalizeAges(sorted.stdout), normalizeAges(plain.stdout), args.join(' '))
  }
})

test('kubectl get svc -o yaml: a v1 List of the stored objects', async () => {
  const r = await c.kubectl(['get', 'svc', 'cs', 'np', '-o', 'yaml'])
  assert.equal(r.stderr, '')
  assert.equal(r.code, 0)
  const doc = yaml.load(r.stdout) as KubeObject & {items: Service[]}
  assert.equal(doc.apiVersion, 'v1')
  assert.equal(doc.kind, 'List')
  assert.deepEqual(doc.metadata, {resourceVersion: ''})
  assert.deepEqual(doc.items.map((i) => [i.kind, i.apiVersion, i.metadata.name]), [['Service', 'v1', 'cs'], ['Service', 'v1', 'np']])
  const np = doc.items[1]
  assert.deepEqual(np.spec, {
    clusterIP: '10.96.100.11',
    clusterIPs: ['10.96.100.11'],
    externalTrafficPolicy: 'Cluster',
    internalTrafficPolicy: 'Cluster',
    ipFamilies: ['IPv4'],
    ipFamilyPolicy: 'SingleStack',
    ports: [
      {name: 'http', nodePort: 30080, port: 80, protocol: 'TCP', targetPort: 8080},
      {name: 'https', nodePort: 30443, port: 443, protocol: 'TCP', targetPort: 8443},
    ],
    selector: {app: 'web'},
    sessionAffinity: 'None',
    type: 'NodePort',
  })
  assert.deepEqual(np.status, {loadBalancer: {}})
  // kubectl apply's annotation is kept; keys are sorted as kubectl's YAML printer sorts them.
  assert.ok(np.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'])
  assert.ok(r.stdout.startsWith('apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata:\n    annotations:\n'))
})

test('kubectl get pods web-0 -o yaml: status as the kubelet reports it', async () => {
  const r = await c.kubectl(['get', 'pod', 'web-0', '-o', 'yaml'])
  assert.equal(r.code, 0)
  const pod = yaml.load(r.stdout) as Pod
  assert.equal(pod.kind, 'Pod')
  assert.equal(pod.status?.phase, 'Running')
  assert.equal(pod.status?.podIP, podIP('web-0'))
  assert.deepEqual(pod.status?.podIPs, [{ip: podIP('web-0')}])
  assert.equal(pod.spec?.nodeName, 'local-node')
})

function describeClusterIP(): string {
  return [
    'Name:                     cs',
    'Namespace:                default',
    'Labels:                   app=web',
    'Annotations:              <none>',
    'Selector:                 app=web',
    'Type:                     ClusterIP',
    'IP Family Policy:         SingleStack',
    'IP Families:              IPv4',
    'IP:                       10.96.100.10',
    'IPs:                      10.96.100.10',
    'Port:                     <unset>  80/TCP',
    'TargetPort:               8080/TCP',
    `Endpoints:                ${[podIP('web-0'), podIP('web-1')].sort(ipOrder).map((ip) => `${ip}:8080`).join(',')}`,
    'Session Affinity:         None',
    'Internal Traffic Policy:  Cluster',
    'Events:                   <none>',
    '',
  ].join('\n')
}

function ipOrder(a: string, b: string): number {
  const n = (ip: string) => ip.split('.').reduce((acc, x) => acc * 256 + Number(x), 0)
  return n(a) - n(b)
}

test('kubectl describe svc (ClusterIP)', async () => {
  const r = await c.kubectl(['describe', 'svc', 'cs'])
  assert.equal(r.stderr, '')
  assert.equal(r.code, 0)
  assert.equal(r.stdout, describeClusterIP())
})

test('kubectl describe svc (NodePort, two named ports, two labels)', async () => {
  const r = await c.kubectl(['describe', 'svc', 'np'])
  assert.equal(r.code, 0)
  const web = [podIP('web-0'), podIP('web-1')].sort(ipOrder)
  assert.equal(
    r.stdout,
    [
      'Name:                     np',
      'Namespace:                default',
      'Labels:                   app=web',
      '                          team=edge',
      'Annotations:              <none>',
      'Selector:                 app=web',
      'Type:                     NodePort',
      'IP Family Policy:         SingleStack',
      'IP Families:              IPv4',
      'IP:                       10.96.100.11',
      'IPs:                      10.96.100.11',
      'Port:                     http  80/TCP',
      'TargetPort:               8080/TCP',
      'NodePort:                 http  30080/TCP',
      `Endpoints:                ${web.map((ip) => `${ip}:8080`).join(',')}`,
      'Port:                     https  443/TCP',
      'TargetPort:               8443/TCP',
      'NodePort:                 https  30443/TCP',
      `Endpoints:                ${web.map((ip) => `${ip}:8443`).join(',')}`,
      'Session Affinity:         None',
      'External Traffic Policy:  Cluster',
      'Internal Traffic Policy:  Cluster',
      'Events:                   <none>',
      '',
    ].join('\n'),
  )
})

test('kubectl describe svc (LoadBalancer, pending)', async () => {
  const r = await c.kubectl(['describe', 'svc', 'lb'])
  assert.equal(r.code, 0)
  assert.equal(
    r.stdout,
    [
      'Name:                     lb',
      'Namespace:                default',
      'Labels:                   <none>',
      'Annotations:              <none>',
      'Selector:                 app=api',
      'Type:                     LoadBalancer',
      'IP Family Policy:         SingleStack',
      'IP Families:              IPv4',
      'IP:                       10.96.100.12',
      'IPs:                      10.96.100.12',
      'Port:                     <unset>  9090/TCP',
      'TargetPort:               9090/TCP',
      'NodePort:                 <unset>  31090/TCP',
      `Endpoints:                ${apiPod().status?.podIP}:9090`,
      'Session Affinity:         None',
      'External Traffic Policy:  Cluster',
      'Internal Traffic Policy:  Cluster',
      'Events:                   <none>',
      '',
    ].join('\n'),
  )
})

test('kubectl describe svc (ExternalName)', async () => {
  const r = await c.kubectl(['describe', 'svc', 'en'])
  assert.equal(r.code, 0)
  assert.equal(
    r.stdout,
    [
      'Name:              en',
      'Namespace:         default',
      'Labels:            <none>',
      'Annotations:       <none>',
      'Selector:          <none>',
      'Type:              ExternalName',
      'IP Families:       <none>',
      'IP:                ',
      'IPs:               <none>',
      'External Name:     bar.example.com',
      'Session Affinity:  None',
      'Events:            <none>',
      '',
    ].join('\n'),
  )
})

test('kubectl describe svc (headless)', async () => {
  const r = await c.kubectl(['describe', 'svc', 'hl'])
  assert.equal(r.code, 0)
  const web = [podIP('web-0'), podIP('web-1')].sort(ipOrder)
  assert.equal(
    r.stdout,
    [
      'Name:                     hl',
      'Namespace:                default',
      'Labels:                   <none>',
      'Annotations:              <none>',
      'Selector:                 app=web',
      'Type:                     ClusterIP',
      'IP Family Policy:         SingleStack',
      'IP Families:              IPv4',
      'IP:                       None',
      'IPs:                      None',
      'Port:                     <unset>  8080/TCP',
      'TargetPort:               8080/TCP',
      `Endpoints:                ${web.map((ip) => `${ip}:8080`).join(',')}`,
      'Session Affinity:         None',
      'Internal Traffic Policy:  Cluster',
      'Events:                   <none>',
      '',
    ].join('\n'),
  )
})

test('kubectl get svc missing: NotFound, exit 1', async () => {
  const r = await c.kubectl(['get', 'svc', 'nosuch'])
  assert.equal(r.code, 1)
  assert.equal(r.stdout, '')
  assert.equal(r.stderr, 'Error from server (NotFound): services "nosuch" not found\n')
})

test('kubectl get in an empty namespace: "No resources found"', async () => {
  const r = await c.kubectl(['get', 'svc', '-n', 'kube-public'])
  assert.equal(r.code, 0)
  assert.equal(r.stdout, '')
  assert.equal(r.stderr, 'No resources found in kube-public namespace.\n')
})

test('kubectl get svc -w: the list, then one Table row per watch event', async (t) => {
  const w = runKubectl(c, ['get', 'svc', '-w', '-o', 'wide'])
  t.after(() => w.stop())
  await w.waitFor(/^NAME +TYPE +CLUSTER-IP +EXTERNAL-IP +PORT\(S\) +AGE +SELECTOR\ncs +ClusterIP +10\.96\.100\.10 +<none> +80\/TCP +\d+s +app=web\n(.*\n){4}np .*\n/)
  const made = await c.kubectl(['apply', '-f', c.file('watched.yaml', 'apiVersion: v1\nkind: Service\nmetadata: {name: watched}\nspec: {clusterIP: 10.96.100.99, ports: [{port: 81}]}\n')])
  assert.equal(made.code, 0, made.stderr)
  await w.waitFor(/\nwatched +ClusterIP +10\.96\.100\.99 +<none> +81\/TCP +\d+s +<none>\n$/)
  const gone = await c.kubectl(['delete', 'svc', 'watched'])
  assert.equal(gone.code, 0)
  await w.waitFor(/\nwatched .*\nwatched +ClusterIP +10\.96\.100\.99 +<none> +81\/TCP +\d+s +<none>\n$/)
  assert.equal(w.stdout().split('\n').filter((l) => l.startsWith('NAME')).length, 1, 'headers printed once')
  assert.equal(w.stderr(), '')
})
