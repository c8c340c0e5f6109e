// The exact 422 Status bodies the local API server answers for invalid Services.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {createAllocators, prepareServiceCreate} from '../../cluster/services/index.ts'

function svc(name: string, spec: Record<string, unknown>): any {
  return {apiVersion: 'v1', kind: 'Service', metadata: {name, namespace: 'default'}, spec}
}

function statusJSON(input: any, setup?: (a: ReturnType<typeof createAllocators>) => void): string {
  const alloc = createAllocators()
  setup?.(alloc)
  const r = prepareServiceCreate(input, alloc)
  assert.equal(r.ok, false, 'expected a refusal')
  return JSON.stringify(r.ok ? null : r.status)
}

const DNS1035 =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"

describe('Status bodies for invalid Services', () => {
  const cases: Array<{name: string; input: any; setup?: (a: ReturnType<typeof createAllocators>) => void; want: string}> = [
    {
      name: 'port 0 (targetPort is defaulted to the port, so it fails too)',
      input: svc('foo', {ports: [{port: 0}]}),
      want:
        '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",' +
        '"message":"Service \\"foo\\" is invalid: [spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive, spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive]",' +
        '"reason":"Invalid","details":{"name":"foo","kind":"Service","causes":[' +
        '{"reason":"FieldValueInvalid","message":"Invalid value: 0: must be between 1 and 65535, inclusive","field":"spec.ports[0].port"},' +
        '{"reason":"FieldValueInvalid","message":"Invalid value: 0: must be between 1 and 65535, inclusive","field":"spec.ports[0].targetPort"}]},"code":422}',
    },
    {
      name: 'port 0 with an explicit targetPort',
      input: svc('foo', {ports: [{port: 0, targetPort: 8080}]}),
      want:
        '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",' +
        '"message":"Service \\"foo\\" is invalid: spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",' +
        '"reason":"Invalid","details":{"name":"foo","kind":"Service","causes":[' +
        '{"reason":"FieldValueInvalid","message":"Invalid value: 0: must be between 1 and 65535, inclusive","field":"spec.ports[0].port"}]},"code":422}',
    },
    {
      name: 'nodePort out of range',
      input: svc('foo', {type: 'NodePort', ports: [{port: 80, nodePort: 80}]}),
      want:
        '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",' +
        '"message":"Service \\"foo\\" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767",' +
        '"reason":"Invalid","details":{"name":"foo","kind":"Service","causes":[' +
        '{"reason":"FieldValueInvalid","message":"Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767","field":"spec.ports[0].nodePort"}]},"code":422}',
    },
    {
      name: 'nodePort already allocated',
      input: svc('foo', {type: 'NodePort', ports: [{port: 80, nodePort: 30080}]}),
      setup: (a) => a.nodePorts.allocate(30080),
      want:
        '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",' +
        '"message":"Service \\"foo\\" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated",' +
        '"reason":"Invalid","details":{"name":"foo","kind":"Service","causes":[' +
        '{"reason":"FieldValueInvalid","message":"Invalid value: 30080: provided port is already allocated","field":"spec.ports[0].nodePort"}]},"code":422}',
    },
    {
      name: 'clusterIP out of range',
      input: svc('test', {clusterIP: '10.0.0.1', ports: [{port: 80}]}),
      want:
        '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",' +
        '"message":"Service \\"test\\" is invalid: spec.clusterIPs: Invalid value: [\\"10.0.0.1\\"]: failed to allocate IP 10.0.0.1: the provided network does not match the current range",' +
        '"reason":"Invalid","details":{"name":"test","kind":"Service","causes":[' +
        '{"reason":"FieldValueInvalid","message":"Invalid value: [\\"10.0.0.1\\"]: failed to allocate IP 10.0.0.1: the provided network does not match the current range","field":"spec.clusterIPs"}]},"code":422}',
    },
    {
      name: 'clusterIP already allocated',
      input: svc('test', {clusterIP: '10.96.0.10', ports: [{port: 80}]}),
      setup: (a) => a.clusterIPs.allocate('10.96.0.10'),
      want:
        '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",' +
        '"message":"Service \\"test\\" is invalid: spec.clusterIPs: Invalid value: [\\"10.96.0.10\\"]: failed to allocate IP 10.96.0.10: provided IP is already allocated",' +
        '"reason":"Invalid","details":{"name":"test","kind":"Service","causes":[' +
        '{"reason":"FieldValueInvalid","message":"Invalid value: [\\"10.96.0.10\\"]: failed to allocate IP 10.96.0.10: provided IP is already allocated","field":"spec.clusterIPs"}]},"code":422}',
    },
    {
      name: 'ExternalName without externalName',
      input: svc('my-en', {type: 'ExternalName'}),
      want:
        '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",' +
        '"message":"Service \\"my-en\\" is invalid: spec.externalName: Required value",' +
        '"reason":"Invalid","details":{"name":"my-en","kind":"Service","causes":[' +
        '{"reason":"FieldValueRequired","message":"Required value","field":"spec.externalName"}]},"code":422}',
    },
    {
      name: 'headless with type NodePort',
      input: svc('hl', {type: 'NodePort', clusterIP: 'None', ports: [{port: 80}]}),
      want:
        '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",' +
        '"message":"Service \\"hl\\" is invalid: spec.clusterIPs[0]: Invalid value: \\"None\\": may not be set to \'None\' for NodePort services",' +
        '"reason":"Invalid","details":{"name":"hl","kind":"Service","causes":[' +
        '{"reason":"FieldValueInvalid","message":"Invalid value: \\"None\\": may not be set to \'None\' for NodePort services","field":"spec.clusterIPs[0]"}]},"code":422}',
    },
    {
      name: 'the same --tcp twice: duplicate name and duplicate (protocol,port)',
      input: svc('my-cs', {ports: [{name: '80-8080', port: 80, targetPort: 8080}, {name: '80-8080', port: 80, targetPort: 8080}]}),
      want:
        '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",' +
        '"message":"Service \\"my-cs\\" is invalid: [spec.ports[1].name: Duplicate value: \\"80-8080\\", spec.ports[1]: Duplicate value: {\\"Name\\":\\"\\",\\"Protocol\\":\\"TCP\\",\\"AppProtocol\\":null,\\"Port\\":80,\\"TargetPort\\":0,\\"NodePort\\":0}]",' +
        '"reason":"Invalid","details":{"name":"my-cs","kind":"Service","causes":[' +
        '{"reason":"FieldValueDuplicate","message":"Duplicate value: \\"80-8080\\"","field":"spec.ports[1].name"},' +
        '{"reason":"FieldValueDuplicate","message":"Duplicate value: {\\"Name\\":\\"\\",\\"Protocol\\":\\"TCP\\",\\"AppProtocol\\":null,\\"Port\\":80,\\"TargetPort\\":0,\\"NodePort\\":0}","field":"spec.ports[1]"}]},"code":422}',
    },
    {
      name: 'duplicate port names only',
      input: svc('foo', {ports: [{name: 'http', port: 80}, {name: 'http', port: 81}]}),
      want:
        '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",' +
        '"message":"Service \\"foo\\" is invalid: spec.ports[1].name: Duplicate value: \\"http\\"",' +
        '"reason":"Invalid","details":{"name":"foo","kind":"Service","causes":[' +
        '{"reason":"FieldValueDuplicate","message":"Duplicate value: \\"http\\"","field":"spec.ports[1].name"}]},"code":422}',
    },
    {
      name: 'missing port names in a multi-port service',
      input: svc('foo', {ports: [{port: 80}, {name: 'b', port: 81}, {port: 82}]}),
      want:
        '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",' +
        '"message":"Service \\"foo\\" is invalid: [spec.ports[0].name: Required value, spec.ports[2].name: Required value]",' +
        '"reason":"Invalid","details":{"name":"foo","kind":"Service","causes":[' +
        '{"reason":"FieldValueRequired","message":"Required value","field":"spec.ports[0].name"},' +
        '{"reason":"FieldValueRequired","message":"Required value","field":"spec.ports[2].name"}]},"code":422}',
    },
    {
      name: 'invalid name',
      input: svc('My_svc', {ports: [{port: 80}]}),
      want:
        '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",' +
        `"message":"Service \\"My_svc\\" is invalid: metadata.name: Invalid value: \\"My_svc\\": ${DNS1035}",` +
        '"reason":"Invalid","details":{"name":"My_svc","kind":"Service","causes":[' +
        `{"reason":"FieldValueInvalid","message":"Invalid value: \\"My_svc\\": ${DNS1035}","field":"metadata.name"}]},"code":422}`,
    },
    {
      name: 'name longer than 63 characters',
      input: svc('a'.repeat(64), {ports: [{port: 80}]}),
      want:
        '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",' +
        `"message":"Service \\"${'a'.repeat(64)}\\" is invalid: metadata.name: Invalid value: \\"${'a'.repeat(64)}\\": must be no more than 63 characters",` +
        `"reason":"Invalid","details":{"name":"${'a'.repeat(64)}","kind":"Service","causes":[` +
        `{"reason":"FieldValueInvalid","message":"Invalid value: \\"${'a'.repeat(64)}\\": must be no more than 63 characters","field":"metadata.name"}]},"code":422}`,
    },
    {
      name: 'no name at all',
      input: {metadata: {namespace: 'default'}, spec: {ports: [{port: 80}]}},
      want:
        '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",' +
        '"message":"Service \\"\\" is invalid: metadata.name: Required value: name or generateName is required",' +
        '"reason":"Invalid","details":{"kind":"Service","causes":[' +
        '{"reason":"FieldValueRequired","message":"Required value: name or generateName is required","field":"metadata.name"}]},"code":422}',
    },
  ]
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(statusJSON(c.input, c.setup), c.want)
    })
  }

  it('allocation errors win over validation errors', () => {
    const alloc = createAllocators()
    const r = prepareServiceCreate(svc('Bad_Name', {type: 'NodePort', ports: [{port: 80, nodePort: 1}]}), alloc)
    assert.equal(r.ok, false)
    if (!r.ok) {
      assert.equal(
        r.status.message,
        'Service "Bad_Name" is invalid: spec.ports[0].nodePort: Invalid value: 1: provided port is not in the valid range. The range of valid ports is 30000-32767',
      )
    }
  })

  it('a full clusterIP range is a 500 InternalError', () => {
    const alloc = createAllocators({serviceCIDR: '10.96.0.0/30'})
    assert.equal(prepareServiceCreate(svc('a', {ports: [{port: 80}]}), alloc).ok, true)
    assert.equal(prepareServiceCreate(svc('b', {ports: [{port: 80}]}), alloc).ok, true)
    const r = prepareServiceCreate(svc('c', {ports: [{port: 80}]}), alloc)
    assert.equal(
      JSON.stringify(r.ok ? null : r.status),
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Internal error occurred: failed to allocate a serviceIP: range is full","reason":"InternalError","details":{"causes":[{"message":"failed to allocate a serviceIP: range is full"}]},"code":500}',
    )
  })

  it('a full nodePort range is a 500 InternalError and the clusterIP is given back', () => {
    const alloc = createAllocators({nodePortRange: '30000-30000'})
    assert.equal(prepareServiceCreate(svc('a', {type: 'NodePort', ports: [{port: 80}]}), alloc).ok, true)
    const before = alloc.clusterIPs.allocated()
    const r = prepareServiceCreate(svc('b', {type: 'NodePort', ports: [{port: 80}]}), alloc)
    assert.equal(
      JSON.stringify(r.ok ? null : r.status),
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Internal error occurred: failed to allocate a nodePort: range is full","reason":"InternalError","details":{"causes":[{"message":"failed to allocate a nodePort: range is full"}]},"code":500}',
    )
    assert.deepEqual(alloc.clusterIPs.allocated(), before)
  })
})
