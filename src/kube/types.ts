// The Kubernetes API objects svc reads and writes, as the API server sends them in JSON (so
// timestamps are RFC 3339 strings, not client-node's Date objects). Only the fields svc looks at
// are listed. A field the API requires (metadata.name of a stored object, a ServicePort's port, a
// ContainerPort's containerPort) is required here; everything else is optional because real
// objects vary.

/** The API's default for a Service's sessionAffinityConfig.clientIP.timeoutSeconds (3 hours). */
export const DEFAULT_CLIENT_IP_TIMEOUT = 10_800

export interface ObjectMeta {
  annotations?: Record<string, string>
  creationTimestamp?: string
  deletionTimestamp?: string
  generateName?: string
  generation?: number
  labels?: Record<string, string>
  managedFields?: unknown[]
  name: string
  namespace?: string
  resourceVersion?: string
  uid?: string
}

/** An object as stored: kind, apiVersion and metadata. */
export interface KubeObject {
  apiVersion?: string
  kind?: string
  metadata: ObjectMeta
}

export interface ServicePort {
  appProtocol?: string
  name?: string
  nodePort?: number
  port: number
  protocol?: string
  targetPort?: number | string
}

export interface ServiceSpec {
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

export interface LoadBalancerIngress {
  hostname?: string
  ip?: string
  ipMode?: string
}

export interface Service extends KubeObject {
  spec?: ServiceSpec
  status?: {
    conditions?: {lastTransitionTime?: string; message?: string; observedGeneration?: number; reason?: string; status?: string; type?: string}[]
    loadBalancer?: {ingress?: LoadBalancerIngress[]}
  }
}

export interface ServiceList {
  items: Service[]
  metadata?: {continue?: string; resourceVersion?: string}
}

export interface ObjectReference {
  kind?: string
  name?: string
  namespace?: string
  uid?: string
}

export interface Endpoint {
  addresses?: string[]
  conditions?: {ready?: boolean | null; serving?: boolean | null; terminating?: boolean | null}
  /** The pod's spec.hostname when its spec.subdomain names the Service (headless DNS records). */
  hostname?: string
  nodeName?: string
  targetRef?: ObjectReference
}

export interface EndpointPort {
  name?: string | null
  port?: number | null
  protocol?: string | null
}

export interface EndpointSlice extends KubeObject {
  addressType?: string
  endpoints?: Endpoint[] | null
  ports?: EndpointPort[] | null
}

export interface Event {
  count?: number
  eventTime?: string | null
  firstTimestamp?: string | null
  involvedObject?: ObjectReference & {fieldPath?: string}
  lastTimestamp?: string | null
  message?: string
  metadata?: Partial<ObjectMeta>
  reason?: string
  /** The JSON name of Go's ReportingController field. */
  reportingComponent?: string
  series?: {count?: number; lastObservedTime?: string} | null
  source?: {component?: string; host?: string}
  type?: string
}

export interface ContainerPort {
  containerPort: number
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
  lastTransitionTime?: string
  message?: string
  reason?: string
  status?: string
  type?: string
}

export interface PodSpec {
  containers?: Container[]
  initContainers?: Container[]
  nodeName?: string
}

export interface Pod extends KubeObject {
  spec?: PodSpec
  status?: {
    conditions?: PodCondition[]
    containerStatuses?: ContainerStatus[]
    message?: string
    phase?: string
    podIP?: string
    podIPs?: {ip?: string}[]
    reason?: string
  }
}

export interface LabelSelector {
  matchExpressions?: {key: string; operator: string; values?: string[]}[]
  matchLabels?: Record<string, string>
}

export interface PodTemplate {
  metadata?: Partial<ObjectMeta>
  spec?: PodSpec
}

/** A Deployment or ReplicaSet: what expose and port-forward read of it. */
export interface Workload extends KubeObject {
  spec?: {selector?: LabelSelector; template?: PodTemplate}
}

/** A ReplicationController: its selector is a plain map. */
export interface ReplicationController extends KubeObject {
  spec?: {selector?: Record<string, string>; template?: PodTemplate}
}

/** An object of a kind not known in advance (read from a file, or to be told apart by `kind`). */
export interface UnstructuredObject {
  apiVersion?: string
  kind?: string
  metadata?: Partial<ObjectMeta>
}

export interface Node extends KubeObject {
  status?: {addresses?: {address?: string; type?: string}[]}
}

export interface IngressBackend {
  service?: {name?: string; port?: {name?: string; number?: number}}
}

export interface Ingress extends KubeObject {
  spec?: {
    defaultBackend?: IngressBackend
    rules?: {host?: string; http?: {paths?: {backend?: IngressBackend; path?: string; pathType?: string}[]}}[]
  }
}
