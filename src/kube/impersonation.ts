// Impersonation, as kubectl does it: the kubeconfig user's `as`, `as-uid`, `as-groups` and
// `as-user-extra`, each overridden by --as, --as-uid and --as-group when given (clientcmd merges the
// flag overrides field by field), sent on every request as client-go's ImpersonatingRoundTripper
// does (transport/round_trippers.go): Impersonate-User, Impersonate-Uid, one Impersonate-Group per
// group and one Impersonate-Extra-KEY per value, KEY %-escaped where a header name cannot carry it.
// client-node reads only `as`, so the other fields are read from the kubeconfig files here.

import {readFileSync} from 'node:fs'

import yaml from 'js-yaml'

import {CliError} from './errors.ts'

export interface Impersonation {
  extra: Record<string, string[]>
  groups: string[]
  uid: string
  user: string
}

export interface ImpersonationFlags {
  as?: string
  asGroup?: string[]
  asUid?: string
}

export const NO_IMPERSONATION: Impersonation = {extra: {}, groups: [], uid: '', user: ''}

/**
 * The impersonation fields of the named kubeconfig user, from the first file that defines that user
 * (kubectl's merge: the first definition of a name wins).
 */
export function impersonationFromFiles(files: string[], userName: string): Impersonation {
  return impersonationFromTexts(files.map(file => {
    try {
      return readFileSync(file, 'utf8')
    } catch {
      return ''
    }
  }), userName)
}

/** impersonationFromFiles over the files' texts, already read (kube/config.ts keeps them). */
export function impersonationFromTexts(texts: string[], userName: string): Impersonation {
  // Most kubeconfigs impersonate nobody: skip the second parse for them.
  if (!texts.some(text => /^[\s-]*as(?:-groups|-uid|-user-extra)?\s*:/m.test(text))) return NO_IMPERSONATION
  for (const text of texts) {
    let doc: {users?: unknown} | undefined
    try {
      doc = yaml.load(text) as {users?: unknown} | undefined
    } catch {
      continue
    }
    const users: {name?: unknown; user?: Record<string, unknown>}[] = Array.isArray(doc?.users) ? doc.users : []
    const entry = users.find(u => u?.name === userName)
    if (entry) return fromUser(entry.user ?? {})
  }
  return NO_IMPERSONATION
}

function fromUser(user: Record<string, unknown>): Impersonation {
  const text = (v: unknown): string => (typeof v === 'string' ? v : '')
  const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : [])
  const extra: Record<string, string[]> = {}
  const raw = user['as-user-extra']
  if (raw && typeof raw === 'object') {
    for (const [key, values] of Object.entries(raw as Record<string, unknown>)) extra[key] = list(values)
  }
  return {extra, groups: list(user['as-groups']), uid: text(user['as-uid']), user: text(user.as)}
}

/**
 * The flags over the kubeconfig's fields, one field at a time, and kubectl's check that groups,
 * extras or a UID come with a user (clientcmd validateAuthInfo).
 */
export function resolveImpersonation(fromConfig: Impersonation, flags: ImpersonationFlags, userName: string): Impersonation {
  const result: Impersonation = {
    extra: fromConfig.extra,
    groups: flags.asGroup?.length ? flags.asGroup : fromConfig.groups,
    uid: flags.asUid || fromConfig.uid,
    user: flags.as || fromConfig.user,
  }
  if (!result.user && (result.groups.length > 0 || Object.keys(result.extra).length > 0 || result.uid)) {
    throw new CliError(`invalid configuration: requesting uid, groups or user-extra for ${userName || '""'} without impersonating a user: pass --as USER, or set "as" in the kubeconfig user`)
  }
  return result
}

/** The request headers for an impersonation (none when it names no user). */
export function impersonationHeaders(imp: Impersonation): Record<string, string | string[]> {
  if (!imp.user) return {}
  const headers: Record<string, string | string[]> = {'Impersonate-User': imp.user}
  if (imp.uid) headers['Impersonate-Uid'] = imp.uid
  if (imp.groups.length > 0) headers['Impersonate-Group'] = imp.groups
  for (const [key, values] of Object.entries(imp.extra)) {
    if (values.length > 0) headers[`Impersonate-Extra-${escapeExtraKey(key)}`] = values
  }
  return headers
}

/**
 * client-go headerKeyEscape: bytes a header name may carry (RFC 7230 tchar, without `%`) stay; every
 * other byte of the UTF-8 key becomes %XX (upper-case hex), so that the API server can unescape it.
 */
export function escapeExtraKey(key: string): string {
  let out = ''
  for (const byte of Buffer.from(key, 'utf8')) {
    const c = String.fromCharCode(byte)
    out += /[A-Za-z0-9!#$&'*+\-.^_`|~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}
