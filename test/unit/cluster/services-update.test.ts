// Updates: immutable fields, idempotent re-apply, type transitions and what they allocate and release.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {
  createAllocators,
  prepareServiceCreate,
  prepareServiceStatusUpdate,
  prepareServiceUpdate,
  releaseService,
  unknownServiceFields,
  type Allocators,
} from '../../cluster/services/index.ts'

function svc(name: string, spec: Record<string, unknown>): any {
  return {apiVersion: 'v1', kind: 'Service', metadata: {name, namespace: 'default'}, spec}
}

/** Creates and "stores" a Service the way cluster-core would (uid, resourceVersion, creationTimestamp). */
function stored(alloc: Allocators, input: any): any {
  const r = prepareServiceCreate(input, alloc)
  if (!r.ok) assert.fail(r.status.message)
  const s = r.service
  s.metadata.uid = 'uid-1'
  s.metadata.resourceVersion = '10'
  s.metadata.creationTimestamp = '2026-01-01T00:00:00Z'
  return s
}

function update(alloc: Allocators, next: any, old: any, dryRun = false): any {
  const r = prepareServiceUpdate(next, old, alloc, {dryRun})
  if (!r.ok) assert.fail(r.status.message)
  return r.service
}

function refused(alloc: Allocators, next: any, old: any): string {
  const r = prepareServiceUpdate(next, old, alloc)
  assert.equal(r.ok, false)
  return r.ok ? '' : (r.status.message ?? '')
}

describe('updates', () => {
  it('re-applying the original manifest keeps the allocated clusterIP and nodePorts (patchAllocatedValues)', () => {
    const alloc = createAllocators()
    const manifest = svc('web', {type: 'NodePort', ports: [{name: 'http', port: 80}, {name: 'https', port: 443}], selector: {app: 'web'}})
    const old = stored(alloc, manifest)
    const out = update(alloc, manifest, old)
    assert.equal(out.spec.clusterIP, old.spec.clusterIP)
    assert.deepEqual(out.spec.ports.map((p: any) => p.nodePort), old.spec.ports.map((p: any) => p.nodePort))
    assert.deepEqual(out.metadata.uid, 'uid-1')
    assert.deepEqual(out.metadata.resourceVersion, '10')
    assert.deepEqual(out.metadata.creationTimestamp, '2026-01-01T00:00:00Z')
    assert.equal(alloc.nodePorts.allocated().length, 2)
  })

  it('a client that only sends clusterIP gets clusterIPs re-derived', () => {
    const alloc = createAllocators()
    const old = stored(alloc, svc('web', {ports: [{port: 80}]}))
    const next = structuredClone(old)
    delete next.spec.clusterIPs
    assert.deepEqual(update(alloc, next, old).spec.clusterIPs, [old.spec.clusterIP])
  })

  it('the clusterIP may not change', () => {
    const alloc = createAllocators()
    const old = stored(alloc, svc('web', {ports: [{port: 80}]}))
    const next = structuredClone(old)
    next.spec.clusterIP = '10.96.5.5'
    next.spec.clusterIPs = ['10.96.5.5']
    assert.equal(refused(alloc, next, old), 'Service "web" is invalid: spec.clusterIPs[0]: Invalid value: ["10.96.5.5"]: may not change once set')
  })

  it('changing only clusterIP (not clusterIPs) is normalized, then refused', () => {
    const alloc = createAllocators()
    const old = stored(alloc, svc('web', {ports: [{port: 80}]}))
    const next = structuredClone(old)
    next.spec.clusterIP = '10.96.5.5'
    assert.equal(refused(alloc, next, old), 'Service "web" is invalid: spec.clusterIPs[0]: Invalid value: ["10.96.5.5"]: may not change once set')
  })

  it('the status is kept from the stored object', () => {
    const alloc = createAllocators()
    const old = stored(alloc, svc('lb', {type: 'LoadBalancer', ports: [{port: 80}]}))
    old.status = {loadBalancer: {ingress: [{ip: '1.2.3.4', ipMode: 'VIP'}]}}
    const next = structuredClone(old)
    next.status = {loadBalancer: {ingress: [{ip: '9.9.9.9'}]}}
    assert.deepEqual(update(alloc, next, old).status, {loadBalancer: {ingress: [{ip: '1.2.3.4', ipMode: 'VIP'}]}})
  })

  it('NodePort -> ClusterIP releases the nodePorts and drops them from the object', () => {
    const alloc = createAllocators()
    const old = stored(alloc, svc('web', {type: 'NodePort', ports: [{port: 80}]}))
    const next = structuredClone(old)
    next.spec.type = 'ClusterIP'
    const out = update(alloc, next, old)
    assert.equal(out.spec.ports[0].nodePort, undefined)
    assert.equal(out.spec.externalTrafficPolicy, undefined)
    assert.deepEqual(alloc.nodePorts.allocated(), [])
    assert.equal(out.spec.clusterIP, old.spec.clusterIP)
  })

  it('ClusterIP -> NodePort allocates nodePorts and defaults externalTrafficPolicy', () => {
    const alloc = createAllocators()
    const old = stored(alloc, svc('web', {ports: [{port: 80}]}))
    const next = structuredClone(old)
    next.spec.type = 'NodePort'
    const out = update(alloc, next, old)
    assert.ok(out.spec.ports[0].nodePort >= 30000)
    assert.equal(out.spec.externalTrafficPolicy, 'Cluster')
    assert.deepEqual(alloc.nodePorts.allocated(), [out.spec.ports[0].nodePort])
  })

  it('changing a nodePort reserves the new one and releases the old one', () => {
    const alloc = createAllocators()
    const old = stored(alloc, svc('web', {type: 'NodePort', ports: [{port: 80, nodePort: 30080}]}))
    const next = structuredClone(old)
    next.spec.ports[0].nodePort = 30081
    update(alloc, next, old)
    assert.deepEqual(alloc.nodePorts.allocated(), [30081])
  })

  it('changing a nodePort to a taken one fails and changes nothing', () => {
    const alloc = createAllocators()
    stored(alloc, svc('other', {type: 'NodePort', ports: [{port: 80, nodePort: 30081}]}))
    const old = stored(alloc, svc('web', {type: 'NodePort', ports: [{port: 80, nodePort: 30080}]}))
    const next = structuredClone(old)
    next.spec.ports[0].nodePort = 30081
    assert.equal(refused(alloc, next, old), 'Service "web" is invalid: spec.ports[0].nodePort: Invalid value: 30081: provided port is already allocated')
    assert.deepEqual(alloc.nodePorts.allocated(), [30080, 30081])
  })

  it('a validation failure after allocation gives the new nodePorts back and keeps the old ones', () => {
    const alloc = createAllocators()
    const old = stored(alloc, svc('web', {type: 'NodePort', ports: [{port: 80, nodePort: 30080}]}))
    const next = structuredClone(old)
    next.spec.ports[0].nodePort = 30090
    next.spec.sessionAffinity = 'Sticky'
    assert.equal(refused(alloc, next, old), 'Service "web" is invalid: spec.sessionAffinity: Unsupported value: "Sticky": supported values: "ClientIP", "None"')
    assert.deepEqual(alloc.nodePorts.allocated(), [30080])
  })

  it('two ports with one nodePort on an update: the registry error (a 500 without reason)', () => {
    const alloc = createAllocators()
    const old = stored(alloc, svc('web', {type: 'NodePort', ports: [{name: 'a', port: 80, nodePort: 30080}]}))
    const next = structuredClone(old)
    next.spec.ports.push({name: 'b', port: 81, protocol: 'TCP', nodePort: 30080})
    const r = prepareServiceUpdate(next, old, alloc)
    assert.equal(
      JSON.stringify(r.ok ? null : r.status),
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"duplicate nodePort: {TCP 30080}","code":500}',
    )
    assert.deepEqual(alloc.nodePorts.allocated(), [30080])
  })

  it('ClusterIP -> ExternalName releases the clusterIP even when the client left it in', () => {
    const alloc = createAllocators()
    const old = stored(alloc, svc('web', {ports: [{port: 80}]}))
    const next = structuredClone(old)
    next.spec.type = 'ExternalName'
    next.spec.externalName = 'example.com'
    const out = update(alloc, next, old)
    assert.deepEqual(alloc.clusterIPs.allocated(), [])
    assert.equal(
      JSON.stringify(out.spec),
      '{"ports":[{"protocol":"TCP","port":80,"targetPort":80}],"type":"ExternalName","sessionAffinity":"None","externalName":"example.com"}',
    )
  })

  it('ClusterIP -> ExternalName with a changed clusterIP is refused', () => {
    const alloc = createAllocators()
    const old = stored(alloc, svc('web', {ports: [{port: 80}]}))
    const next = structuredClone(old)
    next.spec.type = 'ExternalName'
    next.spec.externalName = 'example.com'
    next.spec.clusterIP = '10.96.9.9'
    next.spec.clusterIPs = ['10.96.9.9']
    assert.equal(refused(alloc, next, old), 'Service "web" is invalid: spec.clusterIPs: Forbidden: may not be set for ExternalName services')
    assert.deepEqual(alloc.clusterIPs.allocated(), [old.spec.clusterIP])
  })

  it('ExternalName -> ClusterIP allocates a clusterIP', () => {
    const alloc = createAllocators()
    const old = stored(alloc, svc('en', {type: 'ExternalName', externalName: 'example.com'}))
    const next = structuredClone(old)
    next.spec.type = 'ClusterIP'
    delete next.spec.externalName
    next.spec.ports = [{port: 80}]
    const out = update(alloc, next, old)
    assert.deepEqual(alloc.clusterIPs.allocated(), [out.spec.clusterIP])
    assert.deepEqual([out.spec.ipFamilies, out.spec.ipFamilyPolicy, out.spec.internalTrafficPolicy], [['IPv4'], 'SingleStack', 'Cluster'])
  })

  it('ExternalName -> ClusterIP with a requested clusterIP', () => {
    const alloc = createAllocators()
    const old = stored(alloc, svc('en', {type: 'ExternalName', externalName: 'example.com'}))
    const next = structuredClone(old)
    next.spec = {type: 'ClusterIP', clusterIP: '10.96.0.50', ports: [{port: 80}]}
    assert.equal(update(alloc, next, old).spec.clusterIP, '10.96.0.50')
    assert.ok(alloc.clusterIPs.has('10.96.0.50'))
  })

  it('LoadBalancer: externalTrafficPolicy Cluster -> Local allocates a healthCheckNodePort, back releases it', () => {
    const alloc = createAllocators()
    const old = stored(alloc, svc('lb', {type: 'LoadBalancer', ports: [{port: 80}]}))
    const next = structuredClone(old)
    next.spec.externalTrafficPolicy = 'Local'
    const mid = update(alloc, next, old)
    assert.ok(mid.spec.healthCheckNodePort >= 30000)
    assert.equal(alloc.nodePorts.allocated().length, 2)
    mid.metadata.resourceVersion = '11'
    const back = structuredClone(mid)
    back.spec.externalTrafficPolicy = 'Cluster'
    const out = update(alloc, back, mid)
    assert.equal(out.spec.healthCheckNodePort, undefined)
    assert.deepEqual(alloc.nodePorts.allocated(), [old.spec.ports[0].nodePort])
  })

  it('LoadBalancer -> ClusterIP drops allocateLoadBalancerNodePorts and externalTrafficPolicy', () => {
    const alloc = createAllocators()
    const old = stored(alloc, svc('lb', {type: 'LoadBalancer', ports: [{port: 80}]}))
    const next = structuredClone(old)
    next.spec.type = 'ClusterIP'
    const out = update(alloc, next, old)
    assert.deepEqual([out.spec.allocateLoadBalancerNodePorts, out.spec.externalTrafficPolicy, out.spec.ports[0].nodePort], [undefined, undefined, undefined])
    assert.deepEqual(alloc.nodePorts.allocated(), [])
  })

  it('a dry-run update keeps and releases nothing', () => {
    const alloc = createAllocators()
    const old = stored(alloc, svc('web', {type: 'NodePort', ports: [{port: 80, nodePort: 30080}]}))
    const next = structuredClone(old)
    next.spec.type = 'ClusterIP'
    update(alloc, next, old, true)
    const next2 = structuredClone(old)
    next2.spec.ports[0].nodePort = 30099
    assert.equal(update(alloc, next2, old, true).spec.ports[0].nodePort, 30099)
    assert.deepEqual(alloc.nodePorts.allocated(), [30080])
    assert.deepEqual(alloc.clusterIPs.allocated(), [old.spec.clusterIP])
  })

  it('an update without resourceVersion is unconditional; uid and creationTimestamp are carried over', () => {
    const alloc = createAllocators()
    const old = stored(alloc, svc('web', {ports: [{port: 80}]}))
    const out = update(alloc, svc('web', {ports: [{port: 80}]}), old)
    assert.deepEqual([out.metadata.resourceVersion, out.metadata.uid, out.metadata.creationTimestamp], ['10', 'uid-1', '2026-01-01T00:00:00Z'])
  })

  it('metadata rules on update come from three places, as on a real server (causes repeat, the message does not)', () => {
    const alloc = createAllocators()
    const old = stored(alloc, svc('web', {ports: [{port: 80}]}))
    const next = structuredClone(old)
    next.metadata.labels = {'bad key': 'x'}
    const r = prepareServiceUpdate(next, old, alloc)
    assert.equal(r.ok, false)
    if (!r.ok) {
      const msg =
        "metadata.labels: Invalid value: \"bad key\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
      assert.equal(r.status.message, `Service "web" is invalid: ${msg}`)
      assert.equal(r.status.details?.causes?.length, 4)
    }
  })

  it('the name may not change', () => {
    const alloc = createAllocators()
    const old = stored(alloc, svc('web', {ports: [{port: 80}]}))
    const next = structuredClone(old)
    next.metadata.name = 'other'
    assert.equal(refused(alloc, next, old), 'Service "other" is invalid: metadata.name: Invalid value: "other": field is immutable')
  })
})

describe('status updates (PUT .../status)', () => {
  it('only the status changes; ipMode is defaulted to VIP', () => {
    const alloc = createAllocators()
    const old = stored(alloc, svc('lb', {type: 'LoadBalancer', ports: [{port: 80}]}))
    const next = structuredClone(old)
    next.spec.selector = {app: 'changed'}
    next.status = {loadBalancer: {ingress: [{ip: '203.0.113.7'}]}}
    const r = prepareServiceStatusUpdate(next, old, alloc)
    if (!r.ok) assert.fail(r.status.message)
    assert.deepEqual(r.service.spec, old.spec)
    assert.deepEqual(r.service.status, {loadBalancer: {ingress: [{ip: '203.0.113.7', ipMode: 'VIP'}]}})
  })

  it('ipMode is defaulted from the type sent in the body, before the spec is replaced by the stored one', () => {
    const alloc = createAllocators()
    const old = stored(alloc, svc('lb', {type: 'LoadBalancer', ports: [{port: 80}]}))
    const next = structuredClone(old)
    next.spec.type = 'ClusterIP'
    next.status = {loadBalancer: {ingress: [{ip: '203.0.113.7'}]}}
    const r = prepareServiceStatusUpdate(next, old, alloc)
    assert.equal(r.ok ? '' : r.status.message, 'Service "lb" is invalid: status.loadBalancer.ingress[0].ipMode: Required value: must be specified when `ip` is set')
  })

  it('validates the load-balancer status', () => {
    const alloc = createAllocators()
    const old = stored(alloc, svc('lb', {type: 'LoadBalancer', ports: [{port: 80}]}))
    const next = structuredClone(old)
    next.status = {loadBalancer: {ingress: [{ip: 'nope', ipMode: 'Direct'}, {hostname: '1.2.3.4', ipMode: 'VIP'}]}}
    const r = prepareServiceStatusUpdate(next, old, alloc)
    assert.deepEqual(r.ok ? [] : r.status.details?.causes?.map((c) => `${c.field}: ${c.message}`), [
      'status.loadBalancer.ingress[0].ip: Invalid value: "nope": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
      'status.loadBalancer.ingress[0].ipMode: Unsupported value: "Direct": supported values: "Proxy", "VIP"',
      'status.loadBalancer.ingress[1].ipMode: Forbidden: may not be specified when `ip` is not set',
      'status.loadBalancer.ingress[1].hostname: Invalid value: "1.2.3.4": must be a DNS name, not an IP address',
    ])
  })

  it('refuses ingress on a service that is not a LoadBalancer', () => {
    const alloc = createAllocators()
    const old = stored(alloc, svc('web', {ports: [{port: 80}]}))
    const next = structuredClone(old)
    next.status = {loadBalancer: {ingress: [{hostname: 'lb.example.com'}]}}
    const r = prepareServiceStatusUpdate(next, old, alloc)
    assert.equal(r.ok ? '' : r.status.message, 'Service "web" is invalid: status.loadBalancer.ingress: Forbidden: may only be used when `spec.type` is \'LoadBalancer\'')
  })
})

describe('unknown fields (strict decoding)', () => {
  it('lists them in document order with their paths', () => {
    assert.deepEqual(
      unknownServiceFields({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: {name: 'x', nmae: 'y', ownerReferences: [{kind: 'A', bogus: 1}]},
        spec: {ports: [{port: 80, portt: 81}], selectr: {}, sessionAffinityConfig: {clientIP: {timeout: 1}}},
        status: {loadBalancer: {ingress: [{ip: '1.2.3.4', extra: true}]}},
        extra: 1,
      }),
      ['metadata.nmae', 'metadata.ownerReferences[0].bogus', 'spec.ports[0].portt', 'spec.selectr', 'spec.sessionAffinityConfig.clientIP.timeout', 'status.loadBalancer.ingress[0].extra', 'extra'],
    )
  })
  it('a generated Service has none', () => {
    const alloc = createAllocators()
    assert.deepEqual(unknownServiceFields(stored(alloc, svc('web', {type: 'LoadBalancer', externalTrafficPolicy: 'Local', ports: [{name: 'a', port: 80}]}))), [])
  })
})

describe('update bodies without namespace', () => {
  it('take the stored namespace, as BeforeUpdate takes the request one', () => {
    const alloc = createAllocators()
    const old = stored(alloc, svc('web', {ports: [{port: 80}]}))
    const next = structuredClone(old)
    delete next.metadata.namespace
    assert.equal(update(alloc, next, old).metadata.namespace, 'default')
  })
})

describe('purity', () => {
  it('does not touch its inputs', () => {
    const alloc = createAllocators()
    const input = svc('web', {type: 'NodePort', ports: [{port: 80}]})
    const copy = structuredClone(input)
    const old = stored(alloc, input)
    assert.deepEqual(input, copy)
    const oldCopy = structuredClone(old)
    const next = structuredClone(old)
    next.spec.type = 'ClusterIP'
    const nextCopy = structuredClone(next)
    prepareServiceUpdate(next, old, alloc)
    assert.deepEqual(old, oldCopy)
    assert.deepEqual(next, nextCopy)
  })

  it('an unchanged stored object updates to itself', () => {
    const alloc = createAllocators()
    for (const spec of [
      {ports: [{port: 80}]},
      {type: 'NodePort', ports: [{name: 'a', port: 80}, {name: 'b', port: 81, protocol: 'UDP'}]},
      {type: 'LoadBalancer', externalTrafficPolicy: 'Local', ports: [{port: 80}]},
      {type: 'ExternalName', externalName: 'example.com'},
      {clusterIP: 'None', selector: {app: 'x'}},
      {sessionAffinity: 'ClientIP', ports: [{port: 80}]},
    ]) {
      const old = stored(alloc, svc('s', spec))
      const before = alloc.nodePorts.allocated().length + alloc.clusterIPs.allocated().length
      assert.deepEqual(update(alloc, structuredClone(old), old), old)
      assert.equal(alloc.nodePorts.allocated().length + alloc.clusterIPs.allocated().length, before)
      releaseService(old, alloc)
    }
    assert.deepEqual([alloc.nodePorts.allocated(), alloc.clusterIPs.allocated()], [[], []])
  })
})
