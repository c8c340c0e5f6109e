import {Args, Flags} from '@oclif/core'

import {KubeCommand} from '../base/kube-command.ts'
import {allNamespacesFlag, selectorFlag, templateFlags} from '../flags/index.ts'
import {CliError, MultiError} from '../kube/errors.ts'
import {getNamedServices, listServices, type Service, serviceNames, watchServices, withKind} from '../kube/service-ops.ts'
import {currentTime} from '../printers/human-duration.ts'
import {type ListOutput, outputObject, printList, withoutManagedFields} from '../printers/list.ts'
import {printObject} from '../printers/object.ts'
import {ServiceTablePrinter} from '../printers/service-table.ts'
import {sortByField} from '../printers/sort-by.ts'
import {compactJson} from '../printers/object.ts'
import {type TemplatePrinter, TemplatePrintError, templateFormats, templatePrinter} from '../printers/templates.ts'

const FORMATS = ['json', 'name', 'wide', 'yaml'] as const
const ALL_FORMATS = [...FORMATS, ...templateFormats(true)].sort()

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
    ...templateFlags,
    'all-namespaces': allNamespacesFlag,
    'chunk-size': Flags.integer({default: 500, description: 'Return large lists in chunks rather than all at once. Pass 0 to disable.'}),
    'field-selector': Flags.string({description: "Selector (field query) to filter on, supports '=', '==', and '!='.(e.g. --field-selector key1=value1,key2=value2). The server only supports a limited number of field queries per type."}),
    'ignore-not-found': Flags.boolean({description: 'If set to true, suppresses NotFound error for specific objects that do not exist.'}),
    'label-columns': Flags.string({char: 'L', description: 'Accepts a comma separated list of labels that are going to be presented as columns. Names are case-sensitive. You can also use multiple flag options like -L label1 -L label2...', multiple: true, multipleNonGreedy: true}),
    'no-headers': Flags.boolean({description: 'When using the default or custom-column output format, don\'t print headers (default print headers).'}),
    output: Flags.string({char: 'o', description: `Output format. One of: (${ALL_FORMATS.join(', ')}).`}),
    'output-watch-events': Flags.boolean({description: 'Output watch event objects when --watch or --watch-only is used. Existing objects are output as initial ADDED events.'}),
    selector: selectorFlag,
    'show-managed-fields': Flags.boolean({description: 'If true, keep the managedFields when printing objects in JSON or YAML format.'}),
    'show-kind': Flags.boolean({description: 'If present, list the resource type for the requested object(s).'}),
    'show-labels': Flags.boolean({description: 'When printing, show all labels as the last column (default hide labels column).'}),
    'sort-by': Flags.string({description: "If non-empty, sort list types using this field specification. The field specification is expressed as a JSONPath expression (e.g. '{.metadata.name}')."}),
    watch: Flags.boolean({char: 'w', description: 'After listing/getting the requested object, watch for changes. Ends on Ctrl-C.'}),
    'watch-only': Flags.boolean({description: 'Watch for changes to the requested object(s), without listing/getting first.'}),
  }
  static strict = false

  async run(): Promise<void> {
    const {names} = serviceNames(this.operands)
    const flags = this.flags
    const output = flags.output === '' ? undefined : flags.output
    const template = output !== undefined && (FORMATS as readonly string[]).includes(output) ? undefined
      : templatePrinter(output, {allowMissingKeys: flags['allow-missing-template-keys'], noHeaders: flags['no-headers'], template: flags.template}, true)
    if (output !== undefined && !template && !(FORMATS as readonly string[]).includes(output)) {
      throw new CliError(`unable to match a printer suitable for the output format "${output}", allowed formats are: ${ALL_FORMATS.join(',')}`)
    }
    const watching = flags.watch || flags['watch-only']
    if (flags['output-watch-events'] && !watching) throw new CliError('--output-watch-events option can only be used with --watch or --watch-only')
    const all = flags['all-namespaces']
    if (names.length > 0 && all) throw new CliError('a resource cannot be retrieved by name across all namespaces')
    if (names.length > 0 && (flags.selector || flags['field-selector'])) throw new CliError('name cannot be provided when a selector is specified')
    const namespace = all ? undefined : this.kube.namespace
    const table = !template && (output === undefined || output === 'wide')
    const labelColumns = (flags['label-columns'] ?? []).flatMap(v => v.split(',')).filter(Boolean)
    const printer = new ServiceTablePrinter({
      allNamespaces: all, events: flags['output-watch-events'], labelColumns, noHeaders: flags['no-headers'], showKind: flags['show-kind'], showLabels: flags['show-labels'], wide: output === 'wide',
    })
    if (watching && names.length > 1) {
      throw new CliError(`watch is only supported on individual resources and resource collections, but ${names.length} resources were found`)
    }

    let items: Service[] = []
    let printed = 0
    let errors: unknown[] = []
    let resourceVersion: string | undefined
    const fieldSelector = names.length === 1 && watching ? `metadata.name=${names[0]}` : flags['field-selector']
    // kubectl reads everything at once when it sorts (sorting needs the whole list)
    const chunkSize = flags['sort-by'] ? 0 : flags['chunk-size']
    const relist = async () => {
      const list = await listServices(this.kube.client, {chunkSize, fieldSelector, labelSelector: flags.selector, namespace})
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
        const list = await listServices(this.kube.client, {chunkSize, fieldSelector, labelSelector: flags.selector, namespace})
        items = list.items
        resourceVersion = list.metadata?.resourceVersion
      }
      if (flags['sort-by']) items = sortByField(items, flags['sort-by'])
      if (table) {
        if (items.length === 0 && errors.length === 0 && !watching && !flags['ignore-not-found']) {
          this.stderr(all ? 'No resources found' : `No resources found in ${this.kube.namespace} namespace.`)
        }
        this.stdout(printer.print(items.map(item => (flags['output-watch-events'] ? {event: 'ADDED', svc: item} : item)), currentTime()))
      } else if (watching) {
        // while watching, kubectl prints each object on its own (YAML separated by ---), never a List
        for (const item of items) this.stdout(this.printEvent('ADDED', item, template, printed++))
      } else if (template) {
        // kubectl: one missing name is just the error; nothing left after --ignore-not-found prints nothing
        const single = names.length === 1
        const silent = (single && errors.length > 0) || (items.length === 0 && flags['ignore-not-found'])
        if (!silent) this.printTemplate(template, outputObject(items.map(withKind), single))
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
    if (watching) await this.watch({fieldSelector, namespace, printed, printer, relist, resourceVersion, table, template})
  }

  // Prints one row (or object) per watch event until Ctrl-C, which ends the command with exit 0.
  private forOutput(svc: Service): Service {
    return this.flags['show-managed-fields'] ? withKind(svc) : withoutManagedFields(withKind(svc))
  }

  /** One object (or, with --output-watch-events, one event) in a machine format while watching. */
  private printEvent(type: string, svc: Service, template: TemplatePrinter | undefined, index: number): string {
    const events = this.flags['output-watch-events']
    if (template) {
      // kubectl hands a template printer the unstructured object, managedFields included
      const obj = events ? {object: withKind(svc), type} : withKind(svc)
      try {
        return template.print(obj)
      } catch (error) {
        if (error instanceof TemplatePrintError) this.stdout(error.partial)
        throw error
      }
    }
    if (!events) return printObject(this.forOutput(svc), this.flags.output as ListOutput, {index})
    // cli-runtime's JSON and YAML printers write a metav1.WatchEvent whole: JSON compact on one
    // line, {"type","object"} in struct order; YAML with sorted keys
    const format = this.flags.output as ListOutput
    if (format === 'json') return `{"type":${JSON.stringify(type)},"object":${compactJson(withKind(svc))}`.replace(/\n$/, '}\n')
    return printObject({object: withKind(svc), type}, format, {index, showManagedFields: true})
  }

  private printTemplate(template: TemplatePrinter, obj: unknown): void {
    try {
      this.stdout(template.print(obj))
    } catch (error) {
      if (error instanceof TemplatePrintError) this.stdout(error.partial)
      throw error
    }
  }

  private async watch(o: {fieldSelector?: string; namespace?: string; printed: number; printer: ServiceTablePrinter; relist: () => Promise<string | undefined>; resourceVersion?: string; table: boolean; template?: TemplatePrinter}): Promise<void> {
    const controller = new AbortController()
    const stop = () => controller.abort()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    try {
      const events = watchServices(this.kube.client, {fieldSelector: o.fieldSelector, labelSelector: this.flags.selector, namespace: o.namespace, resourceVersion: o.resourceVersion}, controller.signal, o.relist)
      let index = o.printed
      for await (const event of events) {
        if (o.table) this.stdout(o.printer.print([this.flags['output-watch-events'] ? {event: event.type, svc: event.object} : event.object], currentTime()))
        else this.stdout(this.printEvent(event.type, event.object, o.template, index++))
      }
    } finally {
      process.removeListener('SIGINT', stop)
      process.removeListener('SIGTERM', stop)
    }
  }
}
