/**
 * Watch streams: newline-delimited JSON events (ADDED, MODIFIED, DELETED, BOOKMARK, ERROR), replay from a
 * resourceVersion, 410 Expired as an ERROR event, selectors applied to old and new objects, timeoutSeconds,
 * bounded buffering (a watcher that does not read is closed, as the real server drops slow watchers).
 */
import type {ServerResponse} from 'node:http'
import type {Latency} from './latency.ts'
import {apiVersionOf, type ResourceDef} from './registry.ts'
import {expired} from './status.ts'
import type {Store, StoreEvent} from './store.ts'

export interface WatchOptions {
  def: ResourceDef
  namespace?: string
  filter: (obj: any) => boolean
  resourceVersion?: string
  timeoutSeconds?: number
  bookmarks: boolean
  bookmarkIntervalMs: number
  sendInitialEvents?: boolean
}

const MAX_PENDING_FRAMES = 10_000

export function serveWatch(store: Store, latency: Latency, res: ServerResponse, o: WatchOptions, onClose: (fn: () => void) => void): void {
  const kind = o.def.kind
  const apiVersion = apiVersionOf(o.def)
  const out = (obj: any): any => ({kind, apiVersion, ...stripKind(obj)})
  const queue: string[] = []
  let writing = false
  let closed = false
  const timers: NodeJS.Timeout[] = []

  const finish = (): void => {
    if (closed) return
    closed = true
    unsubscribe()
    for (const t of timers) clearTimeout(t)
    timers.length = 0
    if (!res.destroyed) res.end()
  }

  const pump = async (): Promise<void> => {
    if (writing) return
    writing = true
    try {
      while (queue.length && !closed) {
        await latency.wait()
        if (closed || res.destroyed) break
        const frame = queue.shift()!
        if (!res.write(frame)) {
          await new Promise<void>((resolve) => {
            const done = (): void => {
              res.off('drain', done)
              res.off('close', done)
              resolve()
            }
            res.on('drain', done)
            res.on('close', done)
          })
        }
      }
    } finally {
      writing = false
    }
    if (ending && queue.length === 0) finish()
  }

  let ending = false
  const endAfterFlush = (): void => {
    ending = true
    if (!writing && queue.length === 0) finish()
    else void pump()
  }

  const emit = (type: string, object: any): void => {
    if (closed) return
    if (queue.length >= MAX_PENDING_FRAMES) {
      finish()
      res.destroy()
      return
    }
    queue.push(`${JSON.stringify({type, object})}\n`)
    void pump()
  }

  const inScope = (obj: any): boolean => !o.namespace || (obj.metadata?.namespace ?? '') === o.namespace

  const deliver = (e: {type: string; resource: string; object: any; old?: any}): void => {
    if (e.resource !== o.def.resource || !inScope(e.object)) return
    const now = o.filter(e.object)
    const before = e.old ? o.filter(e.old) : false
    if (e.type === 'ADDED') {
      if (now) emit('ADDED', out(e.object))
    } else if (e.type === 'MODIFIED') {
      if (now && before) emit('MODIFIED', out(e.object))
      else if (now) emit('ADDED', out(e.object))
      else if (before) emit('DELETED', out(e.object))
    } else if (e.type === 'DELETED') {
      if (o.filter(e.object)) emit('DELETED', out(e.object))
    }
  }

  res.writeHead(200, {
    'Audit-Id': globalThis.crypto.randomUUID(),
    'Cache-Control': 'no-cache, private',
    'Content-Type': 'application/json',
    'Transfer-Encoding': 'chunked',
  })
  res.flushHeaders()

  let unsubscribe: () => void = () => {}
  const rv = o.resourceVersion
  if (rv && rv !== '0') {
    const since = Number(rv)
    const history = Number.isInteger(since) ? store.historySince(since) : undefined
    if (!Number.isInteger(since)) {
      emit('ERROR', expired(`too old resource version: ${rv} (${store.oldestResourceVersion})`))
      endAfterFlush()
      return
    }
    if (history === undefined) {
      emit('ERROR', expired(`too old resource version: ${since} (${store.oldestResourceVersion})`))
      endAfterFlush()
      return
    }
    unsubscribe = store.subscribe(deliver)
    for (const h of history) deliver(h)
  } else {
    unsubscribe = store.subscribe(deliver)
    for (const obj of store.list(o.def.resource, o.namespace)) if (o.filter(obj)) emit('ADDED', out(obj))
    if (o.sendInitialEvents && o.bookmarks) {
      emit('BOOKMARK', {kind, apiVersion, metadata: {resourceVersion: store.resourceVersion, annotations: {'k8s.io/initial-events-end': 'true'}}})
    }
  }

  if (o.bookmarks) {
    const ticker = setInterval(() => {
      if (!closed) emit('BOOKMARK', {kind, apiVersion, metadata: {resourceVersion: store.resourceVersion}})
    }, o.bookmarkIntervalMs)
    timers.push(ticker)
  }
  if (o.timeoutSeconds !== undefined && o.timeoutSeconds > 0) {
    timers.push(setTimeout(() => endAfterFlush(), o.timeoutSeconds * 1000))
  }
  res.on('close', finish)
  onClose(finish)
}

function stripKind(obj: any): any {
  const {kind: _k, apiVersion: _a, ...rest} = obj
  return rest
}

export type {StoreEvent}
