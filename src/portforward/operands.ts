// The operands of `svc port-forward` before `--`: one or more targets, each followed by its ports.
//
//   svc/api 8080:80 svc/db :5432 pod/worker-0 9000
//
// A `TYPE/NAME` operand starts a new target and the ports after it are its own; the first operand
// is always a target, so it may be a bare pod name as in kubectl (`mypod 5000`). Port operands
// never contain `/`. Pure: the targets are resolved later (resolve.ts).

import {splitPort} from './ports.ts'

/** One target of the command line (or of a forwards file) and its PORT arguments. */
export interface TargetSpec {
  /** `svc/api`, `pod/worker-0`, or a bare pod name. */
  target: string
  /** `[LOCAL:]REMOTE` arguments as typed. */
  portArgs: string[]
  /** The namespace, when not the command's (-n or the kubeconfig's). */
  namespace?: string
  /** The kubeconfig context, when not the current one (forwards file). */
  context?: string
  /** The address to listen on, when not --address (forwards file). */
  address?: string
}

/** kubectl's text when the target or its ports are missing. */
export const OPERANDS_REQUIRED = 'TYPE/NAME and list of ports are required for port-forward'

/** Splits the operands into targets; throws a one-line usage error. */
export function parseForwardOperands(operands: readonly string[]): TargetSpec[] {
  const specs: TargetSpec[] = []
  for (const [i, operand] of operands.entries()) {
    if (i === 0 || operand.includes('/')) specs.push({portArgs: [], target: operand})
    else specs.at(-1)?.portArgs.push(operand)
  }
  if (specs.length === 0 || specs[0].portArgs.length === 0) throw new Error(OPERANDS_REQUIRED)
  for (const spec of specs) {
    if (spec.portArgs.length === 0) throw new Error(`${spec.target} has no ports: give at least one [LOCAL_PORT:]REMOTE_PORT after it`)
  }
  checkDistinct(specs)
  return specs
}

/**
 * Two targets with the same name and namespace, or one local port asked for by two targets, would fail
 * later with a less clear message (the second listener cannot bind): say so before anything starts.
 */
export function checkDistinct(specs: readonly TargetSpec[]): void {
  const targets = new Set<string>()
  const locals = new Map<string, string>()
  for (const spec of specs) {
    const key = `${spec.context ?? ''}/${spec.namespace ?? ''}/${spec.target}`
    if (targets.has(key)) throw new Error(`${spec.target} is given twice: list all of its ports after one ${spec.target}`)
    targets.add(key)
    for (const arg of spec.portArgs) {
      let local: string
      try {
        local = splitPort(arg).local
      } catch {
        continue // parsePorts reports it, with client-go's text, when the target is resolved
      }
      const port = /^\d+$/.test(local) ? Number(local) : 0
      if (port === 0) continue
      const where = `${spec.address ?? ''}:${port}`
      const other = locals.get(where)
      // Within one target a repeated port is kubectl's business (its listener fails and is reported).
      if (other !== undefined && other !== spec.target) throw new Error(`local port ${port} is given twice (${other} and ${spec.target})`)
      locals.set(where, spec.target)
    }
  }
}
