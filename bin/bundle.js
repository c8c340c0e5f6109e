// Loads svc's bundle (dist/svc.cjs, built by scripts/build.ts) for bin/run.js, with the V8 code
// cache the build wrote beside it (dist/svc.cjs.v8cache) when the running Node accepts it.
//
// Why not only Node's compile cache (module.enableCompileCache, which bin/run.js also turns on):
// Node writes its cache when a file is compiled, before it runs, so it holds the bundle's
// top-level code only, and every run compiles each function it calls again (oclif's set-up, the
// help, the kubeconfig and request code): about a fifth of `svc --help`'s CPU. The build runs svc's
// commands once (scripts/warm-cache.ts) and then asks V8 for the cache, which then holds every
// function those runs compiled.
//
// The cache is used only with the bundle it was made from (the build's id at the end of both) and
// only if V8 accepts it (same V8 version and flags); otherwise the bundle is required as any
// CommonJS file, under Node's compile cache.

import {readFileSync} from 'node:fs'
import Module, {createRequire} from 'node:module'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import vm from 'node:vm'

/** The bundle's last line, written by scripts/build.ts: `//# svc-build=ID`. */
const BUILD_ID = /\/\/# svc-build=([0-9a-f]{16})\s*$/

/** The cache file: the build ID (16 bytes) and V8's code cache. */
export const CACHE_SUFFIX = '.v8cache'
export const ID_LENGTH = 16

/**
 * Compiles the bundle and runs it as the module `file` in require's cache, so that a later
 * require() of it (oclif loading its commands) gets the same exports. Compiled as a script, the
 * file's value is the function Node's CommonJS loader would wrap a module in (scripts/build.ts
 * writes it so), so V8 compiles the file as it is and its line numbers hold.
 */
export function compileBundle(file, source, cachedData) {
  const script = new vm.Script(source, {cachedData, filename: file, importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER})
  if (script.cachedDataRejected) return {script}
  return {exports: runBundle(script.runInThisContext(), file), script}
}

/** Runs the bundle's function as the module `file`, registered in require's cache. */
function runBundle(wrapped, file) {
  const require = createRequire(file)
  const module = new Module(file)
  module.filename = file
  require.cache[file] = module
  wrapped(module.exports, require, module, file, path.dirname(file))
  module.loaded = true
  return module.exports
}

/** The bundle through Node's loader, under Node's compile cache. */
function requireBundle(file) {
  return createRequire(file)(file)
}

/** The bundle's ID, or undefined for a bundle without one. */
export function bundleId(source) {
  return BUILD_ID.exec(source.slice(-64))?.[1]
}

/** The bundle's exports: through the code cache when it fits this bundle and this Node, else by require(). */
export function loadBundle(url) {
  const file = fileURLToPath(url)
  let cache
  try {
    cache = readFileSync(file + CACHE_SUFFIX)
  } catch {
    return requireBundle(file)
  }
  const source = readFileSync(file, 'utf8')
  const id = bundleId(source)
  if (!id || cache.subarray(0, ID_LENGTH).toString('latin1') !== id) return requireBundle(file)
  return compileBundle(file, source, cache.subarray(ID_LENGTH)).exports ?? requireBundle(file)
}
