// The one HTTP client svc uses to talk to the API server. Credentials and TLS come from
// @kubernetes/client-node (KubeConfig.applyToHTTPSOptions), proxies from proxy.ts and impersonation
// from impersonation.ts; this file sends requests, reads bodies as bytes, applies the timeout, logs
// under -v and maps failures to ApiError/ConnectionError.

import http from 'node:http'
import {createHash} from 'node:crypto'
import https from 'node:https'
import {isIP, type Socket} from 'node:net'
import tls from 'node:tls'

import type {KubeConfig} from '@kubernetes/client-node'

import {ApiError, CliError, ConnectionError, statusFromBody} from './errors.ts'
import {certificateError, explainRefusal, isCertificateRefusal, quietIpServerName, serverIdentity} from './identity.ts'
import {type Impersonation, impersonationHeaders} from './impersonation.ts'
import {bareHostname, CONNECT_SIGNAL, connectThroughProxy, DIAL_TIMEOUT_MS, proxyAgent, proxyFor, type ProxyEnvironment, ProxyError} from './proxy.ts'
import {authProviderProblem, bearerToken} from './config.ts'
import {runPluginsAsKubectl} from './exec-plugin.ts'
import {diagnoseRefusal} from './refusal.ts'
import {defaultServerUrl, isTransportTls, serverAuthority} from './server-url.ts'

export interface RequestOptions {
  accept?: string
  body?: unknown
  contentType?: string
  method?: string
  path: string
  query?: Record<string, boolean | number | string | string[] | undefined>
  signal?: AbortSignal
  /** Overrides the client's timeout for this request; 0 means none. */
  timeoutMs?: number
}

export interface Response<T> {
  body: T
  headers: http.IncomingHttpHeaders
  statusCode: number
}

export interface WatchEvent<T = unknown> {
  object: T
  type: 'ADDED' | 'BOOKMARK' | 'DELETED' | 'ERROR' | 'MODIFIED'
}

export interface ClientOptions {
  /** Gives up on a TLS handshake that has not finished after this long (Go's TLSHandshakeTimeout,
   *  10s in kubectl), whatever --request-timeout says; a server that accepts TCP and never answers
   *  must not hang svc. Default 10000. */
  handshakeTimeoutMs?: number
  /** The environment the proxy settings are read from (HTTPS_PROXY, NO_PROXY, ...); default process.env. */
  env?: ProxyEnvironment
  /** Who to act as (--as and the kubeconfig's as-* fields); replaces client-node's Impersonate-User. */
  impersonation?: Impersonation
  /** Where -v logs go; nothing is logged when absent. */
  log?: (line: string) => void
  /** --request-timeout in milliseconds; 0 means no timeout. */
  timeoutMs?: number
  /** -v level: 6 logs each request and status, 8 adds response bodies (truncated). */
  verbosity?: number
}

const USER_AGENT = `svc/${process.env.npm_package_version ?? '0'} (${process.platform}/${process.arch}) node/${process.versions.node}`

export class KubeClient {
  readonly kubeConfig: KubeConfig
  private readonly options: ClientOptions
  private secureContext: {key: string; context: tls.SecureContext} | undefined
  private proxyAgentCache: {agent: http.Agent; key: string} | undefined
  private keepAliveAgents: {'http:'?: http.Agent; 'https:'?: http.Agent} = {}
  private serverCache: {base: string; tls: boolean; url: string; written: string} | undefined
  private plainAgent: http.Agent | undefined
  private readonly pluginError: ReturnType<typeof runPluginsAsKubectl>

  constructor(kubeConfig: KubeConfig, options: ClientOptions = {}) {
    this.kubeConfig = kubeConfig
    this.options = options
    this.pluginError = runPluginsAsKubectl(kubeConfig)
    // Only when there is a name: Node's isIP('') runs its IPv6 pattern, whose first use costs about 3 ms of a start.
    const serverName = kubeConfig.getCurrentCluster()?.tlsServerName
    if (serverName && isIP(serverName)) quietIpServerName()
  }

  /** The API server's base URL, from the current cluster, as kubectl reads it (server-url.ts: `host:port` is http://). */
  get server(): string {
    return this.serverRead().url
  }

  /** Whether requests use TLS and carry the user's credentials: only to an https:// server, as kubectl (rest.IsConfigTransportTLS). */
  get secure(): boolean {
    return this.serverRead().tls
  }

  private serverRead(): {base: string; tls: boolean; url: string; written: string} {
    const written = this.kubeConfig.getCurrentCluster()?.server ?? ''
    if (this.serverCache?.written !== written) {
      const url = defaultServerUrl(written)
      this.serverCache = {base: url.replace(/[?#].*$/s, '').replace(/\/+$/, ''), tls: isTransportTls(url), url, written}
    }
    return this.serverCache
  }

  /** host:port of the server, the way kubectl names it in connection errors. */
  get serverHost(): string {
    try {
      const url = new URL(this.server)
      return url.port ? url.host : `${url.hostname}:${url.protocol === 'http:' ? 80 : 443}`
    } catch {
      return this.kubeConfig.getCurrentCluster()?.server ?? ''
    }
  }

  /** The server's host as written (no port added, case kept): kubectl names it so when the connection is refused (cmdutil.StandardErrorMessage). */
  get serverName(): string {
    return serverAuthority(this.server)
  }

  /**
   * Builds a full URL from an API path and query. The server URL's own query and fragment are left
   * out, as client-go's Request.URL takes only the base's scheme, host and path.
   */
  url(path: string, query?: RequestOptions['query']): URL {
    const url = new URL(this.serverRead().base + path)
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value === undefined || value === '') continue
      if (Array.isArray(value)) for (const v of value) url.searchParams.append(key, v)
      else url.searchParams.set(key, String(value))
    }
    return url
  }

  /**
   * connectionOptions() for a connection that is upgraded and never pooled (a port-forward
   * WebSocket), with the TLS context (CA, client certificate and key) built once and reused while
   * they stay the same: building it costs about 0.4 ms of CPU per connection otherwise. Rotated
   * credentials (exec plugins) give a new context. Not for pooled requests: an agent tells its
   * sockets apart by these fields, which a shared context hides.
   */
  async upgradeConnectionOptions(headers: Record<string, string> = {}): Promise<https.RequestOptions & {secureContext?: tls.SecureContext}> {
    const options: https.RequestOptions & {secureContext?: tls.SecureContext} = await this.connectionOptions(headers)
    if (options.secureContext || !(options.ca || options.cert || options.key || options.pfx)) return options
    const hash = createHash('sha256')
    for (const field of [options.ca, options.cert, options.key, options.pfx, options.passphrase]) hash.update(`${JSON.stringify(field ?? null)}\0`)
    const key = hash.digest('hex')
    if (this.secureContext?.key !== key) {
      const {ca, cert, key: privateKey, passphrase, pfx} = options
      this.secureContext = {context: tls.createSecureContext({ca, cert, key: privateKey, passphrase, pfx}), key}
    }
    const {ca: _ca, cert: _cert, key: _key, passphrase: _passphrase, pfx: _pfx, ...rest} = options
    return {...rest, secureContext: this.secureContext.context}
  }

  /** Request options with TLS, credentials and proxy agent applied, for https.request or ws. */
  async connectionOptions(headers: Record<string, string> = {}): Promise<https.RequestOptions> {
    const options: https.RequestOptions = {headers: {'User-Agent': USER_AGENT, ...headers}}
    const server = new URL(this.server)
    if (server.protocol !== 'http:' && server.protocol !== 'https:') throw new ConnectionError(this.serverHost, 'EINVAL', `unsupported protocol scheme ${JSON.stringify(server.protocol.slice(0, -1))}`)
    // Over plain HTTP kubectl sends no credentials (no token, certificate or exec plugin run) and
    // has no TLS settings: clientcmd DirectClientConfig.ClientConfig adds the user's and the
    // cluster's parts only when rest.IsConfigTransportTLS. Impersonation is sent all the same.
    // Requests that are not pooled (with a body, upgrades) get a connection of their own, as over
    // HTTPS from client-node's agent.
    if (this.secure) {
      const problem = authProviderProblem(this.kubeConfig.getCurrentUser() ?? undefined)
      if (problem) throw new CliError(problem)
      const token = bearerToken(this.kubeConfig.getCurrentUser() ?? undefined)
      try {
        await this.kubeConfig.applyToHTTPSOptions(options)
      } catch (error) {
        throw this.pluginError(error, this.serverName) ?? error
      }
      if (token !== undefined) {
        // Go's net/http refuses a header value with a control character (a token file of only a newline)
        // eslint-disable-next-line no-control-regex
        if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(token)) throw new ConnectionError(this.serverName, 'EINVAL', 'net/http: invalid header field value for "Authorization"')
        ;(options.headers as Record<string, string>).Authorization = `Bearer ${token}`
      }
    } else {
      options.agent = this.plainAgent ??= new http.Agent({keepAlive: false})
    }
    // The server's name is checked as Go checks it: no Common Name fallback (identity.ts). Every
    // agent carries the check in its own options too (client-node's here, svc's where they are
    // made): Node gives a request whose check its agent lacks a connection of its own, never kept
    // alive and never resuming a TLS session (https.request, kPerRequestCheckServerIdentity).
    options.checkServerIdentity = serverIdentity
    if (options.agent instanceof https.Agent) options.agent.options.checkServerIdentity = serverIdentity
    // Proxies are chosen as client-go does (src/kube/proxy.ts); client-node's own proxy-url agents are not used.
    const proxyUrl = this.kubeConfig.getCurrentCluster()?.proxyUrl
    const proxy = proxyFor(server, proxyUrl, this.options.env ?? process.env)
    if (proxyUrl && !proxy) throw new CliError(`the kubeconfig cluster's proxy-url ${JSON.stringify(proxyUrl)} is not a URL: use http://, https:// or socks5://HOST:PORT`)
    if (proxy) options.agent = this.proxyAgent(proxy, server.protocol === 'https:')
    if (this.options.impersonation) {
      const headers = options.headers as Record<string, string | string[]>
      delete headers['Impersonate-User']
      Object.assign(headers, impersonationHeaders(this.options.impersonation))
    }
    return options
  }

  /** Whether options from connectionOptions() connect through a proxy (HTTPS_PROXY and the like, or the kubeconfig's proxy-url). */
  viaProxy(options: {agent?: unknown}): boolean {
    return options.agent !== undefined && options.agent === this.proxyAgentCache?.agent
  }

  /** One keep-alive agent per proxy, reused by every request and upgrade of this client. */
  private proxyAgent(proxy: URL, secure: boolean): http.Agent {
    const key = `${secure}:${proxy.href}`
    if (this.proxyAgentCache?.key !== key) {
      this.proxyAgentCache?.agent.destroy()
      this.proxyAgentCache = {agent: proxyAgent(proxy, secure, this.options.handshakeTimeoutMs ?? 10_000), key}
    }
    return this.proxyAgentCache.agent
  }

  /**
   * The agent for requests that can be sent again (GET, HEAD): one per protocol, which keeps a
   * connection open for the command's next request, as kubectl's client does. The agent that
   * client-node's applyToHTTPSOptions gives closes each connection after one request, so
   * `describe`, which sends six, made six TCP connections and TLS handshakes. The TLS settings stay
   * on each request (applyToHTTPSOptions puts them there too) and the agent pools connections by
   * them. An idle pooled connection does not keep the process running (Node unrefs it). Upgrades
   * and requests with a body keep a connection of their own.
   */
  private keepAliveAgent(protocol: string): http.Agent {
    const kind = protocol === 'http:' ? 'http:' : 'https:'
    this.keepAliveAgents[kind] ??= kind === 'http:' ? new http.Agent(POOL) : new https.Agent(POOL)
    return this.keepAliveAgents[kind]
  }

  /** Sends one request and parses a JSON answer. Non-2xx answers throw ApiError with the server's Status. */
  async request<T = unknown>(req: RequestOptions): Promise<Response<T>> {
    const raw = await this.requestRaw(req)
    const text = raw.body.toString('utf8')
    let body: unknown = text
    if ((raw.headers['content-type'] ?? '').includes('json') || /^\s*[{[]/.test(text)) {
      try {
        body = text === '' ? undefined : JSON.parse(text)
      } catch {
        body = text
      }
    }
    return {body: body as T, headers: raw.headers, statusCode: raw.statusCode}
  }

  /** Sends one request and returns the body as bytes. */
  async requestRaw(req: RequestOptions): Promise<Response<Buffer>> {
    const res = await this.open(req)
    const chunks: Buffer[] = []
    for await (const chunk of res.stream) chunks.push(chunk as Buffer)
    res.done()
    const body = Buffer.concat(chunks)
    this.logBody(body)
    if (res.statusCode < 200 || res.statusCode > 299) {
      throw new ApiError(res.statusCode, statusFromBody(res.statusCode, body))
    }
    return {body, headers: res.headers, statusCode: res.statusCode}
  }

  /**
   * Opens a watch and yields its events until the server ends it or the signal aborts. An ERROR
   * event with a Status (for example 410 Expired) is thrown as ApiError.
   */
  async *watch<T = unknown>(path: string, query: RequestOptions['query'], signal?: AbortSignal): AsyncGenerator<WatchEvent<T>> {
    const res = await this.open({path, query: {...query, allowWatchBookmarks: true, watch: true}, signal, timeoutMs: 0})
    try {
      if (res.statusCode < 200 || res.statusCode > 299) {
        const chunks: Buffer[] = []
        for await (const chunk of res.stream) chunks.push(chunk as Buffer)
        throw new ApiError(res.statusCode, statusFromBody(res.statusCode, Buffer.concat(chunks)))
      }
      let pending = ''
      for await (const chunk of res.stream) {
        pending += (chunk as Buffer).toString('utf8')
        let newline: number
        while ((newline = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, newline).trim()
          pending = pending.slice(newline + 1)
          if (!line) continue
          const event = JSON.parse(line) as WatchEvent<T>
          if (event.type === 'ERROR') {
            const status = event.object as {code?: number} | undefined
            throw new ApiError(status?.code ?? 500, statusFromBody(status?.code ?? 500, status))
          }
          yield event
        }
        if (pending.length > 16 * 1024 * 1024) throw new Error('watch event larger than 16 MiB')
      }
    } finally {
      res.done()
    }
  }

  private async open(req: RequestOptions): Promise<{done: () => void; headers: http.IncomingHttpHeaders; statusCode: number; stream: http.IncomingMessage}> {
    const url = this.url(req.path, req.query)
    const method = req.method ?? 'GET'
    const {headers, payload} = requestBody(req)
    const options = await this.connectionOptions(headers)
    // A request without a body can be sent again, as Go's client resends one when the connection
    // it reused turns out to be closed: only those go through the pool.
    const replayable = (method === 'GET' || method === 'HEAD') && payload === undefined
    if (replayable && !this.viaProxy(options)) options.agent = this.keepAliveAgent(url.protocol)
    const timeoutMs = req.timeoutMs ?? this.options.timeoutMs ?? 0
    const started = Date.now()
    const transport = url.protocol === 'http:' ? http : https

    // The deadline also ends a tunnel still being made through a proxy (proxy.ts CONNECT_SIGNAL),
    // in kubectl's words for a request whose context ended while it waited for its connection.
    const deadline = new AbortController()
    const connectSignal = req.signal ? AbortSignal.any([deadline.signal, req.signal]) : deadline.signal

    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined
      let request: http.ClientRequest
      const send = (retry: boolean) => {
        let answered = false
        request = transport.request(url, Object.assign({...options, method, signal: req.signal}, {[CONNECT_SIGNAL]: connectSignal}), res => {
          answered = true
          this.log(6, `${method} ${url.href} ${res.statusCode} ${res.statusMessage ?? ''} in ${Date.now() - started} milliseconds`)
          if (req.timeoutMs === 0 && timer) clearTimeout(timer)
          resolve({
            done: () => {
              if (timer) clearTimeout(timer)
              res.destroy()
            },
            headers: res.headers,
            statusCode: res.statusCode ?? 0,
            stream: res,
          })
        })
        const sent = request
        limitConnection(sent, this.options.handshakeTimeoutMs ?? 10_000)
        sent.on('error', (error: NodeJS.ErrnoException) => {
          // The server closed a kept connection as this request went out on it: once more, on a new one.
          if (!retry && replayable && sent.reusedSocket && !answered && STALE_CONNECTION.has(error.code ?? '')) return send(true)
          if (timer) clearTimeout(timer)
          this.log(6, `${method} ${url.href} failed in ${Date.now() - started} milliseconds: ${error.code ?? error.message}`)
          if (error.name === 'AbortError') return reject(error)
          // Within what is left of --request-timeout: the diagnosis is not part of kubectl's request.
          const left = timeoutMs > 0 ? timeoutMs - (Date.now() - started) : undefined
          void this.explain(error, url, left).then(() => reject(toConnectionError(error, this.serverHost, url, this.serverName)))
        })
        sent.end(payload)
      }
      if (timeoutMs > 0) {
        timer = setTimeout(() => {
          deadline.abort(new ProxyError('context deadline exceeded'))
          request.destroy(Object.assign(new Error('timeout'), {code: 'TIMEOUT'}))
        }, timeoutMs)
      }
      send(false)
    })
  }

  /**
   * For a certificate Node's TLS refused (but for the name alone, whose words it has): reads Go's
   * words from the server's certificates (refusal.ts: a second handshake that sends nothing) and
   * keeps them with the error. Nothing for other errors. `withinMs` bounds the second handshake
   * (what is left of the request's deadline), the proxy's part included: one not done by then
   * leaves the code's words.
   */
  async explain(error: NodeJS.ErrnoException, url: URL, withinMs?: number): Promise<void> {
    if (!isCertificateRefusal(error.code) || error.code === 'ERR_TLS_CERT_ALTNAME_INVALID' || url.protocol !== 'https:') return
    if (withinMs !== undefined && withinMs <= 0) return
    const options = await this.connectionOptions().catch(() => undefined)
    if (!options) return
    const host = bareHostname(url)
    const port = Number(url.port) || 443
    const timeoutMs = Math.min(this.options.handshakeTimeoutMs ?? 10_000, withinMs ?? Infinity)
    // Through the proxy the request took, reached with the same TLS settings (an https:// proxy).
    const proxy = this.viaProxy(options) ? proxyFor(new URL(this.server), this.kubeConfig.getCurrentCluster()?.proxyUrl, this.options.env ?? process.env) : undefined
    const {ca, cert, key, passphrase, pfx, rejectUnauthorized, servername} = options
    const tunnel = proxy && ((signal: AbortSignal): Promise<Socket> => connectThroughProxy(proxy, host, port, {signal, timeoutMs, tls: {ca, cert, key, passphrase, pfx, rejectUnauthorized, servername}}))
    const words = await diagnoseRefusal({ca, host, name: servername || host, port, timeoutMs, tunnel})
    if (words) explainRefusal(error, words)
  }

  private log(level: number, line: string): void {
    if ((this.options.verbosity ?? 0) >= level) this.options.log?.(line)
  }

  private logBody(body: Buffer): void {
    if ((this.options.verbosity ?? 0) < 8) return
    const text = body.toString('utf8')
    this.options.log?.(`Response Body: ${text.length > 1024 ? `${text.slice(0, 1024)} [truncated ${text.length - 1024} chars]` : text}`)
  }
}

/**
 * The keep-alive agents' settings: a kept connection idle for 30 s is closed (client-go's transport
 * closes them after 90 s), so a long-running forwarder does not send a request on a connection that
 * a NAT or load balancer has dropped without a word meanwhile. A request's own wait is not affected.
 */
const POOL = {checkServerIdentity: serverIdentity, keepAlive: true, timeout: 30_000}

/** What a request on a kept connection that the server has just closed fails with. */
const STALE_CONNECTION = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED'])

/** Node's socket and TLS errors in the words Go's net/http would use, so messages read like kubectl's. */
export function toConnectionError(error: NodeJS.ErrnoException, hostPort: string, url: URL, serverName = hostPort): ConnectionError {
  const code = error.code ?? ''
  switch (code) {
    case 'ECONNREFUSED':
      return new ConnectionError(serverName, code, `dial tcp ${hostPort}: connect: connection refused`)
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ConnectionError(serverName, code, `dial tcp: lookup ${url.hostname}: no such host`)
    case 'ETIMEDOUT':
      return new ConnectionError(serverName, code, `dial tcp ${hostPort}: i/o timeout`)
    case 'ECONNRESET':
      return new ConnectionError(serverName, code, `read tcp ${hostPort}: connection reset by peer`)
    case 'EHOSTUNREACH':
      return new ConnectionError(serverName, code, `dial tcp ${hostPort}: connect: no route to host`)
    case 'TIMEOUT':
      return new ConnectionError(serverName, code, `${url.origin}${url.pathname}: net/http: request canceled (Client.Timeout exceeded while awaiting headers)`)
    case 'TLS_HANDSHAKE_TIMEOUT':
      return new ConnectionError(serverName, code, 'net/http: TLS handshake timeout')
    default:
      // A certificate refused: the name checked is the error's host (the cluster's tls-server-name when it has one).
      return new ConnectionError(serverName, code || 'UNKNOWN', certificateError(error, bareHostname(url)) ?? error.message)
  }
}

/** The headers a request starts with and its body: a Buffer or string as it is, anything else as JSON. */
function requestBody(req: RequestOptions): {headers: Record<string, string>; payload?: Buffer} {
  const headers: Record<string, string> = {Accept: req.accept ?? 'application/json'}
  if (req.body === undefined) return {headers}
  const payload = Buffer.isBuffer(req.body) ? req.body : Buffer.from(typeof req.body === 'string' ? req.body : JSON.stringify(req.body))
  headers['Content-Type'] = req.contentType ?? 'application/json'
  headers['Content-Length'] = String(payload.length)
  return {headers, payload}
}

/**
 * A new connection is given up as client-go's transport gives it up: the TCP connection after
 * DIAL_TIMEOUT_MS (its net.Dialer, `dial tcp HOST:PORT: i/o timeout`), then a TLS handshake after
 * `handshakeMs` counted from the connection (TLSHandshakeTimeout). A kept connection, or one a
 * proxy agent hands over already made, has neither.
 */
export function limitConnection(request: http.ClientRequest, handshakeMs: number): void {
  request.once('socket', (socket: Socket) => {
    if (request.reusedSocket) return
    const timers = new Set<NodeJS.Timeout>()
    const clear = (): void => {
      for (const timer of timers) clearTimeout(timer)
    }
    const fail = (message: string, code: string) => () => request.destroy(Object.assign(new Error(message), {code}))
    const handshake = (): void => {
      if ((socket as tls.TLSSocket).encrypted) timers.add(setTimeout(fail('TLS handshake timeout', 'TLS_HANDSHAKE_TIMEOUT'), handshakeMs))
    }
    if (socket.connecting) {
      const dial = setTimeout(fail('dial timeout', 'ETIMEDOUT'), DIAL_TIMEOUT_MS)
      timers.add(dial)
      socket.once('connect', () => {
        clearTimeout(dial)
        handshake()
      })
    } else {
      handshake()
    }
    socket.once('secureConnect', clear)
    if (!(socket as tls.TLSSocket).encrypted) socket.once('connect', clear)
    socket.once('close', clear)
    request.once('error', clear)
  })
}
