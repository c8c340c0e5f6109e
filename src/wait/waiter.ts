// Waiting for one Service to meet a condition, driven by watches (never by polling): the Service
// itself with a metadata.name field selector and, for --for=endpoints, its EndpointSlices by the
// kubernetes.io/service-name label. Each watch starts from the resourceVersion of its first read,
// so no change between the read and the watch is missed; a dropped watch is reopened from the last
// version seen (watchObjects). The wait ends when the condition holds, the Service disappears
// (NotFound, or the condition for --for=delete), the signal aborts (timeout, Ctrl-C) or a watch fails.
//
// Mirrors kubectl pkg/cmd/wait getObjAndCheckCondition (the Service watch and its precondition that
// the object still exists) and IsDeleted, IsCreated.

import type {KubeClient} from '../kube/client.ts'
import {ApiError} from '../kube/errors.ts'
import {endpointSlicesPath, isNotFound, type Service, serviceSlices, servicesPath, watchObjects} from '../kube/service-ops.ts'
import {type Condition, type EndpointSlice, isMet} from './conditions.ts'

export interface WaitResult {
  /** The Service as last seen (for delete: before it went). */
  service?: Service
  slices: EndpointSlice[]
}

/** NotFound as the API server words it, for a Service that went away while it was waited for. */
export function serviceNotFound(name: string): ApiError {
  return new ApiError(404, {apiVersion: 'v1', code: 404, details: {kind: 'services', name}, kind: 'Status', message: `services "${name}" not found`, metadata: {}, reason: 'NotFound', status: 'Failure'})
}

/** --timeout=0: the condition was checked once and does not hold. */
export class NotMet extends Error {}

/**
 * Waits until the named Service meets the condition. Rejects with NotFound when it is missing (or
 * goes away) and the condition is not create or delete, and with the signal's reason on abort.
 * With `once`, the condition is checked once (NotMet when it does not hold).
 */
export async function waitForService(client: KubeClient, namespace: string, name: string, condition: Condition, signal: AbortSignal, once = false): Promise<WaitResult> {
  const controller = new AbortController()
  const onAbort = () => controller.abort(signal.reason)
  signal.addEventListener('abort', onAbort, {once: true})
  try {
    return await run(client, namespace, name, condition, controller.signal, once)
  } finally {
    signal.removeEventListener('abort', onAbort)
    controller.abort()
  }
}

async function run(client: KubeClient, namespace: string, name: string, condition: Condition, signal: AbortSignal, once: boolean): Promise<WaitResult> {
  const wait = new ServiceWait(client, namespace, name, condition, signal)
  await wait.read()
  if (wait.evaluate()) return wait.state
  if (once) throw new NotMet()
  if (signal.aborted) throw signal.reason
  return wait.watch()
}

/**
 * One wait: the Service (and, for --for=endpoints, its EndpointSlices) as last seen, read once and
 * then followed by watches from the versions read, until the condition holds or the wait fails.
 */
class ServiceWait {
  /** What the wait returns: the Service and slices as last seen, and whether the Service is gone. */
  readonly state: WaitResult & {gone: boolean} = {gone: false, slices: []}
  private readonly client: KubeClient
  private readonly namespace: string
  private readonly name: string
  private readonly condition: Condition
  private readonly signal: AbortSignal
  private readonly slices = new Map<string, EndpointSlice>()
  private readonly fieldSelector: string
  private readonly sliceSelector: string
  private serviceRv: string | undefined
  private sliceRv: string | undefined
  private settled = false
  private settle: (error?: unknown) => void = () => {}

  constructor(client: KubeClient, namespace: string, name: string, condition: Condition, signal: AbortSignal) {
    this.client = client
    this.namespace = namespace
    this.name = name
    this.condition = condition
    this.signal = signal
    this.fieldSelector = `metadata.name=${name}`
    this.sliceSelector = serviceSlices(name)
  }

  /** A Service that is missing or goes away ends the wait with NotFound, unless it is waited to be created or deleted. */
  private get goneIsNotFound(): boolean {
    return this.condition.kind !== 'create' && this.condition.kind !== 'delete'
  }

  /** The first read, whose versions the watches start from; NotFound when the Service must exist and does not. */
  async read(): Promise<void> {
    const first = await this.listService()
    this.serviceRv = first.rv
    this.state.service = first.svc
    this.state.gone = !first.svc
    if (this.state.gone && this.goneIsNotFound) throw serviceNotFound(this.name)
    if (this.condition.kind === 'endpoints') this.sliceRv = await this.listSlices()
  }

  /** Whether the condition holds on what was seen last. */
  evaluate(): boolean {
    this.state.slices = [...this.slices.values()]
    if (this.condition.kind === 'delete') return this.state.gone
    if (this.state.gone || !this.state.service) return false
    return isMet(this.condition, this.state.service, this.state.slices)
  }

  /** Watches until the condition holds (resolves with the state) or the wait fails or is aborted. */
  watch(): Promise<WaitResult> {
    return new Promise<WaitResult>((resolve, reject) => {
      this.settle = error => {
        if (this.settled) return
        this.settled = true
        if (error === undefined) resolve(this.state)
        else reject(error)
      }
      this.signal.addEventListener('abort', () => this.settle(this.signal.reason ?? new Error('aborted')), {once: true})
      this.watchService().catch(error => this.settle(isNotFound(error) && this.condition.kind === 'delete' ? undefined : error))
      if (this.condition.kind === 'endpoints') this.watchSlices().catch(error => this.settle(error))
    })
  }

  private check(): void {
    try {
      if (this.evaluate()) this.settle()
    } catch (error) {
      this.settle(error)
    }
  }

  private async listService(): Promise<{rv?: string; svc?: Service}> {
    const {body} = await this.client.request<{items?: Service[]; metadata?: {resourceVersion?: string}}>({path: servicesPath(this.namespace), query: {fieldSelector: this.fieldSelector}})
    return {rv: body.metadata?.resourceVersion, svc: body.items?.[0]}
  }

  private async listSlices(): Promise<string | undefined> {
    const {body} = await this.client.request<{items?: EndpointSlice[]; metadata?: {resourceVersion?: string}}>({path: endpointSlicesPath(this.namespace), query: {labelSelector: this.sliceSelector}})
    this.slices.clear()
    for (const s of body.items ?? []) this.slices.set(s.metadata?.name ?? '', s)
    return body.metadata?.resourceVersion
  }

  /** A dropped Service watch: read again, then reopen from the version read. */
  private async relistService(): Promise<string | undefined> {
    const again = await this.listService()
    this.state.service = again.svc ?? this.state.service
    this.state.gone = !again.svc
    if (this.state.gone && this.goneIsNotFound) this.settle(serviceNotFound(this.name))
    else this.check()
    return again.rv
  }

  private async watchService(): Promise<void> {
    const events = watchObjects<Service>(this.client, servicesPath(this.namespace), {fieldSelector: this.fieldSelector, resourceVersion: this.serviceRv}, this.signal, () => this.relistService())
    for await (const event of events) {
      if (event.type === 'DELETED') {
        this.state.gone = true
        // kubectl's precondition: a Service that disappears while waited for is NotFound
        if (this.goneIsNotFound) return this.settle(serviceNotFound(this.name))
      } else {
        this.state.service = event.object
        this.state.gone = false
      }
      this.check()
      if (this.settled) return
    }
  }

  private async watchSlices(): Promise<void> {
    const relist = async () => {
      const rv = await this.listSlices()
      this.check()
      return rv
    }
    const events = watchObjects<EndpointSlice>(this.client, endpointSlicesPath(this.namespace), {labelSelector: this.sliceSelector, resourceVersion: this.sliceRv}, this.signal, relist)
    for await (const event of events) {
      const key = event.object?.metadata?.name ?? ''
      if (event.type === 'DELETED') this.slices.delete(key)
      else this.slices.set(key, event.object)
      this.check()
      if (this.settled) return
    }
  }
}
