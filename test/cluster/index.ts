/**
 * The local Kubernetes API server used by the tests: startCluster() and the LocalCluster contract
 * (see docs/cluster-core.md).
 */
import {writeFileSync} from 'node:fs'
import type {IncomingMessage} from 'node:http'
import type {Socket} from 'node:net'
import type {Duplex} from 'node:stream'
import yaml from 'js-yaml'
import {createCredentials} from './auth.ts'
import {bootstrap, NODE_NAME} from './bootstrap.ts'
import {createPKI} from './certs.ts'
import {Latency} from './latency.ts'
import {serviceSemantics} from './resources/services.ts'
import {portForwardHandler} from './portforward.ts'
import {ApiServer, type UpgradeHandler} from './server.ts'
import {startSimulation, type Simulation} from './sim/index.ts'
import {Store} from './store.ts'

export interface StartOptions {
  /** default: a free port */
  port?: number
  /** interval of BOOKMARK events on watches that allow them (default 10 s) */
  bookmarkIntervalMs?: number
  /** events kept for watch replay; older resourceVersions get 410 Expired (default 2000) */
  watchHistory?: number
  /** run the controllers and simulated containers of test/cluster/sim (default true) */
  simulate?: boolean
}

/** Users of the kubeconfig (test/cluster/auth.ts says what each may do). */
export type KubeUser = 'token' | 'cert' | 'readonly' | 'create-only' | 'get-only'

export interface LocalCluster {
  readonly url: string
  readonly port: number
  kubeconfig(user?: KubeUser): string
  writeKubeconfig(file: string, user?: KubeUser): void
  stop(): Promise<void>
  restart(): Promise<void>
  dropConnections(): void
  setLatency(ms: number): void
  onPortForward(handler: PortForwardHandler): void
  dialPod(namespace: string, name: string, port: number): Promise<Socket>
  getObject(resource: string, namespace: string, name: string): any | undefined
}

export type PortForwardHandler = (ctx: {req: IncomingMessage; socket: Duplex; head: Buffer; namespace: string; pod: string; user: string; cluster: LocalCluster}) => void

/** Resolves a pod's simulated container port to a loopback address; registered by the simulation (cluster-sim). */
export type PodDialer = (namespace: string, name: string, port: number) => Promise<Socket>

/** Cluster internals for server-side helpers in this directory (simulation, port-forward, tables). */
export interface ClusterInternals {
  store: Store
  latency: Latency
  /** the running simulation (undefined with `simulate: false`) */
  simulation: Simulation | undefined
  setPodDialer(dialer: PodDialer): void
}

const INTERNALS = new WeakMap<LocalCluster, ClusterInternals>()

/** The internals of a started cluster (store, latency), for code under test/cluster. */
export function internals(cluster: LocalCluster): ClusterInternals {
  const i = INTERNALS.get(cluster)
  if (!i) throw new Error('not a LocalCluster started by startCluster()')
  return i
}

function listen(server: ApiServer['server'], port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err)
    server.once('error', onError)
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError)
      const address = server.address()
      resolve(typeof address === 'object' && address ? address.port : port)
    })
  })
}

function refused(namespace: string, name: string, port: number): Error {
  const err: NodeJS.ErrnoException = new Error(`connect ECONNREFUSED: pod ${namespace}/${name} port ${port}`)
  err.code = 'ECONNREFUSED'
  return err
}

export async function startCluster(options: StartOptions = {}): Promise<LocalCluster> {
  const store = new Store({historyLimit: options.watchHistory})
  const pki = createPKI()
  const creds = createCredentials()
  const latency = new Latency()
  const allocators = serviceSemantics.createAllocators()
  const handlers: UpgradeHandler[] = []
  // The first handler registered with onPortForward wins; without one, the built-in route serves
  // kubectl (SPDY, WebSocket tunnel) and svc (v4 WebSocket).
  const builtinPortForward = portForwardHandler({
    dialPod: (ns, name, p) => cluster.dialPod(ns, name, p),
    getObject: (resource, ns, name) => store.get(resource, ns, name),
    kubeletNode: NODE_NAME,
    get latencyMs() {
      return latency.ms
    },
  })
  const routes: UpgradeHandler[] = [(ctx) => (handlers[0] ?? ((c) => builtinPortForward(c)))(ctx)]
  let podDialer: PodDialer | undefined
  bootstrap(store, allocators)
  // The API server collects garbage itself (it honours propagationPolicy Orphan), so the simulation's is off.
  const simulation = options.simulate === false ? undefined : startSimulation(store, {garbageCollector: false})
  if (simulation) podDialer = (ns, name, p) => simulation.dialPod(ns, name, p)
  let api = new ApiServer({store, pki, creds, latency, allocators, bookmarkIntervalMs: options.bookmarkIntervalMs ?? 10_000, portForwardHandlers: routes})
  const port = await listen(api.server, options.port ?? 0)
  const url = `https://127.0.0.1:${port}`
  let running = true

  const closeServer = async (): Promise<void> => {
    if (!running) return
    running = false
    const closed = new Promise<void>((resolve) => api.server.close(() => resolve()))
    api.dropConnections()
    api.server.closeAllConnections()
    await closed
  }

  const cluster: LocalCluster = {
    url,
    port,
    kubeconfig(user: KubeUser = 'token'): string {
      const context = user === 'token' ? 'local' : `local-${user}`
      const doc = {
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{name: 'local', cluster: {server: url, 'certificate-authority-data': Buffer.from(pki.ca.certPem).toString('base64')}}],
        users: [
          {name: 'token', user: {token: creds.token}},
          {name: 'cert', user: {'client-certificate-data': Buffer.from(pki.admin.certPem).toString('base64'), 'client-key-data': Buffer.from(pki.admin.keyPem).toString('base64')}},
          {name: 'readonly', user: {token: creds.readonlyToken}},
          {name: 'create-only', user: {token: creds.createOnlyToken}},
          {name: 'get-only', user: {token: creds.getOnlyToken}},
        ],
        contexts: [
          {name: 'local', context: {cluster: 'local', user: 'token', namespace: 'default'}},
          {name: 'local-cert', context: {cluster: 'local', user: 'cert', namespace: 'default'}},
          {name: 'local-readonly', context: {cluster: 'local', user: 'readonly', namespace: 'default'}},
          {name: 'local-create-only', context: {cluster: 'local', user: 'create-only', namespace: 'default'}},
          {name: 'local-get-only', context: {cluster: 'local', user: 'get-only', namespace: 'default'}},
        ],
        'current-context': context,
        preferences: {},
      }
      return yaml.dump(doc, {lineWidth: -1, noRefs: true})
    },
    writeKubeconfig(file: string, user?: KubeUser): void {
      writeFileSync(file, cluster.kubeconfig(user), {mode: 0o600})
    },
    async stop(): Promise<void> {
      await closeServer()
      await simulation?.stop()
    },
    async restart(): Promise<void> {
      await closeServer()
      api = new ApiServer({store, pki, creds, latency, allocators, bookmarkIntervalMs: options.bookmarkIntervalMs ?? 10_000, portForwardHandlers: routes})
      await listen(api.server, port)
      running = true
    },
    dropConnections(): void {
      api.dropConnections()
    },
    setLatency(ms: number): void {
      latency.set(ms)
    },
    onPortForward(handler: PortForwardHandler): void {
      handlers.push((ctx) => handler({...ctx, cluster}))
    },
    async dialPod(namespace: string, name: string, port: number): Promise<Socket> {
      if (podDialer) return podDialer(namespace, name, port)
      // Without the simulation there is no container behind any port: every port refuses.
      throw refused(namespace, name, port)
    },
    getObject(resource: string, namespace: string, name: string): any | undefined {
      return store.get(resource, namespace, name)
    },
  }
  INTERNALS.set(cluster, {store, latency, simulation, setPodDialer: (d) => {
    podDialer = d
  }})
  return cluster
}
