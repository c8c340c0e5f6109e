// Which pods a Service sends traffic to, whether each is ready and why not, and which container
// port each service port reaches on it. Pure functions over the objects; the same rules the
// endpoint controllers use (equality selector, FindPort by name and protocol, sidecars included).

import type {Container, EndpointSlice, Pod, Service, ServicePort} from '../kube/types.ts'

/** Equality-based selector match: every key present with the same value. */
export function selectorMatches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  const keys = Object.keys(selector ?? {})
  if (keys.length === 0) return false
  return keys.every(k => (labels ?? {})[k] === selector![k])
}

export interface Readiness {
  /** Why not, in plain words (undefined when ready). */
  reason?: string
  ready: boolean
}

function hasReadinessProbe(pod: Pod, container: string): boolean {
  return Boolean(pod.spec?.containers?.find(c => c.name === container)?.readinessProbe)
}

/** Ready or not, and why not: from the phase, the conditions and the container states. */
export function podReadiness(pod: Pod): Readiness {
  const status = pod.status ?? {}
  const phase = status.phase ?? 'Unknown'
  if (pod.metadata?.deletionTimestamp) return {ready: false, reason: 'terminating'}
  if (phase === 'Succeeded' || phase === 'Failed') {
    return {ready: false, reason: `pod ${phase.toLowerCase()}${status.reason ? ` (${status.reason})` : ''}`}
  }
  const conditions = status.conditions ?? []
  const ready = conditions.find(c => c.type === 'Ready')
  if (ready?.status === 'True') return {ready: true}
  const scheduled = conditions.find(c => c.type === 'PodScheduled')
  if (scheduled?.status === 'False') {
    return {ready: false, reason: `not scheduled${scheduled.reason ? `: ${scheduled.reason}` : ''}${scheduled.message ? ` (${scheduled.message})` : ''}`}
  }
  for (const cs of status.containerStatuses ?? []) {
    if (cs.ready) continue
    const name = cs.name ?? ''
    const state = cs.state ?? {}
    if (state.waiting) {
      const why = state.waiting.reason ?? 'waiting'
      return {ready: false, reason: `container ${name} ${why}${state.waiting.message ? `: ${state.waiting.message}` : ''}`}
    }
    if (state.terminated) {
      const t = state.terminated
      return {ready: false, reason: `container ${name} terminated: ${t.reason ?? 'exited'} (exit code ${t.exitCode ?? 0})`}
    }
    if (state.running) {
      return {ready: false, reason: hasReadinessProbe(pod, name) ? 'readiness probe failing' : `container ${name} running but not ready`}
    }
  }
  if (!status.podIP && phase === 'Pending') return {ready: false, reason: 'pending: no IP yet'}
  if (ready?.status === 'False') {
    return {ready: false, reason: [ready.reason, ready.message].filter(Boolean).join(': ') || 'Ready condition is False'}
  }
  return {ready: false, reason: `no Ready condition (phase ${phase})`}
}

export interface PortTarget {
  /** The container port traffic for this service port reaches, when it resolves. */
  containerPort?: number
  /** Set when the targetPort is a name the pod does not declare. */
  missingName?: string
  /** Set when the numeric targetPort is not among the pod's declared containerPorts. */
  undeclared?: boolean
  servicePort: ServicePort
}

function sidecars(pod: Pod): Container[] {
  return (pod.spec?.initContainers ?? []).filter(c => c.restartPolicy === 'Always')
}

/** FindPort: a name is looked up among container ports of the same protocol; a number is used as is. */
export function resolveTargetPort(pod: Pod, servicePort: ServicePort): PortTarget {
  const protocol = servicePort.protocol ?? 'TCP'
  const target = servicePort.targetPort ?? servicePort.port
  const containers = [...(pod.spec?.containers ?? []), ...sidecars(pod)]
  const declared = containers.flatMap(c => c.ports ?? [])
  if (typeof target === 'string') {
    const match = declared.find(p => p.name === target && (p.protocol ?? 'TCP') === protocol)
    return match ? {containerPort: match.containerPort, servicePort} : {missingName: target, servicePort}
  }
  const number = target ?? 0
  const isDeclared = declared.some(p => p.containerPort === number && (p.protocol ?? 'TCP') === protocol)
  return {containerPort: number, servicePort, undeclared: !isDeclared}
}

export interface Backend {
  ip: string
  name: string
  node: string
  ports: PortTarget[]
  readiness: Readiness
}

/** The pods the selector matches, each with its readiness and port resolution. */
export function backendsFor(service: Service, pods: Pod[]): Backend[] {
  const selector = service.spec?.selector
  return pods
    .filter(p => p.metadata?.namespace === undefined || service.metadata?.namespace === undefined || p.metadata.namespace === service.metadata.namespace)
    .filter(p => selectorMatches(selector, p.metadata?.labels))
    .map(pod => ({
      ip: pod.status?.podIP || '<none>',
      name: pod.metadata?.name ?? '',
      node: pod.spec?.nodeName || '<none>',
      ports: (service.spec?.ports ?? []).map(sp => resolveTargetPort(pod, sp)),
      readiness: podReadiness(pod),
    }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

/** Ready endpoint addresses in the slices (nil ready counts as ready, as describe does). */
export function readyEndpointCount(slices: EndpointSlice[]): number {
  let count = 0
  for (const slice of slices) {
    for (const ep of slice.endpoints ?? []) {
      const ready = ep.conditions?.ready
      if (ready === null || ready === undefined || ready) count++
    }
  }
  return count
}
