// `svc port-forward -f forwards.yaml`: the targets of a command line, kept in a file. The file is
// validated as a whole before anything starts: every bad entry is named on a line of its own.
//
//   forwards:                      # or the list alone, at the top
//   - target: svc/api
//     ports: ["8080:80"]           # or one port: `ports: 5432`
//   - target: svc/db
//     ports: [":5432"]
//     namespace: data              # default: -n / the context's
//     context: staging             # default: the current context
//     address: 127.0.0.5           # default: --address
//
// parseForwardsFile is pure (the caller knows the kubeconfig's contexts); readForwardsFile reads
// the file or stdin first.

import fs from 'node:fs'
import net from 'node:net'

import yaml from 'js-yaml'

import {CliError} from '../kube/errors.ts'

import {parseTarget} from './targets.ts'
import {checkDistinct, type TargetSpec} from './operands.ts'
import {splitPort} from './ports.ts'

const KEYS = new Set(['address', 'context', 'namespace', 'ports', 'target'])
/** A namespace is a DNS label (RFC 1123). */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/

/** The file's problems, one line each (`entry 2 (svc/db): ...`). */
export class ForwardsFileError extends Error {
  readonly problems: string[]

  constructor(file: string, problems: string[]) {
    super(problems.map(p => `${file}: ${p}`).join('\n'))
    this.name = 'ForwardsFileError'
    this.problems = problems
  }
}

/**
 * The targets of `-f FILE` (`-f -`: stdin): a file that cannot be read, or every bad entry each on
 * its own `error:` line, is a CliError. `contexts` (the kubeconfig's) is asked once the file is read.
 */
export function readForwardsFile(file: string, contexts: () => ReadonlySet<string>): TargetSpec[] {
  let text: string
  try {
    text = fs.readFileSync(file === '-' ? 0 : file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new CliError(code === 'ENOENT' ? `the path "${file}" does not exist` : `cannot read ${file}: ${code ?? (error as Error).message}`)
  }
  try {
    return parseForwardsFile(text, file === '-' ? 'stdin' : file, contexts())
  } catch (error) {
    if (error instanceof ForwardsFileError) throw new CliError(error.message.split('\n').join('\nerror: '))
    throw error
  }
}

/** The targets of a forwards file, or a ForwardsFileError listing every bad entry. */
export function parseForwardsFile(text: string, file: string, contexts: ReadonlySet<string>): TargetSpec[] {
  let document: unknown
  try {
    document = yaml.load(text)
  } catch (error) {
    throw new ForwardsFileError(file, [`not YAML: ${(error as Error).message.split('\n')[0]}`])
  }
  const list = Array.isArray(document) ? document : isObject(document) && Array.isArray(document.forwards) ? document.forwards : undefined
  if (!list) throw new ForwardsFileError(file, ['expected a list of forwards (or `forwards:` with a list)'])
  if (list.length === 0) throw new ForwardsFileError(file, ['no forwards'])
  const problems: string[] = []
  const specs: TargetSpec[] = []
  for (const [i, entry] of list.entries()) {
    const found = checkEntry(entry, contexts)
    const name = isObject(entry) && typeof entry.target === 'string' ? `entry ${i + 1} (${entry.target})` : `entry ${i + 1}`
    if (typeof found === 'string') problems.push(`${name}: ${found}`)
    else specs.push(found)
  }
  if (problems.length === 0) {
    try {
      checkDistinct(specs)
    } catch (error) {
      problems.push((error as Error).message)
    }
  }
  if (problems.length > 0) throw new ForwardsFileError(file, problems)
  return specs
}

/** One entry as a TargetSpec, or what is wrong with it. */
function checkEntry(entry: unknown, contexts: ReadonlySet<string>): TargetSpec | string {
  if (!isObject(entry)) return 'expected a mapping with target and ports'
  const unknown = Object.keys(entry).filter(k => !KEYS.has(k))
  if (unknown.length > 0) return `unknown field ${unknown.map(k => `"${k}"`).join(', ')} (known: address, context, namespace, ports, target)`
  if (typeof entry.target !== 'string' || entry.target === '') return 'target is required (TYPE/NAME, like svc/api)'
  try {
    parseTarget(entry.target)
  } catch (error) {
    return (error as Error).message
  }
  const ports = entry.ports === undefined ? [] : (Array.isArray(entry.ports) ? entry.ports : [entry.ports]).map(String)
  if (ports.length === 0) return 'ports: at least one [LOCAL_PORT:]REMOTE_PORT is required'
  for (const port of ports) {
    const problem = portProblem(port)
    if (problem) return `ports: ${problem}`
  }
  const spec: TargetSpec = {portArgs: ports, target: entry.target}
  for (const key of ['namespace', 'context', 'address'] as const) {
    const value = entry[key]
    if (value === undefined) continue
    if (typeof value !== 'string' || value === '') return `${key} must be a non-empty string`
    spec[key] = value
  }
  if (spec.namespace !== undefined && !DNS_LABEL.test(spec.namespace)) return `namespace "${spec.namespace}" is not a valid namespace name (lower-case letters, digits and '-')`
  if (spec.context !== undefined && !contexts.has(spec.context)) return `context "${spec.context}" is not in the kubeconfig`
  if (spec.address !== undefined && spec.address !== 'localhost' && !net.isIP(spec.address)) return `address ${spec.address} is not a valid IP`
  return spec
}

/** What is wrong with a `[LOCAL:]REMOTE` before any request (named ports are checked against the object later). */
function portProblem(port: string): string | undefined {
  let local: string
  let remote: string
  try {
    ;({local, remote} = splitPort(port))
  } catch (error) {
    return (error as Error).message
  }
  if (remote === '') return `remote port cannot be empty in '${port}'`
  if (local !== '' && (!/^\d+$/.test(local) || Number(local) > 65535)) return `invalid local port '${local}' in '${port}'`
  if (/^\d+$/.test(remote) && (Number(remote) === 0 || Number(remote) > 65535)) return `invalid remote port '${remote}' in '${port}'`
  return undefined
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
