#!/usr/bin/env node
// Entry point for `svc` and `kubectl-svc`. CommonJS (bin/package.json): Node then runs it without
// its ES module loader, which costs a start-up 4-5 ms of CPU and 3.6 MiB of memory more (the loader's
// own modules, and a namespace object of every export for each built-in imported, which for
// `node:fs` loads its streams). The version check runs before anything else is loaded, so an old
// Node gets one clear line instead of a syntax or import error.
'use strict'
const {nodeTooOld} = require('./node-check.js')

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

async function main() {
  const path = require('node:path')
  require('node:module').enableCompileCache?.()
  // One CommonJS bundle holds svc, oclif and every command (scripts/build.ts); each part is
  // evaluated on first use.
  const root = path.dirname(__dirname)
  const argv = process.argv.slice(2)
  const svc = require('./bundle.js').loadBundle(path.join(root, 'dist', 'svc.cjs'), argv)
  const args = svc.kubectlArgv(argv)
  // The long-lived forwarders start again with their memory settings (src/portforward/heap.ts).
  if (args[0] === 'port-forward' || args[0] === 'proxy') svc.startAsForwarder()
  // oclif finds svc's package.json in `dir`, the package's root.
  await svc.oclif({args, dir: root})
  // Keep-alive agents and watches must not hold a finished command open; exit once what was
  // written has been handed to the OS (stdout is asynchronous for pipes on some platforms).
  for (const stream of [process.stdout, process.stderr]) {
    if (stream.writableLength > 0) await new Promise(resolve => stream.once('drain', resolve))
  }
  process.exit()
}

main()
