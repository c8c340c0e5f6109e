// End-to-end helpers for `svc port-forward`: a local cluster that runs pods and serves
// pods/NAME/portforward, the built svc started as a long-running subprocess whose stdout/stderr
// lines can be awaited, and a few object builders.

import {type ChildProcessWithoutNullStreams, spawn} from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'

import {KubeConfig} from '@kubernetes/client-node'

import {KubeClient} from '../../src/kube/client.ts'
import type {Container, Pod, Service, Workload} from '../../src/kube/types.ts'
import {type KubeUser, type LocalCluster, startCluster} from '../cluster/index.ts'
import {until} from './poll.ts'
import {BIN, ROOT} from './run-svc.ts'

export interface PfCluster {
  cluster: LocalCluster
  /** An admin client for arranging objects. */
  client: KubeClient
  /** A kubeconfig file for svc (`token` user unless asked otherwise). */
  kubeconfig(user?: KubeUser): string
  stop(): Promise<void>
}

/**
 * Starts the local cluster (with its pod simulation). pods/NAME/portforward is served by the
 * cluster's own built-in route, the same one kubectl uses (test/cluster/portforward.ts).
 */
export async function startPfCluster(): Promise<PfCluster> {
  const cluster = await startCluster()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svc-pf-'))
  const files: Record<string, string> = {}
  const kubeconfig = (user: KubeUser = 'token') => {
    files[user] ??= path.join(dir, `kubeconfig-${user}`)
    cluster.writeKubeconfig(files[user], user)
    return files[user]
  }
  const kc = new KubeConfig()
  kc.loadFromString(cluster.kubeconfig('token'))
  return {
    client: new KubeClient(kc, {timeoutMs: 10_000}),
    cluster,
    kubeconfig,
    async stop() {
      await cluster.stop()
      fs.rmSync(dir, {force: true, recursive: true})
    },
  }
}

// ---- objects -----------------------------------------------------------------------------------

export interface PodSpecOptions {
  annotations?: Record<string, string>
  labels?: Record<string, string>
  ports?: Array<{containerPort: number; name?: string; protocol?: string}>
}

/** A pod as the tests create it: one nginx container. */
export type PodManifest = Pod & {spec: {containers: Array<Container & {image: string}>}}

export function podObject(name: string, options: PodSpecOptions = {}): PodManifest {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {annotations: options.annotations ?? {}, labels: options.labels ?? {}, name},
    spec: {containers: [{image: 'nginx', name: 'main', ports: options.ports ?? [{containerPort: 80}]}]},
  }
}

export async function createPod(client: KubeClient, name: string, options: PodSpecOptions = {}, namespace = 'default'): Promise<Pod> {
  return (await client.request<Pod>({body: podObject(name, options), method: 'POST', path: `/api/v1/namespaces/${namespace}/pods`})).body
}

export async function createService(client: KubeClient, name: string, spec: Record<string, unknown>, namespace = 'default'): Promise<Service> {
  const body = {apiVersion: 'v1', kind: 'Service', metadata: {name}, spec}
  return (await client.request<Service>({body, method: 'POST', path: `/api/v1/namespaces/${namespace}/services`})).body
}

export async function createDeployment(client: KubeClient, name: string, replicas: number, pod: PodSpecOptions, namespace = 'default'): Promise<Workload> {
  const labels = pod.labels ?? {app: name}
  const body = {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: {name},
    spec: {replicas, selector: {matchLabels: labels}, template: {metadata: {annotations: pod.annotations ?? {}, labels}, spec: podObject('x', pod).spec}},
  }
  return (await client.request<Workload>({body, method: 'POST', path: `/apis/apps/v1/namespaces/${namespace}/deployments`})).body
}

export async function deletePod(client: KubeClient, name: string, namespace = 'default'): Promise<void> {
  await client.request({method: 'DELETE', path: `/api/v1/namespaces/${namespace}/pods/${name}`, query: {gracePeriodSeconds: 0}})
}

export async function patchPod(client: KubeClient, name: string, patch: unknown, namespace = 'default'): Promise<void> {
  await client.request({body: patch, contentType: 'application/merge-patch+json', method: 'PATCH', path: `/api/v1/namespaces/${namespace}/pods/${name}`})
}

export async function listPods(client: KubeClient, selector: string, namespace = 'default'): Promise<Pod[]> {
  return (await client.request<{items: Pod[]}>({path: `/api/v1/namespaces/${namespace}/pods`, query: {labelSelector: selector}})).body.items
}

/**
 * Resolves with the pod once it is Running; fails naming it after `timeoutMs`. On the real-cluster
 * tier a Running pod's ports can be forwarded at once: kwok's start stage waits for the pod
 * agent's PortForward (test/real-cluster/kwok-config.ts).
 */
export async function podRunning(client: KubeClient, name: string, namespace = 'default', timeoutMs?: number): Promise<Pod> {
  return podIn(client, name, namespace, 'Running', pod => pod.status?.phase === 'Running', timeoutMs)
}

/** The same as podRunning for the pod's Ready condition. */
export async function podReady(client: KubeClient, name: string, namespace = 'default', timeoutMs?: number): Promise<Pod> {
  return podIn(client, name, namespace, 'Ready', pod => pod.status?.conditions?.some(c => c.type === 'Ready' && c.status === 'True') ?? false, timeoutMs)
}

async function podIn(client: KubeClient, name: string, namespace: string, state: string, reached: (pod: Pod) => boolean, timeoutMs?: number): Promise<Pod> {
  const path = `/api/v1/namespaces/${namespace}/pods/${name}`
  return until(async () => {
    const pod = (await client.request<Pod>({path})).body
    return reached(pod) && pod
  }, `pod ${namespace}/${name} ${state}`, timeoutMs)
}

/** The tests' one polling helper, re-exported for the port-forward tests that import it from here. */
export {until}

// ---- the svc process ---------------------------------------------------------------------------

export interface SvcProcess {
  child: ChildProcessWithoutNullStreams
  /** Everything written so far. */
  readonly stdout: string
  readonly stderr: string
  /** Resolves with the first stdout line matching, waiting for it (bounded). */
  line(pattern: RegExp, stream?: 'stderr' | 'stdout', timeoutMs?: number): Promise<RegExpMatchArray>
  /** Parsed JSON events so far (for -o json). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a line of any event kind (portforward/output.ts); each test reads the fields of the event it picked
  events(): any[]
  /** Resolves with the exit code and signal. */
  readonly exited: Promise<{code: number | null; signal: NodeJS.Signals | null}>
  kill(signal?: NodeJS.Signals): void
}

export interface StartSvcOptions {
  /** Options for node itself, before bin/run.js (e.g. --import PRELOAD). */
  nodeArgs?: string[]
  /** SIGKILL after this long, so that a hang fails the test (default 120 s). */
  hardStopMs?: number
}

export function startSvc(args: string[], env: Record<string, string | undefined> = {}, options: StartSvcOptions = {}): SvcProcess {
  return startCommand(process.execPath, [...(options.nodeArgs ?? []), BIN, ...args], env, options)
}

/** Like startSvc, for another program (e.g. the real kubectl beside svc). */
export function startCommand(file: string, args: string[], env: Record<string, string | undefined> = {}, options: StartSvcOptions = {}): SvcProcess {
  const fullEnv: Record<string, string | undefined> = {
    HOME: path.join(ROOT, '.cache', 'empty-home'), KUBECONFIG: undefined, LANG: 'C', PATH: process.env.PATH, ...env,
  }
  for (const key of Object.keys(fullEnv)) if (fullEnv[key] === undefined) delete fullEnv[key]
  const child = spawn(file, args, {env: fullEnv as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  const waiters: Array<() => void> = []
  const wake = () => {
    for (const w of waiters.splice(0)) w()
  }
  child.stdout.setEncoding('utf8').on('data', d => {
    stdout += d
    wake()
  })
  child.stderr.setEncoding('utf8').on('data', d => {
    stderr += d
    wake()
  })
  const exited = new Promise<{code: number | null; signal: NodeJS.Signals | null}>(resolve => child.on('close', (code, signal) => {
    wake()
    resolve({code, signal})
  }))
  let done = false
  void exited.then(() => (done = true))
  const hardStop = setTimeout(() => child.kill('SIGKILL'), options.hardStopMs ?? 120_000)
  void exited.then(() => clearTimeout(hardStop))
  return {
    child,
    events: () => stdout.split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l)),
    exited,
    kill: signal => {
      if (!done) child.kill(signal)
    },
    async line(pattern, stream = 'stdout', timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs
      while (true) {
        const text = stream === 'stdout' ? stdout : stderr
        const match = text.split('\n').map(l => pattern.exec(l)).find(Boolean)
        if (match) return match
        if (done) throw new Error(`${file === process.execPath ? 'svc' : path.basename(file)} exited without printing ${pattern} on ${stream}\nstdout: ${stdout}\nstderr: ${stderr}`)
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern} on ${stream}\nstdout: ${stdout}\nstderr: ${stderr}`)
        await new Promise<void>(resolve => {
          const timer = setTimeout(resolve, 250)
          waiters.push(() => {
            clearTimeout(timer)
            resolve()
          })
        })
      }
    },
    get stderr() {
      return stderr
    },
    get stdout() {
      return stdout
    },
  }
}

// ---- local clients -----------------------------------------------------------------------------

/** Connects, sends `payload` (then half-closes), and reads until the forwarder closes. */
export async function exchange(port: number, payload: string | Buffer, host = '127.0.0.1'): Promise<Buffer> {
  const socket = net.connect({allowHalfOpen: true, host, port})
  socket.on('error', () => {})
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  socket.end(payload)
  return readAll(socket)
}

/**
 * Sends `payload` and reads until as many bytes came back, then resets the connection (an echo pod
 * never ends its side first, and v4 cannot tell it that we ended ours).
 */
export async function echo(port: number, payload: string | Buffer, host = '127.0.0.1'): Promise<Buffer> {
  const expected = Buffer.byteLength(payload)
  const socket = net.connect({allowHalfOpen: true, host, port})
  socket.on('error', () => {})
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  socket.write(payload)
  // Not for-await: leaving the loop early would end the socket gracefully (FIN) before the reset.
  return new Promise<Buffer>(resolve => {
    const chunks: Buffer[] = []
    let received = 0
    const done = () => {
      socket.resetAndDestroy()
      resolve(Buffer.concat(chunks))
    }
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk)
      received += chunk.length
      if (received >= expected) done()
    })
    socket.once('end', done)
    socket.once('close', done)
  })
}

export async function readAll(socket: net.Socket): Promise<Buffer> {
  const chunks: Buffer[] = []
  try {
    for await (const chunk of socket) chunks.push(chunk as Buffer)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET') throw error
  }
  return Buffer.concat(chunks)
}

/** One HTTP/1.0 GET through the forward; returns the body. */
export async function httpGet(port: number, urlPath: string, host = '127.0.0.1'): Promise<string> {
  const response = (await exchange(port, `GET ${urlPath} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, host)).toString()
  const split = response.indexOf('\r\n\r\n')
  return split < 0 ? response : response.slice(split + 4)
}
