// svc's default describe: kubectl's block, then what users otherwise work out by hand:
// Backends (the pods behind the selector and why each is or is not ready), Routes (Ingresses that
// send traffic here), Access (how to reach it, per type) and Diagnosis (plain-language findings).
// Pure: the describer fetches; colour comes in as a chalk instance (level 0 on pipes).

import type {ChalkInstance} from 'chalk'

import {DESCRIBE, TabWriter} from '../printers/tabwriter.ts'
import {escapeTerminal} from '../printers/service-table.ts'
import {type Backend, backendsFor, type PortTarget} from './backends.ts'
import {diagnose, type Finding} from './diagnosis.ts'
import {describeServiceCompat} from './service.ts'
import type {EndpointSlice, Event, Ingress, Node, Pod, Service, ServicePort} from '../kube/types.ts'

export interface ExtendedInput {
  /** The namespace svc would use without -n, to decide whether the tunnel hint needs `-n`. */
  defaultNamespace?: string
  events: Event[] | null
  ingresses: Ingress[]
  nodes: Node[]
  now: number
  /** Every pod in the Service's namespace. */
  pods: Pod[]
  service: Service
  slices: EndpointSlice[]
}

export interface RenderOptions {
  /** Colours for problems (a level-0 chalk prints plain text). */
  chalk?: ChalkInstance
  /** The program name in hints (`svc`, or `kubectl svc` when run as a plugin). */
  program?: string
}

// Lines are escaped first (names and messages come from the cluster); colour codes may follow
// only in the last cell of a line, which the tabwriter never measures or pads.
function tabbed(lines: string[]): string {
  const w = new TabWriter(DESCRIBE)
  for (const line of lines) w.write(line)
  w.flush()
  return w.take()
}

function portTargetText(p: PortTarget): string {
  const protocol = p.servicePort.protocol ?? 'TCP'
  const target = p.missingName ? `${p.missingName}(missing)` : String(p.containerPort ?? '')
  return `${p.servicePort.port}->${target}/${protocol}`
}

/** The Backends section: one row per matching pod; readiness last so its colour cannot skew columns. */
export function renderBackends(service: Service, backends: Backend[], slices: EndpointSlice[], chalk?: ChalkInstance): string {
  const selector = service.spec?.selector ?? {}
  if (service.spec?.type === 'ExternalName') return 'Backends:  none (ExternalName: DNS only, no proxying)\n'
  if (Object.keys(selector).length === 0) {
    const rows: string[] = []
    for (const slice of slices) {
      for (const ep of slice.endpoints ?? []) {
        const ready = ep.conditions?.ready === null || ep.conditions?.ready === undefined || ep.conditions.ready
        rows.push(escapeTerminal(`  ${ep.addresses?.[0] ?? ''}\t${ep.targetRef?.name ?? '<none>'}\t${ep.nodeName ?? '<none>'}\t${ready ? 'yes' : 'no'}\n`))
      }
    }
    if (rows.length === 0) return 'Backends:  none (no selector, no endpoints)\n'
    return `Backends (endpoints set without a selector):\n${tabbed(['  ADDRESS\tTARGET\tNODE\tREADY\n', ...rows])}`
  }
  if (backends.length === 0) return 'Backends:  none (no pod matches the selector)\n'
  const paint = (ready: boolean, text: string) => (chalk ? (ready ? chalk.green(text) : chalk.red(text)) : text)
  const lines = ['  POD\tIP\tNODE\tPORTS\tREADY\n']
  for (const b of backends) {
    const ports = b.ports.length > 0 ? b.ports.map(portTargetText).join(',') : '<none>'
    const ready = b.readiness.ready ? 'yes' : `no: ${b.readiness.reason ?? 'not ready'}`
    lines.push(`${escapeTerminal(`  ${b.name}\t${b.ip}\t${b.node}\t${ports}\t`)}${paint(b.readiness.ready, escapeTerminal(ready))}\n`)
  }
  return `Backends:\n${tabbed(lines)}`
}

export interface Route {
  host: string
  ingress: string
  path: string
  port: string
}

/** Every Ingress rule (or default backend) that sends traffic to this Service. */
export function routesFor(service: Service, ingresses: Ingress[]): Route[] {
  const name = service.metadata?.name
  const routes: Route[] = []
  const portText = (p?: {name?: string; number?: number}) => p?.name || (p?.number !== undefined ? String(p.number) : '')
  for (const ing of ingresses) {
    const ingName = ing.metadata?.name ?? ''
    const def = ing.spec?.defaultBackend?.service
    if (def && def.name === name) routes.push({host: '*', ingress: ingName, path: '(default backend)', port: portText(def.port)})
    for (const rule of ing.spec?.rules ?? []) {
      for (const path of rule.http?.paths ?? []) {
        const svc = path.backend?.service
        if (!svc || svc.name !== name) continue
        routes.push({host: rule.host || '*', ingress: ingName, path: path.path || '/', port: portText(svc.port)})
      }
    }
  }
  return routes
}

export function renderRoutes(routes: Route[]): string {
  if (routes.length === 0) return 'Routes:  none (no Ingress sends traffic here)\n'
  return `Routes:\n${tabbed(['  INGRESS\tHOST\tPATH\tPORT\n', ...routes.map(r => escapeTerminal(`  ${r.ingress}\t${r.host}\t${r.path}\t${r.port}\n`))])}`
}

function hostPort(host: string, port: number | undefined): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}

function nodeAddresses(nodes: Node[]): string[] {
  const out: string[] = []
  for (const node of nodes) {
    const addresses = node.status?.addresses ?? []
    const ip = addresses.find(a => a.type === 'InternalIP') ?? addresses.find(a => a.type === 'ExternalIP')
    if (ip?.address) out.push(ip.address)
  }
  return out
}

function localPort(port: number): number {
  return port < 1024 ? port + 8000 : port
}

/** The Access section: how to reach the Service from inside, from nodes, from outside, from here. */
export function renderAccess(service: Service, nodes: Node[], options: {defaultNamespace?: string; program?: string} = {}): string {
  const spec = service.spec ?? {}
  const name = service.metadata?.name ?? ''
  const namespace = service.metadata?.namespace ?? 'default'
  const dns = `${name}.${namespace}.svc.cluster.local`
  const ports: ServicePort[] = spec.ports ?? []
  const label = (p: ServicePort) => (p.name ? ` (${p.name})` : '')
  const lines: string[] = []
  if (spec.type === 'ExternalName') {
    lines.push(`  DNS:\t${dns} is a CNAME for ${spec.externalName}\n`)
  } else if (spec.clusterIP === 'None') {
    lines.push(`  In cluster:\t${dns} resolves to each ready pod IP (headless)${ports.length ? `; ports ${ports.map(p => `${p.port}/${p.protocol ?? 'TCP'}`).join(', ')}` : ''}\n`)
  } else {
    const ips = spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : []
    const targets = ports.flatMap(p => ips.map(ip => `${hostPort(ip, p.port)}${label(p)}`))
    lines.push(`  In cluster:\t${targets.length ? targets.join(', ') : '<no ports>'}\n`)
    if (ports.length) lines.push(`  \t${ports.map(p => `${dns}:${p.port}`).join(', ')}\n`)
  }
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') {
    const addresses = nodeAddresses(nodes)
    const hosts = addresses.length > 0 ? addresses : ['<node-ip>']
    const nodePorts = ports.filter(p => p.nodePort)
    if (nodePorts.length > 0) {
      lines.push(`  Node ports:\t${nodePorts.flatMap(p => hosts.slice(0, 3).map(h => `${hostPort(h, p.nodePort)}${label(p)}`)).join(', ')}${hosts.length > 3 ? `, ... (${hosts.length} nodes)` : ''}\n`)
    }
  }
  if (spec.type === 'LoadBalancer') {
    const ingress = service.status?.loadBalancer?.ingress ?? []
    const addresses = ingress.map(i => i.ip || i.hostname || '').filter(Boolean)
    lines.push(`  Load balancer:\t${addresses.length ? ports.flatMap(p => addresses.map(a => hostPort(a, p.port))).join(', ') : 'pending'}\n`)
  }
  if (spec.externalIPs?.length) {
    lines.push(`  External IPs:\t${ports.flatMap(p => spec.externalIPs!.map(ip => hostPort(ip, p.port))).join(', ')}\n`)
  }
  if (spec.type !== 'ExternalName') {
    const first = ports[0]
    const hasSelector = Object.keys(spec.selector ?? {}).length > 0
    if (!hasSelector) lines.push('  Local tunnel:\tnot available: port-forward needs a selector to pick a pod\n')
    else if (!first) lines.push('  Local tunnel:\tnot available: the Service has no ports\n')
    else {
      const ns = options.defaultNamespace !== undefined && namespace !== options.defaultNamespace ? ` -n ${namespace}` : ''
      lines.push(`  Local tunnel:\t${options.program ?? 'svc'} port-forward svc/${name}${ns} ${localPort(first.port ?? 0)}:${first.port}\n`)
    }
  }
  return `Access:\n${tabbed(lines.map(escapeTerminal))}`
}

/** The Diagnosis section: one finding per line, marked and (on a TTY) coloured by severity. */
export function renderDiagnosis(findings: Finding[], chalk?: ChalkInstance): string {
  const mark = {error: '✗', ok: '✓', warning: '!'} as const
  const paint = (f: Finding, text: string) => {
    if (!chalk) return text
    if (f.severity === 'error') return chalk.red(text)
    if (f.severity === 'warning') return chalk.yellow(text)
    return chalk.green(text)
  }
  return `Diagnosis:\n${findings.map(f => `  ${paint(f, `${mark[f.severity]} ${escapeTerminal(f.message)}`)}\n`).join('')}`
}

/** kubectl's block, a blank line, then Backends, Routes, Access and Diagnosis. */
export function describeServiceExtended(input: ExtendedInput, options: RenderOptions = {}): string {
  const {ingresses, nodes, pods, service, slices} = input
  const backends = backendsFor(service, pods)
  const routes = routesFor(service, ingresses)
  const routing = ingresses.filter(ing => routes.some(r => r.ingress === ing.metadata?.name))
  const findings = diagnose({backends, ingresses: routing, namespacePods: pods, service, slices})
  return [
    describeServiceCompat({events: input.events, now: input.now, service, slices}),
    '\n',
    renderBackends(service, backends, slices, options.chalk),
    renderRoutes(routes),
    renderAccess(service, nodes, {defaultNamespace: input.defaultNamespace, program: options.program}),
    renderDiagnosis(findings, options.chalk),
  ].join('')
}
