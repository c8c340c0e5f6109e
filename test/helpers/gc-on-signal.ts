// Preloaded into a svc process under test (`node --import THIS bin/run.js ...`): on SIGUSR2 it runs
// a full garbage collection and then appends a line to $SVC_TEST_GC_FILE, so a test can read the
// process's RSS after a GC and know the GC has happened. With SVC_TEST_GC_FLAVOR=last-resort the
// collection also gives V8's emptied pages back to the system, as the forwarder's own idle
// collection does (src/portforward/heap.ts).
//
// gc() is taken at signal time the way heap.ts's exposedGc takes it (`--expose-gc` set at run time,
// then a fresh context), not from `--expose-gc` on the command line: a V8 flag there makes V8 reject
// svc's code cache, and the forwarder under test would then compile svc as no user's forwarder does.
//
// It collects twice. V8 frees the memory of the ArrayBuffers a collection found dead (every Buffer's)
// on a background thread after the collection returns, so the figures read just after one collection
// still count some of it, by chance (measured in port-forward-stall.test.ts, Buffer memory after one
// collection: 1.2 to 52 MiB from run to run, and a stopped reader's share over v4 up to 41 MiB); a
// second collection first waits for that freeing to finish (measured over six runs: 0.3-0.4 MiB on
// the SPDY transports every time, and a stopped reader's share over v4 0.2-0.3 MiB).

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
  gc?.(options)
  if (file) appendFileSync(file, gc ? `gc ${JSON.stringify(process.memoryUsage())}\n` : 'no gc\n')
})
