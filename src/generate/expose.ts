// kubectl expose, as pure functions: which kinds can be exposed, the selector, ports and
// protocols derived from the object (polymorphichelpers), and the Service it generates
// (ExposeServiceOptions.createService). Every error text is kubectl's.

import {CliError} from '../kube/errors.ts'
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
export function checkExposable(obj: any): void {
  const kind = String(obj?.kind ?? '')
  const apiVersion = String(obj?.apiVersion ?? '')
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : ''
  const gk = group ? `${kind}.${group}` : kind
  if (!EXPOSABLE.has(gk)) throw new ExposeError(`cannot expose a ${gk}`)
}

// ---- derivations (polymorphichelpers) ----

function podSpecOf(obj: any): any {
  return obj?.kind === 'Pod' ? obj.spec : obj?.spec?.template?.spec
}

/** The map-based selector of the object; errors are kubectl's, before the "couldn't retrieve" wrapping. */
export function mapBasedSelectorForObject(obj: any): Record<string, string> {
  switch (obj?.kind) {
    case 'ReplicationController':
      return {...(obj.spec?.selector ?? {})}
    case 'Pod': {
      const labels = obj.metadata?.labels ?? {}
      if (Object.keys(labels).length === 0) throw new ExposeError('the pod has no labels and cannot be exposed')
      return {...labels}
    }
    case 'Service':
      if (obj.spec?.selector == null) throw new ExposeError('the service has no pod selector set')
      return {...obj.spec.selector}
    case 'Deployment':
    case 'ReplicaSet': {
      const what = obj.kind === 'Deployment' ? 'deployment' : 'replicaset'
      const sel = obj.spec?.selector
      if (sel == null || Object.keys(sel.matchLabels ?? {}).length === 0) {
        throw new ExposeError(`invalid ${what}: no selectors, therefore cannot be exposed`)
      }
      if ((sel.matchExpressions ?? []).length > 0) {
        throw new ExposeError(`couldn't convert expressions - "${formatRequirements(sel.matchExpressions)}" to map-based selector format`)
      }
      return {...sel.matchLabels}
    }
    default:
      throw new ExposeError(`cannot extract pod selector from ${goTypeName(obj)}`)
  }
}

/** Go's %+v of []metav1.LabelSelectorRequirement: `[{Key:tier Operator:In Values:[a b]}]`. */
export function formatRequirements(reqs: any[]): string {
  return `[${reqs.map(r => `{Key:${r.key ?? ''} Operator:${r.operator ?? ''} Values:[${(r.values ?? []).join(' ')}]}`).join(' ')}]`
}

function goTypeName(obj: any): string {
  const kind = obj?.kind ?? 'Unknown'
  const group = String(obj?.apiVersion ?? '').split('/')
  const pkg = group.length === 2 ? `${group[0].split('.')[0]}${group[1]}` : 'v1'
  return `*${pkg}.${kind}`
}

/** Container (or service) port numbers, in order, without repeats. */
export function portsForObject(obj: any): string[] {
  const out: string[] = []
  const push = (n: unknown): void => {
    const s = String(n ?? 0)
    if (!out.includes(s)) out.push(s)
  }
  if (obj?.kind === 'Service') {
    for (const p of obj.spec?.ports ?? []) push(p.port)
    return out
  }
  if (['Pod', 'Deployment', 'ReplicaSet', 'ReplicationController'].includes(obj?.kind)) {
    for (const c of podSpecOf(obj)?.containers ?? []) for (const p of c.ports ?? []) push(p.containerPort)
    return out
  }
  throw new ExposeError(`cannot extract ports from ${goTypeName(obj)}`)
}

/** "<port>" -> protocols, one entry per container or service port (empty protocol = TCP). */
export function protocolsForObject(obj: any): Map<string, string[]> {
  const out = new Map<string, string[]>()
  const add = (port: unknown, protocol: unknown): void => {
    const key = String(port ?? 0)
    out.set(key, [...(out.get(key) ?? []), typeof protocol === 'string' && protocol !== '' ? protocol : 'TCP'])
  }
  if (obj?.kind === 'Service') {
    for (const p of obj.spec?.ports ?? []) add(p.port, p.protocol)
    return out
  }
  if (['Pod', 'Deployment', 'ReplicaSet', 'ReplicationController'].includes(obj?.kind)) {
    for (const c of podSpecOf(obj)?.containers ?? []) for (const p of c.ports ?? []) add(p.containerPort, p.protocol)
    return out
  }
  throw new ExposeError(`cannot extract protocols from ${goTypeName(obj)}`)
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

/**
 * The Service kubectl expose generates for the object (before --overrides). Follows RunExpose and
 * createService step by step, with their error texts.
 */
export function exposeService(obj: any, flags: ExposeFlags): any {
  let name = String(obj?.metadata?.name ?? '')
  if (name.length > 63) name = name.slice(0, 63)
  let selectorText = flags.selector ?? ''
  let selector: Record<string, string> | undefined
  if (selectorText.length === 0) {
    try {
      selector = mapBasedSelectorForObject(obj)
    } catch (error) {
      throw new ExposeError(`couldn't retrieve selectors via --selector flag or introspection: ${(error as Error).message}`)
    }
    selectorText = Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',')
  }
  const headless = flags.clusterIP === 'None'
  let port = flags.port ?? ''
  let ports = ''
  if (port.length === 0) {
    let derived: string[]
    try {
      derived = portsForObject(obj)
    } catch (error) {
      throw new ExposeError(`couldn't find port via --port flag or introspection: ${(error as Error).message}`)
    }
    if (derived.length === 0) {
      if (!headless) throw new ExposeError("couldn't find port via --port flag or introspection")
    } else if (derived.length === 1) port = derived[0]
    else ports = derived.join(',')
  }
  let protocolMap: Map<string, string[]>
  try {
    protocolMap = protocolsForObject(obj)
  } catch (error) {
    throw new ExposeError(`couldn't find protocol via introspection: ${(error as Error).message}`)
  }
  let labelsText = flags.labels ?? ''
  if (labelsText.length === 0) {
    labelsText = Object.entries(obj?.metadata?.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(',')
  }

  // createService
  if (selectorText.length === 0) throw new ExposeError('selector must be specified')
  const parsedSelector = parseExposeLabels(selectorText)
  const labels = labelsText.length > 0 ? parseExposeLabels(labelsText) : undefined
  const serviceName = flags.name || name
  if (serviceName.length === 0) throw new ExposeError('name must be specified')
  const portString = ports.length > 0 ? ports : port
  const servicePorts: any[] = []
  if (portString.length > 0) {
    const items = portString.split(',')
    items.forEach((item, i) => {
      const n = goAtoi(item)
      let portName = ''
      if (items.length > 1) portName = `port-${i + 1}`
      let protocol = flags.protocol ?? ''
      if (protocol.length === 0 && protocolMap.size === 0) protocol = 'TCP'
      else if (protocol.length === 0) {
        protocol = 'TCP'
        const found = protocolMap.get(item)
        if (found) {
          if (found.length === 1) protocol = found[0]
          else {
            for (const p of found) servicePorts.push(servicePort(`port-${i + 1}-${p.toLowerCase()}`, n, p))
            return
          }
        }
      }
      servicePorts.push(servicePort(portName, n, protocol))
    })
  }
  for (const p of servicePorts) {
    if (flags.targetPort && flags.targetPort.length > 0) p.targetPort = /^[+-]?[0-9]+$/.test(flags.targetPort) ? Number(flags.targetPort) : flags.targetPort
    else p.targetPort = p.port
    if (flags.nodePort) p.nodePort = flags.nodePort
  }
  const metadata: Record<string, unknown> = {name: serviceName}
  if (labels) metadata.labels = labels
  const spec: Record<string, unknown> = {}
  if (servicePorts.length > 0) spec.ports = servicePorts
  spec.selector = parsedSelector
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
  if (flags.sessionAffinityTimeout !== undefined) {
    if (flags.sessionAffinity !== 'ClientIP') {
      throw new ExposeError('--session-affinity-timeout applies to ClientIP affinity only: add --session-affinity=ClientIP')
    }
    if (!Number.isInteger(flags.sessionAffinityTimeout) || flags.sessionAffinityTimeout < 1 || flags.sessionAffinityTimeout > 86_400) {
      throw new ExposeError(`invalid --session-affinity-timeout=${flags.sessionAffinityTimeout}: must be a whole number of seconds from 1 to 86400 (default 10800)`)
    }
    spec.sessionAffinityConfig = {clientIP: {timeoutSeconds: flags.sessionAffinityTimeout}}
  }
  return {kind: 'Service', apiVersion: 'v1', metadata, spec, status: {loadBalancer: {}}}
}

function servicePort(name: string, port: number, protocol: string): any {
  const p: any = {}
  if (name) p.name = name
  p.protocol = protocol
  p.port = port
  return p
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
export function applyOverrides(obj: any, overrides: string, type: OverrideType): any {
  let patch: unknown
  try {
    patch = JSON.parse(overrides)
  } catch (error) {
    throw new ExposeError(`unable to parse "${overrides}": ${(error as Error).message}`)
  }
  if (type === 'json') return applyJsonPatch(structuredClone(obj), patch)
  return mergePatch(structuredClone(obj), patch, type === 'strategic')
}

function mergePatch(target: any, patch: any, strategic: boolean, key = ''): any {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) {
    if (strategic && Array.isArray(patch) && Array.isArray(target) && key === 'ports') {
      const out = target.map((t: any) => ({...t}))
      for (const p of patch) {
        const i = out.findIndex((t: any) => t.port === p?.port)
        if (i >= 0) out[i] = mergePatch(out[i], p, true)
        else out.push(p)
      }
      return out
    }
    return patch
  }
  const base = target !== null && typeof target === 'object' && !Array.isArray(target) ? target : {}
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete base[k]
    else base[k] = mergePatch(base[k], v, strategic, k)
  }
  return base
}

function applyJsonPatch(doc: any, ops: unknown): any {
  if (!Array.isArray(ops)) throw new ExposeError('json patch must be a list of operations')
  for (const op of ops as any[]) {
    const path = String(op?.path ?? '').split('/').slice(1).map(s => s.replaceAll('~1', '/').replaceAll('~0', '~'))
    const last = path.pop()
    let parent = doc
    for (const seg of path) {
      parent = Array.isArray(parent) ? parent[Number(seg)] : parent?.[seg]
      if (parent === undefined) throw new ExposeError(`json patch: path ${op.path} does not exist`)
    }
    if (last === undefined) throw new ExposeError(`json patch: invalid path "${op?.path}"`)
    switch (op?.op) {
      case 'add':
      case 'replace':
        if (Array.isArray(parent)) {
          const i = last === '-' ? parent.length : Number(last)
          if (op.op === 'add') parent.splice(i, 0, op.value)
          else parent[i] = op.value
        } else parent[last] = op.value
        break
      case 'remove':
        if (Array.isArray(parent)) parent.splice(Number(last), 1)
        else delete parent[last]
        break
      default:
        throw new ExposeError(`json patch: unsupported operation "${op?.op}"`)
    }
  }
  return doc
}
