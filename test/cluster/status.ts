/**
 * metav1.Status bodies exactly as kube-apiserver writes them (field order kind, apiVersion, metadata, status,
 * message, reason, details, code; details order name, group, kind, uid, causes, retryAfterSeconds).
 */
import {groupOf, pluralOf} from './store.ts'

export interface StatusCause {
  reason?: string
  message?: string
  field?: string
}

export interface StatusDetails {
  name?: string
  group?: string
  kind?: string
  uid?: string
  causes?: StatusCause[]
  retryAfterSeconds?: number
}

export interface Status {
  kind: 'Status'
  apiVersion: 'v1'
  metadata: Record<string, never>
  status: 'Failure' | 'Success'
  message?: string
  reason?: string
  details?: StatusDetails
  code: number
}

/** Builds a Status with the canonical field order, dropping empty optional fields like Go's omitempty. */
export function status(code: number, reason: string | undefined, message: string | undefined, details?: StatusDetails, outcome: 'Failure' | 'Success' = 'Failure'): Status {
  const out: any = {kind: 'Status', apiVersion: 'v1', metadata: {}, status: outcome}
  if (message) out.message = message
  if (reason) out.reason = reason
  if (details) {
    const d: any = {}
    if (details.name) d.name = details.name
    if (details.group) d.group = details.group
    if (details.kind) d.kind = details.kind
    if (details.uid) d.uid = details.uid
    if (details.causes?.length) d.causes = details.causes
    if (details.retryAfterSeconds) d.retryAfterSeconds = details.retryAfterSeconds
    out.details = d
  }
  out.code = code
  return out
}

/** An error carrying the Status to answer with. */
export class HttpError extends Error {
  readonly status: Status
  readonly headers: Record<string, string>
  constructor(s: Status, headers: Record<string, string> = {}) {
    super(s.message ?? s.reason ?? `HTTP ${s.code}`)
    this.name = 'HttpError'
    this.status = s
    this.headers = headers
  }
}

/** "services", "deployments.apps": GroupResource.String(). */
export function qualifiedResource(resource: string): string {
  const group = groupOf(resource)
  return group ? `${pluralOf(resource)}.${group}` : pluralOf(resource)
}

function resourceDetails(resource: string, name: string): StatusDetails {
  return {name, group: groupOf(resource), kind: pluralOf(resource)}
}

export const unauthorized = (): Status => status(401, 'Unauthorized', 'Unauthorized')

export const notFound = (resource: string, name: string): Status =>
  status(404, 'NotFound', `${qualifiedResource(resource)} "${name}" not found`, resourceDetails(resource, name))

export const alreadyExists = (resource: string, name: string): Status =>
  status(409, 'AlreadyExists', `${qualifiedResource(resource)} "${name}" already exists`, resourceDetails(resource, name))

export const conflict = (resource: string, name: string, why: string): Status =>
  status(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(resource)} "${name}": ${why}`, resourceDetails(resource, name))

export const badRequest = (message: string): Status => status(400, 'BadRequest', message)

/** The generic 404 for paths and resources that are not served. */
export const pathNotFound = (): Status => status(404, 'NotFound', 'the server could not find the requested resource', {})

export const methodNotAllowed = (): Status =>
  status(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {})

/** NewMethodNotSupported: a verb the resource does not implement. */
export const methodNotSupported = (resource: string, action: string): Status =>
  status(405, 'MethodNotAllowed', `${action} is not supported on resources of kind "${qualifiedResource(resource)}"`, {group: groupOf(resource), kind: pluralOf(resource)})

export const unsupportedMediaType = (accepted: string[]): Status =>
  status(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`)

export const notAcceptable = (accepted: string[]): Status =>
  status(406, 'NotAcceptable', `only the following media types are accepted: ${accepted.join(', ')}`)

export const tooLarge = (limit: number): Status => status(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`)

export const expired = (message: string): Status => status(410, 'Expired', message)

export const internalError = (message: string): Status =>
  status(500, 'InternalError', `Internal error occurred: ${message}`, {causes: [{message}]})

/** NewInvalid: 422 with the Kind (not the resource) in details and an aggregated message. */
export function invalid(kind: string, name: string, causes: Array<{type: string; field: string; detail: string}>, group = ''): Status {
  const messages: string[] = []
  const seen = new Set<string>()
  for (const c of causes) {
    const m = `${c.field}: ${c.detail}`
    if (!seen.has(m)) {
      seen.add(m)
      messages.push(m)
    }
  }
  const aggregate = messages.length === 1 ? messages[0] : `[${messages.join(', ')}]`
  const qualifiedKind = group ? `${kind}.${group}` : kind
  return status(422, 'Invalid', `${qualifiedKind} "${name}" is invalid: ${aggregate}`, {
    name, group, kind, causes: causes.map((c) => ({reason: c.type, message: c.detail, field: c.field})),
  })
}

export interface Attributes {
  user: string
  verb: string
  resource: string // plural with group prefix
  subresource?: string
  namespace?: string
  name?: string
}

/** The RBAC-style Forbidden Status (responsewriters.forbiddenMessage + apierrors.NewForbidden). */
export function forbidden(a: Attributes): Status {
  const plural = pluralOf(a.resource)
  const group = groupOf(a.resource)
  const res = a.subresource ? `${plural}/${a.subresource}` : plural
  const scope = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope'
  const why = `User "${a.user}" cannot ${a.verb} resource "${res}" in API group "${group}" ${scope}`
  const qr = qualifiedResource(a.resource)
  const message = a.name ? `${qr} "${a.name}" is forbidden: ${why}` : `${qr} is forbidden: ${why}`
  return status(403, 'Forbidden', message, {name: a.name, group, kind: plural})
}

/** Field error text (apimachinery field.Error ErrorBody). */
export function fieldValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return JSON.stringify(value)
}
