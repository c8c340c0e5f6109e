// Small accessors that read a decoded v1 Service (plain JSON) with Go zero-value semantics, plus the
// predicates of k8s.io/kubernetes pkg/api/service/util.go and pkg/apis/core/validation (isHeadlessService).

export function str(v: unknown): string {
  return typeof v === 'string' ? v : ''
}

export function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0
}

export function strList(v: unknown): string[] {
  return Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? x : String(x))) : []
}

export function ports(svc: any): any[] {
  const p = svc?.spec?.ports
  return Array.isArray(p) ? p : []
}

export function specOf(svc: any): any {
  if (!svc.spec || typeof svc.spec !== 'object' || Array.isArray(svc.spec)) svc.spec = {}
  return svc.spec
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** isHeadlessService: exactly one clusterIPs entry, "None". */
export function isHeadless(svc: any): boolean {
  const ips = strList(svc?.spec?.clusterIPs)
  return ips.length === 1 && ips[0] === 'None'
}

export function svcType(svc: any): string {
  return str(svc?.spec?.type)
}

/** ExternallyAccessible: LoadBalancer, NodePort, or ClusterIP with externalIPs. */
export function externallyAccessible(svc: any): boolean {
  const t = svcType(svc)
  return t === 'LoadBalancer' || t === 'NodePort' || (t === 'ClusterIP' && strList(svc?.spec?.externalIPs).length > 0)
}

/** NeedsHealthCheck: LoadBalancer with externalTrafficPolicy Local. */
export function needsHealthCheck(svc: any): boolean {
  return svcType(svc) === 'LoadBalancer' && str(svc?.spec?.externalTrafficPolicy) === 'Local'
}

export function needsClusterIP(svc: any): boolean {
  return svcType(svc) !== 'ExternalName'
}

export function needsNodePort(svc: any): boolean {
  const t = svcType(svc)
  return t === 'NodePort' || t === 'LoadBalancer'
}

/** A pointer field (ipFamilyPolicy, internalTrafficPolicy, ...) is "nil" when absent or null. */
export function isNil(v: unknown): boolean {
  return v === undefined || v === null
}

export function sameList(a: unknown, b: unknown): boolean {
  const x = strList(a)
  const y = strList(b)
  return x.length === y.length && x.every((v, i) => v === y[i])
}
