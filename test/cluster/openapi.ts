// A small OpenAPI v3 for the served resources: what kubectl needs from /openapi/v3 to use the
// server's own field validation (`kubectl apply`/`create` check that the PATCH and POST operations
// of a kind take the `fieldValidation` query parameter, keyed by x-kubernetes-group-version-kind).
// Component schemas are not published, so kubectl computes strategic merge patches from its
// compiled-in types (its documented fallback) and `kubectl explain` has nothing to show.

import {createHash} from 'node:crypto'
import {RESOURCES, type ResourceDef} from './registry.ts'

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`
}

const QUERY = (name: string, description: string) => ({name, in: 'query', description, schema: {type: 'string'}, uniqueItems: true})
const FIELD_VALIDATION = QUERY(
  'fieldValidation',
  'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. This is the default behavior prior to v1.23. - Warn: This will send a warning via the standard warning response header for each unknown field that is dropped from the object, and for each duplicate field that is encountered. The request will still succeed if there are no other errors, and will only persist the last of any duplicate fields. This is the default in v1.23+ - Strict: This will fail the request with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present. The error returned from the server will contain all unknown and duplicate fields encountered.',
)
const DRY_RUN = QUERY('dryRun', 'When present, indicates that modifications should not be persisted.')
const FIELD_MANAGER = QUERY('fieldManager', 'fieldManager is a name associated with the actor or entity that is making these changes.')

function operations(def: ResourceDef): Record<string, any> {
  const gvk = {group: def.group, version: def.version, kind: def.kind}
  const base = def.namespaced ? `/${gvPath(def.group, def.version)}/namespaces/{namespace}/${def.plural}` : `/${gvPath(def.group, def.version)}/${def.plural}`
  const op = (action: string, id: string, parameters: any[] = []) => ({
    tags: [def.group ? `${def.group.split('.')[0]}_${def.version}` : `core_${def.version}`],
    operationId: `${id}${def.kind}`,
    parameters,
    responses: {200: {description: 'OK'}},
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk,
  })
  const writes = [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION]
  const ns = def.namespaced ? 'Namespaced' : ''
  return {
    [base]: {
      get: op('list', `list${ns}`),
      post: op('post', `create${ns}`, writes),
    },
    [`${base}/{name}`]: {
      get: op('get', `read${ns}`),
      put: op('put', `replace${ns}`, writes),
      patch: op('patch', `patch${ns}`, [...writes, QUERY('force', 'Force is going to "force" Apply requests.')]),
      delete: op('delete', `delete${ns}`, [DRY_RUN]),
    },
  }
}

/** The OpenAPI v3 document of one group version, or undefined when not served. */
export function openapiV3Doc(group: string, version: string): any | undefined {
  const defs = RESOURCES.filter((d) => d.group === group && d.version === version)
  if (defs.length === 0) return undefined
  const paths: Record<string, any> = {}
  for (const d of defs) Object.assign(paths, operations(d))
  return {openapi: '3.0.0', info: {title: 'Kubernetes', version: 'v1.35.0'}, paths, components: {}}
}

function hash(doc: any): string {
  return createHash('sha512').update(JSON.stringify(doc)).digest('hex').toUpperCase().slice(0, 128)
}

/** GET /openapi/v3: the discovery of the per-group-version documents. */
export function openapiV3Root(): any {
  const paths: Record<string, {serverRelativeURL: string}> = {}
  const gvs = [...new Set(RESOURCES.map((d) => `${d.group}|${d.version}`))].sort()
  for (const gv of gvs) {
    const [group, version] = gv.split('|')
    const p = gvPath(group, version)
    paths[p] = {serverRelativeURL: `/openapi/v3/${p}?hash=${hash(openapiV3Doc(group, version))}`}
  }
  return {paths}
}

/** The document for a request path under /openapi/v3/, or undefined (404). */
export function openapiV3ForPath(path: string): any | undefined {
  const m = /^\/openapi\/v3\/(?:api\/([^/]+)|apis\/([^/]+)\/([^/]+))$/.exec(path)
  if (!m) return undefined
  return m[1] ? openapiV3Doc('', m[1]) : openapiV3Doc(m[2], m[3])
}
