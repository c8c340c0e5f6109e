import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {once} from 'node:events'
import {describe, test} from 'node:test'

import {cpuBetween, cpuUsed, parseIoCalls, parseSchedstat, parseStat, perUnit, type ProcStat, type ProcUsage, sampleUsage, sumTree, treePids, treeUsage} from '../../../bench/lib/cpu.ts'

/** A /proc/PID/stat line (proc(5)) with the fields read here; the others as a real line has them. */
function statLine(pid: number, comm: string, ppid: number, utime: number, stime: number, cutime = 0, cstime = 0): string {
  return `${pid} (${comm}) S ${ppid} ${pid} ${pid} 0 -1 4194560 1234 0 0 0 ${utime} ${stime} ${cutime} ${cstime} 20 0 7 0 123456 1000000 2000 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n`
}

describe('parseStat', () => {
  const cases: Array<[string, string, ProcStat | undefined]> = [
    ['a plain name', statLine(42, 'node', 1, 150, 30, 7, 3), {ownMs: 1800, pid: 42, ppid: 1, reapedMs: 100}],
    ['a name with spaces and parentheses', statLine(7, 'kube (api) server', 6, 1, 2), {ownMs: 30, pid: 7, ppid: 6, reapedMs: 0}],
    ['a name that looks like fields', statLine(9, ') R 1 2 3', 8, 0, 1, 2, 0), {ownMs: 10, pid: 9, ppid: 8, reapedMs: 20}],
    ['empty', '', undefined],
    ['cut short', '42 (node) S 1 42 42 0', undefined],
    ['not numbers', statLine(42, 'node', 1, 150, 30).replace(' 150 ', ' x '), undefined],
  ]
  for (const [name, text, want] of cases) test(name, () => assert.deepEqual(parseStat(text), want))
})

describe('sumTree over treePids', () => {
  const p = (pid: number, ppid: number, ownMs: number, reapedMs = 0): ProcStat => ({ownMs, pid, ppid, reapedMs})
  // 1 init; 10 the cluster with children 11 (etcd) and 12 (apiserver), 12's child 13; 20 unrelated, 21 its child.
  const machine = [p(1, 0, 5000), p(10, 1, 100, 40), p(11, 10, 200), p(12, 10, 300, 5), p(13, 12, 7), p(20, 1, 900), p(21, 20, 90)]
  /** The tree's CPU with each process read from `stats` (its calls: one per ms, to check they are summed alike). */
  const sum = (stats: readonly ProcStat[], root: number) => {
    const byPid = new Map(stats.map(s => [s.pid, s.ownMs + s.reapedMs]))
    const {calls, cpuMs} = sumTree(treePids(stats, root), pid => (byPid.has(pid) ? {calls: byPid.get(pid)!, cpuMs: byPid.get(pid)!} : undefined))
    return {calls, cpuMs}
  }
  const cases: Array<[string, ProcStat[], number, number]> = [
    ['a process and all its descendants, their reaped children included', machine, 10, 100 + 40 + 200 + 300 + 5 + 7],
    ['a subtree', machine, 12, 300 + 5 + 7],
    ['a leaf', machine, 13, 7],
    ['other trees are not counted', machine, 20, 990],
    // 13 ended and 12 reaped it: its 7 ms are in 12's reaped time now, and counted once.
    ['a reaped child counts once, in its parent', machine.filter(s => s.pid !== 13).map(s => (s.pid === 12 ? p(12, 10, 300, 12) : s)), 10, 652],
    ['a pid listed twice counts once', [...machine, p(13, 12, 7)], 12, 312],
    ['a root that is gone', machine, 99, Number.NaN],
    ['no processes', [], 10, Number.NaN],
  ]
  for (const [name, stats, root, want] of cases) test(name, () => assert.deepEqual(sum(stats, root), {calls: want, cpuMs: want}))

  // A parent (5, 100 ms) and its child (6, 50 ms); the parent reaps the child at some point while
  // the tree is read: its 50 ms then move into the parent's reaped time. Listed child first, as
  // /proc's name order can list them once pids wrap, the tree is still read parent first.
  const reapedAfter = (reads: number) => {
    let done = 0
    return (pid: number): ProcUsage | undefined => {
      const reaped = done++ >= reads
      if (pid === 5) return {calls: reaped ? 150 : 100, cpuMs: reaped ? 150 : 100}
      return reaped ? undefined : {calls: 50, cpuMs: 50}
    }
  }
  const tree = treePids([p(6, 5, 0), p(5, 1, 0)], 5)
  const reaping: Array<[string, number, number]> = [
    ['reaped before the tree is read: counted once, in the parent', 0, 150],
    ['reaped between the parent and the child: missed, not counted twice', 1, 100],
    ['reaped after both are read: counted once, in the child', 2, 150],
  ]
  for (const [name, reads, want] of reaping) {
    test(name, () => {
      const {calls, cpuMs} = sumTree(tree, reapedAfter(reads))
      assert.deepEqual({calls, cpuMs}, {calls: want, cpuMs: want})
    })
  }

  test('the threads of every process, and the reaped time summed', () => {
    const read = (pid: number): ProcUsage => ({calls: 1, cpuMs: 10, reapedMs: pid, threadNs: new Map([[pid, pid * 100], [pid + 1000, 1]]), waitNs: new Map([[pid, pid], [pid + 1000, 2]])})
    assert.deepEqual(sumTree([5, 6], read), {calls: 2, cpuMs: 20, reapedMs: 11, threadNs: new Map([[5, 500], [1005, 1], [6, 600], [1006, 1]]), waitNs: new Map([[5, 5], [1005, 2], [6, 6], [1006, 2]])})
  })
})

describe('treePids', () => {
  const p = (pid: number, ppid: number): ProcStat => ({ownMs: 0, pid, ppid, reapedMs: 0})
  const cases: Array<[string, ProcStat[], number, number[]]> = [
    ['root first, then its descendants level by level', [p(1, 0), p(5, 1), p(6, 5), p(7, 5), p(8, 6), p(9, 1)], 5, [5, 6, 7, 8]],
    ['children listed before their parent', [p(8, 6), p(7, 5), p(6, 5), p(5, 1)], 5, [5, 7, 6, 8]],
    ['a pid listed twice once', [p(5, 1), p(6, 5), p(6, 5)], 5, [5, 6]],
    ['a root that is gone', [p(6, 5)], 5, []],
  ]
  for (const [name, stats, root, want] of cases) test(name, () => assert.deepEqual(treePids(stats, root), want))
})

describe('parseIoCalls', () => {
  const io = (syscr: number, syscw: number) => `rchar: 6976\nwchar: 120\nsyscr: ${syscr}\nsyscw: ${syscw}\nread_bytes: 0\nwrite_bytes: 0\ncancelled_write_bytes: 0\n`
  const cases: Array<[string, string, number | undefined]> = [
    ['reads and writes', io(10, 32), 42],
    ['none yet', io(0, 0), 0],
    ['large counts', io(123_456_789, 987_654_321), 1_111_111_110],
    ['no syscw line', 'rchar: 1\nsyscr: 3\n', undefined],
    ['empty', '', undefined],
  ]
  for (const [name, text, want] of cases) test(name, () => assert.equal(parseIoCalls(text), want))
})

describe('perUnit', () => {
  const cases: Array<[string, Parameters<typeof perUnit>, ReturnType<typeof perUnit>]> = [
    ['the three parties and their sum, per MiB', [{client: 188, cluster: 440, forwarder: 300}, 128], {client: 1.46875, cluster: 3.4375, forwarder: 2.34375, machine: 7.25}],
    ['no forwarder (direct): the machine is the cluster and the client', [{client: 64, cluster: 128}, 64], {client: 1, cluster: 2, forwarder: undefined, machine: 3}],
    ['per connection', [{client: 60, cluster: 100, forwarder: 140}, 200], {client: 0.3, cluster: 0.5, forwarder: 0.7, machine: 1.5}],
    ['an unreadable forwarder makes the machine unknown', [{client: 1, cluster: 1, forwarder: Number.NaN}, 1], {client: 1, cluster: 1, forwarder: Number.NaN, machine: Number.NaN}],
  ]
  for (const [name, args, want] of cases) test(name, () => assert.deepEqual(perUnit(...args), want))
})

describe('parseSchedstat', () => {
  const cases: Array<[string, string, ReturnType<typeof parseSchedstat>]> = [
    ['a thread', '39019395614 10753435567 19254\n', {runNs: 39_019_395_614, waitNs: 10_753_435_567}],
    ['one that has not run yet', '0 0 0\n', {runNs: 0, waitNs: 0}],
    ['empty', '', undefined],
    ['not numbers', 'x 1 2\n', undefined],
  ]
  for (const [name, text, want] of cases) test(name, () => assert.deepEqual(parseSchedstat(text), want))
})

describe('cpuBetween', () => {
  /** A tree read with its ticks, 30 ms reaped by default, and its threads' times on a CPU and waiting for one (ns). */
  const at = (cpuMs: number, threads: Array<[number, number, number?]>, reapedMs = 30): ProcUsage => ({calls: 0, cpuMs, reapedMs, threadNs: new Map(threads.map(([tid, run]) => [tid, run])), waitNs: new Map(threads.map(([tid, , wait]) => [tid, wait ?? 0]))})
  const ms = 1_000_000
  const cases: Array<[string, ProcUsage, ProcUsage, ReturnType<typeof cpuBetween>]> = [
    // 56 ticks for both tools in a round, as in the run of 2026-12-07: the threads tell them apart.
    ['from the threads: each one\'s time since the first sample', at(400, [[7, 300 * ms, 9 * ms], [8, 75 * ms]]), at(960, [[7, 801.5 * ms, 10 * ms], [8, 130 * ms, 0.5 * ms]]), {ms: 556.5, ticks: false, waitMs: 1.5}],
    ['a thread started in between counts whole', at(400, [[7, 300 * ms]]), at(480, [[7, 370 * ms], [9, 3.25 * ms, 2 * ms]]), {ms: 73.25, ticks: false, waitMs: 2}],
    ['a thread ended in between: its time left the sum, so the ticks', at(400, [[7, 300 * ms], [8, 75 * ms]]), at(480, [[7, 370 * ms]]), {ms: 80, ticks: true, waitMs: Number.NaN}],
    ['a child reaped in between: its time is only in the ticks', at(400, [[7, 300 * ms]]), at(480, [[7, 301 * ms]], 100), {ms: 80, ticks: true, waitMs: Number.NaN}],
    ['a thread id reused (less time than before): the ticks', at(400, [[7, 300 * ms]]), at(480, [[7, 2 * ms]]), {ms: 80, ticks: true, waitMs: Number.NaN}],
    ['no threads read: the ticks', {calls: 0, cpuMs: 400}, {calls: 0, cpuMs: 480}, {ms: 80, ticks: true, waitMs: Number.NaN}],
    ['a tree that could not be read', {calls: Number.NaN, cpuMs: Number.NaN}, at(480, [[7, 1]]), {ms: Number.NaN, ticks: true, waitMs: Number.NaN}],
  ]
  for (const [name, before, after, want] of cases) test(name, () => assert.deepEqual(cpuBetween(before, after), want))

  test('cpuUsed: each party, its wait for a CPU, and which trees fell back to the ticks', () => {
    const usage = (client: number, cluster: ProcUsage, forwarder?: ProcUsage) => ({calls: {cluster: 0}, cpuMs: {client, cluster: cluster.cpuMs, forwarder: forwarder?.cpuMs}, trees: {cluster, forwarder}})
    const before = usage(10, at(400, [[7, 300 * ms], [8, 1 * ms]]), at(100, [[20, 50 * ms, 4 * ms]]))
    const after = usage(12.5, at(480, [[7, 370 * ms]]), at(150, [[20, 99 * ms, 7 * ms]]))
    assert.deepEqual(cpuUsed(before, after), {cpuMs: {client: 2.5, cluster: 80, forwarder: 49}, ticks: ['cluster'], waitMs: {cluster: Number.NaN, forwarder: 3}})
    assert.deepEqual(cpuUsed(usage(0, at(0, [[7, 0]])), usage(1, at(0, [[7, ms]]))), {cpuMs: {client: 1, cluster: 1, forwarder: undefined}, ticks: [], waitMs: {cluster: 0, forwarder: undefined}})
  })
})

describe('the usage of process trees on this machine', () => {
  /** This process's CPU so far in ms (all its threads, to the microsecond). */
  const ownCpuMs = () => {
    const {system, user} = process.cpuUsage()
    return (system + user) / 1000
  }

  test('treeUsage counts a child while it runs and its time once, after it is reaped', async () => {
    const own = parseStat(readFileSync(`/proc/${process.pid}/stat`, 'utf8'))!.ownMs
    const before = treeUsage(process.pid).cpuMs
    assert.ok(before >= own, `tree ${before} ms, this process ${own} ms`)
    // A child that spends about 300 ms of CPU, says so, then waits for its stdin to close.
    const child = spawn(process.execPath, ['-e', 'const t = process.cpuUsage(); while (process.cpuUsage(t).user < 300_000); process.stdout.write("spent"); process.stdin.resume()'], {stdio: ['pipe', 'pipe', 'inherit']})
    const [spent] = await once(child.stdout, 'data')
    assert.equal(String(spent), 'spent')
    const ownAtLive = ownCpuMs()
    const live = treeUsage(process.pid).cpuMs
    assert.ok(live - before >= 250, `while the child runs: ${live - before} ms more`)
    child.stdin.end()
    await once(child, 'exit')
    const reaped = treeUsage(process.pid).cpuMs
    // Counted twice, the child's 300 ms or more would show again. What this process spends meanwhile
    // (reading /proc, the test runner: 140 ms once at a load average of 12) is its own, not the
    // child's, so it is taken off; what is left is the child's exit and the ticks' rounding.
    const grew = reaped - live - (ownCpuMs() - ownAtLive)
    assert.ok(reaped >= live && grew < 150, `after it was reaped: ${reaped} ms, while it ran ${live}; ${grew} ms not this process's`)
  })

  test('cpuUsed: a process\'s CPU to well under a tick, as the process itself counts it', async () => {
    // A "forwarder" that reports its own CPU (getrusage: all its threads, to the microsecond), spends
    // about 35 ms when told to, and reports it again. Ticks would give a multiple of 10 ms.
    const script = 'const own = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000 }; process.stdout.write(own() + "\\n"); process.stdin.once("data", () => { const t = process.cpuUsage(); while (process.cpuUsage(t).user < 35_000); process.stdout.write(own() + "\\n"); process.stdin.resume() })'
    const child = spawn(process.execPath, ['-e', script], {stdio: ['pipe', 'pipe', 'inherit']})
    const lines = child.stdout.setEncoding('utf8')
    const line = async () => Number(String((await once(lines, 'data'))[0]).trim())
    const ownBefore = await line()
    const before = sampleUsage(process.pid, child.pid, 'before')
    child.stdin.write('go')
    const ownAfter = await line()
    const after = sampleUsage(process.pid, child.pid, 'after')
    child.stdin.end()
    await once(child, 'exit')
    const used = cpuUsed(before, after)
    const own = ownAfter - ownBefore
    assert.deepEqual(used.ticks, [])
    assert.ok(own >= 35, `the child's own count: ${own} ms`)
    assert.ok(Math.abs(used.cpuMs.forwarder! - own) < 4, `from its threads ${used.cpuMs.forwarder} ms, its own count ${own} ms`)
    assert.notEqual(used.cpuMs.forwarder! % 10, 0)
  })

  test('sampleUsage: the CPU and calls of a forwarder tree while it runs and once reaped; the client is this process alone', async () => {
    // A "forwarder" that writes 2,000 times to /dev/null and spends about 200 ms of CPU, says so, then waits.
    const script = 'const fs = require("node:fs"); const fd = fs.openSync("/dev/null", "w"); for (let i = 0; i < 2000; i++) fs.writeSync(fd, "x"); const t = process.cpuUsage(); while (process.cpuUsage(t).user < 200_000); process.stdout.write("done"); process.stdin.resume()'
    // `; true`: the shell forks node rather than replacing itself with it, so the tree has two processes.
    const wrapper = spawn('/bin/sh', ['-c', `${JSON.stringify(process.execPath)} -e '${script}'; true`], {stdio: ['pipe', 'pipe', 'inherit']})
    const before = sampleUsage(process.pid, wrapper.pid, 'before')
    await once(wrapper.stdout, 'data')
    const during = sampleUsage(process.pid, wrapper.pid, 'after')
    assert.ok(during.cpuMs.forwarder! - before.cpuMs.forwarder! >= 150, `the forwarder's CPU: ${during.cpuMs.forwarder! - before.cpuMs.forwarder!} ms`)
    assert.ok(during.calls.forwarder! - before.calls.forwarder! >= 2000, `the forwarder's calls: ${during.calls.forwarder! - before.calls.forwarder!}`)
    // The cluster here is this process's tree, the "forwarder" in it; the client this process alone.
    assert.ok(during.cpuMs.cluster - before.cpuMs.cluster >= during.cpuMs.forwarder! - before.cpuMs.forwarder!)
    assert.ok(during.cpuMs.client - before.cpuMs.client < 150, `the client's CPU: ${during.cpuMs.client - before.cpuMs.client} ms`)
    wrapper.stdin.end()
    await once(wrapper, 'exit')
    // The node process was the shell's child: once the shell reaped it, its time and calls are the shell's, still counted.
    const after = sampleUsage(process.pid, undefined, 'after')
    assert.ok(after.cpuMs.cluster >= during.cpuMs.cluster && after.calls.cluster >= during.calls.cluster, `cluster: ${JSON.stringify(after)} after, ${JSON.stringify(during)} during`)
    // Counted twice, the forwarder's 200 ms and 2,000 calls would show again; this process's own CPU
    // meanwhile (the client's figure) is in the cluster's too, and is taken off as above.
    const grew = after.cpuMs.cluster - during.cpuMs.cluster - (after.cpuMs.client - during.cpuMs.client)
    assert.ok(grew < 120 && after.calls.cluster - during.calls.cluster < 1000, `cluster: ${JSON.stringify(after)} after, ${JSON.stringify(during)} during`)
    assert.equal(after.cpuMs.forwarder, undefined)
  })
})
