// `npm run bench`: svc port-forward against kubectl port-forward 1.35 (WebSocket tunnel and plain
// SPDY), a forwarder built on @kubernetes/client-node's PortForward, and the pod's own socket
// ("direct", the limit on this machine), all through one local cluster process. Then the CLI:
// `get svc`, `describe svc`, `--help`, `version` and `create --dry-run=client`, svc against kubectl,
// wall time and peak RSS (the latter through GNU time, when installed). For the bulk echo, the
// download and new connections it also gives the CPU per MiB (per connection) of each process the
// bytes pass through: the forwarder, the cluster (bench/cluster-child.ts with every process it
// started) and the client (this process), and the three together: on a small machine the three
// share the cores, so that sum, not the forwarder's part alone, limits the throughput. With them,
// the forwarder's and the cluster's read and write system calls, and the client's socket reads
// that returned data: how each process cuts the stream.
//
// Tools run alternately (A B C D E, then B C D E A, ...; each workload starts one tool further) so
// that drift of the machine hits all of them alike, after one unmeasured pass through each of them
// (warmUp) so that none pays for the first run of the cluster's code; each result is the median over rounds, with min and max; ratios are taken pair by
// pair within a round. Results go to bench/results.json, bench/results.svg and docs/benchmarks.md (never the README).
//
// Flags (each also as an environment variable, for `npm run bench` without `--`):
//   --quick (BENCH_QUICK=1)    small sizes and one round, to check that the harness works
//   --medium (BENCH_MEDIUM=1)  every workload at a quarter of the bulk size, 3 rounds (printed only)
//   --only echo,soak (BENCH_ONLY)  the workloads to run: many (svc forwarding 50 Services next to 1), echo, download, latency, concurrency, rps,
//                              gib (1 GiB over 200 connections), soak (connection churn), stalled
//                              (a stopped reader beside ten downloads), cli
//   --tools svc,kubectl-ws (BENCH_TOOLS)  the forwarders to measure, in the order to rotate from
//   --rounds N (BENCH_ROUNDS)  rounds instead of the size's default
//   --cluster real (BENCH_CLUSTER)  the port-forward workloads (echo, download, latency,
//                              concurrency, rps by default) through the real control plane
//                              (test/real-cluster: kube-apiserver, kwok's kubelet streaming code);
//                              BENCH_KUBE_VERSION picks its release
// A run narrowed by any of them prints its table only; a full run also writes the results. A real-
// cluster run writes its own (bench/results-real.json, the bench-real section of the page) unless
// narrowed by --only, --tools or --quick: its table states the sizes and rounds it ran.

import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'

import {ensureKubectl} from '../scripts/fetch-kubectl.ts'
import {renderChart} from './lib/chart.ts'
import {cpuUsed, perUnit, sampleUsage, type Usage} from './lib/cpu.ts'
import {startClusterChild, type Started, startForwarder, timeCommand} from './lib/proc.ts'
import {pairedRatio, quantile, roundOrder, summarize, type Summary} from './lib/stats.ts'
import type {CloseMode} from '../test/helpers/churn.ts'
import {createManyServices, measureMany} from './lib/many.ts'
import {churnSoak, concurrentEcho, connectionLatency, download, echoTransfer, requestRate, stoppedReader} from './lib/workloads.ts'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const {values: flags} = parseArgs({
  options: {
    cluster: {default: process.env.BENCH_CLUSTER ?? 'local', type: 'string'},
    medium: {default: process.env.BENCH_MEDIUM === '1', type: 'boolean'},
    only: {default: process.env.BENCH_ONLY, type: 'string'},
    quick: {default: process.env.BENCH_QUICK === '1', type: 'boolean'},
    rounds: {default: process.env.BENCH_ROUNDS, type: 'string'},
    tools: {default: process.env.BENCH_TOOLS, type: 'string'},
  },
})
const QUICK = flags.quick
if (flags.cluster !== 'local' && flags.cluster !== 'real') throw new Error(`--cluster ${flags.cluster}: want local or real`)
const CLUSTER: 'local' | 'real' = flags.cluster
/** --medium: the full run's workloads at a quarter of the bulk size and fewer samples, 3 rounds; printed only. */
const MEDIUM = flags.medium
const MiB = 1024 * 1024
const GiB = 1024 * MiB
/** The soak test's churn (test/e2e/port-forward-soak.test.ts): per close mode, how many clients. */
const SOAK_FULL: Record<CloseMode, number> = {abandon: 500, 'data-fin': 500, echo: 2000, 'fin-no-data': 500, reset: 500}
const SOAK_QUICK: Record<CloseMode, number> = {abandon: 50, 'data-fin': 50, echo: 200, 'fin-no-data': 50, reset: 50}
const SIZES = QUICK
  ? {bulk: 16 * MiB, cliRuns: 3, concurrency: 20, concurrencyBytes: MiB, gibBytes: 64 * MiB, gibConnections: 50, latencyCount: 50, many: 10, rounds: 1, rpsMs: 2000, soak: SOAK_QUICK, stalledBytes: 4 * MiB}
  : MEDIUM
    ? {bulk: 64 * MiB, cliRuns: 5, concurrency: 100, concurrencyBytes: MiB, gibBytes: GiB, gibConnections: 200, latencyCount: 200, many: 50, rounds: 3, rpsMs: 5000, soak: SOAK_FULL, stalledBytes: 16 * MiB}
    : {bulk: 256 * MiB, cliRuns: 10, concurrency: 100, concurrencyBytes: MiB, gibBytes: GiB, gibConnections: 200, latencyCount: 500, many: 50, rounds: 3, rpsMs: 10_000, soak: SOAK_FULL, stalledBytes: 16 * MiB}
if (flags.rounds !== undefined) SIZES.rounds = Math.max(1, Number.parseInt(flags.rounds, 10) || 1)

type Tool = 'client-node' | 'direct' | 'kubectl-spdy' | 'kubectl-ws' | 'svc' | 'svc-spdy' | 'svc-websocket'
const ALL_TOOLS: Tool[] = ['svc', 'svc-spdy', 'svc-websocket', 'kubectl-ws', 'kubectl-spdy', 'client-node', 'direct']
/** The tools chosen, in the order given (the rotation starts from it). */
const TOOLS: Tool[] = flags.tools ? [...new Set(flags.tools.split(','))].filter((t): t is Tool => ALL_TOOLS.includes(t as Tool)) : ALL_TOOLS
/** The figures that measure the port-forward path, the real cluster's default. */
const REAL_WORKLOADS = ['echo', 'download', 'latency', 'concurrency', 'rps']
const ONLY = flags.only?.split(',') ?? (CLUSTER === 'real' ? REAL_WORKLOADS : undefined)
const NARROWED = TOOLS.length < ALL_TOOLS.length || flags.only !== undefined
const PARTIAL = CLUSTER === 'real' ? NARROWED : NARROWED || MEDIUM || flags.rounds !== undefined

interface Env {
  /** The cluster's process (bench/cluster-child.ts): the local cluster, or the real control plane's launcher and parent. */
  clusterPid: number
  direct: Record<string, number>
  kubeconfig: string
  kubectl: string
}

/** A forwarder process, or the pod's own socket (`direct`, no process). */
type Forwarder = Started | {localPort: number; peakRss: () => number; stop: () => Promise<void>}

/** One forwarder process for `pod:port`, or the pod's own socket for `direct`. */
async function forwarder(tool: Tool, env: Env, pod: string, port: number): Promise<Forwarder> {
  const base = {...process.env, KUBECONFIG: env.kubeconfig, NO_COLOR: '1'}
  switch (tool) {
    case 'svc':
    case 'svc-spdy':
    case 'svc-websocket': {
      // `svc` is --transport auto (the tunnel, here); the others pin a transport.
      const transport = tool === 'svc' ? 'auto' : tool.slice('svc-'.length)
      return startForwarder(process.execPath, [path.join(ROOT, 'bin', 'run.js'), 'port-forward', `pod/${pod}`, `:${port}`, '--address', '127.0.0.1', '--transport', transport], base)
    }
    case 'kubectl-ws':
      return startForwarder(env.kubectl, ['port-forward', `pod/${pod}`, `:${port}`, '--address', '127.0.0.1'], base)
    case 'kubectl-spdy':
      return startForwarder(env.kubectl, ['port-forward', `pod/${pod}`, `:${port}`, '--address', '127.0.0.1'], {...base, KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false'})
    case 'client-node':
      return startForwarder(process.execPath, [path.join(ROOT, 'bench', 'forwarders', 'client-node.ts'), env.kubeconfig, 'default', pod, String(port)], base)
    case 'direct':
      return {localPort: env.direct[pod], peakRss: () => Number.NaN, stop: async () => {}}
  }
}

interface Metric {
  /** Higher is better (throughput) or lower is better (time, latency, memory). */
  better: 'higher' | 'lower'
  id: string
  label: string
  unit: string
  values: Partial<Record<Tool, number[]>>
}

const metrics: Metric[] = []
function metric(id: string, label: string, unit: string, better: 'higher' | 'lower'): Metric {
  const m: Metric = {better, id, label, unit, values: {}}
  metrics.push(m)
  return m
}
function record(m: Metric, tool: Tool, value: number) {
  ;(m.values[tool] ??= []).push(value)
}

/**
 * Rows of a workload's usage per unit (MiB, connection): the CPU of the forwarder, the cluster,
 * the client and the three together; the forwarder's and the cluster's read and write system
 * calls; for a transfer of bytes, the client's socket reads that returned them.
 */
interface UsageMetrics {
  calls: Record<'cluster' | 'forwarder', Metric>
  cpu: Record<'client' | 'cluster' | 'forwarder' | 'machine', Metric>
  reads?: Metric
  wait: Record<'cluster' | 'forwarder', Metric>
}
const [CLUSTER_NAME, CLUSTER_HOLDS] = CLUSTER === 'real' ? ['the control plane', 'every process of it, the pod agent included'] : ['the local cluster', 'its pods included']
function usageMetrics(id: string, workload: string, per: string, unit: string, reads: boolean): UsageMetrics {
  const cpu = (suffix: string, who: string) => metric(`${id}-cpu${suffix}`, `${workload}: CPU of ${who} per ${per}`, `ms/${unit}`, 'lower')
  const wait = (suffix: string, who: string) => metric(`${id}-wait${suffix}`, `${workload}: time ${who} waited for a CPU per ${per}`, `ms/${unit}`, 'lower')
  const calls = (suffix: string, who: string) => metric(`${id}-calls${suffix}`, `${workload}: read and write calls of ${who} per ${per}`, `calls/${unit}`, 'lower')
  return {
    cpu: {
      forwarder: cpu('', 'the forwarder'),
      cluster: cpu('-cluster', `${CLUSTER_NAME} (${CLUSTER_HOLDS})`),
      client: cpu('-client', 'the client (the bench process)'),
      machine: cpu('-machine', `the forwarder, ${CLUSTER_NAME} and the client together`),
    },
    wait: {forwarder: wait('', "the forwarder's threads"), cluster: wait('-cluster', `the threads of ${CLUSTER_NAME}`)},
    calls: {forwarder: calls('-forwarder', 'the forwarder'), cluster: calls('-cluster', CLUSTER_NAME)},
    reads: reads ? metric(`${id}-reads-client`, `${workload}: socket reads that returned data to the client per ${per}`, `reads/${unit}`, 'lower') : undefined,
  }
}
/**
 * What a transfer (the forwarder's start-up excluded) cost each party per unit: CPU, all threads
 * counted, and read and write calls, whatever else the machine runs meanwhile; `reads`, the
 * client's reads that returned the transfer's bytes.
 */
function recordUsage(m: UsageMetrics, tool: Tool, before: Usage, after: Usage, units: number, reads?: number) {
  const used = cpuUsed(before, after)
  for (const party of used.ticks) process.stderr.write(`${m.cpu.forwarder.id}, ${tool}: a thread or child of the ${party} ended during the run; its CPU is from /proc/PID/stat's 10 ms ticks\n`)
  const cpu = perUnit(used.cpuMs, units)
  const put = (row: Metric | undefined, v: number | undefined) => {
    if (row && v !== undefined && Number.isFinite(v)) record(row, tool, v)
  }
  for (const party of ['forwarder', 'cluster', 'client', 'machine'] as const) put(m.cpu[party], cpu[party])
  for (const party of ['forwarder', 'cluster'] as const) put(m.wait[party], (used.waitMs[party] ?? Number.NaN) / units)
  for (const party of ['forwarder', 'cluster'] as const) {
    const [a, b] = [before.calls[party], after.calls[party]]
    put(m.calls[party], a === undefined || b === undefined ? undefined : (b - a) / units)
  }
  put(m.reads, reads === undefined ? undefined : reads / units)
}
/** The parties' usage before or after a transfer: the client's is read last before it, first after it. */
function usage(env: Env, fwd: Forwarder, order: 'after' | 'before'): Usage {
  return sampleUsage(env.clusterPid, 'child' in fwd ? fwd.child.pid : undefined, order)
}

const echoMBs = metric('echo', `bulk echo, ${SIZES.bulk / MiB} MiB, one connection`, 'MB/s', 'higher')
const downloadMBs = metric('download', `download /bytes, ${SIZES.bulk / MiB} MiB`, 'MB/s', 'higher')
const echoUsage = usageMetrics('echo', 'bulk echo', 'MiB echoed', 'MiB', true)
const downloadUsage = usageMetrics('download', 'download', 'MiB', 'MiB', true)
const latencyP50 = metric('latency-p50', `connect + 1-byte echo, p50 of ${SIZES.latencyCount}`, 'ms', 'lower')
const latencyP99 = metric('latency-p99', `connect + 1-byte echo, p99 of ${SIZES.latencyCount}`, 'ms', 'lower')
const latencyUsage = usageMetrics('latency', 'connect + 1-byte echo', 'connection', 'conn', false)
const concurrencyMs = metric('concurrency', `${SIZES.concurrency} parallel connections x 1 MiB echo, total`, 'ms', 'lower')
const concurrencyErrors = metric('concurrency-errors', 'errors in the parallel run', 'count', 'lower')
const rps = metric('rps', `HTTP GET /hostname on new connections, ${SIZES.rpsMs / 1000} s`, 'req/s', 'higher')
const rssBulk = metric('rss-bulk', 'peak RSS of the forwarder, bulk echo', 'MiB', 'lower')
const rssConcurrency = metric('rss-concurrency', 'peak RSS of the forwarder, parallel run', 'MiB', 'lower')
const gibLabel = `${SIZES.gibBytes >= GiB ? `${fmt(SIZES.gibBytes / GiB)} GiB` : `${fmt(SIZES.gibBytes / MiB)} MiB`} echo over ${SIZES.gibConnections} parallel connections`
const gibMs = metric('gib', `${gibLabel}, total`, 'ms', 'lower')
const gibFailed = metric('gib-failed', `${gibLabel}: connections with bytes lost or a sha256 that differs`, 'count', 'lower')
const gibRss = metric('rss-gib', `peak RSS of the forwarder, ${gibLabel}`, 'MiB', 'lower')
const soakCount = Object.values(SIZES.soak).reduce((a, b) => a + b, 0)
const soakLabel = `churn of ${soakCount} connections (${Object.entries(SIZES.soak).map(([m, n]) => `${n} ${m}`).join(', ')}; 8 at a time)`
const soakCps = metric('soak-cps', `${soakLabel}: connections per second`, 'conn/s', 'higher')
const soakFdsIdle = metric('soak-fds-idle', 'churn: open fds of the forwarder, idle before', 'fds', 'lower')
const soakFdsPeak = metric('soak-fds-peak', 'churn: open fds, peak during', 'fds', 'lower')
const soakFdsAfter = metric('soak-fds-after', 'churn: open fds 3 s after the last close', 'fds', 'lower')
const soakRssIdle = metric('soak-rss-idle', 'churn: RSS of the forwarder, idle before', 'MiB', 'lower')
const soakRssPeak = metric('soak-rss-peak', 'churn: RSS, peak during', 'MiB', 'lower')
const soakRssAfter = metric('soak-rss-after', 'churn: RSS 3 s after the last close', 'MiB', 'lower')
const manyRss = metric('many-rss', `one process forwarding ${SIZES.many} Services (--all): peak RSS`, 'MiB', 'lower')
const oneRss = metric('many-rss-one', 'one process forwarding 1 Service: peak RSS', 'MiB', 'lower')
const manyP50 = metric('many-p50', `${SIZES.many} Services: connect + 1-byte echo, p50 of ${SIZES.latencyCount} round-robin`, 'ms', 'lower')
const oneP50 = metric('many-p50-one', `1 Service: connect + 1-byte echo, p50 of ${SIZES.latencyCount}`, 'ms', 'lower')
const stalledLabel = `a stopped reader beside 10 downloads of ${fmt(SIZES.stalledBytes / MiB)} MiB`
const stalledSpeed = metric('stalled-speed', `${stalledLabel}: their speed as a fraction of it without`, 'x', 'higher')
const stalledRss = metric('stalled-rss', `${stalledLabel}: the forwarder's peak RSS growth`, 'MiB', 'lower')
const stalledGot = metric('stalled-got', `${stalledLabel}: the share of its ${fmt(2 * SIZES.stalledBytes / MiB)} MiB the stopped reader got within 60 s once it read again`, 'x', 'higher')

type Workload = (tool: Tool, env: Env) => Promise<void>

const workloads: Array<[string, Workload]> = [
  ['many', async (tool, env) => {
    // svc alone: kubectl forwards one target per process.
    if (tool !== 'svc') return
    const remove = await createManyServices(env.kubeconfig, SIZES.many)
    try {
      for (const mode of ['all', 'one'] as const) {
        const f = await measureMany(env.kubeconfig, mode, SIZES.latencyCount)
        record(mode === 'all' ? manyRss : oneRss, tool, f.peakRssMiB)
        record(mode === 'all' ? manyP50 : oneP50, tool, f.p50)
      }
    } finally {
      await remove()
    }
  }],
  ['echo', async (tool, env) => {
    const fwd = await forwarder(tool, env, 'bench-echo', 7)
    try {
      const before = usage(env, fwd, 'before')
      const {ms, reads} = await echoTransfer(fwd.localPort, SIZES.bulk)
      const after = usage(env, fwd, 'after')
      record(echoMBs, tool, SIZES.bulk / 1e6 / (ms / 1000))
      recordUsage(echoUsage, tool, before, after, SIZES.bulk / MiB, reads)
      if (tool !== 'direct') record(rssBulk, tool, fwd.peakRss() / MiB)
    } finally {
      await fwd.stop()
    }
  }],
  ['download', async (tool, env) => {
    const fwd = await forwarder(tool, env, 'bench-http', 8080)
    try {
      const before = usage(env, fwd, 'before')
      const {ms, reads} = await download(fwd.localPort, SIZES.bulk)
      const after = usage(env, fwd, 'after')
      record(downloadMBs, tool, SIZES.bulk / 1e6 / (ms / 1000))
      recordUsage(downloadUsage, tool, before, after, SIZES.bulk / MiB, reads)
    } finally {
      await fwd.stop()
    }
  }],
  ['latency', async (tool, env) => {
    const fwd = await forwarder(tool, env, 'bench-echo', 7)
    try {
      const before = usage(env, fwd, 'before')
      const samples = await connectionLatency(fwd.localPort, SIZES.latencyCount)
      const after = usage(env, fwd, 'after')
      recordUsage(latencyUsage, tool, before, after, SIZES.latencyCount)
      record(latencyP50, tool, quantile(samples, 0.5))
      record(latencyP99, tool, quantile(samples, 0.99))
    } finally {
      await fwd.stop()
    }
  }],
  ['concurrency', async (tool, env) => {
    const fwd = await forwarder(tool, env, 'bench-echo', 7)
    try {
      const result = await concurrentEcho(fwd.localPort, SIZES.concurrency, SIZES.concurrencyBytes)
      record(concurrencyMs, tool, result.ms)
      record(concurrencyErrors, tool, result.errors)
      if (tool !== 'direct') record(rssConcurrency, tool, fwd.peakRss() / MiB)
    } finally {
      await fwd.stop()
    }
  }],
  ['gib', async (tool, env) => {
    const fwd = await forwarder(tool, env, 'bench-echo', 7)
    try {
      const result = await concurrentEcho(fwd.localPort, SIZES.gibConnections, Math.floor(SIZES.gibBytes / SIZES.gibConnections), 900_000)
      if (result.firstError) process.stderr.write(`gib, ${tool}: ${result.errors} connections failed, the first: ${result.firstError}\n`)
      record(gibMs, tool, result.ms)
      record(gibFailed, tool, result.errors)
      if (tool !== 'direct') record(gibRss, tool, fwd.peakRss() / MiB)
    } finally {
      await fwd.stop()
    }
  }],
  ['soak', async (tool, env) => {
    if (tool === 'direct') return
    const fwd = await forwarder(tool, env, 'bench-echo', 7) as Started
    try {
      const f = await churnSoak(fwd.child.pid!, fwd.localPort, SIZES.soak, 8)
      record(soakCps, tool, f.cps)
      record(soakFdsIdle, tool, f.fds.idle)
      record(soakFdsPeak, tool, f.fds.peak)
      record(soakFdsAfter, tool, f.fds.after)
      record(soakRssIdle, tool, f.rss.idle / MiB)
      record(soakRssPeak, tool, f.rss.peak / MiB)
      record(soakRssAfter, tool, f.rss.after / MiB)
    } finally {
      await fwd.stop()
    }
  }],
  ['stalled', async (tool, env) => {
    if (tool === 'direct') return
    const fwd = await forwarder(tool, env, 'bench-http', 8080) as Started
    try {
      const f = await stoppedReader(fwd.child.pid!, fwd.localPort, {bytes: SIZES.stalledBytes, deadlineMs: 60_000, others: 10, stalledBytes: 2 * SIZES.stalledBytes})
      record(stalledSpeed, tool, f.speed)
      record(stalledRss, tool, f.rssGrowth / MiB)
      record(stalledGot, tool, f.stoppedGot)
    } finally {
      await fwd.stop()
    }
  }],
  ['rps', async (tool, env) => {
    const fwd = await forwarder(tool, env, 'bench-http', 8080)
    try {
      const result = await requestRate(fwd.localPort, SIZES.rpsMs)
      record(rps, tool, result.rps)
    } finally {
      await fwd.stop()
    }
  }],
]

interface CliResult {
  command: string
  kubectl: Summary
  /** Peak RSS in MiB of each run (GNU time); empty when it is not installed. */
  kubectlRss: Summary
  ratio: number
  rssRatio: number
  svc: Summary
  svcRss: Summary
}

async function cliTimings(env: Env): Promise<CliResult[]> {
  const base = {...process.env, KUBECONFIG: env.kubeconfig, NO_COLOR: '1'}
  const svc = [process.execPath, path.join(ROOT, 'bin', 'run.js')]
  // What each tool is asked: the same request in each one's own spelling.
  const cases: Array<[string, string[], string[]]> = [
    ['get svc', ['get'], ['get', 'svc']],
    ['describe svc kubernetes', ['describe', 'kubernetes'], ['describe', 'svc', 'kubernetes']],
    ['--help', ['--help'], ['--help']],
    ['version', ['version'], ['version']],
    ['create clusterip --dry-run=client', ['create', 'clusterip', 'bench', '--tcp=80:8080', '--dry-run=client', '-o', 'yaml'], ['create', 'service', 'clusterip', 'bench', '--tcp=80:8080', '--dry-run=client', '-o', 'yaml']],
  ]
  const results: CliResult[] = []
  for (const [label, svcArgs, args] of cases) {
    // One warm-up each, not counted: the first run fills the OS page cache and Node's compile cache.
    await timeCommand(svc[0], [...svc.slice(1), ...svcArgs], base)
    await timeCommand(env.kubectl, args, base)
    const times: Record<'kubectl' | 'svc', number[]> = {kubectl: [], svc: []}
    const rss: Record<'kubectl' | 'svc', number[]> = {kubectl: [], svc: []}
    for (let i = 0; i < SIZES.cliRuns; i++) {
      const order: Array<'kubectl' | 'svc'> = i % 2 === 0 ? ['svc', 'kubectl'] : ['kubectl', 'svc']
      for (const tool of order) {
        const r = tool === 'svc' ? await timeCommand(svc[0], [...svc.slice(1), ...svcArgs], base) : await timeCommand(env.kubectl, args, base)
        if (r.code !== 0) throw new Error(`${tool} ${label} exited with ${r.code}`)
        times[tool].push(r.ms)
        if (Number.isFinite(r.peakRss)) rss[tool].push(r.peakRss / MiB)
      }
    }
    results.push({
      command: label,
      kubectl: summarize(times.kubectl),
      kubectlRss: summarize(rss.kubectl),
      ratio: pairedRatio(times.svc, times.kubectl),
      rssRatio: pairedRatio(rss.svc, rss.kubectl),
      svc: summarize(times.svc),
      svcRss: summarize(rss.svc),
    })
  }
  return results
}

function fmt(n: number): string {
  if (!Number.isFinite(n)) return 'n/a'
  if (Math.abs(n) >= 100) return n.toFixed(0)
  if (Math.abs(n) >= 10) return n.toFixed(1)
  return n.toFixed(2)
}

function markdown(meta: Record<string, string>, cli: CliResult[]): string {
  const lines: string[] = []
  lines.push(`Measured ${meta.date} through ${meta.server} on ${meta.machine}, Node ${meta.node}, kubectl ${meta.kubectl}; ${SIZES.rounds} rounds, tools alternated; median (min-max). \`svc\` is \`--transport auto\` (the tunnel against this cluster); svc/... ratios are for it.`, '')
  lines.push(`| metric | ${TOOLS.join(' | ')} | svc/kubectl-ws | svc/kubectl-spdy | svc/client-node | svc/direct |`)
  lines.push(`| --- | ${TOOLS.map(() => '---:').join(' | ')} | ---: | ---: | ---: | ---: |`)
  for (const m of metrics) {
    if (Object.keys(m.values).length === 0) continue
    const cells = TOOLS.map(t => {
      const v = m.values[t]
      if (!v || v.length === 0) return '-'
      const s = summarize(v)
      return s.n > 1 ? `${fmt(s.median)} (${fmt(s.min)}-${fmt(s.max)})` : fmt(s.median)
    })
    const ratio = (other: Tool) => (m.values.svc && m.values[other] ? fmt(pairedRatio(m.values.svc, m.values[other]!)) : '-')
    lines.push(`| ${m.label} (${m.unit}, ${m.better} is better) | ${cells.join(' | ')} | ${ratio('kubectl-ws')} | ${ratio('kubectl-spdy')} | ${ratio('client-node')} | ${ratio('direct')} |`)
  }
  const spread = (s: Summary) => (s.n > 0 ? `${fmt(s.median)} (${fmt(s.min)}-${fmt(s.max)})` : 'n/a')
  if (cli.length > 0) lines.push(
    '',
    `| CLI command (median of ${SIZES.cliRuns}) | svc wall (ms) | kubectl wall (ms) | svc/kubectl | svc peak RSS (MiB) | kubectl peak RSS (MiB) | svc/kubectl |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  )
  for (const c of cli) {
    lines.push(`| \`${c.command}\` | ${spread(c.svc)} | ${spread(c.kubectl)} | ${fmt(c.ratio)} | ${spread(c.svcRss)} | ${spread(c.kubectlRss)} | ${fmt(c.rssRatio)} |`)
  }
  return lines.join('\n')
}

/**
 * One unmeasured pass before the first round, so that no tool's first transfer pays for code that
 * runs for the first time: V8 compiles the client's code (this process's) and the cluster's
 * port-forward paths (the tunnel, plain SPDY, the v4 WebSocket protocol, each with its own code)
 * as they run, and the first tens of MiB through each cost more. So: the echo, the download and a
 * few new connections straight to the pods, then the same, shorter, through one forwarder of each
 * tool chosen, which takes every transport the run measures through the cluster.
 */
async function warmUp(env: Env) {
  for (const tool of ['direct' as const, ...TOOLS.filter(t => t !== 'direct')]) {
    const bytes = Math.min(SIZES.bulk, (tool === 'direct' ? 64 : 16) * MiB)
    try {
      const echo = await forwarder(tool, env, 'bench-echo', 7)
      try {
        await echoTransfer(echo.localPort, bytes)
        await connectionLatency(echo.localPort, 20)
      } finally {
        await echo.stop()
      }
      const http = await forwarder(tool, env, 'bench-http', 8080)
      try {
        await download(http.localPort, bytes)
      } finally {
        await http.stop()
      }
    } catch (error) {
      process.stderr.write(`warm-up, ${tool}: ${(error as Error).message}\n`)
    }
  }
}

async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'svc-bench-'))
  const kubectl = await ensureKubectl()
  const cluster = await startClusterChild(dir, CLUSTER)
  const env: Env = {clusterPid: cluster.child.pid!, direct: cluster.direct, kubeconfig: cluster.kubeconfig, kubectl}
  const started = Date.now()
  try {
    const chosen = workloads.filter(([name]) => !ONLY || ONLY.includes(name))
    if (chosen.some(([name]) => name !== 'many')) await warmUp(env)
    for (const [i, [name, workload]] of chosen.entries()) {
      for (let round = 0; round < SIZES.rounds; round++) {
        for (const tool of roundOrder(TOOLS, round, workloads.findIndex(([n]) => n === name))) {
          try {
            await workload(tool, env)
          } catch (error) {
            process.stderr.write(`workload ${i + 1}, ${tool}: ${(error as Error).message}\n`)
          }
        }
        process.stderr.write(`workload ${i + 1}/${chosen.length} round ${round + 1}/${SIZES.rounds} done (${Math.round((Date.now() - started) / 1000)} s)\n`)
      }
    }
    const cli = !ONLY || ONLY.includes('cli') ? await cliTimings(env) : []
    const kubectlVersion = JSON.parse((await timeCommand(kubectl, ['version', '--client', '-o', 'json'], process.env)).stdout).clientVersion.gitVersion
    const meta = {
      clusterV8Flags: cluster.v8Flags.join(' '),
      cpu: os.cpus()[0]?.model ?? 'unknown',
      date: new Date().toISOString().slice(0, 10),
      kubectl: kubectlVersion,
      machine: `${os.cpus().length} cores (${os.cpus()[0]?.model.trim() ?? 'unknown'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.arch()}`,
      node: process.versions.node,
      quick: String(QUICK),
      server: cluster.server,
    }
    const table = markdown(meta, cli)
    process.stdout.write(`${table}\n`)
    if (QUICK || PARTIAL) return
    // Each cluster has its own results file and section of the page: neither run erases the other's.
    const real = CLUSTER === 'real'
    writeFileSync(path.join(ROOT, 'bench', real ? 'results-real.json' : 'results.json'), `${JSON.stringify({cli, meta, metrics, sizes: SIZES}, null, 2)}\n`)
    if (!real) writeFileSync(path.join(ROOT, 'bench', 'results.svg'), renderChart(metrics.filter(m => ['echo', 'download', 'latency-p50', 'rps'].includes(m.id)), TOOLS))
    const doc = path.join(ROOT, 'docs', 'benchmarks.md')
    const text = readFileSync(doc, 'utf8')
    const begin = real ? '<!-- bench-real:begin -->' : '<!-- bench:begin -->'
    const end = real ? '<!-- bench-real:end -->' : '<!-- bench:end -->'
    if (text.includes(begin) && text.includes(end)) {
      writeFileSync(doc, text.slice(0, text.indexOf(begin) + begin.length) + `\n${table}\n` + text.slice(text.indexOf(end)))
    }
  } finally {
    // The real control plane takes a few seconds to stop its processes: wait for it.
    if (cluster.child.exitCode === null && cluster.child.signalCode === null) {
      const exited = new Promise(resolve => cluster.child.once('exit', resolve))
      cluster.child.kill('SIGTERM')
      await exited
    }
    rmSync(dir, {force: true, recursive: true})
  }
}

await main()
