import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {externalIPCell, portsCell, renderServiceTable, type ServiceLike, ServiceTablePrinter, serviceRow, tableLine} from '../../../src/printers/service-table.ts'

const now = Date.parse('2026-01-10T12:00:00Z')
const created = (ms: number) => new Date(now - ms).toISOString()
const S = 1000

function svc(name: string, type: string, extra: Partial<NonNullable<ServiceLike['spec']>> = {}, ageMs = 45 * S, more: Partial<ServiceLike> = {}): ServiceLike {
  return {metadata: {creationTimestamp: created(ageMs), name, namespace: 'default', ...more.metadata}, spec: {type, ...extra}, status: more.status}
}

const services: ServiceLike[] = [
  svc('kubernetes', 'ClusterIP', {clusterIPs: ['10.96.0.1'], ports: [{port: 443, protocol: 'TCP'}], selector: {}}, (5 * 24 + 2) * 3600 * S),
  svc('my-cs', 'ClusterIP', {clusterIPs: ['10.96.45.12'], ports: [{port: 5678, protocol: 'TCP'}], selector: {app: 'my-cs'}}, 130 * S),
  svc('my-ns', 'NodePort', {clusterIPs: ['10.96.200.3'], ports: [{nodePort: 31234, port: 80, protocol: 'TCP'}, {nodePort: 30712, port: 443, protocol: 'TCP'}]}, 45 * S),
  svc('my-lbs', 'LoadBalancer', {clusterIPs: ['10.96.77.8'], ports: [{nodePort: 30517, port: 5678, protocol: 'TCP'}]}, 12 * S),
  svc('my-en', 'ExternalName', {externalName: 'bar.com', selector: {app: 'my-en'}}, 3 * S),
  svc('my-hl', 'ClusterIP', {clusterIPs: ['None']}, 9 * 60 * S),
]

describe('get svc table', () => {
  it('prints kubectl\'s columns and cells (reference 4.5)', () => {
    assert.equal(renderServiceTable(services, {now}), [
      'NAME         TYPE           CLUSTER-IP    EXTERNAL-IP   PORT(S)                      AGE',
      'kubernetes   ClusterIP      10.96.0.1     <none>        443/TCP                      5d2h',
      'my-cs        ClusterIP      10.96.45.12   <none>        5678/TCP                     2m10s',
      'my-ns        NodePort       10.96.200.3   <none>        80:31234/TCP,443:30712/TCP   45s',
      'my-lbs       LoadBalancer   10.96.77.8    <pending>     5678:30517/TCP               12s',
      'my-en        ExternalName   <none>        bar.com       <none>                       3s',
      'my-hl        ClusterIP      None          <none>        <none>                       9m',
      '',
    ].join('\n'))
  })

  it('-o wide adds SELECTOR', () => {
    assert.equal(renderServiceTable([services[1], services[4]], {now, wide: true}), [
      'NAME    TYPE           CLUSTER-IP    EXTERNAL-IP   PORT(S)    AGE     SELECTOR',
      'my-cs   ClusterIP      10.96.45.12   <none>        5678/TCP   2m10s   app=my-cs',
      'my-en   ExternalName   <none>        bar.com       <none>     3s      app=my-en',
      '',
    ].join('\n'))
  })

  it('-A puts NAMESPACE first, --show-labels adds LABELS last, --no-headers drops the header', () => {
    const s = svc('web', 'ClusterIP', {clusterIPs: ['10.96.0.9'], ports: [{port: 80, protocol: 'TCP'}]}, 61 * S, {metadata: {labels: {b: '2', a: '1'}}})
    assert.equal(renderServiceTable([s], {allNamespaces: true, now, showLabels: true}),
      'NAMESPACE   NAME   TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)   AGE   LABELS\ndefault     web    ClusterIP   10.96.0.9    <none>        80/TCP    61s   a=1,b=2\n')
    assert.equal(renderServiceTable([s], {noHeaders: true, now}), 'web   ClusterIP   10.96.0.9   <none>   80/TCP   61s\n')
  })

  it('prints nothing at all for no services', () => {
    assert.equal(renderServiceTable([], {now}), '')
  })

  it('a watch printer keeps widths and prints the header once', () => {
    const printer = new ServiceTablePrinter({})
    assert.equal(printer.print([services[1]], now), 'NAME    TYPE        CLUSTER-IP    EXTERNAL-IP   PORT(S)    AGE\nmy-cs   ClusterIP   10.96.45.12   <none>        5678/TCP   2m10s\n')
    assert.equal(printer.print([services[4]], now), 'my-en   ExternalName   <none>        bar.com       <none>     3s\n')
    assert.equal(printer.print([services[1]], now), 'my-cs   ClusterIP      10.96.45.12   <none>        5678/TCP   2m10s\n')
  })
})

describe('EXTERNAL-IP cell', () => {
  const lb = (ingress: {hostname?: string; ip?: string}[], externalIPs?: string[]): ServiceLike =>
    ({spec: {externalIPs, type: 'LoadBalancer'}, status: {loadBalancer: {ingress}}})
  const table: [string, ServiceLike, boolean, string][] = [
    ['ClusterIP without external IPs', {spec: {type: 'ClusterIP'}}, false, '<none>'],
    ['ClusterIP with external IPs', {spec: {externalIPs: ['1.2.3.4', '5.6.7.8'], type: 'ClusterIP'}}, false, '1.2.3.4,5.6.7.8'],
    ['NodePort with an external IP', {spec: {externalIPs: ['1.2.3.4'], type: 'NodePort'}}, false, '1.2.3.4'],
    ['LoadBalancer pending', lb([]), false, '<pending>'],
    ['LoadBalancer ingress IPs sorted and de-duplicated', lb([{ip: '9.9.9.9'}, {ip: '1.1.1.1'}, {ip: '9.9.9.9'}]), false, '1.1.1.1,9.9.9.9'],
    ['LoadBalancer hostname when no IP', lb([{hostname: 'lb.example.com'}]), false, 'lb.example.com'],
    ['LoadBalancer longer than 16 is shortened', lb([{hostname: 'a-very-long-load-balancer.example.com'}]), false, 'a-very-long-l...'],
    ['... but not with -o wide', lb([{hostname: 'a-very-long-load-balancer.example.com'}]), true, 'a-very-long-load-balancer.example.com'],
    ['LoadBalancer ingress then external IPs', lb([{ip: '1.1.1.1'}], ['2.2.2.2']), false, '1.1.1.1,2.2.2.2'],
    ['LoadBalancer pending with external IPs', lb([], ['2.2.2.2']), false, '2.2.2.2'],
    ['ExternalName', {spec: {externalName: 'db.example.com', type: 'ExternalName'}}, false, 'db.example.com'],
    ['unknown type', {spec: {type: 'Weird'}}, false, '<unknown>'],
  ]
  for (const [name, s, wide, expected] of table) it(name, () => assert.equal(externalIPCell(s, wide), expected))
})

describe('PORT(S) and row details', () => {
  it('formats ports', () => {
    assert.equal(portsCell([]), '<none>')
    assert.equal(portsCell([{port: 80, protocol: 'TCP'}, {port: 53, protocol: 'UDP'}]), '80/TCP,53/UDP')
    assert.equal(portsCell([{nodePort: 30080, port: 80, protocol: 'TCP'}]), '80:30080/TCP')
  })
  it('shows <unknown> age without a timestamp and <none> cluster IP without clusterIPs', () => {
    assert.deepEqual(serviceRow({metadata: {name: 'x'}, spec: {type: 'ClusterIP'}}, {now}), ['x', 'ClusterIP', '<none>', '<none>', '<none>', '<unknown>'])
  })
  it('cuts a cell at a line break and makes escapes visible', () => {
    assert.equal(tableLine(['a\nb', 'c\x1bd', 'e\rf']), 'a...\tc^[d\te...\n')
  })
})
