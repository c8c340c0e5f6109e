import {Args, Flags} from '@oclif/core'

import {KubeCommand} from '../base/kube-command.ts'
import {allNamespacesFlag, selectorFlag} from '../flags/index.ts'
import {parseDuration} from '../kube/duration.ts'
import {MultiError} from '../kube/errors.ts'
import {deletedMessage, deleteService, getNamedServices, isNotFound, listServices, type Service, waitForDeletion} from '../kube/service-ops.ts'
import {deleteOptions} from '../options/delete.ts'

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
    const o = deleteOptions(this.operands, flags, line => this.stderr(line))
    const names = o.names
    const dryRun = this.dryRunStrategy(flags['dry-run'])
    const client = this.kube.client
    const options = {dryRun, gracePeriod: o.gracePeriod >= 0 ? o.gracePeriod : undefined, output: flags.output, propagationPolicy: o.propagationPolicy}

    const {errors, targets} = await this.targets(names)
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
    if (flags.wait && dryRun === 'none') errors.push(...await this.waitGone(deleted, o.waitMs))
    if (errors.length > 0) throw new MultiError(errors)
  }

  /** The named Services (with the errors of those missing), or the selected ones. */
  private async targets(names: string[]): Promise<{errors: unknown[]; targets: Service[]}> {
    const flags = this.flags
    if (names.length > 0) {
      const {errors, found} = await getNamedServices(this.kube.client, this.kube.namespace, names, flags['ignore-not-found'])
      return {errors, targets: found}
    }
    const {items} = await listServices(this.kube.client, {
      fieldSelector: flags['field-selector'], labelSelector: flags.selector, namespace: flags['all-namespaces'] ? undefined : this.kube.namespace,
    })
    return {errors: [], targets: items}
  }

  /** --wait: until each deleted Service is gone, within one shared deadline; Ctrl-C stops waiting. Returns the failures. */
  private async waitGone(deleted: Array<{name: string; namespace: string; uid?: string}>, waitMs: number): Promise<unknown[]> {
    const errors: unknown[] = []
    const controller = new AbortController()
    const stop = () => controller.abort()
    process.once('SIGINT', stop)
    try {
      const deadline = Date.now() + waitMs
      for (const d of deleted) {
        try {
          await waitForDeletion(this.kube.client, d.namespace, d.name, d.uid, Math.max(0, deadline - Date.now()), controller.signal)
        } catch (error) {
          errors.push(error)
        }
      }
    } finally {
      process.removeListener('SIGINT', stop)
    }
    return errors
  }
}
