// `svc expose`'s flags turned into how to build and send the Service (complete), checked in
// kubectl's order before any request (validate). No request is made here.

import {type Output, parseOutput} from '../flags/mutation.ts'
import {parseIntFlag} from '../flags/values.ts'
import type {ExposeFlags} from '../generate/expose.ts'
import {CliError} from '../kube/errors.ts'
import type {DryRun} from '../kube/service-ops.ts'

/** The flags of `svc expose` (as oclif parses them) that shape the Service and the output. */
export interface ExposeCommandFlags {
  'allow-missing-template-keys'?: boolean
  'cluster-ip'?: string
  'dry-run'?: string
  'external-ip'?: string
  labels?: string
  'load-balancer-ip'?: string
  name?: string
  'node-port'?: string
  output?: string
  port?: string
  protocol?: string
  selector?: string
  'session-affinity'?: string
  'session-affinity-timeout'?: string
  'target-port'?: string
  template?: string
  type?: string
}

export interface ExposeCommandOptions {
  dryRun: DryRun
  output: Output
  /** What the Service is built from, besides the exposed object. */
  service: ExposeFlags
}

/**
 * The expose's options from its flags; throws kubectl's usage errors. `dryRunStrategy` parses
 * --dry-run (the base command's, which prints kubectl's deprecation warning) in kubectl's place.
 */
export function exposeOptions(flags: ExposeCommandFlags, dryRunStrategy: (value: string | undefined) => DryRun): ExposeCommandOptions {
  const nodePort = parseIntFlag('node-port', flags['node-port'], 32)
  const sessionAffinityTimeout = parseIntFlag('session-affinity-timeout', flags['session-affinity-timeout'], 32)
  const dryRun = dryRunStrategy(flags['dry-run'])
  const output = parseOutput(flags.output, {allowMissingKeys: flags['allow-missing-template-keys'], template: flags.template})
  if (nodePort && flags.type !== 'NodePort' && flags.type !== 'LoadBalancer') {
    throw new CliError(`--node-port needs a service that has node ports: add --type=NodePort or --type=LoadBalancer`)
  }
  return {
    dryRun,
    output,
    service: {
      clusterIP: flags['cluster-ip'], externalIP: flags['external-ip'], labels: flags.labels, loadBalancerIP: flags['load-balancer-ip'], name: flags.name,
      nodePort, port: flags.port, protocol: flags.protocol, selector: flags.selector, sessionAffinity: flags['session-affinity'], sessionAffinityTimeout,
      targetPort: flags['target-port'], type: flags.type,
    },
  }
}
