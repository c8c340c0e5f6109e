#!/usr/bin/env node
// Entry point for `svc` and `kubectl-svc`. The version check runs before anything else is
// imported, so an old Node gets one clear line instead of a syntax or import error.
const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 22 || (major === 22 && minor < 19)) {
  process.stderr.write(`svc needs Node.js 22.19 or newer; this is ${process.versions.node}\n`)
  process.exit(1)
}

const {enableCompileCache} = await import('node:module')
enableCompileCache?.()
const {execute} = await import('@oclif/core')
await execute({dir: import.meta.url})
// Keep-alive agents and watches must not hold a finished command open. stdout and stderr are
// synchronous for files and pipes on POSIX, so nothing written is lost.
process.exit()
