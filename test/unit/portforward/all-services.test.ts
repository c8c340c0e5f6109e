import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {serviceTarget} from '../../../src/portforward/all-run.ts'
import {forwardFingerprint, serviceLabel, tcpPorts, unforwardableReason} from '../../../src/portforward/all-services.ts'
import type {Service} from '../../../src/portforward/targets.ts'

const svc = (spec: Service['spec'], name = 'web'): Service => ({metadata: {name, namespace: 'default'}, spec})
const selector = {app: 'web'}

describe('unforwardableReason', () => {
  const cases: Array<[string, Service, boolean, string | undefined]> = [
    ['a Service with a selector and a TCP port', svc({ports: [{port: 80}], selector}), false, undefined],
    ['TCP beside UDP: forwardable (the TCP ports)', svc({ports: [{port: 53, protocol: 'UDP'}, {port: 53, protocol: 'TCP'}], selector}), false, undefined],
    ['headless: forwardable', svc({clusterIP: 'None', ports: [{port: 80}], selector}), false, undefined],
    ['ExternalName', svc({externalName: 'db.example.com', type: 'ExternalName'}), false, 'ExternalName Service (db.example.com), no pods behind it'],
    ['no selector, endpoints naming pods: forwardable', svc({ports: [{port: 80}]}), true, undefined],
    ['no selector and no endpoints that are pods', svc({ports: [{port: 80}]}), false, 'no selector, and no endpoints that are pods'],
    ['an empty selector counts as none', svc({ports: [{port: 80}], selector: {}}), false, 'no selector, and no endpoints that are pods'],
    ['no ports', svc({selector}), false, 'no ports'],
    ['UDP only', svc({ports: [{port: 53, protocol: 'UDP'}], selector}), false, 'no TCP port (UDP only)'],
    ['UDP and SCTP', svc({ports: [{port: 53, protocol: 'UDP'}, {port: 9, protocol: 'SCTP'}], selector}), false, 'no TCP port (UDP, SCTP only)'],
  ]
  for (const [name, service, podEndpoints, expected] of cases) {
    test(name, async () => {
      const asked: string[] = []
      assert.equal(await unforwardableReason(service, async s => (asked.push(s.metadata.name), podEndpoints)), expected)
      // The endpoints are read only for a Service without a selector that is otherwise forwardable.
      assert.equal(asked.length, Object.keys(service.spec?.selector ?? {}).length === 0 && (service.spec?.ports ?? []).length > 0 && service.spec?.type !== 'ExternalName' && tcpPorts(service).length > 0 ? 1 : 0)
    })
  }
})

describe('what --all forwards of a Service', () => {
  test('every TCP port, on a free local port, -> the numeric targetPort or else the port', () => {
    const s = svc({ports: [{name: 'http', port: 80, targetPort: 8080}, {name: 'dns', port: 53, protocol: 'UDP'}, {name: 'grpc', port: 9090, targetPort: 'grpc'}, {port: 7, targetPort: '7000'}], selector})
    assert.deepEqual(tcpPorts(s).map(p => p.port), [80, 9090, 7])
    const target = serviceTarget(s)
    assert.deepEqual(target.ports, [{local: 0, remote: 8080}, {local: 0, remote: 9090}, {local: 0, remote: 7000}])
    assert.deepEqual(target.remoteArgs, ['http', 'grpc', '7'])
    assert.deepEqual([target.ref.kind, target.ref.name, target.selector, target.pod], ['service', 'web', 'app=web', undefined])
  })

  test('the fingerprint changes with the ports, selector or cluster IP, not with labels', () => {
    const base = svc({clusterIP: '10.0.0.1', ports: [{port: 80}], selector})
    const relabelled = {...base, metadata: {...base.metadata, labels: {x: 'y'}}}
    assert.equal(forwardFingerprint(relabelled), forwardFingerprint(base))
    assert.notEqual(forwardFingerprint(svc({clusterIP: '10.0.0.1', ports: [{port: 81}], selector})), forwardFingerprint(base))
    assert.notEqual(forwardFingerprint(svc({clusterIP: '10.0.0.1', ports: [{port: 80}], selector: {app: 'other'}})), forwardFingerprint(base))
  })

  test('labels: svc/NAME, or NAMESPACE/svc/NAME when several namespaces are watched', () => {
    assert.equal(serviceLabel(svc({}), false), 'svc/web')
    assert.equal(serviceLabel(svc({}), true), 'default/svc/web')
  })
})
