import assert from 'node:assert/strict'
import {setTimeout as sleep} from 'node:timers/promises'
import {describe, it} from 'node:test'

import {limitBufferGarbage} from '../../../src/portforward/heap.ts'

const MiB = 1024 * 1024

describe('limitBufferGarbage', () => {
  it('dead Buffers above the limit are collected without waiting for V8 to notice them', async () => {
    const limit = 4 * MiB
    const stop = limitBufferGarbage(limit, 10)
    try {
      // 48 MiB of 64 KiB Buffers, each dropped at once: below the external-memory volume at which
      // V8 would start a collection by itself, so without the check they would stay allocated.
      for (let i = 0; i < 768; i++) Buffer.allocUnsafe(64 * 1024).fill(i)
      const deadline = Date.now() + 10_000
      while (process.memoryUsage().arrayBuffers > limit + MiB) {
        if (Date.now() > deadline) assert.fail(`Buffer memory still at ${(process.memoryUsage().arrayBuffers / MiB).toFixed(1)} MiB after 10 s`)
        await sleep(10)
      }
    } finally {
      stop()
    }
  })
})
