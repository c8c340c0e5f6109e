/**
 * Adapter between the services REST handler and the Service semantics module (test/cluster/services/, owned by
 * the cluster-svc helper). Until that module is merged, a minimal fallback does the v1 defaulting and a simple
 * clusterIP / nodePort allocation so the server is usable; validation beyond the basics is theirs.
 */
export type PrepareResult = {ok: true; service: any} | {ok: false; status: any}

export interface ServiceSemantics {
  createAllocators(): unknown
  prepareServiceCreate(svc: any, alloc: any): PrepareResult
  prepareServiceUpdate(newSvc: any, oldSvc: any, alloc: any): PrepareResult
  releaseService(svc: any, alloc: any): void
}

function ipToInt(ip: string): number {
  return ip.split('.').reduce((a, b) => a * 256 + Number(b), 0)
}

function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.')
}

interface FallbackAllocators {
  ips: Set<string>
  ports: Set<number>
  nextIp: number
  nextPort: number
}

const fallback: ServiceSemantics = {
  createAllocators(): FallbackAllocators {
    return {ips: new Set(['10.96.0.1']), ports: new Set(), nextIp: ipToInt('10.96.0.10'), nextPort: 30000}
  },
  prepareServiceCreate(input: any, alloc: FallbackAllocators): PrepareResult {
    const svc = structuredClone(input)
    const spec = (svc.spec ??= {})
    spec.type ??= 'ClusterIP'
    spec.sessionAffinity ??= 'None'
    for (const p of spec.ports ?? []) {
      p.protocol ??= 'TCP'
      if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port
    }
    if (spec.type !== 'ExternalName') {
      spec.internalTrafficPolicy ??= 'Cluster'
      spec.ipFamilyPolicy ??= 'SingleStack'
      spec.ipFamilies ??= ['IPv4']
      if (!spec.clusterIP) {
        while (alloc.ips.has(intToIp(alloc.nextIp))) alloc.nextIp++
        spec.clusterIP = intToIp(alloc.nextIp++)
      }
      if (spec.clusterIP !== 'None') alloc.ips.add(spec.clusterIP)
      spec.clusterIPs ??= [spec.clusterIP]
    }
    if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') {
      spec.externalTrafficPolicy ??= 'Cluster'
      for (const p of spec.ports ?? []) {
        if (!p.nodePort) {
          while (alloc.ports.has(alloc.nextPort)) alloc.nextPort++
          p.nodePort = alloc.nextPort++
        }
        alloc.ports.add(p.nodePort)
      }
    }
    if (spec.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts ??= true
    svc.status = {loadBalancer: {}}
    return {ok: true, service: svc}
  },
  prepareServiceUpdate(input: any, old: any): PrepareResult {
    const svc = structuredClone(input)
    svc.spec ??= {}
    if (!svc.spec.clusterIP && old.spec?.clusterIP) svc.spec.clusterIP = old.spec.clusterIP
    if (!svc.spec.clusterIPs && old.spec?.clusterIPs) svc.spec.clusterIPs = old.spec.clusterIPs
    svc.spec.type ??= old.spec?.type ?? 'ClusterIP'
    svc.spec.sessionAffinity ??= 'None'
    return {ok: true, service: svc}
  },
  releaseService(svc: any, alloc: FallbackAllocators): void {
    for (const ip of svc.spec?.clusterIPs ?? []) alloc.ips.delete(ip)
    for (const p of svc.spec?.ports ?? []) if (p.nodePort) alloc.ports.delete(p.nodePort)
  },
}

export const serviceSemantics: ServiceSemantics = fallback
