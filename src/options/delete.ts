// `svc delete`'s arguments and flags turned into what to delete and how (complete), checked in
// kubectl's order before any request (validate): the cascade value (ToOptions), the grace period
// (Complete), the resource builder's checks on the arguments, then Validate. No request is made here.

import {WEEK_MS} from '../kube/duration.ts'
import {CliError} from '../kube/errors.ts'
import {type PropagationPolicy, serviceNames} from '../kube/service-ops.ts'
import {effectiveGracePeriod, IMMEDIATE_DELETION_WARNING, parseCascade} from '../flags/delete.ts'

/** The flags of `svc delete` that decide what it deletes and how. */
export interface DeleteFlags {
  all?: boolean
  'all-namespaces'?: boolean
  cascade: string
  'field-selector'?: string
  force?: boolean
  'grace-period': number
  now?: boolean
  output?: string
  selector?: string
  /** Milliseconds; 0 waits up to a week. */
  timeout: number
}

export interface DeleteCommandOptions {
  /** -1: the server's default. */
  gracePeriod: number
  /** NAME or svc/NAME operands; empty when the Services are selected. */
  names: string[]
  propagationPolicy: PropagationPolicy
  /** How long --wait waits for the deleted Services to be gone. */
  waitMs: number
}

/**
 * The delete's options from its operands and flags; throws kubectl's usage errors. kubectl's
 * warnings go to `warn` as they come, so one printed before a later error is still printed.
 */
export function deleteOptions(operands: string[], flags: DeleteFlags, warn: (line: string) => void): DeleteCommandOptions {
  const cascade = parseCascade(flags.cascade)
  if (cascade.warning) warn(cascade.warning)
  const gracePeriod = effectiveGracePeriod(flags['grace-period'], Boolean(flags.now), Boolean(flags.force))
  const {names} = serviceNames(operands)
  // the resource builder's check (SelectAllParam), before Validate's: note kubectl's trailing space
  if (flags.all && (flags.selector || flags['field-selector'])) throw new CliError("setting 'all' parameter but found a non empty selector. ")
  if (flags.output !== undefined && flags.output !== 'name') throw new CliError(`unexpected -o output mode: ${flags.output}. We only support '-o name'`)
  const bySelector = Boolean(flags.all) || Boolean(flags.selector) || Boolean(flags['field-selector'])
  if (names.length > 0 && bySelector) throw new CliError('name cannot be provided when a selector is specified')
  if (names.length > 0 && flags['all-namespaces']) throw new CliError('a resource cannot be retrieved by name across all namespaces')
  if (names.length === 0 && !bySelector && !flags['all-namespaces']) throw new CliError('resource(s) were provided, but no name was specified')
  if (flags.force && gracePeriod > 0) throw new CliError('--force and --grace-period greater than 0 cannot be specified together')
  if (flags.force && gracePeriod === 0) warn(`Warning: ${IMMEDIATE_DELETION_WARNING}`)
  return {gracePeriod, names, propagationPolicy: cascade.policy, waitMs: flags.timeout > 0 ? flags.timeout : WEEK_MS}
}
