// svc get --watch: the table first, then one row per change, widths kept; Ctrl-C ends it with 0.

import assert from 'node:assert/strict'
import {type ChildProcess, spawn} from 'node:child_process'
import {after, before, describe, it} from 'node:test'

import {BIN} from '../helpers/run-svc.ts'
import {SERVICES, startEnv, type SvcEnv} from './svc-env.ts'

let env: SvcEnv
const children: ChildProcess[] = []

before(async () => {
  env = await startEnv()
})
after(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
  await env?.stop()
})

interface Watch {
  child: ChildProcess
  exited: Promise<number | null>
  out: () => string
  /** Resolves once stdout matches `re`; fails after 30 s naming what was printed. */
  waitFor: (re: RegExp) => Promise<void>
  /** The same for stderr (with `-v 6`, svc logs each request there once its answer has come). */
  waitForErr: (re: RegExp) => Promise<void>
}

/** `-v 6` logs the watch request once the server has answered it: the watch is open from then on. */
const WATCH_OPEN = /^GET \S*[?&]watch=true\S* 200 /m

function watch(args: string[], now: number): Watch {
  const child = spawn(process.execPath, [BIN, 'get', ...args, '--kubeconfig', env.kubeconfig], {
    env: {HOME: '/nonexistent', PATH: process.env.PATH, SVC_NOW: String(now)},
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  const exited = new Promise<number | null>(resolve => child.on('close', code => resolve(code)))
  const stdout = follow(child.stdout!)
  const stderr = follow(child.stderr!)
  return {child, exited, out: stdout.text, waitFor: stdout.waitFor, waitForErr: stderr.waitFor}
}

/** Collects a stream's text and resolves waiters when it matches. */
function follow(stream: NodeJS.ReadableStream): {text: () => string; waitFor: (re: RegExp) => Promise<void>} {
  let text = ''
  const waiters: {re: RegExp; resolve: () => void}[] = []
  stream.setEncoding('utf8')
  stream.on('data', chunk => {
    text += chunk
    for (const w of [...waiters]) if (w.re.test(text)) {
      waiters.splice(waiters.indexOf(w), 1)
      w.resolve()
    }
  })
  return {
    text: () => text,
    waitFor: re => new Promise((resolve, reject) => {
      if (re.test(text)) return resolve()
      const timer = setTimeout(() => reject(new Error(`no ${re} in ${JSON.stringify(text)}`)), 30_000)
      waiters.push({re, resolve: () => {
        clearTimeout(timer)
        resolve()
      }})
    }),
  }
}

describe('svc get --watch', () => {
  it('prints the table, then a row per event, and exits 0 on SIGINT', async () => {
    await env.create(SERVICES, {metadata: {name: 'first'}, spec: {ports: [{port: 80}], selector: {app: 'first'}}})
    const created = Date.parse((await env.get(`${SERVICES}/first`)).metadata.creationTimestamp!)
    const now = created + 3 * 3600_000
    const w = watch(['-l', 'watch=yes', '--watch'], now)
    // nothing matches yet: the watch starts with no table and no message
    await env.create(SERVICES, {metadata: {labels: {watch: 'yes'}, name: 'a'}, spec: {ports: [{port: 80}], selector: {app: 'a'}}})
    await w.waitFor(/\ba\s+ClusterIP/)
    await env.create(SERVICES, {metadata: {labels: {watch: 'yes'}, name: 'a-much-longer-name'}, spec: {ports: [{nodePort: 30099, port: 8080}], selector: {app: 'b'}, type: 'NodePort'}})
    await w.waitFor(/a-much-longer-name/)
    await env.api.request({method: 'DELETE', path: `${SERVICES}/a`})
    await w.waitFor(/a-much-longer-name[^\n]*\n[^\n]*\ba\s/)
    w.child.kill('SIGINT')
    assert.equal(await w.exited, 0)
    const ipA = /\ba\s+ClusterIP\s+(\S+)/.exec(w.out())![1]
    const ipB = /a-much-longer-name\s+NodePort\s+(\S+)/.exec(w.out())![1]
    const lines = w.out().split('\n')
    assert.equal(lines.length, 5)
    // the first flush (header and row a) sets the widths; later rows only widen them
    const ipWidth = Math.max(13, ipA.length + 3)
    const esc = (text: string) => text.replaceAll('.', '\\.')
    assert.equal(lines[0], `NAME   TYPE        ${'CLUSTER-IP'.padEnd(ipWidth)}EXTERNAL-IP   PORT(S)   AGE`)
    assert.match(lines[1], new RegExp(`^a {6}ClusterIP {3}${esc(ipA.padEnd(ipWidth))}<none> {8}80/TCP {4}\\S+$`))
    // the longer name widens NAME; the header is not repeated
    assert.match(lines[2], new RegExp(`^a-much-longer-name {3}NodePort {4}${esc(ipB.padEnd(Math.max(ipWidth, ipB.length + 3)))}<none> {8}8080:30099/TCP {3}\\S+$`))
    assert.match(lines[3], /^a {20}ClusterIP {3}/)
    assert.equal(lines[4], '')
  })

  it('-o yaml prints each object on its own, separated by ---, never a List', async () => {
    await env.create(SERVICES, {metadata: {labels: {yaml: 'yes'}, name: 'y1'}, spec: {ports: [{port: 80}], selector: {app: 'y'}}})
    const w = watch(['-l', 'yaml=yes', '-w', '-o', 'yaml'], Date.now())
    await w.waitFor(/name: y1\n/)
    await env.create(SERVICES, {metadata: {labels: {yaml: 'yes'}, name: 'y2'}, spec: {ports: [{port: 80}], selector: {app: 'y'}}})
    await w.waitFor(/name: y2\n[^]*type: ClusterIP\n/)
    w.child.kill('SIGINT')
    assert.equal(await w.exited, 0)
    const docs = w.out().split('---\n')
    assert.equal(docs.length, 2)
    assert.match(docs[0], /^apiVersion: v1\nkind: Service\nmetadata:\n[^]*name: y1\n/)
    assert.match(docs[1], /^apiVersion: v1\nkind: Service\nmetadata:\n[^]*name: y2\n/)
    assert.equal(w.out().includes('managedFields'), false)
  })

  it('a dropped connection is reopened from the last version: no event is lost', async () => {
    await env.create(SERVICES, {metadata: {labels: {drop: 'yes'}, name: 'd1'}, spec: {ports: [{port: 80}], selector: {app: 'd'}}})
    const w = watch(['-l', 'drop=yes', '-w', '-o', 'name', '-v', '6'], Date.now())
    await w.waitFor(/service\/d1\n/)
    await w.waitForErr(WATCH_OPEN)
    env.cluster.dropConnections()
    await env.create(SERVICES, {metadata: {labels: {drop: 'yes'}, name: 'd2'}, spec: {ports: [{port: 80}], selector: {app: 'd'}}})
    await w.waitFor(/service\/d2\n/)
    w.child.kill('SIGINT')
    assert.equal(await w.exited, 0)
    assert.equal(w.out(), 'service/d1\nservice/d2\n')
  })

  it('--watch-only skips the initial table', async () => {
    await env.create(SERVICES, {metadata: {labels: {only: 'yes'}, name: 'before'}, spec: {ports: [{port: 80}], selector: {app: 'x'}}})
    const w = watch(['-l', 'only=yes', '--watch-only', '-o', 'name', '-v', '6'], Date.now())
    // Services created before the watch opens are not shown: create one once it is open
    await w.waitForErr(WATCH_OPEN)
    await env.create(SERVICES, {metadata: {labels: {only: 'yes'}, name: 'after'}, spec: {ports: [{port: 80}], selector: {app: 'x'}}})
    await w.waitFor(/service\/after\n/)
    w.child.kill('SIGINT')
    assert.equal(await w.exited, 0)
    assert.equal(w.out(), 'service/after\n')
  })
})
