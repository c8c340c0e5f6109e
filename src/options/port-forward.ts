// `svc port-forward`'s operands and flags turned into what to forward (complete), checked before
// any listener or request (validate). The two inputs that need I/O, the context's namespace (for
// --all without -n) and a forwards file's targets (-f), come through `io`, so that their errors
// keep their place among the usage errors.

import {UsageError} from '../kube/errors.ts'
import type {AllScope} from '../portforward/all-run.ts'
import {parseForwardOperands, type TargetSpec} from '../portforward/operands.ts'
import type {OutputMode} from '../portforward/output.ts'

/** The flags of `svc port-forward` that decide what it forwards and how it reports. */
export interface PortForwardFlags {
  all?: boolean
  'all-namespaces'?: boolean
  filename?: string
  output?: string
  quiet?: boolean
  selector?: string
}

export interface PortForwardInput {
  /** The words after the first `--`; undefined without `--`. */
  afterDash?: string[]
  flags: PortForwardFlags
  /** Every -n given, in order (--all forwards each of them). */
  namespaces: string[]
  /** The operands before `--`: TYPE/NAME and ports. */
  operands: string[]
}

export interface PortForwardIO {
  /** The targets of a forwards file (`-` for stdin). */
  forwardsFile: (file: string) => TargetSpec[]
  /** The context's namespace, asked only for --all without -n. */
  namespace: () => string
}

export interface PortForwardOptions {
  /** --all's scope; undefined without --all. */
  all?: AllScope
  /** -- COMMAND [ARGS...]; undefined without `--`. */
  command?: string[]
  mode: OutputMode
  /** The targets from the operands or the forwards file (none with --all). */
  targets: TargetSpec[]
}

/** The port-forward's options from its operands and flags; throws its usage errors. */
export function portForwardOptions(input: PortForwardInput, io: PortForwardIO): PortForwardOptions {
  const {flags, operands} = input
  const all = allScope(flags, input.namespaces, io.namespace)
  const file = flags.filename
  if (all && file !== undefined) throw new UsageError('--all and -f do not combine: list the Services in the file, or use --all alone')
  const source = all ? '--all forwards every Service' : file === undefined ? '' : '-f reads the targets from the file'
  if (source && operands.length > 0) throw new UsageError(`${source}: give no TYPE/NAME (got ${operands[0]})`)
  let targets: TargetSpec[] = []
  if (file !== undefined) targets = io.forwardsFile(file)
  else if (!all) {
    try {
      targets = parseForwardOperands(operands)
    } catch (error) {
      throw new UsageError((error as Error).message)
    }
  }
  const unknown = operands.find(a => /^--?[A-Za-z]/.test(a))
  if (unknown) throw new UsageError(`unknown flag: ${unknown}`)
  if (input.afterDash?.length === 0) throw new UsageError('a COMMAND is required after --')
  const mode: OutputMode = flags.output === 'json' ? 'json' : flags.quiet ? 'quiet' : 'text'
  return {...(all ? {all} : {}), ...(input.afterDash ? {command: input.afterDash} : {}), mode, targets}
}

/** --all's scope: -A, or every -n given (the context's namespace when none); -l. Undefined without --all. */
function allScope(flags: PortForwardFlags, namespaces: string[], contextNamespace: () => string): AllScope | undefined {
  if (!flags.all) {
    if (flags.selector !== undefined || flags['all-namespaces']) throw new UsageError('-l and -A go with --all')
    return undefined
  }
  if (flags['all-namespaces']) return {selector: flags.selector}
  const given = [...new Set(namespaces)]
  return {namespaces: given.length > 0 ? given : [contextNamespace()], selector: flags.selector}
}
