/**
 * Hook for server-side printing (Accept: application/json;as=Table;v=v1;g=meta.k8s.io). A column definition
 * per resource can be registered here; when none is known, `tableFor` returns undefined and the server answers
 * with plain JSON, which clients accept as the fallback they also list in Accept.
 */
import {apiVersionOf, type ResourceDef} from './registry.ts'
import {PRINTERS as BUILTIN_PRINTERS} from './table-printers.ts'

export interface TableColumnDefinition {
  name: string
  type: string
  format: string
  description: string
  priority: number
}

export interface TablePrinter {
  columns: TableColumnDefinition[]
  /** the cells of one row */
  cells(object: any): unknown[]
  /** row conditions (a completed pod carries `Completed`) */
  conditions?(object: any): unknown[] | undefined
}

// kube-apiserver 1.35's printers (table-printers.ts); Age is computed at request time.
const PRINTERS = new Map<string, TablePrinter>(
  Object.entries(BUILTIN_PRINTERS).map(([resource, p]) => [resource, {columns: p.columns, cells: (o: any) => p.cells(o, Date.now()), conditions: p.conditions}]),
)

export function registerTablePrinter(resource: string, printer: TablePrinter): void {
  PRINTERS.set(resource, printer)
}

/** Does the Accept header ask for a meta.k8s.io/v1 Table first? */
export function wantsTable(accept: string | undefined): boolean {
  if (!accept) return false
  const first = accept.split(',')[0]
  return /as=Table/.test(first) && /g=meta\.k8s\.io/.test(first) && /v=v1(\b|;|$)/.test(first)
}

/** A meta.k8s.io/v1 Table for one object or a list, or undefined when no columns are known for the resource. */
export function tableFor(def: ResourceDef, objects: any[], listMeta: any, includeObject: string | null): any | undefined {
  const printer = PRINTERS.get(def.resource)
  if (!printer) return undefined
  const rows = objects.map((o) => {
    const row: any = {cells: printer.cells(o)}
    const conditions = printer.conditions?.(o)
    if (conditions) row.conditions = conditions
    if (includeObject === 'None') return row
    // kube-apiserver's asTable (apiserver/pkg/endpoints/handlers/response.go) converts each row's
    // object to the request's version, which gives it kind and apiVersion even when it came from a
    // list, whose items carry neither; kubectl cannot decode a row object without them.
    if (includeObject === 'Object') row.object = {kind: def.kind, apiVersion: apiVersionOf(def), ...o}
    else row.object = {kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata}
    return row
  })
  return {kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: listMeta, columnDefinitions: printer.columns, rows}
}

/**
 * The object of one watch event when the watch asked for a Table: a Table with the event's single
 * row and no column definitions (the client has them from the list), or the object itself when no
 * printer is known.
 */
export function tableEvent(def: ResourceDef, object: any, includeObject: string | null): any {
  const table = tableFor(def, [object], {resourceVersion: object.metadata?.resourceVersion}, includeObject)
  if (!table) return object
  const {columnDefinitions: _columns, ...rest} = table
  return rest
}
