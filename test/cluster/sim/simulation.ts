// The simulated workloads of the local cluster: scheduler + kubelet (pod lifecycle and containers),
// the Deployment, ReplicaSet, Endpoints and EndpointSlice controllers and background garbage
// collection. Controllers react to store events: each event marks objects dirty and one reconcile
// pass runs on a microtask, so everything settles deterministically without timers (the only timer
// re-checks availability when a ReplicaSet has minReadySeconds).

import {createHash, randomUUID} from 'node:crypto'
import type net from 'node:net'
import {PodContainers, connectLoopback, goDialCause, kubeletPortForwardError, runtimePortForwardError} from './containers.ts'
import {endpointSlicesFor, endpointsFor, isManagedService, SERVICE_NAME_LABEL, SLICE_MANAGED_BY_LABEL, SLICE_CONTROLLER_NAME, ENDPOINTS_MANAGED_BY_LABEL, ENDPOINTS_CONTROLLER_NAME} from './endpoints.ts'
import {EventRecorder, legacyEvent, objectReference, scheduledEvent} from './events.ts'
import {randomHex, randomSuffix} from './hash.ts'
import {clone, deepEqual, getControllerOf, isControlledBy, isPodActive, key, normalizeImage, objKey} from './meta.ts'
import {buildPodStatus, declaredTcpPorts, IGNORE_SIGTERM_ANNOTATION, portBehaviour, scheduledCondition, simAnnotationsOf, simSettings} from './pod-status.ts'
import type {PodRuntime} from './pod-status.ts'
import type {SimStore, StoreEvent} from './types.ts'
import {R} from './types.ts'
import {
  deploymentStatus, desiredReplicas, equalIgnoreHash, isPodAvailable, newReplicaSetFor, podFromTemplate, podsToDelete,
  replicaSetStatus, resolveFenceposts, revisionOf, rolloutSteps, REVISION_ANNOTATION,
} from './workloads.ts'

export interface SimulationOptions {
  /** The node pods are scheduled to (default "local-node"). */
  nodeName?: string
  /** The node's InternalIP, reported as hostIP (default: read from the Node object, else 172.18.0.2). */
  hostIP?: string
  /** Clock, for tests. */
  now?: () => Date
  /** Called with errors a reconcile could not recover from (default: ignored). */
  onError?: (err: unknown) => void
  /**
   * Run the background garbage collector (delete dependents whose owner is gone). Default true; an API
   * server that collects garbage itself (honouring propagationPolicy Orphan) passes false.
   */
  garbageCollector?: boolean
}

export interface Simulation {
  /** Connects to the simulated container behind pod NS/NAME port PORT (a loopback TCP socket owned by the cluster). */
  dialPod(namespace: string, name: string, port: number): Promise<net.Socket>
  /** The text the kubelet sends on the port-forward error channel when dialling this pod port fails. */
  portForwardErrorText(namespace: string, name: string, port: number): string
  /** Resolves when no reconcile is pending (every controller has caught up with the store). */
  idle(): Promise<void>
  /** Number of open connections to simulated containers. */
  containerConnections(): number
  /** Stops the controllers and closes every container socket and listener. */
  stop(): Promise<void>
}

/** The error dialPod rejects with when the port refuses (ECONNREFUSED-like, kubelet wording). */
export class PodDialError extends Error {
  readonly code: string
  readonly errno: number
  readonly syscall = 'connect'
  readonly address = '127.0.0.1'
  readonly port: number
  /** What the kubelet writes on the port-forward error channel for this failure. */
  readonly kubeletMessage: string
  /** What the runtime's IPv4 dial met, in Go's words (goDialCause), when it was dialled. */
  readonly ipv4Cause: string | undefined

  constructor(message: string, port: number, kubeletMessage: string, code = 'ECONNREFUSED', ipv4Cause?: string) {
    super(message)
    this.ipv4Cause = ipv4Cause
    this.name = 'PodDialError'
    this.code = code
    this.errno = code === 'ECONNREFUSED' ? -111 : -2
    this.port = port
    this.kubeletMessage = kubeletMessage
  }
}

interface RuntimeState extends PodRuntime {
  uid: string
  key: string
  sandboxId: string
  netnsPath: string
  sig: string
  phase: string
  containersHost?: PodContainers
  eventsRecorded: boolean
}

type Cache = Map<string, any>

const WATCHED = [R.pods, R.services, R.endpoints, R.deployments, R.replicasets, R.endpointslices] as const

class SimulationImpl implements Simulation {
  private readonly store: SimStore
  private readonly nodeName: string
  private hostIP: string
  private zone: string | undefined
  private readonly now: () => Date
  private readonly onError: (err: unknown) => void
  private readonly garbageCollector: boolean
  private readonly recorder: EventRecorder
  private readonly caches = new Map<string, Cache>(WATCHED.map((r) => [r, new Map()]))
  private readonly runtimes = new Map<string, RuntimeState>() // by pod uid
  private readonly ipsInUse = new Set<string>()
  private nextIp = 2
  private readonly dirty = {pods: new Set<string>(), replicasets: new Set<string>(), deployments: new Set<string>(), services: new Set<string>(), gc: new Map<string, any>()}
  private readonly createdNewRS = new Set<string>()
  private readonly retries = new Map<string, number>()
  private readonly timers = new Set<NodeJS.Timeout>()
  private unsubscribe: (() => void) | undefined
  private scheduled = false
  private initialized: Promise<void> | undefined
  private running: Promise<void> | undefined
  private stopped = false

  private readonly onStop: () => void

  constructor(store: SimStore, options: SimulationOptions, onStop: () => void) {
    this.store = store
    this.onStop = onStop
    this.nodeName = options.nodeName ?? 'local-node'
    this.hostIP = options.hostIP ?? ''
    this.now = options.now ?? (() => new Date())
    this.onError = options.onError ?? (() => {})
    this.garbageCollector = options.garbageCollector ?? true
    this.recorder = new EventRecorder(store)
    const unsubscribe = store.subscribe((event) => this.onStoreEvent(event))
    this.unsubscribe = typeof unsubscribe === 'function' ? unsubscribe : undefined
  }

  start(explicitHostIP: boolean): void {
    this.initialized = this.init(explicitHostIP).catch((err) => this.onError(err))
  }

  private async init(explicitHostIP: boolean): Promise<void> {
    try {
      const node = await this.store.get(R.nodes, '', this.nodeName)
      if (!explicitHostIP) this.hostIP = (node?.status?.addresses ?? []).find((a: any) => a?.type === 'InternalIP')?.address ?? ''
      this.zone = node?.metadata?.labels?.['topology.kubernetes.io/zone']
    } catch {
      // a store without nodes: keep the defaults
    }
    if (!this.hostIP) this.hostIP = '172.18.0.2'
    for (const resource of WATCHED) {
      const listed = (await this.store.list(resource)) ?? []
      for (const obj of listed) {
        // events that arrived while listing are newer than the list: keep them
        const cached = this.cache(resource).get(objKey(obj))
        if (!cached || Number(cached.metadata.resourceVersion) < Number(obj.metadata.resourceVersion)) this.cache(resource).set(objKey(obj), obj)
        this.markFor(resource, obj)
      }
    }
    // pods that already have an IP keep it
    for (const pod of this.cache(R.pods).values()) if (pod?.status?.podIP) this.ipsInUse.add(pod.status.podIP)
    this.schedule()
  }

  // ---- store events -------------------------------------------------------------------------

  private cache(resource: string): Cache {
    return this.caches.get(resource)!
  }

  private onStoreEvent(event: StoreEvent): void {
    if (this.stopped) return
    const cache = this.caches.get(event.resource)
    if (!cache || !event.object?.metadata) return
    const k = objKey(event.object)
    if (event.type === 'DELETED') {
      cache.delete(k)
      this.dirty.gc.set(`${event.resource}|${event.object.metadata.uid}`, {resource: event.resource, object: event.object})
    } else {
      cache.set(k, event.object)
    }
    this.markFor(event.resource, event.object, event.old)
    this.schedule()
  }

  private servicesIn(namespace: string): any[] {
    return [...this.cache(R.services).values()].filter((s) => s.metadata.namespace === namespace)
  }

  private markFor(resource: string, obj: any, old?: any): void {
    const ns = obj.metadata.namespace
    switch (resource) {
      case R.pods: {
        this.dirty.pods.add(objKey(obj))
        for (const o of [obj, old]) {
          const ref = getControllerOf(o)
          if (ref?.kind === 'ReplicaSet') this.dirty.replicasets.add(key(ns, ref.name))
        }
        for (const svc of this.servicesIn(ns)) this.dirty.services.add(objKey(svc))
        break
      }
      case R.replicasets: {
        this.dirty.replicasets.add(objKey(obj))
        const ref = getControllerOf(obj)
        if (ref?.kind === 'Deployment') this.dirty.deployments.add(key(ns, ref.name))
        break
      }
      case R.deployments:
        this.dirty.deployments.add(objKey(obj))
        break
      case R.services:
        this.dirty.services.add(objKey(obj))
        break
      case R.endpoints:
        this.dirty.services.add(objKey(obj))
        break
      case R.endpointslices: {
        const svc = obj.metadata.labels?.[SERVICE_NAME_LABEL]
        if (svc) this.dirty.services.add(key(ns, svc))
        break
      }
    }
  }

  private hasDirty(): boolean {
    const d = this.dirty
    return d.pods.size + d.replicasets.size + d.deployments.size + d.services.size + d.gc.size > 0
  }

  private schedule(): void {
    if (this.scheduled || this.stopped) return
    this.scheduled = true
    queueMicrotask(() => {
      this.scheduled = false
      if (this.running || this.stopped) return
      this.running = this.loop().finally(() => {
        this.running = undefined
        if (this.hasDirty()) this.schedule()
      })
    })
  }

  async idle(): Promise<void> {
    if (this.initialized) await this.initialized
    for (let i = 0; i < 10_000; i++) {
      if (this.running) await this.running
      else if (this.scheduled || (this.hasDirty() && !this.stopped)) await new Promise<void>((resolve) => setImmediate(resolve))
      else return
    }
  }

  private async loop(): Promise<void> {
    if (this.initialized) await this.initialized
    for (let round = 0; round < 200 && this.hasDirty() && !this.stopped; round++) {
      const gc = [...this.dirty.gc.values()]
      const pods = [...this.dirty.pods]
      const replicasets = [...this.dirty.replicasets]
      const deployments = [...this.dirty.deployments]
      const services = [...this.dirty.services]
      this.dirty.gc.clear()
      this.dirty.pods.clear()
      this.dirty.replicasets.clear()
      this.dirty.deployments.clear()
      this.dirty.services.clear()
      for (const item of gc) await this.guard(`gc|${item.object.metadata.uid}`, () => this.collect(item.resource, item.object), () => this.dirty.gc.set(`${item.resource}|${item.object.metadata.uid}`, item))
      for (const k of pods) await this.guard(`pod|${k}`, () => this.syncPod(k), () => this.dirty.pods.add(k))
      for (const k of replicasets) await this.guard(`rs|${k}`, () => this.syncReplicaSet(k), () => this.dirty.replicasets.add(k))
      for (const k of deployments) await this.guard(`deploy|${k}`, () => this.syncDeployment(k), () => this.dirty.deployments.add(k))
      for (const k of services) await this.guard(`svc|${k}`, () => this.syncService(k), () => this.dirty.services.add(k))
    }
  }

  /** Runs one reconcile; on failure retries it (up to 5 times, on a later pass) and reports the error. */
  private async guard(id: string, fn: () => Promise<void>, retry: () => void): Promise<void> {
    try {
      await fn()
      this.retries.delete(id)
    } catch (err) {
      if (this.stopped) return
      const n = (this.retries.get(id) ?? 0) + 1
      this.retries.set(id, n)
      if (n <= 5) {
        this.later(10 * n, () => {
          retry()
          this.schedule()
        })
      } else {
        this.retries.delete(id)
        this.onError(err)
      }
    }
  }

  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      if (!this.stopped) fn()
    }, ms)
    timer.unref()
    this.timers.add(timer)
  }

  // ---- garbage collection -----------------------------------------------------------------

  private async collect(resource: string, owner: any): Promise<void> {
    const uid = owner.metadata.uid
    if (resource === R.pods) this.stopPod(owner)
    if (resource === R.services) {
      // the endpoints controller deletes the Endpoints of a deleted service
      const ep = this.cache(R.endpoints).get(objKey(owner))
      if (ep && !this.cache(R.services).has(objKey(owner)) && ep.metadata.labels?.[ENDPOINTS_MANAGED_BY_LABEL] === ENDPOINTS_CONTROLLER_NAME) {
        await this.deleteQuietly(R.endpoints, ep)
      }
    }
    if (uid == null || !this.garbageCollector) return
    for (const dependentResource of [R.replicasets, R.pods, R.endpointslices]) {
      for (const obj of [...this.cache(dependentResource).values()]) {
        const refs: any[] = obj.metadata.ownerReferences ?? []
        if (refs.some((r) => r?.uid === uid) && refs.every((r) => r?.uid === uid || !this.ownerExists(r, obj.metadata.namespace))) {
          await this.deleteQuietly(dependentResource, obj)
        }
      }
    }
  }

  private ownerExists(ref: any, namespace: string): boolean {
    const resource = ref.kind === 'Deployment' ? R.deployments : ref.kind === 'ReplicaSet' ? R.replicasets : ref.kind === 'Service' ? R.services : ref.kind === 'Pod' ? R.pods : undefined
    if (!resource) return true
    const obj = this.cache(resource).get(key(namespace, ref.name))
    return obj != null && obj.metadata.uid === ref.uid
  }

  private async deleteQuietly(resource: string, obj: any): Promise<void> {
    try {
      await this.store.delete(resource, obj.metadata.namespace, obj.metadata.name)
    } catch (err: any) {
      if (!isNotFound(err)) throw err
    }
  }

  // ---- scheduler + kubelet ----------------------------------------------------------------

  private allocateIp(): string {
    for (let i = 0; i < 65_534; i++) {
      const n = this.nextIp
      this.nextIp = this.nextIp >= 65_534 ? 2 : this.nextIp + 1
      if (n % 256 === 0 || n % 256 === 255) continue
      const ip = `10.244.${n >> 8}.${n & 255}`
      if (!this.ipsInUse.has(ip)) {
        this.ipsInUse.add(ip)
        return ip
      }
    }
    throw new Error('pod CIDR 10.244.0.0/16 exhausted')
  }

  private async syncPod(k: string): Promise<void> {
    const pod = this.cache(R.pods).get(k)
    if (!pod) return
    const now = this.now()
    const generation = typeof pod.metadata.generation === 'number' ? pod.metadata.generation : undefined
    if (!pod.spec?.nodeName) {
      // the scheduler binds the pod: spec.nodeName and the PodScheduled condition
      const bound = clone(pod)
      bound.spec.nodeName = this.nodeName
      bound.status = {...(bound.status ?? {}), phase: bound.status?.phase ?? 'Pending'}
      bound.status.conditions = [...(bound.status.conditions ?? []).filter((c: any) => c?.type !== 'PodScheduled'), scheduledCondition(now, generation)]
      const saved = await this.store.update(R.pods, bound)
      await this.recorder.record(scheduledEvent({pod: saved ?? bound, nodeName: this.nodeName, schedulerHost: this.nodeName, now}))
      return
    }
    if (pod.spec.nodeName !== this.nodeName) return // bound to a node that does not exist: stays Pending
    if (pod.metadata.deletionTimestamp) {
      // graceful deletion: the containers exit on SIGTERM at once and the kubelet removes the pod;
      // with sim.svc.local/ignore-sigterm they keep serving until the grace period is over (SIGKILL)
      const due = Date.parse(pod.metadata.deletionTimestamp) - this.now().getTime()
      if (ignoresSigterm(pod) && due > 0) {
        const rt = this.runtimes.get(pod.metadata.uid)
        if (rt) this.ensureContainers(pod, rt)
        this.later(due, () => {
          this.dirty.pods.add(k)
          this.schedule()
        })
        return
      }
      this.stopPod(pod)
      await this.deleteQuietly(R.pods, pod)
      return
    }
    const settings = simSettings(pod)
    const sig = simAnnotationsOf(pod)
    let rt = this.runtimes.get(pod.metadata.uid)
    if (!rt || rt.sig !== sig) {
      const fresh = !rt
      if (!rt) {
        const containers: PodRuntime['containers'] = {}
        for (const c of pod.spec.containers ?? []) {
          containers[c.name] = {
            containerID: `containerd://${randomHex(32)}`,
            imageDigest: `sha256:${createHash('sha256').update(normalizeImage(String(c.image ?? ''))).digest('hex')}`,
          }
        }
        rt = {
          uid: pod.metadata.uid,
          key: k,
          sandboxId: randomHex(32),
          netnsPath: `/var/run/netns/cni-${randomUUID()}`,
          sig,
          phase: '',
          hostIP: this.hostIP,
          podIP: pod.status?.podIP,
          startTime: pod.status?.startTime ? new Date(pod.status.startTime) : now,
          startedAt: now,
          containers,
          eventsRecorded: pod.status?.phase === 'Running' || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed',
        }
        this.runtimes.set(rt.uid, rt)
      }
      rt.sig = sig
      if (settings.phase !== 'Pending' && !rt.podIP) rt.podIP = this.allocateIp()
      if (settings.phase === 'Running') rt.finishedAt = undefined
      if ((settings.phase === 'Succeeded' || settings.phase === 'Failed') && !rt.finishedAt) rt.finishedAt = now
      if (settings.phase !== 'Pending' && rt.phase === 'Pending') rt.startedAt = now
      rt.phase = settings.phase
      // an existing pod that already has a kubelet-style status (e.g. after a restart) keeps it
      const adopt = fresh && pod.status?.containerStatuses?.length && pod.status?.phase === settings.phase
      if (!adopt) {
        const updated = clone(pod)
        updated.status = buildPodStatus(pod, settings, rt, now)
        if (!deepEqual(updated.status, pod.status)) await this.store.update(R.pods, updated, {subresource: 'status'})
      }
      if (!rt.eventsRecorded && settings.phase !== 'Pending') {
        rt.eventsRecorded = true
        await this.recordContainerEvents(this.cache(R.pods).get(k) ?? pod)
      }
    }
    // a spec update (e.g. a new image) moves generation: the kubelet reports that it has seen it
    const latest = this.cache(R.pods).get(k) ?? pod
    const gen = latest.metadata.generation
    if (typeof gen === 'number' && typeof latest.status?.observedGeneration === 'number' && latest.status.observedGeneration < gen) {
      const updated = clone(latest)
      updated.status.observedGeneration = gen
      await this.store.update(R.pods, updated)
    }
    this.ensureContainers(this.cache(R.pods).get(k) ?? latest, rt)
  }

  private async recordContainerEvents(pod: any): Promise<void> {
    for (const c of pod.spec.containers ?? []) {
      const ref = objectReference(pod, 'v1', 'Pod', `spec.containers{${c.name}}`)
      const base = {involvedObject: ref, type: 'Normal' as const, component: 'kubelet', host: this.nodeName}
      await this.recorder.record(legacyEvent({...base, reason: 'Pulled', message: `Container image "${c.image}" already present on machine and can be accessed by the pod`, now: this.now()}))
      await this.recorder.record(legacyEvent({...base, reason: 'Created', message: 'Container created', now: this.now()}))
      await this.recorder.record(legacyEvent({...base, reason: 'Started', message: 'Container started', now: this.now()}))
    }
  }

  /** Containers serve while the pod is Running (as stored: a status patch to another phase stops them). */
  private ensureContainers(pod: any, rt: RuntimeState): void {
    const serving = pod.status?.phase === 'Running' && !!rt.podIP
    if (serving && !rt.containersHost) {
      const k = rt.key
      rt.containersHost = new PodContainers(pod.metadata.name, declaredTcpPorts(pod), (port) => {
        const current = this.cache(R.pods).get(k)
        return current ? portBehaviour(current, port) : 'refuse'
      })
    } else if (!serving && rt.containersHost) {
      rt.containersHost.close()
      rt.containersHost = undefined
    }
  }

  private stopPod(pod: any): void {
    const rt = this.runtimes.get(pod.metadata.uid)
    if (!rt) {
      if (pod.status?.podIP && ![...this.cache(R.pods).values()].some((p) => p.status?.podIP === pod.status.podIP)) this.ipsInUse.delete(pod.status.podIP)
      return
    }
    rt.containersHost?.close()
    rt.containersHost = undefined
    if (rt.podIP) this.ipsInUse.delete(rt.podIP)
    this.runtimes.delete(rt.uid)
    if (pod.status?.phase === 'Running') {
      for (const c of pod.spec?.containers ?? []) {
        const ref = objectReference(pod, 'v1', 'Pod', `spec.containers{${c.name}}`)
        void this.recorder
          .record(legacyEvent({involvedObject: ref, type: 'Normal', reason: 'Killing', message: `Stopping container ${c.name}`, component: 'kubelet', host: this.nodeName, now: this.now()}))
          .catch(() => {})
      }
    }
  }

  // ---- ReplicaSet controller --------------------------------------------------------------

  private ownedPods(rs: any): any[] {
    return [...this.cache(R.pods).values()].filter((p) => p.metadata.namespace === rs.metadata.namespace && isControlledBy(p, rs))
  }

  private uniqueName(resource: string, namespace: string, prefix: string): string {
    for (;;) {
      const name = `${prefix}${randomSuffix(5)}`
      if (!this.cache(resource).has(key(namespace, name))) return name
    }
  }

  private async syncReplicaSet(k: string): Promise<void> {
    const rs = this.cache(R.replicasets).get(k)
    if (!rs || rs.metadata.deletionTimestamp) return
    const ns = rs.metadata.namespace
    const ref = objectReference(rs, 'apps/v1', 'ReplicaSet')
    const owned = this.ownedPods(rs)
    const active = owned.filter(isPodActive)
    const want = desiredReplicas(rs)
    if (active.length < want) {
      for (let i = active.length; i < want; i++) {
        const pod = podFromTemplate(rs, this.uniqueName(R.pods, ns, `${rs.metadata.name}-`))
        const created = await this.store.create(R.pods, pod)
        const name = created?.metadata?.name ?? pod.metadata.name
        await this.recorder.record(legacyEvent({involvedObject: ref, type: 'Normal', reason: 'SuccessfulCreate', message: `Created pod: ${name}`, component: 'replicaset-controller', now: this.now()}))
      }
    } else if (active.length > want) {
      for (const pod of podsToDelete(active, active.length - want)) {
        await this.deleteQuietly(R.pods, pod)
        await this.recorder.record(legacyEvent({involvedObject: ref, type: 'Normal', reason: 'SuccessfulDelete', message: `Deleted pod: ${pod.metadata.name}`, component: 'replicaset-controller', now: this.now()}))
      }
    }
    const current = this.cache(R.replicasets).get(k)
    if (!current || current.metadata.uid !== rs.metadata.uid) return
    const now = this.now()
    const status = replicaSetStatus(current, this.ownedPods(current), now)
    if (!deepEqual(status, current.status ?? {})) {
      const updated = clone(current)
      updated.status = status
      await this.store.update(R.replicasets, updated, {subresource: 'status'})
    }
    // pods that are ready but not yet available for minReadySeconds: look again when they are
    const minReady = current.spec?.minReadySeconds ?? 0
    if (minReady > 0) {
      for (const pod of this.ownedPods(current)) {
        if (!isPodActive(pod) || isPodAvailable(pod, minReady, now)) continue
        const ready = (pod.status?.conditions ?? []).find((c: any) => c?.type === 'Ready' && c?.status === 'True')
        if (!ready) continue
        const due = Date.parse(ready.lastTransitionTime) + minReady * 1000 - now.getTime()
        this.later(Math.max(1, due + 5), () => {
          this.dirty.replicasets.add(k)
          this.schedule()
        })
        break
      }
    }
  }

  // ---- Deployment controller ----------------------------------------------------------------

  private async syncDeployment(k: string): Promise<void> {
    let d = this.cache(R.deployments).get(k)
    if (!d || d.metadata.deletionTimestamp) return
    const ns = d.metadata.namespace
    const ref = () => objectReference(this.cache(R.deployments).get(k) ?? d, 'apps/v1', 'Deployment')
    const owned = () => [...this.cache(R.replicasets).values()].filter((rs) => rs.metadata.namespace === ns && isControlledBy(rs, d))
    let all = owned()
    let newRS = all.find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template))
    const paused = d.spec?.paused === true
    let created = false
    if (!newRS && !paused) {
      const revision = Math.max(0, ...all.map(revisionOf)) + 1
      const oldTotal = all.reduce((n, rs) => n + desiredReplicas(rs), 0)
      const {maxSurge} = resolveFenceposts(d)
      const replicas = oldTotal === 0 || d.spec?.strategy?.type === 'Recreate' ? (oldTotal === 0 ? desiredReplicas(d) : 0) : Math.max(0, Math.min(desiredReplicas(d), desiredReplicas(d) + maxSurge - oldTotal))
      let collision = d.status?.collisionCount as number | undefined
      for (let attempt = 0; attempt < 10; attempt++) {
        const rs = newReplicaSetFor(d, replicas, revision, collision)
        const clash = this.cache(R.replicasets).get(key(ns, rs.metadata.name))
        if (clash) {
          if (isControlledBy(clash, d) && equalIgnoreHash(clash.spec?.template, d.spec?.template)) {
            newRS = clash
            break
          }
          collision = (collision ?? 0) + 1
          continue
        }
        newRS = (await this.store.create(R.replicasets, rs)) ?? rs
        created = true
        this.createdNewRS.add(k)
        if (replicas > 0) {
          await this.recorder.record(legacyEvent({involvedObject: ref(), type: 'Normal', reason: 'ScalingReplicaSet', message: `Scaled up replica set ${rs.metadata.name} from 0 to ${replicas}`, component: 'deployment-controller', now: this.now()}))
        }
        break
      }
      if (collision !== d.status?.collisionCount) {
        const updated = clone(this.cache(R.deployments).get(k) ?? d)
        updated.status = {...(updated.status ?? {}), collisionCount: collision}
        d = (await this.store.update(R.deployments, updated, {subresource: 'status'})) ?? updated
      }
      all = owned()
    }
    if (newRS && !paused) {
      newRS = this.cache(R.replicasets).get(objKey(newRS)) ?? newRS
      // rolling back to an older template: its ReplicaSet becomes the newest revision again
      const maxRevision = Math.max(0, ...all.map(revisionOf))
      if (!created && revisionOf(newRS) < maxRevision) {
        const updated = clone(newRS)
        const annotations = {...(updated.metadata.annotations ?? {})}
        const previous = annotations[REVISION_ANNOTATION]
        if (previous) annotations['deployment.kubernetes.io/revision-history'] = annotations['deployment.kubernetes.io/revision-history'] ? `${annotations['deployment.kubernetes.io/revision-history']},${previous}` : previous
        annotations[REVISION_ANNOTATION] = String(maxRevision + 1)
        updated.metadata.annotations = annotations
        newRS = (await this.store.update(R.replicasets, updated)) ?? updated
      }
      const oldRSs = all.filter((rs) => rs.metadata.uid !== newRS.metadata.uid)
      const oldPodsLeft = oldRSs.reduce((n, rs) => n + this.ownedPods(rs).length, 0)
      if (!created) {
        for (const step of rolloutSteps(d, newRS, oldRSs, oldPodsLeft)) {
          const rs = this.cache(R.replicasets).get(objKey(step.rs))
          if (!rs) continue
          const from = desiredReplicas(rs)
          if (from === step.to) continue
          const updated = clone(rs)
          updated.spec.replicas = step.to
          if (rs.metadata.uid === newRS.metadata.uid) {
            updated.metadata.annotations = {...(updated.metadata.annotations ?? {}), 'deployment.kubernetes.io/desired-replicas': String(desiredReplicas(d)), 'deployment.kubernetes.io/max-replicas': String(desiredReplicas(d) + resolveFenceposts(d).maxSurge)}
          }
          await this.store.update(R.replicasets, updated)
          const direction = step.to > from ? 'up' : 'down'
          await this.recorder.record(legacyEvent({involvedObject: ref(), type: 'Normal', reason: 'ScalingReplicaSet', message: `Scaled ${direction} replica set ${rs.metadata.name} from ${from} to ${step.to}`, component: 'deployment-controller', now: this.now()}))
        }
      }
      // the Deployment carries the revision of its newest ReplicaSet
      const current = this.cache(R.deployments).get(k)
      const revision = newRS.metadata.annotations?.[REVISION_ANNOTATION]
      if (current && revision && current.metadata.annotations?.[REVISION_ANNOTATION] !== revision) {
        const updated = clone(current)
        updated.metadata.annotations = {...(updated.metadata.annotations ?? {}), [REVISION_ANNOTATION]: revision}
        await this.store.update(R.deployments, updated)
      }
    }
    const current = this.cache(R.deployments).get(k)
    if (!current) return
    const latestNew = newRS ? this.cache(R.replicasets).get(objKey(newRS)) ?? newRS : undefined
    const status = deploymentStatus({deployment: current, newRS: latestNew, allRSs: owned(), createdNewRS: this.createdNewRS.delete(k) || created, now: this.now()})
    if (!deepEqual(status, current.status ?? {})) {
      const updated = clone(current)
      updated.status = status
      await this.store.update(R.deployments, updated, {subresource: 'status'})
    }
  }

  // ---- Endpoints + EndpointSlice controllers ------------------------------------------------

  private async syncService(k: string): Promise<void> {
    const svc = this.cache(R.services).get(k)
    const [ns, name] = splitKey(k)
    if (!svc) {
      const ep = this.cache(R.endpoints).get(k)
      if (ep?.metadata.labels?.[ENDPOINTS_MANAGED_BY_LABEL] === ENDPOINTS_CONTROLLER_NAME) await this.deleteQuietly(R.endpoints, ep)
      for (const slice of [...this.cache(R.endpointslices).values()]) {
        const labels = slice.metadata.labels ?? {}
        if (slice.metadata.namespace === ns && labels[SERVICE_NAME_LABEL] === name && labels[SLICE_MANAGED_BY_LABEL] === SLICE_CONTROLLER_NAME) await this.deleteQuietly(R.endpointslices, slice)
      }
      return
    }
    if (!isManagedService(svc)) return
    const pods = [...this.cache(R.pods).values()].filter((p) => p.metadata.namespace === ns)
    // v1 Endpoints
    const desired = endpointsFor(svc, pods)
    const existing = this.cache(R.endpoints).get(k)
    if (desired) {
      if (!existing) {
        await this.store.create(R.endpoints, desired)
      } else if (!deepEqual(existing.subsets ?? [], desired.subsets ?? []) || !deepEqual(existing.metadata.labels ?? {}, desired.metadata.labels)) {
        const updated = clone(existing)
        updated.metadata.labels = desired.metadata.labels
        updated.metadata.annotations = {...(updated.metadata.annotations ?? {}), ...(desired.metadata.annotations ?? {})}
        if (desired.subsets) updated.subsets = desired.subsets
        else delete updated.subsets
        await this.store.update(R.endpoints, updated)
      }
    }
    // EndpointSlices
    const slices = [...this.cache(R.endpointslices).values()].filter((s) => s.metadata.namespace === ns)
    const plan = endpointSlicesFor(svc, pods, slices, {zoneOf: (node) => (node === this.nodeName ? this.zone : undefined)})
    for (const slice of plan.create) {
      slice.metadata.name = this.uniqueName(R.endpointslices, ns, slice.metadata.generateName)
      await this.store.create(R.endpointslices, slice)
    }
    for (const slice of plan.update) await this.store.update(R.endpointslices, slice)
    for (const slice of plan.delete) await this.deleteQuietly(R.endpointslices, slice)
  }

  // ---- containers -------------------------------------------------------------------------

  private runtimeOf(namespace: string, name: string): {pod: any; rt: RuntimeState | undefined} | undefined {
    const pod = this.cache(R.pods).get(key(namespace, name))
    if (!pod) return undefined
    return {pod, rt: this.runtimes.get(pod.metadata.uid)}
  }

  portForwardErrorText(namespace: string, name: string, port: number): string {
    const found = this.runtimeOf(namespace, name)
    const sandboxId = found?.rt?.sandboxId ?? ''
    return kubeletPortForwardError(port, sandboxId, runtimePortForwardError(port, sandboxId, found?.rt?.netnsPath ?? ''))
  }

  async dialPod(namespace: string, name: string, port: number): Promise<net.Socket> {
    await this.idle()
    const found = this.runtimeOf(namespace, name)
    if (!found) throw new PodDialError(`pod "${name}" not found in namespace "${namespace}"`, port, `pod "${name}" not found`, 'ENOENT')
    const {pod, rt} = found
    if (!rt || !rt.containersHost || pod.status?.phase !== 'Running') {
      const text = `container not running (pod "${name}" is ${pod.status?.phase ?? 'Pending'})`
      throw new PodDialError(text, port, kubeletPortForwardError(port, rt?.sandboxId ?? '', text), 'ENOTCONN')
    }
    const refuse = (ipv4Cause?: string, code?: string) => {
      const runtimeError = runtimePortForwardError(port, rt.sandboxId, rt.netnsPath, ipv4Cause)
      return new PodDialError(runtimeError, port, kubeletPortForwardError(port, rt.sandboxId, runtimeError), code, ipv4Cause)
    }
    if (portBehaviour(pod, port) === 'refuse') throw refuse()
    const hostPort = await rt.containersHost.hostPort(port)
    if (hostPort === undefined || rt.containersHost.isClosed) throw refuse()
    try {
      return await connectLoopback(hostPort)
    } catch (error) {
      // The dial's own cause (a refusal, a timeout, no free port), not always "refused".
      throw refuse(goDialCause(error as NodeJS.ErrnoException), (error as NodeJS.ErrnoException).code)
    }
  }

  containerConnections(): number {
    let n = 0
    for (const rt of this.runtimes.values()) n += rt.containersHost?.connectionCount ?? 0
    return n
  }

  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    this.onStop()
    this.unsubscribe?.()
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
    for (const rt of this.runtimes.values()) {
      rt.containersHost?.close()
      rt.containersHost = undefined
    }
    if (this.running) await this.running.catch(() => {})
  }
}

function ignoresSigterm(pod: any): boolean {
  return String(pod?.metadata?.annotations?.[IGNORE_SIGTERM_ANNOTATION] ?? '').trim().toLowerCase() === 'true'
}

function splitKey(k: string): [string, string] {
  const i = k.indexOf('/')
  return [k.slice(0, i), k.slice(i + 1)]
}

function isNotFound(err: any): boolean {
  return err?.status?.code === 404 || err?.code === 404 || err?.status === 404 || err?.statusCode === 404 || err?.reason === 'NotFound' || err?.body?.reason === 'NotFound' || /not found/i.test(String(err?.message ?? ''))
}

/**
 * Starts the simulation on a store: subscribes at once, reconciles what the store already holds,
 * then follows its events. `await sim.idle()` waits until everything has settled. Calling it again
 * for the same store (until stop()) returns the same simulation.
 */
export function startSimulation(store: SimStore, options: SimulationOptions = {}): Simulation {
  // one simulation per store: a second call returns the running one (its options stay in force)
  const running = RUNNING.get(store)
  if (running) return running
  const sim = new SimulationImpl(store, options, () => RUNNING.delete(store))
  RUNNING.set(store, sim)
  sim.start(options.hostIP != null)
  return sim
}

const RUNNING = new WeakMap<SimStore, Simulation>()
