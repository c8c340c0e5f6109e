// Pure builders of what the scheduler and the kubelet write into a pod: node binding and the status
// of a pod whose containers are (or pretend to be) running. The simulated state comes from pod
// annotations so a test can ask for a pod that never becomes ready or never runs.

import {imageRepository, normalizeImage, rfc3339} from './meta.ts'

export const ANNOTATION_PREFIX = 'sim.svc.local/'
export const READY_ANNOTATION = 'sim.svc.local/ready'
export const PHASE_ANNOTATION = 'sim.svc.local/phase'
export const PORT_ANNOTATION_PREFIX = 'sim.svc.local/port-'
export const IGNORE_SIGTERM_ANNOTATION = 'sim.svc.local/ignore-sigterm'

export type SimPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed'

export interface SimSettings {
  phase: SimPhase
  ready: boolean
}

/** Reads the sim.svc.local/* annotations; anything unknown falls back to a running, ready pod. */
export function simSettings(pod: any): SimSettings {
  const annotations: Record<string, string> = pod?.metadata?.annotations ?? {}
  const rawPhase = (annotations[PHASE_ANNOTATION] ?? '').trim().toLowerCase()
  const phase: SimPhase = rawPhase === 'pending' ? 'Pending' : rawPhase === 'succeeded' ? 'Succeeded' : rawPhase === 'failed' ? 'Failed' : 'Running'
  const ready = (annotations[READY_ANNOTATION] ?? '').trim().toLowerCase() !== 'false'
  return {phase, ready}
}

/** The sim annotations only, to notice when a test changes them on a live pod. */
export function simAnnotationsOf(pod: any): string {
  const annotations: Record<string, string> = pod?.metadata?.annotations ?? {}
  return JSON.stringify(Object.keys(annotations).filter((k) => k.startsWith(ANNOTATION_PREFIX)).sort().map((k) => [k, annotations[k]]))
}

export interface ContainerRuntime {
  containerID: string // "containerd://<64 hex>"
  imageDigest: string // "sha256:<64 hex>"
}

export interface PodRuntime {
  hostIP: string
  podIP?: string
  startTime: Date
  startedAt: Date
  finishedAt?: Date
  containers: Record<string, ContainerRuntime>
}

function condition(type: string, status: boolean, at: string, previous: any[] | undefined, extra: {reason?: string; message?: string; observedGeneration?: number} = {}): any {
  const statusText = status ? 'True' : 'False'
  const before = (previous ?? []).find((c: any) => c?.type === type)
  const lastTransitionTime = before && before.status === statusText && before.lastTransitionTime ? before.lastTransitionTime : at
  const out: any = {type}
  if (extra.observedGeneration != null) out.observedGeneration = extra.observedGeneration
  out.status = statusText
  out.lastProbeTime = null
  out.lastTransitionTime = lastTransitionTime
  if (extra.reason) out.reason = extra.reason
  if (extra.message) out.message = extra.message
  return out
}

/** The PodScheduled condition the binding subresource writes. */
export function scheduledCondition(now: Date, observedGeneration?: number): any {
  const out: any = {type: 'PodScheduled'}
  if (observedGeneration != null) out.observedGeneration = observedGeneration
  return {...out, status: 'True', lastProbeTime: null, lastTransitionTime: rfc3339(now)}
}

/** Go's fmt of a []string: "[a b c]". */
export function unreadyMessage(names: string[]): string {
  return `containers with unready status: [${names.join(' ')}]`
}

function qosClass(pod: any): string {
  const containers: any[] = [...(pod?.spec?.containers ?? []), ...(pod?.spec?.initContainers ?? [])]
  let any = false
  let guaranteed = containers.length > 0
  for (const c of containers) {
    const requests = c?.resources?.requests ?? {}
    const limits = c?.resources?.limits ?? {}
    if (Object.keys(requests).length || Object.keys(limits).length) any = true
    for (const r of ['cpu', 'memory']) {
      if (limits[r] == null) guaranteed = false
      else if (requests[r] != null && String(requests[r]) !== String(limits[r])) guaranteed = false
    }
  }
  if (!any) return 'BestEffort'
  return guaranteed ? 'Guaranteed' : 'Burstable'
}

/**
 * The status the kubelet reports for a pod in the given simulated state. Conditions keep their
 * lastTransitionTime when their status does not change.
 */
export function buildPodStatus(pod: any, settings: SimSettings, runtime: PodRuntime, now: Date): any {
  const previous: any = pod?.status ?? {}
  const at = rfc3339(now)
  const generation = typeof pod?.metadata?.generation === 'number' ? pod.metadata.generation : undefined
  const og = generation == null ? {} : {observedGeneration: generation}
  const containers: any[] = pod?.spec?.containers ?? []
  const names = containers.map((c) => c.name)
  const running = settings.phase === 'Running'
  const terminal = settings.phase === 'Succeeded' || settings.phase === 'Failed'
  const containersReady = running && settings.ready

  let readyExtra: {reason?: string; message?: string} = {}
  if (terminal) readyExtra = {reason: 'PodCompleted'}
  else if (!containersReady) readyExtra = {reason: 'ContainersNotReady', message: unreadyMessage(names)}

  const prevConds: any[] | undefined = previous.conditions
  const scheduled = (prevConds ?? []).find((c: any) => c?.type === 'PodScheduled' && c?.status === 'True')
  const conditions = [
    condition('PodReadyToStartContainers', running, at, prevConds, og),
    condition('Initialized', true, at, prevConds, og),
    condition('Ready', containersReady, at, prevConds, {...og, ...readyExtra}),
    condition('ContainersReady', containersReady, at, prevConds, {...og, ...readyExtra}),
    scheduled ?? scheduledCondition(now, generation),
  ]

  const containerStatuses = containers.map((c) => {
    const rt = runtime.containers[c.name]
    const image = normalizeImage(String(c.image ?? ''))
    const status: any = {
      name: c.name,
      state: {},
      lastState: {},
      ready: containersReady,
      restartCount: 0,
      image,
      imageID: '',
      started: running,
    }
    if (settings.phase === 'Pending') {
      status.state = {waiting: {reason: 'ContainerCreating'}}
      return status
    }
    status.imageID = `${imageRepository(image)}@${rt.imageDigest}`
    status.containerID = rt.containerID
    if (running) {
      status.state = {running: {startedAt: rfc3339(runtime.startedAt)}}
    } else {
      const failed = settings.phase === 'Failed'
      status.state = {
        terminated: {
          exitCode: failed ? 1 : 0,
          reason: failed ? 'Error' : 'Completed',
          startedAt: rfc3339(runtime.startedAt),
          finishedAt: rfc3339(runtime.finishedAt ?? now),
          containerID: rt.containerID,
        },
      }
    }
    return status
  })

  const status: any = {}
  if (generation != null) status.observedGeneration = generation
  status.phase = settings.phase
  status.conditions = conditions
  status.hostIP = runtime.hostIP
  status.hostIPs = [{ip: runtime.hostIP}]
  if (runtime.podIP) {
    status.podIP = runtime.podIP
    status.podIPs = [{ip: runtime.podIP}]
  }
  status.startTime = rfc3339(runtime.startTime)
  status.containerStatuses = containerStatuses
  status.qosClass = previous.qosClass ?? qosClass(pod)
  return status
}

/** TCP container ports declared by the pod's containers (what the simulated containers serve). */
export function declaredTcpPorts(pod: any): number[] {
  const out = new Set<number>()
  for (const c of pod?.spec?.containers ?? []) {
    for (const p of c?.ports ?? []) {
      const protocol = p?.protocol ?? 'TCP'
      if (protocol === 'TCP' && Number.isInteger(p?.containerPort) && p.containerPort > 0 && p.containerPort < 65536) out.add(p.containerPort)
    }
  }
  return [...out].sort((a, b) => a - b)
}

export type PortBehaviour = 'echo' | 'http' | 'hostname' | 'refuse' | 'send-reset' | 'slow-read'
const BEHAVIOURS: readonly string[] = ['http', 'hostname', 'refuse', 'send-reset', 'slow-read']

/** What the simulated container does on a port: the sim.svc.local/port-<N> annotation, echo by default. */
export function portBehaviour(pod: any, port: number): PortBehaviour {
  if (!declaredTcpPorts(pod).includes(port)) return 'refuse'
  const raw = (pod?.metadata?.annotations?.[`${PORT_ANNOTATION_PREFIX}${port}`] ?? '').trim().toLowerCase()
  if (BEHAVIOURS.includes(raw)) return raw as PortBehaviour
  return 'echo'
}
