// A minimal HTTPS "API server" on 127.0.0.1:0 that serves only pods/NAME/portforward, through the
// same handler the local cluster uses (test/cluster/portforward-ws.ts), with pods whose ports are
// small TCP servers of the test's choosing. For transport tests that do not need the whole cluster.

import {execFileSync} from 'node:child_process'
import fs from 'node:fs'
import https from 'node:https'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import type {Duplex} from 'node:stream'

import {KubeConfig} from '@kubernetes/client-node'

import {WebSocketServer, type WebSocket} from 'ws'

import {KubeClient} from '../../src/kube/client.ts'
import {portForwardWsHandler} from '../cluster/portforward-ws.ts'

export type PortBehaviour = (socket: net.Socket) => void

export interface FakePod {
  namespace?: string
  name: string
  phase?: string
  nodeName?: string
  /** port -> what the "container" does with each connection; other ports refuse. */
  ports: Record<number, PortBehaviour>
}

export interface V4ApiServer {
  url: string
  /** A client for user `admin` (token `admin-token`), or `readonly` (403 on portforward), or a bad token (401). */
  client(user?: 'admin' | 'bad' | 'readonly'): KubeClient
  /** The sockets the pods' port servers accepted (pod side of each forwarded connection). */
  podSockets: net.Socket[]
  addPod(pod: FakePod): void
  deletePod(namespace: string, name: string): void
  dropConnections(): void
  setLatency(ms: number): void
  /** Stop answering upgrades (for handshake timeouts). */
  stall(on: boolean): void
  stop(): Promise<void>
}

let tlsMaterial: {cert: string; key: string} | undefined

export function tls(): {cert: string; key: string} {
  if (tlsMaterial) return tlsMaterial
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svc-v4-'))
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
    ], {stdio: 'ignore'})
    tlsMaterial = {cert: fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8'), key: fs.readFileSync(path.join(dir, 'key.pem'), 'utf8')}
    return tlsMaterial
  } finally {
    fs.rmSync(dir, {force: true, recursive: true})
  }
}

export async function startV4ApiServer(): Promise<V4ApiServer> {
  const {cert, key} = tls()
  const pods = new Map<string, FakePod & {servers: Map<number, net.Server>}>()
  const podSockets: net.Socket[] = []
  const connections = new Set<Duplex>()
  let latencyMs = 0
  let stalled = false

  const backend = {
    get latencyMs() {
      return latencyMs
    },
    getObject(resource: string, namespace: string, name: string) {
      const pod = pods.get(`${namespace}/${name}`)
      if (resource !== 'pods' || !pod) return undefined
      return {metadata: {name, namespace, uid: `uid-${namespace}-${name}`}, spec: {nodeName: pod.nodeName ?? 'node-1'}, status: {phase: pod.phase ?? 'Running'}}
    },
    async dialPod(namespace: string, name: string, port: number): Promise<net.Socket> {
      const pod = pods.get(`${namespace}/${name}`)
      const behaviour = pod?.ports[port]
      if (!pod || !behaviour) throw Object.assign(new Error(`connect ECONNREFUSED 127.0.0.1:${port}`), {code: 'ECONNREFUSED'})
      let server = pod.servers.get(port)
      if (!server) {
        server = net.createServer({allowHalfOpen: true}, socket => {
          podSockets.push(socket)
          socket.on('error', () => {})
          behaviour(socket)
        })
        pod.servers.set(port, server)
        await new Promise<void>(resolve => server!.listen(0, '127.0.0.1', resolve))
      }
      const address = server.address() as net.AddressInfo
      return await new Promise<net.Socket>((resolve, reject) => {
        const socket = net.connect({allowHalfOpen: true, host: '127.0.0.1', port: address.port})
        socket.once('connect', () => resolve(socket))
        socket.once('error', reject)
      })
    },
  }
  const handler = portForwardWsHandler(backend)

  const server = https.createServer({cert, key}, (req, res) => {
    res.writeHead(404, {'Content-Type': 'application/json'})
    res.end(JSON.stringify({kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'the server could not find the requested resource', reason: 'NotFound', code: 404}))
  })
  server.on('connection', socket => {
    connections.add(socket)
    socket.on('close', () => connections.delete(socket))
  })
  server.on('secureConnection', socket => {
    connections.add(socket)
    socket.on('close', () => connections.delete(socket))
  })
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => {})
    if (stalled) return
    const auth = req.headers.authorization
    const user = auth === 'Bearer admin-token' ? 'admin' : auth === 'Bearer readonly-token' ? 'readonly' : undefined
    const match = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/?]+)\/portforward(?:\?|$)/.exec(req.url ?? '')
    if (!user) {
      writeStatus(socket, 401, {kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401})
      return
    }
    if (!match) {
      writeStatus(socket, 404, {kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'the server could not find the requested resource', reason: 'NotFound', code: 404})
      return
    }
    const namespace = decodeURIComponent(match[1])
    const name = decodeURIComponent(match[2])
    if (user === 'readonly') {
      writeStatus(socket, 403, {
        kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'Forbidden', code: 403, details: {name, kind: 'pods'},
        message: `pods "${name}" is forbidden: User "readonly" cannot create resource "pods/portforward" in API group "" in the namespace "${namespace}"`,
      })
      return
    }
    handler({head, namespace, pod: name, req, socket})
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  const url = `https://127.0.0.1:${port}`

  return {
    url,
    podSockets,
    client(user = 'admin') {
      return clientFor(url, user === 'admin' ? 'admin-token' : user === 'readonly' ? 'readonly-token' : 'wrong')
    },
    addPod(pod) {
      pods.set(`${pod.namespace ?? 'default'}/${pod.name}`, {...pod, servers: new Map()})
    },
    deletePod(namespace, name) {
      const pod = pods.get(`${namespace}/${name}`)
      pods.delete(`${namespace}/${name}`)
      if (!pod) return
      const ports = new Set([...pod.servers.values()].map(s => (s.address() as net.AddressInfo).port))
      for (const socket of podSockets) if (ports.has(socket.localPort ?? 0)) socket.destroy()
      for (const s of pod.servers.values()) s.close()
    },
    dropConnections() {
      for (const socket of connections) socket.destroy()
    },
    setLatency(ms) {
      latencyMs = ms
    },
    stall(on) {
      stalled = on
    },
    async stop() {
      for (const socket of connections) socket.destroy()
      for (const socket of podSockets) socket.destroy()
      for (const pod of pods.values()) for (const s of pod.servers.values()) s.close()
      await new Promise<void>(resolve => server.close(() => resolve()))
    },
  }
}

/** A KubeClient for `url` with the test CA and a bearer token. */
export function clientFor(url: string, token: string, caPem = tls().cert): KubeClient {
  const kc = new KubeConfig()
  kc.loadFromOptions({
    clusters: [{caData: Buffer.from(caPem).toString('base64'), name: 'fake', server: url, skipTLSVerify: false}],
    contexts: [{cluster: 'fake', name: 'fake', user: 'u'}],
    currentContext: 'fake',
    users: [{name: 'u', token}],
  })
  return new KubeClient(kc)
}

/**
 * An HTTPS server that upgrades every request (offering back the first protocol the client asked
 * for) and hands the WebSocket to the test, which scripts the frames itself.
 */
export async function startScriptedServer(script: (ws: WebSocket, req: import('node:http').IncomingMessage) => void): Promise<{client: () => KubeClient; stop: () => Promise<void>; sockets: Set<Duplex>}> {
  const {cert, key} = tls()
  const wss = new WebSocketServer({handleProtocols: protocols => [...protocols][0] ?? false, noServer: true, perMessageDeflate: false})
  const sockets = new Set<Duplex>()
  const server = https.createServer({cert, key})
  server.on('upgrade', (req, socket, head) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    wss.handleUpgrade(req, socket, head, ws => {
      ws.on('error', () => {})
      script(ws, req)
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const url = `https://127.0.0.1:${(server.address() as net.AddressInfo).port}`
  return {
    client: () => clientFor(url, 'any'),
    sockets,
    async stop() {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>(resolve => server.close(() => resolve()))
    },
  }
}

function writeStatus(socket: Duplex, code: number, status: object): void {
  const body = JSON.stringify(status)
  const text = {401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found'}[code] ?? 'Error'
  socket.end(`HTTP/1.1 ${code} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`)
}

/** Port behaviours. */
export const behaviours = {
  /** Echo everything; end when the client's side ends (never, over v4) or on close. */
  echo: ((socket: net.Socket) => {
    socket.pipe(socket)
  }) as PortBehaviour,
  /** Write a greeting and close. */
  hello: (text: string): PortBehaviour => socket => {
    socket.end(text)
  },
  /** Stream n bytes of a pattern, then close. */
  bytes: (n: number): PortBehaviour => socket => {
    let left = n
    const chunk = Buffer.alloc(64 * 1024, 0x61)
    const pump = () => {
      while (left > 0) {
        const size = Math.min(left, chunk.length)
        left -= size
        if (!socket.write(size === chunk.length ? chunk : chunk.subarray(0, size))) {
          socket.once('drain', pump)
          return
        }
      }
      socket.end()
    }
    pump()
  },
  /** Reads everything; after `bytes` bytes answers with their count and closes. */
  count: (bytes: number): PortBehaviour => socket => {
    let seen = 0
    socket.on('data', (chunk: Buffer) => {
      seen += chunk.length
      if (seen >= bytes) socket.end(`${seen}\n`)
    })
  },
  /** Accept and stay silent. */
  silent: ((socket: net.Socket) => {
    socket.resume()
  }) as PortBehaviour,
}
