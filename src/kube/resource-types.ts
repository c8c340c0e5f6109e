// The resource type words kubectl 1.35 understands for the API's built-in resources, and how it
// reads them: the plural, the singular (the kind in lower case) or a short name, in any case, alone
// or qualified by group (`deployments.apps`, `deploy.apps`) or by version and group
// (`deployments.v1.apps`, `pods.v1.`). This is the table `kubectl api-resources` prints for a
// Kubernetes 1.35 API server with its default API groups. kubectl reads the words through
// discovery: k8s.io/cli-runtime pkg/resource/builder.go mappingFor, with
// k8s.io/apimachinery pkg/runtime/schema ParseResourceArg and the shortcut expander of
// k8s.io/client-go restmapper/shortcut.go.
//
// svc works with Services only, and uses the table to tell a type word from a Service name:
// `svc get pods` is the Pod type (refused), not a Service named "pods" (that one is svc/pods).

export interface ResourceType {
  /** The API group, '' for the core group. */
  group: string
  kind: string
  /** Lower-case plural, the URL segment. */
  plural: string
  shortNames: readonly string[]
  version: string
}

type Row = [plural: string, kind: string, shortNames?: string]

const GROUPS: Record<string, {rows: Row[]; version: string}> = {
  '': {version: 'v1', rows: [
    ['bindings', 'Binding'], ['componentstatuses', 'ComponentStatus', 'cs'], ['configmaps', 'ConfigMap', 'cm'],
    ['endpoints', 'Endpoints', 'ep'], ['events', 'Event', 'ev'], ['limitranges', 'LimitRange', 'limits'],
    ['namespaces', 'Namespace', 'ns'], ['nodes', 'Node', 'no'], ['persistentvolumeclaims', 'PersistentVolumeClaim', 'pvc'],
    ['persistentvolumes', 'PersistentVolume', 'pv'], ['pods', 'Pod', 'po'], ['podtemplates', 'PodTemplate'],
    ['replicationcontrollers', 'ReplicationController', 'rc'], ['resourcequotas', 'ResourceQuota', 'quota'],
    ['secrets', 'Secret'], ['serviceaccounts', 'ServiceAccount', 'sa'], ['services', 'Service', 'svc'],
  ]},
  'admissionregistration.k8s.io': {version: 'v1', rows: [
    ['mutatingwebhookconfigurations', 'MutatingWebhookConfiguration'], ['validatingadmissionpolicies', 'ValidatingAdmissionPolicy'],
    ['validatingadmissionpolicybindings', 'ValidatingAdmissionPolicyBinding'], ['validatingwebhookconfigurations', 'ValidatingWebhookConfiguration'],
  ]},
  'apiextensions.k8s.io': {version: 'v1', rows: [['customresourcedefinitions', 'CustomResourceDefinition', 'crd,crds']]},
  'apiregistration.k8s.io': {version: 'v1', rows: [['apiservices', 'APIService']]},
  apps: {version: 'v1', rows: [
    ['controllerrevisions', 'ControllerRevision'], ['daemonsets', 'DaemonSet', 'ds'], ['deployments', 'Deployment', 'deploy'],
    ['replicasets', 'ReplicaSet', 'rs'], ['statefulsets', 'StatefulSet', 'sts'],
  ]},
  'authentication.k8s.io': {version: 'v1', rows: [['selfsubjectreviews', 'SelfSubjectReview'], ['tokenreviews', 'TokenReview']]},
  'authorization.k8s.io': {version: 'v1', rows: [
    ['localsubjectaccessreviews', 'LocalSubjectAccessReview'], ['selfsubjectaccessreviews', 'SelfSubjectAccessReview'],
    ['selfsubjectrulesreviews', 'SelfSubjectRulesReview'], ['subjectaccessreviews', 'SubjectAccessReview'],
  ]},
  autoscaling: {version: 'v2', rows: [['horizontalpodautoscalers', 'HorizontalPodAutoscaler', 'hpa']]},
  batch: {version: 'v1', rows: [['cronjobs', 'CronJob', 'cj'], ['jobs', 'Job']]},
  'certificates.k8s.io': {version: 'v1', rows: [['certificatesigningrequests', 'CertificateSigningRequest', 'csr']]},
  'coordination.k8s.io': {version: 'v1', rows: [['leases', 'Lease']]},
  'discovery.k8s.io': {version: 'v1', rows: [['endpointslices', 'EndpointSlice']]},
  'events.k8s.io': {version: 'v1', rows: [['events', 'Event', 'ev']]},
  'flowcontrol.apiserver.k8s.io': {version: 'v1', rows: [['flowschemas', 'FlowSchema'], ['prioritylevelconfigurations', 'PriorityLevelConfiguration']]},
  'networking.k8s.io': {version: 'v1', rows: [
    ['ingressclasses', 'IngressClass'], ['ingresses', 'Ingress', 'ing'], ['ipaddresses', 'IPAddress', 'ip'],
    ['networkpolicies', 'NetworkPolicy', 'netpol'], ['servicecidrs', 'ServiceCIDR'],
  ]},
  'node.k8s.io': {version: 'v1', rows: [['runtimeclasses', 'RuntimeClass']]},
  policy: {version: 'v1', rows: [['poddisruptionbudgets', 'PodDisruptionBudget', 'pdb']]},
  'rbac.authorization.k8s.io': {version: 'v1', rows: [
    ['clusterrolebindings', 'ClusterRoleBinding'], ['clusterroles', 'ClusterRole'], ['rolebindings', 'RoleBinding'], ['roles', 'Role'],
  ]},
  'resource.k8s.io': {version: 'v1', rows: [
    ['deviceclasses', 'DeviceClass'], ['resourceclaims', 'ResourceClaim'], ['resourceclaimtemplates', 'ResourceClaimTemplate'],
    ['resourceslices', 'ResourceSlice'],
  ]},
  'scheduling.k8s.io': {version: 'v1', rows: [['priorityclasses', 'PriorityClass', 'pc']]},
  'storage.k8s.io': {version: 'v1', rows: [
    ['csidrivers', 'CSIDriver'], ['csinodes', 'CSINode'], ['csistoragecapacities', 'CSIStorageCapacity'],
    ['storageclasses', 'StorageClass', 'sc'], ['volumeattachments', 'VolumeAttachment'],
    ['volumeattributesclasses', 'VolumeAttributesClass', 'vac'],
  ]},
}

/** Every built-in resource, the core group first (kubectl prefers it when a word is ambiguous: `ev`). */
export const RESOURCE_TYPES: readonly ResourceType[] = Object.entries(GROUPS).flatMap(([group, {rows, version}]) =>
  rows.map(([plural, kind, short]) => ({group, kind, plural, shortNames: short ? short.split(',') : [], version})),
)

function words(r: ResourceType): string[] {
  return [r.plural, r.kind.toLowerCase(), ...r.shortNames]
}

/**
 * The resource a type word names, or undefined when it names none (then it may be a Service
 * name). Case-insensitive; `WORD`, `WORD.GROUP`, `WORD.VERSION.GROUP`, `WORD.` and `WORD.v1.` as
 * kubectl reads them (ParseResourceArg: two or more dots give resource.version.group, one gives
 * resource.group).
 */
export function resolveResourceType(word: string): ResourceType | undefined {
  const lower = word.toLowerCase()
  const parts = lower.split('.')
  const base = parts[0]
  let group: string | undefined
  let version: string | undefined
  if (parts.length >= 3) {
    version = parts[1]
    group = parts.slice(2).join('.')
    // kubectl tries resource.version.group first, then resource.group (group with dots)
    const full = find(base, group, version)
    if (full) return full
    version = undefined
    group = parts.slice(1).join('.')
  } else if (parts.length === 2) {
    group = parts[1]
  }
  if (base === '') return undefined
  return find(base, group, version)
}

function find(base: string, group: string | undefined, version: string | undefined): ResourceType | undefined {
  return RESOURCE_TYPES.find(r => words(r).includes(base) && (group === undefined || group === r.group) && (version === undefined || version === r.version))
}

/** Is the word a spelling of the Service type? */
export function isServiceType(word: string): boolean {
  const r = resolveResourceType(word)
  return r !== undefined && r.group === '' && r.plural === 'services'
}

/** kubectl's GroupKind.String(): `Pod`, `Deployment.apps`. */
export function groupKind(r: ResourceType): string {
  return r.group === '' ? r.kind : `${r.kind}.${r.group}`
}

/** kubectl's GroupResource.String(): `pods`, `deployments.apps`, as in NotFound messages. */
export function groupResource(r: ResourceType): string {
  return r.group === '' ? r.plural : `${r.plural}.${r.group}`
}
