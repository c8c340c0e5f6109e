// Loads svc's bundle (dist/svc.cjs, built by scripts/build.ts) for bin/run.js, with a V8 code cache
// the build wrote beside it when the running Node accepts it.
//
// Why not only Node's compile cache (module.enableCompileCache, which bin/run.js also turns on):
// Node writes its cache when a file is compiled, before it runs, so it holds the bundle's
// top-level code only, and every run compiles each function it calls again (oclif's set-up, the
// help, the kubeconfig and request code): about a fifth of `svc --help`'s CPU. The build runs svc's
// commands (scripts/warm-cache.ts) and then asks V8 for the cache, which then holds every
// function those runs compiled.
//
// One cache per common command (CACHE_NAMES: dist/svc.cjs.get.v8cache, ...), each made in a process
// that ran that command only, and one for every other command (dist/svc.cjs.v8cache) made after
// all of them: V8 reads the whole cache it is given before it runs anything, and the cost is in
// proportion to its size (`--help` needs 0.59 MB of the 1.06 MB that all the runs compile, `get`
// 0.87 MB). Which cache a run gets changes nothing but its speed.
//
// A cache is used only with the bundle it was made from (the build's id at the end of both) and
// only if V8 accepts it (same V8 version and flags); otherwise the bundle is required as any
// CommonJS file, under Node's compile cache. A forwarder that has started itself again with its
// V8 flags (src/portforward/heap.ts, FORWARDER_START) gets the cache the build made in a process
// started with the same flags (FORWARDER_CACHE): V8 rejects any other, and compiling the bundle
// without a cache cost each forwarder about 100 ms of CPU more before it listened.

'use strict'
const {readFileSync} = require('node:fs')
const Module = require('node:module')
const path = require('node:path')
const vm = require('node:vm')

/** The bundle's last line, written by scripts/build.ts: `//# svc-build=ID`. */
const BUILD_ID = /\/\/# svc-build=([0-9a-f]{16})\s*$/

/** A cache file: the build ID (16 bytes) and V8's code cache. */
const CACHE_SUFFIX = '.v8cache'
const ID_LENGTH = 16

/** The commands with a cache of their own (scripts/warm-cache.ts makes one for each); `help` is any help request. */
const CACHE_NAMES = ['create', 'describe', 'get', 'help', 'version']

/** The cache of a forwarder started again with FORWARDER_START, made from a port-forward and a proxy start (scripts/warm-cache.ts). */
const FORWARDER_CACHE = 'forwarder'
/** In the environment of a forwarder started again (src/portforward/heap.ts names it too). */
const FORWARDER_RESTARTED = 'SVC_FORWARDER_START'

/**
 * The name of the cache for a run with these arguments (as typed after `svc`) in this environment,
 * or undefined for the cache of every other command.
 */
function cacheName(argv, env = process.env) {
  if (env[FORWARDER_RESTARTED] !== undefined) return FORWARDER_CACHE
  if (argv.length === 0 || argv[0] === 'help' || argv.includes('--help') || argv.includes('-h')) return 'help'
  return CACHE_NAMES.includes(argv[0]) ? argv[0] : undefined
}

/** The cache file the build writes beside the bundle `file`: the one named, or the one for every other command. */
function cacheFile(file, name) {
  return name === undefined ? file + CACHE_SUFFIX : `${file}.${name}${CACHE_SUFFIX}`
}

/** The cache named, or the one for every other command when that one is missing; undefined when there is none. */
function readCache(file, name) {
  try {
    return readFileSync(cacheFile(file, name))
  } catch {
    return name === undefined ? undefined : readCache(file, undefined)
  }
}

/**
 * Compiles the bundle and runs it as the module `file` in require's cache, so that a later
 * require() of it (oclif loading its commands) gets the same exports. Compiled as a script, the
 * file's value is the function Node's CommonJS loader would wrap a module in (scripts/build.ts
 * writes it so), so V8 compiles the file as it is and its line numbers hold.
 */
function compileBundle(file, source, cachedData) {
  const script = new vm.Script(source, {cachedData, filename: file, importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER})
  if (script.cachedDataRejected) return {script}
  return {exports: runBundle(script.runInThisContext(), file), script}
}

/** Runs the bundle's function as the module `file`, registered in require's cache. */
function runBundle(wrapped, file) {
  const moduleRequire = Module.createRequire(file)
  const bundle = new Module(file)
  bundle.filename = file
  moduleRequire.cache[file] = bundle
  wrapped(bundle.exports, moduleRequire, bundle, file, path.dirname(file))
  bundle.loaded = true
  return bundle.exports
}

/**
 * The bundle's text, read as latin1: the build writes it in ASCII only (scripts/build.ts asciiOnly),
 * so that is the text 'utf8' would give, and Node makes the string without decoding UTF-8 (over
 * about 1 MB, outside V8's heap). Read as 'utf8', the 1.2 MB cost a start 2.3 ms at the least and
 * 12 ms in the median on the loaded 2-core machine, against 1.1 and 1.4. A bundle not in ASCII reads
 * longer than it is, and V8 then refuses its cache (the length is part of its check): required.
 */
function readBundleSource(file) {
  return readFileSync(file, 'latin1')
}

/** The bundle through Node's loader, under Node's compile cache. */
function requireBundle(file) {
  return Module.createRequire(file)(file)
}

/** The bundle's ID, or undefined for a bundle without one. */
function bundleId(source) {
  return BUILD_ID.exec(source.slice(-64))?.[1]
}

/**
 * The exports of the bundle `file` (a path), for a run with the arguments `argv`: through the code
 * cache for that run when it fits this bundle and this Node, else by require().
 */
function loadBundle(file, argv = []) {
  const cache = readCache(file, cacheName(argv))
  if (!cache) return requireBundle(file)
  const source = readBundleSource(file)
  const id = bundleId(source)
  if (!id || cache.subarray(0, ID_LENGTH).toString('latin1') !== id) return requireBundle(file)
  return compileBundle(file, source, cache.subarray(ID_LENGTH)).exports ?? requireBundle(file)
}

module.exports = {bundleId, CACHE_NAMES, cacheFile, cacheName, compileBundle, FORWARDER_CACHE, ID_LENGTH, loadBundle, readBundleSource}
