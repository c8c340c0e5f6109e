import {Args, Flags} from '@oclif/core'

import {KubeCommand} from '../base/kube-command.ts'
import {allNamespacesFlag, selectorFlag, templateFlags} from '../flags/index.ts'
import {MultiError} from '../kube/errors.ts'
import {getNamedServices, listServices, type Service, watchServices, withKind} from '../kube/service-ops.ts'
import {GET_FORMATS, type GetOptions, getOptions} from '../options/get.ts'
import {currentTime} from '../printers/human-duration.ts'
import {type ListOutput, outputObject, printList, withoutManagedFields} from '../printers/list.ts'
import {compactJson, printObject} from '../printers/object.ts'
import {ServiceTablePrinter} from '../printers/service-table.ts'
import {sortByField} from '../printers/sort-by.ts'
import {printTemplate, type TemplatePrinter, templateFormats} from '../printers/templates.ts'

const ALL_FORMATS = [...GET_FORMATS, ...templateFormats(true)].sort()

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
    const flags = this.flags
    const o = getOptions(this.operands, flags)
    const {fieldSelector, names, watching} = o
    const namespace = o.allNamespaces ? undefined : this.kube.namespace
    const printer = new ServiceTablePrinter({
      allNamespaces: o.allNamespaces, events: flags['output-watch-events'], labelColumns: o.labelColumns, noHeaders: flags['no-headers'],
      showKind: flags['show-kind'], showLabels: flags['show-labels'], wide: o.format === 'wide',
    })
    const list = () => listServices(this.kube.client, {chunkSize: o.chunkSize, fieldSelector, labelSelector: flags.selector, namespace})
    const relist = async () => (await list()).metadata?.resourceVersion

    let errors: unknown[] = []
    let printed = 0
    let resourceVersion: string | undefined
    if (watching && names.length === 1 && !flags['ignore-not-found']) {
      // kubectl fetches a named object before watching it: a missing one is the NotFound error
      const {errors} = await getNamedServices(this.kube.client, this.kube.namespace, names)
      if (errors.length > 0) throw errors[0]
    }
    if (flags['watch-only']) {
      resourceVersion = await relist()
    } else {
      let items: Service[]
      if (names.length > 0 && !watching) {
        ({errors, found: items} = await getNamedServices(this.kube.client, this.kube.namespace, names, flags['ignore-not-found']))
      } else {
        const found = await list()
        items = found.items
        resourceVersion = found.metadata?.resourceVersion
      }
      if (flags['sort-by']) items = sortByField(items, flags['sort-by'])
      printed = this.printItems(items, errors, o, printer)
    }
    if (errors.length > 0) throw new MultiError(errors)
    if (watching) await this.watch({fieldSelector, namespace, printed, printer, relist, resourceVersion, table: o.table, template: o.template})
  }

  /** What was read before any watch, in the chosen output; returns how many objects were printed one by one (for the YAML separators while watching). */
  private printItems(items: Service[], errors: unknown[], o: GetOptions, printer: ServiceTablePrinter): number {
    const flags = this.flags
    if (o.table) {
      if (items.length === 0 && errors.length === 0 && !o.watching && !flags['ignore-not-found']) {
        this.stderr(o.allNamespaces ? 'No resources found' : `No resources found in ${this.kube.namespace} namespace.`)
      }
      this.stdout(printer.print(items.map(item => (flags['output-watch-events'] ? {event: 'ADDED', svc: item} : item)), currentTime()))
      return 0
    }
    if (o.watching) {
      // while watching, kubectl prints each object on its own (YAML separated by ---), never a List
      for (const [index, item] of items.entries()) this.stdout(this.printEvent('ADDED', item, o.template, index))
      return items.length
    }
    // kubectl: one missing name is just the error; nothing left after --ignore-not-found prints nothing
    const single = o.names.length === 1
    if ((single && errors.length > 0) || (items.length === 0 && flags['ignore-not-found'])) return 0
    if (o.template) this.stdout(printTemplate(o.template, outputObject(items.map(withKind), single)))
    else this.stdout(printList(items.map(withKind), o.format as ListOutput, single, flags['show-managed-fields']))
    return 0
  }

  /** An object for -o json|yaml, managedFields kept only with --show-managed-fields. */
  private forOutput(svc: Service): Service {
    return this.flags['show-managed-fields'] ? withKind(svc) : withoutManagedFields(withKind(svc))
  }

  /** One object (or, with --output-watch-events, one event) in a machine format while watching. */
  private printEvent(type: string, svc: Service, template: TemplatePrinter | undefined, index: number): string {
    const events = this.flags['output-watch-events']
    // kubectl hands a template printer the unstructured object, managedFields included
    if (template) return printTemplate(template, events ? {object: withKind(svc), type} : withKind(svc))
    if (!events) return printObject(this.forOutput(svc), this.flags.output as ListOutput, {index})
    // cli-runtime's JSON and YAML printers write a metav1.WatchEvent whole: JSON compact on one
    // line, {"type","object"} in struct order; YAML with sorted keys
    const format = this.flags.output as ListOutput
    if (format === 'json') return `{"type":${JSON.stringify(type)},"object":${compactJson(withKind(svc))}`.replace(/\n$/, '}\n')
    return printObject({object: withKind(svc), type}, format, {index, showManagedFields: true})
  }

  /** Prints one row (or object) per watch event until Ctrl-C, which ends the command with exit 0. */
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
