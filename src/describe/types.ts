// The shapes describe reads, as the API server sends them (JSON: timestamps are RFC 3339 strings).
// Only the fields svc looks at are listed; everything is optional because real objects vary.

export interface ObjectMeta {
  annotations?: Record<string, string>
  creationTimestamp?: string
  deletionTimestamp?: string
  labels?: Record<string, string>
  name?: string
  namespace?: string
  resourceVersion?: string
  uid?: string
}

export interface ServicePort {
  appProtocol?: string
  name?: string
  nodePort?: number
  port?: number
  protocol?: string
  targetPort?: number | string
}

export interface Service {
  apiVersion?: string
  kind?: string
  metadata?: ObjectMeta
  spec?: {
    allocateLoadBalancerNodePorts?: boolean
    clusterIP?: string
    clusterIPs?: string[]
    externalIPs?: string[]
    externalName?: string
    externalTrafficPolicy?: string
    healthCheckNodePort?: number
    internalTrafficPolicy?: string
    ipFamilies?: string[]
    ipFamilyPolicy?: string
    loadBalancerIP?: string
    loadBalancerSourceRanges?: string[]
    ports?: ServicePort[]
    publishNotReadyAddresses?: boolean
    selector?: Record<string, string>
    sessionAffinity?: string
    sessionAffinityConfig?: {clientIP?: {timeoutSeconds?: number}}
    trafficDistribution?: string
    type?: string
  }
  status?: {loadBalancer?: {ingress?: {hostname?: string; ip?: string; ipMode?: string}[]}}
}

export interface EndpointSlice {
  addressType?: string
  endpoints?: {
    addresses?: string[]
    conditions?: {ready?: boolean | null; serving?: boolean | null; terminating?: boolean | null}
    nodeName?: string
    targetRef?: {kind?: string; name?: string; namespace?: string; uid?: string}
  }[] | null
  metadata?: ObjectMeta
  ports?: {name?: string; port?: number; protocol?: string}[] | null
}

export interface Event {
  count?: number
  eventTime?: string | null
  firstTimestamp?: string | null
  involvedObject?: {fieldPath?: string; kind?: string; name?: string; namespace?: string; uid?: string}
  lastTimestamp?: string | null
  message?: string
  metadata?: ObjectMeta
  reason?: string
  /** The JSON name of Go's ReportingController field. */
  reportingComponent?: string
  series?: {count?: number; lastObservedTime?: string} | null
  source?: {component?: string; host?: string}
  type?: string
}

export interface ContainerPort {
  containerPort?: number
  name?: string
  protocol?: string
}

export interface Container {
  name?: string
  ports?: ContainerPort[]
  readinessProbe?: unknown
  restartPolicy?: string
}

export interface ContainerStatus {
  name?: string
  ready?: boolean
  restartCount?: number
  started?: boolean
  state?: {
    running?: {startedAt?: string}
    terminated?: {exitCode?: number; message?: string; reason?: string}
    waiting?: {message?: string; reason?: string}
  }
}

export interface PodCondition {
  message?: string
  reason?: string
  status?: string
  type?: string
}

export interface Pod {
  metadata?: ObjectMeta
  spec?: {containers?: Container[]; initContainers?: Container[]; nodeName?: string}
  status?: {
    conditions?: PodCondition[]
    containerStatuses?: ContainerStatus[]
    phase?: string
    podIP?: string
    podIPs?: {ip?: string}[]
    reason?: string
    message?: string
  }
}

export interface Node {
  metadata?: ObjectMeta
  status?: {addresses?: {address?: string; type?: string}[]}
}

export interface IngressBackend {
  service?: {name?: string; port?: {name?: string; number?: number}}
}

export interface Ingress {
  metadata?: ObjectMeta
  spec?: {
    defaultBackend?: IngressBackend
    rules?: {host?: string; http?: {paths?: {backend?: IngressBackend; path?: string; pathType?: string}[]}}[]
  }
}
