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
// V8 frees the memory of the ArrayBuffers a collection found dead (every Buffer's) on a background
// thread after the collection returns, so figures read just after it still count some of that
// memory, by chance (measured in port-forward-stall.test.ts, Buffer memory after one collection:
// 1.2 to 52 MiB from run to run, and a stopped reader's share over v4 up to 41 MiB; after two
// collections the share was still 14.4 MiB in 1 run of 4, and 26.2 MiB once in CI). So the probe
// turns that background freeing off (--no-concurrent-array-buffer-sweeping, which V8 reads at each
// collection) before its first collection: the memory is freed inside gc(). Measured with 2,000
// dead 16 KiB Buffers: 10-31 MiB counted after gc() in 6 of 8 rounds with the default, 0.1 MiB in
// 8 of 8 with the flag. It collects twice, so that what a first collection's weak callbacks let go
// is collected too. The forwarder runs with the flag from its first probe on; nothing it does
// depends on when a dead Buffer's memory is given back.

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
    setFlagsFromString('--no-concurrent-array-buffer-sweeping')
  }
  gc?.(options)
  gc?.(options)
  if (file) appendFileSync(file, gc ? `gc ${JSON.stringify(process.memoryUsage())}\n` : 'no gc\n')
})
