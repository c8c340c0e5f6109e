// What `svc create clusterip|nodeport|loadbalancer|externalname|headless` share: kubectl's create
// service flags plus svc's, argument and flag checks in kubectl's order, the request, the printing.
// The subcommand files only say which type they make and which extra flags they take.

import {Args, Command, Flags} from '@oclif/core'

import {compactJson} from '../printers/object.ts'
import {type DryRun, expandNoOptFlags, lastFlagWins, mutationFlags, type Output, parseDryRun, parseOutput, parseValidate, printResult, validateFlag} from '../flags/mutation.ts'
import {buildService, LAST_APPLIED, type ServiceOptions, ServiceOptionsError, type ServiceType, validateServiceOptions} from '../generate/service.ts'
import {ApiError, CliError, ConnectionError, FlagError, UsageError} from '../kube/errors.ts'
import {collectionPath, connectionErrorText, createObject} from '../kube/services.ts'
import {normalizeBooleanFlags} from '../flags/booleans.ts'
import {KubeCommand} from './kube-command.ts'

/** Flags every create subcommand has. */
export const createServiceFlags = {
  ...mutationFlags('kubectl-create'),
  labels: Flags.string({description: 'svc: labels for the service, key=value[,key=value...] (default app=NAME).'}),
  sctp: Flags.string({delimiter: ',', description: 'svc: SCTP port pairs, like --tcp.', multiple: true, multipleNonGreedy: true}),
  selector: Flags.string({description: 'svc: pod selector, key=value[,key=value...] (default app=NAME).'}),
  'session-affinity': Flags.string({description: 'svc: None or ClientIP.'}),
  'session-affinity-timeout': Flags.string({description: 'svc: seconds a ClientIP affinity lasts, 1 to 86400 (default 10800); needs --session-affinity=ClientIP.'}),
  tcp: Flags.string({delimiter: ',', description: 'Port pairs can be specified as \'<port>:<targetPort>\'.', multiple: true, multipleNonGreedy: true}),
  udp: Flags.string({delimiter: ',', description: 'svc: UDP port pairs, like --tcp.', multiple: true, multipleNonGreedy: true}),
  validate: validateFlag,
}

export const createServiceArgs = {name: Args.string({description: 'Service name', required: false})}

/** pflag's StringSlice: an empty value (`--tcp=`) is an empty list, not one empty item. */
function csvList(values: string[] | undefined): string[] | undefined {
  return values?.every(v => v === '') ? [] : values
}

/** pflag's int parsing, with its error text. */
export function parseIntFlag(flag: string, value: string | undefined, bits = 64): number | undefined {
  if (value === undefined) return undefined
  if (!/^[+-]?[0-9]+$/.test(value)) {
    throw new FlagError(`invalid argument "${value}" for "--${flag}" flag: strconv.ParseInt: parsing "${value}": invalid syntax`)
  }
  const n = Number(value)
  if (Math.abs(n) >= 2 ** (bits - 1)) {
    throw new FlagError(`invalid argument "${value}" for "--${flag}" flag: strconv.ParseInt: parsing "${value}": value out of range`)
  }
  return n
}

/** klog's warning line, as kubectl prints deprecation warnings. */
export function klogWarning(message: string, file = 'helpers.go:703', now = new Date()): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0')
  const stamp = `${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())} ${pad(now.getUTCHours())}:${pad(now.getUTCMinutes())}:${pad(now.getUTCSeconds())}.${pad(now.getUTCMilliseconds() * 1000, 6)}`
  return `W${stamp} ${String(process.pid).padStart(7)} ${file}] ${message}`
}

export abstract class CreateServiceCommand<T extends typeof Command> extends KubeCommand<T> {
  /** Positional arguments before `--`, for kubectl's NAME count check. */
  protected positionals: string[] = []

  /** The Service type this subcommand makes, and whether it is headless. */
  protected abstract serviceType: ServiceType
  protected headless = false

  /** `svc create service clusterip` when invoked with kubectl's spelling (an alias of `create clusterip`). */
  get commandPath(): string {
    const path = super.commandPath
    const [verb, noun] = process.argv.slice(2)
    return verb === 'create' && (noun === 'service' || noun === 'svc') ? path.replace(/ create /, ` create ${noun} `) : path
  }

  /** Extra per-type options from the subcommand's own flags. */
  protected abstract typeOptions(): Partial<ServiceOptions>

  async run(): Promise<unknown> {
    const flags = this.flags as Record<string, any>
    // Flag parsing and cobra's required-flag check come before anything else, as in kubectl.
    const typeOptions = this.typeOptions()
    const timeout = parseIntFlag('session-affinity-timeout', flags['session-affinity-timeout'], 32)
    if (this.positionals.length !== 1) throw new UsageError(`exactly one NAME is required, got ${this.positionals.length}`)
    const name = this.positionals[0]
    const dryRun = this.check(() => parseDryRun(flags['dry-run']))
    const output = this.check(() => parseOutput(flags.output, {allowMissingKeys: flags['allow-missing-template-keys'], template: flags.template}))
    const fieldValidation = this.check(() => parseValidate(flags.validate))
    if (dryRun.warning) this.stderr(klogWarning(dryRun.warning, dryRun.warning.includes('boolean') ? 'helpers.go:717' : 'helpers.go:703'))
    const options: ServiceOptions = {
      labels: flags.labels,
      name,
      namespace: flags.namespace || undefined,
      sctp: csvList(flags.sctp),
      selector: flags.selector,
      sessionAffinity: flags['session-affinity'],
      sessionAffinityTimeout: timeout,
      skipRangeChecks: fieldValidation === 'Ignore',
      tcp: csvList(flags.tcp),
      type: this.serviceType,
      udp: csvList(flags.udp),
      ...typeOptions,
    }
    const ports = this.check(() => validateServiceOptions(options))
    const service = buildService(options, ports)
    return this.send(service, {dryRun: dryRun.strategy, fieldManager: flags['field-manager'], fieldValidation, output, saveConfig: flags['save-config']})
  }

  protected async init(): Promise<void> {
    this.argv = lastFlagWins(expandNoOptFlags(normalizeBooleanFlags(this.argv, [], ['allow-missing-template-keys'])), {...KubeCommand.baseFlags, ...this.ctor.flags} as any)
    await super.init()
    const dashDash = this.argv.indexOf('--')
    const parsed = await this.parse({args: this.ctor.args, baseFlags: KubeCommand.baseFlags, flags: this.ctor.flags, strict: false})
    this.positionals = (parsed.argv as string[]).slice()
    if (dashDash >= 0) {
      const after = this.argv.length - dashDash - 1
      this.positionals = this.positionals.slice(0, Math.max(0, this.positionals.length - after))
    }
  }

  private check<R>(fn: () => R): R {
    try {
      return fn()
    } catch (error) {
      if (error instanceof ServiceOptionsError || (error instanceof Error && error.constructor === Error)) throw new CliError(error.message)
      throw error
    }
  }

  private async send(service: any, o: {dryRun: DryRun; fieldManager: string; fieldValidation: string; output: Output; saveConfig: boolean}): Promise<unknown> {
    let result = service
    if (o.dryRun !== 'client') {
      const body = o.saveConfig ? withAnnotation(service) : service
      const namespace = this.kube.namespace
      const path = collectionPath('', 'v1', namespace, 'services')
      try {
        result = await createObject(this.kube.client, path, body, {dryRun: o.dryRun === 'server', fieldManager: o.fieldManager, fieldValidation: o.fieldValidation}, line => this.stderr(line))
      } catch (error) {
        const what = `failed to create ${this.serviceType} service`
        if (error instanceof ApiError) throw new CliError(`${what}: ${error.status.message ?? error.message}`)
        if (error instanceof ConnectionError) {
          throw new CliError(`${what}: ${connectionErrorText(error, 'POST', this.kube.client.url(path, {dryRun: o.dryRun === 'server' ? 'All' : undefined, fieldManager: o.fieldManager, fieldValidation: o.fieldValidation}))}`)
        }
        throw error
      }
    }
    const suffix = o.dryRun === 'client' ? ' (dry run)' : o.dryRun === 'server' ? ' (server dry run)' : ''
    this.stdout(printResult(result, o.output, {operation: `created${suffix}`, showManagedFields: this.flags['show-managed-fields'], typed: true}))
    return result
  }
}

/** --save-config: the object's own JSON (without the annotation) stored in the annotation. */
export function withAnnotation(obj: any): any {
  const copy = structuredClone(obj)
  const annotations = {...copy.metadata.annotations}
  delete annotations[LAST_APPLIED]
  if (Object.keys(annotations).length === 0) delete copy.metadata.annotations
  else copy.metadata.annotations = annotations
  const out = structuredClone(obj)
  out.metadata.annotations = {...annotations, [LAST_APPLIED]: compactJson(copy, {typed: true})}
  return out
}
