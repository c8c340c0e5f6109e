// Pure parts of the Deployment and ReplicaSet controllers: template hashing and matching, rolling
// update arithmetic, the objects they create and the status they report.

import {canonicalJson, podTemplateHash} from './hash.ts'
import {clone, controllerRef, isPodActive, isPodReady, rfc3339} from './meta.ts'

export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash'
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision'
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history'
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas'
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas'
const SKIPPED_ANNOTATIONS = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  'deployment.kubernetes.io/error-selector-overlapping-with',
  'deployment.kubernetes.io/selector-updated-at',
])

export function desiredReplicas(obj: any): number {
  const r = obj?.spec?.replicas
  return typeof r === 'number' && r >= 0 ? r : 1
}

/** intstr.GetScaledValueFromIntOrPercent: "25%" of total, rounded up or down. */
export function scaledValue(value: unknown, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value
  if (typeof value === 'string') {
    const m = /^(\d+)%$/.exec(value.trim())
    if (m) {
      const v = (Number(m[1]) * total) / 100
      return roundUp ? Math.ceil(v) : Math.floor(v)
    }
    if (/^\d+$/.test(value.trim())) return Number(value)
  }
  return 0
}

/** deploymentutil.ResolveFenceposts: maxSurge (rounded up) and maxUnavailable (rounded down), never both 0. */
export function resolveFenceposts(deployment: any): {maxSurge: number; maxUnavailable: number} {
  const replicas = desiredReplicas(deployment)
  if (deployment?.spec?.strategy?.type === 'Recreate') return {maxSurge: 0, maxUnavailable: replicas}
  const ru = deployment?.spec?.strategy?.rollingUpdate ?? {}
  const maxSurge = scaledValue(ru.maxSurge ?? '25%', replicas, true)
  let maxUnavailable = scaledValue(ru.maxUnavailable ?? '25%', replicas, false)
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1
  return {maxSurge, maxUnavailable: Math.min(maxUnavailable, replicas)}
}

function templateWithoutHash(template: any): string {
  const t = clone(template ?? {})
  if (t?.metadata?.labels) {
    delete t.metadata.labels[POD_TEMPLATE_HASH_LABEL]
    if (Object.keys(t.metadata.labels).length === 0) delete t.metadata.labels
  }
  return canonicalJson(t)
}

/** deploymentutil.EqualIgnoreHash. */
export function equalIgnoreHash(a: any, b: any): boolean {
  return templateWithoutHash(a) === templateWithoutHash(b)
}

export function revisionOf(obj: any): number {
  const v = Number(obj?.metadata?.annotations?.[REVISION_ANNOTATION] ?? 0)
  return Number.isFinite(v) ? v : 0
}

/** The ReplicaSet a Deployment creates for its current template. */
export function newReplicaSetFor(deployment: any, replicas: number, revision: number, collisionCount?: number): any {
  const hash = podTemplateHash(deployment.spec.template, collisionCount)
  const template = clone(deployment.spec.template ?? {})
  template.metadata = {...(template.metadata ?? {})}
  template.metadata.labels = {...(template.metadata.labels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash}
  const selector = clone(deployment.spec.selector ?? {})
  selector.matchLabels = {...(selector.matchLabels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash}
  const annotations: Record<string, string> = {}
  for (const [k, v] of Object.entries<string>(deployment.metadata.annotations ?? {})) if (!SKIPPED_ANNOTATIONS.has(k)) annotations[k] = v
  const {maxSurge} = resolveFenceposts(deployment)
  annotations[DESIRED_REPLICAS_ANNOTATION] = String(desiredReplicas(deployment))
  annotations[MAX_REPLICAS_ANNOTATION] = String(desiredReplicas(deployment) + maxSurge)
  annotations[REVISION_ANNOTATION] = String(revision)
  const spec: any = {replicas, selector, template}
  if (deployment.spec.minReadySeconds) spec.minReadySeconds = deployment.spec.minReadySeconds
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${deployment.metadata.name}-${hash}`,
      namespace: deployment.metadata.namespace,
      labels: {...(template.metadata.labels ?? {})},
      annotations,
      ownerReferences: [controllerRef(deployment, {apiVersion: 'apps/v1', kind: 'Deployment'})],
    },
    spec,
  }
}

/** The pod a ReplicaSet creates from its template (name chosen by the caller). */
export function podFromTemplate(rs: any, name: string): any {
  const template = rs.spec?.template ?? {}
  const metadata: any = {
    name,
    generateName: `${rs.metadata.name}-`,
    namespace: rs.metadata.namespace,
    labels: {...(template.metadata?.labels ?? {})},
  }
  if (template.metadata?.annotations && Object.keys(template.metadata.annotations).length) metadata.annotations = {...template.metadata.annotations}
  metadata.ownerReferences = [controllerRef(rs, {apiVersion: 'apps/v1', kind: 'ReplicaSet'})]
  return {apiVersion: 'v1', kind: 'Pod', metadata, spec: clone(template.spec ?? {})}
}

/** Whether a ready pod has been ready for minReadySeconds (podutil.IsPodAvailable). */
export function isPodAvailable(pod: any, minReadySeconds: number, now: Date): boolean {
  if (!isPodReady(pod)) return false
  if (!minReadySeconds) return true
  const ready = (pod.status?.conditions ?? []).find((c: any) => c?.type === 'Ready')
  const since = Date.parse(ready?.lastTransitionTime ?? '')
  return !Number.isNaN(since) && since + minReadySeconds * 1000 <= now.getTime()
}

/** ReplicaSet status from its pods (zero counts omitted, as the API's omitempty does). */
export function replicaSetStatus(rs: any, ownedPods: any[], now: Date): any {
  const active = ownedPods.filter(isPodActive)
  const selectorLabels = rs.spec?.selector?.matchLabels ?? {}
  const templateLabels = rs.spec?.template?.metadata?.labels ?? {}
  const fully = active.filter((p) => Object.entries<string>(templateLabels).every(([k, v]) => p.metadata?.labels?.[k] === v) && Object.entries<string>(selectorLabels).every(([k, v]) => p.metadata?.labels?.[k] === v)).length
  const ready = active.filter(isPodReady).length
  const available = active.filter((p) => isPodAvailable(p, rs.spec?.minReadySeconds ?? 0, now)).length
  const status: any = {replicas: active.length}
  if (fully) status.fullyLabeledReplicas = fully
  if (ready) status.readyReplicas = ready
  if (available) status.availableReplicas = available
  if (rs.metadata?.generation != null) status.observedGeneration = rs.metadata.generation
  if (rs.status?.conditions?.length) status.conditions = rs.status.conditions
  return status
}

/**
 * Which pods a ReplicaSet deletes first when scaling down (controller.ActivePods order, simplified):
 * unassigned before assigned, Pending before Running, not ready before ready, newer before older.
 */
export function podsToDelete(pods: any[], count: number): any[] {
  const rank = (p: any) => [p.spec?.nodeName ? 1 : 0, p.status?.phase === 'Running' ? 1 : 0, isPodReady(p) ? 1 : 0]
  return [...pods]
    .sort((a, b) => {
      const ra = rank(a)
      const rb = rank(b)
      for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i] - rb[i]
      const ta = Date.parse(a.metadata?.creationTimestamp ?? '') || 0
      const tb = Date.parse(b.metadata?.creationTimestamp ?? '') || 0
      if (ta !== tb) return tb - ta
      return String(b.metadata.name).localeCompare(String(a.metadata.name))
    })
    .slice(0, Math.max(0, count))
}

export interface ScaleStep {
  rs: any
  to: number
}

/**
 * One reconcile of the rollout: the replica counts to write. Rolling update per
 * rolling.go (NewRSNewReplicas, then scale old ReplicaSets down while availability allows);
 * Recreate scales the old ones to 0 first and the new one up once no old pod is left.
 */
export function rolloutSteps(deployment: any, newRS: any, oldRSs: any[], oldPodsLeft: number): ScaleStep[] {
  const replicas = desiredReplicas(deployment)
  const spec = (rs: any) => desiredReplicas(rs)
  const activeOld = oldRSs.filter((rs) => spec(rs) > 0)
  if (deployment.spec?.strategy?.type === 'Recreate') {
    if (activeOld.length) return activeOld.map((rs) => ({rs, to: 0}))
    if (oldPodsLeft > 0) return []
  }
  if (activeOld.length === 0) return spec(newRS) === replicas ? [] : [{rs: newRS, to: replicas}]
  const {maxSurge, maxUnavailable} = resolveFenceposts(deployment)
  const steps: ScaleStep[] = []
  // scale up the new ReplicaSet within maxSurge
  const current = spec(newRS) + oldRSs.reduce((n, rs) => n + spec(rs), 0)
  let newCount = spec(newRS)
  if (newCount > replicas) newCount = replicas
  else if (current < replicas + maxSurge) newCount = Math.min(replicas, newCount + (replicas + maxSurge - current))
  if (newCount !== spec(newRS)) steps.push({rs: newRS, to: newCount})
  // scale old ReplicaSets down while at least replicas - maxUnavailable stay available
  const minAvailable = replicas - maxUnavailable
  const newUnavailable = newCount - (newRS.status?.availableReplicas ?? 0)
  const allCount = newCount + oldRSs.reduce((n, rs) => n + spec(rs), 0)
  let budget = allCount - minAvailable - Math.max(0, newUnavailable)
  // old replicas that are not available go first, they cost no availability
  for (const rs of [...activeOld].sort(byCreation)) {
    if (budget <= 0) break
    const unavailable = spec(rs) - (rs.status?.availableReplicas ?? 0)
    if (unavailable <= 0) continue
    const cut = Math.min(unavailable, budget)
    budget -= cut
    steps.push({rs, to: spec(rs) - cut})
  }
  const availableTotal = (newRS.status?.availableReplicas ?? 0) + oldRSs.reduce((n, rs) => n + (rs.status?.availableReplicas ?? 0), 0)
  let scaleDown = Math.min(budget, availableTotal - minAvailable)
  for (const rs of [...activeOld].sort(byCreation)) {
    if (scaleDown <= 0) break
    const already = steps.find((s) => s.rs === rs)
    const from = already ? already.to : spec(rs)
    const cut = Math.min(from, scaleDown)
    if (cut <= 0) continue
    scaleDown -= cut
    if (already) already.to = from - cut
    else steps.push({rs, to: from - cut})
  }
  return steps
}

function byCreation(a: any, b: any): number {
  const ta = Date.parse(a.metadata?.creationTimestamp ?? '') || 0
  const tb = Date.parse(b.metadata?.creationTimestamp ?? '') || 0
  return ta !== tb ? ta - tb : String(a.metadata.name).localeCompare(String(b.metadata.name))
}

function setCondition(conditions: any[], type: string, status: boolean, reason: string, message: string, now: Date): any[] {
  const at = rfc3339(now)
  const statusText = status ? 'True' : 'False'
  const before = conditions.find((c) => c.type === type)
  if (before && before.status === statusText && before.reason === reason && before.message === message) return conditions
  const next = {
    type,
    status: statusText,
    lastUpdateTime: at,
    lastTransitionTime: before && before.status === statusText ? before.lastTransitionTime : at,
    reason,
    message,
  }
  return before ? conditions.map((c) => (c.type === type ? next : c)) : [...conditions, next]
}

export interface DeploymentStatusInput {
  deployment: any
  newRS: any | undefined
  allRSs: any[]
  /** Set when this reconcile created the new ReplicaSet. */
  createdNewRS?: boolean
  now: Date
}

/** Deployment status (counts and the Available / Progressing conditions with their real reasons). */
export function deploymentStatus(input: DeploymentStatusInput): any {
  const {deployment, newRS, allRSs, now} = input
  const replicas = desiredReplicas(deployment)
  const sum = (f: (rs: any) => number) => allRSs.reduce((n, rs) => n + f(rs), 0)
  const total = sum((rs) => rs.status?.replicas ?? 0)
  const ready = sum((rs) => rs.status?.readyReplicas ?? 0)
  const available = sum((rs) => rs.status?.availableReplicas ?? 0)
  const updated = newRS?.status?.replicas ?? 0
  const unavailable = Math.max(0, replicas - available)
  const {maxUnavailable} = resolveFenceposts(deployment)

  let conditions: any[] = [...(deployment.status?.conditions ?? [])]
  // keep Available ahead of Progressing, as a real Deployment lists them
  if (!conditions.some((c) => c.type === 'Available')) conditions = [{type: 'Available', placeholder: true}, ...conditions]
  conditions = available >= replicas - maxUnavailable
    ? setCondition(conditions, 'Available', true, 'MinimumReplicasAvailable', 'Deployment has minimum availability.', now)
    : setCondition(conditions, 'Available', false, 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.', now)
  if (newRS) {
    const name = newRS.metadata.name
    const complete = updated === replicas && total === replicas && available === replicas
    const progressing = conditions.find((c) => c.type === 'Progressing')
    if (complete) {
      conditions = setCondition(conditions, 'Progressing', true, 'NewReplicaSetAvailable', `ReplicaSet "${name}" has successfully progressed.`, now)
    } else if (input.createdNewRS) {
      conditions = setCondition(conditions, 'Progressing', true, 'NewReplicaSetCreated', `Created new replica set "${name}"`, now)
    } else if (!progressing) {
      conditions = setCondition(conditions, 'Progressing', true, 'FoundNewReplicaSet', `Found new replica set "${name}"`, now)
    } else if (progressing.message?.includes(`"${name}"`) === false || progressing.reason === 'NewReplicaSetAvailable' || progressing.reason === 'NewReplicaSetCreated' || progressing.reason === 'FoundNewReplicaSet') {
      conditions = setCondition(conditions, 'Progressing', true, 'ReplicaSetUpdated', `ReplicaSet "${name}" is progressing.`, now)
    }
  }
  conditions = conditions.filter((c) => !c.placeholder)

  const status: any = {}
  if (deployment.metadata?.generation != null) status.observedGeneration = deployment.metadata.generation
  if (total) status.replicas = total
  if (updated) status.updatedReplicas = updated
  if (ready) status.readyReplicas = ready
  if (available) status.availableReplicas = available
  if (unavailable) status.unavailableReplicas = unavailable
  if (conditions.length) status.conditions = conditions
  if (deployment.status?.collisionCount != null) status.collisionCount = deployment.status.collisionCount
  return status
}
