// Name validators with apimachinery's exact texts, and the ObjectMeta checks other kinds reuse.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {
  errorString,
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
  isValidPortName,
  nameIsDNSSubdomain,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from '../../cluster/services/index.ts'

const DNS1035 =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
const DNS1123_LABEL =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
const DNS1123_SUBDOMAIN =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"

describe('IsDNS1035Label', () => {
  const cases: Array<[string, string[]]> = [
    ['my-name', []],
    ['a', []],
    ['abc-123', []],
    ['1abc', [DNS1035]],
    ['My_svc', [DNS1035]],
    ['abc-', [DNS1035]],
    ['', [DNS1035]],
    ['a'.repeat(63), []],
    ['a'.repeat(64), ['must be no more than 63 characters']],
    ['-'.repeat(64), ['must be no more than 63 characters', DNS1035]],
  ]
  for (const [v, want] of cases) it(JSON.stringify(v.length > 20 ? `${v.slice(0, 5)}…(${v.length})` : v), () => assert.deepEqual(isDNS1035Label(v), want))
})

describe('IsDNS1123Label and IsDNS1123Subdomain', () => {
  it('labels may start with a digit', () => assert.deepEqual(isDNS1123Label('5678-8080'), []))
  it('labels may not contain dots', () => assert.deepEqual(isDNS1123Label('a.b'), ['must not contain dots']))
  it('labels may not contain upper case', () => assert.deepEqual(isDNS1123Label('Ab'), [DNS1123_LABEL]))
  it('subdomains allow dots', () => assert.deepEqual(isDNS1123Subdomain('bar.example.com'), []))
  it('subdomains refuse a trailing dot', () => assert.deepEqual(isDNS1123Subdomain('bar.com.'), [DNS1123_SUBDOMAIN]))
  it('subdomains are at most 253 characters', () =>
    assert.deepEqual(isDNS1123Subdomain(`${'a'.repeat(63)}.`.repeat(4).slice(0, 254)), ['must be no more than 253 characters']))
})

describe('IsValidPortName (IANA service names)', () => {
  const cases: Array<[string, string[]]> = [
    ['http', []],
    ['h2c', []],
    ['web-8080', []],
    ['https-alternate', []],
    ['https-alternate1', ['must be no more than 15 characters']],
    ['HTTP', ['must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)', 'must contain at least one letter (a-z)']],
    ['8080', ['must contain at least one letter (a-z)']],
    ['a--b', ['must not contain consecutive hyphens']],
    ['-abc', ['must not begin or end with a hyphen']],
    [
      '',
      ['must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)', 'must contain at least one letter (a-z)'],
    ],
  ]
  for (const [v, want] of cases) it(JSON.stringify(v), () => assert.deepEqual(isValidPortName(v), want))
})

describe('qualified names and label values', () => {
  it('accepts prefixed keys', () => assert.deepEqual(isQualifiedName('app.kubernetes.io/name'), []))
  it('refuses an empty prefix', () => assert.deepEqual(isQualifiedName('/name'), ['prefix part must be non-empty']))
  it('refuses a bad prefix', () =>
    assert.deepEqual(isQualifiedName('Example.com/name'), [
      `prefix part ${DNS1123_SUBDOMAIN}`,
    ]))
  it('refuses an empty name part', () =>
    assert.deepEqual(isQualifiedName(''), [
      'name part must be non-empty',
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    ]))
  it('label values may be empty', () => assert.deepEqual(isValidLabelValue(''), []))
  it('label values are at most 63 characters', () => assert.deepEqual(isValidLabelValue('a'.repeat(64)), ['must be no more than 63 characters']))
})

describe('ValidateObjectMeta for other kinds', () => {
  it('a DNS subdomain name, namespaced', () => {
    assert.deepEqual(validateObjectMeta({name: 'web.v1', namespace: 'default'}, true, nameIsDNSSubdomain).map(errorString), [])
  })
  it('generateName is checked with the trailing dash masked', () => {
    assert.deepEqual(validateObjectMeta({generateName: 'web-', name: 'web-abcde', namespace: 'default'}, true, nameIsDNSSubdomain).map(errorString), [])
    assert.deepEqual(validateObjectMeta({generateName: 'Web-', name: 'web-abcde', namespace: 'default'}, true, nameIsDNSSubdomain).map(errorString), [
      `metadata.generateName: Invalid value: "Web-": ${DNS1123_SUBDOMAIN}`,
    ])
  })
  it('a namespace on a cluster-scoped kind is forbidden', () => {
    assert.deepEqual(validateObjectMeta({name: 'n1', namespace: 'x'}, false, nameIsDNSSubdomain).map(errorString), [
      'metadata.namespace: Forbidden: not allowed on this type',
    ])
  })
  it('negative generation, conflicting finalizers, ownerReferences without fields', () => {
    assert.deepEqual(
      validateObjectMeta(
        {name: 'a', namespace: 'd', generation: -1, finalizers: ['orphan', 'foregroundDeletion'], ownerReferences: [{apiVersion: 'apps/v1', kind: 'ReplicaSet'}]},
        true,
        nameIsDNSSubdomain,
      ).map(errorString),
      [
        'metadata.generation: Invalid value: -1: must be greater than or equal to 0',
        'metadata.ownerReferences.name: Invalid value: "": must not be empty',
        'metadata.ownerReferences.uid: Invalid value: "": must not be empty',
        'metadata.finalizers: Invalid value: ["orphan","foregroundDeletion"]: finalizer orphan and foregroundDeletion cannot be both set',
      ],
    )
  })
  it('oversized annotations', () => {
    assert.deepEqual(validateObjectMeta({name: 'a', namespace: 'd', annotations: {big: 'x'.repeat(256 * 1024)}}, true, nameIsDNSSubdomain).map(errorString), [
      'metadata.annotations: Too long: may not be more than 262144 bytes',
    ])
  })
  it('update: generation may not decrease, deletion fields are immutable', () => {
    assert.deepEqual(
      validateObjectMetaUpdate(
        {name: 'a', namespace: 'd', resourceVersion: '2', generation: 1, deletionTimestamp: '2026-01-01T00:00:00Z'},
        {name: 'a', namespace: 'd', generation: 2},
      ).map(errorString),
      [
        'metadata.generation: Invalid value: 1: must not be decremented',
        'metadata.deletionTimestamp: Invalid value: "2026-01-01T00:00:00Z": field is immutable',
      ],
    )
  })
  it('update: no new finalizers while deleting', () => {
    assert.deepEqual(
      validateObjectMetaUpdate(
        {name: 'a', namespace: 'd', resourceVersion: '2', finalizers: ['a.io/x', 'b.io/y'], deletionTimestamp: 't'},
        {name: 'a', namespace: 'd', finalizers: ['a.io/x'], deletionTimestamp: 't'},
      ).map(errorString),
      ['metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"b.io/y"}'],
    )
  })
})
