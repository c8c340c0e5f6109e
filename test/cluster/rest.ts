/** Generic REST verbs over the store: get, list, create, update, patch, delete, deletecollection. */
import type {IncomingMessage} from 'node:http'
import yaml from 'js-yaml'
import {readBody} from './http.ts'
import {parseJson} from './json-errors.ts'
import {defaultManager, droppedByApply, recordApply, recordUpdate, removePath, renderPath} from './managed-fields.ts'
import {PATCH_TYPES, jsonPatch, mergePatch, strategicMerge} from './patch.ts'
import {apiVersionOf, type ResourceDef} from './registry.ts'
import {hooksFor, type HookContext} from './resources/index.ts'
import type {Allocators} from './resources/services.ts'
import {dropFields, unknownFields} from './schema.ts'
import {matchFields, matchLabels, parseFieldSelector, parseLabelSelector} from './selectors.ts'
import {
  HttpError, alreadyExists, badRequest, conflict, invalid, notFound, status, unsupportedMediaType,
} from './status.ts'
import {Store, StoreError} from './store.ts'

export const BODY_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf']

export interface RestRequest {
  req: IncomingMessage
  def: ResourceDef
  namespace?: string
  name?: string
  subresource?: string
  query: URLSearchParams
  user: string
}

export interface RestResult {
  code: number
  body: any
  warnings: string[]
}

export interface RestEnv {
  store: Store
  allocators: Allocators
}

function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z')
}

function withKind(def: ResourceDef, obj: any): any {
  const {kind: _k, apiVersion: _a, ...rest} = obj
  return {kind: def.kind, apiVersion: apiVersionOf(def), ...rest}
}

function mediaType(req: IncomingMessage): string {
  return String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase()
}

function summarize(body: Buffer): string {
  if (body.length === 0) return '<empty>'
  if (body[0] === 0x7b) return body.length > 30 ? `${body.subarray(0, 30).toString()} ...` : body.toString()
  return body.length > 30 ? `${body.subarray(0, 30).toString('hex')} ...` : body.toString('hex')
}

/** Decodes a create/update body (JSON or YAML), checking kind and apiVersion against the URL. */
export async function decodeBody(r: RestRequest, kindOverride?: string): Promise<any> {
  const type = mediaType(r.req)
  if (type !== 'application/json' && type !== 'application/yaml') throw new HttpError(unsupportedMediaType(BODY_TYPES))
  const body = await readBody(r.req)
  const expectedKind = kindOverride ?? r.def.kind
  let obj: any
  if (type === 'application/json') {
    const parsed = parseJson(body.toString('utf8'))
    if (!parsed.ok) {
      throw new HttpError(badRequest(`the object provided is unrecognized (must be of type ${expectedKind}): couldn't get version/kind; json parse error: ${parsed.message} (${summarize(body)})`))
    }
    obj = parsed.value
  } else {
    try {
      obj = yaml.load(body.toString('utf8'))
    } catch (e) {
      throw new HttpError(badRequest(`the object provided is unrecognized (must be of type ${expectedKind}): couldn't get version/kind; json parse error: error converting YAML to JSON: yaml: ${(e as Error).message.split('\n')[0]} (${summarize(body)})`))
    }
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    const what = Array.isArray(obj) ? 'array' : obj === null ? 'null' : typeof obj === 'string' ? 'string' : typeof obj === 'number' ? 'number' : 'bool'
    throw new HttpError(badRequest(`the object provided is unrecognized (must be of type ${expectedKind}): couldn't get version/kind; json parse error: json: cannot unmarshal ${what} into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" } (${summarize(body)})`))
  }
  checkMetaTypes(r.def.kind, obj)
  const gv = apiVersionOf(r.def)
  if (obj.apiVersion !== undefined && obj.apiVersion !== '' && obj.apiVersion !== gv) {
    throw new HttpError(badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${gv})`))
  }
  if (obj.kind !== undefined && obj.kind !== '' && obj.kind !== expectedKind) {
    const version = String(obj.apiVersion ?? gv).split('/').pop()
    throw new HttpError(badRequest(`${obj.kind} in version "${version}" cannot be handled as a ${expectedKind}: converting (${version}.${obj.kind}) to (${r.def.group || 'core'}.${expectedKind}): unknown conversion`))
  }
  return obj
}

function goType(v: unknown): string {
  if (Array.isArray(v)) return 'array'
  if (v === null) return 'null'
  if (typeof v === 'boolean') return 'bool'
  return typeof v === 'object' ? 'object' : typeof v
}

/** The typed decoder rejects wrongly typed metadata fields; report them as it does. */
function checkMetaTypes(kind: string, obj: any): void {
  const fail = (field: string, value: unknown, type: string): never => {
    throw new HttpError(badRequest(`${kind} in version "v1" cannot be handled as a ${kind}: json: cannot unmarshal ${goType(value)} into Go struct field ObjectMeta.metadata.${field} of type ${type}`))
  }
  const meta = obj.metadata
  if (meta === undefined || meta === null) return
  if (typeof meta !== 'object' || Array.isArray(meta)) {
    throw new HttpError(badRequest(`${kind} in version "v1" cannot be handled as a ${kind}: json: cannot unmarshal ${goType(meta)} into Go struct field ${kind}.metadata of type v1.ObjectMeta`))
  }
  for (const f of ['name', 'generateName', 'namespace', 'resourceVersion', 'uid']) {
    if (meta[f] !== undefined && meta[f] !== null && typeof meta[f] !== 'string') fail(f, meta[f], 'string')
  }
  for (const f of ['labels', 'annotations']) {
    const m = meta[f]
    if (m === undefined || m === null) continue
    if (typeof m !== 'object' || Array.isArray(m)) fail(f, m, 'map[string]string')
    for (const v of Object.values(m)) if (typeof v !== 'string') fail(f, v, 'string')
  }
}

/** fieldValidation: Strict -> 400, Warn (the default) -> warnings, Ignore -> silently dropped. */
function validationMode(r: RestRequest): 'Strict' | 'Warn' | 'Ignore' {
  const mode = r.query.get('fieldValidation') ?? 'Warn'
  if (mode !== 'Strict' && mode !== 'Warn' && mode !== 'Ignore') {
    throw new HttpError(badRequest(`fieldValidation must be one of "Ignore", "Warn", or "Strict", got: ${JSON.stringify(mode)}`))
  }
  return mode
}

export function checkFields(r: RestRequest, obj: any, warnings: string[], decoding = true): void {
  const mode = validationMode(r)
  if (hooksFor(r.def.resource).decodesFields) return
  const unknown = unknownFields(r.def.resource, obj)
  if (unknown.length === 0) return
  if (mode === 'Strict') {
    const strict = `strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`
    // the create/update decoder wraps it (transformDecodeError); the patch path reports it bare
    const version = String(obj.apiVersion ?? apiVersionOf(r.def)).split('/').pop()
    throw new HttpError(badRequest(decoding ? `${obj.kind ?? r.def.kind} in version "${version}" cannot be handled as a ${r.def.kind}: ${strict}` : strict))
  }
  if (mode === 'Warn') for (const f of unknown) warnings.push(`unknown field "${f}"`)
  dropFields(obj, unknown)
}

function dryRun(r: RestRequest): boolean {
  const values = r.query.getAll('dryRun')
  for (const v of values) {
    if (v !== 'All') throw new HttpError(badRequest(`dryRun must be "All", got: ${JSON.stringify(v)}`))
  }
  return values.length > 0
}

function fieldManager(r: RestRequest): string {
  const m = r.query.get('fieldManager')
  if (m !== null && m.length > 128) {
    throw new HttpError(invalid('CreateOptions', '', [{type: 'FieldValueTooLong', field: 'fieldManager', detail: `Too long: may not be more than 128 bytes`}], 'meta.k8s.io'))
  }
  return m ?? defaultManager(r.req.headers['user-agent'])
}

function requireNamespace(env: RestEnv, r: RestRequest, verb: 'create' | 'update' | 'patch'): void {
  if (!r.def.namespaced || !r.namespace) return
  const ns = env.store.get('namespaces', '', r.namespace)
  if (!ns) throw new HttpError(notFound('namespaces', r.namespace))
  if (verb === 'create' && ns.status?.phase === 'Terminating') {
    throw new HttpError(status(403, 'Forbidden', `${r.def.plural} "${r.name ?? ''}" is forbidden: unable to create new content in namespace ${r.namespace} because it is being terminated`,
      {name: r.name, group: r.def.group, kind: r.def.plural, causes: [{reason: 'NamespaceTerminating', message: `namespace ${r.namespace} is being terminated`, field: 'metadata.namespace'}]}))
  }
}

function hookCtx(env: RestEnv, r: RestRequest, isDry: boolean, warnings: string[]): HookContext {
  return {def: r.def, allocators: env.allocators, dryRun: isDry, fieldValidation: validationMode(r), warnings}
}

function rethrow(e: unknown): never {
  if (e instanceof StoreError) throw new HttpError(e.status)
  throw e
}

function checkNamespaceOfBody(r: RestRequest, obj: any): void {
  obj.metadata ??= {}
  if (typeof obj.metadata !== 'object' || Array.isArray(obj.metadata)) throw new HttpError(badRequest('metadata must be an object'))
  if (!r.def.namespaced) {
    delete obj.metadata.namespace
    return
  }
  if (obj.metadata.namespace && obj.metadata.namespace !== r.namespace) {
    throw new HttpError(badRequest('the namespace of the provided object does not match the namespace sent on the request'))
  }
  obj.metadata.namespace = r.namespace
}

// ---- get / list -------------------------------------------------------------------------------------------

export function get(env: RestEnv, r: RestRequest): RestResult {
  const obj = env.store.get(r.def.resource, r.namespace ?? '', r.name!)
  if (!obj) throw new HttpError(notFound(r.def.resource, r.name!))
  return {code: 200, body: withKind(r.def, obj), warnings: []}
}

interface ContinueToken {
  v: string
  rv: number
  start: string
}

function decodeContinue(token: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'))
    if (t.v !== 'meta.k8s.io/v1' || typeof t.start !== 'string' || typeof t.rv !== 'number') throw new Error('bad')
    return t
  } catch {
    throw new HttpError(badRequest(`continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)`))
  }
}

function keyOf(obj: any): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`
}

export function filterFor(r: RestRequest): (obj: any) => boolean {
  const labels = parseLabelSelector(r.query.get('labelSelector') ?? undefined)
  const fields = parseFieldSelector(r.def.resource, r.query.get('fieldSelector') ?? undefined)
  return (obj) => matchLabels(labels, obj.metadata?.labels) && matchFields(r.def.resource, fields, obj)
}

export function list(env: RestEnv, r: RestRequest): RestResult {
  const filter = filterFor(r)
  const limitRaw = r.query.get('limit')
  const limit = limitRaw === null ? 0 : Number(limitRaw)
  const cont = r.query.get('continue')
  let start = ''
  if (cont) {
    if (r.query.get('resourceVersion')) throw new HttpError(badRequest('specifying resource version is not allowed when using continue'))
    start = decodeContinue(cont).start
  }
  const rv = env.store.resourceVersion
  let items = env.store.list(r.def.resource, r.namespace).filter(filter)
  if (start) items = items.filter((o) => keyOf(o) >= start)
  const metadata: any = {resourceVersion: rv}
  if (Number.isInteger(limit) && limit > 0 && items.length > limit) {
    const remaining = items.length - limit
    items = items.slice(0, limit)
    const next: ContinueToken = {v: 'meta.k8s.io/v1', rv: Number(rv), start: `${keyOf(items[items.length - 1])}\u0000`}
    metadata.continue = Buffer.from(JSON.stringify(next)).toString('base64url')
    metadata.remainingItemCount = remaining
  }
  const body = {kind: `${r.def.kind}List`, apiVersion: apiVersionOf(r.def), metadata, items: items.map((o) => {
    const {kind: _k, apiVersion: _a, ...rest} = o
    return rest
  })}
  return {code: 200, body, warnings: []}
}

// ---- create -----------------------------------------------------------------------------------------------

export async function create(env: RestEnv, r: RestRequest): Promise<RestResult> {
  const warnings: string[] = []
  let obj = await decodeBody(r)
  const isDry = dryRun(r)
  const manager = fieldManager(r)
  checkFields(r, obj, warnings)
  checkNamespaceOfBody(r, obj)
  requireNamespace(env, r, 'create')
  obj = withKind(r.def, obj)
  return {code: 201, body: createObject(env, r, obj, manager, isDry, warnings, 'Update'), warnings}
}

/** Shared by POST and by server-side apply of a missing object. */
function createObject(env: RestEnv, r: RestRequest, input: any, manager: string, isDry: boolean, warnings: string[], op: 'Update' | 'Apply', applied?: any): any {
  const hooks = hooksFor(r.def.resource)
  const ctx = hookCtx(env, r, isDry, warnings)
  let obj = structuredClone(input)
  const meta = obj.metadata
  for (const f of ['uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'selfLink', 'managedFields', 'generation']) delete meta[f]
  if (!meta.name && meta.generateName) meta.name = env.store.generateName(r.def.resource, meta.namespace ?? '', meta.generateName)
  if (!meta.name) {
    throw new HttpError(invalid(r.def.kind, '', [{type: 'FieldValueRequired', field: 'metadata.name', detail: 'Required value: name or generateName is required'}], r.def.group))
  }
  obj = hooks.prepareCreate ? hooks.prepareCreate(obj, ctx) : obj
  if (op === 'Apply') recordApply(obj, undefined, applied, manager, apiVersionOf(r.def), true)
  else recordUpdate(obj, undefined, manager, apiVersionOf(r.def))
  if (isDry) {
    if (env.store.get(r.def.resource, meta.namespace ?? '', obj.metadata.name)) throw new HttpError(alreadyExists(r.def.resource, obj.metadata.name))
    obj.metadata.uid = globalThis.crypto.randomUUID()
    obj.metadata.creationTimestamp = now()
    if (r.def.resource !== 'endpoints' && r.def.resource !== 'events') obj.metadata.generation = 1
    return obj
  }
  try {
    return withKind(r.def, env.store.create(r.def.resource, obj))
  } catch (e) {
    hooks.release?.(obj, ctx)
    if (e instanceof StoreError && e.status.reason === 'AlreadyExists') throw new HttpError(alreadyExists(r.def.resource, obj.metadata.name))
    return rethrow(e)
  }
}

// ---- update -----------------------------------------------------------------------------------------------

function immutableMeta(r: RestRequest, obj: any, old: any): void {
  const causes: Array<{type: string; field: string; detail: string}> = []
  if (obj.metadata.uid && obj.metadata.uid !== old.metadata.uid) {
    causes.push({type: 'FieldValueInvalid', field: 'metadata.uid', detail: `Invalid value: ${JSON.stringify(obj.metadata.uid)}: field is immutable`})
  }
  if (causes.length) throw new HttpError(invalid(r.def.kind, old.metadata.name, causes, r.def.group))
}

/** Writes `obj` over the stored `old` (after hooks); shared by PUT and PATCH. */
function updateObject(env: RestEnv, r: RestRequest, obj: any, old: any, opts: {manager: string; isDry: boolean; checkRv: boolean; op: 'Update' | 'Apply'; applied?: any; force?: boolean; warnings: string[]}): any {
  const hooks = hooksFor(r.def.resource)
  const ctx = hookCtx(env, r, opts.isDry, opts.warnings)
  immutableMeta(r, obj, old)
  obj.metadata.uid = old.metadata.uid
  obj.metadata.creationTimestamp = old.metadata.creationTimestamp
  if (old.metadata.deletionTimestamp) obj.metadata.deletionTimestamp = old.metadata.deletionTimestamp
  if (opts.checkRv && obj.metadata.resourceVersion && obj.metadata.resourceVersion !== old.metadata.resourceVersion) {
    throw new HttpError(conflict(r.def.resource, old.metadata.name, 'the object has been modified; please apply your changes to the latest version and try again'))
  }
  const hasStatus = Boolean(r.def.subresources.status)
  if (r.subresource === 'status') {
    obj = {...structuredClone(old), status: obj.status, metadata: {...old.metadata, labels: obj.metadata.labels, annotations: obj.metadata.annotations, resourceVersion: obj.metadata.resourceVersion}}
    if (hooks.prepareStatusUpdate) obj = hooks.prepareStatusUpdate(obj, old, ctx)
  } else {
    if (hasStatus) obj.status = structuredClone(old.status)
    if (hooks.prepareUpdate) obj = hooks.prepareUpdate(obj, old, ctx)
  }
  obj.metadata.managedFields ??= old.metadata.managedFields
  if (opts.op === 'Apply') {
    const conflicts = recordApply(obj, old, opts.applied, opts.manager, apiVersionOf(r.def), Boolean(opts.force))
    if (conflicts.length) {
      const lines = conflicts.map((c) => `conflict with "${c.manager}"${ownerOp(old, c.manager)}: ${renderPath(c.path)}`)
      const message = conflicts.length === 1 ? `Apply failed with 1 conflict: ${lines[0]}` : `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`
      throw new HttpError(status(409, 'Conflict', message, {causes: conflicts.map((c) => ({reason: 'FieldManagerConflict', message: `conflict with "${c.manager}"${ownerOp(old, c.manager)}`, field: renderPath(c.path)}))}))
    }
  } else {
    recordUpdate(obj, old, opts.manager, apiVersionOf(r.def), r.subresource)
  }
  if (opts.isDry) {
    obj.metadata.resourceVersion = old.metadata.resourceVersion
    return obj
  }
  try {
    return withKind(r.def, env.store.update(r.def.resource, obj, {checkResourceVersion: opts.checkRv}))
  } catch (e) {
    return rethrow(e)
  }
}

function ownerOp(old: any, manager: string): string {
  const e = (old.metadata.managedFields ?? []).find((m: any) => m.manager === manager)
  return e?.operation === 'Update' ? ` using ${e.apiVersion}` : ''
}

export async function update(env: RestEnv, r: RestRequest): Promise<RestResult> {
  const warnings: string[] = []
  let obj = await decodeBody(r)
  const isDry = dryRun(r)
  const manager = fieldManager(r)
  checkFields(r, obj, warnings)
  checkNamespaceOfBody(r, obj)
  if (obj.metadata.name !== r.name) {
    throw new HttpError(badRequest(`the name of the object (${obj.metadata.name ?? ''}) does not match the name on the URL (${r.name})`))
  }
  requireNamespace(env, r, 'update')
  obj = withKind(r.def, obj)
  const old = env.store.get(r.def.resource, r.namespace ?? '', r.name!)
  if (!old) {
    if (hooksFor(r.def.resource).allowCreateOnUpdate && !r.subresource) return {code: 201, body: createObject(env, r, obj, manager, isDry, warnings, 'Update'), warnings}
    throw new HttpError(notFound(r.def.resource, r.name!))
  }
  return {code: 200, body: updateObject(env, r, obj, old, {manager, isDry, checkRv: true, op: 'Update', warnings}), warnings}
}

// ---- patch ------------------------------------------------------------------------------------------------

function patchBodyError(message: string): HttpError {
  return new HttpError(badRequest(message))
}

export async function patch(env: RestEnv, r: RestRequest): Promise<RestResult> {
  const type = mediaType(r.req)
  if (!PATCH_TYPES.includes(type)) throw new HttpError(unsupportedMediaType(PATCH_TYPES))
  const body = await readBody(r.req)
  const isDry = dryRun(r)
  const warnings: string[] = []
  if (type === 'application/apply-patch+yaml') return apply(env, r, body, isDry, warnings)
  const manager = fieldManager(r)
  const parsed = parseJson(body.toString('utf8'))
  if (!parsed.ok) throw patchBodyError(`error decoding patch: ${parsed.message}`)
  const old = env.store.get(r.def.resource, r.namespace ?? '', r.name!)
  if (!old) throw new HttpError(notFound(r.def.resource, r.name!))
  const current = withKind(r.def, old)
  let next: any
  if (type === 'application/json-patch+json') next = jsonPatch(current, parsed.value)
  else {
    if (parsed.value === null || typeof parsed.value !== 'object' || Array.isArray(parsed.value)) {
      throw patchBodyError(`json: cannot unmarshal ${Array.isArray(parsed.value) ? 'array' : typeof parsed.value} into Go value of type map[string]interface {}`)
    }
    checkFields(r, parsed.value, warnings, false)
    next = type === 'application/merge-patch+json' ? mergePatch(current, parsed.value) : strategicMerge(current, parsed.value)
  }
  if (next === null || typeof next !== 'object' || Array.isArray(next)) throw patchBodyError('the patch result is not an object')
  if (type === 'application/json-patch+json') checkFields(r, next, warnings, false)
  next.metadata ??= {}
  if (next.metadata.name !== old.metadata.name) throw new HttpError(badRequest(`the name of the object (${next.metadata.name ?? ''}) does not match the name on the URL (${r.name})`))
  if (r.def.namespaced && next.metadata.namespace !== old.metadata.namespace) throw new HttpError(badRequest('the namespace of the provided object does not match the namespace sent on the request'))
  next = withKind(r.def, next)
  // A patch carrying a resourceVersion is a precondition; otherwise it applies to the latest version.
  const checkRv = next.metadata.resourceVersion !== old.metadata.resourceVersion
  return {code: 200, body: updateObject(env, r, next, old, {manager, isDry, checkRv, op: 'Update', warnings}), warnings}
}

async function apply(env: RestEnv, r: RestRequest, body: Buffer, isDry: boolean, warnings: string[]): Promise<RestResult> {
  const manager = r.query.get('fieldManager')
  if (!manager) {
    throw new HttpError(invalid('PatchOptions', '', [{type: 'FieldValueRequired', field: 'fieldManager', detail: 'Required value: is required for apply patch'}], 'meta.k8s.io'))
  }
  const forceRaw = r.query.get('force')
  const force = forceRaw === 'true'
  let applied: any
  try {
    applied = yaml.load(body.toString('utf8'))
  } catch (e) {
    throw new HttpError(badRequest(`error decoding YAML: ${(e as Error).message.split('\n')[0]}`))
  }
  if (applied === null || typeof applied !== 'object' || Array.isArray(applied)) throw new HttpError(badRequest('error decoding YAML: the applied configuration is not an object'))
  const gv = apiVersionOf(r.def)
  if (!applied.apiVersion || !applied.kind) {
    throw new HttpError(badRequest(`invalid object type: ${applied.apiVersion && applied.kind ? `${applied.apiVersion}, Kind=${applied.kind}` : '/, Kind='}`))
  }
  if (applied.apiVersion !== gv || applied.kind !== r.def.kind) {
    throw new HttpError(badRequest(`the API version in the data (${applied.apiVersion}) does not match the expected API version (${gv})`))
  }
  checkFields(r, applied, warnings, false)
  applied.metadata ??= {}
  if (applied.metadata.name !== undefined && applied.metadata.name !== r.name) {
    throw new HttpError(badRequest(`the name of the object (${applied.metadata.name}) does not match the name on the URL (${r.name})`))
  }
  if (r.def.namespaced && applied.metadata.namespace !== undefined && applied.metadata.namespace !== r.namespace) {
    throw new HttpError(badRequest('the namespace of the provided object does not match the namespace sent on the request'))
  }
  applied.metadata.name = r.name
  if (r.def.namespaced) applied.metadata.namespace = r.namespace
  const old = env.store.get(r.def.resource, r.namespace ?? '', r.name!)
  if (!old) {
    if (r.subresource) throw new HttpError(notFound(r.def.resource, r.name!))
    requireNamespace(env, r, 'create')
    return {code: 201, body: createObject(env, r, withKind(r.def, structuredClone(applied)), manager, isDry, warnings, 'Apply', applied), warnings}
  }
  let merged = strategicMerge(withKind(r.def, old), applied)
  for (const p of droppedByApply(old, applied, manager)) removePath(merged, p)
  merged = withKind(r.def, merged)
  const checkRv = applied.metadata.resourceVersion !== undefined
  return {code: 200, body: updateObject(env, r, merged, old, {manager, isDry, checkRv, op: 'Apply', applied, force, warnings}), warnings}
}

// ---- delete -----------------------------------------------------------------------------------------------

async function deleteOptions(r: RestRequest): Promise<any> {
  const type = mediaType(r.req)
  const body = await readBody(r.req)
  if (body.length === 0) return {}
  if (type && type !== 'application/json' && type !== 'application/yaml') throw new HttpError(unsupportedMediaType(BODY_TYPES))
  let opts: any
  if (type === 'application/yaml') {
    try {
      opts = yaml.load(body.toString('utf8'))
    } catch (e) {
      throw new HttpError(badRequest((e as Error).message.split('\n')[0]))
    }
  } else {
    const parsed = parseJson(body.toString('utf8'))
    if (!parsed.ok) throw new HttpError(badRequest(`couldn't get version/kind; json parse error: ${parsed.message}`))
    opts = parsed.value
  }
  return opts && typeof opts === 'object' ? opts : {}
}

export interface DeleteEffects {
  /** called for each deleted object (garbage collection, services cleanup) */
  afterDelete(def: ResourceDef, obj: any, propagation: string): void
}

function checkPreconditions(r: RestRequest, opts: any, obj: any): void {
  const pre = opts.preconditions ?? {}
  if (pre.uid && pre.uid !== obj.metadata.uid) {
    throw new HttpError(conflict(r.def.resource, obj.metadata.name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${obj.metadata.uid}`))
  }
  if (pre.resourceVersion && pre.resourceVersion !== obj.metadata.resourceVersion) {
    throw new HttpError(conflict(r.def.resource, obj.metadata.name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${obj.metadata.resourceVersion}`))
  }
}

function deleteOne(env: RestEnv, r: RestRequest, obj: any, opts: any, isDry: boolean, effects: DeleteEffects): any {
  const propagation = opts.propagationPolicy ?? (opts.orphanDependents === true ? 'Orphan' : 'Background')
  if (r.def.resource === 'namespaces') {
    if (['default', 'kube-system', 'kube-public'].includes(obj.metadata.name)) {
      throw new HttpError(status(403, 'Forbidden', `namespaces "${obj.metadata.name}" is forbidden: this namespace may not be deleted`, {name: obj.metadata.name, kind: 'namespaces'}))
    }
    const terminating = {...obj, metadata: {...obj.metadata, deletionTimestamp: obj.metadata.deletionTimestamp ?? now()}, status: {...obj.status, phase: 'Terminating'}}
    if (isDry) return withKind(r.def, terminating)
    const stored = obj.status?.phase === 'Terminating' ? obj : env.store.update('namespaces', terminating)
    effects.afterDelete(r.def, stored, propagation)
    return withKind(r.def, stored)
  }
  if (r.def.resource === 'pods' && obj.spec?.nodeName && obj.status?.phase !== 'Succeeded' && obj.status?.phase !== 'Failed') {
    // Graceful deletion: the pod gets a deletionTimestamp and the kubelet removes it once its containers stopped.
    const grace = Number.isInteger(opts.gracePeriodSeconds) ? opts.gracePeriodSeconds : (obj.spec.terminationGracePeriodSeconds ?? 30)
    if (grace > 0 || obj.metadata.deletionTimestamp) {
      if (obj.metadata.deletionTimestamp) return withKind(r.def, obj)
      const terminating = structuredClone(obj)
      terminating.metadata.deletionTimestamp = new Date(Date.now() + grace * 1000).toISOString().replace(/\.\d+Z$/, 'Z')
      terminating.metadata.deletionGracePeriodSeconds = grace
      if (isDry) return withKind(r.def, terminating)
      const stored = env.store.update('pods', terminating)
      if (propagation === 'Orphan') effects.afterDelete(r.def, stored, propagation)
      return withKind(r.def, stored)
    }
  }
  if (isDry) return withKind(r.def, obj)
  const deleted = env.store.delete(r.def.resource, obj.metadata.namespace ?? '', obj.metadata.name)
  if (!deleted) throw new HttpError(notFound(r.def.resource, obj.metadata.name))
  hooksFor(r.def.resource).release?.(deleted, hookCtx(env, r, false, []))
  effects.afterDelete(r.def, deleted, propagation)
  return withKind(r.def, deleted)
}

export async function remove(env: RestEnv, r: RestRequest, effects: DeleteEffects): Promise<RestResult> {
  const opts = await deleteOptions(r)
  const isDry = dryRun(r)
  const obj = env.store.get(r.def.resource, r.namespace ?? '', r.name!)
  if (!obj) throw new HttpError(notFound(r.def.resource, r.name!))
  checkPreconditions(r, opts, obj)
  return {code: 200, body: deleteOne(env, r, obj, opts, isDry, effects), warnings: []}
}

export async function removeCollection(env: RestEnv, r: RestRequest, effects: DeleteEffects): Promise<RestResult> {
  const opts = await deleteOptions(r)
  const isDry = dryRun(r)
  const filter = filterFor(r)
  const items = env.store.list(r.def.resource, r.namespace).filter(filter)
  const deleted: any[] = []
  for (const obj of items) {
    try {
      const d = deleteOne(env, r, obj, opts, isDry, effects)
      const {kind: _k, apiVersion: _a, ...rest} = d
      deleted.push(rest)
    } catch (e) {
      if (!(e instanceof HttpError && e.status.code === 404)) throw e
    }
  }
  return {code: 200, body: {kind: `${r.def.kind}List`, apiVersion: apiVersionOf(r.def), metadata: {resourceVersion: env.store.resourceVersion}, items: deleted}, warnings: []}
}

