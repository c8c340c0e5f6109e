// `node bench/pf-many.ts [--services N] [--connections N] [--rounds N]`: one svc process forwarding
// N Services (`port-forward --all`, default 50) next to one forwarding one Service: peak RSS, connect
// + 1-byte echo latency (p50, p99, round-robin over the forwarded Services) and the time to the
// ready event, each the median over the rounds (the two alternate). `npm run bench` runs the same
// measurement as its `many` workload.

import {mkdtempSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {parseArgs} from 'node:util'

import {createManyServices, type ManyFigures, measureMany} from './lib/many.ts'
import {startClusterChild} from './lib/proc.ts'
import {summarize} from './lib/stats.ts'

const {values} = parseArgs({options: {connections: {default: '300', type: 'string'}, rounds: {default: '3', type: 'string'}, services: {default: '50', type: 'string'}}})
const services = Number(values.services)
const connections = Number(values.connections)
const rounds = Number(values.rounds)

const dir = mkdtempSync(path.join(os.tmpdir(), 'svc-bench-many-'))
const cluster = await startClusterChild(dir)
try {
  await createManyServices(cluster.kubeconfig, services)
  const results: Record<'all' | 'one', ManyFigures[]> = {all: [], one: []}
  for (let round = 0; round < rounds; round++) {
    for (const mode of round % 2 === 0 ? ['all', 'one'] as const : ['one', 'all'] as const) results[mode].push(await measureMany(cluster.kubeconfig, mode, connections))
  }
  const median = (mode: 'all' | 'one', key: keyof ManyFigures) => summarize(results[mode].map(r => r[key])).median.toFixed(1)
  process.stdout.write([
    `| one svc process (median of ${rounds}) | ${services} Services | 1 Service |`,
    '| --- | ---: | ---: |',
    `| peak RSS (MiB) | ${median('all', 'peakRssMiB')} | ${median('one', 'peakRssMiB')} |`,
    `| connect + 1-byte echo, p50 of ${connections} (ms) | ${median('all', 'p50')} | ${median('one', 'p50')} |`,
    `| connect + 1-byte echo, p99 (ms) | ${median('all', 'p99')} | ${median('one', 'p99')} |`,
    `| start to ready event (ms) | ${median('all', 'readyMs')} | ${median('one', 'readyMs')} |`,
    '',
  ].join('\n'))
} finally {
  cluster.child.kill('SIGTERM')
  rmSync(dir, {force: true, recursive: true})
}
