// The slice of cluster-core's store (test/cluster/store.ts) that the simulation uses. Declared here
// structurally so the simulation type-checks against any store with this shape; every call is awaited,
// so a synchronous or a Promise-returning store both work.

export type WatchType = 'ADDED' | 'MODIFIED' | 'DELETED'

export interface StoreEvent {
  type: WatchType
  resource: string
  object: any
  old?: any
}

export type Awaitable<T> = T | Promise<T>

export interface SimStore {
  get(resource: string, namespace: string, name: string): Awaitable<any | undefined>
  list(resource: string, namespace?: string): Awaitable<any[]>
  create(resource: string, object: any): Awaitable<any>
  update(resource: string, object: any, options?: any): Awaitable<any>
  delete(resource: string, namespace: string, name: string): Awaitable<any>
  subscribe(listener: (event: StoreEvent) => void): (() => void) | void
}

/** Resource names as the store spells them. */
export const R = {
  pods: 'pods',
  services: 'services',
  endpoints: 'endpoints',
  events: 'events',
  deployments: 'apps/deployments',
  replicasets: 'apps/replicasets',
  endpointslices: 'discovery.k8s.io/endpointslices',
  nodes: 'nodes',
} as const
