// svc wait's complete and validate step (options/wait.ts) and what it prints for a met condition
// (wait/output.ts), as pure functions: every usage error in kubectl's order, and each output format.

import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {CliError, UsageError} from '../../../src/kube/errors.ts'
import type {EndpointSlice} from '../../../src/wait/conditions.ts'
import {type WaitFlags, waitOptions, waitTimeout} from '../../../src/options/wait.ts'
import {waitOutput} from '../../../src/wait/output.ts'

const flags = (more: Partial<WaitFlags> = {}): WaitFlags => ({'allow-missing-template-keys': true, timeout: '30s', ...more})

describe('waitOptions', () => {
  test('names, selection, condition and deadline', () => {
    const cases: Array<[string, string[], Partial<WaitFlags>, object]> = [
      ['a name', ['web'], {for: 'delete'}, {condition: {kind: 'delete'}, names: ['web'], timeoutMs: 30_000}],
      ['svc/NAME twice', ['svc/a', 'svc/b'], {for: 'create'}, {condition: {kind: 'create'}, names: ['a', 'b'], timeoutMs: 30_000}],
      ['-l', ['svc'], {for: 'create', selector: 'app=web'}, {condition: {kind: 'create'}, names: [], select: {labelSelector: 'app=web'}, timeoutMs: 30_000}],
      ['--all (no selector)', [], {all: true, for: 'delete', selector: 'ignored'}, {condition: {kind: 'delete'}, names: [], select: {labelSelector: undefined}, timeoutMs: 30_000}],
      ['zero timeout', ['web'], {for: 'endpoints=2', timeout: '0'}, {condition: {count: 2, kind: 'endpoints'}, names: ['web'], timeoutMs: 0}],
      ['-o name', ['web'], {for: 'delete', output: 'name'}, {condition: {kind: 'delete'}, format: 'name', names: ['web'], timeoutMs: 30_000}],
      ['-o wide with endpoints', ['web'], {for: 'endpoints', output: 'wide'}, {condition: {count: 1, kind: 'endpoints'}, format: 'wide', names: ['web'], timeoutMs: 30_000}],
      ['-o "" is the default', ['web'], {for: 'delete', output: ''}, {condition: {kind: 'delete'}, names: ['web'], timeoutMs: 30_000}],
    ]
    for (const [name, operands, more, want] of cases) {
      const {template, ...got} = waitOptions(operands, flags(more))
      assert.equal(template, undefined, name)
      // JSON drops the keys left undefined
      assert.deepEqual(JSON.parse(JSON.stringify(got)), JSON.parse(JSON.stringify(want)), name)
    }
  })

  test('-o jsonpath and --template give a template printer', () => {
    assert.ok(waitOptions(['web'], flags({for: 'delete', output: 'jsonpath={.spec.type}'})).template)
    assert.ok(waitOptions(['web'], flags({for: 'delete', template: '{{.metadata.name}}'})).template)
  })

  test('errors, in the order kubectl checks', () => {
    const cases: Array<[string, string[], Partial<WaitFlags>, typeof CliError | typeof UsageError, string]> = [
      ['not a Service', ['pod/web'], {for: 'delete'}, UsageError, ''],
      ['bad timeout before a bad condition', ['web'], {for: 'bogus', timeout: '5 minutes'}, CliError, 'invalid argument "5 minutes" for "--timeout" flag: time: invalid duration "5 minutes"'],
      ['bad format before a bad condition', ['web'], {for: 'bogus', output: 'table'}, CliError, 'unable to match a printer suitable for the output format "table", allowed formats are: go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,wide,yaml'],
      ['no condition', ['web'], {}, CliError, 'unrecognized condition: ""'],
      ['-o wide without endpoints', ['web'], {for: 'delete', output: 'wide'}, CliError, '-o wide lists ready endpoints: use it with --for=endpoints'],
      ['a type but no name', ['svc'], {for: 'delete'}, CliError, 'resource(s) were provided, but no name was specified'],
      ['nothing named', [], {for: 'delete'}, UsageError, 'You must name one or more Services (NAME, svc/NAME), or select them with -l SELECTOR or --all.'],
      ['names and a selector', ['web'], {for: 'delete', selector: 'app=web'}, CliError, 'name cannot be provided when a selector is specified'],
    ]
    for (const [name, operands, more, type, message] of cases) {
      assert.throws(() => waitOptions(operands, flags(more)), (error: Error) => {
        assert.ok(error instanceof type, `${name}: ${error.constructor.name}`)
        if (message) assert.equal(error.message, message, name)
        return true
      }, name)
    }
  })
})

test('waitTimeout: Go durations, negative is a week', () => {
  assert.equal(waitTimeout('30s'), 30_000)
  assert.equal(waitTimeout('1m30s'), 90_000)
  assert.equal(waitTimeout('0'), 0)
  assert.equal(waitTimeout('-1s'), 168 * 3600_000)
  assert.equal(waitTimeout('-0s'), 0)
})

describe('waitOutput', () => {
  const svc = {metadata: {managedFields: [{manager: 'x'}], name: 'web', namespace: 'default'}, status: {loadBalancer: {ingress: [{ip: '10.0.0.1'}, {hostname: 'lb.example'}]}}}
  const slices: EndpointSlice[] = [{
    endpoints: [{addresses: ['10.1.0.5'], conditions: {ready: true}, nodeName: 'node-1', targetRef: {name: 'web-1'}}, {addresses: ['10.1.0.6'], conditions: {ready: false}}],
    ports: [{name: 'http', port: 8080, protocol: 'TCP'}],
  }]
  const cases: Array<[string, Parameters<typeof waitOutput>[1], string]> = [
    ['default', {condition: {kind: 'create'}}, 'service/web condition met\n'],
    ['loadbalancer prints the addresses', {condition: {kind: 'loadbalancer'}}, '10.0.0.1\nlb.example\n'],
    ['-o name', {condition: {kind: 'loadbalancer'}, format: 'name'}, 'service/web\n'],
    ['-o wide: the ready endpoints', {condition: {count: 1, kind: 'endpoints'}, format: 'wide'}, 'SERVICE   ENDPOINT   PORTS           NODE     POD\nweb       10.1.0.5   http:8080/TCP   node-1   web-1\n'],
  ]
  for (const [name, options, want] of cases) test(name, () => assert.equal(waitOutput('web', options, svc, slices), want))

  test('-o json drops managedFields and adds the kind', () => {
    const out = JSON.parse(waitOutput('web', {condition: {kind: 'create'}, format: 'json'}, svc, slices))
    assert.equal(out.kind, 'Service')
    assert.equal(out.metadata.managedFields, undefined)
  })
})
