// A minimal in-memory store with the shape of cluster-core's store (get/list/create/update/delete/
// subscribe, synchronous events), for testing the simulation without the API server.

import {randomUUID} from 'node:crypto'
import type {SimStore, StoreEvent} from '../../cluster/sim/types.ts'
import {randomSuffix} from '../../cluster/sim/hash.ts'

export class NotFoundError extends Error {
  readonly code = 404
}

export class MemoryStore implements SimStore {
  private readonly data = new Map<string, Map<string, any>>()
  private readonly listeners = new Set<(e: StoreEvent) => void>()
  private rv = 1

  private bucket(resource: string): Map<string, any> {
    let b = this.data.get(resource)
    if (!b) this.data.set(resource, (b = new Map()))
    return b
  }

  private emit(event: StoreEvent): void {
    for (const l of this.listeners) l(event)
  }

  get(resource: string, namespace: string, name: string): any {
    const obj = this.bucket(resource).get(`${namespace}/${name}`)
    return obj ? structuredClone(obj) : undefined
  }

  list(resource: string, namespace?: string): any[] {
    return [...this.bucket(resource).values()].filter((o) => namespace == null || o.metadata.namespace === namespace).map((o) => structuredClone(o))
  }

  create(resource: string, object: any): any {
    const obj = structuredClone(object)
    obj.metadata ??= {}
    if (!obj.metadata.name && obj.metadata.generateName) obj.metadata.name = obj.metadata.generateName + randomSuffix(5)
    const k = `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`
    if (this.bucket(resource).has(k)) throw Object.assign(new Error(`${resource} "${obj.metadata.name}" already exists`), {code: 409})
    obj.metadata.uid = randomUUID()
    obj.metadata.resourceVersion = String(++this.rv)
    obj.metadata.creationTimestamp = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')
    if (resource !== 'events' && resource !== 'pods' && resource !== 'endpoints' && resource !== 'discovery.k8s.io/endpointslices') obj.metadata.generation = 1
    this.bucket(resource).set(k, obj)
    this.emit({type: 'ADDED', resource, object: structuredClone(obj)})
    return structuredClone(obj)
  }

  update(resource: string, object: any, options?: {subresource?: string}): any {
    const k = `${object.metadata.namespace ?? ''}/${object.metadata.name}`
    const old = this.bucket(resource).get(k)
    if (!old) throw new NotFoundError(`${resource} "${object.metadata.name}" not found`)
    const obj = structuredClone(object)
    obj.metadata.uid = old.metadata.uid
    obj.metadata.creationTimestamp = old.metadata.creationTimestamp
    if (options?.subresource === 'status') {
      obj.spec = old.spec
      obj.metadata = {...old.metadata}
    } else if (old.metadata.generation != null) {
      obj.status = old.status
      obj.metadata.generation = JSON.stringify(old.spec) === JSON.stringify(obj.spec) ? old.metadata.generation : old.metadata.generation + 1
    }
    obj.metadata.resourceVersion = String(++this.rv)
    this.bucket(resource).set(k, obj)
    this.emit({type: 'MODIFIED', resource, object: structuredClone(obj), old: structuredClone(old)})
    return structuredClone(obj)
  }

  delete(resource: string, namespace: string, name: string): any {
    const k = `${namespace}/${name}`
    const old = this.bucket(resource).get(k)
    if (!old) throw new NotFoundError(`${resource} "${name}" not found`)
    this.bucket(resource).delete(k)
    this.emit({type: 'DELETED', resource, object: structuredClone(old)})
    return structuredClone(old)
  }

  subscribe(listener: (e: StoreEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}
