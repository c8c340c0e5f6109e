/** The objects a fresh kind-like cluster starts with. */
import {serviceSemantics, type Allocators} from './resources/services.ts'
import type {Store} from './store.ts'

export const NODE_NAME = 'local-node'
export const NODE_IP = '172.18.0.2'
export const KUBERNETES_SERVICE_IP = '10.96.0.1'

export function bootstrap(store: Store, allocators: Allocators): void {
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    store.create('namespaces', {
      kind: 'Namespace', apiVersion: 'v1',
      metadata: {name, labels: {'kubernetes.io/metadata.name': name}},
      spec: {finalizers: ['kubernetes']},
      status: {phase: 'Active'},
    })
  }
  store.create('nodes', {
    kind: 'Node', apiVersion: 'v1',
    metadata: {
      name: NODE_NAME,
      labels: {
        'beta.kubernetes.io/arch': 'amd64', 'beta.kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': NODE_NAME, 'kubernetes.io/os': 'linux', 'node-role.kubernetes.io/control-plane': '',
      },
    },
    spec: {podCIDR: '10.244.0.0/24', podCIDRs: ['10.244.0.0/24'], providerID: `kind://docker/local/${NODE_NAME}`},
    status: {
      addresses: [{type: 'InternalIP', address: NODE_IP}, {type: 'Hostname', address: NODE_NAME}],
      allocatable: {cpu: '2', 'ephemeral-storage': '100Gi', memory: '8Gi', pods: '110'},
      capacity: {cpu: '2', 'ephemeral-storage': '100Gi', memory: '8Gi', pods: '110'},
      conditions: [
        {type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available'},
        {type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure'},
        {type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available'},
        {type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status'},
      ].map((c) => ({...c, lastHeartbeatTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z')})),
      daemonEndpoints: {kubeletEndpoint: {Port: 10250}},
      nodeInfo: {
        architecture: 'amd64', bootID: '', containerRuntimeVersion: 'containerd://2.1.0', kernelVersion: '6.8.0',
        kubeProxyVersion: '', kubeletVersion: 'v1.35.0', machineID: '', operatingSystem: 'linux', osImage: 'Debian GNU/Linux 12 (bookworm)', systemUUID: '',
      },
    },
  })
  const kubernetes = serviceSemantics.prepareCreate({
    kind: 'Service', apiVersion: 'v1',
    metadata: {name: 'kubernetes', namespace: 'default', labels: {component: 'apiserver', provider: 'kubernetes'}},
    spec: {clusterIP: KUBERNETES_SERVICE_IP, ports: [{name: 'https', port: 443, protocol: 'TCP', targetPort: 6443}], sessionAffinity: 'None', type: 'ClusterIP'},
  }, allocators, {dryRun: false, fieldValidation: 'Strict'})
  if (!kubernetes.ok) throw new Error(`bootstrap: kubernetes service refused: ${kubernetes.status.message}`)
  store.create('services', kubernetes.service)
  store.create('endpoints', {
    kind: 'Endpoints', apiVersion: 'v1',
    metadata: {name: 'kubernetes', namespace: 'default', labels: {'endpointslice.kubernetes.io/skip-mirror': 'true'}},
    subsets: [{addresses: [{ip: NODE_IP}], ports: [{name: 'https', port: 6443, protocol: 'TCP'}]}],
  })
  store.create('discovery.k8s.io/endpointslices', {
    kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1',
    metadata: {name: 'kubernetes', namespace: 'default', labels: {'kubernetes.io/service-name': 'kubernetes'}},
    addressType: 'IPv4',
    endpoints: [{addresses: [NODE_IP], conditions: {ready: true}}],
    ports: [{name: 'https', port: 6443, protocol: 'TCP'}],
  })
}
