import {test} from 'node:test'
import assert from 'node:assert/strict'

import {decodeKubernetesProtobuf} from '../../cluster/protobuf.ts'

// Request bodies recorded from kubectl 1.35.2 (-v=9) for:
//   kubectl create service nodeport golden-np --tcp=80:8080,443
//   kubectl create deployment golden-d --image=nginx:1.27 --replicas=2 --port=8080
//   kubectl create namespace golden-ns
//   kubectl create ingress golden-ing --rule=foo.com/bar=web:80 --rule='bar.com/x*=api:http,tls=sec' --default-backend=def:8080 --class=nginx
// and the objects kubectl prints for the same commands with --dry-run=client -o json
// (null creationTimestamp and empty objects dropped, as the decoder drops zero values).
const GOLDEN = [
  {
    name: 'Service (create service nodeport)',
    hex: [
      '6b3873000a0d0a0276311207536572766963651294010a2b0a09676f6c64656e2d6e7012001a0022002a003200380042005a',
      '100a036170701209676f6c64656e2d6e7012610a1b0a0738302d38303830120354435018502207080010903f1a0028000a18',
      '0a03343433120354435018bb032207080010bb031a00280012100a036170701209676f6c64656e2d6e701a0022084e6f6465',
      '506f72743a00420052005a00600068001a020a001a002200',
    ].join(''),
    json: {kind: 'Service', apiVersion: 'v1', metadata: {name: 'golden-np', labels: {app: 'golden-np'}}, spec: {ports: [{name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080}, {name: '443', protocol: 'TCP', port: 443, targetPort: 443}], selector: {app: 'golden-np'}, type: 'NodePort'}},
  },
  {
    name: 'Deployment (create deployment)',
    hex: [
      '6b3873000a150a07617070732f7631120a4465706c6f796d656e7412d2010a290a08676f6c64656e2d6412001a0022002a00',
      '3200380042005a0f0a036170701208676f6c64656e2d64129601080212110a0f0a036170701208676f6c64656e2d641a770a',
      '210a0012001a0022002a003200380042005a0f0a036170701208676f6c64656e2d64125212340a056e67696e78120a6e6769',
      '6e783a312e32372a00320b0a00100018903f22002a0042006a007200800100880100900100a201001a00320042004a005200',
      '5800600068008201008a01009a0100c2010022020a00280038001a0c0800100018002000280038001a002200',
    ].join(''),
    json: {kind: 'Deployment', apiVersion: 'apps/v1', metadata: {name: 'golden-d', labels: {app: 'golden-d'}}, spec: {replicas: 2, selector: {matchLabels: {app: 'golden-d'}}, template: {metadata: {labels: {app: 'golden-d'}}, spec: {containers: [{name: 'nginx', image: 'nginx:1.27', ports: [{containerPort: 8080}]}]}}}},
  },
  {
    name: 'Namespace (create namespace)',
    hex: '6b3873000a0f0a02763112094e616d65737061636512210a190a09676f6c64656e2d6e7312001a0022002a0032003800420012001a020a001a002200',
    json: {kind: 'Namespace', apiVersion: 'v1', metadata: {name: 'golden-ns'}},
  },
  {
    name: 'Ingress (create ingress; a rule\'s http is inline)',
    hex: [
      '6b3873000a1f0a146e6574776f726b696e672e6b38732e696f2f76311207496e677265737312a7010a1a0a0a676f6c64656e',
      '2d696e6712001a0022002a003200380042001284010a0e220c0a0364656612050a0010903f120e0a076261722e636f6d1203',
      '7365631a2b0a07666f6f2e636f6d12200a1e0a1c0a042f626172120d220b0a0377656212040a0010501a0545786163741a2e',
      '0a076261722e636f6d12230a210a1f0a022f781211220f0a0361706912080a046874747010001a0650726566697822056e67',
      '696e781a020a001a002200',
    ].join(''),
    json: {
      kind: 'Ingress', apiVersion: 'networking.k8s.io/v1', metadata: {name: 'golden-ing'},
      spec: {
        defaultBackend: {service: {name: 'def', port: {number: 8080}}},
        tls: [{hosts: ['bar.com'], secretName: 'sec'}],
        rules: [
          {host: 'foo.com', http: {paths: [{path: '/bar', backend: {service: {name: 'web', port: {number: 80}}}, pathType: 'Exact'}]}},
          {host: 'bar.com', http: {paths: [{path: '/x', backend: {service: {name: 'api', port: {name: 'http'}}}, pathType: 'Prefix'}]}},
        ],
        ingressClassName: 'nginx',
      },
    },
  },
]

for (const g of GOLDEN) {
  test(`protobuf body from kubectl decodes to its JSON: ${g.name}`, () => {
    assert.deepEqual(decodeKubernetesProtobuf(Buffer.from(g.hex, 'hex')), g.json)
  })
}

// kubectl create ingress makes only Service backends; a resource backend (IngressBackend field 3 in
// k8s.io/api networking/v1 generated.proto, `service` being 4) is encoded here by hand.
test('an Ingress backend that is a resource: IngressBackend field 3', () => {
  const field = (num: number, ...parts: Array<Buffer | string>): Buffer => {
    const body = Buffer.concat(parts.map(p => Buffer.from(p)))
    return Buffer.concat([Buffer.from([(num << 3) | 2, body.length]), body])
  }
  const backend = field(3, field(1, 'k8s.example.com'), field(2, 'StorageBucket'), field(3, 'static'))
  const ingress = Buffer.concat([field(1, field(1, 'bucket')), field(2, field(1, backend))])
  const body = Buffer.concat([Buffer.from('k8s\0', 'latin1'), field(1, field(1, 'networking.k8s.io/v1'), field(2, 'Ingress')), field(2, ingress)])
  assert.deepEqual(decodeKubernetesProtobuf(body), {
    kind: 'Ingress', apiVersion: 'networking.k8s.io/v1', metadata: {name: 'bucket'},
    spec: {defaultBackend: {resource: {apiGroup: 'k8s.example.com', kind: 'StorageBucket', name: 'static'}}},
  })
})

test('not a protobuf envelope, unknown kinds and truncated bodies are refused', () => {
  assert.throws(() => decodeKubernetesProtobuf(Buffer.from('{}')), /expected prefix \[107 56 115 0\]/)
  const envelope = (kind: string) => Buffer.concat([Buffer.from('k8s\0', 'latin1'), Buffer.from([0x0a, 6 + kind.length, 0x0a, 2, 0x76, 0x31, 0x12, kind.length]), Buffer.from(kind)])
  assert.throws(() => decodeKubernetesProtobuf(envelope('Secret')), /no kind "Secret" is registered for version "v1"/)
  const body = Buffer.from(GOLDEN[0].hex, 'hex')
  assert.throws(() => decodeKubernetesProtobuf(body.subarray(0, body.length - 5)), /truncated/)
})
