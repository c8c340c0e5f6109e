// Fetches what describe shows, the way kubectl's ServiceDescriber does: the Service, its
// EndpointSlices (label kubernetes.io/service-name; errors count as none) and its Events (field
// selector on name, namespace, kind and uid, in chunks of 500; on error no Events line at all).
// The extended view also reads the namespace's pods and ingresses and the cluster's nodes; each
// of those is optional (a forbidden or missing API just leaves its section empty), and each is
// read once in a command that describes several Services (SharedReads).
//
// The reads go one after another, as kubectl's describer sends its own, so each reuses the
// connection the one before left open: sent at once (two, then three), the later ones each opened
// a connection of their own (a TCP connection and a TLS handshake, svc's CPU and the server's),
// and over a network such a request waits for both before its own round trip.

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

/**
 * The lists the extended view reads that do not depend on the Service (the nodes; the pods and
 * Ingresses of a namespace), by path: one command run reads each once, however many Services it
 * describes. Only the namespace of the Service described last is kept (the Services of a list come
 * namespace by namespace): `describe -A` holds one namespace's pods at a time, not the cluster's.
 */
export type SharedReads = Map<string, Promise<unknown[]>>

const NAMESPACED = '/namespaces/'

/** Lets go of the lists of every namespace but `ns` (its path segment). */
function keepNamespace(shared: SharedReads, ns: string): void {
  for (const path of shared.keys()) if (path.includes(NAMESPACED) && !path.includes(`${NAMESPACED}${ns}/`)) shared.delete(path)
}

function readOnce<T>(client: KubeClient, shared: SharedReads, path: string): Promise<T[]> {
  let list = shared.get(path)
  if (!list) shared.set(path, (list = orEmpty(listAll<T>(client, path, {limit: 500}))))
  return list as Promise<T[]>
}

/** Renders one Service: kubectl's text with --compat, svc's extended text otherwise. Pass the same `shared` for each Service of a run. */
export async function describeOne(client: KubeClient, svc: Service, settings: DescribeSettings, shared: SharedReads = new Map()): Promise<string> {
  const service = svc as Service
  const ns = encodeURIComponent(service.metadata?.namespace ?? '')
  const slices = await fetchSlices(client, service)
  const events = settings.showEvents ? await fetchEvents(client, service) : null
  if (settings.compat) return describeServiceCompat({events, now: settings.now, service, slices})
  keepNamespace(shared, ns)
  const pods = await readOnce<Pod>(client, shared, `/api/v1/namespaces/${ns}/pods`)
  const nodes = await readOnce<Node>(client, shared, '/api/v1/nodes')
  const ingresses = await readOnce<Ingress>(client, shared, `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses`)
  return describeServiceExtended({defaultNamespace: settings.defaultNamespace, events, ingresses, nodes, now: settings.now, pods, service, slices}, settings.render)
}
