// One svc process forwarding many Services (`port-forward --all`) next to one forwarding one:
// the forwarder's peak RSS and the connect + 1-byte echo latency, round-robin over every forwarded
// Service. The Services all select the benchmark's echo pod, so the figure is svc's own cost per
// forward (listeners, trackers, watches), not the pods'.

import {type ChildProcess, spawn} from 'node:child_process'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {KubeConfig} from '@kubernetes/client-node'

import {KubeClient} from '../../src/kube/client.ts'
import {peakRss, stop} from './proc.ts'
import {quantile} from './stats.ts'
import {connectionLatency} from './workloads.ts'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const LABEL = 'bench=many'

/**
 * Creates `count` Services `many-00`... (label bench=many) in front of the pod labelled app=`pod`,
 * port 7000+i -> 7; resolves with a function that deletes them again.
 */
export async function createManyServices(kubeconfig: string, count: number, pod = 'bench-echo'): Promise<() => Promise<void>> {
  const kc = new KubeConfig()
  kc.loadFromFile(kubeconfig)
  const client = new KubeClient(kc)
  const names = Array.from({length: count}, (_, i) => `many-${String(i).padStart(2, '0')}`)
  for (const [i, name] of names.entries()) {
    const body = {
      apiVersion: 'v1', kind: 'Service',
      metadata: {labels: {bench: 'many'}, name},
      spec: {ports: [{name: 'echo', port: 7000 + i, targetPort: 7}], selector: {app: pod}},
    }
    await client.request({body, method: 'POST', path: '/api/v1/namespaces/default/services'})
  }
  return async () => {
    for (const name of names) await client.request({method: 'DELETE', path: `/api/v1/namespaces/default/services/${name}`})
  }
}

export interface ManyFigures {
  /** The forwarder's peak RSS after the run, MiB. */
  peakRssMiB: number
  p50: number
  p99: number
  /** Start to the ready event, ms. */
  readyMs: number
}

/** svc forwarding every Service labelled bench=many (`all`) or just many-00; `connections` sequential connects. */
export async function measureMany(kubeconfig: string, mode: 'all' | 'one', connections: number): Promise<ManyFigures> {
  const args = mode === 'all' ? ['--all', '-l', LABEL] : ['svc/many-00', ':7000']
  const started = performance.now()
  const {child, ready} = await startUntilReady(['port-forward', ...args, '--address', '127.0.0.1', '-o', 'json'], {...process.env, KUBECONFIG: kubeconfig, NO_COLOR: '1'})
  const readyMs = performance.now() - started
  try {
    const ports = (ready.targets ?? [ready]).map(t => t.ports?.[0]?.localPort ?? 0)
    // One round over every port first: each forward's first connection is part of the cost too, but a warm-up keeps the samples comparable.
    await connectionLatency(ports, ports.length)
    const samples = await connectionLatency(ports, connections)
    return {p50: quantile(samples, 0.5), p99: quantile(samples, 0.99), peakRssMiB: peakRss(child.pid!) / 2 ** 20, readyMs}
  } finally {
    await stop(child)
  }
}

/** The ready event's fields read here: one target's ports, or every target's. */
interface ReadyEvent {
  ports?: Array<{localPort: number}>
  targets?: Array<{ports?: Array<{localPort: number}>}>
}

/** Starts svc and resolves with its ready event (-o json). */
function startUntilReady(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<{child: ChildProcess; ready: ReadyEvent}> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'run.js'), ...args], {env, stdio: ['ignore', 'pipe', 'pipe']})
    let out = ''
    let err = ''
    const timer = setTimeout(() => fail(new Error(`timed out waiting for the ready event; stderr: ${err.slice(0, 500)}`)), timeoutMs)
    function fail(error: Error) {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(error)
    }
    child.on('exit', code => fail(new Error(`svc exited with ${code} before ready: ${err.slice(0, 500)}`)))
    child.stderr!.setEncoding('utf8').on('data', d => {
      if (err.length < 65_536) err += d
    })
    child.stdout!.setEncoding('utf8').on('data', d => {
      out += d
      const line = out.split('\n').find(l => l.includes('"event":"ready"'))
      if (!line) return
      clearTimeout(timer)
      child.removeAllListeners('exit')
      child.stdout!.removeAllListeners('data').resume()
      resolve({child, ready: JSON.parse(line) as ReadyEvent})
    })
  })
}
