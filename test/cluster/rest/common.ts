/** Shared pieces of the REST handlers: request and result types, body decoding, field validation, options. */
import type {IncomingMessage} from 'node:http'
import yaml from 'js-yaml'
import {readBody} from '../http.ts'
import {parseJson} from '../json-errors.ts'
import {defaultManager} from '../managed-fields.ts'
import {apiVersionOf, type ResourceDef} from '../registry.ts'
import {hooksFor, type HookContext} from '../resources/index.ts'
import type {Allocators} from '../resources/services.ts'
import {dropFields, unknownFields} from '../schema.ts'
import {HttpError, badRequest, invalid, notFound, status, unsupportedMediaType} from '../status.ts'
import {Store, StoreError} from '../store.ts'
import {decodeKubernetesProtobuf} from '../protobuf.ts'

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

export function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z')
}

export function withKind(def: ResourceDef, obj: any): any {
  const {kind: _k, apiVersion: _a, ...rest} = obj
  return {kind: def.kind, apiVersion: apiVersionOf(def), ...rest}
}

export const PROTOBUF = 'application/vnd.kubernetes.protobuf'

/** kubectl's typed clients send protobuf (see ../protobuf.ts). */
export function decodeProtobufBody(body: Buffer): any {
  try {
    return decodeKubernetesProtobuf(body)
  } catch (e) {
    throw new HttpError(badRequest((e as Error).message))
  }
}

export function mediaType(req: IncomingMessage): string {
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
  if (type !== 'application/json' && type !== 'application/yaml' && type !== PROTOBUF) throw new HttpError(unsupportedMediaType(BODY_TYPES))
  const body = await readBody(r.req)
  const expectedKind = kindOverride ?? r.def.kind
  let obj: any
  if (type === PROTOBUF) {
    obj = decodeProtobufBody(body)
  } else if (type === 'application/json') {
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

/** dryRun from the query, and for DELETE also from the DeleteOptions body (where client-go puts it). */
export function dryRun(r: RestRequest, options?: {dryRun?: unknown}): boolean {
  const fromBody = Array.isArray(options?.dryRun) ? options.dryRun.map(String) : []
  const values = [...r.query.getAll('dryRun'), ...fromBody]
  for (const v of values) {
    if (v !== 'All') throw new HttpError(badRequest(`dryRun must be "All", got: ${JSON.stringify(v)}`))
  }
  return values.length > 0
}

export function fieldManager(r: RestRequest): string {
  const m = r.query.get('fieldManager')
  if (m !== null && m.length > 128) {
    throw new HttpError(invalid('CreateOptions', '', [{type: 'FieldValueTooLong', field: 'fieldManager', detail: `Too long: may not be more than 128 bytes`}], 'meta.k8s.io'))
  }
  return m ?? defaultManager(r.req.headers['user-agent'])
}

export function requireNamespace(env: RestEnv, r: RestRequest, verb: 'create' | 'update' | 'patch'): void {
  if (!r.def.namespaced || !r.namespace) return
  const ns = env.store.get('namespaces', '', r.namespace)
  if (!ns) throw new HttpError(notFound('namespaces', r.namespace))
  if (verb === 'create' && ns.status?.phase === 'Terminating') {
    throw new HttpError(status(403, 'Forbidden', `${r.def.plural} "${r.name ?? ''}" is forbidden: unable to create new content in namespace ${r.namespace} because it is being terminated`,
      {name: r.name, group: r.def.group, kind: r.def.plural, causes: [{reason: 'NamespaceTerminating', message: `namespace ${r.namespace} is being terminated`, field: 'metadata.namespace'}]}))
  }
}

export function hookCtx(env: RestEnv, r: RestRequest, isDry: boolean, warnings: string[]): HookContext {
  return {def: r.def, allocators: env.allocators, dryRun: isDry, fieldValidation: validationMode(r), warnings}
}

export function rethrow(e: unknown): never {
  if (e instanceof StoreError) throw new HttpError(e.status)
  throw e
}

export function checkNamespaceOfBody(r: RestRequest, obj: any): void {
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
