// The field names of a v1 Service (k8s.io/api core/v1 types.go and meta/v1 ObjectMeta), for strict decoding:
// with fieldValidation=Strict the apiserver answers 400 `strict decoding error: unknown field "spec.foo"`,
// with Warn it adds a warning `unknown field "spec.foo"`, with Ignore it drops the field silently.

import {isObject} from './spec.ts'

type Shape = {[key: string]: Shape | 'leaf' | {list: Shape}}

const OWNER_REF: Shape = {apiVersion: 'leaf', kind: 'leaf', name: 'leaf', uid: 'leaf', controller: 'leaf', blockOwnerDeletion: 'leaf'}
const MANAGED_FIELD: Shape = {manager: 'leaf', operation: 'leaf', apiVersion: 'leaf', time: 'leaf', fieldsType: 'leaf', fieldsV1: 'leaf', subresource: 'leaf'}

export const OBJECT_META_SHAPE: Shape = {
  name: 'leaf', generateName: 'leaf', namespace: 'leaf', selfLink: 'leaf', uid: 'leaf', resourceVersion: 'leaf', generation: 'leaf',
  creationTimestamp: 'leaf', deletionTimestamp: 'leaf', deletionGracePeriodSeconds: 'leaf', labels: 'leaf', annotations: 'leaf',
  ownerReferences: {list: OWNER_REF}, finalizers: 'leaf', managedFields: {list: MANAGED_FIELD},
}

const SERVICE_SHAPE: Shape = {
  kind: 'leaf',
  apiVersion: 'leaf',
  metadata: OBJECT_META_SHAPE,
  spec: {
    ports: {list: {name: 'leaf', protocol: 'leaf', appProtocol: 'leaf', port: 'leaf', targetPort: 'leaf', nodePort: 'leaf'}},
    selector: 'leaf', clusterIP: 'leaf', clusterIPs: 'leaf', type: 'leaf', externalIPs: 'leaf', sessionAffinity: 'leaf',
    loadBalancerIP: 'leaf', loadBalancerSourceRanges: 'leaf', externalName: 'leaf', externalTrafficPolicy: 'leaf',
    healthCheckNodePort: 'leaf', publishNotReadyAddresses: 'leaf', sessionAffinityConfig: {clientIP: {timeoutSeconds: 'leaf'}},
    ipFamilies: 'leaf', ipFamilyPolicy: 'leaf', allocateLoadBalancerNodePorts: 'leaf', loadBalancerClass: 'leaf',
    internalTrafficPolicy: 'leaf', trafficDistribution: 'leaf',
  },
  status: {
    loadBalancer: {ingress: {list: {ip: 'leaf', hostname: 'leaf', ipMode: 'leaf', ports: {list: {port: 'leaf', protocol: 'leaf', error: 'leaf'}}}}},
    conditions: {list: {type: 'leaf', status: 'leaf', observedGeneration: 'leaf', lastTransitionTime: 'leaf', reason: 'leaf', message: 'leaf'}},
  },
}

function walk(value: unknown, shape: Shape, path: string, out: string[]): void {
  if (!isObject(value)) return
  for (const [k, v] of Object.entries(value)) {
    const p = path ? `${path}.${k}` : k
    const sub = shape[k]
    if (sub === undefined) {
      out.push(p)
      continue
    }
    if (sub === 'leaf') continue
    if ('list' in sub && isObject(sub.list) && Object.keys(sub).length === 1) {
      if (Array.isArray(v)) v.forEach((item, i) => walk(item, sub.list as Shape, `${p}[${i}]`, out))
      continue
    }
    walk(v, sub as Shape, p, out)
  }
}

/** The unknown fields of a decoded v1 Service, in document order ("spec.foo", "spec.ports[0].bar"). */
export function unknownServiceFields(obj: unknown): string[] {
  const out: string[] = []
  walk(obj, SERVICE_SHAPE, '', out)
  return out
}

/** The unknown fields of an ObjectMeta (for other kinds), prefixed "metadata.". */
export function unknownObjectMetaFields(meta: unknown): string[] {
  const out: string[] = []
  walk(meta, OBJECT_META_SHAPE, 'metadata', out)
  return out
}

// ---------------------------------------------------------------------------------------------------------
// JSON type errors: what sigs.k8s.io/json (encoding/json) reports when a field has the wrong JSON type. The
// first one in document order wins; the apiserver wraps it (transformDecodeError) into a 400:
// `Service in version "v1" cannot be handled as a Service: json: cannot unmarshal string into Go struct field
// ServicePort.spec.ports.port of type int32`.

type GoType =
  | {k: 'string'; go: string}
  | {k: 'int'; bits: 32 | 64; go: string}
  | {k: 'bool'}
  | {k: 'map'}
  | {k: 'list'; of: GoType; go: string}
  | {k: 'struct'; name: string; go: string; fields: Record<string, GoType>}
  | {k: 'intstr'}
  | {k: 'any'}

const S = (go = 'string'): GoType => ({k: 'string', go})
const I32: GoType = {k: 'int', bits: 32, go: 'int32'}
const I64: GoType = {k: 'int', bits: 64, go: 'int64'}
const B: GoType = {k: 'bool'}
const MAP: GoType = {k: 'map'}
const ANY: GoType = {k: 'any'}
const list = (of: GoType, go: string): GoType => ({k: 'list', of, go})
const struct = (name: string, fields: Record<string, GoType>): GoType => ({k: 'struct', name, go: `v1.${name}`, fields})

const OWNER_REFERENCE_T = struct('OwnerReference', {apiVersion: S(), kind: S(), name: S(), uid: S('types.UID'), controller: B, blockOwnerDeletion: B})
const OBJECT_META_T = struct('ObjectMeta', {
  name: S(), generateName: S(), namespace: S(), selfLink: S(), uid: S('types.UID'), resourceVersion: S(), generation: I64,
  creationTimestamp: ANY, deletionTimestamp: ANY, deletionGracePeriodSeconds: I64, labels: MAP, annotations: MAP,
  ownerReferences: list(OWNER_REFERENCE_T, '[]v1.OwnerReference'), finalizers: list(S(), '[]string'), managedFields: ANY,
})
const SERVICE_PORT_T = struct('ServicePort', {
  name: S(), protocol: S('v1.Protocol'), appProtocol: S(), port: I32, targetPort: {k: 'intstr'}, nodePort: I32,
})
const SERVICE_T = struct('Service', {
  kind: S(),
  apiVersion: S(),
  metadata: OBJECT_META_T,
  spec: struct('ServiceSpec', {
    ports: list(SERVICE_PORT_T, '[]v1.ServicePort'), selector: MAP, clusterIP: S(), clusterIPs: list(S(), '[]string'),
    type: S('v1.ServiceType'), externalIPs: list(S(), '[]string'), sessionAffinity: S('v1.ServiceAffinity'), loadBalancerIP: S(),
    loadBalancerSourceRanges: list(S(), '[]string'), externalName: S(), externalTrafficPolicy: S('v1.ServiceExternalTrafficPolicy'),
    healthCheckNodePort: I32, publishNotReadyAddresses: B,
    sessionAffinityConfig: struct('SessionAffinityConfig', {clientIP: struct('ClientIPConfig', {timeoutSeconds: I32})}),
    ipFamilies: list(S('v1.IPFamily'), '[]v1.IPFamily'), ipFamilyPolicy: S('v1.IPFamilyPolicy'), allocateLoadBalancerNodePorts: B,
    loadBalancerClass: S(), internalTrafficPolicy: S('v1.ServiceInternalTrafficPolicy'), trafficDistribution: S(),
  }),
  status: struct('ServiceStatus', {
    loadBalancer: struct('LoadBalancerStatus', {
      ingress: list(
        struct('LoadBalancerIngress', {
          ip: S(), hostname: S(), ipMode: S('v1.LoadBalancerIPMode'),
          ports: list(struct('PortStatus', {port: I32, protocol: S('v1.Protocol'), error: S()}), '[]v1.PortStatus'),
        }),
        '[]v1.LoadBalancerIngress',
      ),
    }),
    conditions: ANY,
  }),
})

function jsonKind(v: unknown): string {
  if (typeof v === 'string') return 'string'
  if (typeof v === 'number') return 'number'
  if (typeof v === 'boolean') return 'bool'
  if (Array.isArray(v)) return 'array'
  return 'object'
}

function goTypeName(t: GoType): string {
  switch (t.k) {
    case 'string':
    case 'int':
    case 'list':
    case 'struct':
      return t.go
    case 'bool':
      return 'bool'
    case 'map':
      return 'map[string]string'
    case 'intstr':
      return 'int32'
    default:
      return 'interface {}'
  }
}

function typeError(value: unknown, t: GoType, struct: string, path: string, kind = jsonKind(value)): string {
  return `json: cannot unmarshal ${kind} into Go struct field ${struct}.${path} of type ${goTypeName(t)}`
}

function checkInt(v: number, bits: 32 | 64): boolean {
  if (!Number.isInteger(v)) return false
  return bits === 32 ? v >= -(2 ** 31) && v < 2 ** 31 : Number.isSafeInteger(v)
}

/** The first JSON type error in `value` against `t`; `struct`/`path` name the enclosing Go field. */
function firstTypeError(value: unknown, t: GoType, struct: string, path: string): string | undefined {
  if (value === null || value === undefined) return undefined
  switch (t.k) {
    case 'any':
      return undefined
    case 'string':
      return typeof value === 'string' ? undefined : typeError(value, t, struct, path)
    case 'bool':
      return typeof value === 'boolean' ? undefined : typeError(value, t, struct, path)
    case 'int':
      if (typeof value !== 'number') return typeError(value, t, struct, path)
      return checkInt(value, t.bits) ? undefined : typeError(value, t, struct, path, `number ${value}`)
    case 'intstr':
      if (typeof value === 'string') return undefined
      if (typeof value !== 'number') return typeError(value, t, struct, path)
      return checkInt(value, 32) ? undefined : typeError(value, t, struct, path, `number ${value}`)
    case 'map':
      if (!isObject(value)) return typeError(value, t, struct, path)
      for (const v of Object.values(value)) {
        if (v !== null && typeof v !== 'string') return typeError(v, S(), struct, path)
      }
      return undefined
    case 'list':
      if (!Array.isArray(value)) return typeError(value, t, struct, path)
      for (const item of value) {
        const e = firstTypeError(item, t.of, struct, path)
        if (e) return e
      }
      return undefined
    case 'struct': {
      if (!isObject(value)) return typeError(value, t, struct, path)
      for (const [k, v] of Object.entries(value)) {
        const ft = t.fields[k]
        if (!ft) continue
        const e = firstTypeError(v, ft, t.name, path ? `${path}.${k}` : k)
        if (e) return e
      }
      return undefined
    }
  }
}

/** The decode error a real apiserver reports for a Service body with a wrongly typed field, or undefined. */
export function serviceTypeError(obj: unknown): string | undefined {
  if (!isObject(obj)) return `json: cannot unmarshal ${jsonKind(obj)} into Go value of type v1.Service`
  return firstTypeError(obj, SERVICE_T, 'Service', '')
}
