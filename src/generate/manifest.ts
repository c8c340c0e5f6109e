// `svc create -f`: reading manifests (files, directories, stdin; YAML or JSON; several documents;
// `kind: List`) and checking each Service before anything is sent. Every problem names the source,
// the document number and the field path, and says what to write instead.

import {readdirSync, readFileSync, statSync} from 'node:fs'
import path from 'node:path'

import {loadAll} from 'js-yaml'

import {CliError} from '../kube/errors.ts'
import type {UnstructuredObject} from '../kube/types.ts'
import {isDNS1035Label, isDNS1123Label, isDNS1123Subdomain, isIP, isQualifiedName, isValidLabelValue, isValidPortName} from './validation.ts'
import {MAX_CLIENT_IP_TIMEOUT, NODE_PORT_RANGE} from './service.ts'

export interface ManifestObject {
  /** 1-based document number within the source. */
  document: number
  /** 1-based item number when the document is a List. */
  item?: number
  object: UnstructuredObject
  source: string
}

export class ManifestError extends CliError {}

/** Where an object came from, for messages: `svc.yaml: document 2` or `svc.yaml: document 1, item 3`. */
export function describeOrigin(m: Pick<ManifestObject, 'document' | 'item' | 'source'>): string {
  return `${m.source}: document ${m.document}${m.item ? `, item ${m.item}` : ''}`
}

/** Every object of every -f source, in order: files, directories (sorted, .json/.yaml/.yml; subdirectories with `recursive`), or - for stdin. */
export function readManifests(files: string[], recursive: boolean): ManifestObject[] {
  const out: ManifestObject[] = []
  for (const f of files) {
    if (f === '-') {
      out.push(...parseManifest('STDIN', readFileSync(0, 'utf8')))
      continue
    }
    for (const file of expand(f, recursive)) out.push(...parseManifest(file, readFileSync(file, 'utf8')))
  }
  return out
}

function expand(f: string, recursive: boolean): string[] {
  let stat
  try {
    stat = statSync(f)
  } catch {
    throw new CliError(`the path "${f}" does not exist`)
  }
  if (!stat.isDirectory()) return [f]
  const found: string[] = []
  for (const entry of readdirSync(f, {withFileTypes: true}).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const p = path.join(f, entry.name)
    if (entry.isDirectory()) {
      if (recursive) found.push(...expand(p, recursive))
    } else if (/\.(json|ya?ml)$/.test(entry.name)) found.push(p)
  }
  return found
}

/** The documents of one file's text; empty documents are skipped, Lists are flattened. */
export function parseManifest(source: string, text: string): ManifestObject[] {
  let docs: unknown[]
  try {
    docs = loadAll(text, undefined, {json: true})
  } catch (error) {
    const reason = (error as Error).message.split('\n')[0]
    throw new ManifestError(`${source}: not valid YAML or JSON: ${reason}`)
  }
  const out: ManifestObject[] = []
  docs.forEach((doc, i) => {
    const document = i + 1
    if (doc === null || doc === undefined) return
    if (typeof doc !== 'object' || Array.isArray(doc)) {
      throw new ManifestError(`${source}: document ${document}: expected an object with apiVersion and kind, got ${Array.isArray(doc) ? 'a list' : JSON.stringify(doc)}`)
    }
    const obj = doc as UnstructuredObject & {items?: unknown}
    if (typeof obj.kind === 'string' && obj.kind.endsWith('List') && Array.isArray(obj.items)) {
      obj.items.forEach((item: unknown, j: number) => out.push({document, item: j + 1, object: item as UnstructuredObject, source}))
    } else out.push({document, object: obj, source})
  })
  return out
}

export interface FieldProblem {
  field: string
  message: string
}

type Bad = (field: string, message: string) => void

/** A JSON object as written in a file: any field may hold any value until it is checked. */
type Loose = Record<string, unknown>

function isLoose(v: unknown): v is Loose {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

/**
 * Problems with one document as a Service to create. `skipRangeChecks` (--validate=ignore)
 * drops the node port range check, which depends on the cluster's settings.
 */
export function checkServiceManifest(obj: unknown, options: {skipRangeChecks?: boolean} = {}): FieldProblem[] {
  if (!isLoose(obj)) return [{field: '', message: 'expected an object'}]
  if (obj.kind !== 'Service' || obj.apiVersion !== 'v1') {
    const what = obj.kind ? `a ${obj.kind}${obj.apiVersion ? ` (${obj.apiVersion})` : ''}` : 'an object without kind'
    return [{field: '', message: `is ${what}, not a Service (apiVersion: v1, kind: Service): svc create -f creates Services only; use kubectl apply -f for other kinds`}]
  }
  const problems: FieldProblem[] = []
  const bad: Bad = (field, message) => problems.push({field, message})
  checkMetadata(obj.metadata, bad)
  const spec = obj.spec ?? {}
  if (!isLoose(spec)) {
    bad('spec', 'Invalid value: expected an object')
    return problems
  }
  const type = spec.type ?? 'ClusterIP'
  const types = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort']
  if (typeof type !== 'string' || !types.includes(type)) bad('spec.type', `Unsupported value: ${JSON.stringify(type)}: supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"`)
  checkPorts(spec, String(type), bad, options)
  checkAddresses(spec, String(type), bad)
  checkAffinity(spec, bad)
  checkLabels(spec.selector, 'spec.selector', bad)
  return problems
}

function checkMetadata(metadata: unknown, bad: Bad): void {
  if (metadata === null || typeof metadata !== 'object') {
    bad('metadata.name', 'Required value: write metadata: {name: my-service}')
    return
  }
  const meta = metadata as Loose
  if (typeof meta.name !== 'string' || meta.name === '') {
    if (!meta.generateName) bad('metadata.name', 'Required value: name or generateName is required')
  } else {
    for (const m of isDNS1035Label(meta.name)) bad('metadata.name', `Invalid value: "${meta.name}": ${m}`)
  }
  if (meta.namespace !== undefined) for (const m of isDNS1123Label(String(meta.namespace))) bad('metadata.namespace', `Invalid value: "${meta.namespace}": ${m}`)
  checkLabels(meta.labels, 'metadata.labels', bad)
}

function checkPorts(spec: Loose, type: string, bad: Bad, options: {skipRangeChecks?: boolean}): void {
  const ports = spec.ports ?? []
  if (!Array.isArray(ports)) {
    bad('spec.ports', 'Invalid value: expected a list of ports')
    return
  }
  if (ports.length === 0 && spec.clusterIP !== 'None' && type !== 'ExternalName') bad('spec.ports', 'Required value: add at least one port, e.g. ports: [{port: 80, targetPort: 8080}]')
  const names = new Set<unknown>()
  const seen = new Set<string>()
  ports.forEach((p: unknown, i: number) => {
    const at = `spec.ports[${i}]`
    if (!isLoose(p)) return bad(at, 'Invalid value: expected an object with port')
    if (ports.length > 1 && !p.name) bad(`${at}.name`, 'Required value: every port needs a name when there are several')
    if (p.name !== undefined && p.name !== '') {
      for (const m of isDNS1123Label(String(p.name))) bad(`${at}.name`, `Invalid value: ${JSON.stringify(p.name)}: ${m}`)
      if (names.has(p.name)) bad(`${at}.name`, `Duplicate value: ${JSON.stringify(p.name)}`)
      names.add(p.name)
    }
    if (p.port === undefined) bad(`${at}.port`, 'Required value: write port: 1-65535')
    else if (!isPortNumber(p.port)) bad(`${at}.port`, `Invalid value: ${JSON.stringify(p.port)}: must be between 1 and 65535, inclusive`)
    const protocol = p.protocol ?? 'TCP'
    if (typeof protocol !== 'string' || !['SCTP', 'TCP', 'UDP'].includes(protocol)) bad(`${at}.protocol`, `Unsupported value: ${JSON.stringify(protocol)}: supported values: "SCTP", "TCP", "UDP"`)
    const key = `${protocol}/${p.port}`
    if (seen.has(key)) bad(at, `Duplicate value: port ${p.port}/${protocol} is listed twice`)
    seen.add(key)
    checkTargetPort(p.targetPort, `${at}.targetPort`, bad)
    checkNodePort(p.nodePort, `${at}.nodePort`, type, bad, options)
  })
}

function isPortNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 65535
}

function checkTargetPort(targetPort: unknown, at: string, bad: Bad): void {
  if (targetPort === undefined) return
  if (typeof targetPort === 'number') {
    if (!isPortNumber(targetPort)) bad(at, `Invalid value: ${targetPort}: must be between 1 and 65535, inclusive`)
  } else if (typeof targetPort === 'string') {
    const errs = /^[0-9]+$/.test(targetPort) ? ['write a number without quotes, or an IANA port name'] : isValidPortName(targetPort)
    if (errs.length > 0) bad(at, `Invalid value: ${JSON.stringify(targetPort)}: ${errs.join(', ')}`)
  } else bad(at, `Invalid value: ${JSON.stringify(targetPort)}: write a port number or a port name`)
}

function checkNodePort(nodePort: unknown, at: string, type: string, bad: Bad, options: {skipRangeChecks?: boolean}): void {
  if (nodePort === undefined || nodePort === 0) return
  if (type === 'ClusterIP' || type === 'ExternalName') bad(at, `Forbidden: may not be used when \`type\` is '${type}'; use type: NodePort or LoadBalancer, or remove nodePort`)
  else if (!isPortNumber(nodePort)) bad(at, `Invalid value: ${JSON.stringify(nodePort)}: must be between ${NODE_PORT_RANGE.min} and ${NODE_PORT_RANGE.max}`)
  else if (!options.skipRangeChecks && (nodePort < NODE_PORT_RANGE.min || nodePort > NODE_PORT_RANGE.max)) {
    bad(at, `Invalid value: ${nodePort}: must be between ${NODE_PORT_RANGE.min} and ${NODE_PORT_RANGE.max} (the default range); remove it to let the cluster pick one, or pass --validate=ignore if your cluster uses another range`)
  }
}

function checkAddresses(spec: Loose, type: string, bad: Bad): void {
  if (spec.clusterIP !== undefined && spec.clusterIP !== '' && spec.clusterIP !== 'None' && !isIP(String(spec.clusterIP))) {
    bad('spec.clusterIP', `Invalid value: ${JSON.stringify(spec.clusterIP)}: must be a valid IP address, or None for a headless service`)
  }
  if (spec.clusterIP === 'None' && (type === 'NodePort' || type === 'LoadBalancer')) bad('spec.clusterIP', `Invalid value: "None": may not be set to 'None' for ${type} services`)
  if (type === 'ExternalName') {
    if (spec.clusterIP && spec.clusterIP !== '') bad('spec.clusterIP', 'Forbidden: may not be set for ExternalName services')
    const en = String(spec.externalName ?? '').replace(/\.$/, '')
    if (en === '') bad('spec.externalName', 'Required value: write the DNS name to point at, e.g. externalName: db.example.com')
    else for (const m of isDNS1123Subdomain(en)) bad('spec.externalName', `Invalid value: ${JSON.stringify(spec.externalName)}: ${m}`)
  }
}

function checkAffinity(spec: Loose, bad: Bad): void {
  if (spec.sessionAffinity !== undefined && spec.sessionAffinity !== 'None' && spec.sessionAffinity !== 'ClientIP') {
    bad('spec.sessionAffinity', `Unsupported value: ${JSON.stringify(spec.sessionAffinity)}: supported values: "ClientIP", "None"`)
  }
  const config = spec.sessionAffinityConfig
  const clientIP = isLoose(config) ? config.clientIP : undefined
  const timeout = isLoose(clientIP) ? clientIP.timeoutSeconds : undefined
  if (timeout !== undefined && !(typeof timeout === 'number' && Number.isInteger(timeout) && timeout >= 1 && timeout <= MAX_CLIENT_IP_TIMEOUT)) {
    bad('spec.sessionAffinityConfig.clientIP.timeoutSeconds', `Invalid value: ${JSON.stringify(timeout)}: must be greater than 0 and less than ${MAX_CLIENT_IP_TIMEOUT}`)
  }
}

function checkLabels(labels: unknown, at: string, bad: Bad): void {
  if (labels === undefined || labels === null) return
  if (typeof labels !== 'object' || Array.isArray(labels)) return bad(at, 'Invalid value: expected a map of key: value')
  for (const [k, v] of Object.entries(labels)) {
    for (const m of isQualifiedName(k)) bad(at, `Invalid value: ${JSON.stringify(k)}: ${m}`)
    if (typeof v !== 'string') bad(`${at}[${k}]`, `Invalid value: ${JSON.stringify(v)}: label values are strings; quote it ("${String(v)}")`)
    else for (const m of isValidLabelValue(v)) bad(`${at}[${k}]`, `Invalid value: ${JSON.stringify(v)}: ${m}`)
  }
}
