/**
 * Adapter between the services REST handler and the Service semantics module (test/cluster/services/, from the
 * cluster-svc helper): defaulting, validation, clusterIP / nodePort allocation, update rules, release.
 */
import {
  createAllocators, prepareServiceCreate, prepareServiceStatusUpdate, prepareServiceUpdate, releaseService,
  type Allocators, type Prepared,
} from '../services/index.ts'

export type {Allocators, Prepared}

export interface ServiceOptions {
  dryRun: boolean
  fieldValidation: 'Strict' | 'Warn' | 'Ignore'
}

export const serviceSemantics = {
  createAllocators: (): Allocators => createAllocators(),
  prepareCreate: (svc: any, alloc: Allocators, o: ServiceOptions): Prepared => prepareServiceCreate(svc, alloc, o),
  prepareUpdate: (svc: any, old: any, alloc: Allocators, o: ServiceOptions): Prepared => prepareServiceUpdate(svc, old, alloc, o),
  prepareStatusUpdate: (svc: any, old: any, alloc: Allocators, o: ServiceOptions): Prepared => prepareServiceStatusUpdate(svc, old, alloc, o),
  release: (svc: any, alloc: Allocators): void => releaseService(svc, alloc),
}
