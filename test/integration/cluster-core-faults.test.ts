import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import https from 'node:https'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import * as k8s from '@kubernetes/client-node'
import {internals, startCluster, type LocalCluster} from '../cluster/index.ts'
import {within} from '../helpers/poll.ts'
import {credsOf, json, request, watch} from './cluster-raw.ts'

/** Sends an upgrade request; resolves with the 101 (and the socket) or the plain response. */
function upgrade(c: LocalCluster, path: string, as: 'token' | 'readonly' | 'none' | 'cert', method = 'POST'): Promise<{status: number; body: string; headers: Record<string, unknown>; socket?: import('node:net').Socket}> {
  const creds = credsOf(c)
  const headers: Record<string, string> = {Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'portforward.k8s.io'}
  const tls: https.RequestOptions = {ca: creds.ca}
  if (as === 'token') headers.Authorization = `Bearer ${creds.token}`
  if (as === 'readonly') headers.Authorization = `Bearer ${creds.readonlyToken}`
  if (as === 'cert') Object.assign(tls, {cert: creds.cert, key: creds.key})
  return new Promise((resolve, reject) => {
    const req = https.request({host: '127.0.0.1', port: c.port, path, method, headers, agent: false, ...tls})
    req.on('upgrade', (res, socket) => resolve({status: res.statusCode ?? 0, body: '', headers: res.headers, socket}))
    req.on('response', (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => (body += d))
      res.on('end', () => resolve({status: res.statusCode ?? 0, body, headers: res.headers}))
    })
    req.on('error', reject)
    req.end()
  })
}

async function withCluster(fn: (c: LocalCluster) => Promise<void>): Promise<void> {
  const c = await startCluster()
  try {
    await fn(c)
  } finally {
    await c.stop()
  }
}

const pod = (name: string): any => ({apiVersion: 'v1', kind: 'Pod', metadata: {name}, spec: {containers: [{name: 'app', image: 'nginx:1.27', ports: [{containerPort: 8080}]}]}})

describe('port-forward upgrade routing', () => {
  it('authenticates, authorizes and checks the pod before calling the first handler', async () => {
    await withCluster(async (c) => {
      assert.equal((await request(c, '/api/v1/namespaces/default/pods', json('POST', pod('web-1')))).status, 201)
      const path = '/api/v1/namespaces/default/pods/web-1/portforward'
      const calls: Array<{namespace: string; pod: string; user: string; method?: string}> = []
      c.onPortForward(({req, socket, namespace, pod: name, user, cluster}) => {
        assert.equal(cluster, c)
        calls.push({namespace, pod: name, user, method: req.method})
        socket.end('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n\r\n')
      })
      c.onPortForward(() => assert.fail('only the first handler is called'))
      const ok = await upgrade(c, path, 'token')
      assert.equal(ok.status, 101)
      assert.equal(ok.headers['x-stream-protocol-version'], 'portforward.k8s.io')
      ok.socket?.destroy()
      const viaCert = await upgrade(c, path, 'cert', 'GET')
      assert.equal(viaCert.status, 101)
      viaCert.socket?.destroy()
      assert.deepEqual(calls, [{namespace: 'default', pod: 'web-1', user: 'token', method: 'POST'}, {namespace: 'default', pod: 'web-1', user: 'svc-admin', method: 'GET'}])
      const anon = await upgrade(c, path, 'none')
      assert.equal(anon.status, 401)
      assert.equal(anon.body, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}\n')
      const ro = await upgrade(c, path, 'readonly')
      assert.equal(ro.status, 403)
      assert.equal(JSON.parse(ro.body).message, 'pods "web-1" is forbidden: User "readonly" cannot create resource "pods/portforward" in API group "" in the namespace "default"')
      const missing = await upgrade(c, '/api/v1/namespaces/default/pods/nope/portforward', 'token')
      assert.equal(missing.status, 404)
      assert.equal(JSON.parse(missing.body).message, 'pods "nope" not found')
      const plain = await request(c, path, {method: 'POST'})
      assert.equal(plain.status, 400)
      assert.equal(plain.json().message, 'Upgrade request required')
      assert.equal(calls.length, 2)
    })
  })

  it('refuses a pod that is not scheduled yet', async () => {
    const c = await startCluster({simulate: false})
    try {
      assert.equal((await request(c, '/api/v1/namespaces/default/pods', json('POST', pod('pending')))).status, 201)
      c.onPortForward(() => assert.fail('not for an unscheduled pod'))
      const r = await upgrade(c, '/api/v1/namespaces/default/pods/pending/portforward', 'token')
      assert.equal(r.status, 400)
      assert.equal(JSON.parse(r.body).message, 'pod pending does not have a host assigned')
      assert.equal(internals(c).simulation, undefined)
    } finally {
      await c.stop()
    }
  })

  it('dialPod reaches the simulated container', async () => {
    await withCluster(async (c) => {
      await request(c, '/api/v1/namespaces/default/pods', json('POST', {...pod('echo'), metadata: {name: 'echo'}}))
      const socket = await c.dialPod('default', 'echo', 8080)
      socket.end('ping')
      let got = ''
      for await (const chunk of socket) got += chunk
      assert.equal(got, 'ping')
      await assert.rejects(c.dialPod('default', 'echo', 9999), (e: any) => e.code === 'ECONNREFUSED')
      assert.equal(c.getObject('pods', 'default', 'echo').metadata.name, 'echo')
    })
  })
})

describe('faults', () => {
  it('dropConnections ends watches; the server keeps serving', async () => {
    await withCluster(async (c) => {
      const w = await watch(c, '/api/v1/namespaces/default/services?watch=true')
      assert.equal((await w.next()).type, 'ADDED')
      c.dropConnections()
      await w.ended
      assert.equal((await request(c, '/healthz')).status, 200)
    })
  })

  it('restart keeps state and port and closes open streams', async () => {
    await withCluster(async (c) => {
      await request(c, '/api/v1/namespaces/default/services', json('POST', {metadata: {name: 'keep'}, spec: {ports: [{port: 80}]}}))
      const w = await watch(c, '/api/v1/namespaces/default/services?watch=true')
      const port = c.port
      await c.restart()
      await w.ended
      assert.equal(c.port, port)
      const kept = await request(c, '/api/v1/namespaces/default/services/keep')
      assert.equal(kept.status, 200)
      const kc = new k8s.KubeConfig()
      kc.loadFromString(c.kubeconfig())
      const svc = await kc.makeApiClient(k8s.CoreV1Api).readNamespacedService({namespace: 'default', name: 'keep'})
      assert.equal(svc.metadata?.name, 'keep')
    })
  })

  it('setLatency delays responses and watch frames', async () => {
    await withCluster(async (c) => {
      c.setLatency(300)
      let t0 = performance.now()
      assert.equal((await request(c, '/api/v1/namespaces/default/services/kubernetes')).status, 200)
      assert.ok(performance.now() - t0 >= 290)
      // From before the request: the server starts the frame's delay when it sends the headers
      // (which are not delayed), so a client slow to see the headers must not shorten the wait.
      t0 = performance.now()
      const w = await watch(c, '/api/v1/namespaces/default/services?watch=true')
      assert.equal((await w.next()).type, 'ADDED')
      assert.ok(performance.now() - t0 >= 290)
      w.close()
      c.setLatency(0)
      assert.throws(() => c.setLatency(-1), RangeError)
    })
  })

  it('stop frees the port', async () => {
    const c = await startCluster({simulate: false})
    await within(c.stop(), 'the cluster to stop')
    // Binding the same port again succeeds only if stop() released it (else EADDRINUSE).
    const s = createServer()
    const bound = await within(new Promise<true | Error>(resolve => {
      s.once('error', resolve)
      s.listen(c.port, '127.0.0.1', () => resolve(true))
    }), `a new listener on port ${c.port}`)
    assert.equal(bound, true)
    await within(new Promise<void>((resolve) => s.close(() => resolve())), 'the new listener to close')
  })
})

describe('npm run cluster', () => {
  it('writes the kubeconfig, announces it, serves and exits 0 on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cluster-core-'))
    const file = join(dir, 'kubeconfig')
    const child = spawn(process.execPath, ['test/cluster/main.ts', '--kubeconfig', file], {stdio: ['ignore', 'pipe', 'pipe']})
    try {
      let out = ''
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d) => {
          out += d
          if (out.includes('\n')) resolve()
        })
        child.on('exit', (code) => reject(new Error(`exited early with ${code}`)))
      })
      assert.match(out, new RegExp(`^local cluster listening on https://127\\.0\\.0\\.1:\\d+; kubeconfig written to ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n$`))
      const kc = new k8s.KubeConfig()
      kc.loadFromString(readFileSync(file, 'utf8'))
      assert.equal(kc.getCurrentContext(), 'local')
      const list = await kc.makeApiClient(k8s.CoreV1Api).listNamespace()
      assert.ok(list.items.some((n) => n.metadata?.name === 'kube-system'))
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
      child.kill('SIGTERM')
      assert.equal(await exited, 0)
    } finally {
      child.kill('SIGKILL')
      rmSync(dir, {recursive: true, force: true})
    }
  })
})
