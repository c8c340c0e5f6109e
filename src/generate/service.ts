// The Service `svc create clusterip|nodeport|loadbalancer|externalname|headless` sends: kubectl's
// create service generator (same fields, same order, the app=NAME selector and label), plus svc's
// extensions (--selector, --labels, --session-affinity[-timeout], --udp, --sctp, headless).
//
// validateServiceOptions runs kubectl's client-side checks first, with kubectl's exact words, then
// svc's own checks; each svc check is one line that says what to write instead.

import {CliError} from '../kube/errors.ts'
import {DEFAULT_CLIENT_IP_TIMEOUT, type ObjectMeta, type Service, type ServiceSpec} from '../kube/types.ts'
import {compactJson} from '../printers/object.ts'
import {parseAllPorts, PortSpecError, type ServicePort} from './ports.ts'
import {isDNS1035Label, isDNS1123Subdomain, isIP, isQualifiedName, isValidLabelValue, suggestDNS1035} from './validation.ts'

export type ServiceType = 'ClusterIP' | 'ExternalName' | 'LoadBalancer' | 'NodePort'

export interface ServiceOptions {
  clusterIP?: string
  externalName?: string
  /** --labels k=v,...: replaces the app=NAME label. */
  labels?: string
  name: string
  /** Set only when -n was given (kubectl's EnforceNamespace). */
  namespace?: string
  nodePort?: number
  sctp?: readonly string[]
  /** --selector k=v,...: replaces the app=NAME selector. */
  selector?: string
  sessionAffinity?: string
  sessionAffinityTimeout?: number
  /** Skip the checks that depend on cluster settings (the node port range): --validate=ignore. */
  skipRangeChecks?: boolean
  tcp?: readonly string[]
  type: ServiceType
  udp?: readonly string[]
}

/** A client-side check failed; rendered as `error: <message>`. */
export class ServiceOptionsError extends CliError {}

export const MAX_CLIENT_IP_TIMEOUT = 86_400
export const NODE_PORT_RANGE = {max: 32_767, min: 30_000}

/** kubectl's ServiceOptions.Validate, then svc's checks. Throws ServiceOptionsError. */
export function validateServiceOptions(o: ServiceOptions): ServicePort[] {
  const ports = kubectlChecks(o)
  // svc's own checks.
  const nameErrs = isDNS1035Label(o.name)
  if (nameErrs.length > 0) {
    throw new ServiceOptionsError(`invalid service name "${o.name}": ${nameErrs.join('; ')}; for example "${suggestDNS1035(o.name)}"`)
  }
  checkPorts(o, ports)
  if (o.clusterIP && o.clusterIP !== 'None' && !isIP(o.clusterIP)) {
    throw new ServiceOptionsError(`invalid --clusterip "${o.clusterIP}": must be an IP address from the cluster's service range, or None for a headless service`)
  }
  checkSessionAffinity(o)
  if (o.selector !== undefined) parseLabelFlag('--selector', o.selector)
  if (o.labels !== undefined) parseLabelFlag('--labels', o.labels)
  return ports
}

/** kubectl's checks, in its order and words, and its port parsing. */
function kubectlChecks(o: ServiceOptions): ServicePort[] {
  const anyPorts = (o.tcp?.length ?? 0) + (o.udp?.length ?? 0) + (o.sctp?.length ?? 0) > 0
  if (o.clusterIP === 'None' && o.type !== 'ClusterIP') throw new ServiceOptionsError('ClusterIP=None can only be used with ClusterIP service type')
  if (o.clusterIP !== 'None' && !anyPorts && o.type !== 'ExternalName') {
    throw new ServiceOptionsError('at least one tcp port specifier must be provided')
  }
  if (o.type === 'ExternalName' && isDNS1123Subdomain(o.externalName ?? '').length > 0) {
    throw new ServiceOptionsError(`invalid service external name ${o.externalName ?? ''}`)
  }
  try {
    return parseAllPorts({sctp: o.sctp, tcp: o.tcp, udp: o.udp}, o.nodePort ?? 0)
  } catch (error) {
    if (error instanceof PortSpecError) throw new ServiceOptionsError(error.message)
    throw error
  }
}

/** No port 0; a --node-port in range, for one port number. */
function checkPorts(o: ServiceOptions, ports: readonly ServicePort[]): void {
  // ports[i] comes from specs[i] (parseAllPorts keeps the order): quote what the user typed
  const specs = [...(o.tcp ?? []), ...(o.udp ?? []), ...(o.sctp ?? [])]
  for (const [i, p] of ports.entries()) {
    if (p.port === 0) {
      throw new ServiceOptionsError(`invalid port 0 in "${specs[i]}": a service port must be between 1 and 65535, inclusive; write PORT[:TARGET] with PORT from 1 to 65535`)
    }
  }
  if (o.nodePort === undefined || o.nodePort === 0) return
  if (o.nodePort < 0 || o.nodePort > 65535) {
    throw new ServiceOptionsError(`invalid --node-port=${o.nodePort}: must be between ${NODE_PORT_RANGE.min} and ${NODE_PORT_RANGE.max}, or 0 to let the cluster pick one`)
  }
  if (!o.skipRangeChecks && (o.nodePort < NODE_PORT_RANGE.min || o.nodePort > NODE_PORT_RANGE.max)) {
    throw new ServiceOptionsError(`invalid --node-port=${o.nodePort}: must be between ${NODE_PORT_RANGE.min} and ${NODE_PORT_RANGE.max} (the default range), or 0 to let the cluster pick one; pass --validate=ignore if your cluster uses another range`)
  }
  // The same node port may serve one port number over several protocols (53/TCP and 53/UDP), never two numbers.
  const numbers = new Set(ports.map(p => p.port))
  if (numbers.size > 1) {
    throw new ServiceOptionsError(`--node-port=${o.nodePort} would be given to ${numbers.size} different ports, but each port number needs its own node port; give this service one port (over TCP and UDP if you like), or leave --node-port out so the cluster picks them`)
  }
}

/** --session-affinity is None or ClientIP; its timeout goes with ClientIP, in seconds from 1 to a day. */
function checkSessionAffinity(o: ServiceOptions): void {
  if (o.sessionAffinity !== undefined && o.sessionAffinity !== 'None' && o.sessionAffinity !== 'ClientIP') {
    throw new ServiceOptionsError(`invalid --session-affinity "${o.sessionAffinity}": write --session-affinity=None or --session-affinity=ClientIP`)
  }
  if (o.sessionAffinityTimeout === undefined) return
  if (o.sessionAffinity !== 'ClientIP') {
    throw new ServiceOptionsError('--session-affinity-timeout applies to ClientIP affinity only: add --session-affinity=ClientIP')
  }
  if (!Number.isInteger(o.sessionAffinityTimeout) || o.sessionAffinityTimeout < 1 || o.sessionAffinityTimeout > MAX_CLIENT_IP_TIMEOUT) {
    throw new ServiceOptionsError(`invalid --session-affinity-timeout=${o.sessionAffinityTimeout}: must be a whole number of seconds from 1 to ${MAX_CLIENT_IP_TIMEOUT} (default ${DEFAULT_CLIENT_IP_TIMEOUT})`)
  }
}

/**
 * `k=v,k2=v2` for --selector and --labels: equality only, keys are qualified names, values are
 * label values. Throws ServiceOptionsError naming the flag.
 */
export function parseLabelFlag(flag: string, text: string): Record<string, string> {
  if (text.trim() === '') throw new ServiceOptionsError(`${flag} is empty: write ${flag}=key=value[,key=value...]`)
  const out: Record<string, string> = {}
  for (const item of text.split(',')) {
    const kv = item.split('=')
    if (kv.length !== 2) {
      throw new ServiceOptionsError(`invalid ${flag} item "${item}": write key=value (equality only), e.g. ${flag}=app=web,tier=frontend`)
    }
    const [key, value] = kv
    const keyErrs = isQualifiedName(key)
    if (keyErrs.length > 0) throw new ServiceOptionsError(`invalid ${flag} key "${key}": ${keyErrs.join('; ')}`)
    const valueErrs = isValidLabelValue(value)
    if (valueErrs.length > 0) throw new ServiceOptionsError(`invalid ${flag} value "${value}" for key "${key}": ${valueErrs.join('; ')}`)
    out[key] = value
  }
  return out
}

/**
 * The Service object, in kubectl's field order. `ports` must come from validateServiceOptions.
 * kubectl 1.35 omits the zero `creationTimestamp` (it printed `creationTimestamp: null` up to 1.33).
 */
export function buildService(o: ServiceOptions, ports: ServicePort[]): Service {
  const labels = o.labels !== undefined ? parseLabelFlag('--labels', o.labels) : {app: o.name}
  const selector = o.selector !== undefined ? parseLabelFlag('--selector', o.selector) : {app: o.name}
  const metadata: ObjectMeta = {name: o.name}
  if (o.namespace) metadata.namespace = o.namespace
  metadata.labels = labels
  const spec: ServiceSpec = {}
  if (ports.length > 0) spec.ports = ports.map(p => ({...p}))
  spec.selector = selector
  if (o.clusterIP) spec.clusterIP = o.clusterIP
  spec.type = o.type
  if (o.sessionAffinity) spec.sessionAffinity = o.sessionAffinity
  if (o.type === 'ExternalName' && o.externalName) spec.externalName = o.externalName
  if (o.sessionAffinity === 'ClientIP') {
    spec.sessionAffinityConfig = {clientIP: {timeoutSeconds: o.sessionAffinityTimeout ?? DEFAULT_CLIENT_IP_TIMEOUT}}
  }
  return {kind: 'Service', apiVersion: 'v1', metadata, spec, status: {loadBalancer: {}}}
}

/** The annotation --save-config writes: the object's compact JSON and a newline. */
export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration'

/**
 * --save-config: the object with its own compact JSON (without the annotation) stored in the
 * annotation. `typed` keeps Go's struct order, as kubectl does for the objects its generators
 * build (create TYPE, expose); objects read from files are unstructured there, so their keys are sorted.
 * kubectl's GetModifiedConfiguration (k8s.io/kubectl pkg/util/apply.go) sets the annotations, minus
 * this one, back on the object before encoding it: a typed object's empty map is dropped by
 * `omitempty`, an unstructured one keeps `"annotations":{}`.
 */
export function withAnnotation<T extends {metadata?: {annotations?: Record<string, string>}}>(obj: T, options: {typed?: boolean} = {}): T {
  const copy = structuredClone(obj)
  copy.metadata ??= {}
  const annotations = {...copy.metadata.annotations}
  delete annotations[LAST_APPLIED]
  if (options.typed && Object.keys(annotations).length === 0) delete copy.metadata.annotations
  else copy.metadata.annotations = annotations
  const out = structuredClone(obj)
  out.metadata = {...out.metadata, annotations: {...annotations, [LAST_APPLIED]: compactJson(copy, {typed: options.typed})}}
  return out
}
