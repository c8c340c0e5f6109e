import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {goAtoi, goParseUint16, parseAllPorts, parsePortSpecs} from '../../../src/generate/ports.ts'
import {buildService, parseLabelFlag, type ServiceOptions, validateServiceOptions} from '../../../src/generate/service.ts'
import {isDNS1035Label, isIP, isQualifiedName, isValidPortName, suggestDNS1035} from '../../../src/generate/validation.ts'

describe('parsePortSpecs (kubectl create_service_test.go)', () => {
  it('names ports after the spec and defaults targetPort to port', () => {
    assert.deepEqual(parsePortSpecs(['456', '321:908']), [
      {name: '456', port: 456, protocol: 'TCP', targetPort: 456},
      {name: '321-908', port: 321, protocol: 'TCP', targetPort: 908},
    ])
  })
  it('keeps named target ports and copies --node-port to every port', () => {
    assert.deepEqual(parsePortSpecs(['443:https', '30000:8000'], 'TCP', 0), [
      {name: '443-https', port: 443, protocol: 'TCP', targetPort: 'https'},
      {name: '30000-8000', port: 30000, protocol: 'TCP', targetPort: 8000},
    ])
    assert.deepEqual(parsePortSpecs(['80:http'], 'TCP', 4444), [{name: '80-http', nodePort: 4444, port: 80, protocol: 'TCP', targetPort: 'http'}])
  })
  it('ignores everything after the second colon and accepts port 0', () => {
    assert.deepEqual(parsePortSpecs(['80:8080:9', '0']), [
      {name: '80-8080-9', port: 80, protocol: 'TCP', targetPort: 8080},
      {name: '0', port: 0, protocol: 'TCP', targetPort: 0},
    ])
  })
  const errors: Array<[string, string]> = [
    ['65536', 'strconv.ParseUint: parsing "65536": value out of range'],
    ['abc', 'strconv.ParseUint: parsing "abc": invalid syntax'],
    ['', 'strconv.ParseUint: parsing "": invalid syntax'],
    ['80:0', 'must be between 1 and 65535, inclusive'],
    ['80:-abc', 'must not begin or end with a hyphen'],
    ['80:ABCDEFGHIJKLMNOPQRST', 'must be no more than 15 characters,must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-),must contain at least one letter (a-z)'],
    ['80:a--b', 'must not contain consecutive hyphens'],
  ]
  for (const [spec, msg] of errors) it(`--tcp=${spec}: ${msg}`, () => assert.throws(() => parsePortSpecs([spec]), {message: msg}))

  it('names a UDP or SCTP port with the protocol when the TCP name is taken', () => {
    assert.deepEqual(parseAllPorts({sctp: ['9'], tcp: ['53'], udp: ['53', '123']}).map(p => `${p.name}/${p.protocol}`), ['53/TCP', '53-udp/UDP', '123/UDP', '9/SCTP'])
  })
  it('Go number parsing texts', () => {
    assert.equal(goParseUint16('65535'), 65535)
    assert.throws(() => goAtoi('x'), {message: 'strconv.Atoi: parsing "x": invalid syntax'})
  })
})

const base = (o: Partial<ServiceOptions>): ServiceOptions => ({name: 'web', type: 'ClusterIP', ...o})

describe('validateServiceOptions', () => {
  const table: Array<[string, Partial<ServiceOptions>, string]> = [
    ['kubectl: None only for ClusterIP', {clusterIP: 'None', type: 'NodePort'}, 'ClusterIP=None can only be used with ClusterIP service type'],
    ['kubectl: ports needed', {}, 'at least one tcp port specifier must be provided'],
    ['kubectl: external name', {externalName: 'Bad_', type: 'ExternalName'}, 'invalid service external name Bad_'],
    ['kubectl: trailing dot rejected client-side', {externalName: 'bar.com.', type: 'ExternalName'}, 'invalid service external name bar.com.'],
    ['kubectl: tcp parse', {tcp: ['70000']}, 'strconv.ParseUint: parsing "70000": value out of range'],
    ['svc: name', {name: 'My_svc', tcp: ['80']}, 'invalid service name "My_svc": a DNS-1035 label must consist of lower case alphanumeric characters or \'-\', start with an alphabetic character, and end with an alphanumeric character (e.g. \'my-name\',  or \'abc-123\', regex used for validation is \'[a-z]([-a-z0-9]*[a-z0-9])?\'); for example "my-svc"'],
    ['svc: port 0', {tcp: ['0:80']}, 'invalid port 0 in "0:80": a service port must be between 1 and 65535, inclusive; write PORT[:TARGET] with PORT from 1 to 65535'],
    ['svc: node port range', {nodePort: 80, tcp: ['80'], type: 'NodePort'}, 'invalid --node-port=80: must be between 30000 and 32767 (the default range), or 0 to let the cluster pick one; pass --validate=ignore if your cluster uses another range'],
    ['svc: node port shared by two port numbers', {nodePort: 30080, tcp: ['80'], type: 'NodePort', udp: ['81']}, '--node-port=30080 would be given to 2 different ports, but each port number needs its own node port; give this service one port (over TCP and UDP if you like), or leave --node-port out so the cluster picks them'],
    ['svc: clusterip', {clusterIP: 'abc', tcp: ['80']}, 'invalid --clusterip "abc": must be an IP address from the cluster\'s service range, or None for a headless service'],
    ['svc: affinity', {sessionAffinity: 'Sticky', tcp: ['80']}, 'invalid --session-affinity "Sticky": write --session-affinity=None or --session-affinity=ClientIP'],
    ['svc: timeout needs ClientIP', {sessionAffinityTimeout: 60, tcp: ['80']}, '--session-affinity-timeout applies to ClientIP affinity only: add --session-affinity=ClientIP'],
    ['svc: timeout bounds', {sessionAffinity: 'ClientIP', sessionAffinityTimeout: 86_401, tcp: ['80']}, 'invalid --session-affinity-timeout=86401: must be a whole number of seconds from 1 to 86400 (default 10800)'],
    ['svc: selector', {selector: 'app', tcp: ['80']}, 'invalid --selector item "app": write key=value (equality only), e.g. --selector=app=web,tier=frontend'],
  ]
  for (const [title, o, msg] of table) it(title, () => assert.throws(() => validateServiceOptions(base(o)), {message: msg}))

  it('accepts what the server accepts', () => {
    assert.equal(validateServiceOptions(base({clusterIP: 'None'})).length, 0)
    assert.equal(validateServiceOptions(base({externalName: 'bar.com', type: 'ExternalName'})).length, 0)
    assert.equal(validateServiceOptions(base({nodePort: 30053, tcp: ['53'], type: 'NodePort', udp: ['53']})).length, 2)
    assert.equal(validateServiceOptions(base({nodePort: 80, skipRangeChecks: true, tcp: ['80'], type: 'NodePort'})).length, 1)
  })
})

describe('buildService', () => {
  it('is kubectl\'s object: app=NAME label and selector, ports, type, status', () => {
    const o = base({tcp: ['5678:8080']})
    assert.deepEqual(buildService(o, validateServiceOptions(o)), {
      apiVersion: 'v1', kind: 'Service', metadata: {labels: {app: 'web'}, name: 'web'},
      spec: {ports: [{name: '5678-8080', port: 5678, protocol: 'TCP', targetPort: 8080}], selector: {app: 'web'}, type: 'ClusterIP'},
      status: {loadBalancer: {}},
    })
  })
  it('externalname keeps the selector and has no ports; headless sets clusterIP None', () => {
    const en = base({externalName: 'bar.com', namespace: 'ns1', type: 'ExternalName'})
    assert.deepEqual(buildService(en, validateServiceOptions(en)).spec, {externalName: 'bar.com', selector: {app: 'web'}, type: 'ExternalName'})
    assert.equal(buildService(en, []).metadata.namespace, 'ns1')
    const hl = base({clusterIP: 'None'})
    assert.deepEqual(buildService(hl, []).spec, {clusterIP: 'None', selector: {app: 'web'}, type: 'ClusterIP'})
  })
  it('svc extensions: selector, labels, ClientIP affinity with the default timeout', () => {
    const o = base({labels: 'team=a', selector: 'k8s-app=web,tier=fe', sessionAffinity: 'ClientIP', tcp: ['80']})
    const svc = buildService(o, validateServiceOptions(o))
    assert.deepEqual(svc.metadata.labels, {team: 'a'})
    assert.deepEqual(svc.spec?.selector, {'k8s-app': 'web', tier: 'fe'})
    assert.equal(svc.spec?.sessionAffinity, 'ClientIP')
    assert.deepEqual(svc.spec?.sessionAffinityConfig, {clientIP: {timeoutSeconds: 10_800}})
  })
  it('parseLabelFlag validates keys and values', () => {
    assert.deepEqual(parseLabelFlag('--labels', 'app.kubernetes.io/name=web'), {'app.kubernetes.io/name': 'web'})
    assert.throws(() => parseLabelFlag('--labels', 'a=b c'), /invalid --labels value "b c" for key "a"/)
  })
})

describe('validation (apimachinery texts)', () => {
  it('DNS-1035 and port names', () => {
    assert.deepEqual(isDNS1035Label('web'), [])
    assert.equal(isDNS1035Label('1web').length, 1)
    assert.deepEqual(isDNS1035Label('a'.repeat(64))[0], 'must be no more than 63 characters')
    assert.deepEqual(isValidPortName('http'), [])
    assert.deepEqual(isQualifiedName('example.com/a'), [])
    assert.equal(isQualifiedName('a/b/c').length, 1)
  })
  it('IPs and suggestions', () => {
    assert.equal(isIP('10.96.0.10'), true)
    assert.equal(isIP('fd00::1'), true)
    assert.equal(isIP('10.96.0.256'), false)
    assert.equal(suggestDNS1035('My_Web.Svc'), 'my-web-svc')
    assert.equal(suggestDNS1035('123'), 'my-service')
  })
})
