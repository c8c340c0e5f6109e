// Name resolution as cluster DNS and kube-proxy would do it, over fixed Services and EndpointSlices.

import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import type {EndpointSlice, Service} from '../../../src/kube/types.ts'
import {decideIP, decidePodHostname, decideService, type HostQuery, type NamespaceSnapshot, parseHost} from '../../../src/proxy/names.ts'

describe('parseHost', () => {
  const context = {clusterDomain: 'cluster.local', namespace: 'default'}
  const table: Array<[string, HostQuery]> = [
    ['web', {explicit: false, kind: 'service', name: 'web', namespace: 'default'}],
    ['web.shop', {explicit: false, kind: 'service', name: 'web', namespace: 'shop'}],
    ['web.shop.svc', {explicit: true, kind: 'service', name: 'web', namespace: 'shop'}],
    ['web.shop.svc.cluster.local', {explicit: true, kind: 'service', name: 'web', namespace: 'shop'}],
    ['WEB.Shop.svc.cluster.local.', {explicit: true, kind: 'service', name: 'web', namespace: 'shop'}],
    ['db-0.db.shop', {explicit: false, hostname: 'db-0', kind: 'pod', namespace: 'shop', service: 'db'}],
    ['db-0.db.shop.svc.cluster.local', {explicit: true, hostname: 'db-0', kind: 'pod', namespace: 'shop', service: 'db'}],
    ['10.96.0.10', {ip: '10.96.0.10', kind: 'ip'}],
    ['[FD00::1]', {ip: 'fd00::1', kind: 'ip'}],
    ['www.example.co.uk', {kind: 'outside'}],
    ['web.shop.svc.other.domain', {kind: 'outside'}],
    ['under_score', {kind: 'outside'}],
    ['a.svc', {kind: 'outside'}],
  ]
  for (const [host, expected] of table) it(host, () => assert.deepEqual(parseHost(host, context), expected))
  it('the cluster domain is configurable', () => {
    assert.deepEqual(parseHost('web.shop.svc.corp.internal', {clusterDomain: 'corp.internal', namespace: 'x'}), {explicit: true, kind: 'service', name: 'web', namespace: 'shop'})
    assert.deepEqual(parseHost('web.shop.svc.cluster.local', {clusterDomain: 'corp.internal', namespace: 'x'}), {kind: 'outside'})
  })
})

const svc = (name: string, spec: Service['spec']): Service => ({metadata: {name, namespace: 'shop'}, spec} as Service)
const slice = (name: string, service: string, ports: Array<{name?: string; port: number}>, endpoints: Array<{pod: string; ip: string; ready?: boolean; terminating?: boolean; serving?: boolean; hostname?: string}>): EndpointSlice => ({
  endpoints: endpoints.map(e => ({
    addresses: [e.ip], conditions: {ready: e.ready ?? true, serving: e.serving ?? e.ready ?? true, terminating: e.terminating ?? false},
    targetRef: {kind: 'Pod', name: e.pod, namespace: 'shop'}, ...(e.hostname ? {hostname: e.hostname} : {}),
  })),
  metadata: {labels: {'kubernetes.io/service-name': service}, name},
  ports: ports.map(p => ({name: p.name ?? '', port: p.port, protocol: 'TCP'})),
} as EndpointSlice)

const snapshot: NamespaceSnapshot = {
  namespace: 'shop',
  services: new Map([
    ['web', svc('web', {clusterIP: '10.96.0.10', ports: [{name: 'http', port: 80, protocol: 'TCP', targetPort: 'http'}, {name: 'dns', port: 53, protocol: 'UDP'}]})],
    ['db', svc('db', {clusterIP: 'None', ports: [{port: 5432}]})],
    ['empty', svc('empty', {clusterIP: '10.96.0.11', ports: [{port: 80}]})],
    ['ext', svc('ext', {externalName: 'db.example.com', type: 'ExternalName'})],
    ['old', svc('old', {clusterIP: '10.96.0.12', ports: [{port: 80}]})],
  ]),
  slices: [
    // A named targetPort that differs per pod: two slices, one per port number.
    slice('web-a', 'web', [{name: 'http', port: 8080}], [{ip: '10.0.0.1', pod: 'web-1'}, {ip: '10.0.0.9', pod: 'web-9', ready: false}]),
    slice('web-b', 'web', [{name: 'http', port: 9090}], [{ip: '10.0.0.2', pod: 'web-2'}]),
    slice('db-a', 'db', [{port: 5432}], [{hostname: 'db-0', ip: '10.0.1.1', pod: 'db-0'}, {hostname: 'db-1', ip: '10.0.1.2', pod: 'db-1', ready: false}]),
    slice('empty-a', 'empty', [{port: 80}], [{ip: '10.0.2.1', pod: 'empty-1', ready: false}]),
    slice('old-a', 'old', [{port: 80}], [{ip: '10.0.3.1', pod: 'old-1', ready: false, serving: true, terminating: true}]),
  ],
}

describe('decideService', () => {
  it('the Service port maps to each ready pod\'s own target port', () => {
    assert.deepEqual(decideService(snapshot, 'web', 80, false), {backends: [{pod: 'web-1', port: 8080}, {pod: 'web-2', port: 9090}], kind: 'pods', namespace: 'shop', service: snapshot.services.get('web')})
  })
  it('headless: every ready pod, on the port as given', () => {
    const d = decideService(snapshot, 'db', 6379, false)
    assert.deepEqual(d.kind === 'pods' && d.backends, [{pod: 'db-0', port: 6379}])
  })
  it('serving-but-terminating endpoints when none is ready, as kube-proxy', () => {
    const d = decideService(snapshot, 'old', 80, false)
    assert.deepEqual(d.kind === 'pods' && d.backends, [{pod: 'old-1', port: 80}])
  })
  const refusals: Array<[string, string, number, boolean, string, string]> = [
    ['unknown', 'nope', 80, false, 'unknown', 'no Service "nope" in namespace "shop"'],
    ['no such port', 'web', 81, false, 'no-port', 'Service "web" in namespace "shop" has no port 81 (its ports: 80/TCP, 53/UDP)'],
    ['a UDP port', 'web', 53, false, 'udp', 'Service "web" in namespace "shop" serves port 53 over UDP; svc proxy carries TCP only'],
    ['no ready endpoint', 'empty', 80, false, 'no-endpoints', 'Service "empty" in namespace "shop" has no ready endpoints for port 80'],
    ['ExternalName', 'ext', 5432, false, 'external-name', 'Service "ext" in namespace "shop" is an ExternalName Service pointing to db.example.com (svc proxy connects there only with --passthrough)'],
  ]
  for (const [name, service, port, passthrough, kind, message] of refusals) {
    it(`refused: ${name}`, () => assert.deepEqual(decideService(snapshot, service, port, passthrough), {kind: 'refuse', refusal: {kind, message}}))
  }
  it('ExternalName with --passthrough: straight to where it points', () => {
    assert.deepEqual(decideService(snapshot, 'ext', 5432, true), {host: 'db.example.com', kind: 'direct', port: 5432})
  })
})

describe('decidePodHostname and decideIP', () => {
  it('a headless Service\'s pod by hostname', () => assert.deepEqual(decidePodHostname(snapshot, 'db', 'db-0', 5432), {backends: [{pod: 'db-0', port: 5432}], kind: 'pods', namespace: 'shop', service: snapshot.services.get('db')}))
  it('a pod that is not ready', () => assert.deepEqual(decidePodHostname(snapshot, 'db', 'db-1', 5432), {kind: 'refuse', refusal: {kind: 'no-endpoints', message: 'pod "db-1" (hostname "db-1") of Service "db" in namespace "shop" is not ready'}}))
  it('no such hostname', () => assert.deepEqual(decidePodHostname(snapshot, 'db', 'db-7', 5432), {kind: 'refuse', refusal: {kind: 'unknown', message: 'Service "db" in namespace "shop" has no pod with hostname "db-7"'}}))
  it('not headless', () => assert.equal(decidePodHostname(snapshot, 'web', 'web-1', 80).kind, 'refuse'))
  it('a ClusterIP is its Service', () => assert.deepEqual(decideIP(snapshot, '10.96.0.10', 80, false), decideService(snapshot, 'web', 80, false)))
  it('a pod IP is that pod, on the port as given', () => assert.deepEqual(decideIP(snapshot, '10.0.0.2', 7, false), {backends: [{pod: 'web-2', port: 7}], kind: 'pods', namespace: 'shop'}))
  it('an IP nobody has', () => assert.equal(decideIP(snapshot, '10.9.9.9', 80, false), undefined))
})
