// Go's words for a refused server certificate that only the certificates can give: Node's TLS
// (OpenSSL) refuses the same certificates but destroys the connection before anything can read
// them, reports the chain before the name, and its error carries neither Expired's detail nor
// UnknownAuthorityError's hint. So once a certificate is refused, svc asks the server for its
// certificates again on a connection that only shakes hands (nothing is sent on it), and runs Go's
// checks on them in Go's order (crypto/x509 Certificate.Verify, as crypto/tls verifyServerCertificate
// calls it): the leaf's validity period, then the name, then a chain to a root, then the usage.
// The decision stays Node's; only the words come from here. Through a proxy the second handshake
// goes through it too.

import {X509Certificate} from 'node:crypto'
import net from 'node:net'
import tls from 'node:tls'

import {hostnameError, serverIdentity} from './identity.ts'

/** What the diagnosis needs of the connection that was refused. */
export interface RefusedConnection {
  /** The CA the connection trusted (the kubeconfig's), PEM; the default roots when absent. */
  ca?: tls.ConnectionOptions['ca']
  host: string
  port: number
  /** The name the certificate was checked against (the tls-server-name, else the server's host). */
  name: string
  /** Gives up on the second handshake after this long. */
  timeoutMs: number
  /** Opens the TCP stream to host:port when it goes through a proxy (connectThroughProxy), given up when `signal` aborts. */
  tunnel?: (signal: AbortSignal) => Promise<net.Socket>
}

/**
 * Go's words (after `x509: `... as Go writes them) for the certificates the server sends, or
 * undefined when they cannot be had (the server went away) or Go would accept them.
 */
export async function diagnoseRefusal(connection: RefusedConnection, now: () => Date = () => new Date()): Promise<string | undefined> {
  try {
    const sent = await serverCertificates(connection)
    return sent.length === 0 ? undefined : goVerify(sent, roots(connection.ca), connection.name, now())
  } catch {
    // The words are extra: whatever keeps them from being read (the server gone, a certificate or
    // CA that does not parse) leaves the refusal with the words it has, and never fails the caller.
    return undefined
  }
}

/** The certificates the server sends, leaf first: a handshake that verifies nothing and sends nothing. */
async function serverCertificates({host, name, port, timeoutMs, tunnel}: RefusedConnection): Promise<X509Certificate[]> {
  // One limit for the whole: the proxy's part, then the handshake in what is left.
  const deadline = Date.now() + timeoutMs
  const through = await tunnel?.(AbortSignal.timeout(timeoutMs))
  return new Promise((resolve, reject) => {
    const socket = tls.connect({host, port, rejectUnauthorized: false, servername: net.isIP(name) ? undefined : name, socket: through})
    const timer = setTimeout(() => socket.destroy(new Error('timeout')), Math.max(0, deadline - Date.now()))
    socket.once('secureConnect', () => {
      clearTimeout(timer)
      try {
        const chain: X509Certificate[] = []
        let peer: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true)
        while (peer?.raw && !chain.some(c => c.raw.equals(peer!.raw))) {
          chain.push(new X509Certificate(peer.raw))
          peer = peer.issuerCertificate
        }
        resolve(chain)
      } catch (error) {
        reject(error)
      } finally {
        socket.destroy()
      }
    })
    socket.once('error', error => {
      clearTimeout(timer)
      reject(error)
    })
  })
}

function roots(ca: tls.ConnectionOptions['ca']): X509Certificate[] {
  const pems = ca === undefined ? tls.rootCertificates : (Array.isArray(ca) ? ca : [ca]).map(String)
  return pems.flatMap(pem => [...pem.matchAll(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g)].map(m => new X509Certificate(m[0])))
}

/**
 * Certificate.Verify's first failure for a server certificate, in Go's words: the leaf's validity
 * period (isValid), the name (VerifyHostname), a chain to one of `roots` through the other
 * certificates sent (buildChains), then the extended key usage (serverAuth) along the chain.
 */
export function goVerify(sent: X509Certificate[], roots: X509Certificate[], name: string, now: Date): string | undefined {
  const [leaf, ...intermediates] = sent
  const expired = validity(leaf, now)
  if (expired) return expired
  const peer = peerCertificate(leaf)
  if (serverIdentity(name, peer)) return hostnameError(peer, name)
  const built = roots.some(r => r.raw.equals(leaf.raw)) ? {chains: [[leaf]]} : buildChains(leaf, [leaf], roots, intermediates, now, {checks: 0})
  if (built.chains.length === 0) return built.err
  if (!built.chains.some(chain => chain.every(c => c.keyUsage === undefined || c.keyUsage.includes('1.3.6.1.5.5.7.3.1') || c.keyUsage.includes('2.5.29.37.0')))) {
    return 'x509: certificate specifies an incompatible key usage'
  }
  return undefined
}

/**
 * buildChains: every root, then every intermediate, whose subject is the certificate's issuer is a
 * candidate; one whose signature does not check out, or that is not valid, is remembered as the
 * hint (the first such); the error is that of the last candidate whose signature checked out (an
 * expired CA reads as Expired), else UnknownAuthorityError with the hint.
 */
function buildChains(
  cert: X509Certificate,
  current: X509Certificate[],
  roots: X509Certificate[],
  intermediates: X509Certificate[],
  now: Date,
  state: {checks: number},
): {chains: X509Certificate[][]; err?: string} {
  const chains: X509Certificate[][] = []
  let err: string | undefined
  let hint: {cert: X509Certificate; err: string} | undefined
  const consider = (candidate: X509Certificate, root: boolean): void => {
    if (current.some(c => c.raw.equals(candidate.raw))) return
    if (++state.checks > 100) {
      err = 'x509: signature check attempts limit reached while verifying certificate chain'
      return
    }
    const signature = signatureFrom(cert, candidate)
    if (signature) {
      hint ??= {cert: candidate, err: signature}
      return
    }
    err = validity(candidate, now)
    if (err) {
      hint ??= {cert: candidate, err}
      return
    }
    if (root) {
      chains.push([...current, candidate])
      return
    }
    const below = buildChains(candidate, [...current, candidate], roots, intermediates, now, state)
    err = below.err
    chains.push(...below.chains)
  }
  for (const root of roots) if (root.subject === cert.issuer) consider(root, true)
  for (const intermediate of intermediates) if (intermediate.subject === cert.issuer) consider(intermediate, false)
  if (chains.length > 0) return {chains}
  return {chains, err: err ?? unknownAuthority(hint)}
}

/** UnknownAuthorityError.Error: the hint names the candidate by its Common Name, else its first Organization, else its serial number. */
function unknownAuthority(hint: {cert: X509Certificate; err: string} | undefined): string {
  const words = 'x509: certificate signed by unknown authority'
  if (!hint) return words
  const name = subjectValues(hint.cert, 'CN').at(-1) || subjectValues(hint.cert, 'O')[0] || `serial:${BigInt(`0x${hint.cert.serialNumber}`).toString()}`
  return `${words} (possibly because of ${JSON.stringify(hint.err)} while trying to verify candidate authority certificate ${JSON.stringify(name)})`
}

/** CheckSignatureFrom: the parent must be a CA, and its key must check the signature; the error words are checkSignature's per key type. */
function signatureFrom(cert: X509Certificate, parent: X509Certificate): string | undefined {
  if (!parent.ca) return 'x509: invalid signature: parent certificate cannot sign this kind of certificate'
  if (cert.verify(parent.publicKey)) return undefined
  switch (parent.publicKey.asymmetricKeyType) {
    case 'ec':
      return 'x509: ECDSA verification failure'
    case 'ed25519':
      return 'x509: Ed25519 verification failure'
    default:
      return 'crypto/rsa: verification error'
  }
}

/** isValid's validity period: Expired with its detail, the current time in local time as Go's time.Now prints it, the bound in UTC. */
function validity(cert: X509Certificate, now: Date): string | undefined {
  const words = 'x509: certificate has expired or is not yet valid'
  if (now < cert.validFromDate) return `${words}: current time ${rfc3339Local(now)} is before ${rfc3339Utc(cert.validFromDate)}`
  if (now > cert.validToDate) return `${words}: current time ${rfc3339Local(now)} is after ${rfc3339Utc(cert.validToDate)}`
  return undefined
}

function rfc3339Utc(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`
}

/** time.RFC3339 of a local time: `Z` for UTC, else the offset (`+01:00`). */
function rfc3339Local(date: Date): string {
  const offset = -date.getTimezoneOffset()
  const local = new Date(date.getTime() + offset * 60_000).toISOString().slice(0, 19)
  if (offset === 0) return `${local}Z`
  const abs = Math.abs(offset)
  return `${local}${offset < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`
}

/** The certificate as identity.ts reads a peer's: its alternative names and its subject's Common Name(s). */
function peerCertificate(cert: X509Certificate): tls.PeerCertificate {
  const cn = subjectValues(cert, 'CN')
  return {subject: {CN: cn.length > 1 ? cn : cn[0]}, subjectaltname: cert.subjectAltName} as unknown as tls.PeerCertificate
}

/** The values of a subject field as Node prints the subject (`CN=name` lines), in order. */
function subjectValues(cert: X509Certificate, field: string): string[] {
  return cert.subject.split('\n').filter(line => line.startsWith(`${field}=`)).map(line => line.slice(field.length + 1))
}
