/** The resources the local cluster serves, with what discovery reports about them. */
import {createHash} from 'node:crypto'

export interface ResourceDef {
  /** store key: plural with the group prefix for non-core groups */
  resource: string
  group: string
  version: string
  plural: string
  singular: string
  kind: string
  namespaced: boolean
  shortNames?: string[]
  categories?: string[]
  verbs: string[]
  /** served subresources: name -> verbs */
  subresources: Record<string, {kind: string; verbs: string[]; group?: string; version?: string}>
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']
const STATUS_VERBS = ['get', 'patch', 'update']

function def(d: Omit<ResourceDef, 'resource' | 'verbs' | 'subresources'> & Partial<Pick<ResourceDef, 'verbs' | 'subresources'>>): ResourceDef {
  return {
    ...d,
    resource: d.group ? `${d.group}/${d.plural}` : d.plural,
    verbs: d.verbs ?? ALL_VERBS,
    subresources: d.subresources ?? {},
  }
}

export const RESOURCES: ResourceDef[] = [
  def({group: '', version: 'v1', plural: 'namespaces', singular: 'namespace', kind: 'Namespace', namespaced: false, shortNames: ['ns'],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], subresources: {status: {kind: 'Namespace', verbs: STATUS_VERBS}}}),
  def({group: '', version: 'v1', plural: 'nodes', singular: 'node', kind: 'Node', namespaced: false, shortNames: ['no'],
    subresources: {status: {kind: 'Node', verbs: STATUS_VERBS}}}),
  def({group: '', version: 'v1', plural: 'services', singular: 'service', kind: 'Service', namespaced: true, shortNames: ['svc'], categories: ['all'],
    subresources: {status: {kind: 'Service', verbs: STATUS_VERBS}}}),
  def({group: '', version: 'v1', plural: 'endpoints', singular: 'endpoints', kind: 'Endpoints', namespaced: true, shortNames: ['ep']}),
  def({group: '', version: 'v1', plural: 'pods', singular: 'pod', kind: 'Pod', namespaced: true, shortNames: ['po'], categories: ['all'],
    subresources: {status: {kind: 'Pod', verbs: STATUS_VERBS}, portforward: {kind: 'PodPortForwardOptions', verbs: ['create', 'get']}}}),
  def({group: '', version: 'v1', plural: 'events', singular: 'event', kind: 'Event', namespaced: true, shortNames: ['ev']}),
  def({group: 'apps', version: 'v1', plural: 'deployments', singular: 'deployment', kind: 'Deployment', namespaced: true, shortNames: ['deploy'], categories: ['all'],
    subresources: {status: {kind: 'Deployment', verbs: STATUS_VERBS}}}),
  def({group: 'apps', version: 'v1', plural: 'replicasets', singular: 'replicaset', kind: 'ReplicaSet', namespaced: true, shortNames: ['rs'], categories: ['all'],
    subresources: {status: {kind: 'ReplicaSet', verbs: STATUS_VERBS}}}),
  def({group: 'discovery.k8s.io', version: 'v1', plural: 'endpointslices', singular: 'endpointslice', kind: 'EndpointSlice', namespaced: true}),
  // kubectl auth can-i: create only, never stored (pkg/registry/authorization/selfsubjectaccessreview)
  def({group: 'authorization.k8s.io', version: 'v1', plural: 'selfsubjectaccessreviews', singular: 'selfsubjectaccessreview', kind: 'SelfSubjectAccessReview', namespaced: false,
    verbs: ['create']}),
  def({group: 'networking.k8s.io', version: 'v1', plural: 'ingresses', singular: 'ingress', kind: 'Ingress', namespaced: true, shortNames: ['ing'],
    subresources: {status: {kind: 'Ingress', verbs: STATUS_VERBS}}}),
]

export const GROUPS: Array<{name: string; version: string}> = [
  {name: 'apps', version: 'v1'},
  {name: 'authorization.k8s.io', version: 'v1'},
  {name: 'discovery.k8s.io', version: 'v1'},
  {name: 'networking.k8s.io', version: 'v1'},
]

export function findResource(group: string, version: string, plural: string): ResourceDef | undefined {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.plural === plural)
}

export function byStoreKey(resource: string): ResourceDef | undefined {
  return RESOURCES.find((r) => r.resource === resource)
}

export function apiVersionOf(def: ResourceDef): string {
  return def.group ? `${def.group}/${def.version}` : def.version
}

/** discovery.StorageVersionHash: base64 of the first 8 bytes of sha256("group/version/kind"). */
export function storageVersionHash(def: ResourceDef): string {
  return createHash('sha256').update(`${def.group}/${def.version}/${def.kind}`).digest().subarray(0, 8).toString('base64')
}
