// describe's reads go one after another, as kubectl's describer sends them, so that each reuses the
// connection the one before left open (sent at once, they each opened a connection of their own: a
// TCP connection and a TLS handshake); the lists that do not depend on the Service are read once
// for every Service a command describes.

import assert from 'node:assert/strict'
import {once} from 'node:events'
import https from 'node:https'
import type net from 'node:net'
import {after, before, describe, it} from 'node:test'

import {KubeConfig} from '@kubernetes/client-node'

import {describeOne, type DescribeSettings, type SharedReads} from '../../../src/describe/describer.ts'
import {KubeClient} from '../../../src/kube/client.ts'
import type {Service} from '../../../src/kube/types.ts'
import {issue} from '../../cluster/certs.ts'

const ca = issue({days: 2, isCA: true, subject: {commonName: 'describer-ca'}})
const leaf = issue({days: 2, issuer: ca, serverNames: {dns: ['localhost'], ips: ['127.0.0.1']}, subject: {commonName: 'kube-apiserver'}})

function service(name: string, namespace = 'default'): Service {
  return {metadata: {name, namespace, uid: `u-${name}`}, spec: {clusterIP: '10.96.0.10', ports: [{port: 80, protocol: 'TCP'}], type: 'ClusterIP'}}
}
const settings = (compat: boolean): DescribeSettings => ({compat, now: Date.parse('2026-12-07T11:00:00Z'), showEvents: true})

let server: https.Server
let url: string
/** The connections the server accepted, and the paths asked for (in order) with how many were in flight. */
let connections = 0
let requests: Array<{inFlight: number; path: string}> = []
let inFlight = 0

before(async () => {
  server = https.createServer({cert: leaf.certPem, key: leaf.keyPem}, (req, res) => {
    inFlight++
    requests.push({inFlight, path: new URL(req.url ?? '/', 'https://x').pathname})
    // Answered on the next turn, so that requests sent at once are all in flight together.
    setImmediate(() => {
      inFlight--
      res.writeHead(200, {'Content-Type': 'application/json'})
      res.end(JSON.stringify({items: [], metadata: {}}))
    })
  })
  server.on('secureConnection', () => connections++)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  url = `https://127.0.0.1:${(server.address() as net.AddressInfo).port}`
})

after(() => {
  server.closeAllConnections()
  server.close()
})

function client(): KubeClient {
  const kc = new KubeConfig()
  kc.loadFromOptions({
    clusters: [{caData: Buffer.from(ca.certPem).toString('base64'), name: 'c', server: url, skipTLSVerify: false}],
    contexts: [{cluster: 'c', name: 'c', user: 'u'}],
    currentContext: 'c',
    users: [{name: 'u', token: 't'}],
  })
  return new KubeClient(kc, {env: {}})
}

describe('describeOne', () => {
  for (const compat of [false, true]) {
    it(`${compat ? 'kubectl\'s view' : 'the extended view'}: one request at a time, all on one connection`, async () => {
      connections = 0
      requests = []
      await describeOne(client(), service('web'), settings(compat))
      const paths = [
        '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices',
        '/api/v1/namespaces/default/events',
        ...(compat ? [] : ['/api/v1/namespaces/default/pods', '/api/v1/nodes', '/apis/networking.k8s.io/v1/namespaces/default/ingresses']),
      ]
      assert.deepEqual(requests, paths.map(path => ({inFlight: 1, path})))
      assert.equal(connections, 1)
    })
  }

  it('several Services: the nodes read once, the pods and Ingresses once for each namespace', async () => {
    requests = []
    const c = client()
    const shared: SharedReads = new Map()
    for (const [name, namespace] of [['web', 'default'], ['api', 'default'], ['db', 'data']]) await describeOne(c, service(name, namespace), settings(false), shared)
    const count = (path: string) => requests.filter(r => r.path === path).length
    assert.equal(count('/api/v1/nodes'), 1)
    assert.equal(count('/api/v1/namespaces/default/pods'), 1)
    assert.equal(count('/apis/networking.k8s.io/v1/namespaces/default/ingresses'), 1)
    assert.equal(count('/api/v1/namespaces/data/pods'), 1)
    assert.equal(count('/apis/networking.k8s.io/v1/namespaces/data/ingresses'), 1)
    // each Service's own: its EndpointSlices and Events
    assert.equal(count('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices'), 2)
    assert.equal(count('/api/v1/namespaces/data/events'), 1)
  })

  it('several namespaces: only the last Service\'s namespace\'s lists are kept, not every namespace\'s', async () => {
    const c = client()
    const shared: SharedReads = new Map()
    await describeOne(c, service('web', 'default'), settings(false), shared)
    await describeOne(c, service('db', 'data'), settings(false), shared)
    assert.deepEqual([...shared.keys()].sort(), ['/api/v1/namespaces/data/pods', '/api/v1/nodes', '/apis/networking.k8s.io/v1/namespaces/data/ingresses'])
  })
})
