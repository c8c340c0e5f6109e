#!/usr/bin/env node
// Entry point for `svc` and `kubectl-svc`. The version check runs before anything else is
// imported, so an old Node gets one clear line instead of a syntax or import error.
import {nodeTooOld} from './node-check.js'

const refusal = nodeTooOld(process.versions.node)
if (refusal) {
  process.stderr.write(`${refusal}\n`)
  process.exit(1)
}

// A reader that stops early (`svc get | head -1`) ends svc quietly, as SIGPIPE ends kubectl,
// instead of an unhandled EPIPE or a command left waiting on a stream that will never drain.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', error => {
    if (error.code !== 'EPIPE') throw error
    process.exit(0)
  })
}

const {enableCompileCache} = await import('node:module')
enableCompileCache?.()
// One CommonJS bundle holds svc, oclif and every command (scripts/build.ts); each part is
// evaluated on first use.
const {loadBundle} = await import('./bundle.js')
const svc = loadBundle(new URL('../dist/svc.cjs', import.meta.url))
const args = svc.kubectlArgv(process.argv.slice(2))
// The long-lived forwarders start again with their memory settings (src/portforward/heap.ts).
if (args[0] === 'port-forward' || args[0] === 'proxy') svc.startAsForwarder()
await svc.oclif({args, dir: import.meta.url})
// Keep-alive agents and watches must not hold a finished command open; exit once what was
// written has been handed to the OS (stdout is asynchronous for pipes on some platforms).
for (const stream of [process.stdout, process.stderr]) {
  if (stream.writableLength > 0) await new Promise(resolve => stream.once('drain', resolve))
}
process.exit()
