// svc wait, run as a CI script runs it, against the local cluster: every condition, each one met
// while svc is already waiting (the test changes the cluster only after svc's watches are open,
// which it learns from svc's -v 6 request log), a timeout, a watch cut by the server mid-wait, and
// Ctrl-C. No fixed sleeps: each step waits for a line of output or a state.

import assert from 'node:assert/strict'
import {type ChildProcess, spawn} from 'node:child_process'
import {after, before, describe, it} from 'node:test'

import {BIN} from '../helpers/run-svc.ts'
import {SERVICES, startEnv, type SvcEnv} from './svc-env.ts'

let env: SvcEnv
const children: ChildProcess[] = []
const PODS = '/api/v1/namespaces/default/pods'

before(async () => {
  env = await startEnv()
})
after(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
  await env?.stop()
})

interface Running {
  child: ChildProcess
  exited: Promise<number | null>
  out: () => string
  err: () => string
  /** Resolves when stderr (the -v 6 request log) or stdout matches; fails after 30 s. */
  waitFor: (re: RegExp, stream?: 'err' | 'out') => Promise<void>
}

function start(args: string[]): Running {
  const child = spawn(process.execPath, [BIN, 'wait', ...args, '-v', '6', '--kubeconfig', env.kubeconfig], {
    env: {HOME: '/nonexistent', PATH: process.env.PATH}, stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  let out = ''
  let err = ''
  const waiters: Array<() => void> = []
  const poke = () => {
    for (const w of [...waiters]) w()
  }
  child.stdout!.setEncoding('utf8').on('data', d => {
    out += d
    poke()
  })
  child.stderr!.setEncoding('utf8').on('data', d => {
    err += d
    poke()
  })
  const exited = new Promise<number | null>(resolve => child.on('close', code => {
    poke()
    resolve(code)
  }))
  return {
    child,
    err: () => err,
    exited,
    out: () => out,
    waitFor: (re, stream = 'err') => new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${re} in ${stream}: out ${JSON.stringify(out)} err ${JSON.stringify(err)}`)), 30_000)
      const check = () => {
        if (re.test(stream === 'err' ? err : out)) {
          clearTimeout(timer)
          waiters.splice(waiters.indexOf(check), 1)
          resolve()
        } else if (child.exitCode !== null) {
          clearTimeout(timer)
          waiters.splice(waiters.indexOf(check), 1)
          reject(new Error(`svc wait exited ${child.exitCode} before ${re}: out ${JSON.stringify(out)} err ${JSON.stringify(err)}`))
        }
      }
      waiters.push(check)
      check()
    }),
  }
}

/** svc's -v 6 log line for an open watch on services (or endpointslices) of this name. */
const watching = (what: 'endpointslices' | 'services', n = 1) => new RegExp(`(GET \\S+/${what}\\?[^\\n]*watch=true[^\\n]*\\n[\\s\\S]*){${n}}`)

async function patch(path: string, body: unknown): Promise<void> {
  await env.api.request({body, contentType: 'application/merge-patch+json', method: 'PATCH', path})
}

function service(name: string, extra: Record<string, unknown> = {}): unknown {
  return {metadata: {labels: {suite: 'wait'}, name}, spec: {ports: [{port: 80, targetPort: 8080}], selector: {app: name}, ...extra}}
}

function pod(name: string, app: string, ready: boolean): unknown {
  return {
    metadata: {annotations: {'sim.svc.local/ready': String(ready)}, labels: {app}, name},
    spec: {containers: [{image: 'nginx', name: 'c', ports: [{containerPort: 8080}]}]},
  }
}

describe('svc wait', () => {
  it('--for=endpoints=2 is met when pods become ready while it waits, and -o wide lists them', async () => {
    await env.create(SERVICES, service('ep'))
    await env.create(PODS, pod('ep-0', 'ep', false))
    await env.create(PODS, pod('ep-1', 'ep', false))
    const w = start(['svc/ep', '--for=endpoints=2', '-o', 'wide', '--timeout=60s'])
    await w.waitFor(watching('endpointslices'))
    assert.equal(w.out(), '')
    await patch(`${PODS}/ep-0`, {metadata: {annotations: {'sim.svc.local/ready': 'true'}}})
    await patch(`${PODS}/ep-1`, {metadata: {annotations: {'sim.svc.local/ready': 'true'}}})
    assert.equal(await w.exited, 0, w.err())
    const lines = w.out().trimEnd().split('\n')
    assert.match(lines[0], /^SERVICE\s+ENDPOINT\s+PORTS\s+NODE\s+POD$/)
    assert.deepEqual(lines.slice(1).map(l => l.split(/\s+/)[4]).sort(), ['ep-0', 'ep-1'])
    for (const line of lines.slice(1)) assert.match(line, /^ep\s+\d+\.\d+\.\d+\.\d+\s+8080\/TCP\s+\S+\s+ep-\d$/)
  })

  it('--for=endpoints defaults to one ready endpoint and prints kubectl\'s "condition met" line', async () => {
    await env.create(SERVICES, service('ep1'))
    await env.create(PODS, pod('ep1-0', 'ep1', true))
    const r = await env.svc(['wait', 'ep1', '--for=endpoints', '--timeout=30s'])
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'service/ep1 condition met\n', ''])
  })

  it('--for=loadbalancer prints the ingress address written while it waits (IP=$(svc wait ...))', async () => {
    await env.create(SERVICES, service('lb', {type: 'LoadBalancer'}))
    const w = start(['svc/lb', '--for=loadbalancer'])
    await w.waitFor(watching('services'))
    await patch(`${SERVICES}/lb/status`, {status: {loadBalancer: {ingress: [{ip: '203.0.113.7'}]}}})
    assert.equal(await w.exited, 0, w.err())
    assert.equal(w.out(), '203.0.113.7\n')
  })

  it('a watch the server drops mid-wait is reopened and the wait still ends when the status is written', async () => {
    await env.create(SERVICES, service('lb2', {type: 'LoadBalancer'}))
    const w = start(['svc/lb2', '--for=loadbalancer', '--timeout=60s'])
    await w.waitFor(watching('services'))
    env.cluster.dropConnections()
    await w.waitFor(watching('services', 2))
    await patch(`${SERVICES}/lb2/status`, {status: {loadBalancer: {ingress: [{hostname: 'lb2.example.com'}]}}})
    assert.equal(await w.exited, 0, w.err())
    assert.equal(w.out(), 'lb2.example.com\n')
  })

  it('--for=delete ends when the Service is deleted; a missing one is already deleted', async () => {
    await env.create(SERVICES, service('gone'))
    const w = start(['svc/gone', 'svc/never-was', '--for=delete'])
    await w.waitFor(watching('services'))
    await env.api.request({method: 'DELETE', path: `${SERVICES}/gone`})
    assert.equal(await w.exited, 0, w.err())
    assert.equal(w.out(), 'service/gone condition met\n')
  })

  it('--for=create waits for a Service that does not exist yet', async () => {
    const w = start(['svc/later', '--for=create'])
    await w.waitFor(watching('services'))
    await env.create(SERVICES, service('later'))
    assert.equal(await w.exited, 0, w.err())
    assert.equal(w.out(), 'service/later condition met\n')
  })

  it("--for=jsonpath='{...}'=VALUE on several Services selected by -l, met by a label written while waiting", async () => {
    await env.create(SERVICES, {metadata: {labels: {group: 'jp'}, name: 'jp-a'}, spec: {ports: [{port: 80}]}})
    await env.create(SERVICES, {metadata: {labels: {group: 'jp', stage: 'ready'}, name: 'jp-b'}, spec: {ports: [{port: 80}]}})
    const w = start(['svc', '-l', 'group=jp', '--for=jsonpath={.metadata.labels.stage}=ready'])
    await w.waitFor(watching('services'))
    await patch(`${SERVICES}/jp-a`, {metadata: {labels: {stage: 'ready'}}})
    assert.equal(await w.exited, 0, w.err())
    assert.equal(w.out(), 'service/jp-a condition met\nservice/jp-b condition met\n')
  })

  it('times out with kubectl\'s text and exit 1', async () => {
    await env.create(SERVICES, service('slow'))
    const r = await env.svc(['wait', 'svc/slow', '--for=jsonpath={.spec.type}=NodePort', '--timeout=1s'])
    assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', 'error: timed out waiting for the condition on services/slow\n'])
  })

  it('a missing Service is NotFound unless waited for with --for=create', async () => {
    const r = await env.svc(['wait', 'svc/nosuch', '--for=endpoints'])
    assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', 'Error from server (NotFound): services "nosuch" not found\n'])
  })

  it('a Service deleted while waited for is NotFound', async () => {
    await env.create(SERVICES, service('vanish'))
    const w = start(['svc/vanish', '--for=loadbalancer'])
    await w.waitFor(watching('services'))
    await env.api.request({method: 'DELETE', path: `${SERVICES}/vanish`})
    assert.equal(await w.exited, 1)
    assert.match(w.err(), /Error from server \(NotFound\): services "vanish" not found\n$/)
  })

  it('Ctrl-C ends the wait at once with exit 1 and nothing on stdout, as kubectl wait', async () => {
    await env.create(SERVICES, service('interrupted', {type: 'LoadBalancer'}))
    const w = start(['svc/interrupted', '--for=loadbalancer', '--timeout=10m'])
    await w.waitFor(watching('services'))
    w.child.kill('SIGINT')
    assert.equal(await w.exited, 1)
    assert.equal(w.out(), '')
    assert.doesNotMatch(w.err(), /error/)
  })

  it('--all with --for=create and -o name', async () => {
    const r = await env.svc(['wait', 'svc', '--all', '--for=create', '-o', 'name', '--timeout=5s'])
    assert.equal(r.code, 0, r.stderr)
    assert.ok(r.stdout.split('\n').includes('service/kubernetes'), r.stdout)
  })

  it('bad input: kubectl\'s errors for conditions, names and timeouts', async () => {
    const cases: Array<[string[], string]> = [
      [['svc/x', '--for=bogus'], 'error: unrecognized condition: "bogus"\n'],
      [['svc/x'], 'error: unrecognized condition: ""\n'],
      [['svc/x', '--for=jsonpath='], 'error: jsonpath expression cannot be empty\n'],
      [['svc/x', '--for=jsonpath={.a}='], "error: jsonpath wait has to have a value after equal sign, like --for=jsonpath='{.status.readyReplicas}'=3\n"],
      [['svc/x', '--for=endpoints=0'], 'error: invalid --for=endpoints=0: the number of ready endpoints must be a whole number of at least 1, like --for=endpoints=2\n'],
      [['svc', '--for=create'], 'error: resource(s) were provided, but no name was specified\n'],
      [['svc/x', '--for=create', '--timeout=abc'], 'error: invalid argument "abc" for "--timeout" flag: time: invalid duration "abc"\n'],
      [['svc', '-l', 'none=here', '--for=loadbalancer'], 'error: no matching resources found\n'],
    ]
    for (const [args, stderr] of cases) {
      const r = await env.svc(['wait', ...args])
      assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', stderr], args.join(' '))
    }
  })
})
