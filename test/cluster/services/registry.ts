// The Service registry: what the apiserver does between decoding a Service and storing it.
// Sources (k8s.io/kubernetes): pkg/registry/core/service/storage/storage.go (beginCreate, beginUpdate,
// normalizeClusterIPs, patchAllocatedValues, defaultOnRead*, afterDelete), storage/alloc.go (allocateCreate,
// initIPFamilyFields, allocClusterIPs, allocIPs, txnAllocNodePorts, initNodePorts, allocateUpdate,
// updateClusterIPs, updateNodePorts, updateHealthCheckNodePort, releaseAllocatedResources),
// pkg/registry/core/service/strategy.go (PrepareForCreate, PrepareForUpdate, dropTypeDependentFields) and
// k8s.io/apiserver rest.BeforeCreate / BeforeUpdate (name generation, uid/creationTimestamp carried over,
// the generic metadata checks).
//
// Create: defaults -> generateName -> normalizeClusterIPs -> initIPFamilyFields -> clusterIPs -> nodePorts ->
// PrepareForCreate -> ValidateService -> generic metadata checks. Allocation errors win over validation errors.

import {AllocationError, PortOperation, type Allocators, type IPAllocator} from './allocators.ts'
import {setDefaultsService} from './defaults.ts'
import {asJSON, badRequestStatus, child, index, internalErrorStatus, invalid, invalidStatus, type FieldError, type Status} from './errors.ts'
import {parseIP, warningsForCIDR, warningsForIP, type Family} from './ip.ts'
import {validateCommonCreate, validateObjectMetaUpdate} from './names.ts'
import {serviceTypeError, unknownServiceFields} from './schema.ts'
import {isNil, isObject, needsClusterIP, needsHealthCheck, needsNodePort, num, ports, sameList, specOf, str, strList, svcType} from './spec.ts'
import {validateClusterIPsRelatedFields, validateService, validateServiceStatusUpdate, validateServiceUpdate} from './validation.ts'

export type Prepared = {ok: true; service: any; warnings?: string[]} | {ok: false; status: Status}

/**
 * dryRun: compute everything, keep nothing. fieldValidation: when given, unknown fields are handled here as the
 * apiserver's decoder does (Strict: 400, Warn: a warning each, Ignore: dropped); when absent they are dropped
 * silently (leave it to the caller).
 */
export interface PrepareOptions {
  dryRun?: boolean
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore'
}

/**
 * Decoding: a wrongly typed field is a 400 (the first one in document order), then unknown fields per
 * fieldValidation. Returns the warnings to add, or throws a Refusal.
 */
function decodeChecks(body: any, opts: PrepareOptions): string[] {
  const kind = typeof body?.kind === 'string' && body.kind ? body.kind : 'Service'
  const version = typeof body?.apiVersion === 'string' && body.apiVersion ? body.apiVersion.split('/').pop() : 'v1'
  const wrap = (err: string) => new Refusal(badRequestStatus(`${kind} in version ${JSON.stringify(version)} cannot be handled as a Service: ${err}`))
  const typeErr = serviceTypeError(body)
  if (typeErr) throw wrap(typeErr)
  if (!opts.fieldValidation || opts.fieldValidation === 'Ignore') return []
  const unknown = unknownServiceFields(body).map((f) => `unknown field ${JSON.stringify(f)}`)
  if (unknown.length === 0) return []
  if (opts.fieldValidation === 'Strict') throw wrap(`strict decoding error: ${unknown.join(', ')}`)
  return unknown
}

/** A failure on the way: the Status the apiserver would answer with. */
class Refusal extends Error {
  readonly status: Status
  constructor(status: Status) {
    super(status.message)
    this.status = status
  }
}

function refuse422(svc: any, errs: FieldError[]): Refusal {
  return new Refusal(invalidStatus('Service', str(svc?.metadata?.name), errs))
}

function refuse500(message: string): Refusal {
  return new Refusal(internalErrorStatus(message))
}

/** An error that is not a metav1.Status reaches the client as a 500 with no reason (ErrorToAPIStatus). */
function refuseUnknown(message: string): Refusal {
  return new Refusal({kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, code: 500})
}

/** Undo/redo lists of one request's allocations (the metaTransaction of alloc.go). */
class Txn {
  private readonly reverts: Array<() => void> = []
  private readonly commits: Array<() => void> = []
  onRevert(fn: () => void): void {
    this.reverts.push(fn)
  }
  onCommit(fn: () => void): void {
    this.commits.push(fn)
  }
  revert(): void {
    for (const fn of this.reverts.reverse()) fn()
    this.reverts.length = 0
    this.commits.length = 0
  }
  commit(): void {
    for (const fn of this.commits) fn()
    this.reverts.length = 0
    this.commits.length = 0
  }
}

function otherFamily(f: string): Family {
  return f === 'IPv4' ? 'IPv6' : 'IPv4'
}

function familyOf(ip: string): string {
  return parseIP(ip)?.family ?? 'unknown'
}

function allocatorFor(alloc: Allocators, family: string): IPAllocator | undefined {
  return alloc.clusterIPs.family === family ? alloc.clusterIPs : undefined
}

function selectorEmpty(svc: any): boolean {
  const sel = svc.spec?.selector
  return !isObject(sel) || Object.keys(sel).length === 0
}

// ---------------------------------------------------------------------------------------------------------
// storage.go helpers

/** normalizeClusterIPs: keep clusterIP and clusterIPs consistent for clients that only know one of them. */
export function normalizeClusterIPs(svc: any, oldSvc: any | null): void {
  const spec = specOf(svc)
  const ip = str(spec.clusterIP)
  const ips = strList(spec.clusterIPs)
  if (!oldSvc) {
    if (ip.length > 0 && ips.length === 0) spec.clusterIPs = [ip]
    return
  }
  const oldIP = str(oldSvc.spec?.clusterIP)
  const oldIPs = strList(oldSvc.spec?.clusterIPs)
  if (oldIPs.length > 0 && ips.length === 0 && oldIP === ip) spec.clusterIPs = [...oldIPs]
  const curIPs = strList(spec.clusterIPs)
  if (oldIP !== ip) {
    const same = oldIPs.length === curIPs.length && oldIPs.every((v, i) => v === curIPs[i])
    if (oldIP.length > 0 && ip.length === 0) {
      if (same) delete spec.clusterIPs
    } else if (same) {
      spec.clusterIPs = [ip]
    }
  }
}

/** patchAllocatedValues: a re-applied manifest without the allocated values keeps them. */
function patchAllocatedValues(svc: any, oldSvc: any): void {
  const spec = specOf(svc)
  if (needsClusterIP(oldSvc) && needsClusterIP(svc)) {
    if (str(spec.clusterIP) === '' && str(oldSvc.spec?.clusterIP) !== '') spec.clusterIP = oldSvc.spec.clusterIP
    if (strList(spec.clusterIPs).length === 0 && strList(oldSvc.spec?.clusterIPs).length > 0) spec.clusterIPs = [...strList(oldSvc.spec.clusterIPs)]
  }
  if (needsNodePort(oldSvc) && needsNodePort(svc)) {
    const usedIn = (s: any) => new Set(ports(s).map((p) => num(p?.nodePort)).filter((n) => n !== 0))
    const oldUsed = usedIn(oldSvc)
    const newUsed = usedIn(svc)
    const used = new Set([...oldUsed].filter((n) => newUsed.has(n)))
    const byName = new Map<string, number>()
    for (const p of ports(oldSvc)) byName.set(str(p?.name), num(p?.nodePort))
    for (const p of ports(svc)) {
      if (!isObject(p) || num(p.nodePort) !== 0) continue
      const oldVal = byName.get(str(p.name)) ?? 0
      if (!used.has(oldVal) && oldVal !== 0) p.nodePort = oldVal
    }
  }
  if (needsHealthCheck(oldSvc) && needsHealthCheck(svc)) {
    if (num(spec.healthCheckNodePort) === 0 && num(oldSvc.spec?.healthCheckNodePort) !== 0) spec.healthCheckNodePort = oldSvc.spec.healthCheckNodePort
  }
}

/** defaultOnReadService: what the registry fills in when it reads an object written by an older server. */
export function defaultOnRead(svc: any, alloc: Allocators): void {
  normalizeClusterIPs(svc, null)
  const spec = specOf(svc)
  if (needsClusterIP(svc) && strList(spec.ipFamilies).length === 0) {
    const primary = alloc.families[0]
    if (str(spec.clusterIP) === 'None') {
      if (selectorEmpty(svc)) {
        spec.ipFamilyPolicy = 'RequireDualStack'
        spec.ipFamilies = [primary, otherFamily(primary)]
      } else {
        spec.ipFamilyPolicy = 'SingleStack'
        spec.ipFamilies = [primary]
      }
    } else {
      spec.ipFamilies = strList(spec.clusterIPs).map((ip) => (parseIP(ip)?.family === 'IPv6' ? 'IPv6' : 'IPv4'))
      if (spec.ipFamilies.length === 1) spec.ipFamilyPolicy = 'SingleStack'
      else if (spec.ipFamilies.length === 2) spec.ipFamilyPolicy = 'RequireDualStack'
      else delete spec.ipFamilies
    }
  }
  if (svcType(svc) === 'ExternalName') delete spec.internalTrafficPolicy
}

// ---------------------------------------------------------------------------------------------------------
// alloc.go: IP families and clusterIPs

function isMatchingPreferDualStack(svc: any, oldSvc: any | null): boolean {
  if (!oldSvc) return false
  if (isNil(svc.spec?.ipFamilyPolicy)) return false
  if (svcType(oldSvc) !== svcType(svc)) return false
  if (!['ClusterIP', 'NodePort', 'LoadBalancer'].includes(svcType(svc))) return false
  if (str(svc.spec.ipFamilyPolicy) !== 'PreferDualStack') return false
  if (!isNil(oldSvc.spec?.ipFamilyPolicy) && str(oldSvc.spec.ipFamilyPolicy) !== 'PreferDualStack') return false
  return sameList(oldSvc.spec?.clusterIPs, svc.spec?.clusterIPs) && sameList(oldSvc.spec?.ipFamilies, svc.spec?.ipFamilies)
}

/** initIPFamilyFields: default ipFamilyPolicy and ipFamilies, checking what this cluster can serve. */
function initIPFamilyFields(svc: any, oldSvc: any | null, alloc: Allocators): void {
  if (svcType(svc) === 'ExternalName') return
  if (isMatchingPreferDualStack(svc, oldSvc)) return
  const spec = specOf(svc)
  if (isNil(spec.ipFamilyPolicy)) {
    if (oldSvc && !isNil(oldSvc.spec?.ipFamilyPolicy)) spec.ipFamilyPolicy = oldSvc.spec.ipFamilyPolicy
    else if (str(spec.clusterIP) === 'None' && selectorEmpty(svc)) spec.ipFamilyPolicy = 'RequireDualStack'
    else spec.ipFamilyPolicy = 'SingleStack'
  }
  const early = validateClusterIPsRelatedFields(svc)
  if (early.length) throw refuse422(svc, early)

  const policy = str(spec.ipFamilyPolicy)
  const policyValue = () => asJSON(spec.ipFamilyPolicy ?? null)
  const el: FieldError[] = []
  if (oldSvc) {
    if (policy === 'SingleStack') {
      if (sameList(oldSvc.spec?.clusterIPs, spec.clusterIPs) && strList(spec.clusterIPs).length > 1) spec.clusterIPs = strList(spec.clusterIPs).slice(0, 1)
      if (sameList(oldSvc.spec?.ipFamilies, spec.ipFamilies) && strList(spec.ipFamilies).length > 1) spec.ipFamilies = strList(spec.ipFamilies).slice(0, 1)
    } else {
      const newIPs = strList(spec.clusterIPs)
      if (newIPs.length > 0 && newIPs.length < strList(oldSvc.spec?.clusterIPs).length) {
        el.push(invalid('spec.ipFamilyPolicy', policyValue(), "must be 'SingleStack' to release the secondary cluster IP"))
      }
      const newFams = strList(spec.ipFamilies)
      if (newFams.length > 0 && newFams.length < strList(oldSvc.spec?.ipFamilies).length) {
        el.push(invalid('spec.ipFamilyPolicy', policyValue(), "must be 'SingleStack' to release the secondary IP family"))
      }
    }
  }
  if (policy === 'SingleStack') {
    if (strList(spec.clusterIPs).length === 2) {
      el.push(invalid('spec.ipFamilyPolicy', policyValue(), "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified"))
    }
    if (strList(spec.ipFamilies).length === 2) {
      el.push(invalid('spec.ipFamilyPolicy', policyValue(), "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified"))
    }
  }
  const clusterIPs = strList(spec.clusterIPs)
  for (let i = 0; i < clusterIPs.length; i++) {
    const ip = clusterIPs[i]
    if (ip === 'None') break
    const fam = familyOf(ip)
    const fams = strList(spec.ipFamilies)
    if (i >= fams.length) {
      if (!alloc.families.includes(fam as Family)) {
        el.push(invalid(index('spec.clusterIPs', i), asJSON(clusterIPs), `${fam} is not configured on this cluster`))
      } else spec.ipFamilies = [...fams, fam]
    }
  }
  if (el.length) throw refuse422(svc, el)

  if (str(spec.clusterIP) === 'None' && selectorEmpty(svc)) {
    if (strList(spec.ipFamilies).length === 0) spec.ipFamilies = [alloc.families[0]]
    const fams = strList(spec.ipFamilies)
    if (fams.length < 2 && str(spec.ipFamilyPolicy) !== 'SingleStack') spec.ipFamilies = [...fams, otherFamily(fams[0])]
    return
  }
  if (str(spec.ipFamilyPolicy) === 'RequireDualStack' && alloc.families.length < 2) {
    el.push(invalid('spec.ipFamilyPolicy', policyValue(), 'this cluster is not configured for dual-stack services'))
  }
  strList(spec.ipFamilies).forEach((fam, i) => {
    if (!alloc.families.includes(fam as Family)) el.push(invalid(index('spec.ipFamilies', i), asJSON(fam), 'not configured on this cluster'))
  })
  if (el.length) throw refuse422(svc, el)
  if (strList(spec.ipFamilies).length === 0) spec.ipFamilies = [alloc.families[0]]
  const fams = strList(spec.ipFamilies)
  if (str(spec.ipFamilyPolicy) !== 'SingleStack' && fams.length === 1 && alloc.families.length === 2) spec.ipFamilies = [...fams, otherFamily(fams[0])]
}

/** allocIPs: allocate each family's requested (or next free) address. Returns family -> IP actually taken. */
function allocIPs(svc: any, toAlloc: Map<string, string>, alloc: Allocators, dryRun: boolean, txn: Txn): Map<string, string> {
  const allocated = new Map<string, string>()
  for (const [family, ip] of toAlloc) {
    const a = allocatorFor(alloc, family)
    if (!a) throw refuse500(`failed to allocate a serviceIP: no allocator for family ${family}`)
    if (ip === '') {
      let next: string
      try {
        next = a.allocateNext(dryRun)
      } catch (e) {
        throw refuse500(`failed to allocate a serviceIP: ${(e as Error).message}`)
      }
      if (!dryRun) txn.onRevert(() => a.release(next))
      allocated.set(family, next)
    } else {
      if (!parseIP(ip)) throw refuse500(`failed to parse service IP ${JSON.stringify(ip)}`)
      try {
        a.allocate(ip, dryRun)
      } catch (e) {
        if (!(e instanceof AllocationError)) throw e
        throw refuse422(svc, [invalid('spec.clusterIPs', asJSON(strList(svc.spec.clusterIPs)), `failed to allocate IP ${ip}: ${e.message}`)])
      }
      if (!dryRun) txn.onRevert(() => a.release(ip))
      allocated.set(family, ip)
    }
  }
  return allocated
}

/** allocClusterIPs: nothing for ExternalName and headless; otherwise one address per ipFamilies entry. */
function allocClusterIPs(svc: any, alloc: Allocators, dryRun: boolean, txn: Txn): Map<string, string> {
  if (svcType(svc) === 'ExternalName') return new Map()
  const spec = specOf(svc)
  const ips = strList(spec.clusterIPs)
  if (ips.length > 0 && ips[0] === 'None') return new Map()
  const fams = strList(spec.ipFamilies)
  const toAlloc = new Map<string, string>()
  fams.forEach((fam, i) => {
    if (i > ips.length - 1) ips.push('')
    toAlloc.set(fam, ips[i])
  })
  spec.clusterIPs = ips
  const allocated = allocIPs(svc, toAlloc, alloc, dryRun, txn)
  for (const [family, ip] of allocated) {
    fams.forEach((f, i) => {
      if (f !== family) return
      spec.clusterIPs[i] = ip
      if (i === 0) spec.clusterIP = ip
    })
  }
  return allocated
}

function releaseIPs(toRelease: Map<string, string>, alloc: Allocators): void {
  for (const [family, ip] of toRelease) allocatorFor(alloc, family)?.release(ip)
}

// ---------------------------------------------------------------------------------------------------------
// alloc.go: nodePorts

function shouldAllocateNodePorts(svc: any): boolean {
  const t = svcType(svc)
  if (t === 'NodePort') return true
  if (t === 'LoadBalancer') return svc.spec?.allocateLoadBalancerNodePorts !== false
  return false
}

function nodePortError(svc: any, i: number, port: number, e: unknown): Refusal {
  if (!(e instanceof AllocationError)) throw e
  return refuse422(svc, [invalid(child(index('spec.ports', i), 'nodePort'), port, e.message)])
}

function allocateNextNodePort(op: PortOperation): number {
  try {
    return op.allocateNext()
  } catch (e) {
    throw refuse500(`failed to allocate a nodePort: ${(e as Error).message}`)
  }
}

/** initNodePorts: ports that share a port number share a nodePort; requested ones are reserved. */
function initNodePorts(svc: any, op: PortOperation): void {
  const svcPorts = ports(svc)
  const byPort = new Map<number, number>()
  const findRequested = (port: number) => {
    for (const p of svcPorts) if (num(p?.port) === port && num(p?.nodePort) !== 0) return num(p.nodePort)
    return 0
  }
  svcPorts.forEach((sp, i) => {
    if (!isObject(sp)) return
    if (num(sp.nodePort) === 0 && !shouldAllocateNodePorts(svc)) return
    const port = num(sp.port)
    const already = byPort.get(port) ?? 0
    if (already === 0) {
      const np = findRequested(port)
      if (np !== 0) {
        try {
          op.allocate(np)
        } catch (e) {
          throw nodePortError(svc, i, np, e)
        }
        sp.nodePort = np
        byPort.set(port, np)
      } else {
        const n = allocateNextNodePort(op)
        sp.nodePort = n
        byPort.set(port, n)
      }
    } else if (num(sp.nodePort) !== already) {
      if (num(sp.nodePort) === 0) sp.nodePort = already
      else {
        try {
          op.allocate(num(sp.nodePort))
        } catch (e) {
          throw nodePortError(svc, i, num(sp.nodePort), e)
        }
      }
    }
  })
}

/** allocHealthCheckNodePort: reserve the requested one or take the next; failures are 500s. */
function allocHealthCheckNodePort(svc: any, op: PortOperation): void {
  const spec = specOf(svc)
  const hc = num(spec.healthCheckNodePort)
  if (hc !== 0) {
    try {
      op.allocate(hc)
    } catch (e) {
      throw refuse500(`failed to allocate requested HealthCheck NodePort ${hc}: ${(e as Error).message}`)
    }
  } else {
    try {
      spec.healthCheckNodePort = op.allocateNext()
    } catch (e) {
      throw refuse500(`failed to allocate a HealthCheck NodePort 0: ${(e as Error).message}`)
    }
  }
}

function txnAllocNodePorts(svc: any, alloc: Allocators, dryRun: boolean, txn: Txn): void {
  const op = new PortOperation(alloc.nodePorts, dryRun)
  try {
    if (needsNodePort(svc)) initNodePorts(svc, op)
    if (needsHealthCheck(svc)) allocHealthCheckNodePort(svc, op)
  } catch (e) {
    op.rollback()
    throw e
  }
  txn.onRevert(() => op.rollback())
  txn.onCommit(() => op.commit())
}

function collectNodePorts(svc: any): number[] {
  return ports(svc)
    .map((p) => num(p?.nodePort))
    .filter((n) => n !== 0)
}

function updateNodePorts(svc: any, oldSvc: any, op: PortOperation): void {
  const oldNumbers = collectNodePorts(oldSvc)
  const seen: string[] = []
  const portAllocated = new Set<number>()
  ports(svc).forEach((sp, i) => {
    if (!isObject(sp)) return
    if (num(sp.nodePort) === 0 && !shouldAllocateNodePorts(svc)) return
    let np = num(sp.nodePort)
    if (np !== 0) {
      if (!oldNumbers.includes(np) && !portAllocated.has(np)) {
        try {
          op.allocate(np)
        } catch (e) {
          throw nodePortError(svc, i, np, e)
        }
        portAllocated.add(np)
      }
    } else {
      np = allocateNextNodePort(op)
      sp.nodePort = np
    }
    const k = `{${str(sp.protocol)} ${np}}`
    if (seen.includes(k)) throw refuseUnknown(`duplicate nodePort: ${k}`)
    seen.push(k)
  })
  const newNumbers = collectNodePorts(svc)
  for (const old of oldNumbers) if (!newNumbers.includes(old)) op.releaseLater(old)
}

function txnUpdateNodePorts(svc: any, oldSvc: any, alloc: Allocators, dryRun: boolean, txn: Txn): void {
  const op = new PortOperation(alloc.nodePorts, dryRun)
  try {
    const oldT = svcType(oldSvc)
    const newT = svcType(svc)
    if ((oldT === 'NodePort' || oldT === 'LoadBalancer') && (newT === 'ExternalName' || newT === 'ClusterIP')) {
      for (const p of collectNodePorts(oldSvc)) op.releaseLater(p)
    }
    if (newT === 'NodePort' || newT === 'LoadBalancer') updateNodePorts(svc, oldSvc, op)
    const needed = needsHealthCheck(oldSvc)
    const needs = needsHealthCheck(svc)
    if (!needed && needs) allocHealthCheckNodePort(svc, op)
    else if (needed && !needs) op.releaseLater(num(oldSvc.spec?.healthCheckNodePort))
  } catch (e) {
    op.rollback()
    throw e
  }
  txn.onRevert(() => op.rollback())
  txn.onCommit(() => op.commit())
}

/** updateClusterIPs: ExternalName <-> other types, and dual-stack up/downgrades. */
function txnUpdateClusterIPs(svc: any, oldSvc: any, alloc: Allocators, dryRun: boolean, txn: Txn): void {
  if (isMatchingPreferDualStack(svc, oldSvc)) return
  let toRelease = new Map<string, string>()
  const sub = new Txn()
  txn.onRevert(() => sub.revert())
  if (svcType(oldSvc) === 'ExternalName' && svcType(svc) !== 'ExternalName') {
    allocClusterIPs(svc, alloc, dryRun, sub)
  } else if (strList(oldSvc.spec?.clusterIPs)[0] === 'None') {
    return
  } else if (svcType(oldSvc) !== 'ExternalName' && svcType(svc) === 'ExternalName') {
    const oldIPs = strList(oldSvc.spec?.clusterIPs)
    strList(oldSvc.spec?.ipFamilies).forEach((fam, i) => toRelease.set(fam, oldIPs[i]))
  } else {
    const oldFams = strList(oldSvc.spec?.ipFamilies)
    const newFams = strList(svc.spec?.ipFamilies)
    if (oldFams.length === 1 && newFams.length === 2) {
      const spec = specOf(svc)
      const ips = strList(spec.clusterIPs)
      if (ips.length < 2) ips.push('')
      spec.clusterIPs = ips
      const allocated = allocIPs(svc, new Map([[newFams[1], ips[1]]]), alloc, dryRun, sub)
      spec.clusterIPs[1] = allocated.get(newFams[1])
    } else if (oldFams.length === 2 && newFams.length === 1) {
      toRelease = new Map([[oldFams[1], strList(oldSvc.spec?.clusterIPs)[1]]])
    }
  }
  if (!dryRun) txn.onCommit(() => releaseIPs(toRelease, alloc))
}

// ---------------------------------------------------------------------------------------------------------
// strategy.go

/** dropTypeDependentFields: on a type change, wipe fields that no longer apply and that the user left as they were. */
function dropTypeDependentFields(svc: any, oldSvc: any): void {
  const spec = specOf(svc)
  const o = oldSvc.spec ?? {}
  if (needsClusterIP(oldSvc) && !needsClusterIP(svc)) {
    if (str(o.clusterIP) === str(spec.clusterIP) && sameList(o.clusterIPs, spec.clusterIPs)) {
      delete spec.clusterIP
      delete spec.clusterIPs
    }
    if (JSON.stringify(o.ipFamilies ?? null) === JSON.stringify(spec.ipFamilies ?? null)) delete spec.ipFamilies
    if (str(o.ipFamilyPolicy) === str(spec.ipFamilyPolicy)) delete spec.ipFamilyPolicy
  }
  if (needsNodePort(oldSvc) && !needsNodePort(svc)) {
    const oldPorts = new Set(collectNodePorts(oldSvc))
    if (collectNodePorts(svc).every((p) => oldPorts.has(p))) for (const p of ports(svc)) if (isObject(p)) delete p.nodePort
  }
  if (needsHealthCheck(oldSvc) && !needsHealthCheck(svc) && num(o.healthCheckNodePort) === num(spec.healthCheckNodePort)) {
    delete spec.healthCheckNodePort
  }
  if (svcType(oldSvc) === 'LoadBalancer' && svcType(svc) !== 'LoadBalancer') {
    if (!isNil(spec.allocateLoadBalancerNodePorts) && !isNil(o.allocateLoadBalancerNodePorts) && spec.allocateLoadBalancerNodePorts === o.allocateLoadBalancerNodePorts) {
      delete spec.allocateLoadBalancerNodePorts
    }
  }
  const sameClass = (isNil(o.loadBalancerClass) && isNil(spec.loadBalancerClass)) || o.loadBalancerClass === spec.loadBalancerClass
  if (svcType(oldSvc) === 'LoadBalancer' && svcType(svc) !== 'LoadBalancer' && sameClass) delete spec.loadBalancerClass
  if (needsNodePort(oldSvc) && !needsNodePort(svc) && str(o.externalTrafficPolicy) === str(spec.externalTrafficPolicy)) delete spec.externalTrafficPolicy
  if (svcType(svc) !== 'LoadBalancer') svc.status = {...(isObject(svc.status) ? svc.status : {}), loadBalancer: {}}
}

// ---------------------------------------------------------------------------------------------------------
// Output: the v1 object as the apiserver serializes it (Go struct field order, omitempty, sorted map keys).

function sortedMap(v: unknown): Record<string, unknown> | undefined {
  if (!isObject(v)) return undefined
  const keys = Object.keys(v).sort()
  if (keys.length === 0) return undefined
  const out: Record<string, unknown> = {}
  for (const k of keys) out[k] = v[k]
  return out
}

function ordered(src: any, order: string[], transform: Record<string, (v: any) => unknown> = {}): any {
  const out: any = {}
  const s = isObject(src) ? src : {}
  for (const k of order) {
    if (!Object.hasOwn(s, k)) continue
    const v = transform[k] ? transform[k](s[k]) : s[k]
    if (v === undefined || v === null || v === '' || v === 0 || v === false || (Array.isArray(v) && v.length === 0)) {
      if (!(k === 'port' || (v === false && KEEP_FALSE.has(k)) || (v === 0 && KEEP_ZERO.has(k)))) continue
    }
    out[k] = v
  }
  return out
}

const KEEP_FALSE = new Set(['allocateLoadBalancerNodePorts', 'controller', 'blockOwnerDeletion'])
const KEEP_ZERO = new Set(['targetPort', 'timeoutSeconds'])

const META_ORDER = ['name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp',
  'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields']
const SPEC_ORDER = ['ports', 'selector', 'clusterIP', 'clusterIPs', 'type', 'externalIPs', 'sessionAffinity', 'loadBalancerIP',
  'loadBalancerSourceRanges', 'externalName', 'externalTrafficPolicy', 'healthCheckNodePort', 'publishNotReadyAddresses',
  'sessionAffinityConfig', 'ipFamilies', 'ipFamilyPolicy', 'allocateLoadBalancerNodePorts', 'loadBalancerClass',
  'internalTrafficPolicy', 'trafficDistribution']
const PORT_ORDER = ['name', 'protocol', 'appProtocol', 'port', 'targetPort', 'nodePort']

/** The Service as a real apiserver would write it out: known fields only, in Go struct order. */
export function canonicalService(svc: any): any {
  const meta = ordered(svc.metadata, META_ORDER, {labels: sortedMap, annotations: sortedMap})
  const spec = ordered(svc.spec, SPEC_ORDER, {
    ports: (ps) => (Array.isArray(ps) ? ps.map((p) => ordered(p, PORT_ORDER)) : undefined),
    selector: sortedMap,
    sessionAffinityConfig: (c) => (isObject(c) ? {clientIP: isObject(c.clientIP) ? ordered(c.clientIP, ['timeoutSeconds']) : undefined} : undefined),
  })
  const lb = isObject(svc.status) && isObject(svc.status.loadBalancer) ? svc.status.loadBalancer : {}
  const status: any = {loadBalancer: Array.isArray(lb.ingress) && lb.ingress.length > 0 ? {ingress: lb.ingress} : {}}
  if (isObject(svc.status) && Array.isArray(svc.status.conditions) && svc.status.conditions.length > 0) status.conditions = svc.status.conditions
  return {kind: 'Service', apiVersion: 'v1', metadata: meta, spec, status}
}

// ---------------------------------------------------------------------------------------------------------
// The API cluster-core calls.

const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789'

/** names.SimpleNameGenerator: base (cut to 58 characters) + 5 random characters. */
function generateName(base: string, rand: () => number): string {
  const b = base.length > 58 ? base.slice(0, 58) : base
  let suffix = ''
  for (let i = 0; i < 5; i++) suffix += NAME_CHARS[Math.floor(rand() * NAME_CHARS.length)]
  return b + suffix
}

function clone(v: any): any {
  return v === undefined ? {} : structuredClone(v)
}

/** GetWarningsForService (pkg/api/service/warnings.go): WarningsOnCreate / WarningsOnUpdate. */
export function warningsForService(svc: any): string[] {
  const spec = isObject(svc?.spec) ? svc.spec : {}
  const warnings: string[] = []
  const annotations = isObject(svc?.metadata?.annotations) ? svc.metadata.annotations : {}
  if (Object.hasOwn(annotations, 'service.kubernetes.io/topology-aware-hints')) {
    warnings.push('annotation service.kubernetes.io/topology-aware-hints is deprecated, please use service.kubernetes.io/topology-mode instead')
  }
  const clusterIP = str(spec.clusterIP)
  if (clusterIP !== 'None' && clusterIP !== '') {
    strList(spec.clusterIPs).forEach((ip, i) => warnings.push(...warningsForIP(`spec.clusterIPs[${i}]`, ip)))
  }
  if (svcType(svc) === 'ClusterIP' && clusterIP === 'None') {
    if (str(spec.loadBalancerIP) !== '') warnings.push('spec.loadBalancerIP is ignored for headless services')
    if (strList(spec.externalIPs).length > 0) warnings.push('spec.externalIPs is ignored for headless services')
    if (str(spec.sessionAffinity) !== 'None') warnings.push('spec.SessionAffinity is ignored for headless services')
  }
  strList(spec.externalIPs).forEach((ip, i) => warnings.push(...warningsForIP(`spec.externalIPs[${i}]`, ip)))
  if (str(spec.loadBalancerIP) !== '') warnings.push(...warningsForIP('spec.loadBalancerIP', str(spec.loadBalancerIP)))
  strList(spec.loadBalancerSourceRanges).forEach((c, i) => warnings.push(...warningsForCIDR(`spec.loadBalancerSourceRanges[${i}]`, c)))
  if (svcType(svc) === 'ExternalName' && strList(spec.externalIPs).length > 0) warnings.push('spec.externalIPs is ignored when spec.type is "ExternalName"')
  if (svcType(svc) !== 'ExternalName' && str(spec.externalName) !== '') warnings.push('spec.externalName is ignored when spec.type is not "ExternalName"')
  return warnings
}

function prepared(txn: Txn, svc: any, alloc: Allocators, decodeWarnings: string[]): Prepared {
  txn.commit()
  // The store's Decorator (defaultOnRead) shapes every object it hands out, the write response included.
  defaultOnRead(svc, alloc)
  const warnings = [...decodeWarnings, ...warningsForService(svc)]
  const out: Prepared = {ok: true, service: canonicalService(svc)}
  if (warnings.length > 0) out.warnings = warnings
  return out
}

/**
 * POST: v1 defaulting, allocation (clusterIPs, then nodePorts and healthCheckNodePort), PrepareForCreate,
 * ValidateService and the generic metadata checks. On failure every allocation is undone. With dryRun
 * nothing is kept; as on a real server, a dry run reports clusterIP = the network address (10.96.0.0)
 * and auto nodePorts 32769, 32770, ... and only range-checks requested IPs.
 * If the caller then fails to store the object (AlreadyExists), it must call releaseService(service).
 */
export function prepareServiceCreate(input: any, alloc: Allocators, opts: PrepareOptions = {}): Prepared {
  const dryRun = opts.dryRun === true
  let decodeWarnings: string[]
  try {
    decodeWarnings = decodeChecks(input, opts)
  } catch (e) {
    if (e instanceof Refusal) return {ok: false, status: e.status}
    throw e
  }
  const svc = clone(input)
  svc.kind = 'Service'
  svc.apiVersion = 'v1'
  if (!isObject(svc.metadata)) svc.metadata = {}
  setDefaultsService(svc)
  // Store.create initializes metadata first: the generated name is there before allocation.
  const meta = svc.metadata
  if (str(meta.generateName) !== '' && str(meta.name) === '') meta.name = generateName(meta.generateName, alloc.random)
  const txn = new Txn()
  try {
    normalizeClusterIPs(svc, null)
    initIPFamilyFields(svc, null, alloc)
    const ipTxn = new Txn()
    txn.onRevert(() => ipTxn.revert())
    allocClusterIPs(svc, alloc, dryRun, ipTxn)
    txnAllocNodePorts(svc, alloc, dryRun, txn)

    // rest.BeforeCreate: PrepareForCreate (status cleared), then validation.
    svc.status = {loadBalancer: {}}
    const errs = validateService(svc)
    if (errs.length) throw refuse422(svc, errs)
    const common = validateCommonCreate(meta, true)
    if (common.length) throw refuse422(svc, common)
  } catch (e) {
    txn.revert()
    if (e instanceof Refusal) return {ok: false, status: e.status}
    throw e
  }
  return prepared(txn, svc, alloc, decodeWarnings)
}

/**
 * PUT (and the result of a PATCH): v1 defaulting of the new object, defaultOnRead of the old one,
 * patchAllocatedValues, normalizeClusterIPs, allocation changes (type transitions allocate or release
 * clusterIPs and nodePorts), PrepareForUpdate (status kept, dropTypeDependentFields, uid and
 * creationTimestamp carried over), then the generic metadata checks and ValidateServiceUpdate.
 * Releases happen only when everything passed. The caller checks resourceVersion conflicts first
 * (a 409 wins over a 422); an empty resourceVersion is an unconditional update.
 */
export function prepareServiceUpdate(input: any, oldInput: any, alloc: Allocators, opts: PrepareOptions = {}): Prepared {
  const dryRun = opts.dryRun === true
  let decodeWarnings: string[]
  try {
    decodeWarnings = decodeChecks(input, opts)
  } catch (e) {
    if (e instanceof Refusal) return {ok: false, status: e.status}
    throw e
  }
  const svc = clone(input)
  const oldSvc = clone(oldInput)
  svc.kind = 'Service'
  svc.apiVersion = 'v1'
  if (!isObject(svc.metadata)) svc.metadata = {}
  if (!isObject(oldSvc.metadata)) oldSvc.metadata = {}
  setDefaultsService(svc)
  const meta = svc.metadata
  // rest.BeforeUpdate fills an empty namespace from the request (the stored object's namespace).
  if (str(meta.namespace) === '' && str(oldSvc.metadata.namespace) !== '') meta.namespace = oldSvc.metadata.namespace
  if (str(meta.resourceVersion) === '' && str(oldSvc.metadata.resourceVersion) !== '') meta.resourceVersion = oldSvc.metadata.resourceVersion
  const txn = new Txn()
  try {
    defaultOnRead(oldSvc, alloc)
    patchAllocatedValues(svc, oldSvc)
    normalizeClusterIPs(svc, oldSvc)
    initIPFamilyFields(svc, oldSvc, alloc)
    txnUpdateClusterIPs(svc, oldSvc, alloc, dryRun, txn)
    txnUpdateNodePorts(svc, oldSvc, alloc, dryRun, txn)

    // rest.BeforeUpdate
    const om = oldSvc.metadata
    if (!isNil(om.generation)) meta.generation = om.generation
    else delete meta.generation
    svc.status = clone(oldSvc.status)
    dropTypeDependentFields(svc, oldSvc)
    if (str(meta.uid) === '' && !isNil(om.uid)) meta.uid = om.uid
    if (!isNil(om.creationTimestamp)) meta.creationTimestamp = om.creationTimestamp
    if (!isNil(om.deletionTimestamp)) meta.deletionTimestamp = om.deletionTimestamp
    if (!isNil(om.deletionGracePeriodSeconds) && isNil(meta.deletionGracePeriodSeconds)) meta.deletionGracePeriodSeconds = om.deletionGracePeriodSeconds
    const errs = [...validateCommonUpdate(meta, om), ...validateServiceUpdate(svc, oldSvc)]
    if (errs.length) throw refuse422(svc, errs)
  } catch (e) {
    txn.revert()
    if (e instanceof Refusal) return {ok: false, status: e.status}
    throw e
  }
  return prepared(txn, svc, alloc, decodeWarnings)
}

/**
 * PUT .../status: the status store has no allocation hooks. v1 defaulting (ipMode VIP), then
 * rest.BeforeUpdate with the status strategy: the spec is copied from the stored object, uid and
 * creationTimestamp carried over, then the generic metadata checks and ValidateServiceStatusUpdate.
 */
export function prepareServiceStatusUpdate(input: any, oldInput: any, alloc: Allocators, opts: PrepareOptions = {}): Prepared {
  let decodeWarnings: string[]
  try {
    decodeWarnings = decodeChecks(input, opts)
  } catch (e) {
    if (e instanceof Refusal) return {ok: false, status: e.status}
    throw e
  }
  const svc = clone(input)
  const oldSvc = clone(oldInput)
  svc.kind = 'Service'
  svc.apiVersion = 'v1'
  if (!isObject(svc.metadata)) svc.metadata = {}
  if (!isObject(oldSvc.metadata)) oldSvc.metadata = {}
  setDefaultsService(svc)
  defaultOnRead(oldSvc, alloc)
  const meta = svc.metadata
  const om = oldSvc.metadata
  if (str(meta.namespace) === '' && str(om.namespace) !== '') meta.namespace = om.namespace
  if (str(meta.resourceVersion) === '' && str(om.resourceVersion) !== '') meta.resourceVersion = om.resourceVersion
  if (!isNil(om.generation)) meta.generation = om.generation
  else delete meta.generation
  svc.spec = clone(oldSvc.spec)
  if (str(meta.uid) === '' && !isNil(om.uid)) meta.uid = om.uid
  if (!isNil(om.creationTimestamp)) meta.creationTimestamp = om.creationTimestamp
  if (!isNil(om.deletionTimestamp)) meta.deletionTimestamp = om.deletionTimestamp
  if (!isNil(om.deletionGracePeriodSeconds) && isNil(meta.deletionGracePeriodSeconds)) meta.deletionGracePeriodSeconds = om.deletionGracePeriodSeconds
  const errs = [...validateCommonUpdate(meta, om), ...validateServiceStatusUpdate(svc, oldSvc)]
  if (errs.length) return {ok: false, status: refuse422(svc, errs).status}
  defaultOnRead(svc, alloc)
  const out: Prepared = {ok: true, service: canonicalService(svc)}
  if (decodeWarnings.length > 0) out.warnings = decodeWarnings
  return out
}

/**
 * validateCommonFields of rest.BeforeUpdate: the generic ObjectMeta checks (path-segment name) and the generic
 * update checks. They come before ValidateServiceUpdate, which repeats some of them (as the real server does).
 */
function validateCommonUpdate(meta: any, oldMeta: any): FieldError[] {
  return [...validateCommonCreate(meta, true), ...validateObjectMetaUpdate(meta, oldMeta)]
}

/**
 * DELETE (afterDelete): release the clusterIPs (not for ExternalName or headless), every nodePort and the
 * healthCheckNodePort. Also the rollback for a create the store refused.
 */
export function releaseService(input: any, alloc: Allocators): void {
  const svc = clone(input)
  defaultOnRead(svc, alloc)
  if (svcType(svc) !== 'ExternalName' && !(strList(svc.spec?.clusterIPs)[0] === 'None')) {
    for (const ip of strList(svc.spec?.clusterIPs)) {
      const fam = parseIP(ip)?.family === 'IPv6' ? 'IPv6' : 'IPv4'
      allocatorFor(alloc, fam)?.release(ip)
    }
  }
  for (const p of collectNodePorts(svc)) alloc.nodePorts.release(p)
  if (needsHealthCheck(svc)) {
    const hc = num(svc.spec?.healthCheckNodePort)
    if (hc > 0) alloc.nodePorts.release(hc)
  }
}
