// Reading, listing, watching and deleting Services through KubeClient, and the kubectl-style
// argument forms `get`, `describe` and `delete` accept (`NAME`, `svc/NAME`, `svc NAME`).

import {setTimeout as sleep} from 'node:timers/promises'

import type {KubeClient, WatchEvent} from './client.ts'
import {ApiError, ConnectionError, UsageError} from './errors.ts'
import type {Service, ServiceList} from './types.ts'
import {goQuote} from '../printers/gofmt.ts'
import {isServiceType, resolveResourceType} from './resource-types.ts'

export type {Service, ServiceList}

/** The "Services only" refusal for a type word that names another resource. */
function notAService(type: string): UsageError {
  return new UsageError(`svc works with Services only; "${type}" is not a Service type (use NAME or svc/NAME)`)
}

/**
 * Turns the words after the verb into Service names. kubectl muscle memory works: a first word
 * that is a kubectl resource type is a type (any spelling, see resource-types.ts): a Service
 * spelling (`svc`, `services`, `Service`, `svc.v1.`, a comma list of them) is dropped, any other
 * type (`pods`, `deploy`, `svc,pods`) is refused. `svc/NAME` names a Service, so a Service named
 * like a type stays reachable (`svc/pods`). Names are kept as given, repeats included: kubectl acts
 * on each one.
 */
export function serviceNames(args: string[]): {names: string[]; typed: boolean} {
  const words = [...args]
  let typed = false
  const first = words[0]
  if (first !== undefined && !first.includes('/')) {
    const types = first.split(',')
    const known = types.map(t => resolveResourceType(t))
    if (types.length > 1 || known[0] !== undefined) {
      const other = types.find((t, i) => !known[i] || !isServiceType(t))
      if (other !== undefined) throw notAService(other)
      words.shift()
      typed = true
    }
  }
  const names: string[] = []
  for (const word of words) {
    const slash = word.indexOf('/')
    if (slash >= 0) {
      const type = word.slice(0, slash)
      if (!isServiceType(type)) throw notAService(type)
      const name = word.slice(slash + 1)
      if (name === '') throw new UsageError(`arguments in resource/name form must have a single resource and name`)
      names.push(name)
      continue
    }
    names.push(word)
  }
  return {names, typed}
}

/** The EndpointSlices of a namespace; `serviceSlices` is the label selector of one Service's own. */
export function endpointSlicesPath(namespace: string): string {
  return `/apis/discovery.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/endpointslices`
}

export function serviceSlices(service: string): string {
  return `kubernetes.io/service-name=${service}`
}

export function servicesPath(namespace: string | undefined, name?: string): string {
  const base = namespace === undefined ? '/api/v1/services' : `/api/v1/namespaces/${encodeURIComponent(namespace)}/services`
  return name === undefined ? base : `${base}/${encodeURIComponent(name)}`
}

export async function getService(client: KubeClient, namespace: string, name: string, signal?: AbortSignal): Promise<Service> {
  return (await client.request<Service>({path: servicesPath(namespace, name), signal})).body
}

export interface ListOptions {
  /** Items per request (kubectl's --chunk-size, default 500); 0 asks for everything at once. */
  chunkSize?: number
  fieldSelector?: string
  labelSelector?: string
  /** undefined: every namespace. */
  namespace?: string
}

/** Lists Services, following `continue` tokens in chunks (500 unless chunkSize says otherwise) as kubectl does. */
export async function listServices(client: KubeClient, options: ListOptions): Promise<ServiceList> {
  const items: Service[] = []
  let token: string | undefined
  let resourceVersion: string | undefined
  do {
    const {body} = await client.request<ServiceList>({
      path: servicesPath(options.namespace),
      query: {continue: token, fieldSelector: options.fieldSelector, labelSelector: options.labelSelector, limit: (options.chunkSize ?? 500) > 0 ? (options.chunkSize ?? 500) : undefined},
    }).catch((error: unknown) => {
      throw enhanceListError(error, options)
    })
    items.push(...(body.items ?? []))
    token = body.metadata?.continue || undefined
    resourceVersion = body.metadata?.resourceVersion
  } while (token)
  return {items, metadata: {resourceVersion}}
}

/**
 * cli-runtime's resource.EnhanceListError (the builder's Selector.Visit): a BadRequest or NotFound
 * answer to a list names what was listed and the selectors, so kubectl prints `Error from server
 * (BadRequest): Unable to find "/v1, Resource=services" that match label selector "a b", field
 * selector "": unable to parse requirement: ...`, or `Unable to list "/v1, Resource=services": ...`.
 */
function enhanceListError(error: unknown, options: ListOptions): unknown {
  if (!(error instanceof ApiError)) return error
  const reason = error.reason
  const badRequest = reason === 'BadRequest' || (reason === '' && error.code === 400)
  const notFound = reason === 'NotFound' || (reason === '' && error.code === 404)
  if (!badRequest && !notFound) return error
  const subject = goQuote('/v1, Resource=services')
  const message = !options.labelSelector && !options.fieldSelector
    ? `Unable to list ${subject}: ${error.status.message ?? ''}`
    : `Unable to find ${subject} that match label selector ${goQuote(options.labelSelector ?? '')}, field selector ${goQuote(options.fieldSelector ?? '')}: ${error.status.message ?? ''}`
  return new ApiError(error.code, {...error.status, message})
}

export function isNotFound(error: unknown): boolean {
  return error instanceof ApiError && (error.code === 404 || error.reason === 'NotFound')
}

/**
 * Fetches each named Service; missing ones become errors (or are skipped with ignoreNotFound). A
 * name given twice is fetched twice, as kubectl's builder does (`get svc a a` prints two rows).
 */
export async function getNamedServices(client: KubeClient, namespace: string, names: string[], ignoreNotFound = false): Promise<{errors: unknown[]; found: Service[]}> {
  const found: Service[] = []
  const errors: unknown[] = []
  for (const name of names) {
    try {
      found.push(await getService(client, namespace, name))
    } catch (error) {
      if (ignoreNotFound && isNotFound(error)) continue
      errors.push(error)
    }
  }
  return {errors, found}
}

/** Items of a list lack kind and apiVersion; printers want them. */
export function withKind(svc: Service): Service {
  const {apiVersion, kind, ...rest} = svc
  return {apiVersion: apiVersion ?? 'v1', kind: kind ?? 'Service', ...rest}
}

/** A watch stream that broke on the wire (server restart, dropped connection): worth reopening. */
export function isBrokenStream(error: unknown): boolean {
  if (error instanceof ConnectionError) return true
  const e = error as NodeJS.ErrnoException
  return ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE'].includes(e?.code ?? '') || /^(aborted|socket hang up)$/.test(e?.message ?? '')
}

/**
 * Watches Services from a resourceVersion and yields every event until the signal aborts (see
 * watchObjects).
 */
export function watchServices(
  client: KubeClient,
  options: ListOptions & {resourceVersion?: string},
  signal: AbortSignal,
  relist: () => Promise<string | undefined>,
): AsyncGenerator<WatchEvent<Service>> {
  return watchObjects<Service>(client, servicesPath(options.namespace), options, signal, relist)
}

/**
 * Watches a collection from a resourceVersion and yields every event until the signal aborts. A
 * watch the server closes, or whose connection breaks, is reopened from the last version seen
 * (after 10 failed attempts in a row, with growing pauses, the error is thrown); an expired
 * version (410) is reported to `relist` and watching resumes from the version it returns.
 */
export async function* watchObjects<T extends {metadata?: {resourceVersion?: string}}>(
  client: KubeClient,
  path: string,
  options: {fieldSelector?: string; labelSelector?: string; resourceVersion?: string},
  signal: AbortSignal,
  relist: () => Promise<string | undefined>,
): AsyncGenerator<WatchEvent<T>> {
  let resourceVersion = options.resourceVersion
  let failures = 0
  while (!signal.aborted) {
    try {
      for await (const event of client.watch<T>(path, {
        fieldSelector: options.fieldSelector, labelSelector: options.labelSelector, resourceVersion,
      }, signal)) {
        failures = 0
        const rv = event.object?.metadata?.resourceVersion
        if (rv) resourceVersion = rv
        if (event.type === 'BOOKMARK') continue
        yield event
      }
      failures = 0
    } catch (error) {
      if (signal.aborted || (error as Error).name === 'AbortError') return
      if (error instanceof ApiError && error.code === 410) {
        resourceVersion = await relist()
        continue
      }
      if (!isBrokenStream(error) || ++failures > 10) throw error
    }
    try {
      await sleep(Math.min(200 * 2 ** failures, 5000), undefined, {signal})
    } catch {
      return
    }
  }
}

/** kubectl's dry-run strategies (parsed from --dry-run by flags/mutation.ts parseDryRun). */
export type DryRun = 'client' | 'none' | 'server'

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan'

export interface DeleteOptions {
  dryRun: DryRun
  gracePeriod?: number
  /** --cascade; Background when not given. */
  propagationPolicy?: PropagationPolicy
}

/** DELETE one Service; returns the uid of what was deleted (for waiting). */
export async function deleteService(client: KubeClient, namespace: string, name: string, options: DeleteOptions): Promise<string | undefined> {
  const body: Record<string, unknown> = {apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: options.propagationPolicy ?? 'Background'}
  if (options.gracePeriod !== undefined && options.gracePeriod >= 0) body.gracePeriodSeconds = options.gracePeriod
  // in the body as client-go sends it, and in the query for servers that read only that
  if (options.dryRun === 'server') body.dryRun = ['All']
  const res = await client.request<{details?: {uid?: string}; metadata?: {uid?: string}} | undefined>({
    body,
    method: 'DELETE',
    path: servicesPath(namespace, name),
    query: {dryRun: options.dryRun === 'server' ? 'All' : undefined},
  })
  return res.body?.metadata?.uid ?? res.body?.details?.uid
}

/**
 * Waits until the Service is gone (404, or replaced by one with another uid), polling with a
 * growing interval; rejects with kubectl's timeout text when the deadline passes.
 */
export async function waitForDeletion(client: KubeClient, namespace: string, name: string, uid: string | undefined, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let interval = 100
  while (true) {
    try {
      const svc = await getService(client, namespace, name)
      if (uid && svc.metadata?.uid && svc.metadata.uid !== uid) return
    } catch (error) {
      if (isNotFound(error)) return
      if (error instanceof ApiError && (error.code === 403 || error.code === 405)) return
      throw error
    }
    if (Date.now() >= deadline) throw new Error(`timed out waiting for the condition on services/${name}`)
    if (signal?.aborted) return
    await new Promise(resolve => setTimeout(resolve, Math.min(interval, Math.max(0, deadline - Date.now()))))
    interval = Math.min(interval * 2, 1000)
  }
}

/** `service "web" deleted from default namespace`, with kubectl 1.35's dry-run and force suffixes. */
export function deletedMessage(name: string, namespace: string, options: DeleteOptions & {output?: string}): string {
  if (options.output === 'name') return `service/${name}\n`
  let operation = options.gracePeriod === 0 ? 'force deleted' : 'deleted'
  operation += ` from ${namespace} namespace`
  if (options.dryRun === 'client') operation += ' (dry run)'
  if (options.dryRun === 'server') operation += ' (server dry run)'
  return `service "${name}" ${operation}\n`
}
