import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {ApiError, CliError, ConnectionError, renderError, renderStatus, statusFromBody, UsageError} from '../../../src/kube/errors.ts'

const ctx = {commandPath: 'svc create clusterip'}

describe('renderStatus', () => {
  const cases: Array<[string, Parameters<typeof renderStatus>[0], string]> = [
    ['NotFound', {code: 404, details: {kind: 'services', name: 'web'}, message: 'services "web" not found', reason: 'NotFound'}, 'Error from server (NotFound): services "web" not found'],
    ['AlreadyExists', {code: 409, message: 'services "web" already exists', reason: 'AlreadyExists'}, 'Error from server (AlreadyExists): services "web" already exists'],
    ['Conflict', {code: 409, message: 'Operation cannot be fulfilled on services "web": the object has been modified; please apply your changes to the latest version and try again', reason: 'Conflict'},
      'Error from server (Conflict): Operation cannot be fulfilled on services "web": the object has been modified; please apply your changes to the latest version and try again'],
    ['Forbidden', {code: 403, message: 'services is forbidden: User "readonly" cannot create resource "services" in API group "" in the namespace "default"', reason: 'Forbidden'},
      'Error from server (Forbidden): services is forbidden: User "readonly" cannot create resource "services" in API group "" in the namespace "default"'],
    ['BadRequest', {code: 400, message: 'the server rejected our request', reason: 'BadRequest'}, 'Error from server (BadRequest): the server rejected our request'],
    ['MethodNotAllowed', {code: 405, message: 'the server does not allow this method on the requested resource', reason: 'MethodNotAllowed'}, 'Error from server (MethodNotAllowed): the server does not allow this method on the requested resource'],
    ['no reason', {code: 500, message: 'boom'}, 'Error from server: boom'],
    ['Unauthorized', {code: 401, message: 'Unauthorized', reason: 'Unauthorized'}, 'error: You must be logged in to the server (Unauthorized)'],
    ['Invalid, one cause', {
      code: 422,
      details: {causes: [{field: 'spec.ports[0].port', message: 'Invalid value: 0: must be between 1 and 65535, inclusive', reason: 'FieldValueInvalid'}], kind: 'Service', name: 'foo'},
      message: 'Service "foo" is invalid: spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive',
      reason: 'Invalid',
    }, 'The Service "foo" is invalid: spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive'],
    ['Invalid, several causes, duplicates dropped', {
      code: 422,
      details: {causes: [
        {field: 'spec.ports[0].port', message: 'Invalid value: 0: must be between 1 and 65535, inclusive'},
        {field: 'metadata.name', message: 'Required value'},
        {field: 'metadata.name', message: 'Required value'},
      ], kind: 'Service', name: 'foo'},
      message: 'Service "foo" is invalid: [...]',
      reason: 'Invalid',
    }, 'The Service "foo" is invalid: \n* spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive\n* metadata.name: Required value'],
    ['Invalid, no details', {code: 422, message: 'bad', reason: 'Invalid'}, 'The request is invalid: bad'],
  ]
  for (const [name, status, expected] of cases) {
    test(name, () => assert.equal(renderStatus(status), expected))
  }
})

describe('statusFromBody', () => {
  test('parses a Status body', () => {
    const body = JSON.stringify({apiVersion: 'v1', code: 404, kind: 'Status', message: 'services "x" not found', reason: 'NotFound', status: 'Failure'})
    assert.equal(statusFromBody(404, body).reason, 'NotFound')
    assert.equal(statusFromBody(404, Buffer.from(body)).message, 'services "x" not found')
  })
  test('makes a Status from a bare code', () => {
    assert.deepEqual(statusFromBody(401, undefined), {code: 401, kind: 'Status', message: 'the server has asked for the client to provide credentials', reason: 'Unauthorized', status: 'Failure'})
    assert.equal(statusFromBody(503, 'upstream down').message, 'the server is currently unable to handle the request (upstream down)')
    assert.equal(statusFromBody(404, '{"kind":"Other"}').reason, 'NotFound')
  })
})

describe('renderError', () => {
  const cases: Array<[string, unknown, string]> = [
    ['ApiError', new ApiError(404, {message: 'services "web" not found', reason: 'NotFound'}), 'Error from server (NotFound): services "web" not found'],
    ['refused', new ConnectionError('127.0.0.1:6443', 'ECONNREFUSED', 'dial tcp 127.0.0.1:6443: connect: connection refused'),
      'The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?'],
    ['tls', new ConnectionError('127.0.0.1:6443', 'SELF_SIGNED_CERT_IN_CHAIN', 'tls: failed to verify certificate: x509: certificate signed by unknown authority'),
      'Unable to connect to the server: tls: failed to verify certificate: x509: certificate signed by unknown authority'],
    ['usage', new UsageError('exactly one NAME is required, got 0'), "error: exactly one NAME is required, got 0\nSee 'svc create clusterip -h' for help and examples"],
    ['cli', new CliError('no kubeconfig found'), 'error: no kubeconfig found'],
    ['prefixed already', new Error('error: boom'), 'error: boom'],
    ['plain', new Error('boom'), 'error: boom'],
    ['a string', 'boom', 'error: boom'],
    ['flag parser', new Error('Parsing --request-timeout \n\tinvalid duration "5x"\nSee more help with --help'),
      "error: invalid value for --request-timeout: invalid duration \"5x\"\nSee 'svc create clusterip --help' for usage."],
  ]
  for (const [name, err, expected] of cases) {
    test(name, () => assert.deepEqual(renderError(err, ctx), {exitCode: 1, text: expected}))
  }
  test('CliError keeps its exit code', () => assert.equal(renderError(new CliError('x', 3), ctx).exitCode, 3))
  test('no stack trace unless -v asks', () => {
    assert.doesNotMatch(renderError(new Error('boom'), ctx).text, /at /)
    assert.match(renderError(new Error('boom'), {...ctx, verbosity: 1}).text, /\n\s+at /)
  })
})
