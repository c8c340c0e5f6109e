import {describe, it} from 'node:test'

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
})
