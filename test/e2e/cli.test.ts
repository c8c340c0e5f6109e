import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {after, describe, test} from 'node:test'

import {BIN, runSvc} from '../helpers/run-svc.ts'

const dir = mkdtempSync(path.join(os.tmpdir(), 'svc-cli-'))
after(() => rmSync(dir, {force: true, recursive: true}))

async function closedPort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as net.AddressInfo
  await new Promise<void>(resolve => server.close(() => resolve()))
  return port
}

describe('svc, the binary', () => {
  test('--help lists the commands', async () => {
    const r = await runSvc(['--help'])
    assert.equal(r.code, 0)
    assert.match(r.stdout, /COMMANDS\n/)
    assert.match(r.stdout, /\n {2}version +Print the svc client version/)
    assert.match(r.stdout, /\n {2}autocomplete +/)
  })

  test('-h is --help, on the root and on a command, as in kubectl', async () => {
    const root = await runSvc(['-h'])
    assert.equal(root.code, 0)
    assert.match(root.stdout, /COMMANDS\n/)
    const get = await runSvc(['get', '-h'])
    assert.equal(get.code, 0)
    assert.equal(get.stderr, '')
    assert.equal(get.stdout, (await runSvc(['get', '--help'])).stdout)
  })

  test('a reader that stops early (| head -1) ends svc quietly with exit 0', async () => {
    const {spawn} = await import('node:child_process')
    const child = spawn(process.execPath, [BIN, '--help'], {stdio: ['ignore', 'pipe', 'pipe']})
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', d => (stderr += d))
    child.stdout.once('data', () => child.stdout.destroy())
    const code = await new Promise(resolve => child.on('close', resolve))
    assert.equal(stderr, '')
    assert.equal(code, 0)
  })

  test('version --client needs no cluster', async () => {
    const r = await runSvc(['version', '--client'])
    assert.deepEqual([r.code, r.stderr], [0, ''])
    assert.match(r.stdout, /^Client Version: v\d+\.\d+\.\d+\n$/)
    const json = await runSvc(['version', '--client', '-o', 'json'])
    const parsed = JSON.parse(json.stdout)
    assert.match(parsed.clientVersion.gitVersion, /^v\d+\.\d+\.\d+$/)
    assert.equal(parsed.serverVersion, undefined)
  })

  test('help and a client-side dry run load no network or process built-in module', async () => {
    // The bundle defers every built-in that a command may not use (scripts/build.ts LAZY_BUILTINS).
    const hook = path.join(dir, 'loaded-builtins.cjs')
    writeFileSync(hook, "process.on('exit', () => process.stderr.write(process.moduleLoadList.filter(m => m.startsWith('NativeModule ')).map(m => m.slice(13)).join(' ')))")
    for (const args of [['--help'], ['create', 'clusterip', 'a', '--tcp=80', '--dry-run=client', '-o', 'yaml']]) {
      const r = await runSvc(args, {env: {NODE_OPTIONS: `--require ${hook}`}})
      assert.equal(r.code, 0, r.stderr)
      const loaded = new Set(r.stderr.split(' '))
      assert.ok(loaded.has('fs'), r.stderr)
      const unused = ['child_process', 'crypto', 'dns', 'http', 'https', 'perf_hooks', 'readline', 'tls', 'worker_threads', 'zlib'].filter(m => loaded.has(m))
      assert.deepEqual(unused, [], `svc ${args.join(' ')}`)
    }
  })

  test('an unknown flag is a usage error with exit 1', async () => {
    const r = await runSvc(['version', '--bogus'])
    assert.equal(r.code, 1)
    assert.equal(r.stdout, '')
    assert.equal(r.stderr, "error: Nonexistent flag: --bogus\nSee 'svc version --help' for usage.\n")
  })

  test('a bad -o value names the allowed ones', async () => {
    const r = await runSvc(['version', '-o', 'xml'])
    assert.equal(r.code, 1)
    assert.equal(r.stderr, "error: Expected --output=xml to be one of: json, yaml\nSee 'svc version --help' for usage.\n")
  })

  test('a bad --request-timeout says what to write', async () => {
    const r = await runSvc(['version', '--request-timeout', '5x'])
    assert.equal(r.code, 1)
    assert.equal(r.stderr, "error: invalid value for --request-timeout: invalid duration \"5x\": use a number of seconds or a value with a unit, e.g. 30s, 1m, 2h\nSee 'svc version --help' for usage.\n")
  })

  test('no kubeconfig anywhere says how to fix it', async () => {
    const r = await runSvc(['version'])
    assert.equal(r.code, 1)
    assert.equal(r.stdout, 'Client Version: v0.1.0\n')
    assert.match(r.stderr, /^error: no kubeconfig found: set KUBECONFIG or pass --kubeconfig FILE/)
  })

  test('a refused connection names the server, kubectl-style', async () => {
    const port = await closedPort()
    const file = path.join(dir, 'refused.yaml')
    writeFileSync(file, `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:${port}", insecure-skip-tls-verify: true}
users:
- name: u
  user: {token: abc}
contexts:
- name: ctx
  context: {cluster: c, user: u}
current-context: ctx
`)
    const r = await runSvc(['version', '--kubeconfig', file])
    assert.equal(r.code, 1)
    assert.equal(r.stderr, `The connection to the server 127.0.0.1:${port} was refused - did you specify the right host or port?\n`)
    const viaEnv = await runSvc(['version'], {env: {KUBECONFIG: file}})
    assert.equal(viaEnv.stderr, r.stderr)
  })

  test('-o yaml', async () => {
    const r = await runSvc(['version', '--client', '-o', 'yaml'])
    assert.equal(r.code, 0)
    assert.match(r.stdout, /^clientVersion:\n {2}gitVersion: v/)
  })

  test('as the kubectl plugin kubectl-svc, help points at `kubectl svc`', async () => {
    const link = path.join(dir, 'kubectl-svc')
    symlinkSync(BIN, link)
    const r = await runSvc(['version', '--bogus'], {bin: link})
    assert.equal(r.code, 1)
    assert.equal(r.stderr, "error: Nonexistent flag: --bogus\nSee 'kubectl svc version --help' for usage.\n")
  })
})
