/**
 * The HTTPS front of the local cluster: authentication, request routing, discovery, REST verbs, watch, upgrade
 * routing for pods/portforward, connection tracking (drop / restart) and latency.
 */
import type {IncomingMessage, ServerResponse} from 'node:http'
import https from 'node:https'
import type {Socket} from 'node:net'
import tls from 'node:tls'
import type {Duplex} from 'node:stream'
import {accessReview, authenticate, authorize, impersonate, type Credentials, type Identity} from './auth.ts'
import type {ClusterPKI} from './certs.ts'
import {aggregatedAccept, aggregatedDiscovery, apiGroup, apiGroupList, apiResourceList, apiVersions, version} from './discovery.ts'
import {negotiate, send, sendStatus, serialize} from './http.ts'
import type {Latency} from './latency.ts'
import {RESOURCES, findResource, type ResourceDef} from './registry.ts'
import type {Allocators} from './resources/services.ts'
import * as rest from './rest/index.ts'
import {
  HttpError, badRequest, forbidden, internalError, invalid, methodNotAllowed, notAcceptable, notFound, pathNotFound, status, unauthorized,
} from './status.ts'
import {groupOf, pluralOf, type Store} from './store.ts'
import {openapiV3ForPath, openapiV3Root} from './openapi.ts'
import {tableEvent, tableFor, wantsTable} from './tables.ts'
import {serveWatch} from './watch.ts'

export type UpgradeHandler = (ctx: {req: IncomingMessage; socket: Duplex; head: Buffer; namespace: string; pod: string; user: string}) => void

export interface ServerDeps {
  store: Store
  pki: ClusterPKI
  creds: Credentials
  latency: Latency
  allocators: Allocators
  bookmarkIntervalMs: number
  portForwardHandlers: UpgradeHandler[]
}

interface RequestInfo {
  def?: ResourceDef
  namespace?: string
  name?: string
  subresource?: string
  /** the API path did not name a served resource */
  unknown?: {resource: string; group: string}
}

const ACCEPTED_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf']

/** Splits /api/v1/... or /apis/G/V/... into resource coordinates; undefined for non-resource paths. */
export function parseResourcePath(path: string): RequestInfo | undefined {
  const segs = path.split('/').filter(Boolean).map(decodeURIComponent) // callers check the escapes first
  let group: string
  let version: string
  let rest: string[]
  if (segs[0] === 'api' && segs.length >= 3) {
    group = ''
    version = segs[1]
    rest = segs.slice(2)
  } else if (segs[0] === 'apis' && segs.length >= 4) {
    group = segs[1]
    version = segs[2]
    rest = segs.slice(3)
  } else return undefined
  let namespace: string | undefined
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const candidate = findResource(group, version, rest[2])
    if (candidate && !candidate.namespaced) return {unknown: {resource: rest[2], group}, namespace: rest[1], name: rest[3]}
    if (candidate?.namespaced || (!candidate && rest.length >= 3 && !(rest.length === 3 && ['status', 'finalize'].includes(rest[2])))) {
      namespace = rest[1]
      rest = rest.slice(2)
    }
  }
  const [resource, name, subresource, ...extra] = rest
  const def = findResource(group, version, resource)
  if (!def || extra.length > 0) return {unknown: {resource, group}, namespace, name}
  if (namespace !== undefined && !def.namespaced) return {unknown: {resource, group}, namespace, name}
  return {def, namespace, name, subresource}
}

function verbOf(method: string, info: RequestInfo, query: URLSearchParams): string | undefined {
  const watch = ['true', '1'].includes(query.get('watch') ?? '')
  switch (method) {
    case 'GET':
    case 'HEAD':
      if (info.name === undefined) return watch ? 'watch' : 'list'
      return watch ? 'watch' : 'get'
    case 'POST':
      return info.name === undefined || info.subresource ? 'create' : undefined
    case 'PUT':
      return info.name === undefined ? undefined : 'update'
    case 'PATCH':
      return info.name === undefined ? undefined : 'patch'
    case 'DELETE':
      return info.name === undefined ? 'deletecollection' : 'delete'
    default:
      return undefined
  }
}

/**
 * kube-apiserver is a Go TLS server: for TLS 1.3 it picks the suite from its own order, AES-128-GCM
 * first on AES hardware when the client prefers AES-GCM, whatever the client lists first (crypto/tls
 * handshake_server_tls13.go, serverHandshakeStateTLS13.processClientHello, defaultCipherSuitesTLS13).
 * OpenSSL takes the client's first choice, AES-256-GCM for Node's clients; the server's order is
 * put first here so that svc gets the suite a real cluster gives it (test/both/tls-suite.test.ts).
 * Clients that prefer ChaCha20 (Go switches to defaultCipherSuitesTLS13NoAES for them) are not modelled.
 */
const GO_TLS13_ORDER = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']
const SERVER_CIPHERS = [...GO_TLS13_ORDER, ...tls.DEFAULT_CIPHERS.split(':').filter(name => !GO_TLS13_ORDER.includes(name))].join(':')

export class ApiServer {
  readonly server: https.Server
  readonly #deps: ServerDeps
  readonly #sockets = new Set<Socket>()
  readonly #streams = new Set<() => void>()

  constructor(deps: ServerDeps) {
    this.#deps = deps
    this.server = https.createServer({
      key: deps.pki.server.keyPem, cert: deps.pki.server.certPem, ca: deps.pki.ca.certPem,
      requestCert: true, rejectUnauthorized: false,
      ciphers: SERVER_CIPHERS, honorCipherOrder: true,
    })
    this.server.keepAliveTimeout = 30_000
    this.server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket)
      socket.on('close', () => this.#sockets.delete(socket))
    })
    this.server.on('tlsClientError', (_err, socket) => socket.destroy())
    this.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.#handle(req, res).catch((err) => this.#fail(res, err))
    })
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      try {
        this.#upgrade(req, socket, head)
      } catch (err) {
        writeRaw(socket, internalError(String((err as Error)?.message ?? err)))
      }
    })
    this.server.on('clientError', (_err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n')
      else socket.destroy()
    })
  }

  /** Destroys every open connection, including watches and upgraded streams. */
  dropConnections(): void {
    for (const close of [...this.#streams]) close()
    for (const s of [...this.#sockets]) s.destroy()
  }

  #fail(res: ServerResponse, err: unknown): void {
    const s = err instanceof HttpError ? err.status : internalError(String((err as Error)?.message ?? err))
    if (!(err instanceof HttpError)) console.error(`local cluster: ${(err as Error)?.stack ?? err}`)
    if (res.headersSent) {
      res.destroy()
      return
    }
    const headers = err instanceof HttpError ? err.headers : {}
    sendStatus(res, this.#deps.latency, s, headers).catch(() => res.destroy())
    if (headers.connection === 'close') res.on('finish', () => res.socket?.destroy())
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const {latency} = this.#deps
    const url = requestURL(req)
    if (!url) return sendStatus(res, latency, badRequest(`invalid URI: ${JSON.stringify(req.url ?? '')}`))
    const path = url.pathname
    const who = authenticate(req, this.#deps.creds, path)
    if (who === undefined) return sendStatus(res, latency, unauthorized())
    if (path === '/version' || path === '/version/') return send(res, latency, 200, version())
    if (path === '/healthz' || path === '/livez' || path === '/readyz') return send(res, latency, 200, 'ok', {contentType: 'text/plain; charset=utf-8', headers: {'X-Content-Type-Options': 'nosniff'}})
    if (who === 'anonymous') return sendStatus(res, latency, unauthorized())
    const acting = impersonate(who, req.headersDistinct, req.url ?? '/')
    if ('forbidden' in acting) return sendStatus(res, latency, acting.forbidden)
    if ('internalError' in acting) return send(res, latency, 500, acting.internalError, {contentType: 'text/plain; charset=utf-8', headers: {'X-Content-Type-Options': 'nosniff'}})
    const identity: Identity = acting.identity
    const info = parseResourcePath(path)
    if (!info) return this.#nonResource(req, res, path)
    const verb = verbOf(req.method ?? 'GET', info, url.searchParams)
    if (verb) {
      const resource = info.def?.resource ?? (info.unknown!.group ? `${info.unknown!.group}/${info.unknown!.resource}` : info.unknown!.resource)
      if (!authorize(identity, {verb, group: groupOf(resource), resource: pluralOf(resource), subresource: info.subresource})) {
        return sendStatus(res, latency, forbidden({user: identity.user, verb, resource, subresource: info.subresource, namespace: info.namespace, name: info.name}))
      }
    }
    if (!info.def) return sendStatus(res, latency, pathNotFound())
    if (!verb) return sendStatus(res, latency, methodNotAllowed())
    if (info.subresource === 'portforward' && info.def.resource === 'pods') return this.#portForwardPlain(req, res, info, identity, verb)
    if (info.subresource && !info.def.subresources[info.subresource]) return sendStatus(res, latency, pathNotFound())
    if (info.subresource && !['get', 'update', 'patch'].includes(verb)) return sendStatus(res, latency, methodNotAllowed())
    if (!info.def.verbs.includes(verb) && verb !== 'get') return sendStatus(res, latency, methodNotAllowed())
    if ((verb === 'create' || verb === 'deletecollection') && info.def.namespaced && info.namespace === undefined) return sendStatus(res, latency, methodNotAllowed())
    if ((verb === 'get' || verb === 'update' || verb === 'patch' || verb === 'delete') && info.def.namespaced && info.namespace === undefined) return sendStatus(res, latency, pathNotFound())
    for (const param of ['limit', 'timeoutSeconds']) {
      const v = url.searchParams.get(param)
      if (v !== null && !/^-?\d+$/.test(v)) return sendStatus(res, latency, badRequest(`strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`))
    }
    const format = negotiate(req.headers.accept)
    if (!format) return sendStatus(res, latency, notAcceptable(ACCEPTED_TYPES))
    const r: rest.RestRequest = {req, def: info.def, namespace: info.namespace, name: info.name, subresource: info.subresource, query: url.searchParams, user: identity.user}
    if (info.def.resource === 'authorization.k8s.io/selfsubjectaccessreviews') {
      // create only, and nothing is stored: the review comes back with the decision as its status
      if (verb !== 'create') return sendStatus(res, latency, methodNotAllowed())
      const review = accessReview(identity, await rest.decodeBody(r))
      // REST.Create's NewInvalid(Kind(selfSAR.Kind), "", errs): the decoded object's kind is empty by then
      if ('errors' in review) return sendStatus(res, latency, invalid('', '', review.errors, info.def.group))
      return send(res, latency, 201, review.review, {format})
    }
    const env: rest.RestEnv = {store: this.#deps.store, allocators: this.#deps.allocators}
    let result: rest.RestResult
    switch (verb) {
      case 'get': result = rest.get(env, r); break
      case 'list': result = rest.list(env, r); break
      case 'watch': return this.#watch(res, r)
      case 'create': result = await rest.create(env, r); break
      case 'update': result = await rest.update(env, r); break
      case 'patch': result = await rest.patch(env, r); break
      case 'delete': result = await rest.remove(env, r, this.#effects); break
      case 'deletecollection': result = await rest.removeCollection(env, r, this.#effects); break
      default: return sendStatus(res, latency, methodNotAllowed())
    }
    const headers: Record<string, string | string[]> = {}
    // kube-apiserver 1.33+ marks every v1 Endpoints request deprecated (kubectl prints it as `Warning: ...`).
    if (info.def.resource === 'endpoints') result.warnings.unshift('v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice')
    if (result.warnings.length) headers.Warning = result.warnings.map((w) => `299 - ${JSON.stringify(w)}`)
    let body = result.body
    if ((verb === 'get' || verb === 'list') && wantsTable(req.headers.accept)) {
      const isList = verb === 'list'
      const table = tableFor(info.def, isList ? body.items : [body], isList ? body.metadata : {resourceVersion: body.metadata?.resourceVersion}, url.searchParams.get('includeObject'))
      if (table) body = table
    }
    if (req.method === 'HEAD') return send(res, latency, result.code, '', {headers})
    return send(res, latency, result.code, body, {format, headers})
  }

  #nonResource(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const {latency} = this.#deps
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendStatus(res, latency, pathNotFound())
    const p = path.replace(/\/+$/, '') || '/'
    if (p === '/api' || p === '/apis') {
      const v = aggregatedAccept(req.headers.accept)
      if (v) {
        return send(res, latency, 200, aggregatedDiscovery(p, v), {
          contentType: `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList`, headers: {Vary: 'Accept'},
        })
      }
      return send(res, latency, 200, p === '/api' ? apiVersions() : apiGroupList(), {headers: {Vary: 'Accept'}})
    }
    const m = /^\/(api|apis)(?:\/([^/]+))?(?:\/([^/]+))?$/.exec(p)
    if (m) {
      if (m[1] === 'api' && m[2] && !m[3]) {
        const doc = apiResourceList('', m[2])
        if (doc) return send(res, latency, 200, doc)
      }
      if (m[1] === 'apis' && m[2] && !m[3]) {
        const doc = apiGroup(m[2])
        if (doc) return send(res, latency, 200, doc)
      }
      if (m[1] === 'apis' && m[2] && m[3]) {
        const doc = apiResourceList(m[2], m[3])
        if (doc) return send(res, latency, 200, doc)
      }
    }
    if (p === '/openapi/v3') return send(res, latency, 200, openapiV3Root())
    const openapi = p.startsWith('/openapi/v3/') ? openapiV3ForPath(p) : undefined
    if (openapi) return send(res, latency, 200, openapi)
    if (p === '/') {
      const paths = ['/api', '/api/v1', '/apis', '/apis/', ...RESOURCES.filter((r) => r.group).map((r) => `/apis/${r.group}`),
        ...RESOURCES.filter((r) => r.group).map((r) => `/apis/${r.group}/${r.version}`), '/healthz', '/livez', '/readyz', '/version']
      return send(res, latency, 200, {paths: [...new Set(paths)].sort()})
    }
    return sendStatus(res, latency, pathNotFound())
  }

  #watch(res: ServerResponse, r: rest.RestRequest): void {
    const filter = rest.filterFor(r)
    const nameFilter = r.name ? (o: any) => o.metadata?.name === r.name && filter(o) : filter
    const timeoutRaw = r.query.get('timeoutSeconds')
    serveWatch(this.#deps.store, this.#deps.latency, res, {
      def: r.def,
      namespace: r.namespace,
      filter: nameFilter,
      resourceVersion: r.query.get('resourceVersion') ?? undefined,
      timeoutSeconds: timeoutRaw === null ? undefined : Number(timeoutRaw),
      bookmarks: r.query.get('allowWatchBookmarks') === 'true',
      bookmarkIntervalMs: this.#deps.bookmarkIntervalMs,
      sendInitialEvents: r.query.get('sendInitialEvents') === 'true',
      transform: wantsTable(r.req.headers.accept) ? (obj) => tableEvent(r.def, obj, r.query.get('includeObject')) : undefined,
    }, () => {
      // dropConnections / restart: cut the stream as a dying server would, not with a clean chunked end
      const kill = (): void => {
        res.destroy()
      }
      this.#streams.add(kill)
      res.on('close', () => this.#streams.delete(kill))
    })
  }

  /** A non-upgrade request to pods/NAME/portforward: what the real server answers. */
  async #portForwardPlain(req: IncomingMessage, res: ServerResponse, info: RequestInfo, identity: Identity, verb: string): Promise<void> {
    const {latency, store} = this.#deps
    if (req.method !== 'GET' && req.method !== 'POST') return sendStatus(res, latency, methodNotAllowed())
    if (!info.namespace) return sendStatus(res, latency, pathNotFound())
    const refused = connectCreateCheck(identity, verb, info.name!)
    if (refused) return sendStatus(res, latency, refused)
    const pod = store.get('pods', info.namespace, info.name!)
    if (!pod) return sendStatus(res, latency, notFound('pods', info.name!))
    if (!pod.spec?.nodeName) return sendStatus(res, latency, badRequest(`pod ${info.name} does not have a host assigned`))
    return sendStatus(res, latency, badRequest('Upgrade request required'))
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const {latency, store} = this.#deps
    socket.on('error', () => socket.destroy())
    const answer = (s: ReturnType<typeof status>): void => {
      void latency.wait().then(() => writeRaw(socket, s))
    }
    const url = requestURL(req)
    if (!url) return answer(badRequest(`invalid URI: ${JSON.stringify(req.url ?? '')}`))
    const who = authenticate(req, this.#deps.creds, url.pathname)
    if (who === undefined || who === 'anonymous') return answer(unauthorized())
    const acting = impersonate(who, req.headersDistinct, req.url ?? '/')
    if ('forbidden' in acting) return answer(acting.forbidden)
    if ('internalError' in acting) {
      void latency.wait().then(() => writeText(socket, 500, 'text/plain; charset=utf-8', acting.internalError))
      return
    }
    const identity = acting.identity
    const info = parseResourcePath(url.pathname)
    const isPortForward = info?.def?.resource === 'pods' && info.subresource === 'portforward' && info.namespace !== undefined && info.name !== undefined
    if (!isPortForward || !info) return answer(pathNotFound())
    if (req.method !== 'GET' && req.method !== 'POST') return answer(methodNotAllowed())
    // The WithAuthorization filter checks the request's own verb (GET: get, POST: create) ...
    const verb = req.method === 'POST' ? 'create' : 'get'
    if (!authorize(identity, {verb, group: '', resource: 'pods', subresource: 'portforward'})) {
      return answer(forbidden({user: identity.user, verb, resource: 'pods', subresource: 'portforward', namespace: info.namespace, name: info.name}))
    }
    // ... then PortForwardREST.Connect checks create as well.
    const refused = connectCreateCheck(identity, verb, info.name!)
    if (refused) return answer(refused)
    const pod = store.get('pods', info.namespace!, info.name!)
    if (!pod) return answer(notFound('pods', info.name!))
    // PortForwardLocation needs the node the pod runs on
    if (!pod.spec?.nodeName) return answer(badRequest(`pod ${info.name} does not have a host assigned`))
    // ... and its kubelet's address: pkg/kubelet/client/kubelet_client.go NodeConnectionInfoGetter.
    // GetConnectionInfo returns the Node lookup's error as it is (404 `nodes "X" not found`).
    if (!store.get('nodes', '', pod.spec.nodeName)) return answer(notFound('nodes', pod.spec.nodeName))
    const handler = this.#deps.portForwardHandlers[0]
    if (!handler) return answer(pathNotFound())
    const close = (): void => {
      socket.destroy()
    }
    this.#streams.add(close)
    socket.on('close', () => this.#streams.delete(close))
    handler({req, socket, head, namespace: info.namespace!, pod: info.name!, user: identity.user})
  }

  #effects: rest.DeleteEffects = {
    afterDelete: (def, obj, propagation) => this.#afterDelete(def, obj, propagation),
  }

  /** Side effects of a delete: the Service's Endpoints, a namespace's content, owner-reference garbage collection. */
  #afterDelete(def: ResourceDef, obj: any, propagation: string): void {
    const {store} = this.#deps
    if (def.resource === 'services') store.delete('endpoints', obj.metadata.namespace, obj.metadata.name)
    if (def.resource === 'namespaces') {
      setImmediate(() => {
        const ns = obj.metadata.name
        for (const d of RESOURCES) {
          if (!d.namespaced) continue
          for (const o of store.list(d.resource, ns)) {
            const gone = store.delete(d.resource, ns, o.metadata.name)
            if (gone) this.#afterDelete(d, gone, 'Background')
          }
        }
        store.delete('namespaces', '', ns)
      })
      return
    }
    if (!obj.metadata?.uid) return
    if (propagation === 'Orphan') {
      // the garbage collector removes the owner reference from the dependents
      for (const d of RESOURCES) {
        if (!d.namespaced) continue
        for (const o of store.list(d.resource, obj.metadata.namespace)) {
          const refs = o.metadata.ownerReferences ?? []
          if (!refs.some((ref: any) => ref.uid === obj.metadata.uid)) continue
          const kept = refs.filter((ref: any) => ref.uid !== obj.metadata.uid)
          if (kept.length) o.metadata.ownerReferences = kept
          else delete o.metadata.ownerReferences
          store.update(d.resource, o)
        }
      }
      return
    }
    setImmediate(() => {
      for (const d of RESOURCES) {
        if (!d.namespaced) continue
        for (const o of store.list(d.resource, obj.metadata.namespace)) {
          if ((o.metadata.ownerReferences ?? []).some((ref: any) => ref.uid === obj.metadata.uid)) {
            const gone = store.delete(d.resource, o.metadata.namespace, o.metadata.name)
            if (gone) this.#afterDelete(d, gone, 'Background')
          }
        }
      }
    })
  }
}

/** The request URL, or undefined when it is not a valid origin-form path with valid escapes. */
function requestURL(req: IncomingMessage): URL | undefined {
  const raw = req.url ?? '/'
  if (!raw.startsWith('/')) return undefined
  try {
    const url = new URL(`https://localhost${raw}`)
    decodeURIComponent(url.pathname)
    return url
  } catch {
    return undefined
  }
}

/**
 * The second authorization of a pods/portforward request, with the feature gate
 * AuthorizePodWebsocketUpgradeCreatePermission on (beta and on by default since 1.35):
 * pkg/registry/core/pod/rest/subresources.go PortForwardREST.Connect calls ensureAuthorizedForVerb
 * (ctx, r.Authorizer, "create"), which passes when the request's verb already was create (a POST) and
 * otherwise asks the authorizer again with the verb replaced. A refusal is apierrors.NewForbidden(
 * {Group: "", Resource: "pods"}, name, errors.New(reason)), and RBAC gives no reason when no rule
 * matched (rbac.go RBACAuthorizer.Authorize), so the message ends in "is forbidden: ".
 */
export function connectCreateCheck(identity: Identity, verb: string, name: string): ReturnType<typeof status> | undefined {
  if (verb === 'create' || authorize(identity, {verb: 'create', group: '', resource: 'pods', subresource: 'portforward'})) return undefined
  return status(403, 'Forbidden', `pods "${name}" is forbidden: `, {name, kind: 'pods'})
}

/** Writes a plain-text answer on a socket that was not upgraded, then closes it (net/http's http.Error). */
function writeText(socket: Duplex, code: number, contentType: string, body: string): void {
  if (socket.destroyed) return
  const reason = {500: 'Internal Server Error'}[code] ?? 'Error'
  socket.end(`HTTP/1.1 ${code} ${reason}\r\nContent-Type: ${contentType}\r\nX-Content-Type-Options: nosniff\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
}

/** Writes a Status as a raw HTTP/1.1 response on a socket that was not upgraded, then closes it. */
export function writeRaw(socket: Duplex, s: ReturnType<typeof status>): void {
  if (socket.destroyed) return
  const body = serialize(s, 'json')
  const reason = {400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 500: 'Internal Server Error'}[s.code] ?? 'Error'
  socket.end(`HTTP/1.1 ${s.code} ${reason}\r\nCache-Control: no-cache, private\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
}
