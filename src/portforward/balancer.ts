// Where each new local connection goes, kept current by watching the cluster.
//
// - Balancer: kube-proxy's choice among ready endpoints, as a pure object with an injected clock:
//   round-robin (like IPVS `rr`; iptables picks at random, which no test could pin), and
//   `sessionAffinity: ClientIP`: a client keeps its endpoint while it opens connections less than
//   timeoutSeconds apart (kube-proxy refreshes the timer on every new connection).
// - ServiceTracker (svc/NAME): every ready endpoint of the Service's EndpointSlices, with the port
//   each endpoint resolved (a named targetPort can differ per pod).
// - PodTracker (deployment/, rs/, and svc/ with --one-pod): one pod at a time, chosen as kubectl
//   chooses; when it stops serving, the next new connection goes to another ready pod.
// - NamedPodTracker (pod/NAME): that pod only; if it goes away, wait --pod-running-timeout for a pod
//   of that name to be Running again, else the session ends with `lost connection to pod`.
// Every tracker watches (list + watch with resourceVersion, see informer.ts), never polls.

import {CliError} from '../kube/errors.ts'
import {endpointSlicesPath, serviceSlices} from '../kube/service-ops.ts'
import {DEFAULT_CLIENT_IP_TIMEOUT, type EndpointSlice} from '../kube/types.ts'
import {type ListWatchClient, startInformer} from './informer.ts'
import {bestPod, isPodServing, objectPath, type Pod, type ServicePort} from './targets.ts'

/** One place a connection can go: a pod and the container port there. */
export interface Backend {
  pod: string
  port: number
}

// ---- kube-proxy's choice -----------------------------------------------------------------------

export interface BalancerOptions {
  /** ClientIP affinity timeout in ms; undefined = no affinity. */
  affinityTimeoutMs?: number
  now?: () => number
}

export class Balancer {
  private readonly affinityTimeoutMs: number | undefined
  private readonly affinity = new Map<string, {lastUsed: number; pod: string}>()
  private readonly counters = new Map<string, number>()
  private readonly now: () => number

  constructor(options: BalancerOptions = {}) {
    this.affinityTimeoutMs = options.affinityTimeoutMs
    this.now = options.now ?? Date.now
  }

  /**
   * Picks a pod for a new connection from `clientIp` to the service port `key`, among `candidates`
   * (the ready pods, in any order). Undefined when there are none.
   */
  choose(key: string, clientIp: string, candidates: readonly string[]): string | undefined {
    if (candidates.length === 0) return undefined
    const now = this.now()
    const affinityKey = `${key}\u0000${clientIp}`
    if (this.affinityTimeoutMs !== undefined) {
      const sticky = this.affinity.get(affinityKey)
      if (sticky && now - sticky.lastUsed <= this.affinityTimeoutMs && candidates.includes(sticky.pod)) {
        sticky.lastUsed = now
        return sticky.pod
      }
    }
    const sorted = [...candidates].sort()
    const counter = this.counters.get(key) ?? 0
    const pod = sorted[counter % sorted.length]
    this.counters.set(key, counter + 1)
    if (this.affinityTimeoutMs !== undefined) {
      // Forget expired clients now and then, so the table stays as small as the live ones.
      if (this.affinity.size >= 1024) {
        for (const [k, v] of this.affinity) if (now - v.lastUsed > this.affinityTimeoutMs) this.affinity.delete(k)
      }
      this.affinity.set(affinityKey, {lastUsed: now, pod})
    }
    return pod
  }
}

/** The affinity timeout a Service asks for, in ms; undefined when it has no ClientIP affinity. */
export function affinityTimeoutMs(spec: {sessionAffinity?: string; sessionAffinityConfig?: {clientIP?: {timeoutSeconds?: number}}} | undefined): number | undefined {
  if (spec?.sessionAffinity !== 'ClientIP') return undefined
  return (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_CLIENT_IP_TIMEOUT) * 1000
}

// ---- EndpointSlices ----------------------------------------------------------------------------

export type {EndpointSlice}

/** One pod behind a Service, merged over every slice that lists it (dual-stack lists it twice). */
export interface ServiceEndpoint {
  pod: string
  /** Service port name ('' when unnamed) -> the port on this pod. */
  ports: Map<string, number>
  ready: boolean
  serving: boolean
  terminating: boolean
}

/** The pods behind a Service from its EndpointSlices: only endpoints backed by a Pod. */
export function endpointsFromSlices(slices: Iterable<EndpointSlice>): Map<string, ServiceEndpoint> {
  const result = new Map<string, ServiceEndpoint>()
  for (const slice of slices) {
    const ports = new Map<string, number>()
    for (const p of slice.ports ?? []) {
      if ((p.protocol ?? 'TCP') !== 'TCP' || !p.port) continue
      ports.set(p.name ?? '', p.port)
    }
    for (const endpoint of slice.endpoints ?? []) {
      const ref = endpoint.targetRef
      if (ref?.kind !== 'Pod' || !ref.name) continue
      const conditions = endpoint.conditions ?? {}
      // nil means true for ready and serving (the API's documented default), false for terminating.
      const ready = conditions.ready !== false
      const serving = conditions.serving ?? ready
      const terminating = conditions.terminating === true
      const existing = result.get(ref.name)
      if (existing) {
        for (const [name, port] of ports) if (!existing.ports.has(name)) existing.ports.set(name, port)
        existing.ready ||= ready
        existing.serving ||= serving
      } else {
        result.set(ref.name, {pod: ref.name, ports: new Map(ports), ready, serving: serving !== false, terminating})
      }
    }
  }
  return result
}

/**
 * Backends for one service port: the ready endpoints; when none is ready, the serving-but-terminating
 * ones (as kube-proxy does); when there are none of those either, the endpoints that are not ready
 * and not terminating (their pods run: kubectl would forward to such a pod, and port-forwarding to a
 * Service whose pods fail their readiness probe is a common way to debug it). Headless services use
 * the service port number as is (kubectl's rule).
 */
export function backendsForPort(endpoints: Map<string, ServiceEndpoint>, servicePort: ServicePort, headless: boolean): Backend[] {
  const name = servicePort.name ?? ''
  const usable = (filter: (e: ServiceEndpoint) => boolean): Backend[] => {
    const out: Backend[] = []
    for (const e of endpoints.values()) {
      if (!filter(e)) continue
      const port = headless ? servicePort.port : e.ports.get(name)
      if (port) out.push({pod: e.pod, port})
    }
    return out.sort((a, b) => (a.pod < b.pod ? -1 : a.pod > b.pod ? 1 : 0))
  }
  const ready = usable(e => e.ready)
  if (ready.length > 0) return ready
  const terminating = usable(e => e.serving && e.terminating)
  return terminating.length > 0 ? terminating : usable(e => !e.terminating)
}

// ---- trackers ----------------------------------------------------------------------------------

export interface TrackerHooks {
  /** The pods new connections may go to changed (an empty list while there are none). */
  targetChanged?: (pods: string[]) => void
  /** A pod is gone (deleted, failed, evicted, removed from the endpoints): close connections to it. */
  podGone?: (pod: string) => void
  /** The target is lost for good (pod/NAME not back within --pod-running-timeout). */
  fatal?: (error: Error) => void
  /** A watch failed and is retried (for -v logs). */
  retry?: (error: unknown, delayMs: number) => void
}

export interface Tracker {
  /** The pods new connections go to now. */
  readonly pods: readonly string[]
  /**
   * Where a new connection to listener `index` from `clientIp` goes, avoiding the pods in
   * `exclude` (pods a tunnel could not be opened to a moment ago). Waits (up to the tracker's wait
   * timeout, or the signal) while no pod is available.
   */
  pick(index: number, clientIp: string, signal: AbortSignal, exclude?: ReadonlySet<string>): Promise<Backend>
  /** True when another pod may serve a connection that could not reach the picked one. */
  readonly canFailOver: boolean
  /** Lists and starts watching; resolves once the first list is in. */
  start(): Promise<void>
}

interface TrackerCommon {
  client: ListWatchClient
  hooks: TrackerHooks
  namespace: string
  /** Stops the watch. */
  signal: AbortSignal
  /** How long a new connection waits for a pod to become available (--pod-running-timeout). */
  waitTimeoutMs: number
  /** Watch retry backoff (tests shorten it). */
  backoff?: {initialMs?: number; maxMs?: number}
}

/** Shared machinery: waiters woken on every change, and the target-changed bookkeeping. */
abstract class TrackerBase implements Tracker {
  protected readonly common: TrackerCommon
  private waiters = new Set<() => void>()
  private lastPods: string[] = []
  private started = false

  constructor(common: TrackerCommon) {
    this.common = common
  }

  abstract get pods(): readonly string[]
  abstract start(): Promise<void>
  /** The backend for a connection now, or undefined when none is available; throws to fail it. */
  protected abstract tryPick(index: number, clientIp: string, exclude: ReadonlySet<string>): Backend | undefined
  /** The error for a connection that waited in vain. */
  protected abstract unavailableError(): Error

  readonly canFailOver: boolean = true

  async pick(index: number, clientIp: string, signal: AbortSignal, exclude: ReadonlySet<string> = new Set()): Promise<Backend> {
    const deadline = Date.now() + this.common.waitTimeoutMs
    while (true) {
      const backend = this.tryPick(index, clientIp, exclude)
      if (backend) return backend
      const left = deadline - Date.now()
      if (left <= 0 || signal.aborted || this.common.signal.aborted) throw this.failure() ?? this.unavailableError()
      await this.waitForChange(left, signal)
      const failure = this.failure()
      if (failure) throw failure
    }
  }

  /** A permanent failure that fails every waiting connection (pod/NAME lost). */
  protected failure(): Error | undefined {
    return undefined
  }

  protected changed(): void {
    const pods = [...this.pods]
    if (this.started && pods.join('\u0000') !== this.lastPods.join('\u0000')) {
      this.lastPods = pods
      this.common.hooks.targetChanged?.(pods)
    }
    const waiters = this.waiters
    this.waiters = new Set()
    for (const wake of waiters) wake()
  }

  /** Records the initial set without reporting it as a change. */
  protected settle(): void {
    this.lastPods = [...this.pods]
    this.started = true
  }

  private waitForChange(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise(resolve => {
      const done = () => {
        clearTimeout(timer)
        this.waiters.delete(done)
        signal.removeEventListener('abort', done)
        this.common.signal.removeEventListener('abort', done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      this.waiters.add(done)
      signal.addEventListener('abort', done, {once: true})
      this.common.signal.addEventListener('abort', done, {once: true})
    })
  }
}

export interface ServiceTrackerOptions extends TrackerCommon {
  balancer: Balancer
  /** clusterIP None: ports are used as the user gave them (kubectl's rule). */
  headless: boolean
  serviceName: string
  /** The service port behind each listener, by listener index. */
  servicePorts: ServicePort[]
}

/** svc/NAME: spreads new connections over every ready endpoint, following the EndpointSlices. */
export class ServiceTracker extends TrackerBase {
  private readonly options: ServiceTrackerOptions
  private readonly slices = new Map<string, EndpointSlice>()
  private endpoints = new Map<string, ServiceEndpoint>()

  constructor(options: ServiceTrackerOptions) {
    super(options)
    this.options = options
  }

  get pods(): readonly string[] {
    const pods = new Set<string>()
    for (const sp of this.options.servicePorts) for (const b of backendsForPort(this.endpoints, sp, this.options.headless)) pods.add(b.pod)
    return [...pods].sort()
  }

  async start(): Promise<void> {
    const {client, namespace, signal} = this.options
    await startInformer<EndpointSlice>({
      backoff: this.options.backoff,
      client,
      onEvent: (type, slice) => {
        if (type === 'DELETED') this.slices.delete(slice.metadata.name)
        else this.slices.set(slice.metadata.name, slice)
        this.recompute()
      },
      onRetry: this.options.hooks.retry,
      onSnapshot: items => {
        this.slices.clear()
        for (const slice of items) this.slices.set(slice.metadata.name, slice)
        this.recompute()
      },
      path: endpointSlicesPath(namespace),
      query: {labelSelector: serviceSlices(this.options.serviceName)},
      signal,
    })
    this.settle()
  }

  protected tryPick(index: number, clientIp: string, exclude: ReadonlySet<string>): Backend | undefined {
    const servicePort = this.options.servicePorts[index]
    const backends = backendsForPort(this.endpoints, servicePort, this.options.headless).filter(b => !exclude.has(b.pod))
    const key = `${servicePort.name ?? ''}/${servicePort.port}`
    const pod = this.options.balancer.choose(key, clientIp, backends.map(b => b.pod))
    return pod === undefined ? undefined : backends.find(b => b.pod === pod)
  }

  protected unavailableError(): Error {
    return new Error(`no ready endpoints for service "${this.options.serviceName}"`)
  }

  private recompute(): void {
    const before = this.endpoints
    this.endpoints = endpointsFromSlices(this.slices.values())
    for (const pod of before.keys()) if (!this.endpoints.has(pod)) this.options.hooks.podGone?.(pod)
    this.changed()
  }
}

export interface PodTrackerOptions extends TrackerCommon {
  /** The pod kubectl chose at start. */
  initialPod: Pod
  /** `deployment/web`, for messages. */
  label: string
  /** The container port behind each listener for a given pod; throws when a named port is missing. */
  portsFor: (pod: Pod) => number[]
  /** The label selector of the Service/Deployment/ReplicaSet. */
  selector: string
}

/** deployment/, rs/, svc/ --one-pod: one serving pod at a time, replaced when it stops serving. */
export class PodTracker extends TrackerBase {
  private readonly options: PodTrackerOptions
  private readonly all = new Map<string, Pod>()
  private current: string | undefined

  constructor(options: PodTrackerOptions) {
    super(options)
    this.options = options
    this.current = options.initialPod.metadata.name
    this.all.set(this.current, options.initialPod)
  }

  get pods(): readonly string[] {
    return this.current ? [this.current] : []
  }

  async start(): Promise<void> {
    const {client, namespace, signal} = this.options
    await startInformer<Pod>({
      backoff: this.options.backoff,
      client,
      onEvent: (type, pod) => {
        if (type === 'DELETED') {
          this.all.delete(pod.metadata.name)
          this.options.hooks.podGone?.(pod.metadata.name)
        } else {
          this.all.set(pod.metadata.name, pod)
          if (isFinished(pod)) this.options.hooks.podGone?.(pod.metadata.name)
        }
        this.reconcile()
      },
      onRetry: this.options.hooks.retry,
      onSnapshot: items => {
        const names = new Set(items.map(p => p.metadata.name))
        for (const name of this.all.keys()) if (!names.has(name)) this.options.hooks.podGone?.(name)
        this.all.clear()
        for (const pod of items) this.all.set(pod.metadata.name, pod)
        this.reconcile()
      },
      path: objectPath('pods', namespace),
      query: {labelSelector: this.options.selector},
      signal,
    })
    this.settle()
  }

  protected tryPick(index: number, _clientIp: string, exclude: ReadonlySet<string>): Backend | undefined {
    let pod = this.current ? this.all.get(this.current) : undefined
    // The current pod refused a tunnel just now (its deletion is not in the watch yet): use the
    // next best serving pod for this connection, and let the watch move `current`.
    if (pod && exclude.has(pod.metadata.name)) pod = bestPod([...this.all.values()].filter(p => isPodServing(p) && !exclude.has(p.metadata.name)))
    if (!pod) return undefined
    return {pod: pod.metadata.name, port: this.options.portsFor(pod)[index]}
  }

  protected unavailableError(): Error {
    return new Error(`no running pod for ${this.options.label}`)
  }

  private reconcile(): void {
    const current = this.current ? this.all.get(this.current) : undefined
    if (!current || !isPodServing(current)) {
      const next = bestPod([...this.all.values()].filter(isPodServing))
      if (next) this.current = next.metadata.name
      // No ready pod: stay on the current one while it is Running (port-forward works on a pod
      // that is not ready, as kubectl does), else wait for one.
      else if (!current || current.status?.phase !== 'Running' || current.metadata.deletionTimestamp) this.current = undefined
    }
    this.changed()
  }
}

export interface NamedPodTrackerOptions extends TrackerCommon {
  pod: Pod
  /** The container port behind each listener. */
  ports: number[]
}

/** pod/NAME: that pod; lost for good when it is not Running again within the wait timeout. */
export class NamedPodTracker extends TrackerBase {
  private readonly options: NamedPodTrackerOptions
  private readonly name: string
  private pod: Pod | undefined
  private lostTimer: NodeJS.Timeout | undefined
  private lost: Error | undefined

  constructor(options: NamedPodTrackerOptions) {
    super(options)
    this.options = options
    this.name = options.pod.metadata.name
    this.pod = options.pod
    options.signal.addEventListener('abort', () => clearTimeout(this.lostTimer), {once: true})
  }

  get pods(): readonly string[] {
    return this.available() ? [this.name] : []
  }

  async start(): Promise<void> {
    const {client, namespace, signal} = this.options
    await startInformer<Pod>({
      backoff: this.options.backoff,
      client,
      onEvent: (type, pod) => this.update(type === 'DELETED' ? undefined : pod),
      onRetry: this.options.hooks.retry,
      onSnapshot: items => this.update(items.find(p => p.metadata.name === this.name)),
      path: objectPath('pods', namespace),
      query: {fieldSelector: `metadata.name=${this.name}`},
      signal,
    })
    this.settle()
    if (!this.available()) this.armLostTimer()
  }

  readonly canFailOver: boolean = false

  protected tryPick(index: number): Backend | undefined {
    return this.available() ? {pod: this.name, port: this.options.ports[index]} : undefined
  }

  protected unavailableError(): Error {
    return this.lost ?? new CliError('lost connection to pod')
  }

  protected failure(): Error | undefined {
    return this.lost
  }

  private available(): boolean {
    return Boolean(this.pod && this.pod.status?.phase === 'Running' && !this.pod.metadata.deletionTimestamp)
  }

  private update(pod: Pod | undefined): void {
    const wasAvailable = this.available()
    const previousUid = this.pod?.metadata.uid
    this.pod = pod
    // Gone: deleted, finished, or replaced by a new pod of the same name.
    if (!pod || isFinished(pod) || (previousUid && pod.metadata.uid && previousUid !== pod.metadata.uid)) {
      if (previousUid) this.options.hooks.podGone?.(this.name)
    }
    const isAvailable = this.available()
    if (wasAvailable && !isAvailable) this.armLostTimer()
    if (!wasAvailable && isAvailable && this.lostTimer) {
      clearTimeout(this.lostTimer)
      this.lostTimer = undefined
    }
    this.changed()
  }

  private armLostTimer(): void {
    if (this.lostTimer || this.lost) return
    this.lostTimer = setTimeout(() => {
      this.lostTimer = undefined
      if (this.available()) return
      this.lost = new CliError('lost connection to pod')
      this.options.hooks.fatal?.(this.lost)
      this.changed()
    }, this.options.waitTimeoutMs)
  }
}

function isFinished(pod: Pod): boolean {
  return pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded'
}
