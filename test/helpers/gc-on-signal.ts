// Preloaded into a svc process under test (`node --expose-gc --import THIS bin/run.js ...`): on
// SIGUSR2 it runs a full garbage collection and then appends a line to $SVC_TEST_GC_FILE, so a
// test can read the process's RSS after a GC and know the GC has happened.

import {appendFileSync} from 'node:fs'

const file = process.env.SVC_TEST_GC_FILE
process.on('SIGUSR2', () => {
  const gc = (globalThis as {gc?: () => void}).gc
  gc?.()
  if (file) appendFileSync(file, gc ? `gc ${JSON.stringify(process.memoryUsage())}\n` : 'no gc\n')
})
