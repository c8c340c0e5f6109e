// Whether the server's certificate names the server, by Go's rules (crypto/x509
// Certificate.VerifyHostname, which kubectl's TLS uses), and Go's words when it does not
// (x509.HostnameError.Error).

import net from 'node:net'
import type tls from 'node:tls'

let ipServerNameQuiet = false

/**
 * Node warns once per process, on stderr, when a TLS connection's servername is an IP address
 * (`[DEP0123] DeprecationWarning: Setting the TLS ServerName to an IP address is not permitted by
 * RFC 6066`, lib/_tls_wrap.js), which a cluster's tls-server-name may be; kubectl prints nothing
 * (Go's crypto/tls sends no SNI for an address). The address has to stay the servername: Node
 * checks the certificate against `servername || host`, and client-node passes the tls-server-name
 * on as the servername of every agent. So that one warning is dropped, from the first client of
 * such a cluster on; every other warning is emitted as before.
 */
export function quietIpServerName(): void {
  if (ipServerNameQuiet) return
  ipServerNameQuiet = true
  const emit = process.emitWarning
  process.emitWarning = function(this: NodeJS.Process, ...args: Parameters<typeof process.emitWarning>) {
    const [, type, code] = args as unknown[]
    const named = typeof type === 'object' && type !== null ? (type as {code?: string}).code : code
    if (named === 'DEP0123') return
    emit.apply(this, args)
  } as typeof process.emitWarning
}

/**
 * Whether the certificate names `host`, as Go's Certificate.VerifyHostname decides: an address
 * against the certificate's IP addresses only, an IPv4-mapped one equal to its IPv4 address, a name
 * against its DNS names only, never the subject's Common Name (Node falls back to it when a
 * certificate names no DNS name; Go stopped in 1.15, so kubectl refuses such a certificate). A DNS
 * name is matched with Go's rules, not Node's: a wildcard only as a whole first label (Node also
 * takes `f*.example.com`), also over two labels (`*.local`, which Node refuses), and an exact match,
 * case aside, when the name or the pattern is not a valid hostname.
 */
export function serverIdentity(host: string, cert: tls.PeerCertificate): Error | undefined {
  // The error's `host` is the name checked, as Go's HostnameError.Host: the cluster's
  // tls-server-name when it has one (Node checks `servername || host`), not the server URL's host;
  // Node's own drops a trailing dot, Go keeps it.
  if (isAddress(host)) {
    const listed = altNames(cert).filter(n => n.kind === 'IP Address').map(n => n.value)
    // The same spelling is the same address; only another spelling needs reading (Node's IPv6
    // pattern, whose first use costs about 3 ms of a command's start).
    if (listed.includes(host)) return undefined
    // Go's net.IP.Equal: an IPv4-mapped IPv6 address is the IPv4 address (Node's check tells them apart).
    const wanted = ipString(host)
    const ips = listed.map(ipString)
    if (ips.includes(wanted)) return undefined
    const reason = `IP: ${host} is not in the cert's list: ${ips.join(', ')}`
    return Object.assign(new Error(`Hostname/IP does not match certificate's altnames: ${reason}`), {cert, code: 'ERR_TLS_CERT_ALTNAME_INVALID', host, reason})
  }
  const candidate = lowerASCII(host)
  const validCandidate = validHostname(candidate, false)
  const names = dnsNames(cert)
  if (names.some(name => (validCandidate && validHostname(name, true) ? matchHostnames(name, candidate) : matchExactly(name, candidate)))) return undefined
  const reason = `Host: ${host}. is not in the cert's altnames: ${cert.subjectaltname ?? ''}`
  return Object.assign(new Error(`Hostname/IP does not match certificate's altnames: ${reason}`), {cert, code: 'ERR_TLS_CERT_ALTNAME_INVALID', host, reason})
}

/**
 * Node's codes for a certificate its TLS refused, with Go's words where they do not depend on the
 * certificate. Go's CertificateInvalidError adds a Detail to Expired (`: current time T is after
 * NOTAFTER`), and its UnknownAuthorityError a hint when a CA of the issuer's name failed the
 * signature check (a CA made again under the same name); both are read from the certificate, which
 * Node's error for them does not carry: where the certificates could be had again (refusal.ts),
 * explainRefusal gives the whole words, else they stop before them.
 */
const REFUSALS = new Map<string, string | undefined>([
  ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'x509: certificate signed by unknown authority'],
  ['SELF_SIGNED_CERT_IN_CHAIN', 'x509: certificate signed by unknown authority'],
  ['DEPTH_ZERO_SELF_SIGNED_CERT', 'x509: certificate signed by unknown authority'],
  ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'x509: certificate signed by unknown authority'],
  ['UNABLE_TO_GET_ISSUER_CERT', 'x509: certificate signed by unknown authority'],
  ['CERT_SIGNATURE_FAILURE', 'x509: certificate signed by unknown authority'],
  ['CERT_HAS_EXPIRED', 'x509: certificate has expired or is not yet valid'],
  ['CERT_NOT_YET_VALID', 'x509: certificate has expired or is not yet valid'],
  // Not for a server (extended key usage without serverAuth): Go's IncompatibleUsage.
  ['INVALID_PURPOSE', 'x509: certificate specifies an incompatible key usage'],
  // Built from the certificate: hostnameError.
  ['ERR_TLS_CERT_ALTNAME_INVALID', undefined],
])

/** Whether an error code is a certificate refused: the next connection would be refused again. */
export function isCertificateRefusal(code: string | undefined): boolean {
  return code !== undefined && REFUSALS.has(code)
}

/** Go's words for a refusal as the certificates give them (refusal.ts), by error. */
const diagnosed = new WeakMap<Error, string>()

/** Keeps Go's words for this refusal, read from the server's certificates; certificateError gives them instead of the code's. */
export function explainRefusal(error: Error, words: string): void {
  diagnosed.set(error, words)
}

/**
 * Go's words for a certificate Node's TLS refused (`tls: failed to verify certificate: x509: ...`),
 * for the API server and for an https:// proxy alike; undefined for any other error. `host` is the
 * name checked when the error does not carry it.
 */
export function certificateError(error: NodeJS.ErrnoException, host: string): string | undefined {
  if (!isCertificateRefusal(error.code)) return undefined
  const words = diagnosed.get(error) ?? REFUSALS.get(error.code!) ?? hostnameError((error as {cert?: tls.PeerCertificate}).cert, (error as {host?: string}).host ?? host)
  return `tls: failed to verify certificate: ${words}`
}

/**
 * Go's x509.HostnameError for a certificate that does not name `host`: the certificate's IP
 * addresses for an address, its DNS names for a name, and for a certificate with no alternative
 * names whose Common Name would match, that the Common Name is no longer used.
 */
export function hostnameError(cert: tls.PeerCertificate | undefined, host: string): string {
  if (!cert?.subjectaltname && matchHostnames(lastCommonName(cert), host)) return 'x509: certificate relies on legacy Common Name field, use SANs instead'
  let valid: string
  if (isAddress(host)) {
    const ips = altNames(cert).filter(n => n.kind === 'IP Address').map(n => ipString(n.value))
    if (ips.length === 0) return `x509: cannot validate certificate for ${host} because it doesn't contain any IP SANs`
    valid = ips.join(', ')
  } else {
    valid = dnsNames(cert).join(', ')
  }
  if (valid === '') return `x509: certificate is not valid for any names, but wanted to match ${host}`
  return `x509: certificate is valid for ${valid}, not ${host}`
}

/** The certificate's alternative names; Node's subjectaltname reads `DNS:a, IP Address:10.0.0.1, ...`, a value with odd characters in JSON quotes. */
function altNames(cert: tls.PeerCertificate | undefined): Array<{kind: string; value: string}> {
  return [...(cert?.subjectaltname ?? '').matchAll(/([^:,]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/g)]
    .map(([, kind, value]) => ({kind: kind.trim(), value: value.startsWith('"') ? String(JSON.parse(value)) : value}))
}

function dnsNames(cert: tls.PeerCertificate | undefined): string[] {
  return altNames(cert).filter(n => n.kind === 'DNS').map(n => n.value)
}

/** The subject's Common Name as Go reads it: the last one when there are several. */
function lastCommonName(cert: tls.PeerCertificate | undefined): string {
  const cn = (cert?.subject as Record<string, string | string[] | undefined> | undefined)?.CN
  return (Array.isArray(cn) ? cn.at(-1) : cn) ?? ''
}

/** Go's matchHostnames: the same labels, case-insensitive, `*` allowed as the whole first label. */
function matchHostnames(pattern: string, host: string): boolean {
  const patternParts = lowerASCII(pattern).split('.')
  const hostParts = lowerASCII(host).replace(/\.$/, '').split('.')
  if (pattern === '' || host === '' || patternParts.length !== hostParts.length) return false
  return patternParts.every((part, i) => (i === 0 && part === '*') || part === hostParts[i])
}

/** Go's matchExactly: the same name, case-insensitive; an empty name or a lone dot matches nothing. */
function matchExactly(a: string, b: string): boolean {
  if (a === '' || a === '.' || b === '' || b === '.') return false
  return lowerASCII(a) === lowerASCII(b)
}

/**
 * Go's validHostname: labels of letters, digits, `_` and `-` (not first), none empty; a pattern may
 * have `*` as its whole first label, a name one trailing dot; a lone `*` is neither.
 */
function validHostname(host: string, isPattern: boolean): boolean {
  const name = isPattern ? host : host.replace(/\.$/, '')
  if (name === '' || name === '*') return false
  return name.split('.').every((part, i) => (isPattern && i === 0 && part === '*') || /^[\w][\w-]*$/.test(part))
}

/** Go's toLowerCaseASCII: A-Z lowered, nothing else changed. */
function lowerASCII(s: string): string {
  return s.replace(/[A-Z]/g, c => c.toLowerCase())
}

/** An address as Go's net.ParseIP and IP.String see it (an IPv4-mapped one as IPv4), undefined for what ParseIP refuses (a name, an address with a zone). */
export function goIpString(host: string): string | undefined {
  return isAddress(host) ? ipString(host) : undefined
}

/** Whether Go's net.ParseIP takes `host` as an address: Node's net.isIP also takes one with a zone (`fe80::1%eth0`). */
function isAddress(host: string): boolean {
  return net.isIP(host) !== 0 && !host.includes('%')
}

/** An address as Go's net.IP.String prints it: IPv6 shortened and in lower case, an IPv4-mapped one as IPv4. */
function ipString(ip: string): string {
  if (!net.isIPv6(ip)) return ip
  const short = new URL(`http://[${ip}]`).hostname.slice(1, -1)
  const mapped = /^::ffff:([\da-f]{1,4}):([\da-f]{1,4})$/.exec(short)
  if (!mapped) return short
  const [high, low] = [Number.parseInt(mapped[1], 16), Number.parseInt(mapped[2], 16)]
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.')
}
