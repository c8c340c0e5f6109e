/**
 * Known field names per kind, for fieldValidation (Strict / Warn / Ignore). `_` marks a leaf or a map / subtree
 * that is not modelled (anything goes there); an object lists its fields; a one-element array is a list of that.
 */
type Shape = '_' | {[field: string]: Shape} | [Shape]

const _ = '_' as const

const OBJECT_META: Shape = {
  name: _, generateName: _, namespace: _, selfLink: _, uid: _, resourceVersion: _, generation: _, creationTimestamp: _,
  deletionTimestamp: _, deletionGracePeriodSeconds: _, labels: _, annotations: _, ownerReferences: _, finalizers: _, managedFields: _,
}

const CONTAINER: Shape = {
  name: _, image: _, command: _, args: _, workingDir: _,
  ports: [{name: _, hostPort: _, containerPort: _, protocol: _, hostIP: _}],
  envFrom: _, env: _, resources: _, resizePolicy: _, restartPolicy: _, restartPolicyRules: _, volumeMounts: _, volumeDevices: _,
  livenessProbe: _, readinessProbe: _, startupProbe: _, lifecycle: _, terminationMessagePath: _, terminationMessagePolicy: _,
  imagePullPolicy: _, securityContext: _, stdin: _, stdinOnce: _, tty: _,
}

const POD_SPEC: Shape = {
  volumes: _, initContainers: [CONTAINER], containers: [CONTAINER], ephemeralContainers: _, restartPolicy: _,
  terminationGracePeriodSeconds: _, activeDeadlineSeconds: _, dnsPolicy: _, nodeSelector: _, serviceAccountName: _,
  serviceAccount: _, automountServiceAccountToken: _, nodeName: _, hostNetwork: _, hostPID: _, hostIPC: _, shareProcessNamespace: _,
  securityContext: _, imagePullSecrets: _, hostname: _, subdomain: _, affinity: _, schedulerName: _, tolerations: _, hostAliases: _,
  priorityClassName: _, priority: _, dnsConfig: _, readinessGates: _, runtimeClassName: _, enableServiceLinks: _, preemptionPolicy: _,
  overhead: _, topologySpreadConstraints: _, setHostnameAsFQDN: _, os: _, hostUsers: _, schedulingGates: _, resourceClaims: _,
  resources: _, hostnameOverride: _, workloadRef: _,
}

const POD_TEMPLATE: Shape = {metadata: OBJECT_META, spec: POD_SPEC}

const SERVICE_SPEC: Shape = {
  ports: [{name: _, protocol: _, appProtocol: _, port: _, targetPort: _, nodePort: _}],
  selector: _, clusterIP: _, clusterIPs: _, type: _, externalIPs: _, sessionAffinity: _, loadBalancerIP: _,
  loadBalancerSourceRanges: _, externalName: _, externalTrafficPolicy: _, healthCheckNodePort: _, publishNotReadyAddresses: _,
  sessionAffinityConfig: _, ipFamilies: _, ipFamilyPolicy: _, allocateLoadBalancerNodePorts: _, loadBalancerClass: _,
  internalTrafficPolicy: _, trafficDistribution: _,
}

const top = (spec: Shape, extra: Record<string, Shape> = {}): Shape => ({apiVersion: _, kind: _, metadata: OBJECT_META, spec, status: _, ...extra})

const WORKLOAD_SPEC: Shape = {
  replicas: _, selector: _, template: POD_TEMPLATE, strategy: _, minReadySeconds: _, revisionHistoryLimit: _, paused: _,
  progressDeadlineSeconds: _,
}

const SHAPES: Record<string, Shape> = {
  services: top(SERVICE_SPEC),
  pods: top(POD_SPEC),
  namespaces: top({finalizers: _}),
  nodes: top(_),
  'apps/deployments': top(WORKLOAD_SPEC),
  'apps/replicasets': top({replicas: _, minReadySeconds: _, selector: _, template: POD_TEMPLATE}),
  endpoints: {apiVersion: _, kind: _, metadata: OBJECT_META, subsets: _},
  'discovery.k8s.io/endpointslices': {apiVersion: _, kind: _, metadata: OBJECT_META, addressType: _, endpoints: _, ports: _},
  events: {
    apiVersion: _, kind: _, metadata: OBJECT_META, involvedObject: _, reason: _, message: _, source: _, firstTimestamp: _,
    lastTimestamp: _, count: _, type: _, eventTime: _, series: _, action: _, related: _, reportingComponent: _, reportingInstance: _,
  },
  'networking.k8s.io/ingresses': top(_),
}

/** Paths of unknown fields (e.g. "spec.foo", "spec.ports[0].bar" is reported as "spec.ports[0].bar"). */
export function unknownFields(resource: string, obj: any): string[] {
  const shape = SHAPES[resource]
  if (!shape) return []
  const out: string[] = []
  walkIndexed(obj, shape, '', out)
  return out
  function walkIndexed(value: any, s: Shape, path: string, acc: string[]): void {
    if (s === _ || value === null || typeof value !== 'object') return
    if (Array.isArray(s)) {
      if (Array.isArray(value)) value.forEach((item, i) => walkIndexed(item, s[0], `${path}[${i}]`, acc))
      return
    }
    if (Array.isArray(value)) return
    for (const [k, v] of Object.entries(value)) {
      const p = path ? `${path}.${k}` : k
      if (k.startsWith('$')) continue // strategic merge patch directives
      if (!Object.hasOwn(s, k)) acc.push(p)
      else walkIndexed(v, s[k], p, acc)
    }
  }
}

/** Removes unknown fields in place (fieldValidation=Ignore/Warn drop them as the decoder does). */
export function dropFields(obj: any, paths: string[]): void {
  for (const p of paths) {
    const segs = p.match(/[^.[\]]+/g) ?? []
    let cur = obj
    for (let i = 0; i < segs.length - 1 && cur != null; i++) cur = cur[/^\d+$/.test(segs[i]) ? Number(segs[i]) : segs[i]]
    if (cur && typeof cur === 'object') delete cur[segs[segs.length - 1]]
  }
}
