// `svc port-forward --all`: every TCP port of every Service in the namespaces (narrowed by -l),
// kept current by watching the Services: a new one is forwarded as soon as its event arrives, a
// deleted one closed, a changed one restarted. Services that cannot be forwarded are listed once,
// with the reason. The forwards themselves are made by the caller (run.ts), one per Service.

import {startInformer, type ListWatchClient} from './informer.ts'
import type {Service, ServicePort} from './targets.ts'

/** The reason given for a Service without a selector whose endpoints do not name pods (hand-made ones, `kubernetes`). */
export const NO_POD_ENDPOINTS = 'no selector, and no endpoints that are pods'

/**
 * Why a Service cannot be forwarded, or undefined when it can. A Service without a selector is
 * forwardable only if its EndpointSlices name pods (`podEndpoints`, asked only then).
 */
export async function unforwardableReason(svc: Service, podEndpoints: (svc: Service) => Promise<boolean>): Promise<string | undefined> {
  const spec = svc.spec ?? {}
  if (spec.type === 'ExternalName') return `ExternalName Service (${spec.externalName ?? 'a DNS name'}), no pods behind it`
  if ((spec.ports ?? []).length === 0) return 'no ports'
  if (tcpPorts(svc).length === 0) return `no TCP port (${[...new Set((spec.ports ?? []).map(p => p.protocol))].join(', ')} only)`
  if (Object.keys(spec.selector ?? {}).length === 0 && !(await podEndpoints(svc))) return NO_POD_ENDPOINTS
  return undefined
}

/** The ports svc can forward: TCP (the default protocol). */
export function tcpPorts(svc: Service): ServicePort[] {
  return (svc.spec?.ports ?? []).filter(p => (p.protocol ?? 'TCP') === 'TCP')
}

/** What makes a running forward stale when the Service changes: its ports, selector and cluster IP. */
export function forwardFingerprint(svc: Service): string {
  const spec = svc.spec ?? {}
  return JSON.stringify([tcpPorts(svc).map(p => [p.name ?? '', p.port, p.targetPort ?? '']), spec.selector ?? {}, spec.clusterIP ?? ''])
}

/** The label of a Service in events and lines: `svc/NAME`, with the namespace in front when several are watched. */
export function serviceLabel(svc: Service, withNamespace: boolean): string {
  return withNamespace ? `${svc.metadata.namespace ?? ''}/svc/${svc.metadata.name}` : `svc/${svc.metadata.name}`
}

/** What the watch asks of its owner: start a Service's forward, stop it, say a Service is skipped, the set changed. */
export interface ServiceWatchHandler {
  /** Starts forwarding a Service; resolves once it listens (throws what it cannot). */
  start(svc: Service): Promise<void>
  /** Stops the forward of `namespace/name`. */
  stop(namespace: string, name: string, deleted: boolean): Promise<void>
  /** A Service that cannot be forwarded (called once per Service and reason). */
  skipped(svc: Service, reason: string): void
  /** A Service whose forward could not start (reported; the others go on). */
  failed(svc: Service, error: unknown): void
  /** Whether a Service without a selector has EndpointSlices naming pods. */
  podEndpoints(svc: Service): Promise<boolean>
}

export interface ServiceWatchOptions {
  client: ListWatchClient
  /** The namespaces to watch; undefined for every namespace (-A). */
  namespaces?: string[]
  /** -l. */
  selector?: string
  signal: AbortSignal
  handler: ServiceWatchHandler
  onRetry?: (error: unknown, delayMs: number) => void
}

interface Known {
  fingerprint?: string
  skipped?: string
}

/** The watch over the Services; start() resolves once every Service of the first LISTs is forwarded (or skipped). */
export class ServiceWatch {
  private readonly options: ServiceWatchOptions
  private readonly known = new Map<string, Known>()
  /** One chain of changes per Service, so that a start and a stop of the same Service never overlap. */
  private readonly queues = new Map<string, Promise<void>>()

  constructor(options: ServiceWatchOptions) {
    this.options = options
  }

  async start(): Promise<void> {
    const {client, selector, signal} = this.options
    const paths = this.options.namespaces === undefined
      ? ['/api/v1/services']
      : this.options.namespaces.map(ns => `/api/v1/namespaces/${encodeURIComponent(ns)}/services`)
    const initial: Promise<void>[] = []
    await Promise.all(paths.map(path => startInformer<Service>({
      client,
      onEvent: (type, svc) => void this.enqueue(svc, type === 'DELETED'),
      onRetry: this.options.onRetry,
      onSnapshot: items => {
        const present = new Set(items.map(key))
        const prefix = path === '/api/v1/services' ? '' : `${path.split('/')[4]}/`
        for (const k of this.known.keys()) {
          if (k.startsWith(prefix) && !present.has(k)) {
            const [namespace, name] = k.split('/')
            initial.push(this.enqueue({metadata: {name, namespace}}, true))
          }
        }
        for (const svc of items) initial.push(this.enqueue(svc, false))
      },
      path,
      query: {labelSelector: selector},
      signal,
    })))
    await Promise.all(initial)
  }

  private enqueue(svc: Service, deleted: boolean): Promise<void> {
    const k = key(svc)
    const next = (this.queues.get(k) ?? Promise.resolve()).then(() => this.apply(svc, deleted))
    this.queues.set(k, next)
    void next.finally(() => {
      if (this.queues.get(k) === next) this.queues.delete(k)
    })
    return next
  }

  private async apply(svc: Service, deleted: boolean): Promise<void> {
    if (this.options.signal.aborted) return
    const {handler} = this.options
    const k = key(svc)
    const known = this.known.get(k) ?? {}
    const namespace = svc.metadata.namespace ?? ''
    if (deleted) {
      if (known.fingerprint) await handler.stop(namespace, svc.metadata.name, true)
      this.known.delete(k)
      return
    }
    const reason = await unforwardableReason(svc, s => handler.podEndpoints(s)).catch((error: unknown) => `cannot read its endpoints: ${(error as Error).message}`)
    if (reason) {
      if (known.fingerprint) await handler.stop(namespace, svc.metadata.name, false)
      if (known.skipped !== reason) handler.skipped(svc, reason)
      this.known.set(k, {skipped: reason})
      return
    }
    const fingerprint = forwardFingerprint(svc)
    if (known.fingerprint === fingerprint) return
    if (known.fingerprint) await handler.stop(namespace, svc.metadata.name, false)
    this.known.set(k, {fingerprint})
    try {
      await handler.start(svc)
    } catch (error) {
      this.known.set(k, {})
      if (!this.options.signal.aborted) handler.failed(svc, error)
    }
  }
}

function key(svc: Service): string {
  return `${svc.metadata.namespace ?? ''}/${svc.metadata.name}`
}
