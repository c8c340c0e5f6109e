// Starting a forwarder process, waiting until it listens, reading its peak memory, stopping it.

import {type ChildProcess, fork, spawn} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

export interface Started {
  child: ChildProcess
  localPort: number
  /** Peak resident set size so far, in bytes (VmHWM), or NaN when it cannot be read. */
  peakRss(): number
  stop(): Promise<void>
}

/** Spawns a forwarder and resolves once a line on stdout names the local port it listens on. */
export function startForwarder(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<Started> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {env, stdio: ['ignore', 'pipe', 'pipe']})
    let out = ''
    let err = ''
    const timer = setTimeout(() => fail(new Error(`timed out waiting for ${command} to listen; stdout: ${out.slice(0, 500)} stderr: ${err.slice(0, 500)}`)), timeoutMs)
    function fail(error: Error) {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(error)
    }
    child.on('error', fail)
    child.on('exit', code => fail(new Error(`${command} exited with ${code} before listening: ${err.slice(0, 500)}`)))
    child.stderr!.setEncoding('utf8').on('data', d => {
      if (err.length < 65_536) err += d
    })
    child.stdout!.setEncoding('utf8').on('data', d => {
      if (out.length < 65_536) out += d
      const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out) ?? /"address":"127\.0\.0\.1","localPort":(\d+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        child.removeAllListeners('exit')
        // Keep draining stdout so the forwarder never blocks on a full pipe.
        child.stdout!.removeAllListeners('data').resume()
        resolve({
          child,
          localPort: Number(m[1]),
          peakRss: () => peakRss(child.pid!),
          stop: () => stop(child),
        })
      }
    })
  })
}

export function peakRss(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const m = /VmHWM:\s+(\d+) kB/.exec(status)
    return m ? Number(m[1]) * 1024 : Number.NaN
  } catch {
    return Number.NaN
  }
}

/** SIGTERM, then SIGKILL after 5 s; resolves once the process has exited. */
export function stop(child: ChildProcess): Promise<void> {
  return new Promise(resolve => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
    child.kill('SIGTERM')
  })
}

/** GNU time, which reports a finished process's peak resident set size (Node cannot read a child's). */
const GNU_TIME = ['/usr/bin/time', '/usr/local/bin/time'].find(f => existsSync(f))

export interface Timed {
  code: number | null
  ms: number
  /** Peak resident set size in bytes, or NaN when GNU time is not installed. */
  peakRss: number
  stdout: string
}

/**
 * Runs a command to completion and returns its wall time in milliseconds, exit code and peak RSS.
 * The peak RSS comes from GNU time (`-f %M`), which runs the command as its child; the wall time
 * then includes time's own fork and exec, the same small cost for every command compared.
 */
export async function timeCommand(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Timed> {
  const dir = GNU_TIME ? mkdtempSync(path.join(os.tmpdir(), 'svc-bench-time-')) : undefined
  const rssFile = dir ? path.join(dir, 'rss') : undefined
  try {
    const run = await new Promise<Omit<Timed, 'peakRss'>>((resolve, reject) => {
      const started = process.hrtime.bigint()
      const [file, argv] = GNU_TIME ? [GNU_TIME, ['-f', '%M', '-o', rssFile!, '--', command, ...args]] : [command, args]
      const child = spawn(file, argv, {env, stdio: ['ignore', 'pipe', 'pipe']})
      let stdout = ''
      child.stdout.setEncoding('utf8').on('data', d => (stdout += d))
      child.stderr.resume()
      child.on('error', reject)
      child.on('exit', code => resolve({code, ms: Number(process.hrtime.bigint() - started) / 1e6, stdout}))
    })
    const kib = rssFile ? Number(/(\d+)\s*$/.exec(readFileSync(rssFile, 'utf8'))?.[1]) : Number.NaN
    return {...run, peakRss: kib * 1024}
  } finally {
    if (dir) rmSync(dir, {force: true, recursive: true})
  }
}

/** What bench/cluster-child.ts reports once its cluster is ready. */
export interface ClusterReady {
  /** The pods' own loopback ports, by pod name. */
  direct: Record<string, number>
  kubeconfig: string
  server: string
  /** The V8 flags the cluster's process runs under. */
  v8Flags: string[]
}

/** The cluster (local or the real control plane) in a process of its own (bench/cluster-child.ts): its kubeconfig, the pods' own ports and what serves the API. */
export async function startClusterChild(dir: string, kind: 'local' | 'real' = 'local'): Promise<ClusterReady & {child: ChildProcess}> {
  const child = fork(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'cluster-child.ts'), [path.join(dir, 'kubeconfig'), kind], {execPath: process.execPath, stdio: ['ignore', 'inherit', 'inherit', 'ipc']})
  return new Promise((resolve, reject) => {
    child.once('message', (m: ClusterReady) => resolve({child, ...m}))
    child.once('exit', code => reject(new Error(`the cluster process exited with ${code}`)))
  })
}
