/**
 * A certificate authority for the local cluster, built from node:crypto keys and a small hand-written
 * X.509 v3 DER encoder (ECDSA P-256 with SHA-256). No openssl binary, no extra dependency.
 */
import {createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign, type KeyObject} from 'node:crypto'
import {isIPv4} from 'node:net'

// ---- DER primitives ---------------------------------------------------------------------------------------

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n])
  const bytes: number[] = []
  while (n > 0) {
    bytes.unshift(n & 0xff)
    n = Math.floor(n / 256)
  }
  return Buffer.from([0x80 | bytes.length, ...bytes])
}

function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), length(content.length), content])
}

const seq = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items))
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items))
const octets = (b: Buffer): Buffer => tlv(0x04, b)
const bitString = (b: Buffer): Buffer => tlv(0x03, Buffer.concat([Buffer.from([0]), b]))
const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'))
const bool = (v: boolean): Buffer => tlv(0x01, Buffer.from([v ? 0xff : 0]))
const explicit = (n: number, inner: Buffer): Buffer => tlv(0xa0 + n, inner)

function integer(b: Buffer): Buffer {
  let i = 0
  while (i < b.length - 1 && b[i] === 0) i++
  let content = b.subarray(i)
  if (content[0] & 0x80) content = Buffer.concat([Buffer.from([0]), content])
  return tlv(0x02, content)
}

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number)
  const bytes = [parts[0] * 40 + parts[1]]
  for (const part of parts.slice(2)) {
    const chunk: number[] = [part & 0x7f]
    let v = Math.floor(part / 128)
    while (v > 0) {
      chunk.unshift((v & 0x7f) | 0x80)
      v = Math.floor(v / 128)
    }
    bytes.push(...chunk)
  }
  return tlv(0x06, Buffer.from(bytes))
}

function time(d: Date): Buffer {
  const iso = d.toISOString()
  const compact = iso.slice(0, 19).replace(/[-:T]/g, '') + 'Z' // YYYYMMDDHHMMSSZ
  if (d.getUTCFullYear() < 2050) return tlv(0x17, Buffer.from(compact.slice(2), 'ascii')) // UTCTime
  return tlv(0x18, Buffer.from(compact, 'ascii')) // GeneralizedTime
}

// ---- X.509 ------------------------------------------------------------------------------------------------

const OID = {
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
}

export interface Subject {
  commonName: string
  organizations?: string[]
}

function name(subject: Subject): Buffer {
  const rdns = [...(subject.organizations ?? []).map((o) => set(seq(oid(OID.organization), utf8(o)))),
    set(seq(oid(OID.commonName), utf8(subject.commonName)))]
  return seq(...rdns)
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value))
}

function keyUsageBits(bits: number[]): Buffer {
  // bit 0 is the most significant bit of the first byte
  let value = 0
  for (const b of bits) value |= 0x80 >> b
  const unused = 7 - Math.max(...bits)
  return tlv(0x03, Buffer.from([unused, value]))
}

function ipBytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number))
  // IPv6: expand '::'
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined]
  const h = head ? head.split(':') : []
  const t = tail ? tail.split(':') : []
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t]
  const out = Buffer.alloc(16)
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g || '0', 16), i * 2))
  return out
}

function keyId(spki: Buffer): Buffer {
  return createHash('sha1').update(spki).digest()
}

export interface IssuedCert {
  certPem: string
  keyPem: string
  key: KeyObject
  der: Buffer
  subject: Subject
  spki: Buffer
}

interface IssueOptions {
  subject: Subject
  issuer?: IssuedCert // self-signed when absent
  isCA?: boolean
  serverNames?: {dns: string[]; ips: string[]}
  client?: boolean
  days?: number
  /** Valid from (default an hour ago). */
  notBefore?: Date
}

function toPem(label: string, der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`
}

export function issue(options: IssueOptions): IssuedCert {
  const {privateKey, publicKey} = generateKeyPairSync('ec', {namedCurve: 'P-256'})
  const spki = publicKey.export({type: 'spki', format: 'der'})
  const now = Date.now()
  const notBefore = options.notBefore ?? new Date(now - 60 * 60 * 1000)
  const notAfter = new Date(now + (options.days ?? 365) * 24 * 60 * 60 * 1000)
  const serial = randomBytes(16)
  serial[0] &= 0x7f
  const issuerSubject = options.issuer?.subject ?? options.subject
  const issuerSpki = options.issuer?.spki ?? spki
  const subjectPublicKey = keyId(publicKeyBits(spki))
  const exts: Buffer[] = []
  if (options.isCA) {
    exts.push(extension(OID.keyUsage, true, keyUsageBits([0, 5, 6]))) // digitalSignature, keyCertSign, cRLSign
    exts.push(extension(OID.basicConstraints, true, seq(bool(true))))
  } else {
    exts.push(extension(OID.keyUsage, true, keyUsageBits([0]))) // digitalSignature (ECDSA)
    exts.push(extension(OID.extKeyUsage, false, seq(oid(options.client ? OID.clientAuth : OID.serverAuth))))
    exts.push(extension(OID.basicConstraints, true, seq()))
  }
  exts.push(extension(OID.subjectKeyIdentifier, false, octets(subjectPublicKey)))
  if (options.issuer) exts.push(extension(OID.authorityKeyIdentifier, false, seq(tlv(0x80, keyId(publicKeyBits(issuerSpki))))))
  if (options.serverNames) {
    const names = [...options.serverNames.dns.map((d) => tlv(0x82, Buffer.from(d, 'ascii'))),
      ...options.serverNames.ips.map((ip) => tlv(0x87, ipBytes(ip)))]
    exts.push(extension(OID.subjectAltName, false, seq(...names)))
  }
  const algorithm = seq(oid(OID.ecdsaWithSHA256))
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    algorithm,
    name(issuerSubject),
    seq(time(notBefore), time(notAfter)),
    name(options.subject),
    spki,
    explicit(3, seq(...exts)),
  )
  const signingKey = options.issuer?.key ?? privateKey
  const signature = sign('sha256', tbs, signingKey) // DER-encoded ECDSA signature
  const der = seq(tbs, algorithm, bitString(signature))
  return {
    certPem: toPem('CERTIFICATE', der),
    keyPem: privateKey.export({type: 'pkcs8', format: 'pem'}) as string,
    key: createPrivateKey(privateKey.export({type: 'pkcs8', format: 'pem'})),
    der,
    subject: options.subject,
    spki,
  }
}

/** The raw public key bits inside a SubjectPublicKeyInfo (what the key identifier hashes, RFC 5280 4.2.1.2). */
function publicKeyBits(spki: Buffer): Buffer {
  // SPKI = SEQUENCE { AlgorithmIdentifier, BIT STRING }; the BIT STRING is the last element.
  // For P-256 the uncompressed point is 65 bytes at the end.
  return spki.subarray(spki.length - 65)
}

export interface ClusterPKI {
  ca: IssuedCert
  server: IssuedCert
  admin: IssuedCert
}

/** CA, server certificate for 127.0.0.1/::1/localhost, and the admin client certificate (CN=svc-admin, O=system:masters). */
export function createPKI(): ClusterPKI {
  const ca = issue({subject: {commonName: 'svc-local-ca'}, isCA: true, days: 3650})
  const server = issue({subject: {commonName: 'kube-apiserver'}, issuer: ca,
    serverNames: {dns: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc'], ips: ['127.0.0.1', '::1', '10.96.0.1']}})
  const admin = issue({subject: {commonName: 'svc-admin', organizations: ['system:masters']}, issuer: ca, client: true})
  return {ca, server, admin}
}
