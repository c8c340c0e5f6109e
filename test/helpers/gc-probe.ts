// The test side of gc-on-signal.ts: start svc with `gcProbeStart()` merged into its environment and
// options, then `probe.collect()` asks the process for a full garbage collection and resolves, once
// it has run, with the process's RSS and V8's memory figures right after it. A measure of what a
// forwarder still holds that the timing of its own collections does not move.

import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {rssBytes, type RssParts, rssParts} from './churn.ts'
import {until} from './poll.ts'

const PRELOAD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'gc-on-signal.ts')

export interface AfterGc {
  /** process.memoryUsage() inside svc right after the collection. */
  memory: NodeJS.MemoryUsage
  /** Resident set size of the process (bytes), read once the collection is done. */
  rss: number
  /** Where that resident memory lives, read just after. */
  parts: RssParts
}

export interface GcProbe {
  /** Environment variables svc needs (merge into startSvc's env). */
  env: Record<string, string>
  /** Node arguments svc needs (startSvc's nodeArgs). */
  nodeArgs: string[]
  /** Asks the process for a full collection; resolves once it is done. */
  collect(pid: number): Promise<AfterGc>
  /** Removes the probe's file. */
  dispose(): void
}

/**
 * `returnPages`: the collection is the kind the forwarder runs by itself once idle, which also gives
 * V8's emptied pages back to the system (a regular one keeps them mapped for reuse).
 */
export function gcProbe(options: {returnPages?: boolean} = {}): GcProbe {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'svc-gc-')), 'gc')
  let asked = 0
  const lines = () => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(l => l.startsWith('gc ')) : [])
  return {
    async collect(pid) {
      process.kill(pid, 'SIGUSR2')
      asked++
      const done = await until(() => lines().length >= asked && lines(), 'a full collection in svc', 10_000)
      return {memory: JSON.parse(done.at(-1)!.slice(3)) as NodeJS.MemoryUsage, parts: rssParts(pid), rss: rssBytes(pid)}
    },
    dispose: () => fs.rmSync(path.dirname(file), {force: true, recursive: true}),
    env: {SVC_TEST_GC_FILE: file, ...(options.returnPages ? {SVC_TEST_GC_FLAVOR: 'last-resort'} : {})},
    nodeArgs: ['--import', PRELOAD],
  }
}
