import {Flags} from '@oclif/core'

import {KubeCommand} from '../base/kube-command.ts'
import {selectorFlag, templateFlags} from '../flags/index.ts'
import {parseDuration} from '../kube/duration.ts'
import {CliError, MultiError, UsageError} from '../kube/errors.ts'
import {listServices, type Service, serviceNames, watchServices, withKind} from '../kube/service-ops.ts'
import {withoutManagedFields} from '../printers/list.ts'
import {printObject} from '../printers/object.ts'
import {GET_TABLE, tabify} from '../printers/tabwriter.ts'
import {type TemplatePrinter, TemplatePrintError, templateFormats, templatePrinter} from '../printers/templates.ts'
import {type Condition, type EndpointSlice, ingressAddresses, parseCondition, readyEndpoints} from '../wait/conditions.ts'
import {NotMet, waitForService} from '../wait/waiter.ts'

const FORMATS = ['json', 'name', 'wide', 'yaml'] as const
const ALL_FORMATS = [...FORMATS, ...templateFormats(false)].sort()

/** A week: what kubectl waits for when --timeout is negative. */
const WEEK_MS = 168 * 3600_000

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
    const flags = this.flags
    const {names, typed} = serviceNames(this.operands)
    const timeoutMs = waitTimeout(flags.timeout)
    const output = flags.output === '' ? undefined : flags.output
    const template = output !== undefined && (FORMATS as readonly string[]).includes(output) ? undefined
      : templatePrinter(output, {allowMissingKeys: flags['allow-missing-template-keys'], template: flags.template}, false)
    if (output !== undefined && !template && !(FORMATS as readonly string[]).includes(output)) {
      throw new CliError(`unable to match a printer suitable for the output format "${output}", allowed formats are: ${ALL_FORMATS.join(',')}`)
    }
    const condition = parseCondition(flags.for ?? '')
    if (output === 'wide' && condition.kind !== 'endpoints') throw new CliError('-o wide lists ready endpoints: use it with --for=endpoints')
    const bySelector = flags.all || flags.selector !== undefined
    if (names.length === 0 && !bySelector) {
      if (typed) throw new CliError('resource(s) were provided, but no name was specified')
      throw new UsageError('You must name one or more Services (NAME, svc/NAME), or select them with -l SELECTOR or --all.')
    }
    if (names.length > 0 && bySelector) throw new CliError('name cannot be provided when a selector is specified')

    const namespace = this.kube.namespace
    const controller = new AbortController()
    // zero: every condition is checked once (waitOne), so no timer
    const timer = timeoutMs > 0 ? setTimeout(() => controller.abort(new Timeout()), Math.min(timeoutMs, 2 ** 31 - 1)) : undefined
    // kubectl wait: Ctrl-C cancels the wait and exits 1 without a message
    const interrupt = () => controller.abort(new CliError('', 1))
    process.once('SIGINT', interrupt)
    process.once('SIGTERM', interrupt)
    try {
      let targets = names
      if (bySelector) {
        try {
          targets = await this.selected(condition, controller.signal)
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
          await this.waitOne(name, namespace, condition, timeoutMs, controller.signal, template)
        } catch (error) {
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

  protected async catch(err: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<void> {
    if (err instanceof CliError && err.message === '') {
      process.exitCode = err.exitCode
      return
    }
    return super.catch(err)
  }

  /** The Services -l/--all select; with --for=create, the wait lasts until at least one exists. */
  private async selected(condition: Condition, signal: AbortSignal): Promise<string[]> {
    const namespace = this.kube.namespace
    const labelSelector = this.flags.all ? undefined : this.flags.selector
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

  private async waitOne(name: string, namespace: string, condition: Condition, timeoutMs: number, signal: AbortSignal, template?: TemplatePrinter): Promise<void> {
    let result
    try {
      // kubectl: a zero timeout means check once and don't wait
      result = await waitForService(this.kube.client, namespace, name, condition, signal, timeoutMs === 0)
    } catch (error) {
      if (error instanceof NotMet) throw new CliError(`condition not met for services/${name}`)
      throw error
    }
    if (condition.kind === 'delete' && !result.service) return
    this.stdout(this.render(name, condition, result.service ?? {metadata: {name, namespace}}, result.slices, template))
  }

  private render(name: string, condition: Condition, svc: Service, slices: EndpointSlice[], template?: TemplatePrinter): string {
    const output = this.flags.output
    if (template) {
      try {
        return template.print(withKind(svc))
      } catch (error) {
        if (error instanceof TemplatePrintError) this.stdout(error.partial)
        throw error
      }
    }
    if (output === 'wide') return endpointsTable(name, slices)
    if (output === 'name') return `service/${name}\n`
    if (output === 'json' || output === 'yaml') return printObject(withoutManagedFields(withKind(svc)), output)
    if (condition.kind === 'loadbalancer') return ingressAddresses(svc).map(a => `${a}\n`).join('')
    return `service/${name} condition met\n`
  }
}

/** --timeout: a Go duration; negative waits for a week. */
export function waitTimeout(value: string): number {
  const text = value.trim()
  const negative = text.startsWith('-')
  let ms: number
  try {
    ms = parseDuration(negative ? text.slice(1) : text)
  } catch {
    throw new CliError(`invalid argument "${value}" for "--timeout" flag: time: invalid duration ${JSON.stringify(value)}`)
  }
  return negative && ms > 0 ? WEEK_MS : ms
}

/** -o wide for --for=endpoints: one line per ready endpoint. */
export function endpointsTable(service: string, slices: EndpointSlice[]): string {
  const rows = [['SERVICE', 'ENDPOINT', 'PORTS', 'NODE', 'POD']]
  for (const {endpoint, slice} of readyEndpoints(slices)) {
    const ports = (slice.ports ?? []).map(p => `${p.name ? `${p.name}:` : ''}${p.port}/${p.protocol ?? 'TCP'}`).join(',')
    rows.push([service, (endpoint.addresses ?? []).join(','), ports || '<none>', endpoint.nodeName || '<none>', endpoint.targetRef?.name || '<none>'])
  }
  return tabify(rows.map(r => `${r.join('\t')}\n`).join(''), GET_TABLE)
}
