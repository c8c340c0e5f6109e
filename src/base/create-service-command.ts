// What `svc create clusterip|nodeport|loadbalancer|externalname|headless` share: kubectl's create
// service flags plus svc's, argument and flag checks in kubectl's order, the request, the printing.
// The subcommand files only say which type they make and which extra flags they take.

import {Args, Command, Flags, type Interfaces} from '@oclif/core'

import {dryRunSuffix, mutationFlags, type Output, parseOutput, parseValidate, printResult, validateFlag} from '../flags/mutation.ts'
import {csvList, parseIntFlag} from '../flags/values.ts'
import {buildService, type ServiceOptions, type ServiceType, validateServiceOptions} from '../generate/service.ts'
import {ApiError, CliError, ConnectionError, UsageError} from '../kube/errors.ts'
import type {DryRun} from '../kube/service-ops.ts'
import type {Service} from '../kube/types.ts'
import {collectionPath, connectionErrorText, createObject} from '../kube/services.ts'
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

/** The parsed values of those flags (and the global ones), whatever the subcommand adds. */
type CreateServiceFlagValues = Interfaces.InferredFlags<typeof KubeCommand.baseFlags & typeof createServiceFlags>

export const createServiceArgs = {name: Args.string({description: 'Service name', required: false})}

export abstract class CreateServiceCommand<T extends typeof Command> extends KubeCommand<T> {
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
    const flags = this.flags as unknown as CreateServiceFlagValues
    // Flag parsing and cobra's required-flag check come before anything else, as in kubectl.
    const typeOptions = this.typeOptions()
    const timeout = parseIntFlag('session-affinity-timeout', flags['session-affinity-timeout'], 32)
    // kubectl's NameFromCommandArgs counts the arguments before `--` only.
    const names = this.operandsBeforeDash
    if (names.length !== 1) throw new UsageError(`exactly one NAME is required, got ${names.length}`)
    const name = names[0]
    const dryRun = this.dryRunStrategy(flags['dry-run'])
    const output = parseOutput(flags.output, {allowMissingKeys: flags['allow-missing-template-keys'], template: flags.template})
    const fieldValidation = parseValidate(flags.validate)
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
    const ports = validateServiceOptions(options)
    const service = buildService(options, ports)
    return this.send(service, {dryRun, fieldManager: flags['field-manager'], fieldValidation, output})
  }

  private async send(service: Service, o: {dryRun: DryRun; fieldManager: string; fieldValidation: string; output: Output}): Promise<unknown> {
    let result = service
    if (o.dryRun !== 'client') {
      // kubectl 1.35's create service takes --save-config and writes no annotation (its generator
      // never applies it); svc sends the same object, so a client dry run shows what is sent.
      const body = service
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
    this.stdout(printResult(result, o.output, {operation: `created${dryRunSuffix(o.dryRun)}`, showManagedFields: this.flags['show-managed-fields'], typed: true}))
    return result
  }
}
