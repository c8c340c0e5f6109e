// `node bench/proxy.ts` (also the last step of `npm run bench`): svc proxy next to svc port-forward
// on the same Service, through one local cluster process (bench/cluster-child.ts). Workloads:
// connect + 1-byte echo latency (p50, p99) and HTTP GET /hostname on new connections (req/s), for
//   port-forward   `svc port-forward svc/bench-echo` / `svc/bench-http`, the client dials the local port;
//   proxy-socks5   the client speaks SOCKS5 (greeting + CONNECT by name in one write) to `svc proxy`;
//   proxy-http     HTTP CONNECT (latency) and absolute-form GET (req/s) to `svc proxy`.
// Each tool's figure is its median over the rounds, with min and max; tools are alternated within
// a round. BENCH_QUICK=1: one short round. BENCH_ONLY without `proxy` skips it. A full run writes
// bench/proxy-results.json and the table in docs/benchmarks.md (between the proxy-bench markers).

import type {ChildProcess} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'

import {KubeConfig} from '@kubernetes/client-node'

import {KubeClient} from '../src/kube/client.ts'
import {startClusterChild, type Started, startForwarder} from './lib/proc.ts'
import {pairedRatio, quantile, summarize, type Summary} from './lib/stats.ts'
import {connect, connectionLatencyVia, withDeadline} from './lib/workloads.ts'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
// `npm run bench -- FLAGS` hands bench/run.ts's flags to this script too (each also as BENCH_*).
const {values: ARGV} = parseArgs({
  options: {cluster: {type: 'string'}, medium: {type: 'boolean'}, only: {type: 'string'}, quick: {type: 'boolean'}, rounds: {type: 'string'}, tools: {type: 'string'}},
  strict: false,
})
const QUICK = ARGV.quick === true || process.env.BENCH_QUICK === '1'
/** A run narrowed for tuning prints its table only. */
const NARROWED = ARGV.tools !== undefined || ARGV.medium === true || ARGV.rounds !== undefined || Boolean(process.env.BENCH_TOOLS || process.env.BENCH_MEDIUM || process.env.BENCH_ROUNDS)
const SIZES = QUICK ? {latencyCount: 50, rounds: 1, rpsMs: 2000} : {latencyCount: 300, rounds: 3, rpsMs: 5000}
const TOOLS = ['port-forward', 'proxy-socks5', 'proxy-http'] as const
type Tool = (typeof TOOLS)[number]

const ECHO = {name: 'bench-echo', port: 7, servicePort: 7007}
const HTTP = {name: 'bench-http', port: 8080, servicePort: 80}

/** Reads exactly n bytes (the proxy's reply), leaving the rest in the socket. */
function readReply(socket: net.Socket, test: (buf: Buffer) => number): Promise<void> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0)
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk])
      const used = test(buf)
      if (used < 0) return
      socket.off('data', onData)
      socket.off('error', reject)
      socket.pause()
      if (buf.length > used) socket.unshift(buf.subarray(used))
      resolve()
    }
    socket.on('data', onData)
    socket.once('error', reject)
  })
}

/** A connection to `host:port` through the proxy, ready for payload. */
async function viaProxy(tool: Tool, proxyPort: number, host: string, port: number): Promise<net.Socket> {
  const socket = await connect(proxyPort)
  if (tool === 'proxy-socks5') {
    const name = Buffer.from(host)
    socket.write(Buffer.concat([Buffer.from([5, 1, 0, 5, 1, 0, 3, name.length]), name, Buffer.from([port >> 8, port & 0xff])]))
    await readReply(socket, buf => {
      if (buf.length < 12) return -1
      if (buf[3] !== 0) throw new Error(`SOCKS5 reply ${buf[3]}`)
      return 12
    })
  } else {
    socket.write(`CONNECT ${host}:${port} HTTP/1.1\r\nHost: ${host}:${port}\r\n\r\n`)
    await readReply(socket, buf => {
      const end = buf.indexOf('\r\n\r\n')
      if (end < 0) return -1
      if (!buf.subarray(0, 12).toString().startsWith('HTTP/1.1 200')) throw new Error(buf.toString().split('\r\n')[0])
      return end + 4
    })
  }
  socket.resume()
  return socket
}

/** GET /hostname on a new connection each time, 4 workers, for `ms`. */
async function requestRate(get: () => Promise<boolean>, ms: number): Promise<{errors: number; rps: number}> {
  const end = performance.now() + ms
  let ok = 0
  let errors = 0
  const started = performance.now()
  await Promise.all(Array.from({length: 4}, async () => {
    while (performance.now() < end) {
      if (await get().catch(() => false)) ok++
      else errors++
    }
  }))
  return {errors, rps: ok / ((performance.now() - started) / 1000)}
}

function httpGet(options: http.RequestOptions): Promise<boolean> {
  return new Promise(resolve => {
    const req = http.get({agent: false, timeout: 10_000, ...options, headers: {Connection: 'close', ...options.headers}}, res => {
      res.resume()
      res.on('end', () => resolve(res.statusCode === 200))
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', () => resolve(false))
  })
}

/** GET over a tunnel the proxy opened (SOCKS5): raw HTTP/1.1, read to the end. */
async function getThrough(socket: net.Socket, host: string): Promise<boolean> {
  socket.write(`GET /hostname HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)
  const chunks: Buffer[] = []
  for await (const chunk of socket) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('latin1').startsWith('HTTP/1.1 200')
}

interface Env {
  kubeconfig: string
}

async function startCluster(dir: string): Promise<{child: ChildProcess; env: Env}> {
  const {child, kubeconfig} = await withDeadline(startClusterChild(dir), 60_000, 'the cluster')
  const env = {kubeconfig}
  const kc = new KubeConfig()
  kc.loadFromFile(env.kubeconfig)
  const client = new KubeClient(kc)
  for (const svc of [ECHO, HTTP]) {
    await client.request({
      body: {apiVersion: 'v1', kind: 'Service', metadata: {name: svc.name}, spec: {ports: [{port: svc.servicePort, targetPort: svc.port}], selector: {app: svc.name}}},
      method: 'POST',
      path: '/api/v1/namespaces/default/services',
    })
  }
  return {child, env}
}

interface Row {
  id: string
  label: string
  unit: string
  better: 'higher' | 'lower'
  values: Record<Tool, number[]>
}

export async function benchProxy(): Promise<Row[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'svc-bench-proxy-'))
  const {child, env} = await startCluster(dir)
  const base = {...process.env, KUBECONFIG: env.kubeconfig, NO_COLOR: '1'}
  const bin = path.join(ROOT, 'bin', 'run.js')
  const rows: Row[] = [
    {better: 'lower', id: 'latency-p50', label: `connect + 1-byte echo, p50 of ${SIZES.latencyCount}`, unit: 'ms', values: {'port-forward': [], 'proxy-http': [], 'proxy-socks5': []}},
    {better: 'lower', id: 'latency-p99', label: `connect + 1-byte echo, p99 of ${SIZES.latencyCount}`, unit: 'ms', values: {'port-forward': [], 'proxy-http': [], 'proxy-socks5': []}},
    {better: 'higher', id: 'rps', label: `HTTP GET /hostname on new connections, ${SIZES.rpsMs / 1000} s`, unit: 'req/s', values: {'port-forward': [], 'proxy-http': [], 'proxy-socks5': []}},
  ]
  const started: Started[] = []
  try {
    const pfEcho = await startForwarder(process.execPath, [bin, 'port-forward', `svc/${ECHO.name}`, `:${ECHO.servicePort}`, '--address', '127.0.0.1'], base)
    const pfHttp = await startForwarder(process.execPath, [bin, 'port-forward', `svc/${HTTP.name}`, `:${HTTP.servicePort}`, '--address', '127.0.0.1'], base)
    const proxy = await startForwarder(process.execPath, [bin, 'proxy', '--port', '0', '-o', 'json'], base)
    started.push(pfEcho, pfHttp, proxy)
    const measure: Record<Tool, () => Promise<[number[], number]>> = {
      'port-forward': async () => [await connectionLatencyVia(() => connect(pfEcho.localPort), SIZES.latencyCount),
        (await requestRate(() => httpGet({host: '127.0.0.1', path: '/hostname', port: pfHttp.localPort}), SIZES.rpsMs)).rps],
      'proxy-http': async () => [await connectionLatencyVia(() => viaProxy('proxy-http', proxy.localPort, ECHO.name, ECHO.servicePort), SIZES.latencyCount),
        (await requestRate(() => httpGet({headers: {Host: HTTP.name}, host: '127.0.0.1', path: `http://${HTTP.name}/hostname`, port: proxy.localPort}), SIZES.rpsMs)).rps],
      'proxy-socks5': async () => [await connectionLatencyVia(() => viaProxy('proxy-socks5', proxy.localPort, ECHO.name, ECHO.servicePort), SIZES.latencyCount),
        (await requestRate(async () => getThrough(await viaProxy('proxy-socks5', proxy.localPort, HTTP.name, HTTP.servicePort), HTTP.name), SIZES.rpsMs)).rps],
    }
    // Warm every path once (sessions dialled, namespaces watched) before measuring.
    for (const tool of TOOLS) await withDeadline(connectionLatencyVia(tool === 'port-forward' ? () => connect(pfEcho.localPort) : () => viaProxy(tool, proxy.localPort, ECHO.name, ECHO.servicePort), 5), 30_000, `${tool} warm-up`)
    for (let round = 0; round < SIZES.rounds; round++) {
      const order = TOOLS.map((_, i) => TOOLS[(i + round) % TOOLS.length])
      for (const tool of order) {
        const [samples, rps] = await withDeadline(measure[tool](), 180_000, `${tool} round ${round + 1}`)
        rows[0].values[tool].push(quantile(samples, 0.5))
        rows[1].values[tool].push(quantile(samples, 0.99))
        rows[2].values[tool].push(rps)
        process.stderr.write(`round ${round + 1} ${tool}: p50 ${quantile(samples, 0.5).toFixed(2)} ms, p99 ${quantile(samples, 0.99).toFixed(2)} ms, ${rps.toFixed(0)} req/s\n`)
      }
    }
  } finally {
    for (const s of started) await s.stop()
    child.kill('SIGTERM')
    rmSync(dir, {force: true, recursive: true})
  }
  return rows
}

const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2))
const cell = (s: Summary) => `${fmt(s.median)} (${fmt(s.min)}-${fmt(s.max)})`

export function proxyTable(rows: Row[]): string {
  const lines = ['| metric | svc port-forward | svc proxy, SOCKS5 | svc proxy, HTTP | SOCKS5/port-forward | HTTP/port-forward |', '| --- | ---: | ---: | ---: | ---: | ---: |']
  for (const row of rows) {
    const [pf, socks, httpProxy] = TOOLS.map(t => summarize(row.values[t]))
    lines.push(`| ${row.label} (${row.unit}, ${row.better} is better) | ${cell(pf)} | ${cell(socks)} | ${cell(httpProxy)} | ${fmt(pairedRatio(row.values['proxy-socks5'], row.values['port-forward']))} | ${fmt(pairedRatio(row.values['proxy-http'], row.values['port-forward']))} |`)
  }
  return lines.join('\n')
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // It runs on the local cluster only, and only when --only names it.
  const only = (ARGV.only as string | undefined) ?? process.env.BENCH_ONLY
  if ((ARGV.cluster ?? process.env.BENCH_CLUSTER ?? 'local') !== 'local' || (only && !only.split(',').includes('proxy'))) process.exit(0)
  const rows = await benchProxy()
  const table = proxyTable(rows)
  process.stdout.write(`\nsvc proxy next to svc port-forward, same Services (HTTP: CONNECT for latency, absolute-form GET for req/s)\n${table}\n`)
  if (!QUICK && !NARROWED) {
    writeFileSync(path.join(ROOT, 'bench', 'proxy-results.json'), `${JSON.stringify({date: new Date().toISOString(), node: process.version, rows}, null, 2)}\n`)
    const doc = path.join(ROOT, 'docs', 'benchmarks.md')
    const text = readFileSync(doc, 'utf8')
    const header = `Measured ${new Date().toISOString().slice(0, 10)} on ${os.cpus().length} cores, Node ${process.version}; ${SIZES.rounds} rounds, tools alternated; median (min-max).`
    const block = `<!-- proxy-bench:begin -->\n${header}\n\n${table}\n<!-- proxy-bench:end -->`
    writeFileSync(doc, text.replace(/<!-- proxy-bench:begin -->[\s\S]*<!-- proxy-bench:end -->/, block))
  }
}
