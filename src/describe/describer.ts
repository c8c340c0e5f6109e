// Fetches what describe shows, the way kubectl's ServiceDescriber does: the Service, its
// EndpointSlices (label kubernetes.io/service-name; errors count as none) and its Events (field
// selector on name, namespace, kind and uid, in chunks of 500; on error no Events line at all).
// The extended view also reads the namespace's pods and ingresses and the cluster's nodes; each
// of those is optional (a forbidden or missing API just leaves its section empty).

import type {KubeClient} from '../kube/client.ts'
import {endpointSlicesPath, serviceSlices} from '../kube/service-ops.ts'
import {describeServiceExtended, type RenderOptions} from './extended.ts'
import {describeServiceCompat} from './service.ts'
import type {EndpointSlice, Event, Ingress, Node, Pod, Service} from '../kube/types.ts'

export interface DescribeSettings {
  /** The namespace svc uses without -n (for the tunnel hint). */
  defaultNamespace?: string
  /** kubectl's output only. */
  compat: boolean
  now: number
  render?: RenderOptions
  showEvents: boolean
}

async function listAll<T>(client: KubeClient, path: string, query: Record<string, string | number | undefined>): Promise<T[]> {
  const items: T[] = []
  let token: string | undefined
  do {
    const {body} = await client.request<{items?: T[]; metadata?: {continue?: string}}>({path, query: {...query, continue: token}})
    items.push(...(body.items ?? []))
    token = body.metadata?.continue || undefined
  } while (token)
  return items
}

async function orEmpty<T>(promise: Promise<T[]>): Promise<T[]> {
  try {
    return await promise
  } catch {
    return []
  }
}

export function eventFieldSelector(svc: Service): string {
  const m = svc.metadata ?? {}
  const parts = [`involvedObject.name=${m.name ?? ''}`, `involvedObject.namespace=${m.namespace ?? ''}`, 'involvedObject.kind=Service']
  if (m.uid) parts.push(`involvedObject.uid=${m.uid}`)
  return parts.join(',')
}

export async function fetchSlices(client: KubeClient, svc: Service): Promise<EndpointSlice[]> {
  return orEmpty(listAll<EndpointSlice>(client, endpointSlicesPath(svc.metadata?.namespace ?? ''), {
    labelSelector: serviceSlices(svc.metadata?.name ?? ''),
  }))
}

export async function fetchEvents(client: KubeClient, svc: Service): Promise<Event[] | null> {
  const ns = encodeURIComponent(svc.metadata?.namespace ?? '')
  try {
    return await listAll<Event>(client, `/api/v1/namespaces/${ns}/events`, {fieldSelector: eventFieldSelector(svc), limit: 500})
  } catch {
    return null
  }
}

/** Renders one Service: kubectl's text with --compat, svc's extended text otherwise. */
export async function describeOne(client: KubeClient, svc: Service, settings: DescribeSettings): Promise<string> {
  const service = svc as Service
  const ns = encodeURIComponent(service.metadata?.namespace ?? '')
  const [slices, events] = await Promise.all([fetchSlices(client, service), settings.showEvents ? fetchEvents(client, service) : Promise.resolve(null)])
  if (settings.compat) return describeServiceCompat({events, now: settings.now, service, slices})
  const [pods, nodes, ingresses] = await Promise.all([
    orEmpty(listAll<Pod>(client, `/api/v1/namespaces/${ns}/pods`, {limit: 500})),
    orEmpty(listAll<Node>(client, '/api/v1/nodes', {limit: 500})),
    orEmpty(listAll<Ingress>(client, `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses`, {limit: 500})),
  ])
  return describeServiceExtended({defaultNamespace: settings.defaultNamespace, events, ingresses, nodes, now: settings.now, pods, service, slices}, settings.render)
}
