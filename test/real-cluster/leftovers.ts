// Components an earlier run left behind. A launcher that dies without its stop() (SIGKILL, a crash,
// the runner's timeout) leaves etcd, kube-apiserver, the controllers and kwok running, each in a
// process group of its own: nothing else would ever stop them. So every run records its processes
// in a file under the cache's runs/ folder while it lives, and every start stops the components of
// the runs whose launcher is gone, after checking that each pid is still that component (its
// binary in /proc/PID/cmdline and an argument naming the run's folder), since the kernel reuses pids.

import {existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {until} from '../helpers/poll.ts'
import {cacheRoot} from './build.ts'

export interface RunRecord {
  /** the launcher's pid, and its executable (/proc/PID/exe) to tell it from a reused pid */
  launcher: {exe: string; pid: number}
  /** the run's folder: every component has it in its arguments */
  dir: string
  components: Array<{binary: string; name: string; pid: number}>
}

/** What a leftovers check reads from /proc (a table of fakes in the unit test). */
export interface ProcReader {
  cmdline(pid: number): string[] | undefined
  exe(pid: number): string | undefined
}

export const procfs: ProcReader = {
  cmdline(pid) {
    try {
      const text = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      // NUL-terminated arguments; empty for a zombie, which counts as gone.
      return text ? text.replace(/\0$/, '').split('\0') : undefined
    } catch {
      return undefined
    }
  },
  exe(pid) {
    try {
      return readlinkSync(`/proc/${pid}/exe`)
    } catch {
      return undefined
    }
  },
}

export function runsDir(): string {
  return path.join(cacheRoot(), 'runs')
}

export function recordFile(launcherPid = process.pid): string {
  return path.join(runsDir(), `${launcherPid}.json`)
}

export function writeRecord(record: RunRecord): void {
  mkdirSync(runsDir(), {recursive: true})
  writeFileSync(recordFile(record.launcher.pid), `${JSON.stringify(record)}\n`)
}

/**
 * The pids of a record to stop: none while its launcher lives (another run, e.g. the tier beside
 * a test that starts its own cluster); else each component whose pid still runs that component.
 */
export function leftoverPids(record: RunRecord, proc: ProcReader): number[] {
  if (proc.exe(record.launcher.pid) === record.launcher.exe) return []
  return record.components
    .filter(c => {
      const argv = proc.cmdline(c.pid)
      return argv !== undefined && argv[0] === c.binary && argv.slice(1).some(arg => arg.includes(record.dir))
    })
    .map(c => c.pid)
}

/** A run folder this launcher made (mkdtemp in the temporary directory), safe to remove. */
function isRunFolder(dir: string): boolean {
  return path.dirname(dir) === os.tmpdir() && path.basename(dir).startsWith('svc-real-cluster-')
}

/**
 * Stops what the runs of dead launchers left running (SIGKILL to each component's process group,
 * then waits until it is gone), removes their folders and records; returns the pids it stopped.
 */
export async function stopLeftovers(log: (line: string) => void, proc: ProcReader = procfs): Promise<number[]> {
  if (!existsSync(runsDir())) return []
  const stopped: number[] = []
  for (const name of readdirSync(runsDir()).filter(f => f.endsWith('.json'))) {
    const file = path.join(runsDir(), name)
    let record: RunRecord
    try {
      record = JSON.parse(readFileSync(file, 'utf8'))
    } catch {
      // A record cut short by the crash it is about: nothing in it to check a pid against.
      rmSync(file, {force: true})
      continue
    }
    if (proc.exe(record.launcher.pid) === record.launcher.exe) continue
    const pids = leftoverPids(record, proc)
    for (const pid of pids) {
      try {
        process.kill(-pid, 'SIGKILL')
      } catch {
        // gone meanwhile
      }
    }
    if (pids.length > 0) {
      log(`stopped ${pids.length} components left running by an earlier run (launcher pid ${record.launcher.pid}, ${record.dir})`)
      await until(() => pids.every(pid => proc.cmdline(pid) === undefined), `the leftover components ${pids.join(', ')} to exit`, {intervalMs: 20, timeoutMs: 10_000})
    }
    stopped.push(...pids)
    if (isRunFolder(record.dir)) rmSync(record.dir, {force: true, recursive: true})
    rmSync(file, {force: true})
  }
  return stopped
}
