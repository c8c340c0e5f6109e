// bin/bundle.js: the built bundle with the code caches the build wrote for it, which cache a run
// gets, and the fallback to require() when the cache is not the bundle's or not there. `npm test` builds dist/ first.

import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import os from 'node:os'
import path from 'node:path'
import {test} from 'node:test'

import {bundleId, CACHE_NAMES, cacheFile, cacheName, compileBundle, FORWARDER_CACHE, ID_LENGTH, loadBundle, readBundleSource} from '../../bin/bundle.js'
import {FORWARDER_START} from '../../src/portforward/heap.ts'
import {asciiOnly} from '../../scripts/build.ts'
import {lazyBuiltin} from '../../scripts/lazy-builtin.ts'
import {ROOT, runSvc} from '../helpers/run-svc.ts'

const BUNDLE = path.join(ROOT, 'dist', 'svc.cjs')

test('bundleId reads the ID the build writes on the last line, and nothing else', () => {
  assert.equal(bundleId('code;\n//# svc-build=0123456789abcdef\n'), '0123456789abcdef')
  assert.equal(bundleId('code;\n//# svc-build=0123456789abcdef'), '0123456789abcdef')
  assert.equal(bundleId('code;\n'), undefined)
  assert.equal(bundleId('//# svc-build=0123456789abcdef\ncode;\n'), undefined)
  assert.equal(bundleId('code;\n//# svc-build=0123456789ABCDEF\n'), undefined)
})

test('the bundle is ASCII only, so its text read as latin1 is its text read as UTF-8', () => {
  assert.equal(readBundleSource(BUNDLE), readFileSync(BUNDLE, 'utf8'))
  assert.doesNotMatch(readBundleSource(BUNDLE), /[\u0080-\uffff]/)
  // what the build leaves as written: characters in a regular expression literal (scripts/build.ts asciiOnly)
  const code = 'const re=/(ms|\u00b5s|\u03bcs)/y,esc=/[\u001b\u009b]/,s="\u{1f600}";'
  const escaped = asciiOnly(code)
  assert.doesNotMatch(escaped, /[\u0080-\uffff]/)
  const read = (text: string) => new Function(`${text}return [re.source, re.exec('\u00b5s')?.[0], esc.test('\u009b'), s]`)() as unknown[]
  assert.deepEqual(read(escaped), [String.raw`(ms|\u00b5s|\u03bcs)`, '\u00b5s', true, '\u{1f600}'])
  assert.deepEqual(read(code).slice(1), read(escaped).slice(1))
  assert.throws(() => asciiOnly('const re=/\\\u00b5/'), /a backslash before \\u00b5/)
})

test('a run gets the cache of its command, of the help, or of every other command', () => {
  const cases: Array<[string[], string | undefined]> = [
    [[], 'help'],
    [['--help'], 'help'],
    [['-h'], 'help'],
    [['help', 'get'], 'help'],
    [['get', '--help'], 'help'],
    [['get', 'svc', '-h'], 'help'],
    [['get', 'svc'], 'get'],
    [['get', 'svc', '--kubeconfig', 'x'], 'get'],
    [['describe', 'svc', 'kubernetes'], 'describe'],
    [['version'], 'version'],
    [['create', 'clusterip', 'web', '--tcp', '80'], 'create'],
    [['delete', 'svc', 'web'], undefined],
    [['port-forward', 'svc/web', '8080:80'], undefined],
    [['--kubeconfig', 'x', 'get', 'svc'], undefined],
    [['../../etc/passwd'], undefined],
  ]
  for (const [argv, name] of cases) assert.equal(cacheName(argv, {}), name, argv.join(' '))
  // A forwarder started again with its V8 flags (src/portforward/heap.ts) gets the cache made under them, whatever its arguments.
  for (const [argv] of cases) assert.equal(cacheName(argv, {SVC_FORWARDER_START: 'MALLOC_ARENA_MAX'}), FORWARDER_CACHE, argv.join(' '))
  assert.equal(cacheName(['port-forward', 'svc/web', '8080:80'], {SVC_FORWARDER_START: ''}), FORWARDER_CACHE)
  assert.equal(cacheFile('/d/svc.cjs', 'get'), '/d/svc.cjs.get.v8cache')
  assert.equal(cacheFile('/d/svc.cjs', undefined), '/d/svc.cjs.v8cache')
})

test('the build writes each code cache for its bundle, and this Node accepts each', () => {
  const source = readFileSync(BUNDLE, 'utf8')
  for (const name of [undefined, ...CACHE_NAMES]) {
    const cache = readFileSync(cacheFile(BUNDLE, name))
    assert.equal(cache.subarray(0, ID_LENGTH).toString('latin1'), bundleId(source), name)
    const {exports, script} = compileBundle(`${BUNDLE}.check-${name}`, source, cache.subarray(ID_LENGTH))
    assert.equal(script.cachedDataRejected, false, name)
    assert.ok(exports && 'get' in (exports.COMMANDS as object), 'the bundle exports its commands')
  }
  // Each command's cache holds less than the one for every other command: that is what it is for.
  const every = readFileSync(cacheFile(BUNDLE, undefined)).length
  for (const name of CACHE_NAMES) assert.ok(readFileSync(cacheFile(BUNDLE, name)).length < every, `${name}'s cache is smaller than every command's`)
})

test('the forwarder\'s cache is accepted under the V8 flags a forwarder starts again with, and only under them', t => {
  // Each check runs in a Node of its own: V8 compares a cache with the flags its process started with.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'svc-bundle-'))
  t.after(() => rmSync(dir, {force: true, recursive: true}))
  const script = path.join(dir, 'check.cjs')
  writeFileSync(script, [
    `const b = require(${JSON.stringify(path.join(ROOT, 'bin', 'bundle.js'))})`,
    `const file = ${JSON.stringify(BUNDLE)}, source = require('node:fs').readFileSync(file, 'utf8'), cache = require('node:fs').readFileSync(b.cacheFile(file, b.FORWARDER_CACHE))`,
    `if (cache.subarray(0, b.ID_LENGTH).toString('latin1') !== b.bundleId(source)) throw new Error('the forwarder cache is not this build of the bundle')`,
    `const {exports: svc, script} = b.compileBundle(file + '.check', source, cache.subarray(b.ID_LENGTH))`,
    `process.stdout.write(script.cachedDataRejected ? 'rejected' : 'get' in svc.COMMANDS ? 'accepted' : 'no commands')`,
  ].join('\n'))
  const check = (options: readonly string[]) => {
    const run = spawnSync(process.execPath, [...options, script], {encoding: 'utf8'})
    assert.equal(run.status, 0, run.stderr)
    return run.stdout
  }
  assert.ok(FORWARDER_START.nodeOptions.length > 0, 'a forwarder starts again with V8 flags; without any, it needs no cache of its own')
  assert.equal(check(FORWARDER_START.nodeOptions), 'accepted')
  assert.equal(check([]), 'rejected')
})

test('a cache from another build, or none, falls back to require(): same commands', t => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'svc-bundle-'))
  t.after(() => rmSync(dir, {force: true, recursive: true}))
  const names = (exports: Record<string, unknown>) => Object.keys(exports.COMMANDS as object).sort()
  const expected = names(compileBundle(`${BUNDLE}.names`, readFileSync(BUNDLE, 'utf8')).exports!)
  assert.ok(expected.includes('create:clusterip'))

  const other = path.join(dir, 'other.cjs')
  copyFileSync(BUNDLE, other)
  const cache = readFileSync(cacheFile(BUNDLE, undefined))
  writeFileSync(cacheFile(other, undefined), Buffer.concat([Buffer.from('0000000000000000', 'latin1'), cache.subarray(ID_LENGTH)]))
  assert.deepEqual(names(loadBundle(other)), expected)
  // A command without a cache of its own gets the one for every command, here another build's.
  assert.deepEqual(names(loadBundle(other, ['get', 'svc'])), expected)

  const none = path.join(dir, 'none.cjs')
  copyFileSync(BUNDLE, none)
  assert.deepEqual(names(loadBundle(none)), expected)
})

test('svc runs the same without its code cache', async t => {
  // A copy of the package whose cache is another build's: its bundle is required as it is.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'svc-nocache-'))
  t.after(() => rmSync(dir, {force: true, recursive: true}))
  cpSync(path.join(ROOT, 'bin'), path.join(dir, 'bin'), {recursive: true})
  cpSync(path.join(ROOT, 'dist'), path.join(dir, 'dist'), {recursive: true})
  for (const file of ['package.json', 'oclif.manifest.json']) copyFileSync(path.join(ROOT, file), path.join(dir, file))
  for (const name of [undefined, ...CACHE_NAMES]) {
    const cache = readFileSync(cacheFile(BUNDLE, name))
    writeFileSync(cacheFile(path.join(dir, 'dist', 'svc.cjs'), name), Buffer.concat([Buffer.from('0000000000000000', 'latin1'), cache.subarray(ID_LENGTH)]))
  }

  const args = ['create', 'clusterip', 'web', '--tcp', '80', '--dry-run=client', '-o', 'yaml']
  const withCache = await runSvc(args)
  assert.equal(withCache.code, 0, withCache.stderr)
  assert.match(withCache.stdout, /^kind: Service$/m)
  assert.deepEqual(await runSvc(args, {bin: path.join(dir, 'bin', 'run.js')}), withCache)
})

test('every importer of a built-in gets one namespace object; another CommonJS module gets one per importer', () => {
  // The bundle's helpers, before its first module (scripts/build.ts, oneNamespacePerBuiltin).
  const source = readFileSync(BUNDLE, 'utf8')
  const helpers = source.slice(source.indexOf('\n') + 1, source.indexOf('var require_'))
  const {__toESM} = new Function('require', '__filename', `${helpers}\nreturn {__toESM}`)(createRequire(BUNDLE), BUNDLE) as {__toESM: (mod: unknown, isNodeMode: number) => Record<string, unknown>}
  let loads = 0
  const builtin = lazyBuiltin(() => (loads++, {name: 'real'}), ['name'])
  const first = __toESM(builtin, 1)
  assert.equal(__toESM(builtin, 1), first)
  assert.equal(first.default, builtin)
  assert.equal(loads, 0)
  assert.equal(first.name, 'real')
  assert.equal(loads, 1)
  const plain = {value: 1}
  const a = __toESM(plain, 1)
  assert.notEqual(__toESM(plain, 1), a)
  assert.equal(a.value, 1)
  assert.equal(a.default, plain)
})
