// SetDefaults_Service from k8s.io/kubernetes pkg/apis/core/v1/defaults.go, applied to a decoded v1 object.

import {externallyAccessible, isNil, isObject, ports, specOf, str} from './spec.ts'

/** DefaultClientIPServiceAffinitySeconds (api core/v1 types.go). */
export const DEFAULT_CLIENT_IP_AFFINITY_SECONDS = 10800

export function setDefaultsService(svc: any): void {
  const spec = specOf(svc)
  if (str(spec.sessionAffinity) === '') spec.sessionAffinity = 'None'
  if (spec.sessionAffinity === 'None') {
    delete spec.sessionAffinityConfig
  }
  if (spec.sessionAffinity === 'ClientIP') {
    const cfg = spec.sessionAffinityConfig
    if (!isObject(cfg) || !isObject(cfg.clientIP) || isNil(cfg.clientIP.timeoutSeconds)) {
      spec.sessionAffinityConfig = {clientIP: {timeoutSeconds: DEFAULT_CLIENT_IP_AFFINITY_SECONDS}}
    }
  }
  if (str(spec.type) === '') spec.type = 'ClusterIP'
  for (const p of ports(svc)) {
    if (!isObject(p)) continue
    if (str(p.protocol) === '') p.protocol = 'TCP'
    if (isNil(p.targetPort) || p.targetPort === 0 || p.targetPort === '') p.targetPort = typeof p.port === 'number' ? p.port : 0
  }
  if (externallyAccessible(svc) && str(spec.externalTrafficPolicy) === '') spec.externalTrafficPolicy = 'Cluster'
  if (isNil(spec.internalTrafficPolicy)) {
    if (spec.type === 'NodePort' || spec.type === 'LoadBalancer' || spec.type === 'ClusterIP') spec.internalTrafficPolicy = 'Cluster'
  }
  if (spec.type === 'LoadBalancer' && isNil(spec.allocateLoadBalancerNodePorts)) spec.allocateLoadBalancerNodePorts = true
  if (spec.type === 'LoadBalancer') {
    const ingress = svc.status?.loadBalancer?.ingress
    if (Array.isArray(ingress)) {
      for (const ing of ingress) if (isObject(ing) && str(ing.ip) !== '' && isNil(ing.ipMode)) ing.ipMode = 'VIP'
    }
  }
}
