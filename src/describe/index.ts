// The describe entry point for callers that hold the objects already: kubectl's text with
// `compat`, svc's extended text otherwise. describer.ts fetches and calls the same renderers.

import type {ChalkInstance} from 'chalk'

import {describeServiceExtended} from './extended.ts'
import {describeServiceCompat} from './service.ts'
import type {EndpointSlice, Event, Ingress, Node, Pod, Service} from '../kube/types.ts'

export interface DescribeOptions {
  chalk?: ChalkInstance
  compat?: boolean
  /** The kubeconfig context's namespace (the tunnel hint adds -n for any other). */
  defaultNamespace?: string
  ingresses?: Ingress[]
  nodes?: Node[]
  now: number
  /** Every pod in the Service's namespace. */
  pods?: Pod[]
  program?: string
}

/** One Service as text; `events` null means they were not fetched (no Events line). */
export function describeService(service: Service, slices: EndpointSlice[], events: Event[] | null, options: DescribeOptions): string {
  if (options.compat) return describeServiceCompat({events, now: options.now, service, slices})
  return describeServiceExtended(
    {defaultNamespace: options.defaultNamespace, events, ingresses: options.ingresses ?? [], nodes: options.nodes ?? [], now: options.now, pods: options.pods ?? [], service, slices},
    {chalk: options.chalk, program: options.program},
  )
}
