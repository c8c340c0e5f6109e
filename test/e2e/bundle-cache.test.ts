// bin/bundle.js: the built bundle with the code cache the build wrote for it, and the fallback to
// require() when the cache is not the bundle's or not there. `npm test` builds dist/ first.

import assert from 'node:assert/strict'
import {copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {test} from 'node:test'
import {pathToFileURL} from 'node:url'

import {bundleId, CACHE_SUFFIX, compileBundle, ID_LENGTH, loadBundle} from '../../bin/bundle.js'
import {ROOT, runSvc} from '../helpers/run-svc.ts'

const BUNDLE = path.join(ROOT, 'dist', 'svc.cjs')

test('bundleId reads the ID the build writes on the last line, and nothing else', () => {
  assert.equal(bundleId('code;\n//# svc-build=0123456789abcdef\n'), '0123456789abcdef')
  assert.equal(bundleId('code;\n//# svc-build=0123456789abcdef'), '0123456789abcdef')
  assert.equal(bundleId('code;\n'), undefined)
  assert.equal(bundleId('//# svc-build=0123456789abcdef\ncode;\n'), undefined)
  assert.equal(bundleId('code;\n//# svc-build=0123456789ABCDEF\n'), undefined)
})

test('the build writes a code cache for its bundle that this Node accepts', () => {
  const source = readFileSync(BUNDLE, 'utf8')
  const cache = readFileSync(BUNDLE + CACHE_SUFFIX)
  assert.equal(cache.subarray(0, ID_LENGTH).toString('latin1'), bundleId(source))
  const {exports, script} = compileBundle(`${BUNDLE}.check`, source, cache.subarray(ID_LENGTH))
  assert.equal(script.cachedDataRejected, false)
  assert.ok(exports && 'get' in (exports.COMMANDS as object), 'the bundle exports its commands')
})

test('a cache from another build, or none, falls back to require(): same commands', t => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'svc-bundle-'))
  t.after(() => rmSync(dir, {force: true, recursive: true}))
  const names = (exports: Record<string, unknown>) => Object.keys(exports.COMMANDS as object).sort()
  const expected = names(compileBundle(`${BUNDLE}.names`, readFileSync(BUNDLE, 'utf8')).exports!)
  assert.ok(expected.includes('create:clusterip'))

  const other = path.join(dir, 'other.cjs')
  copyFileSync(BUNDLE, other)
  const cache = readFileSync(BUNDLE + CACHE_SUFFIX)
  writeFileSync(other + CACHE_SUFFIX, Buffer.concat([Buffer.from('0000000000000000', 'latin1'), cache.subarray(ID_LENGTH)]))
  assert.deepEqual(names(loadBundle(pathToFileURL(other))), expected)

  const none = path.join(dir, 'none.cjs')
  copyFileSync(BUNDLE, none)
  assert.deepEqual(names(loadBundle(pathToFileURL(none))), expected)
})

test('svc runs the same without its code cache', async t => {
  // A copy of the package whose cache is another build's: its bundle is required as it is.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'svc-nocache-'))
  t.after(() => rmSync(dir, {force: true, recursive: true}))
  cpSync(path.join(ROOT, 'bin'), path.join(dir, 'bin'), {recursive: true})
  cpSync(path.join(ROOT, 'dist'), path.join(dir, 'dist'), {recursive: true})
  for (const file of ['package.json', 'oclif.manifest.json']) copyFileSync(path.join(ROOT, file), path.join(dir, file))
  const cache = readFileSync(BUNDLE + CACHE_SUFFIX)
  writeFileSync(path.join(dir, 'dist', 'svc.cjs') + CACHE_SUFFIX, Buffer.concat([Buffer.from('0000000000000000', 'latin1'), cache.subarray(ID_LENGTH)]))

  const args = ['create', 'clusterip', 'web', '--tcp', '80', '--dry-run=client', '-o', 'yaml']
  const withCache = await runSvc(args)
  assert.equal(withCache.code, 0, withCache.stderr)
  assert.match(withCache.stdout, /^kind: Service$/m)
  assert.deepEqual(await runSvc(args, {bin: path.join(dir, 'bin', 'run.js')}), withCache)
})
