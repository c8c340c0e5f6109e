// Preloaded into a svc process under test (`node --import THIS bin/run.js ...`): on SIGUSR2 it runs
// a full garbage collection and then appends a line to $SVC_TEST_GC_FILE, so a test can read the
// process's RSS after a GC and know the GC has happened. With SVC_TEST_GC_FLAVOR=last-resort the
// collection also gives V8's emptied pages back to the system, as the forwarder's own idle
// collection does (src/portforward/heap.ts).
//
// gc() is taken at signal time the way heap.ts's exposedGc takes it (`--expose-gc` set at run time,
// then a fresh context), not from `--expose-gc` on the command line: a V8 flag there makes V8 reject
// svc's code cache, and the forwarder under test would then compile svc as no user's forwarder does.

import {appendFileSync} from 'node:fs'
import {setFlagsFromString} from 'node:v8'
import {runInNewContext} from 'node:vm'

type Gc = (o?: typeof options) => void

const file = process.env.SVC_TEST_GC_FILE
const options = process.env.SVC_TEST_GC_FLAVOR === 'last-resort' ? {flavor: 'last-resort', type: 'major'} : undefined
let gc: Gc | undefined
process.on('SIGUSR2', () => {
  if (!gc) {
    setFlagsFromString('--expose-gc')
    gc = runInNewContext('gc') as Gc | undefined
  }
  gc?.(options)
  if (file) appendFileSync(file, gc ? `gc ${JSON.stringify(process.memoryUsage())}\n` : 'no gc\n')
})
