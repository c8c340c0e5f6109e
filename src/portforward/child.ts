// `svc port-forward TARGET PORTS -- COMMAND [ARGS...]`: the command runs once every listener is
// up, learns the local ports from its environment, gets our signals passed on, and its exit status
// becomes ours.

import {spawn} from 'node:child_process'
import os from 'node:os'

/** One bound port as the command sees it. */
export interface ChildPort {
  localPort: number
  /** The REMOTE part of the PORT argument as typed: `80`, or a name such as `http`. */
  remote: string
}

/**
 * SVC_PORT = the first local port; SVC_PORT_<REMOTE> = the local port of each PORT argument, with
 * REMOTE upper-cased and anything but letters, digits and `_` turned into `_` (`:http` ->
 * SVC_PORT_HTTP, `8080:grpc-web` -> SVC_PORT_GRPC_WEB). `extra` (the Services' own variables,
 * service-env.ts) comes on top.
 */
export function childEnvironment(base: NodeJS.ProcessEnv, ports: readonly ChildPort[], extra: ReadonlyArray<readonly [string, string]> = []): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {...base}
  for (const [name, value] of [...portVariables(ports), ...extra]) env[name] = value
  return env
}

/** SVC_PORT and SVC_PORT_<REMOTE>, as [name, value] pairs in order. */
export function portVariables(ports: readonly ChildPort[]): Array<[string, string]> {
  const out: Array<[string, string]> = []
  if (ports.length > 0) out.push(['SVC_PORT', String(ports[0].localPort)])
  const assigned = new Set<string>()
  for (const port of ports) {
    // With the same REMOTE twice (`8080:80 9090:80`), the first one keeps the name.
    const key = `SVC_PORT_${port.remote.toUpperCase().replaceAll(/[^A-Z0-9_]/g, '_')}`
    if (assigned.has(key)) continue
    assigned.add(key)
    out.push([key, String(port.localPort)])
  }
  return out
}

/** The shell's convention: the exit code, or 128 + the signal number when killed by a signal. */
export function exitStatus(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code
  const number = signal ? os.constants.signals[signal] : undefined
  return number ? 128 + number : 1
}

/** How long a command that ignores the signal passed on may take before it is killed. */
const KILL_GRACE_MS = 10_000

export interface Child {
  /** The exit status (see exitStatus); 127 when the command cannot be found, 126 when not executable. */
  readonly exited: Promise<number>
  /** Passes a signal on if the child is still running; one still running KILL_GRACE_MS after the first is killed. */
  passOn(signal: NodeJS.Signals): void
}

export interface ChildOptions {
  env: NodeJS.ProcessEnv
  /** Where to say that the command could not be started. */
  stderr: (line: string) => void
}

/** Starts the command with our stdin, stdout and stderr. */
export function startChild(command: readonly string[], options: ChildOptions): Child {
  const [file, ...args] = command
  const child = spawn(file, args, {env: options.env, stdio: 'inherit'})
  let running = true
  const exited = new Promise<number>(resolve => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      running = false
      if (error.code === 'ENOENT') {
        options.stderr(`error: exec: "${file}": executable file not found in $PATH`)
        resolve(127)
      } else {
        options.stderr(`error: exec: "${file}": ${error.code === 'EACCES' ? 'permission denied' : error.message}`)
        resolve(126)
      }
    })
    child.once('exit', (code, signal) => {
      running = false
      resolve(exitStatus(code, signal))
    })
  })
  let killTimer: NodeJS.Timeout | undefined
  void exited.then(() => clearTimeout(killTimer))
  return {
    exited,
    passOn: signal => {
      if (!running) return
      child.kill(signal)
      killTimer ??= setTimeout(() => running && child.kill('SIGKILL'), KILL_GRACE_MS)
    },
  }
}

/** Where signals come from: the process, or a test. Returns a function that stops listening. */
export type SignalSource = (signals: NodeJS.Signals[], handler: (signal: NodeJS.Signals) => void) => () => void

export const processSignals: SignalSource = (signals, handler) => {
  for (const s of signals) process.on(s, handler)
  return () => {
    for (const s of signals) process.off(s, handler)
  }
}
