// `--tcp=PORT[:TARGET]` parsing exactly as kubectl's create service parsePorts, with svc's
// --udp and --sctp lists beside it.

import {CliError} from '../kube/errors.ts'
import type {ServicePort} from '../kube/types.ts'
import {isValidPortName, isValidPortNum} from './validation.ts'

export type Protocol = 'SCTP' | 'TCP' | 'UDP'

export type {ServicePort}

export class PortSpecError extends CliError {}

/** strconv.ParseUint(s, 10, 16) with Go's error text. */
export function goParseUint16(s: string): number {
  if (s === '' || !/^[0-9]+$/.test(s)) throw new PortSpecError(`strconv.ParseUint: parsing ${goQuote(s)}: invalid syntax`)
  const n = Number(s)
  if (n > 65535) throw new PortSpecError(`strconv.ParseUint: parsing ${goQuote(s)}: value out of range`)
  return n
}

/** strconv.Atoi with Go's error text. */
export function goAtoi(s: string): number {
  if (!/^[+-]?[0-9]+$/.test(s)) throw new PortSpecError(`strconv.Atoi: parsing ${goQuote(s)}: invalid syntax`)
  const n = Number(s)
  if (!Number.isSafeInteger(n) || n > 2 ** 63 - 1 || n < -(2 ** 63)) throw new PortSpecError(`strconv.Atoi: parsing ${goQuote(s)}: value out of range`)
  return n
}

/** Go's %q for the ASCII texts that reach it here. */
export function goQuote(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, ch => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/** Is the text a base-10 integer strconv.Atoi accepts? */
function atoiOk(s: string): boolean {
  return /^[+-]?[0-9]+$/.test(s) && Math.abs(Number(s)) <= 2 ** 63
}

/**
 * kubectl's parsePorts for one protocol: "80", "80:8080", "443:https". Everything after a second
 * ':' is ignored, port 0 is accepted here (the server rejects it), the name is the spec with ':'
 * replaced by '-'.
 */
export function parsePortSpecs(specs: readonly string[], protocol: Protocol = 'TCP', nodePort = 0): ServicePort[] {
  const ports: ServicePort[] = []
  for (const spec of specs) {
    const parts = spec.split(':')
    const port = goParseUint16(parts[0])
    let targetPort: number | string
    if (parts.length === 1) targetPort = port
    else if (atoiOk(parts[1])) {
      const n = Number(parts[1])
      const errs = isValidPortNum(n)
      if (errs.length > 0) throw new PortSpecError(errs.join(','))
      targetPort = n
    } else {
      const errs = isValidPortName(parts[1])
      if (errs.length > 0) throw new PortSpecError(errs.join(','))
      targetPort = parts[1]
    }
    const p: ServicePort = {name: spec.replaceAll(':', '-'), port, protocol, targetPort}
    if (nodePort) p.nodePort = nodePort
    ports.push(p)
  }
  return ports
}

/**
 * --tcp, then --udp, then --sctp. A UDP or SCTP port whose kubectl-style name is already taken
 * (53 over TCP and UDP) gets the protocol appended (`53-udp`), since port names must be unique.
 */
export function parseAllPorts(lists: {sctp?: readonly string[]; tcp?: readonly string[]; udp?: readonly string[]}, nodePort = 0): ServicePort[] {
  const ports = parsePortSpecs(lists.tcp ?? [], 'TCP', nodePort)
  for (const [protocol, specs] of [['UDP', lists.udp], ['SCTP', lists.sctp]] as const) {
    for (const p of parsePortSpecs(specs ?? [], protocol, nodePort)) {
      if (ports.some(q => q.name === p.name)) p.name = `${p.name}-${protocol.toLowerCase()}`
      ports.push(p)
    }
  }
  return ports
}
