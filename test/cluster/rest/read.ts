/** get and list (label/field selectors, limit and continue over consistent snapshots). */
import {apiVersionOf} from '../registry.ts'
import {matchFields, matchLabels, parseFieldSelector, parseLabelSelector} from '../selectors.ts'
import {HttpError, badRequest, expired, notFound} from '../status.ts'
import {withKind, type RestEnv, type RestRequest, type RestResult} from './common.ts'

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

export function keyOf(obj: any): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`
}

export function filterFor(r: RestRequest): (obj: any) => boolean {
  const labels = parseLabelSelector(r.query.get('labelSelector') ?? undefined)
  const fields = parseFieldSelector(r.def.resource, r.query.get('fieldSelector') ?? undefined)
  return (obj) => matchLabels(labels, obj.metadata?.labels) && matchFields(r.def.resource, fields, obj)
}

const CONTINUE_EXPIRED = 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.'

/** The objects of a resource as they were at resourceVersion `rv`, rebuilt from the watch history. */
function snapshotAt(env: RestEnv, r: RestRequest, rv: number): any[] | undefined {
  const history = env.store.historySince(rv)
  if (history === undefined) return undefined
  const byKey = new Map<string, any>(env.store.list(r.def.resource, r.namespace).map((o) => [keyOf(o), o]))
  for (const h of history.reverse()) {
    if (h.resource !== r.def.resource) continue
    if (r.namespace && (h.object.metadata?.namespace ?? '') !== r.namespace) continue
    const k = keyOf(h.object)
    if (h.type === 'ADDED') byKey.delete(k)
    else byKey.set(k, h.old)
  }
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, o]) => o)
}

export function list(env: RestEnv, r: RestRequest): RestResult {
  const filter = filterFor(r)
  const limitRaw = r.query.get('limit')
  const limit = limitRaw === null ? 0 : Number(limitRaw)
  const cont = r.query.get('continue')
  let start = ''
  let rv = env.store.resourceVersion
  let all: any[]
  if (cont) {
    if (r.query.get('resourceVersion')) throw new HttpError(badRequest('specifying resource version is not allowed when using continue'))
    const token = decodeContinue(cont)
    start = token.start
    const snapshot = snapshotAt(env, r, token.rv)
    if (!snapshot) throw new HttpError(expired(CONTINUE_EXPIRED))
    all = snapshot
    rv = String(token.rv)
  } else {
    all = env.store.list(r.def.resource, r.namespace)
  }
  let items = all.filter(filter)
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
