/** create, update (PUT), patch (merge, strategic, JSON patch) and server-side apply. */
import yaml from 'js-yaml'
import {readBody} from '../http.ts'
import {parseJson} from '../json-errors.ts'
import {droppedByApply, recordApply, recordUpdate, removePath, renderPath} from '../managed-fields.ts'
import {PATCH_TYPES, jsonPatch, mergePatch, strategicMerge} from '../patch.ts'
import {apiVersionOf} from '../registry.ts'
import {hooksFor} from '../resources/index.ts'
import {HttpError, alreadyExists, badRequest, conflict, invalid, notFound, status, unsupportedMediaType} from '../status.ts'
import {StoreError, hasGeneration} from '../store.ts'
import {checkFields, checkNamespaceOfBody, decodeBody, dryRun, fieldManager, hookCtx, mediaType, now, requireNamespace, rethrow, withKind, type RestEnv, type RestRequest, type RestResult} from './common.ts'

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
    if (hasGeneration(r.def.resource)) obj.metadata.generation = 1
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
    if (conflicts.length) throw new HttpError(applyConflict(old, conflicts))
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

/** How the apply conflict error names a manager (fieldmanager printManager). */
function printManager(old: any, manager: string): string {
  const e = (old.metadata.managedFields ?? []).find((m: any) => m.manager === manager)
  let out = JSON.stringify(manager)
  if (e?.subresource) out += ` with subresource ${JSON.stringify(e.subresource)}`
  if (e?.operation === 'Update') out += e.time ? ` using ${e.apiVersion} at ${e.time}` : ` using ${e.apiVersion}`
  return out
}

/** NewApplyConflict: one line for one conflict, otherwise grouped by manager (sorted). */
function applyConflict(old: any, conflicts: Array<{manager: string; path: string}>): any {
  let message: string
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${printManager(old, conflicts[0].manager)}: ${renderPath(conflicts[0].path)}`
  } else {
    const lines: string[] = []
    for (const manager of [...new Set(conflicts.map((c) => c.manager))].sort()) {
      lines.push(`conflicts with ${printManager(old, manager)}:`)
      for (const c of conflicts) if (c.manager === manager) lines.push(`- ${renderPath(c.path)}`)
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`
  }
  return status(409, 'Conflict', message, {causes: conflicts.map((c) => ({reason: 'FieldManagerConflict', message: `conflict with ${printManager(old, c.manager)}`, field: renderPath(c.path)}))})
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
