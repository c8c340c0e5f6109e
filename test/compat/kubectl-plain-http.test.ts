// svc and kubectl 1.35 side by side against a plain-HTTP API server: `kubectl proxy` in front of the
// local cluster (the plain-HTTP API servers scripts meet), behind a recorder that notes the
// Authorization header of every request. A server written without a scheme (`-s 127.0.0.1:PORT`) is
// http:// (client-go rest.DefaultServerURL, asked by clientcmd before any TLS setting is in the
// config), and over http:// kubectl sends no credentials: the kubeconfig's token user and an exec
// plugin that cannot run both work, the proxy adding its own. Then get, describe, create, delete and
// port-forward (both protocols) through it, and the server strings Go refuses, in kubectl's words.

import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import http from 'node:http'
import net, {type AddressInfo} from 'node:net'
import {readFileSync} from 'node:fs'
import {after, before, describe, test} from 'node:test'

import yaml from 'js-yaml'

import {kubeconfigDoc} from '../helpers/kubeconfig-doc.ts'
import {BIN, runSvc} from '../helpers/run-svc.ts'
import {eventually, roundTrip, runKubectl, startCompat, type Compat, type Running} from './helpers.ts'

let c: Compat
let proxy: Running
let recorder: http.Server
/** The recorder's address, host:port (no scheme). */
let plain: string
/** The Authorization header of each request the recorder passed on ('-' for none). */
const authorization: string[] = []

const MANIFESTS = `
apiVersion: v1
kind: Pod
metadata: {name: echo-0, labels: {app: echo}}
spec: {containers: [{name: c, image: echo, ports: [{containerPort: 7000}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: echo-svc}
spec: {clusterIP: 10.96.130.10, selector: {app: echo}, ports: [{name: web, port: 80, targetPort: 7000}]}
`

before(async () => {
  c = await startCompat()
  const r = await c.kubectl(['apply', '-f', c.file('echo.yaml', MANIFESTS)])
  assert.equal(r.code, 0, r.stderr)
  await eventually(async () => (await c.kubectl(['get', 'pod', 'echo-0', '-o', 'jsonpath={.status.phase}'])).stdout === 'Running', 'a running pod')
  proxy = runKubectl(c, ['proxy', '--port=0'])
  const port = Number((await proxy.waitFor(/Starting to serve on 127\.0\.0\.1:(\d+)/))[1])
  // Requests and upgrades (port-forward) passed on to kubectl proxy as they came.
  recorder = http.createServer((req, res) => {
    authorization.push(req.headers.authorization ?? '-')
    const up = http.request({headers: req.headers, host: '127.0.0.1', method: req.method, path: req.url, port}, answer => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    })
    up.on('error', () => res.destroy())
    req.pipe(up)
  })
  recorder.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    authorization.push(req.headers.authorization ?? '-')
    const up = net.connect(port, '127.0.0.1', () => {
      up.write(`${req.method} ${req.url} HTTP/1.1\r\n${Object.entries(req.headersDistinct).flatMap(([k, vs]) => (vs ?? []).map(v => `${k}: ${v}\r\n`)).join('')}\r\n`)
      up.write(head)
      socket.pipe(up).pipe(socket)
    })
    up.on('error', () => socket.destroy())
    socket.on('error', () => up.destroy())
  })
  await new Promise<void>(resolve => recorder.listen(0, '127.0.0.1', resolve))
  plain = `127.0.0.1:${(recorder.address() as AddressInfo).port}`
})
after(async () => {
  recorder?.closeAllConnections()
  recorder?.close()
  await proxy?.stop()
  await c?.stop()
})

/** The local cluster's kubeconfig with its users changed by `edit`, written beside it. */
function kubeconfigWith(name: string, edit: (user: Record<string, unknown>) => void): string {
  const doc = kubeconfigDoc(readFileSync(c.kubeconfig, 'utf8'))
  for (const entry of doc.users) edit(entry.user as Record<string, unknown>)
  return c.file(name, yaml.dump(doc))
}

/** kubectl's and svc's exit code, stdout and stderr for the same words (kubectl's discovery E-lines aside). */
async function both(args: string[], options: {kubeconfig?: string; svcArgs?: string[]} = {}): Promise<{kubectl: unknown; svc: unknown}> {
  const kubeconfig = options.kubeconfig ?? c.kubeconfig
  const [k, s] = await Promise.all([
    c.kubectl(args, {env: {KUBECONFIG: kubeconfig}}),
    runSvc(options.svcArgs ?? args, {env: {KUBECONFIG: kubeconfig}}),
  ])
  return {kubectl: [k.code, k.stdout, k.stderr.replace(/^E\d{4} [^\n]*\n/gm, '')], svc: [s.code, s.stdout, s.stderr]}
}

describe('a server without a scheme is http://, and gets no credentials', () => {
  test('-s HOST:PORT with the kubeconfig\'s token user: no Authorization from either', async () => {
    authorization.length = 0
    const r = await both(['get', 'svc', 'echo-svc', '-o', 'name', '-s', plain])
    assert.deepEqual(r.svc, r.kubectl)
    assert.deepEqual(r.svc, [0, 'service/echo-svc\n', ''])
    assert.ok(authorization.length >= 2, authorization.join(' '))
    assert.deepEqual(new Set(authorization), new Set(['-']))
  })

  test('--server=http://HOST:PORT/ with --token: the token is not sent over plain HTTP', async () => {
    authorization.length = 0
    const r = await both(['get', 'svc', 'echo-svc', '-o', 'name', `--server=http://${plain}/`, '--token=not-sent'])
    assert.deepEqual(r.svc, r.kubectl)
    assert.deepEqual(r.svc, [0, 'service/echo-svc\n', ''])
    assert.deepEqual(new Set(authorization), new Set(['-']))
  })

  test('a user with an exec plugin that cannot run: not run for an http:// server', async () => {
    const kubeconfig = kubeconfigWith('exec.kubeconfig', user => {
      for (const key of Object.keys(user)) delete user[key]
      user.exec = {apiVersion: 'client.authentication.k8s.io/v1', command: '/nonexistent/plugin', interactiveMode: 'Never'}
    })
    const r = await both(['get', 'svc', 'echo-svc', '-o', 'name', '-s', `http://${plain}`], {kubeconfig})
    assert.deepEqual(r.svc, r.kubectl)
    assert.deepEqual(r.svc, [0, 'service/echo-svc\n', ''])
  })
})

describe('commands through an http:// server', () => {
  test('describe', async () => {
    const r = await both(['describe', 'svc', 'echo-svc', '-s', plain], {svcArgs: ['describe', 'svc', 'echo-svc', '--compat', '-s', plain]})
    assert.deepEqual(r.svc, r.kubectl)
    assert.match(String((r.svc as unknown[])[1]), /^Name: +echo-svc\n/)
  })

  test('create and delete', async () => {
    const server = ['-s', `http://${plain}`]
    // svc makes and removes made-a, kubectl made-b; the outputs are the same but for the name
    const steps: Array<[string[], string[]]> = [
      [['create', 'clusterip', 'made-a', '--tcp=80', ...server], ['create', 'service', 'clusterip', 'made-b', '--tcp=80', ...server]],
      [['delete', 'svc', 'made-a', ...server], ['delete', 'svc', 'made-b', ...server]],
    ]
    for (const [mine, theirs] of steps) {
      const [s, k] = await Promise.all([runSvc(mine, {env: {KUBECONFIG: c.kubeconfig}}), c.kubectl(theirs)])
      assert.deepEqual([s.code, s.stdout.replace('made-a', 'NAME'), s.stderr], [k.code, k.stdout.replace('made-b', 'NAME'), k.stderr])
      assert.equal(s.code, 0, s.stderr)
    }
  })
})

/** A port-forward's first stdout line, the local port in it, and a way to stop it. */
async function forwarding(command: 'kubectl' | 'svc', env: Record<string, string>): Promise<{line: string; port: number; stop: () => Promise<void>}> {
  const args = ['port-forward', '--address', '127.0.0.1', 'svc/echo-svc', ':80', '-s', plain]
  const child = command === 'svc' ? spawn(process.execPath, [BIN, ...args], {env: c.env(env), stdio: ['ignore', 'pipe', 'pipe']}) : spawn(c.kubectlPath, args, {env: c.env(env), stdio: ['ignore', 'pipe', 'pipe']})
  let out = ''
  let err = ''
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d))
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d))
  const exited = new Promise(resolve => child.on('close', resolve))
  await eventually(async () => out.includes('\n') || child.exitCode !== null, `${command} port-forward to listen`)
  const line = out.split('\n')[0]
  const m = /^Forwarding from 127\.0\.0\.1:(\d+) -> 7000$/.exec(line)
  assert.ok(m, `${command}: ${out}${err}`)
  return {
    line: line.replace(m[1], 'PORT'),
    port: Number(m[1]),
    async stop() {
      child.kill('SIGINT')
      await exited
    },
  }
}

for (const [mode, env] of [['SPDY', {KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false'}], ['WebSocket tunnel', {}]] as const) {
  test(`port-forward through an http:// server (${mode}): 256 KiB byte for byte`, async (t) => {
    for (const command of ['kubectl', 'svc'] as const) {
      const pf = await forwarding(command, env)
      t.after(() => pf.stop())
      assert.equal(pf.line, 'Forwarding from 127.0.0.1:PORT -> 7000')
      const payload = randomBytes(256 * 1024)
      assert.ok((await roundTrip(pf.port, payload)).equals(payload), `${command}: the echo differs`)
      await pf.stop()
    }
  })
}

describe('server strings Go refuses: kubectl\'s words', () => {
  const get = ['get', 'svc', 'echo-svc', '-o', 'name']
  const cases: Array<[string, string]> = [
    ['a path after a host without a scheme', 'PLAIN/prefix'],
    ['// without a scheme', '//PLAIN'],
    ['a port that is not a number', 'x:y:z'],
    ['a bracket not closed', '[::1'],
    ['a bad escape', 'a%zz'],
    ['a space in the host', 'a b'],
    ['a port beyond 65535', '127.0.0.1:99999'],
    ['an unknown scheme', 'ftp://PLAIN'],
    ['an http:// URL with a bad port', 'http://localhost:x'],
  ]
  for (const [name, server] of cases) {
    test(name, async () => {
      const r = await both([...get, '-s', server.replace('PLAIN', plain)])
      assert.deepEqual(r.svc, r.kubectl)
      assert.equal((r.svc as unknown[])[0], 1)
    })
  }
})
