// Runs the built svc binary as a subprocess, the way a CI script calls it: no TTY, its own
// environment, stdout and stderr captured separately. `npm test` builds dist/ first.

import {spawn} from 'node:child_process'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const BIN = path.join(ROOT, 'bin', 'run.js')

export interface RunResult {
  code: number | null
  signal: NodeJS.Signals | null
  stderr: string
  stdout: string
}

export interface RunOptions {
  /** The script to run instead of bin/run.js (e.g. a `kubectl-svc` link to it). */
  bin?: string
  /** Extra environment; HOME points at an empty folder and KUBECONFIG is unset unless given here. */
  env?: Record<string, string | undefined>
  /** Written to stdin, which is then closed. */
  input?: string
  /** Kill the process after this long (default 60 s) so a hang fails the test instead of the run. */
  timeoutMs?: number
}

export function runSvc(args: string[], options: RunOptions = {}): Promise<RunResult> {
  const env: Record<string, string | undefined> = {
    HOME: path.join(ROOT, '.cache', 'empty-home'),
    LANG: 'C',
    NO_COLOR: undefined,
    FORCE_COLOR: undefined,
    KUBECONFIG: undefined,
    PATH: process.env.PATH,
    ...options.env,
  }
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key]
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [options.bin ?? BIN, ...args], {env: env as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', d => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', d => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({code, signal, stderr, stdout})
    })
    // the program may exit before it reads its input: the write then fails with EPIPE
    child.stdin.on('error', () => undefined)
    child.stdin.end(options.input ?? '')
  })
}
