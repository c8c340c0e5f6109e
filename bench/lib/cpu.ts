// Where a transfer's CPU goes on the machine: the forwarder, the cluster (the local cluster's
// process, or the real control plane's processes) and the client (the bench process, which
// reads and writes the bytes). All three share the machine's cores, so what a MiB costs the three
// together, not the forwarder alone, sets the throughput the bench can reach. With the CPU, the
// forwarder's and the cluster's read and write system calls: much of a byte's cost is per call, so
// how each process cuts the stream into reads and writes explains much of its CPU.

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
 * Read and write system calls (syscr + syscw) from /proc/PID/io: read, write, readv and writev on
 * any file or socket, and sendfile as one of each; not send, recv, sendto, recvfrom, sendmsg,
 * recvmsg or splice (Node's libuv and Go both use read/write and readv/writev on TCP sockets, so
 * the counts compare across the tools). They include those of the children the process has reaped
 * (the kernel adds them to the parent's at reaping). Undefined when the text is not one.
 */
export function parseIoCalls(text: string): number | undefined {
  const r = /^syscr: (\d+)$/m.exec(text)
  const w = /^syscw: (\d+)$/m.exec(text)
  return r && w ? Number(r[1]) + Number(w[1]) : undefined
}

/**
 * Every process's /proc/PID/stat, read one after another (not an atomic snapshot: a process
 * that ends meanwhile is skipped), in no particular order of parents and children.
 */
export function readAllStats(): ProcStat[] {
  const stats: ProcStat[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const s = readText(`/proc/${name}/stat`, parseStat)
    if (s) stats.push(s)
  }
  return stats
}

/** What a process (or a tree of them) has used: CPU in ms (utime + stime + cutime + cstime) and read and write calls. */
export interface ProcUsage {
  calls: number
  /** In USER_HZ ticks (10 ms): over a 256 MiB transfer one tick is 0.04 ms/MiB, 1-2 % of a forwarder's figure. */
  cpuMs: number
  /** cutime + cstime alone, in ms: it grows when a child is reaped. */
  reapedMs?: number
  /** Each live thread's time on a CPU in ns (/proc/PID/task/TID/schedstat), by thread id. */
  threadNs?: ReadonlyMap<number, number>
  /** Each live thread's time waiting for a CPU, runnable, in ns (the same file), by thread id. */
  waitNs?: ReadonlyMap<number, number>
}

/**
 * The usage of a process tree, summed over `pids` in the order given, which must put parents
 * before their children (treePids does). Each process counts its own CPU and that of the children
 * it has reaped, and likewise its calls. Read parent first, a child that is reaped (its figures
 * moving into its parent's) before it is read is missed, never counted twice; a child reaped after
 * it is read was not yet in its parent's figures when the parent was read. NaN without a root
 * (`pids` empty, or its first process unreadable); a descendant that cannot be read is skipped.
 */
export function sumTree(pids: readonly number[], read: (pid: number) => ProcUsage | undefined): ProcUsage {
  const root = pids.length > 0 ? read(pids[0]) : undefined
  if (!root) return {calls: Number.NaN, cpuMs: Number.NaN}
  const threadNs = new Map(root.threadNs)
  const waitNs = new Map(root.waitNs)
  const total = {calls: root.calls, cpuMs: root.cpuMs, reapedMs: root.reapedMs ?? 0, threadNs, waitNs}
  for (const pid of pids.slice(1)) {
    const u = read(pid)
    if (u) {
      total.calls += u.calls
      total.cpuMs += u.cpuMs
      total.reapedMs += u.reapedMs ?? 0
      for (const [tid, ns] of u.threadNs ?? []) threadNs.set(tid, ns)
      for (const [tid, ns] of u.waitNs ?? []) waitNs.set(tid, ns)
    }
  }
  return total
}

/**
 * What the threads of the first sample and those started since spent between two samples, in ns;
 * undefined when there were none, or when a thread of the first sample is gone or shows less.
 */
function threadsBetween(before: ReadonlyMap<number, number> | undefined, after: ReadonlyMap<number, number> | undefined): number | undefined {
  if (!before || !after || before.size === 0) return undefined
  for (const [tid, was] of before) {
    const now = after.get(tid)
    if (now === undefined || now < was) return undefined
  }
  let ns = 0
  for (const [tid, now] of after) ns += now - (before.get(tid) ?? 0)
  return ns
}

/**
 * The CPU in ms a process tree used between two samples of it (treeUsage). From its threads' ns
 * when that is whole: every thread of the first sample still there with no less time, and no child
 * reaped in between (a thread that ended takes its time out of the threads' sum; a child that ended
 * moves its time into its parent's reaped ticks). Otherwise, the ticks' difference (10 ms steps).
 * A thread on a CPU while its schedstat is read shows its time up to its last scheduler update,
 * a tick or less behind (the samples are taken when the forwarder is idle). With it `waitMs`, the
 * time its threads were runnable but waiting for a CPU (NaN when the ticks had to be used): near
 * zero on an idle machine, it says how much of a wall time was the machine's other work.
 */
export function cpuBetween(before: ProcUsage, after: ProcUsage): {ms: number; ticks: boolean; waitMs: number} {
  const run = before.reapedMs === after.reapedMs ? threadsBetween(before.threadNs, after.threadNs) : undefined
  if (run === undefined) return {ms: after.cpuMs - before.cpuMs, ticks: true, waitMs: Number.NaN}
  return {ms: run / 1e6, ticks: false, waitMs: (threadsBetween(before.waitNs, after.waitNs) ?? Number.NaN) / 1e6}
}

/** `parse` of a file's text; undefined when it cannot be read (a process that ended, another user's). */
function readText<T>(file: string, parse: (text: string) => T | undefined): T | undefined {
  try {
    return parse(readFileSync(file, 'utf8'))
  } catch {
    return undefined
  }
}

/** /proc/PID/task/TID/schedstat (sched(7)): the thread's time on a CPU and its time runnable but waiting for one, in ns. */
export function parseSchedstat(text: string): {runNs: number; waitNs: number} | undefined {
  const m = /^(\d+) (\d+) \d+\s*$/.exec(text)
  return m ? {runNs: Number(m[1]), waitNs: Number(m[2])} : undefined
}

/** Each live thread's time on a CPU and waiting for one in ns, by thread id; a thread that ends meanwhile is left out. */
function readThreads(pid: number): {threadNs: Map<number, number>; waitNs: Map<number, number>} {
  const threads = {threadNs: new Map<number, number>(), waitNs: new Map<number, number>()}
  let tids: string[] = []
  try {
    tids = readdirSync(`/proc/${pid}/task`)
  } catch {
    return threads
  }
  for (const tid of tids) {
    const times = readText(`/proc/${pid}/task/${tid}/schedstat`, parseSchedstat)
    if (times === undefined) continue
    threads.threadNs.set(Number(tid), times.runNs)
    threads.waitNs.set(Number(tid), times.waitNs)
  }
  return threads
}

/** One process's usage from /proc: stat, its threads, then io (calls NaN when io cannot be read); undefined once it has ended. */
function readUsage(pid: number): ProcUsage | undefined {
  const stat = readText(`/proc/${pid}/stat`, parseStat)
  if (!stat) return undefined
  return {calls: readText(`/proc/${pid}/io`, parseIoCalls) ?? Number.NaN, cpuMs: stat.ownMs + stat.reapedMs, reapedMs: stat.reapedMs, ...readThreads(pid)}
}

/**
 * The usage of `root` and all its descendants now: the tree from /proc, then each member read
 * again, parents first (sumTree). The sum does not drop when a child ends and is reaped. What it
 * misses: a descendant orphaned by its parent's end (re-parented outside the tree), and its usage
 * once reaped by that new parent.
 */
export function treeUsage(root: number, stats: readonly ProcStat[] = readAllStats()): ProcUsage {
  return sumTree(treePids(stats, root), readUsage)
}

/** A figure of each party of a transfer; `forwarder` is absent when there is none (direct). */
export interface Parties {
  client: number
  cluster: number
  forwarder?: number
}

/**
 * What each party has used so far: CPU in ms (the trees' in ticks); read and write system calls of
 * the forwarder and the cluster; the trees as read, for cpuUsed.
 */
export interface Usage {
  calls: Omit<Parties, 'client'>
  cpuMs: Parties
  trees: {cluster: ProcUsage; forwarder?: ProcUsage}
}

/**
 * The CPU in ms each party used between two samples: the client's from process.cpuUsage (µs),
 * the trees' from cpuBetween; `waitMs`, the trees' time waiting for a CPU; `ticks` names the trees
 * whose figure had to come from the ticks.
 */
export function cpuUsed(before: Usage, after: Usage): {cpuMs: Parties; ticks: Array<'cluster' | 'forwarder'>; waitMs: Omit<Parties, 'client'>} {
  const ticks: Array<'cluster' | 'forwarder'> = []
  const tree = (party: 'cluster' | 'forwarder', a: ProcUsage, b: ProcUsage) => {
    const used = cpuBetween(a, b)
    if (used.ticks) ticks.push(party)
    return used
  }
  const cluster = tree('cluster', before.trees.cluster, after.trees.cluster)
  const [fa, fb] = [before.trees.forwarder, after.trees.forwarder]
  const forwarder = fa && fb ? tree('forwarder', fa, fb) : undefined
  return {cpuMs: {client: after.cpuMs.client - before.cpuMs.client, cluster: cluster.ms, forwarder: forwarder?.ms}, ticks, waitMs: {cluster: cluster.waitMs, forwarder: forwarder?.waitMs}}
}

/** A figure per unit (MiB, connection) of what each party used, and the three parties' sum. */
export function perUnit(used: Parties, units: number): Parties & {machine: number} {
  const client = used.client / units
  const cluster = used.cluster / units
  const forwarder = used.forwarder === undefined ? undefined : used.forwarder / units
  return {client, cluster, forwarder, machine: client + cluster + (forwarder ?? 0)}
}

/**
 * Samples what the parties have used: the cluster and the forwarder as process trees (each with
 * every process it started, treeUsage), the client as this process's CPU alone (process.cpuUsage,
 * all its threads; its children are the other parties). The client's figure is read last before a
 * transfer and first after it (`order`), so that reading /proc is not counted as the client's work.
 */
export function sampleUsage(clusterPid: number, forwarderPid: number | undefined, order: 'after' | 'before'): Usage {
  const clientMs = () => {
    const {system, user} = process.cpuUsage()
    return (system + user) / 1000
  }
  const first = order === 'after' ? clientMs() : undefined
  const stats = readAllStats()
  const cluster = treeUsage(clusterPid, stats)
  const forwarder = forwarderPid === undefined ? undefined : treeUsage(forwarderPid, stats)
  const client = first ?? clientMs()
  return {calls: {cluster: cluster.calls, forwarder: forwarder?.calls}, cpuMs: {client, cluster: cluster.cpuMs, forwarder: forwarder?.cpuMs}, trees: {cluster, forwarder}}
}
