// How `svc proxy` turns the host a client asked for into pods, the way cluster DNS and kube-proxy
// would: pure functions over the Services and EndpointSlices of one namespace.
//
// Names (the cluster domain is configurable, cluster.local by default):
//   NAME                               the Service NAME in the current namespace
//   NAME.NS, NAME.NS.svc, NAME.NS.svc.DOMAIN   the Service NAME in namespace NS
//   HOST.NAME.NS[.svc[.DOMAIN]]        the pod whose hostname is HOST behind the headless Service NAME
//   an IP                              a Service's ClusterIP, or a pod's IP
// NAME, NAME.NS and HOST.NAME.NS without `.svc` are what the cluster's DNS search path makes of
// them; they may as well be names outside the cluster (`localhost`, `example.com`), so they are
// only "ours" when the Service exists (`explicit: false`).
//
// Ports: a ClusterIP Service's port is mapped to each endpoint's target port (a named targetPort
// can differ per pod), and only its TCP ports exist. A headless Service, a pod IP and a pod
// hostname have no port mapping: the port is the pod's own, as it is when a client dials the pod
// IP that DNS returned.

import net from 'node:net'

import type {Endpoint, EndpointSlice, Service, ServicePort} from '../kube/types.ts'
import {type Backend, backendsForPort, endpointsFromSlices} from '../portforward/balancer.ts'

export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local'

export type HostQuery =
  | {kind: 'ip'; ip: string}
  | {kind: 'service'; explicit: boolean; name: string; namespace: string}
  | {kind: 'pod'; explicit: boolean; hostname: string; namespace: string; service: string}
  | {kind: 'outside'}

const LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/

/** What a host names, before anything is looked up. */
export function parseHost(host: string, context: {clusterDomain: string; namespace: string}): HostQuery {
  const unbracketed = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
  if (net.isIP(unbracketed)) return {ip: unbracketed.toLowerCase(), kind: 'ip'}
  const name = host.toLowerCase().replace(/\.$/, '')
  const domain = context.clusterDomain.toLowerCase().replace(/^\.|\.$/g, '')
  let labels = name.split('.')
  let explicit = false
  if (name.endsWith(`.svc.${domain}`)) {
    labels = name.slice(0, -`.svc.${domain}`.length).split('.')
    explicit = true
  } else if (name.endsWith('.svc')) {
    labels = labels.slice(0, -1)
    explicit = true
  }
  if (!labels.every(l => LABEL.test(l))) return {kind: 'outside'}
  if (labels.length === 1 && !explicit) return {explicit: false, kind: 'service', name: labels[0], namespace: context.namespace}
  if (labels.length === 2) return {explicit, kind: 'service', name: labels[0], namespace: labels[1]}
  if (labels.length === 3) return {explicit, hostname: labels[0], kind: 'pod', namespace: labels[2], service: labels[1]}
  return {kind: 'outside'}
}

/** Why a connection cannot be made; each maps to a SOCKS reply code and an HTTP status. */
export type RefusalKind = 'external-name' | 'forbidden' | 'no-endpoints' | 'no-port' | 'not-cluster' | 'udp' | 'unknown' | 'unreachable'

export interface Refusal {
  kind: RefusalKind
  /** One line naming what was asked for and why it cannot be reached. */
  message: string
}

/** Where a connection may go: pods (one is chosen per connection), or a host outside the cluster. */
export type Decision =
  | {kind: 'pods'; namespace: string; backends: Backend[]; service?: Service}
  | {kind: 'direct'; host: string; port: number}
  | {kind: 'refuse'; refusal: Refusal}

/** The objects of one namespace that resolution reads. */
export interface NamespaceSnapshot {
  namespace: string
  services: ReadonlyMap<string, Service>
  /** The namespace's EndpointSlices (any Service). */
  slices: Iterable<EndpointSlice>
}

export function refuse(kind: RefusalKind, message: string): Decision {
  return {kind: 'refuse', refusal: {kind, message}}
}

/** The slices of one Service. */
function slicesOf(snapshot: NamespaceSnapshot, service: string): EndpointSlice[] {
  return [...snapshot.slices].filter(s => s.metadata?.labels?.['kubernetes.io/service-name'] === service)
}

const quoted = (service: string, namespace: string) => `Service "${service}" in namespace "${namespace}"`

/** A Service port `port`: its endpoints' pods and target ports, or why there are none. */
export function decideService(snapshot: NamespaceSnapshot, name: string, port: number, passthrough: boolean): Decision {
  const {namespace} = snapshot
  const svc = snapshot.services.get(name)
  if (!svc) return refuse('unknown', `no Service "${name}" in namespace "${namespace}"`)
  const spec = svc.spec ?? {}
  if (spec.type === 'ExternalName') {
    if (passthrough && spec.externalName) return {host: spec.externalName, kind: 'direct', port}
    return refuse('external-name', `${quoted(name, namespace)} is an ExternalName Service pointing to ${spec.externalName ?? '""'} (svc proxy connects there only with --passthrough)`)
  }
  const endpoints = endpointsFromSlices(slicesOf(snapshot, name))
  const headless = spec.clusterIP === 'None'
  let servicePort: ServicePort
  if (headless) {
    servicePort = {name: '', port}
  } else {
    const ports = spec.ports ?? []
    const tcp = ports.find(p => p.port === port && (p.protocol ?? 'TCP') === 'TCP')
    if (!tcp) {
      const other = ports.find(p => p.port === port)
      if (other) return refuse('udp', `${quoted(name, namespace)} serves port ${port} over ${other.protocol}; svc proxy carries TCP only`)
      const list = ports.map(p => `${p.port}/${p.protocol ?? 'TCP'}`).join(', ') || 'none'
      return refuse('no-port', `${quoted(name, namespace)} has no port ${port} (its ports: ${list})`)
    }
    servicePort = tcp
  }
  // kube-proxy's choice: the ready endpoints, else the serving ones that are terminating; never
  // the ones that are not ready (port-forward falls back to those; a Service does not).
  const backends = backendsForPort(endpoints, servicePort, headless).filter(b => {
    const e = endpoints.get(b.pod)
    return e !== undefined && (e.ready || (e.serving && e.terminating))
  })
  if (backends.length === 0) return refuse('no-endpoints', `${quoted(name, namespace)} has no ready endpoints${headless ? '' : ` for port ${port}`}`)
  return {backends, kind: 'pods', namespace, service: svc}
}

/** HOST.NAME.NS: the ready pod with that hostname behind the headless Service NAME. */
export function decidePodHostname(snapshot: NamespaceSnapshot, service: string, hostname: string, port: number): Decision {
  const {namespace} = snapshot
  const svc = snapshot.services.get(service)
  if (!svc) return refuse('unknown', `no Service "${service}" in namespace "${namespace}"`)
  if (svc.spec?.clusterIP !== 'None') {
    return refuse('unknown', `${quoted(service, namespace)} is not headless, so "${hostname}" names no pod under it (pod hostnames exist under headless Services only)`)
  }
  for (const slice of slicesOf(snapshot, service)) {
    for (const endpoint of slice.endpoints ?? []) {
      if (endpoint.hostname !== hostname || !isPodEndpoint(endpoint)) continue
      if (endpoint.conditions?.ready === false) return refuse('no-endpoints', `pod "${endpoint.targetRef.name}" (hostname "${hostname}") of ${quoted(service, namespace)} is not ready`)
      return {backends: [{pod: endpoint.targetRef.name, port}], kind: 'pods', namespace, service: svc}
    }
  }
  return refuse('unknown', `${quoted(service, namespace)} has no pod with hostname "${hostname}"`)
}

/** An IP: a Service's ClusterIP (the port is mapped) or an endpoint's pod IP (the port is the pod's). */
export function decideIP(snapshot: NamespaceSnapshot, ip: string, port: number, passthrough: boolean): Decision | undefined {
  for (const svc of snapshot.services.values()) {
    const ips = [svc.spec?.clusterIP, ...(svc.spec?.clusterIPs ?? [])].filter((x): x is string => Boolean(x) && x !== 'None').map(x => x.toLowerCase())
    if (ips.includes(ip)) return decideService(snapshot, svc.metadata.name, port, passthrough)
  }
  for (const slice of snapshot.slices) {
    for (const endpoint of slice.endpoints ?? []) {
      if (isPodEndpoint(endpoint) && (endpoint.addresses ?? []).some(a => a.toLowerCase() === ip)) {
        return {backends: [{pod: endpoint.targetRef.name, port}], kind: 'pods', namespace: snapshot.namespace}
      }
    }
  }
  return undefined
}

function isPodEndpoint(endpoint: Endpoint): endpoint is Endpoint & {targetRef: {name: string}} {
  return endpoint.targetRef?.kind === 'Pod' && Boolean(endpoint.targetRef.name)
}

/** The pods a namespace's endpoints name (to notice pods that went away). */
export function endpointPods(slices: Iterable<EndpointSlice>): Set<string> {
  const pods = new Set<string>()
  for (const slice of slices) for (const e of slice.endpoints ?? []) if (isPodEndpoint(e)) pods.add(e.targetRef.name)
  return pods
}
