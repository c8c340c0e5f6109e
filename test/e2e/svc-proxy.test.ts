// `svc proxy` end to end, with real clients: curl through SOCKS5 (--socks5-hostname) and as an HTTP
// proxy (-x, and -p for CONNECT), Node's fetch through HTTP_PROXY, and a raw SOCKS5 client for the
// UDP refusal and 200 concurrent connections across 5 Services. Every name form, every refusal's
// exact text, and pods replaced while the proxy runs.

import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import {after, before, describe, test} from 'node:test'

import {createDeployment, createService, deletePod, listPods, type PfCluster, type SvcProcess, startPfCluster, startSvc, until} from '../helpers/pf-cluster.ts'
import {runSvc} from '../helpers/run-svc.ts'

const CURL = '/usr/bin/curl'
const node = process.execPath

let c: PfCluster
let kc: string
let proxy: SvcProcess
let port: number
let webIP: string

interface Curl {
  code: number
  stdout: string
  stderr: string
}

function curl(args: string[]): Promise<Curl> {
  return new Promise(resolve => {
    execFile(CURL, ['-sS', '--max-time', '20', ...args], {env: {PATH: process.env.PATH ?? ''}}, (error, stdout, stderr) => {
      resolve({code: error ? Number((error as {code?: number}).code ?? 1) : 0, stderr, stdout})
    })
  })
}
const socks = (url: string, ...extra: string[]) => curl(['--socks5-hostname', `127.0.0.1:${port}`, ...extra, url])
const viaHttp = (url: string, ...extra: string[]) => curl(['-x', `http://127.0.0.1:${port}`, ...extra, url])

async function createNamespace(name: string): Promise<void> {
  await c.client.request({body: {apiVersion: 'v1', kind: 'Namespace', metadata: {name}}, method: 'POST', path: '/api/v1/namespaces'})
}

async function createRawPod(namespace: string, body: unknown): Promise<void> {
  await c.client.request({body, method: 'POST', path: `/api/v1/namespaces/${namespace}/pods`})
}

/** Ready endpoints of a Service, by pod name. */
async function readyPods(namespace: string, service: string): Promise<string[]> {
  const {body} = await c.client.request<any>({path: `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`, query: {labelSelector: `kubernetes.io/service-name=${service}`}})
  return body.items.flatMap((s: any) => (s.endpoints ?? []).filter((e: any) => e.conditions?.ready).map((e: any) => e.targetRef.name)).sort()
}

/** A SOCKS5 CONNECT by name; resolves with the socket once the reply says succeeded, or the reply code. */
function socksConnect(host: string, targetPort: number): Promise<{socket: net.Socket; reply: number}> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({host: '127.0.0.1', port})
    socket.once('error', reject)
    const name = Buffer.from(host)
    socket.write(Buffer.concat([Buffer.from([5, 1, 0]), Buffer.from([5, 1, 0, 3, name.length]), name, Buffer.from([targetPort >> 8, targetPort & 0xff])]))
    let buf = Buffer.alloc(0)
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk])
      if (buf.length < 2 + 10) return
      socket.off('data', onData)
      socket.pause()
      if (buf.length > 12) socket.unshift(buf.subarray(12))
      resolve({reply: buf[3], socket})
    }
    socket.on('data', onData)
  })
}

before(async () => {
  c = await startPfCluster()
  kc = c.kubeconfig()
  await createNamespace('shop')
  await createNamespace('load')
  const http = (p: number) => ({[`sim.svc.local/port-${p}`]: 'http'})
  await createDeployment(c.client, 'web', 2, {annotations: http(8080), labels: {app: 'web'}, ports: [{containerPort: 8080, name: 'http'}]}, 'shop')
  await createService(c.client, 'web', {ports: [{port: 80, targetPort: 'http'}], selector: {app: 'web'}}, 'shop')
  await createDeployment(c.client, 'api', 2, {annotations: http(9090), labels: {app: 'api'}, ports: [{containerPort: 9090}]}, 'shop')
  await createService(c.client, 'api', {ports: [{port: 80, targetPort: 9090}], selector: {app: 'api'}}, 'shop')
  await createService(c.client, 'dns', {ports: [{port: 53, protocol: 'UDP'}], selector: {app: 'web'}}, 'shop')
  await createService(c.client, 'empty', {ports: [{port: 80}], selector: {app: 'nothing'}}, 'shop')
  await createService(c.client, 'ext', {externalName: 'db.example.com', type: 'ExternalName'}, 'shop')
  await createService(c.client, 'db', {clusterIP: 'None', ports: [{port: 5432}], selector: {app: 'db'}}, 'shop')
  for (const name of ['db-0', 'db-1']) {
    await createRawPod('shop', {
      apiVersion: 'v1', kind: 'Pod',
      metadata: {annotations: http(5432), labels: {app: 'db'}, name},
      spec: {containers: [{image: 'postgres', name: 'main', ports: [{containerPort: 5432}]}], hostname: name, subdomain: 'db'},
    })
  }
  await createDeployment(c.client, 'hello', 1, {annotations: http(8080), labels: {app: 'hello'}, ports: [{containerPort: 8080}]})
  await createService(c.client, 'hello', {ports: [{port: 80, targetPort: 8080}], selector: {app: 'hello'}})
  for (let i = 0; i < 5; i++) {
    await createDeployment(c.client, `echo${i}`, 1, {labels: {app: `echo${i}`}, ports: [{containerPort: 7}]}, 'load')
    await createService(c.client, `echo${i}`, {ports: [{port: 7000 + i, targetPort: 7}], selector: {app: `echo${i}`}}, 'load')
  }
  const expected: Array<[string, string, number]> = [['shop', 'web', 2], ['shop', 'api', 2], ['shop', 'db', 2], ['default', 'hello', 1],
    ...[0, 1, 2, 3, 4].map(i => ['load', `echo${i}`, 1] as [string, string, number])]
  await until(async () => {
    for (const [ns, svc, n] of expected) if ((await readyPods(ns, svc)).length !== n) return false
    return true
  }, 'every Service to have its ready endpoints')
  const {body} = await c.client.request<any>({path: '/api/v1/namespaces/shop/services/web'})
  webIP = body.spec.clusterIP
  proxy = startSvc(['proxy', '--kubeconfig', kc, '--port', '0', '-v=1'])
  port = Number((await proxy.line(/^Proxying on 127\.0\.0\.1:(\d+) \(SOCKS5 and HTTP\)$/))[1])
})

after(async () => {
  proxy?.kill('SIGINT')
  if (proxy) assert.deepEqual(await proxy.exited, {code: 0, signal: null})
  await c.stop()
})

describe('names', () => {
  test('every form of a Service name, the ClusterIP and a pod IP, through curl --socks5-hostname and curl -x', async () => {
    const webPods = await readyPods('shop', 'web')
    const pod = (await listPods(c.client, 'app=web', 'shop'))[0]
    const urls = ['web.shop', 'web.shop.svc', 'web.shop.svc.cluster.local', webIP].map(h => `http://${h}/hostname`)
    for (const url of urls) {
      for (const [how, result] of [['socks5', await socks(url)], ['http', await viaHttp(url)], ['connect', await viaHttp(url, '-p')]] as const) {
        assert.equal(result.code, 0, `${how} ${url}: ${result.stderr}`)
        assert.ok(webPods.includes(result.stdout), `${how} ${url} answered ${JSON.stringify(result.stdout)}, not one of ${webPods}`)
      }
    }
    const direct = await socks(`http://${pod.status?.podIP}:8080/hostname`)
    assert.deepEqual([direct.code, direct.stdout], [0, pod.metadata.name])
    const short = await viaHttp('http://hello/hostname')
    assert.equal(short.code, 0, short.stderr)
    assert.match(short.stdout, /^hello-/)
  })

  test('connections are spread over the ready endpoints', async () => {
    const seen = new Set<string>()
    for (let i = 0; i < 4; i++) seen.add((await socks('http://web.shop/hostname')).stdout)
    assert.deepEqual([...seen].sort(), await readyPods('shop', 'web'))
  })

  test('two Services on the same port reach their own pods', async () => {
    const [web, api] = [await socks('http://web.shop:80/hostname'), await socks('http://api.shop:80/hostname')]
    assert.match(web.stdout, /^web-/)
    assert.match(api.stdout, /^api-/)
  })

  test('a headless Service\'s pod by its hostname', async () => {
    for (const name of ['db-0', 'db-1']) {
      for (const host of [`${name}.db.shop`, `${name}.db.shop.svc.cluster.local`]) {
        const result = await socks(`http://${host}:5432/hostname`)
        assert.deepEqual([result.code, result.stdout], [0, name], result.stderr)
      }
    }
  })

  test('Node\'s fetch through HTTP_PROXY, from -- COMMAND, whose exit code passes through', async () => {
    const script = `fetch('http://web.shop/hostname').then(r => r.text()).then(t => { console.log('got ' + t); process.exit(t.startsWith('web-') ? 3 : 5) }, e => { console.error(e); process.exit(6) })`
    const result = await runSvc(['proxy', '--kubeconfig', kc, '--port', '0', '--', node, '-e', script])
    assert.equal(result.code, 3, result.stderr)
    assert.match(result.stdout, /^Proxying on 127\.0\.0\.1:\d+ \(SOCKS5 and HTTP\)\ngot web-/)
  })

  test('curl from -- COMMAND reads the proxy from its environment', async () => {
    const result = await runSvc(['proxy', '--kubeconfig', kc, '--port', '0', '-o', 'json', '--', 'sh', '-c', `r=$(${CURL} -sS http://api.shop/hostname); ${CURL} -sS -p https://api.shop:80/ >/dev/null 2>&1; echo "got $r $ALL_PROXY"`])
    assert.equal(result.code, 0, result.stderr)
    const lines = result.stdout.trim().split('\n')
    const events = lines.filter(l => l.startsWith('{')).map(l => JSON.parse(l))
    const port = events[0].localPort
    assert.deepEqual(events.slice(0, 2).map(e => e.event), ['listening', 'ready'])
    assert.ok(lines.some(l => new RegExp(`^got api-\\S+ socks5h://127\\.0\\.0\\.1:${port}$`).test(l)), result.stdout)
    const closed = events.filter(e => e.event === 'connection-closed')
    assert.equal(closed.length, 2)
    assert.deepEqual(closed.map(e => [e.protocol, e.host, e.port, e.namespace, e.service]), [['http', 'api.shop', 80, 'shop', 'api'], ['http-connect', 'api.shop', 80, 'shop', 'api']])
    assert.ok(closed.every(e => e.podPort === 9090 && e.pod.startsWith('api-') && e.bytesIn > 0 && e.bytesOut > 0))
  })
})

describe('refusals', () => {
  const cases: Array<[string, string, string, number]> = [
    ['unknown Service', 'http://nope.shop.svc/', 'refused nope.shop.svc:80: no Service "nope" in namespace "shop"', 4],
    ['no ready endpoints', 'http://empty.shop.svc/', 'refused empty.shop.svc:80: Service "empty" in namespace "shop" has no ready endpoints for port 80', 4],
    ['a port the Service lacks', 'http://web.shop:81/', 'refused web.shop:81: Service "web" in namespace "shop" has no port 81 (its ports: 80/TCP)', 5],
    ['a UDP port', 'http://dns.shop:53/', 'refused dns.shop:53: Service "dns" in namespace "shop" serves port 53 over UDP; svc proxy carries TCP only', 7],
    ['ExternalName', 'http://ext.shop:443/', 'refused ext.shop:443: Service "ext" in namespace "shop" is an ExternalName Service pointing to db.example.com (svc proxy connects there only with --passthrough)', 2],
    ['outside the cluster', 'http://www.example.co.uk/', 'refused www.example.co.uk:80: www.example.co.uk is not a cluster name (names outside the cluster need --passthrough)', 2],
    ['a two-part name that is no Service', 'http://example.com/', 'refused example.com:80: no Service "example" in namespace "com" (names outside the cluster need --passthrough)', 2],
    ['a hostname the headless Service lacks', 'http://db-7.db.shop:5432/', 'refused db-7.db.shop:5432: Service "db" in namespace "shop" has no pod with hostname "db-7"', 4],
  ]
  for (const [name, url, line, code] of cases) {
    test(name, async () => {
      const viaProxy = await viaHttp(url, '-i')
      assert.equal(viaProxy.stdout, `HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(line) + 1}\r\nConnection: close\r\n\r\n${line}\n`)
      const host = new URL(url)
      const {reply, socket} = await socksConnect(host.hostname, Number(host.port || 80))
      socket.destroy()
      assert.equal(reply, code)
      // Once for the HTTP client, once for the SOCKS5 one.
      await until(() => proxy.stderr.split('\n').filter(l => l === line).length === 2, `the line twice on stderr: ${line}`)
    })
  }

  test('SOCKS5 UDP ASSOCIATE is refused with reply 7', async () => {
    const socket = net.connect({host: '127.0.0.1', port})
    socket.write(Buffer.from([5, 1, 0, 5, 3, 0, 1, 0, 0, 0, 0, 0, 0]))
    const reply = await new Promise<Buffer>(resolve => {
      let buf = Buffer.alloc(0)
      socket.on('data', chunk => (buf = Buffer.concat([buf, chunk])))
      socket.on('close', () => resolve(buf))
    })
    assert.deepEqual([...reply], [5, 0, 5, 7, 0, 1, 0, 0, 0, 0, 0, 0])
    await proxy.line(/^refused 0\.0\.0\.0:0: UDP ASSOCIATE is not supported; svc proxy carries TCP only \(SOCKS5 CONNECT\)$/, 'stderr')
  })

  test('--passthrough: names and IPs outside the cluster, and ExternalName targets, are dialled directly', async t => {
    const server = http.createServer((req, res) => res.end(`direct ${req.socket.localPort}`))
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    t.after(() => server.close())
    const local = (server.address() as net.AddressInfo).port
    await c.client.request({body: {apiVersion: 'v1', kind: 'Service', metadata: {name: 'here'}, spec: {externalName: 'localhost', type: 'ExternalName'}}, method: 'POST', path: '/api/v1/namespaces/shop/services'})
    const open = startSvc(['proxy', '--kubeconfig', kc, '--port', '0', '--passthrough', '-o', 'json'])
    t.after(() => open.kill('SIGKILL'))
    const [, p] = await open.line(/"event":"listening".*"localPort":(\d+)/)
    for (const target of [`127.0.0.1:${local}`, `here.shop.svc:${local}`, `localhost:${local}`]) {
      const result = await curl(['--socks5-hostname', `127.0.0.1:${p}`, `http://${target}/`])
      assert.deepEqual([result.code, result.stdout], [0, `direct ${local}`], `${target}: ${result.stderr}`)
    }
    await until(() => open.events().filter(e => e.event === 'connection-closed' && e.direct === true).length === 3, 'three direct connections closed')
    open.kill('SIGTERM')
    assert.deepEqual(await open.exited, {code: 0, signal: null})
  })

  test('listening beyond loopback warns', async () => {
    const wide = startSvc(['proxy', '--kubeconfig', kc, '--port', '0', '--address', '0.0.0.0'])
    const [, p] = await wide.line(/^Proxying on 0\.0\.0\.0:(\d+) /)
    await wide.line(new RegExp(`^Warning: 0\\.0\\.0\\.0:${p} accepts connections from other machines; anyone who can reach it reaches your cluster's Services through your credentials\\.$`), 'stderr')
    wide.kill('SIGTERM')
    assert.deepEqual(await wide.exited, {code: 0, signal: null})
  })
})

describe('following the cluster', () => {
  test('pods replaced while the proxy runs: new connections reach the new pods', async () => {
    const old = await readyPods('shop', 'api')
    for (const pod of old) await deletePod(c.client, pod, 'shop')
    const fresh = await until(async () => {
      const pods = await readyPods('shop', 'api')
      return pods.length === 2 && pods.every(p => !old.includes(p)) && pods
    }, 'the Deployment to replace both pods')
    const seen = await until(async () => {
      const got = new Set<string>()
      for (let i = 0; i < 4; i++) {
        const r = await socks('http://api.shop/hostname')
        if (r.code !== 0) return false
        got.add(r.stdout)
      }
      return [...got].every(p => fresh.includes(p)) && got
    }, 'connections to reach only the new pods')
    assert.deepEqual([...seen].sort(), fresh)
  })

  test('200 concurrent connections across 5 Services, every byte echoed back; a second round leaves no fd behind', async () => {
    const one = async (i: number) => {
      const svc = i % 5
      const {reply, socket} = await socksConnect(`echo${svc}.load`, 7000 + svc)
      assert.equal(reply, 0)
      const payload = randomBytes(16 * 1024)
      socket.write(payload)
      const back = await new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = []
        let n = 0
        socket.on('data', (chunk: Buffer) => {
          chunks.push(chunk)
          n += chunk.length
          if (n >= payload.length) resolve(Buffer.concat(chunks))
        })
        socket.on('error', reject)
        socket.on('close', () => reject(new Error(`connection ${i} closed after ${n} bytes`)))
        socket.resume()
      })
      socket.destroy()
      assert.ok(back.equals(payload), `connection ${i} to echo${svc}: bytes differ`)
    }
    const lines = () => proxy.stderr.match(/^echo\d\.load:700\d -> load\/echo\d-\S+:7 socks5 /gm)?.length ?? 0
    const fds = () => fs.readdirSync(`/proc/${proxy.child.pid}/fd`).length
    await Promise.all(Array.from({length: 200}, (_, i) => one(i)))
    await until(() => lines() >= 200, 'a -v=1 line for each of the 200 connections')
    // The first round dialled the pods' sessions (kept for reuse); the second must end where it began.
    const settled = fds()
    await Promise.all(Array.from({length: 200}, (_, i) => one(i)))
    await until(() => lines() >= 400, 'a -v=1 line for each of the next 200 connections')
    await until(() => fds() <= settled, `the proxy's fds back to ${settled} (now ${fds()})`)
  })
})
