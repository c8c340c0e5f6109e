import assert from 'node:assert/strict'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {describe, it} from 'node:test'

import {CliError} from '../../../src/kube/errors.ts'
import {
  escapeExtraKey, impersonationFromFiles, impersonationHeaders, NO_IMPERSONATION, resolveImpersonation,
} from '../../../src/kube/impersonation.ts'

describe('impersonation headers (client-go transport ImpersonatingRoundTripper)', () => {
  it('one header per group and per extra value; none without a user', () => {
    assert.deepEqual(impersonationHeaders({extra: {scopes: ['view', 'edit'], 'example.com/team': ['a']}, groups: ['devs', 'ops'], uid: '1234', user: 'jane'}), {
      'Impersonate-Extra-example.com%2Fteam': ['a'],
      'Impersonate-Extra-scopes': ['view', 'edit'],
      'Impersonate-Group': ['devs', 'ops'],
      'Impersonate-Uid': '1234',
      'Impersonate-User': 'jane',
    })
    assert.deepEqual(impersonationHeaders(NO_IMPERSONATION), {})
  })

  // client-go transport/round_trippers.go headerKeyEscape and its test table.
  const escapes: Array<[string, string]> = [
    ['scopes', 'scopes'],
    ['example.com/foo', 'example.com%2Ffoo'],
    ['a b', 'a%20b'],
    ['100%', '100%25'],
    ['résumé', 'r%C3%A9sum%C3%A9'],
    ["!#$&'*+-.^_`|~", "!#$&'*+-.^_`|~"],
  ]
  for (const [key, escaped] of escapes) {
    it(`escapes extra key ${JSON.stringify(key)}`, () => assert.equal(escapeExtraKey(key), escaped))
  }
})

describe('impersonation settings: kubeconfig fields, flags over them', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'svc-imp-'))
  const first = path.join(dir, 'a.yaml')
  const second = path.join(dir, 'b.yaml')
  writeFileSync(first, 'users:\n- name: alice\n  user:\n    token: t\n    as: jane\n    as-uid: "42"\n    as-groups: [devs, ops]\n    as-user-extra:\n      scopes: [view]\n')
  writeFileSync(second, 'users:\n- name: alice\n  user:\n    as: someone-else\n- name: bob\n  user:\n    token: u\n')

  it('reads as, as-uid, as-groups and as-user-extra from the first file defining the user', () => {
    assert.deepEqual(impersonationFromFiles([first, second], 'alice'), {extra: {scopes: ['view']}, groups: ['devs', 'ops'], uid: '42', user: 'jane'})
    assert.deepEqual(impersonationFromFiles([first, second], 'bob'), NO_IMPERSONATION)
    assert.deepEqual(impersonationFromFiles([second], 'alice'), {extra: {}, groups: [], uid: '', user: 'someone-else'})
  })

  it('each flag replaces its own field', () => {
    const config = impersonationFromFiles([first], 'alice')
    assert.deepEqual(resolveImpersonation(config, {as: 'root'}, 'alice'), {...config, user: 'root'})
    assert.deepEqual(resolveImpersonation(config, {asGroup: ['x']}, 'alice'), {...config, groups: ['x']})
    assert.deepEqual(resolveImpersonation(NO_IMPERSONATION, {as: 'a', asGroup: ['g1', 'g2'], asUid: 'u'}, 'bob'), {extra: {}, groups: ['g1', 'g2'], uid: 'u', user: 'a'})
  })

  it('groups or a uid without a user is an error, as clientcmd validateAuthInfo says', () => {
    assert.throws(() => resolveImpersonation(NO_IMPERSONATION, {asGroup: ['devs']}, 'bob'), (error: Error) =>
      error instanceof CliError && error.message === 'invalid configuration: requesting uid, groups or user-extra for bob without impersonating a user: pass --as USER, or set "as" in the kubeconfig user')
    assert.throws(() => resolveImpersonation(NO_IMPERSONATION, {asUid: '1'}, 'bob'), CliError)
  })
})
