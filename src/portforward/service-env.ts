// The environment a pod gets for the Services of its namespace, pointed at svc's local forwards, so
// that an app written for the cluster runs unchanged under `svc port-forward ... -- COMMAND` or with
// `--dotenv`. Mirrors the kubelet's pkg/kubelet/envvars/envvars.go: FromServices (HOST, PORT and
// one PORT_<NAME> per named port; Services without a cluster IP get none), makeEnvVariableName
// (upper case, `.` and `-` to `_`, `_` in front of a leading digit) and makeLinkVariables (the
// Docker link variables). The values differ on purpose: the host is the local listen address and
// each port is the local port forwarded to that service port; a service port that is not forwarded
// gets no variable. Pure: no I/O.

import {joinHostPort} from './ports.ts'
import type {ServicePort} from './targets.ts'

/** One Service as forwarded: where it listens locally and which of its ports are forwarded. */
export interface ForwardedService {
  name: string
  /** spec.clusterIP: `None` (headless) means no variables, as the kubelet does. */
  clusterIP?: string
  /** spec.ports, in order. */
  servicePorts: readonly ServicePort[]
  /** The local address the variables point at (127.0.0.1 unless --address or --address-per-service say otherwise). */
  host: string
  /** The local port of each forwarded service port (by spec port number). */
  localPorts: ReadonlyMap<number, number>
}

/** makeEnvVariableName. */
export function envVariableName(name: string): string {
  const upper = name.replaceAll('.', '_').replaceAll('-', '_').toUpperCase()
  return /^[0-9]/.test(upper) ? `_${upper}` : upper
}

/**
 * FromServices over the forwarded Services, in order, as [name, value] pairs. A name set by an
 * earlier Service (the same name in two namespaces) is kept.
 */
export function serviceVariables(services: readonly ForwardedService[]): Array<[string, string]> {
  const out = new Map<string, string>()
  const set = (name: string, value: string) => {
    if (!out.has(name)) out.set(name, value)
  }
  for (const service of services) {
    if (!service.clusterIP || service.clusterIP === 'None') continue
    const forwarded = service.servicePorts.filter(p => service.localPorts.has(p.port))
    if (forwarded.length === 0) continue
    const prefix = envVariableName(service.name)
    const local = (p: ServicePort) => String(service.localPorts.get(p.port))
    set(`${prefix}_SERVICE_HOST`, service.host)
    // The kubelet gives the first port the plain name; here, the first one forwarded.
    set(`${prefix}_SERVICE_PORT`, local(forwarded[0]))
    for (const p of forwarded) if (p.name) set(`${prefix}_SERVICE_PORT_${envVariableName(p.name)}`, local(p))
    for (const [name, value] of linkVariables(prefix, service.host, forwarded, local)) set(name, value)
  }
  return [...out]
}

/** makeLinkVariables: `<NAME>_PORT` for the first port, then `<NAME>_PORT_<PORT>_<PROTO>[_PROTO|_PORT|_ADDR]` for each. */
function linkVariables(prefix: string, host: string, ports: readonly ServicePort[], local: (p: ServicePort) => string): Array<[string, string]> {
  const out: Array<[string, string]> = []
  for (const [i, p] of ports.entries()) {
    const protocol = (p.protocol ?? 'TCP').toLowerCase()
    const url = `${protocol}://${joinHostPort(host, Number(local(p)))}`
    if (i === 0) out.push([`${prefix}_PORT`, url])
    const portPrefix = `${prefix}_PORT_${p.port}_${protocol.toUpperCase()}`
    out.push([portPrefix, url], [`${portPrefix}_PROTO`, protocol], [`${portPrefix}_PORT`, local(p)], [`${portPrefix}_ADDR`, host])
  }
  return out
}

/** `NAME=value` lines for --dotenv (the values are addresses and numbers: nothing to quote). */
export function formatDotenv(variables: ReadonlyArray<readonly [string, string]>): string {
  return variables.map(([name, value]) => `${name}=${value}\n`).join('')
}
