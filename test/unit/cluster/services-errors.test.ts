// Field-error rendering and Status constructors (apimachinery field/errors.go, api/errors/errors.go).
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {
  aggregateMessage,
  alreadyExistsStatus,
  asJSON,
  badRequestStatus,
  conflictStatus,
  duplicate,
  errorBody,
  errorString,
  forbidden,
  goJSON,
  goQuote,
  internalErrorStatus,
  invalid,
  invalidStatus,
  notFound,
  notFoundStatus,
  notSupported,
  required,
  tooLong,
} from '../../cluster/services/index.ts'

describe('goQuote (strconv.Quote)', () => {
  const cases: Array<[string, string]> = [
    ['None', '"None"'],
    ['', '""'],
    ['a"b\\c', '"a\\"b\\\\c"'],
    ['tab\there\nnl', '"tab\\there\\nnl"'],
    ['\x07\b\f\r\v', '"\\a\\b\\f\\r\\v"'],
    ['\x01\x7f', '"\\x01\\x7f"'],
    ['héllo ☃', '"héllo ☃"'],
    ['\u00a0', '"\\u00a0"'],
    ['\u200b', '"\\u200b"'],
    ["it's <b>&", '"it\'s <b>&"'],
  ]
  for (const [input, want] of cases) it(JSON.stringify(input), () => assert.equal(goQuote(input), want))
})

describe('goJSON (encoding/json)', () => {
  it('escapes <, > and & like Go', () => assert.equal(goJSON(['<a>&']), '["\\u003ca\\u003e\\u0026"]'))
  it('keeps struct key order and nulls', () => assert.equal(goJSON({Name: '', AppProtocol: null, Port: 80}), '{"Name":"","AppProtocol":null,"Port":80}'))
  it('renders undefined as null', () => assert.equal(goJSON(undefined), 'null'))
})

describe('ErrorBody', () => {
  const cases: Array<[string, ReturnType<typeof required>, string]> = [
    ['Required', required('spec.type'), 'Required value'],
    ['Required with detail', required('metadata.name', 'name or generateName is required'), 'Required value: name or generateName is required'],
    ['Invalid int', invalid('spec.ports[0].port', 0, 'must be between 1 and 65535, inclusive'), 'Invalid value: 0: must be between 1 and 65535, inclusive'],
    ['Invalid bool', invalid('x', true, 'no'), 'Invalid value: true: no'],
    ['Invalid string uses %q', invalid('x', 'a"b', 'bad'), 'Invalid value: "a\\"b": bad'],
    ['Invalid slice is JSON', invalid('spec.clusterIPs', ['1.1.1.1'], 'bad'), 'Invalid value: ["1.1.1.1"]: bad'],
    ['Invalid named string type is JSON', invalid('x', asJSON('a<b'), 'bad'), 'Invalid value: "a\\u003cb": bad'],
    ['Invalid nil pointer', invalid('spec.ipFamilyPolicy', asJSON(null), 'bad'), 'Invalid value: null: bad'],
    ['NotSupported', notSupported('spec.type', asJSON('X'), ['A', 'B']), 'Unsupported value: "X": supported values: "A", "B"'],
    ['NotSupported without values', notSupported('spec.type', 'X', []), 'Unsupported value: "X"'],
    ['Duplicate', duplicate('spec.ports[1].nodePort', 30080), 'Duplicate value: 30080'],
    ['Forbidden', forbidden('spec.clusterIPs', 'may not be set for ExternalName services'), 'Forbidden: may not be set for ExternalName services'],
    ['TooLong', tooLong('metadata.annotations', 262144), 'Too long: may not be more than 262144 bytes'],
    ['TooLong, one byte', tooLong('x', 1), 'Too long: may not be more than 1 byte'],
    ['NotFound', notFound('x', 'y'), 'Not found: "y"'],
  ]
  for (const [name, e, want] of cases) it(name, () => assert.equal(errorBody(e), want))
  it('Error() prefixes the field', () => assert.equal(errorString(required('spec.ports')), 'spec.ports: Required value'))
})

describe('aggregates', () => {
  it('one message alone, several in brackets, duplicates once', () => {
    assert.equal(aggregateMessage([]), '')
    assert.equal(aggregateMessage([required('a')]), 'a: Required value')
    assert.equal(aggregateMessage([required('a'), required('b'), required('a')]), '[a: Required value, b: Required value]')
    assert.equal(aggregateMessage([required('a'), required('a')]), 'a: Required value')
  })
  it('invalidStatus keeps every cause but dedups the message', () => {
    const st = invalidStatus('Service', 'foo', [required('a'), required('a')])
    assert.equal(st.message, 'Service "foo" is invalid: a: Required value')
    assert.equal(st.details?.causes?.length, 2)
  })
  it('invalidStatus for another group and no causes', () => {
    assert.equal(
      JSON.stringify(invalidStatus('Deployment', 'd', [], 'apps')),
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Deployment.apps \\"d\\" is invalid","reason":"Invalid","details":{"name":"d","group":"apps","kind":"Deployment"},"code":422}',
    )
  })
})

describe('Status constructors', () => {
  it('NotFound', () =>
    assert.equal(
      JSON.stringify(notFoundStatus('services', 'foo')),
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"services \\"foo\\" not found","reason":"NotFound","details":{"name":"foo","kind":"services"},"code":404}',
    ))
  it('NotFound in a group', () =>
    assert.equal(notFoundStatus('deployments', 'x', 'apps').message, 'deployments.apps "x" not found'))
  it('AlreadyExists', () =>
    assert.equal(
      JSON.stringify(alreadyExistsStatus('services', 'foo')),
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"services \\"foo\\" already exists","reason":"AlreadyExists","details":{"name":"foo","kind":"services"},"code":409}',
    ))
  it('Conflict', () =>
    assert.equal(
      conflictStatus('services', 'foo', 'the object has been modified; please apply your changes to the latest version and try again').message,
      'Operation cannot be fulfilled on services "foo": the object has been modified; please apply your changes to the latest version and try again',
    ))
  it('InternalError', () =>
    assert.equal(
      JSON.stringify(internalErrorStatus('boom')),
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Internal error occurred: boom","reason":"InternalError","details":{"causes":[{"message":"boom"}]},"code":500}',
    ))
  it('BadRequest', () =>
    assert.equal(
      JSON.stringify(badRequestStatus('nope')),
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"nope","reason":"BadRequest","code":400}',
    ))
})
