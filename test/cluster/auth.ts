/** Authentication (client certificate or bearer token) and the tiny authorizer of the local cluster. */
import {randomBytes} from 'node:crypto'
import type {IncomingMessage} from 'node:http'
import type {TLSSocket} from 'node:tls'

export interface Identity {
  user: string
  groups: string[]
  /** may only get, list and watch */
  readonly: boolean
}

export interface Credentials {
  /** bearer token of the `token` user (full access) */
  token: string
  /** bearer token of the `readonly` user */
  readonlyToken: string
}

export function createCredentials(): Credentials {
  return {token: `svc-${randomBytes(24).toString('hex')}`, readonlyToken: `ro-${randomBytes(24).toString('hex')}`}
}

/** Paths the real API server lets system:unauthenticated read (system:public-info-viewer). */
const PUBLIC_PATHS = new Set(['/version', '/version/', '/healthz', '/livez', '/readyz'])

/**
 * Returns the identity, `'anonymous'` for a request without credentials on a public path, or undefined
 * (answer 401) for missing or wrong credentials.
 */
export function authenticate(req: IncomingMessage, creds: Credentials, path: string): Identity | 'anonymous' | undefined {
  const header = req.headers.authorization
  if (header !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header)
    if (!m) return undefined
    if (m[1] === creds.token) return {user: 'token', groups: ['system:masters', 'system:authenticated'], readonly: false}
    if (m[1] === creds.readonlyToken) return {user: 'readonly', groups: ['system:authenticated'], readonly: true}
    return undefined
  }
  const socket = req.socket as TLSSocket
  if (typeof socket.getPeerCertificate === 'function' && socket.authorized) {
    const cert = socket.getPeerCertificate()
    const cn = cert?.subject?.CN
    if (cn) {
      const org = cert.subject.O
      const orgs = Array.isArray(org) ? org : org ? [org] : []
      return {user: String(cn), groups: [...orgs, 'system:authenticated'], readonly: false}
    }
  }
  if (PUBLIC_PATHS.has(path)) return 'anonymous'
  return undefined
}

const READ_VERBS = new Set(['get', 'list', 'watch'])

export function authorize(identity: Identity, verb: string): boolean {
  return !identity.readonly || READ_VERBS.has(verb)
}
