// Go's words for a refused certificate, read from the certificates (refusal.ts goVerify), at a fixed
// time: crypto/x509 Certificate.Verify's order (the leaf's validity, the name, the chain, the
// usage), CertificateInvalidError's Expired detail (time.Now in local time, the bound in UTC,
// time.RFC3339), UnknownAuthorityError's hint and the name it gives the candidate.

import assert from 'node:assert/strict'
import {X509Certificate} from 'node:crypto'
import {once} from 'node:events'
import type {AddressInfo} from 'node:net'
import tls from 'node:tls'
import {after, describe, it} from 'node:test'

import {diagnoseRefusal, goVerify} from '../../../src/kube/refusal.ts'
import {issue, type IssuedCert} from '../../cluster/certs.ts'

const DAY = 24 * 60 * 60 * 1000
const x509 = (cert: IssuedCert): X509Certificate => new X509Certificate(cert.certPem)
const ca = issue({days: 30, isCA: true, subject: {commonName: 'kubernetes'}})
const here = {dns: ['localhost'], ips: ['127.0.0.1']}
const tz = process.env.TZ
after(() => {
  if (tz === undefined) delete process.env.TZ
  else process.env.TZ = tz
})

describe('goVerify', () => {
  it('accepts what Go accepts', () => {
    const leaf = issue({days: 30, issuer: ca, serverNames: here, subject: {commonName: 'x'}})
    assert.equal(goVerify([x509(leaf)], [x509(ca)], '127.0.0.1', new Date()), undefined)
    assert.equal(goVerify([x509(leaf)], [x509(ca)], 'localhost', new Date()), undefined)
  })

  it('Expired: the current time in local time (Z in UTC, else its offset), NotAfter in UTC', () => {
    const leaf = issue({days: 30, issuer: ca, serverNames: here, subject: {commonName: 'x'}})
    const notAfter = x509(leaf).validToDate
    const later = new Date(notAfter.getTime() + DAY + 1500)
    const bound = `${notAfter.toISOString().slice(0, 19)}Z`
    process.env.TZ = 'UTC'
    assert.equal(goVerify([x509(leaf)], [x509(ca)], 'localhost', later), `x509: certificate has expired or is not yet valid: current time ${later.toISOString().slice(0, 19)}Z is after ${bound}`)
    process.env.TZ = 'Asia/Kolkata'
    const local = new Date(later.getTime() + 330 * 60_000).toISOString().slice(0, 19)
    assert.equal(goVerify([x509(leaf)], [x509(ca)], 'localhost', later), `x509: certificate has expired or is not yet valid: current time ${local}+05:30 is after ${bound}`)
    process.env.TZ = 'UTC'
    const before = new Date(x509(leaf).validFromDate.getTime() - 1000)
    assert.match(goVerify([x509(leaf)], [x509(ca)], 'localhost', before) ?? '', /^x509: certificate has expired or is not yet valid: current time \S+Z is before \S+Z$/)
  })

  it('the leaf\'s validity before the name, the name before the chain, the chain before the usage', () => {
    const other = issue({days: 30, isCA: true, subject: {commonName: 'other-ca'}})
    const wrongName = {dns: ['elsewhere'], ips: ['10.9.9.9']}
    const expired = issue({days: -1, issuer: other, notBefore: new Date(Date.now() - 3 * DAY), serverNames: wrongName, subject: {commonName: 'x'}})
    assert.match(goVerify([x509(expired)], [x509(ca)], '127.0.0.1', new Date()) ?? '', /^x509: certificate has expired or is not yet valid: /)
    const unknown = issue({days: 30, issuer: other, serverNames: wrongName, subject: {commonName: 'x'}})
    assert.equal(goVerify([x509(unknown)], [x509(ca)], '127.0.0.1', new Date()), 'x509: certificate is valid for 10.9.9.9, not 127.0.0.1')
    const clientOnly = issue({client: true, days: 30, issuer: ca, serverNames: here, subject: {commonName: 'x'}})
    assert.equal(goVerify([x509(clientOnly)], [x509(ca)], 'localhost', new Date()), 'x509: certificate specifies an incompatible key usage')
    const clientUnknown = issue({client: true, days: 30, issuer: other, serverNames: here, subject: {commonName: 'x'}})
    assert.equal(goVerify([x509(clientUnknown)], [x509(ca)], 'localhost', new Date()), 'x509: certificate signed by unknown authority')
  })

  it('UnknownAuthorityError\'s hint: a CA of the issuer\'s name that did not sign it, named by its Common Name, else its Organization, else its serial', () => {
    const again = issue({days: 30, isCA: true, subject: {commonName: 'kubernetes'}})
    const leaf = issue({days: 30, issuer: again, serverNames: here, subject: {commonName: 'x'}})
    assert.equal(goVerify([x509(leaf)], [x509(ca)], 'localhost', new Date()),
      'x509: certificate signed by unknown authority (possibly because of "x509: ECDSA verification failure" while trying to verify candidate authority certificate "kubernetes")')
    const orgCa = issue({days: 30, isCA: true, subject: {commonName: '', organizations: ['Acme']}})
    const orgAgain = issue({days: 30, isCA: true, subject: {commonName: '', organizations: ['Acme']}})
    const orgLeaf = issue({days: 30, issuer: orgAgain, serverNames: here, subject: {commonName: 'x'}})
    assert.match(goVerify([x509(orgLeaf)], [x509(orgCa)], 'localhost', new Date()) ?? '', /candidate authority certificate "Acme"\)$/)
  })

  it('an expired CA is Expired with the CA\'s NotAfter (buildChains keeps the candidate\'s error), and an intermediate sent by the server is followed', () => {
    const oldCa = issue({days: -1, isCA: true, notBefore: new Date(Date.now() - 3 * DAY), subject: {commonName: 'old-ca'}})
    const leaf = issue({days: 30, issuer: oldCa, serverNames: here, subject: {commonName: 'x'}})
    process.env.TZ = 'UTC'
    assert.match(goVerify([x509(leaf)], [x509(oldCa)], 'localhost', new Date()) ?? '', new RegExp(`is after ${x509(oldCa).validToDate.toISOString().slice(0, 19)}Z$`))
    const intermediate = issue({days: 30, isCA: true, issuer: ca, subject: {commonName: 'intermediate'}})
    const below = issue({days: 30, issuer: intermediate, serverNames: here, subject: {commonName: 'x'}})
    assert.equal(goVerify([x509(below), x509(intermediate)], [x509(ca)], 'localhost', new Date()), undefined)
    assert.equal(goVerify([x509(below)], [x509(ca)], 'localhost', new Date()), 'x509: certificate signed by unknown authority')
  })
})

describe('diagnoseRefusal', () => {
  it('reads the words from a second handshake, and gives none (never throws) when a certificate it needs does not parse', async () => {
    const leaf = issue({days: -1, issuer: ca, notBefore: new Date(Date.now() - 3 * DAY), serverNames: here, subject: {commonName: 'x'}})
    const server = tls.createServer({cert: leaf.certPem, key: leaf.keyPem}, socket => socket.destroy())
    server.on('tlsClientError', () => {})
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    try {
      const {port} = server.address() as AddressInfo
      const connection = {host: '127.0.0.1', name: 'localhost', port, timeoutMs: 5000}
      assert.match(await diagnoseRefusal({...connection, ca: ca.certPem}) ?? '', /^x509: certificate has expired or is not yet valid: current time /)
      const garbled = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'
      assert.equal(await diagnoseRefusal({...connection, ca: garbled}), undefined)
    } finally {
      server.close()
    }
  })
})
