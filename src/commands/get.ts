import {Args, Flags} from '@oclif/core'

import {KubeCommand} from '../base/kube-command.ts'
import {allNamespacesFlag, selectorFlag} from '../flags/index.ts'
import {CliError, MultiError} from '../kube/errors.ts'
import {getNamedServices, listServices, type Service, serviceNames, watchServices, withKind} from '../kube/service-ops.ts'
import {currentTime} from '../printers/human-duration.ts'
import {type ListOutput, printList, withoutManagedFields} from '../printers/list.ts'
import {printObject} from '../printers/object.ts'
import {ServiceTablePrinter} from '../printers/service-table.ts'
import {sortByField} from '../printers/sort-by.ts'

const FORMATS = ['json', 'name', 'wide', 'yaml'] as const

export default class Get extends KubeCommand<typeof Get> {
  static args = {names: Args.string({description: 'Service names (NAME, svc/NAME, or `svc NAME`); none lists every Service.', required: false})}
  static description = `List Services in kubectl's table (NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE), or print them as JSON, YAML or names.

kubectl spellings work too: \`svc get svc\`, \`svc get services web\`, \`svc get svc/web\`.`
  static examples = [
    '<%= config.bin %> get',
    '<%= config.bin %> get web api -o wide',
    '<%= config.bin %> get -A -l app=web --sort-by=.metadata.creationTimestamp',
    '<%= config.bin %> get web -o yaml',
    '<%= config.bin %> get -w',
  ]
  static flags = {
    'all-namespaces': allNamespacesFlag,
    'field-selector': Flags.string({description: "Selector (field query) to filter on, supports '=', '==', and '!='.(e.g. --field-selector key1=value1,key2=value2). The server only supports a limited number of field queries per type."}),
    'ignore-not-found': Flags.boolean({description: 'If set to true, suppresses NotFound error for specific objects that do not exist.'}),
    'no-headers': Flags.boolean({description: 'When using the default or custom-column output format, don\'t print headers (default print headers).'}),
    output: Flags.string({char: 'o', description: 'Output format. One of: (json, yaml, name, wide).'}),
    selector: selectorFlag,
    'show-managed-fields': Flags.boolean({description: 'If true, keep the managedFields when printing objects in JSON or YAML format.'}),
    'show-labels': Flags.boolean({description: 'When printing, show all labels as the last column (default hide labels column).'}),
    'sort-by': Flags.string({description: "If non-empty, sort list types using this field specification. The field specification is expressed as a JSONPath expression (e.g. '{.metadata.name}')."}),
    watch: Flags.boolean({char: 'w', description: 'After listing/getting the requested object, watch for changes. Ends on Ctrl-C.'}),
    'watch-only': Flags.boolean({description: 'Watch for changes to the requested object(s), without listing/getting first.'}),
  }
  static strict = false

  async run(): Promise<void> {
    const {names} = serviceNames(this.operands)
    const flags = this.flags
    const output = flags.output
    if (output !== undefined && !(FORMATS as readonly string[]).includes(output)) {
      throw new CliError(`unable to match a printer suitable for the output format "${output}", allowed formats are: ${FORMATS.join(',')}`)
    }
    const all = flags['all-namespaces']
    if (names.length > 0 && all) throw new CliError('a resource cannot be retrieved by name across all namespaces')
    if (names.length > 0 && (flags.selector || flags['field-selector'])) throw new CliError('name cannot be provided when a selector is specified')
    const namespace = all ? undefined : this.kube.namespace
    const table = output === undefined || output === 'wide'
    const printer = new ServiceTablePrinter({allNamespaces: all, noHeaders: flags['no-headers'], showLabels: flags['show-labels'], wide: output === 'wide'})
    const watching = flags.watch || flags['watch-only']
    if (watching && names.length > 1) {
      throw new CliError(`watch is only supported on individual resources and resource collections, but ${names.length} resources were found`)
    }

    let items: Service[] = []
    let printed = 0
    let errors: unknown[] = []
    let resourceVersion: string | undefined
    const fieldSelector = names.length === 1 && watching ? `metadata.name=${names[0]}` : flags['field-selector']
    const relist = async () => {
      const list = await listServices(this.kube.client, {fieldSelector, labelSelector: flags.selector, namespace})
      return list.metadata?.resourceVersion
    }
    if (watching && names.length === 1 && !flags['ignore-not-found']) {
      // kubectl fetches a named object before watching it: a missing one is the NotFound error
      await getNamedServices(this.kube.client, this.kube.namespace, names).then(r => {
        if (r.errors.length > 0) throw r.errors[0]
      })
    }
    if (!flags['watch-only']) {
      if (names.length > 0 && !watching) {
        ({errors, found: items} = await getNamedServices(this.kube.client, this.kube.namespace, names, flags['ignore-not-found']))
      } else {
        const list = await listServices(this.kube.client, {fieldSelector, labelSelector: flags.selector, namespace})
        items = list.items
        resourceVersion = list.metadata?.resourceVersion
      }
      if (flags['sort-by']) items = sortByField(items, flags['sort-by'])
      if (table) {
        if (items.length === 0 && errors.length === 0 && !watching && !flags['ignore-not-found']) {
          this.stderr(all ? 'No resources found' : `No resources found in ${this.kube.namespace} namespace.`)
        }
        this.stdout(printer.print(items, currentTime()))
      } else if (watching) {
        // while watching, kubectl prints each object on its own (YAML separated by ---), never a List
        for (const item of items) this.stdout(printObject(this.forOutput(item), output as ListOutput, {index: printed++}))
      } else {
        // kubectl: one missing name is just the error; nothing left after --ignore-not-found prints nothing
        const single = names.length === 1 && !watching
        const silent = (single && errors.length > 0) || (items.length === 0 && flags['ignore-not-found'])
        if (!silent) this.stdout(printList(items.map(withKind), output as ListOutput, single, flags['show-managed-fields']))
      }
    } else {
      resourceVersion = await relist()
    }
    if (errors.length > 0) throw new MultiError(errors)
    if (watching) await this.watch({fieldSelector, namespace, printed, printer, relist, resourceVersion, table})
  }

  // Prints one row (or object) per watch event until Ctrl-C, which ends the command with exit 0.
  private forOutput(svc: Service): Service {
    return this.flags['show-managed-fields'] ? withKind(svc) : withoutManagedFields(withKind(svc))
  }

  private async watch(o: {fieldSelector?: string; namespace?: string; printed: number; printer: ServiceTablePrinter; relist: () => Promise<string | undefined>; resourceVersion?: string; table: boolean}): Promise<void> {
    const controller = new AbortController()
    const stop = () => controller.abort()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    try {
      const events = watchServices(this.kube.client, {fieldSelector: o.fieldSelector, labelSelector: this.flags.selector, namespace: o.namespace, resourceVersion: o.resourceVersion}, controller.signal, o.relist)
      let index = o.printed
      for await (const event of events) {
        const svc = this.forOutput(event.object)
        if (o.table) this.stdout(o.printer.print([svc], currentTime()))
        else this.stdout(printObject(svc, this.flags.output as ListOutput, {index: index++}))
      }
    } finally {
      process.removeListener('SIGINT', stop)
      process.removeListener('SIGTERM', stop)
    }
  }
}
