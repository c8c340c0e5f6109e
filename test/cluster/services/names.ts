// Name and metadata validation with apimachinery's exact wording.
// Sources: k8s.io/apimachinery pkg/util/validation/validation.go (RegexError, IsDNS1035Label, IsValidPortName,
// IsValidPortNum), pkg/api/validate/content/{dns.go,kube.go} (IsDNS1123Label/Subdomain, IsLabelKey,
// IsLabelValue), pkg/api/validation/{generic.go,objectmeta.go} (NameIs*, ValidateObjectMeta*),
// pkg/apis/meta/v1/validation (ValidateLabels); k8s.io/kubernetes pkg/apis/core/validation/validation.go
// (ValidateObjectMeta adds the finalizer-name check).

import {asJSON, child, forbidden, index, invalid, required, tooLong, type FieldError} from './errors.ts'

/** RegexError: msg + " (e.g. 'ex1',  or 'ex2', regex used for validation is '<re>')" (note the double space). */
export function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`
  let out = msg + ' (e.g. '
  examples.forEach((ex, i) => {
    if (i > 0) out += ' or '
    out += `'${ex}', `
  })
  return out + `regex used for validation is '${fmt}')`
}

export function maxLenError(length: number): string {
  return `must be no more than ${length} characters`
}

export function inclusiveRangeError(lo: number, hi: number): string {
  return `must be between ${lo} and ${hi}, inclusive`
}

export function emptyError(): string {
  return 'must be non-empty'
}

/** Go's len(): a UTF-8 byte count. */
function byteLen(s: string): number {
  return Buffer.byteLength(s, 'utf8')
}

const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?'
const DNS1123_LABEL_ERR = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"
const DNS1123_LABEL_RE = new RegExp(`^${DNS1123_LABEL_FMT}$`)
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`
const DNS1123_SUBDOMAIN_ERR = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
const DNS1123_SUBDOMAIN_RE = new RegExp(`^${DNS1123_SUBDOMAIN_FMT}$`)
const DNS1035_LABEL_FMT = '[a-z]([-a-z0-9]*[a-z0-9])?'
const DNS1035_LABEL_ERR = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character"
const DNS1035_LABEL_RE = new RegExp(`^${DNS1035_LABEL_FMT}$`)

export const DNS1123_LABEL_MAX_LENGTH = 63
export const DNS1123_SUBDOMAIN_MAX_LENGTH = 253
export const DNS1035_LABEL_MAX_LENGTH = 63

/** IsDNS1123Label: lowercase RFC 1123 label (digits may lead), at most 63 characters. */
export function isDNS1123Label(value: string): string[] {
  const errs: string[] = []
  if (byteLen(value) > DNS1123_LABEL_MAX_LENGTH) errs.push(maxLenError(DNS1123_LABEL_MAX_LENGTH))
  if (!DNS1123_LABEL_RE.test(value)) {
    if (DNS1123_SUBDOMAIN_RE.test(value)) errs.push('must not contain dots')
    else errs.push(regexError(DNS1123_LABEL_ERR, DNS1123_LABEL_FMT, 'my-name', '123-abc'))
  }
  return errs
}

/** IsDNS1123Subdomain: lowercase RFC 1123 subdomain, at most 253 characters. */
export function isDNS1123Subdomain(value: string): string[] {
  const errs: string[] = []
  if (byteLen(value) > DNS1123_SUBDOMAIN_MAX_LENGTH) errs.push(maxLenError(DNS1123_SUBDOMAIN_MAX_LENGTH))
  if (!DNS1123_SUBDOMAIN_RE.test(value)) errs.push(regexError(DNS1123_SUBDOMAIN_ERR, DNS1123_SUBDOMAIN_FMT, 'example.com'))
  return errs
}

/** IsDNS1035Label: starts with a letter, at most 63 characters. */
export function isDNS1035Label(value: string): string[] {
  const errs: string[] = []
  if (byteLen(value) > DNS1035_LABEL_MAX_LENGTH) errs.push(maxLenError(DNS1035_LABEL_MAX_LENGTH))
  if (!DNS1035_LABEL_RE.test(value)) errs.push(regexError(DNS1035_LABEL_ERR, DNS1035_LABEL_FMT, 'my-name', 'abc-123'))
  return errs
}

/** IsValidPortNum: 1..65535. */
export function isValidPortNum(port: number): string[] {
  return port >= 1 && port <= 65535 ? [] : [inclusiveRangeError(1, 65535)]
}

/** IsValidPortName: an IANA_SVC_NAME (RFC 6335), lower case only. Several messages can apply at once. */
export function isValidPortName(port: string): string[] {
  const errs: string[] = []
  if (byteLen(port) > 15) errs.push(maxLenError(15))
  if (!/^[-a-z0-9]+$/.test(port)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)')
  if (!/[a-z]/.test(port)) errs.push('must contain at least one letter (a-z)')
  if (port.includes('--')) errs.push('must not contain consecutive hyphens')
  if (port.length > 0 && (port.startsWith('-') || port.endsWith('-'))) errs.push('must not begin or end with a hyphen')
  return errs
}

const LABEL_KEY_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]'
const LABEL_KEY_ERR = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
const LABEL_KEY_RE = new RegExp(`^${LABEL_KEY_FMT}$`)
const LABEL_VALUE_FMT = `(${LABEL_KEY_FMT})?`
const LABEL_VALUE_ERR = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
const LABEL_VALUE_RE = new RegExp(`^${LABEL_VALUE_FMT}$`)

/** IsQualifiedName / IsLabelKey: [prefix/]name, the prefix a DNS-1123 subdomain, the name at most 63 characters. */
export function isQualifiedName(value: string): string[] {
  const errs: string[] = []
  const parts = value.split('/')
  let name: string
  if (parts.length === 1) {
    name = parts[0]
  } else if (parts.length === 2) {
    const prefix = parts[0]
    name = parts[1]
    if (prefix.length === 0) errs.push('prefix part ' + emptyError())
    else {
      const msgs = isDNS1123Subdomain(prefix)
      for (const m of msgs) errs.push('prefix part ' + m)
    }
  } else {
    return [
      'a valid label key ' + regexError(LABEL_KEY_ERR, LABEL_KEY_FMT, 'MyName', 'my.name', '123-abc') +
        " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ]
  }
  if (name.length === 0) errs.push('name part ' + emptyError())
  else if (byteLen(name) > 63) errs.push('name part ' + maxLenError(63))
  if (!LABEL_KEY_RE.test(name)) errs.push('name part ' + regexError(LABEL_KEY_ERR, LABEL_KEY_FMT, 'MyName', 'my.name', '123-abc'))
  return errs
}

/** IsValidLabelValue: empty, or at most 63 characters of [-A-Za-z0-9_.] starting and ending alphanumeric. */
export function isValidLabelValue(value: string): string[] {
  const errs: string[] = []
  if (byteLen(value) > 63) errs.push(maxLenError(63))
  if (!LABEL_VALUE_RE.test(value)) errs.push(regexError(LABEL_VALUE_ERR, LABEL_VALUE_FMT, 'MyValue', 'my_value', '12345'))
  return errs
}

/** IsValidPathSegmentName: what every object name must also satisfy (apimachinery api/validation/path). */
export function isValidPathSegmentName(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`]
  const errs: string[] = []
  for (const illegal of ['/', '%']) if (name.includes(illegal)) errs.push(`may not contain '${illegal}'`)
  return errs
}

// ---------------------------------------------------------------------------------------------------------
// Field-level wrappers.

export function validateDNS1123Label(value: string, path: string): FieldError[] {
  return isDNS1123Label(value).map((m) => invalid(path, value, m))
}

export function validateDNS1123Subdomain(value: string, path: string): FieldError[] {
  return isDNS1123Subdomain(value).map((m) => invalid(path, value, m))
}

export function validateQualifiedName(value: string, path: string): FieldError[] {
  return isQualifiedName(value).map((m) => invalid(path, value, m))
}

/** ValidateLabels (meta/v1/validation): every key a qualified name, every value a label value; the path is not indexed. */
export function validateLabels(labels: Record<string, unknown> | undefined | null, path: string): FieldError[] {
  const errs: FieldError[] = []
  if (!labels || typeof labels !== 'object') return errs
  for (const [k, v] of Object.entries(labels)) {
    errs.push(...validateQualifiedName(k, path))
    const value = typeof v === 'string' ? v : String(v)
    for (const m of isValidLabelValue(value)) errs.push(invalid(path, value, m))
  }
  return errs
}

export const TOTAL_ANNOTATION_SIZE_LIMIT_B = 256 * 1024

/** ValidateAnnotations: keys are qualified names once lower-cased; keys+values at most 256 KiB in total. */
export function validateAnnotations(annotations: Record<string, unknown> | undefined | null, path: string): FieldError[] {
  const errs: FieldError[] = []
  if (!annotations || typeof annotations !== 'object') return errs
  let total = 0
  for (const [k, v] of Object.entries(annotations)) {
    for (const m of isQualifiedName(k.toLowerCase())) errs.push(invalid(path, k, m))
    total += byteLen(k) + byteLen(typeof v === 'string' ? v : String(v))
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT_B) errs.push(tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT_B))
  return errs
}

/** A ValidateNameFunc: returns the messages for a name (prefix=true when it is a generateName). */
export type NameValidator = (name: string, prefix: boolean) => string[]

/** maskTrailingDash: a generateName may end with '-'; apimachinery replaces the last two characters by "a". */
function maskTrailingDash(name: string): string {
  if (name.endsWith('-')) return name.length >= 2 ? name.slice(0, -2) + 'a' : 'a'
  return name
}

export const nameIsDNS1035Label: NameValidator = (name, prefix) => isDNS1035Label(prefix ? maskTrailingDash(name) : name)
export const nameIsDNSLabel: NameValidator = (name, prefix) => isDNS1123Label(prefix ? maskTrailingDash(name) : name)
export const nameIsDNSSubdomain: NameValidator = (name, prefix) => isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name)
export const validateNamespaceName: NameValidator = nameIsDNSLabel
export const validatePathSegmentName: NameValidator = (name, prefix) => (prefix ? isValidPathSegmentPrefix(name) : isValidPathSegmentName(name))

function isValidPathSegmentPrefix(name: string): string[] {
  const errs: string[] = []
  for (const illegal of ['/', '%']) if (name.includes(illegal)) errs.push(`may not contain '${illegal}'`)
  return errs
}

const STANDARD_FINALIZERS = new Set(['kubernetes', 'orphan', 'foregroundDeletion'])

function str(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v)
}

function validateOwnerReferences(refs: unknown, path: string): FieldError[] {
  const errs: FieldError[] = []
  if (!Array.isArray(refs)) return errs
  let firstController = ''
  for (const ref of refs as any[]) {
    const r = ref && typeof ref === 'object' ? ref : {}
    const apiVersion = str(r.apiVersion)
    const version = apiVersion.includes('/') ? apiVersion.slice(apiVersion.indexOf('/') + 1) : apiVersion
    if (version.length === 0) errs.push(invalid(child(path, 'apiVersion'), apiVersion, 'version must not be empty'))
    if (str(r.kind).length === 0) errs.push(invalid(child(path, 'kind'), str(r.kind), 'must not be empty'))
    if (str(r.name).length === 0) errs.push(invalid(child(path, 'name'), str(r.name), 'must not be empty'))
    if (str(r.uid).length === 0) errs.push(invalid(child(path, 'uid'), str(r.uid), 'must not be empty'))
    if (version === 'v1' && !apiVersion.includes('/') && r.kind === 'Event') {
      errs.push(invalid(path, r, '/v1, Kind=Event is disallowed from being an owner'))
    }
    if (r.controller === true) {
      const cur = `${str(r.kind)}/${str(r.name)}`
      if (firstController !== '') {
        errs.push(invalid(path, refs, `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${cur}`))
      } else firstController = cur
    }
  }
  return errs
}

function validateFinalizers(finalizers: unknown, path: string): FieldError[] {
  const errs: FieldError[] = []
  if (!Array.isArray(finalizers)) return errs
  let orphan = false
  let foreground = false
  for (const f of finalizers) {
    const name = str(f)
    errs.push(...validateQualifiedName(name, path))
    if (name === 'orphan') orphan = true
    if (name === 'foregroundDeletion') foreground = true
  }
  if (orphan && foreground) errs.push(invalid(path, finalizers, 'finalizer orphan and foregroundDeletion cannot be both set'))
  return errs
}

/** The core/validation wrapper's extra check: a finalizer without '/' must be a standard one. */
function validateKubeFinalizers(finalizers: unknown, path: string): FieldError[] {
  const errs: FieldError[] = []
  if (!Array.isArray(finalizers)) return errs
  finalizers.forEach((f, i) => {
    const name = str(f)
    const p = index(path, i)
    errs.push(...validateQualifiedName(name, p))
    if (name.split('/').length === 1 && !STANDARD_FINALIZERS.has(name)) {
      errs.push(invalid(p, name, 'name is neither a standard finalizer name nor is it fully qualified'))
    }
  })
  return errs
}

function nonNegative(value: unknown, path: string): FieldError[] {
  const n = typeof value === 'number' ? value : 0
  return n < 0 ? [invalid(path, n, 'must be greater than or equal to 0')] : []
}

/**
 * ValidateObjectMeta as k8s.io/kubernetes core/validation calls it (apimachinery ValidateObjectMetaAccessor
 * followed by the kube finalizer-name check): generateName, name (Required "name or generateName is required"
 * or the nameFn messages), namespace, generation, labels, annotations, ownerReferences, finalizers.
 */
export function validateObjectMeta(meta: any, namespaced: boolean, nameFn: NameValidator, path = 'metadata'): FieldError[] {
  const m = meta && typeof meta === 'object' ? meta : {}
  const errs: FieldError[] = []
  const generateName = str(m.generateName)
  if (generateName.length !== 0) {
    for (const msg of nameFn(generateName, true)) errs.push(invalid(child(path, 'generateName'), generateName, msg))
  }
  const name = str(m.name)
  if (name.length === 0) errs.push(required(child(path, 'name'), 'name or generateName is required'))
  else for (const msg of nameFn(name, false)) errs.push(invalid(child(path, 'name'), name, msg))
  errs.push(...validateObjectMetaCommon(m, namespaced, path))
  errs.push(...validateKubeFinalizers(m.finalizers, child(path, 'finalizers')))
  return errs
}

function validateObjectMetaCommon(m: any, namespaced: boolean, path: string): FieldError[] {
  const errs: FieldError[] = []
  const ns = str(m.namespace)
  if (namespaced) {
    if (ns.length === 0) errs.push(required(child(path, 'namespace')))
    else for (const msg of validateNamespaceName(ns, false)) errs.push(invalid(child(path, 'namespace'), ns, msg))
  } else if (ns.length !== 0) {
    errs.push(forbidden(child(path, 'namespace'), 'not allowed on this type'))
  }
  errs.push(...nonNegative(m.generation, child(path, 'generation')))
  errs.push(...validateLabels(m.labels, child(path, 'labels')))
  errs.push(...validateAnnotations(m.annotations, child(path, 'annotations')))
  errs.push(...validateOwnerReferences(m.ownerReferences, child(path, 'ownerReferences')))
  errs.push(...validateFinalizers(m.finalizers, child(path, 'finalizers')))
  return errs
}

/**
 * The generic create-time check the apiserver runs after the type's own validation passed
 * (rest.BeforeCreate: ValidateObjectMetaAccessor with path.ValidatePathSegmentName).
 */
export function validateCommonCreate(meta: any, namespaced: boolean): FieldError[] {
  const m = meta && typeof meta === 'object' ? meta : {}
  const errs: FieldError[] = []
  const generateName = str(m.generateName)
  if (generateName.length !== 0) {
    for (const msg of validatePathSegmentName(generateName, true)) errs.push(invalid('metadata.generateName', generateName, msg))
  }
  const name = str(m.name)
  if (name.length === 0) errs.push(required('metadata.name', 'name or generateName is required'))
  else for (const msg of validatePathSegmentName(name, false)) errs.push(invalid('metadata.name', name, msg))
  errs.push(...validateObjectMetaCommon(m, namespaced, 'metadata'))
  return errs
}

function immutable(newVal: unknown, oldVal: unknown, path: string, json = false): FieldError[] {
  const same = JSON.stringify(newVal ?? null) === JSON.stringify(oldVal ?? null)
  if (same) return []
  return [invalid(path, json ? asJSON(newVal ?? null) : newVal ?? null, 'field is immutable')]
}

/**
 * ValidateObjectMetaUpdate (apimachinery ValidateObjectMetaAccessorUpdate plus the kube finalizer check):
 * finalizers cannot be added while deleting, resourceVersion must be set, generation may not decrease,
 * name/namespace/uid/creationTimestamp/deletionTimestamp/deletionGracePeriodSeconds are immutable, then
 * labels, annotations and ownerReferences are validated again.
 */
export function validateObjectMetaUpdate(newMeta: any, oldMeta: any, path = 'metadata'): FieldError[] {
  const n = newMeta && typeof newMeta === 'object' ? newMeta : {}
  const o = oldMeta && typeof oldMeta === 'object' ? oldMeta : {}
  const errs: FieldError[] = []
  if (o.deletionTimestamp) {
    const oldF = new Set((Array.isArray(o.finalizers) ? o.finalizers : []).map(str))
    const extra = [...new Set((Array.isArray(n.finalizers) ? n.finalizers : []).map(str))].filter((f) => !oldF.has(f)).sort()
    if (extra.length > 0) {
      const goList = `[]string{${extra.map((f) => JSON.stringify(f)).join(', ')}}`
      errs.push(forbidden(child(path, 'finalizers'), `no new finalizers can be added if the object is being deleted, found new finalizers ${goList}`))
    }
  }
  if (str(n.resourceVersion).length === 0) errs.push(invalid(child(path, 'resourceVersion'), str(n.resourceVersion), 'must be specified for an update'))
  const ng = typeof n.generation === 'number' ? n.generation : 0
  const og = typeof o.generation === 'number' ? o.generation : 0
  if (ng < og) errs.push(invalid(child(path, 'generation'), ng, 'must not be decremented'))
  errs.push(...immutable(str(n.name), str(o.name), child(path, 'name')))
  errs.push(...immutable(str(n.namespace), str(o.namespace), child(path, 'namespace')))
  errs.push(...immutable(str(n.uid), str(o.uid), child(path, 'uid'), true))
  errs.push(...immutable(n.creationTimestamp ?? null, o.creationTimestamp ?? null, child(path, 'creationTimestamp'), true))
  errs.push(...immutable(n.deletionTimestamp ?? null, o.deletionTimestamp ?? null, child(path, 'deletionTimestamp'), true))
  errs.push(...immutable(n.deletionGracePeriodSeconds ?? null, o.deletionGracePeriodSeconds ?? null, child(path, 'deletionGracePeriodSeconds'), true))
  errs.push(...validateLabels(n.labels, child(path, 'labels')))
  errs.push(...validateAnnotations(n.annotations, child(path, 'annotations')))
  errs.push(...validateOwnerReferences(n.ownerReferences, child(path, 'ownerReferences')))
  return errs
}

/** validateObjectMetaUpdate with the kube finalizer-name check that core/validation appends. */
export function validateKubeObjectMetaUpdate(newMeta: any, oldMeta: any, path = 'metadata'): FieldError[] {
  const n = newMeta && typeof newMeta === 'object' ? newMeta : {}
  return [...validateObjectMetaUpdate(newMeta, oldMeta, path), ...validateKubeFinalizers(n.finalizers, child(path, 'finalizers'))]
}
