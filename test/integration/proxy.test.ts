// svc behind proxies: requests, watches and port-forward tunnels through a real CONNECT proxy and a
// real SOCKS5 proxy (test/helpers/proxies.ts), chosen as client-go chooses them. The kubeconfig names
// the server kubernetes.default.svc, which only the proxies resolve (to the local cluster): a
// connection that skipped the proxy could not reach the server at all.

import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'

import {KubeConfig} from '@kubernetes/client-node'
import yaml from 'js-yaml'

import {KubeClient} from '../../src/kube/client.ts'
import {ConnectionError} from '../../src/kube/errors.ts'
import {openTunnel} from '../../src/portforward/tunnel.ts'
import {startCluster, type LocalCluster} from '../cluster/index.ts'
import {readAtLeast} from '../helpers/forward-listener.ts'
import {kubeconfigDoc} from '../helpers/kubeconfig-doc.ts'
import {podRunning} from '../helpers/pf-cluster.ts'
import {startConnectProxy, startSocks5Proxy, type TestProxy} from '../helpers/proxies.ts'

const NAME = 'kubernetes.default.svc'
const HOSTS = {[NAME]: '127.0.0.1'}

let cluster: LocalCluster

/** A client for the local cluster under the name only the proxies resolve. */
function clientVia(options: {env?: Record<string, string>; proxyUrl?: string}): KubeClient {
  const doc = kubeconfigDoc(cluster.kubeconfig('token'))
  doc.clusters[0].cluster.server = `https://${NAME}:${cluster.port}`
  if (options.proxyUrl) doc.clusters[0].cluster['proxy-url'] = options.proxyUrl
  const kc = new KubeConfig()
  kc.loadFromString(yaml.dump(doc))
  return new KubeClient(kc, {env: options.env ?? {}, handshakeTimeoutMs: 5_000, timeoutMs: 20_000})
}

/** A request, a watch's first event and an echoed port-forward tunnel, all through `client`. */
async function exercise(client: KubeClient): Promise<void> {
  const list = await client.request({path: '/api/v1/namespaces/default/services'})
  assert.equal(list.statusCode, 200)
  const controller = new AbortController()
  const events = client.watch('/api/v1/namespaces/default/services', {fieldSelector: 'metadata.name=kubernetes'}, controller.signal)
  const first = await events.next()
  assert.equal(first.value?.object?.metadata?.name, 'kubernetes')
  controller.abort()
  await events.return(undefined)
  const tunnel = await openTunnel(client, {namespace: 'default', pod: 'echo', port: 80})
  tunnel.write('through the proxy')
  assert.equal((await readAtLeast(tunnel, 17)).toString(), 'through the proxy')
  tunnel.destroy()
}

before(async () => {
  cluster = await startCluster()
  const kc = new KubeConfig()
  kc.loadFromString(cluster.kubeconfig('token'))
  const direct = new KubeClient(kc)
  await direct.request({
    body: {apiVersion: 'v1', kind: 'Pod', metadata: {name: 'echo'}, spec: {containers: [{image: 'nginx', name: 'main', ports: [{containerPort: 80}]}]}},
    method: 'POST',
    path: '/api/v1/namespaces/default/pods',
  })
  await podRunning(direct, 'echo')
})
after(() => cluster?.stop())

describe('proxies', () => {
  const proxies: TestProxy[] = []
  const track = (p: TestProxy): TestProxy => {
    proxies.push(p)
    return p
  }
  after(async () => {
    for (const p of proxies) await p.close()
  })

  it('the kubeconfig proxy-url (HTTP CONNECT) carries requests, watches and tunnels', async () => {
    const proxy = track(await startConnectProxy({hosts: HOSTS}))
    await exercise(clientVia({proxyUrl: proxy.url}))
    assert.ok(proxy.stats.tunnels.length >= 2, `tunnels: ${proxy.stats.tunnels}`)
    assert.ok(proxy.stats.tunnels.every(t => t === `${NAME}:${cluster.port}`))
    assert.ok(proxy.stats.bytesUp > 17 && proxy.stats.bytesDown > 17)
  })

  it('a socks5:// proxy-url carries them too, the proxy resolving the name', async () => {
    const proxy = track(await startSocks5Proxy({hosts: HOSTS}))
    await exercise(clientVia({proxyUrl: proxy.url}))
    assert.ok(proxy.stats.tunnels.length >= 2)
    assert.ok(proxy.stats.tunnels.every(t => t === `${NAME}:${cluster.port}`))
  })

  it('HTTPS_PROXY with credentials, and SOCKS5 with credentials', async () => {
    const connect = track(await startConnectProxy({auth: {password: 'p@ss', user: 'me'}, hosts: HOSTS}))
    await exercise(clientVia({env: {HTTPS_PROXY: connect.url}}))
    assert.equal(connect.stats.refused, 0)
    assert.ok(connect.stats.tunnels.length >= 2)
    const socks = track(await startSocks5Proxy({auth: {password: 'secret', user: 'me'}, hosts: HOSTS}))
    await exercise(clientVia({env: {https_proxy: socks.url}}))
    assert.ok(socks.stats.tunnels.length >= 2)
  })

  it('wrong proxy credentials and a dead proxy fail in Go\'s words, as connection errors', async () => {
    const connect = track(await startConnectProxy({auth: {password: 'right', user: 'me'}, hosts: HOSTS}))
    const denied = await clientVia({proxyUrl: connect.url.replace('right', 'wrong')}).request({path: '/version'}).catch(e => e)
    assert.ok(denied instanceof ConnectionError)
    assert.equal(denied.message, 'Proxy Authentication Required')
    const dead = await clientVia({proxyUrl: 'http://127.0.0.1:1'}).request({path: '/version'}).catch(e => e)
    assert.ok(dead instanceof ConnectionError)
    assert.equal(dead.message, 'proxyconnect tcp: dial tcp 127.0.0.1:1: connect: connection refused')
    const tunnel = await openTunnel(clientVia({proxyUrl: 'http://127.0.0.1:1'}), {namespace: 'default', pod: 'echo', port: 80}).catch(e => e)
    assert.ok(tunnel instanceof ConnectionError)
  })

  it('NO_PROXY sends the connection direct; proxy-url ignores NO_PROXY; HTTP_PROXY is not for https', async () => {
    const proxy = track(await startConnectProxy({hosts: HOSTS}))
    for (const noProxy of [NAME, '.default.svc', '*', `${NAME}:${cluster.port}`]) {
      const direct = await clientVia({env: {HTTPS_PROXY: proxy.url, NO_PROXY: noProxy}}).request({path: '/version'}).catch(e => e)
      assert.ok(direct instanceof ConnectionError, `NO_PROXY=${noProxy}`)
      assert.match(direct.message, /no such host|getaddrinfo/)
    }
    const onlyHttp = await clientVia({env: {HTTP_PROXY: proxy.url}}).request({path: '/version'}).catch(e => e)
    assert.ok(onlyHttp instanceof ConnectionError)
    assert.equal(proxy.stats.tunnels.length, 0)
    const viaUrl = await clientVia({env: {NO_PROXY: '*'}, proxyUrl: proxy.url}).request({path: '/version'})
    assert.equal(viaUrl.statusCode, 200)
    assert.equal(proxy.stats.tunnels.length, 1)
  })
})
