/**
 * Hook for server-side printing (Accept: application/json;as=Table;v=v1;g=meta.k8s.io). A column definition
 * per resource can be registered here; when none is known, `tableFor` returns undefined and the server answers
 * with plain JSON, which clients accept as the fallback they also list in Accept.
 */
import type {ResourceDef} from './registry.ts'

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
}

const PRINTERS = new Map<string, TablePrinter>()

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
    if (includeObject === 'None') return row
    if (includeObject === 'Object') row.object = o
    else row.object = {kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata}
    return row
  })
  return {kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: listMeta, columnDefinitions: printer.columns, rows}
}
