// Preloaded into a svc process under test (`node --expose-gc --import THIS bin/run.js ...`): on
// SIGUSR2 it runs a full garbage collection and then appends a line to $SVC_TEST_GC_FILE, so a
// test can read the process's RSS after a GC and know the GC has happened. With
// SVC_TEST_GC_FLAVOR=last-resort the collection also gives V8's emptied pages back to the system, as
// the forwarder's own idle collection does (src/portforward/heap.ts).

import {appendFileSync} from 'node:fs'

const file = process.env.SVC_TEST_GC_FILE
const options = process.env.SVC_TEST_GC_FLAVOR === 'last-resort' ? {flavor: 'last-resort', type: 'major'} : undefined
process.on('SIGUSR2', () => {
  const gc = (globalThis as {gc?: (o?: typeof options) => void}).gc
  gc?.(options)
  if (file) appendFileSync(file, gc ? `gc ${JSON.stringify(process.memoryUsage())}\n` : 'no gc\n')
})
