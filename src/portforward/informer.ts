// A list-then-watch loop over one API collection, the way client-go's reflector keeps a cache
// current: LIST, then WATCH from the list's resourceVersion; when the watch ends, watch again from
// the last resourceVersion seen; when the API connection drops, retry with capped exponential
// backoff; when the server says the resourceVersion is too old (410 Gone), LIST again.
// The consumer sees a full snapshot after every LIST and single events in between.

import {ApiError} from '../kube/errors.ts'
import type {WatchEvent} from '../kube/client.ts'

export interface ListWatchClient {
  request<T = unknown>(req: {path: string; query?: Record<string, string | number | boolean | undefined>; signal?: AbortSignal}): Promise<{body: T}>
  watch<T = unknown>(path: string, query: Record<string, string | number | boolean | undefined>, signal?: AbortSignal): AsyncIterable<WatchEvent<T>>
}

export interface InformerOptions<T> {
  client: ListWatchClient
  /** The collection's path, e.g. /api/v1/namespaces/default/pods. */
  path: string
  /** labelSelector / fieldSelector. */
  query?: Record<string, string | undefined>
  signal: AbortSignal
  /** Every LIST result, in full; the consumer replaces its state with it. */
  onSnapshot: (items: T[]) => void
  /** ADDED, MODIFIED and DELETED events between snapshots. */
  onEvent: (type: 'ADDED' | 'DELETED' | 'MODIFIED', object: T) => void
  /** A failed attempt that will be retried (for logs); not called when the signal aborts. */
  onRetry?: (error: unknown, delayMs: number) => void
  /** Backoff after a failure: the first delay and the cap, in ms (defaults 250 and 5000). */
  backoff?: {initialMs?: number; maxMs?: number}
  /** Server-side watch timeout in seconds (default 300); the loop simply watches again after it. */
  watchTimeoutSeconds?: number
}

/**
 * Lists once and resolves after the first snapshot has been delivered (rejecting if that first
 * LIST fails), then keeps watching in the background until the signal aborts. `done` settles when
 * the loop has stopped.
 */
export async function startInformer<T extends {metadata?: {resourceVersion?: string}}>(options: InformerOptions<T>): Promise<{done: Promise<void>}> {
  const {client, path, signal} = options
  const query = Object.fromEntries(Object.entries(options.query ?? {}).filter(([, v]) => v !== undefined)) as Record<string, string>

  const list = async (): Promise<string> => {
    const {body} = await client.request<{items?: T[]; metadata?: {resourceVersion?: string}}>({path, query, signal})
    options.onSnapshot(body.items ?? [])
    return body.metadata?.resourceVersion ?? ''
  }

  let resourceVersion = await list()

  const loop = async (): Promise<void> => {
    const initial = options.backoff?.initialMs ?? 250
    const max = options.backoff?.maxMs ?? 5000
    let delay = initial
    let needList = false
    while (!signal.aborted) {
      try {
        if (needList) {
          resourceVersion = await list()
          needList = false
        }
        const events = client.watch<T>(path, {...query, resourceVersion, timeoutSeconds: options.watchTimeoutSeconds ?? 300}, signal)
        let received = false
        for await (const event of events) {
          received = true
          delay = initial
          const rv = (event.object as {metadata?: {resourceVersion?: string}} | undefined)?.metadata?.resourceVersion
          if (rv) resourceVersion = rv
          if (event.type === 'ADDED' || event.type === 'MODIFIED' || event.type === 'DELETED') options.onEvent(event.type, event.object)
        }
        // The server ended the watch (its timeout, or a clean close): watch again from where we were,
        // after a pause if it ended without a single event (a server that closes watches at once).
        if (!received) {
          await sleep(delay, signal)
          delay = Math.min(max, delay * 2)
        }
      } catch (error) {
        if (signal.aborted) return
        if (error instanceof ApiError && (error.code === 410 || error.reason === 'Expired' || error.reason === 'Gone')) {
          needList = true
          continue
        }
        options.onRetry?.(error, delay)
        await sleep(delay, signal)
        delay = Math.min(max, delay * 2)
      }
    }
  }

  return {done: loop()}
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise(resolve => {
    if (signal.aborted) return resolve()
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, {once: true})
  })
}
