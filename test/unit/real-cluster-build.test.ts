import assert from 'node:assert/strict'
import {test} from 'node:test'

import {clusterKinds} from '../helpers/test-cluster.ts'
import {DEFAULT_KUBE_VERSION, kubeLdflags} from '../real-cluster/build.ts'

test('kubeLdflags sets the release version variables the Kubernetes release build sets, in both version packages', () => {
  const flags = kubeLdflags('1.35.4')
  for (const pkg of ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']) {
    assert.ok(flags.includes(`-X ${pkg}.gitVersion=v1.35.4`), flags)
    assert.ok(flags.includes(`-X ${pkg}.gitMajor=1`), flags)
    assert.ok(flags.includes(`-X ${pkg}.gitMinor=35`), flags)
    assert.ok(flags.includes(`-X ${pkg}.gitTreeState=clean`), flags)
  }
  assert.match(flags, /^-s -w /)
  assert.equal(DEFAULT_KUBE_VERSION.split('.').slice(0, 2).join('.'), '1.35')
})

test('SVC_TEST_CLUSTER picks the clusters a test body runs on', t => {
  const before = process.env.SVC_TEST_CLUSTER
  t.after(() => {
    if (before === undefined) delete process.env.SVC_TEST_CLUSTER
    else process.env.SVC_TEST_CLUSTER = before
  })
  const cases: Array<[string | undefined, string[] | RegExp]> = [
    [undefined, ['local']], ['local', ['local']], ['real', ['real']], ['both', ['local', 'real']], ['kind', /want local, real or both/],
  ]
  for (const [value, want] of cases) {
    if (value === undefined) delete process.env.SVC_TEST_CLUSTER
    else process.env.SVC_TEST_CLUSTER = value
    if (want instanceof RegExp) assert.throws(() => clusterKinds(), want)
    else assert.deepEqual(clusterKinds(), want)
  }
})
