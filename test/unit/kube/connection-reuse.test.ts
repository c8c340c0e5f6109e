// What svc's own identity check (src/kube/identity.ts) must not cost: Node 24 gives a request whose
// checkServerIdentity its agent does not carry a connection of its own, never kept alive and never
// resuming a TLS session (https.request's kPerRequestCheckServerIdentity). So the agents carry the
// check: a client's GETs share one kept-alive connection (directly and through a proxy), and its
// upgrades (the tunnel's, the v4 WebSocket's) and requests with a body resume the TLS session of the
// connection before, as they did before the check was svc's.

import assert from 'node:assert/strict'
import {once} from 'node:events'
import https from 'node:https'
import type net from 'node:net'
import type tls from 'node:tls'
import {after, before, describe, it} from 'node:test'

import {KubeConfig} from '@kubernetes/client-node'

import {KubeClient} from '../../../src/kube/client.ts'
import {ConnectionError} from '../../../src/kube/errors.ts'
import {openTunnel} from '../../../src/portforward/tunnel.ts'
import {upgradeSpdy, upgradeTunnel} from '../../../src/portforward/upgrade.ts'
import {issue} from '../../cluster/certs.ts'
import {startConnectProxy, type TestProxy} from '../../helpers/proxies.ts'

const ca = issue({days: 2, isCA: true, subject: {commonName: 'reuse-ca'}})
const leaf = issue({days: 2, issuer: ca, serverNames: {dns: ['localhost'], ips: ['127.0.0.1']}, subject: {commonName: 'kube-apiserver'}})

/** The TLS connections the server accepted since the last call, and how many of them resumed a session. */
let connections: Array<{resumed: boolean}> = []
function take(): {connections: number; resumed: number} {
  const seen = connections
  connections = []
  return {connections: seen.length, resumed: seen.filter(c => c.resumed).length}
}

let server: https.Server
let url: string
let proxy: TestProxy

before(async () => {
  // Every request is answered (an upgrade with 403: it is refused after its handshake).
  server = https.createServer({cert: leaf.certPem, key: leaf.keyPem}, (req, res) => {
    res.writeHead(req.headers.upgrade ? 403 : 200, {'Content-Type': 'application/json'})
    res.end('{}')
  })
  server.on('secureConnection', (socket: tls.TLSSocket) => connections.push({resumed: socket.isSessionReused()}))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  url = `https://127.0.0.1:${(server.address() as net.AddressInfo).port}`
  proxy = await startConnectProxy()
})

after(async () => {
  await proxy.close()
  server.closeAllConnections()
  server.close()
})

function client(proxyUrl?: string, server = url): KubeClient {
  const kc = new KubeConfig()
  kc.loadFromOptions({
    clusters: [{caData: Buffer.from(ca.certPem).toString('base64'), name: 'c', proxyUrl, server, skipTLSVerify: false}],
    contexts: [{cluster: 'c', name: 'c', user: 'u'}],
    currentContext: 'c',
    users: [{name: 'u', token: 't'}],
  })
  return new KubeClient(kc, {env: {}})
}

describe('connections with svc\'s identity check', () => {
  it('GETs share one kept-alive connection, directly and through a proxy', async () => {
    for (const proxyUrl of [undefined, proxy.url]) {
      take()
      const c = client(proxyUrl)
      for (let i = 0; i < 3; i++) assert.equal((await c.request({path: '/version'})).statusCode, 200)
      assert.equal(take().connections, 1, proxyUrl ? 'through the proxy' : 'directly')
    }
  })

  // The upgrades are refused (403) once their connection is up.
  const kinds: Array<[string, (c: KubeClient) => Promise<unknown>]> = [
    ['a request with a body', c => c.request({body: {}, method: 'POST', path: '/version'})],
    ['the tunnel\'s upgrade', c => upgradeTunnel(c, {namespace: 'default', pod: 'p'})],
    ['plain SPDY\'s upgrade', c => upgradeSpdy(c, {namespace: 'default', pod: 'p'})],
    ['the v4 WebSocket', c => openTunnel(c, {namespace: 'default', pod: 'p', port: 80})],
  ]
  for (const [kind, connect] of kinds) {
    it(`${kind}: each connection after the first resumes the TLS session`, async () => {
      const c = client()
      take()
      for (let i = 0; i < 3; i++) await connect(c).catch(() => undefined)
      assert.deepEqual(take(), {connections: 3, resumed: 2})
    })
  }

  it('each of them still refuses a certificate that names the server only in its Common Name', async t => {
    const bare = issue({days: 2, issuer: ca, subject: {commonName: 'localhost'}})
    const legacy = https.createServer({cert: bare.certPem, key: bare.keyPem}, (_req, res) => res.end('{}'))
    legacy.listen(0, '127.0.0.1')
    await once(legacy, 'listening')
    t.after(() => {
      legacy.closeAllConnections()
      legacy.close()
    })
    const server = `https://localhost:${(legacy.address() as net.AddressInfo).port}`
    const words = 'tls: failed to verify certificate: x509: certificate relies on legacy Common Name field, use SANs instead'
    for (const [kind, connect] of [['a GET', (c: KubeClient) => c.request({path: '/version'})], ...kinds] as typeof kinds) {
      for (const proxyUrl of [undefined, proxy.url]) {
        const error = await connect(client(proxyUrl, server)).then(() => undefined, (e: unknown) => e)
        assert.ok(error instanceof ConnectionError, `${kind}${proxyUrl ? ' through the proxy' : ''}: ${String(error)}`)
        assert.equal(error.message, words)
      }
    }
  })
})
