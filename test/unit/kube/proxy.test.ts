// The proxy choice against golang.org/x/net/http/httpproxy's own test tables (proxy_test.go:
// UseProxyTests with its noProxy list, proxyForURLTests), which client-go inherits through
// net/http.ProxyFromEnvironment, plus the kubeconfig proxy-url rule of client-go's rest.Config.

import assert from 'node:assert/strict'
import {once} from 'node:events'
import net from 'node:net'
import {describe, it, mock} from 'node:test'

import {KubeConfig} from '@kubernetes/client-node'

import {KubeClient} from '../../../src/kube/client.ts'
import {ConnectionError} from '../../../src/kube/errors.ts'
import {CONNECT_ANSWER_TIMEOUT_MS, connectThroughProxy, DIAL_TIMEOUT_MS, NoProxy, parseProxy, proxyFor} from '../../../src/kube/proxy.ts'
import {openTunnel} from '../../../src/portforward/tunnel.ts'
import {upgradeSpdy} from '../../../src/portforward/upgrade.ts'
import {startSocks5Proxy} from '../../helpers/proxies.ts'

const NO_PROXY = 'foobar.com, .barbaz.net, *.wildcard.io, 192.168.1.1, 192.168.1.2:81, 192.168.1.3:80, 10.0.0.0/30, 2001:db8::52:0:1, [2001:db8::52:0:2]:443, [2001:db8::52:0:3]:80, 2002:db8:a::45/64'

// [host, proxied?] for port 80: httpproxy UseProxyTests.
const USE_PROXY: Array<[string, boolean]> = [
  ['localhost', false],
  ['127.0.0.1', false],
  ['127.0.0.2', false],
  ['[::1]', false],
  ['[::2]', true],
  ['192.168.1.1', false],
  ['192.168.1.2', true],
  ['192.168.1.3', false],
  ['192.168.1.4', true],
  ['10.0.0.2', false],
  ['[2001:db8::52:0:1]', false],
  ['[2001:db8::52:0:2]', true],
  ['[2001:db8::52:0:3]', false],
  ['[2002:db8:a::123]', false],
  ['[fe80::424b:c8be:1643:a1b6]', true],
  ['barbaz.net', true],
  ['www.barbaz.net', false],
  ['foobar.com', false],
  ['www.foobar.com', false],
  ['foofoobar.com', true],
  ['baz.com', true],
  ['localhost.net', true],
  ['local.localhost', true],
  ['barbarbaz.net', true],
  ['wildcard.io', true],
  ['nested.wildcard.io', false],
  ['awildcard.io', true],
]

describe('NO_PROXY (httpproxy useProxy)', () => {
  const noProxy = new NoProxy(NO_PROXY)
  for (const [host, proxied] of USE_PROXY) {
    it(`${host}:80 ${proxied ? 'goes through the proxy' : 'goes direct'}`, () => assert.equal(noProxy.useProxy(host, '80'), proxied))
  }
  it('matches ports when the entry has one', () => {
    assert.equal(noProxy.useProxy('[2001:db8::52:0:2]', '443'), false)
    assert.equal(noProxy.useProxy('192.168.1.2', '81'), false)
  })
  it('a malformed entry is ignored, and * matches everything', () => {
    assert.equal(new NoProxy(':1').useProxy('example.com', '80'), true)
    assert.equal(new NoProxy('*').useProxy('example.com', '443'), false)
    assert.equal(new NoProxy('').useProxy('example.com', '443'), true)
  })
  it('CIDR entries match IPv4 and IPv6 addresses inside them only', () => {
    const cidrs = new NoProxy('10.0.0.0/8,fd00::/8')
    assert.equal(cidrs.useProxy('10.96.0.1', '443'), false)
    assert.equal(cidrs.useProxy('11.0.0.1', '443'), true)
    assert.equal(cidrs.useProxy('[fd12::1]', '443'), false)
    assert.equal(cidrs.useProxy('example.com', '443'), true)
  })
})

// [NO_PROXY, server, proxied?]: IPv4-mapped and bracketed forms, as net/http's vendored httpproxy
// decides (Go 1.26 ProxyFromEnvironment run on each; kubectl 1.35, Go 1.25.7, agrees where tried):
// a mapped address is its IPv4 address (loopback, IP and CIDR entries), an IPv4 network holds no
// other IPv6 address and an IPv6 one no mapped address (IPNet.Contains), brackets without a port
// make a domain, a zone makes a domain, and a domain never matches an address.
const MAPPED: Array<[string, string, boolean]> = [
  ['', 'https://[::ffff:127.0.0.1]:6443', false],
  ['', 'https://[::ffff:7f00:1]/', false],
  ['', 'https://[::ffff:127.9.9.9]/', false],
  ['', 'https://[0:0:0:0:0:0:0:1]/', false],
  ['', 'https://[::]/', true],
  ['10.0.0.0/8', 'https://[::ffff:10.1.2.3]:443', false],
  ['10.0.0.0/8', 'https://[::ffff:a01:203]/', false],
  ['10.0.0.0/8', 'https://[2001:db8::1]/', true],
  ['::ffff:10.0.0.0/104', 'https://10.1.2.3', false],
  ['::ffff:10.0.0.0/104', 'https://11.0.0.1', true],
  ['::ffff:0:0/96', 'https://10.1.2.3', false],
  ['::ffff:0:0/96', 'https://[2001:db8::1]/', true],
  ['::/0', 'https://[::ffff:10.1.2.3]/', true],
  ['::/0', 'https://10.1.2.3', true],
  ['::/0', 'https://[2001:db8::1]/', false],
  ['::ffff:10.0.0.0/80', 'https://10.1.2.3', true],
  ['::ffff:10.0.0.0/80', 'https://[::1:2]/', false],
  ['::ffff:192.168.1.1', 'https://192.168.1.1', false],
  ['::ffff:192.168.1.1', 'https://[::ffff:192.168.1.1]/', false],
  ['192.168.1.1', 'https://[::ffff:c0a8:101]/', false],
  ['::ffff:c0a8:101', 'https://192.168.1.1', false],
  ['[::ffff:192.168.1.1]:443', 'https://192.168.1.1/', false],
  ['[2001:db8::1]', 'https://[2001:db8::1]/', true],
  ['[192.0.2.1]', 'https://192.0.2.1', true],
  ['[2001:db8::1]:443', 'https://[2001:db8::1]/', false],
  ['[2001:db8::1]:443', 'https://[2001:db8::1]:6443', true],
  ['fe80::1%eth0', 'https://[fe80::1]/', true],
  ['2001:DB8::1', 'https://[2001:db8:0::1]/', false],
  ['0.1', 'https://10.0.0.1', true],
  ['example.com', 'https://[::ffff:7f00:1]/', false],
]

describe('NO_PROXY with IPv4-mapped and bracketed addresses (httpproxy useProxy, IPNet.Contains, IP.Equal)', () => {
  for (const [noProxy, server, proxied] of MAPPED) {
    it(`NO_PROXY=${JSON.stringify(noProxy)}: ${server} ${proxied ? 'goes through the proxy' : 'goes direct'}`, () => {
      assert.equal(proxyFor(new URL(server), undefined, {HTTPS_PROXY: 'http://proxy.example:3128', NO_PROXY: noProxy}) !== undefined, proxied)
    })
  }
})

describe('proxy choice (httpproxy proxyForURL; client-go proxy-url)', () => {
  const cases: Array<[string, Record<string, string>, string | undefined, string, string | undefined]> = [
    // [name, environment, kubeconfig proxy-url, server, proxy]
    ['host:port means http://', {HTTPS_PROXY: 'cache.corp.example.com:1234'}, undefined, 'https://api.example.com', 'http://cache.corp.example.com:1234/'],
    ['a name alone means http://', {HTTPS_PROXY: 'cache.corp.example.com'}, undefined, 'https://api.example.com', 'http://cache.corp.example.com/'],
    ['https:// proxy', {HTTPS_PROXY: 'https://cache.corp.example.com'}, undefined, 'https://api.example.com', 'https://cache.corp.example.com/'],
    ['socks5:// proxy', {HTTPS_PROXY: 'socks5://127.0.0.1'}, undefined, 'https://api.example.com', 'socks5://127.0.0.1'],
    ['socks5h:// proxy', {HTTPS_PROXY: 'socks5h://127.0.0.1'}, undefined, 'https://api.example.com', 'socks5h://127.0.0.1'],
    ['http server: HTTP_PROXY', {HTTP_PROXY: 'http.proxy.tld', HTTPS_PROXY: 'secure.proxy.tld'}, undefined, 'http://insecure.tld', 'http://http.proxy.tld/'],
    ['https server: HTTPS_PROXY', {HTTP_PROXY: 'http.proxy.tld', HTTPS_PROXY: 'secure.proxy.tld'}, undefined, 'https://secure.tld', 'http://secure.proxy.tld/'],
    ['https server without HTTPS_PROXY: direct', {HTTP_PROXY: 'http.proxy.tld'}, undefined, 'https://secure.tld', undefined],
    ['CGI: no HTTP_PROXY', {HTTP_PROXY: 'http://10.1.2.3:8080', REQUEST_METHOD: 'GET'}, undefined, 'http://host.tld', undefined],
    ['CGI: HTTPS_PROXY still', {HTTPS_PROXY: 'https://secure.proxy.tld', REQUEST_METHOD: 'GET'}, undefined, 'https://secure.tld', 'https://secure.proxy.tld/'],
    ['upper case wins', {HTTPS_PROXY: 'upper.tld', https_proxy: 'lower.tld'}, undefined, 'https://a.tld', 'http://upper.tld/'],
    ['lower case when upper is empty', {HTTPS_PROXY: '', https_proxy: 'lower.tld'}, undefined, 'https://a.tld', 'http://lower.tld/'],
    ['NO_PROXY *', {HTTPS_PROXY: 'secure.proxy.tld', NO_PROXY: '*'}, undefined, 'https://secure.tld', undefined],
    ['no_proxy lower case', {HTTPS_PROXY: 'secure.proxy.tld', no_proxy: 'secure.tld'}, undefined, 'https://secure.tld', undefined],
    ['default port in NO_PROXY', {HTTPS_PROXY: 'p.tld', NO_PROXY: 'api.tld:443'}, undefined, 'https://api.tld', undefined],
    ['loopback never', {HTTPS_PROXY: 'p.tld'}, undefined, 'https://127.0.0.1:6443', undefined],
    ['CIDR in NO_PROXY', {HTTPS_PROXY: 'p.tld', NO_PROXY: '10.0.0.0/8'}, undefined, 'https://10.1.2.3:6443', undefined],
    ['proxy-url beats the environment', {HTTPS_PROXY: 'env.tld'}, 'http://kube.proxy:3128', 'https://api.tld', 'http://kube.proxy:3128/'],
    ['proxy-url ignores NO_PROXY and loopback', {NO_PROXY: '*'}, 'socks5://127.0.0.1:1080', 'https://127.0.0.1:6443', 'socks5://127.0.0.1:1080'],
  ]
  for (const [name, env, proxyUrl, server, want] of cases) {
    it(name, () => assert.equal(proxyFor(new URL(server), proxyUrl, env)?.href, want))
  }
  it('parseProxy: empty is none', () => assert.equal(parseProxy(''), undefined))
})

// golang.org/x/net/internal/socks DialWithConn: a failure is a net.OpError whose Source is the
// proxy's address as net/http dialled it (conn.RemoteAddr(): IP and port, whatever the URL
// said) and whose Addr is the target, joined as net.JoinHostPort joins it.
describe('a SOCKS5 proxy that cannot reach the server, in Go\'s words', () => {
  it('socks connect tcp PROXY-IP:PORT->TARGET: the reply, the proxy by the address dialled, an IPv6 target in brackets', async () => {
    const proxy = await startSocks5Proxy({hosts: {'api.proxied.test': '127.0.0.1'}})
    try {
      const refused = async (url: string, host: string): Promise<string> => {
        const error = await connectThroughProxy(new URL(url), host, 1, {timeoutMs: 5_000}).then(socket => {
          socket.destroy()
          return undefined
        }, (e: unknown) => e)
        assert.ok(error instanceof Error)
        return error.message
      }
      const byName = proxy.url.replace('127.0.0.1', 'localhost')
      assert.equal(await refused(byName, 'api.proxied.test'), `socks connect tcp 127.0.0.1:${proxy.port}->api.proxied.test:1: unknown error connection refused`)
      assert.equal(await refused(proxy.url, '::1'), `socks connect tcp 127.0.0.1:${proxy.port}->[::1]:1: unknown error connection refused`)
      // A proxy that hangs up without a word: io.ReadFull's EOF (unexpected EOF once part of an answer came).
      const mute = net.createServer(socket => socket.once('data', () => socket.destroy()))
      mute.listen(0, '127.0.0.1')
      await once(mute, 'listening')
      const mutePort = (mute.address() as net.AddressInfo).port
      assert.equal(await refused(`socks5://127.0.0.1:${mutePort}`, 'api.proxied.test'), `socks connect tcp 127.0.0.1:${mutePort}->api.proxied.test:1: EOF`)
      mute.close()
    } finally {
      await proxy.close()
    }
  })
})

// net/http Transport.dialConn reads the CONNECT answer with ReadResponse and returns its error as it
// is (not wrapped in proxyconnect, unlike the dial's), and a non-200 answer as its status text:
// strings.Cut(resp.Status, " "), "unknown status code" when there is none.
describe('an HTTP proxy\'s answer to CONNECT that is not 200, in Go\'s words', () => {
  it('no answer, a status without text, and status lines ReadResponse cannot parse', async () => {
    const answers = new Map<number, string | undefined>()
    const server = net.createServer(socket => {
      socket.on('error', () => {})
      socket.once('data', () => {
        const answer = answers.get(socket.localPort ?? 0)
        if (answer === undefined) socket.destroy()
        else socket.end(answer)
      })
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const port = (server.address() as net.AddressInfo).port
    const refusal = async (answer: string | undefined): Promise<string> => {
      answers.set(port, answer)
      const error = await connectThroughProxy(new URL(`http://127.0.0.1:${port}`), 'api.example.com', 443, {timeoutMs: 5_000}).then(socket => {
        socket.destroy()
        return undefined
      }, (e: unknown) => e)
      assert.ok(error instanceof Error)
      return error.message
    }
    try {
      assert.equal(await refusal(undefined), 'unexpected EOF')
      assert.equal(await refusal('HTTP/1.1 407 Proxy Authentication Required\r\n\r\n'), 'Proxy Authentication Required')
      assert.equal(await refusal('HTTP/1.1 403\r\n\r\n'), 'unknown status code')
      assert.equal(await refusal('HTTP/1.1 403 \r\n\r\n'), '')
      assert.equal(await refusal('garbage\r\n\r\n'), 'malformed HTTP response "garbage"')
      assert.equal(await refusal('HTTP/1.1 4030 Forbidden\r\n\r\n'), 'malformed HTTP status code "4030"')
      assert.equal(await refusal('HTTQ/1.1 403 Forbidden\r\n\r\n'), 'malformed HTTP version "HTTQ/1.1"')
      assert.equal(await refusal('HTTP/1.1 403 Forbidden\r\nVia: x'), 'unexpected EOF')
    } finally {
      server.close()
    }
  })
})

/** A kubeconfig for a server only a proxy could reach (api.example.com). */
function farCluster(): KubeConfig {
  const kc = new KubeConfig()
  kc.loadFromOptions({
    clusters: [{name: 'c', server: 'https://api.example.com:6443', skipTLSVerify: true}],
    contexts: [{cluster: 'c', name: 'ctx', user: 'u'}],
    currentContext: 'ctx',
    users: [{name: 'u', token: 't'}],
  })
  return kc
}

/**
 * A proxy that takes the connection and reads what it is sent, and never answers; `asked` resolves
 * on the first bytes, `hungUp` when the first connection is closed by the client.
 */
async function silentProxy(): Promise<{asked: Promise<void>; close: () => void; hungUp: Promise<void>; port: number}> {
  let heard!: () => void
  const asked = new Promise<void>(resolve => {
    heard = resolve
  })
  let closed!: () => void
  const hungUp = new Promise<void>(resolve => {
    closed = resolve
  })
  const sockets: net.Socket[] = []
  const server = net.createServer(socket => {
    sockets.push(socket)
    socket.on('error', () => {})
    socket.once('data', () => heard())
    socket.once('close', () => closed())
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return {
    asked,
    hungUp,
    close: () => {
      for (const socket of sockets) socket.destroy()
      server.close()
    },
    port: (server.address() as net.AddressInfo).port,
  }
}

// net/http Transport.dialConn reads the CONNECT answer under context.WithTimeout(ctx, 1*time.Minute)
// and returns connectCtx.Err() as it is; the SOCKS5 dialer (socks Dialer.DialWithConn) has no limit
// but the request's context. kubectl 1.35 through a proxy that never answers: `Unable to connect to
// the server: context deadline exceeded` after 60.3 s (HTTP), still waiting after 90 s (SOCKS5).
// client-go's transport dials with net.Dialer{Timeout: 30 * time.Second}; kubectl 1.35 through
// HTTPS_PROXY naming a listener that never accepts: `proxyconnect tcp: dial tcp 127.0.0.1:PORT: i/o
// timeout` after 30 s a try. A socket that never connects stands for that listener here.
describe('a proxy that never accepts the connection', () => {
  it('the dialer\'s 30 s, not the handshake timeout, then Go\'s words', async t => {
    mock.timers.enable({apis: ['setTimeout']})
    t.after(() => mock.timers.reset())
    const sockets: net.Socket[] = []
    mock.method(net, 'connect', () => {
      const socket = new net.Socket()
      sockets.push(socket)
      return socket
    })
    t.after(() => mock.restoreAll())
    let settled: unknown
    const attempt = connectThroughProxy(new URL('http://127.0.0.1:3128'), 'api.example.com', 443, {timeoutMs: 10_000}).then(
      socket => socket.destroy(),
      (error: unknown) => {
        settled = error
      },
    )
    mock.timers.tick(DIAL_TIMEOUT_MS - 1)
    await new Promise(resolve => setImmediate(resolve))
    const outcome = (): unknown => settled
    assert.equal(outcome(), undefined, 'still connecting after the handshake timeout')
    mock.timers.tick(1)
    await attempt
    const error = outcome()
    assert.ok(error instanceof Error)
    assert.equal(error.message, 'proxyconnect tcp: dial tcp 127.0.0.1:3128: i/o timeout')
    assert.ok(sockets.length === 1 && sockets[0].destroyed)
    assert.equal(DIAL_TIMEOUT_MS, 30_000)
  })
})

describe('a proxy that never answers', () => {
  it('CONNECT: a minute (not the handshake timeout), then Go\'s context deadline exceeded, unwrapped', async t => {
    mock.timers.enable({apis: ['setTimeout']})
    t.after(() => mock.timers.reset())
    const proxy = await silentProxy()
    t.after(proxy.close)
    let settled: unknown
    const attempt = connectThroughProxy(new URL(`http://127.0.0.1:${proxy.port}`), 'api.example.com', 443, {timeoutMs: 10_000}).then(
      socket => socket.destroy(),
      (error: unknown) => {
        settled = error
      },
    )
    await proxy.asked
    mock.timers.tick(CONNECT_ANSWER_TIMEOUT_MS - 1)
    await new Promise(resolve => setImmediate(resolve))
    const outcome = (): unknown => settled
    assert.equal(outcome(), undefined, 'still waiting for the answer after the handshake timeout')
    mock.timers.tick(1)
    await attempt
    const error = outcome()
    assert.ok(error instanceof Error)
    assert.equal(error.message, 'context deadline exceeded')
    assert.equal(CONNECT_ANSWER_TIMEOUT_MS, 60_000)
  })

  it('SOCKS5: no limit of its own; the request\'s signal ends it, with its reason', async t => {
    mock.timers.enable({apis: ['setTimeout']})
    t.after(() => mock.timers.reset())
    const proxy = await silentProxy()
    t.after(proxy.close)
    const controller = new AbortController()
    let settled: unknown
    const attempt = connectThroughProxy(new URL(`socks5://127.0.0.1:${proxy.port}`), 'api.example.com', 443, {signal: controller.signal, timeoutMs: 10_000}).then(
      socket => socket.destroy(),
      (error: unknown) => {
        settled = error
      },
    )
    await proxy.asked
    mock.timers.tick(10 * CONNECT_ANSWER_TIMEOUT_MS)
    await new Promise(resolve => setImmediate(resolve))
    const outcome = (): unknown => settled
    assert.equal(outcome(), undefined, 'still waiting after ten minutes')
    const reason = new Error('the request\'s deadline')
    controller.abort(reason)
    await attempt
    assert.equal(outcome(), reason)
  })

  it('--request-timeout ends the wait for the tunnel: context deadline exceeded, as kubectl says it most often', {timeout: 15_000}, async t => {
    const proxy = await silentProxy()
    t.after(proxy.close)
    const kc = farCluster()
    for (const scheme of ['http', 'socks5']) {
      const client = new KubeClient(kc, {env: {HTTPS_PROXY: `${scheme}://127.0.0.1:${proxy.port}`}, timeoutMs: 200})
      await assert.rejects(client.request({path: '/api'}), (error: unknown) => {
        assert.ok(error instanceof ConnectionError)
        assert.equal(error.message, 'context deadline exceeded')
        return true
      })
    }
  })
})

describe('a port-forward upgrade that gives up on a proxy that never answers', () => {
  for (const [name, open] of [
    ['the tunnel (WebSocket)', (client: KubeClient) => openTunnel(client, {handshakeTimeoutMs: 200, namespace: 'default', pod: 'web', port: 80})],
    ['plain SPDY', (client: KubeClient) => upgradeSpdy(client, {handshakeTimeoutMs: 200, namespace: 'default', pod: 'web'})],
  ] as const) {
    it(`${name}: the connection to the proxy goes with it`, {timeout: 15_000}, async t => {
      const proxy = await silentProxy()
      t.after(proxy.close)
      const kc = farCluster()
      const client = new KubeClient(kc, {env: {HTTPS_PROXY: `socks5://127.0.0.1:${proxy.port}`}})
      await assert.rejects(open(client))
      // Without the signal the SOCKS5 wait has no end: the proxy's connection would stay open.
      await proxy.hungUp
    })
  }
})

// A proxy that resets the connection instead of answering: Go's net.OpError for the read, the
// connection named by its two ends (kubectl 1.35: `Unable to connect to the server: read tcp
// 127.0.0.1:53786->127.0.0.1:18083: read: connection reset by peer`; through SOCKS5 after `socks
// connect tcp PROXY->TARGET: `).
describe('a proxy that resets the connection', () => {
  it('CONNECT unwrapped, SOCKS5 after its socks connect words', async t => {
    const resetter = net.createServer(socket => {
      socket.on('error', () => {})
      socket.once('data', () => socket.resetAndDestroy())
    })
    resetter.listen(0, '127.0.0.1')
    await once(resetter, 'listening')
    t.after(() => resetter.close())
    const port = (resetter.address() as net.AddressInfo).port
    for (const [scheme, prefix] of [['http', ''], ['socks5', `socks connect tcp 127.0.0.1:${port}->api.example.com:443: `]]) {
      const error = await connectThroughProxy(new URL(`${scheme}://127.0.0.1:${port}`), 'api.example.com', 443, {timeoutMs: 5_000}).then(
        socket => socket.destroy(),
        (e: unknown) => e,
      )
      assert.ok(error instanceof Error)
      assert.match(error.message, new RegExp(`^${prefix.replaceAll('.', '\\.')}read tcp 127\\.0\\.0\\.1:\\d+->127\\.0\\.0\\.1:${port}: read: connection reset by peer$`))
    }
  })
})
