import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import type {KubeClient} from '../../../src/kube/client.ts'
import {ApiError} from '../../../src/kube/errors.ts'
import {deletedMessage, isBrokenStream, serviceNames, waitForDeletion} from '../../../src/kube/service-ops.ts'
import {ConnectionError} from '../../../src/kube/errors.ts'

describe('serviceNames: kubectl argument spellings', () => {
  const table: [string[], string[]][] = [
    [[], []],
    [['web'], ['web']],
    [['web', 'api'], ['web', 'api']],
    [['svc'], []],
    [['services', 'web'], ['web']],
    [['service', 'web', 'api'], ['web', 'api']],
    [['svc/web', 'services/api'], ['web', 'api']],
    [['svc', 'svc/svc'], ['svc']],
  ]
  for (const [args, names] of table) it(JSON.stringify(args), () => assert.deepEqual(serviceNames(args).names, names))
  it('refuses other types', () => {
    assert.throws(() => serviceNames(['pods/web']), /svc works with Services only; "pods" is not a Service type/)
    assert.throws(() => serviceNames(['svc/']), /must have a single resource and name/)
  })
})

describe('delete helpers', () => {
  it('prints kubectl 1.35 messages', () => {
    assert.equal(deletedMessage('web', 'default', {dryRun: 'none'}), 'service "web" deleted from default namespace\n')
    assert.equal(deletedMessage('web', 'prod', {dryRun: 'client'}), 'service "web" deleted from prod namespace (dry run)\n')
    assert.equal(deletedMessage('web', 'default', {dryRun: 'server'}), 'service "web" deleted from default namespace (server dry run)\n')
    assert.equal(deletedMessage('web', 'default', {dryRun: 'none', gracePeriod: 0}), 'service "web" force deleted from default namespace\n')
    assert.equal(deletedMessage('web', 'default', {dryRun: 'server', output: 'name'}), 'service/web\n')
  })

  function fakeClient(answers: (() => unknown)[]): {calls: number; client: KubeClient} {
    const state = {calls: 0, client: undefined as unknown as KubeClient}
    state.client = {
      request: async () => {
        const answer = answers[Math.min(state.calls++, answers.length - 1)]
        return {body: answer(), headers: {}, statusCode: 200}
      },
    } as unknown as KubeClient
    return state
  }
  const notFound = () => {
    throw new ApiError(404, {code: 404, message: 'services "web" not found', reason: 'NotFound'})
  }

  it('waits until the Service is gone', async () => {
    const fake = fakeClient([() => ({metadata: {uid: 'u1'}}), () => ({metadata: {uid: 'u1'}}), notFound])
    await waitForDeletion(fake.client, 'default', 'web', 'u1', 10_000)
    assert.equal(fake.calls, 3)
  })
  it('a new Service with the same name counts as gone', async () => {
    const fake = fakeClient([() => ({metadata: {uid: 'u2'}})])
    await waitForDeletion(fake.client, 'default', 'web', 'u1', 10_000)
    assert.equal(fake.calls, 1)
  })
  it('gives up with kubectl\'s timeout text', async () => {
    const fake = fakeClient([() => ({metadata: {uid: 'u1'}})])
    await assert.rejects(waitForDeletion(fake.client, 'default', 'web', 'u1', 150), {message: 'timed out waiting for the condition on services/web'})
  })
})

describe('isBrokenStream', () => {
  it('reopens after wire failures only', () => {
    assert.equal(isBrokenStream(new Error('aborted')), true)
    assert.equal(isBrokenStream(Object.assign(new Error('read ECONNRESET'), {code: 'ECONNRESET'})), true)
    assert.equal(isBrokenStream(new ConnectionError('127.0.0.1:1', 'ECONNREFUSED', 'refused')), true)
    assert.equal(isBrokenStream(new ApiError(403, {code: 403, reason: 'Forbidden'})), false)
    assert.equal(isBrokenStream(new Error('watch event larger than 16 MiB')), false)
  })
})
