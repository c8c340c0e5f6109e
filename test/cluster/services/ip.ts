// IP parsing with the semantics of k8s.io/utils/net ParseIPSloppy / ParseCIDRSloppy (Go 1.16 net.ParseIP:
// IPv4 parts may carry leading zeros, read as decimal; IPv4-mapped IPv6 addresses count as IPv4).

import {isIPv6} from 'node:net'

export type Family = 'IPv4' | 'IPv6'

export interface ParsedIP {
  family: Family
  /** The address as an integer (32 bits for IPv4, 128 for IPv6). */
  value: bigint
}

function parseIPv4(s: string): bigint | undefined {
  const parts = s.split('.')
  if (parts.length !== 4) return undefined
  let v = 0n
  for (const p of parts) {
    if (!/^[0-9]+$/.test(p)) return undefined
    const n = Number(p)
    if (n > 255) return undefined
    v = (v << 8n) | BigInt(n)
  }
  return v
}

function parseIPv6(s: string): bigint | undefined {
  if (s.includes('%') || !isIPv6(normalizeV4Tail(s))) return undefined
  let head = s
  let tail = ''
  const dbl = s.indexOf('::')
  if (dbl >= 0) {
    head = s.slice(0, dbl)
    tail = s.slice(dbl + 2)
  }
  const toGroups = (part: string): number[] | undefined => {
    if (part === '') return []
    const out: number[] = []
    for (const g of part.split(':')) {
      if (g.includes('.')) {
        const v4 = parseIPv4(g)
        if (v4 === undefined) return undefined
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn))
      } else out.push(parseInt(g, 16))
    }
    return out
  }
  const h = toGroups(head)
  const t = toGroups(tail)
  if (!h || !t) return undefined
  const fill = dbl >= 0 ? 8 - h.length - t.length : 0
  const groups = [...h, ...new Array(fill).fill(0), ...t]
  if (groups.length !== 8) return undefined
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n)
}

/** node's parser rejects leading zeros in an embedded IPv4 tail; Go's sloppy parser does not. */
function normalizeV4Tail(s: string): string {
  const m = /^(.*:)([0-9.]+)$/.exec(s)
  if (!m || !m[2].includes('.')) return s
  const v4 = parseIPv4(m[2])
  if (v4 === undefined) return s
  return m[1] + formatIPv4(v4)
}

/** ParseIPSloppy: undefined when the string is not an IP address. */
export function parseIP(s: string): ParsedIP | undefined {
  if (typeof s !== 'string' || s.length === 0) return undefined
  if (!s.includes(':')) {
    const v = parseIPv4(s)
    return v === undefined ? undefined : {family: 'IPv4', value: v}
  }
  const v = parseIPv6(s)
  if (v === undefined) return undefined
  if (v >> 32n === 0xffffn) return {family: 'IPv4', value: v & 0xffffffffn}
  return {family: 'IPv6', value: v}
}

export function isIPv6String(s: string): boolean {
  return parseIP(s)?.family === 'IPv6'
}

export function isIPv4String(s: string): boolean {
  return parseIP(s)?.family === 'IPv4'
}

function formatIPv4(v: bigint): string {
  return [24n, 16n, 8n, 0n].map((sh) => String((v >> sh) & 0xffn)).join('.')
}

function formatIPv6(v: bigint): string {
  const groups: number[] = []
  for (let i = 7; i >= 0; i--) groups.push(Number((v >> BigInt(i * 16)) & 0xffffn))
  // Longest run (length >= 2) of zero groups becomes "::" (RFC 5952, as Go's net.IP.String does).
  let bestStart = -1
  let bestLen = 0
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i
      bestLen = j - i
    }
    i = j
  }
  const hex = groups.map((g) => g.toString(16))
  if (bestStart < 0) return hex.join(':')
  return hex.slice(0, bestStart).join(':') + '::' + hex.slice(bestStart + bestLen).join(':')
}

/** net.IP.String() of a parsed address. */
export function formatIP(ip: ParsedIP): string {
  return ip.family === 'IPv4' ? formatIPv4(ip.value) : formatIPv6(ip.value)
}

export interface ParsedCIDR {
  family: Family
  /** The network address. */
  base: bigint
  bits: number
  /** Number of addresses in the CIDR. */
  size: bigint
  /** IPNet.String(): the masked network and the prefix length. */
  text: string
}

/** ParseCIDRSloppy: undefined when the string is not a CIDR. */
export function parseCIDR(s: string): ParsedCIDR | undefined {
  if (typeof s !== 'string') return undefined
  const slash = s.indexOf('/')
  if (slash < 0) return undefined
  const ipText = s.slice(0, slash)
  const bitsText = s.slice(slash + 1)
  if (!/^[0-9]+$/.test(bitsText)) return undefined
  const v4 = !ipText.includes(':')
  const width = v4 ? 32 : 128
  const value = v4 ? parseIPv4(ipText) : parseIPv6(ipText)
  const bits = Number(bitsText)
  if (value === undefined || bits > width) return undefined
  const family: Family = v4 ? 'IPv4' : 'IPv6'
  const hostBits = BigInt(width - bits)
  const base = (value >> hostBits) << hostBits
  return {family, base, bits, size: 1n << hostBits, text: `${formatIP({family, value: base})}/${bits}`}
}

export function cidrContains(cidr: ParsedCIDR, ip: ParsedIP): boolean {
  return ip.family === cidr.family && ip.value >= cidr.base && ip.value < cidr.base + cidr.size
}

/** net.IP methods used by ValidateNonSpecialIP. */
export function isUnspecified(ip: ParsedIP): boolean {
  return ip.value === 0n
}

export function isLoopback(ip: ParsedIP): boolean {
  return ip.family === 'IPv4' ? ip.value >> 24n === 127n : ip.value === 1n
}

export function isLinkLocalUnicast(ip: ParsedIP): boolean {
  return ip.family === 'IPv4' ? ip.value >> 16n === 0xa9fen : ip.value >> 118n === 0x3fan
}

export function isLinkLocalMulticast(ip: ParsedIP): boolean {
  if (ip.family === 'IPv4') return ip.value >> 8n === 0xe00000n
  return ip.value >> 120n === 0xffn && ((ip.value >> 112n) & 0x0fn) === 0x02n
}

/** netip.ParseAddr would refuse it: an IPv4 part with a leading zero (CVE-2021-29923). */
function hasLeadingZeros(s: string): boolean {
  const m = /(^|:)([0-9.]+)$/.exec(s)
  if (!m || !m[2].includes('.')) return false
  return m[2].split('.').some((p) => p.length > 1 && p.startsWith('0'))
}

/** GetWarningsForIP (apimachinery util/validation/ip.go), for a value that parsed. */
export function warningsForIP(fieldPath: string, value: string): string[] {
  const ip = parseIP(value)
  if (!ip) return []
  const isMapped = value.includes(':') && ip.family === 'IPv4'
  if (hasLeadingZeros(value) || isMapped) {
    return [`${fieldPath}: non-standard IP address ${JSON.stringify(value)} will be considered invalid in a future Kubernetes release: use ${JSON.stringify(formatIP(ip))}`]
  }
  if (ip.family === 'IPv6' && formatIP(ip) !== value) {
    return [`${fieldPath}: IPv6 address ${JSON.stringify(value)} should be in RFC 5952 canonical format (${JSON.stringify(formatIP(ip))})`]
  }
  return []
}

/** GetWarningsForCIDR (apimachinery util/validation/ip.go), for a value that parsed. */
export function warningsForCIDR(fieldPath: string, value: string): string[] {
  const cidr = parseCIDR(value)
  if (!cidr) return []
  const ipText = value.slice(0, value.indexOf('/'))
  const ip = parseIP(ipText)
  if (!ip) return []
  const warnings: string[] = []
  const width = cidr.family === 'IPv4' ? 32 : 128
  if (ip.value !== cidr.base) {
    warnings.push(`${fieldPath}: CIDR value ${JSON.stringify(value)} is ambiguous in this context (should be ${JSON.stringify(cidr.text)} or ${JSON.stringify(`${formatIP(ip)}/${width}`)}?)`)
  }
  if (hasLeadingZeros(ipText) || (ipText.includes(':') && ip.family === 'IPv4')) {
    warnings.push(`${fieldPath}: non-standard CIDR value ${JSON.stringify(value)} will be considered invalid in a future Kubernetes release: use ${JSON.stringify(cidr.text)}`)
  }
  if (warnings.length === 0 && cidr.family === 'IPv6' && `${formatIP(ip)}/${cidr.bits}` !== value) {
    warnings.push(`${fieldPath}: IPv6 CIDR value ${JSON.stringify(value)} should be in RFC 5952 canonical format (${JSON.stringify(`${formatIP(ip)}/${cidr.bits}`)})`)
  }
  return warnings
}
