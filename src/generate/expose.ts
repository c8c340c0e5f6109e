// kubectl expose, as pure functions: which kinds can be exposed, the selector, ports and
// protocols derived from the object (polymorphichelpers), and the Service it generates
// (ExposeServiceOptions.createService). Every error text is kubectl's.

import {CliError} from '../kube/errors.ts'
import type {LabelSelector, Pod, PodSpec, ReplicationController, Service, ServicePort, ServiceSpec, UnstructuredObject, Workload} from '../kube/types.ts'
import {resolveResourceType, type ResourceType} from '../kube/resource-types.ts'
import {goAtoi} from './ports.ts'

/** Where an object lives in the API: what expose GETs before deciding anything. */
export type ExposableResource = Pick<ResourceType, 'group' | 'kind' | 'plural' | 'version'>

/** The GroupKinds kubectl's canBeExposed accepts (k8s.io/kubectl pkg/polymorphichelpers/canbeexposed.go). */
const EXPOSABLE = new Set(['ReplicationController', 'Service', 'Pod', 'Deployment.apps', 'ReplicaSet.apps', 'Deployment.extensions', 'ReplicaSet.extensions'])

export class ExposeError extends CliError {}

export interface ResourceRef {
  name: string
  resource: ExposableResource
  /** The type as the user wrote it, for messages. */
  type: string
}

/**
 * `TYPE NAME` or `TYPE/NAME` (kubectl's ResourceTypeOrNameArgs, for the single-object case).
 * Types may carry a group (`deployments.apps`) and are case-insensitive.
 */
export function parseResourceArgs(args: readonly string[]): ResourceRef {
  if (args.length === 0) {
    throw new ExposeError("You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'")
  }
  let type: string
  let name: string
  if (args.length === 1) {
    if (!args[0].includes('/')) {
      throw new ExposeError(`resource(s) were provided, but no name was specified`)
    }
    const i = args[0].indexOf('/')
    type = args[0].slice(0, i)
    name = args[0].slice(i + 1)
    if (name === '') throw new ExposeError(`arguments in resource/name form must have a single resource and name`)
  } else if (args.length === 2 && !args[0].includes('/')) {
    ;[type, name] = args as [string, string]
  } else {
    if (args.some(a => a.includes('/'))) throw new ExposeError('there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. \'kubectl get resource/<resource_name>\' instead of \'kubectl get resource resource/<resource_name>\')')
    throw new ExposeError(`expose takes one resource: write TYPE NAME or TYPE/NAME, e.g. deployment/web (got ${args.length} arguments)`)
  }
  return {name, resource: resolveType(type), type}
}

/**
 * The resource a type word names (any spelling kubectl accepts for a built-in resource), or
 * kubectl's error for a word it does not know. Whether it can be exposed is decided after the GET,
 * as kubectl does (a missing Ingress is NotFound, not "cannot expose").
 */
export function resolveType(type: string): ExposableResource {
  const r = resolveResourceType(type)
  if (!r) throw new ExposeError(`the server doesn't have a resource type "${type}"`)
  return r
}

/** kubectl's canBeExposed, on the object fetched (or read from a file): `cannot expose a Ingress.networking.k8s.io`. */
export function checkExposable(obj: UnstructuredObject | undefined): void {
  const kind = String(obj?.kind ?? '')
  const apiVersion = String(obj?.apiVersion ?? '')
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : ''
  const gk = group ? `${kind}.${group}` : kind
  if (!EXPOSABLE.has(gk)) throw new ExposeError(`cannot expose a ${gk}`)
}

// ---- derivations (polymorphichelpers) ----

function podSpecOf(obj: UnstructuredObject): PodSpec | undefined {
  return obj.kind === 'Pod' ? (obj as Pod).spec : (obj as Workload).spec?.template?.spec
}

/** The map-based selector of the object; errors are kubectl's, before the "couldn't retrieve" wrapping. */
export function mapBasedSelectorForObject(obj: UnstructuredObject): Record<string, string> {
  switch (obj.kind) {
    case 'ReplicationController':
      return {...((obj as ReplicationController).spec?.selector ?? {})}
    case 'Pod': {
      const labels = obj.metadata?.labels ?? {}
      if (Object.keys(labels).length === 0) throw new ExposeError('the pod has no labels and cannot be exposed')
      return {...labels}
    }
    case 'Service': {
      const selector = (obj as Service).spec?.selector
      if (selector == null) throw new ExposeError('the service has no pod selector set')
      return {...selector}
    }
    case 'Deployment':
    case 'ReplicaSet': {
      const what = obj.kind === 'Deployment' ? 'deployment' : 'replicaset'
      const sel = (obj as Workload).spec?.selector
      if (sel == null || Object.keys(sel.matchLabels ?? {}).length === 0) {
        throw new ExposeError(`invalid ${what}: no selectors, therefore cannot be exposed`)
      }
      if ((sel.matchExpressions ?? []).length > 0) {
        throw new ExposeError(`couldn't convert expressions - "${formatRequirements(sel.matchExpressions ?? [])}" to map-based selector format`)
      }
      return {...sel.matchLabels}
    }
    default:
      throw new ExposeError(`cannot extract pod selector from ${goTypeName(obj)}`)
  }
}

/** Go's %+v of []metav1.LabelSelectorRequirement: `[{Key:tier Operator:In Values:[a b]}]`. */
export function formatRequirements(reqs: NonNullable<LabelSelector['matchExpressions']>): string {
  return `[${reqs.map(r => `{Key:${r.key ?? ''} Operator:${r.operator ?? ''} Values:[${(r.values ?? []).join(' ')}]}`).join(' ')}]`
}

function goTypeName(obj: UnstructuredObject): string {
  const kind = obj.kind ?? 'Unknown'
  const group = String(obj.apiVersion ?? '').split('/')
  const pkg = group.length === 2 ? `${group[0].split('.')[0]}${group[1]}` : 'v1'
  return `*${pkg}.${kind}`
}

const POD_OWNERS = ['Pod', 'Deployment', 'ReplicaSet', 'ReplicationController']

/** Each container port (or service port) with its protocol, in order; undefined for a kind without ports. */
function declaredPorts(obj: UnstructuredObject): {port?: number; protocol?: string}[] | undefined {
  if (obj.kind === 'Service') return ((obj as Service).spec?.ports ?? []).map(p => ({port: p.port, protocol: p.protocol}))
  if (!POD_OWNERS.includes(obj.kind ?? '')) return undefined
  return (podSpecOf(obj)?.containers ?? []).flatMap(c => (c.ports ?? []).map(p => ({port: p.containerPort, protocol: p.protocol})))
}

/** Container (or service) port numbers, in order, without repeats. */
export function portsForObject(obj: UnstructuredObject): string[] {
  const ports = declaredPorts(obj)
  if (!ports) throw new ExposeError(`cannot extract ports from ${goTypeName(obj)}`)
  return [...new Set(ports.map(p => String(p.port ?? 0)))]
}

/** "<port>" -> protocols, one entry per container or service port (empty protocol = TCP). */
export function protocolsForObject(obj: UnstructuredObject): Map<string, string[]> {
  const ports = declaredPorts(obj)
  if (!ports) throw new ExposeError(`cannot extract protocols from ${goTypeName(obj)}`)
  const out = new Map<string, string[]>()
  for (const {port, protocol} of ports) {
    const key = String(port ?? 0)
    out.set(key, [...(out.get(key) ?? []), typeof protocol === 'string' && protocol !== '' ? protocol : 'TCP'])
  }
  return out
}

/** expose's parseLabels: `k=v,...`, equality only, no validation of keys or values. */
export function parseExposeLabels(spec: string): Record<string, string> {
  if (spec.length === 0) throw new ExposeError('no label spec passed')
  const labels: Record<string, string> = {}
  for (const item of spec.split(',')) {
    const kv = item.split('=')
    if (kv.length !== 2) throw new ExposeError(`unexpected label spec: ${item}`)
    if (kv[0].length === 0) throw new ExposeError('unexpected empty label key')
    labels[kv[0]] = kv[1]
  }
  return labels
}

export interface ExposeFlags {
  clusterIP?: string
  externalIP?: string
  labels?: string
  loadBalancerIP?: string
  name?: string
  /** svc: a node port for every port (NodePort/LoadBalancer). */
  nodePort?: number
  port?: string
  protocol?: string
  selector?: string
  sessionAffinity?: string
  /** svc: ClientIP timeout. */
  sessionAffinityTimeout?: number
  targetPort?: string
  type?: string
}

/** What RunExpose derives from the object and the flags before it builds the Service. */
interface ExposeInputs {
  /** The object's name cut to 63 characters (the Service's name unless --name). */
  name: string
  labelsText: string
  /** One port, or several joined by commas; '' when there is none. */
  portString: string
  protocols: Map<string, string[]>
  selectorText: string
}

/**
 * The Service kubectl expose generates for the object (before --overrides). Follows RunExpose and
 * createService step by step, with their error texts.
 */
export function exposeService(obj: UnstructuredObject, flags: ExposeFlags): Service {
  return createService(exposeInputs(obj, flags), flags)
}

/** RunExpose: the selector, ports, protocols and labels, from the flags or from the object. */
function exposeInputs(obj: UnstructuredObject, flags: ExposeFlags): ExposeInputs {
  let selectorText = flags.selector ?? ''
  if (selectorText.length === 0) {
    const selector = introspect('retrieve selectors via --selector flag or', () => mapBasedSelectorForObject(obj))
    selectorText = Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',')
  }
  let portString = flags.port ?? ''
  if (portString.length === 0) {
    const derived = introspect('find port via --port flag or', () => portsForObject(obj))
    if (derived.length === 0 && flags.clusterIP !== 'None') throw new ExposeError("couldn't find port via --port flag or introspection")
    portString = derived.join(',')
  }
  const protocols = introspect('find protocol via', () => protocolsForObject(obj))
  let labelsText = flags.labels ?? ''
  if (labelsText.length === 0) labelsText = Object.entries(obj.metadata?.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(',')
  return {labelsText, name: String(obj.metadata?.name ?? '').slice(0, 63), portString, protocols, selectorText}
}

/** kubectl's "couldn't <what> introspection: <reason>" wrapping of a derivation's error. */
function introspect<T>(what: string, derive: () => T): T {
  try {
    return derive()
  } catch (error) {
    throw new ExposeError(`couldn't ${what} introspection: ${(error as Error).message}`)
  }
}

/** createService: the Service object from the derived inputs and the flags. */
function createService(inputs: ExposeInputs, flags: ExposeFlags): Service {
  if (inputs.selectorText.length === 0) throw new ExposeError('selector must be specified')
  const selector = parseExposeLabels(inputs.selectorText)
  const labels = inputs.labelsText.length > 0 ? parseExposeLabels(inputs.labelsText) : undefined
  const name = flags.name || inputs.name
  if (name.length === 0) throw new ExposeError('name must be specified')
  const ports = servicePorts(inputs.portString, inputs.protocols, flags)
  const spec: ServiceSpec = {}
  if (ports.length > 0) spec.ports = ports
  spec.selector = selector
  if (flags.clusterIP) spec.clusterIP = flags.clusterIP
  if (flags.type) spec.type = flags.type
  if (flags.externalIP) spec.externalIPs = [flags.externalIP]
  if (flags.sessionAffinity) {
    if (flags.sessionAffinity !== 'None' && flags.sessionAffinity !== 'ClientIP') {
      throw new ExposeError(`unknown session affinity: ${flags.sessionAffinity}`)
    }
    spec.sessionAffinity = flags.sessionAffinity
  }
  if (flags.type === 'LoadBalancer' && flags.loadBalancerIP) spec.loadBalancerIP = flags.loadBalancerIP
  if (flags.sessionAffinityTimeout !== undefined) spec.sessionAffinityConfig = {clientIP: {timeoutSeconds: affinityTimeout(flags)}}
  return {kind: 'Service', apiVersion: 'v1', metadata: labels ? {name, labels} : {name}, spec, status: {loadBalancer: {}}}
}

/**
 * The Service's ports: several are named port-1, port-2, ...; the protocol is the flag's, else the
 * object's for that port number (a port served over two protocols becomes port-N-tcp and port-N-udp).
 */
function servicePorts(portString: string, protocols: Map<string, string[]>, flags: ExposeFlags): ServicePort[] {
  if (portString.length === 0) return []
  const items = portString.split(',')
  const out = items.flatMap((item, i): ServicePort[] => {
    const port = goAtoi(item)
    const name = items.length > 1 ? `port-${i + 1}` : ''
    let protocol = flags.protocol ?? ''
    if (protocol.length === 0) {
      const found = protocols.get(item)
      if (found && found.length > 1) return found.map(p => servicePort(`port-${i + 1}-${p.toLowerCase()}`, port, p))
      protocol = found?.[0] ?? 'TCP'
    }
    return [servicePort(name, port, protocol)]
  })
  for (const p of out) {
    if (flags.targetPort && flags.targetPort.length > 0) p.targetPort = /^[+-]?[0-9]+$/.test(flags.targetPort) ? Number(flags.targetPort) : flags.targetPort
    else p.targetPort = p.port
    if (flags.nodePort) p.nodePort = flags.nodePort
  }
  return out
}

function servicePort(name: string, port: number, protocol: string): ServicePort {
  return name ? {name, protocol, port} : {protocol, port}
}

/** svc's --session-affinity-timeout: ClientIP only, 1 to 86400 seconds. */
function affinityTimeout(flags: ExposeFlags): number {
  const timeout = flags.sessionAffinityTimeout ?? 0
  if (flags.sessionAffinity !== 'ClientIP') {
    throw new ExposeError('--session-affinity-timeout applies to ClientIP affinity only: add --session-affinity=ClientIP')
  }
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 86_400) {
    throw new ExposeError(`invalid --session-affinity-timeout=${timeout}: must be a whole number of seconds from 1 to 86400 (default 10800)`)
  }
  return timeout
}

// ---- --overrides ----

export type OverrideType = 'json' | 'merge' | 'strategic'

export function checkOverrideType(value: string): OverrideType {
  if (value === 'json' || value === 'merge' || value === 'strategic') return value
  throw new ExposeError(`invalid override type: ${value}`)
}

/**
 * Applies --overrides to the generated Service: a JSON merge patch (RFC 7386) for `merge`; a
 * strategic merge patch for `strategic` (lists of ports merge by `port`, others are replaced); a
 * JSON patch (RFC 6902) for `json`.
 */
export function applyOverrides(obj: Service, overrides: string, type: OverrideType): Service {
  let patch: unknown
  try {
    patch = JSON.parse(overrides)
  } catch (error) {
    throw new ExposeError(`unable to parse "${overrides}": ${(error as Error).message}`)
  }
  const doc: unknown = structuredClone(obj)
  return (type === 'json' ? applyJsonPatch(doc, patch) : mergePatch(doc, patch, type === 'strategic')) as Service
}

type JsonObject = Record<string, unknown>

function isObject(v: unknown): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

function mergePatch(target: unknown, patch: unknown, strategic: boolean, key = ''): unknown {
  if (!isObject(patch)) {
    if (strategic && Array.isArray(patch) && Array.isArray(target) && key === 'ports') {
      const out: unknown[] = target.map(t => (isObject(t) ? {...t} : t))
      for (const p of patch) {
        const i = out.findIndex(t => isObject(t) && isObject(p) && t.port === p.port)
        if (i >= 0) out[i] = mergePatch(out[i], p, true)
        else out.push(p)
      }
      return out
    }
    return patch
  }
  const base: JsonObject = isObject(target) ? target : {}
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete base[k]
    else base[k] = mergePatch(base[k], v, strategic, k)
  }
  return base
}

function applyJsonPatch(doc: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new ExposeError('json patch must be a list of operations')
  for (const op of ops as unknown[]) {
    const o: JsonObject = isObject(op) ? op : {}
    const path = String(o.path ?? '').split('/').slice(1).map(s => s.replaceAll('~1', '/').replaceAll('~0', '~'))
    const last = path.pop()
    let parent: unknown = doc
    for (const seg of path) {
      parent = Array.isArray(parent) ? parent[Number(seg)] : isObject(parent) ? parent[seg] : undefined
      if (parent === undefined) throw new ExposeError(`json patch: path ${o.path} does not exist`)
    }
    if (last === undefined) throw new ExposeError(`json patch: invalid path "${o.path}"`)
    switch (o.op) {
      case 'add':
      case 'replace':
        if (Array.isArray(parent)) {
          const i = last === '-' ? parent.length : Number(last)
          if (o.op === 'add') parent.splice(i, 0, o.value)
          else parent[i] = o.value
        } else if (isObject(parent)) parent[last] = o.value
        else throw new ExposeError(`json patch: path ${o.path} does not exist`)
        break
      case 'remove':
        if (Array.isArray(parent)) parent.splice(Number(last), 1)
        else if (isObject(parent)) delete parent[last]
        else throw new ExposeError(`json patch: path ${o.path} does not exist`)
        break
      default:
        throw new ExposeError(`json patch: unsupported operation "${o.op}"`)
    }
  }
  return doc
}
