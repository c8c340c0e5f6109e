// svc wait's conditions as pure functions: parsing --for (kubectl's texts), kubectl's
// splitJSONPathInput, the jsonpath comparison, status conditions, ready endpoints from
// EndpointSlices and load-balancer addresses.

import assert from 'node:assert/strict'
import {test} from 'node:test'

import {type EndpointSlice, ingressAddresses, isMet, parseCondition, readyEndpoints, splitJsonPathInput} from '../../../src/wait/conditions.ts'

test('splitJsonPathInput keeps == inside a filter, as kubectl does', () => {
  const cases: Array<[string, string[]]> = [
    ['{.spec.type}=NodePort', ['{.spec.type}', 'NodePort']],
    ['{.spec.type}', ['{.spec.type}']],
    ['{.spec.ports[?(@.port==80)].name}=http', ['{.spec.ports[?(@.port==80)].name}', 'http']],
    ['{.a}=b=c', ['{.a}', 'b', 'c']],
  ]
  for (const [input, want] of cases) assert.deepEqual(splitJsonPathInput(input), want, input)
})

test('parseCondition: each --for and its error text', () => {
  assert.deepEqual(parseCondition('delete'), {kind: 'delete'})
  assert.deepEqual(parseCondition('Create'), {kind: 'create'})
  assert.deepEqual(parseCondition('loadbalancer'), {kind: 'loadbalancer'})
  assert.deepEqual(parseCondition('endpoints'), {count: 1, kind: 'endpoints'})
  assert.deepEqual(parseCondition('endpoints=3'), {count: 3, kind: 'endpoints'})
  assert.deepEqual(parseCondition('condition=Ready'), {kind: 'condition', name: 'Ready', status: 'true'})
  assert.deepEqual(parseCondition('condition=Ready=False'), {kind: 'condition', name: 'Ready', status: 'False'})
  const errors: Array<[string, string]> = [
    ['', 'unrecognized condition: ""'],
    ['bogus', 'unrecognized condition: "bogus"'],
    ['endpoints=0', 'invalid --for=endpoints=0: the number of ready endpoints must be a whole number of at least 1, like --for=endpoints=2'],
    ['endpoints=x', 'invalid --for=endpoints=x: the number of ready endpoints must be a whole number of at least 1, like --for=endpoints=2'],
    ['jsonpath=', 'jsonpath expression cannot be empty'],
    ['jsonpath={.a}=', "jsonpath wait has to have a value after equal sign, like --for=jsonpath='{.status.readyReplicas}'=3"],
    ['jsonpath={.a}=\'\'', "jsonpath wait has to have a value after equal sign, like --for=jsonpath='{.status.readyReplicas}'=3"],
    ['jsonpath={{.a}}', "unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' or '{.name1.name2}'"],
  ]
  for (const [value, message] of errors) assert.throws(() => parseCondition(value), {message}, value)
})

const svc = {
  metadata: {generation: 2, name: 'web'},
  spec: {ports: [{port: 80, protocol: 'TCP'}, {port: 53, protocol: 'UDP'}], type: 'LoadBalancer'},
  status: {conditions: [{observedGeneration: 2, status: 'True', type: 'Healthy'}, {observedGeneration: 1, status: 'True', type: 'Old'}], loadBalancer: {ingress: [{hostname: 'lb.example.com'}, {ip: '203.0.113.9'}]}},
}

test('jsonpath conditions compare one value as text; several values or a list are errors', () => {
  const cases: Array<[string, boolean | string]> = [
    ['jsonpath={.spec.type}=LoadBalancer', true],
    ["jsonpath={.spec.type}='LoadBalancer'", true],
    ['jsonpath={.spec.type}=NodePort', false],
    ['jsonpath={.spec.type}', true],
    ['jsonpath={.spec.nope}', false],
    ['jsonpath={.spec.ports[0].port}=80', true],
    ['jsonpath=.spec.ports[?(@.protocol=="UDP")].port=53', true],
    ['jsonpath={.spec.ports[*].port}=80', 'given jsonpath expression matches more than one value'],
    ['jsonpath={.spec.ports}=x', 'jsonpath leads to a nested object or list which is not supported'],
  ]
  for (const [value, want] of cases) {
    if (typeof want === 'string') assert.throws(() => isMet(parseCondition(value), svc), {message: want}, value)
    else assert.equal(isMet(parseCondition(value), svc), want, value)
  }
})

test('condition=NAME[=VALUE]: case-insensitive, and not met while observedGeneration lags', () => {
  assert.equal(isMet(parseCondition('condition=healthy'), svc), true)
  assert.equal(isMet(parseCondition('condition=Healthy=false'), svc), false)
  assert.equal(isMet(parseCondition('condition=Old'), svc), false)
  assert.equal(isMet(parseCondition('condition=Missing'), svc), false)
})

test('loadbalancer: each ingress entry gives its IP, else its hostname', () => {
  assert.deepEqual(ingressAddresses(svc), ['lb.example.com', '203.0.113.9'])
  assert.equal(isMet({kind: 'loadbalancer'}, svc), true)
  assert.equal(isMet({kind: 'loadbalancer'}, {metadata: {name: 'lb'}, status: {loadBalancer: {}}}), false)
  assert.equal(isMet({kind: 'loadbalancer'}, {metadata: {name: 'lb'}, status: {loadBalancer: {ingress: [{ipMode: 'VIP'}]}}}), false)
})

test('endpoints: ready (or unset) endpoints, once per pod across slices', () => {
  const slices: EndpointSlice[] = [
    {addressType: 'IPv4', endpoints: [
      {addresses: ['10.0.0.1'], conditions: {ready: true}, targetRef: {name: 'a', uid: 'u1'}},
      {addresses: ['10.0.0.2'], conditions: {ready: false}, targetRef: {name: 'b', uid: 'u2'}},
      {addresses: ['10.0.0.3'], conditions: {}, targetRef: {name: 'c', uid: 'u3'}},
    ], metadata: {name: 's1'}, ports: [{name: 'http', port: 8080, protocol: 'TCP'}]},
    {addressType: 'IPv6', endpoints: [{addresses: ['fd00::1'], conditions: {ready: true}, targetRef: {name: 'a', uid: 'u1'}}], metadata: {name: 's2'}},
    {addressType: 'IPv4', endpoints: null, metadata: {name: 'placeholder'}, ports: null},
  ]
  assert.deepEqual(readyEndpoints(slices).map(e => e.endpoint.targetRef?.name), ['a', 'c'])
  assert.equal(isMet({count: 2, kind: 'endpoints'}, svc, slices), true)
  assert.equal(isMet({count: 3, kind: 'endpoints'}, svc, slices), false)
  assert.equal(isMet({count: 1, kind: 'endpoints'}, svc, []), false)
})
