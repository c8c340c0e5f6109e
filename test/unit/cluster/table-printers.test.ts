import {test} from 'node:test'
import assert from 'node:assert/strict'

import {
  deploymentPrinter, endpointSlicePrinter, endpointsPrinter, eventPrinter, formatLabelSelector, humanDuration, namespacePrinter,
  nodePrinter, podPrinter, PRINTERS, replicaSetPrinter, servicePrinter,
} from '../../cluster/table-printers.ts'

const NOW = Date.parse('2026-01-10T12:00:00Z')
const meta = (name: string, ageSeconds = 30) => ({name, namespace: 'default', creationTimestamp: new Date(NOW - ageSeconds * 1000).toISOString()})

const DURATIONS: Array<[number, string]> = [
  [-5_000, '<invalid>'], [-500, '0s'], [0, '0s'], [119_000, '119s'], [120_000, '2m'], [125_000, '2m5s'], [600_000, '10m'],
  [179 * 60_000, '179m'], [3 * 3_600_000, '3h'], [3 * 3_600_000 + 60_000, '3h1m'], [8 * 3_600_000, '8h'], [47 * 3_600_000, '47h'],
  [48 * 3_600_000, '2d'], [50 * 3_600_000, '2d2h'], [8 * 86_400_000, '8d'], [729 * 86_400_000, '729d'], [730 * 86_400_000, '2y'],
  [731 * 86_400_000, '2y1d'], [8 * 365 * 86_400_000, '8y'],
]
for (const [ms, text] of DURATIONS) test(`HumanDuration(${ms} ms) = ${text}`, () => assert.equal(humanDuration(ms), text))

const SERVICES: Array<{name: string; svc: any; cells: unknown[]}> = [
  {
    name: 'ClusterIP',
    svc: {metadata: meta('cs'), spec: {type: 'ClusterIP', clusterIP: '10.96.0.5', clusterIPs: ['10.96.0.5'], selector: {b: '2', a: '1'}, ports: [{port: 80, protocol: 'TCP'}]}},
    cells: ['cs', 'ClusterIP', '10.96.0.5', '<none>', '80/TCP', '30s', 'a=1,b=2'],
  },
  {
    name: 'NodePort with external IPs',
    svc: {metadata: meta('np'), spec: {type: 'NodePort', clusterIPs: ['10.96.0.6'], externalIPs: ['1.2.3.4', '5.6.7.8'], ports: [{port: 80, nodePort: 30080, protocol: 'TCP'}, {port: 53, protocol: 'UDP'}]}},
    cells: ['np', 'NodePort', '10.96.0.6', '1.2.3.4,5.6.7.8', '80:30080/TCP,53/UDP', '30s', '<none>'],
  },
  {
    name: 'LoadBalancer pending',
    svc: {metadata: meta('lb'), spec: {type: 'LoadBalancer', clusterIPs: ['10.96.0.7'], ports: [{port: 443, nodePort: 31000, protocol: 'TCP'}]}, status: {loadBalancer: {}}},
    cells: ['lb', 'LoadBalancer', '10.96.0.7', '<pending>', '443:31000/TCP', '30s', '<none>'],
  },
  {
    name: 'LoadBalancer ingress: dedup, sorted, hostname fallback, never shortened server-side',
    svc: {
      metadata: meta('lb2'),
      spec: {type: 'LoadBalancer', clusterIPs: ['10.96.0.8'], externalIPs: ['9.9.9.9'], ports: []},
      status: {loadBalancer: {ingress: [{ip: '203.0.113.20'}, {hostname: 'a-very-long-name.example.com'}, {ip: '203.0.113.20'}]}},
    },
    cells: ['lb2', 'LoadBalancer', '10.96.0.8', '203.0.113.20,a-very-long-name.example.com,9.9.9.9', '<none>', '30s', '<none>'],
  },
  {
    name: 'ExternalName',
    svc: {metadata: meta('en'), spec: {type: 'ExternalName', externalName: 'bar.com'}},
    cells: ['en', 'ExternalName', '<none>', 'bar.com', '<none>', '30s', '<none>'],
  },
  {
    name: 'headless',
    svc: {metadata: meta('hl'), spec: {type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'], selector: {app: 'x'}}},
    cells: ['hl', 'ClusterIP', 'None', '<none>', '<none>', '30s', 'app=x'],
  },
]
for (const {name, svc, cells} of SERVICES) test(`service cells: ${name}`, () => assert.deepEqual(servicePrinter.cells(svc, NOW), cells))

test('service columns are kubectl\'s, Selector only with -o wide', () => {
  assert.deepEqual(servicePrinter.columns.map((c) => [c.name, c.type, c.format, c.priority]), [
    ['Name', 'string', 'name', 0], ['Type', 'string', '', 0], ['Cluster-IP', 'string', '', 0], ['External-IP', 'string', '', 0],
    ['Port(s)', 'string', '', 0], ['Age', 'string', '', 0], ['Selector', 'string', '', 1],
  ])
})

const running = (extra: any = {}) => ({
  metadata: meta('p'),
  spec: {nodeName: 'n1', containers: [{name: 'a'}, {name: 'b'}], ...extra.spec},
  status: {
    phase: 'Running',
    podIPs: [{ip: '10.244.0.9'}],
    conditions: [{type: 'Ready', status: 'True'}, {type: 'Initialized', status: 'True'}],
    containerStatuses: [{name: 'a', ready: true, restartCount: 0, state: {running: {}}}, {name: 'b', ready: true, restartCount: 0, state: {running: {}}}],
    ...extra.status,
  },
})

const PODS: Array<{name: string; pod: any; cells: unknown[]}> = [
  {name: 'running and ready', pod: running(), cells: ['p', '2/2', 'Running', '0', '30s', '10.244.0.9', 'n1', '<none>', '<none>']},
  {
    name: 'one container waiting',
    pod: running({status: {containerStatuses: [{name: 'a', ready: true, restartCount: 0, state: {running: {}}}, {name: 'b', ready: false, restartCount: 3, state: {waiting: {reason: 'CrashLoopBackOff'}}, lastState: {terminated: {finishedAt: new Date(NOW - 90_000).toISOString()}}}]}}),
    cells: ['p', '1/2', 'CrashLoopBackOff', '3 (90s ago)', '30s', '10.244.0.9', 'n1', '<none>', '<none>'],
  },
  {
    name: 'pending without node or IP',
    pod: {metadata: meta('q'), spec: {containers: [{name: 'a'}]}, status: {phase: 'Pending'}},
    cells: ['q', '0/1', 'Pending', '0', '30s', '<none>', '<none>', '<none>', '<none>'],
  },
  {
    name: 'terminating',
    pod: {...running(), metadata: {...meta('p'), deletionTimestamp: new Date(NOW).toISOString()}},
    cells: ['p', '2/2', 'Terminating', '0', '30s', '10.244.0.9', 'n1', '<none>', '<none>'],
  },
  {
    name: 'init container waiting',
    pod: {metadata: meta('i'), spec: {initContainers: [{name: 'init'}], containers: [{name: 'a'}]}, status: {phase: 'Pending', initContainerStatuses: [{name: 'init', state: {waiting: {reason: 'PodInitializing'}}}]}},
    cells: ['i', '0/1', 'Init:0/1', '0', '30s', '<none>', '<none>', '<none>', '<none>'],
  },
  {
    name: 'readiness gates',
    pod: running({spec: {readinessGates: [{conditionType: 'x/ok'}, {conditionType: 'y/ok'}]}, status: {conditions: [{type: 'x/ok', status: 'True'}, {type: 'Ready', status: 'True'}]}}),
    cells: ['p', '2/2', 'Running', '0', '30s', '10.244.0.9', 'n1', '<none>', '1/2'],
  },
]
for (const {name, pod, cells} of PODS) test(`pod cells: ${name}`, () => assert.deepEqual(podPrinter.cells(pod, NOW), cells))

test('a succeeded pod carries the Completed row condition', () => {
  assert.deepEqual(podPrinter.conditions!({status: {phase: 'Succeeded'}}), [{type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.'}])
  assert.equal(podPrinter.conditions!({status: {phase: 'Running'}}), undefined)
})

test('deployment and replicaset cells', () => {
  const template = {spec: {containers: [{name: 'web', image: 'nginx:1'}, {name: 'side', image: 'busybox'}]}}
  const d = {metadata: meta('web'), spec: {replicas: 3, selector: {matchLabels: {app: 'web'}, matchExpressions: [{key: 'tier', operator: 'In', values: ['b', 'a']}]}, template}, status: {readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2}}
  assert.deepEqual(deploymentPrinter.cells(d, NOW), ['web', '2/3', 3, 2, '30s', 'web,side', 'nginx:1,busybox', 'app=web,tier in (a,b)'])
  const rs = {metadata: meta('web-1'), spec: {replicas: 3, selector: {matchLabels: {app: 'web'}}, template}, status: {replicas: 3, readyReplicas: 1}}
  assert.deepEqual(replicaSetPrinter.cells(rs, NOW), ['web-1', 3, 3, 1, '30s', 'web,side', 'nginx:1,busybox', 'app=web'])
  assert.equal(formatLabelSelector({matchExpressions: [{key: 'b', operator: 'Exists'}, {key: 'a', operator: 'DoesNotExist'}]}), '!a,b')
})

test('endpoints cells: three at most, then "+ N more..."', () => {
  const ep = (subsets: any) => ({metadata: meta('e'), subsets})
  assert.equal(endpointsPrinter.cells(ep(undefined), NOW)[1], '<none>')
  assert.equal(endpointsPrinter.cells(ep([{addresses: [{ip: '10.0.0.1'}], ports: [{port: 80}, {port: 443}]}]), NOW)[1], '10.0.0.1:80,10.0.0.1:443')
  assert.equal(
    endpointsPrinter.cells(ep([{addresses: [{ip: '10.0.0.1'}, {ip: '10.0.0.2'}, {ip: 'fd00::3'}], ports: [{port: 80}, {port: 81}]}]), NOW)[1],
    '10.0.0.1:80,10.0.0.2:80,[fd00::3]:80 + 3 more...',
  )
  assert.equal(endpointsPrinter.cells(ep([{notReadyAddresses: [{ip: '10.0.0.1'}], ports: [{port: 80}]}]), NOW)[1], '')
  assert.equal(endpointsPrinter.cells(ep([{addresses: [{ip: '10.0.0.1'}]}]), NOW)[1], '10.0.0.1')
})

test('endpointslice cells', () => {
  const s = (ports: any, endpoints: any) => endpointSlicePrinter.cells({metadata: meta('s-abc'), addressType: 'IPv4', ports, endpoints}, NOW)
  assert.deepEqual(s([], []), ['s-abc', 'IPv4', '<unset>', '<unset>', '30s'])
  assert.deepEqual(s([{port: 80}, {name: 'x'}, {}], [{addresses: ['10.0.0.1']}, {addresses: ['10.0.0.2']}]), ['s-abc', 'IPv4', '80,x,*', '10.0.0.1,10.0.0.2', '30s'])
  assert.deepEqual(s([{port: 1}, {port: 2}, {port: 3}, {port: 4}, {port: 5}], [{addresses: ['a', 'b', 'c', 'd']}]), ['s-abc', 'IPv4', '1,2,3 + 2 more...', 'a,b,c + 1 more...', '30s'])
})

test('event cells', () => {
  const e = {
    metadata: meta('web.1'),
    involvedObject: {kind: 'Pod', name: 'web', fieldPath: 'spec.containers{c}'},
    reason: 'Started', message: ' Started container c\n', type: 'Normal',
    source: {component: 'kubelet', host: 'n1'},
    firstTimestamp: new Date(NOW - 120_000).toISOString(), lastTimestamp: new Date(NOW - 5_000).toISOString(), count: 2,
  }
  assert.deepEqual(eventPrinter.cells(e, NOW), ['5s', 'Normal', 'Started', 'pod/web', 'spec.containers{c}', 'kubelet, n1', 'Started container c', '2m', 2, 'web.1'])
  const bare = {metadata: meta('x'), involvedObject: {kind: 'Node'}, eventTime: new Date(NOW - 1_000).toISOString(), reportingComponent: 'ctl'}
  assert.deepEqual(eventPrinter.cells(bare, NOW), ['1s', '', '', 'node', '', 'ctl', '', '1s', 1, 'x'])
})

test('namespace and node cells', () => {
  assert.deepEqual(namespacePrinter.cells({metadata: meta('default'), status: {phase: 'Active'}}, NOW), ['default', 'Active', '30s'])
  const node = {
    metadata: {...meta('n1'), labels: {'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/worker': '', 'kubernetes.io/role': 'edge'}},
    spec: {unschedulable: true},
    status: {conditions: [{type: 'Ready', status: 'False'}], addresses: [{type: 'InternalIP', address: '172.18.0.2'}], nodeInfo: {kubeletVersion: 'v1.35.0'}},
  }
  assert.deepEqual(nodePrinter.cells(node, NOW), ['n1', 'NotReady,SchedulingDisabled', 'control-plane,edge,worker', '30s', 'v1.35.0', '172.18.0.2', '<none>', '<unknown>', '<unknown>', '<unknown>'])
})

test('every printer has as many cells as columns', () => {
  const samples: Record<string, any> = {
    services: SERVICES[0].svc, pods: running(), endpoints: {metadata: meta('e')}, 'discovery.k8s.io/endpointslices': {metadata: meta('s')},
    'apps/deployments': {metadata: meta('d')}, 'apps/replicasets': {metadata: meta('r')}, events: {metadata: meta('e'), involvedObject: {}},
    namespaces: {metadata: meta('n')}, nodes: {metadata: meta('n')},
  }
  for (const [resource, printer] of Object.entries(PRINTERS)) assert.equal(printer.cells(samples[resource], NOW).length, printer.columns.length, resource)
})
