// `svc get`'s arguments and flags turned into what to list and how to print it (complete), checked
// in kubectl's order before any request (validate). No request is made here.

import {CliError} from '../kube/errors.ts'
import {serviceNames} from '../kube/service-ops.ts'
import {selectOutput, type TemplatePrinter} from '../printers/templates.ts'

/** The -o formats besides kubectl's template ones (custom-columns included for get). */
export const GET_FORMATS = ['json', 'name', 'wide', 'yaml'] as const
export type GetFormat = (typeof GET_FORMATS)[number]

/** The flags of `svc get` that decide what it reads and prints. */
export interface GetFlags {
  'all-namespaces'?: boolean
  'allow-missing-template-keys'?: boolean
  'chunk-size': number
  'field-selector'?: string
  'ignore-not-found'?: boolean
  'label-columns'?: string[]
  'no-headers'?: boolean
  output?: string
  'output-watch-events'?: boolean
  selector?: string
  'sort-by'?: string
  template?: string
  watch?: boolean
  'watch-only'?: boolean
}

export interface GetOptions {
  allNamespaces: boolean
  /** --chunk-size, or 0 with --sort-by (sorting needs the whole list, so kubectl reads it at once). */
  chunkSize: number
  /** --field-selector, or metadata.name=NAME when watching one named Service. */
  fieldSelector?: string
  format?: GetFormat
  /** -L values, split at commas. */
  labelColumns: string[]
  names: string[]
  /** The default table or -o wide (no template, no machine format). */
  table: boolean
  template?: TemplatePrinter
  /** --watch or --watch-only. */
  watching: boolean
}

/** The get's options from its operands and flags; throws kubectl's usage errors. */
export function getOptions(operands: string[], flags: GetFlags): GetOptions {
  const {names} = serviceNames(operands)
  const {format, template} = selectOutput(flags.output, GET_FORMATS, {
    allowMissingKeys: flags['allow-missing-template-keys'], noHeaders: flags['no-headers'], template: flags.template,
  }, true)
  const watching = Boolean(flags.watch || flags['watch-only'])
  if (flags['output-watch-events'] && !watching) throw new CliError('--output-watch-events option can only be used with --watch or --watch-only')
  const allNamespaces = Boolean(flags['all-namespaces'])
  if (names.length > 0 && allNamespaces) throw new CliError('a resource cannot be retrieved by name across all namespaces')
  if (names.length > 0 && (flags.selector || flags['field-selector'])) throw new CliError('name cannot be provided when a selector is specified')
  if (watching && names.length > 1) {
    throw new CliError(`watch is only supported on individual resources and resource collections, but ${names.length} resources were found`)
  }
  return {
    allNamespaces,
    chunkSize: flags['sort-by'] ? 0 : flags['chunk-size'],
    fieldSelector: names.length === 1 && watching ? `metadata.name=${names[0]}` : flags['field-selector'],
    format,
    labelColumns: (flags['label-columns'] ?? []).flatMap(v => v.split(',')).filter(Boolean),
    names,
    table: !template && (format === undefined || format === 'wide'),
    template,
    watching,
  }
}
