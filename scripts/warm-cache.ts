// The last step of `npm run build` (scripts/build.ts): runs the commands people and scripts call
// most from the freshly built dist/svc.cjs against the local cluster (test/cluster), then writes
// V8's code cache for the bundle: the functions those runs compiled, so that bin/run.js does not
// compile them again on every start (bin/bundle.js says why Node's own compile cache does not hold
// them, and why there is one cache per common command).
//
// Each cache is made in a process of its own (`warm-cache.ts NAME`, with the local cluster's
// kubeconfig in SVC_WARM_KUBECONFIG), which runs only that cache's commands: V8 keeps what a process
// compiled, so one process would put every command's functions in every cache. `npm run build`
// sends what the runs print to stdout to /dev/null; a run that fails fails the build, its error on
// stderr.
//
// The cache for a forwarder started again with its V8 flags (bin/bundle.js FORWARDER_CACHE) holds
// what a forwarder compiles until it listens: a `port-forward` to a pod of the local cluster and a
// `proxy`, each ending once the command given after `--` has run. It is made in a process started
// with those flags (src/portforward/heap.ts FORWARDER_START.nodeOptions): V8 accepts a cache only
// under the flags it was made with. It used to hold the runs of the cache for every other command
// (get, describe, help, ...), which a forwarder never runs: V8 deserialises the whole cache, so the
// forwarder held those functions' code, and compiled its own after loading it. Measured on fresh
// forwarders, alternated (8 pairs, load 9-10): RSS once listening 67.5 against 68.2 MiB (the V8
// heap 13.3 against 14.0; lower in 8 of 8), 3 s after a churn of 4,000 connections 69.7 against
// 70.2 (4 pairs); `port-forward ... -- true` 166-173 against 174-181 ms of CPU (perf stat, 3 x 8
// runs each); the same peak RSS and CPU over 100 parallel 1 MiB echoes (10 pairs).

import {type ChildProcess, spawn} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import v8 from 'node:v8'

import {bundleId, CACHE_NAMES, cacheFile, compileBundle, FORWARDER_CACHE, readBundleSource} from '../bin/bundle.js'
import {FORWARDER_START} from '../src/portforward/heap.ts'

interface Bundle {
  kubectlArgv: (argv: string[]) => string[]
  oclif: (options: {args: string[]; dir: string}) => Promise<unknown>
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const BUNDLE = path.join(ROOT, 'dist', 'svc.cjs')
const KUBECONFIG_ENV = 'SVC_WARM_KUBECONFIG'

/** Each cache's runs, each as typed after `svc`; KUBECONFIG stands for the local cluster's kubeconfig. */
const GET = [['get', 'svc', '--kubeconfig', 'KUBECONFIG'], ['get', 'svc', '-o', 'json', '--kubeconfig', 'KUBECONFIG']]
const DESCRIBE = [['describe', 'svc', 'kubernetes', '--kubeconfig', 'KUBECONFIG']]
const VERSION = [['version', '--kubeconfig', 'KUBECONFIG'], ['version', '--client']]
const CREATE = [
  ['create', 'clusterip', 'web', '--tcp', '80', '--dry-run=client'],
  ['create', 'clusterip', 'web', '--tcp', '80', '--dry-run=client', '-o', 'yaml'],
]
const HELP = [['--help'], ['get', '--help']]
const RUNS: Record<string, string[][]> = {create: CREATE, describe: DESCRIBE, get: GET, help: HELP, version: VERSION}
/** The cache for every other command: all of the runs above. */
const EVERY = 'every'
/** The pod main() creates for the forwarder's runs. */
const WARM_POD = 'warm-cache'
/** The forwarder's runs: each listens, runs a command that does nothing, and ends with it. */
const DONE = ['--', process.execPath, '-e', '']
const FORWARDER = [
  ['port-forward', `pod/${WARM_POD}`, ':80', '--address', '127.0.0.1', '--kubeconfig', 'KUBECONFIG', ...DONE],
  ['proxy', '--port', '0', '--kubeconfig', 'KUBECONFIG', ...DONE],
]

/** The runs of the cache `name`. */
function runsOf(name: string): string[][] {
  if (name === FORWARDER_CACHE) return FORWARDER
  return name === EVERY ? Object.values(RUNS).flat() : RUNS[name]
}

/**
 * For the forwarder's runs: V8 writes into a cache the flags its process has when the cache is
 * taken, those set at run time included, and accepts the cache only in a process started with the
 * same. A forwarder sets its own once it starts (src/portforward/heap.ts forwarderHeapFlags, and
 * `--expose-gc` for exposedGc), and V8 cannot unset `--efficiency-mode` again. So while the runs go,
 * this process sets only `--expose-gc` (without it the forwarder finds no gc()); the function
 * returned unsets it, and the flags are again those this process started with.
 */
function keepStartFlags(): () => void {
  const set = v8.setFlagsFromString
  v8.setFlagsFromString = (flag: string) => {
    if (flag === '--expose-gc') set(flag)
  }
  return () => {
    v8.setFlagsFromString = set
    set('--no-expose-gc')
  }
}

/** In a process of its own: runs the cache's commands and writes the cache. */
async function makeCache(name: string): Promise<void> {
  const kubeconfig = process.env[KUBECONFIG_ENV]
  if (!kubeconfig) throw new Error(`${KUBECONFIG_ENV} is not set`)
  const source = readBundleSource(BUNDLE)
  const id = bundleId(source)
  if (!id) throw new Error(`${BUNDLE} has no build ID`)
  const {exports, script} = compileBundle(BUNDLE, source)
  const svc = exports as unknown as Bundle
  const restoreFlags = name === FORWARDER_CACHE ? keepStartFlags() : () => {}
  for (const run of runsOf(name)) {
    const args = run.map(arg => (arg === 'KUBECONFIG' ? kubeconfig : arg))
    await svc.oclif({args: svc.kubectlArgv(args), dir: ROOT})
    if (process.exitCode) throw new Error(`svc ${args.join(' ')} exited with ${process.exitCode}`)
  }
  restoreFlags()
  writeFileSync(cacheFile(BUNDLE, name === EVERY ? undefined : name), Buffer.concat([Buffer.from(id, 'latin1'), script.createCachedData()]))
}

/**
 * How long one cache's process may take: its runs take a few seconds, and the forwarder's wait for
 * a port-forward and a proxy to end, so a run that hangs would otherwise hang the build (and CI).
 */
const CHILD_TIMEOUT_MS = 120_000
/** The cache processes running, so that a failed build leaves none behind. */
const running = new Set<ChildProcess>()

function child(name: string, kubeconfig: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const options = name === FORWARDER_CACHE ? FORWARDER_START.nodeOptions : []
    const proc = spawn(process.execPath, [...options, fileURLToPath(import.meta.url), name], {env: {...process.env, [KUBECONFIG_ENV]: kubeconfig}, stdio: ['ignore', 'inherit', 'inherit']})
    running.add(proc)
    const timer = setTimeout(() => {
      proc.kill('SIGKILL')
      reject(new Error(`the ${name} cache: its runs did not end within ${CHILD_TIMEOUT_MS / 1000} s`))
    }, CHILD_TIMEOUT_MS)
    proc.on('error', error => {
      clearTimeout(timer)
      reject(error)
    })
    proc.on('exit', code => {
      clearTimeout(timer)
      running.delete(proc)
      if (code === 0) resolve()
      else reject(new Error(`the ${name} cache: exit ${code}`))
    })
  })
}

/** Starts the local cluster and makes every cache, two processes at a time. */
async function main(): Promise<void> {
  const names = Object.keys(RUNS).sort()
  if (names.join() !== [...CACHE_NAMES].sort().join()) throw new Error(`the runs (${names.join()}) must be those of bin/bundle.js's CACHE_NAMES (${CACHE_NAMES.join()})`)
  // Only here: the processes that make the caches need none of the cluster's modules.
  const {createPod, podRunning, startPfCluster} = await import('../test/helpers/pf-cluster.ts')
  const {client, cluster, stop} = await startPfCluster()
  const dir = mkdtempSync(path.join(os.tmpdir(), 'svc-warm-'))
  try {
    const kubeconfig = path.join(dir, 'kubeconfig')
    cluster.writeKubeconfig(kubeconfig)
    await createPod(client, WARM_POD)
    await podRunning(client, WARM_POD)
    const queue = [EVERY, FORWARDER_CACHE, ...names]
    const worker = async () => {
      for (let name = queue.shift(); name !== undefined; name = queue.shift()) await child(name, kubeconfig)
    }
    await Promise.all([worker(), worker()])
  } finally {
    for (const proc of running) proc.kill('SIGKILL')
    await stop()
    rmSync(dir, {force: true, recursive: true})
  }
}

const name = process.argv[2]
const done = name === undefined ? main() : makeCache(name)
done.then(() => process.exit(0), (error: unknown) => {
  process.stderr.write(`warm-cache${name ? ` ${name}` : ''}: ${(error as Error)?.stack ?? String(error)}\n`)
  process.exit(1)
})
