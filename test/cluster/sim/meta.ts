// Small helpers shared by the controllers: times in the API's formats, owner references, label
// selectors, readiness, image names.

/** metav1.Time: RFC 3339 with whole seconds. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/** metav1.MicroTime: RFC 3339 with 6 fractional digits. */
export function rfc3339Micro(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z')
}

/** Go's time.RFC3339Nano: fractional part without trailing zeros, none at all when zero. */
export function rfc3339Nano(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, (_m, ms: string) => {
    const trimmed = ms.replace(/0+$/, '')
    return trimmed ? `.${trimmed}Z` : 'Z'
  })
}

export function key(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`
}

export function objKey(obj: any): string {
  return key(obj?.metadata?.namespace, obj?.metadata?.name)
}

export interface OwnerKind {
  apiVersion: string
  kind: string
}

export function controllerRef(owner: any, kind: OwnerKind): any {
  return {
    apiVersion: kind.apiVersion,
    kind: kind.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  }
}

/** The ownerReference with controller: true, if any. */
export function getControllerOf(obj: any): any | undefined {
  return (obj?.metadata?.ownerReferences ?? []).find((ref: any) => ref?.controller === true)
}

export function isControlledBy(obj: any, owner: any): boolean {
  const ref = getControllerOf(obj)
  return ref != null && owner?.metadata?.uid != null && ref.uid === owner.metadata.uid
}

/** labels.SelectorFromSet: every key equal. An empty or missing map selects nothing here. */
export function matchesMap(selector: Record<string, string> | undefined | null, labels: Record<string, string> | undefined): boolean {
  if (selector == null) return false
  const entries = Object.entries(selector)
  if (entries.length === 0) return false
  const have = labels ?? {}
  return entries.every(([k, v]) => have[k] === v)
}

/** metav1.LabelSelector (matchLabels + matchExpressions). An empty selector matches everything. */
export function matchesLabelSelector(selector: any, labels: Record<string, string> | undefined): boolean {
  if (selector == null) return false
  const have = labels ?? {}
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (have[k] !== v) return false
  for (const expr of selector.matchExpressions ?? []) {
    const present = Object.prototype.hasOwnProperty.call(have, expr.key)
    const values: string[] = expr.values ?? []
    switch (expr.operator) {
      case 'In': if (!present || !values.includes(have[expr.key])) return false; break
      case 'NotIn': if (present && values.includes(have[expr.key])) return false; break
      case 'Exists': if (!present) return false; break
      case 'DoesNotExist': if (present) return false; break
      default: return false
    }
  }
  return true
}

/** podutil.IsPodReady: the Ready condition is True. */
export function isPodReady(pod: any): boolean {
  return (pod?.status?.conditions ?? []).some((c: any) => c?.type === 'Ready' && c?.status === 'True')
}

/** A pod that a ReplicaSet counts: not terminal and not being deleted (controller.IsPodActive). */
export function isPodActive(pod: any): boolean {
  const phase = pod?.status?.phase
  return phase !== 'Succeeded' && phase !== 'Failed' && pod?.metadata?.deletionTimestamp == null
}

/**
 * The image reference a container runtime reports for a spec image: docker.io/library/ for bare
 * names, docker.io/ for user/name, ":latest" when there is neither tag nor digest.
 */
export function normalizeImage(image: string): string {
  let ref = image.trim()
  const firstSlash = ref.indexOf('/')
  const first = firstSlash < 0 ? '' : ref.slice(0, firstSlash)
  const hasDomain = firstSlash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost')
  if (!hasDomain) ref = (firstSlash < 0 ? 'docker.io/library/' : 'docker.io/') + ref
  const lastSlash = ref.lastIndexOf('/')
  const tail = ref.slice(lastSlash + 1)
  if (!tail.includes(':') && !tail.includes('@')) ref += ':latest'
  return ref
}

/** The repository part of a normalized reference (no tag, no digest). */
export function imageRepository(normalized: string): string {
  const at = normalized.indexOf('@')
  let ref = at >= 0 ? normalized.slice(0, at) : normalized
  const lastSlash = ref.lastIndexOf('/')
  const colon = ref.lastIndexOf(':')
  if (colon > lastSlash) ref = ref.slice(0, colon)
  return ref
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (a == null || b == null || typeof a !== 'object' || typeof b !== 'object') return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  if (Array.isArray(a)) {
    const bb = b as unknown[]
    return a.length === bb.length && a.every((v, i) => deepEqual(v, bb[i]))
  }
  const ak = Object.keys(a as object).filter((k) => (a as any)[k] !== undefined)
  const bk = Object.keys(b as object).filter((k) => (b as any)[k] !== undefined)
  if (ak.length !== bk.length) return false
  return ak.every((k) => deepEqual((a as any)[k], (b as any)[k]))
}

export function clone<T>(value: T): T {
  return value === undefined ? value : structuredClone(value)
}
