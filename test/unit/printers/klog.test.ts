import assert from 'node:assert/strict'
import {it} from 'node:test'

import {klogWarning} from '../../../src/printers/klog.ts'

it('klog warning lines', () => {
  const line = klogWarning('--dry-run is deprecated and can be replaced with --dry-run=client.', 'helpers.go:703', new Date(Date.UTC(2026, 10, 28, 4, 9, 1, 422)))
  assert.equal(line, `W1128 04:09:01.422000 ${String(process.pid).padStart(7)} helpers.go:703] --dry-run is deprecated and can be replaced with --dry-run=client.`)
})
