// v1 defaulting and the object a create returns, for every type; allocation on create; dry runs; release.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {createAllocators, prepareServiceCreate, releaseService, setDefaultsService} from '../../cluster/services/index.ts'

function svc(name: string, spec: Record<string, unknown>, extra: Record<string, unknown> = {}): any {
  return {apiVersion: 'v1', kind: 'Service', metadata: {name, namespace: 'default', ...extra}, spec}
}

function create(input: any, alloc = createAllocators(), dryRun = false): any {
  const r = prepareServiceCreate(input, alloc, {dryRun})
  if (!r.ok) assert.fail(r.status.message)
  return r.service
}

describe('SetDefaults_Service', () => {
  const cases: Array<{name: string; spec: any; want: any}> = [
    {
      name: 'ClusterIP: sessionAffinity, type, protocol, targetPort, internalTrafficPolicy',
      spec: {ports: [{port: 80}]},
      want: {ports: [{port: 80, protocol: 'TCP', targetPort: 80}], sessionAffinity: 'None', type: 'ClusterIP', internalTrafficPolicy: 'Cluster'},
    },
    {
      name: 'NodePort adds externalTrafficPolicy Cluster',
      spec: {type: 'NodePort', ports: [{port: 80, targetPort: 0}]},
      want: {type: 'NodePort', ports: [{port: 80, targetPort: 80, protocol: 'TCP'}], sessionAffinity: 'None', externalTrafficPolicy: 'Cluster', internalTrafficPolicy: 'Cluster'},
    },
    {
      name: 'LoadBalancer adds allocateLoadBalancerNodePorts true',
      spec: {type: 'LoadBalancer', ports: [{port: 80, targetPort: ''}]},
      want: {
        type: 'LoadBalancer',
        ports: [{port: 80, targetPort: 80, protocol: 'TCP'}],
        sessionAffinity: 'None',
        externalTrafficPolicy: 'Cluster',
        internalTrafficPolicy: 'Cluster',
        allocateLoadBalancerNodePorts: true,
      },
    },
    {
      name: 'ExternalName gets no traffic policies',
      spec: {type: 'ExternalName', externalName: 'bar.com'},
      want: {type: 'ExternalName', externalName: 'bar.com', sessionAffinity: 'None'},
    },
    {
      name: 'ClusterIP with externalIPs is externally accessible',
      spec: {externalIPs: ['1.2.3.4'], ports: [{port: 80, protocol: 'UDP', targetPort: 'dns'}]},
      want: {
        externalIPs: ['1.2.3.4'],
        ports: [{port: 80, protocol: 'UDP', targetPort: 'dns'}],
        sessionAffinity: 'None',
        type: 'ClusterIP',
        externalTrafficPolicy: 'Cluster',
        internalTrafficPolicy: 'Cluster',
      },
    },
    {
      name: 'ClientIP gets the 10800 s timeout',
      spec: {sessionAffinity: 'ClientIP', ports: [{port: 80}]},
      want: {
        sessionAffinity: 'ClientIP',
        sessionAffinityConfig: {clientIP: {timeoutSeconds: 10800}},
        ports: [{port: 80, protocol: 'TCP', targetPort: 80}],
        type: 'ClusterIP',
        internalTrafficPolicy: 'Cluster',
      },
    },
    {
      name: 'ClientIP keeps a given timeout',
      spec: {sessionAffinity: 'ClientIP', sessionAffinityConfig: {clientIP: {timeoutSeconds: 60}}, ports: [{port: 80}]},
      want: {
        sessionAffinity: 'ClientIP',
        sessionAffinityConfig: {clientIP: {timeoutSeconds: 60}},
        ports: [{port: 80, protocol: 'TCP', targetPort: 80}],
        type: 'ClusterIP',
        internalTrafficPolicy: 'Cluster',
      },
    },
    {
      name: 'None drops a sessionAffinityConfig',
      spec: {sessionAffinityConfig: {clientIP: {timeoutSeconds: 60}}, ports: [{port: 80}]},
      want: {sessionAffinity: 'None', ports: [{port: 80, protocol: 'TCP', targetPort: 80}], type: 'ClusterIP', internalTrafficPolicy: 'Cluster'},
    },
    {
      name: 'given values are kept',
      spec: {type: 'NodePort', externalTrafficPolicy: 'Local', internalTrafficPolicy: 'Local', ports: [{port: 80, protocol: 'SCTP', targetPort: 81}]},
      want: {type: 'NodePort', externalTrafficPolicy: 'Local', internalTrafficPolicy: 'Local', ports: [{port: 80, protocol: 'SCTP', targetPort: 81}], sessionAffinity: 'None'},
    },
  ]
  for (const c of cases) {
    it(c.name, () => {
      const s = {spec: structuredClone(c.spec)}
      setDefaultsService(s)
      assert.deepEqual(s.spec, c.want)
    })
  }

  it('sets ipMode VIP on LoadBalancer ingress IPs', () => {
    const s: any = {spec: {type: 'LoadBalancer'}, status: {loadBalancer: {ingress: [{ip: '1.2.3.4'}, {hostname: 'lb.example.com'}]}}}
    setDefaultsService(s)
    assert.deepEqual(s.status.loadBalancer.ingress, [{ip: '1.2.3.4', ipMode: 'VIP'}, {hostname: 'lb.example.com'}])
  })
})

describe('the object a create returns', () => {
  it('kubectl create service clusterip my-cs --tcp=5678:8080 (the bytes, in Go field order)', () => {
    const alloc = createAllocators()
    const out = create(
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: {labels: {app: 'my-cs'}, name: 'my-cs', namespace: 'default'},
        spec: {ports: [{name: '5678-8080', port: 5678, protocol: 'TCP', targetPort: 8080}], selector: {app: 'my-cs'}, type: 'ClusterIP'},
        status: {loadBalancer: {}},
      },
      alloc,
    )
    const ip = out.spec.clusterIP
    assert.match(ip, /^10\.(9[6-9]|10[0-9]|11[01])\.\d+\.\d+$/)
    assert.deepEqual(alloc.clusterIPs.allocated(), [ip])
    assert.equal(
      JSON.stringify(out),
      '{"kind":"Service","apiVersion":"v1","metadata":{"name":"my-cs","namespace":"default","labels":{"app":"my-cs"}},' +
        `"spec":{"ports":[{"name":"5678-8080","protocol":"TCP","port":5678,"targetPort":8080}],"selector":{"app":"my-cs"},"clusterIP":"${ip}","clusterIPs":["${ip}"],` +
        '"type":"ClusterIP","sessionAffinity":"None","ipFamilies":["IPv4"],"ipFamilyPolicy":"SingleStack","internalTrafficPolicy":"Cluster"},"status":{"loadBalancer":{}}}',
    )
  })

  it('the kubernetes Service gets 10.96.0.1', () => {
    const alloc = createAllocators()
    const out = create(svc('kubernetes', {clusterIP: '10.96.0.1', ports: [{name: 'https', port: 443, targetPort: 6443}]}), alloc)
    assert.deepEqual([out.spec.clusterIP, out.spec.clusterIPs], ['10.96.0.1', ['10.96.0.1']])
    assert.ok(alloc.clusterIPs.has('10.96.0.1'))
  })

  it('dynamic clusterIPs come from the upper band (10.96.1.0 and up) and never repeat', () => {
    const alloc = createAllocators()
    const seen = new Set<string>()
    for (let i = 0; i < 50; i++) {
      const ip = create(svc(`s${i}`, {ports: [{port: 80}]}), alloc).spec.clusterIP
      assert.ok(!seen.has(ip))
      seen.add(ip)
      const [, b, c] = ip.split('.').map(Number)
      assert.ok(b > 96 || c >= 1, `${ip} is in the static band`)
    }
  })

  it('NodePort: nodePorts allocated in 30000-32767, requested ones kept, externalTrafficPolicy Cluster', () => {
    const alloc = createAllocators()
    const out = create(svc('my-ns', {type: 'NodePort', ports: [{name: 'a', port: 80, nodePort: 30080}, {name: 'b', port: 443}]}), alloc)
    assert.equal(out.spec.ports[0].nodePort, 30080)
    const np = out.spec.ports[1].nodePort
    assert.ok(np >= 30000 && np <= 32767)
    assert.equal(out.spec.externalTrafficPolicy, 'Cluster')
    assert.deepEqual(alloc.nodePorts.allocated(), [30080, np].sort((x, y) => x - y))
  })

  it('ports sharing a port number share one nodePort', () => {
    const alloc = createAllocators()
    const out = create(svc('dns', {type: 'NodePort', ports: [{name: 'udp', port: 53, protocol: 'UDP'}, {name: 'tcp', port: 53, protocol: 'TCP'}]}), alloc)
    assert.equal(out.spec.ports[0].nodePort, out.spec.ports[1].nodePort)
    assert.equal(alloc.nodePorts.allocated().length, 1)
  })

  it('a requested nodePort is shared by an earlier port with the same number', () => {
    const alloc = createAllocators()
    const out = create(svc('dns', {type: 'NodePort', ports: [{name: 'udp', port: 53, protocol: 'UDP'}, {name: 'tcp', port: 53, protocol: 'TCP', nodePort: 31053}]}), alloc)
    assert.deepEqual(out.spec.ports.map((p: any) => p.nodePort), [31053, 31053])
  })

  it('the same --node-port on two ports: the second one finds it taken', () => {
    const alloc = createAllocators()
    const r = prepareServiceCreate(svc('n', {type: 'NodePort', ports: [{name: 'a', port: 80, nodePort: 30080}, {name: 'b', port: 81, nodePort: 30080}]}), alloc)
    assert.equal(r.ok ? '' : r.status.message, 'Service "n" is invalid: spec.ports[1].nodePort: Invalid value: 30080: provided port is already allocated')
    assert.deepEqual(alloc.nodePorts.allocated(), [])
    assert.deepEqual(alloc.clusterIPs.allocated(), [])
  })

  it('LoadBalancer: status stays pending, allocateLoadBalancerNodePorts true, nodePorts allocated', () => {
    const out = create(svc('lb', {type: 'LoadBalancer', ports: [{port: 80}]}, {}))
    assert.deepEqual(out.status, {loadBalancer: {}})
    assert.equal(out.spec.allocateLoadBalancerNodePorts, true)
    assert.ok(out.spec.ports[0].nodePort >= 30000)
  })

  it('LoadBalancer with allocateLoadBalancerNodePorts false only keeps requested nodePorts', () => {
    const alloc = createAllocators()
    const out = create(
      svc('lb', {type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, ports: [{name: 'a', port: 80}, {name: 'b', port: 81, nodePort: 31000}]}),
      alloc,
    )
    assert.equal(out.spec.allocateLoadBalancerNodePorts, false)
    assert.deepEqual(out.spec.ports.map((p: any) => p.nodePort), [undefined, 31000])
    assert.deepEqual(alloc.nodePorts.allocated(), [31000])
  })

  it('LoadBalancer with externalTrafficPolicy Local gets a healthCheckNodePort', () => {
    const alloc = createAllocators()
    const out = create(svc('lb', {type: 'LoadBalancer', externalTrafficPolicy: 'Local', ports: [{port: 80}]}), alloc)
    assert.ok(out.spec.healthCheckNodePort >= 30000)
    assert.equal(alloc.nodePorts.allocated().length, 2)
  })

  it('a user status is dropped on create', () => {
    const out = create({...svc('lb', {type: 'LoadBalancer', ports: [{port: 80}]}), status: {loadBalancer: {ingress: [{ip: '1.2.3.4'}]}}})
    assert.deepEqual(out.status, {loadBalancer: {}})
  })

  it('ExternalName: no clusterIP, families, policies', () => {
    const alloc = createAllocators()
    const out = create(svc('my-en', {type: 'ExternalName', externalName: 'bar.com', selector: {app: 'my-en'}}), alloc)
    assert.equal(
      JSON.stringify(out.spec),
      '{"selector":{"app":"my-en"},"type":"ExternalName","sessionAffinity":"None","externalName":"bar.com"}',
    )
    assert.deepEqual(alloc.clusterIPs.allocated(), [])
  })

  it('headless with a selector: SingleStack, IPv4, no IP allocated', () => {
    const alloc = createAllocators()
    const out = create(svc('hl', {clusterIP: 'None', selector: {app: 'x'}}), alloc)
    assert.deepEqual([out.spec.clusterIP, out.spec.clusterIPs, out.spec.ipFamilies, out.spec.ipFamilyPolicy], ['None', ['None'], ['IPv4'], 'SingleStack'])
    assert.deepEqual(alloc.clusterIPs.allocated(), [])
  })

  it('headless without a selector: RequireDualStack with both families, even on a single-stack cluster', () => {
    const out = create(svc('hl', {clusterIP: 'None', ports: [{port: 80}]}))
    assert.deepEqual([out.spec.ipFamilies, out.spec.ipFamilyPolicy], [['IPv4', 'IPv6'], 'RequireDualStack'])
  })

  it('RequireDualStack is refused on this single-stack cluster', () => {
    const r = prepareServiceCreate(svc('ds', {ipFamilyPolicy: 'RequireDualStack', ports: [{port: 80}]}), createAllocators())
    assert.equal(
      r.ok ? '' : r.status.message,
      'Service "ds" is invalid: spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services',
    )
  })

  it('PreferDualStack gets one family here', () => {
    const out = create(svc('ds', {ipFamilyPolicy: 'PreferDualStack', ports: [{port: 80}]}))
    assert.deepEqual([out.spec.ipFamilies, out.spec.ipFamilyPolicy], [['IPv4'], 'PreferDualStack'])
  })

  it('IPv6 is not configured here', () => {
    const alloc = createAllocators()
    let r = prepareServiceCreate(svc('v6', {ipFamilies: ['IPv6'], ports: [{port: 80}]}), alloc)
    assert.equal(r.ok ? '' : r.status.message, 'Service "v6" is invalid: spec.ipFamilies[0]: Invalid value: "IPv6": not configured on this cluster')
    r = prepareServiceCreate(svc('v6', {clusterIP: 'fd00::1', ports: [{port: 80}]}), alloc)
    assert.equal(r.ok ? '' : r.status.message, 'Service "v6" is invalid: spec.clusterIPs[0]: Invalid value: ["fd00::1"]: IPv6 is not configured on this cluster')
  })

  it('SingleStack with two families is refused before allocation', () => {
    const r = prepareServiceCreate(svc('x', {ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4', 'IPv6'], ports: [{port: 80}]}), createAllocators())
    assert.equal(
      r.ok ? '' : r.status.message,
      'Service "x" is invalid: spec.ipFamilyPolicy: Invalid value: "SingleStack": must be \'RequireDualStack\' or \'PreferDualStack\' when multiple IP families are specified',
    )
  })

  it('an invalid clusterIP is reported by the early IP-family check', () => {
    const r = prepareServiceCreate(svc('x', {clusterIP: '300.1.1.1', ports: [{port: 80}]}), createAllocators())
    assert.equal(
      r.ok ? '' : r.status.message,
      'Service "x" is invalid: spec.clusterIPs[0]: Invalid value: "300.1.1.1": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
    )
  })

  it('the network and broadcast addresses are not in the valid range', () => {
    const alloc = createAllocators()
    for (const ip of ['10.96.0.0', '10.111.255.255']) {
      const r = prepareServiceCreate(svc('x', {clusterIP: ip, ports: [{port: 80}]}), alloc)
      assert.match(r.ok ? '' : (r.status.message ?? ''), new RegExp(`the provided IP \\(${ip.replace(/\./g, '\\.')}\\) is not in the valid range`))
    }
    assert.equal(create(svc('last', {clusterIP: '10.111.255.254', ports: [{port: 80}]}), alloc).spec.clusterIP, '10.111.255.254')
  })

  it('an IPv4 with leading zeros is accepted, shown canonical in the range error, and warned about', () => {
    const alloc = createAllocators()
    const r = prepareServiceCreate(svc('z', {clusterIP: '010.96.000.020', ports: [{port: 80}]}), alloc)
    assert.equal(r.ok, true)
    assert.deepEqual(r.ok ? r.warnings : [], [
      'spec.clusterIPs[0]: non-standard IP address "010.96.000.020" will be considered invalid in a future Kubernetes release: use "10.96.0.20"',
    ])
    assert.ok(alloc.clusterIPs.has('10.96.0.20'))
  })

  it('warns about fields a type ignores', () => {
    const r = prepareServiceCreate(svc('w', {externalName: 'x.com', ports: [{port: 80}]}), createAllocators())
    assert.deepEqual(r.ok ? r.warnings : [], ['spec.externalName is ignored when spec.type is not "ExternalName"'])
  })

  it('generateName gets a 5-character suffix', () => {
    const out = create({metadata: {generateName: 'web-', namespace: 'default'}, spec: {ports: [{port: 80}]}})
    assert.match(out.metadata.name, /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/)
    assert.equal(out.metadata.generateName, 'web-')
  })

  it('unknown fields are dropped and map keys sorted, as a Go round trip does', () => {
    const out = create({metadata: {name: 'u', namespace: 'default', labels: {b: '2', a: '1'}, bogus: 1}, spec: {ports: [{port: 80, extra: true}], selector: {z: '1', y: '2'}, nonsense: 3}})
    assert.equal(JSON.stringify(out.metadata), '{"name":"u","namespace":"default","labels":{"a":"1","b":"2"}}')
    assert.equal(JSON.stringify(out.spec.ports), '[{"protocol":"TCP","port":80,"targetPort":80}]')
    assert.equal(JSON.stringify(out.spec.selector), '{"y":"2","z":"1"}')
    assert.equal(out.spec.nonsense, undefined)
  })
})

describe('dry runs', () => {
  it('keep nothing; auto clusterIP is the network address and auto nodePorts count from 32769, as the real allocators answer', () => {
    const alloc = createAllocators()
    const out = create(svc('lb', {type: 'LoadBalancer', ports: [{name: 'a', port: 80}, {name: 'b', port: 81}]}), alloc, true)
    assert.equal(out.spec.clusterIP, '10.96.0.0')
    assert.deepEqual(out.spec.ports.map((p: any) => p.nodePort), [32769, 32770])
    assert.deepEqual(alloc.clusterIPs.allocated(), [])
    assert.deepEqual(alloc.nodePorts.allocated(), [])
  })

  it('check the clusterIP range but not collisions', () => {
    const alloc = createAllocators()
    alloc.clusterIPs.allocate('10.96.0.10')
    assert.equal(create(svc('a', {clusterIP: '10.96.0.10', ports: [{port: 80}]}), alloc, true).spec.clusterIP, '10.96.0.10')
    const r = prepareServiceCreate(svc('b', {clusterIP: '10.0.0.1', ports: [{port: 80}]}), alloc, {dryRun: true})
    assert.equal(r.ok, false)
  })

  it('check nodePort collisions but not the range', () => {
    const alloc = createAllocators()
    alloc.nodePorts.allocate(30080)
    const r = prepareServiceCreate(svc('a', {type: 'NodePort', ports: [{port: 80, nodePort: 30080}]}), alloc, {dryRun: true})
    assert.equal(r.ok ? '' : r.status.message, 'Service "a" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated')
    assert.equal(create(svc('b', {type: 'NodePort', ports: [{port: 80, nodePort: 80}]}), alloc, true).spec.ports[0].nodePort, 80)
    assert.deepEqual(alloc.nodePorts.allocated(), [30080])
  })

  it('still validate', () => {
    const r = prepareServiceCreate(svc('Bad', {ports: [{port: 80}]}), createAllocators(), {dryRun: true})
    assert.equal(r.ok, false)
  })
})

describe('release', () => {
  it('gives back clusterIPs, nodePorts and the healthCheckNodePort', () => {
    const alloc = createAllocators()
    const out = create(svc('lb', {type: 'LoadBalancer', externalTrafficPolicy: 'Local', ports: [{name: 'a', port: 80}, {name: 'b', port: 81, nodePort: 30081}]}), alloc)
    assert.equal(alloc.nodePorts.allocated().length, 3)
    releaseService(out, alloc)
    assert.deepEqual(alloc.clusterIPs.allocated(), [])
    assert.deepEqual(alloc.nodePorts.allocated(), [])
    // the values can be taken again
    create(svc('again', {type: 'NodePort', clusterIP: out.spec.clusterIP, ports: [{port: 80, nodePort: 30081}]}), alloc)
  })

  it('leaves others alone and ignores headless and ExternalName services', () => {
    const alloc = createAllocators()
    const keep = create(svc('keep', {type: 'NodePort', ports: [{port: 80}]}), alloc)
    releaseService(create(svc('hl', {clusterIP: 'None', selector: {a: 'b'}}), alloc), alloc)
    releaseService(create(svc('en', {type: 'ExternalName', externalName: 'a.b'}), alloc), alloc)
    assert.deepEqual(alloc.clusterIPs.allocated(), [keep.spec.clusterIP])
    assert.deepEqual(alloc.nodePorts.allocated(), [keep.spec.ports[0].nodePort])
  })

  it('rolls back a create the store refused (AlreadyExists)', () => {
    const alloc = createAllocators()
    const first = create(svc('dup', {type: 'NodePort', ports: [{port: 80}]}), alloc)
    const second = create(svc('dup', {type: 'NodePort', ports: [{port: 80}]}), alloc)
    releaseService(second, alloc)
    assert.deepEqual(alloc.clusterIPs.allocated(), [first.spec.clusterIP])
    assert.deepEqual(alloc.nodePorts.allocated(), [first.spec.ports[0].nodePort])
  })
})

describe('decoding', () => {
  const cases: Array<[string, any, string]> = [
    ['a string port', {spec: {ports: [{port: '80'}]}}, 'json: cannot unmarshal string into Go struct field ServicePort.spec.ports.port of type int32'],
    ['a fractional port', {spec: {ports: [{port: 80.5}]}}, 'json: cannot unmarshal number 80.5 into Go struct field ServicePort.spec.ports.port of type int32'],
    ['a bool targetPort', {spec: {ports: [{port: 80, targetPort: true}]}}, 'json: cannot unmarshal bool into Go struct field ServicePort.spec.ports.targetPort of type int32'],
    ['a numeric type', {spec: {type: 1}}, 'json: cannot unmarshal number into Go struct field ServiceSpec.spec.type of type v1.ServiceType'],
    ['ports as an object', {spec: {ports: {port: 80}}}, 'json: cannot unmarshal object into Go struct field ServiceSpec.spec.ports of type []v1.ServicePort'],
    ['a numeric label value', {metadata: {name: 'x', labels: {a: 1}}}, 'json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string'],
    ['the first error wins', {spec: {clusterIP: 1, ports: [{port: 'x'}]}}, 'json: cannot unmarshal number into Go struct field ServiceSpec.spec.clusterIP of type string'],
  ]
  for (const [name, body, err] of cases) {
    it(`${name} is a 400`, () => {
      const r = prepareServiceCreate({apiVersion: 'v1', kind: 'Service', ...body}, createAllocators())
      assert.equal(
        JSON.stringify(r.ok ? null : r.status),
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: `Service in version "v1" cannot be handled as a Service: ${err}`,
          reason: 'BadRequest',
          code: 400,
        }),
      )
    })
  }

  const body = svc('f', {ports: [{port: 80, nodeport: 30000}], selectorr: {a: 'b'}})
  it('fieldValidation=Strict refuses unknown fields', () => {
    const r = prepareServiceCreate(body, createAllocators(), {fieldValidation: 'Strict'})
    assert.equal(
      r.ok ? '' : r.status.message,
      'Service in version "v1" cannot be handled as a Service: strict decoding error: unknown field "spec.ports[0].nodeport", unknown field "spec.selectorr"',
    )
  })
  it('fieldValidation=Warn warns and drops them', () => {
    const r = prepareServiceCreate(body, createAllocators(), {fieldValidation: 'Warn'})
    assert.deepEqual(r.ok ? r.warnings : [], ['unknown field "spec.ports[0].nodeport"', 'unknown field "spec.selectorr"'])
    assert.equal(r.ok ? JSON.stringify(r.service.spec.ports) : '', '[{"protocol":"TCP","port":80,"targetPort":80}]')
  })
  it('fieldValidation=Ignore (or none) drops them silently', () => {
    for (const fieldValidation of ['Ignore', undefined] as const) {
      const r = prepareServiceCreate(body, createAllocators(), {fieldValidation})
      assert.deepEqual(r.ok ? r.warnings : ['x'], undefined)
    }
  })
})
