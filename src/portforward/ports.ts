// Port and address arguments of `svc port-forward`, parsed the way kubectl and client-go parse them,
// with their error texts. Pure: no I/O.
//
//   5000        local 5000 -> remote 5000
//   8888:5000   local 8888 -> remote 5000
//   :5000 0:5000  a free local port (the same on every address) -> remote 5000
//   8443:https  a named port: a service port name for svc/ targets, a container port name otherwise
//
// `--address` takes IPs and `localhost` (127.0.0.1 and ::1), de-duplicated and sorted as strings.

import net from 'node:net'

/** One `[LOCAL:]REMOTE` argument split at its colon, as kubectl's splitPort does. */
export interface PortArg {
  local: string
  remote: string
  /** The argument as the user typed it. */
  raw: string
}

/** A local port (0 = pick one) forwarded to a numbered remote port. */
export interface ForwardedPort {
  local: number
  remote: number
  /** When `local` cannot be bound, take a free port instead of failing (--address-per-service keeping service port numbers). */
  fallbackToFree?: boolean
}

/**
 * Splits `[LOCAL:]REMOTE`. Unlike kubectl (which silently keeps the first part of `1:2:3`), more
 * than one colon is an error here, with client-go's text.
 */
export function splitPort(raw: string): PortArg {
  const parts = raw.split(':')
  if (parts.length === 1) return {local: parts[0], raw, remote: parts[0]}
  if (parts.length === 2) return {local: parts[0], raw, remote: parts[1]}
  throw new Error(`invalid port format '${raw}'`)
}

/** Go's strconv.Atoi acceptance: an optional sign and decimal digits that fit an int64. */
export function isNumericPort(text: string): boolean {
  return /^[+-]?\d{1,18}$/.test(text)
}

/** Joins back a split argument, the way kubectl rebuilds the string after translating REMOTE. */
export function joinPort(local: string, remote: string, originalRemote: string): string {
  return local !== originalRemote ? `${local}:${remote}` : remote
}

/**
 * client-go's parsePorts: numbers only (named ports are translated before this), local 0..65535
 * (empty = 0), remote 1..65535.
 */
export function parsePorts(specs: readonly string[]): ForwardedPort[] {
  const forwards: ForwardedPort[] = []
  for (const spec of specs) {
    const parts = spec.split(':')
    let localText: string
    let remoteText: string
    if (parts.length === 1) {
      localText = parts[0]
      remoteText = parts[0]
    } else if (parts.length === 2) {
      localText = parts[0] === '' ? '0' : parts[0]
      remoteText = parts[1]
    } else {
      throw new Error(`invalid port format '${spec}'`)
    }
    const local = parseUint16(localText)
    if (typeof local === 'string') throw new Error(`error parsing local port '${localText}': ${local}`)
    const remote = parseUint16(remoteText)
    if (typeof remote === 'string') throw new Error(`error parsing remote port '${remoteText}': ${remote}`)
    if (remote === 0) throw new Error('remote port must be > 0')
    forwards.push({local, remote})
  }
  return forwards
}

/** strconv.ParseUint(text, 10, 16): the number, or Go's error text. */
function parseUint16(text: string): number | string {
  if (!/^\d+$/.test(text)) return `strconv.ParseUint: parsing ${goQuote(text)}: invalid syntax`
  const value = Number(text)
  if (value > 65535) return `strconv.ParseUint: parsing ${goQuote(text)}: value out of range`
  return value
}

/** Go's %q for the strings a user can type: quotes, backslashes and control characters escaped. */
export function goQuote(text: string): string {
  let out = '"'
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0
    if (ch === '"' || ch === '\\') out += `\\${ch}`
    else if (ch === '\n') out += '\\n'
    else if (ch === '\t') out += '\\t'
    else if (ch === '\r') out += '\\r'
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`
    else out += ch
  }
  return `${out}"`
}

/** kubectl's `%v` of a []ForwardedPort: `[{8080 80} {0 443}]`. */
export function formatPortList(ports: readonly ForwardedPort[]): string {
  return `[${ports.map(p => `{${p.local} ${p.remote}}`).join(' ')}]`
}

/**
 * An address to listen on. failureMode `all` (from `localhost`): the port fails only if every such
 * address fails; `any` (an explicit IP): the port fails if this address fails.
 */
export interface ListenAddress {
  address: string
  failureMode: 'all' | 'any'
  family: 4 | 6
}

/**
 * client-go's parseAddresses. Values may also be comma lists (`localhost,10.0.0.5`), as kubectl's
 * string-slice flag splits them.
 */
export function parseAddresses(values: readonly string[]): ListenAddress[] {
  const parsed = new Map<string, ListenAddress>()
  for (const address of values.flatMap(v => v.split(','))) {
    if (address === 'localhost') {
      if (!parsed.has('127.0.0.1')) parsed.set('127.0.0.1', {address: '127.0.0.1', failureMode: 'all', family: 4})
      if (!parsed.has('::1')) parsed.set('::1', {address: '::1', failureMode: 'all', family: 6})
    } else if (net.isIPv4(address)) {
      parsed.set(address, {address, failureMode: 'any', family: 4})
    } else if (net.isIPv6(address)) {
      // Go's To4() treats an IPv4-mapped IPv6 address as IPv4.
      const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
      parsed.set(address, {address: mapped ? mapped[1] : address, failureMode: 'any', family: mapped ? 4 : 6})
    } else {
      throw new Error(`${address} is not a valid IP`)
    }
  }
  if (parsed.size === 0) throw new Error('you must specify at least 1 address')
  return [...parsed.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v)
}

/** Go's net.JoinHostPort: IPv6 hosts in brackets. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}

/** True for addresses only this machine can reach (127.0.0.0/8, ::1). */
export function isLoopback(address: string): boolean {
  if (net.isIPv4(address)) return address.startsWith('127.')
  return address === '::1' || /^(0{0,4}:){7}0{0,3}1$/.test(address) || /^::ffff:127\./i.test(address)
}
