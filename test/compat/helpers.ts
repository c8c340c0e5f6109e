// Shared by the kubectl compatibility suite: a local cluster, a kubeconfig for it, and real
// kubectl 1.35 (fetched by scripts/fetch-kubectl.ts) run against it with an isolated HOME, so the
// discovery cache of one test never leaks into another.

import {spawn, type ChildProcess} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import net from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {ensureKubectl} from '../../scripts/fetch-kubectl.ts'
import {startCluster, type LocalCluster} from '../cluster/index.ts'

export interface KubectlResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Real kubectl 1.35 bound to one kubeconfig (of either cluster), with its own HOME. */
export interface KubectlRig {
  dir: string
  kubeconfig: string
  kubectlPath: string
  env(extra?: Record<string, string>): NodeJS.ProcessEnv
  kubectl(args: string[], options?: {input?: string; env?: Record<string, string>; timeoutMs?: number}): Promise<KubectlResult>
  /** Writes a manifest into the test directory and returns its path. */
  file(name: string, text: string): string
  /** Removes the directory (and stops the cluster, for a Compat). */
  stop(): Promise<void>
}

/** The local cluster and real kubectl against it. */
export interface Compat extends KubectlRig {
  cluster: LocalCluster
}

export async function startCompat(): Promise<Compat> {
  const cluster = await startCluster()
  const rig = await startKubectlRig(file => cluster.writeKubeconfig(file))
  return {
    ...rig,
    cluster,
    async stop() {
      await cluster.stop()
      await rig.stop()
    },
  }
}

/** kubectl in a fresh directory whose kubeconfig `writeKubeconfig` writes (any cluster's). */
export async function startKubectlRig(writeKubeconfig: (file: string) => void): Promise<KubectlRig> {
  const kubectlPath = await ensureKubectl()
  const dir = mkdtempSync(join(tmpdir(), 'svc-compat-'))
  const kubeconfig = join(dir, 'kubeconfig')
  writeKubeconfig(kubeconfig)
  const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    KUBECONFIG: kubeconfig,
    ...extra,
  })
  return {
    dir,
    kubeconfig,
    kubectlPath,
    env,
    kubectl(args, options = {}) {
      return new Promise((resolve, reject) => {
        const child = spawn(kubectlPath, args, {env: env(options.env), stdio: ['pipe', 'pipe', 'pipe']})
        const out: Buffer[] = []
        const err: Buffer[] = []
        child.stdout.on('data', (c: Buffer) => out.push(c))
        child.stderr.on('data', (c: Buffer) => err.push(c))
        const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000)
        child.on('error', (e) => {
          clearTimeout(timer)
          reject(e)
        })
        child.on('close', (code) => {
          clearTimeout(timer)
          resolve({code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString()})
        })
        // A command that never reads its stdin may exit before it is closed: EPIPE is not its failure.
        child.stdin.on('error', () => {})
        child.stdin.end(options.input ?? '')
      })
    },
    file(name, text) {
      const path = join(dir, name)
      writeFileSync(path, text)
      return path
    },
    async stop() {
      rmSync(dir, {recursive: true, force: true})
    },
  }
}

/** The tests' one polling helper (test/helpers/poll.ts), under the name the compatibility tests use. */
export {until as eventually} from '../helpers/poll.ts'

/**
 * The AGE-like cells change with time: `0s`..`99s` become `##` padded to the same width (and a
 * line's trailing padding goes, so `9s` in one run and `10s` in the other still compare equal).
 */
export function normalizeAges(text: string): string {
  return text.replace(/(?<=\s|^)\d{1,2}s(?=\s|$)/gm, (m) => '##'.padEnd(m.length, ' ').slice(0, m.length)).replace(/ +$/gm, '')
}

/** kubectl's column layout: cells padded to the widest + 3, last column unpadded. */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] + 3))).join('') + '\n').join('')
}

/** Sends `payload` to 127.0.0.1:PORT (a port-forward), half-closes once as many bytes came back, and resolves with what came back. */
export function roundTrip(port: number, payload: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    let got = 0
    s.on('data', (d: Buffer) => {
      chunks.push(d)
      got += d.length
      // The echo answers everything; then we close our side.
      if (got >= payload.length) s.end()
    })
    s.on('error', reject)
    s.on('close', () => resolve(Buffer.concat(chunks)))
    s.write(payload)
  })
}

/** A long-running kubectl (port-forward): lines of stdout can be awaited. */
export interface Running {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>
  exited: Promise<number | null>
  stop(): Promise<number | null>
}

export function runKubectl(compat: KubectlRig, args: string[], env: Record<string, string> = {}): Running {
  const child = spawn(compat.kubectlPath, args, {env: compat.env(env), stdio: ['ignore', 'pipe', 'pipe']})
  let out = ''
  let err = ''
  const waiters: Array<() => void> = []
  const poke = () => {
    for (const w of waiters.splice(0)) w()
  }
  child.stdout!.on('data', (c: Buffer) => {
    out += c.toString()
    poke()
  })
  child.stderr!.on('data', (c: Buffer) => {
    err += c.toString()
    poke()
  })
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => {
    poke()
    resolve(code)
  }))
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async waitFor(re, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const m = re.exec(out)
        if (m) return m
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`kubectl ${args.join(' ')}: no ${re} in stdout ${JSON.stringify(out)} stderr ${JSON.stringify(err)}`)
        await new Promise<void>((resolve) => {
          waiters.push(resolve)
          setTimeout(resolve, 200)
        })
      }
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGINT')
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000)
      const code = await exited
      clearTimeout(t)
      return code
    },
  }
}
