// Flags of the commands that create objects (create, expose), spelled and checked as kubectl's
// cmdutil helpers do: --dry-run, --validate, -o, --field-manager, --save-config.

import {Flags} from '@oclif/core'

import {templateFlags} from './index.ts'

import {CliError} from '../kube/errors.ts'
import type {DryRun} from '../kube/service-ops.ts'
import {OUTPUT_FORMATS, type OutputFormat, printObject, type PrintOptions} from '../printers/object.ts'
import {printTemplate, selectOutput, type TemplatePrinter, templateFormats} from '../printers/templates.ts'

/**
 * GetDryRunStrategy (create, expose and delete alike): the strategy and kubectl's deprecation
 * warning, if any, with the helpers.go line kubectl's klog names for it.
 */
export function parseDryRun(value: string | undefined): {at?: string; strategy: DryRun; warning?: string} {
  const v = value ?? 'none'
  const bool = goParseBool(v)
  if (bool === undefined) {
    switch (v) {
      case 'unchanged':
        return {at: 'helpers.go:703', strategy: 'client', warning: '--dry-run is deprecated and can be replaced with --dry-run=client.'}
      case 'client':
      case 'server':
      case 'none':
        return {strategy: v}
      default:
        throw new CliError(`Invalid dry-run value (${v}). Must be "none", "server", or "client".`)
    }
  }
  const replacement = bool ? 'client' : 'none'
  return {at: 'helpers.go:717', strategy: replacement, warning: `--dry-run=${v} is deprecated (boolean value) and can be replaced with --dry-run=${replacement}.`}
}

/** GetValidationDirective: the fieldValidation query value. */
export function parseValidate(value: string | undefined): 'Ignore' | 'Strict' | 'Warn' {
  const v = value ?? 'strict'
  const bool = goParseBool(v)
  if (bool === true) return 'Strict'
  if (bool === false) return 'Ignore'
  if (v === 'strict') return 'Strict'
  if (v === 'warn') return 'Warn'
  if (v === 'ignore') return 'Ignore'
  throw new CliError(`invalid - validate option "${v}"; must be one of: strict (or true), warn, ignore (or false)`)
}

/** What -o (with --template) asks for: a built-in format, a template printer, or the default. */
export type Output = OutputFormat | TemplatePrinter | undefined

/** The -o value, or kubectl's error listing the formats svc prints. */
export function parseOutput(value: string | undefined, template: {allowMissingKeys?: boolean; template?: string} = {}): Output {
  const v = (value ?? '').toLowerCase() as OutputFormat
  if (OUTPUT_FORMATS.includes(v)) return v
  return selectOutput(value, OUTPUT_FORMATS, template, false).template
}

/**
 * One created object in the chosen output; a template printer is told whether kubectl holds the
 * object typed (create service, expose), which changes what its printers see.
 */
export function printResult(obj: unknown, output: Output, options: PrintOptions & {index?: number; operation?: string} = {}): string {
  if (output === undefined || typeof output === 'string') return printObject(obj, output, options)
  return printTemplate(output, obj, options.typed)
}

/** What kubectl adds to `service/NAME created` (or exposed) under --dry-run. */
export function dryRunSuffix(dryRun: DryRun): string {
  return dryRun === 'client' ? ' (dry run)' : dryRun === 'server' ? ' (server dry run)' : ''
}

/** strconv.ParseBool. */
export function goParseBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false
  return undefined
}

/** The flags create and expose share. */
export function mutationFlags(fieldManager: string) {
  return {
    ...templateFlags,
    'dry-run': Flags.string({
      description: 'Must be "none", "server", or "client". If client strategy, only print the object that would be sent, without sending it. If server strategy, submit server-side request without persisting the resource.',
      helpValue: 'none|client|server',
    }),
    'field-manager': Flags.string({default: fieldManager, description: 'Name of the manager used to track field ownership.'}),
    output: Flags.string({char: 'o', description: `Output format. One of: (${[...OUTPUT_FORMATS, ...templateFormats(false)].sort().join(', ')}).`}),
    'show-managed-fields': Flags.boolean({default: false, description: 'If true, keep the managedFields when printing objects in JSON or YAML format.'}),
    'save-config': Flags.boolean({
      default: false,
      description: 'If true, the configuration of current object will be saved in its annotation. Otherwise, the annotation will be unchanged. This flag is useful when you want to perform kubectl apply on this object in the future.',
    }),
  }
}

export const validateFlag = Flags.string({
  description: 'Must be one of: strict (or true), warn, ignore (or false). "true" or "strict" will use the server to validate the object without ignoring unknown or duplicate fields; "warn" warns about them; "ignore" (or "false") skips server validation and svc\'s own range checks.',
  helpValue: 'strict|warn|ignore',
})
