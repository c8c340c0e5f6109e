// Whose name the server's certificate is checked against when svc reaches it through a proxy. The
// API server is usually written as an IP address (https://10.0.0.1:6443, as kubeadm and kind write
// it) with a certificate that names only addresses; no SNI is sent for an address, so TLS inside
// the tunnel has to be told the host for its identity check, or Node checks the proxy's address
// instead: the tunnel socket's name, which is the proxy's when it is written as a name and
// 'localhost' when it is an address (net.Socket keeps only a name it looked up). The servers here
// listen on 127.0.0.2, the proxies on 127.0.0.1, so a check against the wrong host cannot pass by
// chance, and a certificate that names localhost (as the local cluster's does) cannot hide it.
// A refusal reads as kubectl's (Go's x509.HostnameError), and a name is matched as Go matches it: never
// against the subject's Common Name, which Node falls back to when a certificate names no DNS name.

import assert from 'node:assert/strict'
import {once} from 'node:events'
import https from 'node:https'
import net from 'node:net'
import type tls from 'node:tls'
import {after, before, describe, it, type TestContext} from 'node:test'

import {KubeConfig} from '@kubernetes/client-node'

import {KubeClient, toConnectionError} from '../../../src/kube/client.ts'
import {ConnectionError} from '../../../src/kube/errors.ts'
import {certificateError, serverIdentity} from '../../../src/kube/identity.ts'
import {isPermanentUpgradeError} from '../../../src/portforward/lifecycle.ts'
import {openTunnel} from '../../../src/portforward/tunnel.ts'
import {type IssuedCert, issue} from '../../cluster/certs.ts'
import {startConnectProxy, startSocks5Proxy, type TestProxy} from '../../helpers/proxies.ts'

const SERVER_IP = '127.0.0.2'
const NAME = 'api.proxied.test'
const ca = issue({days: 2, isCA: true, subject: {commonName: 'proxy-tls-ca'}})

interface Server {
  port: number
  /** The SNI each connection sent (false: none). */
  servernames: Array<string | false>
  close(): Promise<void>
}

/**
 * An HTTPS server on SERVER_IP whose certificate names only `names` (no alternative names at all when
 * undefined) and has `commonName` as its subject: /version answers, anything else is 404.
 */
async function startServer(names: {dns: string[]; ips: string[]} | undefined, commonName = 'kube-apiserver', leafOptions: {client?: boolean; notBefore?: Date} = {}): Promise<Server> {
  const leaf = issue({days: 2, issuer: ca, serverNames: names, subject: {commonName}, ...leafOptions})
  const servernames: Array<string | false> = []
  const server = https.createServer({cert: leaf.certPem, key: leaf.keyPem}, (req, res) => {
    const found = req.url === '/version'
    res.writeHead(found ? 200 : 404, {'Content-Type': 'application/json'})
    res.end(JSON.stringify(found ? {gitVersion: 'v1.34.0', major: '1', minor: '34'} : {apiVersion: 'v1', code: 404, kind: 'Status', message: 'the server could not find the requested resource', reason: 'NotFound', status: 'Failure'}))
  })
  server.on('secureConnection', (socket: tls.TLSSocket) => servernames.push((socket as tls.TLSSocket & {servername: string | false}).servername))
  server.listen(0, SERVER_IP)
  await once(server, 'listening')
  return {
    port: (server.address() as net.AddressInfo).port,
    servernames,
    async close() {
      server.closeAllConnections()
      await new Promise<void>(resolve => server.close(() => resolve()))
    },
  }
}

/** A server for this test only (closed when it ends) and its URL, the server named by `host`. */
async function serve(t: TestContext, names: {dns: string[]; ips: string[]} | undefined, host: string, commonName?: string, leafOptions?: {client?: boolean; notBefore?: Date}): Promise<{server: Server; url: string}> {
  const server = await startServer(names, commonName, leafOptions)
  t.after(() => server.close())
  return {server, url: `https://${host}:${server.port}`}
}

function clientFor(server: string, proxyUrl?: string, tlsServerName?: string, more: {clientCert?: IssuedCert; insecure?: boolean} = {}): KubeClient {
  const kc = new KubeConfig()
  const {clientCert, insecure = false} = more
  const user = clientCert ? {certData: Buffer.from(clientCert.certPem).toString('base64'), keyData: Buffer.from(clientCert.keyPem).toString('base64'), name: 'u'} : {name: 'u', token: 't'}
  kc.loadFromOptions({
    clusters: [{caData: insecure ? undefined : Buffer.from(ca.certPem).toString('base64'), name: 'c', proxyUrl, server, skipTLSVerify: insecure, tlsServerName}],
    contexts: [{cluster: 'c', name: 'c', user: 'u'}],
    currentContext: 'c',
    users: [user],
  })
  return new KubeClient(kc, {env: {}, handshakeTimeoutMs: 5_000, timeoutMs: 10_000})
}

/** The request's status code, or the message of the ConnectionError it failed with. */
async function version(client: KubeClient): Promise<number | string> {
  try {
    return (await client.request({path: '/version'})).statusCode
  } catch (error) {
    assert.ok(error instanceof ConnectionError, String(error))
    return error.message
  }
}

/** How a port-forward tunnel through `client` fails: the x509 message, or 'upgrade' when the server answered. */
async function tunnel(client: KubeClient): Promise<string> {
  const error = await openTunnel(client, {namespace: 'default', pod: 'p', port: 80}).then(t => {
    t.destroy()
    return undefined
  }, (e: unknown) => e)
  assert.ok(error instanceof Error)
  return error instanceof ConnectionError ? error.message : 'upgrade'
}

const proxies: Array<[string, () => Promise<TestProxy>]> = [
  ['HTTP CONNECT', () => startConnectProxy({hosts: {[NAME]: SERVER_IP}})],
  ['SOCKS5', () => startSocks5Proxy({hosts: {[NAME]: SERVER_IP}})],
]

for (const [kind, start] of proxies) {
  describe(`the server's certificate through a ${kind} proxy`, () => {
    let proxy: TestProxy
    before(async () => {
      proxy = await start()
    })
    after(() => proxy?.close())

    it('a server written as an IP address, its certificate naming only that address: verified, no SNI, as without the proxy', async t => {
      const {server, url} = await serve(t, {dns: [], ips: [SERVER_IP]}, SERVER_IP)
      assert.equal(await version(clientFor(url, proxy.url)), 200)
      assert.equal(await tunnel(clientFor(url, proxy.url)), 'upgrade')
      assert.equal(await version(clientFor(url)), 200)
      assert.deepEqual(server.servernames, [false, false, false])
      assert.deepEqual(proxy.stats.tunnels.slice(-2), [`${SERVER_IP}:${server.port}`, `${SERVER_IP}:${server.port}`])
    })

    it('a certificate for localhost and other addresses (as the local cluster\'s) is refused, as without the proxy, listing its addresses', async t => {
      const {url} = await serve(t, {dns: ['localhost'], ips: ['127.0.0.1', '::1']}, SERVER_IP)
      const words = `tls: failed to verify certificate: x509: certificate is valid for 127.0.0.1, ::1, not ${SERVER_IP}`
      assert.equal(await version(clientFor(url, proxy.url)), words)
      assert.equal(await tunnel(clientFor(url, proxy.url)), words)
      assert.equal(await version(clientFor(url)), words)
    })

    it('a certificate not valid yet, for a server only the proxy can reach: Go\'s detail, its certificates asked for again through the proxy', async t => {
      const {url} = await serve(t, {dns: [NAME], ips: []}, NAME, undefined, {notBefore: new Date(Date.now() + 24 * 60 * 60 * 1000)})
      const words = /^tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time \S+ is before \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/
      assert.match(String(await version(clientFor(url, proxy.url))), words)
      assert.match(await tunnel(clientFor(url, proxy.url)), words)
    })

    it('a certificate naming no address at all, for a server written as one', async t => {
      const {url} = await serve(t, {dns: [NAME], ips: []}, SERVER_IP)
      assert.equal(await version(clientFor(url, proxy.url)), `tls: failed to verify certificate: x509: cannot validate certificate for ${SERVER_IP} because it doesn't contain any IP SANs`)
    })

    it('a server written as a name only the proxy resolves: verified against the name, sent as SNI', async t => {
      const {server, url} = await serve(t, {dns: [NAME], ips: []}, NAME)
      assert.equal(await version(clientFor(url, proxy.url)), 200)
      assert.equal(await tunnel(clientFor(url, proxy.url)), 'upgrade')
      assert.deepEqual(server.servernames, [NAME, NAME])
    })

    it('a certificate for other names is refused, listing its names', async t => {
      const {url} = await serve(t, {dns: ['other.proxied.test', 'kubernetes'], ips: [SERVER_IP]}, NAME)
      const words = `tls: failed to verify certificate: x509: certificate is valid for other.proxied.test, kubernetes, not ${NAME}`
      assert.equal(await version(clientFor(url, proxy.url)), words)
      assert.equal(await tunnel(clientFor(url, proxy.url)), words)
    })

    it('a cluster\'s tls-server-name is the name checked, and the one the refusal names (Go\'s HostnameError.Host is the ServerName)', async t => {
      const {url} = await serve(t, {dns: ['kubernetes'], ips: [SERVER_IP]}, SERVER_IP)
      assert.equal(await version(clientFor(url, proxy.url, 'kubernetes')), 200)
      const words = 'tls: failed to verify certificate: x509: certificate is valid for kubernetes, not other.proxied.test'
      assert.equal(await version(clientFor(url, proxy.url, 'other.proxied.test')), words)
      assert.equal(await tunnel(clientFor(url, proxy.url, 'other.proxied.test')), words)
      assert.equal(await version(clientFor(url, undefined, 'other.proxied.test')), words)
      const bare = await serve(t, undefined, SERVER_IP, NAME)
      assert.equal(await version(clientFor(bare.url, proxy.url, NAME)), 'tls: failed to verify certificate: x509: certificate relies on legacy Common Name field, use SANs instead')
    })

    it('a certificate that names the server only in its Common Name is refused, as Go refuses it (Node alone would match the Common Name)', async t => {
      const bare = await serve(t, undefined, NAME, NAME)
      const legacy = 'tls: failed to verify certificate: x509: certificate relies on legacy Common Name field, use SANs instead'
      assert.equal(await version(clientFor(bare.url, proxy.url)), legacy)
      assert.equal(await tunnel(clientFor(bare.url, proxy.url)), legacy)
      const addressesOnly = await serve(t, {dns: [], ips: [SERVER_IP]}, NAME, NAME)
      assert.equal(await version(clientFor(addressesOnly.url, proxy.url)), `tls: failed to verify certificate: x509: certificate is not valid for any names, but wanted to match ${NAME}`)
    })
  })
}

describe('a certificate that does not name the server, in Go\'s x509.HostnameError words', () => {
  const refusal = (subjectaltname: string | undefined, server: string, subject: Record<string, string | string[]> = {}): string => {
    const error = Object.assign(new Error('Hostname/IP does not match certificate\'s altnames'), {cert: {subject, subjectaltname}, code: 'ERR_TLS_CERT_ALTNAME_INVALID'})
    const url = new URL(server)
    return toConnectionError(error, url.host, url).message.replace('tls: failed to verify certificate: ', '')
  }

  it('an address: the certificate\'s addresses, IPv6 shortened and IPv4-mapped ones as IPv4', () => {
    assert.equal(refusal('DNS:localhost, IP Address:10.96.0.1, IP Address:0:0:0:0:0:0:0:1, IP Address:FD00:0:0:0:0:0:0:A, IP Address:0:0:0:0:0:FFFF:A00:2', 'https://10.0.0.1:6443'),
      'x509: certificate is valid for 10.96.0.1, ::1, fd00::a, 10.0.0.2, not 10.0.0.1')
    assert.equal(refusal('IP Address:10.96.0.1', 'https://[fd00::1]:6443'), 'x509: certificate is valid for 10.96.0.1, not fd00::1')
    assert.equal(refusal('DNS:kubernetes', 'https://10.0.0.1:6443'), 'x509: cannot validate certificate for 10.0.0.1 because it doesn\'t contain any IP SANs')
    assert.equal(refusal(undefined, 'https://10.0.0.1:6443'), 'x509: cannot validate certificate for 10.0.0.1 because it doesn\'t contain any IP SANs')
  })

  it('a name: the certificate\'s DNS names, a quoted one unquoted; none at all', () => {
    assert.equal(refusal('DNS:kubernetes, DNS:"a,b.example", IP Address:10.96.0.1', 'https://api.example.com'), 'x509: certificate is valid for kubernetes, a,b.example, not api.example.com')
    assert.equal(refusal('IP Address:10.96.0.1', 'https://api.example.com'), 'x509: certificate is not valid for any names, but wanted to match api.example.com')
  })

  it('no alternative names: the legacy Common Name words when the Common Name (the last one) would match, as a pattern, case-insensitive', () => {
    const legacy = 'x509: certificate relies on legacy Common Name field, use SANs instead'
    const table: Array<[Record<string, string | string[]>, string, string]> = [
      [{CN: 'api.example.com'}, 'https://api.example.com', legacy],
      [{CN: 'API.Example.com'}, 'https://api.example.com.:6443', legacy],
      [{CN: '*.example.com'}, 'https://api.example.com', legacy],
      [{CN: ['other.example.com', 'api.example.com']}, 'https://api.example.com', legacy],
      [{CN: ['api.example.com', 'other.example.com']}, 'https://api.example.com', 'x509: certificate is not valid for any names, but wanted to match api.example.com'],
      [{CN: '*.example.com'}, 'https://a.api.example.com', 'x509: certificate is not valid for any names, but wanted to match a.api.example.com'],
      [{CN: 'api.*.com'}, 'https://api.example.com', 'x509: certificate is not valid for any names, but wanted to match api.example.com'],
      [{}, 'https://api.example.com', 'x509: certificate is not valid for any names, but wanted to match api.example.com'],
    ]
    for (const [subject, server, words] of table) assert.equal(refusal(undefined, server, subject), words, `${JSON.stringify(subject)} for ${server}`)
    assert.equal(refusal('IP Address:10.96.0.1', 'https://api.example.com', {CN: 'api.example.com'}), 'x509: certificate is not valid for any names, but wanted to match api.example.com')
  })
})

describe('a name against the certificate\'s DNS names, by Go\'s rules (crypto/x509 VerifyHostname), not Node\'s', () => {
  it('a wildcard only as the whole first label, over two labels too; case and a trailing dot aside; an invalid hostname only exactly', () => {
    const table: Array<[string, string, boolean]> = [
      ['DNS:*.example.com', 'api.example.com', true],
      ['DNS:*.example.com', 'a.api.example.com', false],
      ['DNS:*.example.com', 'example.com', false],
      ['DNS:f*.example.com', 'foo.example.com', false], // Node takes a partial wildcard
      ['DNS:*o.example.com', 'foo.example.com', false],
      ['DNS:*.local', 'api.local', true], // Node refuses a wildcard over two labels
      ['DNS:*', 'api', false],
      ['DNS:API.Example.COM', 'api.example.com.', true],
      ['DNS:my_host.example', 'my_host.example', true],
      ['DNS:other.example, DNS:api.example.com', 'api.example.com', true],
      ['DNS:-api.example.com', '-api.example.com', true], // not a valid hostname: matched exactly
      ['DNS:api.example.com', 'api.example.com.x', false],
      ['IP Address:10.0.0.1', 'api.example.com', false],
    ]
    for (const [subjectaltname, host, valid] of table) {
      const error = serverIdentity(host, {subject: {CN: host}, subjectaltname} as unknown as tls.PeerCertificate)
      assert.equal(error === undefined, valid, `${subjectaltname} for ${host}: ${error?.message}`)
      if (error) assert.equal((error as Error & {code: string; host: string}).code, 'ERR_TLS_CERT_ALTNAME_INVALID')
    }
  })
})

describe('an address against the certificate\'s addresses, compared as Go\'s net.IP.Equal compares them', () => {
  const identity = (host: string, subjectaltname: string): Error | undefined => serverIdentity(host, {subject: {}, subjectaltname} as unknown as tls.PeerCertificate)

  it('an IPv4-mapped IPv6 address is the IPv4 address, either way round (Node tells them apart)', () => {
    assert.equal(identity('10.0.0.1', 'IP Address:0:0:0:0:0:FFFF:A00:1'), undefined)
    assert.equal(identity('::ffff:a00:1', 'IP Address:10.0.0.1'), undefined)
    assert.equal(identity('fd00::a', 'DNS:fd00::a, IP Address:FD00:0:0:0:0:0:0:A'), undefined)
    const refused = identity('10.0.0.2', 'IP Address:0:0:0:0:0:FFFF:A00:1') as Error & {code: string; host: string}
    assert.equal(refused.code, 'ERR_TLS_CERT_ALTNAME_INVALID')
    assert.equal(refused.host, '10.0.0.2')
    // An address with a zone is no address to Go's net.ParseIP: a name, matched exactly, refused in the names' words.
    const zoned = identity('fe80::1%eth0', 'DNS:kubernetes, IP Address:FE80:0:0:0:0:0:0:1') as Error & {code: string}
    assert.equal(zoned.code, 'ERR_TLS_CERT_ALTNAME_INVALID')
    assert.equal(certificateError(zoned, 'fe80::1%eth0'), 'tls: failed to verify certificate: x509: certificate is valid for kubernetes, not fe80::1%eth0')
    // IPv4-compatible is not IPv4-mapped: another address.
    assert.equal((identity('::a00:1', 'IP Address:10.0.0.1') as Error & {code: string}).code, 'ERR_TLS_CERT_ALTNAME_INVALID')
  })

  it('a server written as an IPv4 address whose certificate carries it IPv4-mapped is verified (kubectl connects)', async t => {
    const {url} = await serve(t, {dns: [], ips: ['::ffff:7f00:2']}, SERVER_IP)
    assert.equal(await version(clientFor(url)), 200)
    assert.equal(await tunnel(clientFor(url)), 'upgrade')
  })
})

describe('a certificate refused for what it is rather than whom it names, in Go\'s words', () => {
  const words = (code: string): string | undefined => certificateError(Object.assign(new Error('refused'), {code}), 'h')

  it('a certificate for clients only (extended key usage clientAuth): Go\'s IncompatibleUsage, and port-forward does not try again', async t => {
    const {url} = await serve(t, {dns: [], ips: [SERVER_IP]}, SERVER_IP, undefined, {client: true})
    const refused = 'tls: failed to verify certificate: x509: certificate specifies an incompatible key usage'
    assert.equal(await version(clientFor(url)), refused)
    assert.equal(await tunnel(clientFor(url)), refused)
    assert.equal(isPermanentUpgradeError(new ConnectionError('h:1', 'INVALID_PURPOSE', refused)), true)
  })

  it('a certificate not valid yet (a clock behind the CA\'s): Go\'s Expired, as an expired one, and port-forward does not try again', async t => {
    const {url} = await serve(t, {dns: [], ips: [SERVER_IP]}, SERVER_IP, undefined, {notBefore: new Date(Date.now() + 24 * 60 * 60 * 1000)})
    // Go adds ': current time T is before NOTBEFORE' (CertificateInvalidError.Detail), read from
    // the certificates the server sends again (refusal.ts); the code alone gives the words without it.
    const refused = 'tls: failed to verify certificate: x509: certificate has expired or is not yet valid'
    assert.match(String(await version(clientFor(url))), new RegExp(`^${refused}: current time \\S+ is before \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$`))
    assert.equal(words('CERT_HAS_EXPIRED'), refused)
    assert.equal(isPermanentUpgradeError(new ConnectionError('h:1', 'CERT_NOT_YET_VALID', refused)), true)
  })

  it('a chain that does not lead to the CA however it breaks: unknown authority', () => {
    for (const code of ['UNABLE_TO_GET_ISSUER_CERT', 'CERT_SIGNATURE_FAILURE', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY']) {
      assert.equal(words(code), 'tls: failed to verify certificate: x509: certificate signed by unknown authority', code)
    }
    assert.equal(words('ECONNRESET'), undefined)
  })
})

// Go's net/http reaches an https:// proxy with the cluster's TLS config (Transport.dialConn ->
// persistConn.addTLS with the proxy's host; addTLS clones TLSClientConfig and sets ServerName only
// when it is empty): the proxy's certificate is verified against the cluster's CA, the client
// certificate is presented, and the name checked is the tls-server-name, else the proxy's host.
describe('an https:// proxy\'s own certificate, checked with the cluster\'s TLS settings as Go\'s net/http does', () => {
  const proxyCert = (names: {dns: string[]; ips: string[]}, issuer = ca): {cert: string; key: string} => {
    const leaf = issue({days: 2, issuer, serverNames: names, subject: {commonName: 'https-proxy'}})
    return {cert: leaf.certPem, key: leaf.keyPem}
  }
  const startHttpsProxy = async (t: TestContext, certificate: {cert: string; key: string}): Promise<TestProxy> => {
    const proxy = await startConnectProxy({tls: certificate})
    t.after(() => proxy.close())
    return proxy
  }
  const unknownAuthority = 'proxyconnect tcp: tls: failed to verify certificate: x509: certificate signed by unknown authority'

  it('a proxy whose certificate the cluster\'s CA signed is trusted (requests and tunnels), and is shown the client certificate', async t => {
    const {url} = await serve(t, {dns: [], ips: [SERVER_IP]}, SERVER_IP)
    const proxy = await startHttpsProxy(t, proxyCert({dns: [], ips: ['127.0.0.1']}))
    assert.match(proxy.url, /^https:/)
    assert.equal(await version(clientFor(url, proxy.url)), 200)
    assert.equal(await tunnel(clientFor(url, proxy.url)), 'upgrade')
    const clientCert = issue({client: true, days: 2, issuer: ca, subject: {commonName: 'svc-user'}})
    assert.equal(await version(clientFor(url, proxy.url, undefined, {clientCert})), 200)
    assert.equal(await tunnel(clientFor(url, proxy.url, undefined, {clientCert})), 'upgrade')
    assert.deepEqual(proxy.stats.clientCertificates, ['', '', 'svc-user', 'svc-user'])
    assert.deepEqual(proxy.stats.tunnels, Array(4).fill(`${SERVER_IP}:${new URL(url).port}`))
  })

  it('a proxy with a certificate from another CA is refused in Go\'s words (publicly trusted would not help: the cluster\'s CA replaces the roots), unless insecure-skip-tls-verify', async t => {
    const {url} = await serve(t, {dns: [], ips: [SERVER_IP]}, SERVER_IP)
    const other = issue({days: 2, isCA: true, subject: {commonName: 'other-ca'}})
    const proxy = await startHttpsProxy(t, proxyCert({dns: ['localhost'], ips: ['127.0.0.1']}, other))
    assert.equal(await version(clientFor(url, proxy.url)), unknownAuthority)
    assert.equal(await tunnel(clientFor(url, proxy.url)), unknownAuthority)
    assert.deepEqual(proxy.stats.tunnels, [])
    assert.equal(await version(clientFor(url, proxy.url, undefined, {insecure: true})), 200)
  })

  it('a proxy that takes the connection and never finishes the TLS handshake: Go\'s TLSHandshakeTimeout words, not a dial timeout', async t => {
    const {url} = await serve(t, {dns: [], ips: [SERVER_IP]}, SERVER_IP)
    // Takes connections and says nothing.
    const sockets: net.Socket[] = []
    const silent = net.createServer(socket => sockets.push(socket))
    silent.listen(0, '127.0.0.1')
    await once(silent, 'listening')
    t.after(() => {
      for (const socket of sockets) socket.destroy()
      silent.close()
    })
    const kc = clientFor(url, `https://127.0.0.1:${(silent.address() as net.AddressInfo).port}`).kubeConfig
    const client = new KubeClient(kc, {env: {}, handshakeTimeoutMs: 300, timeoutMs: 10_000})
    assert.equal(await version(client), 'proxyconnect tcp: net/http: TLS handshake timeout')
  })

  it('a proxy reached by a name or address its certificate does not carry is refused; the tls-server-name is the name checked when set', async t => {
    const {url} = await serve(t, {dns: ['kubernetes'], ips: [SERVER_IP]}, SERVER_IP)
    const proxy = await startHttpsProxy(t, proxyCert({dns: ['proxy.test'], ips: []}))
    assert.equal(await version(clientFor(url, proxy.url)), 'proxyconnect tcp: tls: failed to verify certificate: x509: cannot validate certificate for 127.0.0.1 because it doesn\'t contain any IP SANs')
    const byName = proxy.url.replace('127.0.0.1', 'localhost')
    assert.equal(await version(clientFor(url, byName)), 'proxyconnect tcp: tls: failed to verify certificate: x509: certificate is valid for proxy.test, not localhost')
    assert.equal(await tunnel(clientFor(url, byName)), 'proxyconnect tcp: tls: failed to verify certificate: x509: certificate is valid for proxy.test, not localhost')
    // ServerName = tls-server-name for the proxy too: a proxy certified for it passes, one that is not is refused with that name.
    assert.equal(await version(clientFor(url, proxy.url, 'kubernetes')), 'proxyconnect tcp: tls: failed to verify certificate: x509: certificate is valid for proxy.test, not kubernetes')
    const named = await startHttpsProxy(t, proxyCert({dns: ['kubernetes'], ips: []}))
    assert.equal(await version(clientFor(url, named.url, 'kubernetes')), 200)
    assert.deepEqual(proxy.stats.tunnels, [])
  })
})
