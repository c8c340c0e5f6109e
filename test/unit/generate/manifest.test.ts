import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {checkServiceManifest, describeOrigin, parseManifest} from '../../../src/generate/manifest.ts'

const svc = (spec: unknown, metadata: unknown = {name: 'web'}) => ({apiVersion: 'v1', kind: 'Service', metadata, spec})

describe('parseManifest', () => {
  it('splits YAML documents, skips empty ones, flattens Lists and reads JSON', () => {
    const text = '---\n# nothing\n---\napiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\n{"apiVersion":"v1","kind":"List","items":[{"kind":"Service"},{"kind":"Pod"}]}\n'
    const docs = parseManifest('f.yaml', text)
    assert.deepEqual(docs.map(describeOrigin), ['f.yaml: document 2', 'f.yaml: document 3, item 1', 'f.yaml: document 3, item 2'])
  })
  it('names the source of a syntax error', () => {
    assert.throws(() => parseManifest('bad.yaml', 'a: [1,\n'), {message: /^bad\.yaml: not valid YAML or JSON: /})
    assert.throws(() => parseManifest('s.yaml', '- 1\n'), {message: 's.yaml: document 1: expected an object with apiVersion and kind, got a list'})
  })
})

describe('checkServiceManifest', () => {
  const table: Array<[string, unknown, string[]]> = [
    ['a valid service', svc({ports: [{port: 80, targetPort: 'http'}], selector: {app: 'web'}}), []],
    ['headless without ports', svc({clusterIP: 'None'}), []],
    ['not a Service', {apiVersion: 'apps/v1', kind: 'Deployment'}, [': is a Deployment (apps/v1), not a Service (apiVersion: v1, kind: Service): svc create -f creates Services only; use kubectl apply -f for other kinds']],
    ['ports', svc({ports: [{port: 70000}, {port: 80, nodePort: 80, targetPort: '8080'}]}), [
      'spec.ports[0].name: Required value: every port needs a name when there are several',
      'spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive',
      'spec.ports[1].name: Required value: every port needs a name when there are several',
      'spec.ports[1].targetPort: Invalid value: "8080": write a number without quotes, or an IANA port name',
      'spec.ports[1].nodePort: Forbidden: may not be used when `type` is \'ClusterIP\'; use type: NodePort or LoadBalancer, or remove nodePort',
    ]],
    ['node port range', svc({ports: [{port: 80, nodePort: 80}], type: 'NodePort'}), ['spec.ports[0].nodePort: Invalid value: 80: must be between 30000 and 32767 (the default range); remove it to let the cluster pick one, or pass --validate=ignore if your cluster uses another range']],
    ['external name', svc({externalName: 'Bad_', type: 'ExternalName'}), ['spec.externalName: Invalid value: "Bad_": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character (e.g. \'example.com\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\')']],
    ['type and protocol', svc({ports: [{port: 80, protocol: 'tcp'}], type: 'Foo'}), [
      'spec.type: Unsupported value: "Foo": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
      'spec.ports[0].protocol: Unsupported value: "tcp": supported values: "SCTP", "TCP", "UDP"',
    ]],
    ['affinity timeout', svc({ports: [{port: 80}], sessionAffinity: 'ClientIP', sessionAffinityConfig: {clientIP: {timeoutSeconds: 0}}}), ['spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 0: must be greater than 0 and less than 86400']],
    ['name', svc({ports: [{port: 80}]}, {name: 'Web'}), ['metadata.name: Invalid value: "Web": a DNS-1035 label must consist of lower case alphanumeric characters or \'-\', start with an alphabetic character, and end with an alphanumeric character (e.g. \'my-name\',  or \'abc-123\', regex used for validation is \'[a-z]([-a-z0-9]*[a-z0-9])?\')']],
  ]
  for (const [title, obj, want] of table) {
    it(title, () => assert.deepEqual(checkServiceManifest(obj).map(p => `${p.field}: ${p.message}`), want))
  }
  it('--validate=ignore skips the node port range', () => {
    assert.deepEqual(checkServiceManifest(svc({ports: [{port: 80, nodePort: 80}], type: 'NodePort'}), {skipRangeChecks: true}), [])
  })
})
