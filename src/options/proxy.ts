// `svc proxy`'s operands and flags turned into what to run (complete), checked before anything
// listens or any request is made (validate). Pure.

import {CliError, UsageError} from '../kube/errors.ts'
import {type ListenAddress, parseAddresses} from '../portforward/ports.ts'

/** The flags of `svc proxy` that decide where it listens and what it resolves. */
export interface ProxyFlags {
  address: string[]
  'cluster-domain': string
  'half-close-timeout': number
  output?: string
  port: number
  quiet?: boolean
}

export interface ProxyOptions {
  addresses: ListenAddress[]
  clusterDomain: string
  /** `-- COMMAND [ARGS...]`, when given. */
  command?: string[]
  halfCloseTimeoutMs: number
  mode: 'json' | 'quiet' | 'text'
  port: number
}

const DOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

/** The proxy's options; throws one line naming what is wrong. */
export function proxyOptions(operands: {beforeDash: string[]; afterDash?: string[]}, flags: ProxyFlags): ProxyOptions {
  const stray = operands.beforeDash[0]
  if (stray !== undefined) throw new UsageError(/^--?[A-Za-z]/.test(stray) ? `unknown flag: ${stray}` : `unexpected argument "${stray}": svc proxy takes no arguments (a command goes after --)`)
  if (operands.afterDash?.length === 0) throw new UsageError('a COMMAND is required after --')
  if (!Number.isInteger(flags.port) || flags.port < 0 || flags.port > 65_535) throw new CliError(`--port must be a port number from 0 to 65535, got ${flags.port}`)
  if (flags['half-close-timeout'] < 0) throw new CliError('--half-close-timeout must not be negative')
  const clusterDomain = flags['cluster-domain'].toLowerCase().replace(/^\.|\.$/g, '')
  if (!DOMAIN.test(clusterDomain)) throw new CliError(`--cluster-domain ${JSON.stringify(flags['cluster-domain'])} is not a DNS domain (like cluster.local)`)
  let addresses: ListenAddress[]
  try {
    addresses = parseAddresses(flags.address)
  } catch (error) {
    throw new CliError((error as Error).message)
  }
  return {
    addresses,
    clusterDomain,
    halfCloseTimeoutMs: flags['half-close-timeout'],
    mode: flags.output === 'json' ? 'json' : flags.quiet ? 'quiet' : 'text',
    port: flags.port,
    ...(operands.afterDash ? {command: operands.afterDash} : {}),
  }
}
