// What `svc port-forward TARGET PORT...` forwards to, decided the way kubectl decides it: the TYPE/NAME
// argument, the label selector of a Service/Deployment/ReplicaSet, the choice of one pod among many
// (podutils.ActivePods), the UDP refusal, and the translation of service ports and named ports to
// container port numbers. Pure functions over API objects; the I/O lives in resolve.ts.

import {isNumericPort, joinPort, splitPort} from './ports.ts'

// ---- the API objects read here (declared once, in kube/types.ts) ------------------------------

import type {ContainerPort, LabelSelector, Pod, Service, ServicePort, Workload} from '../kube/types.ts'

export type {ContainerPort, LabelSelector, Pod, Service, ServicePort, Workload}

// ---- TYPE/NAME ---------------------------------------------------------------------------------

export type TargetKind = 'deployment' | 'pod' | 'replicaset' | 'service'

export interface TargetRef {
  /** The API group: '' for core, 'apps' for workloads. */
  group: '' | 'apps'
  kind: TargetKind
  name: string
  /** The resource's plural, as it appears in URLs and NotFound messages. */
  resource: 'deployments' | 'pods' | 'replicasets' | 'services'
}

const ALIASES: Record<string, TargetKind> = {
  deploy: 'deployment',
  deployment: 'deployment',
  'deployment.apps': 'deployment',
  deployments: 'deployment',
  'deployments.apps': 'deployment',
  po: 'pod',
  pod: 'pod',
  pods: 'pod',
  replicaset: 'replicaset',
  'replicaset.apps': 'replicaset',
  replicasets: 'replicaset',
  'replicasets.apps': 'replicaset',
  rs: 'replicaset',
  service: 'service',
  services: 'service',
  svc: 'service',
}

/** Kinds kubectl can port-forward to that svc does not: named in the error so the user knows why. */
const UNSUPPORTED = new Set(['cronjob', 'cronjobs', 'daemonset', 'daemonsets', 'ds', 'job', 'jobs', 'rc', 'replicationcontroller', 'replicationcontrollers', 'statefulset', 'statefulsets', 'sts'])

const RESOURCES: Record<TargetKind, {group: '' | 'apps'; resource: TargetRef['resource']}> = {
  deployment: {group: 'apps', resource: 'deployments'},
  pod: {group: '', resource: 'pods'},
  replicaset: {group: 'apps', resource: 'replicasets'},
  service: {group: '', resource: 'services'},
}

/** `NAME` (a pod) or `TYPE/NAME`, with kubectl's aliases (`svc`, `deploy`, `rs`, `po`, plurals). */
export function parseTarget(arg: string): TargetRef {
  const slash = arg.indexOf('/')
  const type = slash < 0 ? 'pod' : arg.slice(0, slash).toLowerCase()
  const name = slash < 0 ? arg : arg.slice(slash + 1)
  if (slash >= 0 && (type === '' || name === '' || name.includes('/'))) {
    throw new Error('arguments in resource/name form must have a single resource and name')
  }
  if (name === '') throw new Error('pod name or resource type/name must be specified')
  const kind = ALIASES[type]
  if (!kind) {
    if (UNSUPPORTED.has(type)) {
      throw new Error(`svc port-forward forwards to pods, services, deployments and replicasets, not to ${type}`)
    }
    throw new Error(`the server doesn't have a resource type "${type}"`)
  }
  return {kind, name, ...RESOURCES[kind]}
}

/** The API path of a target object (or of its collection when name is omitted). */
export function objectPath(resource: TargetRef['resource'], namespace: string, name?: string): string {
  const base = resource === 'deployments' || resource === 'replicasets' ? '/apis/apps/v1' : '/api/v1'
  const collection = `${base}/namespaces/${encodeURIComponent(namespace)}/${resource}`
  return name === undefined ? collection : `${collection}/${encodeURIComponent(name)}`
}

// ---- selectors ---------------------------------------------------------------------------------

/**
 * The label selector (as a query string) of a Service, Deployment or ReplicaSet, with kubectl's
 * errors for a Service without a selector (SelectorsForObject, wrapped by AttachablePodForObject).
 */
export function selectorForObject(kind: Exclude<TargetKind, 'pod'>, object: Service | Workload): string {
  if (kind === 'service') {
    const selector = (object as Service).spec?.selector ?? {}
    if (Object.keys(selector).length === 0) {
      throw new Error(`cannot attach to *v1.Service: invalid service '${object.metadata.name}': Service is defined without a selector`)
    }
    return labelSelectorString({matchLabels: selector})
  }
  const typeName = kind === 'deployment' ? '*v1.Deployment' : '*v1.ReplicaSet'
  try {
    return labelSelectorString((object as Workload).spec?.selector ?? {})
  } catch (error) {
    throw new Error(`cannot attach to ${typeName}: invalid label selector: ${(error as Error).message}`)
  }
}

/** metav1.LabelSelectorAsSelector(...).String(): requirements sorted by key, set values sorted. */
export function labelSelectorString(selector: LabelSelector): string {
  const requirements: {key: string; text: string}[] = []
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    requirements.push({key, text: `${key}=${value}`})
  }
  for (const expr of selector.matchExpressions ?? []) {
    const values = [...(expr.values ?? [])].sort()
    switch (expr.operator) {
      case 'In':
        if (values.length === 0) throw new Error(`for 'in', 'notin' operators, values set can't be empty`)
        requirements.push({key: expr.key, text: `${expr.key} in (${values.join(',')})`})
        break
      case 'NotIn':
        if (values.length === 0) throw new Error(`for 'in', 'notin' operators, values set can't be empty`)
        requirements.push({key: expr.key, text: `${expr.key} notin (${values.join(',')})`})
        break
      case 'Exists':
        requirements.push({key: expr.key, text: expr.key})
        break
      case 'DoesNotExist':
        requirements.push({key: expr.key, text: `!${expr.key}`})
        break
      default:
        throw new Error(`"${expr.operator}" is not a valid label selector operator`)
    }
  }
  return requirements
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(r => r.text)
    .join(',')
}

// ---- choosing a pod (podutils.ActivePods) -------------------------------------------------------

export function isPodReady(pod: Pod): boolean {
  return (pod.status?.conditions ?? []).some(c => c.type === 'Ready' && c.status === 'True')
}

/** Running, ready and not being deleted: a pod new connections may go to. */
export function isPodServing(pod: Pod): boolean {
  return pod.status?.phase === 'Running' && isPodReady(pod) && !pod.metadata.deletionTimestamp
}

function readyTime(pod: Pod): number {
  const ready = (pod.status?.conditions ?? []).find(c => c.type === 'Ready' && c.status === 'True')
  return ready?.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : 0
}

function maxRestarts(pod: Pod): number {
  return Math.max(0, ...(pod.status?.containerStatuses ?? []).map(s => s.restartCount ?? 0))
}

const PHASE_RANK: Record<string, number> = {Pending: 0, Running: 2, Unknown: 1}

/** t1 after t2, where a zero (missing) time counts as the latest. */
function afterOrZero(t1: number, t2: number): boolean {
  if (t1 === 0 || t2 === 0) return t1 === 0
  return t1 > t2
}

/**
 * podutils.ActivePods' Less: true when `a` is a worse pod to pick than `b` (unassigned < assigned,
 * Pending < Unknown < Running, not ready < ready, deleted < not deleted, ready more recently < ready
 * longer, more restarts < fewer, newer < older).
 */
export function activePodLess(a: Pod, b: Pod): boolean {
  const nodeA = a.spec?.nodeName ?? ''
  const nodeB = b.spec?.nodeName ?? ''
  if (nodeA !== nodeB && (nodeA === '' || nodeB === '')) return nodeA === ''
  const phaseA = PHASE_RANK[a.status?.phase ?? ''] ?? 0
  const phaseB = PHASE_RANK[b.status?.phase ?? ''] ?? 0
  if (phaseA !== phaseB) return phaseA < phaseB
  if (isPodReady(a) !== isPodReady(b)) return !isPodReady(a)
  const deletedA = Boolean(a.metadata.deletionTimestamp)
  const deletedB = Boolean(b.metadata.deletionTimestamp)
  if (deletedA !== deletedB) return deletedA
  if (isPodReady(a) && isPodReady(b)) {
    const ta = readyTime(a)
    const tb = readyTime(b)
    if (ta !== tb) return afterOrZero(ta, tb)
  }
  if (maxRestarts(a) !== maxRestarts(b)) return maxRestarts(a) > maxRestarts(b)
  const ca = a.metadata.creationTimestamp ? Date.parse(a.metadata.creationTimestamp) : 0
  const cb = b.metadata.creationTimestamp ? Date.parse(b.metadata.creationTimestamp) : 0
  if (ca !== cb) return afterOrZero(ca, cb)
  return false
}

/** The pod kubectl attaches to: the first of sort.Reverse(ActivePods); ties keep list order. */
export function bestPod<P extends Pod>(pods: readonly P[]): P | undefined {
  let best: P | undefined
  for (const pod of pods) if (!best || activePodLess(best, pod)) best = pod
  return best
}

// ---- ports -------------------------------------------------------------------------------------

/** Containers first, then init containers (kubectl's LookupContainerPortNumberByName). */
export function containerPortByName(pod: Pod, name: string): number {
  for (const list of [pod.spec?.containers ?? [], pod.spec?.initContainers ?? []]) {
    for (const container of list) {
      for (const port of container.ports ?? []) if (port.name === name) return port.containerPort
    }
  }
  throw new Error(`Pod '${pod.metadata.name}' does not have a named port '${name}'`)
}

export function servicePortByName(svc: Service, name: string): ServicePort {
  const found = (svc.spec?.ports ?? []).find(p => (p.name ?? '') === name)
  if (!found) throw new Error(`Service '${svc.metadata.name}' does not have a named port '${name}'`)
  return found
}

/**
 * The container port behind a service port for one pod (LookupContainerPortNumberByServicePort):
 * headless services use the number as is; int targetPorts (0 = the port); named ones by pod.
 */
export function containerPortForServicePort(svc: Service, servicePort: ServicePort, pod: Pod): number {
  if (svc.spec?.clusterIP === 'None') return servicePort.port
  const target = servicePort.targetPort
  if (target === undefined || typeof target === 'number' || isNumericPort(target)) {
    const n = Number(target ?? 0)
    return n === 0 ? servicePort.port : n
  }
  return containerPortByName(pod, target)
}

/** The service port a REMOTE argument names (a number or a service port name). */
export function findServicePort(svc: Service, remote: string): ServicePort {
  if (!isNumericPort(remote)) return servicePortByName(svc, remote)
  const n = Number(remote)
  const found = (svc.spec?.ports ?? []).find(p => p.port === n)
  if (!found) throw new Error(`Service ${svc.metadata.name} does not have a service port ${n}`)
  return found
}

/** Ports declared only as UDP (not also TCP): kubectl refuses to forward them. */
function udpOnly(entries: {port: number; protocol?: string}[]): Set<number> {
  const udp = new Set<number>()
  const tcp = new Set<number>()
  for (const e of entries) {
    if (e.protocol === 'UDP') udp.add(e.port)
    else if (e.protocol === 'TCP') tcp.add(e.port)
  }
  return new Set([...udp].filter(p => !tcp.has(p)))
}

/** checkUDPPortInService. */
export function checkUdpInService(args: readonly string[], svc: Service): void {
  const refused = udpOnly((svc.spec?.ports ?? []).map(p => ({port: p.port, protocol: p.protocol})))
  for (const arg of args) {
    const {remote} = splitPort(arg)
    const n = isNumericPort(remote) ? Number(remote) : servicePortByName(svc, remote).port
    if (refused.has(n)) throw new Error(`UDP protocol is not supported for ${remote}`)
  }
}

/** checkUDPPortInPod (containers only, as kubectl). */
export function checkUdpInPod(args: readonly string[], pod: Pod): void {
  const refused = udpOnly((pod.spec?.containers ?? []).flatMap(c => (c.ports ?? []).map(p => ({port: p.containerPort, protocol: p.protocol}))))
  for (const arg of args) {
    const {remote} = splitPort(arg)
    const n = isNumericPort(remote) ? Number(remote) : containerPortByName(pod, remote)
    if (refused.has(n)) throw new Error(`UDP protocol is not supported for ${remote}`)
  }
}

/** A port argument translated for the chosen pod, with the service port it came from (svc targets). */
export interface TranslatedPort {
  /** `LOCAL:REMOTE` or `REMOTE` with REMOTE a container port number, for parsePorts. */
  spec: string
  /** For svc/ targets: the service port the argument named. */
  servicePort?: ServicePort
}

/** translateServicePortToTargetPort: service port (number or name) -> the pod's container port. */
export function translateServicePorts(args: readonly string[], svc: Service, pod: Pod): TranslatedPort[] {
  return args.map(arg => {
    let {local, remote} = splitPort(arg)
    let servicePort: ServicePort
    if (isNumericPort(remote)) {
      servicePort = findServicePort(svc, remote)
    } else {
      servicePort = servicePortByName(svc, remote)
      // `svc/x https` listens on the service port's number, not on "https".
      if (local === remote) local = String(servicePort.port)
    }
    const containerPort = containerPortForServicePort(svc, servicePort, pod)
    remote = String(containerPort)
    return {servicePort, spec: local !== remote ? `${local}:${remote}` : remote}
  })
}

/** convertPodNamedPortToNumber: container port names -> numbers. */
export function convertPodNamedPorts(args: readonly string[], pod: Pod): TranslatedPort[] {
  return args.map(arg => {
    const {local, remote} = splitPort(arg)
    if (remote === '') throw new Error('remote port cannot be empty')
    const number = isNumericPort(remote) ? remote : String(containerPortByName(pod, remote))
    return {spec: joinPort(local, number, remote)}
  })
}
