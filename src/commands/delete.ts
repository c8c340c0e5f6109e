import {Args, Flags} from '@oclif/core'

import {KubeCommand} from '../base/kube-command.ts'
import {effectiveGracePeriod, IMMEDIATE_DELETION_WARNING, parseCascade} from '../flags/delete.ts'
import {allNamespacesFlag, selectorFlag} from '../flags/index.ts'
import {parseDuration} from '../kube/duration.ts'
import {CliError, MultiError} from '../kube/errors.ts'
import {
  deletedMessage, deleteService, getNamedServices, isNotFound, listServices, type Service, serviceNames, waitForDeletion,
} from '../kube/service-ops.ts'

const WEEK_MS = 168 * 3600 * 1000

export default class Delete extends KubeCommand<typeof Delete> {
  static args = {names: Args.string({description: 'Service names (NAME, svc/NAME, or `svc NAME`).', required: false})}
  static description = `Delete Services by name, by label selector, or all of them in the namespace, with kubectl's flags and messages.

By default the command waits until each Service is really gone (--wait), bounded by --timeout.`
  static examples = [
    '<%= config.bin %> delete web',
    '<%= config.bin %> delete svc/web svc/api --dry-run=server',
    '<%= config.bin %> delete -l app=web',
    '<%= config.bin %> delete --all --ignore-not-found',
  ]
  static flags = {
    all: Flags.boolean({description: 'Delete all Services in the namespace.'}),
    'all-namespaces': allNamespacesFlag,
    cascade: Flags.string({
      default: 'background',
      description: 'Must be "background", "orphan", or "foreground". Selects the deletion cascading strategy for the dependents (e.g. Pods created by a ReplicationController). Defaults to background.',
      helpValue: 'background|orphan|foreground',
    }),
    'dry-run': Flags.string({description: 'Must be "none", "server", or "client". If client strategy, only print the object that would be sent, without sending it. If server strategy, submit server-side request without persisting the resource.'}),
    'field-selector': Flags.string({description: "Selector (field query) to filter on, supports '=', '==', and '!='."}),
    force: Flags.boolean({description: 'If true, immediately remove resources from API and bypass graceful deletion. Note that immediate deletion of some resources may result in inconsistency or data loss and requires confirmation.'}),
    'grace-period': Flags.integer({default: -1, description: 'Period of time in seconds given to the resource to terminate gracefully. Ignored if negative. Set to 0 for immediate deletion.'}),
    'ignore-not-found': Flags.boolean({description: 'Treat "resource not found" as a successful delete.'}),
    now: Flags.boolean({description: 'If true, resources are signaled for immediate shutdown (same as --grace-period=1).'}),
    output: Flags.string({char: 'o', description: 'Output mode. Use "-o name" for shorter output (resource/name).'}),
    selector: selectorFlag,
    timeout: Flags.custom<number>({
      default: async () => 0,
      description: 'The length of time to wait before giving up on a delete, zero means wait up to a week. Any other values should contain a corresponding time unit (e.g. 1s, 2m, 3h).',
      parse: async input => parseDuration(input),
    })(),
    wait: Flags.boolean({allowNo: true, default: true, description: 'If true, wait for resources to be gone before returning.'}),
  }
  static strict = false

  async run(): Promise<void> {
    const flags = this.flags
    // kubectl's order: the cascade value (ToOptions), the grace period (Complete), the arguments,
    // then Validate.
    const cascade = parseCascade(flags.cascade)
    if (cascade.warning) this.stderr(cascade.warning)
    const gracePeriod = effectiveGracePeriod(flags['grace-period'], flags.now, flags.force)
    const {names} = serviceNames(this.operands)
    // the resource builder's check (SelectAllParam), before Validate's: note kubectl's trailing space
    if (flags.all && (flags.selector || flags['field-selector'])) throw new CliError("setting 'all' parameter but found a non empty selector. ")
    if (flags.output !== undefined && flags.output !== 'name') throw new CliError(`unexpected -o output mode: ${flags.output}. We only support '-o name'`)
    const bySelector = flags.all || Boolean(flags.selector) || Boolean(flags['field-selector'])
    if (names.length > 0 && bySelector) throw new CliError('name cannot be provided when a selector is specified')
    if (names.length > 0 && flags['all-namespaces']) throw new CliError('a resource cannot be retrieved by name across all namespaces')
    if (names.length === 0 && !bySelector && !flags['all-namespaces']) throw new CliError('resource(s) were provided, but no name was specified')
    if (flags.force && gracePeriod > 0) throw new CliError('--force and --grace-period greater than 0 cannot be specified together')
    if (flags.force && gracePeriod === 0) this.stderr(`Warning: ${IMMEDIATE_DELETION_WARNING}`)
    const dryRun = this.dryRunStrategy(flags['dry-run'])
    const client = this.kube.client
    const options = {dryRun, gracePeriod: gracePeriod >= 0 ? gracePeriod : undefined, output: flags.output, propagationPolicy: cascade.policy}

    let targets: Service[]
    const errors: unknown[] = []
    if (names.length > 0) {
      const result = await getNamedServices(client, this.kube.namespace, names, flags['ignore-not-found'])
      targets = result.found
      errors.push(...result.errors)
    } else {
      targets = (await listServices(client, {
        fieldSelector: flags['field-selector'], labelSelector: flags.selector, namespace: flags['all-namespaces'] ? undefined : this.kube.namespace,
      })).items
    }

    const deleted: {name: string; namespace: string; uid?: string}[] = []
    for (const svc of targets) {
      const name = svc.metadata?.name ?? ''
      const namespace = svc.metadata?.namespace ?? this.kube.namespace
      if (dryRun === 'client') {
        this.stdout(deletedMessage(name, namespace, options))
        continue
      }
      try {
        const uid = await deleteService(client, namespace, name, options)
        this.stdout(deletedMessage(name, namespace, options))
        deleted.push({name, namespace, uid: uid ?? svc.metadata?.uid})
      } catch (error) {
        if (flags['ignore-not-found'] && isNotFound(error)) continue
        errors.push(error)
      }
    }
    if (targets.length === 0 && errors.length === 0 && !(names.length > 0 && flags['ignore-not-found'])) this.stdout('No resources found\n')
    if (flags.wait && dryRun === 'none') {
      const timeout = flags.timeout > 0 ? flags.timeout : WEEK_MS
      const controller = new AbortController()
      const stop = () => controller.abort()
      process.once('SIGINT', stop)
      try {
        const deadline = Date.now() + timeout
        for (const d of deleted) {
          try {
            await waitForDeletion(client, d.namespace, d.name, d.uid, Math.max(0, deadline - Date.now()), controller.signal)
          } catch (error) {
            errors.push(error)
          }
        }
      } finally {
        process.removeListener('SIGINT', stop)
      }
    }
    if (errors.length > 0) throw new MultiError(errors)
  }
}
