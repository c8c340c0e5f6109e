// Plain-language findings about a Service. Each rule is a pure function of the same context and
// returns zero or more findings; `diagnose` runs them all and adds the all-good line when none
// reports a problem. Rules are exported one by one so each has its own tests.

import {formatLabels} from '../printers/labels.ts'
import {type Backend, readyEndpointCount} from './backends.ts'
import type {EndpointSlice, Ingress, Pod, Service} from '../kube/types.ts'

export type Severity = 'error' | 'ok' | 'warning'

export interface Finding {
  message: string
  severity: Severity
}

export interface DiagnosisContext {
  /** Pods the selector matches (see backendsFor). */
  backends: Backend[]
  /** Ingresses in the namespace that route to this Service. */
  ingresses: Ingress[]
  /** Every pod in the Service's namespace, for hints when the selector matches none. */
  namespacePods: Pod[]
  service: Service
  slices: EndpointSlice[]
}

export type Rule = (ctx: DiagnosisContext) => Finding[]

const MAX_PER_RULE = 5

function hasSelector(svc: Service): boolean {
  return Object.keys(svc.spec?.selector ?? {}).length > 0
}

function isExternalName(svc: Service): boolean {
  return svc.spec?.type === 'ExternalName'
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`
}

function capped(findings: Finding[], what: string): Finding[] {
  if (findings.length <= MAX_PER_RULE) return findings
  const rest = findings.length - MAX_PER_RULE
  return [...findings.slice(0, MAX_PER_RULE), {message: `... and ${rest} more ${what}`, severity: findings[0].severity}]
}

/** ExternalName answers DNS with a CNAME: kube-proxy never sees the ports. */
export const externalNameWithPorts: Rule = ({service}) =>
  isExternalName(service) && (service.spec?.ports?.length ?? 0) > 0
    ? [{message: `ExternalName with ports: ports are ignored (DNS answers with a CNAME for ${service.spec?.externalName}; clients pick the port)`, severity: 'warning'}]
    : []

/** No selector means no controller fills the endpoints; without manual ones, nothing answers. */
export const noSelectorNoEndpoints: Rule = ({service, slices}) =>
  !isExternalName(service) && !hasSelector(service) && readyEndpointCount(slices) === 0
    ? [{message: 'no selector and no Endpoints: traffic goes nowhere (add a selector, or create an EndpointSlice for it)', severity: 'error'}]
    : []

/** The selector matches nothing: a typo in a label is the usual cause; show what pods do have. */
export const selectorMatchesNoPods: Rule = ({backends, namespacePods, service}) => {
  if (isExternalName(service) || !hasSelector(service) || backends.length > 0) return []
  const selector = service.spec!.selector!
  const seen = new Set<string>()
  for (const pod of namespacePods) {
    for (const key of Object.keys(selector)) {
      const value = pod.metadata?.labels?.[key]
      if (value !== undefined && value !== selector[key]) seen.add(`${key}=${value}`)
    }
  }
  const hint = seen.size > 0 ? ` (pods here have ${[...seen].sort().slice(0, 3).join(', ')})` : ''
  return [{message: `selector ${formatLabels(selector)} matches no pods${hint}`, severity: 'error'}]
}

function reasonSummary(backends: Backend[]): string {
  const reasons = [...new Set(backends.map(b => b.readiness.reason ?? 'not ready'))]
  if (reasons.length === 1) return reasons[0]
  return backends.slice(0, 3).map(b => `${b.name}: ${b.readiness.reason ?? 'not ready'}`).join('; ') + (backends.length > 3 ? '; ...' : '')
}

/** Pods match but none is ready: the Service has no endpoints to send to. */
export const noneReady: Rule = ({backends, service}) => {
  if (backends.length === 0 || backends.some(b => b.readiness.ready)) return []
  const head = backends.length === 1 ? '1 pod matches, not ready' : `${backends.length} pods match, none ready`
  if (service.spec?.publishNotReadyAddresses) {
    return [{message: `${head}: ${reasonSummary(backends)} (publishNotReadyAddresses is set, so they get traffic anyway)`, severity: 'warning'}]
  }
  return [{message: `${head}: ${reasonSummary(backends)}`, severity: 'error'}]
}

/** Some pods are not ready: traffic goes only to the others. */
export const someNotReady: Rule = ({backends}) => {
  const notReady = backends.filter(b => !b.readiness.ready)
  if (notReady.length === 0 || notReady.length === backends.length) return []
  const ready = backends.length - notReady.length
  const names = notReady.slice(0, 3).map(b => `${b.name} (${b.readiness.reason ?? 'not ready'})`).join(', ') + (notReady.length > 3 ? ', ...' : '')
  return [{message: `${ready} of ${backends.length} pods ready; not ready: ${names}`, severity: 'warning'}]
}

// "of pod web-1", "of pods web-1, web-2", or "of any of the 5 matching pods".
function podsPhrase(names: string[], total: number, preposition: string): string {
  if (names.length === 1) return `${preposition} pod ${names[0]}`
  if (names.length === total) return `${preposition} any of the ${total} matching pods`
  const shown = names.slice(0, 3).join(', ') + (names.length > 3 ? ', ...' : '')
  return `${preposition} pods ${shown} (${names.length} of ${total})`
}

function groupByPort(backends: Backend[], pick: (p: Backend['ports'][number]) => string | undefined): Map<string, string[]> {
  const groups = new Map<string, string[]>()
  for (const b of backends) {
    for (const p of b.ports) {
      const key = pick(p)
      if (key === undefined) continue
      const names = groups.get(key) ?? []
      if (!names.includes(b.name)) names.push(b.name)
      groups.set(key, names)
    }
  }
  return groups
}

/** A numeric targetPort no container declares: it works only if the process listens anyway. */
export const targetPortNotDeclared: Rule = ({backends, service}) => {
  if (service.spec?.clusterIP === 'None' && (service.spec?.ports?.length ?? 0) === 0) return []
  const groups = groupByPort(backends, p => (p.undeclared ? String(p.containerPort) : undefined))
  return capped([...groups].map(([port, pods]) => ({
    message: `targetPort ${port} is not a declared containerPort ${podsPhrase(pods, backends.length, 'of')}`,
    severity: 'warning' as const,
  })), 'undeclared targetPorts')
}

/** A named targetPort the pod does not declare: that pod gets no traffic on this port. */
export const namedTargetPortNotFound: Rule = ({backends}) => {
  const groups = groupByPort(backends, p => p.missingName)
  return capped([...groups].map(([name, pods]) => ({
    message: `named targetPort ${name} not found ${podsPhrase(pods, backends.length, 'on')}`,
    severity: 'error' as const,
  })), 'missing named ports')
}

/** LoadBalancer with no address: nothing in the cluster provisions one. */
export const loadBalancerPending: Rule = ({service}) =>
  service.spec?.type === 'LoadBalancer' && (service.status?.loadBalancer?.ingress?.length ?? 0) === 0
    ? [{message: 'LoadBalancer pending: no load-balancer controller has assigned an address (the node ports work meanwhile)', severity: 'warning'}]
    : []

/** Ready pods but no ready endpoints: the endpoint controller has not caught up (or is missing). */
export const endpointsLagging: Rule = ({backends, service, slices}) => {
  if (!hasSelector(service) || isExternalName(service)) return []
  const ready = backends.filter(b => b.readiness.ready && b.ip !== '<none>' && b.ports.every(p => !p.missingName)).length
  if (ready === 0 || readyEndpointCount(slices) > 0) return []
  return [{message: `${plural(ready, 'ready pod matches', 'ready pods match')} but the EndpointSlices list no ready endpoints: the endpoint controller has not caught up`, severity: 'warning'}]
}

/** An Ingress routes to a port this Service does not have. */
export const ingressUnknownPort: Rule = ({ingresses, service}) => {
  const name = service.metadata?.name
  const ports = service.spec?.ports ?? []
  const findings: Finding[] = []
  for (const ing of ingresses) {
    const backends = [ing.spec?.defaultBackend, ...(ing.spec?.rules ?? []).flatMap(r => (r.http?.paths ?? []).map(p => p.backend))]
    for (const backend of backends) {
      const svc = backend?.service
      if (!svc || svc.name !== name) continue
      const port = svc.port ?? {}
      const ok = port.name !== undefined && port.name !== '' ? ports.some(p => p.name === port.name) : ports.some(p => p.port === port.number)
      if (!ok) {
        const shown = port.name || String(port.number ?? '')
        const message = `ingress ${ing.metadata?.name} routes to port ${shown}, which service ${name} does not have`
        if (!findings.some(f => f.message === message)) findings.push({message, severity: 'error'})
      }
    }
  }
  return findings
}

export const RULES: Rule[] = [
  externalNameWithPorts,
  noSelectorNoEndpoints,
  selectorMatchesNoPods,
  noneReady,
  someNotReady,
  namedTargetPortNotFound,
  targetPortNotDeclared,
  endpointsLagging,
  loadBalancerPending,
  ingressUnknownPort,
]

/** The one line printed when no rule finds a problem. */
export function allGood({backends, service, slices}: DiagnosisContext): Finding {
  if (isExternalName(service)) return {message: `no problems found: DNS answers with a CNAME for ${service.spec?.externalName}`, severity: 'ok'}
  if (!hasSelector(service)) {
    return {message: `no problems found: ${plural(readyEndpointCount(slices), 'endpoint', 'endpoints')} managed outside Kubernetes (no selector)`, severity: 'ok'}
  }
  const ports = service.spec?.ports?.length ?? 0
  return {
    message: `no problems found: ${backends.length} of ${plural(backends.length, 'pod', 'pods')} ready${ports > 0 ? `, every port resolves` : ''}`,
    severity: 'ok',
  }
}

/** Every finding, problems first in rule order; the all-good line alone when there are none. */
export function diagnose(ctx: DiagnosisContext, rules: Rule[] = RULES): Finding[] {
  const findings = rules.flatMap(rule => rule(ctx))
  return findings.length > 0 ? findings : [allGood(ctx)]
}
