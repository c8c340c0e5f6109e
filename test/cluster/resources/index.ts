/**
 * Per-resource hooks of the generic REST handlers: defaulting, validation and side effects that real
 * registries perform (pod/deployment defaults, name rules, Service allocation through the services adapter).
 */
import type {ResourceDef} from '../registry.ts'
import {HttpError, invalid} from '../status.ts'
import {serviceSemantics, type Allocators, type Prepared} from './services.ts'

export interface HookContext {
  def: ResourceDef
  allocators: Allocators
  dryRun: boolean
  fieldValidation: 'Strict' | 'Warn' | 'Ignore'
  /** warnings to send back (Warning: 299 headers) */
  warnings: string[]
}

export interface ResourceHooks {
  /** defaults + validates + allocates for a create; returns the object to store or throws HttpError */
  prepareCreate?(obj: any, ctx: HookContext): any
  /** same for an update of the main resource */
  prepareUpdate?(obj: any, old: any, ctx: HookContext): any
  /** an update of the status subresource (spec already copied from the stored object) */
  prepareStatusUpdate?(obj: any, old: any, ctx: HookContext): any
  /** checks unknown fields itself (the generic fieldValidation check is skipped) */
  decodesFields?: boolean
  /** undo allocations of a prepared object that will not be stored (AlreadyExists) or that was deleted */
  release?(obj: any, ctx: HookContext): void
  /** PUT on a missing object creates it */
  allowCreateOnUpdate?: boolean
}

interface Cause {
  type: string
  field: string
  detail: string
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

const LABEL_MSG = 'a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \'-\', and must start and end with an alphanumeric character (e.g. \'my-name\',  or \'123-abc\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?\')'
const SUBDOMAIN_MSG = 'a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character (e.g. \'example.com\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\')'

function q(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v)
}

/** ValidateObjectMeta name rules: DNS-1123 subdomain (most kinds) or label (namespaces). */
export function validateName(name: string | undefined, rule: 'subdomain' | 'label'): Cause[] {
  if (!name) return [{type: 'FieldValueRequired', field: 'metadata.name', detail: 'Required value: name or generateName is required'}]
  const causes: Cause[] = []
  if (rule === 'label') {
    if (name.length > 63) causes.push({type: 'FieldValueInvalid', field: 'metadata.name', detail: `Invalid value: ${q(name)}: must be no more than 63 characters`})
    if (!DNS1123_LABEL.test(name)) causes.push({type: 'FieldValueInvalid', field: 'metadata.name', detail: `Invalid value: ${q(name)}: ${LABEL_MSG}`})
  } else {
    if (name.length > 253) causes.push({type: 'FieldValueInvalid', field: 'metadata.name', detail: `Invalid value: ${q(name)}: must be no more than 253 characters`})
    if (!DNS1123_SUBDOMAIN.test(name)) causes.push({type: 'FieldValueInvalid', field: 'metadata.name', detail: `Invalid value: ${q(name)}: ${SUBDOMAIN_MSG}`})
  }
  return causes
}

function fail(ctx: HookContext, name: string, causes: Cause[]): void {
  if (causes.length) throw new HttpError(invalid(ctx.def.kind, name ?? '', causes, ctx.def.group))
}

function containerDefaults(c: any): void {
  const image = String(c.image ?? '')
  const tag = image.includes('@') ? 'digest' : (/:([^/:]+)$/.exec(image)?.[1] ?? 'latest')
  c.imagePullPolicy ??= tag === 'latest' ? 'Always' : 'IfNotPresent'
  c.terminationMessagePath ??= '/dev/termination-log'
  c.terminationMessagePolicy ??= 'File'
  c.resources ??= {}
  for (const p of c.ports ?? []) p.protocol ??= 'TCP'
}

export function podSpecDefaults(spec: any): void {
  spec.restartPolicy ??= 'Always'
  spec.terminationGracePeriodSeconds ??= 30
  spec.dnsPolicy ??= 'ClusterFirst'
  spec.securityContext ??= {}
  spec.schedulerName ??= 'default-scheduler'
  for (const c of spec.containers ?? []) containerDefaults(c)
  for (const c of spec.initContainers ?? []) containerDefaults(c)
}

function validatePodSpec(spec: any, prefix: string): Cause[] {
  const causes: Cause[] = []
  if (!Array.isArray(spec?.containers) || spec.containers.length === 0) {
    causes.push({type: 'FieldValueRequired', field: `${prefix}.containers`, detail: 'Required value'})
    return causes
  }
  const names = new Set<string>()
  spec.containers.forEach((c: any, i: number) => {
    const f = `${prefix}.containers[${i}]`
    if (!c?.name) causes.push({type: 'FieldValueRequired', field: `${f}.name`, detail: 'Required value'})
    else if (!DNS1123_LABEL.test(c.name)) causes.push({type: 'FieldValueInvalid', field: `${f}.name`, detail: `Invalid value: ${q(c.name)}: ${LABEL_MSG}`})
    else if (names.has(c.name)) causes.push({type: 'FieldValueDuplicate', field: `${f}.name`, detail: `Duplicate value: ${q(c.name)}`})
    if (c?.name) names.add(c.name)
    if (!c?.image) causes.push({type: 'FieldValueRequired', field: `${f}.image`, detail: 'Required value'})
    ;(c?.ports ?? []).forEach((p: any, j: number) => {
      const n = p?.containerPort
      if (!Number.isInteger(n) || n < 1 || n > 65535) {
        causes.push({type: 'FieldValueInvalid', field: `${f}.ports[${j}].containerPort`, detail: `Invalid value: ${q(n ?? 0)}: must be between 1 and 65535, inclusive`})
      }
    })
  })
  return causes
}

function selectorMatches(selector: any, labels: any): boolean {
  const ml = selector?.matchLabels ?? {}
  return Object.entries(ml).every(([k, v]) => labels?.[k] === v)
}

function workloadHooks(kind: 'Deployment' | 'ReplicaSet'): ResourceHooks {
  const prepare = (obj: any, ctx: HookContext): any => {
    const spec = (obj.spec ??= {})
    spec.replicas ??= 1
    spec.revisionHistoryLimit ??= 10
    if (kind === 'Deployment') {
      spec.progressDeadlineSeconds ??= 600
      spec.strategy ??= {type: 'RollingUpdate'}
      if (spec.strategy.type === 'RollingUpdate') spec.strategy.rollingUpdate ??= {maxUnavailable: '25%', maxSurge: '25%'}
    } else {
      delete spec.revisionHistoryLimit
    }
    spec.template ??= {}
    spec.template.metadata ??= {}
    spec.template.spec ??= {}
    podSpecDefaults(spec.template.spec)
    const causes = validateName(obj.metadata?.name, 'subdomain')
    if (!spec.selector) causes.push({type: 'FieldValueRequired', field: 'spec.selector', detail: 'Required value'})
    else if (!selectorMatches(spec.selector, spec.template.metadata.labels)) {
      causes.push({type: 'FieldValueInvalid', field: 'spec.template.metadata.labels',
        detail: `Invalid value: ${JSON.stringify(spec.template.metadata.labels ?? {})}: \`selector\` does not match template \`labels\``})
    }
    if (!Number.isInteger(spec.replicas) || spec.replicas < 0) {
      causes.push({type: 'FieldValueInvalid', field: 'spec.replicas', detail: `Invalid value: ${q(spec.replicas)}: must be greater than or equal to 0`})
    }
    causes.push(...validatePodSpec(spec.template.spec, 'spec.template.spec'))
    fail(ctx, obj.metadata?.name, causes)
    return obj
  }
  return {prepareCreate: prepare, prepareUpdate: (obj, _old, ctx) => prepare(obj, ctx)}
}

function serviceResult(ctx: HookContext, r: Prepared): any {
  if (!r.ok) throw new HttpError(r.status as any)
  ctx.warnings.push(...(r.warnings ?? []))
  return r.service
}

function serviceOptions(ctx: HookContext): {dryRun: boolean; fieldValidation: 'Strict' | 'Warn' | 'Ignore'} {
  return {dryRun: ctx.dryRun, fieldValidation: ctx.fieldValidation}
}

const HOOKS: Record<string, ResourceHooks> = {
  namespaces: {
    prepareCreate(obj, ctx) {
      fail(ctx, obj.metadata?.name, validateName(obj.metadata?.name, 'label'))
      obj.metadata.labels = {...obj.metadata.labels, 'kubernetes.io/metadata.name': obj.metadata.name}
      obj.spec = {finalizers: ['kubernetes'], ...obj.spec}
      obj.status = {phase: 'Active'}
      return obj
    },
    prepareUpdate(obj) {
      obj.metadata.labels = {...obj.metadata.labels, 'kubernetes.io/metadata.name': obj.metadata.name}
      return obj
    },
  },
  services: {
    decodesFields: true,
    prepareCreate(obj, ctx) {
      return serviceResult(ctx, serviceSemantics.prepareCreate(obj, ctx.allocators, serviceOptions(ctx)))
    },
    prepareUpdate(obj, old, ctx) {
      return serviceResult(ctx, serviceSemantics.prepareUpdate(obj, old, ctx.allocators, serviceOptions(ctx)))
    },
    prepareStatusUpdate(obj, old, ctx) {
      return serviceResult(ctx, serviceSemantics.prepareStatusUpdate(obj, old, ctx.allocators, serviceOptions(ctx)))
    },
    release(obj, ctx) {
      serviceSemantics.release(obj, ctx.allocators)
    },
  },
  pods: {
    prepareCreate(obj, ctx) {
      obj.spec ??= {}
      podSpecDefaults(obj.spec)
      const causes = validateName(obj.metadata?.name, 'subdomain')
      causes.push(...validatePodSpec(obj.spec, 'spec'))
      fail(ctx, obj.metadata?.name, causes)
      obj.status = {phase: 'Pending', qosClass: 'BestEffort'}
      return obj
    },
    prepareUpdate(obj, old, ctx) {
      const causes = validatePodSpec(obj.spec, 'spec')
      const strip = (s: any): string => JSON.stringify({...s, containers: (s?.containers ?? []).map((c: any) => ({...c, image: undefined})), activeDeadlineSeconds: undefined, tolerations: undefined})
      if (strip(obj.spec) !== strip(old.spec)) {
        causes.push({type: 'FieldValueForbidden', field: 'spec', detail: 'Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)'})
      }
      fail(ctx, obj.metadata?.name, causes)
      return obj
    },
  },
  'apps/deployments': workloadHooks('Deployment'),
  'apps/replicasets': workloadHooks('ReplicaSet'),
  endpoints: {allowCreateOnUpdate: true},
  events: {allowCreateOnUpdate: true},
}

const GENERIC: ResourceHooks = {
  prepareCreate(obj, ctx) {
    fail(ctx, obj.metadata?.name, validateName(obj.metadata?.name, 'subdomain'))
    return obj
  },
}

export function hooksFor(resource: string): ResourceHooks {
  const h = HOOKS[resource]
  return {prepareCreate: GENERIC.prepareCreate, ...h}
}
