// The requests create and expose send, with the query parameters kubectl sends.

import type {KubeClient} from './client.ts'
import {ConnectionError} from './errors.ts'

export interface CreateOptions {
  dryRun?: boolean
  fieldManager?: string
  /** Strict | Warn | Ignore; omitted when undefined (expose sends none). */
  fieldValidation?: string
}

/** The path of a namespaced collection, e.g. /apis/apps/v1/namespaces/default/deployments. */
export function collectionPath(group: string, version: string, namespace: string, plural: string): string {
  const base = group === '' ? `/api/${version}` : `/apis/${group}/${version}`
  return `${base}/namespaces/${encodeURIComponent(namespace)}/${plural}`
}

/** POST an object to its collection; returns the server's object. Warnings go to `warn`. */
export async function createObject<T>(client: KubeClient, path: string, obj: T, options: CreateOptions, warn?: (line: string) => void): Promise<T> {
  const res = await client.request<T>({
    body: obj,
    method: 'POST',
    path,
    query: {dryRun: options.dryRun ? 'All' : undefined, fieldManager: options.fieldManager, fieldValidation: options.fieldValidation},
  })
  reportWarnings(res.headers, warn)
  return res.body
}

/** Prints `Warning: <text>` for each Warning header (299 "-" "text"), as client-go's default handler does. */
export function reportWarnings(headers: Record<string, string | string[] | undefined>, warn?: (line: string) => void): void {
  if (!warn) return
  const raw = headers.warning
  for (const value of Array.isArray(raw) ? raw : raw ? [raw] : []) {
    for (const m of value.matchAll(/\d{3} \S+ "((?:[^"\\]|\\.)*)"/g)) warn(`Warning: ${m[1].replace(/\\(.)/g, '$1')}`)
  }
}

/** Go's url.Error text for a failed request: `Post "<url>": <detail>`. */
export function connectionErrorText(err: ConnectionError, method: string, url: URL): string {
  const verb = method.charAt(0) + method.slice(1).toLowerCase()
  return `${verb} "${url.href}": ${err.message}`
}
