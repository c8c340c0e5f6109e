// What `svc wait` prints for a Service that met its condition, in each -o format.

import {type Service, withKind} from '../kube/service-ops.ts'
import type {WaitOptions} from '../options/wait.ts'
import {printObject} from '../printers/object.ts'
import {GET_TABLE, tabify} from '../printers/tabwriter.ts'
import {printTemplate} from '../printers/templates.ts'
import {type EndpointSlice, ingressAddresses, readyEndpoints} from './conditions.ts'

/** What is printed for a Service that met the condition (the object as it was then, and its EndpointSlices). */
export function waitOutput(name: string, options: Pick<WaitOptions, 'condition' | 'format' | 'template'>, svc: Service, slices: EndpointSlice[]): string {
  const {condition, format, template} = options
  if (template) return printTemplate(template, withKind(svc))
  if (format === 'wide') return endpointsTable(name, slices)
  if (format === 'name') return `service/${name}\n`
  if (format === 'json' || format === 'yaml') return printObject(withKind(svc), format)
  if (condition.kind === 'loadbalancer') return ingressAddresses(svc).map(a => `${a}\n`).join('')
  return `service/${name} condition met\n`
}

/** -o wide for --for=endpoints: one line per ready endpoint. */
export function endpointsTable(service: string, slices: EndpointSlice[]): string {
  const rows = [['SERVICE', 'ENDPOINT', 'PORTS', 'NODE', 'POD']]
  for (const {endpoint, slice} of readyEndpoints(slices)) {
    const ports = (slice.ports ?? []).map(p => `${p.name ? `${p.name}:` : ''}${p.port}/${p.protocol ?? 'TCP'}`).join(',')
    rows.push([service, (endpoint.addresses ?? []).join(','), ports || '<none>', endpoint.nodeName || '<none>', endpoint.targetRef?.name || '<none>'])
  }
  return tabify(rows.map(r => `${r.join('\t')}\n`).join(''), GET_TABLE)
}
