// The cluster as `svc proxy` sees it: per namespace in use, its Services and EndpointSlices, kept
// current by one list+watch each (informer.ts), started the first time a connection names the
// namespace. Answers "where does HOST:PORT go" with names.ts, and picks a pod per connection with
// kube-proxy's round-robin and ClientIP affinity (balancer.ts), one balancer per Service.

import {ApiError} from '../kube/errors.ts'
import {endpointSlicesPath} from '../kube/service-ops.ts'
import type {EndpointSlice, Pod, Service} from '../kube/types.ts'
import {affinityTimeoutMs, type Backend, Balancer} from '../portforward/balancer.ts'
import {type ListWatchClient, startInformer} from '../portforward/informer.ts'
import {
  type Decision, decideIP, decidePodHostname, decideService, endpointPods, type HostQuery, type NamespaceSnapshot, parseHost, refuse,
} from './names.ts'

export interface DirectoryOptions {
  client: ListWatchClient
  clusterDomain: string
  /** The current namespace (NAME alone, and where an unknown IP is looked for first). */
  namespace: string
  /** Stops every watch. */
  signal: AbortSignal
  /** A pod left a namespace's endpoints: connections to it should end. */
  podGone?: (namespace: string, pod: string) => void
  /** A watch failed and is retried (for -v logs). */
  retry?: (error: unknown, delayMs: number) => void
  backoff?: {initialMs?: number; maxMs?: number}
}

/** Where one connection goes. */
export type Route =
  | {kind: 'pod'; namespace: string; backend: Backend; service?: string; /** another pod for the same connection, avoiding `exclude` */ next: (exclude: ReadonlySet<string>) => Backend | undefined}
  | {kind: 'direct'; host: string; port: number}
  | {kind: 'refuse'; refusal: {kind: string; message: string}}

class NamespaceView implements NamespaceSnapshot {
  readonly namespace: string
  readonly services = new Map<string, Service>()
  private readonly sliceMap = new Map<string, EndpointSlice>()
  private pods = new Set<string>()
  ready: Promise<void> = Promise.resolve()

  constructor(namespace: string) {
    this.namespace = namespace
  }

  get slices(): Iterable<EndpointSlice> {
    return this.sliceMap.values()
  }

  start(options: DirectoryOptions): Promise<void> {
    const ns = encodeURIComponent(this.namespace)
    const common = {backoff: options.backoff, client: options.client, onRetry: options.retry, signal: options.signal}
    const services = startInformer<Service>({
      ...common,
      onEvent: (type, svc) => {
        if (type === 'DELETED') this.services.delete(svc.metadata.name)
        else this.services.set(svc.metadata.name, svc)
      },
      onSnapshot: items => {
        this.services.clear()
        for (const svc of items) this.services.set(svc.metadata.name, svc)
      },
      path: `/api/v1/namespaces/${ns}/services`,
    })
    const slices = startInformer<EndpointSlice>({
      ...common,
      onEvent: (type, slice) => {
        if (type === 'DELETED') this.sliceMap.delete(slice.metadata.name)
        else this.sliceMap.set(slice.metadata.name, slice)
        this.endpointsChanged(options)
      },
      onSnapshot: items => {
        this.sliceMap.clear()
        for (const slice of items) this.sliceMap.set(slice.metadata.name, slice)
        this.endpointsChanged(options)
      },
      path: endpointSlicesPath(this.namespace),
    })
    this.ready = Promise.all([services, slices]).then(() => undefined)
    return this.ready
  }

  private endpointsChanged(options: DirectoryOptions): void {
    const now = endpointPods(this.sliceMap.values())
    for (const pod of this.pods) if (!now.has(pod)) options.podGone?.(this.namespace, pod)
    this.pods = now
  }
}

export class Directory {
  private readonly options: DirectoryOptions
  private readonly views = new Map<string, NamespaceView>()
  private readonly balancers = new Map<string, {balancer: Balancer; timeout: number | undefined}>()

  constructor(options: DirectoryOptions) {
    this.options = options
  }

  /** The namespaces watched now. */
  get namespaces(): string[] {
    return [...this.views.keys()].sort()
  }

  /** Where a connection from `clientIp` to HOST:PORT goes now. */
  async route(host: string, port: number, clientIp: string, passthrough: boolean): Promise<Route> {
    const query = parseHost(host, {clusterDomain: this.options.clusterDomain, namespace: this.options.namespace})
    let decision: Decision
    try {
      decision = await this.decide(query, host, port, passthrough)
    } catch (error) {
      if (error instanceof ApiError) decision = refuse(error.code === 403 ? 'forbidden' : 'unreachable', `cannot look up ${host}: ${error.status.message ?? error.message}`)
      else throw error
    }
    switch (decision.kind) {
      case 'direct':
        return decision
      case 'refuse':
        return {kind: 'refuse', refusal: decision.refusal}
      case 'pods': {
        const {backends, namespace, service} = decision
        const key = service ? `${namespace}/${service.metadata.name}` : `${namespace}/`
        const balancer = this.balancerFor(key, service)
        const choose = (exclude: ReadonlySet<string>) => {
          const usable = backends.filter(b => !exclude.has(b.pod))
          const pod = balancer.choose(String(port), clientIp, usable.map(b => b.pod))
          return usable.find(b => b.pod === pod)
        }
        return {backend: choose(new Set())!, kind: 'pod', namespace, next: choose, ...(service ? {service: service.metadata.name} : {})}
      }
    }
  }

  private async decide(query: HostQuery, host: string, port: number, passthrough: boolean): Promise<Decision> {
    const outside = (why: string): Decision =>
      passthrough ? {host, kind: 'direct', port} : refuse('not-cluster', `${why} (names outside the cluster need --passthrough)`)
    switch (query.kind) {
      case 'outside':
        return outside(`${host} is not a cluster name`)
      case 'ip':
        return (await this.decideIP(query.ip, port, passthrough)) ?? outside(`no Service or pod has the IP ${query.ip} in namespaces ${this.namespaces.join(', ')}`)
      case 'service':
      case 'pod': {
        const service = query.kind === 'service' ? query.name : query.service
        if (!query.explicit && !this.views.has(query.namespace) && !(await this.serviceExists(query.namespace, service))) {
          return outside(`no Service "${service}" in namespace "${query.namespace}"`)
        }
        const view = await this.view(query.namespace)
        if (!query.explicit && !view.services.has(service)) return outside(`no Service "${service}" in namespace "${query.namespace}"`)
        return query.kind === 'service' ? decideService(view, query.name, port, passthrough) : decidePodHostname(view, query.service, query.hostname, port)
      }
    }
  }

  /** Looks in the namespaces watched (the current one first), then asks the API who has the IP. */
  private async decideIP(ip: string, port: number, passthrough: boolean): Promise<Decision | undefined> {
    await this.view(this.options.namespace)
    for (const view of this.views.values()) {
      await view.ready
      const decision = decideIP(view, ip, port, passthrough)
      if (decision) return decision
    }
    const found = await this.findIP(ip)
    if (!found) return undefined
    const view = await this.view(found.namespace)
    if (found.kind === 'pod') return decideIP(view, ip, port, passthrough) ?? {backends: [{pod: found.name, port}], kind: 'pods', namespace: found.namespace}
    return decideService(view, found.name, port, passthrough)
  }

  /** A Service with that ClusterIP or a running pod with that IP, cluster-wide, else in the current namespace. */
  private async findIP(ip: string): Promise<{kind: 'pod' | 'service'; name: string; namespace: string} | undefined> {
    const {client, namespace, signal} = this.options
    for (const scope of ['', `/namespaces/${encodeURIComponent(namespace)}`]) {
      try {
        const services = await client.request<{items?: Service[]}>({path: `/api/v1${scope}/services`, query: {fieldSelector: `spec.clusterIP=${ip}`}, signal})
        const svc = services.body.items?.[0]
        if (svc) return {kind: 'service', name: svc.metadata.name, namespace: svc.metadata.namespace ?? namespace}
        const pods = await client.request<{items?: Pod[]}>({path: `/api/v1${scope}/pods`, query: {fieldSelector: `status.podIP=${ip},status.phase=Running`}, signal})
        const pod = pods.body.items?.[0]
        if (pod) return {kind: 'pod', name: pod.metadata.name, namespace: pod.metadata.namespace ?? namespace}
        return undefined
      } catch (error) {
        // Not allowed to list cluster-wide: look in the current namespace only.
        if (scope === '' && error instanceof ApiError && error.code === 403) continue
        throw error
      }
    }
    return undefined
  }

  private async serviceExists(namespace: string, name: string): Promise<boolean> {
    try {
      await this.options.client.request({path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/services/${encodeURIComponent(name)}`, signal: this.options.signal})
      return true
    } catch (error) {
      if (error instanceof ApiError && error.code === 404) return false
      throw error
    }
  }

  /** The namespace's view, its watches started on first use; a failed first list is retried by the next lookup. */
  private async view(namespace: string): Promise<NamespaceView> {
    let view = this.views.get(namespace)
    if (!view) {
      view = new NamespaceView(namespace)
      this.views.set(namespace, view)
      const started = view
      view.start(this.options).catch(() => {
        if (this.views.get(namespace) === started) this.views.delete(namespace)
      })
    }
    await view.ready
    return view
  }

  private balancerFor(key: string, service: Service | undefined): Balancer {
    const timeout = affinityTimeoutMs(service?.spec)
    let entry = this.balancers.get(key)
    if (!entry || entry.timeout !== timeout) {
      entry = {balancer: new Balancer({affinityTimeoutMs: timeout}), timeout}
      this.balancers.set(key, entry)
    }
    return entry.balancer
  }
}
