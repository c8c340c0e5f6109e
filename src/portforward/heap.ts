// Keeps the forwarder's resident memory close to what it holds, for `svc port-forward` only.
//
// Every chunk that crosses the forwarder passes through a few short-lived Buffers (the socket's
// read, the tunnel's frame, the WebSocket's message, the TLS record). Their memory lives outside
// V8's heap; V8 frees it when it collects the small objects that own it, and it starts such a
// collection only after tens of MiB of that memory have piled up, because each owner weighs a few
// bytes in its young generation. Measured on a 256 MiB echo through one connection: up to 67 MiB of
// dead Buffers waiting, a peak RSS of about 150 MiB. A young-generation collection (about a
// millisecond, the same kind V8 runs on its own) whenever more than BUFFER_GARBAGE_LIMIT is held
// brings the peak to about 105 MiB at the same throughput.
//
// V8 offers no setting for that threshold after start, so the forwarder asks for a collection
// itself: `--expose-gc` set at run time installs gc() in contexts created afterwards, and a fresh
// vm context hands it over. Short commands never call this.
//
// The forwarder's other memory settings are forwarderHeapFlags (V8) and FORWARDER_START (malloc).

import {performance} from 'node:perf_hooks'
import {setFlagsFromString} from 'node:v8'
import {runInNewContext} from 'node:vm'

/** Buffer memory (process.memoryUsage().arrayBuffers) above which a collection is asked for. */
export const BUFFER_GARBAGE_LIMIT = 8 * 1024 * 1024
const CHECK_INTERVAL_MS = 50
/** How often the forwarder checks whether it is idle, and the event loop's busy share below which it is. */
const IDLE_CHECK_MS = 1000
const IDLE_UTILIZATION = 0.2
/** RSS grown since the last full collection (or the start) above which an idle forwarder runs one. */
const IDLE_COLLECT_GROWTH = 8 * 1024 * 1024

export type GcFunction = (options?: {flavor?: 'last-resort' | 'regular'; type?: 'major' | 'minor'}) => void

/** V8's gc(), from a context created after `--expose-gc` is set. */
export function exposedGc(): GcFunction | undefined {
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as GcFunction | undefined
}

/** What limitBufferGarbage may be given; each has the forwarder's value by default. */
export interface GarbageCheck {
  /** Buffer memory above which a young-generation collection is asked for. */
  limit?: number
  intervalMs?: number
  gc?: GcFunction
  /** The event loop's busy share (0 to 1) since the previous call. */
  loopBusy?: () => number
}

/** The event loop's busy share since the previous call, from performance.eventLoopUtilization. */
export function eventLoopBusy(): () => number {
  let last = performance.eventLoopUtilization()
  return () => {
    const share = performance.eventLoopUtilization(last).utilization
    last = performance.eventLoopUtilization()
    return share
  }
}

/**
 * V8's settings for the forwarder, set at run time (V8 reads each of them whenever it sizes its heap):
 * - The young generation stays at the size it has when this runs (`--semi-space-growth-factor=1`;
 *   8 MiB in a forwarder, which starts with FORWARDER_START's `--initial-old-space-size`). Under a burst
 *   of connections V8 grows it to 64 MiB and never gives that back, although almost nothing in it
 *   survives: measured on 4,000 churned connections, RSS 3 s after the last close fell from 155 to
 *   118 MiB (idle 76), the peak from 156 to 122 MiB, at the same throughput and connection rate.
 * - The old generation may grow to four times what a full collection left live before the next one
 *   starts (`--heap-growing-percent=300`, instead of the factor V8 derives from how fast its
 *   collector runs against the program's allocation). The forwarder's live heap is small (10-13 MiB)
 *   and steady while it forwards; with a limit only 9-10 MiB above it (measured,
 *   `--trace-incremental-marking`), V8 started concurrent marking again every 70-150 ms under 100
 *   parallel connections, 8 full collections in 1.6 s, and marking and sweeping were about a fifth
 *   of the forwarder's CPU. With it: 5.5-5.8 ms of CPU per MiB echoed on 100 parallel connections
 *   instead of 6.4-7.2, the same peak RSS (116-125 MiB both). Its price: a churn of 4,000 short
 *   connections peaks about 5 MiB higher (102-105 MiB against 94-107), with the same RSS 3 s after
 *   the last close.
 * - Efficiency mode (`--efficiency-mode`): V8 does on the main thread the work it otherwise hands its
 *   worker threads (its collector: Heap::ShouldUseBackgroundThreads; Sparkplug's batches:
 *   BaselineBatchCompiler::concurrent), and runs no job on them: their CPU over a burst of 100
 *   parallel 1 MiB echoes fell from 100-120 ms to 0. A fresh forwarder's connections cost more CPU
 *   than later ones while V8 compiles the code they run (measured: 0.9-1.7 ms each over the first
 *   200, 0.5-0.6 over connections 2,001-4,000; kubectl 0.7-0.9 from the first), and that is where
 *   the mode saves. Alternated A/B, load 9-17, with the mode against without: CPU per connection
 *   over a fresh forwarder's first 200 connect + 1-byte echoes 0.95 against 1.06 ms (paired 0.88,
 *   lower in 7 of 8) and 1.08 against 1.16 (0.95, lower in 8 of 12); 100 parallel 1 MiB echoes 530
 *   against 650 ms of CPU (4 pairs); bench download 2.97 against 3.47 ms of CPU per MiB (lower in 4
 *   of 4); peak RSS of the bulk echo 86 against 94 MiB (4 of 4). Not lower: connections 2,001-4,000
 *   (0.57 against 0.51-0.56 ms, 3 runs), the bulk echo's CPU per MiB (5.41 against 5.42) and MB/s
 *   (37.9 against 38.8, 4 pairs).
 * (V8's young generation capped at 1 MiB per semi-space, `--max-semi-space-size=1`, lowered the
 * peaks a few MiB more but doubled the peak RSS growth with a stopped reader over v4 WebSocket, to
 * 21-29 MiB: not used.)
 */
export function forwarderHeapFlags(): void {
  setFlagsFromString('--semi-space-growth-factor=1')
  setFlagsFromString('--heap-growing-percent=300')
  setFlagsFromString('--efficiency-mode')
}

/**
 * Sets forwarderHeapFlags and starts the check; returns a function that stops the
 * check. The timer never keeps the process alive.
 *
 * Once a second the check also looks at how busy the event loop was: a forwarder that has gone idle
 * after a burst of connections (busy less than 20% of the last second; a burst keeps it near 100%)
 * while its RSS is more than IDLE_COLLECT_GROWTH above what it was after its last full collection
 * runs one, of the kind that also gives the emptied pages back to the system (a regular one keeps
 * them: measured on a 130 MiB heap of dead objects, RSS 196 -> 196 MiB, against 60 MiB). V8 collects
 * its old generation only under allocation, so a burst's dead objects (and the native memory they
 * own, TLS and socket buffers) otherwise stay until the next burst, or until V8's own memory reducer
 * shrinks the heap, later and without giving every page back. It does not repeat until the RSS grows
 * again. On a loaded machine the busy share reads high (a callback descheduled halfway counts as
 * busy), so the collection may wait for the load to pass: it is an economy, never a correctness need.
 */
export function limitBufferGarbage(check: GarbageCheck = {}): () => void {
  const {gc = exposedGc(), intervalMs = CHECK_INTERVAL_MS, limit = BUFFER_GARBAGE_LIMIT, loopBusy = eventLoopBusy()} = check
  forwarderHeapFlags()
  if (typeof gc !== 'function') return () => {}
  const ticksPerIdleCheck = Math.max(1, Math.round(IDLE_CHECK_MS / intervalMs))
  let ticks = 0
  let rssAfterCollection = process.memoryUsage.rss()
  const timer = setInterval(() => {
    const usage = process.memoryUsage()
    if (usage.arrayBuffers > limit) gc({type: 'minor'})
    if (++ticks % ticksPerIdleCheck !== 0) return
    if (loopBusy() < IDLE_UTILIZATION && usage.rss > rssAfterCollection + IDLE_COLLECT_GROWTH) {
      gc({flavor: 'last-resort', type: 'major'})
      rssAfterCollection = process.memoryUsage.rss()
    }
  }, intervalMs)
  timer.unref()
  return () => clearInterval(timer)
}

/**
 * Settings that take effect only when a process starts, for the forwarder commands: the forwarder
 * runs for hours, so it starts itself once more with them (about 40 ms, once); short commands never do.
 * - glibc's malloc: at most 2 arenas (TLS and socket buffers freed on one thread are otherwise kept
 *   in per-thread arenas) and memory above 128 KiB at the top of the heap handed back to the system
 *   at once instead of kept for reuse.
 * - V8's first limit for its old generation at 64 MiB (`--initial-old-space-size=64`). Without it,
 *   V8 lowers its first limit, once the first young-generation collections show how little
 *   survives, to what the old generation holds plus 8 MiB: for the forwarder, 12 MiB after start-up
 *   (mostly the loaded code, live) and a limit of 20 MiB, and it started marking at once
 *   (`--trace-incremental-marking`: 12 MiB used, 8 MiB left): a full collection in every fresh
 *   forwarder's first 64 MiB that freed about 1 MiB of 13 (24 of 24 runs). V8 starts marking while
 *   about one young generation's worth of room is still left below the limit, so a first limit of
 *   32 MiB still saw that collection in 19 of 29 fresh forwarders, and 64 MiB in none of 7. The flag
 *   also leaves the young generation at 8 MiB when the forwarder listens instead of 4, and V8's own
 *   scavenges over the first 64 MiB fall from 12-15 to 3-5. Measured on fresh forwarders, same
 *   run, alternated:
 *   - against no flag, 32 MiB, 8 pairs each: download 5.31 against 6.02 ms of CPU per MiB (lower
 *     in 6, level in 1), bulk echo 8.13 against 8.59 (lower in 7; lower in 8 of 8 further pairs);
 *     CPU until it listens 20-40 ms higher in 6 of 7 alternated batches (e.g. 240 against 215 ms,
 *     median);
 *   - 64 MiB against 32, on an idle machine: bulk echo 4.38 against 4.69 and 4.61 against 4.92
 *     ms/MiB (8 pairs twice, lower in 6 of each), 100 parallel x 1 MiB 4.5-5.6 against 5.2-6.2
 *     (lower in 8 of 10 pairs), download 2.81 against 2.97 (lower in 4 of 8, higher in 3); the same
 *     idle RSS and start-up CPU; a churn of 4,000 connections peaks 4-6 MiB higher (114-117
 *     against 109-111 MiB) with the same RSS 3 s after it (77-86 against 79-84).
 *   Once a full collection has run, the limit is four times what it left (forwarderHeapFlags).
 * V8 accepts a code cache only from a process with the same flags, so the build makes the bundle's
 * cache for the restarted forwarder in a process started with these options (bin/bundle.js,
 * scripts/warm-cache.ts); without it, the forwarder compiled svc again on every start: 260-310 ms of
 * CPU before it listened, against 190-230 with its cache. The other V8 settings are set at run time
 * (forwarderHeapFlags), which does not change which cache V8 accepts at start.
 */
export const FORWARDER_START = {
  env: {MALLOC_ARENA_MAX: '2', MALLOC_TRIM_THRESHOLD_: '131072'} as Record<string, string>,
  nodeOptions: ['--initial-old-space-size=64'] as string[],
}
/**
 * Names the variables the restart added, so the restarted process can take them out again. bin/bundle.js
 * reads the same name to pick the forwarder's code cache (heap.test.ts checks that the two agree).
 */
const ADDED = 'SVC_FORWARDER_START'

export interface Restart {
  args: string[]
  env: Record<string, string>
  file: string
}

/**
 * How to start this process again with FORWARDER_START, or undefined when it already runs with them.
 * A variable the user set keeps the user's value; a Node option given to this process comes after
 * ours, so it wins.
 */
export function forwarderRestart(execPath: string, execArgv: readonly string[], argv: readonly string[], env: NodeJS.ProcessEnv): Restart | undefined {
  if (env[ADDED] !== undefined) return undefined
  const added = Object.keys(FORWARDER_START.env).filter(k => env[k] === undefined)
  const inherited = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined))
  return {
    args: [execPath, ...FORWARDER_START.nodeOptions, ...execArgv, ...argv.slice(1)],
    env: {...inherited, ...Object.fromEntries(added.map(k => [k, FORWARDER_START.env[k]])), [ADDED]: added.join(',')},
    file: execPath,
  }
}

/** In the restarted process: the environment as the user gave it, for the commands svc runs. */
export function restoreEnvironment(env: NodeJS.ProcessEnv): void {
  const added = env[ADDED]
  if (added === undefined) return
  delete env[ADDED]
  for (const k of added.split(',')) if (k) delete env[k]
}

/**
 * Called by bin/run.js before anything else loads for a forwarder command: restarts the process with
 * FORWARDER_START (process.execve replaces it: same process id, same standard streams), or, in the
 * restarted process, restores the environment. Where execve does not exist (Windows), runs as it is.
 */
export function startAsForwarder(): void {
  const restart = forwarderRestart(process.execPath, process.execArgv, process.argv, process.env)
  if (!restart) {
    restoreEnvironment(process.env)
    return
  }
  if (typeof process.execve !== 'function') return
  process.execve(restart.file, restart.args, restart.env)
}
