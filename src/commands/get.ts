import {Args, Flags} from '@oclif/core'

import {KubeCommand} from '../base/kube-command.ts'
import {allNamespacesFlag, selectorFlag, templateFlags} from '../flags/index.ts'
import {CliError, MultiError} from '../kube/errors.ts'
import {getNamedServices, listServices, type Service, watchServices} from '../kube/service-ops.ts'
import {GET_FORMATS, getOptions, type GetOptions} from '../options/get.ts'
import {eventOutput, type GetPrint, readOutput} from '../printers/get-output.ts'
import {currentTime} from '../printers/human-duration.ts'
import {ServiceTablePrinter} from '../printers/service-table.ts'
import {SortByError, sortByField} from '../printers/sort-by.ts'
import {templateFormats} from '../printers/templates.ts'

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
    // get.go Complete: --sort-by orders what is listed, not the events that follow
    if (flags['sort-by'] && flags.watch) this.stderr('warning: --watch requested, --sort-by will be ignored for watch events received')
    else if (flags['sort-by'] && flags['watch-only']) this.stderr('warning: --watch-only requested, --sort-by will be ignored')
    const print: GetPrint = {
      events: flags['output-watch-events'],
      ignoreNotFound: flags['ignore-not-found'],
      namespace: this.kube.namespace,
      now: currentTime,
      options: o,
      output: flags.output,
      printer: new ServiceTablePrinter({
        allNamespaces: o.allNamespaces, events: flags['output-watch-events'], labelColumns: o.labelColumns, noHeaders: flags['no-headers'],
        showKind: flags['show-kind'], showLabels: flags['show-labels'], wide: o.format === 'wide',
      }),
      showManagedFields: flags['show-managed-fields'],
    }
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
      if (flags['sort-by'] && kubectlSorts(o, items.length, flags['output-watch-events'])) {
        try {
          items = sortByField(items, flags['sort-by'])
        } catch (error) {
          // the watch's printer error, as get.go's watch wraps it
          throw watching && error instanceof SortByError ? new CliError(`unable to output the provided object: ${error.message}`) : error
        }
      }
      const read = readOutput(items, errors, print)
      if (read.notice) this.stderr(read.notice)
      this.stdout(read.stdout)
      printed = read.printed
    }
    if (errors.length > 0) throw new MultiError(errors)
    if (watching) await this.watch({fieldSelector, namespace, print, printed, relist, resourceVersion})
  }

  /** Prints one row (or object) per watch event until Ctrl-C, which ends the command with exit 0. */
  private async watch(o: {fieldSelector?: string; namespace?: string; print: GetPrint; printed: number; relist: () => Promise<string | undefined>; resourceVersion?: string}): Promise<void> {
    const controller = new AbortController()
    const stop = () => controller.abort()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    try {
      const events = watchServices(this.kube.client, {fieldSelector: o.fieldSelector, labelSelector: this.flags.selector, namespace: o.namespace, resourceVersion: o.resourceVersion}, controller.signal, o.relist)
      let index = o.printed
      for await (const event of events) {
        this.stdout(eventOutput(event.type, event.object, o.print, o.print.options.table ? index : index++))
      }
    } finally {
      process.removeListener('SIGINT', stop)
      process.removeListener('SIGTERM', stop)
    }
  }
}

/**
 * Whether kubectl's --sort-by applies to what get prints first (get.go, its SortingPrinter): a
 * server-printed Table is sorted when it has more than one row, also as a watch's first list
 * unless --output-watch-events wraps it; a list of objects is sorted (and a field no object has is
 * an error even for one object) except while watching, where each object is printed on its own,
 * and except for one named Service, which is printed as itself.
 */
function kubectlSorts(o: GetOptions, count: number, events: boolean): boolean {
  if (o.table) return count > 1 && !(o.watching && events)
  return !o.watching && o.names.length !== 1
}
