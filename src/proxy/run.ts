// `svc proxy` from parsed flags to exit code: listen, then wait for a signal, or for `-- COMMAND`
// to end (its exit status becomes svc's). The command gets the proxy in its environment.

import {type SignalSource, startChild} from '../portforward/child.ts'
import type {ListWatchClient} from '../portforward/informer.ts'
import type {OutputMode, Sink} from '../portforward/output.ts'
import {isLoopback, joinHostPort, type ListenAddress} from '../portforward/ports.ts'
import type {ForwardFn} from '../portforward/session.ts'
import type {TransportControl} from '../portforward/transport-mode.ts'
import type {TunnelOpener, TunnelTarget} from '../portforward/types.ts'
import {Directory} from './directory.ts'
import {createProxyReporter} from './output.ts'
import {ProxyServer} from './server.ts'

export interface ProxyRequest {
  addresses: ListenAddress[]
  port: number
  client: ListWatchClient
  clusterDomain: string
  /** `-- COMMAND [ARGS...]`, when given. */
  command?: string[]
  env: NodeJS.ProcessEnv
  forward: ForwardFn
  halfCloseTimeoutMs?: number
  /** -v=6 lines (watch retries). */
  log?: (line: string) => void
  mode: OutputMode
  namespace: string
  openTunnel: TunnelOpener<TunnelTarget>
  passthrough: boolean
  signals: SignalSource
  sink: Sink
  statusLine: boolean
  transport: TransportControl
  verbosity: number
  watchBackoff?: {initialMs?: number; maxMs?: number}
}

/**
 * The proxy variables a command gets: HTTP_PROXY and HTTPS_PROXY (http://, which CONNECTs for
 * https), ALL_PROXY (socks5h://, names resolved by svc), each also in lower case (curl reads
 * http_proxy only in lower case), NO_PROXY with loopback added, and NODE_USE_ENV_PROXY=1 so that
 * Node's own fetch and http clients use them.
 */
export function proxyEnvironment(base: NodeJS.ProcessEnv, address: string, port: number): NodeJS.ProcessEnv {
  const host = joinHostPort(address === '0.0.0.0' ? '127.0.0.1' : address === '::' ? '::1' : address, port)
  const noProxy = [...new Set([...(base.NO_PROXY ?? base.no_proxy ?? '').split(',').map(s => s.trim()).filter(Boolean), 'localhost', '127.0.0.1', '::1'])].join(',')
  const env: NodeJS.ProcessEnv = {...base}
  for (const [name, value] of [['HTTP_PROXY', `http://${host}`], ['HTTPS_PROXY', `http://${host}`], ['ALL_PROXY', `socks5h://${host}`], ['NO_PROXY', noProxy]]) {
    env[name] = value
    env[name.toLowerCase()] = value
  }
  env.NODE_USE_ENV_PROXY = '1'
  return env
}

export async function runProxy(request: ProxyRequest): Promise<number> {
  const stop = new AbortController()
  let onSignal: (signal: NodeJS.Signals) => void = () => stop.abort()
  const unsubscribe = request.signals(request.command ? ['SIGINT', 'SIGTERM', 'SIGHUP'] : ['SIGINT', 'SIGTERM'], signal => onSignal(signal))
  const reporter = createProxyReporter({mode: request.mode, sink: request.sink, statusLine: request.statusLine, verbosity: request.verbosity})
  const directory = new Directory({
    backoff: request.watchBackoff,
    client: request.client,
    clusterDomain: request.clusterDomain,
    namespace: request.namespace,
    podGone: (namespace, pod) => {
      server.podGone(namespace, pod)
      request.transport.podGone?.(pod)
    },
    retry: (error, delayMs) => request.log?.(`watch failed, retrying in ${delayMs}ms: ${(error as Error).message}`),
    signal: stop.signal,
  })
  const server: ProxyServer = new ProxyServer({
    forward: request.forward,
    halfCloseTimeoutMs: request.halfCloseTimeoutMs,
    openTunnel: request.openTunnel,
    passthrough: request.passthrough,
    reporter,
    router: directory,
  })
  try {
    const bound = await server.listen(request.addresses, request.port)
    for (const b of bound) reporter.listening({address: b.address, localPort: b.port})
    for (const b of bound) {
      if (!isLoopback(b.address)) {
        reporter.warning(`Warning: ${joinHostPort(b.address, b.port)} accepts connections from other machines; anyone who can reach it reaches your cluster's Services through your credentials.`)
      }
    }
    reporter.ready({addresses: bound.map(b => joinHostPort(b.address, b.port)), clusterDomain: request.clusterDomain, namespace: request.namespace, transport: request.transport.name()})
    if (stop.signal.aborted) return 0
    if (!request.command) {
      await new Promise(resolve => stop.signal.addEventListener('abort', resolve, {once: true}))
      return 0
    }
    const child = startChild(request.command, {env: proxyEnvironment(request.env, bound[0].address, bound[0].port), stderr: line => request.sink.stderr(`${line}\n`)})
    onSignal = signal => child.passOn(signal)
    return await child.exited
  } finally {
    unsubscribe()
    stop.abort()
    await server.close()
    request.transport.close?.()
  }
}
