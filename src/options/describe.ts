// `svc describe`'s arguments and flags turned into what to describe (complete), checked in
// kubectl's order before any request (validate). No request is made here.

import {CliError} from '../kube/errors.ts'
import {serviceNames} from '../kube/service-ops.ts'

/** The flags of `svc describe` that decide what it describes. */
export interface DescribeFlags {
  'all-namespaces'?: boolean
  selector?: string
}

export interface DescribeOptions {
  allNamespaces: boolean
  /** NAME or svc/NAME operands; empty when every Service (or those -l selects) is described. */
  names: string[]
  selector?: string
}

/** The describe's options from its operands and flags; throws kubectl's usage errors. */
export function describeOptions(operands: string[], flags: DescribeFlags): DescribeOptions {
  const {names} = serviceNames(operands)
  const allNamespaces = Boolean(flags['all-namespaces'])
  if (names.length > 0 && flags.selector) throw new CliError('name cannot be provided when a selector is specified')
  if (names.length > 0 && allNamespaces) throw new CliError('a resource cannot be retrieved by name across all namespaces')
  return {allNamespaces, names, ...(flags.selector === undefined ? {} : {selector: flags.selector})}
}
