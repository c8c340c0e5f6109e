// SelfSubjectAccessReview (what `kubectl auth can-i` sends) on each cluster, the real kube-apiserver
// 1.35 being the judge: pkg/registry/authorization/selfsubjectaccessreview/rest.go REST.Create
// validates the spec, runs the requesting user's attributes through the authorizer (RBAC; the
// privileged-group authorizer for system:masters, with no reason) and answers 201 with the decision
// and RBAC's reason; every authenticated user may create one (bootstrap policy system:basic-user)
// and get the discovery paths (system:discovery). The differential suite runs kubectl auth can-i
// itself against both.

import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {after, before, describe, it} from 'node:test'

import {KubeConfig} from '@kubernetes/client-node'

import {KubeClient} from '../../src/kube/client.ts'
import type {ApiError} from '../../src/kube/errors.ts'
import {clusterKinds, startTestCluster, type TestCluster, type TestUser} from '../helpers/test-cluster.ts'

const PATH = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews'

async function review(c: TestCluster, user: TestUser, spec: unknown): Promise<{code: number; body: any}> {
  const kc = new KubeConfig()
  kc.loadFromString(readFileSync(c.kubeconfig(user), 'utf8'))
  const client = new KubeClient(kc, {timeoutMs: 10_000})
  return client.request<any>({body: {apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec}, method: 'POST', path: PATH})
    .then(ok => ({body: ok.body, code: ok.statusCode}), (error: ApiError) => ({body: error.status, code: error.code}))
}

const rbac = (binding: string, subject: string) => `RBAC: allowed by ClusterRoleBinding "${binding}" of ClusterRole "${binding}" to ${subject}`

for (const kind of clusterKinds()) {
  describe(`SelfSubjectAccessReview on the ${kind} cluster`, () => {
    let c: TestCluster
    before(async () => {
      c = await startTestCluster(kind)
    })
    after(() => c?.stop())

    const cases: Array<[TestUser, Record<string, unknown>, Record<string, unknown>]> = [
      ['token', {resourceAttributes: {resource: 'pods', verb: 'get'}}, {allowed: true}],
      ['readonly', {resourceAttributes: {resource: 'pods', verb: 'get'}}, {allowed: true, reason: rbac('svc-test:readonly', 'User "readonly"')}],
      ['readonly', {resourceAttributes: {resource: 'pods', verb: 'create'}}, {allowed: false}],
      ['create-only', {resourceAttributes: {namespace: 'default', resource: 'pods', subresource: 'portforward', verb: 'create'}}, {allowed: true, reason: rbac('svc-test:create-only', 'User "create-only"')}],
      ['get-only', {resourceAttributes: {namespace: 'default', resource: 'pods', subresource: 'portforward', verb: 'create'}}, {allowed: false}],
      ['readonly', {nonResourceAttributes: {path: '/api/v1', verb: 'get'}}, {allowed: true, reason: rbac('system:discovery', 'Group "system:authenticated"')}],
      ['readonly', {nonResourceAttributes: {path: '/logs', verb: 'get'}}, {allowed: false}],
    ]
    for (const [user, spec, status] of cases) {
      it(`${user}: ${JSON.stringify(spec)}`, async () => {
        const r = await review(c, user, spec)
        assert.equal(r.code, 201, JSON.stringify(r.body))
        assert.deepEqual(r.body.status, status)
        assert.deepEqual(r.body.spec, spec)
      })
    }

    it('an empty spec, and both kinds of attributes, are refused as the registry validates them', async () => {
      const empty = await review(c, 'token', {})
      assert.equal(empty.code, 422)
      assert.equal(empty.body.message, '.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be specified')
      assert.deepEqual(empty.body.details, {causes: [{field: 'spec.resourceAttributes', message: 'Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be specified', reason: 'FieldValueInvalid'}], group: 'authorization.k8s.io'})
      const both = await review(c, 'token', {nonResourceAttributes: {path: '/api', verb: 'get'}, resourceAttributes: {resource: 'pods', verb: 'get'}})
      assert.equal(both.code, 422)
      assert.equal(both.body.message, '.authorization.k8s.io "" is invalid: spec.nonResourceAttributes: Invalid value: {"Path":"/api","Verb":"get"}: cannot be specified in combination with resourceAttributes')
    })
  })
}
