import assert from 'node:assert/strict'
import {test} from 'node:test'

import {leftoverPids, type ProcReader, type RunRecord} from '../real-cluster/leftovers.ts'

const record: RunRecord = {
  components: [
    {binary: '/cache/v1.35.4/etcd-x/etcd', name: 'etcd', pid: 101},
    {binary: '/cache/v1.35.4/k8s-x/kube-apiserver', name: 'kube-apiserver', pid: 102},
    {binary: '/cache/v1.35.4/kwok-x/kwok', name: 'kwok', pid: 103},
  ],
  dir: '/tmp/svc-real-cluster-abc',
  launcher: {exe: '/usr/bin/node24', pid: 100},
}

function reader(procs: Record<number, {cmdline?: string[]; exe?: string}>): ProcReader {
  return {cmdline: pid => procs[pid]?.cmdline, exe: pid => procs[pid]?.exe}
}

test('leftoverPids: only the components of a dead launcher that still run that component in that run', () => {
  const etcd = ['/cache/v1.35.4/etcd-x/etcd', '--data-dir=/tmp/svc-real-cluster-abc/etcd']
  const apiserver = ['/cache/v1.35.4/k8s-x/kube-apiserver', '--client-ca-file=/tmp/svc-real-cluster-abc/ca.crt']
  const kwok = ['/cache/v1.35.4/kwok-x/kwok', '--kubeconfig=/tmp/svc-real-cluster-abc/components.kubeconfig']
  const cases: Array<[string, Record<number, {cmdline?: string[]; exe?: string}>, number[]]> = [
    ['launcher alive: another run in progress, nothing stopped', {100: {exe: '/usr/bin/node24'}, 101: {cmdline: etcd}, 102: {cmdline: apiserver}, 103: {cmdline: kwok}}, []],
    ['launcher gone, every component running', {101: {cmdline: etcd}, 102: {cmdline: apiserver}, 103: {cmdline: kwok}}, [101, 102, 103]],
    ['launcher pid reused by another program', {100: {exe: '/usr/bin/bash'}, 101: {cmdline: etcd}}, [101]],
    ['a component pid reused by another program', {101: {cmdline: ['/usr/bin/sleep', '100']}, 102: {cmdline: apiserver}}, [102]],
    ['the same binary of another run (other folder)', {101: {cmdline: ['/cache/v1.35.4/etcd-x/etcd', '--data-dir=/tmp/svc-real-cluster-zzz/etcd']}}, []],
    ['a zombie or an exited component (no command line)', {101: {cmdline: undefined}, 103: {cmdline: kwok}}, [103]],
  ]
  for (const [name, procs, want] of cases) assert.deepEqual(leftoverPids(record, reader(procs)), want, name)
})
