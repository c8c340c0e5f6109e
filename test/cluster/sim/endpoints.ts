// Pure derivation of a Service's v1 Endpoints and discovery.k8s.io/v1 EndpointSlices from its pods,
// following the endpoints and endpointslice controllers (reference: kubectl-service-cmds.md §5.3).

import {rfc3339Nano, deepEqual, isPodReady, controllerRef} from './meta.ts'

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name'
export const SLICE_MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by'
export const SLICE_CONTROLLER_NAME = 'endpointslice-controller.k8s.io'
export const ENDPOINTS_MANAGED_BY_LABEL = 'endpoints.kubernetes.io/managed-by'
export const ENDPOINTS_CONTROLLER_NAME = 'endpoint-controller'
export const HEADLESS_LABEL = 'service.kubernetes.io/headless'
export const TRIGGER_TIME_ANNOTATION = 'endpoints.kubernetes.io/last-change-trigger-time'
export const MAX_ENDPOINTS_PER_SLICE = 100

/** Controllers manage endpoints only for services with a selector that are not ExternalName. */
export function isManagedService(service: any): boolean {
  const selector = service?.spec?.selector
  return service?.spec?.type !== 'ExternalName' && selector != null && Object.keys(selector).length > 0
}

/** helper.IsServiceIPSet: a real cluster IP (not "None", not empty). */
export function isHeadless(service: any): boolean {
  const ip = service?.spec?.clusterIP
  return ip == null || ip === '' || ip === 'None'
}

/** ShouldPodBeInEndpoints: not terminal, has an IP, and not terminating unless that is tolerated. */
export function shouldPodBeInEndpoints(pod: any, includeTerminating: boolean): boolean {
  const phase = pod?.status?.phase
  if (phase === 'Succeeded' || phase === 'Failed') return false
  if (!pod?.status?.podIP && !(pod?.status?.podIPs ?? []).length) return false
  if (!includeTerminating && pod?.metadata?.deletionTimestamp != null) return false
  return true
}

/** podutil.FindPort: an int targetPort as is; a named one from the container ports (name and protocol). */
export function findPort(pod: any, servicePort: any): number | undefined {
  const target = servicePort?.targetPort ?? servicePort?.port
  const protocol = servicePort?.protocol ?? 'TCP'
  if (typeof target === 'number') return target === 0 ? servicePort?.port : target
  if (typeof target === 'string' && /^\d+$/.test(target)) return Number(target)
  const containers: any[] = [
    ...(pod?.spec?.containers ?? []),
    // sidecar init containers are searched too
    ...((pod?.spec?.initContainers ?? []) as any[]).filter((c) => c?.restartPolicy === 'Always'),
  ]
  for (const c of containers) {
    for (const p of c?.ports ?? []) {
      if (p?.name === target && (p?.protocol ?? 'TCP') === protocol) return p.containerPort
    }
  }
  return undefined
}

function podIPOfFamily(pod: any, family: string): string | undefined {
  const ips: string[] = (pod?.status?.podIPs ?? []).map((x: any) => x?.ip).filter(Boolean)
  if (ips.length === 0 && pod?.status?.podIP) ips.push(pod.status.podIP)
  return ips.find((ip) => (family === 'IPv6') === ip.includes(':'))
}

function targetRef(pod: any): any {
  return {kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid}
}

function endpointPort(servicePort: any, port: number): any {
  const out: any = {}
  if (servicePort.name) out.name = servicePort.name
  out.port = port
  out.protocol = servicePort.protocol ?? 'TCP'
  if (servicePort.appProtocol) out.appProtocol = servicePort.appProtocol
  return out
}

/** The hostname rule shared by both controllers: spec.hostname, when spec.subdomain is the service. */
function podHostname(pod: any, service: any): string | undefined {
  return pod?.spec?.hostname && pod?.spec?.subdomain === service.metadata.name ? pod.spec.hostname : undefined
}

function ipFamilies(service: any): string[] {
  const families: string[] = service?.spec?.ipFamilies ?? []
  return families.length ? families : ['IPv4']
}

function sortedPods(pods: any[]): any[] {
  return [...pods].sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)))
}

function time(value: unknown): number {
  const t = typeof value === 'string' ? Date.parse(value) : NaN
  return Number.isNaN(t) ? 0 : t
}

/**
 * The last-change-trigger-time: the latest of the service's creation and, for each selected pod,
 * its creation and its Ready condition's last transition (whole seconds, like the API's times).
 */
export function triggerTime(service: any, pods: any[]): string | undefined {
  let latest = time(service?.metadata?.creationTimestamp)
  for (const pod of pods) {
    latest = Math.max(latest, time(pod?.metadata?.creationTimestamp))
    const ready = (pod?.status?.conditions ?? []).find((c: any) => c?.type === 'Ready')
    latest = Math.max(latest, time(ready?.lastTransitionTime))
  }
  return latest > 0 ? rfc3339Nano(new Date(latest)) : undefined
}

function ownLabels(service: any, extra: Record<string, string>): Record<string, string> {
  const labels: Record<string, string> = {...(service?.metadata?.labels ?? {})}
  delete labels[HEADLESS_LABEL]
  Object.assign(labels, extra)
  if (isHeadless(service)) labels[HEADLESS_LABEL] = ''
  return labels
}

interface AddressEntry {
  address: any
  ready: boolean
  ports: any[]
}

/**
 * The v1 Endpoints object the endpoints controller writes for a service, or undefined when no
 * controller manages it (no selector, or ExternalName). `pods` are the pods of the namespace; the
 * selector is applied here.
 */
export function endpointsFor(service: any, pods: any[]): any | undefined {
  if (!isManagedService(service)) return undefined
  const selector: Record<string, string> = service.spec.selector
  const publishNotReady = service.spec.publishNotReadyAddresses === true
  const family = ipFamilies(service)[0]
  const selected = sortedPods(pods.filter((p) => p?.metadata?.namespace === service.metadata.namespace && Object.entries(selector).every(([k, v]) => p?.metadata?.labels?.[k] === v)))
  const servicePorts: any[] = service.spec.ports ?? []
  const entries: AddressEntry[] = []
  for (const pod of selected) {
    if (!shouldPodBeInEndpoints(pod, publishNotReady)) continue
    const ip = podIPOfFamily(pod, family)
    if (!ip) continue
    const address: any = {ip}
    const hostname = podHostname(pod, service)
    if (hostname) address.hostname = hostname
    if (pod.spec?.nodeName) address.nodeName = pod.spec.nodeName
    address.targetRef = targetRef(pod)
    const ready = publishNotReady || isPodReady(pod)
    if (servicePorts.length === 0) {
      if (isHeadless(service)) entries.push({address, ready, ports: []})
      continue
    }
    const ports: any[] = []
    for (const sp of servicePorts) {
      const port = findPort(pod, sp)
      if (port === undefined) continue // "no suitable port for manifest": skipped for this pod
      ports.push(endpointPort(sp, port))
    }
    if (ports.length) entries.push({address, ready, ports})
  }
  // RepackSubsets: addresses sharing the same set of ports form one subset.
  const groups = new Map<string, {ports: any[]; ready: any[]; notReady: any[]}>()
  for (const e of entries) {
    const ports = [...e.ports].sort((a, b) => `${a.name ?? ''}/${a.port}/${a.protocol}`.localeCompare(`${b.name ?? ''}/${b.port}/${b.protocol}`))
    const k = JSON.stringify(ports)
    let g = groups.get(k)
    if (!g) groups.set(k, (g = {ports, ready: [], notReady: []}))
    ;(e.ready ? g.ready : g.notReady).push(e.address)
  }
  const byIp = (a: any, b: any) => (a.ip === b.ip ? String(a.targetRef?.uid).localeCompare(String(b.targetRef?.uid)) : a.ip < b.ip ? -1 : 1)
  const subsets = [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, g]) => {
    const subset: any = {}
    if (g.ready.length) subset.addresses = g.ready.sort(byIp)
    if (g.notReady.length) subset.notReadyAddresses = g.notReady.sort(byIp)
    if (g.ports.length) subset.ports = g.ports
    return subset
  })
  const metadata: any = {
    name: service.metadata.name,
    namespace: service.metadata.namespace,
    labels: ownLabels(service, {[ENDPOINTS_MANAGED_BY_LABEL]: ENDPOINTS_CONTROLLER_NAME}),
  }
  const trigger = triggerTime(service, selected)
  if (trigger) metadata.annotations = {[TRIGGER_TIME_ANNOTATION]: trigger}
  const out: any = {apiVersion: 'v1', kind: 'Endpoints', metadata}
  if (subsets.length) out.subsets = subsets
  return out
}

/** One EndpointSlice's content before naming: address type, ports (null for none) and endpoints. */
export interface SliceContent {
  addressType: string
  ports: any[] | null
  endpoints: any[] | null
}

/** The slices' contents the endpointslice controller wants for a service (before reconciliation). */
export interface SliceOptions {
  /** The topology.kubernetes.io/zone label of a node, for endpoint.zone. */
  zoneOf?: (nodeName: string) => string | undefined
}

export function desiredSliceContents(service: any, pods: any[], options: SliceOptions = {}): SliceContent[] {
  if (!isManagedService(service)) return []
  const selector: Record<string, string> = service.spec.selector
  const publishNotReady = service.spec.publishNotReadyAddresses === true
  const selected = sortedPods(pods.filter((p) => p?.metadata?.namespace === service.metadata.namespace && Object.entries(selector).every(([k, v]) => p?.metadata?.labels?.[k] === v)))
  const servicePorts: any[] = service.spec.ports ?? []
  const out: SliceContent[] = []
  for (const family of ipFamilies(service)) {
    const groups = new Map<string, {ports: any[]; endpoints: any[]}>()
    for (const pod of selected) {
      if (!shouldPodBeInEndpoints(pod, true)) continue
      const ip = podIPOfFamily(pod, family)
      if (!ip) continue
      const ports: any[] = []
      for (const sp of servicePorts) {
        const port = findPort(pod, sp)
        if (port === undefined) continue
        const p: any = {name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP'}
        if (sp.appProtocol) p.appProtocol = sp.appProtocol
        ports.push(p)
      }
      if (servicePorts.length > 0 && ports.length === 0) continue
      const serving = isPodReady(pod)
      const terminating = pod.metadata?.deletionTimestamp != null
      const endpoint: any = {
        addresses: [ip],
        conditions: {ready: publishNotReady || (serving && !terminating), serving, terminating},
      }
      const hostname = podHostname(pod, service)
      if (hostname) endpoint.hostname = hostname
      if (pod.spec?.nodeName) endpoint.nodeName = pod.spec.nodeName
      endpoint.targetRef = targetRef(pod)
      const zone = pod.spec?.nodeName ? options.zoneOf?.(pod.spec.nodeName) : undefined
      if (zone) endpoint.zone = zone
      const k = JSON.stringify(ports)
      let g = groups.get(k)
      if (!g) groups.set(k, (g = {ports, endpoints: []}))
      g.endpoints.push(endpoint)
    }
    for (const g of [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, g]) => g)) {
      for (let i = 0; i < g.endpoints.length; i += MAX_ENDPOINTS_PER_SLICE) {
        out.push({addressType: family, ports: g.ports.length ? g.ports : null, endpoints: g.endpoints.slice(i, i + MAX_ENDPOINTS_PER_SLICE)})
      }
    }
  }
  return out
}

export interface SlicePlan {
  create: any[]
  update: any[]
  delete: any[]
}

function isControllerSlice(slice: any, service: any): boolean {
  return slice?.metadata?.labels?.[SLICE_MANAGED_BY_LABEL] === SLICE_CONTROLLER_NAME && slice?.metadata?.labels?.[SERVICE_NAME_LABEL] === service.metadata.name
}

function sliceObject(service: any, content: SliceContent, base: any | undefined, trigger: string | undefined): any {
  const metadata: any = base
    ? {...base.metadata}
    : {generateName: `${service.metadata.name}-`, namespace: service.metadata.namespace}
  metadata.labels = ownLabels(service, {[SERVICE_NAME_LABEL]: service.metadata.name, [SLICE_MANAGED_BY_LABEL]: SLICE_CONTROLLER_NAME})
  const annotations = {...(metadata.annotations ?? {})}
  if (trigger) annotations[TRIGGER_TIME_ANNOTATION] = trigger
  if (Object.keys(annotations).length) metadata.annotations = annotations
  metadata.ownerReferences = [controllerRef(service, {apiVersion: 'v1', kind: 'Service'})]
  return {
    ...(base ?? {}),
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata,
    addressType: content.addressType,
    endpoints: content.endpoints,
    ports: content.ports,
  }
}

function sameContent(slice: any, content: SliceContent, service: any): boolean {
  return (
    slice.addressType === content.addressType &&
    deepEqual(slice.ports ?? null, content.ports) &&
    deepEqual(slice.endpoints ?? null, content.endpoints) &&
    deepEqual(slice.metadata?.labels ?? {}, ownLabels(service, {[SERVICE_NAME_LABEL]: service.metadata.name, [SLICE_MANAGED_BY_LABEL]: SLICE_CONTROLLER_NAME})) &&
    (slice.metadata?.ownerReferences ?? []).some((r: any) => r?.uid === service.metadata.uid && r?.controller === true)
  )
}

/**
 * What the endpointslice controller does with the service's slices: `existing` are the slices of the
 * namespace (only those it manages for this service are considered). Unchanged slices are left
 * alone; a slice with the same address type and ports is updated in place; a service that selects
 * nothing keeps one placeholder slice (ports and endpoints null).
 */
export function endpointSlicesFor(service: any, pods: any[], existing: any[], options: SliceOptions = {}): SlicePlan {
  const plan: SlicePlan = {create: [], update: [], delete: []}
  const mine = existing.filter((s) => isControllerSlice(s, service)).sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)))
  // No selector or ExternalName: the controllers leave whatever exists alone.
  if (!isManagedService(service)) return plan
  const selector: Record<string, string> = service.spec.selector
  const selected = pods.filter((p) => p?.metadata?.namespace === service.metadata.namespace && Object.entries(selector).every(([k, v]) => p?.metadata?.labels?.[k] === v))
  const trigger = triggerTime(service, selected)
  let wanted = desiredSliceContents(service, pods, options)
  if (wanted.length === 0) wanted = [{addressType: ipFamilies(service)[0], ports: null, endpoints: null}]
  const unused = [...mine]
  const pending: SliceContent[] = []
  // 1. slices that already hold exactly what is wanted stay as they are
  for (const content of wanted) {
    const i = unused.findIndex((s) => sameContent(s, content, service))
    if (i >= 0) unused.splice(i, 1)
    else pending.push(content)
  }
  // 2. then reuse slices of the same address type and ports, then any slice of the same type
  for (const content of pending) {
    let i = unused.findIndex((s) => s.addressType === content.addressType && deepEqual(s.ports ?? null, content.ports))
    if (i < 0) i = unused.findIndex((s) => s.addressType === content.addressType)
    if (i >= 0) {
      const base = unused.splice(i, 1)[0]
      plan.update.push(sliceObject(service, content, base, trigger))
    } else {
      plan.create.push(sliceObject(service, content, undefined, trigger))
    }
  }
  plan.delete.push(...unused)
  return plan
}
