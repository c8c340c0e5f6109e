// `svc wait`'s arguments and flags turned into what to wait for (complete), checked in kubectl's
// order before any request (validate). No request is made here.

import {parseDuration, WEEK_MS} from '../kube/duration.ts'
import {CliError, UsageError} from '../kube/errors.ts'
import {serviceNames} from '../kube/service-ops.ts'
import {selectOutput, type TemplatePrinter} from '../printers/templates.ts'
import {type Condition, parseCondition} from '../wait/conditions.ts'

/** The -o formats besides kubectl's template ones. */
export const WAIT_FORMATS = ['json', 'name', 'wide', 'yaml'] as const
export type WaitFormat = (typeof WAIT_FORMATS)[number]

/** The flags of `svc wait` that decide what it waits for and prints. */
export interface WaitFlags {
  all?: boolean
  'allow-missing-template-keys'?: boolean
  for?: string
  output?: string
  selector?: string
  template?: string
  timeout: string
}

export interface WaitOptions {
  condition: Condition
  format?: WaitFormat
  /** NAME or svc/NAME operands; empty when the Services are selected. */
  names: string[]
  /** -l/--all: which Services to select (labelSelector undefined with --all: every Service). */
  select?: {labelSelector?: string}
  template?: TemplatePrinter
  /** 0: check once; otherwise the deadline shared by every Service. */
  timeoutMs: number
}

/** The wait's options from its operands and flags; throws kubectl's usage errors. */
export function waitOptions(operands: string[], flags: WaitFlags): WaitOptions {
  const {names, typed} = serviceNames(operands)
  const timeoutMs = waitTimeout(flags.timeout)
  const {format, template} = selectOutput(flags.output, WAIT_FORMATS, {allowMissingKeys: flags['allow-missing-template-keys'], template: flags.template}, false)
  const condition = parseCondition(flags.for ?? '')
  if (format === 'wide' && condition.kind !== 'endpoints') throw new CliError('-o wide lists ready endpoints: use it with --for=endpoints')
  const bySelector = Boolean(flags.all) || flags.selector !== undefined
  if (names.length === 0 && !bySelector) {
    if (typed) throw new CliError('resource(s) were provided, but no name was specified')
    throw new UsageError('You must name one or more Services (NAME, svc/NAME), or select them with -l SELECTOR or --all.')
  }
  if (names.length > 0 && bySelector) throw new CliError('name cannot be provided when a selector is specified')
  return {
    condition, format, names, template, timeoutMs,
    ...(bySelector ? {select: {labelSelector: flags.all ? undefined : flags.selector}} : {}),
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
