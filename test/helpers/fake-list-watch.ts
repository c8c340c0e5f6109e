// An in-memory ListWatchClient for tracker and resolver tests: collections keyed by path, LIST
// answers with the current items and a resourceVersion, WATCH streams what the test pushes, and
// the test can drop every open watch (as an API server restart would) or fail requests.

import {ApiError} from '../../src/kube/errors.ts'
import type {ListWatchClient} from '../../src/portforward/informer.ts'
import type {WatchEvent} from '../../src/kube/client.ts'
import type {UnstructuredObject} from '../../src/kube/types.ts'

interface OpenWatch {
  path: string
  push: (event: WatchEvent | Error | null) => void
  query: Record<string, unknown>
}

export class FakeListWatch implements ListWatchClient {
  /** GET answers for single objects, by path. */
  readonly objects = new Map<string, UnstructuredObject>()
  /** LIST answers by collection path (items filtered by the test, not by the fake). */
  readonly collections = new Map<string, UnstructuredObject[]>()
  readonly requests: Array<{path: string; query?: Record<string, unknown>}> = []
  readonly watches: OpenWatch[] = []
  /** Every watch ever opened (path + query), for assertions on resourceVersion. */
  readonly watchLog: Array<{path: string; query: Record<string, unknown>}> = []
  /** When set, the next watch opens fail with this error (e.g. a ConnectionError while "down"). */
  failWatches: Error | undefined
  private rv = 100
  private waiters: Array<() => void> = []

  nextResourceVersion(): string {
    return String(++this.rv)
  }

  async request<T = unknown>(req: {path: string; query?: Record<string, unknown>}): Promise<{body: T}> {
    this.requests.push({path: req.path, query: req.query})
    if (this.collections.has(req.path)) {
      return {body: {items: structuredClone(this.collections.get(req.path)), metadata: {resourceVersion: String(this.rv)}} as T}
    }
    if (this.objects.has(req.path)) return {body: structuredClone(this.objects.get(req.path)) as T}
    const name = req.path.split('/').pop()
    const resource = req.path.split('/').at(-2)
    throw new ApiError(404, {code: 404, kind: 'Status', message: `${resource} "${name}" not found`, reason: 'NotFound', status: 'Failure'})
  }

  watch<T = unknown>(path: string, query: Record<string, unknown>, signal?: AbortSignal): AsyncIterable<WatchEvent<T>> {
    this.watchLog.push({path, query})
    const open = (push: OpenWatch) => {
      this.watches.push(push)
      for (const w of this.waiters.splice(0)) w()
    }
    const close = (entry: OpenWatch) => this.watches.splice(this.watches.indexOf(entry), 1)
    const failure = () => this.failWatches
    return {
      async *[Symbol.asyncIterator]() {
        const failed = failure()
        if (failed) throw failed
        const queue: Array<WatchEvent | Error | null> = []
        let wake: (() => void) | undefined
        const entry: OpenWatch = {path, push: e => {
          queue.push(e)
          wake?.()
        }, query}
        open(entry)
        const onAbort = () => entry.push(null)
        signal?.addEventListener('abort', onAbort, {once: true})
        try {
          while (true) {
            while (queue.length === 0) await new Promise<void>(resolve => (wake = resolve))
            const next = queue.shift()
            if (next === null || next === undefined) return
            if (next instanceof Error) throw next
            yield next as WatchEvent<T>
          }
        } finally {
          signal?.removeEventListener('abort', onAbort)
          close(entry)
        }
      },
    }
  }

  /** Sends an event to every open watch on `path`, stamping a new resourceVersion. */
  emit(path: string, type: WatchEvent['type'], object: UnstructuredObject): void {
    const stamped = structuredClone(object)
    stamped.metadata = {...stamped.metadata, resourceVersion: this.nextResourceVersion()}
    for (const w of this.watches) if (w.path === path) w.push({object: stamped, type})
  }

  /** Ends every open watch with an error, as a dropped connection would. */
  dropWatches(error: Error = Object.assign(new Error('aborted'), {code: 'ECONNRESET'})): void {
    for (const w of [...this.watches]) w.push(error)
  }

  /** Resolves once at least `n` watches are open on `path`. */
  async waitForWatch(path: string, n = 1): Promise<void> {
    while (this.watches.filter(w => w.path === path).length < n) await new Promise<void>(resolve => this.waiters.push(resolve))
  }
}
