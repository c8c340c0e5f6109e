// What `get -o json|yaml|name` prints. kubectl prints a single object when exactly one name was
// asked for and found; otherwise (several names, a selector, a plain list, nothing found) it wraps
// the items in `kind: List` with `metadata: {resourceVersion: ""}`. `get` holds unstructured
// objects, so JSON keys are sorted; the byte-level printers are those of printers/object.ts.

import type {KubeObject} from '../kube/types.ts'
import {printJson as objectJson, omitManagedFields, printName, printYaml as objectYaml} from './object.ts'

/** kubectl's List wrapper around several objects. */
export interface ListObject {
  apiVersion: 'v1'
  items: KubeObject[]
  kind: 'List'
  metadata: {resourceVersion: string}
}

export type ListOutput = 'json' | 'name' | 'yaml'

/** The object kubectl would print for these items. */
export function outputObject(items: KubeObject[], singleItemImplied: boolean): KubeObject | ListObject {
  if (singleItemImplied && items.length === 1) return items[0]
  return {apiVersion: 'v1', items, kind: 'List', metadata: {resourceVersion: ''}}
}

/** `-o json` of an unstructured object: every key sorted, 4-space indentation, final newline. */
export function printJson(obj: unknown): string {
  return objectJson(obj)
}

/** `-o yaml`: sigs.k8s.io/yaml output (keys sorted, lists not indented). */
export function printYaml(obj: unknown): string {
  return objectYaml(obj)
}

/** `-o name`: `service/NAME` for each item. */
export function printNames(items: KubeObject[]): string {
  return items.map(item => printName({apiVersion: 'v1', kind: 'Service', ...item})).join('')
}

/** The text for one of the machine formats. */
export function printList(items: KubeObject[], format: ListOutput, singleItemImplied: boolean, showManagedFields = false): string {
  if (format === 'name') return printNames(items)
  const obj = outputObject(showManagedFields ? items : items.map(omitManagedFields), singleItemImplied)
  return format === 'json' ? printJson(obj) : printYaml(obj)
}
