import assert from 'node:assert/strict'
import {describe, test} from 'node:test'

import {childEnvironment, portVariables} from '../../../src/portforward/child.ts'
import {envVariableName, formatDotenv, type ForwardedService, serviceVariables} from '../../../src/portforward/service-env.ts'

describe('envVariableName (the kubelet\'s makeEnvVariableName)', () => {
  const cases: Array<[string, string]> = [
    ['db', 'DB'], ['my-api', 'MY_API'], ['a.b-c', 'A_B_C'], ['9lives', '_9LIVES'], ['grpc-web', 'GRPC_WEB'], ['x_y', 'X_Y'],
  ]
  for (const [name, expected] of cases) test(`${name} -> ${expected}`, () => assert.equal(envVariableName(name), expected))
})

const service = (overrides: Partial<ForwardedService>): ForwardedService => ({
  clusterIP: '10.0.0.10', host: '127.0.0.1', localPorts: new Map(), name: 'db', servicePorts: [], ...overrides,
})

describe('serviceVariables (FromServices pointed at the local ports)', () => {
  const cases: Array<[string, ForwardedService[], Array<[string, string]>]> = [
    ['one unnamed port', [service({localPorts: new Map([[5432, 40001]]), servicePorts: [{port: 5432}]})], [
      ['DB_SERVICE_HOST', '127.0.0.1'], ['DB_SERVICE_PORT', '40001'],
      ['DB_PORT', 'tcp://127.0.0.1:40001'], ['DB_PORT_5432_TCP', 'tcp://127.0.0.1:40001'], ['DB_PORT_5432_TCP_PROTO', 'tcp'],
      ['DB_PORT_5432_TCP_PORT', '40001'], ['DB_PORT_5432_TCP_ADDR', '127.0.0.1'],
    ]],
    ['named ports; only the forwarded ones; the first forwarded one is SERVICE_PORT', [service({
      host: '127.1.2.3', localPorts: new Map([[9090, 9090], [443, 8443]]), name: 'my-api',
      servicePorts: [{name: 'http', port: 80}, {name: 'grpc-web', port: 9090}, {name: 'https', port: 443}],
    })], [
      ['MY_API_SERVICE_HOST', '127.1.2.3'], ['MY_API_SERVICE_PORT', '9090'], ['MY_API_SERVICE_PORT_GRPC_WEB', '9090'], ['MY_API_SERVICE_PORT_HTTPS', '8443'],
      ['MY_API_PORT', 'tcp://127.1.2.3:9090'],
      ['MY_API_PORT_9090_TCP', 'tcp://127.1.2.3:9090'], ['MY_API_PORT_9090_TCP_PROTO', 'tcp'], ['MY_API_PORT_9090_TCP_PORT', '9090'], ['MY_API_PORT_9090_TCP_ADDR', '127.1.2.3'],
      ['MY_API_PORT_443_TCP', 'tcp://127.1.2.3:8443'], ['MY_API_PORT_443_TCP_PROTO', 'tcp'], ['MY_API_PORT_443_TCP_PORT', '8443'], ['MY_API_PORT_443_TCP_ADDR', '127.1.2.3'],
    ]],
    ['headless (no cluster IP): none, as the kubelet', [service({clusterIP: 'None', localPorts: new Map([[5432, 1]]), servicePorts: [{port: 5432}]})], []],
    ['an IPv6 host is bracketed in the URLs only', [service({host: '::1', localPorts: new Map([[80, 8080]]), name: 'w', servicePorts: [{port: 80}]})], [
      ['W_SERVICE_HOST', '::1'], ['W_SERVICE_PORT', '8080'], ['W_PORT', 'tcp://[::1]:8080'], ['W_PORT_80_TCP', 'tcp://[::1]:8080'],
      ['W_PORT_80_TCP_PROTO', 'tcp'], ['W_PORT_80_TCP_PORT', '8080'], ['W_PORT_80_TCP_ADDR', '::1'],
    ]],
    ['the same name twice (two namespaces): the first keeps it', [
      service({localPorts: new Map([[80, 1001]]), name: 'web', servicePorts: [{port: 80}]}),
      service({localPorts: new Map([[80, 2002]]), name: 'web', servicePorts: [{port: 80}]}),
    ], [
      ['WEB_SERVICE_HOST', '127.0.0.1'], ['WEB_SERVICE_PORT', '1001'], ['WEB_PORT', 'tcp://127.0.0.1:1001'], ['WEB_PORT_80_TCP', 'tcp://127.0.0.1:1001'],
      ['WEB_PORT_80_TCP_PROTO', 'tcp'], ['WEB_PORT_80_TCP_PORT', '1001'], ['WEB_PORT_80_TCP_ADDR', '127.0.0.1'],
    ]],
  ]
  for (const [name, services, expected] of cases) test(name, () => assert.deepEqual(serviceVariables(services), expected))
})

describe('the command\'s environment and the env file', () => {
  test('SVC_PORT variables first, the Services\' on top, dotenv lines', () => {
    const ports = portVariables([{localPort: 40001, remote: '5432'}, {localPort: 40002, remote: 'http'}])
    assert.deepEqual(ports, [['SVC_PORT', '40001'], ['SVC_PORT_5432', '40001'], ['SVC_PORT_HTTP', '40002']])
    const env = childEnvironment({HOME: '/h'}, [{localPort: 40001, remote: '5432'}], [['DB_SERVICE_PORT', '40001']])
    assert.deepEqual({...env}, {DB_SERVICE_PORT: '40001', HOME: '/h', SVC_PORT: '40001', SVC_PORT_5432: '40001'})
    assert.equal(formatDotenv([['SVC_PORT', '1'], ['DB_SERVICE_HOST', '127.0.0.1']]), 'SVC_PORT=1\nDB_SERVICE_HOST=127.0.0.1\n')
  })
})
