// What `svc get` prints: the Services read before any watch, and each watch event, in the output
// the options chose (kubectl's table, -o json|yaml|name, a template). Pure: it returns the text
// and the command writes it.

import type {Service} from '../kube/types.ts'
import {withKind} from '../kube/service-ops.ts'
import type {GetOptions} from '../options/get.ts'
import {type ListOutput, outputObject, printList, withoutManagedFields} from './list.ts'
import {compactJson, printObject} from './object.ts'
import type {ServiceTablePrinter} from './service-table.ts'
import {printTemplate} from './templates.ts'

export interface GetPrint {
  /** --output-watch-events */
  events: boolean
  ignoreNotFound: boolean
  /** The namespace read (for `No resources found in NS namespace.`). */
  namespace: string
  /** The clock for the AGE column. */
  now: () => number
  options: GetOptions
  /** -o as given. */
  output?: string
  printer: ServiceTablePrinter
  showManagedFields: boolean
}

export interface ReadOutput {
  /** kubectl's `No resources found` line, for stderr before stdout. */
  notice?: string
  /** How many objects were printed one by one (the YAML separators of the watch events that follow). */
  printed: number
  stdout: string
}

/** What was read before any watch (`errors`: the names not found), in the chosen output. */
export function readOutput(items: Service[], errors: unknown[], p: GetPrint): ReadOutput {
  const o = p.options
  if (o.table) {
    const notice = items.length === 0 && errors.length === 0 && !o.watching && !p.ignoreNotFound
      ? (o.allNamespaces ? 'No resources found' : `No resources found in ${p.namespace} namespace.`)
      : undefined
    const stdout = p.printer.print(items.map(item => (p.events ? {event: 'ADDED', svc: item} : item)), p.now())
    return {...(notice ? {notice} : {}), printed: 0, stdout}
  }
  if (o.watching) {
    // while watching, kubectl prints each object on its own (YAML separated by ---), never a List
    return {printed: items.length, stdout: items.map((item, index) => eventOutput('ADDED', item, p, index)).join('')}
  }
  // kubectl: one missing name is just the error; nothing left after --ignore-not-found prints nothing
  const single = o.names.length === 1
  if ((single && errors.length > 0) || (items.length === 0 && p.ignoreNotFound)) return {printed: 0, stdout: ''}
  if (o.template) return {printed: 0, stdout: printTemplate(o.template, outputObject(items.map(withKind), single))}
  return {printed: 0, stdout: printList(items.map(withKind), o.format as ListOutput, single, p.showManagedFields)}
}

/** One watch event: a table row, or the object (with --output-watch-events, the event) in a machine format; `index` counts the objects printed. */
export function eventOutput(type: string, svc: Service, p: GetPrint, index: number): string {
  if (p.options.table) return p.printer.print([p.events ? {event: type, svc} : svc], p.now())
  const template = p.options.template
  // kubectl hands a template printer the unstructured object, managedFields included
  if (template) return printTemplate(template, p.events ? {object: withKind(svc), type} : withKind(svc))
  const format = p.output as ListOutput
  if (!p.events) return printObject(p.showManagedFields ? withKind(svc) : withoutManagedFields(withKind(svc)), format, {index})
  // cli-runtime's JSON and YAML printers write a metav1.WatchEvent whole: JSON compact on one
  // line, {"type","object"} in struct order; YAML with sorted keys
  if (format === 'json') return `{"type":${JSON.stringify(type)},"object":${compactJson(withKind(svc))}`.replace(/\n$/, '}\n')
  return printObject({object: withKind(svc), type}, format, {index, showManagedFields: true})
}
