/**
 * Authentication (client certificate or bearer token), impersonation and the small RBAC authorizer of
 * the local cluster.
 *
 * Users (docs/local-cluster.md lists them with their roles; `RBAC_OBJECTS` below is the same policy as
 * RBAC objects, for a real API server):
 * - `token` and the client certificate (O=system:masters): everything.
 * - `readonly`: get, list and watch on every resource and subresource.
 * - `create-only` and `get-only`: the role a team typically grants for port-forwarding: read pods,
 *   services, endpoints, EndpointSlices and the workloads that own pods, plus ONE verb on
 *   pods/portforward: `create` (what SPDY over POST needs) or `get` (what a WebSocket GET needed
 *   before 1.35).
 */
import {randomBytes} from 'node:crypto'
import type {IncomingMessage} from 'node:http'
import type {TLSSocket} from 'node:tls'

import {forbidden, type Status} from './status.ts'

/** One rbac/v1 PolicyRule (apiGroups, resources incl. `resource/subresource`, verbs; `*` matches all). */
export interface PolicyRule {
  apiGroups: string[]
  resources: string[]
  verbs: string[]
}

export interface Identity {
  user: string
  groups: string[]
  /** user.Info's Extra, set by impersonation */
  extra?: Record<string, string[]>
  uid?: string
}

export interface Credentials {
  /** bearer token of the `token` user (full access) */
  token: string
  /** bearer token of the `readonly` user */
  readonlyToken: string
  /** bearer token of the `create-only` user */
  createOnlyToken: string
  /** bearer token of the `get-only` user */
  getOnlyToken: string
}

export function createCredentials(): Credentials {
  const token = (prefix: string): string => `${prefix}-${randomBytes(24).toString('hex')}`
  return {token: token('svc'), readonlyToken: token('ro'), createOnlyToken: token('pfc'), getOnlyToken: token('pfg')}
}

const READ = ['get', 'list', 'watch']

/** What the port-forward users may read: the objects svc and kubectl resolve a target through. */
const PORT_FORWARD_READS: PolicyRule[] = [
  {apiGroups: [''], resources: ['pods', 'services', 'endpoints', 'replicationcontrollers'], verbs: READ},
  {apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: READ},
  {apiGroups: ['apps'], resources: ['deployments', 'replicasets', 'statefulsets', 'daemonsets'], verbs: READ},
]

/** The rules of each user that is not in system:masters, by user name (impersonated names too). */
export const USER_RULES: Readonly<Record<string, PolicyRule[]>> = {
  readonly: [{apiGroups: ['*'], resources: ['*'], verbs: READ}],
  'create-only': [...PORT_FORWARD_READS, {apiGroups: [''], resources: ['pods/portforward'], verbs: ['create']}],
  'get-only': [...PORT_FORWARD_READS, {apiGroups: [''], resources: ['pods/portforward'], verbs: ['get']}],
}

/** The same policy as ClusterRoles and ClusterRoleBindings (for a real API server's users). */
export const RBAC_OBJECTS = Object.entries(USER_RULES).flatMap(([user, rules]) => [
  {apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: {name: `svc-test:${user}`}, rules},
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: {name: `svc-test:${user}`},
    roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `svc-test:${user}`},
    subjects: [{apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user}],
  },
])

/** Paths the real API server lets system:unauthenticated read (system:public-info-viewer). */
const PUBLIC_PATHS = new Set(['/version', '/version/', '/healthz', '/livez', '/readyz'])

/**
 * Returns the identity, `'anonymous'` for a request without credentials on a public path, or undefined
 * (answer 401) for missing or wrong credentials.
 */
export function authenticate(req: IncomingMessage, creds: Credentials, path: string): Identity | 'anonymous' | undefined {
  const header = req.headers.authorization
  if (header !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header)
    if (!m) return undefined
    if (m[1] === creds.token) return {user: 'token', groups: ['system:masters', 'system:authenticated']}
    const byToken: Record<string, string> = {[creds.readonlyToken]: 'readonly', [creds.createOnlyToken]: 'create-only', [creds.getOnlyToken]: 'get-only'}
    const user = byToken[m[1]]
    return user ? {user, groups: ['system:authenticated']} : undefined
  }
  const socket = req.socket as TLSSocket
  if (typeof socket.getPeerCertificate === 'function' && socket.authorized) {
    const cert = socket.getPeerCertificate()
    const cn = cert?.subject?.CN
    if (cn) {
      const org = cert.subject.O
      const orgs = Array.isArray(org) ? org : org ? [org] : []
      return {user: String(cn), groups: [...orgs, 'system:authenticated']}
    }
  }
  if (PUBLIC_PATHS.has(path)) return 'anonymous'
  return undefined
}

export interface AuthzAttributes {
  verb: string
  /** the API group ('' for core) */
  group: string
  resource: string
  subresource?: string
}

/**
 * The RBAC decision (plugin/pkg/auth/authorizer/rbac/rbac.go RBACAuthorizer.Authorize with
 * rbac/v1 helpers VerbMatches, APIGroupMatches, ResourceMatches): system:masters may do anything
 * (the privileged-group authorizer); anyone else needs a rule that matches the verb, the group and
 * the resource (`pods`, `pods/portforward`, `*`, or `*\/portforward`).
 */
export function authorize(identity: Identity, a: AuthzAttributes): boolean {
  return decide(identity, a).allowed
}

/**
 * What every authenticated user may do (plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go
 * ClusterRoles system:basic-user and system:discovery, bound to system:authenticated): create
 * SelfSubjectAccessReviews and SelfSubjectRulesReviews, and get the discovery and version paths.
 */
const BASIC_USER: PolicyRule[] = [{apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'], verbs: ['create']}]
const DISCOVERY_PATHS = ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/']

/** The decision with RBAC's reason (rbac.go: `RBAC: allowed by ClusterRoleBinding ...`; a denial has none). */
function decide(identity: Identity, a: AuthzAttributes): {allowed: boolean; reason: string} {
  // the privileged-group authorizer allows system:masters with no reason
  if (identity.groups.includes('system:masters')) return {allowed: true, reason: ''}
  const combined = a.subresource ? `${a.resource}/${a.subresource}` : a.resource
  const matches = (rules: PolicyRule[]) => rules.some(rule =>
    (rule.verbs.includes('*') || rule.verbs.includes(a.verb)) &&
    (rule.apiGroups.includes('*') || rule.apiGroups.includes(a.group)) &&
    rule.resources.some(r => r === '*' || r === combined || (a.subresource !== undefined && r === `*/${a.subresource}`)),
  )
  const binding = (name: string, subject: string) => `RBAC: allowed by ClusterRoleBinding "${name}" of ClusterRole "${name}" to ${subject}`
  if (identity.groups.includes('system:authenticated') && matches(BASIC_USER)) return {allowed: true, reason: binding('system:basic-user', 'Group "system:authenticated"')}
  if (matches(USER_RULES[identity.user] ?? [])) return {allowed: true, reason: binding(`svc-test:${identity.user}`, `User "${identity.user}"`)}
  return {allowed: false, reason: ''}
}

/**
 * A SelfSubjectAccessReview (`kubectl auth can-i`), as pkg/registry/authorization/
 * selfsubjectaccessreview/rest.go REST.Create answers it: validated
 * (pkg/apis/authorization/validation ValidateSelfSubjectAccessReviewSpec), then the requesting user's
 * attributes (resource or non-resource) go through the authorizer and the decision is the status.
 * Returns the review with its status, or the field errors.
 */
export function accessReview(identity: Identity, review: any): {review: any} | {errors: Array<{type: string; field: string; detail: string}>} {
  const spec = review?.spec ?? {}
  const res = spec.resourceAttributes
  const nonRes = spec.nonResourceAttributes
  // field.Invalid renders the internal struct with encoding/json: no json tags, so Go's field names
  const goValue = (v: any) => JSON.stringify({Path: v.path ?? '', Verb: v.verb ?? ''})
  if (res && nonRes) return {errors: [{type: 'FieldValueInvalid', field: 'spec.nonResourceAttributes', detail: `Invalid value: ${goValue(nonRes)}: cannot be specified in combination with resourceAttributes`}]}
  if (!res && !nonRes) return {errors: [{type: 'FieldValueInvalid', field: 'spec.resourceAttributes', detail: 'Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be specified'}]}
  let decision: {allowed: boolean; reason: string}
  if (res) {
    decision = decide(identity, {group: res.group ?? '', resource: res.resource ?? '', subresource: res.subresource || undefined, verb: res.verb ?? ''})
  } else {
    // non-resource URLs: system:masters anything; everyone authenticated the discovery paths (get)
    const path = String(nonRes.path ?? '')
    const discovery = nonRes.verb === 'get' && DISCOVERY_PATHS.some(p => (p.endsWith('*') ? path.startsWith(p.slice(0, -1)) : path === p))
    decision = identity.groups.includes('system:masters') ? {allowed: true, reason: ''}
      : discovery && identity.groups.includes('system:authenticated') ? {allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding "system:discovery" of ClusterRole "system:discovery" to Group "system:authenticated"'}
        : {allowed: false, reason: ''}
  }
  const status: Record<string, unknown> = {allowed: decision.allowed}
  if (decision.reason) status.reason = decision.reason
  return {review: {kind: 'SelfSubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', metadata: {}, spec, status}}
}

/** kubernetes.io/serviceaccount SplitUsername: system:serviceaccount:NS:NAME. */
function splitServiceAccount(user: string): {name: string; namespace: string} | undefined {
  const parts = user.split(':')
  if (parts.length !== 4 || parts[0] !== 'system' || parts[1] !== 'serviceaccount' || !parts[2] || !parts[3]) return undefined
  return {namespace: parts[2], name: parts[3]}
}

interface ImpersonationRequest {
  /** what to authorize: verb `impersonate` on this resource */
  resource: string
  subresource?: string
  namespace?: string
  name: string
  /** Go's %v of the ObjectReference in the "without impersonating a user" error */
  describe: string
}

/** The outcome of the impersonation filter: the identity to act as, a 403 Status, or a plain-text 500. */
export type Impersonation = {identity: Identity} | {forbidden: Status} | {internalError: string}

/**
 * The API server's impersonation filter (k8s.io/apiserver pkg/endpoints/filters/impersonation.go
 * WithImpersonation and buildImpersonationRequests): Impersonate-User (a service account name is
 * checked as serviceaccounts), each Impersonate-Group, each value of each Impersonate-Extra-KEY (KEY
 * lower-cased and %-unescaped, checked as userextras/KEY) and Impersonate-Uid, each authorized in that
 * order with verb `impersonate` for the requesting user; the first refusal is a 403 in the
 * responsewriters.Forbidden form. Groups, extras or a UID without a user are a 500. The new user gets
 * system:authenticated unless system:authenticated or system:unauthenticated was asked for.
 */
export function impersonate(identity: Identity, headers: NodeJS.Dict<string[]>, requestURI: string): Impersonation {
  // headersDistinct: repeated headers stay apart, as in Go's http.Header.
  const user = headers['impersonate-user']?.[0] ?? ''
  const groups = headers['impersonate-group'] ?? []
  const uid = headers['impersonate-uid']?.[0] ?? ''
  const extras: Array<[string, string]> = []
  for (const [name, values] of Object.entries(headers)) {
    if (!name.startsWith('impersonate-extra-')) continue
    const key = unescapeExtraKey(name.slice('impersonate-extra-'.length).toLowerCase())
    for (const v of values ?? []) extras.push([key, v])
  }
  if (!user && groups.length === 0 && extras.length === 0 && !uid) return {identity}

  const requests: ImpersonationRequest[] = []
  const sa = user ? splitServiceAccount(user) : undefined
  if (sa) requests.push({resource: 'serviceaccounts', namespace: sa.namespace, name: sa.name, describe: `{ServiceAccount ${sa.namespace} ${sa.name}    }`})
  else if (user) requests.push({resource: 'users', name: user, describe: `{User  ${user}    }`})
  for (const g of groups) requests.push({resource: 'groups', name: g, describe: `{Group  ${g}    }`})
  for (const [key, value] of extras) requests.push({resource: 'authentication.k8s.io/userextras', subresource: key, name: value, describe: `{UserExtra  ${value}  authentication.k8s.io/v1  ${key}}`})
  if (uid) requests.push({resource: 'authentication.k8s.io/uids', name: uid, describe: `{UID  ${uid}  authentication.k8s.io/v1  }`})
  if (!user) {
    // responsewriters.InternalError: a plain-text 500.
    return {internalError: `Internal Server Error: ${JSON.stringify(requestURI)}: requested [${requests.map(r => r.describe).join(' ')}] without impersonating a user\n`}
  }
  for (const r of requests) {
    const group = r.resource.includes('/') ? r.resource.slice(0, r.resource.indexOf('/')) : ''
    const resource = r.resource.slice(r.resource.indexOf('/') + 1)
    if (!authorize(identity, {verb: 'impersonate', group, resource, subresource: r.subresource})) {
      return {forbidden: forbidden({user: identity.user, verb: 'impersonate', resource: r.resource, subresource: r.subresource, namespace: r.namespace, name: r.name})}
    }
  }
  const newGroups = sa && groups.length === 0
    ? ['system:serviceaccounts', `system:serviceaccounts:${sa.namespace}`]
    : [...groups]
  if (!newGroups.includes('system:authenticated') && !newGroups.includes('system:unauthenticated')) newGroups.push('system:authenticated')
  const extra: Record<string, string[]> = {}
  for (const [key, value] of extras) (extra[key] ??= []).push(value)
  return {identity: {user, groups: newGroups, extra, ...(uid ? {uid} : {})}}
}

/** impersonation.go unescapeExtraKey: %XX escapes in the header name; a bad escape keeps the text. */
function unescapeExtraKey(key: string): string {
  try {
    return decodeURIComponent(key)
  } catch {
    return key
  }
}
