/**
 * In-memory object store of the local cluster: one global resourceVersion counter, deep copies in and out,
 * synchronous ordered change notifications, and a bounded history used to replay watches.
 *
 * Resource names are plural, prefixed by the API group for non-core resources:
 * 'services', 'pods', 'apps/deployments', 'discovery.k8s.io/endpointslices'. Cluster-scoped objects
 * (namespaces, nodes) use the namespace ''.
 */
import {randomBytes, randomUUID} from 'node:crypto'

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED'

export interface StoreEvent {
  type: EventType
  resource: string
  object: any
  old?: any
}

export interface HistoryEntry extends StoreEvent {
  rv: number
}

/** A store failure that carries the metav1.Status the API server must answer with. */
export class StoreError extends Error {
  readonly status: any
  constructor(status: any) {
    super(status.message)
    this.name = 'StoreError'
    this.status = status
  }
}

/** Resources whose objects carry metadata.generation (spec changes bump it). */
const GENERATION_RESOURCES = new Set([
  'pods', 'apps/deployments', 'apps/replicasets', 'networking.k8s.io/ingresses', 'discovery.k8s.io/endpointslices',
])
/** Does the real server keep metadata.generation for this resource? */
export function hasGeneration(resource: string): boolean {
  return GENERATION_RESOURCES.has(resource)
}

/** Resources whose generation only moves when spec changes; others (pods) bump on any non-metadata change. */
const SPEC_GENERATION = new Set(['apps/deployments', 'apps/replicasets', 'networking.k8s.io/ingresses', 'pods'])

const GENERATE_SUFFIX_CHARS = 'bcdfghjklmnpqrstvwxz2456789'

export function groupOf(resource: string): string {
  const slash = resource.indexOf('/')
  return slash < 0 ? '' : resource.slice(0, slash)
}

export function pluralOf(resource: string): string {
  const slash = resource.indexOf('/')
  return slash < 0 ? resource : resource.slice(slash + 1)
}

function statusBody(code: number, reason: string, message: string, resource: string, name: string): any {
  const details: any = {name}
  const group = groupOf(resource)
  if (group) details.group = group
  details.kind = pluralOf(resource)
  return {kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details, code}
}

function qualified(resource: string): string {
  const group = groupOf(resource)
  return group ? `${pluralOf(resource)}.${group}` : resource
}

export function notFoundStatus(resource: string, name: string): any {
  return statusBody(404, 'NotFound', `${qualified(resource)} "${name}" not found`, resource, name)
}

export function alreadyExistsStatus(resource: string, name: string): any {
  return statusBody(409, 'AlreadyExists', `${qualified(resource)} "${name}" already exists`, resource, name)
}

export function conflictStatus(resource: string, name: string, reason = 'the object has been modified; please apply your changes to the latest version and try again'): any {
  return statusBody(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(resource)} "${name}": ${reason}`, resource, name)
}

function clone<T>(value: T): T {
  return value === undefined ? value : structuredClone(value)
}

function key(namespace: string, name: string): string {
  return `${namespace}/${name}`
}

function specChanged(a: any, b: any): boolean {
  return JSON.stringify(a?.spec) !== JSON.stringify(b?.spec)
}

export class Store {
  #rv = 0
  readonly #data = new Map<string, Map<string, any>>()
  readonly #listeners = new Set<(e: StoreEvent) => void>()
  readonly #history: HistoryEntry[] = []
  readonly #historyLimit: number
  /** Lowest resourceVersion from which history can still be replayed. */
  #oldestReplayable = 0

  constructor(options: {historyLimit?: number} = {}) {
    this.#historyLimit = options.historyLimit ?? 2000
  }

  get resourceVersion(): string {
    return String(this.#rv)
  }

  #bucket(resource: string): Map<string, any> {
    let bucket = this.#data.get(resource)
    if (!bucket) {
      bucket = new Map()
      this.#data.set(resource, bucket)
    }
    return bucket
  }

  get(resource: string, namespace: string, name: string): any | undefined {
    return clone(this.#data.get(resource)?.get(key(namespace ?? '', name)))
  }

  /** Objects sorted by namespace then name (the order etcd keys give). */
  list(resource: string, namespace?: string): any[] {
    const bucket = this.#data.get(resource)
    if (!bucket) return []
    const out: any[] = []
    for (const [k, obj] of bucket) {
      if (namespace !== undefined && namespace !== '' && (obj.metadata.namespace ?? '') !== namespace) continue
      out.push([k, obj])
    }
    out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    return out.map(([, obj]) => clone(obj))
  }

  /** A free name `prefix` + 5 random characters, as metadata.generateName produces. */
  generateName(resource: string, namespace: string, prefix: string): string {
    return this.#generateName(this.#bucket(resource), namespace ?? '', prefix)
  }

  #generateName(bucket: Map<string, any>, namespace: string, prefix: string): string {
    for (let attempt = 0; attempt < 100; attempt++) {
      const bytes = randomBytes(5)
      let suffix = ''
      for (const b of bytes) suffix += GENERATE_SUFFIX_CHARS[b % GENERATE_SUFFIX_CHARS.length]
      const name = `${prefix}${suffix}`
      if (!bucket.has(key(namespace, name))) return name
    }
    throw new Error(`could not generate a unique name for prefix ${prefix}`)
  }

  #emit(type: EventType, resource: string, object: any, old?: any): void {
    this.#history.push({rv: this.#rv, type, resource, object, old})
    if (this.#history.length > this.#historyLimit) {
      const dropped = this.#history.shift()!
      this.#oldestReplayable = dropped.rv
    }
    for (const listener of [...this.#listeners]) {
      const event: StoreEvent = {type, resource, object: clone(object)}
      if (old !== undefined) event.old = clone(old)
      try {
        listener(event)
      } catch (error) {
        // A failing listener must not break the writer nor the other listeners.
        console.error(`local cluster: store listener failed: ${(error as Error)?.stack ?? error}`)
      }
    }
  }

  /**
   * Stores a new object. Sets uid, resourceVersion, creationTimestamp (and generation where real servers do),
   * resolves metadata.generateName. Throws StoreError(409 AlreadyExists).
   */
  create(resource: string, obj: any): any {
    const object = clone(obj)
    object.metadata ??= {}
    const meta = object.metadata
    const namespace = meta.namespace ?? ''
    const bucket = this.#bucket(resource)
    if (!meta.name && meta.generateName) meta.name = this.#generateName(bucket, namespace, meta.generateName)
    if (!meta.name) throw new Error(`store.create(${resource}): metadata.name is required`)
    if (bucket.has(key(namespace, meta.name))) throw new StoreError(alreadyExistsStatus(resource, meta.name))
    meta.uid ??= randomUUID()
    meta.creationTimestamp ??= new Date().toISOString().replace(/\.\d+Z$/, 'Z')
    if (GENERATION_RESOURCES.has(resource)) meta.generation = 1
    else delete meta.generation
    this.#rv++
    meta.resourceVersion = String(this.#rv)
    bucket.set(key(namespace, meta.name), object)
    this.#emit('ADDED', resource, object)
    return clone(object)
  }

  /**
   * Replaces a stored object. With checkResourceVersion, a metadata.resourceVersion different from the stored
   * one throws 409 Conflict (an empty one is accepted). Immutable system fields (uid, creationTimestamp) are kept.
   */
  update(resource: string, obj: any, opts: {checkResourceVersion?: boolean} = {}): any {
    const object = clone(obj)
    const meta = object.metadata ?? {}
    object.metadata = meta
    const namespace = meta.namespace ?? ''
    const bucket = this.#bucket(resource)
    const k = key(namespace, meta.name)
    const old = bucket.get(k)
    if (!old) throw new StoreError(notFoundStatus(resource, meta.name))
    if (opts.checkResourceVersion && meta.resourceVersion && meta.resourceVersion !== old.metadata.resourceVersion) {
      throw new StoreError(conflictStatus(resource, meta.name))
    }
    meta.uid = old.metadata.uid
    meta.creationTimestamp = old.metadata.creationTimestamp
    if (GENERATION_RESOURCES.has(resource)) {
      const oldGen = old.metadata.generation ?? 1
      const changed = SPEC_GENERATION.has(resource)
        ? specChanged(old, object)
        : JSON.stringify({...old, metadata: undefined, status: undefined}) !== JSON.stringify({...object, metadata: undefined, status: undefined})
      meta.generation = changed ? oldGen + 1 : oldGen
      if (meta.deletionTimestamp && !old.metadata.deletionTimestamp) meta.generation = oldGen + 1
    }
    this.#rv++
    meta.resourceVersion = String(this.#rv)
    bucket.set(k, object)
    this.#emit('MODIFIED', resource, object, old)
    return clone(object)
  }

  /** Removes an object; returns it (with a fresh resourceVersion, as the DELETED watch event shows it) or undefined. */
  delete(resource: string, namespace: string, name: string): any | undefined {
    const bucket = this.#data.get(resource)
    const k = key(namespace ?? '', name)
    const old = bucket?.get(k)
    if (!bucket || !old) return undefined
    bucket.delete(k)
    this.#rv++
    const object = clone(old)
    object.metadata.resourceVersion = String(this.#rv)
    this.#emit('DELETED', resource, object, old)
    return clone(object)
  }

  /** Synchronous listener called after each change, in order. Returns the unsubscribe function. */
  subscribe(listener: (e: StoreEvent) => void): () => void {
    this.#listeners.add(listener)
    return () => {
      this.#listeners.delete(listener)
    }
  }

  /**
   * Changes after resourceVersion `since`, for watch replay. Returns undefined when `since` is older than the
   * retained history (the caller answers 410 Expired).
   */
  historySince(since: number): HistoryEntry[] | undefined {
    if (since < this.#oldestReplayable) return undefined
    const out: HistoryEntry[] = []
    for (const entry of this.#history) {
      if (entry.rv > since) out.push({...entry, object: clone(entry.object), old: clone(entry.old)})
    }
    return out
  }

  /** The oldest resourceVersion still replayable (used in the 410 message). */
  get oldestResourceVersion(): number {
    return this.#oldestReplayable
  }
}
