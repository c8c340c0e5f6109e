// kubectl delete's flags that are more than a value: --cascade (a strategy, or a deprecated
// boolean) and how --now, --grace-period and --force combine (k8s.io/kubectl pkg/cmd/delete
// delete_flags.go and delete.go Complete/Validate, pkg/cmd/util helpers.go GetCascadingStrategy).

import {CliError} from '../kube/errors.ts'
import type {PropagationPolicy} from '../kube/service-ops.ts'
import {goParseBool} from './mutation.ts'

/** What kubectl prints on stderr (after `Warning: `) when --force goes with a zero grace period. */
export const IMMEDIATE_DELETION_WARNING = 'Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.'

/** kubectl's GetCascadingStrategy: a strategy, or a boolean with a deprecation warning. */
export function parseCascade(value: string): {policy: PropagationPolicy; warning?: string} {
  switch (value) {
    case 'background': return {policy: 'Background'}
    case 'foreground': return {policy: 'Foreground'}
    case 'orphan': return {policy: 'Orphan'}
  }
  const bool = goParseBool(value)
  if (bool === undefined) throw new CliError(`invalid cascade value (${value}). Must be "background", "foreground", or "orphan"`)
  const replacement = bool ? 'background' : 'orphan'
  return {
    policy: bool ? 'Background' : 'Orphan',
    warning: `warning: --cascade=${bool} is deprecated (boolean value) and can be replaced with --cascade=${replacement}.`,
  }
}

/**
 * kubectl delete's Complete: --now is a grace period of 1 (and cannot go with --grace-period);
 * --grace-period=0 without --force is sent as 1; --force alone is 0. -1 means unset.
 */
export function effectiveGracePeriod(gracePeriod: number, now: boolean, force: boolean): number {
  let g = gracePeriod
  if (now) {
    if (g !== -1) throw new CliError('--now and --grace-period cannot be specified together')
    g = 1
  }
  if (g === 0 && !force) g = 1
  if (force && g < 0) g = 0
  return g
}
