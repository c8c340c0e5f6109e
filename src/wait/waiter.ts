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
  const fieldSelector = `metadata.name=${name}`
  const listService = async () => {
    const {body} = await client.request<{items?: Service[]; metadata?: {resourceVersion?: string}}>({path: servicesPath(namespace), query: {fieldSelector}})
    return {rv: body.metadata?.resourceVersion, svc: body.items?.[0]}
  }
  const state: WaitResult & {gone: boolean} = {gone: false, slices: []}
  const first = await listService()
  state.service = first.svc
  state.gone = !first.svc
  if (state.gone && condition.kind !== 'create' && condition.kind !== 'delete') throw serviceNotFound(name)

  const sliceSelector = serviceSlices(name)
  let sliceRv: string | undefined
  const slices = new Map<string, EndpointSlice>()
  const listSlices = async () => {
    const {body} = await client.request<{items?: EndpointSlice[]; metadata?: {resourceVersion?: string}}>({path: endpointSlicesPath(namespace), query: {labelSelector: sliceSelector}})
    slices.clear()
    for (const s of body.items ?? []) slices.set(s.metadata?.name ?? '', s)
    return body.metadata?.resourceVersion
  }
  if (condition.kind === 'endpoints') sliceRv = await listSlices()

  const evaluate = (): boolean => {
    state.slices = [...slices.values()]
    if (condition.kind === 'delete') return state.gone
    if (state.gone || !state.service) return false
    return isMet(condition, state.service, state.slices)
  }
  if (evaluate()) return state
  if (once) throw new NotMet()
  if (signal.aborted) throw signal.reason

  return new Promise<WaitResult>((resolve, reject) => {
    let settled = false
    const finish = (error?: unknown) => {
      if (settled) return
      settled = true
      if (error === undefined) resolve(state)
      else reject(error)
    }
    signal.addEventListener('abort', () => finish(signal.reason ?? new Error('aborted')), {once: true})
    const check = () => {
      try {
        if (evaluate()) finish()
      } catch (error) {
        finish(error)
      }
    }
    const relistService = async () => {
      const again = await listService()
      state.service = again.svc ?? state.service
      state.gone = !again.svc
      if (state.gone && condition.kind !== 'delete' && condition.kind !== 'create') finish(serviceNotFound(name))
      else check()
      return again.rv
    }
    const watchService = async () => {
      for await (const event of watchObjects<Service>(client, servicesPath(namespace), {fieldSelector, resourceVersion: first.rv}, signal, relistService)) {
        if (event.type === 'DELETED') {
          state.gone = true
          // kubectl's precondition: a Service that disappears while waited for is NotFound
          if (condition.kind !== 'delete' && condition.kind !== 'create') return finish(serviceNotFound(name))
        } else {
          state.service = event.object
          state.gone = false
        }
        check()
        if (settled) return
      }
    }
    const watchSlices = async () => {
      const relist = async () => {
        const rv = await listSlices()
        check()
        return rv
      }
      for await (const event of watchObjects<EndpointSlice>(client, endpointSlicesPath(namespace), {labelSelector: sliceSelector, resourceVersion: sliceRv}, signal, relist)) {
        const key = event.object?.metadata?.name ?? ''
        if (event.type === 'DELETED') slices.delete(key)
        else slices.set(key, event.object)
        check()
        if (settled) return
      }
    }
    watchService().catch(error => finish(isNotFound(error) && condition.kind === 'delete' ? undefined : error))
    if (condition.kind === 'endpoints') watchSlices().catch(error => finish(error))
  })
}
