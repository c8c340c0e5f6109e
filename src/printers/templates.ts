// kubectl's template output formats: -o jsonpath=, jsonpath-file=, jsonpath-as-json=,
// custom-columns=, custom-columns-file=, go-template=, go-template-file= (and --template), as
// cli-runtime's JSONPathPrintFlags / GoTemplatePrintFlags / kubectl's CustomColumnsPrintFlags pick
// and build them, with their error texts.
//
// `get` hands a printer the unstructured object (a single Service, or a `kind: List` of them);
// `create` and `expose` hand it the typed Service, which kubectl turns into a map through a JSON
// round trip, so every number in it is a float64 (`typedNumbers`).

import {readFileSync} from 'node:fs'

import {CliError} from '../kube/errors.ts'
import {GoFloat, goJsonMarshal, goQuote, goSharpV, goSprint} from './gofmt.ts'
import {GoTemplate} from './gotemplate.ts'
import {JsonPath} from './jsonpath.ts'
import {compactJson, typedOrder} from './object.ts'
import {escapeTerminal} from './service-table.ts'
import {GET_TABLE, TabWriter} from './tabwriter.ts'

/** A printer failed after writing `partial` (kubectl's writers flush what they had). */
export class TemplatePrintError extends CliError {
  readonly partial: string
  constructor(message: string, partial = '') {
    super(message)
    this.partial = partial
  }
}

export interface TemplatePrinter {
  /**
   * The text for one object (or List); throws TemplatePrintError. `typed`: the object is one kubectl
   * holds typed (what create and expose made), which its printers see through a JSON round trip.
   */
  print(obj: unknown, typed?: boolean): string
}

export interface TemplateFlags {
  allowMissingKeys?: boolean
  /** get's --no-headers (custom-columns only). */
  noHeaders?: boolean
  /** --template: the template when -o names only the format. */
  template?: string
}

const JSONPATH_FORMATS = ['jsonpath', 'jsonpath-as-json', 'jsonpath-file']
const GO_TEMPLATE_FORMATS = ['go-template', 'go-template-file', 'template', 'templatefile']
const CUSTOM_COLUMNS_FORMATS = ['custom-columns', 'custom-columns-file']

/** The template formats a command lists in kubectl's "allowed formats" error, sorted per family. */
export function templateFormats(customColumns: boolean): string[] {
  return [...GO_TEMPLATE_FORMATS, ...JSONPATH_FORMATS, ...(customColumns ? CUSTOM_COLUMNS_FORMATS : [])]
}

/** Splits `format=value` for one family of formats; undefined when the output is not of the family. */
function split(output: string, formats: string[], template: string | undefined): {format: string; value: string} | undefined {
  let format = output
  let value = ''
  if (template) value = template
  else {
    for (const f of formats) {
      if (output.startsWith(`${f}=`)) {
        format = f
        value = output.slice(f.length + 1)
        break
      }
    }
  }
  return formats.includes(format) ? {format, value} : undefined
}

function readTemplate(path: string, customColumns = false): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    const e = error as NodeJS.ErrnoException
    const reason = e.code === 'ENOENT' ? `open ${path}: no such file or directory` : e.code === 'EISDIR' ? `read ${path}: is a directory` : `open ${path}: ${e.message}`
    throw new CliError(customColumns ? `error reading template ${path}, ${reason}\n` : `error reading --template ${path}, ${reason}`)
  }
}

/**
 * The template printer for an -o value, or undefined when the value is not a template format.
 * Throws kubectl's errors for a format without a template and for templates that do not parse.
 */
export function templatePrinter(output: string | undefined, flags: TemplateFlags, customColumns: boolean): TemplatePrinter | undefined {
  let out = output ?? ''
  if (flags.template && out === '') out = 'go-template'
  if (out === '') return undefined
  const allowMissingKeys = flags.allowMissingKeys ?? true

  const jsonpath = split(out, JSONPATH_FORMATS, flags.template)
  if (jsonpath) {
    if (jsonpath.value === '') throw new CliError('template format specified but no template given')
    const text = jsonpath.format === 'jsonpath-file' ? readTemplate(jsonpath.value) : jsonpath.value
    return new JsonPathPrinter(text, allowMissingKeys, jsonpath.format === 'jsonpath-as-json')
  }
  const goTemplate = split(out, GO_TEMPLATE_FORMATS, flags.template)
  if (goTemplate) {
    if (goTemplate.value === '') throw new CliError('template format specified but no template given')
    const file = goTemplate.format === 'go-template-file' || goTemplate.format === 'templatefile'
    return new GoTemplatePrinter(file ? readTemplate(goTemplate.value) : goTemplate.value, allowMissingKeys)
  }
  if (customColumns) {
    const columns = split(out, CUSTOM_COLUMNS_FORMATS, flags.template)
    if (columns) {
      if (columns.value === '') throw new CliError('custom-columns format specified but no custom columns given')
      if (columns.format === 'custom-columns-file') return CustomColumnsPrinter.fromTemplate(readTemplate(columns.value, true))
      return CustomColumnsPrinter.fromSpec(columns.value, flags.noHeaders ?? false)
    }
  }
  return undefined
}

/**
 * -o for a command with built-in `formats` besides the template ones: the built-in format, or the
 * template printer (also for --template without -o), or kubectl's error listing every format.
 */
export function selectOutput<F extends string>(value: string | undefined, formats: readonly F[], flags: TemplateFlags, customColumns: boolean): {format?: F; template?: TemplatePrinter} {
  const output = value === '' ? undefined : value
  if (output !== undefined && (formats as readonly string[]).includes(output)) return {format: output as F}
  const template = templatePrinter(output, flags, customColumns)
  if (output !== undefined && !template) {
    const all = [...formats, ...templateFormats(customColumns)].sort()
    throw new CliError(`unable to match a printer suitable for the output format "${output}", allowed formats are: ${all.join(',')}`)
  }
  return {template}
}

/** A template printer's text; when it fails, what it printed so far goes to stdout first, as kubectl's writers flush it. */
export function printTemplate(template: TemplatePrinter, obj: unknown, typed?: boolean): string {
  try {
    return template.print(obj, typed)
  } catch (error) {
    if (error instanceof TemplatePrintError) process.stdout.write(error.partial)
    throw error
  }
}

/** What kubectl's printers see of a typed object: its JSON decoded into interface{} (numbers float64). */
export function typedNumbers(value: unknown): unknown {
  if (typeof value === 'number') return new GoFloat(value)
  if (Array.isArray(value)) return value.map(typedNumbers)
  if (value !== null && typeof value === 'object' && !(value instanceof GoFloat)) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = typedNumbers(v)
    return out
  }
  return value
}

/** cli-runtime printers.JSONPathPrinter. */
export class JsonPathPrinter implements TemplatePrinter {
  private readonly jsonPath: JsonPath
  private readonly raw: string

  constructor(raw: string, allowMissingKeys: boolean, outputJson: boolean) {
    this.raw = raw
    try {
      this.jsonPath = new JsonPath(raw)
    } catch (error) {
      throw new CliError(`error parsing jsonpath ${raw}, ${(error as Error).message}`)
    }
    this.jsonPath.allowMissingKeys = allowMissingKeys
    this.jsonPath.outputJson = outputJson
  }

  print(original: unknown, typed = false): string {
    // a typed object reaches the jsonpath engine as json.Unmarshal makes it: every number float64
    const obj = typed ? typedNumbers(typedOrder(original)) : original
    let results: unknown[][]
    let out = ''
    try {
      results = this.jsonPath.findResults(obj)
      for (const r of results) out += this.jsonPath.printResults(r)
    } catch (error) {
      throw new TemplatePrintError(
        `error executing jsonpath ${goQuote(this.raw)}: Error executing template: ${(error as Error).message}. Printing more information for debugging the template:\n` +
          `\ttemplate was:\n\t\t${this.raw}\n` +
          `\tobject given to jsonpath engine was:\n\t\t${goSharpV(obj)}\n\n\n`,
      )
    }
    return out
  }
}

/** cli-runtime printers.GoTemplatePrinter. */
export class GoTemplatePrinter implements TemplatePrinter {
  private readonly raw: string
  private readonly template: GoTemplate

  constructor(raw: string, allowMissingKeys: boolean) {
    this.raw = raw
    try {
      this.template = new GoTemplate(raw, allowMissingKeys)
    } catch (error) {
      throw new CliError(`error parsing template ${raw}, ${(error as Error).message}`)
    }
  }

  print(original: unknown, typed = false): string {
    // kubectl marshals the object and decodes it with apimachinery's json (integral numbers int64)
    const obj = typed ? typedOrder(original) : original
    const {error, text} = this.template.execute(obj)
    if (!error) return text
    const raw = typed ? compactJson(obj, {typed: true}).slice(0, -1) : goJsonMarshal(obj)
    const debug = `Error executing template: ${error.message}. Printing more information for debugging the template:\n` +
      `\ttemplate was:\n\t\t${this.raw}\n` +
      `\traw data was:\n\t\t${raw}\n` +
      `\tobject given to template engine was:\n\t\t${goSprint(obj)}\n\n`
    throw new TemplatePrintError(`error executing template ${goQuote(this.raw)}: ${error.message}`, text + debug)
  }
}

interface Column {
  header: string
  spec: string
}

const RELAXED = /^\{\.?([^{}]+)\}$|^\.?([^{}]+)$/

/** kubectl's RelaxedJSONPathExpression: `a.b`, `.a.b`, `{a.b}` and `{.a.b}` all become `{.a.b}`. */
export function relaxedJsonPath(expression: string): string {
  if (expression === '') return expression
  const m = RELAXED.exec(expression)
  if (!m) throw new CliError("unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' or '{.name1.name2}'")
  return `{.${m[1] || m[2]}}`
}

/** kubectl get's CustomColumnsPrinter: a header line once, then one row per object. */
export class CustomColumnsPrinter implements TemplatePrinter {
  private headerPrinted = false
  private readonly writer = new TabWriter(GET_TABLE)
  private readonly columns: Column[]
  private readonly noHeaders: boolean

  private constructor(columns: Column[], noHeaders: boolean) {
    this.columns = columns
    this.noHeaders = noHeaders
  }

  static fromSpec(spec: string, noHeaders: boolean): CustomColumnsPrinter {
    const columns = spec.split(',').map(part => {
      const colon = part.indexOf(':')
      if (colon < 0) throw new CliError(`unexpected custom-columns spec: ${part}, expected <header>:<json-path-expr>`)
      return {header: part.slice(0, colon), spec: relaxedJsonPath(part.slice(colon + 1))}
    })
    return new CustomColumnsPrinter(columns, noHeaders)
  }

  /** The file form: a line of headers and a line of field specs, separated by white space. */
  static fromTemplate(text: string): CustomColumnsPrinter {
    const lines = text.split('\n').map(l => l.replace(/\r$/, ''))
    const words = (line: string) => line.split(/[\t\n\v\f\r \u0085\u00a0]+/).filter(Boolean)
    if (text === '') throw new CliError('invalid template, missing header line. Expected format is one line of space separated headers, one line of space separated column specs.')
    const headers = words(lines[0])
    if (lines.length < 2 || (lines.length === 2 && lines[1] === '')) {
      throw new CliError('invalid template, missing spec line. Expected format is one line of space separated headers, one line of space separated column specs.')
    }
    const specs = words(lines[1])
    if (headers.length !== specs.length) throw new CliError(`number of headers (${headers.length}) and field specifications (${specs.length}) don't match`)
    return new CustomColumnsPrinter(headers.map((header, i) => ({header, spec: relaxedJsonPath(specs[i])})), false)
  }

  print(obj: unknown): string {
    if (!this.noHeaders && !this.headerPrinted) {
      this.writer.write(`${this.columns.map(c => c.header).join('\t')}\n`)
      this.headerPrinted = true
    }
    try {
      const parsers = this.columns.map(c => {
        const path = new JsonPath(c.spec)
        path.allowMissingKeys = true
        return path
      })
      const o = obj as {items?: unknown[]; kind?: string}
      const items = o && typeof o === 'object' && Array.isArray(o.items) && (o.kind === 'List' || o.kind?.endsWith('List')) ? o.items : [obj]
      for (const item of items) this.writer.write(`${this.row(item, parsers)}\n`)
    } catch (error) {
      this.writer.flush()
      throw new TemplatePrintError((error as Error).message, this.writer.take())
    }
    this.writer.flush()
    return this.writer.take()
  }

  private row(obj: unknown, parsers: JsonPath[]): string {
    return parsers.map(parser => {
      const values = parser.findResults(obj)
      const strings: string[] = []
      if (values.length === 0 || values[0].length === 0) strings.push('<none>')
      for (const set of values) for (const v of set) strings.push(escapeTerminal(goSprint(v)))
      return strings.join(',')
    }).join('\t')
  }
}
