// svc delete against the local cluster: kubectl 1.35's messages, dry runs, selectors, errors.

import assert from 'node:assert/strict'
import fs from 'node:fs'
import {after, before, describe, it} from 'node:test'

import {runSvc} from '../helpers/run-svc.ts'
import {SERVICES, startEnv, type SvcEnv} from './svc-env.ts'

let env: SvcEnv

async function make(name: string, labels: Record<string, string> = {}): Promise<void> {
  await env.create(SERVICES, {metadata: {labels, name}, spec: {ports: [{port: 80}], selector: {app: name}}})
}

async function exists(name: string): Promise<boolean> {
  try {
    await env.api.request({path: `${SERVICES}/${name}`})
    return true
  } catch {
    return false
  }
}

before(async () => {
  env = await startEnv()
})
after(() => env?.stop())

describe('svc delete', () => {
  it('deletes by name, waits until it is gone, prints kubectl\'s message', async () => {
    await make('one')
    const r = await env.svc(['delete', 'one'])
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'service "one" deleted from default namespace\n', ''])
    assert.equal(await exists('one'), false)
  })

  it('dry runs print the suffix and keep the Service', async () => {
    await make('keep')
    const client = await env.svc(['delete', 'svc/keep', '--dry-run=client'])
    assert.deepEqual([client.code, client.stdout], [0, 'service "keep" deleted from default namespace (dry run)\n'])
    const server = await env.svc(['delete', 'svc', 'keep', '--dry-run=server'])
    assert.deepEqual([server.code, server.stdout, server.stderr], [0, 'service "keep" deleted from default namespace (server dry run)\n', ''])
    assert.equal(await exists('keep'), true)
    const bad = await env.svc(['delete', 'keep', '--dry-run=maybe'])
    assert.deepEqual([bad.code, bad.stderr], [1, 'error: Invalid dry-run value (maybe). Must be "none", "server", or "client".\n'])
  })

  it('-o name, --wait=false', async () => {
    await make('named')
    const r = await env.svc(['delete', 'named', '-o', 'name', '--wait=false'])
    assert.deepEqual([r.code, r.stdout], [0, 'service/named\n'])
    const json = await env.svc(['delete', 'keep', '-o', 'json'])
    assert.deepEqual([json.code, json.stderr], [1, 'error: unexpected -o output mode: json. We only support \'-o name\'\n'])
  })

  it('missing names: the others are deleted, NotFound for each missing one, exit 1; --ignore-not-found', async () => {
    await make('x1')
    const r = await env.svc(['delete', 'gone', 'x1', 'gone2'])
    assert.equal(r.code, 1)
    assert.equal(r.stdout, 'service "x1" deleted from default namespace\n')
    assert.equal(r.stderr, 'Error from server (NotFound): services "gone" not found\nError from server (NotFound): services "gone2" not found\n')
    const ignored = await env.svc(['delete', 'gone', '--ignore-not-found'])
    assert.deepEqual([ignored.code, ignored.stdout, ignored.stderr], [0, '', ''])
  })

  it('by selector and --all', async () => {
    await make('s1', {group: 'g'})
    await make('s2', {group: 'g'})
    const r = await env.svc(['delete', '-l', 'group=g'])
    assert.deepEqual([r.code, r.stdout], [0, 'service "s1" deleted from default namespace\nservice "s2" deleted from default namespace\n'])
    const none = await env.svc(['delete', '-l', 'group=g'])
    assert.deepEqual([none.code, none.stdout, none.stderr], [0, 'No resources found\n', ''])
    const all = await env.svc(['delete', '--all', '--dry-run=client'])
    assert.equal(all.code, 0)
    assert.equal(all.stdout, 'service "keep" deleted from default namespace (dry run)\nservice "kubernetes" deleted from default namespace (dry run)\n')
  })

  it('a user who may not delete gets the server\'s Forbidden, and the Service stays', async () => {
    await make('guarded')
    const file = `${env.kubeconfig}.readonly`
    fs.writeFileSync(file, env.cluster.kubeconfig('readonly'))
    const r = await runSvc(['delete', 'guarded', '--kubeconfig', file])
    assert.equal(r.code, 1)
    assert.equal(r.stdout, '')
    assert.match(r.stderr, /^Error from server \(Forbidden\): services "guarded" is forbidden: .+\n$/)
    assert.equal(await exists('guarded'), true)
    const read = await runSvc(['get', 'guarded', '-o', 'name', '--kubeconfig', file])
    assert.deepEqual([read.code, read.stdout], [0, 'service/guarded\n'])
  })

  it('kubectl\'s argument errors', async () => {
    const cases: [string[], string][] = [
      [['delete'], 'error: resource(s) were provided, but no name was specified\n'],
      [['delete', 'svc'], 'error: resource(s) were provided, but no name was specified\n'],
      [['delete', 'keep', '--all'], 'error: name cannot be provided when a selector is specified\n'],
      [['delete', 'keep', '-l', 'a=b'], 'error: name cannot be provided when a selector is specified\n'],
      [['delete', '--all', '-l', 'a=b'], "error: setting 'all' parameter but found a non empty selector. \n"],
    ]
    for (const [args, stderr] of cases) {
      const r = await env.svc(args)
      assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', stderr], args.join(' '))
    }
    // a name on stdin is no argument (oclif would take it as NAME and delete that Service)
    const piped = await env.svc(['delete'], {input: 'keep\n'})
    assert.deepEqual([piped.code, piped.stdout, piped.stderr], [1, '', 'error: resource(s) were provided, but no name was specified\n'])
    assert.equal(await exists('keep'), true)
  })
})
