import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import type {KubeClient} from '../../../src/kube/client.ts'
import {ApiError} from '../../../src/kube/errors.ts'
import {deletedMessage, isBrokenStream, serviceNames, waitForDeletion} from '../../../src/kube/service-ops.ts'
import {ConnectionError} from '../../../src/kube/errors.ts'
import {effectiveGracePeriod, parseCascade} from '../../../src/flags/delete.ts'
import {groupKind, groupResource, isServiceType, resolveResourceType} from '../../../src/kube/resource-types.ts'

describe('resource type words, as kubectl reads them', () => {
  const table: [string, string | undefined][] = [
    ['pods', 'pods'], ['pod', 'pods'], ['po', 'pods'], ['PODS', 'pods'], ['pods.', 'pods'], ['pods.v1.', 'pods'], ['pods.v1', undefined],
    ['deploy', 'deployments.apps'], ['deployment.apps', 'deployments.apps'], ['deploy.v1.apps', 'deployments.apps'], ['deploy.v2.apps', undefined],
    ['ing', 'ingresses.networking.k8s.io'], ['ingress.networking.k8s.io', 'ingresses.networking.k8s.io'], ['ingresses.v1.networking.k8s.io', 'ingresses.networking.k8s.io'],
    ['ev', 'events'], ['events.events.k8s.io', 'events.events.k8s.io'], ['crds', 'customresourcedefinitions.apiextensions.k8s.io'],
    ['web', undefined], ['api', undefined], ['', undefined], ['.apps', undefined],
  ]
  for (const [word, resource] of table) {
    it(JSON.stringify(word), () => {
      const r = resolveResourceType(word)
      assert.equal(r && groupResource(r), resource)
    })
  }
  it('knows the Service spellings and GroupKinds', () => {
    for (const w of ['svc', 'service', 'services', 'Services', 'svc.v1.', 'service.']) assert.ok(isServiceType(w), w)
    for (const w of ['pods', 'web', 'services.v1', 'svc.apps']) assert.ok(!isServiceType(w), w)
    assert.equal(groupKind(resolveResourceType('ing')!), 'Ingress.networking.k8s.io')
    assert.equal(groupKind(resolveResourceType('cm')!), 'ConfigMap')
  })
})

describe('delete flags', () => {
  it('--cascade values and the deprecated booleans', () => {
    assert.deepEqual(parseCascade('background'), {policy: 'Background'})
    assert.deepEqual(parseCascade('foreground'), {policy: 'Foreground'})
    assert.deepEqual(parseCascade('orphan'), {policy: 'Orphan'})
    assert.deepEqual(parseCascade('false'), {policy: 'Orphan', warning: 'warning: --cascade=false is deprecated (boolean value) and can be replaced with --cascade=orphan.'})
    assert.deepEqual(parseCascade('1'), {policy: 'Background', warning: 'warning: --cascade=true is deprecated (boolean value) and can be replaced with --cascade=background.'})
    assert.throws(() => parseCascade('Orphan'), {message: 'invalid cascade value (Orphan). Must be "background", "foreground", or "orphan"'})
  })
  it('--now, --grace-period and --force', () => {
    assert.equal(effectiveGracePeriod(-1, false, false), -1)
    assert.equal(effectiveGracePeriod(0, false, false), 1)
    assert.equal(effectiveGracePeriod(0, false, true), 0)
    assert.equal(effectiveGracePeriod(-1, false, true), 0)
    assert.equal(effectiveGracePeriod(-1, true, false), 1)
    assert.equal(effectiveGracePeriod(5, false, true), 5)
    assert.throws(() => effectiveGracePeriod(0, true, false), {message: '--now and --grace-period cannot be specified together'})
  })
})

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
    [['Service', 'web'], ['web']],
    [['SVC', 'web'], ['web']],
    [['services.v1.', 'web'], ['web']],
    [['svc.', 'web'], ['web']],
    [['svc,services', 'web'], ['web']],
    [['svc/pods', 'pods'], ['pods', 'pods']],
    [['web', 'web'], ['web', 'web']],
    [['web', 'pods'], ['web', 'pods']],
    [['Service/web'], ['web']],
  ]
  for (const [args, names] of table) it(JSON.stringify(args), () => assert.deepEqual(serviceNames(args).names, names))
  it('refuses other types', () => {
    assert.throws(() => serviceNames(['pods/web']), /svc works with Services only; "pods" is not a Service type/)
    assert.throws(() => serviceNames(['svc/']), /must have a single resource and name/)
    for (const [word, type] of [['pods', 'pods'], ['po', 'po'], ['Pod', 'Pod'], ['deploy', 'deploy'], ['deployments.apps', 'deployments.apps'],
      ['deployments.v1.apps', 'deployments.v1.apps'], ['ing.networking.k8s.io', 'ing.networking.k8s.io'], ['svc,pods', 'pods'], ['cm', 'cm'], ['svc,nosuch', 'nosuch']]) {
      assert.throws(() => serviceNames([word, 'web']), {message: `svc works with Services only; "${type}" is not a Service type (use NAME or svc/NAME)`}, word)
    }
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
