// Where a transfer's CPU goes on the machine: the forwarder, the cluster (the local cluster's
// process, or the real control plane's processes) and the client (the bench process, which
// reads and writes the bytes). All three share the machine's cores, so what a MiB costs the
// machine, not the forwarder alone, sets the throughput the bench can reach.

import {readdirSync, readFileSync} from 'node:fs'

/** Clock ticks per second of /proc/PID/stat's times (USER_HZ, 100 on Linux whatever the kernel's HZ). */
const USER_HZ = 100

/** The fields of /proc/PID/stat read here; times in ms. */
export interface ProcStat {
  pid: number
  ppid: number
  /** utime + stime: every thread of the process, live or ended. */
  ownMs: number
  /** cutime + cstime: the children it has reaped (waited for), and what they had reaped in turn. */
  reapedMs: number
}

/** Parses /proc/PID/stat (proc(5)); undefined when the text is not one. */
export function parseStat(text: string): ProcStat | undefined {
  // The command name is in parentheses and may hold spaces or parentheses itself: the fields
  // start after the last ')'. Then state is [0], ppid [1], utime [11], stime [12], cutime [13], cstime [14].
  const close = text.lastIndexOf(')')
  const fields = text.slice(close + 2).split(' ')
  const pid = Number.parseInt(text, 10)
  const numbers = [1, 11, 12, 13, 14].map(i => Number(fields[i]))
  if (close < 0 || !Number.isInteger(pid) || fields.length < 15 || numbers.some(n => !Number.isInteger(n))) return undefined
  const [ppid, utime, stime, cutime, cstime] = numbers
  return {ownMs: ((utime + stime) * 1000) / USER_HZ, pid, ppid, reapedMs: ((cutime + cstime) * 1000) / USER_HZ}
}

/**
 * The CPU of `root` and all its descendants, in ms: each live process's own time plus the time of
 * the children it has reaped. A child's time moves to its parent's cutime/cstime when the parent
 * reaps it, and a reaped child is gone from the list, so nothing is counted twice and the sum does
 * not drop when a child ends. What it misses: a descendant orphaned by its parent's end (it is
 * re-parented outside the tree), and its time once reaped by that new parent.
 */
export function treeCpuMs(stats: readonly ProcStat[], root: number): number {
  const children = new Map<number, ProcStat[]>()
  for (const s of stats) {
    const siblings = children.get(s.ppid)
    if (siblings) siblings.push(s)
    else children.set(s.ppid, [s])
  }
  const top = stats.find(s => s.pid === root)
  if (!top) return Number.NaN
  let total = 0
  const seen = new Set<number>()
  const queue = [top]
  while (queue.length > 0) {
    const s = queue.pop()!
    // A pid listed twice (a snapshot read while a pid was reused) counts once.
    if (seen.has(s.pid)) continue
    seen.add(s.pid)
    total += s.ownMs + s.reapedMs
    queue.push(...(children.get(s.pid) ?? []))
  }
  return total
}

/**
 * utime + stime of one process from /proc/PID/stat, in ms (10 ms resolution): every thread's CPU
 * (a Go runtime's, V8's collector and compiler threads). NaN when it cannot be read.
 */
export function cpuMs(pid: number): number {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.ownMs ?? Number.NaN
  } catch {
    return Number.NaN
  }
}

/**
 * Every process's /proc/PID/stat, read one after another (not an atomic snapshot: a process
 * that ends meanwhile is skipped). Pids are read in ascending order, parents mostly before their
 * children, so a child reaped during the read is missed rather than counted twice.
 */
export function readAllStats(): ProcStat[] {
  const stats: ProcStat[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const s = parseStat(readFileSync(`/proc/${name}/stat`, 'utf8'))
      if (s) stats.push(s)
    } catch {
      // it ended between readdir and read
    }
  }
  return stats
}

/** The CPU, in ms, of a process and all its descendants now (treeCpuMs over /proc). */
export function processTreeCpuMs(root: number): number {
  return treeCpuMs(readAllStats(), root)
}

/** CPU in ms so far of the parties of a transfer; `forwarder` is absent when there is none (direct). */
export interface CpuSample {
  client: number
  cluster: number
  forwarder?: number
}

/** CPU per unit (MiB, connection) between two samples; the machine's is the sum of the parties'. */
export interface CpuPerUnit {
  client: number
  cluster: number
  forwarder?: number
  machine: number
}

export function cpuPerUnit(before: CpuSample, after: CpuSample, units: number): CpuPerUnit {
  const per = (a: number, b: number) => (b - a) / units
  const client = per(before.client, after.client)
  const cluster = per(before.cluster, after.cluster)
  const forwarder = before.forwarder === undefined || after.forwarder === undefined ? undefined : per(before.forwarder, after.forwarder)
  return {client, cluster, forwarder, machine: client + cluster + (forwarder ?? 0)}
}

/**
 * Samples the parties' CPU. The client's (process.cpuUsage: every thread of this process) is read
 * last before a transfer and first after it (`order`), so that reading /proc is not counted as
 * the client's work.
 */
export function sampleCpu(clusterPid: number, forwarder: (() => number) | undefined, order: 'after' | 'before'): CpuSample {
  const client = () => {
    const {system, user} = process.cpuUsage()
    return (system + user) / 1000
  }
  if (order === 'after') {
    const c = client()
    return {client: c, cluster: processTreeCpuMs(clusterPid), forwarder: forwarder?.()}
  }
  const s = {cluster: processTreeCpuMs(clusterPid), forwarder: forwarder?.()}
  return {...s, client: client()}
}
