import {Flags} from '@oclif/core'

import {KubeCommand} from '../base/kube-command.ts'
import {selectorFlag, templateFlags} from '../flags/index.ts'
import {ApiError, CliError, MultiError} from '../kube/errors.ts'
import {getService, isNotFound, listServices, watchServices} from '../kube/service-ops.ts'
import {templateFormats} from '../printers/templates.ts'
import type {Condition} from '../wait/conditions.ts'
import {WAIT_FORMATS, type WaitOptions, waitOptions} from '../options/wait.ts'
import {waitOutput} from '../wait/output.ts'
import {NotMet, waitForService} from '../wait/waiter.ts'

const ALL_FORMATS = [...WAIT_FORMATS, ...templateFormats(false)].sort()

class Timeout extends Error {}

export default class Wait extends KubeCommand<typeof Wait> {
  static description = `Wait until Services meet a condition, driven by watches, for at most --timeout (30s).

Conditions: create, delete, jsonpath='{...}'[=VALUE] and condition=NAME[=VALUE] as in kubectl wait;
endpoints[=N] (at least N ready endpoints, counted from the Service's EndpointSlices; default 1)
and loadbalancer (the load balancer has an ingress IP or hostname; svc prints it).`
  static examples = [
    '<%= config.bin %> wait svc/web --for=endpoints=2 --timeout=2m',
    'IP=$(<%= config.bin %> wait svc/shop --for=loadbalancer --timeout=5m)',
    '<%= config.bin %> wait svc/old --for=delete',
    "<%= config.bin %> wait svc/web --for=jsonpath='{.spec.type}'=NodePort",
    '<%= config.bin %> wait svc -l app=web --for=create',
  ]
  static flags = {
    ...templateFlags,
    all: Flags.boolean({description: 'Select all Services in the namespace.'}),
    for: Flags.string({description: "The condition to wait on: create, delete, endpoints[=N], loadbalancer, condition=NAME[=VALUE] or jsonpath='{JSONPath expression}'[=VALUE]."}),
    output: Flags.string({char: 'o', description: `Output format. One of: (${ALL_FORMATS.join(', ')}). wide lists the ready endpoints with --for=endpoints.`}),
    selector: selectorFlag,
    timeout: Flags.string({default: '30s', description: "The length of time to wait before giving up. Zero means check once and don't wait, negative means wait for a week."}),
  }
  static strict = false
  static usage = 'wait (svc/NAME... | svc NAME... | svc (-l SELECTOR | --all)) --for=CONDITION [--timeout=30s] [-o FORMAT]'

  async run(): Promise<void> {
    const options = waitOptions(this.operands, this.flags)
    const {condition, timeoutMs} = options
    const namespace = this.kube.namespace
    const controller = new AbortController()
    // zero: every condition is checked once (waitOne), so no timer
    const timer = timeoutMs > 0 ? setTimeout(() => controller.abort(new Timeout()), Math.min(timeoutMs, 2 ** 31 - 1)) : undefined
    // kubectl wait: Ctrl-C cancels the wait and exits 1 without a message
    const interrupted = new AbortController()
    const interrupt = () => {
      interrupted.abort(new CliError('', 1))
      controller.abort(interrupted.signal.reason)
    }
    process.once('SIGINT', interrupt)
    process.once('SIGTERM', interrupt)
    try {
      let targets = options.names
      if (options.select) {
        try {
          targets = await this.selected(namespace, options.select.labelSelector, condition, controller.signal)
        } catch (error) {
          if (error instanceof Timeout) throw new CliError('timed out waiting for the condition')
          throw error
        }
        if (targets.length === 0) {
          if (condition.kind === 'delete') return
          throw new CliError('no matching resources found')
        }
      }
      const errors: unknown[] = []
      for (const name of targets) {
        try {
          await this.waitOne(name, namespace, options, controller.signal, interrupted.signal)
        } catch (error) {
          // the server's answer stands even when it came after the deadline (a slow first read)
          if (error instanceof ApiError) {
            errors.push(error)
            continue
          }
          if (error instanceof Timeout || controller.signal.reason instanceof Timeout) {
            errors.push(new CliError(condition.kind === 'create' ? 'timed out waiting for the condition' : `timed out waiting for the condition on services/${name}`))
            // the deadline is shared: the rest have no time left either, and kubectl stops at the first timeout
            break
          }
          if (controller.signal.aborted) throw controller.signal.reason
          errors.push(error)
        }
      }
      if (errors.length > 0) throw new MultiError(errors)
    } finally {
      clearTimeout(timer)
      controller.abort()
      process.removeListener('SIGINT', interrupt)
      process.removeListener('SIGTERM', interrupt)
    }
  }

  /** The Services -l/--all select; with --for=create, the wait lasts until at least one exists. */
  private async selected(namespace: string, labelSelector: string | undefined, condition: Condition, signal: AbortSignal): Promise<string[]> {
    const list = await listServices(this.kube.client, {labelSelector, namespace})
    if (list.items.length > 0 || condition.kind !== 'create') return list.items.map(s => s.metadata?.name ?? '')
    const relist = async () => (await listServices(this.kube.client, {labelSelector, namespace})).metadata?.resourceVersion
    for await (const event of watchServices(this.kube.client, {labelSelector, namespace, resourceVersion: list.metadata?.resourceVersion}, signal, relist)) {
      if (event.type === 'ADDED' || event.type === 'MODIFIED') {
        const now = await listServices(this.kube.client, {labelSelector, namespace})
        if (now.items.length > 0) return now.items.map(s => s.metadata?.name ?? '')
      }
    }
    throw signal.reason
  }

  private async waitOne(name: string, namespace: string, options: WaitOptions, signal: AbortSignal, interrupted: AbortSignal): Promise<void> {
    const {condition, timeoutMs} = options
    if (condition.kind !== 'create') {
      // kubectl reads each named object first, with no deadline (wait.go NewWaitFlags: the resource
      // builder WithLatest(), a GET outside RunWait's --timeout context): a missing one is NotFound
      // however slow the answer, and done for --for=delete (RunWait: IgnoreErrors(IsNotFound)).
      try {
        await getService(this.kube.client, namespace, name, interrupted)
      } catch (error) {
        if (condition.kind === 'delete' && isNotFound(error)) return
        throw error
      }
      // out of time already: the condition's list and watch get none (UntilWithSync on the ended context)
      signal.throwIfAborted()
    }
    let result
    try {
      // kubectl: a zero timeout means check once and don't wait
      result = await waitForService(this.kube.client, namespace, name, condition, signal, timeoutMs === 0)
    } catch (error) {
      if (error instanceof NotMet) throw new CliError(`condition not met for services/${name}`)
      throw error
    }
    if (condition.kind === 'delete' && !result.service) return
    this.stdout(waitOutput(name, options, result.service ?? {metadata: {name, namespace}}, result.slices))
  }
}
