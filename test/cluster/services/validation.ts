// ValidateService, ValidateServiceClusterIPsRelatedFields and ValidateServiceUpdate from k8s.io/kubernetes
// pkg/apis/core/validation/validation.go, in code order, on a decoded v1 Service.
//
// Bad values are rendered by their Go type: int32 fields with %v, plain strings with %q, and named string
// types (Protocol, ServiceType, IPFamily, ...), pointers, slices and structs as JSON (see errors.ts).

import {
  asJSON,
  child,
  duplicate,
  forbidden,
  index,
  invalid,
  key,
  notSupported,
  required,
  type FieldError,
} from './errors.ts'
import {isIPv6String, isLinkLocalMulticast, isLinkLocalUnicast, isLoopback, isUnspecified, parseCIDR, parseIP} from './ip.ts'
import {
  isValidPortName,
  isValidPortNum,
  nameIsDNS1035Label,
  validateDNS1123Label,
  validateDNS1123Subdomain,
  validateKubeObjectMetaUpdate,
  validateLabels,
  validateObjectMeta,
  validateQualifiedName,
} from './names.ts'
import {externallyAccessible, isHeadless, isNil, isObject, needsHealthCheck, num, ports, str, strList, svcType} from './spec.ts'

export const SUPPORTED_SESSION_AFFINITY = ['ClientIP', 'None']
export const SUPPORTED_SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort']
export const SUPPORTED_PROTOCOLS = ['SCTP', 'TCP', 'UDP']
export const SUPPORTED_IP_FAMILIES = ['IPv4', 'IPv6']
export const SUPPORTED_IP_FAMILY_POLICIES = ['PreferDualStack', 'RequireDualStack', 'SingleStack']
export const SUPPORTED_TRAFFIC_POLICIES = ['Cluster', 'Local']
export const MAX_CLIENT_IP_AFFINITY_SECONDS = 86400

const ANNOTATION_TOPOLOGY_AWARE_HINTS = 'service.kubernetes.io/topology-aware-hints'
const ANNOTATION_TOPOLOGY_MODE = 'service.kubernetes.io/topology-mode'
const ANNOTATION_LB_SOURCE_RANGES = 'service.beta.kubernetes.io/load-balancer-source-ranges'

/** IsValidIP: "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)". */
export function validateIP(path: string, value: string): FieldError[] {
  return parseIP(value) ? [] : [invalid(path, value, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)')]
}

/** IsValidCIDR. */
export function validateCIDR(path: string, value: string): FieldError[] {
  return parseCIDR(value) ? [] : [invalid(path, value, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)')]
}

/** ValidateNonSpecialIP: no unspecified, loopback, link-local or link-local multicast addresses. */
export function validateNonSpecialIP(value: string, path: string): FieldError[] {
  const ip = parseIP(value)
  if (!ip) return [invalid(path, value, 'must be a valid IP address')]
  const errs: FieldError[] = []
  if (isUnspecified(ip)) errs.push(invalid(path, value, `may not be unspecified (${value})`))
  if (isLoopback(ip)) errs.push(invalid(path, value, 'may not be in the loopback range (127.0.0.0/8, ::1/128)'))
  if (isLinkLocalUnicast(ip)) errs.push(invalid(path, value, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)'))
  if (isLinkLocalMulticast(ip)) errs.push(invalid(path, value, 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)'))
  return errs
}

/** ValidatePortNumOrName: an int must be 1..65535, a string an IANA service name. */
export function validatePortNumOrName(port: unknown, path: string): FieldError[] {
  if (typeof port === 'string') return isValidPortName(port).map((m) => invalid(path, port, m))
  const n = num(port)
  return isValidPortNum(n).map((m) => invalid(path, n, m))
}

function validateServicePort(sp: any, requireName: boolean, names: Set<string>, path: string): FieldError[] {
  const errs: FieldError[] = []
  const p = isObject(sp) ? sp : {}
  const name = str(p.name)
  if (requireName && name.length === 0) {
    errs.push(required(child(path, 'name')))
  } else if (name.length !== 0) {
    errs.push(...validateDNS1123Label(name, child(path, 'name')))
    if (names.has(name)) errs.push(duplicate(child(path, 'name'), name))
    else names.add(name)
  }
  const port = num(p.port)
  for (const m of isValidPortNum(port)) errs.push(invalid(child(path, 'port'), port, m))
  const protocol = str(p.protocol)
  if (protocol.length === 0) errs.push(required(child(path, 'protocol')))
  else if (!SUPPORTED_PROTOCOLS.includes(protocol)) errs.push(notSupported(child(path, 'protocol'), asJSON(protocol), SUPPORTED_PROTOCOLS))
  errs.push(...validatePortNumOrName(p.targetPort, child(path, 'targetPort')))
  if (!isNil(p.appProtocol)) errs.push(...validateQualifiedName(str(p.appProtocol), child(path, 'appProtocol')))
  return errs
}

function validateClientIPAffinityConfig(config: any, path: string): FieldError[] {
  const detail = 'when session affinity type is ClientIP'
  if (!isObject(config)) return [required(path, detail)]
  if (!isObject(config.clientIP)) return [required(child(path, 'clientIP'), detail)]
  if (isNil(config.clientIP.timeoutSeconds)) return [required(child(path, 'clientIP', 'timeoutSeconds'), detail)]
  const t = num(config.clientIP.timeoutSeconds)
  if (t <= 0 || t > MAX_CLIENT_IP_AFFINITY_SECONDS) {
    return [invalid(child(path, 'clientIP', 'timeoutSeconds'), t, `must be greater than 0 and less than ${MAX_CLIENT_IP_AFFINITY_SECONDS}`)]
  }
  return []
}

/**
 * ValidateServiceClusterIPsRelatedFields: clusterIP/clusterIPs in sync, ipFamilies and ipFamilyPolicy values,
 * clusterIPs well formed ('None' alone), at most two and dual-stack, each matching its family.
 * Skipped for ExternalName. Also run early by the allocator (initIPFamilyFields).
 */
export function validateClusterIPsRelatedFields(svc: any): FieldError[] {
  if (svcType(svc) === 'ExternalName') return []
  const spec = svc.spec ?? {}
  const errs: FieldError[] = []
  let hasInvalidIPs = false
  const clusterIPsField = 'spec.clusterIPs'
  const clusterIP = str(spec.clusterIP)
  const clusterIPs = strList(spec.clusterIPs)
  if (clusterIP.length !== 0) {
    if (clusterIPs.length === 0) errs.push(required(clusterIPsField))
    else if (clusterIPs[0] !== clusterIP) errs.push(invalid(clusterIPsField, asJSON(clusterIPs), 'first value must match `clusterIP`'))
  } else if (clusterIPs.length !== 0) {
    errs.push(invalid(clusterIPsField, asJSON(clusterIPs), 'must be empty when `clusterIP` is not specified'))
  }
  const families = strList(spec.ipFamilies)
  const seen = new Set<string>()
  families.forEach((fam, i) => {
    if (!SUPPORTED_IP_FAMILIES.includes(fam)) errs.push(notSupported(index('spec.ipFamilies', i), asJSON(fam), SUPPORTED_IP_FAMILIES))
    if (seen.has(fam)) errs.push(duplicate(index('spec.ipFamilies', i), asJSON(fam)))
    seen.add(fam)
  })
  if (!isNil(spec.ipFamilyPolicy)) {
    const pol = str(spec.ipFamilyPolicy)
    if (!SUPPORTED_IP_FAMILY_POLICIES.includes(pol)) errs.push(notSupported('spec.ipFamilyPolicy', asJSON(spec.ipFamilyPolicy), SUPPORTED_IP_FAMILY_POLICIES))
  }
  clusterIPs.forEach((ip, i) => {
    if (i === 0 && ip === 'None') {
      if (clusterIPs.length > 1) {
        hasInvalidIPs = true
        errs.push(invalid(clusterIPsField, asJSON(clusterIPs), "'None' must be the first and only value"))
      }
      return
    }
    const e = validateIP(index(clusterIPsField, i), ip)
    if (e.length) hasInvalidIPs = true
    errs.push(...e)
  })
  if (clusterIPs.length > 2) errs.push(invalid(clusterIPsField, asJSON(clusterIPs), 'may only hold up to 2 values'))
  if (hasInvalidIPs) return errs
  if (clusterIPs.length > 1) {
    // netutils.IsDualStackIPStrings: at least one of each family, whatever the length
    const dualStack = clusterIPs.some((ip) => isIPv6String(ip)) && clusterIPs.some((ip) => !isIPv6String(ip))
    if (!dualStack) errs.push(invalid(clusterIPsField, asJSON(clusterIPs), 'may specify no more than one IP for each IP family'))
  }
  if (!isHeadless(svc) && clusterIPs.length > 0 && families.length > 0) {
    for (let i = 0; i < clusterIPs.length && i < families.length; i++) {
      const ip = clusterIPs[i]
      if (families[i] === 'IPv4' && isIPv6String(ip)) errs.push(invalid(index(clusterIPsField, i), ip, `expected an IPv4 value as indicated by \`ipFamilies[${i}]\``))
      if (families[i] === 'IPv6' && !isIPv6String(ip)) errs.push(invalid(index(clusterIPsField, i), ip, `expected an IPv6 value as indicated by \`ipFamilies[${i}]\``))
    }
  }
  return errs
}

function validateLoadBalancerClassField(oldSvc: any, svc: any): FieldError[] {
  const errs: FieldError[] = []
  const cls = svc.spec?.loadBalancerClass
  if (oldSvc) {
    if (svcType(oldSvc) === 'LoadBalancer' && svcType(svc) === 'LoadBalancer') {
      const oldCls = oldSvc.spec?.loadBalancerClass
      const same = (isNil(oldCls) && isNil(cls)) || (!isNil(oldCls) && !isNil(cls) && oldCls === cls)
      if (!same) errs.push(invalid('spec.loadBalancerClass', asJSON(isNil(cls) ? null : cls), 'may not change once set'))
    }
  }
  if (svcType(svc) === 'LoadBalancer') {
    if (!isNil(cls)) errs.push(...validateQualifiedName(str(cls), 'spec.loadBalancerClass'))
  } else if (!isNil(cls)) {
    errs.push(forbidden('spec.loadBalancerClass', "may only be used when `type` is 'LoadBalancer'"))
  }
  return errs
}

function validateExternalTrafficPolicy(svc: any): FieldError[] {
  const errs: FieldError[] = []
  const etp = str(svc.spec?.externalTrafficPolicy)
  if (!externallyAccessible(svc)) {
    if (etp !== '') errs.push(invalid('spec.externalTrafficPolicy', asJSON(etp), 'may only be set for externally-accessible services'))
  } else if (etp === '') {
    errs.push(required('spec.externalTrafficPolicy'))
  } else if (!SUPPORTED_TRAFFIC_POLICIES.includes(etp)) {
    errs.push(notSupported('spec.externalTrafficPolicy', asJSON(etp), SUPPORTED_TRAFFIC_POLICIES))
  }
  const hc = num(svc.spec?.healthCheckNodePort)
  if (!needsHealthCheck(svc)) {
    if (hc !== 0) errs.push(invalid('spec.healthCheckNodePort', hc, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"))
  } else if (hc === 0) {
    errs.push(required('spec.healthCheckNodePort'))
  } else {
    for (const m of isValidPortNum(hc)) errs.push(invalid('spec.healthCheckNodePort', hc, m))
  }
  return errs
}

function validateInternalTrafficPolicy(svc: any): FieldError[] {
  const itp = svc.spec?.internalTrafficPolicy
  const t = svcType(svc)
  if (isNil(itp)) {
    return t === 'NodePort' || t === 'LoadBalancer' || t === 'ClusterIP' ? [required('spec.internalTrafficPolicy')] : []
  }
  if (!SUPPORTED_TRAFFIC_POLICIES.includes(str(itp))) return [notSupported('spec.internalTrafficPolicy', asJSON(itp), SUPPORTED_TRAFFIC_POLICIES)]
  return []
}

function validateTrafficDistribution(svc: any): FieldError[] {
  const td = svc.spec?.trafficDistribution
  if (isNil(td)) return []
  if (td !== 'PreferClose') return [notSupported('spec.trafficDistribution', str(td), ['PreferClose'])]
  return []
}

/** ValidateService, in code order. */
export function validateService(svc: any): FieldError[] {
  const errs = validateObjectMeta(svc.metadata, true, nameIsDNS1035Label, 'metadata')
  const annotations = isObject(svc.metadata?.annotations) ? svc.metadata.annotations : {}
  const hintsSet = Object.hasOwn(annotations, ANNOTATION_TOPOLOGY_AWARE_HINTS)
  const modeSet = Object.hasOwn(annotations, ANNOTATION_TOPOLOGY_MODE)
  if (hintsSet && modeSet && annotations[ANNOTATION_TOPOLOGY_MODE] !== annotations[ANNOTATION_TOPOLOGY_AWARE_HINTS]) {
    errs.push(
      invalid(
        key('metadata.annotations', ANNOTATION_TOPOLOGY_MODE),
        str(annotations[ANNOTATION_TOPOLOGY_MODE]),
        `must match annotations[${ANNOTATION_TOPOLOGY_AWARE_HINTS}] when both are specified`,
      ),
    )
  }

  const spec = isObject(svc.spec) ? svc.spec : {}
  const type = svcType(svc)
  const svcPorts = ports(svc)
  const headless = isHeadless(svc)
  const clusterIPs = strList(spec.clusterIPs)

  if (svcPorts.length === 0 && !headless && type !== 'ExternalName') errs.push(required('spec.ports'))
  switch (type) {
    case 'LoadBalancer':
      if (headless) errs.push(invalid(index('spec.clusterIPs', 0), clusterIPs[0], "may not be set to 'None' for LoadBalancer services"))
      break
    case 'NodePort':
      if (headless) errs.push(invalid(index('spec.clusterIPs', 0), clusterIPs[0], "may not be set to 'None' for NodePort services"))
      break
    case 'ExternalName': {
      if (clusterIPs.length > 0) errs.push(forbidden('spec.clusterIPs', 'may not be set for ExternalName services'))
      if (strList(spec.ipFamilies).length > 0) errs.push(forbidden('spec.ipFamilies', 'may not be set for ExternalName services'))
      if (!isNil(spec.ipFamilyPolicy)) errs.push(forbidden('spec.ipFamilyPolicy', 'may not be set for ExternalName services'))
      const cname = str(spec.externalName).replace(/\.$/, '')
      if (cname.length > 0) errs.push(...validateDNS1123Subdomain(cname, 'spec.externalName'))
      else errs.push(required('spec.externalName'))
      break
    }
  }

  const names = new Set<string>()
  svcPorts.forEach((p, i) => errs.push(...validateServicePort(p, svcPorts.length > 1, names, index('spec.ports', i))))

  if (!isNil(spec.selector)) errs.push(...validateLabels(spec.selector, 'spec.selector'))

  const affinity = str(spec.sessionAffinity)
  if (affinity.length === 0) errs.push(required('spec.sessionAffinity'))
  else if (!SUPPORTED_SESSION_AFFINITY.includes(affinity)) errs.push(notSupported('spec.sessionAffinity', asJSON(affinity), SUPPORTED_SESSION_AFFINITY))
  if (affinity === 'ClientIP') {
    errs.push(...validateClientIPAffinityConfig(spec.sessionAffinityConfig, 'spec.sessionAffinityConfig'))
  } else if (affinity === 'None' && !isNil(spec.sessionAffinityConfig)) {
    errs.push(forbidden('spec.sessionAffinityConfig', 'must not be set when session affinity is None'))
  }

  errs.push(...validateClusterIPsRelatedFields(svc))

  strList(spec.externalIPs).forEach((ip, i) => {
    const p = index('spec.externalIPs', i)
    const e = validateIP(p, ip)
    errs.push(...(e.length ? e : validateNonSpecialIP(ip, p)))
  })

  if (type.length === 0) errs.push(required('spec.type'))
  else if (!SUPPORTED_SERVICE_TYPES.includes(type)) errs.push(notSupported('spec.type', asJSON(type), SUPPORTED_SERVICE_TYPES))

  if (type === 'ClusterIP') {
    svcPorts.forEach((p, i) => {
      if (num(p?.nodePort) !== 0) errs.push(forbidden(child(index('spec.ports', i), 'nodePort'), "may not be used when `type` is 'ClusterIP'"))
    })
  }

  const nodePorts = new Set<string>()
  svcPorts.forEach((p, i) => {
    const np = num(p?.nodePort)
    if (np === 0) return
    const k = `${str(p?.protocol)}/${np}`
    if (nodePorts.has(k)) errs.push(duplicate(child(index('spec.ports', i), 'nodePort'), np))
    nodePorts.add(k)
  })

  const portKeys = new Set<string>()
  svcPorts.forEach((p, i) => {
    const protocol = str(p?.protocol)
    const port = num(p?.port)
    const k = `${protocol}/${port}`
    // The key is an internal core.ServicePort (no json tags) holding only Protocol and Port.
    if (portKeys.has(k)) {
      errs.push(duplicate(index('spec.ports', i), asJSON({Name: '', Protocol: protocol, AppProtocol: null, Port: port, TargetPort: 0, NodePort: 0})))
    }
    portKeys.add(k)
  })

  const ranges = strList(spec.loadBalancerSourceRanges)
  if (ranges.length > 0) {
    const fieldPath = 'spec.LoadBalancerSourceRanges'
    if (type !== 'LoadBalancer') errs.push(forbidden(fieldPath, "may only be used when `type` is 'LoadBalancer'"))
    ranges.forEach((v, i) => errs.push(...validateCIDR(index(fieldPath, i), v.trim())))
  } else if (Object.hasOwn(annotations, ANNOTATION_LB_SOURCE_RANGES)) {
    const fieldPath = key('metadata.annotations', ANNOTATION_LB_SOURCE_RANGES)
    if (type !== 'LoadBalancer') errs.push(forbidden(fieldPath, "may only be used when `type` is 'LoadBalancer'"))
    const val = str(annotations[ANNOTATION_LB_SOURCE_RANGES]).trim()
    if (val !== '') for (const v of val.split(',')) errs.push(...validateCIDR(fieldPath, v.trim()))
  }

  if (!isNil(spec.allocateLoadBalancerNodePorts) && type !== 'LoadBalancer') {
    errs.push(forbidden('spec.allocateLoadBalancerNodePorts', "may only be used when `type` is 'LoadBalancer'"))
  }
  if (type === 'LoadBalancer' && isNil(spec.allocateLoadBalancerNodePorts)) errs.push(required('allocateLoadBalancerNodePorts'))

  errs.push(...validateLoadBalancerClassField(null, svc))
  errs.push(...validateExternalTrafficPolicy(svc))
  errs.push(...validateInternalTrafficPolicy(svc))
  errs.push(...validateTrafficDistribution(svc))
  return errs
}

function validateUpgradeDowngradeClusterIPs(oldSvc: any, svc: any): FieldError[] {
  const errs: FieldError[] = []
  if (svcType(svc) === 'ExternalName' || svcType(oldSvc) === 'ExternalName') return errs
  if (isHeadless(oldSvc) && isHeadless(svc)) return errs
  const oldIPs = strList(oldSvc.spec?.clusterIPs)
  const newIPs = strList(svc.spec?.clusterIPs)
  if (oldIPs.length === newIPs.length) {
    oldIPs.forEach((ip, i) => {
      if (ip !== newIPs[i]) errs.push(invalid(index('spec.clusterIPs', i), asJSON(newIPs), 'may not change once set'))
    })
  } else if (oldIPs.length > newIPs.length) {
    if (newIPs.length === 0) errs.push(invalid(index('spec.clusterIPs', 0), asJSON(newIPs), 'primary clusterIP can not be unset'))
    if (oldIPs.length > 0 && newIPs.length > 0 && newIPs[0] !== oldIPs[0]) {
      errs.push(invalid(index('spec.clusterIPs', 0), asJSON(newIPs), 'may not change once set'))
    }
    if (newIPs.length === 1 && str(svc.spec?.ipFamilyPolicy) !== 'SingleStack') {
      errs.push(invalid('spec.ipFamilyPolicy', asJSON(svc.spec?.ipFamilyPolicy ?? null), "must be set to 'SingleStack' when releasing the secondary clusterIP"))
    }
  } else if (oldIPs.length > 0 && newIPs[0] !== oldIPs[0]) {
    errs.push(invalid(index('spec.clusterIPs', 0), asJSON(newIPs), 'may not change once set'))
  }
  return errs
}

function validateUpgradeDowngradeIPFamilies(oldSvc: any, svc: any): FieldError[] {
  const errs: FieldError[] = []
  if (svcType(svc) === 'ExternalName' || svcType(oldSvc) === 'ExternalName') return errs
  const oldHeadless = isHeadless(oldSvc)
  const newHeadless = isHeadless(svc)
  if (oldHeadless !== newHeadless || newHeadless) return errs
  const oldFams = strList(oldSvc.spec?.ipFamilies)
  const newFams = strList(svc.spec?.ipFamilies)
  const newIPs = strList(svc.spec?.clusterIPs)
  if (oldFams.length === newFams.length) {
    oldFams.forEach((f, i) => {
      if (f !== newFams[i]) errs.push(invalid(index('spec.ipFamilies', 0), asJSON(newFams), 'may not change once set'))
    })
  } else if (oldFams.length > newFams.length) {
    if (newIPs.length === 0) errs.push(invalid(index('spec.ipFamilies', 0), asJSON(newFams), 'primary ipFamily can not be unset'))
    if (newFams.length > 0 && newFams[0] !== oldFams[0]) errs.push(invalid(index('spec.ipFamilies', 0), asJSON(newIPs), 'may not change once set'))
    if (newFams.length === 1 && str(svc.spec?.ipFamilyPolicy) !== 'SingleStack') {
      errs.push(invalid('spec.ipFamilyPolicy', asJSON(svc.spec?.ipFamilyPolicy ?? null), "must be set to 'SingleStack' when releasing the secondary ipFamily"))
    }
  } else if (oldFams.length > 0 && newFams.length > 0 && newFams[0] !== oldFams[0]) {
    errs.push(invalid(index('spec.ipFamilies', 0), asJSON(newIPs), 'may not change once set'))
  }
  return errs
}

function validateExternalTrafficFieldsUpdate(oldSvc: any, svc: any): FieldError[] {
  if (needsHealthCheck(oldSvc) && needsHealthCheck(svc) && num(svc.spec?.healthCheckNodePort) !== num(oldSvc.spec?.healthCheckNodePort)) {
    return [forbidden('spec.healthCheckNodePort', 'field is immutable')]
  }
  return []
}

/** ValidateServiceUpdate: metadata update rules, clusterIPs/ipFamilies up/downgrades, loadBalancerClass, then ValidateService. */
export function validateServiceUpdate(svc: any, oldSvc: any): FieldError[] {
  return [
    ...validateKubeObjectMetaUpdate(svc.metadata, oldSvc.metadata, 'metadata'),
    ...validateUpgradeDowngradeClusterIPs(oldSvc, svc),
    ...validateUpgradeDowngradeIPFamilies(oldSvc, svc),
    ...validateLoadBalancerClassField(oldSvc, svc),
    ...validateExternalTrafficFieldsUpdate(oldSvc, svc),
    ...validateService(svc),
  ]
}

export const SUPPORTED_LB_IP_MODES = ['Proxy', 'VIP']

/**
 * ValidateLoadBalancerStatus (AllowServiceLBStatusOnNonLB off, LoadBalancerIPMode on): ingress only on
 * LoadBalancer services; ip a valid IP; ipMode required with an ip, forbidden without, VIP or Proxy;
 * hostname a DNS-1123 subdomain and not an IP.
 */
export function validateLoadBalancerStatus(status: any, path: string, spec: any): FieldError[] {
  const errs: FieldError[] = []
  const ingress = Array.isArray(status?.ingress) ? status.ingress : []
  const ingrPath = child(path, 'ingress')
  if (str(spec?.type) !== 'LoadBalancer' && ingress.length !== 0) {
    errs.push(forbidden(ingrPath, "may only be used when `spec.type` is 'LoadBalancer'"))
    return errs
  }
  ingress.forEach((ing: any, i: number) => {
    const p = index(ingrPath, i)
    const ip = str(ing?.ip)
    const hostname = str(ing?.hostname)
    if (ip.length > 0) errs.push(...validateIP(child(p, 'ip'), ip))
    if (isNil(ing?.ipMode)) {
      if (ip.length > 0) errs.push(required(child(p, 'ipMode'), 'must be specified when `ip` is set'))
    } else if (ip.length === 0) {
      errs.push(forbidden(child(p, 'ipMode'), 'may not be specified when `ip` is not set'))
    } else if (!SUPPORTED_LB_IP_MODES.includes(str(ing.ipMode))) {
      errs.push(notSupported(child(p, 'ipMode'), asJSON(ing.ipMode), SUPPORTED_LB_IP_MODES))
    }
    if (hostname.length > 0) {
      errs.push(...validateDNS1123Subdomain(hostname, child(p, 'hostname')))
      if (parseIP(hostname)) errs.push(invalid(child(p, 'hostname'), hostname, 'must be a DNS name, not an IP address'))
    }
  })
  return errs
}

/** ValidateServiceStatusUpdate: metadata update rules and the load-balancer status. */
export function validateServiceStatusUpdate(svc: any, oldSvc: any): FieldError[] {
  return [
    ...validateKubeObjectMetaUpdate(svc.metadata, oldSvc.metadata, 'metadata'),
    ...validateLoadBalancerStatus(svc.status?.loadBalancer, 'status.loadBalancer', svc.spec),
  ]
}
