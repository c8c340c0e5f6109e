// Where a transfer's CPU goes on the machine: the forwarder, the cluster (the local cluster's
// process, or the real control plane's processes) and the client (the bench process, which
// reads and writes the bytes). All three share the machine's cores, so what a MiB costs the
// machine, not the forwarder alone, sets the throughput the bench can reach. With the CPU, each
// party's read and write system calls: much of a byte's cost is per call, so how each process
// cuts the stream into reads and writes explains much of its CPU.

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
 * `root` and all its descendants in a list of processes, root first; empty when root is not in it.
 * A pid listed twice (a list read while a pid was reused) counts once.
 */
export function treePids(stats: readonly ProcStat[], root: number): number[] {
  const children = new Map<number, number[]>()
  for (const s of stats) {
    const siblings = children.get(s.ppid)
    if (siblings) siblings.push(s.pid)
    else children.set(s.ppid, [s.pid])
  }
  if (!stats.some(s => s.pid === root)) return []
  const pids: number[] = []
  const seen = new Set<number>()
  const queue = [root]
  while (queue.length > 0) {
    const pid = queue.shift()!
    if (seen.has(pid)) continue
    seen.add(pid)
    pids.push(pid)
    queue.push(...(children.get(pid) ?? []))
  }
  return pids
}

/**
 * The CPU of `root` and all its descendants, in ms: each live process's own time plus the time of
 * the children it has reaped. A child's time moves to its parent's cutime/cstime when the parent
 * reaps it, and a reaped child is gone from the list, so nothing is counted twice and the sum does
 * not drop when a child ends. What it misses: a descendant orphaned by its parent's end (it is
 * re-parented outside the tree), and its time once reaped by that new parent. NaN without root.
 */
export function treeCpuMs(stats: readonly ProcStat[], root: number): number {
  const byPid = new Map(stats.map(s => [s.pid, s]))
  const pids = treePids(stats, root)
  if (pids.length === 0) return Number.NaN
  return pids.reduce((total, pid) => total + byPid.get(pid)!.ownMs + byPid.get(pid)!.reapedMs, 0)
}

/**
 * Read and write system calls (syscr + syscw) from /proc/PID/io: read, readv, write, writev and
 * the like on any file or socket, not sendmsg, recvmsg, splice or sendfile. They include those of
 * the children the process has reaped (the kernel adds them to the parent's at reaping), so a
 * tree's sum over its live processes counts each call once. Undefined when the text is not one.
 */
export function parseIoCalls(text: string): number | undefined {
  const r = /^syscr: (\d+)$/m.exec(text)
  const w = /^syscw: (\d+)$/m.exec(text)
  return r && w ? Number(r[1]) + Number(w[1]) : undefined
}

/** parseIoCalls of /proc/PID/io; NaN when it cannot be read (a process that ended, another user's). */
function ioCalls(pid: number): number {
  try {
    return parseIoCalls(readFileSync(`/proc/${pid}/io`, 'utf8')) ?? Number.NaN
  } catch {
    return Number.NaN
  }
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

/** A figure of each party of a transfer; `forwarder` is absent when there is none (direct). */
export interface Parties {
  client: number
  cluster: number
  forwarder?: number
}

/** What each party has used so far: CPU in ms, and read and write system calls. */
export interface Usage {
  calls: Parties
  cpuMs: Parties
}

/** A figure per unit (MiB, connection) between two samples, and the machine's: the parties' sum. */
export function perUnit(before: Parties, after: Parties, units: number): Parties & {machine: number} {
  const per = (a: number, b: number) => (b - a) / units
  const client = per(before.client, after.client)
  const cluster = per(before.cluster, after.cluster)
  const forwarder = before.forwarder === undefined || after.forwarder === undefined ? undefined : per(before.forwarder, after.forwarder)
  return {client, cluster, forwarder, machine: client + cluster + (forwarder ?? 0)}
}

/**
 * Samples what the parties have used: the cluster and the forwarder as process trees (each with
 * every process it started), the client as this process alone (process.cpuUsage, all its threads;
 * its children are the other parties). The client's figures are read last before a transfer and
 * first after it (`order`), so that reading /proc is not counted as the client's work.
 */
export function sampleUsage(clusterPid: number, forwarderPid: number | undefined, order: 'after' | 'before'): Usage {
  const client = () => {
    const {system, user} = process.cpuUsage()
    return {calls: ioCalls(process.pid), cpuMs: (system + user) / 1000}
  }
  const others = () => {
    const stats = readAllStats()
    const tree = (root: number) => {
      const pids = treePids(stats, root)
      return {calls: pids.length === 0 ? Number.NaN : pids.reduce((n, pid) => n + ioCalls(pid), 0), cpuMs: treeCpuMs(stats, root)}
    }
    return {cluster: tree(clusterPid), forwarder: forwarderPid === undefined ? undefined : tree(forwarderPid)}
  }
  const after = order === 'after' ? client() : undefined
  const {cluster, forwarder} = others()
  const c = after ?? client()
  return {
    calls: {client: c.calls, cluster: cluster.calls, forwarder: forwarder?.calls},
    cpuMs: {client: c.cpuMs, cluster: cluster.cpuMs, forwarder: forwarder?.cpuMs},
  }
}
