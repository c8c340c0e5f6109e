import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {getHeapSpaceStatistics} from 'node:v8'

import {cacheName, FORWARDER_CACHE} from '../../../bin/bundle.js'
import {exposedGc, FORWARDER_START, forwarderRestart, type GcFunction, limitBufferGarbage, restoreEnvironment} from '../../../src/portforward/heap.ts'

type GcOptions = Parameters<GcFunction>[0]
import {until} from '../../helpers/poll.ts'

const MiB = 1024 * 1024

describe('limitBufferGarbage', () => {
  it('dead Buffers above the limit are collected without waiting for V8 to notice them', async () => {
    const limit = 4 * MiB
    const stop = limitBufferGarbage({intervalMs: 10, limit})
    try {
      // 48 MiB of 64 KiB Buffers, each dropped at once: below the external-memory volume at which
      // V8 would start a collection by itself, so without the check they would stay allocated.
      for (let i = 0; i < 768; i++) Buffer.allocUnsafe(64 * 1024).fill(i)
      await until(() => process.memoryUsage().arrayBuffers <= limit + MiB, `Buffer memory back under ${(limit + MiB) / MiB} MiB`, {intervalMs: 10, timeoutMs: 10_000})
    } finally {
      stop()
    }
  })

  it('the young generation does not grow under a burst of short-lived objects', () => {
    const newSpace = () => getHeapSpaceStatistics().find(s => s.space_name === 'new_space')!.space_size
    const before = newSpace()
    limitBufferGarbage()()
    // About 200 MiB of objects that die young; V8 would grow the new space to tens of MiB for them.
    let keep: object[] = []
    for (let i = 0; i < 3_000_000; i++) {
      keep.push({i, s: `x${i}`})
      if (keep.length > 100_000) keep = []
    }
    assert.ok(newSpace() <= Math.max(before, 8 * MiB), `new space ${(newSpace() / MiB).toFixed(1)} MiB, was ${(before / MiB).toFixed(1)} MiB`)
  })
})

describe('limitBufferGarbage when the process goes idle', () => {
  // The event loop's busy share is the test's to say: on a loaded machine the real one reads busy
  // whatever the process does.
  function idleProbe() {
    const probe = {busy: 0.9, calls: 0, loopBusy: () => {
      probe.calls++
      return probe.busy
    }}
    return probe
  }

  async function checks(probe: {calls: number}, n: number, what: string) {
    const target = probe.calls + n
    await until(() => probe.calls >= target, what, {intervalMs: 20, timeoutMs: 20_000})
  }

  it('asks for one full collection of the kind that gives pages back once the loop is idle and RSS has grown, and not again until it grows again', async () => {
    // The objects stay alive throughout, so no collection of V8's own can take the growth away; the
    // garbage of the tests before is collected first, so that it cannot either.
    exposedGc()!({flavor: 'last-resort', type: 'major'})
    const majors: GcOptions[] = []
    const probe = idleProbe()
    const stop = limitBufferGarbage({gc: options => options?.type === 'major' && majors.push(options), loopBusy: probe.loopBusy})
    const keep: object[] = []
    try {
      for (let i = 0; i < 1_000_000; i++) keep.push({i, s: `x${i}`})
      await checks(probe, 2, 'two checks while the loop is busy')
      assert.deepEqual(majors, [], 'no full collection while the event loop is busy')
      probe.busy = 0.05
      await until(() => majors.length > 0, 'a full collection once the loop is idle', {intervalMs: 20, timeoutMs: 20_000})
      assert.deepEqual(majors, [{flavor: 'last-resort', type: 'major'}])
      await checks(probe, 2, 'two more idle checks')
      assert.equal(majors.length, 1, 'no second full collection while the RSS has not grown again')
    } finally {
      stop()
    }
    assert.equal(keep.length, 1_000_000)
  })

  it('a burst\'s dead objects are collected and their memory given back once the event loop is idle', async () => {
    // Whichever collection comes first gives the memory back: the check's (the only one on a quiet
    // machine within seconds) or V8's own, whose marking started during the burst may finish after it
    // on a loaded one.
    const gc = exposedGc()!
    const majors: GcOptions[] = []
    const probe = idleProbe()
    probe.busy = 0.05
    const stop = limitBufferGarbage({gc: options => {
      if (options?.type === 'major') majors.push(options)
      gc(options)
    }, loopBusy: probe.loopBusy})
    try {
      // About 60 MiB of objects that live long enough to reach the old generation, then die.
      let keep: object[] = []
      for (let i = 0; i < 1_000_000; i++) keep.push({i, s: `x${i}`})
      const held = process.memoryUsage.rss()
      keep = []
      assert.equal(keep.length, 0)
      await until(() => process.memoryUsage.rss() < held - 32 * MiB, `RSS back under ${((held - 32 * MiB) / MiB).toFixed(0)} MiB`, {intervalMs: 50, timeoutMs: 20_000})
        .catch((error: Error) => {
          throw new Error(`${error.message} (full collections asked for: ${majors.length}; RSS ${(process.memoryUsage.rss() / MiB).toFixed(0)} MiB, was ${(held / MiB).toFixed(0)})`)
        })
    } finally {
      stop()
    }
  })
})

describe('forwarderRestart and restoreEnvironment', () => {
  const argv = ['/usr/bin/node', '/opt/svc/bin/run.js', 'port-forward', 'svc/web', '8080:80']

  it('starts the same script with the same arguments, our settings first, the user\'s Node options after them', () => {
    const r = forwarderRestart('/usr/bin/node', ['--expose-gc'], argv, {HOME: '/h', UNSET: undefined})!
    assert.equal(r.file, '/usr/bin/node')
    assert.deepEqual(r.args, ['/usr/bin/node', ...FORWARDER_START.nodeOptions, '--expose-gc', ...argv.slice(1)])
    assert.deepEqual(r.env, {HOME: '/h', ...FORWARDER_START.env, SVC_FORWARDER_START: Object.keys(FORWARDER_START.env).join(',')})
  })

  it('a variable the user set keeps its value and stays after the restart', () => {
    const r = forwarderRestart('/usr/bin/node', [], argv, {MALLOC_ARENA_MAX: '8'})!
    assert.equal(r.env.MALLOC_ARENA_MAX, '8')
    const env: NodeJS.ProcessEnv = {...r.env}
    restoreEnvironment(env)
    assert.deepEqual(env, {MALLOC_ARENA_MAX: '8'})
  })

  it('the restarted process does not restart again, and the commands it runs get the user\'s environment', () => {
    const env: NodeJS.ProcessEnv = {...forwarderRestart('/usr/bin/node', [], argv, {PATH: '/bin'})!.env}
    assert.equal(forwarderRestart('/usr/bin/node', [], argv, env), undefined)
    restoreEnvironment(env)
    assert.deepEqual(env, {PATH: '/bin'})
    restoreEnvironment(env)
    assert.deepEqual(env, {PATH: '/bin'})
  })

  it('the restarted process, and only it, loads the code cache made under the forwarder\'s V8 flags (bin/bundle.js reads the variable the restart sets)', () => {
    const env: NodeJS.ProcessEnv = {...forwarderRestart('/usr/bin/node', [], argv, {PATH: '/bin'})!.env}
    assert.equal(cacheName(argv.slice(2), env), FORWARDER_CACHE)
    assert.notEqual(cacheName(argv.slice(2), {PATH: '/bin'}), FORWARDER_CACHE)
    restoreEnvironment(env)
    assert.notEqual(cacheName(argv.slice(2), env), FORWARDER_CACHE)
  })
})
