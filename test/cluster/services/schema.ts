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
