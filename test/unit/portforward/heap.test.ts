import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {getHeapSpaceStatistics} from 'node:v8'

import {limitBufferGarbage} from '../../../src/portforward/heap.ts'
import {until} from '../../helpers/poll.ts'

const MiB = 1024 * 1024

describe('limitBufferGarbage', () => {
  it('dead Buffers above the limit are collected without waiting for V8 to notice them', async () => {
    const limit = 4 * MiB
    const stop = limitBufferGarbage(limit, 10)
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
