/** delete and deletecollection, with preconditions, graceful pod deletion and namespace termination. */
import yaml from 'js-yaml'
import {readBody} from '../http.ts'
import {parseJson} from '../json-errors.ts'
import {apiVersionOf, type ResourceDef} from '../registry.ts'
import {hooksFor} from '../resources/index.ts'
import {HttpError, badRequest, conflict, notFound, status, unsupportedMediaType} from '../status.ts'
import {BODY_TYPES, decodeProtobufBody, dryRun, PROTOBUF, hookCtx, mediaType, now, withKind, type RestEnv, type RestRequest, type RestResult} from './common.ts'
import {filterFor} from './read.ts'

async function deleteOptions(r: RestRequest): Promise<any> {
  const type = mediaType(r.req)
  const body = await readBody(r.req)
  if (body.length === 0) return {}
  if (type && type !== 'application/json' && type !== 'application/yaml' && type !== PROTOBUF) throw new HttpError(unsupportedMediaType(BODY_TYPES))
  let opts: any
  if (type === PROTOBUF) {
    opts = decodeProtobufBody(body)
  } else if (type === 'application/yaml') {
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
  const isDry = dryRun(r, opts)
  const obj = env.store.get(r.def.resource, r.namespace ?? '', r.name!)
  if (!obj) throw new HttpError(notFound(r.def.resource, r.name!))
  checkPreconditions(r, opts, obj)
  const deleted = deleteOne(env, r, obj, opts, isDry, effects)
  // Registries with ReturnDeletedObject (services, pods) and namespaces answer with the object; the others
  // with a Success Status naming it (generic registry finalizeDelete; no code, as Go omits a zero one).
  const stillThere = Boolean(deleted.metadata?.deletionTimestamp)
  if (RETURN_DELETED_OBJECT.has(r.def.resource) || stillThere) return {code: 200, body: deleted, warnings: []}
  const details: any = {name: deleted.metadata.name}
  if (r.def.group) details.group = r.def.group
  details.kind = r.def.plural
  details.uid = deleted.metadata.uid
  return {code: 200, body: {kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details}, warnings: []}
}

const RETURN_DELETED_OBJECT = new Set(['services', 'pods', 'namespaces'])

export async function removeCollection(env: RestEnv, r: RestRequest, effects: DeleteEffects): Promise<RestResult> {
  const opts = await deleteOptions(r)
  const isDry = dryRun(r, opts)
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
