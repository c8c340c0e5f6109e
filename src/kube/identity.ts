// Whether the server's certificate names the server, by Go's rules (crypto/x509
// Certificate.VerifyHostname, which kubectl's TLS uses), and Go's words when it does not
// (x509.HostnameError.Error).

import net from 'node:net'
import tls from 'node:tls'

/**
 * tls.checkServerIdentity without its legacy Common Name fallback. Node matches a name against the
 * subject's Common Name when the certificate names no DNS name; Go stopped doing so in 1.15
 * (VerifyHostname matches DNS names only), so kubectl refuses such a certificate and svc does too.
 * For an address both check the certificate's IP addresses only.
 */
export function serverIdentity(host: string, cert: tls.PeerCertificate): Error | undefined {
  // The error's `host` is the name checked, as Go's HostnameError.Host: the cluster's
  // tls-server-name when it has one (Node checks `servername || host`), not the server URL's host;
  // Node's own drops a trailing dot, Go keeps it.
  if (net.isIP(host) || dnsNames(cert).length > 0) {
    const error = tls.checkServerIdentity(host, cert)
    return error && Object.assign(error, {host})
  }
  const reason = `Host: ${host}. is not in the cert's altnames: ${cert.subjectaltname ?? ''}`
  return Object.assign(new Error(`Hostname/IP does not match certificate's altnames: ${reason}`), {cert, code: 'ERR_TLS_CERT_ALTNAME_INVALID', host, reason})
}

/**
 * Go's x509.HostnameError for a certificate that does not name `host`: the certificate's IP
 * addresses for an address, its DNS names for a name, and for a certificate with no alternative
 * names whose Common Name would match, that the Common Name is no longer used.
 */
export function hostnameError(cert: tls.PeerCertificate | undefined, host: string): string {
  if (!cert?.subjectaltname && matchHostnames(lastCommonName(cert), host)) return 'x509: certificate relies on legacy Common Name field, use SANs instead'
  let valid: string
  if (net.isIP(host)) {
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
  const patternParts = pattern.toLowerCase().split('.')
  const hostParts = host.toLowerCase().replace(/\.$/, '').split('.')
  if (pattern === '' || host === '' || patternParts.length !== hostParts.length) return false
  return patternParts.every((part, i) => (i === 0 && part === '*') || part === hostParts[i])
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
