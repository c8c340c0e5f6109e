// Server-side printing (meta.k8s.io/v1 Table) as kube-apiserver 1.35 does it for the resources
// the local cluster serves: the column definitions and the cell logic of
// k8s.io/kubernetes pkg/printers/internalversion/printers.go. The API server always prints with
// Wide=true (the table convertor), so every cell is present and kubectl hides priority-1 columns
// unless `-o wide`; for the same reason the LoadBalancer EXTERNAL-IP is never shortened.
//
// Pure functions of (object, now); table-printers.test.ts pins the cells.
//
// Deliberately written apart from src/printers (HumanDuration, the PORT(S) cell), although the
// logic is the same: the compatibility suite compares svc's own tables with what kubectl prints
// from these, so sharing the code would compare svc with itself.

import type {TableColumnDefinition} from './tables.ts'

// ---- helpers shared by the printers -----------------------------------------------------------

/** duration.HumanDuration (apimachinery pkg/util/duration). */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000)
  if (seconds < -1) return '<invalid>'
  if (seconds < 0) return '0s'
  if (seconds < 60 * 2) return `${seconds}s`
  const minutes = Math.trunc(seconds / 60)
  if (minutes < 10) {
    const s = seconds % 60
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`
  }
  if (minutes < 60 * 3) return `${minutes}m`
  const hours = Math.trunc(seconds / 3600)
  if (hours < 8) {
    const m = minutes % 60
    return m === 0 ? `${hours}h` : `${hours}h${m}m`
  }
  if (hours < 48) return `${hours}h`
  if (hours < 24 * 8) {
    const h = hours % 24
    return h === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${h}h`
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`
  if (hours < 24 * 365 * 8) {
    const dy = Math.trunc(hours / 24) % 365
    return dy === 0 ? `${Math.trunc(hours / 24 / 365)}y` : `${Math.trunc(hours / 24 / 365)}y${dy}d`
  }
  return `${Math.trunc(hours / 24 / 365)}y`
}

/** translateTimestampSince: `<unknown>` for a zero/missing time. */
export function since(timestamp: string | undefined | null, now: number): string {
  if (!timestamp) return '<unknown>'
  const t = Date.parse(timestamp)
  if (Number.isNaN(t)) return '<unknown>'
  return humanDuration(now - t)
}

/** labels.FormatLabels: sorted `k=v` joined by `,`, or `<none>`. */
export function formatLabels(labels: Record<string, string> | undefined | null): string {
  const keys = Object.keys(labels ?? {}).sort()
  if (keys.length === 0) return '<none>'
  return keys.map((k) => `${k}=${labels![k]}`).join(',')
}

/** metav1.LabelSelectorAsSelector(sel).String(): requirements sorted by key. */
export function formatLabelSelector(selector: any): string {
  if (!selector) return '<none>'
  const reqs: Array<{key: string; text: string}> = []
  for (const [k, v] of Object.entries<string>(selector.matchLabels ?? {})) reqs.push({key: k, text: `${k}=${v}`})
  for (const e of selector.matchExpressions ?? []) {
    const values = [...(e.values ?? [])].sort()
    switch (e.operator) {
      case 'In': reqs.push({key: e.key, text: `${e.key} in (${values.join(',')})`}); break
      case 'NotIn': reqs.push({key: e.key, text: `${e.key} notin (${values.join(',')})`}); break
      case 'Exists': reqs.push({key: e.key, text: e.key}); break
      case 'DoesNotExist': reqs.push({key: e.key, text: `!${e.key}`}); break
    }
  }
  reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  return reqs.map((r) => r.text).join(',')
}

/** "..., + N more..." lists (listWithMoreString). */
function listWithMore(list: string[], more: boolean, count: number, max: number): string {
  const ret = list.join(',')
  if (more) return `${ret} + ${count - max} more...`
  return ret === '' ? '<unset>' : ret
}

function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}

// ---- column definitions ----------------------------------------------------------------------

const NAME_DOC =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names'
const AGE_DOC =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata'

function col(name: string, type: string, description: string, priority = 0, format = ''): TableColumnDefinition {
  return {name, type, format, description, priority}
}
const nameCol = (priority = 0) => col('Name', 'string', NAME_DOC, priority, 'name')
const ageCol = () => col('Age', 'string', AGE_DOC)
const containersCol = () => col('Containers', 'string', 'Names of each container in the template.', 1)
const imagesCol = () => col('Images', 'string', 'Images referenced by each container in the template.', 1)

export interface Printer {
  columns: TableColumnDefinition[]
  cells(object: any, now: number): unknown[]
  /** row.conditions (pods that completed) */
  conditions?(object: any): unknown[] | undefined
}

// ---- services --------------------------------------------------------------------------------

function serviceExternalIP(svc: any): string {
  const spec = svc.spec ?? {}
  const externalIPs: string[] = spec.externalIPs ?? []
  switch (spec.type ?? 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>'
    case 'LoadBalancer': {
      const ingress: any[] = svc.status?.loadBalancer?.ingress ?? []
      const lb = [...new Set(ingress.map((i) => i.ip || i.hostname).filter((x: string) => x))].sort().join(',')
      if (externalIPs.length > 0) {
        const results = lb.length > 0 ? lb.split(',') : []
        return [...results, ...externalIPs].join(',')
      }
      return lb.length > 0 ? lb : '<pending>'
    }
    case 'ExternalName':
      return spec.externalName ?? ''
    default:
      return '<unknown>'
  }
}

function servicePorts(ports: any[] | undefined): string {
  if (!ports || ports.length === 0) return '<none>'
  return ports.map((p) => (p.nodePort > 0 ? `${p.port}:${p.nodePort}/${p.protocol}` : `${p.port}/${p.protocol}`)).join(',')
}

export const servicePrinter: Printer = {
  columns: [
    nameCol(),
    col('Type', 'string', 'type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer. "ClusterIP" allocates a cluster-internal IP address for load-balancing to endpoints. Endpoints are determined by the selector or if that is not specified, by manual construction of an Endpoints object or EndpointSlice objects. If clusterIP is "None", no virtual IP is allocated and the endpoints are published as a set of endpoints rather than a virtual IP. "NodePort" builds on ClusterIP and allocates a port on every node which routes to the same endpoints as the clusterIP. "LoadBalancer" builds on NodePort and creates an external load-balancer (if supported in the current cloud) which routes to the same endpoints as the clusterIP. "ExternalName" aliases this service to the specified externalName. Several other fields do not apply to ExternalName services. More info: https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types'),
    col('Cluster-IP', 'string', 'clusterIP is the IP address of the service and is usually assigned randomly. If an address is specified manually, is in-range (as per system configuration), and is not in use, it will be allocated to the service; otherwise creation of the service will fail. This field may not be changed through updates unless the type field is also being changed to ExternalName (which requires this field to be blank) or the type field is being changed from ExternalName (in which case this field may optionally be specified, as describe above).  Valid values are "None", empty string (""), or a valid IP address. Setting this to "None" makes a "headless service" (no virtual IP), which is useful when direct endpoint connections are preferred and proxying is not required.  Only applies to types ClusterIP, NodePort, and LoadBalancer. If this field is specified when creating a Service of type ExternalName, creation will fail. This field will be wiped when updating a Service to type ExternalName. More info: https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies'),
    col('External-IP', 'string', 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.  These IPs are not managed by Kubernetes.  The user is responsible for ensuring that traffic arrives at a node with this IP.  A common example is external load-balancers that are not part of the Kubernetes system.'),
    col('Port(s)', 'string', 'The list of ports that are exposed by this service. More info: https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies'),
    ageCol(),
    col('Selector', 'string', 'Route service traffic to pods with label keys and values matching this selector. If empty or not present, the service is assumed to have an external process managing its endpoints, which Kubernetes will not modify. Only applies to types ClusterIP, NodePort, and LoadBalancer. Ignored if type is ExternalName. More info: https://kubernetes.io/docs/concepts/services-networking/service/', 1),
  ],
  cells(svc, now) {
    const spec = svc.spec ?? {}
    const clusterIPs: string[] = spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : [])
    return [
      svc.metadata.name,
      spec.type ?? 'ClusterIP',
      clusterIPs.length > 0 ? clusterIPs[0] : '<none>',
      serviceExternalIP(svc),
      servicePorts(spec.ports),
      since(svc.metadata.creationTimestamp, now),
      formatLabels(spec.selector),
    ]
  },
}

// ---- pods ------------------------------------------------------------------------------------

function isRestartableInit(c: any): boolean {
  return c?.restartPolicy === 'Always'
}

function laterOf(current: string | undefined, candidate: string | undefined): string | undefined {
  if (!candidate) return current
  if (!current || Date.parse(current) < Date.parse(candidate)) return candidate
  return current
}

export const podPrinter: Printer = {
  columns: [
    nameCol(),
    col('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
    col('Status', 'string', 'The aggregate status of the containers in this pod.'),
    col('Restarts', 'string', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
    ageCol(),
    col('IP', 'string', 'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', 1),
    col('Node', 'string', 'NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName. Once this field is set, the kubelet for this node becomes responsible for the lifecycle of this pod. This field should not be used to express a desire for the pod to be scheduled on a specific node. https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename', 1),
    col('Nominated Node', 'string', 'nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods. This field does not guarantee that the pod will be scheduled on this node. Scheduler may decide to place the pod elsewhere if other nodes become available sooner. Scheduler may also decide to give the resources on this node to a higher priority pod that is created after preemption. As a result, this field may be different than PodSpec.nodeName when the pod is scheduled.', 1),
    col('Readiness Gates', 'string', 'If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to "True" More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates', 1),
  ],
  conditions(pod) {
    if (pod.status?.phase === 'Succeeded') return [{type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.'}]
    if (pod.status?.phase === 'Failed') return [{type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.'}]
    return undefined
  },
  cells(pod, now) {
    const spec = pod.spec ?? {}
    const status = pod.status ?? {}
    const conditions: any[] = status.conditions ?? []
    let restarts = 0
    let restartableInitRestarts = 0
    let totalContainers = (spec.containers ?? []).length
    let readyContainers = 0
    let lastRestart: string | undefined
    let lastRestartableInitRestart: string | undefined
    const phase = status.phase ?? ''
    let reason: string = status.reason || phase
    if (conditions.some((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated')) reason = 'SchedulingGated'
    const initSpecs = new Map<string, any>()
    for (const c of spec.initContainers ?? []) {
      initSpecs.set(c.name, c)
      if (isRestartableInit(c)) totalContainers++
    }
    let initializing = false
    const initStatuses: any[] = status.initContainerStatuses ?? []
    for (let i = 0; i < initStatuses.length; i++) {
      const cs = initStatuses[i]
      restarts += cs.restartCount ?? 0
      lastRestart = laterOf(lastRestart, cs.lastState?.terminated?.finishedAt)
      const restartable = isRestartableInit(initSpecs.get(cs.name))
      if (restartable) {
        restartableInitRestarts += cs.restartCount ?? 0
        lastRestartableInitRestart = laterOf(lastRestartableInitRestart, cs.lastState?.terminated?.finishedAt)
      }
      const term = cs.state?.terminated
      const waiting = cs.state?.waiting
      if (term && term.exitCode === 0) continue
      if (restartable && cs.started === true) {
        if (cs.ready) readyContainers++
        continue
      }
      if (term) {
        reason = term.reason ? `Init:${term.reason}` : term.signal ? `Init:Signal:${term.signal}` : `Init:ExitCode:${term.exitCode ?? 0}`
      } else if (waiting?.reason && waiting.reason !== 'PodInitializing') {
        reason = `Init:${waiting.reason}`
      } else {
        reason = `Init:${i}/${(spec.initContainers ?? []).length}`
      }
      initializing = true
      break
    }
    const initializedTrue = conditions.some((c) => c.type === 'Initialized' && c.status === 'True')
    if (!initializing || initializedTrue) {
      restarts = restartableInitRestarts
      lastRestart = lastRestartableInitRestart
      let hasRunning = false
      const statuses: any[] = status.containerStatuses ?? []
      for (let i = statuses.length - 1; i >= 0; i--) {
        const cs = statuses[i]
        restarts += cs.restartCount ?? 0
        lastRestart = laterOf(lastRestart, cs.lastState?.terminated?.finishedAt)
        const term = cs.state?.terminated
        if (cs.state?.waiting?.reason) reason = cs.state.waiting.reason
        else if (term?.reason) reason = term.reason
        else if (term) reason = term.signal ? `Signal:${term.signal}` : `ExitCode:${term.exitCode ?? 0}`
        else if (cs.ready && cs.state?.running) {
          hasRunning = true
          readyContainers++
        }
      }
      if (reason === 'Completed' && hasRunning) {
        reason = conditions.some((c) => c.type === 'Ready' && c.status === 'True') ? 'Running' : 'NotReady'
      }
    }
    const deleting = Boolean(pod.metadata?.deletionTimestamp)
    if (deleting && status.reason === 'NodeLost') reason = 'Unknown'
    else if (deleting && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating'
    const restartsText = restarts !== 0 && lastRestart ? `${restarts} (${since(lastRestart, now)} ago)` : String(restarts)
    const podIP = status.podIPs?.[0]?.ip || '<none>'
    let gates = '<none>'
    const readinessGates: any[] = spec.readinessGates ?? []
    if (readinessGates.length > 0) {
      let trueCount = 0
      for (const g of readinessGates) {
        const c = conditions.find((x) => x.type === g.conditionType)
        if (c?.status === 'True') trueCount++
      }
      gates = `${trueCount}/${readinessGates.length}`
    }
    return [
      pod.metadata.name,
      `${readyContainers}/${totalContainers}`,
      reason,
      restartsText,
      since(pod.metadata.creationTimestamp, now),
      podIP,
      spec.nodeName || '<none>',
      status.nominatedNodeName || '<none>',
      gates,
    ]
  },
}

// ---- workloads -------------------------------------------------------------------------------

function templateContainers(obj: any): [string, string] {
  const containers: any[] = obj.spec?.template?.spec?.containers ?? []
  return [containers.map((c) => c.name).join(','), containers.map((c) => c.image).join(',')]
}

export const deploymentPrinter: Printer = {
  columns: [
    nameCol(),
    col('Ready', 'string', 'Number of the pod with ready state'),
    col('Up-to-date', 'integer', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
    col('Available', 'integer', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
    ageCol(),
    containersCol(),
    imagesCol(),
    col('Selector', 'string', 'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment. It must match the pod template\'s labels.', 1),
  ],
  cells(d, now) {
    const [containers, images] = templateContainers(d)
    const st = d.status ?? {}
    return [
      d.metadata.name,
      `${st.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`,
      st.updatedReplicas ?? 0,
      st.availableReplicas ?? 0,
      since(d.metadata.creationTimestamp, now),
      containers,
      images,
      formatLabelSelector(d.spec?.selector),
    ]
  },
}

export const replicaSetPrinter: Printer = {
  columns: [
    nameCol(),
    col('Desired', 'integer', 'Replicas is the number of desired pods. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicaset/#how-a-replicaset-works'),
    col('Current', 'integer', 'Replicas is the most recently observed number of non-terminating pods. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicaset/#how-a-replicaset-works'),
    col('Ready', 'integer', 'The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition.'),
    ageCol(),
    containersCol(),
    imagesCol(),
    col('Selector', 'string', 'Selector is a label query over pods that should match the replica count. Label keys and values that must match in order to be controlled by this replica set. It must match the pod template\'s labels. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors', 1),
  ],
  cells(rs, now) {
    const [containers, images] = templateContainers(rs)
    const st = rs.status ?? {}
    return [
      rs.metadata.name,
      rs.spec?.replicas ?? 0,
      st.replicas ?? 0,
      st.readyReplicas ?? 0,
      since(rs.metadata.creationTimestamp, now),
      containers,
      images,
      formatLabelSelector(rs.spec?.selector),
    ]
  },
}

// ---- endpoints and slices --------------------------------------------------------------------

/** formatEndpoints(endpoints, nil): at most 3 `ip:port`, then ` + N more...`. */
export function formatEndpoints(ep: any): string {
  const subsets: any[] = ep.subsets ?? []
  if (subsets.length === 0) return '<none>'
  const list: string[] = []
  const max = 3
  let more = false
  let count = 0
  for (const ss of subsets) {
    const addresses: any[] = ss.addresses ?? []
    const ports: any[] = ss.ports ?? []
    if (ports.length === 0) {
      count += addresses.length
      for (const a of addresses) {
        if (list.length === max) {
          more = true
          break
        }
        list.push(a.ip)
      }
      continue
    }
    for (const port of ports) {
      count += addresses.length
      for (const a of addresses) {
        if (list.length === max) {
          more = true
          break
        }
        list.push(joinHostPort(a.ip, port.port))
      }
    }
  }
  const ret = list.join(',')
  return more ? `${ret} + ${count - max} more...` : ret
}

export const endpointsPrinter: Printer = {
  columns: [
    nameCol(),
    col('Endpoints', 'string', 'The set of all endpoints is the union of all subsets. Addresses are placed into subsets according to the IPs they share. A single address with multiple ports, some of which are ready and some of which are not (because they come from different containers) will result in the address being displayed in different subsets for the different ports. No address will appear in both Addresses and NotReadyAddresses in the same subset. Sets of addresses and ports that comprise a service.'),
    ageCol(),
  ],
  cells(ep, now) {
    return [ep.metadata.name, formatEndpoints(ep), since(ep.metadata.creationTimestamp, now)]
  },
}

export function formatSlicePorts(ports: any[] | null | undefined): string {
  const list: string[] = []
  const max = 3
  let more = false
  let count = 0
  for (const p of ports ?? []) {
    if (list.length < max) list.push(p.port != null ? String(p.port) : p.name != null ? p.name : '*')
    else if (list.length === max) more = true
    count++
  }
  return listWithMore(list, more, count, max)
}

export function formatSliceEndpoints(endpoints: any[] | null | undefined): string {
  const list: string[] = []
  const max = 3
  let more = false
  let count = 0
  for (const e of endpoints ?? []) {
    for (const address of e.addresses ?? []) {
      if (list.length < max) list.push(address)
      else if (list.length === max) more = true
      count++
    }
  }
  return listWithMore(list, more, count, max)
}

export const endpointSlicePrinter: Printer = {
  columns: [
    nameCol(),
    col('AddressType', 'string', 'Type of address contained in this endpoint slice.'),
    col('Ports', 'string', 'Ports contained in this endpoint slice.'),
    col('Endpoints', 'string', 'Endpoints contained in this endpoint slice.'),
    ageCol(),
  ],
  cells(s, now) {
    return [s.metadata.name, s.addressType ?? '', formatSlicePorts(s.ports), formatSliceEndpoints(s.endpoints), since(s.metadata.creationTimestamp, now)]
  },
}

// ---- events, namespaces, nodes ---------------------------------------------------------------

function eventSource(e: any): string {
  const component = e.source?.component || e.reportingComponent || ''
  const instance = e.source?.host || e.reportingInstance || ''
  if (!component) return ''
  return instance ? `${component}, ${instance}` : component
}

export const eventPrinter: Printer = {
  columns: [
    col('Last Seen', 'string', 'The time at which the most recent occurrence of this event was recorded.'),
    col('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future'),
    col('Reason', 'string', 'This should be a short, machine understandable string that gives the reason for the transition into the object\'s current status.'),
    col('Object', 'string', 'The object that this event is about.'),
    col('Subobject', 'string', 'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2]. For example, if the object reference is to a container within a pod, this would take on a value like: "spec.containers{name}" (where "name" refers to the name of the container that triggered the event) or if no container name is specified "spec.containers[2]" (container with index 2 in this pod). This syntax is chosen only to have some well-defined way of referencing a part of an object.', 1),
    col('Source', 'string', 'The component reporting this event. Should be a short machine understandable string.', 1),
    col('Message', 'string', 'A human-readable description of the status of this operation.'),
    col('First Seen', 'string', 'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)', 1),
    col('Count', 'string', 'The number of times this event has occurred.', 1),
    nameCol(1),
  ],
  cells(e, now) {
    let first = since(e.firstTimestamp, now)
    if (!e.firstTimestamp) first = since(e.eventTime, now)
    let last = since(e.lastTimestamp, now)
    if (!e.lastTimestamp) last = first
    let count = e.count ?? 0
    if (e.series) {
      last = since(e.series.lastObservedTime, now)
      count = e.series.count ?? 0
    } else if (count === 0) {
      count = 1
    }
    const kind = String(e.involvedObject?.kind ?? '').toLowerCase()
    const target = e.involvedObject?.name ? `${kind}/${e.involvedObject.name}` : kind
    return [last, e.type ?? '', e.reason ?? '', target, e.involvedObject?.fieldPath ?? '', eventSource(e), String(e.message ?? '').trim(), first, count, e.metadata.name]
  },
}

export const namespacePrinter: Printer = {
  columns: [nameCol(), col('Status', 'string', 'The status of the namespace'), ageCol()],
  cells(ns, now) {
    return [ns.metadata.name, ns.status?.phase ?? '', since(ns.metadata.creationTimestamp, now)]
  },
}

function nodeRoles(node: any): string {
  const roles = new Set<string>()
  for (const [k, v] of Object.entries<string>(node.metadata?.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const role = k.slice('node-role.kubernetes.io/'.length)
      if (role) roles.add(role)
    } else if (k === 'kubernetes.io/role' && v) {
      roles.add(v)
    }
  }
  const list = [...roles].sort()
  return list.length > 0 ? list.join(',') : '<none>'
}

function nodeAddress(node: any, type: string): string {
  return (node.status?.addresses ?? []).find((a: any) => a.type === type)?.address ?? '<none>'
}

export const nodePrinter: Printer = {
  columns: [
    nameCol(),
    col('Status', 'string', 'The status of the node'),
    col('Roles', 'string', 'The roles of the node'),
    ageCol(),
    col('Version', 'string', 'Kubelet Version reported by the node.'),
    col('Internal-IP', 'string', 'List of addresses reachable to the node. Queried from cloud provider, if available. More info: https://kubernetes.io/docs/reference/node/node-status/#addresses Note: This field is declared as mergeable, but the merge key is not sufficiently unique, which can cause data corruption when it is merged. Callers should instead use a full-replacement patch. See https://pr.k8s.io/79391 for an example. Consumers should assume that addresses can change during the lifetime of a Node. However, there are some exceptions where this may not be possible, such as Pods that inherit a Node\'s address in its own status or consumers of the downward API (status.hostIP).', 1),
    col('External-IP', 'string', 'List of addresses reachable to the node. Queried from cloud provider, if available. More info: https://kubernetes.io/docs/reference/node/node-status/#addresses Note: This field is declared as mergeable, but the merge key is not sufficiently unique, which can cause data corruption when it is merged. Callers should instead use a full-replacement patch. See https://pr.k8s.io/79391 for an example. Consumers should assume that addresses can change during the lifetime of a Node. However, there are some exceptions where this may not be possible, such as Pods that inherit a Node\'s address in its own status or consumers of the downward API (status.hostIP).', 1),
    col('OS-Image', 'string', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', 1),
    col('Kernel-Version', 'string', 'Kernel Version reported by the node from \'uname -r\' (e.g. 3.16.0-0.bpo.4-amd64).', 1),
    col('Container-Runtime', 'string', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).', 1),
  ],
  cells(node, now) {
    const status: string[] = []
    const ready = (node.status?.conditions ?? []).find((c: any) => c.type === 'Ready')
    if (ready) status.push(ready.status === 'True' ? 'Ready' : 'NotReady')
    if (status.length === 0) status.push('Unknown')
    if (node.spec?.unschedulable) status.push('SchedulingDisabled')
    const info = node.status?.nodeInfo ?? {}
    return [
      node.metadata.name,
      status.join(','),
      nodeRoles(node),
      since(node.metadata.creationTimestamp, now),
      info.kubeletVersion ?? '',
      nodeAddress(node, 'InternalIP'),
      nodeAddress(node, 'ExternalIP'),
      info.osImage || '<unknown>',
      info.kernelVersion || '<unknown>',
      info.containerRuntimeVersion || '<unknown>',
    ]
  },
}

/** Printers by store key (see registry.ts `resource`). */
export const PRINTERS: Record<string, Printer> = {
  services: servicePrinter,
  pods: podPrinter,
  endpoints: endpointsPrinter,
  'discovery.k8s.io/endpointslices': endpointSlicePrinter,
  'apps/deployments': deploymentPrinter,
  'apps/replicasets': replicaSetPrinter,
  events: eventPrinter,
  namespaces: namespacePrinter,
  nodes: nodePrinter,
}
