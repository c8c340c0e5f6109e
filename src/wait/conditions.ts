// The conditions `svc wait --for=...` understands, as pure functions of what the watches have
// seen: kubectl's create, delete, condition=NAME[=VALUE] and jsonpath='{...}'[=VALUE]
// (kubectl pkg/cmd/wait: conditionFuncFor, processJSONPathInput, splitJSONPathInput,
// JSONPathWait.checkCondition, ConditionalWait.checkCondition), and svc's Service-aware ones:
// endpoints[=N] (ready endpoints counted from EndpointSlices) and loadbalancer (an ingress IP or
// hostname in status.loadBalancer).

import {CliError} from '../kube/errors.ts'
import type {Service} from '../kube/service-ops.ts'
import type {Endpoint, EndpointSlice as KubeEndpointSlice, LoadBalancerIngress, ObjectMeta} from '../kube/types.ts'
import {goSprint} from '../printers/gofmt.ts'
import {JsonPath} from '../printers/jsonpath.ts'
import {relaxedJsonPath} from '../printers/templates.ts'

export type Condition =
  | {jsonPath: JsonPath; kind: 'jsonpath'; value?: string}
  | {kind: 'condition'; name: string; status: string}
  | {kind: 'create'}
  | {kind: 'delete'}
  | {kind: 'endpoints'; count: number}
  | {kind: 'loadbalancer'}

/** An EndpointSlice as the waits read it: kube/types' with metadata optional (only its name keys a slice). */
export interface EndpointSlice extends Omit<KubeEndpointSlice, 'metadata'> {
  metadata?: Partial<ObjectMeta>
}

/** kubectl's splitJSONPathInput: split on `=`, keeping `==` (a filter's operator) inside a part. */
export function splitJsonPathInput(input: string): string[] {
  const out: string[] = []
  let element = ''
  for (let i = 0; i < input.length; i++) {
    if (input[i] === '=') {
      if (i < input.length - 1 && input[i + 1] === '=') {
        element += '=='
        i++
        continue
      }
      out.push(element)
      element = ''
      continue
    }
    element += input[i]
  }
  out.push(element)
  return out
}

/** The --for value, parsed; kubectl's errors for the conditions it shares with kubectl. */
export function parseCondition(value: string): Condition {
  const lower = value.toLowerCase()
  if (lower === 'delete') return {kind: 'delete'}
  if (lower === 'create') return {kind: 'create'}
  if (lower === 'loadbalancer') return {kind: 'loadbalancer'}
  if (lower === 'endpoints' || lower.startsWith('endpoints=')) {
    const n = lower === 'endpoints' ? '1' : value.slice('endpoints='.length)
    if (!/^\d+$/.test(n) || Number(n) < 1) throw new CliError(`invalid --for=${value}: the number of ready endpoints must be a whole number of at least 1, like --for=endpoints=2`)
    return {count: Number(n), kind: 'endpoints'}
  }
  if (value.startsWith('condition=')) {
    let name = value.slice('condition='.length)
    let status = 'true'
    const eq = name.indexOf('=')
    if (eq >= 0) {
      status = name.slice(eq + 1)
      name = name.slice(0, eq)
    }
    return {kind: 'condition', name, status}
  }
  if (value.startsWith('jsonpath=')) {
    const parts = splitJsonPathInput(value.slice('jsonpath='.length))
    if (parts.length < 1 || parts.length > 2) {
      throw new CliError("jsonpath wait format must be --for=jsonpath='{.status.readyReplicas}'=3 or --for=jsonpath='{.status.readyReplicas}'")
    }
    const expression = relaxedJsonPath(parts[0])
    let expected: string | undefined
    if (parts.length === 2) {
      expected = parts[1].replace(/^['"]+|['"]+$/g, '')
      if (expected === '') throw new CliError("jsonpath wait has to have a value after equal sign, like --for=jsonpath='{.status.readyReplicas}'=3")
    }
    if (expression === '') throw new CliError('jsonpath expression cannot be empty')
    let jsonPath: JsonPath
    try {
      jsonPath = new JsonPath(expression)
    } catch (error) {
      throw new CliError((error as Error).message)
    }
    jsonPath.allowMissingKeys = true
    return {jsonPath, kind: 'jsonpath', value: expected}
  }
  throw new CliError(`unrecognized condition: ${JSON.stringify(value)}`)
}

/** JSONPathWait.checkCondition: one value, compared as text (after trimming white space). */
function jsonPathMet(condition: {jsonPath: JsonPath; value?: string}, svc: Service): boolean {
  let results: unknown[][]
  try {
    results = condition.jsonPath.findResults(svc)
  } catch (error) {
    throw new CliError((error as Error).message)
  }
  if (results.length === 0 || results[0].length === 0) return false
  if (results.length > 1) throw new CliError('given jsonpath expression matches more than one list')
  if (results[0].length > 1) throw new CliError('given jsonpath expression matches more than one value')
  if (condition.value === undefined) return true
  const v = results[0][0]
  if (v !== null && typeof v === 'object') throw new CliError('jsonpath leads to a nested object or list which is not supported')
  return goSprint(v).trim() === condition.value.trim()
}

/** ConditionalWait.checkCondition on status.conditions. */
function conditionMet(condition: {name: string; status: string}, svc: Service): boolean {
  const conditions: Partial<Record<string, unknown>>[] = Array.isArray(svc.status?.conditions) ? svc.status.conditions : []
  for (const c of conditions) {
    if (typeof c?.type !== 'string' || c.type.toLowerCase() !== condition.name.toLowerCase()) continue
    if (typeof c.status !== 'string') continue
    const generation = svc.metadata?.generation
    if (typeof generation === 'number' && typeof c.observedGeneration === 'number' && c.observedGeneration < generation) return false
    return c.status.toLowerCase() === condition.status.toLowerCase()
  }
  return false
}

/** The ready endpoints of a Service's slices, one per pod (or address), in slice order. */
export function readyEndpoints(slices: EndpointSlice[]): Array<{endpoint: Endpoint; slice: EndpointSlice}> {
  const seen = new Set<string>()
  const out: Array<{endpoint: Endpoint; slice: EndpointSlice}> = []
  for (const slice of slices) {
    for (const endpoint of slice.endpoints ?? []) {
      // EndpointConditions: a nil ready means ready
      if (endpoint.conditions?.ready === false) continue
      const key = endpoint.targetRef?.uid ?? `${slice.addressType}/${(endpoint.addresses ?? []).join(',')}`
      if (seen.has(key)) continue
      seen.add(key)
      out.push({endpoint, slice})
    }
  }
  return out
}

/** The load balancer's ingress addresses: the IP of each entry, or its hostname. */
export function ingressAddresses(svc: Service): string[] {
  const ingress: LoadBalancerIngress[] = Array.isArray(svc.status?.loadBalancer?.ingress) ? svc.status.loadBalancer.ingress : []
  return ingress.map(i => i?.ip || i?.hostname).filter((a): a is string => typeof a === 'string' && a !== '')
}

/** Whether a Service (and its slices, for endpoints) meets the condition; create and delete are decided by the caller. */
export function isMet(condition: Condition, svc: Service, slices: EndpointSlice[] = []): boolean {
  switch (condition.kind) {
    case 'create':
      return true
    case 'delete':
      return false
    case 'jsonpath':
      return jsonPathMet(condition, svc)
    case 'condition':
      return conditionMet(condition, svc)
    case 'endpoints':
      return readyEndpoints(slices).length >= condition.count
    case 'loadbalancer':
      return ingressAddresses(svc).length > 0
  }
}
